// Sizes, rates and durations as text; the sliding-window rate meter.
#include "engine/units.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace obrol::engine {

namespace {

template <class... Args>
std::string Format(const char* format, Args... args)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, args...);
    return buffer;
}

} // namespace

std::string FormatSize(std::uint64_t bytes)
{
    if (bytes < 1024)
        return Format("%u B", static_cast<unsigned>(bytes));
    static constexpr std::array<const char*, 6> Units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    value /= 1024.0;
    while (value >= 1024.0 && unit + 1 < Units.size())
    {
        value /= 1024.0;
        ++unit;
    }
    if (value < 99.95) // "%.1f" would round 99.95 up to "100.0"
        return Format("%.1f %s", value, Units[unit]);
    const double rounded = std::round(value);
    if (rounded >= 1024.0 && unit + 1 < Units.size()) // 1023.6 KiB: "1.0 MiB", not "1024 KiB"
        return Format("1.0 %s", Units[unit + 1]);
    return Format("%.0f %s", rounded, Units[unit]);
}

std::string FormatRate(double bytesPerSecond)
{
    if (!std::isfinite(bytesPerSecond) || bytesPerSecond < 0)
        return "--";
    constexpr double Max = static_cast<double>(std::numeric_limits<std::uint64_t>::max());
    const double rounded = std::round(bytesPerSecond);
    const std::uint64_t bytes =
        rounded >= Max ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(rounded);
    return FormatSize(bytes) + "/s";
}

std::string FormatDuration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return "--";
    constexpr double Day = 86400.0;
    if (seconds >= 100 * Day)
        return "> 99 d";
    const auto total = static_cast<long long>(std::llround(seconds));
    if (total < 60)
        return Format("%lld s", total);
    if (total < 3600)
        return Format("%lld min %02lld s", total / 60, total % 60);
    if (total < 86400)
        return Format("%lld h %02lld min", total / 3600, total % 3600 / 60);
    return Format("%lld d %02lld h", total / 86400, total % 86400 / 3600);
}

RateMeter::RateMeter(Clock::time_point start, Clock::duration window)
    : m_start(start), m_window(std::max(window, Clock::duration(std::chrono::milliseconds(100)))),
      m_bucket(m_window / 30)
{
}

void RateMeter::Start(Clock::time_point start)
{
    m_start = start;
    m_samples.clear();
    m_total = 0;
}

void RateMeter::Add(std::uint64_t bytes, Clock::time_point when)
{
    m_total += bytes;
    // A sample keeps the time of its first chunk, so a steady stream still ages out.
    if (!m_samples.empty() && when >= m_samples.back().time && when - m_samples.back().time < m_bucket)
        m_samples.back().bytes += bytes;
    else
        m_samples.push_back(Sample{when, bytes});
    DropOld(when);
}

void RateMeter::DropOld(Clock::time_point now)
{
    while (!m_samples.empty() && m_samples.front().time <= now - m_window)
        m_samples.pop_front();
}

double RateMeter::BytesPerSecond(Clock::time_point now) const
{
    std::uint64_t bytes = 0;
    for (const Sample& sample : m_samples)
        if (sample.time > now - m_window)
            bytes += sample.bytes;
    if (bytes == 0)
        return 0.0;
    const Clock::duration minimum = std::chrono::milliseconds(500);
    const Clock::duration span = std::max(std::min(m_window, now - m_start), minimum);
    return static_cast<double>(bytes) / std::chrono::duration<double>(span).count();
}

double RateMeter::Eta(std::uint64_t remaining, Clock::time_point now) const
{
    if (remaining == 0)
        return 0.0;
    const double rate = BytesPerSecond(now);
    if (rate <= 0.0)
        return -1.0;
    return static_cast<double>(remaining) / rate;
}

std::pair<std::string, std::string> FormatSizes(std::uint64_t size, std::uint64_t limit)
{
    std::string a = FormatSize(size);
    std::string b = FormatSize(limit);
    if (a == b && size != limit)
        return {std::to_string(size) + " bytes", std::to_string(limit) + " bytes"};
    return {a, b};
}

std::optional<std::uint64_t> ParseSize(const std::string& text)
{
    std::size_t i = 0;
    while (i < text.size() && text[i] == ' ')
        ++i;
    const std::size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.'))
        ++i;
    if (i == start)
        return std::nullopt; // no number (a sign, or nothing)
    double value = 0.0;
    try
    {
        value = std::stod(text.substr(start, i - start));
    }
    catch (const std::exception&)
    {
        return std::nullopt;
    }
    std::string unit;
    for (; i < text.size(); ++i)
        if (text[i] != ' ')
            unit += static_cast<char>(text[i] >= 'A' && text[i] <= 'Z' ? text[i] - 'A' + 'a' : text[i]);
    static const std::pair<const char*, int> units[] = {
        {"", 0},   {"b", 0},    {"k", 1},   {"kb", 1},  {"kib", 1}, {"m", 2},  {"mb", 2},
        {"mib", 2}, {"g", 3},   {"gb", 3},  {"gib", 3}, {"t", 4},   {"tb", 4}, {"tib", 4},
    };
    for (const auto& [name, power] : units)
        if (unit == name)
        {
            const double bytes = value * std::pow(1024.0, power);
            if (bytes >= 1.8e19)
                return std::nullopt;
            return static_cast<std::uint64_t>(bytes + 0.5);
        }
    return std::nullopt;
}

} // namespace obrol::engine

#include "engine/clock.hpp"

#include <chrono>
#include <ctime>

namespace obrol::engine {

std::int64_t NowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

static std::tm ToLocalTm(std::int64_t utcMs)
{
    std::time_t seconds = static_cast<std::time_t>(utcMs / 1000);
    std::tm tm{};
#ifdef _WIN32
    localtime_s(&tm, &seconds);
#else
    localtime_r(&seconds, &tm);
#endif
    return tm;
}

std::string FormatLocal(std::int64_t utcMs, const char* format)
{
    std::tm tm = ToLocalTm(utcMs);
    char buffer[128];
    std::size_t n = std::strftime(buffer, sizeof buffer, format, &tm);
    return std::string(buffer, n);
}

std::int64_t LocalDayNumber(std::int64_t utcMs)
{
    std::tm tm = ToLocalTm(utcMs);
    // days_from_civil (Howard Hinnant): exact for the proleptic Gregorian calendar
    int y = tm.tm_year + 1900;
    unsigned m = static_cast<unsigned>(tm.tm_mon + 1);
    unsigned d = static_cast<unsigned>(tm.tm_mday);
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

} // namespace obrol::engine

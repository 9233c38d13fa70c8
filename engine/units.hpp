// Human-readable sizes, rates and durations for file transfers ("1.5 MiB", "12.3 MiB/s",
// "1 min 05 s"), and a transfer-rate meter. The functions are pure (any thread); a RateMeter
// belongs to one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace obrol::engine {

// Binary units: "0 B", "999 B", "1023 B", "1.0 KiB", "1.5 MiB", "99.9 MiB", "240 KiB", "1.0 GiB".
// One decimal below 100, none from 100 up.
std::string FormatSize(std::uint64_t bytes);

// "X is <size>; ... up to <limit>": both sizes, in exact bytes when rounding would make them look equal.
std::pair<std::string, std::string> FormatSizes(std::uint64_t size, std::uint64_t limit);

// "1.5GiB", "500MiB", "10M", "2048": bytes (K/M/G/T are binary, with or without "iB"/"B",
// any case). nullopt for anything else, negative numbers included.
std::optional<std::uint64_t> ParseSize(const std::string& text);

// FormatSize of the rounded rate plus "/s": "12.3 MiB/s". "--" when negative, NaN or infinite.
std::string FormatRate(double bytesPerSecond);

// Rounded to whole seconds: "0 s", "59 s", "1 min 05 s", "2 h 10 min", "3 d 04 h"; "--" when
// unknown (negative, NaN or infinite); longer than 99 days: "> 99 d".
std::string FormatDuration(double seconds);

// Transfer rate over a sliding window (3 s by default): the bytes added inside the window divided
// by the window, or by the time since Start when that is shorter (but at least half a second, so
// the first chunk does not read as an absurd spike). A stalled transfer's rate falls to 0 within
// one window. Keeps about 10 samples per second of window whatever the chunk size.
class RateMeter
{
public:
    using Clock = std::chrono::steady_clock;

    explicit RateMeter(Clock::time_point start = Clock::now(), Clock::duration window = std::chrono::seconds(3));

    // Forgets everything; the transfer (re)starts at `start`.
    void Start(Clock::time_point start);
    void Add(std::uint64_t bytes, Clock::time_point when = Clock::now());

    double BytesPerSecond(Clock::time_point now = Clock::now()) const;
    // Seconds until `remaining` more bytes are in at the current rate; 0 when nothing remains,
    // negative when unknown (no rate yet, or stalled).
    double Eta(std::uint64_t remaining, Clock::time_point now = Clock::now()) const;

    std::uint64_t Total() const { return m_total; }
    std::size_t SampleCount() const { return m_samples.size(); } // memory held, for tests

private:
    struct Sample
    {
        Clock::time_point time;
        std::uint64_t bytes = 0;
    };

    void DropOld(Clock::time_point now);

    Clock::time_point m_start;
    Clock::duration m_window;
    Clock::duration m_bucket;     // chunks closer together than this share a sample
    std::deque<Sample> m_samples; // oldest first
    std::uint64_t m_total = 0;
};

} // namespace obrol::engine

// Unit tests for engine/units: sizes, rates and durations as the user reads them, and the
// transfer-rate meter (sliding window, stalls, ETA).
#include "engine/units.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>

using namespace obrol::engine;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = 1024 * KiB;
const RateMeter::Clock::time_point T0 = RateMeter::Clock::time_point{} + 1000s;

} // namespace

TEST_SUITE("unit")
{
    TEST_CASE("FormatSize: bytes below 1 KiB are whole bytes")
    {
        CHECK(FormatSize(0) == "0 B");
        CHECK(FormatSize(1) == "1 B");
        CHECK(FormatSize(999) == "999 B");
        CHECK(FormatSize(1023) == "1023 B");
    }

    TEST_CASE("FormatSize: binary units with one decimal below 100")
    {
        CHECK(FormatSize(1024) == "1.0 KiB");
        CHECK(FormatSize(1536) == "1.5 KiB");
        CHECK(FormatSize(10 * KiB + 512) == "10.5 KiB");
        CHECK(FormatSize(99 * KiB) == "99.0 KiB");
        CHECK(FormatSize(240 * KiB) == "240 KiB");
        CHECK(FormatSize(1536 * KiB) == "1.5 MiB");
        CHECK(FormatSize(std::uint64_t(3) << 30) == "3.0 GiB");
        CHECK(FormatSize(std::uint64_t(5) << 40) == "5.0 TiB");
    }

    TEST_CASE("FormatSize: rounding never shows 100.0 or 1024 of a unit")
    {
        CHECK(FormatSize(102348) == "99.9 KiB"); // 99.949 KiB
        CHECK(FormatSize(102350) == "100 KiB");  // 99.951 KiB: "%.1f" would say "100.0"
        CHECK(FormatSize(1023 * KiB) == "1023 KiB");
        CHECK(FormatSize(MiB - 100) == "1.0 MiB"); // 1023.9 KiB
        CHECK(FormatSize(MiB) == "1.0 MiB");
        CHECK(FormatSize(std::numeric_limits<std::uint64_t>::max()) == "16.0 EiB");
    }

    TEST_CASE("FormatRate: a size per second, and -- when unknown")
    {
        CHECK(FormatRate(0) == "0 B/s");
        CHECK(FormatRate(500.4) == "500 B/s");
        CHECK(FormatRate(12.3 * 1024 * 1024) == "12.3 MiB/s");
        CHECK(FormatRate(240.0 * 1024) == "240 KiB/s");
        CHECK(FormatRate(-1) == "--");
        CHECK(FormatRate(std::numeric_limits<double>::infinity()) == "--");
        CHECK(FormatRate(std::nan("")) == "--");
        CHECK(FormatRate(1e30) == "16.0 EiB/s"); // absurd but finite: clamped, no overflow
    }

    TEST_CASE("FormatDuration: seconds, minutes, hours and days")
    {
        CHECK(FormatDuration(0) == "0 s");
        CHECK(FormatDuration(0.4) == "0 s");
        CHECK(FormatDuration(3) == "3 s");
        CHECK(FormatDuration(59.4) == "59 s");
        CHECK(FormatDuration(59.6) == "1 min 00 s");
        CHECK(FormatDuration(65) == "1 min 05 s");
        CHECK(FormatDuration(3599) == "59 min 59 s");
        CHECK(FormatDuration(3600) == "1 h 00 min");
        CHECK(FormatDuration(2 * 3600 + 10 * 60 + 40) == "2 h 10 min");
        CHECK(FormatDuration(3 * 86400 + 4 * 3600 + 59) == "3 d 04 h");
        CHECK(FormatDuration(1e9) == "> 99 d");
    }

    TEST_CASE("FormatDuration: unknown durations show --")
    {
        CHECK(FormatDuration(-1) == "--");
        CHECK(FormatDuration(-0.001) == "--");
        CHECK(FormatDuration(std::numeric_limits<double>::infinity()) == "--");
        CHECK(FormatDuration(std::nan("")) == "--");
    }

    TEST_CASE("RateMeter: a steady stream reads as its rate")
    {
        RateMeter meter(T0);
        // 1 MiB/s in 64 KiB chunks for 10 s
        auto t = T0;
        for (int i = 0; i < 160; ++i)
        {
            t += 62500us;
            meter.Add(64 * KiB, t);
        }
        CHECK(meter.Total() == 160 * (64 * KiB));
        CHECK(meter.BytesPerSecond(t) == doctest::Approx(1024.0 * 1024).epsilon(0.05));
        CHECK(meter.Eta(5 * MiB, t) == doctest::Approx(5.0).epsilon(0.05));
        CHECK(FormatRate(meter.BytesPerSecond(t)) == "1.0 MiB/s");
    }

    TEST_CASE("RateMeter: follows a change of speed within the window, not the whole history")
    {
        RateMeter meter(T0);
        auto t = T0;
        for (int i = 0; i < 100; ++i) // 10 s at 1 MB/s
        {
            t += 100ms;
            meter.Add(100'000, t);
        }
        for (int i = 0; i < 50; ++i) // then 5 s at 100 kB/s
        {
            t += 100ms;
            meter.Add(10'000, t);
        }
        CHECK(meter.BytesPerSecond(t) == doctest::Approx(100'000.0).epsilon(0.05));
    }

    TEST_CASE("RateMeter: a stalled transfer falls to 0 and its ETA becomes unknown")
    {
        RateMeter meter(T0);
        meter.Add(1'000'000, T0 + 1s);
        meter.Add(1'000'000, T0 + 2s);
        CHECK(meter.BytesPerSecond(T0 + 2s) == doctest::Approx(1'000'000.0));
        CHECK(meter.Eta(1'000'000, T0 + 2s) == doctest::Approx(1.0));
        CHECK(meter.BytesPerSecond(T0 + 6s) == 0.0);
        CHECK(meter.Eta(1'000'000, T0 + 6s) < 0);
        CHECK(FormatDuration(meter.Eta(1'000'000, T0 + 6s)) == "--");
        CHECK(meter.Eta(0, T0 + 6s) == 0.0); // nothing left: done, not unknown
    }

    TEST_CASE("RateMeter: nothing yet means no rate; the first chunk is not a spike")
    {
        RateMeter meter(T0);
        CHECK(meter.BytesPerSecond(T0) == 0.0);
        CHECK(meter.Eta(100, T0) < 0);
        meter.Add(64 * KiB, T0 + 1ms);
        // 64 KiB after 1 ms does not read as 64 MiB/s: it is spread over at least half a second
        CHECK(meter.BytesPerSecond(T0 + 1ms) == doctest::Approx(128.0 * 1024));
    }

    TEST_CASE("RateMeter: Start forgets the previous transfer")
    {
        RateMeter meter(T0);
        meter.Add(5'000'000, T0 + 1s);
        meter.Start(T0 + 2s);
        CHECK(meter.Total() == 0);
        CHECK(meter.BytesPerSecond(T0 + 2s) == 0.0);
        meter.Add(500'000, T0 + 3s);
        CHECK(meter.BytesPerSecond(T0 + 3s) == doctest::Approx(500'000.0));
    }

    TEST_CASE("RateMeter: memory stays bounded however small the chunks")
    {
        RateMeter meter(T0);
        auto t = T0;
        for (int i = 0; i < 100'000; ++i) // 1 byte every 100 us for 10 s
        {
            t += 100us;
            meter.Add(1, t);
        }
        CHECK(meter.Total() == 100'000);
        CHECK(meter.BytesPerSecond(t) == doctest::Approx(10'000.0).epsilon(0.05));
        CHECK(meter.SampleCount() <= 32);
    }
}

TEST_CASE("sizes on the command line: binary units, decimals, and no negative numbers")
{
    using obrol::engine::ParseSize;
    CHECK(ParseSize("0") == std::uint64_t{0});
    CHECK(ParseSize("2048") == std::uint64_t{2048});
    CHECK(ParseSize("1KiB") == std::uint64_t{1024});
    CHECK(ParseSize("10MiB") == std::uint64_t{10} << 20);
    CHECK(ParseSize("10mb") == std::uint64_t{10} << 20);
    CHECK(ParseSize("1G") == std::uint64_t{1} << 30);
    CHECK(ParseSize("1.5GiB") == std::uint64_t{3} << 29);
    CHECK(ParseSize("2 TiB") == std::uint64_t{2} << 40);
    CHECK_FALSE(ParseSize("-5"));
    CHECK_FALSE(ParseSize(""));
    CHECK_FALSE(ParseSize("GiB"));
    CHECK_FALSE(ParseSize("1.5x"));
    CHECK_FALSE(ParseSize("99999999999TiB"));
    CHECK(obrol::engine::FormatSizes(1048577, 1048576) ==
          std::pair<std::string, std::string>{"1048577 bytes", "1048576 bytes"});
    CHECK(obrol::engine::FormatSizes(3u << 20, 1u << 20) == std::pair<std::string, std::string>{"3.0 MiB", "1.0 MiB"});
}

// Wall-clock helpers: server timestamps are UTC milliseconds; the UI shows local time.
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>

namespace obrol::engine {

std::int64_t NowMs();

// Local-time formatting of a UTC millisecond timestamp, strftime-style format.
std::string FormatLocal(std::int64_t utcMs, const char* format);
inline std::string LocalTimeHM(std::int64_t utcMs) { return FormatLocal(utcMs, "%H:%M"); }
inline std::string LocalDateTime(std::int64_t utcMs) { return FormatLocal(utcMs, "%Y-%m-%d %H:%M:%S"); }
inline std::string LocalDateLong(std::int64_t utcMs) { return FormatLocal(utcMs, "%A, %d %B %Y"); }

// Days since 1970-01-01 in local time: equal for two timestamps on the same local day.
std::int64_t LocalDayNumber(std::int64_t utcMs);

} // namespace obrol::engine

// Process-wide settings. Main thread, at start-up.
#pragma once

#include <cstddef>

namespace obrol::engine {

// Raises the soft limit on open files to the hard limit (a server holds one socket per
// client; many systems default to 1024). Returns the limit now in force (0: unknown).
std::size_t RaiseOpenFileLimit();

// Resident memory of this process in bytes (0 where unknown).
std::size_t ResidentBytes();

} // namespace obrol::engine

// The IPv4 addresses other devices can use to reach this machine (for "how to join" hints).
#pragma once

#include <string>
#include <vector>

namespace obrol::net {

std::vector<std::string> LocalAddresses(); // non-loopback IPv4 first; never empty ("127.0.0.1" last resort)

} // namespace obrol::net

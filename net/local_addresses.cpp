#include "net/local_addresses.hpp"

#include <asio.hpp>

#if !defined(_WIN32)
#include <ifaddrs.h>
#include <netinet/in.h>
#endif

namespace obrol::net {

std::vector<std::string> LocalAddresses()
{
    std::vector<std::string> out;
#if !defined(_WIN32)
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0)
    {
        for (ifaddrs* it = list; it; it = it->ifa_next)
        {
            if (!it->ifa_addr || it->ifa_addr->sa_family != AF_INET)
                continue;
            const auto* in = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
            const auto address = asio::ip::address_v4(ntohl(in->sin_addr.s_addr));
            if (!address.is_loopback())
                out.push_back(address.to_string());
        }
        freeifaddrs(list);
    }
#else
    try
    {
        asio::io_context io;
        asio::ip::tcp::resolver resolver(io);
        for (const auto& entry : resolver.resolve(asio::ip::host_name(), ""))
        {
            const auto address = entry.endpoint().address();
            if (address.is_v4() && !address.is_loopback())
                out.push_back(address.to_string());
        }
    }
    catch (const std::exception&)
    {
    }
#endif
    if (out.empty())
        out.push_back("127.0.0.1");
    return out;
}

} // namespace obrol::net

#include "contract/doors.hpp"

#include <algorithm>

namespace obrol::test::contract {

void Barrier(World& world, const std::vector<User*>& users)
{
    static int counter = 0;
    const std::string marker = "barrier " + std::to_string(++counter);
    world.Announce(marker);
    for (User* user : users)
        REQUIRE(user->WaitFor([&](const std::vector<net::Chat>& live) { return Has(live, net::ChatKind::Announce, "", marker); }));
}

bool Has(const std::vector<net::Chat>& records, net::ChatKind kind, const std::string& from, const std::string& text)
{
    return std::any_of(records.begin(), records.end(), [&](const net::Chat& c) {
        return c.kind == kind && c.from == from && (text.empty() || c.text == text);
    });
}

} // namespace obrol::test::contract

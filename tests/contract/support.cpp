#include "contract/doors.hpp"

#include <algorithm>
#include <random>

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

ScratchDir::ScratchDir()
{
    std::random_device device;
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100 && m_path.empty(); ++attempt)
    {
        const auto candidate = base / ("obrol-contract-" + std::to_string(device()) + std::to_string(device()));
        if (std::filesystem::create_directory(candidate))
            m_path = candidate;
    }
    REQUIRE(!m_path.empty());
}

ScratchDir::~ScratchDir()
{
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

} // namespace obrol::test::contract

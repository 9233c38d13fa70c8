// A full disk: what could not be stored is neither delivered nor acknowledged, the sender is
// told, the operator is told, and everything stored before stays.
#include "harness.hpp"

#include <doctest/doctest.h>

using namespace obrol;
using namespace obrol::test;
using net::ServerEvent;

TEST_SUITE("integration")
{
    TEST_CASE("when the archive is full a message is refused with StorageFailed and nobody receives it")
    {
        TempDir tmp;
        Harness h;
        net::ServerConfig config;
        config.dataDir = tmp.Path() / "data";
        config.archiveMaxPages = 40; // a few pages over the empty schema: room for a handful of messages
        auto& server = h.StartServer(config);
        auto& ana = h.Join("ana");
        auto& ben = h.Join("ben");

        ana.Say("", "small enough to fit");
        h.WaitUntil([&] { return ben.Chats(net::ChatKind::Public).size() == 1; }, "the first message arrives");

        // Big messages until one no longer fits.
        const std::string big(15 * 1024, 'x');
        std::uint64_t refused = 0;
        std::string refusedText;
        for (int i = 0; i < 40 && refused == 0; ++i)
        {
            refusedText = big + std::to_string(i);
            const std::uint64_t id = ana.Say("", refusedText);
            h.WaitUntil([&] {
                const ui::Line* line = ana.OwnLine(id);
                return line && !line->pending;
            }, "the big message is answered");
            if (ana.OwnLine(id)->failed)
                refused = id;
        }
        REQUIRE_MESSAGE(refused != 0, "the archive never filled up");
        const ui::Line* line = ana.OwnLine(refused);
        CHECK(line->failure.find("could not store") != std::string::npos);
        CHECK(line->id == 0); // never acknowledged

        const auto storedBefore = ben.Chats(net::ChatKind::Public).size();
        h.PumpFor(std::chrono::milliseconds(200));
        CHECK(ben.Chats(net::ChatKind::Public).size() == storedBefore); // the refused one never reached ben
        for (const auto& chat : ben.Chats(net::ChatKind::Public))
            CHECK(chat.text != refusedText);

        // the operator sees it too
        CHECK(server.Count(ServerEvent::Kind::StorageError) >= 1);
    }
}

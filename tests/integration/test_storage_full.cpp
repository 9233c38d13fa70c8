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

namespace {

std::size_t PublicLines(obrol::test::TestClient& c)
{
    return c.EveryoneLines(obrol::ui::LineKind::Public).size();
}

} // namespace

TEST_SUITE("integration")
{
    TEST_CASE("history of big messages arrives in frames that fit and what was missed comes in parts")
    {
        TempDir tmp;
        Harness h;
        net::ServerConfig config;
        config.dataDir = tmp.Path() / "data";
        h.StartServer(config);
        auto& writer = h.Join("writer");
        auto& away = h.Join("away");

        // 16 KiB each: the newest 100 are ~1.6 MiB, more than one frame may carry
        const std::string big(16 * 1024 - 16, 'q');
        const auto sendBatch = [&](int from, int count) {
            std::uint64_t last = 0;
            for (int i = from; i < from + count; ++i)
                last = writer.Say("", std::to_string(i) + ":" + big);
            h.WaitUntil([&] { return writer.model.PendingCount() == 0; }, "the batch is acknowledged");
            return last;
        };
        sendBatch(0, 120);
        h.WaitUntil([&] { return PublicLines(away) == 120; }, "the absentee had the first 120 live");

        // a newcomer's join history is cut to fit, and the connection stays up
        auto& newcomer = h.Join("newcomer");
        h.WaitUntil([&] { return PublicLines(newcomer) > 0; }, "the newcomer's history arrives");
        CHECK(newcomer.Connected());
        CHECK(PublicLines(newcomer) < 100); // not all 100 fit one frame
        CHECK(newcomer.model.Everyone().hasMore);
        CHECK(newcomer.EventsOf(net::ClientEvent::Kind::Ended).empty());

        // A client that was away since message 0 resumes: everything after arrives in parts,
        // each part one frame, continued by Resume until `more` is 0 (a raw peer shows the frames).
        RawPeer peer(h.Server().port);
        std::vector<net::Message> first = peer.Login("away2", engine::Identity::Generate(), 42, 1);
        std::vector<net::Chat> got;
        int parts = 0;
        for (bool more = true; more;)
        {
            std::optional<net::Message> m;
            if (!first.empty())
            {
                m = first.back(); // the first part ends the handshake
                first.clear();
            }
            else
                do
                    m = peer.Next();
                while (m && !std::holds_alternative<net::History>(*m));
            REQUIRE_MESSAGE(m, "a History part arrives");
            const auto& part = std::get<net::History>(*m);
            REQUIRE(part.reason == net::HistoryReason::Resume);
            CHECK(net::Encode(part).size() <= net::MaxFramePayload);
            got.insert(got.end(), part.chats.begin(), part.chats.end());
            ++parts;
            more = part.more;
            if (more)
                peer.Send(net::Resume{42, part.chats.back().id});
        }
        CHECK(parts >= 2);
        std::vector<std::string> texts;
        for (const auto& c : got)
            if (c.kind == net::ChatKind::Public)
                texts.push_back(c.text.substr(0, c.text.find(':')));
        REQUIRE(texts.size() == 120);
        for (std::size_t i = 0; i < texts.size(); ++i)
            CHECK(texts[i] == std::to_string(i));
        for (std::size_t i = 1; i < got.size(); ++i)
            CHECK(got[i - 1].id < got[i].id); // in order, no overlap between parts
    }
}

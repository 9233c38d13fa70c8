// Integration tests for everything that goes wrong: peers that stop reading or go silent,
// malformed frames, the server stopping and starting again, nobody listening. Misbehaving
// peers are raw TCP sockets driven by hand; the well-behaved ones are real net::Clients.
#include "harness.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace obrol;
using namespace obrol::test;
using net::ChatKind;
using net::ClientEvent;
using net::ServerEvent;

namespace {

// Sends `bytes` on a fresh raw connection and expects one Error frame with `code`, then the
// server closing the connection. Frames before the error (a Welcome, say) are skipped.
// `loginAs` empty: the bytes come first on a new connection; otherwise after joining as that nick.
void ExpectErrorThenClose(Harness& h, const std::string& loginAs, const std::vector<std::uint8_t>& bytes,
                          net::ErrorCode code)
{
    RawPeer peer(h.Server().port);
    if (!loginAs.empty())
        REQUIRE(First<net::Welcome>(peer.Login(loginAs)));
    peer.Write(bytes);
    const auto messages = peer.ReadUntilClosed();
    REQUIRE_MESSAGE(peer.Closed(), "the server did not close the connection");
    std::string described;
    for (const auto& m : messages)
        described += Describe(m) + "; ";
    CAPTURE(described);
    const auto error = std::find_if(messages.begin(), messages.end(),
                                    [](const net::Message& m) { return std::holds_alternative<net::Error>(m); });
    REQUIRE(error != messages.end());
    CHECK(std::get<net::Error>(*error).code == code);
    CHECK(Contains(std::get<net::Error>(*error).text, "malformed frame"));
    CHECK(error == messages.end() - 1); // nothing after the error: the connection closes
}

std::vector<std::uint8_t> Header(std::uint32_t length, std::uint8_t type)
{
    return {static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
            static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length), type};
}

std::string Numbered(int i, const std::string& filler)
{
    std::string text = "#" + std::to_string(100000 + i).substr(1) + " ";
    return text + filler;
}

} // namespace

TEST_SUITE("integration")
{
    TEST_CASE("a client that stops reading is cut off while the others keep chatting")
    {
        Harness h;
        net::ServerConfig config;
        config.limits.maxQueuedBytes = 64 * 1024;
        auto& server = h.StartServer(config);
        auto& sender = h.Join("sender");
        auto& bea = h.Join("bea");
        auto& cid = h.Join("cid");

        RawPeer sloth(server.port, 4096); // a small receive window, and it never reads
        REQUIRE(First<net::Welcome>(sloth.Login("sloth")));
        h.WaitUntil([&] { return server.HasJoined("sloth"); }, "sloth to join");

        // The sender writes 8 KiB messages a few at a time, like a busy chat, and waits for
        // their acks. It must not burst: the server fans out everything one read (up to 64 KiB)
        // holds before any write completes, so a burst overruns even healthy readers' budgets.
        const std::string filler(8 * 1024, 'x');
        int sent = 0;
        const auto sendWindow = [&] {
            for (int i = 0; i < 4; ++i)
                sender.Say("", Numbered(sent++, filler));
            h.WaitUntil([&] { return sender.model.PendingCount() == 0; }, "the sender's messages to be acked");
        };
        // Until the server gives up on sloth. The kernel buffers megabytes on loopback first,
        // so the number needed varies; the cap is far above it.
        constexpr int MaxMessages = 4000;
        while (!server.LeftEvent("sloth") && sent < MaxMessages)
            sendWindow();
        REQUIRE_MESSAGE(server.LeftEvent("sloth") != nullptr, "sloth was not cut off after " << sent << " messages");
        MESSAGE("sloth was cut off after " << sent << " messages of 8 KiB");

        const ServerEvent* left = server.LeftEvent("sloth");
        CHECK(Contains(left->text, "cut off"));
        CHECK(Contains(left->text, "stopped reading"));
        CHECK(server.Row("sloth") == nullptr);
        const auto leftLog = std::find_if(server.model.Log().begin(), server.model.Log().end(), [](const ui::LogLine& l) {
            return l.kind == ui::LogKind::Leave && Contains(l.text, "sloth");
        });
        REQUIRE(leftLog != server.model.Log().end());
        CHECK(Contains(leftLog->text, "cut off"));

        // The others keep chatting after the cut-off.
        for (int i = 0; i < 5; ++i)
            sendWindow();
        h.WaitUntil(
            [&] {
                return bea.EveryoneLines(ui::LineKind::Public).size() == static_cast<std::size_t>(sent) &&
                       cid.EveryoneLines(ui::LineKind::Public).size() == static_cast<std::size_t>(sent) &&
                       sender.model.PendingCount() == 0;
            },
            "bea and cid to receive all " + std::to_string(sent) + " messages");

        // Every message, in order, under the id the sender was acked with.
        std::vector<ui::Line> own;
        for (const auto& line : sender.model.Everyone().lines)
            if (line.own)
                own.push_back(line);
        REQUIRE(own.size() == static_cast<std::size_t>(sent));
        for (TestClient* c : {&bea, &cid})
        {
            CAPTURE(c->label);
            const auto lines = c->EveryoneLines(ui::LineKind::Public);
            int mismatches = 0;
            for (int i = 0; i < sent; ++i)
            {
                const auto at = static_cast<std::size_t>(i);
                if (lines[at].text != Numbered(i, filler) || lines[at].id != own[at].id || lines[at].from != "sender")
                    ++mismatches;
            }
            CHECK(mismatches == 0);
            CHECK(c->Connected());
            const auto leaves = c->Chats(ChatKind::Leave);
            REQUIRE(leaves.size() == 1);
            CHECK(leaves[0].from == "sloth");
        }
        CHECK(server.Row("sender")->messages == static_cast<std::uint64_t>(sent));
    }

    TEST_CASE("stopping the server ends every client, and it starts again on the same port")
    {
        Harness h;
        auto& server = h.StartServer();
        auto& ana = h.Join("ana");
        auto& ben = h.Join("ben");
        const std::uint16_t port = server.port;

        server.model.StopRequested();
        server.server.Stop("maintenance");
        h.WaitUntil([&] { return ana.Ended() && ben.Ended() && server.Count(ServerEvent::Kind::Stopped) == 1; },
                    "both clients to end and the server to stop");
        for (TestClient* c : {&ana, &ben})
        {
            CHECK(c->Ended()->reason == net::EndReason::ServerStopped);
            CHECK(Contains(c->Ended()->text, "maintenance"));
            CHECK(c->model.State() == ui::ConnectionState::Disconnected);
            CHECK(c->model.Users().empty());
        }
        CHECK_FALSE(server.server.Running());
        CHECK(server.model.State() == ui::ServerState::Stopped);
        CHECK(server.model.Clients().empty());
        CHECK(server.seen.back().kind == ServerEvent::Kind::Stopped);
        CHECK(server.seen.back().text == "maintenance");

        // Nobody listens any more.
        auto& early = h.AddClient("early");
        early.Connect(port, "early");
        h.WaitUntil([&] { return early.Ended() != nullptr; }, "a connect to the stopped server to fail");
        CHECK(early.Ended()->reason == net::EndReason::ConnectFailed);

        h.RestartServer();
        REQUIRE(server.Count(ServerEvent::Kind::Started) == 2);
        CHECK(server.port == port);
        CHECK(server.model.State() == ui::ServerState::Running);

        // The same Client objects join again.
        ana.Connect(port, "ana");
        h.WaitUntil([&] { return ana.Connected() || ana.Ended(); }, "ana to join the restarted server");
        REQUIRE(ana.Connected());
        CHECK(ana.EventsOf(ClientEvent::Kind::Connected)[0].welcome.users == std::vector<std::string>{"ana"});
        ben.Connect(port, "ben");
        h.WaitUntil([&] { return ben.Connected() || ben.Ended(); }, "ben to join the restarted server");
        REQUIRE(ben.Connected());
        SayAndWait(h, ana, {&ben}, "back again");
        h.WaitUntil([&] { return server.model.Clients().size() == 2; }, "the server table to list both again");
    }

    TEST_CASE("a silent connection times out while a live client stays connected")
    {
        Harness h;
        net::ServerConfig config;
        config.limits.heartbeat = 200ms;
        config.limits.idleTimeout = 800ms;
        auto& server = h.StartServer(config);
        // The same short limits on the client side: it pings the server and answers its pings.
        auto& live = h.Join("live", config.limits);

        const auto before = std::chrono::steady_clock::now();
        RawPeer mute(server.port);
        REQUIRE(First<net::Welcome>(mute.Login("mute")));
        h.WaitUntil([&] { return server.LeftEvent("mute") != nullptr; }, "the silent connection to time out");
        const auto elapsed = std::chrono::steady_clock::now() - before;
        CHECK(elapsed >= config.limits.idleTimeout);
        CHECK(server.HasJoined("mute"));
        CHECK(Contains(server.LeftEvent("mute")->text, "timed out"));
        h.WaitUntil([&] { return !live.Chats(ChatKind::Leave).empty(); }, "live to see mute leave");
        CHECK(Contains(live.Chats(ChatKind::Leave)[0].text, "timed out"));

        // It was pinged and never answered; then the server closed the connection.
        const auto messages = mute.ReadUntilClosed(2s);
        CHECK(mute.Closed());
        CHECK(std::any_of(messages.begin(), messages.end(),
                          [](const net::Message& m) { return std::holds_alternative<net::Ping>(m); }));

        // The live client outlasts several idle periods, then still chats.
        const bool ended = h.PumpFor(3 * config.limits.idleTimeout, [&] { return live.Ended() != nullptr; });
        CHECK_FALSE(ended);
        CHECK(live.Connected());
        CHECK(server.LeftEvent("live") == nullptr);
        const std::uint64_t clientMsgId = live.Say("", "still here");
        h.WaitUntil([&] { return live.model.PendingCount() == 0; }, "live's message to be acked");
        REQUIRE(live.OwnLine(clientMsgId) != nullptr);
        CHECK_FALSE(live.OwnLine(clientMsgId)->failed);
        CHECK(live.OwnLine(clientMsgId)->id != 0);
    }

    TEST_CASE("an oversize frame header gets FrameTooLarge and the connection closes")
    {
        Harness h;
        auto& server = h.StartServer();
        auto& ana = h.Join("ana");
        auto& ben = h.Join("ben");

        ExpectErrorThenClose(h, "", Header(0xFFFFFFFFu, static_cast<std::uint8_t>(net::FrameType::Say)),
                             net::ErrorCode::FrameTooLarge);

        h.WaitUntil([&] { return Contains(server.model.Log().back().text, "malformed frame"); },
                    "the server to log the malformed frame");
        SayAndWait(h, ana, {&ben}, "unaffected");
        CHECK(ana.Chats(ChatKind::Join).size() + ana.Chats(ChatKind::Leave).size() == 1); // only ben's join
    }

    TEST_CASE("an unknown frame type gets BadFrame and the connection closes")
    {
        Harness h;
        auto& server = h.StartServer();
        auto& ana = h.Join("ana");
        auto& ben = h.Join("ben");

        SUBCASE("before the handshake")
        {
            ExpectErrorThenClose(h, "", Header(0, 0x7F), net::ErrorCode::BadFrame);
            h.WaitUntil([&] { return Contains(server.model.Log().back().text, "malformed frame"); },
                        "the server to log the malformed frame");
        }
        SUBCASE("after joining: the others see it leave")
        {
            ExpectErrorThenClose(h, "rogue", Header(0, 0x7F),
                                 net::ErrorCode::BadFrame);
            h.WaitUntil([&] { return server.LeftEvent("rogue") != nullptr && ana.Chats(ChatKind::Leave).size() == 1; },
                        "rogue to leave");
            CHECK(Contains(server.LeftEvent("rogue")->text, "protocol error"));
            CHECK(ana.Chats(ChatKind::Leave)[0].from == "rogue");
        }
        SayAndWait(h, ana, {&ben}, "unaffected");
        SayAndWait(h, ben, {&ana}, "still fine");
    }

    TEST_CASE("a Hello with an invalid UTF-8 nickname gets BadFrame and the connection closes")
    {
        Harness h;
        auto& server = h.StartServer();
        auto& ana = h.Join("ana");
        auto& ben = h.Join("ben");

        ExpectErrorThenClose(h, "", net::Encode(net::Hello{net::ProtocolVersion, "bad\xC3\x28nick", "raw socket"}),
                             net::ErrorCode::BadFrame);
        h.WaitUntil([&] { return Contains(server.model.Log().back().text, "malformed frame"); },
                    "the server to log the malformed frame");
        CHECK(server.Count(ServerEvent::Kind::ClientJoined) == 2);
        SayAndWait(h, ana, {&ben}, "unaffected");
        CHECK(server.model.Clients().size() == 2);
    }

    TEST_CASE("connecting to a port nobody listens on ends with ConnectFailed saying refused")
    {
        Harness h;
        auto& lonely = h.AddClient("lonely");
        lonely.Connect(ClosedPort(), "lonely");
        h.WaitUntil([&] { return lonely.Ended() != nullptr; }, "the connection attempt to fail");
        CHECK(lonely.Ended()->reason == net::EndReason::ConnectFailed);
        CHECK(Contains(lonely.Ended()->text, "refused"));
        CHECK(lonely.EventsOf(ClientEvent::Kind::Connected).empty());
        CHECK(lonely.model.State() == ui::ConnectionState::Disconnected);
        CHECK(lonely.model.LastEnd() == net::EndReason::ConnectFailed);
        CHECK(Contains(lonely.model.StateText(), "refused"));
    }
}

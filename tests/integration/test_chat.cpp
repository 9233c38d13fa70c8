// Integration tests for the conversation itself: a real server and real clients on loopback,
// their events applied to the real UI models. Public, private and server messages, the
// handshake's nickname rules, join/leave bookkeeping and kicking.
#include "harness.hpp"

#include "engine/clock.hpp"

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

std::vector<std::string> Sorted(std::vector<std::string> names)
{
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

TEST_SUITE("integration")
{
    TEST_CASE("a public message reaches every other client with one server id and time, and the sender gets an ack")
    {
        Harness h;
        auto& server = h.StartServer();
        auto& ana = h.Join("ana");
        auto& ben = h.Join("ben");
        auto& cai = h.Join("cai");

        const std::int64_t before = engine::NowMs();
        const std::uint64_t clientMsgId = ana.Say("", "hello everyone");
        REQUIRE(clientMsgId != 0);
        {
            const ui::Line* own = ana.OwnLine(clientMsgId);
            REQUIRE(own != nullptr);
            CHECK(own->pending);
            CHECK(own->id == 0);
        }

        h.WaitUntil([&] { return ben.Chats(ChatKind::Public).size() == 1 && cai.Chats(ChatKind::Public).size() == 1 &&
                                 ana.model.PendingCount() == 0; },
                    "ben and cai to receive the message and ana to get the ack");
        const std::int64_t after = engine::NowMs();

        const net::Chat atBen = ben.Chats(ChatKind::Public).front();
        const net::Chat atCai = cai.Chats(ChatKind::Public).front();
        CHECK(atBen.from == "ana");
        CHECK(atBen.text == "hello everyone");
        CHECK(atBen.to.IsEveryone());
        CHECK(atBen.id != 0);
        CHECK(atBen.id == atCai.id);
        CHECK(atBen.timeMs == atCai.timeMs);
        CHECK(atBen.timeMs >= before);
        CHECK(atBen.timeMs <= after);

        // The sender does not get its own message back, only the ack with the same id and time.
        CHECK(ana.Chats(ChatKind::Public).empty());
        const auto acks = ana.EventsOf(ClientEvent::Kind::Ack);
        REQUIRE(acks.size() == 1);
        CHECK(acks[0].ack.clientMsgId == clientMsgId);
        CHECK(acks[0].ack.id == atBen.id);
        CHECK(acks[0].ack.timeMs == atBen.timeMs);

        const ui::Line* own = ana.OwnLine(clientMsgId);
        REQUIRE(own != nullptr);
        CHECK_FALSE(own->pending);
        CHECK_FALSE(own->failed);
        CHECK(own->id == atBen.id);
        CHECK(own->timeMs == atBen.timeMs);

        for (TestClient* c : {&ben, &cai})
        {
            const auto lines = c->EveryoneLines(ui::LineKind::Public);
            REQUIRE(lines.size() == 1);
            CHECK(lines[0].from == "ana");
            CHECK(lines[0].id == atBen.id);
            CHECK_FALSE(lines[0].own);
        }

        // The server saw the same message, under the same id, from ana's session.
        const auto isPublic = [](const ServerEvent& e) {
            return e.kind == ServerEvent::Kind::Chat && e.chat.kind == ChatKind::Public;
        };
        h.WaitUntil([&] { return std::any_of(server.seen.begin(), server.seen.end(), isPublic); },
                    "the server's chat event");
        const auto chatEvent = std::find_if(server.seen.begin(), server.seen.end(), isPublic);
        CHECK(chatEvent->chat.id == atBen.id);
        CHECK(chatEvent->sessionId == server.Row("ana")->sessionId);
        CHECK(server.model.Log().back().text == "ana: hello everyone");
    }

    TEST_CASE("a private message reaches only the named user, whose name matches case-insensitively")
    {
        Harness h;
        h.StartServer();
        auto& ana = h.Join("ana");
        auto& ben = h.Join("Ben");
        auto& cai = h.Join("cai");

        const std::uint64_t clientMsgId = ana.Say("bEN", "just between us");
        h.WaitUntil([&] { return ben.Chats(ChatKind::Private).size() == 1 && ana.model.PendingCount() == 0; },
                    "Ben to receive the private message and ana to get the ack");

        const net::Chat chat = ben.Chats(ChatKind::Private).front();
        CHECK(chat.from == "ana");
        CHECK(chat.to == net::Target::Person("Ben")); // the nickname as registered, not as typed
        CHECK(chat.text == "just between us");

        // Ben's model files it under a conversation with ana; ana's under the name she typed.
        ui::Conversation* atBen = ben.model.Find("ana");
        REQUIRE(atBen != nullptr);
        REQUIRE(atBen->lines.size() == 1);
        CHECK(atBen->lines[0].kind == ui::LineKind::Private);
        CHECK(atBen->lines[0].id == chat.id);
        CHECK(ben.EveryoneLines(ui::LineKind::Public).empty());

        const auto acks = ana.EventsOf(ClientEvent::Kind::Ack);
        REQUIRE(acks.size() == 1);
        CHECK(acks[0].ack.clientMsgId == clientMsgId);
        CHECK(acks[0].ack.id == chat.id);
        ui::Conversation* atAna = ana.model.Find("ben");
        REQUIRE(atAna != nullptr);
        const ui::Line* own = ana.OwnLine(clientMsgId);
        REQUIRE(own != nullptr);
        CHECK(own == &atAna->lines.back());
        CHECK_FALSE(own->pending);
        CHECK(own->id == chat.id);

        SayAndWait(h, ana, {&ben, &cai}, "marker");
        CHECK(cai.Chats(ChatKind::Private).empty());
        CHECK(cai.model.Find("ana") == nullptr);
        CHECK(cai.model.Find("Ben") == nullptr);
        CHECK(cai.EventsOf(ClientEvent::Kind::Error).empty());
    }

    TEST_CASE("a private message to an unknown user fails for the sender only")
    {
        Harness h;
        h.StartServer();
        auto& ana = h.Join("ana");
        auto& ben = h.Join("ben");
        auto& cai = h.Join("cai");

        const std::uint64_t clientMsgId = ana.Say("nobody", "are you there?");
        h.WaitUntil([&] { return !ana.EventsOf(ClientEvent::Kind::Error).empty(); }, "ana to get an error");

        const auto errors = ana.EventsOf(ClientEvent::Kind::Error);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].error.code == net::ErrorCode::UnknownUser);
        CHECK(errors[0].error.clientMsgId == clientMsgId);
        CHECK(Contains(errors[0].error.text, "nobody"));
        CHECK(ana.EventsOf(ClientEvent::Kind::Ack).empty());
        CHECK(ana.model.PendingCount() == 0);

        ui::Conversation* conversation = ana.model.Find("nobody");
        REQUIRE(conversation != nullptr);
        const ui::Line* own = ana.OwnLine(clientMsgId);
        REQUIRE(own != nullptr);
        CHECK(own == &conversation->lines.back());
        const ui::Line& line = *own;
        CHECK(line.failed);
        CHECK_FALSE(line.pending);
        CHECK(line.id == 0);
        CHECK(Contains(line.failure, "nobody"));

        SayAndWait(h, ana, {&ben, &cai}, "marker");
        for (TestClient* c : {&ben, &cai})
        {
            CHECK(c->EventsOf(ClientEvent::Kind::Error).empty());
            CHECK(c->Chats(ChatKind::Private).empty());
        }
        CHECK(ana.Connected()); // an unknown recipient is not a reason to disconnect
    }

    TEST_CASE("an announcement from the server reaches everyone")
    {
        Harness h;
        auto& server = h.StartServer();
        auto& ana = h.Join("ana");
        auto& ben = h.Join("ben");
        auto& cai = h.Join("cai");

        server.server.Announce("maintenance at noon");
        h.WaitUntil(
            [&] {
                return ana.Chats(ChatKind::Announce).size() == 1 && ben.Chats(ChatKind::Announce).size() == 1 &&
                       cai.Chats(ChatKind::Announce).size() == 1;
            },
            "everyone to receive the announcement");

        const net::Chat first = ana.Chats(ChatKind::Announce).front();
        CHECK(first.text == "maintenance at noon");
        CHECK(first.from.empty());
        for (TestClient* c : {&ana, &ben, &cai})
        {
            const net::Chat chat = c->Chats(ChatKind::Announce).front();
            CHECK(chat.id == first.id);
            CHECK(chat.timeMs == first.timeMs);
            const auto lines = c->EveryoneLines(ui::LineKind::Announce);
            REQUIRE(lines.size() == 1);
            CHECK(lines[0].text == "maintenance at noon");
        }
        h.WaitUntil([&] { return server.model.Log().back().kind == ui::LogKind::Announce; },
                    "the server to log the announcement");
        CHECK(server.model.Log().back().kind == ui::LogKind::Announce);
        CHECK(Contains(server.model.Log().back().text, "maintenance at noon"));
    }

    TEST_CASE("a taken nickname is refused case-insensitively, the others are untouched, and a retry succeeds")
    {
        Harness h;
        auto& server = h.StartServer();
        auto& ana = h.Join("Ana");
        auto& ben = h.Join("ben");
        const std::size_t anaJoinLeave = ana.Chats(ChatKind::Join).size() + ana.Chats(ChatKind::Leave).size();
        const std::size_t benJoinLeave = ben.Chats(ChatKind::Join).size() + ben.Chats(ChatKind::Leave).size();

        auto& dup = h.AddClient("dup");
        dup.Connect(server.port, "ana");
        h.WaitUntil([&] { return dup.Ended() != nullptr; }, "the duplicate nickname to be refused");
        const ClientEvent ended = *dup.Ended();
        CHECK(ended.reason == net::EndReason::Refused);
        CHECK(ended.refuse == net::RefuseCode::NickTaken);
        CHECK(Contains(ended.text, "taken"));
        CHECK(dup.EventsOf(ClientEvent::Kind::Connected).empty());
        CHECK(dup.model.State() == ui::ConnectionState::Disconnected);
        CHECK(dup.model.LastEnd() == net::EndReason::Refused);
        CHECK(dup.model.LastRefuse() == net::RefuseCode::NickTaken);

        h.WaitUntil([&] { return server.Count(ServerEvent::Kind::Refused) == 1; }, "the server to report the refusal");
        CHECK(server.Count(ServerEvent::Kind::ClientJoined) == 2);
        CHECK(server.Count(ServerEvent::Kind::ClientLeft) == 0);
        CHECK(server.model.Clients().size() == 2);

        // The others noticed nothing and keep chatting.
        SayAndWait(h, ana, {&ben}, "still here");
        SayAndWait(h, ben, {&ana}, "me too");
        CHECK(ana.Chats(ChatKind::Join).size() + ana.Chats(ChatKind::Leave).size() == anaJoinLeave);
        CHECK(ben.Chats(ChatKind::Join).size() + ben.Chats(ChatKind::Leave).size() == benJoinLeave);
        CHECK(Sorted(ana.model.Users()) == Sorted({"Ana", "ben"}));
        CHECK(ana.Connected());
        CHECK(ben.Connected());

        // Same Client object, another nickname.
        dup.Connect(server.port, "dora");
        h.WaitUntil([&] { return dup.Connected() || dup.Ended(); }, "the retry to connect");
        REQUIRE(dup.Connected());
        CHECK(dup.model.Nick() == "dora");
        CHECK(Sorted(dup.model.Users()) == Sorted({"Ana", "ben", "dora"}));
        h.WaitUntil([&] { return ana.model.Users().size() == 3 && ben.model.Users().size() == 3; },
                    "ana and ben to see dora join");
        SayAndWait(h, dup, {&ana, &ben}, "hi, I am dora");
    }

    TEST_CASE("nicknames with spaces or longer than 32 characters are refused as invalid")
    {
        Harness h;
        auto& server = h.StartServer();
        auto& ana = h.Join("ana");
        auto& c = h.AddClient("candidate");

        for (const std::string& nick : {std::string("has space"), std::string(33, 'n')})
        {
            CAPTURE(nick);
            c.Connect(server.port, nick);
            h.WaitUntil([&] { return c.Ended() != nullptr; }, "the invalid nickname to be refused");
            CHECK(c.Ended()->reason == net::EndReason::Refused);
            CHECK(c.Ended()->refuse == net::RefuseCode::NickInvalid);
            CHECK(c.model.LastRefuse() == net::RefuseCode::NickInvalid);
        }

        // 32 characters is the longest nickname that is accepted.
        const std::string longest(32, 'n');
        c.Connect(server.port, longest);
        h.WaitUntil([&] { return c.Connected() || c.Ended(); }, "the 32-character nickname to join");
        CHECK(c.Connected());
        h.WaitUntil([&] { return ana.model.Users().size() == 2; }, "ana to see the new user");
        CHECK(server.Count(ServerEvent::Kind::Refused) == 2);
    }

    TEST_CASE("joins and leaves update the user lists and the server's client table")
    {
        Harness h;
        auto& server = h.StartServer();

        auto& ana = h.Join("ana");
        REQUIRE(ana.EventsOf(ClientEvent::Kind::Connected).size() == 1);
        CHECK(ana.EventsOf(ClientEvent::Kind::Connected)[0].welcome.users == std::vector<std::string>{"ana"});
        CHECK(ana.model.Users() == std::vector<std::string>{"ana"});
        REQUIRE(server.model.Clients().size() == 1);
        CHECK(server.model.Clients()[0].nick == "ana");
        CHECK(Contains(server.model.Clients()[0].address, "127.0.0.1:"));
        CHECK(Contains(server.model.Clients()[0].software, "obrol"));

        auto& ben = h.Join("Ben");
        CHECK(Sorted(ben.EventsOf(ClientEvent::Kind::Connected)[0].welcome.users) == Sorted({"ana", "Ben"}));
        h.WaitUntil([&] { return ana.model.Users().size() == 2; }, "ana to see Ben join");
        CHECK(ana.model.Users() == std::vector<std::string>{"ana", "Ben"}); // sorted case-insensitively
        CHECK(ana.EveryoneLines(ui::LineKind::Join).size() == 1);

        auto& cai = h.Join("cai");
        h.WaitUntil([&] { return ana.model.Users().size() == 3 && ben.model.Users().size() == 3; },
                    "ana and Ben to see cai join");
        CHECK(cai.model.Users() == std::vector<std::string>{"ana", "Ben", "cai"});
        CHECK(server.model.Clients().size() == 3);

        // The messages-sent counter of a row counts public and private messages.
        ana.Say("", "one");
        ana.Say("", "two");
        ana.Say("cai", "three");
        h.WaitUntil([&] { return server.Row("ana") && server.Row("ana")->messages == 3; },
                    "ana's row to count three messages");
        CHECK(server.Row("Ben")->messages == 0);
        CHECK(server.Row("cai")->messages == 0);

        ben.client.Disconnect();
        h.WaitUntil([&] { return ben.Ended() != nullptr; }, "Ben to end");
        CHECK(ben.Ended()->reason == net::EndReason::Quit);
        h.WaitUntil([&] { return ana.model.Users().size() == 2 && cai.model.Users().size() == 2; },
                    "ana and cai to see Ben leave");
        CHECK(ana.model.Users() == std::vector<std::string>{"ana", "cai"});
        const auto leaves = ana.Chats(ChatKind::Leave);
        REQUIRE(leaves.size() == 1);
        CHECK(leaves[0].from == "Ben");
        CHECK(ana.EveryoneLines(ui::LineKind::Leave).size() == 1);

        h.WaitUntil([&] { return server.model.Clients().size() == 2; }, "the server table to drop Ben");
        CHECK(server.Row("Ben") == nullptr);
        REQUIRE(server.LeftEvent("Ben") != nullptr);
        CHECK(Contains(server.LeftEvent("Ben")->text, "quit"));
        CHECK(server.model.Log().back().kind == ui::LogKind::Leave);
    }

    TEST_CASE("a kicked client ends with Kicked and the others see it leave")
    {
        Harness h;
        auto& server = h.StartServer();
        auto& ana = h.Join("ana");
        auto& ben = h.Join("ben");
        auto& cai = h.Join("cai");

        server.server.Kick("BEN");
        h.WaitUntil([&] { return ben.Ended() != nullptr; }, "ben to be kicked");
        CHECK(ben.Ended()->reason == net::EndReason::Kicked);
        CHECK(Contains(ben.Ended()->text, "removed by the server"));
        CHECK(ben.model.LastEnd() == net::EndReason::Kicked);

        h.WaitUntil([&] { return !ana.Chats(ChatKind::Leave).empty() && !cai.Chats(ChatKind::Leave).empty(); },
                    "ana and cai to see ben leave");
        for (TestClient* c : {&ana, &cai})
        {
            const net::Chat leave = c->Chats(ChatKind::Leave).front();
            CHECK(leave.from == "ben");
            CHECK(Contains(leave.text, "kicked"));
            CHECK(c->model.Users() == std::vector<std::string>{"ana", "cai"});
        }
        h.WaitUntil([&] { return server.Row("ben") == nullptr; }, "the server table to drop ben");
        CHECK(Contains(server.LeftEvent("ben")->text, "kicked"));
        SayAndWait(h, ana, {&cai}, "after the kick");

        // Kicking someone who is not online changes nothing but the log.
        server.server.Kick("nobody");
        h.WaitUntil([&] { return Contains(server.model.Log().back().text, "nobody"); }, "the server to log the miss");
        CHECK(server.model.Clients().size() == 2);
    }
}

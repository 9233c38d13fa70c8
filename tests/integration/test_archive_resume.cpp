// Integration tests for the archive and resuming: real servers (in-process, and the real
// program as a child process killed with SIGKILL) with real SQLite data folders in fresh temp
// folders, real clients that reconnect by themselves. Durable before acknowledged, resume after
// a cut or a restart, history paging, offline private delivery, search visibility, idempotent
// resends and data folder errors.
#include "harness.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace obrol;
using namespace obrol::test;
using net::ChatKind;
using net::ClientEvent;
using net::ServerEvent;

namespace {

// One public message as everyone should see it.
struct Entry
{
    std::uint64_t id = 0;
    std::string from;
    std::string text;
    bool operator==(const Entry&) const = default;
};

std::string Show(const Entry& e)
{
    return "(" + std::to_string(e.id) + ", " + e.from + ", \"" + e.text + "\")";
}

// Empty when equal, else where the two sequences first differ.
std::string Difference(const std::vector<Entry>& a, const std::vector<Entry>& b)
{
    const std::size_t common = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < common; ++i)
        if (!(a[i] == b[i]))
            return "first difference at " + std::to_string(i) + ": " + Show(a[i]) + " vs " + Show(b[i]);
    if (a.size() != b.size())
        return "sizes " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + "; next: " +
               (a.size() > b.size() ? Show(a[common]) : Show(b[common]));
    return {};
}

// The Public lines of a client's Everyone conversation, in the order shown.
std::vector<Entry> PublicEntries(TestClient& c)
{
    std::vector<Entry> out;
    for (const ui::Line& line : c.model.Everyone().lines)
        if (line.kind == ui::LineKind::Public)
            out.push_back({line.id, line.from, line.text});
    return out;
}

std::vector<Entry> PublicEntries(const std::vector<engine::StoredMessage>& archive)
{
    std::vector<Entry> out;
    for (const auto& m : archive)
        if (m.kind == static_cast<std::uint8_t>(engine::StoredKind::Public))
            out.push_back({m.id, m.from, m.text});
    return out;
}

std::size_t PublicCount(TestClient& c)
{
    return static_cast<std::size_t>(std::count_if(c.model.Everyone().lines.begin(), c.model.Everyone().lines.end(),
                                                  [](const ui::Line& l) { return l.kind == ui::LineKind::Public; }));
}

// Nothing pending or failed anywhere; the Everyone conversation's server lines in strictly
// increasing id order (so no duplicates).
void CheckSettled(TestClient& c)
{
    CAPTURE(c.label);
    CHECK(c.model.PendingCount() == 0);
    for (const auto& conversation : c.model.Conversations())
        for (const ui::Line& line : conversation->lines)
        {
            CHECK_MESSAGE(!line.pending, "pending: " << line.text);
            CHECK_MESSAGE(!line.failed, "failed: " << line.text << " (" << line.failure << ")");
        }
    std::uint64_t previous = 0;
    for (const ui::Line& line : c.model.Everyone().lines)
    {
        if (line.kind != ui::LineKind::Public)
            continue;
        CHECK_MESSAGE(line.id > previous, "line " << line.id << " \"" << line.text << "\" after " << previous);
        previous = line.id;
    }
}

std::size_t CountEvents(TestClient& c, ClientEvent::Kind kind)
{
    return c.EventsOf(kind).size();
}

// The next frame of type T from a raw peer, skipping others; nullopt on close or timeout.
template <class T> std::optional<T> NextOf(RawPeer& peer, std::vector<net::Message>* skipped = nullptr)
{
    while (auto message = peer.Next())
    {
        if (auto* wanted = std::get_if<T>(&*message))
            return *wanted;
        if (skipped)
            skipped->push_back(std::move(*message));
    }
    return std::nullopt;
}

std::vector<std::string> Texts(const std::vector<net::Chat>& chats)
{
    std::vector<std::string> texts;
    for (const auto& c : chats)
        texts.push_back(c.text);
    return texts;
}

// The latest SearchResults of a client (sent through the model, as the UI does).
std::vector<std::string> SearchAs(Harness& h, TestClient& c, const std::string& query)
{
    const std::uint64_t token = c.client.Search(query);
    c.model.SearchSent(token, query);
    h.WaitUntil([&] { return !c.model.SearchPending(); }, c.label + "'s search for \"" + query + "\"");
    return Texts(c.model.SearchResults());
}

std::string Numbered(const std::string& prefix, int i)
{
    return prefix + "-#" + std::to_string(i);
}

} // namespace

TEST_SUITE("integration")
{
#if !defined(_WIN32)
    TEST_CASE("messages acknowledged before the server process is killed with SIGKILL are stored exactly once and every client ends with all of them in order")
    {
        TempDir tmp;
        const auto data = tmp.Path() / "data";
        const std::uint16_t port = ClosedPort();
        ServerProcess server(OBROL_BINARY, port, data);
        Harness h;

        int runs = 0;
        const auto startServer = [&] {
            server.Start(tmp.Path() / ("server-" + std::to_string(++runs) + ".log"));
            if (!h.PumpFor(DefaultTimeout, [&] { return server.Listening(); }))
                FAIL("the server process did not start; its output:\n" << server.Log());
        };
        startServer();

        constexpr int ClientCount = 3;
        constexpr int Kills = 4;
        constexpr int Steady = 30;    // per client and round: sent, then some acks awaited
        constexpr int Burst = 50;     // per client and round: sent at full speed right before the kill
        constexpr int WhileDown = 10; // per client and round: sent while the server is gone
        std::vector<TestClient*> clients;
        for (int k = 0; k < ClientCount; ++k)
        {
            auto& c = h.AddClient("c" + std::to_string(k + 1));
            c.Connect(port, c.label, {}, Reconnect::Yes);
            clients.push_back(&c);
        }
        const auto all = [&](const std::function<bool(TestClient&)>& pred) {
            return std::all_of(clients.begin(), clients.end(), [&](TestClient* c) { return pred(*c); });
        };
        h.WaitUntil([&] { return all([](TestClient& c) { return c.Connected(); }); },
                    "every client to join the server process");

        // clientMsgId -> text, per client; texts are unique: "c2-#17"
        std::vector<std::map<std::uint64_t, std::string>> sent(ClientCount);
        int next = 0;
        const auto sendRound = [&](int count) {
            for (int i = 0; i < count; ++i, ++next)
                for (int k = 0; k < ClientCount; ++k)
                {
                    const std::string text = Numbered(clients[k]->label, next);
                    const std::uint64_t id = clients[k]->Say("", text);
                    REQUIRE(id != 0);
                    sent[k][id] = text;
                }
        };
        const auto totalAcks = [&] {
            std::size_t n = 0;
            for (TestClient* c : clients)
                n += CountEvents(*c, ClientEvent::Kind::Ack);
            return n;
        };
        const auto totalSent = [&] {
            std::size_t n = 0;
            for (const auto& s : sent)
                n += s.size();
            return n;
        };

        std::string atKills; // for the report: acknowledged of sent, at each kill
        for (int kill = 1; kill <= Kills; ++kill)
        {
            CAPTURE(kill);
            const std::size_t acksBefore = totalAcks();
            sendRound(Steady);
            h.WaitUntil([&] { return totalAcks() >= acksBefore + Steady; }, "some acks from the running server");
            // a burst, and the server dies while storing and acknowledging it
            sendRound(Burst);
            server.Kill();
            h.Pump();
            atKills += " " + std::to_string(totalAcks()) + "/" + std::to_string(totalSent());

            h.WaitUntil([&] { return all([](TestClient& c) { return c.model.State() == ui::ConnectionState::Reconnecting; }); },
                        "every client to notice the server is gone and start reconnecting");
            sendRound(WhileDown);
            startServer();
            h.WaitUntil([&] { return all([](TestClient& c) { return c.Connected(); }); },
                        "every client to reconnect by itself");
        }

        const std::size_t total = totalSent();
        h.WaitUntil(
            [&] {
                return all([&](TestClient& c) {
                    return c.Connected() && c.model.PendingCount() == 0 && PublicCount(c) >= total;
                });
            },
            "every client to get every message acknowledged and see everyone's", 30s);
        MESSAGE("acknowledged/sent at each SIGKILL:" << atKills);

        for (TestClient* c : clients)
            CheckSettled(*c);

        const int status = server.Terminate();
        CHECK_MESSAGE(status == 0, "the server process exited with " << status << "; its output:\n" << server.Log());
        const auto archive = ReadArchive(data);

        // The archive: ids strictly increasing, every text once.
        for (std::size_t i = 1; i < archive.size(); ++i)
            REQUIRE_MESSAGE(archive[i - 1].id < archive[i].id, "archive ids out of order at " << i);
        const std::vector<Entry> stored = PublicEntries(archive);
        std::map<std::string, std::vector<std::uint64_t>> idsOfText;
        for (const Entry& e : stored)
            idsOfText[e.text].push_back(e.id);
        std::size_t duplicated = 0;
        for (const auto& [text, ids] : idsOfText)
            if (ids.size() != 1)
            {
                if (++duplicated <= 5)
                    MESSAGE("\"" << text << "\" is stored " << ids.size() << " times");
            }
        CHECK(duplicated == 0);
        CHECK(idsOfText.size() == total);

        // Every acknowledged message is in the archive, once, under the id of its ack, from its sender;
        // and each sender's messages are stored in the order they were sent.
        for (int k = 0; k < ClientCount; ++k)
        {
            TestClient& c = *clients[k];
            CAPTURE(c.label);
            std::size_t missing = 0;
            std::set<std::uint64_t> acked;
            for (const ClientEvent& e : c.EventsOf(ClientEvent::Kind::Ack))
            {
                const auto text = sent[k].find(e.ack.clientMsgId);
                REQUIRE(text != sent[k].end());
                CHECK_MESSAGE(acked.insert(e.ack.clientMsgId).second, "two acks for " << text->second);
                const auto where = idsOfText.find(text->second);
                if (where == idsOfText.end())
                {
                    ++missing;
                    MESSAGE("acknowledged but not stored: " << text->second);
                    continue;
                }
                CHECK(where->second.front() == e.ack.id);
            }
            CHECK(missing == 0);
            CHECK(acked.size() == sent[k].size());

            int previous = -1;
            for (const Entry& e : stored)
                if (e.from == c.label)
                {
                    const int index = std::stoi(e.text.substr(e.text.find('#') + 1));
                    CHECK_MESSAGE(index > previous, e.text << " stored after #" << previous);
                    previous = index;
                }
        }

        // Every client shows exactly what the archive holds, in id order.
        for (TestClient* c : clients)
        {
            CAPTURE(c->label);
            const std::string difference = Difference(PublicEntries(*c), stored);
            CHECK_MESSAGE(difference.empty(), difference);
        }
    }
#endif

    TEST_CASE("a client whose connection is cut reconnects by itself and ends up with the same conversation as the others, also across a server restart")
    {
        TempDir tmp;
        Harness h;
        net::ServerConfig config;
        config.dataDir = tmp.Path() / "data";
        auto& server = h.StartServer(config);
        const std::uint16_t port = server.port;
        auto& ana = h.Join("ana", Reconnect::Yes);
        auto& ben = h.Join("ben", Reconnect::Yes);

        std::size_t expected = 0;
        const auto settled = [&] {
            return ana.Connected() && ben.Connected() && ana.model.PendingCount() == 0 &&
                   ben.model.PendingCount() == 0 && PublicCount(ana) >= expected && PublicCount(ben) >= expected;
        };
        const auto checkSame = [&] {
            CheckSettled(ana);
            CheckSettled(ben);
            CHECK(PublicCount(ana) == expected);
            const std::string difference = Difference(PublicEntries(ana), PublicEntries(ben));
            CHECK_MESSAGE(difference.empty(), difference);
        };

        for (int i = 0; i < 20; ++i)
        {
            ana.Say("", Numbered("ana", i));
            ben.Say("", Numbered("ben", i));
        }
        expected += 40;
        h.WaitUntil(settled, "the first messages to be delivered and acknowledged");

        // Ana's connection drops mid-conversation; ben keeps talking, and so does ana (queued).
        ana.client.DropConnection();
        for (int i = 0; i < 5; ++i)
            ana.Say("", Numbered("ana-cut", i));
        for (int i = 0; i < 50; ++i)
            ben.Say("", Numbered("ben-cut", i));
        expected += 55;
        h.WaitUntil([&] { return CountEvents(ana, ClientEvent::Kind::Reconnecting) >= 1 && settled(); },
                    "ana to reconnect and both to catch up");
        CHECK(CountEvents(ana, ClientEvent::Kind::Connected) >= 2);
        CHECK(CountEvents(ben, ClientEvent::Kind::Reconnecting) == 0);
        CHECK(ana.Ended() == nullptr);
        checkSame();

        // The server restarts with the same data folder and port; both clients come back by themselves.
        std::uint64_t lastBefore = 0;
        for (const ui::Line& line : ben.model.Everyone().lines)
            lastBefore = std::max(lastBefore, line.id);
        h.StopServer();
        h.WaitUntil([&] { return ana.model.State() == ui::ConnectionState::Reconnecting &&
                                 ben.model.State() == ui::ConnectionState::Reconnecting; },
                    "both clients to start reconnecting");
        for (int i = 0; i < 5; ++i)
            ben.Say("", Numbered("ben-down", i));
        for (int i = 0; i < 3; ++i)
            ana.Say("", Numbered("ana-down", i));
        expected += 8;
        h.RestartServer();
        REQUIRE(server.Count(ServerEvent::Kind::Started) == 2);
        CHECK(server.port == port);
        h.WaitUntil(settled, "both clients to reconnect to the restarted server and catch up");
        for (int i = 0; i < 10; ++i)
            ana.Say("", Numbered("ana-after", i));
        expected += 10;
        h.WaitUntil(settled, "the messages after the restart to arrive");
        checkSame();
        CHECK(ana.Ended() == nullptr);
        CHECK(ben.Ended() == nullptr);

        std::size_t newer = 0;
        for (const Entry& e : PublicEntries(ben))
            if (Contains(e.text, "-down-") || Contains(e.text, "-after-"))
            {
                CHECK_MESSAGE(e.id > lastBefore, e.text << " got id " << e.id << ", not above " << lastBefore);
                ++newer;
            }
        CHECK(newer == 18);
    }

    TEST_CASE("a newcomer gets the latest messages on joining and pages back through all older ones without gaps or overlaps")
    {
        TempDir tmp;
        Harness h;
        net::ServerConfig config;
        config.dataDir = tmp.Path() / "data";
        config.historyLimit = 100;
        h.StartServer(config);
        auto& writer = h.Join("writer");
        constexpr int Messages = 250;
        for (int i = 0; i < Messages; ++i)
            writer.Say("", Numbered("page", 1000 + i)); // sorts like its number
        h.WaitUntil([&] { return writer.model.PendingCount() == 0; }, "all 250 messages to be acknowledged");
        for (const auto& e : writer.EventsOf(ClientEvent::Kind::Error))
            FAIL("error: " << e.error.text);

        auto& reader = h.Join("reader");
        h.WaitUntil([&] { return CountEvents(reader, ClientEvent::Kind::History) == 1; }, "the reader's join history");
        const net::History joined = reader.EventsOf(ClientEvent::Kind::History)[0].history;
        CHECK(joined.reason == net::HistoryReason::Join);
        REQUIRE(joined.chats.size() == config.historyLimit);
        CHECK(joined.more);
        CHECK(reader.model.Everyone().hasMore);
        CHECK(reader.model.Everyone().unread == 0); // what came before joining is not unread
        // the newest records: the last public messages; the reader's own join (the newest
        // record) is left out, its "You joined" notice says it, so it takes no slot
        CHECK(joined.chats.back().text == Numbered("page", 1000 + Messages - 1));
        for (const auto& chat : joined.chats)
            CHECK_FALSE((chat.kind == ChatKind::Join && chat.from == "reader"));

        // Every record in this test is in the Everyone conversation: ids run 1, 2, 3, ... with no gaps.
        const std::uint64_t newest = joined.chats.back().id; // the reader's join is newest + 1
        for (std::size_t i = 0; i < joined.chats.size(); ++i)
            CHECK(joined.chats[i].id == newest - joined.chats.size() + 1 + i);

        int pages = 0;
        while (reader.model.Everyone().hasMore)
        {
            REQUIRE(++pages <= 5);
            const std::uint64_t oldest = reader.model.Everyone().OldestId();
            const std::size_t before = CountEvents(reader, ClientEvent::Kind::History);
            reader.client.RequestHistory(net::Target::Everyone(), oldest, 100);
            h.WaitUntil([&] { return CountEvents(reader, ClientEvent::Kind::History) > before; },
                        "page " + std::to_string(pages));
            const net::History page = reader.EventsOf(ClientEvent::Kind::History).back().history;
            CAPTURE(pages);
            CHECK(page.reason == net::HistoryReason::Page);
            CHECK(page.conversation.IsEveryone());
            REQUIRE_FALSE(page.chats.empty());
            // right before the oldest one shown, contiguous, ascending
            CHECK(page.chats.back().id == oldest - 1);
            for (std::size_t i = 1; i < page.chats.size(); ++i)
                CHECK(page.chats[i].id == page.chats[i - 1].id + 1);
            CHECK(page.more == (page.chats.front().id > 1));
            CHECK(reader.model.Everyone().OldestId() == page.chats.front().id);
        }
        CHECK(pages == 2); // 252 records: 100 on joining, then 100 and 52
        CHECK(reader.model.Everyone().OldestId() == 1);

        std::vector<std::uint64_t> ids;
        for (const ui::Line& line : reader.model.Everyone().lines)
            if (line.id != 0)
                ids.push_back(line.id);
        // every record but the reader's own join (its "You joined" notice says it)
        REQUIRE(ids.size() == newest);
        for (std::size_t i = 0; i < ids.size(); ++i)
            CHECK(ids[i] == i + 1);
        const auto lines = reader.EveryoneLines(ui::LineKind::Public);
        REQUIRE(lines.size() == Messages);
        for (int i = 0; i < Messages; ++i)
            CHECK(lines[static_cast<std::size_t>(i)].text == Numbered("page", 1000 + i));
        CHECK(reader.model.Everyone().unread == 0);
    }

    TEST_CASE("a private message to someone who left is acknowledged, stored and shown to them as unread when they come back")
    {
        TempDir tmp;
        Harness h;
        net::ServerConfig config;
        config.dataDir = tmp.Path() / "data";
        auto& server = h.StartServer(config);
        auto& alice = h.Join("alice");
        auto& bob = h.Join("bob");

        bob.client.Disconnect();
        h.WaitUntil([&] { return bob.Ended() && server.LeftEvent("bob") && alice.model.Users().size() == 1; },
                    "bob to leave");

        const std::uint64_t id = alice.Say("BOB", "see you tomorrow"); // any case finds him
        h.WaitUntil([&] { return alice.model.PendingCount() == 0; }, "alice's message to be acknowledged or refused");
        CHECK(alice.EventsOf(ClientEvent::Kind::Error).empty());
        REQUIRE(CountEvents(alice, ClientEvent::Kind::Ack) == 1);
        const std::uint64_t serverId = alice.EventsOf(ClientEvent::Kind::Ack)[0].ack.id;
        {
            const ui::Line* line = alice.OwnLine(id);
            REQUIRE(line != nullptr);
            CHECK_FALSE(line->failed);
            CHECK(line->id == serverId);
        }

        bob.Connect(server.port, "bob");
        h.WaitUntil([&] { return bob.Connected() && CountEvents(bob, ClientEvent::Kind::History) == 1; },
                    "bob to come back and get his history");
        CHECK(bob.Chats(ChatKind::Private).empty()); // it came with the history, not live
        ui::Conversation* withAlice = bob.model.Find("alice");
        REQUIRE(withAlice != nullptr);
        const auto index = withAlice->IndexOf(serverId);
        REQUIRE(index.has_value());
        const ui::Line& line = withAlice->lines[*index];
        CHECK(line.kind == ui::LineKind::Private);
        CHECK(line.from == "alice");
        CHECK(line.text == "see you tomorrow");
        CHECK_FALSE(line.own);
        CHECK(withAlice->unread == 1);
        CHECK(withAlice->firstUnread == index);
        CHECK(bob.model.TotalUnread() >= 1);

        // Someone who never joined: refused, nothing stored.
        const std::uint64_t lost = alice.Say("nobody", "hello?");
        h.WaitUntil([&] { return alice.model.PendingCount() == 0; }, "the message to nobody to be refused");
        const auto errors = alice.EventsOf(ClientEvent::Kind::Error);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].error.code == net::ErrorCode::UnknownUser);
        CHECK(errors[0].error.clientMsgId == lost);
        CHECK(Contains(errors[0].error.text, "nobody"));
        const ui::Line* failed = alice.OwnLine(lost);
        REQUIRE(failed != nullptr);
        CHECK(failed->failed);
    }

    TEST_CASE("search finds only what the searcher may see while the server's own search finds everything")
    {
        TempDir tmp;
        Harness h;
        net::ServerConfig config;
        config.dataDir = tmp.Path() / "data";
        auto& server = h.StartServer(config);
        auto& alice = h.Join("alice");
        auto& bob = h.Join("bob");
        auto& carol = h.Join("carol");

        alice.Say("carol", "secret pineapple");
        alice.Say("", "pineapple pizza");
        h.WaitUntil([&] { return alice.model.PendingCount() == 0 && carol.Chats(ChatKind::Public).size() == 1 &&
                                 carol.Chats(ChatKind::Private).size() == 1 && bob.Chats(ChatKind::Public).size() == 1; },
                    "both messages to arrive");
        CHECK(alice.EventsOf(ClientEvent::Kind::Error).empty());

        const std::vector<std::string> publicOnly{"pineapple pizza"};
        const std::vector<std::string> both{"pineapple pizza", "secret pineapple"}; // newest first
        CHECK(SearchAs(h, bob, "pineapple") == publicOnly);
        CHECK(SearchAs(h, bob, "secret").empty());
        CHECK(SearchAs(h, carol, "pineapple") == both);
        CHECK(SearchAs(h, alice, "pineapple") == both);
        CHECK(SearchAs(h, carol, "PINEAPPLE") == both);

        server.server.Search("pineapple");
        h.WaitUntil([&] { return server.Count(ServerEvent::Kind::SearchResults) == 1; }, "the server's search");
        const auto& results = std::find_if(server.seen.begin(), server.seen.end(), [](const ServerEvent& e) {
                                  return e.kind == ServerEvent::Kind::SearchResults;
                              })->results;
        CHECK(Texts(results) == both);
        REQUIRE(results.size() == 2);
        CHECK(results[1].kind == ChatKind::Private);
        CHECK(results[1].to == net::Target::Person("carol"));
    }

    TEST_CASE("a resent message with the same client id is acknowledged with the same server id and stored once")
    {
        TempDir tmp;
        Harness h;
        net::ServerConfig config;
        config.dataDir = tmp.Path() / "data";
        auto& server = h.StartServer(config);
        constexpr std::uint64_t Token = 0x5EED5EED;

        const auto identity = engine::Identity::Generate();
        RawPeer first(server.port);
        REQUIRE(First<net::Welcome>(first.Login("raw", identity, Token)));
        first.Send(net::Say{7, net::Target::Everyone(), "only once please", false});
        const auto ack = NextOf<net::Ack>(first);
        REQUIRE(ack);
        CHECK(ack->clientMsgId == 7);
        CHECK(ack->id != 0);

        // The same client on a new connection (its old one still open: the new one takes the
        // nickname over), resending the message whose ack it never saw.
        RawPeer second(server.port);
        std::vector<net::Message> skipped = second.Login("raw", identity, Token, ack->id - 1);
        REQUIRE(First<net::Welcome>(skipped));
        second.Send(net::Say{7, net::Target::Everyone(), "only once please", true});
        const auto again = NextOf<net::Ack>(second, &skipped);
        REQUIRE(again);
        CHECK(again->clientMsgId == 7);
        CHECK(again->id == ack->id);
        CHECK(again->timeMs == ack->timeMs);
        // the old connection was told it was replaced
        const auto bye = NextOf<net::Bye>(first);
        REQUIRE(bye);
        CHECK(Contains(bye->text, "replaced"));

        // A resend the server never stored is stored now, under a new id.
        second.Send(net::Say{8, net::Target::Everyone(), "this one was lost", true});
        const auto fresh = NextOf<net::Ack>(second, &skipped);
        REQUIRE(fresh);
        CHECK(fresh->clientMsgId == 8);
        CHECK(fresh->id > ack->id);
        // ...and resending that one again does not store it twice either.
        second.Send(net::Say{8, net::Target::Everyone(), "this one was lost", true});
        const auto freshAgain = NextOf<net::Ack>(second, &skipped);
        REQUIRE(freshAgain);
        CHECK(freshAgain->id == fresh->id);

        server.server.Search("once");
        server.server.Search("lost");
        h.WaitUntil([&] { return server.Count(ServerEvent::Kind::SearchResults) == 2; }, "the server's searches");
        for (const ServerEvent& e : server.seen)
            if (e.kind == ServerEvent::Kind::SearchResults)
            {
                CAPTURE(e.text);
                CHECK(e.results.size() == 1);
            }
    }

    TEST_CASE("a data folder that cannot be created fails the start with a message naming it")
    {
        TempDir tmp;
        const auto file = tmp.Path() / "not-a-folder";
        std::ofstream(file) << "a regular file\n";
        REQUIRE(std::filesystem::is_regular_file(file));

        for (const auto& dataDir : {file / "sub", file})
        {
            CAPTURE(dataDir.string());
            Harness h;
            net::ServerConfig config;
            config.dataDir = dataDir;
            auto& server = h.TryStartServer(config);
            CHECK(server.Count(ServerEvent::Kind::Started) == 0);
            REQUIRE(server.Count(ServerEvent::Kind::StartFailed) == 1);
            const auto failed = std::find_if(server.seen.begin(), server.seen.end(), [](const ServerEvent& e) {
                return e.kind == ServerEvent::Kind::StartFailed;
            });
            CHECK(Contains(failed->text, "data folder"));
            CHECK(Contains(failed->text, dataDir.string()));
            h.WaitUntil([&] { return !server.server.Running(); }, "the failed server to finish");
            CHECK(server.Count(ServerEvent::Kind::Stopped) == 0);
        }
        CHECK(std::filesystem::is_regular_file(file)); // left alone
    }
}

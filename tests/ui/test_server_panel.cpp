// UI tests for the server panel: a real ServerModel fed synthesized ServerEvents, a recorder
// in place of net::Server, and frames drawn in a bare ImGui context.
#include "ui_harness.hpp"

#include "net/server.hpp"
#include "ui/model/server_model.hpp"
#include "ui/panels/server_panel.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

using namespace obrol;
using namespace obrol::test;
using ui::ServerModel;
using ui::ServerPanel;
using ui::ServerState;

namespace {

class RecordingServerCommands : public ui::ServerCommands
{
public:
    void Start(const std::string& bind, std::uint16_t port) override { starts.emplace_back(bind, port); }
    void Stop() override { ++stops; }
    void Announce(const std::string& text) override { announcements.push_back(text); }
    void Kick(const std::string& nick) override { kicks.push_back(nick); }
    void Search(const std::string& query) override { searches.push_back(query); }
    void ReleaseNick(const std::string& nick) override { releases.push_back(nick); }

    std::vector<std::string> searches;
    std::vector<std::string> releases;
    std::vector<std::pair<std::string, std::uint16_t>> starts;
    int stops = 0;
    std::vector<std::string> announcements;
    std::vector<std::string> kicks;
};

net::ServerEvent Event(net::ServerEvent::Kind kind, std::int64_t timeMs = T0)
{
    net::ServerEvent e;
    e.kind = kind;
    e.timeMs = timeMs;
    return e;
}

net::ServerEvent Started(std::uint16_t port, const std::string& bind = "127.0.0.1")
{
    net::ServerEvent e = Event(net::ServerEvent::Kind::Started);
    e.port = port;
    e.text = bind;
    return e;
}

net::ServerEvent Joined(std::uint64_t sessionId, const std::string& nick)
{
    net::ServerEvent e = Event(net::ServerEvent::Kind::ClientJoined);
    e.sessionId = sessionId;
    e.nick = nick;
    e.address = "127.0.0.1:" + std::to_string(40000 + sessionId);
    e.text = "obrol test";
    return e;
}

net::ServerEvent Left(std::uint64_t sessionId, const std::string& nick)
{
    net::ServerEvent e = Event(net::ServerEvent::Kind::ClientLeft);
    e.sessionId = sessionId;
    e.nick = nick;
    e.text = "quit";
    return e;
}

net::ServerEvent ChatFrom(std::uint64_t sessionId, const std::string& from, const std::string& text,
                          std::int64_t timeMs, net::ChatKind kind = net::ChatKind::Public)
{
    net::ServerEvent e = Event(net::ServerEvent::Kind::Chat, timeMs);
    e.sessionId = sessionId;
    e.chat.kind = kind;
    e.chat.from = from;
    e.chat.text = text;
    e.chat.timeMs = timeMs;
    return e;
}

net::ServerEvent Rooms(std::vector<net::ServerRoom> rooms)
{
    net::ServerEvent e = Event(net::ServerEvent::Kind::Rooms);
    e.rooms = std::move(rooms);
    return e;
}

struct ServerFixture
{
    UiHarness ui;
    ServerModel model;
    RecordingServerCommands commands;
    ServerPanel panel{model, commands, "127.0.0.1", 55123};
    std::int64_t now = T0;

    void Frames(int n = 1)
    {
        ui.Frames(n, [this] { panel.Draw(now); });
    }
    void Run()
    {
        model.Apply(Started(55123));
        Frames(2);
    }
};

std::size_t LogLinesContaining(const ServerModel& model, const std::string& word)
{
    std::size_t n = 0;
    for (const auto& line : model.Log())
        if (line.text.find(word) != std::string::npos)
            ++n;
    return n;
}

void SetFilter(ImGuiTextFilter& filter, const char* text)
{
    std::snprintf(filter.InputBuf, sizeof filter.InputBuf, "%s", text);
    filter.Build();
}

} // namespace

TEST_SUITE("ui")
{
    TEST_CASE("Start while stopped asks the network side to listen and shows Starting")
    {
        ServerFixture f;
        f.Frames(2);
        CHECK(f.model.State() == ServerState::Stopped);

        f.panel.RequestStart();
        REQUIRE(f.commands.starts.size() == 1);
        CHECK(f.commands.starts[0].first == "127.0.0.1");
        CHECK(f.commands.starts[0].second == 55123);
        CHECK(f.model.State() == ServerState::Starting);
        f.Frames(1);

        f.panel.RequestStart(); // already starting: no second request
        CHECK(f.commands.starts.size() == 1);
    }

    TEST_CASE("a Started event shows the server running on the port it bound")
    {
        ServerFixture f;
        f.panel.RequestStart();
        f.model.Apply(Started(40404));
        f.Frames(2);
        CHECK(f.model.State() == ServerState::Running);
        CHECK(f.model.Port() == 40404);
        CHECK(f.model.Bind() == "127.0.0.1");
        CHECK(f.model.StateText().find("40404") != std::string::npos);
    }

    TEST_CASE("a failed start returns the panel to Stopped so the user can try again")
    {
        ServerFixture f;
        f.panel.RequestStart();
        net::ServerEvent failed = Event(net::ServerEvent::Kind::StartFailed);
        failed.text = "address in use";
        f.model.Apply(failed);
        f.Frames(1);
        CHECK(f.model.State() == ServerState::Stopped);
        f.panel.RequestStart();
        CHECK(f.commands.starts.size() == 2);
    }

    TEST_CASE("joined clients appear as rows and each chat counts for its sender and the rate")
    {
        ServerFixture f;
        f.Run();
        f.model.Apply(Joined(1, "alice"));
        f.model.Apply(Joined(2, "bob"));
        f.Frames(1);
        REQUIRE(f.model.Clients().size() == 2);
        CHECK(f.model.Clients()[0].nick == "alice");
        CHECK(f.model.Clients()[1].nick == "bob");

        f.now = T0 + 5'000;
        for (int i = 0; i < 3; ++i)
            f.model.Apply(ChatFrom(1, "alice", "hello " + std::to_string(i), f.now));
        f.model.Apply(ChatFrom(2, "bob", "hi", f.now));
        f.model.Apply(ChatFrom(2, "bob", "psst", f.now, net::ChatKind::Private));
        f.model.Apply(ChatFrom(2, "bob", "", f.now, net::ChatKind::Join)); // joins are not messages
        f.Frames(1);

        CHECK(f.model.TotalMessages() == 5);
        CHECK(f.model.Clients()[0].messages == 3);
        CHECK(f.model.Clients()[1].messages == 2);
        const auto& rate = f.model.Rate(f.now);
        CHECK(rate.back() == 5.0f);
        CHECK(rate[rate.size() - 2] == 0.0f);

        f.now += 1'000; // a second later the count moves one bucket to the left
        const auto& later = f.model.Rate(f.now);
        CHECK(later.back() == 0.0f);
        CHECK(later[later.size() - 2] == 5.0f);

        f.model.Apply(Left(1, "alice"));
        f.Frames(1);
        REQUIRE(f.model.Clients().size() == 1);
        CHECK(f.model.Clients()[0].nick == "bob");
    }

    TEST_CASE("Stopped clears the client list")
    {
        ServerFixture f;
        f.Run();
        f.model.Apply(Joined(1, "alice"));
        f.model.Apply(Joined(2, "bob"));
        f.Frames(1);
        f.model.StopRequested();
        CHECK(f.model.State() == ServerState::Stopping);
        net::ServerEvent stopped = Event(net::ServerEvent::Kind::Stopped);
        stopped.text = "the server was stopped";
        f.model.Apply(stopped);
        f.Frames(1);
        CHECK(f.model.State() == ServerState::Stopped);
        CHECK(f.model.Clients().empty());
    }

    TEST_CASE("the log filter shows only the lines that contain its text")
    {
        ServerFixture f;
        f.Run();
        f.model.Apply(Joined(1, "alice"));
        f.model.Apply(Joined(2, "bob"));
        for (int i = 0; i < 20; ++i)
            f.model.Apply(ChatFrom(i % 3 ? 2 : 1, i % 3 ? "bob" : "alice", "message " + std::to_string(i), T0 + i));
        f.Frames(1);
        CHECK(f.panel.LogRowsMatching() == f.model.Log().size());

        SetFilter(f.panel.Filter(), "alice");
        f.Frames(2); // the log was scrolled to its end: the shorter list settles on the next frame
        const std::size_t alice = LogLinesContaining(f.model, "alice");
        CHECK(alice == 8); // the join and seven messages
        CHECK(f.panel.LogRowsMatching() == alice);
        CHECK(f.panel.LogRowsVisible() == alice);

        f.model.Apply(ChatFrom(1, "alice", "one more", T0 + 100)); // new lines are filtered as they come
        f.model.Apply(ChatFrom(2, "bob", "not shown", T0 + 101));
        f.Frames(1);
        CHECK(f.panel.LogRowsMatching() == alice + 1);

        SetFilter(f.panel.Filter(), "");
        f.Frames(1);
        CHECK(f.panel.LogRowsMatching() == f.model.Log().size());
    }

    TEST_CASE("a log of 50,000 lines draws only the rows on screen")
    {
        ServerFixture f;
        f.Run();
        for (int i = 0; i < 60'000; ++i)
            f.model.AddLog(ui::LogKind::Info, "log line " + std::to_string(i), T0 + i);
        f.Frames(2);

        CHECK(f.model.Log().size() == ServerModel::MaxLogLines);
        CHECK(f.model.LogDropped() == 60'000 + 1 - ServerModel::MaxLogLines); // +1: "Server started"
        CHECK(f.panel.LogRowsMatching() == ServerModel::MaxLogLines);
        CHECK(f.panel.LogRowsVisible() > 0);
        CHECK(f.panel.LogRowsVisible() < 100);

        for (int i = 0; i < 100; ++i) // the oldest lines go, the filtered index follows
            f.model.AddLog(ui::LogKind::Info, "later line " + std::to_string(i), T0 + 60'000 + i);
        f.Frames(1);
        CHECK(f.panel.LogRowsMatching() == ServerModel::MaxLogLines);
        CHECK(f.panel.LogRowsVisible() < 100);

        SetFilter(f.panel.Filter(), "later");
        f.Frames(1);
        CHECK(f.panel.LogRowsMatching() == 100);
    }

    TEST_CASE("Send to all refuses blank text and anything while the server is not running")
    {
        ServerFixture f;
        f.Frames(1);
        CHECK_FALSE(f.panel.Announce("hi")); // stopped
        f.Run();
        CHECK_FALSE(f.panel.Announce(""));
        CHECK_FALSE(f.panel.Announce("  \t\n"));
        CHECK(f.commands.announcements.empty());

        CHECK(f.panel.Announce("hi"));
        REQUIRE(f.commands.announcements.size() == 1);
        CHECK(f.commands.announcements[0] == "hi");
    }

    TEST_CASE("the rooms table lists every room the server reports, with member counts and topics")
    {
        ServerFixture f;
        f.Run();
        f.model.Apply(Rooms({{"everyone", "", 3}, {"games", "Board games on Fridays", 2}}));
        f.Frames(2);
        REQUIRE(f.model.Rooms().size() == 2);
        CHECK(f.model.Rooms()[1].name == "games");
        CHECK(f.model.Rooms()[1].members == 2);

        // the full list replaces the previous one
        f.model.Apply(Rooms({{"everyone", "", 4}, {"games", "Board games on Fridays", 3}, {"music", "", 1}}));
        f.Frames(1);
        REQUIRE(f.model.Rooms().size() == 3);
        CHECK(f.model.Rooms()[0].members == 4);
        CHECK(f.model.Rooms()[2].name == "music");

        // room records are logged, not counted as messages
        net::ServerEvent joined = ChatFrom(1, "carol", "", T0, net::ChatKind::RoomJoin);
        joined.chat.to = net::Target::Room("music");
        f.model.Apply(joined);
        net::ServerEvent topic = ChatFrom(1, "carol", "Vinyl only", T0, net::ChatKind::Topic);
        topic.chat.to = net::Target::Room("music");
        f.model.Apply(topic);
        net::ServerEvent said = ChatFrom(1, "carol", "anyone here?", T0);
        said.chat.to = net::Target::Room("music");
        f.model.Apply(said);
        f.Frames(1);
        CHECK(LogLinesContaining(f.model, "carol joined #music") == 1);
        CHECK(LogLinesContaining(f.model, "carol set the topic of #music: Vinyl only") == 1);
        CHECK(LogLinesContaining(f.model, "carol in #music: anyone here?") == 1);
        CHECK(f.model.TotalMessages() == 1);

        net::ServerEvent stopped = Event(net::ServerEvent::Kind::Stopped);
        stopped.text = "the server was stopped";
        f.model.Apply(stopped);
        f.Frames(1);
        CHECK(f.model.Rooms().empty());
    }

    TEST_CASE("Release name asks for confirmation, then frees the nickname typed in the dialog")
    {
        ServerFixture f;
        f.Run();
        f.panel.OpenRelease();
        f.Frames(2);
        CHECK(f.panel.ReleaseOpen());

        f.ui.PressKey(KeyEnter, [&] { f.panel.Draw(f.now); }); // nothing typed: nothing released
        CHECK(f.commands.releases.empty());
        CHECK(f.panel.ReleaseOpen());

        f.ui.Type("alice", [&] { f.panel.Draw(f.now); }); // the field has the focus when the dialog opens
        CHECK(f.panel.ReleaseInput() == "alice");
        CHECK(f.commands.releases.empty()); // typing alone releases nothing
        f.ui.PressKey(KeyEnter, [&] { f.panel.Draw(f.now); });
        REQUIRE(f.commands.releases.size() == 1);
        CHECK(f.commands.releases[0] == "alice");
        f.Frames(2);
        CHECK_FALSE(f.panel.ReleaseOpen());
        CHECK(f.panel.ReleaseInput().empty());

        // Escape cancels
        f.panel.OpenRelease("bob");
        f.Frames(2);
        CHECK(f.panel.ReleaseOpen());
        f.ui.PressKey(KeyEscape, [&] { f.panel.Draw(f.now); });
        f.Frames(1);
        CHECK_FALSE(f.panel.ReleaseOpen());
        CHECK(f.commands.releases.size() == 1);

        // the log line the server answers with shows in the traffic log
        net::ServerEvent log = Event(net::ServerEvent::Kind::Log);
        log.text = "released the nickname \"alice\": the next key to log in with it owns it";
        f.model.Apply(log);
        CHECK(LogLinesContaining(f.model, "released the nickname") == 1);
    }

    TEST_CASE("Release refuses blank names and anything while the server is not running")
    {
        ServerFixture f;
        f.Frames(1);
        CHECK_FALSE(f.panel.Release("alice"));
        f.Run();
        CHECK_FALSE(f.panel.Release("  "));
        CHECK(f.panel.Release("  alice "));
        REQUIRE(f.commands.releases.size() == 1);
        CHECK(f.commands.releases[0] == "alice");
    }
}

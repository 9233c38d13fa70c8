// GUI tests for rooms and owned nicknames: the real window under Xvfb, a hosting GuiApp (or a
// client-only one against the test's own server) with in-process peers; screenshots saved as
// PNG and their pixels checked. Main thread only.
#include "engine/event_queue.hpp"
#include "gui/gui_app_support.hpp"
#include "gui/gui_support.hpp"
#include "net/server.hpp"
#include "ui/gui_app.hpp"
#include "ui/model/server_model.hpp"
#include "ui/options.hpp"
#include "ui/panels/theme.hpp"

#include <doctest/doctest.h>
#include <imgui.h>

#include <string>

namespace obrol::test {

namespace {

constexpr Rgb8 ChatAreaColour = FromImU32(ui::theme::ChatArea);
constexpr Rgb8 BadgeColour = FromImU32(ui::theme::Badge);
constexpr Rgb8 RefusedColour = FromImU32(ui::theme::RefusedBand);
constexpr Rgb8 SentColour = FromImU32(ui::theme::SentBubble);
constexpr Rgb8 ReceivedColour = FromImU32(ui::theme::ReceivedBubble);

bool Joined(const ui::ClientModel& model, const std::string& key, std::size_t members)
{
    const ui::Conversation* c = model.Find(key);
    return c && c->joined && c->members.size() == members;
}

std::size_t Unread(const ui::ClientModel& model, const std::string& key)
{
    const ui::Conversation* c = model.Find(key);
    return c ? c->unread : 0;
}

} // namespace

TEST_SUITE("gui")
{

TEST_CASE("rooms: the conversation list shows each room's unread messages as a badge beside the room on screen")
{
    ui::Options options;
    options.server = true;
    options.client = true;
    options.nick = "host";
    options.port = 0;
    options.noArchive = true;
    options.bind = "127.0.0.1";

    auto window = OpenWindow();
    {
        ui::GuiApp app(options, window->GetWaker());
        Peer bob, carol;
        Pump pump(*window, app);
        pump.Add(bob);
        pump.Add(carol);
        ui::ClientModel& host = *app.Client();
        ui::ClientPanel& panel = *app.ClientView();
        pump.WaitUntil([&] { return host.State() == ui::ConnectionState::Connected; }, "the host panel is connected");
        const std::uint16_t port = app.Server()->Port();
        bob.Connect(port, "bob");
        carol.Connect(port, "carol");
        pump.WaitUntil([&] { return bob.Connected() && carol.Connected(); }, "bob and carol are connected");

        // the host creates two rooms from its panel; bob joins one, carol both
        REQUIRE(panel.JoinRoom("games"));
        pump.WaitUntil([&] { return Joined(host, "#games", 1) && panel.ActiveTab() == "#games"; },
                       "the host is in #games, on screen");
        REQUIRE(panel.JoinRoom("#music"));
        pump.WaitUntil([&] { return Joined(host, "#music", 1) && panel.ActiveTab() == "#music"; },
                       "the host is in #music, on screen");
        bob.client.JoinRoom("games");
        carol.client.JoinRoom("games");
        carol.client.JoinRoom("music");
        pump.WaitUntil([&] { return Joined(host, "#games", 3) && Joined(host, "#music", 2); },
                       "bob and carol are members");
        {
            // dave joins #games and goes offline: still a member, listed as away
            Peer dave;
            pump.Add(dave);
            dave.Connect(port, "dave");
            pump.WaitUntil([&] { return dave.Connected(); }, "dave is connected");
            dave.client.JoinRoom("games");
            pump.WaitUntil([&] { return Joined(host, "#games", 4); }, "dave is a member of #games");
            dave.client.Disconnect();
            pump.WaitUntil([&] { return !host.IsOnline("dave"); }, "dave is offline");
            pump.Remove(dave);
        }
        const auto members = host.UserList("#games");
        REQUIRE(members.size() == 4);
        CHECK(members[2].nick == "dave");
        CHECK_FALSE(members[2].online);
        panel.Select("#games");
        REQUIRE(panel.SetTopic("#games", "Board games every Friday \xE2\x80\x94 bring snacks"));
        pump.WaitUntil([&] { return host.Find("#games")->topic.find("bring snacks") != std::string::npos; },
                       "the topic is set");

        // #games is on screen; the rest arrives elsewhere
        REQUIRE(bob.client.Say(net::Target::Room("games"), "Catan tonight? I have the seafarers expansion.") != 0);
        pump.WaitUntil([&] { return HasLine(host.Find("#games"), "bob", "Catan tonight? I have the seafarers expansion.",
                                            ui::LineKind::Public); },
                       "bob's line in #games arrives");
        REQUIRE(panel.Send("Count me in!"));
        pump.WaitUntil([&] { return host.PendingCount() == 0; }, "the host's line is acknowledged");
        REQUIRE(carol.client.Say(net::Target::Room("music"), "New album from the Bards is out") != 0);
        REQUIRE(carol.client.Say(net::Target::Room("music"), "Track 3 is the best") != 0);
        REQUIRE(bob.client.Say(net::Target::Everyone(), "Hi everyone") != 0);
        REQUIRE(bob.client.Say(net::Target::Person("host"), "psst: I'll bring the snacks") != 0);
        pump.WaitUntil([&] { return Unread(host, "#music") == 2 && Unread(host, "") == 1 && Unread(host, "bob") == 1; },
                       "the lines elsewhere arrive as unread");
        CHECK(Unread(host, "#games") == 0);
        CHECK(panel.ActiveTab() == "#games"); // nothing stole the screen

        // the server panel lists the rooms with their member counts
        pump.WaitUntil([&] { return app.Server()->Rooms().size() == 3; }, "the server panel lists three rooms");
        const auto& rooms = app.Server()->Rooms();
        const auto games = std::find_if(rooms.begin(), rooms.end(), [](const net::ServerRoom& r) { return r.name == "games"; });
        REQUIRE(games != rooms.end());
        CHECK(games->members == 4);
        CHECK(games->topic.find("bring snacks") != std::string::npos);

        pump.Frames(5);
        const std::string path = OutputPath("obrol-gui-rooms.png");
        pump.Screenshot(path);
        MESSAGE("rooms screenshot: " << path);
        const Image image(path);
        REQUIRE_MESSAGE(image.Loaded(), image.Error());
        const float fs = ImGui::GetFontSize();
        const Rect chat = image.Bounds(ChatAreaColour);
        const Rect badges = image.Bounds(BadgeColour);
        INFO("chat area ", Describe(chat), ", badges ", Describe(badges));
        REQUIRE_FALSE(chat.Empty());
        REQUIRE_FALSE(badges.Empty());
        // three badges (Everyone, #music, bob) in the list left of the chat area, one above another
        CHECK(badges.x1 <= chat.x0);
        CHECK(badges.Height() > static_cast<int>(fs * 3));
        CHECK(image.Count(BadgeColour) > static_cast<std::size_t>(fs * fs * 1.5f));
        // the room on screen: bob's bubble and the host's reply
        CHECK(image.LongestRun(ReceivedColour, chat).length >= static_cast<int>(fs * 6));
        CHECK(image.LongestRun(SentColour, chat).length >= static_cast<int>(fs * 4));

        // the room browser lists every room with its members and topic, the host's and others
        bob.client.JoinRoom("chess");
        bob.client.SetTopic("chess", "Blitz at noon");
        pump.WaitUntil([&] { return app.Server()->Rooms().size() == 4; }, "bob's #chess exists");
        panel.OpenRoomBrowser();
        pump.WaitUntil([&] { return !host.RoomListPending() && host.RoomList().size() == 4; }, "the room list arrives");
        const auto& listed = host.RoomList();
        const auto chess = std::find_if(listed.begin(), listed.end(), [](const net::RoomInfo& r) { return r.name == "chess"; });
        REQUIRE(chess != listed.end());
        CHECK_FALSE(chess->member);
        CHECK(chess->memberCount == 1);
        pump.Frames(3);
        CHECK(panel.RoomBrowserOpen());
        const std::string browserPath = OutputPath("obrol-gui-rooms-browser.png");
        pump.Screenshot(browserPath);
        MESSAGE("room browser screenshot: " << browserPath);
        CHECK(Image(browserPath).Loaded());

        // the server panel's "Release name…" asks first
        panel.CloseRoomBrowser();
        pump.Frames(4); // the message field takes the focus back first (focusing behind a dialog would close it)
        CHECK_FALSE(panel.RoomBrowserOpen());
        app.ServerView()->OpenRelease("bob");
        pump.Frames(3);
        CHECK(app.ServerView()->ReleaseOpen());
        const std::string releasePath = OutputPath("obrol-gui-release.png");
        pump.Screenshot(releasePath);
        MESSAGE("release dialog screenshot: " << releasePath);
        CHECK(Image(releasePath).Loaded());

        app.ServerView()->CloseRelease();
        pump.Frames(2);
        CHECK_FALSE(app.ServerView()->ReleaseOpen());

        // leaving #music: it stays readable (and closable) until closed; the server counts one member less
        panel.Select("#music");
        panel.LeaveRoom("#music");
        pump.WaitUntil([&] { return !host.Find("#music")->joined; }, "the host has left #music");
        pump.WaitUntil([&] {
            const auto& now = app.Server()->Rooms();
            return std::any_of(now.begin(), now.end(), [](const net::ServerRoom& r) { return r.name == "music" && r.members == 1; });
        }, "the server counts one member in #music");
        CHECK(panel.ActiveTab() == "#music");
        pump.Frames(3);
        const std::string leftPath = OutputPath("obrol-gui-rooms-left.png");
        pump.Screenshot(leftPath);
        MESSAGE("room left screenshot: " << leftPath);
        CHECK(Image(leftPath).Loaded());
        REQUIRE(host.Close("#music"));
        pump.Frames(2);
        CHECK(panel.ActiveTab().empty()); // back to Everyone
    }
}

TEST_CASE("owned names: a client asking for a nickname that belongs to someone else sees the server's reason in the connect form")
{
    // the test's own server, and alice (the owner) on it before the window opens
    engine::ConditionWaker waker;
    engine::EventQueue<net::ServerEvent> serverEvents(&waker);
    net::Server server(serverEvents);
    ui::ServerModel serverModel;
    const auto drainServer = [&] { serverEvents.Drain([&](net::ServerEvent e) { serverModel.Apply(e); }); };
    Peer alice;
    const auto waitFor = [&](const std::function<bool()>& done, const char* what) {
        const auto deadline = Clock::now() + WaitTimeout;
        while (!done() && Clock::now() < deadline)
        {
            waker.WaitFor(20ms); // the server's queue wakes us; the peer's is polled
            drainServer();
            alice.Drain();
        }
        REQUIRE_MESSAGE(done(), "waiting (at most 15 s) until " << what);
    };
    net::ServerConfig config;
    config.bind = "127.0.0.1";
    config.port = 0;
    server.Start(config);
    waitFor([&] { return serverModel.State() == ui::ServerState::Running; }, "the server runs");
    alice.Connect(serverModel.Port(), "alice");
    waitFor([&] { return alice.Connected(); }, "alice (the owner) is connected");

    ui::Options options;
    options.client = true;
    options.host = "127.0.0.1";
    options.port = serverModel.Port();
    options.nick = "alice"; // with a key of its own: connects at once, and is refused

    auto window = OpenWindow();
    {
        ui::GuiApp app(options, window->GetWaker());
        Pump pump(*window, app);
        pump.Add(alice);
        pump.AddDrain(drainServer);
        ui::ClientModel& impostor = *app.Client();
        pump.WaitUntil([&] { return impostor.LastEnd() == net::EndReason::Refused; }, "the impostor is refused");
        CHECK(impostor.LastRefuse() == net::RefuseCode::NickOwned);
        CHECK(impostor.State() == ui::ConnectionState::Disconnected);
        CHECK(impostor.StateText().find("belongs to someone else") != std::string::npos);
        CHECK(alice.Connected()); // the owner is not disturbed
        const bool logged = std::any_of(serverModel.Log().begin(), serverModel.Log().end(), [](const ui::LogLine& l) {
            return l.kind == ui::LogKind::Warning && l.text.find("alice") != std::string::npos;
        });
        CHECK(logged);

        pump.Frames(5);
        const std::string path = OutputPath("obrol-gui-impostor.png");
        pump.Screenshot(path);
        MESSAGE("impostor screenshot: " << path);
        const Image image(path);
        REQUIRE_MESSAGE(image.Loaded(), image.Error());
        const float fs = ImGui::GetFontSize();
        const Rect band = image.Bounds(RefusedColour);
        const Rect chat = image.Bounds(ChatAreaColour);
        INFO("refusal band ", Describe(band), ", chat area ", Describe(chat));
        REQUIRE_FALSE(band.Empty());
        REQUIRE_FALSE(chat.Empty());
        // a wide band with the headline and the reason, under the form and above the conversation
        CHECK(band.Width() > image.Width() / 2);
        CHECK(band.Height() >= static_cast<int>(fs * 2.5f));
        CHECK(band.y1 <= chat.y0);
    }
    window.reset();
    server.Stop();
    waitFor([&] { return serverModel.State() == ui::ServerState::Stopped; }, "the server stops");
}

} // TEST_SUITE("gui")

} // namespace obrol::test

// GUI tests: the real window (GLFW + OpenGL 3.3 core) under Xvfb, a hosting GuiApp talked to
// by in-process clients, the framebuffer saved as PNG and its pixels checked. Main thread only:
// GLFW must be initialised there (doctest runs every test on it); the endpoints' network
// threads reach the test only through their event queues, drained in the frame pump.
#include "engine/event_queue.hpp"
#include "engine/gfx/window.hpp"
#include "gui/gui_app_support.hpp"
#include "gui/gui_support.hpp"
#include "net/client.hpp"
#include "ui/gui_app.hpp"
#include "ui/model/client_model.hpp"
#include "ui/options.hpp"
#include "ui/panels/theme.hpp"

#include <GLFW/glfw3.h>
#include <doctest/doctest.h>
#include <imgui.h>
#include <stb/stb_image.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace obrol::test {

namespace {

// [SECTION] Pixels

// The palette the checks look for, taken from the theme so a palette change moves both.
constexpr Rgb8 ChatArea = FromImU32(ui::theme::ChatArea);             // #6eb5c0
constexpr Rgb8 ReceivedBubble = FromImU32(ui::theme::ReceivedBubble); // #ffffff
constexpr Rgb8 SentBubble = FromImU32(ui::theme::SentBubble);         // #006c84
constexpr Rgb8 AnnounceBand = FromImU32(ui::theme::AnnounceBand);     // #fff3c4
constexpr Rgb8 FrameColour = FromImU32(ui::theme::Frame);             // #006c84
static_assert(ChatArea == Rgb8{0x6e, 0xb5, 0xc0} && ReceivedBubble == Rgb8{0xff, 0xff, 0xff} &&
              SentBubble == Rgb8{0x00, 0x6c, 0x84} && AnnounceBand == Rgb8{0xff, 0xf3, 0xc4});

// What the conversation screenshot must show, measured in one place so the "before" and
// "after" screenshots are judged by the same rules.
struct ConversationPixels
{
    Rect chat;                    // bounding box of the chat-area colour
    std::size_t chatPixels = 0;
    Run received, receivedTall;   // white bubbles: widest row, tallest column
    Run sent;                     // teal bubble inside the chat area
    Run announce;                 // announcement band
};

ConversationPixels Measure(const Image& image)
{
    ConversationPixels m;
    m.chat = image.Bounds(ChatArea);
    m.chatPixels = image.Count(ChatArea, image.Whole());
    if (m.chat.Empty())
        return m;
    // Inside the chat area: the frame colour elsewhere (#006c84 is also the window background)
    // and white UI text elsewhere must not count as bubbles.
    m.received = image.LongestRun(ReceivedBubble, m.chat);
    m.receivedTall = image.LongestRun(ReceivedBubble, m.chat, true);
    m.sent = image.LongestRun(SentBubble, m.chat);
    m.announce = image.LongestRun(AnnounceBand, m.chat);
    return m;
}

// The thresholds the conversation must pass, in font sizes (`fs`) so HiDPI scaling moves them.
// The empty conversation must fail every one of them.
bool HasReceivedBubble(const ConversationPixels& m, float fs) { return m.received.length >= static_cast<int>(fs * 6); }
// carol's wrapped bubble: unwrapped, a bubble (name, one line, time) is under 4 fs tall
bool HasWrappedBubble(const ConversationPixels& m, float fs) { return m.receivedTall.length >= static_cast<int>(fs * 5); }
bool HasSentBubble(const ConversationPixels& m, float fs) { return m.sent.length >= static_cast<int>(fs * 4); }
bool HasAnnouncement(const ConversationPixels& m) { return m.announce.length >= (m.chat.x1 - m.chat.x0) / 3; }

std::string Describe(const ConversationPixels& m)
{
    std::ostringstream s;
    s << "chat area " << Describe(m.chat) << " (" << m.chatPixels << " px), widest white run " << m.received.length
      << " at (" << m.received.x << "," << m.received.y << "), tallest white run " << m.receivedTall.length
      << ", widest teal run " << m.sent.length << " at (" << m.sent.x << "," << m.sent.y << "), widest band run "
      << m.announce.length;
    return s.str();
}

} // namespace

// [SECTION] Tests

TEST_SUITE("gui")
{

TEST_CASE("a hosting window draws a live conversation with bubbles and an announcement")
{
    ui::Options options;
    options.server = true;
    options.client = true;
    options.nick = "host";
    options.port = 0; // any free port: the app joins its own server at the port Started reports
    options.noArchive = true; // a fresh conversation, and nothing written to the data folder
    options.bind = "127.0.0.1";

    auto window = OpenWindow();
    const auto [fbWidth, fbHeight] = FramebufferSize(*window);
    {
        ui::GuiApp app(options, window->GetWaker());
        Peer bob, carol; // after the app: they disconnect before its server stops
        Pump pump(*window, app);
        pump.Add(bob);
        pump.Add(carol);
        REQUIRE(app.Server());
        REQUIRE(app.Client());
        ui::ClientModel& host = *app.Client();

        pump.WaitUntil([&] { return app.Server()->State() == ui::ServerState::Running; }, "the server runs");
        const std::uint16_t port = app.Server()->Port();
        REQUIRE(port != 0);
        pump.WaitUntil([&] { return host.State() == ui::ConnectionState::Connected; }, "the host panel is connected");
        CHECK(host.Nick() == "host");

        // Before anyone speaks: the same measurements must find no bubbles and no band, so
        // the checks below can only pass because the messages were drawn.
        pump.Frames(3);
        const std::string emptyPath = OutputPath("obrol-gui-conversation-empty.png");
        pump.Screenshot(emptyPath);
        {
            const Image empty(emptyPath);
            REQUIRE_MESSAGE(empty.Loaded(), empty.Error());
            const ConversationPixels m = Measure(empty);
            INFO("empty conversation: ", Describe(m));
            const float fs = ImGui::GetFontSize();
            REQUIRE_FALSE(m.chat.Empty());
            CHECK_FALSE(HasReceivedBubble(m, fs));
            CHECK_FALSE(HasWrappedBubble(m, fs));
            CHECK_FALSE(HasSentBubble(m, fs));
            CHECK_FALSE(HasAnnouncement(m));
        }

        bob.Connect(port, "bob");
        carol.Connect(port, "carol");
        pump.WaitUntil([&] { return bob.Connected() && carol.Connected(); }, "bob and carol are connected");
        pump.WaitUntil([&] { return host.Users().size() == 3; }, "the host sees three users");

        const std::string bobSays = "Hi everyone! Bob here.";
        const std::string carolSays =
            "Hello from Carol. This message is deliberately long so that the chat view has to wrap it over "
            "several lines inside one bubble, which is exactly what this screenshot is meant to show.";
        const std::string hostSays = "Welcome, both of you!";
        const std::string bobWhispers = "Psst, host: this one is just for you.";
        const std::string announcement = "The server restarts at midnight for maintenance.";

        // One at a time, so the conversation's order is fixed.
        REQUIRE(bob.client.Say(net::Target::Everyone(), bobSays) != 0);
        pump.WaitUntil([&] { return HasLine(host.Find(""), "bob", bobSays, ui::LineKind::Public); }, "bob's line arrives");
        REQUIRE(carol.client.Say(net::Target::Everyone(), carolSays) != 0);
        pump.WaitUntil([&] { return HasLine(host.Find(""), "carol", carolSays, ui::LineKind::Public); },
                       "carol's line arrives");
        REQUIRE(app.ClientView()->ActiveTab().empty()); // Everyone is on screen: Send goes to all
        REQUIRE(app.ClientView()->Send(hostSays));
        pump.WaitUntil([&] { return host.PendingCount() == 0; }, "the host's own line is acknowledged");
        REQUIRE(bob.client.Say(net::Target::Person("host"), bobWhispers) != 0);
        pump.WaitUntil([&] { return HasLine(host.Find("bob"), "bob", bobWhispers, ui::LineKind::Private); },
                       "bob's private line arrives");
        REQUIRE(app.ServerView()->Announce(announcement));
        pump.WaitUntil([&] { return HasLine(host.Find(""), std::nullopt, announcement, ui::LineKind::Announce); },
                       "the announcement arrives");
        // the peers see what the host said: the whole round trip works, not just the host's view
        pump.WaitUntil([&] { return HasLine(&carol.model.Everyone(), "host", hostSays, ui::LineKind::Public); },
                       "carol sees the host's line");

        // The model holds exactly the conversation the screenshot should show.
        const ui::Conversation& everyone = host.Everyone();
        const auto own = std::count_if(everyone.lines.begin(), everyone.lines.end(), [&](const ui::Line& l) {
            return l.text == hostSays;
        });
        CHECK(own == 1); // shown once: the server acknowledges, it does not echo
        for (const ui::Line& line : everyone.lines)
            if (line.own)
            {
                CHECK_FALSE(line.pending);
                CHECK_FALSE(line.failed);
            }
        ui::Conversation* whisper = host.Find("bob");
        REQUIRE(whisper);
        CHECK(whisper->title == "bob");
        CHECK(app.ClientView()->ActiveTab().empty()); // a private line does not steal the view

        pump.Frames(5); // let scrolling and layout settle (SetScrollY applies a frame later)
        const std::string path = OutputPath("obrol-gui-conversation.png");
        pump.Screenshot(path);
        MESSAGE("conversation screenshot: " << path);

        const Image image(path);
        REQUIRE_MESSAGE(image.Loaded(), "cannot read " << path << ": " << image.Error());
        CHECK(image.Width() == fbWidth);
        CHECK(image.Height() == fbHeight);

        const ConversationPixels m = Measure(image);
        INFO("conversation: ", Describe(m));
        const float fs = ImGui::GetFontSize();
        REQUIRE_FALSE(m.chat.Empty());
        // the chat area is a large part of the window, not a sliver
        CHECK(m.chatPixels > static_cast<std::size_t>(image.Width()) * image.Height() / 8);
        CHECK(m.chat.x1 - m.chat.x0 > image.Width() / 4);
        CHECK(m.chat.y1 - m.chat.y0 > image.Height() / 2);
        // white received bubbles: wide, and one (carol's, wrapped) several text lines tall
        CHECK(HasReceivedBubble(m, fs));
        CHECK(HasWrappedBubble(m, fs));
        // the teal sent bubble sits inside the chat area, to the right of the received ones
        CHECK(HasSentBubble(m, fs));
        CHECK(m.sent.x > m.received.x);
        // the announcement band spans a good part of the chat width
        CHECK(HasAnnouncement(m));
        // and the frame around the panels keeps its colour
        CHECK(image.Count(FrameColour, image.Whole()) > static_cast<std::size_t>(image.Width()) * image.Height() / 50);
    } // the app (and its network threads) ends before the window and its GL context
}

TEST_CASE("the screenshot flow saves a PNG of the connect form after the requested frames")
{
    ui::Options options;
    options.client = true; // no nickname: the connect form stays up, nothing connects
    const std::string path = OutputPath("obrol-gui-connect-form.png");
    std::error_code ec;
    std::filesystem::remove(path, ec);

    auto window = OpenWindow();
    const auto [fbWidth, fbHeight] = FramebufferSize(*window);
    int result = -1;
    int frames = 0;
    {
        ui::GuiApp app(options, window->GetWaker());
        REQUIRE(app.Client());
        CHECK_FALSE(app.Server());
        result = engine::Run(
            *window, [&] { return app.DrainEvents(); },
            [&] {
                ++frames;
                app.Draw(window->Focused());
            },
            engine::RunOptions{path, 5});
        CHECK(app.Client()->State() == ui::ConnectionState::Disconnected);
    }
    CHECK(result == 0);
    CHECK(frames == 5);
    MESSAGE("connect form screenshot: " << path);

    REQUIRE(std::filesystem::exists(path));
    CHECK(std::filesystem::file_size(path) > 1000);
    const Image image(path);
    REQUIRE_MESSAGE(image.Loaded(), "cannot read " << path << ": " << image.Error());
    CHECK(image.Width() == fbWidth);
    CHECK(image.Height() == fbHeight);
    CHECK(image.DistinctColours() > 1);
    // the themed frame and the (empty) chat area are drawn, not just the clear colour
    CHECK(image.Count(FrameColour, image.Whole()) > 0);
    CHECK(image.Count(ChatArea, image.Whole()) > 0);
}

TEST_CASE("searching the archive from the chat and server panels shows the matches")
{
    const auto dataDir = std::filesystem::temp_directory_path() /
                         ("obrol-gui-search-" + std::to_string(static_cast<long long>(::getpid())));
    std::filesystem::remove_all(dataDir);
    ui::Options options;
    options.server = true;
    options.client = true;
    options.nick = "host";
    options.port = 0;
    options.bind = "127.0.0.1";
    options.dataDir = dataDir.string();

    auto window = OpenWindow();
    {
        ui::GuiApp app(options, window->GetWaker());
        Peer bob;
        Pump pump(*window, app);
        pump.Add(bob);
        ui::ClientModel& host = *app.Client();
        pump.WaitUntil([&] { return host.State() == ui::ConnectionState::Connected; }, "the host panel is connected");
        bob.Connect(app.Server()->Port(), "bob");
        pump.WaitUntil([&] { return bob.Connected(); }, "bob is connected");
        REQUIRE(bob.client.Say(net::Target::Everyone(), "Pineapple pizza on Friday?") != 0);
        REQUIRE(bob.client.Say(net::Target::Person("host"), "psst: the pineapple is for you") != 0);
        REQUIRE(bob.client.Say(net::Target::Everyone(), "or sushi") != 0);
        pump.WaitUntil([&] { return HasLine(host.Find(""), "bob", "or sushi", ui::LineKind::Public); }, "bob's lines arrive");

        app.ClientView()->SearchInput() = "pineapple";
        app.ClientView()->RunSearch("pineapple");
        app.ServerView()->SearchInput() = "pineapple";
        REQUIRE(app.ServerView()->RunSearch("pineapple"));
        pump.WaitUntil([&] { return !host.SearchPending() && !app.Server()->SearchPending(); }, "both searches answer");
        CHECK(host.SearchResults().size() == 2);         // the public one and the private one to host
        CHECK(app.Server()->SearchResults().size() == 2); // the server sees everything
        CHECK(bob.model.SearchResults().empty());
        pump.Frames(3);
        const std::string path = OutputPath("obrol-gui-search.png");
        pump.Screenshot(path);
        MESSAGE("search screenshot: " << path);
        const Image image(path);
        REQUIRE_MESSAGE(image.Loaded(), image.Error());
    }
    window.reset();
    std::filesystem::remove_all(dataDir);
}

} // TEST_SUITE("gui")

} // namespace obrol::test

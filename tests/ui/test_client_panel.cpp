// UI tests for the client panel: a real ClientModel fed synthesized ClientEvents, a recorder
// in place of the network, and frames drawn in a bare ImGui context.
#include "ui_harness.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "net/client.hpp"
#include "ui/model/client_model.hpp"
#include "ui/panels/client_panel.hpp"
#include "ui/panels/theme.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace obrol;
using namespace obrol::test;
using ui::ClientModel;
using ui::ClientPanel;
using ui::ConnectionState;
using ui::LineKind;
using ui::Conversation;

namespace {

// Stands in for net::Client: records every request (targets as conversation keys: "" everyone,
// "#room", or a nickname); Say hands out ids 1, 2, ... while "connected" and 0 (not sent) otherwise.
class RecordingClientCommands : public ui::ClientCommands
{
public:
    struct Said
    {
        std::string to;
        std::string text;
        std::uint64_t clientMsgId = 0;
    };
    struct Connection
    {
        std::string host;
        std::uint16_t port = 0;
        std::string nick;
    };

    void Connect(const std::string& host, std::uint16_t port, const std::string& nick) override
    {
        connects.push_back({host, port, nick});
    }
    void Disconnect() override { ++disconnects; }
    std::uint64_t Say(const net::Target& to, const std::string& text) override
    {
        const std::uint64_t id = online ? nextId++ : 0;
        said.push_back({ClientModel::KeyOf(to), text, id});
        return id;
    }

    void RequestHistory(const net::Target& conversation, std::uint64_t beforeId, std::uint32_t, bool around) override
    {
        history.push_back({ClientModel::KeyOf(conversation), beforeId, around});
    }
    std::uint64_t Search(const std::string& query) override
    {
        searches.push_back(query);
        return searches.size();
    }
    std::uint64_t SendFile(const net::Target& to, const std::filesystem::path& path) override
    {
        const std::uint64_t id = online ? nextId++ : 0;
        files.push_back({ClientModel::KeyOf(to), path.string(), id});
        return id;
    }
    void JoinRoom(const std::string& room) override { joins.push_back(room); }
    void PartRoom(const std::string& room) override { parts.push_back(room); }
    void SetTopic(const std::string& room, const std::string& topic) override { topics.emplace_back(room, topic); }
    void ListRooms() override { ++roomLists; }

    std::vector<std::string> joins;
    std::vector<std::string> parts;
    std::vector<std::pair<std::string, std::string>> topics;
    int roomLists = 0;
    void Download(const ui::Line& line) override { downloads.push_back(line.id); }
    void CancelTransfer(std::uint64_t id, net::TransferDirection direction) override { cancels.emplace_back(id, direction); }

    std::vector<Said> files; // text: the path
    std::vector<std::uint64_t> downloads;
    std::vector<std::pair<std::uint64_t, net::TransferDirection>> cancels;

    struct HistoryAsk
    {
        std::string conversation;
        std::uint64_t beforeId = 0;
        bool around = false;
    };
    std::vector<HistoryAsk> history;
    std::vector<std::string> searches;
    bool online = true;
    std::uint64_t nextId = 1;
    std::vector<Said> said;
    std::vector<Connection> connects;
    int disconnects = 0;
};

net::ClientEvent Connected(const std::string& nick, std::vector<std::string> users)
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::Connected;
    e.welcome.nick = nick;
    e.welcome.serverName = "Test server";
    e.welcome.serverTimeMs = T0;
    e.welcome.users = std::move(users);
    return e;
}

net::ClientEvent ChatEvent(net::ChatKind kind, const std::string& from, const std::string& to, const std::string& text,
                           std::uint64_t id)
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::Chat;
    e.chat.kind = kind;
    e.chat.from = from;
    // to: "" the everyone room, "#name" another room, else the recipient of a private message
    e.chat.to = kind == net::ChatKind::Private ? net::Target::Person(to) : ClientModel::TargetOf(to);
    e.chat.text = text;
    e.chat.id = id;
    e.chat.timeMs = T0 + static_cast<std::int64_t>(id) * 1000;
    return e;
}

net::ClientEvent Public(const std::string& from, const std::string& text, std::uint64_t id)
{
    return ChatEvent(net::ChatKind::Public, from, "", text, id);
}

net::ClientEvent Private(const std::string& from, const std::string& to, const std::string& text, std::uint64_t id)
{
    return ChatEvent(net::ChatKind::Private, from, to, text, id);
}

net::ClientEvent AckEvent(std::uint64_t clientMsgId, std::uint64_t id)
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::Ack;
    e.ack = net::Ack{clientMsgId, id, T0 + static_cast<std::int64_t>(id) * 1000};
    return e;
}

net::ClientEvent ErrorEvent(std::uint64_t clientMsgId, net::ErrorCode code, const std::string& text)
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::Error;
    e.error = net::Error{code, clientMsgId, text};
    return e;
}

net::ClientEvent Ended(net::EndReason reason, const std::string& text)
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::Ended;
    e.reason = reason;
    e.text = text;
    return e;
}

// alice's client panel, drawn as the app draws it.
struct ClientFixture
{
    explicit ClientFixture(std::string nick = "alice") : panel(model, commands, "127.0.0.1", 55000, std::move(nick)) {}

    UiHarness ui;
    ClientModel model;
    RecordingClientCommands commands;
    ClientPanel panel;
    bool windowFocused = true;

    auto Draw()
    {
        return [this] { panel.Draw(windowFocused); };
    }
    void Frames(int n = 1) { ui.Frames(n, Draw()); }

    // Connected as alice with bob and carol online, a few frames drawn.
    void Join()
    {
        model.Apply(Connected("alice", {"carol", "alice", "bob"}));
        net::ClientEvent history; // the server follows Welcome with the (here empty) join history
        history.kind = net::ClientEvent::Kind::History;
        model.Apply(history);
        Frames(3);
    }
};

} // namespace

TEST_SUITE("ui")
{
    TEST_CASE("public chat after connecting lands in the Everyone conversation and is drawn")
    {
        ClientFixture f;
        f.Join();
        CHECK(f.model.State() == ConnectionState::Connected);
        CHECK(f.model.Users() == std::vector<std::string>{"alice", "bob", "carol"});

        f.model.Apply(Public("bob", "hi all", 1));
        f.model.Apply(Public("carol", "hello bob", 2));
        f.model.Apply(Public("bob", "how is everyone?", 3));
        f.Frames(2);

        const auto& lines = f.model.Everyone().lines;
        REQUIRE(lines.size() == 4); // "You joined ..." and the three messages
        CHECK(lines[0].kind == LineKind::System);
        CHECK(lines[1].text == "hi all");
        CHECK(lines[3].from == "bob");
        CHECK(lines[3].text == "how is everyone?");
        CHECK(f.panel.ActiveTab().empty());
        CHECK(f.panel.View("").LastStats().rowsDrawn == 4);
        CHECK(f.model.TotalUnread() == 0); // Everyone is on screen and the window has focus
    }

    TEST_CASE("a private message while Everyone is on screen opens an unread tab for its sender")
    {
        ClientFixture f;
        f.Join();
        f.model.Apply(Private("bob", "alice", "psst, alice", 1));
        f.Frames(2);

        const ui::Conversation* bob = f.model.Find("bob");
        REQUIRE(bob != nullptr);
        CHECK(bob->lines.size() == 1);
        CHECK(bob->unread == 1);
        CHECK(bob->firstUnread == std::optional<std::size_t>(0));
        CHECK(f.model.TotalUnread() == 1);
        CHECK(f.panel.ActiveTab().empty()); // the message did not steal the screen

        SUBCASE("opening the tab reads it but keeps the separator until the user looks elsewhere")
        {
            f.panel.OpenPrivate("bob");
            f.Frames(3);
            CHECK(f.panel.ActiveTab() == "bob");
            CHECK(bob->unread == 0);
            CHECK(f.model.TotalUnread() == 0);
            CHECK(bob->firstUnread.has_value());
            CHECK(f.panel.View("bob").LastStats().rowsDrawn == 1);

            f.model.Apply(Private("carol", "alice", "me too", 2));
            f.panel.OpenPrivate("carol");
            f.Frames(3);
            CHECK(f.panel.ActiveTab() == "carol");
            CHECK_FALSE(bob->firstUnread.has_value());
        }

        SUBCASE("names match without regard to case")
        {
            f.model.Apply(Private("BOB", "alice", "shouting", 2));
            CHECK(f.model.Conversations().size() == 2); // Everyone and bob, not a third
            CHECK(bob->unread == 2);
            f.panel.OpenPrivate("Bob");
            f.Frames(3);
            CHECK(f.panel.ActiveTab() == "bob");
            CHECK(bob->unread == 0);
        }
    }

    TEST_CASE("messages that arrive while the window is unfocused count as unread until it regains focus")
    {
        ClientFixture f;
        f.Join();
        f.windowFocused = false;
        f.Frames(1);
        f.model.Apply(Public("bob", "anyone there?", 1));
        f.Frames(1);
        CHECK(f.model.Everyone().unread == 1);
        CHECK(f.model.UnreadSinceUnfocused() == 1);

        f.windowFocused = true;
        f.Frames(1);
        CHECK(f.model.Everyone().unread == 0);
        CHECK(f.model.UnreadSinceUnfocused() == 0);
    }

    TEST_CASE("clicking a user in the user list opens a private tab with them")
    {
        ClientFixture f;
        f.Join();
        REQUIRE(f.panel.UserRects().count("bob") == 1);
        const auto [min, max] = f.panel.UserRects().at("bob");
        CHECK(max.x > min.x);
        CHECK(max.y > min.y);

        f.ui.Click(ImVec2((min.x + max.x) * 0.5f, (min.y + max.y) * 0.5f), f.Draw());
        f.Frames(2);
        CHECK(f.panel.ActiveTab() == "bob");
        REQUIRE(f.model.Find("bob") != nullptr);
        CHECK(f.model.Find("bob")->unread == 0);
    }

    TEST_CASE("clicking your own name in the user list opens nothing")
    {
        ClientFixture f;
        f.Join();
        REQUIRE(f.panel.UserRects().count("alice") == 1);
        const auto [min, max] = f.panel.UserRects().at("alice");
        f.ui.Click(ImVec2((min.x + max.x) * 0.5f, (min.y + max.y) * 0.5f), f.Draw());
        f.Frames(2);
        CHECK(f.panel.ActiveTab().empty());
        CHECK(f.model.Find("alice") == nullptr);
        CHECK(f.model.Conversations().size() == 1);
    }

    TEST_CASE("sending on Everyone says it to everyone and shows a pending line until the Ack")
    {
        ClientFixture f;
        f.Join();
        f.panel.Input() = "hello everyone";
        REQUIRE(f.panel.Send(f.panel.Input()));

        REQUIRE(f.commands.said.size() == 1);
        CHECK(f.commands.said[0].to.empty());
        CHECK(f.commands.said[0].text == "hello everyone");
        const ui::Line* line = &f.model.Everyone().lines.back();
        CHECK(line->own);
        CHECK(line->pending);
        CHECK_FALSE(line->failed);
        CHECK(line->from == "alice");
        CHECK(line->text == "hello everyone");
        CHECK(line->clientMsgId == 1);
        CHECK(f.model.PendingCount() == 1);
        f.Frames(2);

        f.model.Apply(AckEvent(1, 77));
        f.Frames(1);
        line = &f.model.Everyone().lines.back();
        CHECK_FALSE(line->pending);
        CHECK_FALSE(line->failed);
        CHECK(line->id == 77);
        CHECK(line->timeMs == T0 + 77'000);
        CHECK(f.model.PendingCount() == 0);
    }

    TEST_CASE("sending on bob's tab says it privately to bob")
    {
        ClientFixture f;
        f.Join();
        f.panel.OpenPrivate("bob");
        f.Frames(3);
        REQUIRE(f.panel.ActiveTab() == "bob");

        REQUIRE(f.panel.Send("just between us"));
        REQUIRE(f.commands.said.size() == 1);
        CHECK(f.commands.said[0].to == "bob");
        CHECK(f.commands.said[0].text == "just between us");
        const ui::Conversation* bob = f.model.Find("bob");
        REQUIRE(bob != nullptr);
        REQUIRE(bob->lines.size() == 1);
        CHECK(bob->lines[0].kind == LineKind::Private);
        CHECK(bob->lines[0].own);
        CHECK(bob->lines[0].pending);
        CHECK(f.model.Everyone().lines.size() == 1); // only "You joined ..."
    }

    TEST_CASE("typing and pressing Enter sends, and Shift+Enter breaks the line instead")
    {
        ClientFixture f;
        f.Join(); // the message field has keyboard focus from the start

        f.ui.Type("line one", f.Draw());
        CHECK(f.panel.Input() == "line one");
        f.ui.PressKey(KeyEnter, f.Draw(), /*ctrl=*/false, /*shift=*/true);
        CHECK(f.commands.said.empty());
        f.ui.Type("line two", f.Draw());
        CHECK(f.panel.Input() == "line one\nline two");

        f.ui.PressKey(KeyEnter, f.Draw());
        f.Frames(2);
        REQUIRE(f.commands.said.size() == 1);
        CHECK(f.commands.said[0].to.empty());
        CHECK(f.commands.said[0].text == "line one\nline two");
        CHECK(f.panel.Input().empty());

        f.ui.Type("again", f.Draw()); // the field kept focus after sending
        CHECK(f.panel.Input() == "again");
    }

    TEST_CASE("text selected in the chat with the mouse is copied by Ctrl+C although the message field had focus")
    {
        ClientFixture f;
        f.Join();
        const std::string text = "a message worth copying to the clipboard";
        f.model.Apply(Public("bob", text, 1));
        f.Frames(2);
        CHECK(ImGui::GetIO().WantTextInput); // the message field is ready for typing

        const auto words = UiHarness::BoundsOfColor(ui::theme::ReceivedText);
        REQUIRE(words.has_value());
        const float y = words->Center().y;
        f.ui.Drag(ImVec2(words->min.x + 1.0f, y), ImVec2(words->max.x + 2.0f, y), f.Draw());

        ui::ChatView& view = f.panel.View("");
        REQUIRE(view.HasSelection());
        CHECK(view.SelectedText() == text); // dragged from the first letter past the last
        f.ui.PressKey(KeyC, f.Draw(), /*ctrl=*/true);
        CHECK(f.ui.Clipboard() == text);
    }

    TEST_CASE("blank input is not sent")
    {
        ClientFixture f;
        f.Join();
        CHECK_FALSE(f.panel.Send(""));
        CHECK_FALSE(f.panel.Send("   "));
        CHECK(f.commands.said.empty());
        CHECK(f.model.Everyone().lines.size() == 1);
    }

    TEST_CASE("an Error for a pending message marks that message failed")
    {
        ClientFixture f;
        f.Join();
        f.panel.OpenPrivate("dave");
        f.Frames(3);
        REQUIRE(f.panel.Send("are you there?"));
        f.model.Apply(ErrorEvent(1, net::ErrorCode::UnknownUser, "nobody called \"dave\" is online"));
        f.Frames(1);

        const ui::Line& line = f.model.Find("dave")->lines.back();
        CHECK_FALSE(line.pending);
        CHECK(line.failed);
        CHECK(line.failure.find("nobody called") != std::string::npos);
        CHECK(f.model.PendingCount() == 0);

        SUBCASE("an Error about no message shows in the conversation on screen")
        {
            f.model.Apply(ErrorEvent(0, net::ErrorCode::BadFrame, "bad frame"));
            const ui::Line& shown = f.model.Find("dave")->lines.back();
            CHECK(shown.kind == LineKind::Error);
            CHECK(shown.text.find("bad frame") != std::string::npos);
        }
    }

    TEST_CASE("when the connection ends, still-pending messages fail and the user list empties")
    {
        ClientFixture f;
        f.Join();
        REQUIRE(f.panel.Send("first"));
        REQUIRE(f.panel.Send("second"));
        f.model.Apply(AckEvent(1, 10));
        f.model.Apply(Ended(net::EndReason::Lost, "the connection was reset"));
        f.Frames(2);

        const auto& lines = f.model.Everyone().lines;
        REQUIRE(lines.size() == 4);
        CHECK(lines[1].text == "first");
        CHECK_FALSE(lines[1].failed);
        CHECK(lines[2].text == "second");
        CHECK(lines[2].failed);
        CHECK_FALSE(lines[2].pending);
        CHECK(lines[3].kind == LineKind::Error);
        CHECK(f.model.PendingCount() == 0);
        CHECK(f.model.Users().empty());
        CHECK(f.panel.UserRects().empty());
        CHECK(f.model.State() == ConnectionState::Disconnected);
        CHECK(f.model.LastEnd() == net::EndReason::Lost);
    }

    TEST_CASE("a message typed with no connection is shown as not sent")
    {
        ClientFixture f;
        f.Join();
        f.commands.online = false; // the network side refuses: Say returns 0
        REQUIRE(f.panel.Send("into the void"));
        const ui::Line& line = f.model.Everyone().lines.back();
        CHECK(line.failed);
        CHECK_FALSE(line.pending);
        CHECK(f.model.PendingCount() == 0);
    }

    TEST_CASE("connecting asks the network side only with a valid nickname")
    {
        SUBCASE("a valid nickname connects to the configured host and port")
        {
            ClientFixture f("alice");
            f.Frames(2);
            f.panel.RequestConnect();
            REQUIRE(f.commands.connects.size() == 1);
            CHECK(f.commands.connects[0].host == "127.0.0.1");
            CHECK(f.commands.connects[0].port == 55000);
            CHECK(f.commands.connects[0].nick == "alice");
        }
        SUBCASE("a nickname with a space is refused with an error line")
        {
            ClientFixture f("bad nick");
            f.Frames(2);
            f.panel.RequestConnect();
            CHECK(f.commands.connects.empty());
            CHECK(f.model.Everyone().lines.back().kind == LineKind::Error);
        }
    }
}

// [SECTION] History, resume, search

namespace {

net::ClientEvent HistoryEvent(net::HistoryReason reason, const std::string& conversation, bool more,
                              std::uint64_t unreadAfter, std::vector<net::ClientEvent> chats)
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::History;
    e.history.reason = reason;
    e.history.conversation = ClientModel::TargetOf(conversation); // "" everyone, "#room", or a nickname
    e.history.more = more;
    e.history.unreadAfter = unreadAfter;
    for (auto& c : chats)
        e.history.chats.push_back(c.chat);
    return e;
}

std::vector<std::uint64_t> Ids(const Conversation& c)
{
    std::vector<std::uint64_t> ids;
    for (const auto& line : c.lines)
        if (line.id != 0)
            ids.push_back(line.id);
    return ids;
}

} // namespace

TEST_SUITE("ui")
{
    TEST_CASE("the join history lands above the join notice and only messages after the last leave are unread")
    {
        ClientFixture f;
        f.model.Apply(Connected("alice", {"alice", "bob"}));
        f.model.Apply(HistoryEvent(net::HistoryReason::Join, "", true, 11,
                                   {Public("bob", "old news", 10), Public("carol", "while you were away", 12),
                                    Private("bob", "alice", "psst", 13)}));
        f.Frames(2);
        const Conversation& everyone = f.model.Everyone();
        CHECK(Ids(everyone) == std::vector<std::uint64_t>{10, 12});
        CHECK(everyone.hasMore);
        CHECK(everyone.lines.back().kind == LineKind::System); // "You joined ..." comes after the history
        CHECK(everyone.lines.back().text.find("You joined") == 0);
        REQUIRE(f.model.Find("bob"));
        CHECK(f.model.Find("bob")->unread == 1); // psst (13) arrived after alice left (11)
        CHECK(f.model.TotalUnread() == 1);        // Everyone is on screen: 12 was seen at once
    }

    TEST_CASE("a resent message that the resumed history already brought is shown once")
    {
        ClientFixture f;
        f.Join();
        REQUIRE(f.panel.Send("are you there?"));
        f.model.Apply(HistoryEvent(net::HistoryReason::Resume, "", false, 5, {Public("alice", "are you there?", 7)}));
        f.model.Apply(AckEvent(1, 7)); // the resend is acknowledged with the stored id
        f.Frames(2);
        int copies = 0;
        for (const auto& line : f.model.Everyone().lines)
            copies += line.text == "are you there?";
        CHECK(copies == 1);
        CHECK(f.model.PendingCount() == 0);
    }

    TEST_CASE("an acknowledged message moves to where the server ordered it")
    {
        ClientFixture f;
        f.Join();
        REQUIRE(f.panel.Send("mine"));
        f.model.Apply(Public("bob", "bob's", 10)); // stored before mine
        f.model.Apply(AckEvent(1, 11));
        CHECK(Ids(f.model.Everyone()) == std::vector<std::uint64_t>{10, 11});
        REQUIRE(f.panel.Send("second"));
        f.model.Apply(Public("bob", "late", 13));
        f.model.Apply(AckEvent(2, 12)); // stored before bob's "late"
        CHECK(Ids(f.model.Everyone()) == std::vector<std::uint64_t>{10, 11, 12, 13});
        CHECK(f.model.Everyone().lines.back().text == "late");
    }

    TEST_CASE("scrolling to the top asks for older messages once and they appear above")
    {
        ClientFixture f;
        f.model.Apply(Connected("alice", {"alice", "bob"}));
        std::vector<net::ClientEvent> recent;
        for (std::uint64_t id = 101; id <= 200; ++id)
            recent.push_back(Public("bob", "message " + std::to_string(id), id));
        f.model.Apply(HistoryEvent(net::HistoryReason::Join, "", true, 0, recent));
        f.Frames(3);
        CHECK(f.commands.history.empty()); // at the bottom: nothing asked yet
        f.panel.View("").ScrollToRow(0);
        f.Frames(3);
        REQUIRE(f.commands.history.size() == 1);
        CHECK(f.commands.history[0].conversation.empty());
        CHECK(f.commands.history[0].beforeId == 101);
        CHECK(f.model.Everyone().loadingOlder);
        f.Frames(3);
        CHECK(f.commands.history.size() == 1); // not asked again while loading

        std::vector<net::ClientEvent> older;
        for (std::uint64_t id = 51; id <= 100; ++id)
            older.push_back(Public("bob", "message " + std::to_string(id), id));
        f.model.Apply(HistoryEvent(net::HistoryReason::Page, "", false, 0, older));
        f.Frames(2);
        const auto ids = Ids(f.model.Everyone());
        REQUIRE(ids.size() == 150);
        CHECK(ids.front() == 51);
        CHECK(std::is_sorted(ids.begin(), ids.end()));
        CHECK_FALSE(f.model.Everyone().hasMore);
        CHECK_FALSE(f.model.Everyone().loadingOlder);
        CHECK(f.panel.View("").LastStats().firstRow > 0); // the view stayed on what was read, not jumped to 51
    }

    TEST_CASE("while reconnecting, sent messages stay pending and the reconnect is announced")
    {
        ClientFixture f;
        f.Join();
        REQUIRE(f.panel.Send("hello?"));
        net::ClientEvent lost;
        lost.kind = net::ClientEvent::Kind::Reconnecting;
        lost.text = "connection lost: reset";
        lost.attempt = 1;
        lost.retryMs = 1000;
        f.model.Apply(lost);
        f.Frames(2);
        CHECK(f.model.State() == ConnectionState::Reconnecting);
        CHECK(f.model.StateText().find("reconnecting in 1 s") != std::string::npos);
        CHECK(f.model.PendingCount() == 1);
        REQUIRE(f.panel.Send("queued meanwhile")); // the input stays usable
        CHECK(f.commands.said.size() == 2);
        f.model.Apply(Connected("alice", {"alice"}));
        f.model.Apply(HistoryEvent(net::HistoryReason::Resume, "", false, 3, {}));
        CHECK(f.model.State() == ConnectionState::Connected);
        const auto& lines = f.model.Everyone().lines;
        CHECK(std::any_of(lines.begin(), lines.end(), [](const auto& l) { return l.text.find("Reconnected") == 0; }));
        CHECK(lines.back().pending); // what was sent meanwhile stays last until acknowledged
    }

    TEST_CASE("a search result not loaded yet is fetched around its id and then shown highlighted")
    {
        ClientFixture f;
        f.Join();
        f.panel.RunSearch("pineapple");
        REQUIRE(f.commands.searches == std::vector<std::string>{"pineapple"});
        CHECK(f.model.SearchPending());
        net::ClientEvent results;
        results.kind = net::ClientEvent::Kind::SearchResults;
        results.search.token = 1;
        results.search.chats.push_back(Private("bob", "alice", "pineapple pizza?", 42).chat);
        f.model.Apply(results);
        REQUIRE(f.model.SearchResults().size() == 1);
        f.panel.JumpTo(f.model.SearchResults()[0]);
        REQUIRE(f.commands.history.size() == 1);
        CHECK(f.commands.history[0].conversation == "bob");
        CHECK(f.commands.history[0].beforeId == 42);
        CHECK(f.commands.history[0].around);
        f.model.Apply(HistoryEvent(net::HistoryReason::Around, "bob", false, 0,
                                   {Private("alice", "bob", "hungry?", 41), Private("bob", "alice", "pineapple pizza?", 42)}));
        f.Frames(3);
        CHECK(f.panel.ActiveTab() == "bob");
        const Conversation* bob = f.model.Find("bob");
        REQUIRE(bob);
        CHECK_FALSE(bob->jumpTo);
        CHECK(bob->highlight == std::optional<std::uint64_t>(42));
    }

    TEST_CASE("a file chosen in the picker is sent to the conversation on screen and shown with its upload")
    {
        const auto dir = std::filesystem::temp_directory_path() / ("obrol-ui-attach-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        {
            std::ofstream(dir / "notes.txt") << "twelve bytes";
        }
        ClientFixture f;
        f.Join();
        f.commands.online = true;
        f.panel.Picker().Open(dir, "Send files to everyone");
        f.Frames(3);
        REQUIRE(f.panel.Picker().IsOpen());
        const auto row = f.panel.Picker().RowRect("notes.txt");
        REQUIRE_MESSAGE(row.has_value(), "the picker draws its folder inside the client panel");
        f.ui.Click(ImVec2((row->first.x + row->second.x) * 0.5f, (row->first.y + row->second.y) * 0.5f), f.Draw());
        f.Frames(1);
        const auto send = f.panel.Picker().ItemRect("confirm");
        REQUIRE(send.has_value());
        f.ui.Click(ImVec2((send->first.x + send->second.x) * 0.5f, (send->first.y + send->second.y) * 0.5f), f.Draw());
        f.Frames(2);
        REQUIRE(f.commands.files.size() == 1);
        CHECK(f.commands.files[0].to == "");
        CHECK(f.commands.files[0].text == (dir / "notes.txt").string());
        CHECK_FALSE(f.panel.Picker().IsOpen());
        // the file shows at once as a pending file row
        const Conversation& everyone = f.model.Everyone();
        REQUIRE_FALSE(everyone.lines.empty());
        const ui::Line& line = everyone.lines.back();
        CHECK(line.own);
        CHECK(line.pending);
        CHECK(line.file.has_value());
        CHECK(line.text == "notes.txt");
        std::filesystem::remove_all(dir);
    }
}

// [SECTION] Rooms

namespace {

net::RoomInfo Room(const std::string& name, std::vector<std::string> members, const std::string& topic = "")
{
    net::RoomInfo room;
    room.name = name;
    room.topic = topic;
    room.memberCount = static_cast<std::uint32_t>(members.size());
    room.members = std::move(members);
    room.member = true;
    return room;
}

// alice is in #games (with bob and dave, who is offline) and #music (with carol).
void JoinWithRooms(ClientFixture& f)
{
    net::ClientEvent welcome = Connected("alice", {"carol", "alice", "bob"});
    net::RoomInfo everyone;
    everyone.name = "everyone";
    everyone.memberCount = 3;
    everyone.member = true;
    welcome.welcome.rooms = {everyone, Room("games", {"alice", "bob", "dave"}, "Board games on Fridays"),
                             Room("music", {"alice", "carol"})};
    f.model.Apply(welcome);
    net::ClientEvent history;
    history.kind = net::ClientEvent::Kind::History;
    f.model.Apply(history);
    f.Frames(3);
}

ImVec2 Center(const std::pair<ImVec2, ImVec2>& rect)
{
    return ImVec2((rect.first.x + rect.second.x) * 0.5f, (rect.first.y + rect.second.y) * 0.5f);
}

// Within the row, give or take the anti-aliased fringe of the shape.
bool Inside(const ScreenRect& r, const std::pair<ImVec2, ImVec2>& row)
{
    const float fringe = 1.5f;
    return r.min.x >= row.first.x - fringe && r.max.x <= row.second.x + fringe && r.min.y >= row.first.y - fringe &&
           r.max.y <= row.second.y + fringe;
}

} // namespace

TEST_SUITE("ui")
{
    TEST_CASE("the room list puts Everyone first, then the rooms joined, with a badge counting each room's unread messages")
    {
        ClientFixture f;
        JoinWithRooms(f);
        const auto& rows = f.panel.ConversationRects();
        REQUIRE(rows.count("") == 1);
        REQUIRE(rows.count("#games") == 1);
        REQUIRE(rows.count("#music") == 1);
        CHECK(Center(rows.at("")).y < Center(rows.at("#games")).y);
        CHECK(Center(rows.at("#games")).y < Center(rows.at("#music")).y);
        CHECK_FALSE(UiHarness::BoundsOfColor(ui::theme::Badge)); // nothing unread: no badge

        f.model.Apply(Public("bob", "who brings Catan?", 1));
        f.model.Apply(ChatEvent(net::ChatKind::Public, "bob", "#games", "I can", 2));
        f.model.Apply(ChatEvent(net::ChatKind::Public, "dave", "#games", "me too", 3));
        f.model.Apply(ChatEvent(net::ChatKind::Public, "carol", "#music", "new album out", 4));
        f.Frames(2);
        CHECK(f.model.Everyone().unread == 0); // on screen
        CHECK(f.model.Find("#games")->unread == 2);
        CHECK(f.model.Find("#music")->unread == 1);
        // the badges sit inside the rows of the rooms with unread messages
        const auto badges = UiHarness::BoundsOfColor(ui::theme::Badge);
        REQUIRE(badges);
        const auto& games = f.panel.ConversationRects().at("#games");
        const auto& music = f.panel.ConversationRects().at("#music");
        CHECK(badges->min.y >= games.first.y);
        CHECK(badges->max.y <= music.second.y);
        CHECK(badges->min.x > (games.first.x + games.second.x) * 0.5f); // on the right of the row
        CHECK(badges->max.x <= games.second.x);
        CHECK_FALSE(badges->min.y < f.panel.ConversationRects().at("").second.y); // none on Everyone

        SUBCASE("selecting a room shows its conversation, reads it and lists its members")
        {
            f.ui.Click(Center(games), f.Draw());
            f.Frames(2);
            CHECK(f.panel.ActiveTab() == "#games");
            CHECK(f.model.Find("#games")->unread == 0);
            CHECK(f.model.Find("#music")->unread == 1);
            CHECK(f.panel.View("#games").LastStats().rowsDrawn >= 2);
            const auto badge = UiHarness::BoundsOfColor(ui::theme::Badge);
            REQUIRE(badge);
            const auto& musicRow = f.panel.ConversationRects().at("#music");
            INFO("badge ", badge->min.x, ",", badge->min.y, " - ", badge->max.x, ",", badge->max.y, "; row ",
                 musicRow.first.x, ",", musicRow.first.y, " - ", musicRow.second.x, ",", musicRow.second.y);
            CHECK(Inside(*badge, musicRow)); // only music's is left
            // the user list shows the room's members, offline ones too, not everyone online
            CHECK(f.panel.UserRects().count("bob") == 1);
            CHECK(f.panel.UserRects().count("dave") == 1);
            CHECK(f.panel.UserRects().count("carol") == 0);
            const auto users = f.model.UserList("#games");
            REQUIRE(users.size() == 3);
            CHECK(users[2].nick == "dave");
            CHECK_FALSE(users[2].online);
            CHECK(users[1].online); // bob

            REQUIRE(f.panel.Send("Catan it is"));
            REQUIRE(f.commands.said.size() == 1);
            CHECK(f.commands.said[0].to == "#games");
        }

        SUBCASE("Everyone can be selected back, and a private conversation is listed below the rooms")
        {
            f.model.Apply(Private("carol", "alice", "psst", 5));
            f.Frames(2);
            REQUIRE(f.panel.ConversationRects().count("carol") == 1);
            CHECK(Center(f.panel.ConversationRects().at("carol")).y > Center(music).y);
            f.ui.Click(Center(f.panel.ConversationRects().at("carol")), f.Draw());
            f.Frames(2);
            CHECK(f.panel.ActiveTab() == "carol");
            f.ui.Click(Center(f.panel.ConversationRects().at("")), f.Draw());
            f.Frames(1);
            CHECK(f.panel.ActiveTab().empty());
        }
    }

    TEST_CASE("joining a room from the browser asks the client to join and shows the room once the server confirms")
    {
        ClientFixture f;
        JoinWithRooms(f);
        f.panel.OpenRoomBrowser();
        f.Frames(2);
        CHECK(f.panel.RoomBrowserOpen());
        CHECK(f.commands.roomLists == 1); // the list is asked for whenever the browser opens
        CHECK(f.model.RoomListPending());

        net::ClientEvent list;
        list.kind = net::ClientEvent::Kind::RoomList;
        net::RoomInfo everyone;
        everyone.name = "everyone";
        everyone.memberCount = 3;
        everyone.member = true;
        net::RoomInfo chess = Room("chess", {}, "Blitz at noon");
        chess.memberCount = 4;
        chess.member = false;
        net::RoomInfo games = Room("games", {}, "Board games on Fridays");
        games.memberCount = 3;
        list.rooms = {everyone, chess, games};
        f.model.Apply(list);
        f.Frames(2);
        REQUIRE(f.panel.BrowserRects().count("chess") == 1);
        REQUIRE(f.panel.BrowserRects().count("games") == 1);

        f.ui.Click(Center(f.panel.BrowserRects().at("chess")), f.Draw());
        REQUIRE(f.commands.joins == std::vector<std::string>{"chess"});
        f.Frames(2);
        CHECK_FALSE(f.panel.RoomBrowserOpen());
        CHECK(f.panel.ActiveTab().empty()); // not yet: the server has not answered

        net::ClientEvent joined = ChatEvent(net::ChatKind::RoomJoin, "alice", "#chess", "", 10);
        f.model.Apply(joined);
        net::ClientEvent state;
        state.kind = net::ClientEvent::Kind::RoomState;
        state.room = Room("chess", {"alice", "bob", "erin", "frank", "gus"}, "Blitz at noon");
        f.model.Apply(state);
        f.Frames(2);
        CHECK(f.panel.ActiveTab() == "#chess");
        REQUIRE(f.panel.ConversationRects().count("#chess") == 1);
        CHECK(Center(f.panel.ConversationRects().at("#music")).y < Center(f.panel.ConversationRects().at("#chess")).y);

        SUBCASE("a new name typed in the browser creates the room (a leading '#' is dropped)")
        {
            f.panel.OpenRoomBrowser();
            f.Frames(2);
            f.ui.Type("#Knitting", f.Draw());
            CHECK(f.panel.RoomBrowserInput() == "#Knitting");
            f.ui.PressKey(KeyEnter, f.Draw());
            CHECK(f.commands.joins.back() == "Knitting");
            f.Frames(1);
            CHECK_FALSE(f.panel.RoomBrowserOpen());
        }

        SUBCASE("a name against the rules is not sent, and the browser stays open to fix it")
        {
            f.panel.OpenRoomBrowser();
            f.Frames(2);
            f.ui.Type("board games", f.Draw());
            f.ui.PressKey(KeyEnter, f.Draw());
            CHECK(f.commands.joins.size() == 1);
            CHECK(f.panel.RoomBrowserOpen());
            f.ui.PressKey(KeyEscape, f.Draw());
            f.Frames(1);
            CHECK_FALSE(f.panel.RoomBrowserOpen());
        }

        SUBCASE("a room already joined is shown without asking the server again")
        {
            CHECK(f.panel.JoinRoom("GAMES"));
            f.Frames(1);
            CHECK(f.panel.ActiveTab() == "#games");
            CHECK(f.commands.joins.size() == 1);
        }
    }

    TEST_CASE("a room's topic is shown, members change it, and every room but Everyone can be left")
    {
        ClientFixture f;
        JoinWithRooms(f);
        f.panel.Select("#games");
        f.Frames(2);
        CHECK(f.model.Find("#games")->topic == "Board games on Fridays");

        f.panel.EditTopic();
        f.Frames(2);
        CHECK(f.panel.EditingTopic());
        CHECK(f.panel.TopicInput() == "Board games on Fridays");
        f.ui.Type("Board games on Saturdays", f.Draw()); // the field has the focus, its text selected
        CHECK(f.panel.TopicInput() == "Board games on Saturdays");
        f.ui.PressKey(KeyEnter, f.Draw());
        REQUIRE(f.commands.topics.size() == 1);
        CHECK(f.commands.topics[0] == std::make_pair(std::string("games"), std::string("Board games on Saturdays")));
        CHECK_FALSE(f.panel.EditingTopic());

        net::ClientEvent topic = ChatEvent(net::ChatKind::Topic, "alice", "#games", "Board games on Saturdays", 20);
        f.model.Apply(topic);
        f.Frames(1);
        CHECK(f.model.Find("#games")->topic == "Board games on Saturdays");

        f.panel.LeaveRoom(""); // Everyone cannot be left
        CHECK(f.commands.parts.empty());
        f.panel.LeaveRoom("#games");
        REQUIRE(f.commands.parts == std::vector<std::string>{"games"});
        f.model.Apply(ChatEvent(net::ChatKind::RoomLeave, "alice", "#games", "", 21));
        f.Frames(2);
        // left, but still readable until closed; writing there is off
        REQUIRE(f.model.Find("#games"));
        CHECK_FALSE(f.model.Find("#games")->joined);
        f.panel.EditTopic();
        CHECK_FALSE(f.panel.EditingTopic());
        CHECK(f.model.Close("#games"));
        f.Frames(2);
        CHECK(f.panel.ActiveTab().empty()); // back to Everyone
    }

    TEST_CASE("a login refused because the nickname is owned shows the server's reason under the connect form")
    {
        ClientFixture f;
        f.Frames(1);
        CHECK_FALSE(UiHarness::BoundsOfColor(ui::theme::RefusedBand));
        net::ClientEvent connecting;
        connecting.kind = net::ClientEvent::Kind::Connecting;
        connecting.text = "127.0.0.1:55000";
        f.model.Apply(connecting);
        net::ClientEvent refused = Ended(net::EndReason::Refused,
                                         "the nickname \"alice\" belongs to someone else; choose another, or ask the "
                                         "server's operator to release it");
        refused.refuse = net::RefuseCode::NickOwned;
        f.model.Apply(refused);
        f.Frames(2);
        const auto band = UiHarness::BoundsOfColor(ui::theme::RefusedBand);
        REQUIRE(band);
        CHECK(band->Width() > 200.0f);
        CHECK(band->Height() > ImGui::GetFontSize() * 2.0f); // a headline and the reason
        CHECK(f.model.LastRefuse() == net::RefuseCode::NickOwned);

        // the nickname field has the focus, its text selected: typing a new name replaces it
        f.ui.Type("alice_", f.Draw());
        f.ui.PressKey(KeyEnter, f.Draw());
        REQUIRE(f.commands.connects.size() == 1);
        CHECK(f.commands.connects[0].nick == "alice_");
    }

    TEST_CASE("keyboard: Alt+Down and Alt+Up move through the conversations, Ctrl+E edits the topic, Ctrl+J opens the browser")
    {
        ClientFixture f;
        JoinWithRooms(f);
        f.model.Apply(Private("carol", "alice", "psst", 1));
        f.Frames(2);
        CHECK(f.panel.ActiveTab().empty());
        f.ui.PressKey(KeyDown, f.Draw(), false, false, true);
        CHECK(f.panel.ActiveTab() == "#games");
        f.ui.PressKey(KeyDown, f.Draw(), false, false, true);
        CHECK(f.panel.ActiveTab() == "#music");
        f.ui.PressKey(KeyDown, f.Draw(), false, false, true);
        CHECK(f.panel.ActiveTab() == "carol"); // private conversations after the rooms
        f.ui.PressKey(KeyDown, f.Draw(), false, false, true);
        CHECK(f.panel.ActiveTab().empty()); // round to Everyone
        f.ui.PressKey(KeyUp, f.Draw(), false, false, true);
        CHECK(f.panel.ActiveTab() == "carol");
        f.ui.PressKey(KeyUp, f.Draw(), false, false, true);
        f.ui.PressKey(KeyUp, f.Draw(), false, false, true);
        CHECK(f.panel.ActiveTab() == "#games");

        f.ui.PressKey('E', f.Draw(), true);
        CHECK(f.panel.EditingTopic());
        f.Frames(1);
        f.ui.PressKey(KeyEscape, f.Draw());
        CHECK_FALSE(f.panel.EditingTopic());
        CHECK(f.commands.topics.empty());

        f.ui.PressKey('J', f.Draw(), true);
        CHECK(f.panel.RoomBrowserOpen());
        CHECK(f.commands.roomLists == 1);
    }
}

// UI tests for the chat view: word wrapping, the clipped layout of huge conversations, the
// "new messages" jump, and text selection (programmatic and with the mouse) and copying.
#include "ui_harness.hpp"

#include "engine/clock.hpp"
#include "ui/panels/chat_view.hpp"
#include "ui/panels/theme.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace obrol;
using namespace obrol::test;
using ui::ChatView;
using ui::Conversation;
using ui::Line;
using ui::LineKind;
using ui::TextPos;

namespace {

Line Message(const std::string& from, const std::string& text, std::int64_t timeMs = T0, bool own = false)
{
    Line line;
    line.kind = LineKind::Public;
    line.from = from;
    line.text = text;
    line.timeMs = timeMs;
    line.own = own;
    return line;
}

const ImFont* DefaultFont()
{
    return ImGui::GetIO().Fonts->Fonts[0];
}

float TextWidth(const std::string& text, std::pair<std::size_t, std::size_t> range)
{
    const ImFont* font = DefaultFont();
    return font->CalcTextSizeA(font->FontSize, FLT_MAX, 0.0f, text.data() + range.first, text.data() + range.second).x;
}

std::string Slice(const std::string& text, std::pair<std::size_t, std::size_t> range)
{
    return text.substr(range.first, range.second - range.first);
}

// A chat view drawn alone in the harness window.
struct ViewFixture
{
    UiHarness ui;
    Conversation conversation;
    ChatView view;

    void Frame() { ui.Frame([&] { view.Draw(conversation); }); }
    void Frames(int n) { ui.Frames(n, [&] { view.Draw(conversation); }); }
    auto Draw()
    {
        return [this] { view.Draw(conversation); };
    }
};

} // namespace

TEST_SUITE("ui")
{
    TEST_CASE("WrapLines breaks long text into lines no wider than the wrap width")
    {
        UiHarness ui;
        const std::string text = "The quick brown fox jumps over the lazy dog and keeps on running across the wide "
                                 "green field until the sun goes down behind the hills";
        const float wrap = 120.0f;
        const auto lines = ui::WrapLines(DefaultFont(), DefaultFont()->FontSize, text, wrap);

        REQUIRE(lines.size() > 3);
        std::string rejoined;
        std::size_t previousEnd = 0;
        for (const auto& range : lines)
        {
            CHECK(range.first >= previousEnd);
            CHECK(range.second > range.first);
            CHECK(TextWidth(text, range) <= wrap + 0.5f);
            previousEnd = range.second;
            if (!rejoined.empty())
                rejoined += ' ';
            rejoined += Slice(text, range);
        }
        CHECK(rejoined == text); // only the spaces at the breaks are dropped
        CHECK(lines.back().second == text.size());
    }

    TEST_CASE("WrapLines breaks at every newline even when the text would fit")
    {
        UiHarness ui;
        const std::string text = "first\nsecond\n\nfourth";
        const auto lines = ui::WrapLines(DefaultFont(), DefaultFont()->FontSize, text, 1000.0f);

        REQUIRE(lines.size() == 4);
        CHECK(Slice(text, lines[0]) == "first");
        CHECK(Slice(text, lines[1]) == "second");
        CHECK(Slice(text, lines[2]).empty());
        CHECK(Slice(text, lines[3]) == "fourth");
    }

    TEST_CASE("WrapLines cuts a word longer than the wrap width and always makes progress")
    {
        UiHarness ui;
        const std::string word(200, 'w');
        const float wrap = 60.0f;
        const auto lines = ui::WrapLines(DefaultFont(), DefaultFont()->FontSize, word, wrap);

        REQUIRE(lines.size() > 1);
        std::size_t covered = 0;
        for (const auto& range : lines)
        {
            CHECK(range.first == covered); // no byte skipped or repeated
            CHECK(range.second > range.first);
            CHECK(TextWidth(word, range) <= wrap + 0.5f);
            covered = range.second;
        }
        CHECK(covered == word.size());

        SUBCASE("a width narrower than one character still takes one whole code point per line")
        {
            const std::string accented = "\xC3\xA9\xC3\xA9\xC3\xA9"; // three U+00E9, two bytes each
            const auto narrow = ui::WrapLines(DefaultFont(), DefaultFont()->FontSize, accented, 1.0f);
            REQUIRE(narrow.size() == 3);
            for (std::size_t i = 0; i < narrow.size(); ++i)
            {
                CHECK(narrow[i].first == 2 * i);
                CHECK(narrow[i].second == 2 * i + 2);
            }
        }
    }

    TEST_CASE("a conversation of 100,000 messages draws only the rows on screen")
    {
        ViewFixture f;
        constexpr std::size_t Count = 100'000;
        f.conversation.lines.reserve(Count + 1);
        for (std::size_t i = 0; i < Count; ++i)
            f.conversation.lines.push_back(
                Message(i % 2 ? "bob" : "carol", "message number " + std::to_string(i), T0 + static_cast<std::int64_t>(i)));

        f.Frames(2); // the first frame measures every row and asks to scroll to the bottom
        const ChatView::Stats& stats = f.view.LastStats();
        CHECK(stats.rowsDrawn > 0);
        CHECK(stats.rowsDrawn < 60);
        CHECK(stats.contentHeight > static_cast<float>(Count) * ImGui::GetFontSize());
        CHECK(stats.firstRow > Count - 60); // a new view opens at the latest message

        f.Frame();
        CHECK(f.view.LastStats().relayoutRows == 0.0f); // nothing changed: nothing measured

        const float heightBefore = f.view.LastStats().contentHeight;
        f.conversation.lines.push_back(Message("bob", "one more", T0 + static_cast<std::int64_t>(Count)));
        ++f.conversation.revision;
        f.Frame();
        CHECK(f.view.LastStats().relayoutRows == 1.0f); // only the new row is measured
        CHECK(f.view.LastStats().contentHeight > heightBefore);
        CHECK(f.view.LastStats().rowsDrawn < 60);

        f.Frame(); // the view was at the bottom, so it follows the new message
        CHECK(f.view.LastStats().firstRow > Count - 60);
        CHECK(f.view.LastStats().firstRow + f.view.LastStats().rowsDrawn == Count + 1);

        // An unread message gets a "new messages" separator above it: still only its row is measured,
        f.conversation.firstUnread = f.conversation.lines.size();
        f.conversation.lines.push_back(Message("carol", "while you were away", T0 + static_cast<std::int64_t>(Count)));
        f.Frame();
        CHECK(f.view.LastStats().relayoutRows == 1.0f);
        // and so when the separator goes away.
        f.conversation.firstUnread.reset();
        f.Frame();
        CHECK(f.view.LastStats().relayoutRows == 1.0f);
    }

    TEST_CASE("a view scrolled up stays put when a new message arrives")
    {
        ViewFixture f;
        for (int i = 0; i < 1000; ++i)
            f.conversation.lines.push_back(Message("bob", "line " + std::to_string(i), T0 + i));
        f.Frames(2);
        REQUIRE(f.view.LastStats().firstRow > 900);

        f.view.ScrollToRow(100);
        f.Frames(2);
        const std::size_t first = f.view.LastStats().firstRow;
        CHECK(first >= 99);
        CHECK(first <= 100);

        f.conversation.lines.push_back(Message("bob", "new", T0 + 1000));
        f.Frames(2);
        CHECK(f.view.LastStats().firstRow == first);

        f.view.ScrollToBottom();
        f.Frames(2);
        CHECK(f.view.LastStats().firstRow + f.view.LastStats().rowsDrawn == f.conversation.lines.size());
    }

    TEST_CASE("a view opened on a conversation with unread lines starts at the new messages separator")
    {
        ViewFixture f;
        for (int i = 0; i < 1000; ++i)
            f.conversation.lines.push_back(Message("bob", "line " + std::to_string(i), T0 + i));
        f.conversation.firstUnread = 500;
        f.conversation.unread = 500;

        f.Frames(2);
        // ImGui floors the scroll offset, so up to a pixel of the row above may still show.
        CHECK(f.view.LastStats().firstRow >= 499);
        CHECK(f.view.LastStats().firstRow <= 500);
        CHECK(f.view.LastStats().rowsDrawn < 60);
    }

    TEST_CASE("selecting within one message returns exactly that substring")
    {
        ViewFixture f;
        f.conversation.lines = {Message("alice", "good morning"), Message("bob", "hello world again"),
                                Message("alice", "bye")};
        f.Frame();

        f.view.Select(TextPos{1, 6}, TextPos{1, 11});
        CHECK(f.view.HasSelection());
        CHECK(f.view.SelectedText() == "world");

        f.view.Select(TextPos{1, 11}, TextPos{1, 6}); // dragged right to left
        CHECK(f.view.SelectedText() == "world");

        f.view.Select(TextPos{1, 4}, TextPos{1, 4});
        CHECK_FALSE(f.view.HasSelection()); // an empty range is no selection
        CHECK(f.view.SelectedText().empty());

        f.view.Select(TextPos{2, 0}, TextPos{2, 999}); // past the end clamps to the message
        CHECK(f.view.SelectedText() == "bye");

        f.view.ClearSelection();
        CHECK_FALSE(f.view.HasSelection());
    }

    TEST_CASE("selecting across two messages copies each piece after its time and sender")
    {
        ViewFixture f;
        f.conversation.lines = {Message("alice", "good morning", T0), Message("bob", "hello world", T0 + 60'000)};
        f.Frame();

        f.view.Select(TextPos{0, 5}, TextPos{1, 5});
        const std::string expected = "[" + engine::LocalTimeHM(T0) + "] alice: morning\n[" +
                                     engine::LocalTimeHM(T0 + 60'000) + "] bob: hello";
        CHECK(f.view.SelectedText() == expected);
    }

    TEST_CASE("dragging the mouse across a bubble selects part of its text and Ctrl+C copies it")
    {
        ViewFixture f;
        const std::string text = "The quick brown fox jumps over the lazy dog";
        f.conversation.lines = {Message("alice", text)};
        f.Frames(2);

        // Received text is drawn in a colour nothing else uses: that is where the words are.
        const auto words = UiHarness::BoundsOfColor(ui::theme::ReceivedText);
        REQUIRE(words.has_value());
        REQUIRE(words->Width() > 100.0f);
        const float y = words->Center().y;
        f.ui.Drag(ImVec2(words->min.x + 1.0f, y), ImVec2(words->min.x + words->Width() * 0.5f, y), f.Draw());

        REQUIRE(f.view.HasSelection());
        const std::string selected = f.view.SelectedText();
        CHECK(!selected.empty());
        CHECK(selected.size() < text.size());
        CHECK(text.rfind(selected, 0) == 0); // the drag started at the first letter
        CHECK(selected.size() > 10);         // and covered about half the line

        f.ui.PressKey(KeyC, f.Draw(), /*ctrl=*/true);
        CHECK(f.ui.Clipboard() == selected);

        f.ui.PressKey(KeyEscape, f.Draw());
        CHECK_FALSE(f.view.HasSelection());
    }

    TEST_CASE("drawing another conversation in the same view drops the selection")
    {
        ViewFixture f;
        f.conversation.lines = {Message("alice", "first conversation")};
        f.Frame();
        f.view.Select(TextPos{0, 0}, TextPos{0, 5});
        REQUIRE(f.view.SelectedText() == "first");

        Conversation other;
        other.lines = {Message("bob", "second conversation")};
        f.ui.Frame([&] { f.view.Draw(other); });
        CHECK_FALSE(f.view.HasSelection());
        CHECK(f.view.LastStats().rowsDrawn == 1);
    }
}

#include "ui/panels/chat_view.hpp"

#include "engine/clock.hpp"
#include "engine/utf8.hpp"
#include "ui/panels/theme.hpp"

#include <algorithm>
#include <cstring>

namespace obrol::ui {

// [SECTION] Text layout

std::vector<std::pair<std::size_t, std::size_t>> WrapLines(const ImFont* font, float size, const std::string& text,
                                                            float wrapWidth)
{
    std::vector<std::pair<std::size_t, std::size_t>> lines;
    const float scale = size / font->FontSize;
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    const char* p = begin;
    for (;;)
    {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (!nl)
            nl = end;
        const char* s = p;
        if (s == nl)
            lines.emplace_back(s - begin, s - begin);
        while (s < nl)
        {
            const char* eol = font->CalcWordWrapPositionA(scale, s, nl, std::max(1.0f, wrapWidth));
            if (eol <= s) // not even one character fits: take one code point anyway
            {
                std::size_t i = static_cast<std::size_t>(s - begin);
                engine::NextCodepoint(text, i);
                eol = begin + i;
            }
            eol = std::min(eol, nl);
            lines.emplace_back(s - begin, eol - begin);
            s = eol;
            while (s < nl && (*s == ' ' || *s == '\t'))
                ++s;
        }
        if (nl == end)
            break;
        p = nl + 1;
    }
    return lines;
}

std::string RowText(const Line& line)
{
    return line.text;
}

// [SECTION] Geometry

namespace {

bool IsBubble(const Line& line)
{
    return line.kind == LineKind::Public || line.kind == LineKind::Private;
}

std::string MetaText(const Line& line)
{
    std::string meta = engine::LocalTimeHM(line.timeMs);
    if (line.own)
    {
        if (line.failed)
            meta += "  \xE2\x9A\xA0 not delivered"; // U+26A0 may be missing: drawn as '?' at worst
        else if (line.pending)
            meta += "  sending\xE2\x80\xA6";
        else
            meta += "  \xE2\x9C\x93";
    }
    return meta;
}

} // namespace

struct ChatView::RowGeometry
{
    float top = 0.0f;       // row top, relative to content origin
    float height = 0.0f;
    float headerHeight = 0.0f; // day + unread separators above the body
    bool dayHeader = false;
    bool unreadHeader = false;
    ImVec2 boxMin, boxMax;  // bubble / band, relative to content origin
    ImVec2 textPos;         // first text line's top-left, relative to content origin
    float textWrap = 0.0f;
    float lineHeight = 0.0f;
    std::vector<std::pair<std::size_t, std::size_t>> lines;
    bool showName = false;
};

static float Pad() { return ImGui::GetFontSize() * 0.5f; }

static bool NewDay(const Conversation& c, std::size_t row)
{
    return row == 0 || engine::LocalDayNumber(c.lines[row].timeMs) != engine::LocalDayNumber(c.lines[row - 1].timeMs);
}

ChatView::RowGeometry ChatView::Geometry(const Conversation& c, std::size_t row, float width) const
{
    const Line& line = c.lines[row];
    const float fs = ImGui::GetFontSize();
    const float pad = Pad();
    RowGeometry g;
    g.lineHeight = fs;
    g.dayHeader = NewDay(c, row);
    g.unreadHeader = c.firstUnread && *c.firstUnread == row;
    g.headerHeight = (g.dayHeader ? fs * 2.0f : 0.0f) + (g.unreadHeader ? fs * 2.0f : 0.0f);
    const float bodyTop = g.headerHeight + pad * 0.5f;
    const ImFont* font = ImGui::GetFont();
    const std::string text = RowText(line);

    if (IsBubble(line))
    {
        const float maxBubble = std::max(fs * 8.0f, std::min(width * 0.72f, fs * 38.0f));
        g.textWrap = maxBubble - 2 * pad;
        g.lines = WrapLines(font, fs, text, g.textWrap);
        float textWidth = 0.0f;
        for (const auto& [a, b] : g.lines)
            textWidth = std::max(textWidth, font->CalcTextSizeA(fs, FLT_MAX, 0.0f, text.data() + a, text.data() + b).x);
        g.showName = !line.own;
        const float nameWidth = g.showName ? ImGui::CalcTextSize(line.from.c_str()).x : 0.0f;
        const float metaWidth = font->CalcTextSizeA(fs * 0.8f, FLT_MAX, 0.0f, MetaText(line).c_str()).x;
        const float inner = std::max({textWidth, nameWidth, metaWidth, fs});
        const float bubbleW = std::min(inner + 2 * pad, maxBubble);
        const float bubbleH = pad + (g.showName ? fs * 1.15f : 0.0f) + fs * static_cast<float>(g.lines.size()) +
                              fs * 0.95f + pad * 0.5f;
        const float left = line.own ? width - bubbleW - pad : pad;
        g.boxMin = ImVec2(left, bodyTop);
        g.boxMax = ImVec2(left + bubbleW, bodyTop + bubbleH);
        g.textPos = ImVec2(left + pad, bodyTop + pad + (g.showName ? fs * 1.15f : 0.0f));
        g.height = bodyTop + bubbleH + pad * 0.5f;
    }
    else if (line.kind == LineKind::Announce)
    {
        g.textWrap = width - 6 * pad;
        g.lines = WrapLines(font, fs, text, g.textWrap);
        const float bandH = pad + fs * 1.15f + fs * static_cast<float>(g.lines.size()) + pad;
        g.boxMin = ImVec2(pad, bodyTop);
        g.boxMax = ImVec2(width - pad, bodyTop + bandH);
        g.textPos = ImVec2(3 * pad, bodyTop + pad + fs * 1.15f);
        g.height = bodyTop + bandH + pad * 0.5f;
    }
    else
    {
        g.textWrap = std::max(fs * 4.0f, width * 0.8f);
        g.lines = WrapLines(font, fs, text, g.textWrap);
        float textWidth = 0.0f;
        for (const auto& [a, b] : g.lines)
            textWidth = std::max(textWidth, font->CalcTextSizeA(fs, FLT_MAX, 0.0f, text.data() + a, text.data() + b).x);
        const float left = std::max(pad, (width - textWidth) * 0.5f);
        g.textPos = ImVec2(left, bodyTop);
        g.boxMin = ImVec2(left - pad, bodyTop);
        g.boxMax = ImVec2(left + textWidth + pad, bodyTop + fs * static_cast<float>(g.lines.size()));
        g.height = bodyTop + fs * static_cast<float>(g.lines.size()) + pad * 0.5f;
    }
    return g;
}

float ChatView::MeasureRow(const Conversation& c, std::size_t row, float width) const
{
    return Geometry(c, row, width).height;
}

void ChatView::Relayout(const Conversation& c, float width)
{
    std::size_t from = std::min(m_offsets.size() - 1, c.layoutFrom); // rows already measured and unmoved
    const bool conversationChanged = m_conversation != &c;
    if (conversationChanged || width != m_width || ImGui::GetFontSize() != m_fontSize || from > c.lines.size())
    {
        from = 0;
        if (conversationChanged)
        {
            m_hasSelection = false;
            m_selecting = false;
        }
    }
    if (m_unreadAt != c.firstUnread)
    {
        if (m_unreadAt)
            from = std::min(from, *m_unreadAt);
        if (c.firstUnread)
            from = std::min(from, *c.firstUnread);
        m_unreadAt = c.firstUnread;
    }
    m_conversation = &c;
    m_width = width;
    m_fontSize = ImGui::GetFontSize();
    m_offsets.resize(from + 1);
    m_offsets.reserve(c.lines.size() + 1);
    for (std::size_t row = from; row < c.lines.size(); ++row)
        m_offsets.push_back(m_offsets.back() + MeasureRow(c, row, width));
    m_stats.relayoutRows = static_cast<float>(c.lines.size() - from);
}

std::size_t ChatView::RowAt(float y) const
{
    // last row whose top is <= y
    auto it = std::upper_bound(m_offsets.begin(), m_offsets.end() - 1, y);
    if (it == m_offsets.begin())
        return 0;
    return static_cast<std::size_t>(it - m_offsets.begin()) - 1;
}

// [SECTION] Selection

TextPos ChatView::HitTest(const Conversation& c, const RowGeometry& g, std::size_t row, ImVec2 local) const
{
    const std::string text = RowText(c.lines[row]);
    const float top = m_offsets[row] + g.textPos.y;
    if (g.lines.empty() || local.y < top)
        return {row, 0};
    const std::size_t index = static_cast<std::size_t>((local.y - top) / g.lineHeight);
    if (index >= g.lines.size())
        return {row, text.size()};
    const auto [a, b] = g.lines[index];
    const ImFont* font = ImGui::GetFont();
    const float scale = ImGui::GetFontSize() / font->FontSize;
    float x = g.textPos.x;
    std::size_t i = a;
    while (i < b)
    {
        std::size_t next = i;
        const char32_t cp = engine::NextCodepoint(text, next);
        const float advance = font->GetCharAdvance(static_cast<ImWchar>(cp <= 0xFFFF ? cp : 0xFFFD)) * scale;
        if (local.x < x + advance * 0.5f)
            return {row, i};
        x += advance;
        i = next;
    }
    return {row, b};
}

void ChatView::Select(TextPos from, TextPos to)
{
    m_anchor = from;
    m_cursor = to;
    m_hasSelection = true;
}

std::string ChatView::SelectedText() const
{
    if (!HasSelection() || !m_conversation)
        return {};
    TextPos a = std::min(m_anchor, m_cursor);
    TextPos b = std::max(m_anchor, m_cursor);
    const auto& lines = m_conversation->lines;
    if (a.row >= lines.size())
        return {};
    b.row = std::min(b.row, lines.size() - 1);
    std::string out;
    for (std::size_t row = a.row; row <= b.row; ++row)
    {
        const Line& line = lines[row];
        const std::string text = RowText(line);
        const std::size_t from = row == a.row ? std::min(a.byte, text.size()) : 0;
        const std::size_t to = row == b.row ? std::min(b.byte, text.size()) : text.size();
        if (a.row == b.row)
            return text.substr(from, to - from);
        if (!out.empty())
            out += '\n';
        out += "[" + engine::LocalTimeHM(line.timeMs) + "] ";
        if (IsBubble(line))
            out += (line.from.empty() ? std::string("?") : line.from) + ": ";
        out += text.substr(from, to > from ? to - from : 0);
    }
    return out;
}

void ChatView::CopyToClipboard(const std::string& text) const
{
    ImGui::SetClipboardText(text.c_str());
}

// [SECTION] Drawing

void ChatView::DrawRow(ImDrawList* draw, const Conversation& c, std::size_t row, const RowGeometry& g, ImVec2 origin)
{
    const Line& line = c.lines[row];
    const float fs = ImGui::GetFontSize();
    const float pad = Pad();
    const ImFont* font = ImGui::GetFont();
    const float top = origin.y + m_offsets[row];
    const float width = m_width;
    const auto at = [&](ImVec2 p) { return ImVec2(origin.x + p.x, top + p.y); };

    float y = top;
    if (g.dayHeader)
    {
        const std::string label = engine::LocalDateLong(line.timeMs);
        const ImVec2 size = ImGui::CalcTextSize(label.c_str());
        const float cx = origin.x + width * 0.5f;
        const float cy = y + fs;
        draw->AddLine(ImVec2(origin.x + pad, cy), ImVec2(cx - size.x * 0.5f - pad, cy), theme::Separator);
        draw->AddLine(ImVec2(cx + size.x * 0.5f + pad, cy), ImVec2(origin.x + width - pad, cy), theme::Separator);
        draw->AddText(ImVec2(cx - size.x * 0.5f, cy - fs * 0.5f), theme::SystemText, label.c_str());
        y += fs * 2.0f;
    }
    if (g.unreadHeader)
    {
        const char* label = "new messages";
        const ImVec2 size = ImGui::CalcTextSize(label);
        const float cy = y + fs;
        draw->AddLine(ImVec2(origin.x + pad, cy), ImVec2(origin.x + width - size.x - 2 * pad, cy), theme::UnreadSeparator, 2.0f);
        draw->AddText(ImVec2(origin.x + width - size.x - pad, cy - fs * 0.5f), theme::UnreadSeparator, label);
    }

    const std::string text = RowText(line);
    ImU32 textColor = theme::SystemText;
    if (IsBubble(line))
    {
        const ImU32 fill = line.own ? theme::SentBubble : theme::ReceivedBubble;
        textColor = line.own ? theme::SentText : theme::ReceivedText;
        draw->AddRectFilled(at(g.boxMin), at(g.boxMax), fill, fs * 0.6f);
        if (line.failed)
            draw->AddRect(at(g.boxMin), at(g.boxMax), theme::ErrorText, fs * 0.6f, 0, 2.0f);
        else if (c.highlight && line.id == *c.highlight)
            draw->AddRect(at(g.boxMin), at(g.boxMax), theme::UnreadSeparator, fs * 0.6f, 0, 3.0f);
        if (g.showName)
            draw->AddText(at(ImVec2(g.boxMin.x + pad, g.boxMin.y + pad * 0.8f)),
                          line.kind == LineKind::Private ? theme::PrivateAccent : theme::NameText, line.from.c_str());
        const std::string meta = MetaText(line);
        const float metaWidth = font->CalcTextSizeA(fs * 0.8f, FLT_MAX, 0.0f, meta.c_str()).x;
        const ImU32 metaColor = line.failed ? (line.own ? theme::Rgb(0xff, 0xc9, 0xc9) : theme::ErrorText)
                                            : (line.own ? theme::Rgb(0xcf, 0xec, 0xf1) : theme::Rgb(0x6b, 0x7f, 0x86));
        draw->AddText(font, fs * 0.8f, at(ImVec2(g.boxMax.x - pad - metaWidth, g.boxMax.y - fs * 0.95f)), metaColor, meta.c_str());
    }
    else if (line.kind == LineKind::Announce)
    {
        textColor = theme::AnnounceText;
        draw->AddRectFilled(at(g.boxMin), at(g.boxMax), theme::AnnounceBand, fs * 0.4f);
        const std::string head = "Announcement \xC2\xB7 " + engine::LocalTimeHM(line.timeMs);
        draw->AddText(at(ImVec2(g.boxMin.x + 2 * pad, g.boxMin.y + pad * 0.8f)), theme::AnnounceText, head.c_str());
    }
    else if (line.kind == LineKind::Error)
        textColor = theme::ErrorText;

    // selection highlight, then the text on top
    TextPos a = std::min(m_anchor, m_cursor);
    TextPos b = std::max(m_anchor, m_cursor);
    const bool selected = HasSelection() && row >= a.row && row <= b.row;
    const float scale = fs / font->FontSize;
    for (std::size_t i = 0; i < g.lines.size(); ++i)
    {
        const auto [la, lb] = g.lines[i];
        const ImVec2 pos = at(ImVec2(g.textPos.x, g.textPos.y + g.lineHeight * static_cast<float>(i)));
        if (selected)
        {
            const std::size_t s0 = std::max(la, row == a.row ? a.byte : 0);
            const std::size_t s1 = std::min(lb, row == b.row ? b.byte : text.size());
            if (s0 < s1 || (s0 == s1 && s1 == lb && (row != b.row || b.byte > lb)))
            {
                const float x0 = font->CalcTextSizeA(fs, FLT_MAX, 0.0f, text.data() + la, text.data() + s0).x;
                float x1 = font->CalcTextSizeA(fs, FLT_MAX, 0.0f, text.data() + la, text.data() + s1).x;
                if (s1 == lb && (row != b.row || b.byte > lb))
                    x1 += font->GetCharAdvance(' ') * scale; // the line break is selected too
                draw->AddRectFilled(ImVec2(pos.x + x0, pos.y), ImVec2(pos.x + x1, pos.y + g.lineHeight), theme::Selection);
            }
        }
        draw->AddText(font, fs, pos, textColor, text.data() + la, text.data() + lb);
    }
}

void ChatView::Draw(Conversation& c, const ImVec2& size)
{
    ImGui::PushStyleColor(ImGuiCol_ChildBg, theme::ChatArea);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
    ImGui::BeginChild("##chat", size, false, ImGuiWindowFlags_NoNavInputs);
    ImGui::PopStyleVar();

    const float scrollbar = ImGui::GetStyle().ScrollbarSize;
    const float width = std::max(1.0f, ImGui::GetWindowWidth() - scrollbar);
    const std::size_t before = m_offsets.size() - 1;
    const bool sameConversation = m_conversation == &c;
    if (m_settling > 0)
        --m_settling;
    const bool moved = sameConversation && c.layoutFrom != NoLine; // history inserted above or between rows
    if (moved)
        m_hasSelection = m_selecting = false; // row numbers shifted
    Relayout(c, width);
    c.layoutFrom = NoLine;
    const float total = m_offsets.back() + Pad();
    const float viewHeight = ImGui::GetWindowHeight();

    // Follow new lines when already at the bottom; jump when asked.
    if (!sameConversation)
        m_scrollToBottom = !c.firstUnread.has_value(), m_scrollToRow = c.firstUnread;
    if (c.jumpTo)
        if (auto row = c.IndexOf(*c.jumpTo))
        {
            m_scrollToRow = *row > 2 ? *row - 2 : 0;
            c.highlight = c.jumpTo;
            c.jumpTo.reset();
        }
    if (moved && !m_atBottom && !m_scrollToRow)
    {
        // keep the row that was at the top where it was
        const auto it = std::lower_bound(c.lines.begin(), c.lines.end(), m_anchorSeq,
                                         [](const Line& line, std::uint64_t seq) { return line.seq < seq; });
        const std::size_t row = static_cast<std::size_t>(it - c.lines.begin());
        if (row < c.lines.size())
            ImGui::SetScrollY(m_offsets[row] + m_anchorOffset);
        m_settling = 2;
    }
    if (m_scrollToRow && *m_scrollToRow < c.lines.size())
    {
        ImGui::SetScrollY(std::max(0.0f, m_offsets[*m_scrollToRow]));
        m_settling = 2;
        m_scrollToRow.reset();
        m_scrollToBottom = false;
    }
    else if (m_scrollToBottom || (m_atBottom && c.lines.size() > before && sameConversation))
    {
        ImGui::SetScrollY(std::max(0.0f, total - viewHeight));
        m_settling = 2;
        m_scrollToBottom = false;
    }

    const ImVec2 origin = ImGui::GetCursorScreenPos(); // content origin (moves with scrolling)
    ImGui::Dummy(ImVec2(width, std::max(total, 1.0f)));
    const float scrollY = ImGui::GetScrollY();
    m_atBottom = scrollY >= ImGui::GetScrollMaxY() - 2.0f;

    m_stats = Stats{0, 0, total, m_stats.relayoutRows};
    if (c.loadingOlder)
        ImGui::GetWindowDrawList()->AddText(ImVec2(origin.x + Pad(), origin.y + scrollY + Pad() * 0.5f), theme::SystemText,
                                            "loading older messages\xE2\x80\xA6");
    else if (scrollY <= 1.0f && c.hasMore && !c.lines.empty() && sameConversation && m_settling == 0)
        m_olderRequest = true; // at the top (or everything fits): load the page before
    if (!c.lines.empty())
    {
        ImDrawList* draw = ImGui::GetWindowDrawList();
        const ImVec2 mouse = ImGui::GetMousePos();
        const ImVec2 local(mouse.x - origin.x, mouse.y - origin.y);
        const bool hovered = ImGui::IsWindowHovered();
        const std::size_t first = RowAt(scrollY);
        std::size_t row = first;
        m_stats.firstRow = first;
        m_anchorSeq = c.lines[first].seq;
        m_anchorOffset = scrollY - m_offsets[first];
        std::optional<std::size_t> hoveredRow;
        for (; row < c.lines.size() && m_offsets[row] < scrollY + viewHeight; ++row)
        {
            const RowGeometry g = Geometry(c, row, width);
            DrawRow(draw, c, row, g, origin);
            ++m_stats.rowsDrawn;
            const float top = m_offsets[row];
            if (hovered && local.y >= top && local.y < top + g.height)
            {
                hoveredRow = row;
                const ImVec2 boxMin(g.boxMin.x, top + g.boxMin.y), boxMax(g.boxMax.x, top + g.boxMax.y);
                if (local.x >= boxMin.x && local.x < boxMax.x && local.y >= boxMin.y && local.y < boxMax.y &&
                    !m_selecting && !ImGui::IsMouseDown(ImGuiMouseButton_Left))
                    ImGui::SetTooltip("%s", engine::LocalDateTime(c.lines[row].timeMs).c_str());
                if (ImGui::IsMouseClicked(ImGuiMouseButton_Left))
                {
                    m_anchor = m_cursor = HitTest(c, g, row, local);
                    m_selecting = true;
                    m_hasSelection = true;
                }
            }
            if (m_selecting && ImGui::IsMouseDown(ImGuiMouseButton_Left) && local.y >= top && local.y < top + g.height)
                m_cursor = HitTest(c, g, row, local);
        }
        if (m_selecting)
        {
            if (!ImGui::IsMouseDown(ImGuiMouseButton_Left))
                m_selecting = false;
            else
            {
                // dragging past the edges: extend to the ends and scroll
                const ImVec2 winMin = ImGui::GetWindowPos();
                if (mouse.y < winMin.y)
                {
                    m_cursor = {first, 0};
                    ImGui::SetScrollY(std::max(0.0f, scrollY - ImGui::GetFontSize()));
                }
                else if (mouse.y > winMin.y + viewHeight)
                {
                    const std::size_t last = row > 0 ? row - 1 : 0;
                    m_cursor = {last, RowText(c.lines[last]).size()};
                    ImGui::SetScrollY(scrollY + ImGui::GetFontSize());
                }
            }
        }
        if (hoveredRow && ImGui::IsMouseClicked(ImGuiMouseButton_Right))
        {
            m_menuRow = hoveredRow;
            ImGui::OpenPopup("##row menu");
        }
    }

    if (ImGui::BeginPopup("##row menu"))
    {
        if (m_menuRow && *m_menuRow < c.lines.size())
        {
            const Line& line = c.lines[*m_menuRow];
            if (HasSelection() && ImGui::MenuItem("Copy selection", "Ctrl+C"))
                CopyToClipboard(SelectedText());
            if (ImGui::MenuItem("Copy message"))
                CopyToClipboard(RowText(line));
            if (IsBubble(line) && !line.own && !line.from.empty() && ImGui::MenuItem(("Message " + line.from + " privately").c_str()))
                m_privateRequest = line.from;
        }
        ImGui::EndPopup();
    }

    const ImGuiIO& io = ImGui::GetIO();
    if (HasSelection() && !io.WantTextInput && io.KeyCtrl && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_C), false))
        CopyToClipboard(SelectedText());
    if (HasSelection() && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false))
        m_hasSelection = false;

    ImGui::EndChild();
    ImGui::PopStyleColor();
}

} // namespace obrol::ui

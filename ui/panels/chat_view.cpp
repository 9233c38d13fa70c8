#include "ui/panels/chat_view.hpp"

#include "engine/clock.hpp"
#include "engine/units.hpp"
#include "engine/utf8.hpp"
#include "ui/panels/theme.hpp"

#include <algorithm>
#include <cmath>
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
            meta += "  \xE2\x9C\x97 not delivered"; // U+2717, next to the U+2713 every font we load has
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
    // file rows
    bool file = false;
    bool preview = false;
    ImVec2 previewMin, previewMax; // the preview's box (image centred in it), or the file card's icon
    ImVec2 previewSize;            // the image itself
    float infoY = 0.0f;            // "2.1 MiB · image/png"
    float statusY = 0.0f;          // progress bar, Download button or state
    std::vector<std::pair<std::size_t, std::size_t>> failureLines; // an own file that was not sent: why, wrapped
};

static float Pad() { return ImGui::GetFontSize() * 0.5f; }

ImVec2 PreviewSize(const net::FileInfo& file, float maxSide, float scale)
{
    const float w = std::max<float>(1.0f, file.thumbWidth);
    const float h = std::max<float>(1.0f, file.thumbHeight);
    const float k = std::min(maxSide / std::max(w, h), scale);
    return ImVec2(std::max(1.0f, std::floor(w * k)), std::max(1.0f, std::floor(h * k)));
}

namespace {

constexpr float BaseFontSize = 16.0f; // the font size at 100 % scale: previews are ~240 px there

std::string FileInfoText(const net::FileInfo& f)
{
    std::string text = engine::FormatSize(f.size);
    if (f.imageWidth > 0)
        text = std::to_string(f.imageWidth) + "\xC3\x97" + std::to_string(f.imageHeight) + " \xC2\xB7 " + text;
    else if (!f.mime.empty() && f.mime != "application/octet-stream")
        text += " \xC2\xB7 " + f.mime;
    return text;
}

// "PDF", "ZIP", ...: up to four letters of the extension, for the file card's icon.
std::string ExtensionLabel(const std::string& name)
{
    const auto dot = name.find_last_of('.');
    if (dot == std::string::npos || dot + 1 >= name.size())
        return "FILE";
    std::string ext = name.substr(dot + 1, 4);
    for (char& c : ext)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    return ext;
}

} // namespace

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

    if (IsBubble(line) && line.file)
    {
        // a file: preview (or card), the name, size and type, a status line, the time
        g.file = true;
        const float scale = fs / BaseFontSize;
        const float maxBubble = std::max(fs * 8.0f, std::min(width * 0.72f, fs * 38.0f));
        g.preview = line.file->thumbWidth > 0 && line.file->thumbHeight > 0;
        g.showName = !line.own;
        float inner = fs * 16.0f;
        if (g.preview)
        {
            g.previewSize = PreviewSize(*line.file, std::min(240.0f * scale, maxBubble - 2 * pad), scale);
            inner = std::max(inner, g.previewSize.x);
        }
        inner = std::min(inner, maxBubble - 2 * pad);
        const float bubbleW = inner + 2 * pad;
        const float left = line.own ? width - bubbleW - pad : pad;
        float y = bodyTop + pad + (g.showName ? fs * 1.15f : 0.0f);
        float textLeft = left + pad;
        if (g.preview)
        {
            const ImVec2 box(std::max(g.previewSize.x, fs * 2.0f), std::max(g.previewSize.y, fs * 2.0f));
            g.previewMin = ImVec2(left + pad, y);
            g.previewMax = ImVec2(left + pad + box.x, y + box.y);
            y += box.y + pad * 0.5f;
            g.textWrap = inner;
        }
        else
        {
            // a card: a document icon left of the name
            g.previewMin = ImVec2(left + pad, y);
            g.previewMax = ImVec2(left + pad + fs * 2.2f, y + fs * 2.6f);
            textLeft = g.previewMax.x + pad;
            g.textWrap = std::max(fs * 4.0f, left + pad + inner - textLeft);
        }
        g.lines = WrapLines(font, fs, text, g.textWrap);
        if (g.lines.size() > 3)
            g.lines.resize(3); // very long names: three lines (the whole name is in the tooltip)
        g.textPos = ImVec2(textLeft, y);
        float textBottom = y + fs * static_cast<float>(g.lines.size());
        g.infoY = textBottom;
        textBottom += fs * 0.95f;
        if (!g.preview)
            textBottom = std::max(textBottom, g.previewMax.y);
        g.statusY = textBottom + pad * 0.4f;
        float statusHeight = fs * 1.4f;
        if (line.own && line.failed && !line.failure.empty())
        {
            g.failureLines = WrapLines(font, fs * 0.8f, line.failure, inner);
            statusHeight = std::max(statusHeight, fs * 0.85f * static_cast<float>(g.failureLines.size()) + fs * 0.3f);
        }
        const float bubbleBottom = g.statusY + statusHeight + fs * 0.95f + pad * 0.5f;
        g.boxMin = ImVec2(left, bodyTop);
        g.boxMax = ImVec2(left + bubbleW, bubbleBottom);
        g.height = bubbleBottom + pad * 0.5f;
    }
    else if (IsBubble(line))
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
        if (g.file)
            DrawFile(draw, line, g, ImVec2(origin.x, top), textColor);
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

// The preview or card, the size line and the status line (progress, buttons) of a file row.
void ChatView::DrawFile(ImDrawList* draw, const Line& line, const RowGeometry& g, ImVec2 rowOrigin, ImU32 textColor)
{
    const float fs = ImGui::GetFontSize();
    const float pad = Pad();
    const ImFont* font = ImGui::GetFont();
    const auto at = [&](ImVec2 p) { return ImVec2(rowOrigin.x + p.x, rowOrigin.y + p.y); };
    const net::FileInfo& file = *line.file;
    const ImU32 faint = line.own ? theme::Rgb(0xcf, 0xec, 0xf1) : theme::Rgb(0x6b, 0x7f, 0x86);
    ImGui::PushID(static_cast<int>(line.seq ^ (line.seq >> 32)));

    // the preview: click opens the viewer
    const ImVec2 boxMin = at(g.previewMin), boxMax = at(g.previewMax);
    if (g.preview)
    {
        const FilePreview preview = m_files ? m_files->Preview(line) : FilePreview{nullptr, true, "no preview"};
        const ImVec2 imageMin(boxMin.x + (boxMax.x - boxMin.x - g.previewSize.x) * 0.5f,
                              boxMin.y + (boxMax.y - boxMin.y - g.previewSize.y) * 0.5f);
        const ImVec2 imageMax(imageMin.x + g.previewSize.x, imageMin.y + g.previewSize.y);
        if (preview.texture)
            draw->AddImage(preview.texture, imageMin, imageMax);
        else
        {
            draw->AddRectFilled(imageMin, imageMax, theme::Rgb(0xdd, 0xe6, 0xe8), fs * 0.3f);
            const char* label = preview.failed ? "preview unavailable" : "loading preview\xE2\x80\xA6";
            const ImVec2 size = ImGui::CalcTextSize(label);
            if (size.x < imageMax.x - imageMin.x && size.y < imageMax.y - imageMin.y)
                draw->AddText(ImVec2((imageMin.x + imageMax.x - size.x) * 0.5f, (imageMin.y + imageMax.y - size.y) * 0.5f),
                              theme::SystemText, label);
        }
        ImGui::SetCursorScreenPos(boxMin);
        if (ImGui::InvisibleButton("##preview", ImVec2(boxMax.x - boxMin.x, boxMax.y - boxMin.y)))
            m_fileAction = FileAction{FileAction::Kind::View, line.id, net::TransferDirection::Download};
        if (ImGui::IsItemHovered())
        {
            m_fileWidgetHovered = true;
            ImGui::SetMouseCursor(ImGuiMouseCursor_Hand);
            ImGui::SetTooltip("%s\n%s\nClick to view", line.text.c_str(), FileInfoText(file).c_str());
        }
    }
    else
    {
        // a document icon with the extension on it
        const float fold = fs * 0.6f;
        const ImU32 paper = line.own ? theme::Rgb(0xe6, 0xf4, 0xf7) : theme::Rgb(0xe9, 0xf1, 0xf3);
        // one convex outline (the corner under the fold cut off): two rounded rectangles side by
        // side would leave a seam of the bubble's colour between them
        const float r = fs * 0.15f;
        draw->PathLineTo(ImVec2(boxMax.x - fold, boxMin.y));
        draw->PathLineTo(ImVec2(boxMax.x, boxMin.y + fold));
        draw->PathArcToFast(ImVec2(boxMax.x - r, boxMax.y - r), r, 0, 3); // twelfths of a turn, y down
        draw->PathArcToFast(ImVec2(boxMin.x + r, boxMax.y - r), r, 3, 6);
        draw->PathArcToFast(ImVec2(boxMin.x + r, boxMin.y + r), r, 6, 9);
        draw->PathFillConvex(paper);
        draw->AddTriangleFilled(ImVec2(boxMax.x - fold, boxMin.y), ImVec2(boxMax.x, boxMin.y + fold),
                                ImVec2(boxMax.x - fold, boxMin.y + fold), theme::Rgb(0xa9, 0xc7, 0xce));
        const std::string ext = ExtensionLabel(line.text);
        const float extSize = fs * 0.62f;
        const float extWidth = font->CalcTextSizeA(extSize, FLT_MAX, 0.0f, ext.c_str()).x;
        draw->AddText(font, extSize, ImVec2((boxMin.x + boxMax.x - extWidth) * 0.5f, boxMax.y - fs * 1.1f), theme::Frame,
                      ext.c_str());
    }

    // size and type
    const std::string info = FileInfoText(file);
    draw->AddText(font, fs * 0.8f, at(ImVec2(g.textPos.x, g.infoY + fs * 0.1f)), faint, info.c_str());

    // status: progress with speed and time left, or what can be done
    const float statusLeft = g.boxMin.x + pad;
    const float statusWidth = g.boxMax.x - g.boxMin.x - 2 * pad;
    const ImVec2 statusPos = at(ImVec2(statusLeft, g.statusY));
    const TransferView* t = m_files ? m_files->Transfer(line) : nullptr;
    using S = net::TransferStatus::State;
    const auto button = [&](const char* label, const char* tip, float right) {
        const ImVec2 size(ImGui::CalcTextSize(label).x + ImGui::GetStyle().FramePadding.x * 2, fs * 1.3f);
        ImGui::SetCursorScreenPos(ImVec2(right - size.x, statusPos.y));
        const bool clicked = ImGui::Button(label, size);
        if (ImGui::IsItemHovered())
            m_fileWidgetHovered = true;
        theme::Tooltip(tip);
        return std::make_pair(clicked, size.x);
    };
    const float right = statusPos.x + statusWidth;
    if (!g.failureLines.empty())
    {
        // why an own file was not sent, in full
        for (std::size_t i = 0; i < g.failureLines.size(); ++i)
        {
            const auto [a, b] = g.failureLines[i];
            draw->AddText(font, fs * 0.8f, ImVec2(statusPos.x, statusPos.y + fs * 0.15f + fs * 0.85f * static_cast<float>(i)),
                          theme::Rgb(0xff, 0xc9, 0xc9), line.failure.data() + a, line.failure.data() + b);
        }
    }
    else if (t && t->Active())
    {
        const auto [cancel, buttonWidth] = button("Cancel", t->status.direction == net::TransferDirection::Upload
                                                                ? "Stop sending this file"
                                                                : "Stop downloading this file",
                                                  right);
        if (cancel)
            m_fileAction = FileAction{FileAction::Kind::Cancel, t->status.id, t->status.direction};
        const float barRight = right - buttonWidth - pad;
        const float fraction = t->status.size ? static_cast<float>(static_cast<double>(t->status.done) /
                                                                   static_cast<double>(t->status.size))
                                              : (t->status.state == S::Checking ? 1.0f : 0.0f);
        const ImVec2 barMin(statusPos.x, statusPos.y + fs * 0.05f);
        const ImVec2 barMax(barRight, statusPos.y + fs * 0.45f);
        draw->AddRectFilled(barMin, barMax, theme::Rgb(0xc8, 0xdc, 0xe0), fs * 0.2f);
        draw->AddRectFilled(barMin, ImVec2(barMin.x + (barMax.x - barMin.x) * std::clamp(fraction, 0.0f, 1.0f), barMax.y),
                            line.own ? theme::Rgb(0x7f, 0xe0, 0xf0) : theme::Frame, fs * 0.2f);
        std::string label;
        if (t->status.state == S::Waiting && t->status.done > 0)
            label = std::to_string(static_cast<int>(fraction * 100)) + "% \xC2\xB7 paused: waiting for the connection\xE2\x80\xA6";
        else if (t->status.state == S::Waiting)
            label = t->status.direction == net::TransferDirection::Upload ? "waiting for the server\xE2\x80\xA6" : "starting\xE2\x80\xA6";
        else if (t->status.state == S::Checking)
            label = "checking\xE2\x80\xA6";
        else
            label = std::to_string(static_cast<int>(fraction * 100)) + "% \xC2\xB7 " + engine::FormatRate(t->BytesPerSecond()) +
                    " \xC2\xB7 " + engine::FormatDuration(t->SecondsLeft()) + " left";
        draw->AddText(font, fs * 0.75f, ImVec2(statusPos.x, statusPos.y + fs * 0.5f), faint, label.c_str());
    }
    else if (t && t->status.state == S::Done && t->status.direction == net::TransferDirection::Download)
    {
        const std::string saved = "\xE2\x9C\x93 saved as " + t->status.path.filename().string();
        draw->AddText(font, fs * 0.8f, ImVec2(statusPos.x, statusPos.y + fs * 0.25f), textColor, saved.c_str());
        const ImVec2 size = font->CalcTextSizeA(fs * 0.8f, FLT_MAX, 0.0f, saved.c_str());
        if (ImGui::IsMouseHoveringRect(ImVec2(statusPos.x, statusPos.y), ImVec2(statusPos.x + size.x, statusPos.y + fs * 1.3f)))
            ImGui::SetTooltip("Saved to %s", t->status.path.string().c_str());
    }
    else if (t && (t->status.state == S::Failed || t->status.state == S::Cancelled))
    {
        float textRight = right;
        if (!line.own && line.id != 0)
        {
            const auto [retry, width] = button("Retry", "Download it again", right);
            if (retry)
                m_fileAction = FileAction{FileAction::Kind::Download, line.id, net::TransferDirection::Download};
            textRight -= width + pad;
        }
        const std::string why = (t->status.state == S::Cancelled ? "cancelled" : "failed: " + t->status.error);
        draw->PushClipRect(ImVec2(statusPos.x, statusPos.y), ImVec2(textRight, statusPos.y + fs * 1.4f), true);
        draw->AddText(font, fs * 0.8f, ImVec2(statusPos.x, statusPos.y + fs * 0.25f),
                      line.own ? theme::Rgb(0xff, 0xc9, 0xc9) : theme::ErrorText, why.c_str());
        draw->PopClipRect();
        if (ImGui::IsMouseHoveringRect(ImVec2(statusPos.x, statusPos.y), ImVec2(textRight, statusPos.y + fs * 1.4f)))
            ImGui::SetTooltip("%s", why.c_str());
    }
    else if (!line.own && line.id != 0)
    {
        const auto [download, width] = button("Download", "Save this file in your downloads folder", right);
        (void)width;
        if (download)
            m_fileAction = FileAction{FileAction::Kind::Download, line.id, net::TransferDirection::Download};
    }
    else if (line.own && line.id != 0)
        draw->AddText(font, fs * 0.8f, ImVec2(statusPos.x, statusPos.y + fs * 0.25f), faint,
                      line.to.IsEveryone() ? "sent to everyone"
                      : line.to.IsRoom()   ? ("sent to #" + line.to.name).c_str()
                                           : ("sent to " + line.to.name).c_str());
    ImGui::PopID();
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
    // at the bottom, stay there when lines arrive or a row grows (an upload's card becoming its picture)
    else if (m_scrollToBottom || (m_atBottom && sameConversation && (c.lines.size() > before || total > m_lastTotal)))
    {
        ImGui::SetScrollY(std::max(0.0f, total - viewHeight));
        m_settling = 2;
        m_scrollToBottom = false;
    }

    m_lastTotal = total;
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
        m_fileWidgetHovered = false;
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
                if (ImGui::IsMouseClicked(ImGuiMouseButton_Left) && !m_fileWidgetHovered)
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

// One conversation drawn as chat bubbles: own messages right, others left, system lines
// centred, day and "new messages" separators. Rows vary in height, so each row's height is
// cached for the current wrap width and the visible range is found by binary search
// (100,000 lines scroll like 10). Text can be selected with the mouse and copied (Ctrl+C
// or the context menu). UI thread only.
#pragma once

#include "ui/model/client_model.hpp"

#include <imgui.h>

#include <optional>
#include <string>
#include <vector>

namespace obrol::ui {

struct TextPos
{
    std::size_t row = 0;
    std::size_t byte = 0;
    friend bool operator<(const TextPos& a, const TextPos& b) { return a.row != b.row ? a.row < b.row : a.byte < b.byte; }
    friend bool operator==(const TextPos& a, const TextPos& b) { return a.row == b.row && a.byte == b.byte; }
};

// Splits `text` into display lines of at most `wrapWidth` pixels (word wrap, '\n' breaks).
// Each entry is a byte range [first, second) of `text`.
std::vector<std::pair<std::size_t, std::size_t>> WrapLines(const ImFont* font, float size, const std::string& text,
                                                            float wrapWidth);

// What a row shows as selectable text (the message itself, or the system line).
std::string RowText(const Line& line);

// What a file row needs from outside the view: its preview texture and its transfer.
struct FilePreview
{
    ImTextureID texture = nullptr; // ready to draw
    bool failed = false;           // no preview will come: show why
    std::string error;
};

class FileRows
{
public:
    virtual ~FileRows() = default;
    // The preview of a file message with a server thumbnail; asks for it when not loaded yet.
    virtual FilePreview Preview(const Line& line) = 0;
    // The upload (own pending line) or download of a file row, if any.
    virtual const TransferView* Transfer(const Line& line) = 0;
};

// A click on a file row, taken by the panel.
struct FileAction
{
    enum class Kind { Download, Cancel, View };
    Kind kind = Kind::Download;
    std::uint64_t id = 0; // the message id (Download/View/Cancel of a download) or the upload's client id
    net::TransferDirection direction = net::TransferDirection::Download;
};

// The size a preview is drawn at: the thumbnail fitted into `maxSide` (never above `scale` x its
// own size), at least one pixel each way.
ImVec2 PreviewSize(const net::FileInfo& file, float maxSide, float scale);

class ChatView
{
public:
    struct Stats
    {
        std::size_t rowsDrawn = 0;
        std::size_t firstRow = 0;
        float contentHeight = 0.0f;
        float relayoutRows = 0.0f; // rows whose height was (re)computed this frame
    };

    // Draws into a child window of `size` (0,0: all remaining space).
    void Draw(Conversation& conversation, const ImVec2& size = ImVec2(0, 0));

    bool HasSelection() const { return m_hasSelection && !(m_anchor == m_cursor); }
    std::string SelectedText() const;
    void Select(TextPos from, TextPos to); // for keyboard-free callers and tests
    void ClearSelection() { m_hasSelection = false; }
    void ScrollToBottom() { m_scrollToBottom = true; }
    void ScrollToRow(std::size_t row) { m_scrollToRow = row; }

    // A name the user asked to message privately from a row's context menu (taken once).
    std::optional<std::string> TakePrivateRequest() { return std::exchange(m_privateRequest, std::nullopt); }
    // True once when the user scrolled to the top of a conversation that has older messages.
    bool TakeOlderRequest() { return std::exchange(m_olderRequest, false); }
    // File rows draw previews and progress through `files` (none: file cards without previews).
    void SetFiles(FileRows* files) { m_files = files; }
    std::optional<FileAction> TakeFileAction() { return std::exchange(m_fileAction, std::nullopt); }

    const Stats& LastStats() const { return m_stats; }

private:
    struct RowGeometry; // computed per visible row each frame

    void Relayout(const Conversation& conversation, float width);
    float MeasureRow(const Conversation& conversation, std::size_t row, float width) const;
    RowGeometry Geometry(const Conversation& conversation, std::size_t row, float width) const;
    std::size_t RowAt(float y) const;
    TextPos HitTest(const Conversation& conversation, const RowGeometry& g, std::size_t row, ImVec2 local) const;
    void DrawRow(ImDrawList* draw, const Conversation& conversation, std::size_t row, const RowGeometry& g, ImVec2 origin);
    void DrawFile(ImDrawList* draw, const Line& line, const RowGeometry& g, ImVec2 rowOrigin, ImU32 textColor);
    void CopyToClipboard(const std::string& text) const;

    const Conversation* m_conversation = nullptr;
    std::vector<float> m_offsets{0.0f}; // m_offsets[i]: top of row i; back(): total height
    float m_width = -1.0f;
    float m_lastTotal = 0.0f;           // content height last frame
    float m_fontSize = 0.0f;
    std::optional<std::size_t> m_unreadAt;
    bool m_atBottom = true;
    bool m_scrollToBottom = true;
    std::optional<std::size_t> m_scrollToRow;

    bool m_hasSelection = false;
    bool m_selecting = false;
    TextPos m_anchor;
    TextPos m_cursor;
    std::optional<std::size_t> m_menuRow;
    std::optional<std::string> m_privateRequest;
    bool m_olderRequest = false;
    FileRows* m_files = nullptr;
    std::optional<FileAction> m_fileAction;
    bool m_fileWidgetHovered = false; // a button in a file row has the mouse: no text selection
    int m_settling = 2;              // frames until a requested scroll has surely been applied
    std::uint64_t m_anchorSeq = 0;   // the row at the top of the view, kept in place when older rows arrive
    float m_anchorOffset = 0.0f;
    Stats m_stats;
};

} // namespace obrol::ui

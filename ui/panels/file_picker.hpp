// An in-app file picker drawn as a modal popup, the same on Windows, Linux and macOS: a path
// field, Up/Home/Refresh, folders then files (size, modified date) sorted case-insensitively, a
// filter, hidden files on demand, single, Ctrl- and Shift-click selection. The folder is read only
// when it is entered or refreshed, and only the visible rows are drawn, so a folder of 10,000
// files costs no more per frame than one of ten. Every filesystem error becomes a line of text.
// ImGui only (no GL). UI thread only.
#pragma once

#include <imgui.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace obrol::ui {

class FilePicker
{
public:
    struct Entry
    {
        std::string name;      // UTF-8
        std::string lowerName; // ASCII letters folded: sorting and filtering
        bool folder = false;
        bool hidden = false;               // a dot file
        std::optional<std::uint64_t> size; // files only; nullopt when it could not be read
        std::int64_t modifiedMs = 0;       // UTC milliseconds; 0 when unknown
        std::string sizeText;              // FormatSize, filled when read
        std::string dateText;              // local date, filled when first drawn
    };

    using Rect = std::pair<ImVec2, ImVec2>;

    // Shows the picker from the next Draw on, in `start` (the home folder when empty or unreadable).
    // `confirm` labels the button that returns the selection; `multiple` allows choosing several files.
    void Open(const std::filesystem::path& start, std::string title, std::string confirm = "Send",
              bool multiple = true);
    void Close();
    bool IsOpen() const { return m_open; }

    // Call every frame. Returns the chosen files (full paths) once, in the frame the user
    // confirms (the confirm button, Enter, or a double-click on a file); then the picker closes.
    std::optional<std::vector<std::filesystem::path>> Draw();

    // What the buttons and the path field do. Navigate to a file opens its folder and selects
    // it; to a missing path it stays put and reports the error. Returns whether it moved.
    bool Navigate(const std::filesystem::path& target);
    void Up();
    void Home();
    void Refresh();

    // Selects the visible entry named `name` as a plain click would (false when there is none).
    bool Select(const std::string& name);

    const std::filesystem::path& Folder() const { return m_folder; }
    // The error shown under the path field ("" when none): a bad path, or "cannot open: <reason>".
    const std::string& Error() const { return m_error; }
    const std::vector<Entry>& Entries() const { return m_entries; } // the whole folder, sorted
    std::vector<std::string> VisibleNames() const;                  // after the filter and hidden files
    std::vector<std::filesystem::path> Selection() const;           // selected files, in list order

    std::string& PathInput() { return m_pathInput; }
    std::string& FilterInput() { return m_filter; }
    void SetShowHidden(bool show);
    bool ShowHidden() const { return m_showHidden; }

    // Where things were drawn last frame, for tests: "Up", "Home", "Refresh", "path", "filter",
    // "hidden", "Cancel", "confirm"; rows by entry name (only rows drawn, i.e. scrolled into view).
    std::optional<Rect> ItemRect(const std::string& what) const;
    std::optional<Rect> RowRect(const std::string& name) const;
    int RowsDrawn() const { return m_rowsDrawn; }

private:
    void Load(const std::filesystem::path& folder);
    void Refilter();
    void ClickRow(std::size_t visibleRow, bool ctrl, bool shift);
    std::optional<std::vector<std::filesystem::path>> Confirm();
    std::optional<std::vector<std::filesystem::path>> Activate(std::size_t entry);
    void SetSelected(std::size_t entry, bool selected);
    void ClearSelection();
    void Remember(const char* what);

    void DrawNavigation();
    void DrawFilter();
    std::optional<std::vector<std::filesystem::path>> DrawList(float height);
    std::optional<std::vector<std::filesystem::path>> DrawFooter();

    bool m_open = false;
    bool m_openRequested = false;
    bool m_closePending = false; // Close() was called: the popup closes in the next Draw
    std::string m_title;
    std::string m_confirm;
    bool m_multiple = true;

    std::filesystem::path m_folder;
    std::vector<Entry> m_entries;
    std::vector<std::size_t> m_visible; // indices into m_entries, in list order
    std::vector<bool> m_selected;       // by index into m_entries
    std::size_t m_selectedCount = 0;    // folders included
    std::size_t m_selectedFiles = 0;
    std::uint64_t m_selectedBytes = 0;
    std::optional<std::size_t> m_anchor; // entry where a Shift-click range starts
    std::string m_error;
    bool m_scrollToSelection = false;

    std::string m_pathInput;
    std::string m_filter;
    std::string m_appliedFilter;
    bool m_showHidden = false;

    std::map<std::string, Rect> m_itemRects;
    std::map<std::string, Rect> m_rowRects;
    int m_rowsDrawn = 0;
};

} // namespace obrol::ui

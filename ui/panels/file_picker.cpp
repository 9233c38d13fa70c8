// The file picker: reading a folder (std::filesystem, every error as text), selection, drawing.
#include "ui/panels/file_picker.hpp"

#include "engine/clock.hpp"
#include "engine/units.hpp"
#include "ui/panels/theme.hpp"

#include <imgui_stdlib.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <system_error>

namespace obrol::ui {

namespace fs = std::filesystem;

namespace {

constexpr const char* PopupId = "###obrol file picker";
const ImVec4 ErrorColour(1.0f, 0.55f, 0.55f, 1.0f); // readable on the dark popup background

std::string PathText(const fs::path& path)
{
    const std::u8string text = path.u8string();
    return std::string(text.begin(), text.end());
}

fs::path PathFromText(const std::string& text)
{
    return fs::path(std::u8string(text.begin(), text.end()));
}

std::string Lower(std::string text)
{
    for (char& c : text)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return text;
}

std::string Trim(const std::string& text)
{
    const auto begin = text.find_first_not_of(" \t");
    if (begin == std::string::npos)
        return {};
    return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

fs::path HomeFolder()
{
#if defined(_WIN32)
    const char* home = std::getenv("USERPROFILE");
#else
    const char* home = std::getenv("HOME");
#endif
    if (home && *home)
        return fs::path(home);
    std::error_code ec;
    fs::path current = fs::current_path(ec);
    return ec ? fs::path("/") : current;
}

// "/a/b/" and "/a/b/." name the same folder as "/a/b": one spelling, so Up and the field agree.
fs::path Tidy(const fs::path& path)
{
    fs::path tidy = path.lexically_normal();
    if (tidy.has_relative_path() && !tidy.has_filename())
        tidy = tidy.parent_path();
    return tidy;
}

std::int64_t ToUnixMs(fs::file_time_type time)
{
    // file_clock's epoch is unspecified before C++20's clock_cast, which not every standard
    // library ships: go through "now" on both clocks instead (off by microseconds at most).
    const auto sinceNow = time - fs::file_time_type::clock::now();
    const auto system =
        std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(sinceNow);
    return std::chrono::duration_cast<std::chrono::milliseconds>(system.time_since_epoch()).count();
}

bool FolderFirstThenName(const FilePicker::Entry& a, const FilePicker::Entry& b)
{
    if (a.folder != b.folder)
        return a.folder;
    if (a.lowerName != b.lowerName)
        return a.lowerName < b.lowerName;
    return a.name < b.name;
}

} // namespace

// [SECTION] Opening, navigating, reading a folder

void FilePicker::Open(const fs::path& start, std::string title, std::string confirm, bool multiple)
{
    m_title = title.empty() ? "Choose a file" : std::move(title);
    m_confirm = confirm.empty() ? "Open" : std::move(confirm);
    m_multiple = multiple;
    m_open = true;
    m_openRequested = true;
    m_closePending = false;
    m_filter.clear();
    m_error.clear();
    if (start.empty() || !Navigate(start))
    {
        const std::string why = m_error;
        Load(HomeFolder());
        if (m_error.empty())
            m_error = why;
    }
}

void FilePicker::Close()
{
    if (m_open)
        m_closePending = true; // the popup itself can only be closed from inside it, in Draw
    m_open = false;
    m_openRequested = false;
}

bool FilePicker::Navigate(const fs::path& target)
{
    if (target.empty())
    {
        m_error = "Type the folder to open.";
        return false;
    }
    std::error_code ec;
    fs::path path = target;
    if (path.is_relative())
        path = m_folder.empty() ? fs::absolute(path, ec) : m_folder / path;
    path = Tidy(path);
    const fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found)
    {
        m_error = "No such folder: " + PathText(path);
        return false;
    }
    if (ec)
    {
        m_error = "Cannot open " + PathText(path) + ": " + ec.message();
        return false;
    }
    if (fs::is_directory(status))
    {
        Load(path);
        return true;
    }
    // a file: show its folder with the file selected
    Load(path.parent_path());
    const std::string name = PathText(path.filename());
    if (!Select(name) && name.starts_with('.'))
    {
        SetShowHidden(true);
        Select(name);
    }
    return true;
}

void FilePicker::Up()
{
    const fs::path parent = m_folder.parent_path();
    if (parent.empty() || parent == m_folder)
        return;
    const std::string came = PathText(m_folder.filename());
    Load(parent);
    Select(came); // so the folder just left is easy to find again
}

void FilePicker::Home()
{
    Navigate(HomeFolder());
}

void FilePicker::Refresh()
{
    std::vector<std::string> selected;
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        if (m_selected[i])
            selected.push_back(m_entries[i].name);
    const std::string filter = m_filter;
    Load(m_folder);
    m_filter = filter;
    Refilter();
    std::sort(selected.begin(), selected.end());
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        if (std::binary_search(selected.begin(), selected.end(), m_entries[i].name))
            SetSelected(i, true);
}

void FilePicker::Load(const fs::path& folder)
{
    m_folder = folder;
    m_pathInput = PathText(folder);
    m_entries.clear();
    m_error.clear();
    m_filter.clear();

    std::error_code ec;
    fs::directory_iterator it(folder, ec);
    const fs::directory_iterator end;
    while (!ec && it != end)
    {
        const fs::directory_entry& item = *it;
        std::error_code itemError;
        Entry entry;
        entry.folder = item.is_directory(itemError); // follows links
        // Regular files and folders only: no sockets, devices or links to nowhere.
        if (entry.folder || item.is_regular_file(itemError))
        {
            entry.name = PathText(item.path().filename());
            entry.lowerName = Lower(entry.name);
            entry.hidden = entry.name.starts_with('.');
            if (!entry.folder)
            {
                const std::uintmax_t size = item.file_size(itemError);
                if (!itemError)
                    entry.size = size;
                entry.sizeText = entry.size ? engine::FormatSize(*entry.size) : "?";
            }
            const fs::file_time_type modified = item.last_write_time(itemError);
            if (!itemError)
                entry.modifiedMs = ToUnixMs(modified);
            m_entries.push_back(std::move(entry));
        }
        it.increment(ec);
    }
    if (ec)
        m_error = "cannot open: " + ec.message();

    std::sort(m_entries.begin(), m_entries.end(), FolderFirstThenName);
    m_selected.assign(m_entries.size(), false);
    m_selectedCount = 0;
    m_selectedFiles = 0;
    m_selectedBytes = 0;
    m_anchor.reset();
    Refilter();
}

void FilePicker::SetShowHidden(bool show)
{
    m_showHidden = show;
    Refilter();
}

void FilePicker::Refilter()
{
    m_appliedFilter = m_filter;
    const std::string filter = Lower(Trim(m_filter));
    m_visible.clear();
    std::vector<bool> visible(m_entries.size(), false);
    for (std::size_t i = 0; i < m_entries.size(); ++i)
    {
        const Entry& entry = m_entries[i];
        if ((entry.hidden && !m_showHidden) || (!filter.empty() && entry.lowerName.find(filter) == std::string::npos))
            continue;
        m_visible.push_back(i);
        visible[i] = true;
    }
    // what is filtered out cannot stay chosen: the user would send files they cannot see
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        if (m_selected[i] && !visible[i])
            SetSelected(i, false);
    if (m_anchor && !visible[*m_anchor])
        m_anchor.reset();
}

// [SECTION] Selection

void FilePicker::SetSelected(std::size_t entry, bool selected)
{
    if (m_selected[entry] == selected)
        return;
    m_selected[entry] = selected;
    const std::uint64_t size = m_entries[entry].size.value_or(0);
    if (selected)
    {
        ++m_selectedCount;
        m_selectedFiles += m_entries[entry].folder ? 0 : 1;
        m_selectedBytes += size;
    }
    else
    {
        --m_selectedCount;
        m_selectedFiles -= m_entries[entry].folder ? 0 : 1;
        m_selectedBytes -= size;
    }
}

void FilePicker::ClearSelection()
{
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        SetSelected(i, false);
}

bool FilePicker::Select(const std::string& name)
{
    for (std::size_t row = 0; row < m_visible.size(); ++row)
        if (m_entries[m_visible[row]].name == name)
        {
            ClickRow(row, false, false);
            m_scrollToSelection = true;
            return true;
        }
    return false;
}

void FilePicker::ClickRow(std::size_t row, bool ctrl, bool shift)
{
    const std::size_t entry = m_visible[row];
    if (m_multiple && shift && m_anchor)
    {
        const auto anchorRow = std::find(m_visible.begin(), m_visible.end(), *m_anchor) - m_visible.begin();
        const std::size_t from = std::min(row, static_cast<std::size_t>(anchorRow));
        const std::size_t to = std::max(row, static_cast<std::size_t>(anchorRow));
        if (!ctrl)
            ClearSelection();
        for (std::size_t r = from; r <= to; ++r)
            SetSelected(m_visible[r], true);
        return; // the anchor stays, so the range can be changed with another Shift-click
    }
    if (m_multiple && ctrl)
        SetSelected(entry, !m_selected[entry]);
    else
    {
        ClearSelection();
        SetSelected(entry, true);
    }
    m_anchor = entry;
}

std::vector<fs::path> FilePicker::Selection() const
{
    std::vector<fs::path> files;
    for (std::size_t entry : m_visible)
        if (m_selected[entry] && !m_entries[entry].folder)
            files.push_back(m_folder / PathFromText(m_entries[entry].name));
    return files;
}

std::vector<std::string> FilePicker::VisibleNames() const
{
    std::vector<std::string> names;
    names.reserve(m_visible.size());
    for (std::size_t entry : m_visible)
        names.push_back(m_entries[entry].name);
    return names;
}

// The selected files, or (when only folders are selected) into the first folder.
std::optional<std::vector<fs::path>> FilePicker::Confirm()
{
    if (m_selectedFiles > 0)
        return Selection();
    for (std::size_t entry : m_visible)
        if (m_selected[entry])
        {
            Navigate(m_folder / PathFromText(m_entries[entry].name));
            break;
        }
    return std::nullopt;
}

std::optional<std::vector<fs::path>> FilePicker::Activate(std::size_t entry)
{
    const fs::path path = m_folder / PathFromText(m_entries[entry].name);
    if (m_entries[entry].folder)
    {
        Navigate(path);
        return std::nullopt;
    }
    return std::vector<fs::path>{path};
}

// [SECTION] Drawing

std::optional<FilePicker::Rect> FilePicker::ItemRect(const std::string& what) const
{
    const auto it = m_itemRects.find(what);
    return it == m_itemRects.end() ? std::nullopt : std::optional<Rect>(it->second);
}

std::optional<FilePicker::Rect> FilePicker::RowRect(const std::string& name) const
{
    const auto it = m_rowRects.find(name);
    return it == m_rowRects.end() ? std::nullopt : std::optional<Rect>(it->second);
}

void FilePicker::Remember(const char* what)
{
    m_itemRects[what] = Rect{ImGui::GetItemRectMin(), ImGui::GetItemRectMax()};
}

std::optional<std::vector<fs::path>> FilePicker::Draw()
{
    m_itemRects.clear();
    m_rowRects.clear();
    m_rowsDrawn = 0;
    const std::string name = m_title + PopupId;
    if (m_openRequested)
    {
        ImGui::OpenPopup(name.c_str());
        m_openRequested = false;
    }
    if (!m_open && !m_closePending)
        return std::nullopt;

    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowSize(ImVec2(display.x * 0.7f, display.y * 0.75f), ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    bool keepOpen = true;
    if (!ImGui::BeginPopupModal(name.c_str(), &keepOpen, ImGuiWindowFlags_NoSavedSettings))
    {
        m_open = false; // closed with the title bar's button
        m_closePending = false;
        return std::nullopt;
    }
    if (m_closePending)
    {
        ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
        m_closePending = false;
        return std::nullopt;
    }

    DrawNavigation();
    if (!m_error.empty())
        ImGui::TextColored(ErrorColour, "%s", m_error.c_str());
    DrawFilter();
    const float footer = ImGui::GetFrameHeightWithSpacing();
    std::optional<std::vector<fs::path>> chosen =
        DrawList(std::max(ImGui::GetFontSize() * 5.0f, ImGui::GetContentRegionAvail().y - footer));
    if (auto fromFooter = DrawFooter())
        chosen = std::move(fromFooter);

    const ImGuiIO& io = ImGui::GetIO();
    const bool focused = ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows);
    if (focused && !chosen && !io.WantTextInput && m_selectedCount > 0 &&
        ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter), false))
        chosen = Confirm();
    const bool escape = focused && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false);
    if (chosen || escape || !m_open)
    {
        ImGui::CloseCurrentPopup();
        m_open = false;
        m_closePending = false;
    }
    ImGui::EndPopup();
    return chosen;
}

void FilePicker::DrawNavigation()
{
    if (ImGui::Button("Up"))
        Up();
    Remember("Up");
    theme::Tooltip("Go to the folder that holds this one");
    ImGui::SameLine();
    if (ImGui::Button("Home"))
        Home();
    Remember("Home");
    theme::Tooltip("Go to your home folder");
    ImGui::SameLine();
    if (ImGui::Button("Refresh"))
        Refresh();
    Remember("Refresh");
    theme::Tooltip("Read this folder again");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-FLT_MIN);
    if (ImGui::InputText("##path", &m_pathInput, ImGuiInputTextFlags_EnterReturnsTrue))
        Navigate(PathFromText(Trim(m_pathInput)));
    Remember("path");
    theme::Tooltip("Type a folder (or a file) and press Enter");
}

void FilePicker::DrawFilter()
{
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16.0f);
    ImGui::InputTextWithHint("##filter", "filter by name", &m_filter);
    Remember("filter");
    theme::Tooltip("Show only the names containing this text");
    if (m_filter != m_appliedFilter)
        Refilter();
    ImGui::SameLine();
    bool showHidden = m_showHidden;
    if (ImGui::Checkbox("Show hidden files", &showHidden))
        SetShowHidden(showHidden);
    Remember("hidden");
}

std::optional<std::vector<fs::path>> FilePicker::DrawList(float height)
{
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("##files", 3, flags, ImVec2(0, height)))
        return std::nullopt;
    const float fs = ImGui::GetFontSize();
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("Size", ImGuiTableColumnFlags_WidthFixed, fs * 5.0f);
    ImGui::TableSetupColumn("Modified", ImGuiTableColumnFlags_WidthFixed,
                            ImGui::CalcTextSize("2000-00-00 00:00").x + fs);
    ImGui::TableHeadersRow();

    if (m_visible.empty())
    {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        if (!m_entries.empty())
            ImGui::TextDisabled("Nothing here matches \"%s\".", m_filter.c_str());
        else if (m_error.empty())
            ImGui::TextDisabled("This folder is empty.");
    }

    std::optional<std::size_t> clicked;
    bool doubleClicked = false;
    std::optional<int> scrollTo;
    if (m_scrollToSelection)
    {
        for (std::size_t row = 0; row < m_visible.size(); ++row)
            if (m_selected[m_visible[row]])
            {
                scrollTo = static_cast<int>(row);
                break;
            }
        m_scrollToSelection = false;
    }

    const ImU32 textColour = ImGui::GetColorU32(ImGuiCol_Text);
    const ImU32 hiddenColour = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(m_visible.size()));
    if (scrollTo)
        clipper.ForceDisplayRangeByIndices(*scrollTo, *scrollTo + 1);
    while (clipper.Step())
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row)
        {
            const std::size_t index = m_visible[static_cast<std::size_t>(row)];
            Entry& entry = m_entries[index];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::PushID(static_cast<int>(index));
            // The name is drawn apart from the Selectable's label: a file called "a##b" must show
            // in full, and ImGui would hide everything after "##".
            const ImVec2 at = ImGui::GetCursorScreenPos();
            if (ImGui::Selectable("##row", m_selected[index],
                                  ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowDoubleClick))
            {
                clicked = static_cast<std::size_t>(row);
                doubleClicked = ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left);
            }
            m_rowRects[entry.name] = Rect{ImGui::GetItemRectMin(), ImGui::GetItemRectMax()};
            if (scrollTo == row)
                ImGui::SetScrollHereY(0.5f);
            const std::string label = entry.folder ? entry.name + "/" : entry.name;
            ImGui::GetWindowDrawList()->AddText(at, entry.hidden ? hiddenColour : textColour, label.data(),
                                                label.data() + label.size());
            ImGui::TableNextColumn();
            if (!entry.folder)
                ImGui::TextUnformatted(entry.sizeText.c_str());
            ImGui::TableNextColumn();
            if (entry.modifiedMs != 0)
            {
                if (entry.dateText.empty()) // formatted once, for the rows that are ever shown
                    entry.dateText = engine::FormatLocal(entry.modifiedMs, "%Y-%m-%d %H:%M");
                ImGui::TextUnformatted(entry.dateText.c_str());
            }
            ImGui::PopID();
            ++m_rowsDrawn;
        }
    ImGui::EndTable();

    // Acted on after the table: entering a folder replaces the entries the loop was drawing.
    if (!clicked)
        return std::nullopt;
    if (doubleClicked)
        return Activate(m_visible[*clicked]);
    const ImGuiIO& io = ImGui::GetIO();
    ClickRow(*clicked, io.KeyCtrl || io.KeySuper, io.KeyShift);
    return std::nullopt;
}

std::optional<std::vector<fs::path>> FilePicker::DrawFooter()
{
    if (m_selectedFiles > 0)
        ImGui::Text("%zu %s selected, %s", m_selectedFiles, m_selectedFiles == 1 ? "file" : "files",
                    engine::FormatSize(m_selectedBytes).c_str());
    else
        ImGui::TextDisabled("%zu items", m_visible.size());
    const ImGuiStyle& style = ImGui::GetStyle();
    const float buttons = ImGui::CalcTextSize("Cancel").x + ImGui::CalcTextSize(m_confirm.c_str()).x +
                          style.FramePadding.x * 4.0f + style.ItemSpacing.x;
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), ImGui::GetWindowContentRegionMax().x - buttons));
    if (ImGui::Button("Cancel"))
        Close();
    Remember("Cancel");
    theme::Tooltip("Close without choosing (Escape)");
    ImGui::SameLine();
    std::optional<std::vector<fs::path>> chosen;
    ImGui::BeginDisabled(m_selectedCount == 0);
    if (ImGui::Button(m_confirm.c_str()))
        chosen = Confirm();
    ImGui::EndDisabled();
    Remember("confirm");
    theme::Tooltip(m_selectedFiles > 0 ? "Use the selected files (Enter, or double-click a file)"
                                       : "Select a file first");
    return chosen;
}

} // namespace obrol::ui

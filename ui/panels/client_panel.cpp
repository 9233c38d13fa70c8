#include "ui/panels/client_panel.hpp"

#include "engine/clock.hpp"
#include "engine/units.hpp"
#include "engine/utf8.hpp"
#include "ui/panels/theme.hpp"

#include <imgui_stdlib.h>

#include <algorithm>

namespace obrol::ui {

ClientPanel::ClientPanel(ClientModel& model, ClientCommands& commands, std::string host, std::uint16_t port, std::string nick)
    : m_model(model), m_commands(commands), m_host(std::move(host)), m_port(port), m_nick(std::move(nick))
{
}

ChatView& ClientPanel::View(const std::string& key)
{
    return m_views[engine::FoldCase(key)];
}

void ClientPanel::RequestConnect()
{
    if (m_model.State() != ConnectionState::Disconnected)
        return;
    if (std::string problem = engine::NicknameProblem(m_nick); !problem.empty())
    {
        m_model.AddSystem("", "Cannot connect: " + problem + ".", engine::NowMs(), LineKind::Error);
        return;
    }
    if (m_port < 1 || m_port > 65535)
    {
        m_model.AddSystem("", "Cannot connect: the port must be between 1 and 65535.", engine::NowMs(), LineKind::Error);
        return;
    }
    m_commands.Connect(m_host, static_cast<std::uint16_t>(m_port), m_nick);
}

bool ClientPanel::Send(const std::string& raw)
{
    return SendTo(m_active, raw); // the conversation on screen ("" is Everyone)
}

bool ClientPanel::SendTo(const std::string& to, const std::string& raw)
{
    const std::string text = engine::CleanMessageText(raw);
    if (text.empty())
        return false;
    const std::uint64_t id = m_commands.Say(to, text);
    m_model.AddOwn(to, text, id, engine::NowMs());
    View(to).ScrollToBottom();
    return true;
}

// [SECTION] Files

void ClientPanel::SendFiles(const std::vector<std::filesystem::path>& paths)
{
    for (const auto& path : paths)
    {
        const std::uint64_t id = m_commands.SendFile(m_active, path);
        m_model.AddOwnFile(m_active, path, id, engine::NowMs());
    }
    if (!paths.empty())
        View(m_active).ScrollToBottom();
}

void ClientPanel::OnFileArrived(const net::Chat& chat)
{
    if (!chat.file || chat.id == 0 || m_autoDownload == 0 || chat.file->size > m_autoDownload ||
        engine::FoldCase(chat.from) == engine::FoldCase(m_model.Nick()) ||
        m_model.FindTransfer(net::TransferDirection::Download, chat.id))
        return;
    if (const Line* line = m_model.FileLine(chat.id))
        m_commands.Download(*line);
}

FilePreview ClientPanel::Rows::Preview(const Line& line)
{
    if (!m_panel.m_previews)
        return FilePreview{nullptr, true, "previews are not shown here"};
    return m_panel.m_previews->Preview(line);
}

const TransferView* ClientPanel::Rows::Transfer(const Line& line)
{
    if (line.own && line.clientMsgId != 0)
        if (const TransferView* up = m_panel.m_model.FindTransfer(net::TransferDirection::Upload, line.clientMsgId))
            return up;
    return line.id != 0 ? m_panel.m_model.FindTransfer(net::TransferDirection::Download, line.id) : nullptr;
}

void ClientPanel::HandleFileAction(const FileAction& action)
{
    switch (action.kind)
    {
    case FileAction::Kind::Download:
        if (const Line* line = m_model.FileLine(action.id))
            m_commands.Download(*line);
        break;
    case FileAction::Kind::Cancel:
        m_commands.CancelTransfer(action.id, action.direction);
        break;
    case FileAction::Kind::View:
        OpenViewer(action.id);
        break;
    }
}

void ClientPanel::OpenViewer(std::uint64_t fileId)
{
    m_viewerFile = fileId;
    m_viewerTexture = nullptr; // opened by DrawViewer once there is something to show
}

void ClientPanel::DrawViewer()
{
    if (!m_viewerFile)
        return;
    const Line* line = m_model.FileLine(*m_viewerFile);
    if (!line || !m_previews || (m_viewerTexture && !m_viewer.IsOpen()))
    {
        m_viewer.Close();
        m_viewerFile.reset();
        m_viewerTexture = nullptr;
        return;
    }
    int width = 0;
    int height = 0;
    const FilePreview image = m_previews->Full(*line, width, height);
    if (image.texture && image.texture != m_viewerTexture)
    {
        // the first picture, or the whole image replacing the preview once it is decoded
        ViewerImage v;
        v.texture = image.texture;
        v.width = width;
        v.height = height;
        v.title = line->text;
        v.subtitle = line->text + " \xE2\x80\x94 " + engine::FormatSize(line->file->size);
        if (line->file->imageWidth > 0)
            v.subtitle += " \xE2\x80\x94 " + std::to_string(line->file->imageWidth) + "\xC3\x97" +
                          std::to_string(line->file->imageHeight);
        if (!m_model.SavedPath(line->id))
            v.subtitle += " (preview: Save downloads the whole image)";
        m_viewer.Open(v);
        m_viewerTexture = image.texture;
    }
    else if (!image.texture && image.failed)
    {
        m_model.AddSystem(m_active, "Cannot show " + line->text + ": " + image.error, engine::NowMs(), LineKind::Error);
        m_viewerFile.reset();
        return;
    }
    m_viewer.Draw();
    if (m_viewer.TakeSaveRequest())
    {
        if (const auto* saved = m_model.SavedPath(line->id))
            m_model.AddSystem(m_active, line->text + " is saved at " + saved->string(), engine::NowMs());
        else
            m_commands.Download(*line);
    }
}

void ClientPanel::RunSearch(const std::string& query)
{
    if (query.find_first_not_of(" \t") == std::string::npos || m_model.State() != ConnectionState::Connected)
        return;
    m_model.SearchSent(m_commands.Search(query), query);
    m_showResults = true;
}

void ClientPanel::JumpTo(const net::Chat& result)
{
    const std::string key = m_model.KeyOf(result);
    Conversation& c = m_model.Open(key);
    c.jumpTo = result.id;
    if (!c.IndexOf(result.id))
        m_commands.RequestHistory(key, result.id, 60, /*around=*/true);
    m_select = key;
    m_showResults = false;
}

void ClientPanel::OpenPrivate(const std::string& nick)
{
    if (engine::FoldCase(nick) == engine::FoldCase(m_model.Nick()))
        return;
    m_model.Open(nick);
    m_select = nick;
    m_focusInput = true;
}

void ClientPanel::Draw(bool windowFocused)
{
    ImGui::PushID(this);
    DrawStatus();
    if (m_model.State() == ConnectionState::Disconnected)
        DrawConnectForm();
    else
        DrawSearch();

    const float usersWidth = ImGui::GetFontSize() * 11.0f;
    const float inputHeight = ImGui::GetFrameHeight() * 2.2f + ImGui::GetStyle().ItemSpacing.y;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float chatHeight = std::max(ImGui::GetFontSize() * 6.0f, avail.y - inputHeight - ImGui::GetStyle().ItemSpacing.y);
    const float chatWidth = std::max(ImGui::GetFontSize() * 12.0f, avail.x - usersWidth - ImGui::GetStyle().ItemSpacing.x);

    ImGui::BeginChild("##conversations", ImVec2(chatWidth, chatHeight), false, ImGuiWindowFlags_NoScrollbar);
    DrawTabs();
    ImGui::EndChild();
    ImGui::SameLine();
    DrawUsers(usersWidth, chatHeight);
    DrawInput();
    DrawViewer();

    m_model.SetViewing(m_active, windowFocused);
    ImGui::PopID();
}

void ClientPanel::DrawStatus()
{
    ImU32 dot = theme::Offline;
    if (m_model.State() == ConnectionState::Connected)
        dot = theme::Online;
    else if (m_model.State() == ConnectionState::Connecting || m_model.State() == ConnectionState::Reconnecting)
        dot = theme::Connecting;
    theme::StatusDot(dot);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(m_model.StateText().c_str());
    if (m_model.State() != ConnectionState::Disconnected)
    {
        const bool trying = m_model.State() == ConnectionState::Connecting || m_model.State() == ConnectionState::Reconnecting;
        const char* label = trying ? "Cancel" : "Disconnect";
        ImGui::SameLine(ImGui::GetContentRegionMax().x - ImGui::CalcTextSize(label).x - ImGui::GetStyle().FramePadding.x * 2);
        if (ImGui::Button(label))
            m_commands.Disconnect();
        theme::Tooltip(trying ? "Stop trying to connect" : "Leave the chat and close the connection");
    }
}

void ClientPanel::DrawConnectForm()
{
    const float fs = ImGui::GetFontSize();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Server");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fs * 10.0f);
    ImGui::InputTextWithHint("##host", "server address", &m_host);
    theme::Tooltip("Server address: an IP address or host name");
    ImGui::SameLine();
    ImGui::TextUnformatted("Port");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fs * 5.0f);
    ImGui::InputInt("##port", &m_port, 0, 0);
    theme::Tooltip("Server port (the default is 55000)");
    ImGui::SameLine();
    ImGui::TextUnformatted("Nickname");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fs * 8.0f);
    const bool enter = ImGui::InputTextWithHint("##nick", "nickname", &m_nick, ImGuiInputTextFlags_EnterReturnsTrue);
    theme::Tooltip("Your nickname: 1-32 characters, no spaces; unique on the server");
    ImGui::SameLine();
    if (ImGui::Button("Connect") || enter)
        RequestConnect();
    theme::Tooltip("Join the chat on this server");
}

void ClientPanel::DrawSearch()
{
    const float fs = ImGui::GetFontSize();
    ImGui::SetNextItemWidth(std::min(fs * 18.0f, ImGui::GetContentRegionAvail().x * 0.5f));
    const bool enter = ImGui::InputTextWithHint("##search", "search messages", &m_search, ImGuiInputTextFlags_EnterReturnsTrue);
    theme::Tooltip("Search everything you can see: public messages and your private ones (Enter)");
    ImGui::SameLine();
    if (ImGui::Button("Search") || enter)
        RunSearch(m_search);
    theme::Tooltip("Search the server's archive");
    if (!m_showResults)
        return;
    ImGui::SameLine();
    if (ImGui::SmallButton("Close results"))
        m_showResults = false;
    theme::Tooltip("Hide the search results");
    const auto& results = m_model.SearchResults();
    ImGui::BeginChild("##results", ImVec2(0, fs * 8.0f), true);
    if (m_model.SearchPending())
        ImGui::TextDisabled("searching for \"%s\"...", m_model.SearchQuery().c_str());
    else if (results.empty())
        ImGui::TextDisabled("nothing found for \"%s\"", m_model.SearchQuery().c_str());
    for (std::size_t i = 0; i < results.size(); ++i)
    {
        const net::Chat& r = results[i];
        std::string who = r.from.empty() ? std::string("Announcement") : r.from;
        if (r.kind == net::ChatKind::Private)
            who = engine::FoldCase(r.from) == engine::FoldCase(m_model.Nick()) ? "you -> " + r.to + " (private)"
                                                                                : r.from + " -> you (private)";
        std::string label = "[" + engine::FormatLocal(r.timeMs, "%Y-%m-%d %H:%M") + "] " + who + ": " + r.text;
        std::replace(label.begin(), label.end(), '\n', ' ');
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::Selectable(label.c_str()))
            JumpTo(r);
        theme::Tooltip("Show this message in its conversation");
        ImGui::PopID();
    }
    ImGui::EndChild();
}

void ClientPanel::DrawTabs()
{
    if (!ImGui::BeginTabBar("##tabs", ImGuiTabBarFlags_Reorderable | ImGuiTabBarFlags_FittingPolicyScroll))
        return;
    std::optional<std::string> toClose;
    std::string active = m_active;
    for (const auto& conversation : m_model.Conversations())
    {
        Conversation& c = *conversation;
        std::string label = c.title;
        if (c.unread > 0)
            label += " (" + std::to_string(c.unread) + ")";
        label += "###" + engine::FoldCase(c.key);
        ImGuiTabItemFlags flags = 0;
        if (m_select && engine::FoldCase(*m_select) == engine::FoldCase(c.key))
            flags |= ImGuiTabItemFlags_SetSelected;
        bool open = true;
        const bool visible = ImGui::BeginTabItem(label.c_str(), c.key.empty() ? nullptr : &open, flags);
        if (!c.key.empty())
            theme::Tooltip(("Private conversation with " + c.key).c_str());
        if (visible)
        {
            active = c.key;
            ChatView& view = View(c.key);
            view.SetFiles(&m_rows);
            view.Draw(c);
            if (auto action = view.TakeFileAction())
                HandleFileAction(*action);
            if (auto nick = view.TakePrivateRequest())
                OpenPrivate(*nick);
            if (view.TakeOlderRequest() && m_model.State() == ConnectionState::Connected)
            {
                c.loadingOlder = true;
                m_commands.RequestHistory(c.key, c.OldestId(), 100, false);
            }
            ImGui::EndTabItem();
        }
        if (!open)
            toClose = c.key;
    }
    ImGui::EndTabBar();
    m_select.reset();
    m_active = active;
    if (toClose)
    {
        m_views.erase(engine::FoldCase(*toClose));
        m_model.Close(*toClose);
    }
}

void ClientPanel::DrawUsers(float width, float height)
{
    ImGui::BeginChild("##users", ImVec2(width, height), true);
    const ImGuiIO& io = ImGui::GetIO();
    if (io.KeyCtrl && ImGui::IsKeyPressed('K', false)) // 'K': GLFW key code for K (ImGui 1.86 has no ImGuiKey_K)
        m_focusFilter = true;
    ImGui::TextDisabled("Online (%d)", static_cast<int>(m_model.Users().size()));
    if (m_focusFilter)
    {
        ImGui::SetKeyboardFocusHere();
        m_focusFilter = false;
    }
    ImGui::SetNextItemWidth(-FLT_MIN);
    m_userFilter.Draw("##filter");
    if (!m_userFilter.IsActive() && !ImGui::IsItemActive())
        ImGui::GetWindowDrawList()->AddText(ImVec2(ImGui::GetItemRectMin().x + ImGui::GetStyle().FramePadding.x, ImGui::GetItemRectMin().y + ImGui::GetStyle().FramePadding.y), ImGui::GetColorU32(ImGuiCol_TextDisabled), "filter (Ctrl+K)");
    theme::Tooltip("Filter the user list (Ctrl+K)");
    m_userRects.clear();
    for (const auto& user : m_model.Users())
    {
        if (!m_userFilter.PassFilter(user.c_str()))
            continue;
        const bool me = engine::FoldCase(user) == engine::FoldCase(m_model.Nick());
        const std::string label = me ? user + " (you)" : user;
        ImGui::PushID(user.c_str());
        if (ImGui::Selectable(label.c_str(), engine::FoldCase(m_active) == engine::FoldCase(user)) && !me)
            OpenPrivate(user);
        if (!me)
            theme::Tooltip(("Click to message " + user + " privately").c_str());
        m_userRects[user] = {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()};
        ImGui::PopID();
    }
    ImGui::EndChild();
}

void ClientPanel::DrawInput()
{
    // while reconnecting, messages queue up and go out (in order) once the connection is back
    const bool connected = m_model.State() == ConnectionState::Connected || m_model.State() == ConnectionState::Reconnecting;
    const float fs = ImGui::GetFontSize();
    const float buttonWidth = fs * 5.0f;
    ImGuiIO& io = ImGui::GetIO();
    // ImGui 1.86 inserts a newline on Ctrl+Enter when CtrlEnterForNewLine is set; we want
    // Shift+Enter, so present Shift+Enter to the widget as Ctrl+Enter for this one frame.
    const bool enterDown = ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter)) ||
                           ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_KeyPadEnter));
    const bool shiftEnter = enterDown && io.KeyShift && !io.KeyCtrl;
    const bool savedCtrl = io.KeyCtrl;
    const ImGuiKeyModFlags savedMods = io.KeyMods;
    if (shiftEnter)
    {
        // KeyMods too: InputTextEx asserts that it matches the KeyCtrl/KeyShift/... fields
        io.KeyCtrl = true;
        io.KeyMods |= ImGuiKeyModFlags_Ctrl;
    }
    // a disabled field would take the focus and hide its hint; an open picker keeps it
    if (m_focusInput && connected && !m_picker.IsOpen())
    {
        ImGui::SetKeyboardFocusHere();
        m_focusInput = false;
    }
    const std::string hint = m_active.empty() ? "Message everyone (Enter sends, Shift+Enter breaks the line)"
                                              : "Private message to " + m_active;
    ImGui::BeginDisabled(!connected);
    const bool submitted = ImGui::InputTextMultiline(
        "##message", &m_input, ImVec2(ImGui::GetContentRegionAvail().x - buttonWidth - ImGui::GetStyle().ItemSpacing.x, ImGui::GetFrameHeight() * 2.2f),
        ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CtrlEnterForNewLine);
    io.KeyCtrl = savedCtrl;
    io.KeyMods = savedMods;
    if (m_input.empty() && !ImGui::IsItemActive())
    {
        const ImVec2 min = ImGui::GetItemRectMin();
        ImGui::GetWindowDrawList()->AddText(ImVec2(min.x + ImGui::GetStyle().FramePadding.x, min.y + ImGui::GetStyle().FramePadding.y),
                                            ImGui::GetColorU32(ImGuiCol_TextDisabled), hint.c_str());
    }
    ImGui::SameLine();
    const float half = (ImGui::GetFrameHeight() * 2.2f - ImGui::GetStyle().ItemSpacing.y) * 0.5f;
    ImGui::BeginGroup();
    const bool clicked = ImGui::Button("Send", ImVec2(buttonWidth, half));
    theme::Tooltip(m_active.empty() ? "Send to everyone (Enter)" : "Send privately (Enter)");
    if (ImGui::Button("Attach\xE2\x80\xA6", ImVec2(buttonWidth, half)))
        m_picker.Open(m_pickerFolder, m_active.empty() ? "Send files to everyone" : "Send files to " + m_active, "Send");
    theme::Tooltip("Send a file (or drop files on the window)");
    ImGui::EndGroup();
    ImGui::EndDisabled();
    if (auto chosen = m_picker.Draw())
    {
        if (!chosen->empty())
            m_pickerFolder = chosen->front().parent_path();
        if (connected)
            SendFiles(*chosen);
    }
    if (m_model.State() == ConnectionState::Disconnected)
        m_focusInput = true; // focus the message field once connected
    if ((submitted || clicked) && connected)
    {
        if (Send(m_input))
            m_input.clear();
        m_focusInput = true; // Enter deactivates the field; keep typing
    }
}

} // namespace obrol::ui

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

bool ClientPanel::SendTo(const std::string& key, const std::string& raw)
{
    const std::string text = engine::CleanMessageText(raw);
    if (text.empty())
        return false;
    const net::Target to = ClientModel::TargetOf(key);
    const std::uint64_t id = m_commands.Say(to, text);
    m_model.AddOwn(to, text, id, engine::NowMs());
    View(key).ScrollToBottom();
    return true;
}

// [SECTION] Files

void ClientPanel::SendFiles(const std::vector<std::filesystem::path>& paths)
{
    const net::Target to = ClientModel::TargetOf(m_active);
    for (const auto& path : paths)
    {
        const std::uint64_t id = m_commands.SendFile(to, path);
        m_model.AddOwnFile(to, path, id, engine::NowMs());
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
        m_commands.RequestHistory(c.target, result.id, 60, /*around=*/true);
    m_active = c.key;
    m_showResults = false;
}

void ClientPanel::OpenPrivate(const std::string& nick)
{
    if (engine::FoldCase(nick) == engine::FoldCase(m_model.Nick()))
        return;
    m_active = m_model.Open(nick).key;
    m_focusInput = true;
}

void ClientPanel::Select(const std::string& key)
{
    if (const Conversation* c = m_model.Find(key))
    {
        if (engine::FoldCase(c->key) != engine::FoldCase(m_active))
            m_topicKey.reset();
        if (m_joinWanted && *m_joinWanted != engine::FoldCase(c->key))
            m_joinWanted.reset(); // the user moved on: a join the server refused must not pull them back later
        m_active = c->key;
        m_focusInput = true;
    }
}

void ClientPanel::Draw(bool windowFocused)
{
    ImGui::PushID(this);
    if (!m_model.Find(m_active))
        m_active.clear(); // closed, or gone with the connection: back to Everyone
    if (m_joinWanted)
        if (const Conversation* c = m_model.Find(*m_joinWanted); c && c->joined)
        {
            Select(c->key); // the room asked for is joined: show it
            m_joinWanted.reset();
        }
    HandleShortcuts();
    DrawStatus();
    if (m_model.State() == ConnectionState::Disconnected)
        DrawConnectForm();
    else
        DrawSearch();

    const float fs = ImGui::GetFontSize();
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    const float listWidth = fs * 10.0f;
    const float usersWidth = fs * 10.0f;
    const float inputHeight = ImGui::GetFrameHeight() * 2.2f + ImGui::GetStyle().ItemSpacing.y;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float chatHeight = std::max(fs * 6.0f, avail.y - inputHeight - ImGui::GetStyle().ItemSpacing.y);
    const float chatWidth = std::max(fs * 12.0f, avail.x - listWidth - usersWidth - 2 * spacing);

    DrawConversationList(listWidth, chatHeight);
    ImGui::SameLine();
    ImGui::BeginChild("##conversation", ImVec2(chatWidth, chatHeight), false, ImGuiWindowFlags_NoScrollbar);
    DrawConversation();
    ImGui::EndChild();
    ImGui::SameLine();
    DrawUsers(usersWidth, chatHeight);
    DrawInput();
    DrawViewer();
    DrawRoomBrowser();

    m_model.SetViewing(m_active, windowFocused);
    ImGui::PopID();
}

void ClientPanel::HandleShortcuts()
{
    // keys go to the dialogs while one is open
    if (m_browserOpen || m_picker.IsOpen() || m_viewer.IsOpen() || ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId))
        return;
    const ImGuiIO& io = ImGui::GetIO();
    // GLFW key codes for letters are their ASCII capitals (ImGui 1.86 has no ImGuiKey_J/E)
    if (io.KeyCtrl && !io.KeyShift && !io.KeyAlt && ImGui::IsKeyPressed('J', false) &&
        m_model.State() == ConnectionState::Connected)
        OpenRoomBrowser();
    if (io.KeyCtrl && !io.KeyShift && !io.KeyAlt && ImGui::IsKeyPressed('E', false))
        EditTopic();
    // Alt+Up / Alt+Down: the previous / next conversation in the list
    const int up = ImGui::GetKeyIndex(ImGuiKey_UpArrow);
    const int down = ImGui::GetKeyIndex(ImGuiKey_DownArrow);
    const int step = !io.KeyAlt ? 0 : (up >= 0 && ImGui::IsKeyPressed(up)) ? -1 : (down >= 0 && ImGui::IsKeyPressed(down)) ? 1 : 0;
    if (step == 0)
        return;
    std::vector<std::string> order;
    for (const Conversation* c : m_model.Rooms())
        order.push_back(c->key);
    for (const auto& c : m_model.Conversations())
        if (!c->IsRoom())
            order.push_back(c->key);
    const std::string active = engine::FoldCase(m_active);
    const auto at = std::find_if(order.begin(), order.end(), [&](const std::string& k) { return engine::FoldCase(k) == active; });
    const long index = at == order.end() ? 0 : static_cast<long>(at - order.begin());
    const long next = (index + step + static_cast<long>(order.size())) % static_cast<long>(order.size());
    Select(order[static_cast<std::size_t>(next)]);
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
    // a refusal is explained in full under the connect form
    const bool refused = m_model.State() == ConnectionState::Disconnected && m_model.LastEnd() == net::EndReason::Refused;
    ImGui::TextUnformatted(refused ? "not connected: the server refused to let you in" : m_model.StateText().c_str());
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
    const std::optional<net::RefuseCode> refused =
        m_model.LastEnd() == net::EndReason::Refused ? m_model.LastRefuse() : std::nullopt;
    const bool nickRefused = refused && (*refused == net::RefuseCode::NickOwned || *refused == net::RefuseCode::NickTaken ||
                                         *refused == net::RefuseCode::NickInvalid);
    if (nickRefused && std::exchange(m_focusNick, false))
        ImGui::SetKeyboardFocusHere(); // the name is what to change: the cursor goes there
    if (nickRefused)
    {
        ImGui::PushStyleColor(ImGuiCol_Border, theme::Offline);
        ImGui::PushStyleVar(ImGuiStyleVar_FrameBorderSize, std::max(1.0f, fs * 0.12f));
    }
    const bool enter = ImGui::InputTextWithHint("##nick", "nickname", &m_nick, ImGuiInputTextFlags_EnterReturnsTrue);
    if (nickRefused)
    {
        ImGui::PopStyleVar();
        ImGui::PopStyleColor();
    }
    theme::Tooltip("Your nickname: 1-32 characters, no spaces; it becomes yours on this server (this computer's key "
                   "proves it is you)");
    ImGui::SameLine();
    if (ImGui::Button("Connect") || enter)
        RequestConnect();
    theme::Tooltip("Join the chat on this server");
    if (!refused)
        m_focusNick = true; // focus the field after the next refusal
    else
        DrawRefusal();
}

void ClientPanel::DrawRefusal()
{
    // The server's own words say why (for an owned nickname: whose it is and what to do), so
    // they are shown as they came, under a headline that names the problem.
    const net::RefuseCode code = *m_model.LastRefuse();
    std::string headline = "The server refused to let you in";
    switch (code)
    {
    case net::RefuseCode::NickOwned: headline = "This nickname belongs to someone else"; break;
    case net::RefuseCode::NickTaken: headline = "This nickname is in use right now"; break;
    case net::RefuseCode::NickInvalid: headline = "The server does not accept this nickname"; break;
    case net::RefuseCode::BadProof: headline = "Your identity key could not be verified"; break;
    case net::RefuseCode::VersionMismatch: headline = "This version of Obrol cannot talk to the server"; break;
    case net::RefuseCode::ServerFull: headline = "The server is full"; break;
    default: break;
    }
    std::string reason = m_model.StateText();
    const std::string prefix = "disconnected: ";
    if (reason.rfind(prefix, 0) == 0)
        reason.erase(0, prefix.size());

    const float fs = ImGui::GetFontSize();
    const ImVec2 pad(fs * 0.6f, fs * 0.45f);
    const float width = ImGui::GetContentRegionAvail().x;
    const float wrap = width - 2 * pad.x - fs * 1.2f;
    const float height = pad.y * 2 + fs + ImGui::GetStyle().ItemSpacing.y * 0.5f +
                         ImGui::CalcTextSize(reason.c_str(), nullptr, false, wrap).y;
    const ImVec2 min = ImGui::GetCursorScreenPos();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    draw->AddRectFilled(min, ImVec2(min.x + width, min.y + height), theme::RefusedBand, fs * 0.3f);
    draw->AddRectFilled(min, ImVec2(min.x + fs * 0.3f, min.y + height), theme::Offline, fs * 0.3f, ImDrawFlags_RoundCornersLeft);
    draw->AddText(ImVec2(min.x + pad.x + fs * 0.4f, min.y + pad.y), theme::RefusedText, headline.c_str());
    draw->AddText(ImGui::GetFont(), fs, ImVec2(min.x + pad.x + fs * 0.4f, min.y + pad.y + fs + ImGui::GetStyle().ItemSpacing.y * 0.5f),
                  theme::Rgb(0xff, 0xff, 0xff), reason.c_str(), nullptr, wrap);
    ImGui::Dummy(ImVec2(width, height));
}

void ClientPanel::DrawSearch()
{
    const float fs = ImGui::GetFontSize();
    ImGui::SetNextItemWidth(std::min(fs * 18.0f, ImGui::GetContentRegionAvail().x * 0.5f));
    const bool enter = ImGui::InputTextWithHint("##search", "search messages", &m_search, ImGuiInputTextFlags_EnterReturnsTrue);
    theme::Tooltip("Search everything you can see: your rooms and your private messages (Enter)");
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
            who = engine::FoldCase(r.from) == engine::FoldCase(m_model.Nick()) ? "you -> " + r.to.name + " (private)"
                                                                                : r.from + " -> you (private)";
        else if (!r.to.IsEveryone())
            who += " in #" + r.to.name;
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

void ClientPanel::DrawUsers(float width, float height)
{
    ImGui::BeginChild("##users", ImVec2(width, height), true);
    const ImGuiIO& io = ImGui::GetIO();
    if (io.KeyCtrl && ImGui::IsKeyPressed('K', false)) // 'K': GLFW key code for K (ImGui 1.86 has no ImGuiKey_K)
        m_focusFilter = true;
    const Conversation* c = m_model.Find(m_active);
    const std::vector<UserEntry> users = m_model.UserList(m_active);
    const auto online = std::count_if(users.begin(), users.end(), [](const UserEntry& u) { return u.online; });
    if (!c || c->IsEveryone())
        ImGui::TextDisabled("Online (%d)", static_cast<int>(users.size()));
    else if (c->IsRoom() && !c->joined)
        ImGui::TextDisabled("You left this room");
    else if (c->IsRoom())
    {
        ImGui::TextDisabled("Members (%d)", static_cast<int>(users.size()));
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("%d of them online now", static_cast<int>(online));
    }
    else
        ImGui::TextDisabled("In this conversation");
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
    const float fs = ImGui::GetFontSize();
    const float dot = fs * 0.22f;
    for (const UserEntry& user : users)
    {
        if (!m_userFilter.PassFilter(user.nick.c_str()))
            continue;
        // a dot before every name: green online, hollow offline (room members who are away)
        const std::string label = user.self ? user.nick + " (you)" : user.nick;
        ImGui::PushID(user.nick.c_str());
        const ImVec2 at = ImGui::GetCursorScreenPos();
        ImGui::SetCursorScreenPos(ImVec2(at.x + dot * 2 + fs * 0.35f, at.y));
        if (!user.online)
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetColorU32(ImGuiCol_TextDisabled));
        if (ImGui::Selectable(label.c_str(), engine::FoldCase(m_active) == engine::FoldCase(user.nick)) && !user.self)
            OpenPrivate(user.nick);
        if (!user.online)
            ImGui::PopStyleColor();
        const ImVec2 min = ImGui::GetItemRectMin();
        const ImVec2 max = ImGui::GetItemRectMax();
        const ImVec2 center(at.x + dot, (min.y + max.y) * 0.5f);
        if (user.online)
            ImGui::GetWindowDrawList()->AddCircleFilled(center, dot, theme::Online);
        else
            ImGui::GetWindowDrawList()->AddCircle(center, dot, ImGui::GetColorU32(ImGuiCol_TextDisabled), 0, 1.5f);
        if (!user.self)
            theme::Tooltip(((user.online ? "Online. " : "Offline: gets your message on joining. ") +
                            std::string("Click to message ") + user.nick + " privately")
                               .c_str());
        m_userRects[user.nick] = {min, max};
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
    const Conversation* c = m_model.Find(m_active);
    const bool left = c && c->IsRoom() && !c->IsEveryone() && !c->joined;
    const std::string where = !c || c->IsEveryone() ? "everyone" : c->IsRoom() ? c->title : c->key;
    const std::string hint = left             ? "You left " + where + ": join it again to write here"
                             : m_active.empty() ? "Message everyone (Enter sends, Shift+Enter breaks the line)"
                             : c && c->IsRoom() ? "Message " + where + " (Enter sends, Shift+Enter breaks the line)"
                                                : "Private message to " + where;
    const bool canWrite = connected && !left;
    // a disabled field would take the focus and hide its hint; open dialogs keep it
    if (m_focusInput && canWrite && !m_picker.IsOpen() && !m_browserOpen && !m_topicKey &&
        !ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId)) // focusing a window behind a dialog closes it
    {
        ImGui::SetKeyboardFocusHere();
        m_focusInput = false;
    }
    ImGui::BeginDisabled(!canWrite);
    const bool submitted = ImGui::InputTextMultiline(
        "##message", &m_input, ImVec2(ImGui::GetContentRegionAvail().x - buttonWidth - ImGui::GetStyle().ItemSpacing.x, ImGui::GetFrameHeight() * 2.2f),
        ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CtrlEnterForNewLine);
    io.KeyCtrl = savedCtrl;
    io.KeyMods = savedMods;
    if (!canWrite && ImGui::IsItemActive())
        ImGui::SetWindowFocus(nullptr); // typing was on when the room was left or the connection ended
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
    theme::Tooltip(c && !c->IsRoom() ? "Send privately (Enter)" : ("Send to " + where + " (Enter)").c_str());
    if (ImGui::Button("Attach\xE2\x80\xA6", ImVec2(buttonWidth, half)))
        m_picker.Open(m_pickerFolder, "Send files to " + where, "Send");
    theme::Tooltip("Send a file (or drop files on the window)");
    ImGui::EndGroup();
    ImGui::EndDisabled();
    if (auto chosen = m_picker.Draw())
    {
        if (!chosen->empty())
            m_pickerFolder = chosen->front().parent_path();
        if (canWrite)
            SendFiles(*chosen);
    }
    if (m_model.State() == ConnectionState::Disconnected)
        m_focusInput = true; // focus the message field once connected
    if ((submitted || clicked) && canWrite)
    {
        if (Send(m_input))
            m_input.clear();
        m_focusInput = true; // Enter deactivates the field; keep typing
    }
}

} // namespace obrol::ui

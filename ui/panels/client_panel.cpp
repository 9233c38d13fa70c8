#include "ui/panels/client_panel.hpp"

#include "engine/clock.hpp"
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
            view.Draw(c);
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
    if (m_focusInput && connected) // a disabled field would take the focus and hide its hint
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
    const bool clicked = ImGui::Button("Send", ImVec2(buttonWidth, ImGui::GetFrameHeight() * 2.2f));
    theme::Tooltip(m_active.empty() ? "Send to everyone (Enter)" : "Send privately (Enter)");
    ImGui::EndDisabled();
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

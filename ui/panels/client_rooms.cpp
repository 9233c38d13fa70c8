// The client panel's rooms: the conversation list (rooms with unread badges, then private
// conversations), the header of the conversation on screen (topic, Leave/Close), and the room
// browser ("Join or create a room"). Part of ClientPanel; UI thread only.
#include "ui/panels/client_panel.hpp"

#include "engine/clock.hpp"
#include "engine/utf8.hpp"
#include "ui/panels/theme.hpp"

#include <imgui_stdlib.h>

#include <algorithm>

namespace obrol::ui {

namespace {

// Why a typed room name cannot be joined (engine::RoomNameProblem, with a word for an empty field).
std::string RoomNameProblem(const std::string& name)
{
    return name.empty() ? std::string("type a room name") : engine::RoomNameProblem(name);
}

// What the user typed as a room name: trimmed, without the '#' people write out of habit.
std::string CleanRoomName(const std::string& typed)
{
    const std::size_t first = typed.find_first_not_of(" \t");
    if (first == std::string::npos)
        return {};
    std::string name = typed.substr(first, typed.find_last_not_of(" \t") + 1 - first);
    if (!name.empty() && name.front() == '#')
        name.erase(0, 1);
    return name;
}

bool Contains(const std::string& haystack, const std::string& needle)
{
    return engine::FoldCase(haystack).find(engine::FoldCase(needle)) != std::string::npos;
}

} // namespace

// [SECTION] Actions

void ClientPanel::OpenRoomBrowser()
{
    if (m_model.State() != ConnectionState::Connected)
        return;
    m_commands.ListRooms();
    m_model.RoomListRequested();
    m_roomName.clear();
    m_roomProblem.clear();
    m_browserRow = -1;
    m_browserOpen = true;
    m_browserPopup = true;
}

bool ClientPanel::JoinRoom(const std::string& typed)
{
    const std::string name = CleanRoomName(typed);
    m_roomProblem = RoomNameProblem(name);
    if (!m_roomProblem.empty())
        return false;
    if (m_model.State() != ConnectionState::Connected)
    {
        m_roomProblem = "not connected";
        return false;
    }
    const std::string key = ClientModel::RoomKey(name);
    if (const Conversation* c = m_model.Find(key); c && c->joined)
    {
        Select(c->key); // already a member: just show it
        return true;
    }
    m_commands.JoinRoom(name);
    m_joinWanted = engine::FoldCase(key); // shown once the server confirms (Draw)
    return true;
}

void ClientPanel::LeaveRoom(const std::string& key)
{
    const Conversation* c = m_model.Find(key);
    if (!c || !c->IsRoom() || c->IsEveryone() || !c->joined || m_model.State() != ConnectionState::Connected)
        return;
    m_commands.PartRoom(c->RoomName());
    if (m_topicKey && engine::FoldCase(*m_topicKey) == engine::FoldCase(key))
        m_topicKey.reset();
}

void ClientPanel::EditTopic()
{
    const Conversation* c = m_model.Find(m_active);
    if (!c || !c->IsRoom() || c->IsEveryone() || !c->joined || m_model.State() != ConnectionState::Connected)
        return;
    m_topicKey = c->key;
    m_topicInput = c->topic;
    m_focusTopic = true;
}

bool ClientPanel::SetTopic(const std::string& key, const std::string& raw)
{
    const Conversation* c = m_model.Find(key);
    if (!c || !c->IsRoom() || c->IsEveryone() || !c->joined || m_model.State() != ConnectionState::Connected)
        return false;
    std::string topic = engine::CleanMessageText(raw);
    std::replace(topic.begin(), topic.end(), '\n', ' ');
    if (topic.size() > net::MaxTopicBytes || topic == c->topic)
        return false;
    m_commands.SetTopic(c->RoomName(), topic);
    return true;
}

// [SECTION] The conversation list

void ClientPanel::DrawConversationList(float width, float height)
{
    ImGui::BeginChild("##list", ImVec2(width, height), true);
    m_conversationRects.clear();
    const bool connected = m_model.State() == ConnectionState::Connected;
    ImGui::AlignTextToFramePadding();
    ImGui::TextDisabled("Rooms");
    const float plus = ImGui::GetFrameHeight();
    ImGui::SameLine(ImGui::GetContentRegionMax().x - plus);
    ImGui::BeginDisabled(!connected);
    if (ImGui::Button("+", ImVec2(plus, plus)))
        OpenRoomBrowser();
    theme::Tooltip("Join or create a room (Ctrl+J)");
    ImGui::EndDisabled();
    for (const Conversation* c : m_model.Rooms())
        DrawConversationRow(*c);
    bool first = true;
    for (const auto& c : m_model.Conversations())
    {
        if (c->IsRoom())
            continue;
        if (std::exchange(first, false))
        {
            ImGui::Spacing();
            ImGui::TextDisabled("Private");
        }
        DrawConversationRow(*c);
    }
    ImGui::EndChild();
    if (m_closeKey && m_model.Close(*m_closeKey)) // false while a message in it is pending
        m_views.erase(engine::FoldCase(*m_closeKey));
    m_closeKey.reset();
}

void ClientPanel::DrawConversationRow(const Conversation& c)
{
    const float fs = ImGui::GetFontSize();
    const std::string folded = engine::FoldCase(c.key);
    const bool selected = folded == engine::FoldCase(m_active);
    ImGui::PushID(folded.c_str());
    if (ImGui::Selectable("##row", selected, 0, ImVec2(0, fs * 1.35f)))
        Select(c.key);
    const ImVec2 min = ImGui::GetItemRectMin();
    const ImVec2 max = ImGui::GetItemRectMax();
    m_conversationRects[folded] = {min, max};
    const bool left = c.IsRoom() && !c.IsEveryone() && !c.joined;
    if (c.IsEveryone())
        theme::Tooltip("The room everyone on the server is in (Alt+Up/Down moves through the list)");
    else if (c.IsRoom())
        theme::Tooltip(left ? "You left this room (right-click to close it)" : "Right-click to leave this room");
    else
        theme::Tooltip(("Private conversation with " + c.key + " (right-click to close)").c_str());

    if (ImGui::BeginPopupContextItem("##rowmenu"))
    {
        if (c.IsRoom() && !c.IsEveryone() && c.joined && ImGui::MenuItem(("Leave " + c.title).c_str()))
            LeaveRoom(c.key);
        if (!c.IsEveryone() && (!c.IsRoom() || !c.joined) && ImGui::MenuItem("Close"))
            m_closeKey = c.key; // after the list is drawn: closing now would pull it from under the loop
        if (c.IsEveryone())
            ImGui::TextDisabled("Everyone cannot be left");
        ImGui::EndPopup();
    }

    // the name (cut short before the badge), then the unread count as a pill on the right
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const float centerY = (min.y + max.y) * 0.5f;
    const float badge = theme::UnreadBadgeWidth(c.unread);
    float x = min.x + fs * 0.2f;
    if (!c.IsRoom())
    {
        const float r = fs * 0.22f;
        if (m_model.IsOnline(c.key))
            draw->AddCircleFilled(ImVec2(x + r, centerY), r, theme::Online);
        else
            draw->AddCircle(ImVec2(x + r, centerY), r, ImGui::GetColorU32(ImGuiCol_TextDisabled), 0, 1.5f);
        x += r * 2 + fs * 0.35f;
    }
    const ImU32 color = left ? ImGui::GetColorU32(ImGuiCol_TextDisabled)
                        : c.unread > 0 || selected ? theme::Rgb(0xff, 0xff, 0xff)
                                                   : theme::Rgb(0xd9, 0xf2, 0xf5);
    const std::string title = left ? c.title + " (left)" : c.title;
    const float right = max.x - (badge > 0 ? badge + fs * 0.5f : fs * 0.2f);
    draw->PushClipRect(min, ImVec2(right, max.y), true);
    draw->AddText(ImVec2(x, centerY - fs * 0.5f), color, title.c_str());
    draw->PopClipRect();
    theme::UnreadBadge(draw, max.x - fs * 0.25f, centerY, c.unread);
    ImGui::PopID();
}

// [SECTION] The conversation on screen

void ClientPanel::DrawConversation()
{
    Conversation* found = m_model.Find(m_active);
    Conversation& c = found ? *found : m_model.Everyone();
    if (!DrawConversationHeader(c))
        return; // closed: the list shows another one next frame
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
        m_commands.RequestHistory(c.target, c.OldestId(), 100, false);
    }
}

// Above the conversation: its name, who is in it, Leave / Join again / Close on the right, and
// for rooms but Everyone a line with the topic (click it or press Ctrl+E to change it).
bool ClientPanel::DrawConversationHeader(Conversation& c)
{
    const bool left = c.IsRoom() && !c.IsEveryone() && !c.joined;
    ImGui::AlignTextToFramePadding();
    ImGui::PushStyleColor(ImGuiCol_Text, theme::Rgb(0xff, 0xff, 0xff));
    ImGui::TextUnformatted(c.title.c_str());
    ImGui::PopStyleColor();
    ImGui::SameLine();
    if (m_model.State() == ConnectionState::Disconnected)
        ImGui::TextDisabled("\xC2\xB7 not connected");
    else if (c.IsEveryone())
        ImGui::TextDisabled("\xC2\xB7 %d online", static_cast<int>(m_model.Users().size()));
    else if (left)
        ImGui::TextDisabled("\xC2\xB7 you left this room");
    else if (c.IsRoom())
        ImGui::TextDisabled(c.memberCount == 1 ? "\xC2\xB7 %d member" : "\xC2\xB7 %d members", static_cast<int>(c.memberCount));
    else
        ImGui::TextDisabled(m_model.IsOnline(c.key) ? "\xC2\xB7 private, online" : "\xC2\xB7 private, offline");

    const ImGuiStyle& style = ImGui::GetStyle();
    auto width = [&](const char* label) { return ImGui::CalcTextSize(label).x + style.FramePadding.x * 2; };
    float buttons = 0.0f;
    if (left)
        buttons = width("Join again") + style.ItemSpacing.x + width("Close");
    else if (!c.IsEveryone())
        buttons = width(c.IsRoom() ? "Leave" : "Close");
    if (buttons > 0.0f && !DrawHeaderButtons(c, buttons))
        return false;
    if (c.IsRoom() && !c.IsEveryone())
        DrawTopic(c, ImGui::GetContentRegionAvail().x);
    return true;
}

bool ClientPanel::DrawHeaderButtons(Conversation& c, float buttons)
{
    const bool connected = m_model.State() == ConnectionState::Connected;
    const bool left = c.IsRoom() && !c.IsEveryone() && !c.joined;
    ImGui::SameLine(ImGui::GetContentRegionMax().x - buttons);
    if (left)
    {
        ImGui::BeginDisabled(!connected);
        if (ImGui::Button("Join again"))
            JoinRoom(c.RoomName());
        theme::Tooltip(("Join " + c.title + " again").c_str());
        ImGui::EndDisabled();
        ImGui::SameLine();
    }
    if (c.IsRoom() && !left)
    {
        ImGui::BeginDisabled(!connected);
        if (ImGui::Button("Leave"))
            LeaveRoom(c.key);
        theme::Tooltip(("Leave " + c.title + ": its messages stop coming (you can join again)").c_str());
        ImGui::EndDisabled();
    }
    else if (ImGui::Button("Close"))
    {
        const std::string key = c.key;
        if (m_model.Close(key)) // false while a message in it is pending
        {
            m_views.erase(engine::FoldCase(key));
            return false; // c is gone
        }
    }
    else
        theme::Tooltip("Close this conversation (it comes back with the next message)");
    return true;
}

void ClientPanel::DrawTopic(Conversation& c, float width)
{
    const float fs = ImGui::GetFontSize();
    const bool editable = c.joined && m_model.State() == ConnectionState::Connected;
    if (m_topicKey && engine::FoldCase(*m_topicKey) == engine::FoldCase(c.key))
    {
        if (!editable)
        {
            m_topicKey.reset();
            return;
        }
        const ImGuiStyle& style = ImGui::GetStyle();
        const float buttons = ImGui::CalcTextSize("Save").x + ImGui::CalcTextSize("Cancel").x + style.FramePadding.x * 4 +
                              style.ItemSpacing.x * 2;
        if (std::exchange(m_focusTopic, false))
            ImGui::SetKeyboardFocusHere();
        ImGui::SetNextItemWidth(std::max(fs * 4.0f, width - buttons));
        const bool enter = ImGui::InputTextWithHint("##topic", "what this room is about", &m_topicInput,
                                                    ImGuiInputTextFlags_EnterReturnsTrue);
        // the field lets go of the focus on Escape itself: it is active or was until just now
        const bool escape = (ImGui::IsItemActive() || ImGui::IsItemDeactivated()) &&
                            ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape));
        const bool tooLong = m_topicInput.size() > net::MaxTopicBytes;
        if (tooLong && ImGui::IsItemHovered())
            ImGui::SetTooltip("A topic can have at most %zu bytes.", net::MaxTopicBytes);
        ImGui::SameLine();
        ImGui::BeginDisabled(tooLong);
        const bool save = ImGui::Button("Save") || (enter && !tooLong);
        theme::Tooltip("Set this topic for everyone in the room (Enter)");
        ImGui::EndDisabled();
        ImGui::SameLine();
        const bool cancel = ImGui::Button("Cancel") || escape;
        theme::Tooltip("Keep the topic as it is (Esc)");
        if (save || cancel)
        {
            if (save)
                SetTopic(c.key, m_topicInput);
            m_topicKey.reset();
            m_focusInput = true;
        }
        return;
    }
    // the topic on one line (the whole of it in the tooltip); click it, or Ctrl+E, to change it
    const bool empty = c.topic.empty();
    std::string shown = empty ? (editable ? "no topic \xE2\x80\x94 click to set one" : "no topic") : c.topic;
    std::replace(shown.begin(), shown.end(), '\n', ' ');
    const float height = ImGui::GetFrameHeight();
    const ImVec2 min = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("##topicline", ImVec2(std::max(1.0f, width), height));
    const bool hovered = ImGui::IsItemHovered();
    if (ImGui::IsItemClicked() && editable)
        EditTopic();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 max(min.x + width, min.y + height);
    if (hovered && editable)
        draw->AddRectFilled(min, max, ImGui::GetColorU32(ImGuiCol_FrameBgHovered), fs * 0.25f);
    draw->PushClipRect(min, max, true);
    draw->AddText(ImVec2(min.x + fs * 0.4f, min.y + (height - fs) * 0.5f),
                  empty ? ImGui::GetColorU32(ImGuiCol_TextDisabled) : theme::Rgb(0xd9, 0xf2, 0xf5), shown.c_str());
    draw->PopClipRect();
    if (hovered)
    {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(fs * 30.0f);
        if (!empty)
            ImGui::TextUnformatted(c.topic.c_str());
        ImGui::TextDisabled(editable ? "Click (or Ctrl+E) to change the topic" : "Only members can change the topic");
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

// [SECTION] The room browser

void ClientPanel::DrawRoomBrowser()
{
    const char* title = "Join or create a room";
    if (m_browserPopup)
    {
        ImGui::OpenPopup(title);
        m_browserPopup = false;
    }
    const float fs = ImGui::GetFontSize();
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(viewport->WorkPos.x + viewport->WorkSize.x * 0.5f, viewport->WorkPos.y + viewport->WorkSize.y * 0.5f),
                            ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(std::min(fs * 34.0f, viewport->WorkSize.x - fs * 2), 0.0f));
    if (!ImGui::BeginPopupModal(title, nullptr, ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoSavedSettings))
    {
        m_browserOpen = false;
        m_browserRects.clear();
        return;
    }
    // the rooms that match what is typed (all of them while nothing is)
    const std::string name = CleanRoomName(m_roomName);
    std::vector<const net::RoomInfo*> rows;
    bool exact = false;
    for (const net::RoomInfo& room : m_model.RoomList())
        if (name.empty() || Contains(room.name, name))
        {
            rows.push_back(&room);
            exact = exact || engine::FoldCase(room.name) == engine::FoldCase(name);
        }
    const int up = ImGui::GetKeyIndex(ImGuiKey_UpArrow);
    const int down = ImGui::GetKeyIndex(ImGuiKey_DownArrow);
    if (down >= 0 && ImGui::IsKeyPressed(down))
        m_browserRow = std::min(m_browserRow + 1, static_cast<int>(rows.size()) - 1);
    if (up >= 0 && ImGui::IsKeyPressed(up))
        m_browserRow = std::max(m_browserRow - 1, -1);
    m_browserRow = std::min(m_browserRow, static_cast<int>(rows.size()) - 1);

    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextDisabled("Type a name to find a room, or a new name to create one; Up/Down pick from the list.");
    ImGui::PopTextWrapPos();
    if (ImGui::IsWindowAppearing())
        ImGui::SetKeyboardFocusHere();
    const std::string action = name.empty()                           ? "Join"
                               : m_browserRow >= 0                     ? "Join #" + rows[static_cast<std::size_t>(m_browserRow)]->name
                               : exact || RoomNameProblem(name) != "" ? "Join #" + name
                                                                      : "Create #" + name;
    const ImGuiStyle& style = ImGui::GetStyle();
    const float buttonWidth = std::max(fs * 6.0f, ImGui::CalcTextSize(action.c_str()).x + style.FramePadding.x * 2);
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - buttonWidth - style.ItemSpacing.x);
    const bool enter = ImGui::InputTextWithHint("##roomname", "room name (no spaces)", &m_roomName,
                                                ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_AutoSelectAll);
    if (ImGui::IsItemEdited())
    {
        m_browserRow = -1;
        m_roomProblem.clear();
    }
    if (enter)
        ImGui::SetKeyboardFocusHere(-1); // Enter leaves the field; a refused name stays there to fix
    ImGui::SameLine();
    ImGui::BeginDisabled(name.empty() && m_browserRow < 0);
    bool join = ImGui::Button(action.c_str(), ImVec2(buttonWidth, 0)) || enter;
    ImGui::EndDisabled();
    theme::Tooltip("Join this room, creating it if it does not exist yet (Enter)");
    if (!m_roomProblem.empty())
        ImGui::TextColored(ImVec4(1.0f, 0.7f, 0.66f, 1.0f), "%s", m_roomProblem.c_str());

    std::string chosen = m_browserRow >= 0 ? rows[static_cast<std::size_t>(m_browserRow)]->name : name;
    m_browserRects.clear();
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_SizingStretchProp;
    if (ImGui::BeginTable("##roomlist", 3, flags, ImVec2(0, fs * 13.0f)))
    {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("Room", ImGuiTableColumnFlags_WidthStretch, 1.0f);
        ImGui::TableSetupColumn("Members", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("Members").x);
        ImGui::TableSetupColumn("Topic", ImGuiTableColumnFlags_WidthStretch, 1.8f);
        ImGui::TableHeadersRow();
        for (std::size_t i = 0; i < rows.size(); ++i)
        {
            const net::RoomInfo& room = *rows[i];
            const bool everyone = net::Target::Room(room.name).IsEveryone();
            ImGui::PushID(static_cast<int>(i));
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            const std::string label = everyone ? std::string("Everyone") : "#" + room.name;
            const ImVec2 textPos = ImGui::GetCursorScreenPos();
            if (ImGui::Selectable(label.c_str(), static_cast<int>(i) == m_browserRow,
                                  ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_DontClosePopups))
            {
                chosen = room.name;
                join = true;
            }
            if (static_cast<int>(i) == m_browserRow)
                ImGui::SetScrollHereY();
            m_browserRects[room.name] = {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()};
            theme::Tooltip(room.member ? "You are in this room: click to show it" : "Click to join this room");
            if (room.member) // after the name, in the name's cell (the row's selectable spans every column)
                ImGui::GetWindowDrawList()->AddText(
                    ImVec2(textPos.x + ImGui::CalcTextSize(label.c_str()).x + ImGui::GetFontSize() * 0.6f, textPos.y),
                    ImGui::GetColorU32(ImGuiCol_TextDisabled), "joined");
            ImGui::TableNextColumn();
            ImGui::Text("%u", static_cast<unsigned>(room.memberCount));
            ImGui::TableNextColumn();
            if (room.topic.empty())
                ImGui::TextDisabled("\xE2\x80\x94");
            else
                ImGui::TextUnformatted(room.topic.c_str());
            ImGui::PopID();
        }
        if (rows.empty())
        {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            if (m_model.RoomListPending() && m_model.RoomList().empty())
                ImGui::TextDisabled("asking the server\xE2\x80\xA6");
            else if (!name.empty())
                ImGui::TextDisabled("no room is called that yet");
        }
        ImGui::EndTable();
    }
    bool close = ImGui::Button("Close") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)) ||
                 std::exchange(m_browserClose, false);
    theme::Tooltip("Close without joining (Esc)");
    if (m_model.State() != ConnectionState::Connected)
        close = true;
    else if (join && JoinRoom(chosen))
        close = true;
    if (close)
    {
        m_browserOpen = false;
        m_focusInput = true;
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
}

} // namespace obrol::ui

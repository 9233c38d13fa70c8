#include "ui/panels/server_panel.hpp"

#include "engine/clock.hpp"
#include "engine/utf8.hpp"
#include "ui/panels/theme.hpp"

#include <imgui_stdlib.h>

#include <algorithm>
#include <utility>

namespace obrol::ui {

ServerPanel::ServerPanel(ServerModel& model, ServerCommands& commands, std::string bind, std::uint16_t port)
    : m_model(model), m_commands(commands), m_bind(std::move(bind)), m_port(port)
{
}

void ServerPanel::RequestStart()
{
    if (m_model.State() != ServerState::Stopped)
        return;
    if (m_port < 0 || m_port > 65535)
    {
        m_model.AddLog(LogKind::Error, "The port must be between 0 and 65535", engine::NowMs());
        return;
    }
    m_model.StartRequested(m_bind, static_cast<std::uint16_t>(m_port));
    m_commands.Start(m_bind, static_cast<std::uint16_t>(m_port));
}

bool ServerPanel::Announce(const std::string& text)
{
    if (text.find_first_not_of(" \t\r\n") == std::string::npos || m_model.State() != ServerState::Running)
        return false;
    m_commands.Announce(text);
    return true;
}

bool ServerPanel::RunSearch(const std::string& query)
{
    if (query.find_first_not_of(" \t") == std::string::npos || m_model.State() != ServerState::Running ||
        m_model.DataDir().empty())
        return false;
    m_model.SearchSent(query);
    m_commands.Search(query);
    m_showResults = true;
    return true;
}

void ServerPanel::DrawSearch(float height)
{
    const bool archive = m_model.State() == ServerState::Running && !m_model.DataDir().empty();
    ImGui::BeginDisabled(!archive);
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.6f);
    const bool enter = ImGui::InputTextWithHint("##archivesearch", "search the archive", &m_search,
                                                ImGuiInputTextFlags_EnterReturnsTrue);
    theme::Tooltip("Full-text search over every stored message, private ones included (Enter)");
    ImGui::SameLine();
    if (ImGui::Button("Search") || enter)
        RunSearch(m_search);
    theme::Tooltip("Search the archive");
    ImGui::EndDisabled();
    if (!m_showResults)
        return;
    ImGui::SameLine();
    if (ImGui::SmallButton("Close"))
        m_showResults = false;
    theme::Tooltip("Hide the search results");
    ImGui::BeginChild("##archiveresults", ImVec2(0, height), true, ImGuiWindowFlags_HorizontalScrollbar);
    const auto& results = m_model.SearchResults();
    if (m_model.SearchPending())
        ImGui::TextDisabled("searching...");
    else if (results.empty())
        ImGui::TextDisabled("nothing found for \"%s\"", m_model.SearchQuery().c_str());
    for (const net::Chat& r : results)
    {
        ImGui::TextDisabled("%s", engine::FormatLocal(r.timeMs, "%Y-%m-%d %H:%M").c_str());
        ImGui::SameLine();
        std::string who = r.kind == net::ChatKind::Private ? r.from + " -> " + r.to.name + " (private)"
                          : r.from.empty()                 ? std::string("Announcement")
                          : r.to.IsEveryone()              ? r.from
                                                           : r.from + " in #" + r.to.name;
        std::string text = r.text;
        std::replace(text.begin(), text.end(), '\n', ' ');
        ImGui::Text("%s: %s", who.c_str(), text.c_str());
    }
    ImGui::EndChild();
}

void ServerPanel::Draw(std::int64_t nowMs)
{
    ImGui::PushID(this);
    DrawControls();
    const float fs = ImGui::GetFontSize();
    const float rest = ImGui::GetContentRegionAvail().y;
    const float graph = fs * 4.0f;
    const float announce = ImGui::GetFrameHeightWithSpacing();
    const float clients = std::max(fs * 5.5f, (rest - graph - announce) * 0.2f);
    const float rooms = std::max(fs * 4.5f, (rest - graph - announce) * 0.14f);
    DrawClients(clients);
    DrawRooms(rooms);
    DrawRate(nowMs);
    if (!m_model.StorageProblem().empty())
        ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.55f, 1.0f), "Storage problem: %s", m_model.StorageProblem().c_str());
    DrawSearch(fs * 6.0f);
    DrawLog(std::max(fs * 5.0f, ImGui::GetContentRegionAvail().y - announce - ImGui::GetStyle().ItemSpacing.y));
    DrawAnnounce();
    DrawReleaseDialog();
    ImGui::PopID();
}

void ServerPanel::DrawControls()
{
    const ServerState state = m_model.State();
    ImU32 dot = theme::Offline;
    if (state == ServerState::Running)
        dot = theme::Online;
    else if (state == ServerState::Starting || state == ServerState::Stopping)
        dot = theme::Connecting;
    theme::StatusDot(dot);
    ImGui::AlignTextToFramePadding();
    ImGui::Text("Server %s", m_model.StateText().c_str());
    if (!m_model.DataDir().empty() && ImGui::IsItemHovered())
        ImGui::SetTooltip("Archive: %s", m_model.DataDir().c_str());

    if (state == ServerState::Running)
        m_port = m_model.Port(); // show the port bound (with 0, "any free port"); Start reuses it
    const float fs = ImGui::GetFontSize();
    ImGui::BeginDisabled(state != ServerState::Stopped);
    ImGui::SetNextItemWidth(fs * 9.0f);
    ImGui::InputTextWithHint("##bind", "bind address", &m_bind);
    theme::Tooltip("Address to listen on: 0.0.0.0 accepts every network, 127.0.0.1 only this machine");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fs * 6.0f);
    ImGui::InputInt("##port", &m_port, 0, 0);
    theme::Tooltip("Port to listen on (0 picks any free port)");
    ImGui::SameLine();
    if (ImGui::Button("Start"))
        RequestStart();
    theme::Tooltip("Start accepting clients on this address and port");
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(state != ServerState::Running);
    if (ImGui::Button("Stop"))
    {
        m_model.StopRequested();
        m_commands.Stop();
    }
    theme::Tooltip("Tell every client the server is stopping, disconnect them and free the port");
    ImGui::EndDisabled();
}

void ServerPanel::DrawClients(float height)
{
    const auto& clients = m_model.Clients();
    ImGui::TextDisabled("Connected clients (%d)", static_cast<int>(clients.size()));
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("##clients", 5, flags, ImVec2(0, height)))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Nickname", ImGuiTableColumnFlags_WidthStretch, 1.2f);
    ImGui::TableSetupColumn("Address", ImGuiTableColumnFlags_WidthStretch, 1.4f);
    ImGui::TableSetupColumn("Since", ImGuiTableColumnFlags_WidthStretch, 0.7f);
    ImGui::TableSetupColumn("Msgs", ImGuiTableColumnFlags_WidthStretch, 0.5f);
    ImGui::TableSetupColumn("##kick", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("Kick").x + ImGui::GetStyle().FramePadding.x * 2);
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(clients.size()));
    while (clipper.Step())
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i)
        {
            const ClientRow& row = clients[static_cast<std::size_t>(i)];
            ImGui::PushID(static_cast<int>(row.sessionId));
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(row.nick.c_str());
            if (!row.software.empty() && ImGui::IsItemHovered())
                ImGui::SetTooltip("%s", row.software.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(row.address.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(engine::LocalTimeHM(row.sinceMs).c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("%s", engine::LocalDateTime(row.sinceMs).c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%llu", static_cast<unsigned long long>(row.messages));
            ImGui::TableNextColumn();
            if (ImGui::SmallButton("Kick"))
                m_commands.Kick(row.nick);
            theme::Tooltip(("Disconnect " + row.nick + " (they can join again)").c_str());
            ImGui::PopID();
        }
    ImGui::EndTable();
}

// [SECTION] Rooms and owned nicknames

// Everyone's members are the users online: the clients table, one per nickname (a user may be
// connected twice for a moment while a new connection takes over).
static std::size_t OnlineUsers(const ServerModel& model)
{
    std::vector<std::string> nicks;
    for (const ClientRow& row : model.Clients())
        nicks.push_back(engine::FoldCase(row.nick));
    std::sort(nicks.begin(), nicks.end());
    return static_cast<std::size_t>(std::unique(nicks.begin(), nicks.end()) - nicks.begin());
}

void ServerPanel::DrawRooms(float height)
{
    const auto& rooms = m_model.Rooms();
    ImGui::AlignTextToFramePadding();
    ImGui::TextDisabled("Rooms (%d)", static_cast<int>(rooms.size()));
    const char* label = "Release name\xE2\x80\xA6";
    ImGui::SameLine(ImGui::GetContentRegionMax().x - ImGui::CalcTextSize(label).x - ImGui::GetStyle().FramePadding.x * 2);
    ImGui::BeginDisabled(m_model.State() != ServerState::Running);
    if (ImGui::Button(label))
        OpenRelease();
    theme::Tooltip("Free a nickname whose owner lost their key, so it can be claimed again");
    ImGui::EndDisabled();

    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("##rooms", 3, flags, ImVec2(0, height)))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Room", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn("Members", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("Members").x);
    ImGui::TableSetupColumn("Topic", ImGuiTableColumnFlags_WidthStretch, 2.0f);
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(rooms.size()));
    while (clipper.Step())
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i)
        {
            const net::ServerRoom& room = rooms[static_cast<std::size_t>(i)];
            const bool everyone = net::Target::Room(room.name).IsEveryone();
            ImGui::PushID(i);
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(everyone ? "Everyone" : ("#" + room.name).c_str());
            if (everyone)
                theme::Tooltip("The room every user is in; its count is the users online now");
            ImGui::TableNextColumn();
            ImGui::Text("%zu", everyone ? OnlineUsers(m_model) : room.members);
            ImGui::TableNextColumn();
            if (everyone)
                ImGui::TextDisabled("everyone on the server");
            else if (room.topic.empty())
                ImGui::TextDisabled("no topic");
            else
            {
                ImGui::TextUnformatted(room.topic.c_str());
                if (ImGui::IsItemHovered())
                {
                    ImGui::BeginTooltip();
                    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
                    ImGui::TextUnformatted(room.topic.c_str());
                    ImGui::PopTextWrapPos();
                    ImGui::EndTooltip();
                }
            }
            ImGui::PopID();
        }
    ImGui::EndTable();
}

void ServerPanel::OpenRelease(const std::string& nick)
{
    m_release = nick;
    m_releaseOpen = true;
    m_releasePopup = true;
}

bool ServerPanel::Release(const std::string& raw)
{
    const std::size_t first = raw.find_first_not_of(" \t");
    if (first == std::string::npos || m_model.State() != ServerState::Running)
        return false;
    const std::string nick = raw.substr(first, raw.find_last_not_of(" \t") + 1 - first);
    m_commands.ReleaseNick(nick);
    return true;
}

void ServerPanel::DrawReleaseDialog()
{
    const char* title = "Release a nickname";
    if (m_releasePopup)
    {
        ImGui::OpenPopup(title);
        m_releasePopup = false;
    }
    const float fs = ImGui::GetFontSize();
    ImGui::SetNextWindowSize(ImVec2(fs * 28.0f, 0.0f));
    if (!ImGui::BeginPopupModal(title, nullptr, ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoSavedSettings))
    {
        m_releaseOpen = false;
        return;
    }
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted("A nickname belongs to the key that first logged in with it. If its owner lost their key "
                           "(a new computer, a deleted profile), release it: the next key to log in with this "
                           "nickname owns it, whoever holds that key.");
    ImGui::PopTextWrapPos();
    ImGui::Spacing();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Nickname");
    ImGui::SameLine();
    if (ImGui::IsWindowAppearing())
        ImGui::SetKeyboardFocusHere();
    ImGui::SetNextItemWidth(-FLT_MIN);
    const bool enter = ImGui::InputTextWithHint("##releasenick", "nickname to release", &m_release,
                                                ImGuiInputTextFlags_EnterReturnsTrue);
    if (enter)
        ImGui::SetKeyboardFocusHere(-1); // Enter leaves the field; keep typing if nothing was released
    const bool blank = m_release.find_first_not_of(" \t") == std::string::npos;
    const bool online = std::any_of(m_model.Clients().begin(), m_model.Clients().end(), [&](const ClientRow& row) {
        return engine::FoldCase(row.nick) == engine::FoldCase(m_release);
    });
    if (online)
        ImGui::TextColored(ImVec4(1.0f, 0.85f, 0.55f, 1.0f), "%s is connected right now.", m_release.c_str());
    ImGui::Spacing();
    bool close = false;
    ImGui::BeginDisabled(blank || m_model.State() != ServerState::Running);
    if ((ImGui::Button("Release") || enter) && Release(m_release))
        close = true;

    theme::Tooltip("Release this nickname now (Enter)");
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)) ||
        std::exchange(m_releaseClose, false))
        close = true;
    theme::Tooltip("Keep the nickname with its owner (Esc)");
    if (close)
    {
        m_release.clear();
        m_releaseOpen = false;
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
}

void ServerPanel::DrawRate(std::int64_t nowMs)
{
    const auto& rate = m_model.Rate(nowMs);
    const float peak = *std::max_element(rate.begin(), rate.end());
    const float scale = std::max(5.0f, peak); // the axis never shrinks below 5/s; the overlay tells the real peak
    char overlay[96];
    std::snprintf(overlay, sizeof overlay, "messages/s: %.0f now, %.0f peak (60 s), %llu total", rate[rate.size() - 2],
                  peak, static_cast<unsigned long long>(m_model.TotalMessages()));
    ImGui::PlotHistogram("##rate", rate.data(), static_cast<int>(rate.size()), 0, overlay, 0.0f, scale * 1.15f,
                         ImVec2(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 3.5f));
    theme::Tooltip("Messages relayed per second over the last minute (the last bar is the current second)");
}

void ServerPanel::RefilterLog()
{
    // m_filtered holds log sequence numbers (lines trimmed from the front + index), so it
    // stays valid as the log trims its oldest lines; only new lines are filtered each frame.
    const auto& log = m_model.Log();
    const std::uint64_t firstSeq = m_model.LogDropped();
    const std::string current = m_filter.InputBuf;
    if (current != m_lastFilter)
    {
        m_filtered.clear();
        m_filteredUpTo = 0;
        m_lastFilter = current;
    }
    for (std::uint64_t seq = std::max(m_filteredUpTo, firstSeq); seq < firstSeq + log.size(); ++seq)
        if (!m_filter.IsActive() || m_filter.PassFilter(log[static_cast<std::size_t>(seq - firstSeq)].text.c_str()))
            m_filtered.push_back(seq);
    m_filteredUpTo = firstSeq + log.size();
    while (!m_filtered.empty() && m_filtered.front() < firstSeq)
        m_filtered.pop_front();
}

void ServerPanel::DrawLog(float height)
{
    ImGui::TextDisabled("Traffic log");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-FLT_MIN);
    m_filter.Draw("##logfilter");
    if (!m_filter.IsActive() && !ImGui::IsItemActive())
        ImGui::GetWindowDrawList()->AddText(
            ImVec2(ImGui::GetItemRectMin().x + ImGui::GetStyle().FramePadding.x, ImGui::GetItemRectMin().y + ImGui::GetStyle().FramePadding.y),
            ImGui::GetColorU32(ImGuiCol_TextDisabled), "filter");
    theme::Tooltip("Show only log lines containing this text (\"-word\" excludes, commas separate alternatives)");
    RefilterLog();

    ImGui::BeginChild("##log", ImVec2(0, height), true, ImGuiWindowFlags_HorizontalScrollbar);
    const auto& log = m_model.Log();
    const std::uint64_t firstSeq = m_model.LogDropped();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(m_filtered.size()));
    m_logRowsDrawn = 0;
    while (clipper.Step())
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i)
        {
            const LogLine& line = log[static_cast<std::size_t>(m_filtered[static_cast<std::size_t>(i)] - firstSeq)];
            ImU32 color = IM_COL32_WHITE;
            switch (line.kind)
            {
            case LogKind::Join: color = theme::Rgb(0xa8, 0xf0, 0xc6); break;
            case LogKind::Leave: color = theme::Rgb(0xff, 0xd6, 0xa5); break;
            case LogKind::Private: color = theme::Rgb(0xe3, 0xc6, 0xff); break;
            case LogKind::Announce: color = theme::Rgb(0xff, 0xe9, 0x8c); break;
            case LogKind::Warning: color = theme::Rgb(0xff, 0xc0, 0x7a); break;
            case LogKind::Error: color = theme::Rgb(0xff, 0x9a, 0x9a); break;
            default: break;
            }
            ImGui::TextDisabled("%s", engine::LocalTimeHM(line.timeMs).c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("%s", engine::LocalDateTime(line.timeMs).c_str());
            ImGui::SameLine();
            ImGui::PushStyleColor(ImGuiCol_Text, color);
            ImGui::TextUnformatted(line.text.c_str());
            ImGui::PopStyleColor();
            ++m_logRowsDrawn;
        }
    if (m_logAtBottom)
        ImGui::SetScrollHereY(1.0f);
    m_logAtBottom = ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 2.0f;
    ImGui::EndChild();
}

void ServerPanel::DrawAnnounce()
{
    const bool running = m_model.State() == ServerState::Running;
    ImGui::BeginDisabled(!running);
    const float buttonWidth = ImGui::CalcTextSize("Send to all").x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - buttonWidth - ImGui::GetStyle().ItemSpacing.x);
    const bool enter = ImGui::InputTextWithHint("##announce", "Announcement to everyone", &m_announce,
                                                ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    const bool clicked = ImGui::Button("Send to all");
    theme::Tooltip("Send this announcement to every connected client (Enter)");
    ImGui::EndDisabled();
    if ((enter || clicked) && Announce(m_announce))
    {
        m_announce.clear();
        if (enter)
            ImGui::SetKeyboardFocusHere(-1);
    }
}

} // namespace obrol::ui

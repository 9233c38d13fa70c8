// The server panel: status, bind/port, Start/Stop, connected clients with Kick, the rooms with
// their member counts, releasing an owned nickname, the traffic log with a filter, "Send to all",
// and a live graph of messages per second.
// Draws a ServerModel; asks for work through ServerCommands. UI thread only.
#pragma once

#include "ui/model/server_model.hpp"

#include <imgui.h>

#include <deque>
#include <string>

namespace obrol::ui {

class ServerCommands
{
public:
    virtual ~ServerCommands() = default;
    virtual void Start(const std::string& bind, std::uint16_t port) = 0;
    virtual void Stop() = 0;
    virtual void Announce(const std::string& text) = 0;
    virtual void Kick(const std::string& nick) = 0;
    virtual void Search(const std::string& query) = 0; // over the whole archive
    virtual void ReleaseNick(const std::string& nick) = 0; // the next key to log in with it owns it
};

class ServerPanel
{
public:
    ServerPanel(ServerModel& model, ServerCommands& commands, std::string bind, std::uint16_t port);

    void Draw(std::int64_t nowMs);
    void RequestStart();
    bool Announce(const std::string& text);
    bool RunSearch(const std::string& query);
    std::string& SearchInput() { return m_search; }
    // "Release name…": opens the confirmation dialog (with the nickname filled in, if given);
    // Release asks the server to free the nickname in the field.
    void OpenRelease(const std::string& nick = "");
    void CloseRelease() { m_releaseClose = m_releaseOpen; } // as Cancel does
    bool ReleaseOpen() const { return m_releaseOpen; }
    std::string& ReleaseInput() { return m_release; }
    bool Release(const std::string& nick); // false: blank, or the server is not running

    std::string& AnnounceInput() { return m_announce; }
    ImGuiTextFilter& Filter() { return m_filter; }
    std::size_t LogRowsVisible() const { return m_logRowsDrawn; } // rows drawn last frame
    std::size_t LogRowsMatching() const { return m_filtered.size(); }

private:
    void DrawControls();
    void DrawClients(float height);
    void DrawRooms(float height);
    void DrawReleaseDialog();
    void DrawLog(float height);
    void DrawAnnounce();
    void DrawRate(std::int64_t nowMs);
    void DrawSearch(float height);
    void RefilterLog();

    ServerModel& m_model;
    ServerCommands& m_commands;
    std::string m_bind;
    int m_port;
    std::string m_announce;
    std::string m_search;
    std::string m_release;
    bool m_releaseOpen = false;    // the dialog is (to be) open
    bool m_releasePopup = false;   // OpenPopup is due this frame
    bool m_releaseClose = false;   // CloseCurrentPopup is due this frame
    bool m_showResults = false;
    ImGuiTextFilter m_filter;
    std::string m_lastFilter;
    std::deque<std::uint64_t> m_filtered;   // sequence numbers of log lines that pass the filter
    std::uint64_t m_filteredUpTo = 0;       // sequence number up to which lines were filtered
    std::size_t m_logRowsDrawn = 0;
    bool m_logAtBottom = true;
};

} // namespace obrol::ui

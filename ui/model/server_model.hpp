// What the server front ends show: state, connected clients, rooms, the traffic log and the
// message rate. Plain data owned by the UI (or console) thread, changed by Apply(event).
#pragma once

#include "net/server.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace obrol::ui {

enum class ServerState { Stopped, Starting, Running, Stopping };

struct ClientRow
{
    std::uint64_t sessionId = 0;
    std::string nick;
    std::string address;
    std::string software;
    std::int64_t sinceMs = 0;
    std::uint64_t messages = 0;
};

enum class LogKind { Info, Join, Leave, Public, Private, Announce, Warning, Error };

struct LogLine
{
    std::int64_t timeMs = 0;
    LogKind kind = LogKind::Info;
    std::string text;
};

class ServerModel
{
public:
    static constexpr std::size_t MaxLogLines = 50000;
    static constexpr std::size_t RateSeconds = 60;

    // Returns the log line the event produced, if any (the console prints exactly these).
    const LogLine* Apply(const net::ServerEvent& event);
    void StartRequested(const std::string& bind, std::uint16_t port);
    void StopRequested();
    const LogLine& AddLog(LogKind kind, std::string text, std::int64_t timeMs);

    // Messages per second over the last RateSeconds seconds, oldest first; the last entry is
    // the current (partial) second. Advances the window to `nowMs`.
    const std::array<float, RateSeconds>& Rate(std::int64_t nowMs);
    std::uint64_t TotalMessages() const { return m_totalMessages; }

    ServerState State() const { return m_state; }
    const std::string& StateText() const { return m_stateText; }
    std::uint16_t Port() const { return m_port; }
    const std::string& Bind() const { return m_bind; }
    const std::vector<ClientRow>& Clients() const { return m_clients; }
    // Every room on the server (everyone first), as the server last listed them; empty when stopped.
    const std::vector<net::ServerRoom>& Rooms() const { return m_rooms; }
    const std::deque<LogLine>& Log() const { return m_log; }
    std::uint64_t LogDropped() const { return m_logDropped; } // lines trimmed from the front
    const std::string& DataDir() const { return m_dataDir; }        // "" when nothing is stored
    const std::string& StorageProblem() const { return m_storageProblem; } // last storage error, "" if none

    void SearchSent(const std::string& query);
    const std::string& SearchQuery() const { return m_searchQuery; }
    const std::vector<net::Chat>& SearchResults() const { return m_searchResults; }
    bool SearchPending() const { return m_searchPending; }

private:
    void Count(std::int64_t timeMs);
    void Advance(std::int64_t nowMs);

    ServerState m_state = ServerState::Stopped;
    std::string m_stateText = "stopped";
    std::string m_bind;
    std::uint16_t m_port = 0;
    std::vector<ClientRow> m_clients;
    std::vector<net::ServerRoom> m_rooms;
    std::deque<LogLine> m_log;
    std::uint64_t m_logDropped = 0;
    std::array<float, RateSeconds> m_rate{};
    std::int64_t m_rateSecond = 0; // the second m_rate.back() counts
    std::uint64_t m_totalMessages = 0;
    std::string m_dataDir;
    std::string m_storageProblem;
    std::string m_searchQuery;
    std::vector<net::Chat> m_searchResults;
    bool m_searchPending = false;
};

} // namespace obrol::ui

// What a client front end shows: connection state, users, conversations. Plain data owned
// by the UI (or console) thread and changed only by Apply(event) and the local actions below.
#pragma once

#include "net/client.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace obrol::ui {

enum class LineKind { Public, Private, Announce, Join, Leave, System, Error };

struct Line
{
    LineKind kind = LineKind::Public;
    std::uint64_t id = 0;          // server id (0 while pending or for local lines)
    std::int64_t timeMs = 0;       // server time once acked; local time before
    std::string from;
    std::string to;
    std::string text;
    bool own = false;
    bool pending = false;          // sent, not yet acknowledged
    bool failed = false;           // the server refused it or the connection ended first
    std::string failure;
    std::uint64_t clientMsgId = 0;
};

struct Conversation
{
    std::string key;   // "" for Everyone, else the partner's nickname (as first seen)
    std::string title;
    std::vector<Line> lines;
    std::size_t unread = 0;
    std::optional<std::size_t> firstUnread; // where the "new messages" separator goes
    std::uint64_t revision = 0;             // bumps on every change (view caches key on it)
};

enum class ConnectionState { Disconnected, Connecting, Connected };

class ClientModel
{
public:
    ClientModel();

    void Apply(const net::ClientEvent& event);

    // A message the user just sent: shown at once, pending until acked.
    void AddOwn(const std::string& to, const std::string& text, std::uint64_t clientMsgId, std::int64_t nowMs);
    void AddSystem(const std::string& key, const std::string& text, std::int64_t nowMs, LineKind kind = LineKind::System);

    // The UI tells which conversation is on screen and whether the window has focus. Lines
    // arriving anywhere else count as unread.
    void SetViewing(const std::string& key, bool focused);
    const std::string& Viewing() const { return m_viewing; }

    Conversation& Open(const std::string& key); // opens (or finds) a conversation
    Conversation* Find(const std::string& key);
    const std::vector<std::unique_ptr<Conversation>>& Conversations() const { return m_conversations; }
    Conversation& Everyone() { return *m_conversations.front(); }
    void Close(const std::string& key);

    std::size_t TotalUnread() const;
    std::size_t UnreadSinceUnfocused() const { return m_unreadUnfocused; }

    ConnectionState State() const { return m_state; }
    const std::string& StateText() const { return m_stateText; }
    const std::string& Nick() const { return m_nick; }
    const std::string& ServerName() const { return m_serverName; }
    const std::vector<std::string>& Users() const { return m_users; }
    std::optional<net::EndReason> LastEnd() const { return m_lastEnd; }
    std::optional<net::RefuseCode> LastRefuse() const { return m_lastRefuse; }
    std::size_t PendingCount() const { return m_pending.size(); }

private:
    Line& Append(Conversation& conversation, Line line);
    void AddUser(const std::string& nick);
    void RemoveUser(const std::string& nick);
    std::string KeyFor(const std::string& nick) const;

    std::vector<std::unique_ptr<Conversation>> m_conversations; // [0] is Everyone
    std::unordered_map<std::uint64_t, std::pair<std::string, std::size_t>> m_pending; // clientMsgId -> (key, line)
    std::vector<std::string> m_users;
    std::string m_viewing;
    bool m_focused = true;
    std::size_t m_unreadUnfocused = 0;
    ConnectionState m_state = ConnectionState::Disconnected;
    std::string m_stateText = "not connected";
    std::string m_nick;
    std::string m_serverName;
    std::optional<net::EndReason> m_lastEnd;
    std::optional<net::RefuseCode> m_lastRefuse;
};

} // namespace obrol::ui

// What a client front end shows: connection state, users, rooms, conversations, search results.
// Plain data owned by the UI (or console) thread, changed only by Apply(event) and the local
// actions below.
//
// Conversation keys: "" is the everyone room (always first, never closed), "#name" another room
// (room names never contain '#'), anything else the private conversation with that nickname
// (nicknames never start with '#'). TargetOf(key) / KeyOf(target) convert to the wire's Target.
#pragma once

#include "engine/units.hpp"
#include "net/client.hpp"

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace obrol::ui {

// RoomJoin/RoomLeave/Topic: "ana joined #games", "ana left #games", "ana set the topic: ..." (system-like,
// never unread).
enum class LineKind { Public, Private, Announce, Join, Leave, System, Error, RoomJoin, RoomLeave, Topic };

struct Line
{
    LineKind kind = LineKind::Public;
    std::uint64_t id = 0;          // server id (0 while pending or for local lines)
    std::uint64_t seq = 0;         // order in the conversation: 2*id for server lines, odd for local ones
    std::int64_t timeMs = 0;       // server time once acked; local time before
    std::string from;
    net::Target to;                // Private: the recipient; otherwise the room
    std::string text;
    bool own = false;
    bool pending = false;          // sent, not yet acknowledged
    bool failed = false;           // the server refused it or the connection ended first
    std::string failure;
    std::uint64_t clientMsgId = 0;
    std::optional<net::FileInfo> file; // a file message (text: the file's name); own uploads: size only until stored
};

// A transfer with what the front ends show about it: progress, speed, time left.
struct TransferView
{
    net::TransferStatus status;
    engine::RateMeter meter;
    double BytesPerSecond() const { return meter.BytesPerSecond(); }
    double SecondsLeft() const { return meter.Eta(status.size - std::min(status.size, status.done)); }
    bool Active() const
    {
        using S = net::TransferStatus::State;
        return status.state == S::Waiting || status.state == S::Running || status.state == S::Checking;
    }
};

// A file message's preview as the server answered it.
struct ThumbState
{
    enum class Kind { Arrived, None } kind = Kind::None;
    std::vector<std::uint8_t> png; // Arrived: until the UI takes it for decoding
};

constexpr std::size_t NoLine = std::numeric_limits<std::size_t>::max();
constexpr std::uint64_t PendingSeq = std::numeric_limits<std::uint64_t>::max() - 1; // own lines awaiting an ack

enum class ConversationKind { Room, Private };

struct Conversation
{
    std::string key;   // "" the everyone room, "#name" another room, else the partner's nickname (as first seen)
    std::string title; // "Everyone", "#games", "bob"
    ConversationKind kind = ConversationKind::Room;
    net::Target target;                     // where Say/SendFile/RequestHistory for this conversation go
    // Rooms only:
    std::string topic;
    std::vector<std::string> members;       // rooms but everyone: every member (online or not), sorted; everyone: empty
    std::size_t memberCount = 0;            // everyone: users online; other rooms: members.size()
    bool joined = false;                    // this user is a member (false once left: kept readable until closed)
    std::vector<Line> lines;                // ascending seq
    std::size_t unread = 0;
    std::optional<std::size_t> firstUnread; // where the "new messages" separator goes
    std::uint64_t revision = 0;             // bumps on every change
    std::size_t layoutFrom = NoLine;        // lines from here moved (inserted history): views re-measure
    bool hasMore = false;                   // the server has older messages
    bool loadingOlder = false;              // a page of older messages is on its way
    std::optional<std::uint64_t> jumpTo;    // show this message once it is loaded (search result)
    std::optional<std::uint64_t> highlight; // the message last jumped to

    std::optional<std::size_t> IndexOf(std::uint64_t id) const;
    std::uint64_t OldestId() const; // smallest server id loaded (0: none)
    bool IsRoom() const { return kind == ConversationKind::Room; }
    bool IsEveryone() const { return key.empty(); }
    const std::string& RoomName() const { return target.name; } // rooms: the name as the server spells it
};

// A row of a conversation's user list: the everyone room lists who is online; another room its
// members, online or not; a private conversation the partner and this user.
struct UserEntry
{
    std::string nick;
    bool online = false;
    bool self = false;
};

enum class ConnectionState { Disconnected, Connecting, Connected, Reconnecting };

class ClientModel
{
public:
    ClientModel();

    void Apply(const net::ClientEvent& event);

    // Conversation keys <-> wire targets (see the top of this file).
    static std::string KeyOf(const net::Target& target);
    static std::string RoomKey(const std::string& room) { return KeyOf(net::Target::Room(room)); }
    static net::Target TargetOf(const std::string& key);

    // A message the user just sent: shown at once, pending until acked.
    void AddOwn(const net::Target& to, const std::string& text, std::uint64_t clientMsgId, std::int64_t nowMs);
    void AddSystem(const std::string& key, const std::string& text, std::int64_t nowMs, LineKind kind = LineKind::System);
    // A file the user just started sending: shown at once with its upload's progress.
    void AddOwnFile(const net::Target& to, const std::filesystem::path& path, std::uint64_t clientMsgId, std::int64_t nowMs);

    // Transfers by direction and id (upload: its client message id; download: the file message id).
    const TransferView* FindTransfer(net::TransferDirection direction, std::uint64_t id) const;
    const std::map<std::pair<net::TransferDirection, std::uint64_t>, TransferView>& Transfers() const { return m_transfers; }
    std::size_t ActiveTransfers() const;
    // Where a downloaded file was saved in this run, if it was.
    const std::filesystem::path* SavedPath(std::uint64_t fileId) const;
    // Previews that arrived (Thumb events), until the UI takes them.
    ThumbState* Thumb(std::uint64_t fileId);
    void ForgetThumb(std::uint64_t fileId) { m_thumbs.erase(fileId); }
    // Finds the line of a file message (by message id) in any conversation.
    const Line* FileLine(std::uint64_t fileId) const;

    // The UI tells which conversation is on screen and whether the window has focus. Lines
    // arriving anywhere else count as unread.
    void SetViewing(const std::string& key, bool focused);
    const std::string& Viewing() const { return m_viewing; }

    Conversation& Open(const std::string& key); // opens (or finds) a conversation; "#name" opens a room's
    Conversation* Find(const std::string& key);
    const Conversation* Find(const std::string& key) const;
    const std::vector<std::unique_ptr<Conversation>>& Conversations() const { return m_conversations; }
    Conversation& Everyone() { return *m_conversations.front(); }
    const Conversation& Everyone() const { return *m_conversations.front(); }
    // Removes a conversation from view. Not the everyone room, not a room still joined (leave it
    // first: Client::PartRoom), not one with a message still pending. Returns whether it went.
    bool Close(const std::string& key);
    // The conversation a message belongs in, from this user's point of view: Private -> the
    // partner; anything else -> its room.
    std::string KeyOf(const net::Chat& chat) const;

    // [Rooms] The room conversations, everyone first, then the others in the order opened
    // (joined ones and ones left but not closed: see Conversation::joined).
    std::vector<const Conversation*> Rooms() const;
    // Who to list beside a conversation (see UserEntry): sorted case-insensitively.
    std::vector<UserEntry> UserList(const std::string& key) const;
    bool IsOnline(const std::string& nick) const;
    // The last RoomList answer (every room on the server, everyone first), for a room browser.
    // RoomListRequested() when asking (Client::ListRooms) marks it pending until the answer.
    void RoomListRequested() { m_roomListPending = true; }
    bool RoomListPending() const { return m_roomListPending; }
    const std::vector<net::RoomInfo>& RoomList() const { return m_roomList; }
    std::uint64_t RoomListRevision() const { return m_roomListRevision; } // bumps on every answer
    // Whether applying this message would show something new (not a duplicate, not our own join).
    bool IsNew(const net::Chat& chat);

    std::size_t TotalUnread() const;
    std::size_t UnreadSinceUnfocused() const { return m_unreadUnfocused; }

    ConnectionState State() const { return m_state; }
    const std::string& StateText() const { return m_stateText; }
    const std::string& Nick() const { return m_nick; }
    const std::string& ServerName() const { return m_serverName; }
    const std::vector<std::string>& Users() const { return m_users; } // online, sorted (the everyone room's list)
    std::optional<net::EndReason> LastEnd() const { return m_lastEnd; }
    std::optional<net::RefuseCode> LastRefuse() const { return m_lastRefuse; }
    std::size_t PendingCount() const { return m_pending.size(); }
    std::uint64_t LastSeenId() const { return m_lastSeenId; }

    // Search: the query sent (with its token) and the results that came back, newest first.
    void SearchSent(std::uint64_t token, const std::string& query);
    const std::string& SearchQuery() const { return m_searchQuery; }
    const std::vector<net::Chat>& SearchResults() const { return m_searchResults; }
    bool SearchPending() const { return m_searchToken != 0; }
    void ClearSearch();

private:
    Line& Insert(Conversation& conversation, Line line, bool countUnread);
    void ApplyChat(const net::Chat& chat, bool countUnread);
    void ApplyHistory(const net::History& history);
    void ApplyTransfer(const net::TransferStatus& status);
    void ApplyRoom(const net::RoomInfo& room, bool joined);
    void ApplyRoomRecord(const net::Chat& chat);
    Line* FindPending(std::uint64_t clientMsgId, Conversation** where);
    void Fail(Conversation& c, Line& line, const std::string& why);
    void AddUser(const std::string& nick);
    void RemoveUser(const std::string& nick);

    std::vector<std::unique_ptr<Conversation>> m_conversations; // [0] is Everyone
    std::unordered_map<std::uint64_t, std::string> m_pending;   // clientMsgId -> conversation key
    std::vector<std::string> m_users;
    std::string m_viewing;
    bool m_focused = true;
    bool m_everConnected = false;
    std::size_t m_unreadUnfocused = 0;
    ConnectionState m_state = ConnectionState::Disconnected;
    std::string m_stateText = "not connected";
    std::string m_nick;
    std::string m_serverName;
    std::uint64_t m_lastSeenId = 0;
    std::optional<net::EndReason> m_lastEnd;
    std::optional<net::RefuseCode> m_lastRefuse;
    std::string m_joinNotice; // "You joined ...", added once the join history is in
    std::int64_t m_joinNoticeTime = 0;
    std::uint64_t m_searchToken = 0;
    std::string m_searchQuery;
    std::vector<net::Chat> m_searchResults;
    std::map<std::pair<net::TransferDirection, std::uint64_t>, TransferView> m_transfers;
    std::unordered_map<std::uint64_t, ThumbState> m_thumbs;
    std::vector<net::RoomInfo> m_roomList;
    bool m_roomListPending = false;
    std::uint64_t m_roomListRevision = 0;
};

} // namespace obrol::ui

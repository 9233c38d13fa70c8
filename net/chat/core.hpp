// The chat core: users and their owned nicknames, rooms and membership, record ids and times,
// posting and private delivery, history/search/resume queries, kicks, file-message records, and
// the rule of who may see what. It takes and returns records, never frames: each door (the Obrol
// wire session today) decodes its protocol, calls the core, and encodes what comes back.
// Every record is stored first (when there is a Store) and delivered only once stored, in id
// order; the point where a stored record fans out is Core::Apply (see docs/ARCHITECTURE.md).
// Server io thread only; every callback runs on that thread.
#pragma once

#include "net/chat/participant.hpp"
#include "net/chat/store.hpp"

#include <asio.hpp>

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace obrol::net::chat {

struct CoreConfig
{
    std::size_t maxUsers = 1000;
    std::size_t historyLimit = 100; // per conversation, sent when a user joins
};

// What the core tells its host (the server's panel and log). Io thread; any may be empty.
struct CoreHooks
{
    std::function<void(const Chat& record, Participant* sender)> stored; // every record, once stored and delivered
    std::function<void(Participant&, const std::string& software)> joined;
    std::function<void(Participant&, const std::string& reason)> left;
    std::function<void(const std::string& address, const std::string& nick, const std::string& reason)> refused;
    std::function<void(const std::string& who, const std::string& error)> storageFailed; // a record was not stored
    std::function<void()> roomsChanged;
    std::function<void(const std::string& text)> log;
};

struct LoginRequest
{
    std::string nick;
    std::optional<PublicKey> key; // proven by the door; none: only an unowned nickname, never claimed
    std::uint64_t token = 0;      // per client run: the same run may take over its own stale session
    std::string software;
};

struct LoginResult
{
    bool ok = false;
    RefuseCode code = RefuseCode::BadHello;
    std::string reason;
    std::string nick;                // as registered
    std::vector<std::string> users;  // presence as of the last delivered record, plus this user
    std::vector<RoomInfo> rooms;     // the rooms this user is in, everyone first
    bool claimed = false;            // this login made the key the nickname's owner
};

struct PostResult
{
    bool ok = false;
    Chat chat;
    ErrorCode code = ErrorCode::BadFrame;
    std::string error;
};
using PostDone = std::function<void(const PostResult&)>;

struct Outcome
{
    bool ok = true;
    ErrorCode code = ErrorCode::BadFrame;
    std::string error;
    static Outcome Fail(ErrorCode code, std::string error) { return {false, code, std::move(error)}; }
};

class Core
{
public:
    Core(asio::io_context& io, CoreConfig config, CoreHooks hooks);

    // Before serving anyone: keep records in `store` (null: nothing is kept; rooms and owned
    // names last while the server runs). Loads rooms, owners and the next id from it (blocking);
    // throws what the store throws.
    void Open(Store* store);
    bool HasStore() const { return m_store != nullptr; }

    // [SECTION] Users
    LoginResult Login(Participant& p, LoginRequest request);
    void Logout(Participant& p, const std::string& reason); // no-op when not logged in
    bool LoggedIn(const Participant& p) const { return m_users.count(p.Id()) != 0; }
    Participant* Find(const std::string& nick) const;
    std::vector<std::string> Users() const; // presence (as delivered), sorted case-insensitively
    std::size_t Count() const { return m_users.size(); }
    // Operator: dismisses the user (the door logs them out). False when nobody has that name.
    bool Kick(const std::string& nick);
    // Operator: the next identity to log in with this nickname owns it. False when it was not owned.
    bool ReleaseNick(const std::string& nick);
    bool IsOwned(const std::string& nick) const;

    // [SECTION] Order
    // A participant's requests run one at a time in arrival order; a request that changes what
    // the next ones see (a room join, a resend, a private message to someone offline) holds the
    // rest until the store answered. A Task calls its argument when it is finished.
    using Task = std::function<void(std::function<void()> done)>;
    void InOrder(Participant& p, Task task);

    // [SECTION] Messages
    // A message from a logged-in participant. Messages of one participant are handled one at a
    // time, in arrival order: a resend first asks the store whether it was stored already.
    void Say(Participant& p, net::Say say, PostDone done);
    // A finished upload (its text is the file's name, made safe by the caller): stored and
    // delivered like a message, to its sender too. The sender may have left meanwhile.
    void PostFile(const std::string& sender, const Target& to, const std::string& name, const FileInfo& file,
                  std::uint64_t clientMsgId, PostDone done);
    void Announce(const std::string& text);
    // Whether `nick` may post to / read this target (rooms: members; everyone: all; persons: yes).
    bool MayUse(const std::string& nick, const Target& target) const;
    // Checks the target of a message before anything is sent (files): empty when fine.
    Outcome CheckTarget(const std::string& sender, const Target& to) const;

    // [SECTION] Rooms
    void JoinRoom(Participant& p, const std::string& room, std::function<void(const Outcome&, const RoomInfo&)> done);
    void PartRoom(Participant& p, const std::string& room, const std::string& reason, std::function<void(const Outcome&)> done);
    void SetTopic(Participant& p, const std::string& room, const std::string& topic, std::function<void(const Outcome&)> done);
    std::vector<RoomInfo> ListRooms(const std::string& viewer) const; // everyone first, then by name
    std::optional<RoomInfo> Room(const std::string& room, bool withMembers) const;

    // [SECTION] Queries (answers on the io thread; without a store, empty answers)
    void JoinHistory(Participant& p, std::uint64_t lastSeenId, std::function<void(History)> done);
    void Missed(const std::string& viewer, std::uint64_t afterId, std::function<void(History)> done);
    void Page(const std::string& viewer, const HistoryRequest& request, std::function<void(History)> done);
    void Search(const std::string& viewer, const std::string& query, std::size_t limit,
                std::function<void(std::vector<Chat>)> done);
    void Visible(const std::string& viewer, std::uint64_t id, std::function<void(std::optional<Chat>)> done);
    void FindOwn(const std::string& sender, std::uint64_t clientMsgId, std::function<void(std::optional<Chat>)> done);
    void KnownNick(const std::string& nick, std::function<void(bool)> done);

private:
    struct User
    {
        Participant* participant = nullptr;
        std::string nick;
        std::optional<PublicKey> key;
        std::uint64_t token = 0;
        std::deque<std::function<void(std::function<void()>)>> tasks; // this user's requests, in arrival order
        bool busy = false;            // a request is running (waiting for the store)
        std::uint64_t generation = 0; // of the running request

    };
    struct RoomData
    {
        std::string name;
        std::string topic;
        std::int64_t createdMs = 0;
        std::string creator;
        std::map<std::string, std::string> members; // folded nick -> nick
    };

    template <class Result> void Query(std::function<Result(StoreReader&)> query, std::function<void(Result)> then);
    Chat Record(ChatKind kind, std::string from, Target to, std::string text);
    // Stores a record, then (in commit order) applies and delivers it and calls `done`.
    void Commit(const Chat& record, std::uint64_t clientMsgId, Participant* sender, std::function<void(bool, const std::string&)> done);
    void CommitSystem(const Chat& record);
    // A stored record changes the core's state (presence, rooms) and fans out to who may see it.
    void Apply(const Chat& record, Participant* sender);
    void Deliver(const Chat& record, Participant* except, Participant* also);
    void RunTasks(std::uint64_t userId);
    void Post(Participant& p, const net::Say& say, PostDone done, std::function<void()> next);
    void DoJoinRoom(Participant& p, const std::string& room, std::function<void(const Outcome&, const RoomInfo&)> done);
    void DoPartRoom(Participant& p, const std::string& room, const std::string& reason, std::function<void(const Outcome&)> done);
    void DoSetTopic(Participant& p, const std::string& room, const std::string& topic, std::function<void(const Outcome&)> done);
    void StorePost(Participant* from, const Chat& record, std::uint64_t clientMsgId, PostDone done);
    const RoomData* FindRoom(const std::string& name) const;
    RoomInfo Info(const RoomData& room, const std::string& viewer, bool withMembers) const;
    RoomInfo Joined(const std::string& room) const; // a room's state for one of its members
    User* UserOf(const Participant& p);

    asio::io_context& m_io;
    Store* m_store = nullptr;
    CoreConfig m_config;
    CoreHooks m_hooks;
    std::uint64_t m_nextId = 1;
    std::unordered_map<std::uint64_t, User> m_users;             // by participant id
    std::unordered_map<std::string, std::uint64_t> m_byNick;     // folded nick -> participant id
    std::vector<Participant*> m_online;                          // in login order (fan-out of everyone)
    std::map<std::string, std::string> m_presence;               // folded -> nick, as delivered (Join/Leave applied)
    std::unordered_map<std::string, PublicKey> m_owners;         // folded nick -> its identity key
    std::map<std::string, RoomData> m_rooms;                     // folded name -> room (not everyone)
};

// History and search answers must fit one frame (MaxFramePayload): measured as encoded.
std::size_t EncodedSize(const Chat& chat);

} // namespace obrol::net::chat

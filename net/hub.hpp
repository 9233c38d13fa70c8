// The chat core: nickname registry, the "Everyone" room, fan-out, private delivery and
// message ids. It knows participants, not wire formats, so other front doors (an IRC or
// WebSocket session) can join the same conversation. Every record (message, announcement,
// join, leave) is committed first (to the archive, when there is one) and delivered only
// once stored, in id order. Server io thread only; hooks call back on that thread.
#pragma once

#include "net/protocol.hpp"

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace obrol::net {

// A broadcast is encoded at most once per wire format and shared by all recipients.
struct SharedFrames
{
    FrameBytes obrol;
};

class Participant
{
public:
    virtual ~Participant() = default;
    virtual void Deliver(const Chat& chat, SharedFrames& frames) = 0;
};

struct Room
{
    std::string name;
    std::vector<Participant*> members; // in join order
};

class Hub
{
public:
    using Done = std::function<void(bool ok, const std::string& error)>;
    // Stores a record (with its sender's message id, 0 for system records); calls `done` on
    // the io thread, in the order records were committed.
    using Commit = std::function<void(const Chat& record, std::uint64_t clientMsgId, Done done)>;
    // Asks whether a nickname ever joined (offline private delivery); answers on the io thread.
    using KnownNick = std::function<void(const std::string& nick, std::function<void(bool known)> answer)>;
    // Sees every record once it is stored and delivered (the server's log).
    using Observer = std::function<void(const Chat&, Participant* sender)>;

    // Told when a join, leave or announcement could not be stored (and so was not delivered).
    using StorageFailed = std::function<void(const Chat& record, const std::string& error)>;

    Hub(Observer observer, Commit commit = nullptr, KnownNick knownNick = nullptr, StorageFailed storageFailed = nullptr);

    void SetNextId(std::uint64_t id) { m_nextId = id; }
    void DisableOfflineDelivery() { m_knownNick = nullptr; }

    struct JoinResult
    {
        bool ok = false;
        RefuseCode code = RefuseCode::BadHello;
        std::string reason;
        std::string nick; // as registered
    };
    JoinResult Join(Participant* participant, const std::string& nick);
    void Leave(Participant* participant, const std::string& reason);

    struct PostResult
    {
        bool ok = false;
        Chat chat;
        ErrorCode code = ErrorCode::BadFrame;
        std::string error;
    };
    using PostDone = std::function<void(const PostResult&)>;
    // A public message (to empty) or a private one (to a nickname) from a joined participant.
    // `done` runs once the message is stored and delivered, or refused. A private message to
    // a known but offline nickname is stored and delivered when they next join.
    void Post(Participant* from, const std::string& to, const std::string& text, std::uint64_t clientMsgId, PostDone done);
    // A file message (its text is the file's name, already made safe by the caller): stored and
    // delivered like a message, to everyone or one (possibly offline) user, and to its sender too.
    void PostFile(const std::string& sender, const std::string& to, const std::string& name, const FileInfo& file,
                  std::uint64_t clientMsgId, PostDone done);
    void Announce(const std::string& text);

    std::vector<std::string> Users() const; // sorted case-insensitively
    Participant* Find(const std::string& nick) const;
    const std::string* NickOf(Participant* participant) const;
    std::size_t Count() const { return m_everyone.members.size(); }

private:
    Chat Record(ChatKind kind, std::string from, std::string to, std::string text);
    void Store(const Chat& record, std::uint64_t clientMsgId, Done done);
    void StoreThenBroadcast(const Chat& record, Participant* except);
    void Broadcast(const Chat& chat, Participant* except);
    // Stores a public or private message, then delivers it and answers `done`.
    void StorePost(Participant* from, const Chat& record, std::uint64_t clientMsgId, PostDone done);
    void PostChecked(Participant* from, const std::string& senderNick, const std::string& to, std::string text,
                     std::optional<FileInfo> file, std::uint64_t clientMsgId, PostDone done);

    std::unordered_map<std::string, Participant*> m_byKey; // case-folded nick -> participant
    std::unordered_map<Participant*, std::string> m_nicks;
    Room m_everyone;
    std::uint64_t m_nextId = 1;
    Observer m_observer;
    Commit m_commit;
    KnownNick m_knownNick;
    StorageFailed m_storageFailed;
};

} // namespace obrol::net

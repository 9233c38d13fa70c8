// The chat core: nickname registry, the "Everyone" room, fan-out, private delivery and
// message ids. It knows participants, not wire formats, so other front doors (an IRC or
// WebSocket session) can join the same conversation. Server io thread only.
#pragma once

#include "net/protocol.hpp"

#include <functional>
#include <map>
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
    using Observer = std::function<void(const Chat&, Participant* sender)>;

    explicit Hub(Observer observer) : m_observer(std::move(observer)) { m_everyone.name = "Everyone"; }

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
    // A public message (to empty) or a private one (to a nickname) from a joined participant.
    PostResult Post(Participant* from, const std::string& to, const std::string& text);
    Chat Announce(const std::string& text);

    std::vector<std::string> Users() const; // sorted case-insensitively
    Participant* Find(const std::string& nick) const;
    const std::string* NickOf(Participant* participant) const;
    std::size_t Count() const { return m_everyone.members.size(); }

private:
    Chat Record(ChatKind kind, std::string from, std::string to, std::string text);
    void Broadcast(const Chat& chat, Participant* except);

    std::unordered_map<std::string, Participant*> m_byKey; // case-folded nick -> participant
    std::unordered_map<Participant*, std::string> m_nicks;
    Room m_everyone;
    std::uint64_t m_nextId = 1;
    Observer m_observer;
};

} // namespace obrol::net

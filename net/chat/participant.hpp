// What every door (the Obrol wire, later WebSocket and IRC) gives the chat core about one
// connected user: who, from where, through which door, and how to reach them. Server io thread only.
#pragma once

#include "net/protocol.hpp"

#include <cstdint>
#include <string>

namespace obrol::net::chat {

enum class Door : std::uint8_t { Obrol, Web, Irc, Test };

const char* DoorName(Door door);

// A broadcast is encoded at most once per wire format and shared by all recipients.
struct SharedFrames
{
    FrameBytes obrol;
};

class Participant
{
public:
    Participant(std::uint64_t id, Door door, std::string address)
        : m_id(id), m_door(door), m_address(std::move(address))
    {
    }
    virtual ~Participant() = default;
    Participant(const Participant&) = delete;
    Participant& operator=(const Participant&) = delete;

    std::uint64_t Id() const { return m_id; }     // unique per server run, whatever the door
    Door DoorKind() const { return m_door; }
    const std::string& Address() const { return m_address; }
    const std::string& Nick() const { return m_nick; } // empty until logged in (set by the core)

    // A stored record this participant may see (the core decides who gets what).
    virtual void Deliver(const Chat& record, SharedFrames& frames) = 0;
    // Ends the connection: tell the user why (reason, text) and close once that is written.
    // The door then calls Core::Logout (a no-op when the core already logged it out).
    virtual void Dismiss(ByeReason reason, const std::string& text, const std::string& leaveReason) = 0;

private:
    friend class Core;
    std::uint64_t m_id;
    Door m_door;
    std::string m_address;
    std::string m_nick;
};

} // namespace obrol::net::chat

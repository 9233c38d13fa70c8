// The chat core's contract suite: one set of scenarios that every door must pass. A door is
// driven through World (one server) and User (one connected person). FakeDoor calls the core
// directly with a fake participant (no sockets); ObrolDoor runs the real server and speaks the
// Obrol wire over loopback. A new door (WebSocket, IRC) adds its own World and User.
// Test thread only.
#pragma once

#include "engine/identity.hpp"
#include "net/protocol.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace obrol::test::contract {

using namespace std::chrono_literals;
constexpr std::chrono::milliseconds Timeout = 10s;

struct Login
{
    bool ok = false;
    net::RefuseCode code = net::RefuseCode::BadHello;
    std::string reason;
    std::vector<std::string> users;
    std::vector<net::RoomInfo> rooms;
    net::History history; // what came after Welcome (join history or what was missed)
};

struct Reply
{
    bool ok = false;
    net::ErrorCode code = net::ErrorCode::BadFrame;
    std::string error;
    std::uint64_t id = 0; // a message's server id
};

struct RoomReply
{
    Reply reply;
    net::RoomInfo state;  // RoomState
    net::History history; // the newest page of the room
};

class User
{
public:
    virtual ~User() = default;

    Login login;

    virtual Reply Say(const net::Target& to, const std::string& text, std::uint64_t clientMsgId = 0, bool resend = false) = 0;
    virtual RoomReply Join(const std::string& room) = 0;
    virtual Reply Part(const std::string& room) = 0;
    virtual Reply Topic(const std::string& room, const std::string& topic) = 0;
    virtual std::vector<net::RoomInfo> Rooms() = 0;
    // nullopt: refused (not a member)
    virtual std::optional<net::History> Page(const net::Target& conversation, std::uint64_t beforeId, std::uint32_t limit) = 0;
    virtual std::vector<net::Chat> Search(const std::string& query) = 0;
    // Waits until pred(records delivered so far) holds; false after Timeout.
    virtual bool WaitFor(const std::function<bool(const std::vector<net::Chat>&)>& pred) = 0;
    // The records delivered live so far (not history), in arrival order.
    virtual const std::vector<net::Chat>& Live() const = 0;
    // Waits until the server ends this connection; its Bye reason, or nullopt on timeout.
    virtual std::optional<net::ByeReason> WaitDismissed() = 0;
    virtual void Quit() = 0;
};

class World
{
public:
    virtual ~World() = default;
    // A person connecting through this door with this identity (no key: null).
    virtual std::unique_ptr<User> Connect(const std::string& nick, const engine::Identity* identity,
                                          std::uint64_t token = 0, std::uint64_t lastSeenId = 0) = 0;
    virtual void Announce(const std::string& text) = 0;
    virtual void Kick(const std::string& nick) = 0;
    virtual void Release(const std::string& nick) = 0;
    // Stops the server and starts it again on the same data (a restart).
    virtual void Restart() = 0;
    // The last Leave record of `nick` the operator's side saw, to wait on a logout.
    virtual bool WaitLeft(const std::string& nick) = 0;
};

// An announcement every listed user waits for: everything stored before it has then arrived.
void Barrier(World& world, const std::vector<User*>& users);

std::unique_ptr<World> MakeFakeWorld(bool archive);
std::unique_ptr<World> MakeObrolWorld(bool archive);



bool Has(const std::vector<net::Chat>& records, net::ChatKind kind, const std::string& from, const std::string& text = {});

} // namespace obrol::test::contract

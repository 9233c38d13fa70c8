// Integration test harness: a real net::Server and net::Clients on 127.0.0.1 (port 0), their
// event queues drained into the real UI models, and raw TCP peers for misbehaving clients.
// Everything here runs on the test thread; the endpoints' network threads only push events.
#pragma once

#include "engine/event_queue.hpp"
#include "net/client.hpp"
#include "net/protocol.hpp"
#include "net/server.hpp"
#include "ui/model/client_model.hpp"
#include "ui/model/server_model.hpp"

#include <asio.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace obrol::test {

using namespace std::chrono_literals;
using Duration = std::chrono::milliseconds;

// Generous: a loaded 2-core CI box (or a sanitizer build) must never hit it in a passing run.
constexpr Duration DefaultTimeout = 10s;

// [SECTION] Endpoints: each owns its queue, the endpoint writing into it, and the model fed from it.

struct TestServer
{
    explicit TestServer(engine::Waker& waker) : events(&waker) {}

    void Drain();
    bool HasJoined(const std::string& nick) const;
    // The ClientLeft event for `nick`, if one arrived.
    const net::ServerEvent* LeftEvent(const std::string& nick) const;
    std::size_t Count(net::ServerEvent::Kind kind) const;
    const ui::ClientRow* Row(const std::string& nick) const;

    engine::EventQueue<net::ServerEvent> events; // declared before the server: outlives its thread
    net::Server server{events};
    ui::ServerModel model;
    std::vector<net::ServerEvent> seen; // every event, in arrival order
    std::uint16_t port = 0;             // from the last Started event
};

struct TestClient
{
    TestClient(engine::Waker& waker, std::string label) : label(std::move(label)), events(&waker) {}

    void Drain();
    void Connect(std::uint16_t port, const std::string& nick, net::ConnectionLimits limits = {});
    // Sends through the client and shows the line in the model, as the UI does.
    std::uint64_t Say(const std::string& to, const std::string& text);

    bool Connected() const { return model.State() == ui::ConnectionState::Connected; }
    // The Ended event of the current connection (since the last Connect), if it arrived.
    const net::ClientEvent* Ended() const;
    // Chat events of the current connection, optionally only one kind.
    std::vector<net::Chat> Chats(std::optional<net::ChatKind> kind = {}) const;
    std::vector<net::ClientEvent> EventsOf(net::ClientEvent::Kind kind) const;
    // The model line of one of our own messages, by the id Say() returned.
    const ui::Line* OwnLine(std::uint64_t clientMsgId);
    // Lines of the Everyone conversation with this kind.
    std::vector<ui::Line> EveryoneLines(ui::LineKind kind);

    std::string label;
    engine::EventQueue<net::ClientEvent> events;
    net::Client client{events};
    ui::ClientModel model;
    std::vector<net::ClientEvent> seen; // every event, in arrival order, across reconnects
    std::size_t sessionStart = 0;       // index into `seen` where the current connection began
    std::size_t connectsRequested = 0;
    std::size_t connectingSeen = 0;
    bool InSession() const; // the current connection's Connecting event has been drained
};

// [SECTION] Harness: owns the endpoints and the waker, pumps queues while waiting.

class Harness
{
public:
    Harness() = default;
    ~Harness(); // disconnects the clients, then stops the server (joins every network thread)
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;

    // Starts a server on 127.0.0.1:0 (unless the config names a port) and waits for Started.
    TestServer& StartServer(net::ServerConfig config = {});
    TestServer& Server() { return *m_server; }
    // Restarts the (stopped) server with its last config, on the port it had.
    void RestartServer();

    TestClient& AddClient(const std::string& label);
    // A client connected as `nick`: its Connected event, the server's ClientJoined and every
    // other connected client's Join notice have all arrived.
    TestClient& Join(const std::string& nick, net::ConnectionLimits limits = {});

    // Drains every queue into its model once.
    void Pump();
    // Pumps until `done()` holds; FAILs the test with `what` and a state dump after `timeout`.
    void WaitUntil(const std::function<bool()>& done, const std::string& what, Duration timeout = DefaultTimeout);
    // Keeps pumping for `period` (to show that something does NOT happen); returns early and
    // true if `broken()` becomes true.
    bool PumpFor(Duration period, const std::function<bool()>& broken = {});

    std::string Describe() const; // state dump for failure messages

private:
    bool WaitFor(const std::function<bool()>& done, Duration timeout);

    engine::ConditionWaker m_waker; // first member: the last one destroyed
    net::ServerConfig m_config;
    std::unique_ptr<TestServer> m_server;
    std::vector<std::unique_ptr<TestClient>> m_clients;
};

// [SECTION] RawPeer: a hand-driven TCP socket for clients that misbehave on purpose.

class RawPeer
{
public:
    // Connects to 127.0.0.1:port. A receive buffer size is set before connecting, so the
    // advertised window stays small.
    explicit RawPeer(std::uint16_t port, std::optional<int> receiveBufferBytes = {});

    void Write(const std::vector<std::uint8_t>& bytes);
    void Send(const net::Message& message) { Write(net::Encode(message)); }

    // The next frame from the server; nullopt when the connection closed or `timeout` passed.
    std::optional<net::Message> Next(Duration timeout = DefaultTimeout);
    // Reads (and returns) everything until the server closes the connection or `timeout` passes.
    std::vector<net::Message> ReadUntilClosed(Duration timeout = DefaultTimeout);
    bool Closed() const { return m_closed; }
    const std::string& CloseError() const { return m_closeError; }

private:
    bool ReadSome(Duration timeout); // false on timeout or close

    asio::io_context m_io;
    asio::ip::tcp::socket m_socket{m_io};
    net::FrameReader m_reader;
    bool m_closed = false;
    std::string m_closeError;
};

// [SECTION] Small helpers

// A port that nothing listens on (bound once, then released).
std::uint16_t ClosedPort();

bool Contains(const std::string& text, const std::string& part);
std::string Describe(const net::Message& message);

template <class T> const T* As(const std::optional<net::Message>& message)
{
    return message ? std::get_if<T>(&*message) : nullptr;
}

} // namespace obrol::test

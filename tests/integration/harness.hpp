// Integration test harness: a real net::Server and net::Clients on 127.0.0.1 (port 0), their
// event queues drained into the real UI models, and raw TCP peers for misbehaving clients.
// Everything here runs on the test thread; the endpoints' network threads only push events.
#pragma once

#include "engine/archive.hpp"
#include "engine/event_queue.hpp"
#include "engine/identity.hpp"
#include "net/client.hpp"
#include "net/protocol.hpp"
#include "net/server.hpp"
#include "raw_peer.hpp"
#include "temp_dir.hpp"
#include "ui/model/client_model.hpp"
#include "ui/model/server_model.hpp"

#include <asio.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace obrol::test {


// Clients that reconnect by themselves retry quickly in tests.
enum class Reconnect { No, Yes };
constexpr Duration FirstRetry = 50ms;
constexpr Duration MaxRetry = 500ms;

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

// Identity keys by nickname (case-insensitive): every client of a Harness that connects as "ana"
// is the same person with the same key, so an owned nickname stays usable across clients.
struct Keyring
{
    std::shared_ptr<const engine::Identity> For(const std::string& nick);
    std::map<std::string, std::shared_ptr<const engine::Identity>> keys;
};

struct TestClient
{
    TestClient(engine::Waker& waker, std::string label) : label(std::move(label)), events(&waker) {}

    void Drain();
    // With Reconnect::Yes the client connects again by itself (FirstRetry .. MaxRetry backoff);
    // its reconnects belong to the same connection as far as Ended()/Chats()/EventsOf() go.
    void Connect(std::uint16_t port, const std::string& nick, net::ConnectionLimits limits = {},
                 Reconnect reconnect = Reconnect::No);
    // Sends through the client and shows the line in the model, as the UI does.
    std::uint64_t Say(const net::Target& to, const std::string& text);
    // The same with a conversation key: "" everyone, "#name" a room, else a nickname (private).
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
    // Lines of any conversation ("#games", "bob") with this kind; empty when it is not open.
    std::vector<ui::Line> LinesOf(const std::string& key, ui::LineKind kind);

    std::string label;
    // The key Connect() uses: null means the keyring's key for the nickname (or, without a
    // keyring, a fresh one kept for this client's reconnects). Set it to act as someone else.
    std::shared_ptr<const engine::Identity> identity;
    Keyring* keyring = nullptr;
    engine::EventQueue<net::ClientEvent> events;
    net::Client client{events};
    ui::ClientModel model;
    std::vector<net::ClientEvent> seen; // every event, in arrival order, across reconnects
    std::size_t sessionStart = 0;       // index into `seen` where the current connection began
    std::size_t connectsRequested = 0;
    std::size_t connectingSeen = 0; // first Connecting event of each Connect() (not the reconnects)
    bool coreEnded = true;          // the last connection's Ended event arrived (or none began)
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
    // The same, but only waits for Started or StartFailed (check which with Count()).
    TestServer& TryStartServer(net::ServerConfig config);
    TestServer& Server() { return *m_server; }
    bool HasServer() const { return m_server != nullptr; }
    // Stops the server and waits for its Stopped event (Running() is false by then).
    void StopServer();
    // Restarts the (stopped) server with its last config, on the port it had.
    void RestartServer();

    TestClient& AddClient(const std::string& label);
    // The key clients of this harness use for `nick` (made on first use).
    std::shared_ptr<const engine::Identity> IdentityOf(const std::string& nick) { return m_keyring.For(nick); }
    // A client connected as `nick`: its Connected event, the server's ClientJoined and every
    // other connected client's Join notice have all arrived.
    TestClient& Join(const std::string& nick, net::ConnectionLimits limits = {}, Reconnect reconnect = Reconnect::No);
    TestClient& Join(const std::string& nick, Reconnect reconnect) { return Join(nick, {}, reconnect); }

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
    Keyring m_keyring;
    net::ServerConfig m_config;
    std::unique_ptr<TestServer> m_server;
    std::vector<std::unique_ptr<TestClient>> m_clients;
};

// RawPeer (a hand-driven wire client) is in tests/raw_peer.hpp, shared with the contract suite.

// `from` says `text` publicly and waits until every listed client received it. Everything the
// server delivered to them before it has then arrived too (one ordered stream each), so
// "X saw nothing" can be asserted afterwards without sleeping.
void SayAndWait(Harness& h, TestClient& from, std::vector<TestClient*> others, const std::string& text);

// [SECTION] Data folders and server processes

// TempDir (a fresh folder per test) is in tests/temp_dir.hpp, shared by every suite.

// Everything in the archive of a data folder (no server may use it now), ascending ids.
std::vector<engine::StoredMessage> ReadArchive(const std::filesystem::path& dataDir);

// The real obrol program as a headless server in a child process (POSIX only): stdin from
// /dev/null, stdout and stderr into a log file. Killed (SIGKILL) on destruction if still running.
class ServerProcess
{
public:
    ServerProcess(std::filesystem::path binary, std::uint16_t port, std::filesystem::path dataDir);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    void Start(std::filesystem::path logFile); // spawns it (the log file starts empty)
    bool Listening() const;                     // the current log says it started
    bool Running() const { return m_pid > 0; }
    void Kill();                                // SIGKILL, reaped at once: a crash
    // SIGTERM (a clean stop), reaped; returns the exit status, or -1 if it had to be killed.
    int Terminate(Duration timeout = DefaultTimeout);
    std::string Log() const;                    // what the current (or last) run printed so far

private:
    std::filesystem::path m_binary;
    std::uint16_t m_port;
    std::filesystem::path m_dataDir;
    std::filesystem::path m_logFile;
    int m_pid = 0;
};

// [SECTION] Small helpers

// A port that nothing listens on (bound once, then released).
std::uint16_t ClosedPort();

bool Contains(const std::string& text, const std::string& part);
std::string Describe(const net::Message& message);

} // namespace obrol::test

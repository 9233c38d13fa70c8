// The Obrol server: one io_context on its own network thread serves every session with
// async I/O. The public methods are called from the UI (or console) thread; they post work
// to the network thread and never block on sockets. Results come back as ServerEvents.
#pragma once

#include "engine/event_queue.hpp"
#include "net/connection.hpp"
#include "net/protocol.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace obrol::net {

struct ServerConfig
{
    std::string bind = "0.0.0.0";
    std::uint16_t port = 55000; // 0: any free port (reported in the Started event)
    std::string name = "Obrol";
    std::size_t maxClients = 1000;
    std::filesystem::path dataDir; // archive.db, chat_log.txt, files/; empty: keep nothing (files only while running)
    std::size_t historyLimit = 100; // messages sent to a client when it joins
    std::int64_t archiveMaxPages = 0; // test hook: cap archive.db's size to simulate a full disk
    std::uint64_t maxFileBytes = DefaultMaxFileBytes; // larger files are refused before a byte is sent; 0: no files
    ConnectionLimits limits;
};

// A room as the server panel lists it.
struct ServerRoom
{
    std::string name;
    std::string topic;
    std::size_t members = 0;
};

struct ServerEvent
{
    enum class Kind
    {
        Started,      // port: the port actually bound; text: bind address; address: the data folder (if any)
        StartFailed,  // text: why
        Stopped,      // text: why
        ClientJoined, // sessionId, nick, address
        ClientLeft,   // sessionId, nick, address, text: reason
        Refused,      // address, nick, text: reason
        Chat,         // chat, sessionId of the sender (0: the server)
        Log,          // text
        StorageError, // text: a record could not be stored (full disk, ...); its sender was told
        SearchResults, // results (newest first), text: the query
        Rooms,         // rooms: every room (everyone first), at start and whenever one changes
    };
    Kind kind = Kind::Log;
    std::int64_t timeMs = 0;
    std::uint64_t sessionId = 0;
    std::uint16_t port = 0;
    std::string nick;
    std::string address;
    std::string text;
    Chat chat;
    std::vector<Chat> results;
    std::vector<ServerRoom> rooms;
};

class Server
{
public:
    explicit Server(engine::EventQueue<ServerEvent>& events);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void Start(ServerConfig config);   // -> Started or StartFailed
    void Stop(std::string why = "the server was stopped"); // -> Stopped (clients get Bye)
    void Announce(std::string text);   // "Send to all"
    void Kick(std::string nick);
    void Search(std::string query, std::size_t limit = 200); // over everything -> SearchResults
    // The next identity to join with this nickname owns it (for someone who lost their key) -> Log.
    void ReleaseNick(std::string nick);

    // True from Start() until the Stopped/StartFailed event has been produced.
    bool Running() const { return m_running.load(std::memory_order_acquire); }

    class Core; // network-thread state (server.cpp)

private:
    void JoinFinishedThread();

    engine::EventQueue<ServerEvent>& m_events;
    std::unique_ptr<Core> m_core;
    std::thread m_thread;
    std::atomic<bool> m_running{false};
};

} // namespace obrol::net

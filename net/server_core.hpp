// The server's network-thread state (Server::Core): the acceptor, the Obrol-door sessions, the
// chat core and its store, the file store. Everything here runs on the server's io thread; the
// archive's answers are posted back to it by the chat core.
#pragma once

#include "engine/archive.hpp"
#include "engine/clock.hpp"
#include "net/chat/core.hpp"
#include "net/server.hpp"

#include <optional>
#include <unordered_map>

namespace obrol::net {

class Session;
class ServerFiles;

using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

class Server::Core
{
public:
    Core(engine::EventQueue<ServerEvent>& events, ServerConfig config);

    void Open();
    void Accept();
    void Shutdown(std::string why);
    void Emit(ServerEvent event)
    {
        event.timeMs = engine::NowMs();
        events.Push(std::move(event));
    }
    void Log(std::string text)
    {
        ServerEvent e;
        e.kind = ServerEvent::Kind::Log;
        e.text = std::move(text);
        Emit(std::move(e));
    }
    void EmitRooms();
    chat::CoreHooks Hooks(); // the chat core's events become ServerEvents
    void Remove(std::uint64_t id) { sessions.erase(id); }

    engine::EventQueue<ServerEvent>& events;
    ServerConfig config;
    asio::io_context io{1};
    asio::ip::tcp::acceptor acceptor;
    // declared after io: destroyed first, so its last callbacks can still post (and are dropped)
    std::unique_ptr<engine::Archive> archive;
    std::unique_ptr<chat::Store> store;
    std::unique_ptr<ServerFiles> files; // destroyed before the archive: its last answers may still arrive
    chat::Core chat;
    std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions;
    std::uint64_t nextSessionId = 1;
    bool stopping = false;
    bool startFailed = false;
    std::string stopReason = "the server was stopped";
};

} // namespace obrol::net

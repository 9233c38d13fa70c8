// Server::Core's methods (opening, accepting, the archive glue, shutdown) and the Server
// facade the UI thread calls. See server_core.hpp and session.hpp.
#include "net/server.hpp"

#include "net/server_core.hpp"
#include "net/server_files.hpp"
#include "net/session.hpp"

namespace obrol::net {

// [SECTION] Server::Core: the chat core's hooks become ServerEvents.

Server::Core::Core(engine::EventQueue<ServerEvent>& events, ServerConfig config)
    : events(events), config(std::move(config)), acceptor(io),
      chat(io, chat::CoreConfig{this->config.maxClients, this->config.historyLimit}, Hooks())
{
}

chat::CoreHooks Server::Core::Hooks()
{
    chat::CoreHooks hooks;
    hooks.stored = [this](const Chat& record, chat::Participant* sender) {
        if (files)
            files->Remember(record);
        ServerEvent e;
        e.kind = ServerEvent::Kind::Chat;
        e.chat = record;
        e.sessionId = sender ? sender->Id() : 0;
        Emit(std::move(e));
    };
    // whatever door they came through: the panel and the log see every user come and go
    const auto presence = [this](ServerEvent::Kind kind, chat::Participant& p, const std::string& text) {
        ServerEvent e;
        e.kind = kind;
        e.sessionId = p.Id();
        e.nick = p.Nick();
        e.address = p.Address();
        e.text = text;
        Emit(std::move(e));
    };
    hooks.joined = [presence](chat::Participant& p, const std::string& software) {
        presence(ServerEvent::Kind::ClientJoined, p, software);
    };
    hooks.left = [presence](chat::Participant& p, const std::string& reason) {
        presence(ServerEvent::Kind::ClientLeft, p, reason);
    };
    hooks.refused = [this](const std::string& address, const std::string& nick, const std::string& reason) {
        ServerEvent e;
        e.kind = ServerEvent::Kind::Refused;
        e.address = address;
        e.nick = nick;
        e.text = reason;
        Emit(std::move(e));
    };
    hooks.storageFailed = [this](const std::string& who, const std::string& error) {
        ServerEvent e;
        e.kind = ServerEvent::Kind::StorageError;
        e.nick = who;
        e.text = error;
        Emit(std::move(e));
    };
    hooks.roomsChanged = [this] { EmitRooms(); };
    hooks.log = [this](const std::string& text) { Log(text); };
    return hooks;
}

void Server::Core::EmitRooms()
{
    ServerEvent e;
    e.kind = ServerEvent::Kind::Rooms;
    for (const auto& room : chat.ListRooms({}))
        e.rooms.push_back({room.name, room.topic, room.memberCount});
    Emit(std::move(e));
}

void Server::Core::Open()
{
    const auto failed = [this](std::string why) {
        ServerEvent e;
        e.kind = ServerEvent::Kind::StartFailed;
        e.text = std::move(why);
        startFailed = true;
        Emit(std::move(e));
    };
    if (!config.dataDir.empty())
    {
        try
        {
            engine::ArchiveConfig archiveConfig;
            archiveConfig.dir = config.dataDir;
            archiveConfig.maxPageCount = config.archiveMaxPages;
            archive = std::make_unique<engine::Archive>(archiveConfig);
            store = chat::MakeArchiveStore(*archive);
        }
        catch (const std::exception& e)
        {
            return failed(e.what());
        }
    }
    try
    {
        chat.Open(store.get());
    }
    catch (const std::exception& e)
    {
        return failed(std::string("cannot read the archive: ") + e.what());
    }
    try
    {
        files = std::make_unique<ServerFiles>(*this);
        if (archive)
            files->Open(config.dataDir / "files", false);
        else
            files->Open(std::filesystem::temp_directory_path() /
                            ("obrol-files-" + std::to_string(engine::NowMs()) + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(this) & 0xFFFF)),
                        true);
    }
    catch (const std::exception& e)
    {
        return failed(e.what());
    }
    asio::error_code ec;
    const auto address = asio::ip::make_address(config.bind, ec);
    if (ec)
        return failed("\"" + config.bind + "\" is not an IP address");
    const asio::ip::tcp::endpoint endpoint(address, config.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        acceptor.bind(endpoint, ec);
    if (!ec)
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
    {
        asio::error_code ignored;
        acceptor.close(ignored);
        return failed("cannot listen on " + config.bind + ":" + std::to_string(config.port) + ": " + ec.message() +
                      (ec == asio::error::address_in_use ? " (is another server running? try another --port)" : ""));
    }
    ServerEvent e;
    e.kind = ServerEvent::Kind::Started;
    e.port = acceptor.local_endpoint().port();
    e.text = config.bind;
    if (archive)
        e.address = archive->Dir().string();
    Emit(std::move(e));
    EmitRooms();
    Accept();
}

void Server::Core::Accept()
{
    acceptor.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
        if (stopping || !acceptor.is_open())
            return;
        if (ec)
        {
            // e.g. too many open files: log, back off briefly, keep serving the others
            Log("accept failed: " + ec.message());
            auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
            timer->async_wait([this, timer](asio::error_code) {
                if (!stopping)
                    Accept();
            });
            return;
        }
        const std::uint64_t id = nextSessionId++;
        auto session = Session::Create(*this, id, std::move(socket));
        sessions.emplace(id, session);
        session->Start();
        Accept();
    });
}

void Server::Core::Shutdown(std::string why)
{
    if (stopping)
        return;
    stopping = true;
    stopReason = std::move(why);
    asio::error_code ec;
    acceptor.close(ec); // frees the port at once
    // copy: Dismiss may close synchronously and erase from the map
    std::vector<std::shared_ptr<Session>> all;
    for (auto& [id, session] : sessions)
        all.push_back(session);
    for (auto& session : all)
        session->Dismiss(ByeReason::ServerStopping, stopReason, "server stopped");
}

// [SECTION] Server: the thread-safe facade used by the UI thread.

Server::Server(engine::EventQueue<ServerEvent>& events) : m_events(events) {}

Server::~Server()
{
    if (m_core)
    {
        Stop("the server is shutting down");
        if (m_thread.joinable())
            m_thread.join();
    }
}

void Server::JoinFinishedThread()
{
    if (m_thread.joinable())
        m_thread.join();
    m_core.reset();
}

void Server::Start(ServerConfig config)
{
    if (Running())
        return;
    JoinFinishedThread(); // the previous run already ended (Running() is false): joins at once
    m_core = std::make_unique<Core>(m_events, std::move(config));
    m_running.store(true, std::memory_order_release);
    m_thread = std::thread([this, core = m_core.get()] {
        core->Open();
        core->io.run();
        // stopped: partial uploads, open files and a temporary files folder go now, not at the next Start
        core->files.reset();
        // The io_context ran out of work: the acceptor and every session are closed.
        // Clear the flag before the event, so a Start() made on seeing the event is accepted.
        m_running.store(false, std::memory_order_release);
        if (!core->startFailed)
        {
            ServerEvent e;
            e.kind = ServerEvent::Kind::Stopped;
            e.text = core->stopReason;
            core->Emit(std::move(e));
        }
    });
}

void Server::Stop(std::string why)
{
    if (!m_core)
        return;
    asio::post(m_core->io, [core = m_core.get(), why = std::move(why)]() mutable { core->Shutdown(std::move(why)); });
}

void Server::Announce(std::string text)
{
    if (!m_core)
        return;
    asio::post(m_core->io, [core = m_core.get(), text = std::move(text)] {
        if (!core->stopping)
            core->chat.Announce(text);
    });
}

void Server::Search(std::string query, std::size_t limit)
{
    if (!m_core)
        return;
    asio::post(m_core->io, [core = m_core.get(), query = std::move(query), limit] {
        core->chat.Search({}, query, limit, [core, query](std::vector<Chat> chats) {
            ServerEvent e;
            e.kind = ServerEvent::Kind::SearchResults;
            e.text = query;
            e.results = std::move(chats);
            core->Emit(std::move(e));
        });
    });
}

void Server::Kick(std::string nick)
{
    if (!m_core)
        return;
    asio::post(m_core->io, [core = m_core.get(), nick = std::move(nick)] {
        if (!core->chat.Kick(nick))
            core->Log("kick: nobody called \"" + nick + "\" is online");
    });
}

void Server::ReleaseNick(std::string nick)
{
    if (!m_core)
        return;
    asio::post(m_core->io, [core = m_core.get(), nick = std::move(nick)] {
        if (core->chat.ReleaseNick(nick))
            core->Log("the nickname \"" + nick + "\" is released: the next identity to join with it owns it");
        else
            core->Log("release: nobody owns the nickname \"" + nick + "\"");
    });
}

} // namespace obrol::net

// Server::Core's methods (opening, accepting, the archive glue, shutdown) and the Server
// facade the UI thread calls. See server_core.hpp and session.hpp.
#include "net/server.hpp"

#include "net/server_core.hpp"
#include "net/server_files.hpp"
#include "net/session.hpp"

namespace obrol::net {

// [SECTION] Archive glue: the archive thread stores and reads; results come back here.

Chat ToChat(const engine::StoredMessage& m)
{
    Chat chat;
    chat.id = m.id;
    chat.timeMs = m.timeMs;
    chat.kind = static_cast<ChatKind>(m.kind);
    chat.from = m.from;
    chat.to = m.to;
    chat.text = m.text;
    if (m.file)
        chat.file = FileInfo{m.file->size,       m.file->mime,       m.file->sha256,     m.file->thumbWidth,
                             m.file->thumbHeight, m.file->imageWidth, m.file->imageHeight};
    return chat;
}


void Server::Core::Commit(const Chat& record, std::uint64_t clientMsgId, Hub::Done done)
{
    if (!archive)
        return done(true, {});
    engine::StoredMessage m;
    m.id = record.id;
    m.timeMs = record.timeMs;
    m.kind = static_cast<std::uint8_t>(record.kind);
    m.from = record.from;
    m.to = record.to;
    m.text = record.text;
    m.clientMsgId = clientMsgId; // lets a resend be recognised
    if (record.file)
        m.file = engine::StoredFile{record.file->size,       record.file->mime,       record.file->sha256,
                                    record.file->thumbWidth, record.file->thumbHeight, record.file->imageWidth,
                                    record.file->imageHeight};
    // The guard keeps io.run() going until the answer is back: a stop never loses an ack.
    auto guard = std::make_shared<WorkGuard>(io.get_executor());
    archive->Append(std::move(m), [this, guard, done = std::move(done)](bool ok, const std::string& error) mutable {
        asio::post(io, [guard, done = std::move(done), ok, error]() mutable {
            done(ok, error);
            guard->reset();
        });
    });
}

void Server::Core::IsKnown(const std::string& nick, std::function<void(bool)> answer)
{
    if (!archive)
        return answer(false);
    Query<bool>([nick](engine::ArchiveReader& r) { return r.KnownNick(nick); }, std::move(answer));
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
            hub.SetNextId(archive->LastId() + 1);
        }
        catch (const std::exception& e)
        {
            return failed(e.what());
        }
    }
    if (!archive)
        hub.DisableOfflineDelivery(); // nothing is kept: a private message needs its recipient online
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
        auto session = std::make_shared<Session>(*this, id, std::move(socket));
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

void Server::Core::OnChat(const Chat& chat, Participant* sender)
{
    if (files)
        files->Remember(chat);
    ServerEvent e;
    e.kind = ServerEvent::Kind::Chat;
    e.chat = chat;
    if (auto* session = dynamic_cast<Session*>(sender))
        e.sessionId = session->Id();
    Emit(std::move(e));
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
            core->hub.Announce(text);
    });
}

void Server::Search(std::string query, std::size_t limit)
{
    if (!m_core)
        return;
    asio::post(m_core->io, [core = m_core.get(), query = std::move(query), limit] {
        const auto emit = [core, query](std::vector<Chat> chats) {
            ServerEvent e;
            e.kind = ServerEvent::Kind::SearchResults;
            e.text = query;
            e.results = std::move(chats);
            core->Emit(std::move(e));
        };
        if (!core->archive)
            return emit({});
        core->Query<std::vector<Chat>>(
            [query, limit](engine::ArchiveReader& r) {
                return ToChats(r.Search("", query, limit));
            },
            emit);
    });
}

void Server::Kick(std::string nick)
{
    if (!m_core)
        return;
    asio::post(m_core->io, [core = m_core.get(), nick = std::move(nick)] {
        auto* participant = core->hub.Find(nick);
        auto* session = dynamic_cast<Session*>(participant);
        if (!session)
        {
            core->Log("kick: nobody called \"" + nick + "\" is online");
            return;
        }
        session->Dismiss(ByeReason::Kicked, "", "kicked by the server");
    });
}

} // namespace obrol::net

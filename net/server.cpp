#include "net/server.hpp"

#include "engine/clock.hpp"
#include "net/hub.hpp"

#include <unordered_map>

namespace obrol::net {

// [SECTION] Core: everything below runs on the server's network thread only.

class Session;

class Server::Core
{
public:
    Core(engine::EventQueue<ServerEvent>& events, ServerConfig config)
        : events(events), config(std::move(config)), acceptor(io),
          hub([this](const Chat& chat, Participant* sender) { OnChat(chat, sender); })
    {
    }

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
    void OnChat(const Chat& chat, Participant* sender);
    void Remove(std::uint64_t id) { sessions.erase(id); }

    engine::EventQueue<ServerEvent>& events;
    ServerConfig config;
    asio::io_context io{1};
    asio::ip::tcp::acceptor acceptor;
    Hub hub;
    std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions;
    std::uint64_t nextSessionId = 1;
    bool stopping = false;
    bool startFailed = false;
    std::string stopReason = "the server was stopped";
};

class Session final : public Participant, public std::enable_shared_from_this<Session>
{
public:
    Session(Server::Core& core, std::uint64_t id, asio::ip::tcp::socket socket)
        : m_core(core), m_id(id), m_conn(std::make_shared<Connection>(std::move(socket), core.config.limits))
    {
    }

    void Start()
    {
        auto self = shared_from_this();
        m_conn->Start([self](Message& m) { self->OnMessage(m); },
                      [self](DecodeError e) { self->OnBadFrame(e); },
                      [self](CloseCause cause, const std::string& why) { self->OnClosed(cause, why); });
    }

    void Deliver(const Chat& chat, SharedFrames& frames) override
    {
        if (!frames.obrol)
            frames.obrol = EncodeShared(chat);
        m_conn->Send(frames.obrol);
    }

    // Sends a Bye and closes once it is written.
    void Dismiss(ByeReason reason, const std::string& text, const std::string& leaveReason)
    {
        m_leaveReason = leaveReason;
        m_conn->Send(Bye{reason, text});
        m_conn->CloseAfterFlush(CloseCause::Local, leaveReason);
    }

    std::uint64_t Id() const { return m_id; }
    const std::string& Nick() const { return m_nick; }
    const std::string& Address() const { return m_conn->RemoteAddress(); }

private:
    void OnMessage(Message& message)
    {
        if (auto* hello = std::get_if<Hello>(&message))
            OnHello(*hello);
        else if (auto* say = std::get_if<Say>(&message))
            OnSay(*say);
        else if (auto* bye = std::get_if<Bye>(&message))
        {
            m_leaveReason = bye->text.empty() ? "quit" : "quit: " + bye->text;
            m_conn->Close(CloseCause::PeerClosed, m_leaveReason);
        }
        else
            Fail(ErrorCode::BadFrame, "this frame type is not accepted by the server");
    }

    void OnHello(const Hello& hello)
    {
        if (m_joined)
        {
            Fail(ErrorCode::BadFrame, "already joined");
            return;
        }
        if (hello.version != ProtocolVersion)
        {
            Refuse(RefuseCode::VersionMismatch, "this server speaks protocol version " +
                                                    std::to_string(ProtocolVersion) + ", the client " +
                                                    std::to_string(hello.version) + "; update Obrol");
            return;
        }
        if (m_core.hub.Count() >= m_core.config.maxClients)
        {
            Refuse(RefuseCode::ServerFull, "the server is full (" + std::to_string(m_core.config.maxClients) + " users)");
            return;
        }
        auto joined = m_core.hub.Join(this, hello.nick);
        if (!joined.ok)
        {
            Refuse(joined.code, joined.reason, hello.nick);
            return;
        }
        m_joined = true;
        m_nick = joined.nick;
        Welcome welcome;
        welcome.nick = m_nick;
        welcome.serverName = m_core.config.name;
        welcome.serverTimeMs = engine::NowMs();
        welcome.heartbeatSeconds =
            static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(m_core.config.limits.heartbeat).count());
        welcome.users = m_core.hub.Users();
        m_conn->Send(welcome);
        ServerEvent e;
        e.kind = ServerEvent::Kind::ClientJoined;
        e.sessionId = m_id;
        e.nick = m_nick;
        e.address = Address();
        e.text = hello.software;
        m_core.Emit(std::move(e));
    }

    void OnSay(const Say& say)
    {
        auto result = m_core.hub.Post(this, say.to, say.text);
        if (!result.ok)
        {
            m_conn->Send(Error{result.code, say.clientMsgId, result.error});
            return;
        }
        m_conn->Send(Ack{say.clientMsgId, result.chat.id, result.chat.timeMs});
    }

    void OnBadFrame(DecodeError error)
    {
        const bool oversize = error == DecodeError::Oversize;
        m_leaveReason = std::string("protocol error: ") + DecodeErrorName(error);
        m_core.Log("malformed frame from " + Describe() + ": " + DecodeErrorName(error) + "; disconnecting");
        m_conn->Send(Error{oversize ? ErrorCode::FrameTooLarge : ErrorCode::BadFrame, 0,
                           std::string("malformed frame: ") + DecodeErrorName(error)});
        m_conn->CloseAfterFlush(CloseCause::ProtocolError, m_leaveReason);
    }

    void Fail(ErrorCode code, const std::string& text)
    {
        m_leaveReason = "protocol error: " + text;
        m_conn->Send(Error{code, 0, text});
        m_conn->CloseAfterFlush(CloseCause::ProtocolError, m_leaveReason);
    }

    void Refuse(RefuseCode code, const std::string& reason, const std::string& nick = {})
    {
        ServerEvent e;
        e.kind = ServerEvent::Kind::Refused;
        e.address = Address();
        e.nick = nick;
        e.text = reason;
        m_core.Emit(std::move(e));
        m_conn->Send(net::Refuse{code, reason});
        m_conn->CloseAfterFlush(CloseCause::Local, "refused");
    }

    void OnClosed(CloseCause cause, const std::string& why)
    {
        std::string reason = m_leaveReason;
        if (reason.empty() || cause == CloseCause::SlowReader || cause == CloseCause::Timeout)
        {
            switch (cause)
            {
            case CloseCause::SlowReader: reason = "cut off: " + why; break;
            case CloseCause::Timeout: reason = "timed out: " + why; break;
            case CloseCause::PeerClosed: reason = "connection closed"; break;
            case CloseCause::NetworkError: reason = "connection lost: " + why; break;
            default: reason = why; break;
            }
        }
        if (m_joined)
        {
            m_joined = false;
            m_core.hub.Leave(this, reason);
            ServerEvent e;
            e.kind = ServerEvent::Kind::ClientLeft;
            e.sessionId = m_id;
            e.nick = m_nick;
            e.address = Address();
            e.text = reason;
            m_core.Emit(std::move(e));
        }
        // Erase later, not now: we may be deep inside a broadcast that delivers to this session.
        asio::post(m_core.io, [core = &m_core, id = m_id] { core->Remove(id); });
    }

    std::string Describe() const { return m_nick.empty() ? Address() : m_nick + " (" + Address() + ")"; }

    Server::Core& m_core;
    std::uint64_t m_id;
    std::shared_ptr<Connection> m_conn;
    std::string m_nick;
    std::string m_leaveReason;
    bool m_joined = false;
};

void Server::Core::Open()
{
    asio::error_code ec;
    const auto address = asio::ip::make_address(config.bind, ec);
    if (ec)
    {
        ServerEvent e;
        e.kind = ServerEvent::Kind::StartFailed;
        e.text = "\"" + config.bind + "\" is not an IP address";
        startFailed = true;
        Emit(std::move(e));
        return;
    }
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
        ServerEvent e;
        e.kind = ServerEvent::Kind::StartFailed;
        e.text = "cannot listen on " + config.bind + ":" + std::to_string(config.port) + ": " + ec.message();
        if (ec == asio::error::address_in_use)
            e.text += " (is another server running? try another --port)";
        startFailed = true;
        Emit(std::move(e));
        return;
    }
    ServerEvent e;
    e.kind = ServerEvent::Kind::Started;
    e.port = acceptor.local_endpoint().port();
    e.text = config.bind;
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
        session->Dismiss(ByeReason::Kicked, "you were removed by the server", "kicked by the server");
    });
}

} // namespace obrol::net

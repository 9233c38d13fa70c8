#include "net/client.hpp"

namespace obrol::net {

const char* EndReasonName(EndReason reason)
{
    switch (reason)
    {
    case EndReason::Quit: return "quit";
    case EndReason::Refused: return "refused";
    case EndReason::ConnectFailed: return "connect-failed";
    case EndReason::Lost: return "lost";
    case EndReason::ServerStopped: return "server-stopped";
    case EndReason::Kicked: return "kicked";
    case EndReason::ProtocolError: return "protocol-error";
    }
    return "?";
}

// [SECTION] Core: runs on the client's network thread only.

class Client::Core
{
public:
    Core(engine::EventQueue<ClientEvent>& events, ClientConfig config)
        : events(events), config(std::move(config)), resolver(io), timer(io)
    {
    }

    void Begin()
    {
        ClientEvent e;
        e.kind = ClientEvent::Kind::Connecting;
        e.text = config.host + ":" + std::to_string(config.port);
        events.Push(std::move(e));
        timer.expires_after(config.connectTimeout);
        timer.async_wait([this](asio::error_code ec) {
            if (!ec && !connection)
            {
                resolver.cancel();
                if (socket)
                {
                    asio::error_code ignored;
                    socket->close(ignored);
                }
                End(EndReason::ConnectFailed, "no answer from " + Where() + " (timed out)");
            }
        });
        resolver.async_resolve(config.host, std::to_string(config.port),
                               [this](asio::error_code ec, asio::ip::tcp::resolver::results_type results) {
                                   if (ended)
                                       return;
                                   if (ec)
                                   {
                                       End(EndReason::ConnectFailed, "cannot find " + config.host + ": " + ec.message());
                                       return;
                                   }
                                   ConnectTo(results);
                               });
    }

    void ConnectTo(const asio::ip::tcp::resolver::results_type& results)
    {
        socket = std::make_unique<asio::ip::tcp::socket>(io);
        asio::async_connect(*socket, results, [this](asio::error_code ec, const asio::ip::tcp::endpoint&) {
            if (ended)
                return;
            if (ec)
            {
                std::string why = ec == asio::error::connection_refused
                                      ? "connection refused by " + Where() + " (is the server running?)"
                                      : "cannot connect to " + Where() + ": " + ec.message();
                End(EndReason::ConnectFailed, why);
                return;
            }
            timer.cancel();
            connection = std::make_shared<Connection>(std::move(*socket), config.limits);
            socket.reset();
            connection->Start([this](Message& m) { OnMessage(m); },
                              [this](DecodeError e) {
                                  End(EndReason::ProtocolError,
                                      std::string("the server sent a malformed frame: ") + DecodeErrorName(e));
                              },
                              [this](CloseCause cause, const std::string& why) { OnClosed(cause, why); });
            connection->Send(Hello{ProtocolVersion, config.nick, std::string("obrol ") + OBROL_VERSION});
        });
    }

    void OnMessage(Message& message)
    {
        if (auto* welcome = std::get_if<Welcome>(&message))
        {
            joined = true;
            if (welcome->heartbeatSeconds > 0)
            {
                const std::chrono::milliseconds beat(welcome->heartbeatSeconds * 1000ull);
                connection->SetHeartbeat(beat, beat * 3);
            }
            ClientEvent e;
            e.kind = ClientEvent::Kind::Connected;
            e.welcome = std::move(*welcome);
            events.Push(std::move(e));
        }
        else if (auto* refuse = std::get_if<Refuse>(&message))
        {
            pendingRefuse = true;
            refuseCode = refuse->code;
            End(EndReason::Refused, refuse->reason);
        }
        else if (auto* chat = std::get_if<Chat>(&message))
        {
            ClientEvent e;
            e.kind = ClientEvent::Kind::Chat;
            e.chat = std::move(*chat);
            events.Push(std::move(e));
        }
        else if (auto* ack = std::get_if<Ack>(&message))
        {
            ClientEvent e;
            e.kind = ClientEvent::Kind::Ack;
            e.ack = *ack;
            events.Push(std::move(e));
        }
        else if (auto* error = std::get_if<Error>(&message))
        {
            ClientEvent e;
            e.kind = ClientEvent::Kind::Error;
            e.error = std::move(*error);
            events.Push(std::move(e));
        }
        else if (auto* bye = std::get_if<Bye>(&message))
        {
            EndReason reason = EndReason::Lost;
            std::string text = bye->text;
            if (bye->reason == ByeReason::ServerStopping)
            {
                reason = EndReason::ServerStopped;
                text = "the server stopped" + (text.empty() ? std::string() : ": " + text);
            }
            else if (bye->reason == ByeReason::Kicked)
            {
                reason = EndReason::Kicked;
                text = "removed by the server" + (text.empty() ? std::string() : ": " + text);
            }
            End(reason, text);
        }
        else
            End(EndReason::ProtocolError, "the server sent an unexpected frame");
    }

    void OnClosed(CloseCause cause, const std::string& why)
    {
        if (ended)
            return;
        switch (cause)
        {
        case CloseCause::Timeout: End(EndReason::Lost, "connection lost: the server did not answer (" + why + ")"); break;
        case CloseCause::ProtocolError: End(EndReason::ProtocolError, why); break;
        case CloseCause::Local: End(EndReason::Quit, why); break;
        default: End(EndReason::Lost, "connection lost: " + why); break;
        }
    }

    void Say(std::uint64_t clientMsgId, std::string to, std::string text)
    {
        if (!connection || !joined || ended)
        {
            ClientEvent e;
            e.kind = ClientEvent::Kind::Error;
            e.error = Error{ErrorCode::NotJoined, clientMsgId, "not connected: the message was not sent"};
            events.Push(std::move(e));
            return;
        }
        connection->Send(net::Say{clientMsgId, std::move(to), std::move(text)});
    }

    void Quit()
    {
        if (ended)
            return;
        if (connection && connection->IsOpen())
        {
            connection->Send(Bye{ByeReason::Quit, {}});
            // report now; the socket closes once the Bye is written
            End(EndReason::Quit, "you left", /*flush=*/true);
        }
        else
            End(EndReason::Quit, "you left");
    }

    // Exactly one Ended event per connection, then the io_context runs out of work.
    void End(EndReason reason, std::string text, bool flush = false)
    {
        if (ended)
            return;
        ended = true;
        timer.cancel();
        resolver.cancel();
        if (socket)
        {
            asio::error_code ignored;
            socket->close(ignored);
        }
        if (connection)
        {
            if (flush)
                connection->CloseAfterFlush(CloseCause::Local, text);
            else
                connection->Close(CloseCause::Local, text);
        }
        ClientEvent e;
        e.kind = ClientEvent::Kind::Ended;
        e.reason = reason;
        e.refuse = refuseCode;
        e.text = std::move(text);
        events.Push(std::move(e));
    }

    std::string Where() const { return config.host + ":" + std::to_string(config.port); }

    engine::EventQueue<ClientEvent>& events;
    ClientConfig config;
    asio::io_context io{1};
    asio::ip::tcp::resolver resolver;
    asio::steady_timer timer;
    std::unique_ptr<asio::ip::tcp::socket> socket;
    std::shared_ptr<Connection> connection;
    bool joined = false;
    bool ended = false;
    bool pendingRefuse = false;
    RefuseCode refuseCode = RefuseCode::BadHello;
};

// [SECTION] Client: the facade used by the UI thread.

Client::Client(engine::EventQueue<ClientEvent>& events) : m_events(events) {}

Client::~Client()
{
    Disconnect();
    JoinThread();
}

void Client::JoinThread()
{
    if (m_thread.joinable())
        m_thread.join();
    m_core.reset();
}

void Client::Connect(ClientConfig config)
{
    Disconnect();
    JoinThread(); // the previous connection ends within its close grace
    m_core = std::make_unique<Core>(m_events, std::move(config));
    m_active.store(true, std::memory_order_release);
    m_thread = std::thread([this, core = m_core.get()] {
        core->Begin();
        core->io.run();
        // The connection and its socket are gone. Handlers hold `core` by pointer, so the
        // Connection (which captured them) must be released on this thread, before Core dies.
        core->connection.reset();
        m_active.store(false, std::memory_order_release);
    });
}

std::uint64_t Client::Say(std::string to, std::string text)
{
    if (!m_core)
        return 0;
    const std::uint64_t id = m_nextClientMsgId++;
    // If this connection has already ended, the handler never runs; the model marks
    // messages still pending at the Ended event as not sent.
    asio::post(m_core->io, [core = m_core.get(), id, to = std::move(to), text = std::move(text)]() mutable {
        core->Say(id, std::move(to), std::move(text));
    });
    return id;
}

void Client::Disconnect()
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get()] { core->Quit(); });
}

} // namespace obrol::net

#include "net/client.hpp"

#include <map>
#include <random>
#include <utility>

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

static std::uint64_t RandomBits()
{
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

// [SECTION] Core: runs on the client's network thread only. One Core lives from Connect() to
// its Ended event and may make several connection attempts (reconnecting) in between.

class Client::Core
{
public:
    Core(engine::EventQueue<ClientEvent>& events, ClientConfig config)
        : events(events), config(std::move(config)), identity(this->config.identity), resolver(io), timer(io),
          token(RandomBits() | 1),
          files(
              io,
              [this](TransferStatus status) {
                  ClientEvent e;
                  e.kind = ClientEvent::Kind::Transfer;
                  e.transfer = std::move(status);
                  Push(std::move(e));
              },
              [this](std::uint64_t fileId, std::vector<std::uint8_t> png) {
                  ClientEvent e;
                  e.kind = ClientEvent::Kind::Thumb;
                  e.fileId = fileId;
                  e.bytes = std::move(png);
                  Push(std::move(e));
              })
    {
    }

    void Push(ClientEvent e) { events.Push(std::move(e)); }

    // [SECTION] Connecting

    void Attempt()
    {
        ++attemptId;
        joined = false;
        ClientEvent e;
        e.kind = ClientEvent::Kind::Connecting;
        e.text = Where();
        Push(std::move(e));
        timer.expires_after(config.connectTimeout);
        timer.async_wait([this, id = attemptId](asio::error_code ec) {
            if (ec || ended || id != attemptId || connection)
                return;
            resolver.cancel();
            if (socket)
            {
                asio::error_code ignored;
                socket->close(ignored);
            }
            Failed(EndReason::ConnectFailed, "no answer from " + Where() + " (timed out)");
        });
        resolver.async_resolve(config.host, std::to_string(config.port),
                               [this, id = attemptId](asio::error_code ec, const asio::ip::tcp::resolver::results_type& results) {
                                   if (ended || id != attemptId)
                                       return;
                                   if (ec)
                                       return Failed(EndReason::ConnectFailed, "cannot find " + config.host + ": " + ec.message());
                                   ConnectTo(results);
                               });
    }

    void ConnectTo(const asio::ip::tcp::resolver::results_type& results)
    {
        socket = std::make_unique<asio::ip::tcp::socket>(io);
        asio::async_connect(*socket, results, [this, id = attemptId](asio::error_code ec, const asio::ip::tcp::endpoint&) {
            if (ended || id != attemptId)
                return;
            if (ec)
            {
                std::string why = ec == asio::error::connection_refused
                                      ? "connection refused by " + Where() + " (is the server running?)"
                                      : "cannot connect to " + Where() + ": " + ec.message();
                return Failed(EndReason::ConnectFailed, why);
            }
            timer.cancel();
            connection = std::make_shared<Connection>(std::move(*socket), config.limits);
            socket.reset();
            connection->OnWritten([this, id] {
                if (id == attemptId)
                    files.Pump();
            });
            connection->Start([this, id](Message& m) { if (id == attemptId) OnMessage(m); },
                              [this, id](DecodeError e) {
                                  if (id == attemptId)
                                      End(EndReason::ProtocolError, std::string("the server sent a malformed frame: ") + DecodeErrorName(e));
                              },
                              [this, id](CloseCause cause, const std::string& why) { if (id == attemptId) OnClosed(cause, why); });
            // Resume first: the server then knows this is us again, and what we already have.
            connection->Send(Resume{token, lastSeenId});
            resuming = lastSeenId > 0;
            liveMax = 0;
            connection->Send(Hello{ProtocolVersion, config.nick, std::string("obrol ") + OBROL_VERSION,
                                   MinProtocolVersion, identity->Public()});
        });
    }

    // A connection attempt failed or a joined connection was lost: retry or give up.
    void Failed(EndReason reason, const std::string& why)
    {
        if (ended)
            return;
        DropAttempt();
        if (!config.reconnect || !everJoined || quitting)
            return End(reason, why);
        ++retries;
        auto delay = config.firstRetry * (1LL << std::min(retries - 1, 16));
        delay = std::min<std::chrono::milliseconds>(delay, config.maxRetry);
        ClientEvent e;
        e.kind = ClientEvent::Kind::Reconnecting;
        e.text = why;
        e.attempt = retries;
        e.retryMs = delay.count();
        Push(std::move(e));
        timer.expires_after(delay);
        timer.async_wait([this, id = ++attemptId](asio::error_code ec) {
            if (!ec && !ended && id == attemptId)
                Attempt();
        });
    }

    void DropAttempt()
    {
        joined = false;
        files.SetConnection(nullptr, maxFileBytes);
        resolver.cancel();
        if (socket)
        {
            asio::error_code ignored;
            socket->close(ignored);
            socket.reset();
        }
        if (connection)
        {
            auto old = std::move(connection);
            old->Close(CloseCause::Local, "reconnecting");
        }
    }

    // [SECTION] Messages

    void OnMessage(Message& message)
    {
        if (auto* welcome = std::get_if<Welcome>(&message))
        {
            joined = everJoined = true;
            retries = 0;
            if (welcome->heartbeatSeconds > 0)
            {
                const std::chrono::milliseconds beat(welcome->heartbeatSeconds * 1000ull);
                connection->SetHeartbeat(beat, beat * 3);
            }
            maxFileBytes = welcome->maxFileBytes;
            ClientEvent e;
            e.kind = ClientEvent::Kind::Connected;
            e.welcome = std::move(*welcome);
            Push(std::move(e));
            files.SetConnection(connection, maxFileBytes); // unfinished transfers resume
            // Whatever the server has not acknowledged goes again (it stores each id once), with
            // the room requests made meanwhile in the order they were made: a message typed
            // after "/join #games" goes after the join, one typed before it before.
            auto request = waiting.begin();
            for (auto& [id, say] : unacked)
            {
                for (; request != waiting.end() && request->first < id; ++request)
                    connection->Send(request->second);
                say.resend = true;
                connection->Send(say);
            }
            for (; request != waiting.end(); ++request)
                connection->Send(request->second);
            waiting.clear();
        }
        else if (auto* challenge = std::get_if<Challenge>(&message))
        {
            if (joined || challenge->version < MinProtocolVersion || challenge->version > ProtocolVersion)
                return End(EndReason::ProtocolError, "the server asked for protocol version " +
                                                         std::to_string(challenge->version) + ", which this client does not speak");
            // the signature binds this connection's nonce to our key and the nickname we asked for
            connection->Send(Proof{identity->Sign(ProofMessage(challenge->nonce, identity->Public(), config.nick))});
        }
        else if (auto* refuse = std::get_if<Refuse>(&message))
        {
            refuseCode = refuse->code;
            End(EndReason::Refused, refuse->reason.empty() ? RefuseText(refuse->code) : refuse->reason);
        }
        else if (auto* state = std::get_if<RoomState>(&message))
        {
            ClientEvent e;
            e.kind = ClientEvent::Kind::RoomState;
            e.room = std::move(state->room);
            Push(std::move(e));
        }
        else if (auto* list = std::get_if<RoomList>(&message))
        {
            ClientEvent e;
            e.kind = ClientEvent::Kind::RoomList;
            e.rooms = std::move(list->rooms);
            Push(std::move(e));
        }
        else if (auto* chat = std::get_if<Chat>(&message))
        {
            SeenLive(chat->id);
            ClientEvent e;
            e.kind = ClientEvent::Kind::Chat;
            e.chat = std::move(*chat);
            Push(std::move(e));
        }
        else if (auto* history = std::get_if<History>(&message))
        {
            std::uint64_t newest = 0;
            for (const Chat& c : history->chats)
                newest = std::max(newest, c.id);
            if (history->reason == HistoryReason::Join || history->reason == HistoryReason::Resume)
                lastSeenId = std::max(lastSeenId, newest);
            // what we missed did not fit one frame: ask for the rest, from where this part ends
            if (history->reason == HistoryReason::Resume && history->more && newest > 0)
                connection->Send(Resume{token, newest});
            else if (history->reason == HistoryReason::Resume || history->reason == HistoryReason::Join)
            {
                resuming = false; // caught up: live ids count again
                lastSeenId = std::max(lastSeenId, liveMax);
            }
            ClientEvent e;
            e.kind = ClientEvent::Kind::History;
            e.history = std::move(*history);
            Push(std::move(e));
        }
        else if (auto* results = std::get_if<SearchResults>(&message))
        {
            ClientEvent e;
            e.kind = ClientEvent::Kind::SearchResults;
            e.search = std::move(*results);
            Push(std::move(e));
        }
        else if (files.OnMessage(message))
            return;
        else if (auto* ack = std::get_if<Ack>(&message))
        {
            unacked.erase(ack->clientMsgId);
            files.OnAck(*ack);
            SeenLive(ack->id);
            ClientEvent e;
            e.kind = ClientEvent::Kind::Ack;
            e.ack = *ack;
            Push(std::move(e));
        }
        else if (auto* error = std::get_if<Error>(&message))
        {
            unacked.erase(error->clientMsgId);
            ClientEvent e;
            e.kind = ClientEvent::Kind::Error;
            e.error = std::move(*error);
            Push(std::move(e));
        }
        else if (auto* bye = std::get_if<Bye>(&message))
        {
            std::string text = bye->text;
            if (bye->reason == ByeReason::ServerStopping)
                Failed(EndReason::ServerStopped, "the server stopped" + (text.empty() ? std::string() : ": " + text));
            else if (bye->reason == ByeReason::Kicked)
                End(EndReason::Kicked, "removed by the server" + (text.empty() ? std::string() : ": " + text));
            else
                Failed(EndReason::Lost, "the server closed the connection" + (text.empty() ? std::string() : ": " + text));
        }
        else
            End(EndReason::ProtocolError, "the server sent an unexpected frame");
    }

    // While a resume is still arriving in parts, live ids must not move the resume point past
    // the parts not yet received (a drop now would skip them): hold them until caught up.
    void SeenLive(std::uint64_t id)
    {
        if (resuming)
            liveMax = std::max(liveMax, id);
        else
            lastSeenId = std::max(lastSeenId, id);
    }

    void OnClosed(CloseCause cause, const std::string& why)
    {
        if (ended)
            return;
        switch (cause)
        {
        case CloseCause::Timeout: Failed(EndReason::Lost, "connection lost: the server did not answer (" + why + ")"); break;
        case CloseCause::ProtocolError: End(EndReason::ProtocolError, why); break;
        case CloseCause::Local: break; // we closed it on purpose (End or DropAttempt)
        default: Failed(EndReason::Lost, "connection lost: " + why); break;
        }
    }

    void Say(net::Say say)
    {
        if (ended)
            return;
        const std::uint64_t id = say.clientMsgId;
        auto [it, inserted] = unacked.emplace(id, std::move(say));
        // not joined (connecting again): it goes out, as a resend, right after the next Welcome
        if (inserted && joined && connection)
            connection->Send(it->second);
    }

    void Send(const Message& message)
    {
        if (joined && connection)
            connection->Send(message);
    }

    // Room requests are not dropped while (re)connecting: they go out after the next Welcome.
    void SendOrKeep(Message message)
    {
        if (ended)
            return;
        if (joined && connection)
            connection->Send(message);
        else
            waiting.emplace_back(unacked.empty() ? 0 : unacked.rbegin()->first, std::move(message));
    }

    void Quit()
    {
        if (ended)
            return;
        quitting = true;
        if (connection && connection->IsOpen() && joined)
        {
            connection->Send(Bye{ByeReason::Quit, {}});
            End(EndReason::Quit, "you left", /*flush=*/true);
        }
        else
            End(EndReason::Quit, "you left");
    }

    // Exactly one Ended event per Core, then the io_context runs out of work.
    void End(EndReason reason, std::string text, bool flush = false)
    {
        if (ended)
            return;
        ended = true;
        files.EndAll(text);
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
        Push(std::move(e));
    }

    std::string Where() const { return config.host + ":" + std::to_string(config.port); }

    // For a server that refuses without saying why.
    std::string RefuseText(RefuseCode code) const
    {
        const std::string nick = "\"" + config.nick + "\"";
        switch (code)
        {
        case RefuseCode::NickTaken: return "the nickname " + nick + " is already online";
        case RefuseCode::NickInvalid: return "the nickname " + nick + " is not allowed";
        case RefuseCode::VersionMismatch: return "the server speaks another protocol version";
        case RefuseCode::ServerFull: return "the server is full";
        case RefuseCode::BadHello: return "the server did not accept the greeting";
        case RefuseCode::NickOwned:
            return "the nickname " + nick + " belongs to someone else; choose another, or ask the server's operator to release it";
        case RefuseCode::BadProof: return "the server could not verify this client's identity key";
        }
        return "refused by the server";
    }

    engine::EventQueue<ClientEvent>& events;
    ClientConfig config;
    const std::shared_ptr<const engine::Identity> identity;
    asio::io_context io{1};
    asio::ip::tcp::resolver resolver;
    asio::steady_timer timer;
    std::unique_ptr<asio::ip::tcp::socket> socket;
    std::shared_ptr<Connection> connection;
    const std::uint64_t token;             // identifies this client to the server across reconnects
    std::uint64_t lastSeenId = 0;          // newest message id received (the resume point)
    bool resuming = false;                 // parts of what we missed are still coming
    std::uint64_t liveMax = 0;             // newest live id seen meanwhile
    std::map<std::uint64_t, net::Say> unacked; // sent, not yet acknowledged (ordered: resent in order)
    // room requests made while not joined, each after the newest message id unacknowledged then
    std::vector<std::pair<std::uint64_t, Message>> waiting;
    std::uint64_t attemptId = 0;           // handlers of older attempts ignore themselves
    int retries = 0;
    bool joined = false;
    bool everJoined = false;
    bool ended = false;
    bool quitting = false;
    RefuseCode refuseCode = RefuseCode::BadHello;
    std::uint64_t maxFileBytes = DefaultMaxFileBytes;
    ClientFiles files; // after io: its disk thread joins before io goes
};

// [SECTION] Client: the facade used by the UI thread.

Client::Client(engine::EventQueue<ClientEvent>& events)
    // random high bits (unique across runs of this nick), kept below 2^53 so JSON readers
    // that hold numbers as doubles see them exactly
    : m_events(events), m_nextClientMsgId(((RandomBits() & 0xFFFFFull) << 32) | 1)
{
}

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
    if (!config.identity)
        config.identity = std::make_shared<const engine::Identity>(engine::Identity::Generate());
    m_core = std::make_unique<Core>(m_events, std::move(config));
    m_active.store(true, std::memory_order_release);
    m_thread = std::thread([this, core = m_core.get()] {
        core->Attempt();
        core->io.run();
        // The connection and its socket are gone. Handlers hold `core` by pointer, so the
        // Connection (which captured them) must be released on this thread, before Core dies.
        core->connection.reset();
        m_active.store(false, std::memory_order_release);
    });
}

std::uint64_t Client::Say(Target to, std::string text)
{
    if (!m_core)
        return 0;
    const std::uint64_t id = m_nextClientMsgId++;
    // If this connection has already ended, the handler never runs; the model marks
    // messages still pending at the Ended event as not sent.
    asio::post(m_core->io, [core = m_core.get(), id, to = std::move(to), text = std::move(text)]() mutable {
        core->Say(net::Say{id, std::move(to), std::move(text), false});
    });
    return id;
}

void Client::RequestHistory(Target conversation, std::uint64_t beforeId, std::uint32_t limit, bool around)
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get(), request = HistoryRequest{std::move(conversation), beforeId, limit, around}] {
            core->Send(request);
        });
}

std::uint64_t Client::Search(std::string query, std::uint32_t limit)
{
    const std::uint64_t token = m_nextSearchToken++;
    if (m_core)
        asio::post(m_core->io, [core = m_core.get(), request = SearchRequest{token, std::move(query), limit}] {
            core->Send(request);
        });
    return token;
}

std::uint64_t Client::SendFile(Target to, std::filesystem::path path)
{
    if (!m_core)
        return 0;
    const std::uint64_t id = m_nextClientMsgId++;
    asio::post(m_core->io, [core = m_core.get(), id, to = std::move(to), path = std::move(path)]() mutable {
        if (!core->ended)
            core->files.Upload(id, std::move(to), std::move(path));
    });
    return id;
}

void Client::Download(const Chat& fileMessage, std::filesystem::path dir)
{
    if (!m_core || !fileMessage.file)
        return;
    asio::post(m_core->io, [core = m_core.get(), id = fileMessage.id, name = fileMessage.text, file = *fileMessage.file,
                            dir = std::move(dir)]() mutable {
        if (!core->ended)
            core->files.Download(id, std::move(name), file.size, file.sha256, std::move(dir));
    });
}

void Client::CancelTransfer(std::uint64_t id, TransferDirection direction)
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get(), id, direction] { core->files.Cancel(id, direction); });
}

void Client::RequestThumb(std::uint64_t fileId)
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get(), fileId] {
            if (!core->ended)
                core->files.RequestThumb(fileId);
        });
}

void Client::JoinRoom(std::string room)
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get(), request = net::RoomJoin{std::move(room)}]() mutable {
            core->SendOrKeep(std::move(request));
        });
}

void Client::PartRoom(std::string room, std::string reason)
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get(), request = RoomPart{std::move(room), std::move(reason)}]() mutable {
            core->SendOrKeep(std::move(request));
        });
}

void Client::SetTopic(std::string room, std::string topic)
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get(), request = RoomTopic{std::move(room), std::move(topic)}]() mutable {
            core->SendOrKeep(std::move(request));
        });
}

void Client::ListRooms()
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get()] { core->SendOrKeep(RoomListRequest{}); });
}

void Client::DropConnection()
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get()] {
            if (core->connection)
                core->connection->Close(CloseCause::NetworkError, "the connection was dropped");
        });
}

void Client::Disconnect()
{
    if (m_core)
        asio::post(m_core->io, [core = m_core.get()] { core->Quit(); });
}

} // namespace obrol::net

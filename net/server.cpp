#include "net/server.hpp"

#include "engine/archive.hpp"
#include "engine/clock.hpp"
#include "engine/utf8.hpp"
#include "net/hub.hpp"

#include <deque>
#include <unordered_map>

namespace obrol::net {

// [SECTION] Core: everything below runs on the server's network thread only.

class Session;
Chat ToChat(const engine::StoredMessage& m);

// History and search answers must fit one frame (MaxFramePayload): measured as encoded.
constexpr std::size_t AnswerBudget = MaxFramePayload - 4096;

std::size_t EncodedSize(const engine::StoredMessage& m)
{
    return 8 + 8 + 1 + 3 * 4 + m.from.size() + m.to.size() + m.text.size();
}

// Keeps the newest (the tail of an ascending list) that fit; true when any were dropped.
bool KeepNewestThatFit(std::vector<engine::StoredMessage>& ascending)
{
    std::size_t total = 0;
    std::size_t keep = 0;
    for (auto it = ascending.rbegin(); it != ascending.rend() && total + EncodedSize(*it) <= AnswerBudget; ++it)
    {
        total += EncodedSize(*it);
        ++keep;
    }
    if (keep == ascending.size())
        return false;
    ascending.erase(ascending.begin(), ascending.end() - static_cast<std::ptrdiff_t>(keep));
    return true;
}

// Keeps the first ones of a list that fit; true when any were dropped.
bool KeepFirstThatFit(std::vector<engine::StoredMessage>& list)
{
    std::size_t total = 0;
    std::size_t keep = 0;
    for (; keep < list.size() && total + EncodedSize(list[keep]) <= AnswerBudget; ++keep)
        total += EncodedSize(list[keep]);
    if (keep == list.size())
        return false;
    list.resize(keep);
    return true;
}

std::vector<Chat> ToChats(const std::vector<engine::StoredMessage>& messages)
{
    std::vector<Chat> chats;
    chats.reserve(messages.size());
    for (const auto& m : messages)
        chats.push_back(ToChat(m));
    return chats;
}

class Server::Core
{
public:
    Core(engine::EventQueue<ServerEvent>& events, ServerConfig config)
        : events(events), config(std::move(config)), acceptor(io),
          hub([this](const Chat& chat, Participant* sender) { OnChat(chat, sender); },
              [this](const Chat& record, std::uint64_t clientMsgId, Hub::Done done) {
                  Commit(record, clientMsgId, std::move(done));
              },
              [this](const std::string& nick, std::function<void(bool)> answer) { IsKnown(nick, std::move(answer)); },
              [this](const Chat& record, const std::string& error) {
                  ServerEvent e;
                  e.kind = ServerEvent::Kind::StorageError;
                  e.nick = record.from.empty() ? std::string("the server") : record.from;
                  e.text = std::string("could not store a ") + ChatKindName(record.kind) + " record: " + error;
                  Emit(std::move(e));
              })
    {
    }

    // Stores a record (archive thread, group commit) and runs `done` back on this thread.
    void Commit(const Chat& record, std::uint64_t clientMsgId, Hub::Done done);
    void IsKnown(const std::string& nick, std::function<void(bool)> answer);
    // Runs `query` on the archive thread, then `then` with its result on this thread.
    template <class Result>
    void Query(std::function<Result(engine::ArchiveReader&)> query, std::function<void(Result)> then);

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
    // declared after io: destroyed first, so its last callbacks can still post (and are dropped)
    std::unique_ptr<engine::Archive> archive;
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

    // Leaves at once (a reconnect of the same client takes this nickname over), then closes.
    void Replace()
    {
        auto self = shared_from_this();
        if (m_joined)
        {
            m_joined = false;
            m_core.hub.Leave(this, "reconnected");
            EmitLeft("reconnected");
        }
        m_leaveReason = "replaced by a new connection";
        m_conn->Send(Bye{ByeReason::Quit, "replaced by a new connection from the same client"});
        m_conn->CloseAfterFlush(CloseCause::Local, m_leaveReason);
    }

    std::uint64_t Id() const { return m_id; }
    std::uint64_t Token() const { return m_token; }
    const std::string& Nick() const { return m_nick; }
    const std::string& Address() const { return m_conn->RemoteAddress(); }

private:
    void OnMessage(Message& message)
    {
        if (auto* hello = std::get_if<Hello>(&message))
            OnHello(*hello);
        else if (auto* say = std::get_if<Say>(&message))
            OnSay(std::move(*say));
        else if (auto* resume = std::get_if<Resume>(&message))
        {
            if (!m_joined)
            {
                m_token = resume->token;
                m_lastSeenId = resume->lastSeenId;
            }
            else if (resume->lastSeenId > 0)
                SendMissed(resume->lastSeenId); // the next part of a resume that did not fit one frame
        }
        else if (auto* request = std::get_if<HistoryRequest>(&message))
            OnHistoryRequest(*request);
        else if (auto* search = std::get_if<SearchRequest>(&message))
            OnSearch(*search);
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
        // The same client reconnecting (same token) while its old connection still looks alive
        // to us: the new connection takes the nickname over.
        if (auto* holder = dynamic_cast<Session*>(m_core.hub.Find(hello.nick));
            holder && holder != this && m_token != 0 && holder->Token() == m_token)
            holder->Replace();
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
        SendHistory();
        ServerEvent e;
        e.kind = ServerEvent::Kind::ClientJoined;
        e.sessionId = m_id;
        e.nick = m_nick;
        e.address = Address();
        e.text = hello.software;
        m_core.Emit(std::move(e));
    }

    // Says are handled one at a time, in arrival order: a resend first asks the archive whether
    // it was stored already, and the next Say must not overtake it (ids follow arrival order).
    void OnSay(Say say)
    {
        m_says.push_back(std::move(say));
        if (!m_sayBusy)
            NextSay();
    }

    void NextSay()
    {
        while (!m_says.empty() && !m_sayBusy)
        {
            Say say = std::move(m_says.front());
            m_says.pop_front();
            if (say.resend && m_core.archive && say.clientMsgId != 0)
            {
                m_sayBusy = true;
                auto self = shared_from_this();
                m_core.Query<std::optional<engine::StoredMessage>>(
                    [nick = m_nick, id = say.clientMsgId](engine::ArchiveReader& r) { return r.FindByClientId(nick, id); },
                    [self, say = std::move(say)](std::optional<engine::StoredMessage> stored) mutable {
                        if (stored) // already stored: acknowledge again, never store twice
                            self->m_conn->Send(Ack{say.clientMsgId, stored->id, stored->timeMs});
                        else
                            self->Post(std::move(say));
                        self->m_sayBusy = false;
                        self->NextSay();
                    });
                return;
            }
            Post(std::move(say));
        }
    }

    void Post(Say say)
    {
        auto self = shared_from_this();
        // A private message to an offline nickname asks the archive first: hold later Says.
        const bool mayWait = !say.to.empty() && !m_core.hub.Find(say.to) && m_core.archive;
        if (mayWait)
            m_sayBusy = true;
        m_core.hub.Post(this, say.to, say.text, say.clientMsgId, [self, id = say.clientMsgId, mayWait](const Hub::PostResult& result) {
            if (result.ok)
                self->m_conn->Send(Ack{id, result.chat.id, result.chat.timeMs});
            else
            {
                self->m_conn->Send(Error{result.code, id, result.error});
                if (result.code == ErrorCode::StorageFailed)
                {
                    ServerEvent e;
                    e.kind = ServerEvent::Kind::StorageError;
                    e.nick = self->m_nick;
                    e.text = result.error;
                    self->m_core.Emit(std::move(e));
                }
            }
            if (mayWait && self->m_sayBusy)
            {
                self->m_sayBusy = false;
                self->NextSay();
            }
        });
    }

    // After Welcome: what this user missed (resume) or the recent history (a fresh join).
    void SendHistory()
    {
        if (!m_core.archive)
            return (void)m_conn->Send(History{}); // nothing stored: an empty Join history
        if (m_lastSeenId > 0)
            return SendMissed(m_lastSeenId);
        const std::size_t limit = m_core.config.historyLimit;
        if (limit == 0)
            return (void)m_conn->Send(History{});
        auto self = shared_from_this();
        m_core.Query<History>(
            [nick = m_nick, limit](engine::ArchiveReader& r) {
                History h;
                h.reason = HistoryReason::Join;
                auto all = r.Page(nick, "", 0, limit);
                h.more = all.size() == limit;
                const auto privates = r.RecentPrivate(nick, limit);
                all.insert(all.end(), privates.begin(), privates.end());
                std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
                h.more = KeepNewestThatFit(all) || h.more;
                h.unreadAfter = r.LastLeaveId(nick);
                h.chats = ToChats(all);
                return h;
            },
            [self](History h) { self->m_conn->Send(h); });
    }

    // Everything after `afterId` this user may see, oldest first; `more` = newer ones follow
    // (the client asks again with a Resume carrying the last id it got).
    void SendMissed(std::uint64_t afterId)
    {
        auto self = shared_from_this();
        m_core.Query<History>(
            [nick = m_nick, afterId](engine::ArchiveReader& r) {
                History h;
                h.reason = HistoryReason::Resume;
                h.unreadAfter = afterId;
                auto missed = r.Since(nick, afterId, MaxHistoryChats);
                h.more = missed.size() == MaxHistoryChats;
                h.more = KeepFirstThatFit(missed) || h.more;
                h.chats = ToChats(missed);
                return h;
            },
            [self](History h) { self->m_conn->Send(h); });
    }

    void OnHistoryRequest(const HistoryRequest& request)
    {
        if (!m_joined)
            return Fail(ErrorCode::NotJoined, "join before asking for history");
        History empty;
        empty.reason = request.around ? HistoryReason::Around : HistoryReason::Page;
        empty.conversation = request.conversation;
        if (!m_core.archive)
            return (void)m_conn->Send(empty);
        auto self = shared_from_this();
        const std::size_t limit = std::clamp<std::size_t>(request.limit, 1, 500);
        m_core.Query<History>(
            [nick = m_nick, request, limit, h = std::move(empty)](engine::ArchiveReader& r) mutable {
                if (request.around)
                {
                    // the message itself with up to limit/2 before and after it
                    auto around = r.Page(nick, request.conversation, request.beforeId + 1, limit / 2 + 1);
                    h.more = around.size() == limit / 2 + 1;
                    const auto after = r.After(nick, request.conversation, request.beforeId, limit / 2);
                    around.insert(around.end(), after.begin(), after.end());
                    h.more = KeepFirstThatFit(around) || h.more;
                    h.chats = ToChats(around);
                }
                else
                {
                    auto page = r.Page(nick, request.conversation, request.beforeId, limit);
                    h.more = page.size() == limit;
                    h.more = KeepNewestThatFit(page) || h.more;
                    h.chats = ToChats(page);
                }
                return h;
            },
            [self](History h) { self->m_conn->Send(h); });
    }

    void OnSearch(const SearchRequest& request)
    {
        if (!m_joined)
            return Fail(ErrorCode::NotJoined, "join before searching");
        SearchResults results;
        results.token = request.token;
        if (!m_core.archive)
            return (void)m_conn->Send(results);
        auto self = shared_from_this();
        const std::size_t limit = std::clamp<std::size_t>(request.limit, 1, 500);
        m_core.Query<SearchResults>(
            [nick = m_nick, query = request.query, limit, results = std::move(results)](engine::ArchiveReader& r) mutable {
                auto found = r.Search(nick, query, limit);
                KeepFirstThatFit(found); // newest first: the oldest matches give way
                results.chats = ToChats(found);
                return results;
            },
            [self](SearchResults r) { self->m_conn->Send(r); });
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
            EmitLeft(reason);
        }
        // Erase later, not now: we may be deep inside a broadcast that delivers to this session.
        asio::post(m_core.io, [core = &m_core, id = m_id] { core->Remove(id); });
    }

    void EmitLeft(const std::string& reason)
    {
        ServerEvent e;
        e.kind = ServerEvent::Kind::ClientLeft;
        e.sessionId = m_id;
        e.nick = m_nick;
        e.address = Address();
        e.text = reason;
        m_core.Emit(std::move(e));
    }

    std::string Describe() const { return m_nick.empty() ? Address() : m_nick + " (" + Address() + ")"; }

    Server::Core& m_core;
    std::uint64_t m_id;
    std::shared_ptr<Connection> m_conn;
    std::string m_nick;
    std::string m_leaveReason;
    bool m_joined = false;
    std::uint64_t m_token = 0;      // from Resume: identifies this client across its reconnects
    std::uint64_t m_lastSeenId = 0; // from Resume: send what came after it
    std::deque<Say> m_says;         // waiting behind an archive look-up
    bool m_sayBusy = false;
};

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
    return chat;
}

using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

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
    // The guard keeps io.run() going until the answer is back: a stop never loses an ack.
    auto guard = std::make_shared<WorkGuard>(io.get_executor());
    archive->Append(std::move(m), [this, guard, done = std::move(done)](bool ok, const std::string& error) mutable {
        asio::post(io, [guard, done = std::move(done), ok, error]() mutable {
            done(ok, error);
            guard->reset();
        });
    });
}

template <class Result>
void Server::Core::Query(std::function<Result(engine::ArchiveReader&)> query, std::function<void(Result)> then)
{
    auto guard = std::make_shared<WorkGuard>(io.get_executor());
    archive->Read([this, guard, query = std::move(query), then = std::move(then)](engine::ArchiveReader& reader) mutable {
        std::optional<Result> result;
        try
        {
            result = query(reader);
        }
        catch (const std::exception& e)
        {
            const std::string why = e.what();
            asio::post(io, [this, guard, why, then = std::move(then)]() mutable {
                Log("archive read failed: " + why);
                then(Result{}); // answer with nothing rather than leave the asker waiting
                guard->reset();
            });
            return;
        }
        asio::post(io, [guard, then = std::move(then), result = std::move(*result)]() mutable {
            then(std::move(result));
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
            ServerEvent failed;
            failed.kind = ServerEvent::Kind::StartFailed;
            failed.text = e.what();
            startFailed = true;
            Emit(std::move(failed));
            return;
        }
    }
    if (!archive)
        hub.DisableOfflineDelivery(); // nothing is kept: a private message needs its recipient online
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

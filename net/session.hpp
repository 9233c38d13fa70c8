// One connected client of the server: handshake, its Says (in order), history and search
// requests, and its part of the room. Server io thread only. Included by server.cpp alone.
#pragma once

#include "engine/utf8.hpp"
#include "net/server_core.hpp"
#include "net/server_files.hpp"

#include <algorithm>
#include <deque>

namespace obrol::net {

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
        m_conn->OnWritten([weak = weak_from_this()] {
            if (auto self = weak.lock(); self && self->m_core.files)
                self->m_core.files->Pump(self);
        });
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
    bool Joined() const { return m_joined; }
    Connection& Conn() { return *m_conn; }
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
        else if (IsFileFrame(message))
            OnFileFrame(message);
        else if (auto* bye = std::get_if<Bye>(&message))
        {
            m_leaveReason = bye->text.empty() ? "quit" : "quit: " + bye->text;
            m_conn->Close(CloseCause::PeerClosed, m_leaveReason);
        }
        else
            Fail(ErrorCode::BadFrame, "this frame type is not accepted by the server");
    }

    static bool IsFileFrame(const Message& m)
    {
        return std::holds_alternative<FileOffer>(m) || std::holds_alternative<FileChunk>(m) ||
               std::holds_alternative<FileEnd>(m) || std::holds_alternative<FileAbort>(m) ||
               std::holds_alternative<FileProgress>(m) || std::holds_alternative<FileGet>(m) ||
               std::holds_alternative<ThumbGet>(m);
    }

    void OnFileFrame(Message& message)
    {
        if (!m_joined)
            return Fail(ErrorCode::NotJoined, "join before sending or fetching files");
        auto self = shared_from_this();
        auto& files = *m_core.files;
        if (auto* offer = std::get_if<FileOffer>(&message))
            files.OnOffer(self, *offer);
        else if (auto* chunk = std::get_if<FileChunk>(&message))
            files.OnChunk(self, *chunk);
        else if (auto* end = std::get_if<FileEnd>(&message))
            files.OnEnd(self, *end);
        else if (auto* abort = std::get_if<FileAbort>(&message))
            files.OnAbort(self, *abort);
        else if (auto* progress = std::get_if<FileProgress>(&message))
            files.OnProgress(self, *progress);
        else if (auto* get = std::get_if<FileGet>(&message))
            files.OnGet(self, *get);
        else if (auto* thumb = std::get_if<ThumbGet>(&message))
            files.OnThumbGet(self, *thumb);
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
        welcome.maxFileBytes = m_core.config.maxFileBytes;
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
                const std::uint64_t id = say.clientMsgId; // read before `say` moves into the callback
                m_core.Query<std::optional<engine::StoredMessage>>(
                    [nick = m_nick, id](engine::ArchiveReader& r) { return r.FindByClientId(nick, id); },
                    [self, say = std::move(say)](std::optional<engine::StoredMessage> stored) mutable {
                        if (stored) // already stored: acknowledge again, never store twice
                            self->m_conn->Send(Ack{say.clientMsgId, stored->id, stored->timeMs});
                        else
                            self->Post(say);
                        self->m_sayBusy = false;
                        self->NextSay();
                    });
                return;
            }
            Post(say);
        }
    }

    void Post(const Say& say)
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
                auto all = r.Page(nick, "", 0, limit + 1);
                h.more = all.size() == limit + 1;
                // our own Join, just stored, is shown as "You joined": it must not take a slot
                if (!all.empty() && all.back().kind == static_cast<std::uint8_t>(ChatKind::Join) &&
                    engine::FoldCase(all.back().from) == engine::FoldCase(nick))
                    all.pop_back();
                if (all.size() > limit)
                    all.erase(all.begin());
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
        if (m_core.files)
            m_core.files->OnSessionClosed(m_id);
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

} // namespace obrol::net

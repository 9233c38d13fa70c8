// The Obrol door: one connection speaking the Obrol wire (docs/PROTOCOL.md). It decodes frames,
// runs the handshake (version, identity proof), calls the chat core, and encodes what comes back.
// Server io thread only. Included by server.cpp and server_files.cpp.
#pragma once

#include "engine/identity.hpp"
#include "engine/utf8.hpp"
#include "net/server_core.hpp"
#include "net/server_files.hpp"

#include <algorithm>

namespace obrol::net {

class Session final : public chat::Participant, public std::enable_shared_from_this<Session>
{
public:
    static std::shared_ptr<Session> Create(Server::Core& core, std::uint64_t id, asio::ip::tcp::socket socket)
    {
        auto conn = std::make_shared<Connection>(std::move(socket), core.config.limits);
        return std::make_shared<Session>(core, id, std::move(conn));
    }

    Session(Server::Core& core, std::uint64_t id, std::shared_ptr<Connection> conn)
        : Participant(id, chat::Door::Obrol, conn->RemoteAddress()), m_core(core), m_conn(std::move(conn))
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

    void Deliver(const Chat& chat, chat::SharedFrames& frames) override
    {
        if (!frames.obrol)
            frames.obrol = EncodeShared(chat);
        m_conn->Send(frames.obrol);
    }

    // Sends a Bye and closes once it is written.
    void Dismiss(ByeReason reason, const std::string& text, const std::string& leaveReason) override
    {
        m_leaveReason = leaveReason;
        m_conn->Send(Bye{reason, text});
        m_conn->CloseAfterFlush(CloseCause::Local, leaveReason);
    }

    bool Joined() const { return m_core.chat.LoggedIn(*this); }
    Connection& Conn() { return *m_conn; }

private:
    enum class Stage { Hello, Proof, Joined };

    void OnMessage(Message& message)
    {
        if (IsServerOnly(message))
            Fail(ErrorCode::BadFrame, "this frame type is not accepted by the server");
        else if (auto* hello = std::get_if<Hello>(&message))
            OnHello(*hello);
        else if (auto* proof = std::get_if<Proof>(&message))
            OnProof(*proof);
        else if (auto* say = std::get_if<Say>(&message))
            OnSay(std::move(*say));
        else if (auto* resume = std::get_if<Resume>(&message))
        {
            if (m_stage == Stage::Hello)
            {
                m_token = resume->token;
                m_lastSeenId = resume->lastSeenId;
            }
            else if (Joined() && resume->lastSeenId > 0) // the next part of a resume that did not fit one frame
                m_core.chat.Missed(Nick(), resume->lastSeenId, Answer<History>());
        }
        else if (auto* bye = std::get_if<Bye>(&message))
        {
            m_leaveReason = bye->text.empty() ? "quit" : "quit: " + bye->text;
            m_conn->Close(CloseCause::PeerClosed, m_leaveReason);
        }
        else if (!Joined())
            Fail(ErrorCode::NotJoined, "join (Hello, then Proof) before anything else");
        else if (auto* request = std::get_if<HistoryRequest>(&message))
            OnHistoryRequest(*request);
        else if (auto* search = std::get_if<SearchRequest>(&message))
            InOrder([this, request = *search](auto done) {
                m_core.chat.Search(Nick(), request.query, request.limit, [this, token = request.token, done](std::vector<Chat> chats) {
                    m_conn->Send(SearchResults{token, std::move(chats)});
                    done();
                });
            });
        else if (auto* join = std::get_if<RoomJoin>(&message))
            OnRoomJoin(join->room);
        else if (auto* part = std::get_if<RoomPart>(&message))
            m_core.chat.PartRoom(*this, part->room, part->reason, Complain());
        else if (auto* topic = std::get_if<RoomTopic>(&message))
            m_core.chat.SetTopic(*this, topic->room, topic->topic, Complain());
        else if (std::holds_alternative<RoomListRequest>(message))
            InOrder([this](auto done) {
                m_conn->Send(RoomList{m_core.chat.ListRooms(Nick())});
                done();
            });
        else
            OnFileFrame(message);
    }

    // A callback that sends its answer to this connection (if it is still open).
    template <class T> std::function<void(T)> Answer()
    {
        return [self = shared_from_this()](T answer) { self->m_conn->Send(std::move(answer)); };
    }

    // A callback that reports a failed room request as an Error (the connection stays open).
    std::function<void(const chat::Outcome&)> Complain()
    {
        return [self = shared_from_this()](const chat::Outcome& outcome) {
            if (!outcome.ok)
                self->m_conn->Send(Error{outcome.code, 0, outcome.error});
        };
    }

    static bool IsServerOnly(const Message& m)
    {
        return std::holds_alternative<Welcome>(m) || std::holds_alternative<net::Refuse>(m) ||
               std::holds_alternative<Chat>(m) || std::holds_alternative<Ack>(m) || std::holds_alternative<Error>(m) ||
               std::holds_alternative<History>(m) || std::holds_alternative<SearchResults>(m) ||
               std::holds_alternative<FileAccept>(m) || std::holds_alternative<Thumb>(m) ||
               std::holds_alternative<Challenge>(m) || std::holds_alternative<RoomState>(m) ||
               std::holds_alternative<RoomList>(m);
    }

    void OnFileFrame(Message& message)
    {
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

    // [SECTION] Handshake: Hello -> Challenge -> Proof -> Welcome (or Refuse at any step)

    void OnHello(const Hello& hello)
    {
        if (m_stage != Stage::Hello)
            return Fail(ErrorCode::BadFrame, "already said Hello");
        // the highest version both speak
        const std::uint16_t chosen = std::min(hello.version, ProtocolVersion);
        if (chosen < std::max(hello.minVersion, MinProtocolVersion))
        {
            const std::string ours = std::to_string(MinProtocolVersion) + (MinProtocolVersion == ProtocolVersion ? "" : "-" + std::to_string(ProtocolVersion));
            if (hello.version < MinProtocolVersion)
                return Refuse(RefuseCode::VersionMismatch, "this server speaks protocol version " + ours + ", the client " +
                                                               std::to_string(hello.version) + "; update Obrol on this computer",
                              hello.nick);
            return Refuse(RefuseCode::VersionMismatch, "this client needs protocol version " + std::to_string(hello.minVersion) +
                                                           " or newer; this server speaks " + ours +
                                                           "; ask the server's operator to update Obrol",
                          hello.nick);
        }
        if (hello.publicKey == PublicKey{})
            return Refuse(RefuseCode::BadHello, "a Hello must carry the client's identity key", hello.nick);
        if (std::string problem = engine::NicknameProblem(hello.nick); !problem.empty())
            return Refuse(RefuseCode::NickInvalid, "\"" + hello.nick + "\" is not a valid nickname: " + problem, hello.nick);
        if (m_core.chat.Count() >= m_core.config.maxClients)
            return Refuse(RefuseCode::ServerFull,
                          "the server is full (" + std::to_string(m_core.config.maxClients) + " users)", hello.nick);
        m_hello = hello;
        m_nonce = engine::RandomBytes32();
        m_stage = Stage::Proof;
        m_conn->Send(Challenge{chosen, m_nonce});
    }

    void OnProof(const Proof& proof)
    {
        if (m_stage != Stage::Proof)
            return Fail(ErrorCode::BadFrame, m_stage == Stage::Hello ? "Proof before Hello" : "already joined");
        if (!engine::VerifySignature(m_hello.publicKey, ProofMessage(m_nonce, m_hello.publicKey, m_hello.nick),
                                     proof.signature))
            return Refuse(RefuseCode::BadProof, "the signature does not prove the identity key sent in Hello",
                          m_hello.nick);
        chat::LoginRequest request;
        request.nick = m_hello.nick;
        request.key = m_hello.publicKey;
        request.token = m_token;
        request.software = m_hello.software;
        const chat::LoginResult login = m_core.chat.Login(*this, std::move(request));
        if (!login.ok)
        {
            m_conn->Send(net::Refuse{login.code, login.reason});
            m_conn->CloseAfterFlush(CloseCause::Local, "refused");
            return;
        }
        m_stage = Stage::Joined;
        Welcome welcome;
        welcome.nick = login.nick;
        welcome.serverName = m_core.config.name;
        welcome.serverTimeMs = engine::NowMs();
        welcome.heartbeatSeconds = static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::seconds>(m_core.config.limits.heartbeat).count());
        welcome.users = login.users;
        welcome.maxFileBytes = m_core.config.maxFileBytes;
        welcome.rooms = login.rooms;
        m_conn->Send(welcome);
        m_core.chat.JoinHistory(*this, m_lastSeenId, Answer<History>());
    }

    // [SECTION] Requests of a joined user

    void OnSay(Say say)
    {
        const std::uint64_t id = say.clientMsgId;
        m_core.chat.Say(*this, std::move(say), [self = shared_from_this(), id](const chat::PostResult& result) {
            if (result.ok)
                return (void)self->m_conn->Send(Ack{id, result.chat.id, result.chat.timeMs});
            self->m_conn->Send(Error{result.code, id, result.error});
            if (result.code == ErrorCode::StorageFailed)
            {
                ServerEvent e;
                e.kind = ServerEvent::Kind::StorageError;
                e.nick = self->Nick();
                e.text = result.error;
                self->m_core.Emit(std::move(e));
            }
        });
    }

    void OnHistoryRequest(const HistoryRequest& request)
    {
        InOrder([this, request](auto done) {
            if (request.conversation.IsRoom())
                if (const chat::Outcome check = m_core.chat.CheckTarget(Nick(), request.conversation); !check.ok)
                {
                    m_conn->Send(Error{check.code, 0, check.error});
                    return done();
                }
            m_core.chat.Page(Nick(), request, [this, done](History h) {
                m_conn->Send(std::move(h));
                done();
            });
        });
    }

    // Runs `fn` after this user's earlier requests (a room join before a history request);
    // the session stays alive until it ran.
    template <class Fn> void InOrder(Fn fn)
    {
        m_core.chat.InOrder(*this, [self = shared_from_this(), fn = std::move(fn)](std::function<void()> done) mutable {
            fn(std::move(done));
        });
    }

    void OnRoomJoin(const std::string& room)
    {
        m_core.chat.JoinRoom(*this, room, [self = shared_from_this()](const chat::Outcome& outcome, const RoomInfo& info) {
            if (!outcome.ok)
                return (void)self->m_conn->Send(Error{outcome.code, 0, outcome.error});
            self->m_conn->Send(RoomState{info});
            HistoryRequest newest;
            newest.conversation = Target::Room(info.name);
            newest.limit = static_cast<std::uint32_t>(std::clamp<std::size_t>(self->m_core.config.historyLimit, 1, 500));
            self->m_core.chat.Page(self->Nick(), newest, self->Answer<History>());
        });
    }

    // [SECTION] Failures and the end of the connection

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

    void Refuse(RefuseCode code, const std::string& reason, const std::string& nick)
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
        m_core.chat.Logout(*this, reason);
        if (m_core.files)
            m_core.files->OnSessionClosed(Id());
        // Erase later, not now: we may be deep inside a broadcast that delivers to this session.
        asio::post(m_core.io, [core = &m_core, id = Id()] { core->Remove(id); });
    }

    std::string Describe() const { return Nick().empty() ? Address() : Nick() + " (" + Address() + ")"; }

    Server::Core& m_core;
    std::shared_ptr<Connection> m_conn;
    Stage m_stage = Stage::Hello;
    Hello m_hello;
    std::array<std::uint8_t, 32> m_nonce{};
    std::string m_leaveReason;
    std::uint64_t m_token = 0;      // from Resume: identifies this client run across its reconnects
    std::uint64_t m_lastSeenId = 0; // from Resume: send what came after it
};

} // namespace obrol::net

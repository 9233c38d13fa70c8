// The Obrol door under contract: the real server (in this process, port 0) and a blocking client
// that speaks the wire exactly as docs/PROTOCOL.md says, one socket per user.
#include "contract/doors.hpp"

#include "engine/event_queue.hpp"
#include "net/server.hpp"
#include "raw_peer.hpp"

namespace obrol::test::contract {

namespace {

using Clock = std::chrono::steady_clock;

class WireUser final : public User
{
public:
    explicit WireUser(std::uint16_t port) : m_peer(port) {}
    ~WireUser() override { Quit(); }

    void Send(const net::Message& m)
    {
        if (!m_peer.Closed())
            m_peer.Send(m);
    }

    // The next frame (a live Chat is also kept in m_live); nullopt when closed or timed out.
    std::optional<net::Message> NextAnswer(Clock::time_point deadline = Clock::now() + Timeout)
    {
        for (;;)
        {
            const auto now = Clock::now();
            if (now >= deadline)
                return std::nullopt;
            auto m = m_peer.Next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + 1ms);
            if (!m)
                return std::nullopt;
            if (auto* chat = std::get_if<net::Chat>(&*m))
                m_live.push_back(*chat);
            if (auto* bye = std::get_if<net::Bye>(&*m))
                m_bye = bye->reason;
            else
                return m;
        }
    }

    template <class T> std::optional<T> Expect(const std::function<bool(const T&)>& match = nullptr)
    {
        const auto deadline = Clock::now() + Timeout;
        while (auto m = NextAnswer(deadline))
        {
            if (auto* t = std::get_if<T>(&*m); t && (!match || match(*t)))
                return *t;
            m_other.push_back(std::move(*m));
        }
        return std::nullopt;
    }

    void Handshake(const std::string& nick, const engine::Identity* identity, std::uint64_t token, std::uint64_t lastSeenId)
    {
        if (token || lastSeenId)
            Send(net::Resume{token, lastSeenId});
        net::Hello hello;
        hello.nick = nick;
        hello.software = "contract";
        if (identity)
            hello.publicKey = identity->Public();
        Send(hello);
        auto first = NextAnswer();
        REQUIRE(first);
        if (auto* refuse = std::get_if<net::Refuse>(&*first))
            return Refused(*refuse);
        auto* challenge = std::get_if<net::Challenge>(&*first);
        REQUIRE(challenge);
        CHECK(challenge->version == net::ProtocolVersion);
        net::Proof proof;
        if (identity)
            proof.signature = identity->Sign(net::ProofMessage(challenge->nonce, identity->Public(), nick));
        Send(proof);
        auto second = NextAnswer();
        REQUIRE(second);
        if (auto* refuse = std::get_if<net::Refuse>(&*second))
            return Refused(*refuse);
        auto* welcome = std::get_if<net::Welcome>(&*second);
        REQUIRE(welcome);
        login.ok = true;
        login.users = welcome->users;
        login.rooms = welcome->rooms;
        auto history = Expect<net::History>();
        REQUIRE(history);
        login.history = *history;
    }

    Reply Say(const net::Target& to, const std::string& text, std::uint64_t clientMsgId, bool resend) override
    {
        net::Say say;
        say.clientMsgId = clientMsgId ? clientMsgId : m_nextClientId++;
        say.to = to;
        say.text = text;
        say.resend = resend;
        Send(say);
        const auto deadline = Clock::now() + Timeout;
        while (auto m = NextAnswer(deadline))
        {
            if (auto* ack = std::get_if<net::Ack>(&*m); ack && ack->clientMsgId == say.clientMsgId)
                return Reply{true, net::ErrorCode::BadFrame, {}, ack->id};
            if (auto* error = std::get_if<net::Error>(&*m); error && error->clientMsgId == say.clientMsgId)
                return Reply{false, error->code, error->text, 0};
        }
        FAIL("no answer to a Say");
        return {};
    }

    // A RoomJoin: answered by a RoomState, or an Error.
    Reply RoomRequest(const net::Message& request)
    {
        Send(request);
        const auto deadline = Clock::now() + Timeout;
        while (auto m = NextAnswer(deadline))
        {
            if (auto* error = std::get_if<net::Error>(&*m))
                return Reply{false, error->code, error->text, 0};
            if (auto* state = std::get_if<net::RoomState>(&*m))
            {
                m_state = state->room;
                return Reply{true, net::ErrorCode::BadFrame, {}, 0};
            }
            m_other.push_back(std::move(*m));
        }
        FAIL("no answer to a room request");
        return {};
    }

    RoomReply Join(const std::string& room) override
    {
        RoomReply r;
        r.reply = RoomRequest(net::RoomJoin{room});
        if (!r.reply.ok)
            return r;
        r.state = m_state;
        auto history = Expect<net::History>();
        REQUIRE(history);
        r.history = *history;
        return r;
    }

    // Part and Topic are answered by their record (to us too), or an Error.
    Reply Change(const net::Message& request, net::ChatKind kind)
    {
        Send(request);
        const std::size_t before = m_live.size();
        const auto deadline = Clock::now() + Timeout;
        for (;;)
        {
            for (std::size_t i = before; i < m_live.size(); ++i)
                if (m_live[i].kind == kind && m_live[i].from == m_nick)
                    return Reply{true, net::ErrorCode::BadFrame, {}, m_live[i].id};
            auto m = NextAnswer(deadline);
            if (!m)
                break;
            if (auto* error = std::get_if<net::Error>(&*m))
                return Reply{false, error->code, error->text, 0};
            m_other.push_back(std::move(*m));
        }
        FAIL("no answer to a room change (" << static_cast<int>(kind) << " by " << m_nick << ", last " << (m_live.empty() ? std::string() : m_live.back().from + ":" + std::to_string(static_cast<int>(m_live.back().kind))) << ", " << m_live.size() - before << " records since)");
        return {};
    }

    Reply Part(const std::string& room) override { return Change(net::RoomPart{room, "bye"}, net::ChatKind::RoomLeave); }
    Reply Topic(const std::string& room, const std::string& topic) override
    {
        return Change(net::RoomTopic{room, topic}, net::ChatKind::Topic);
    }

    std::vector<net::RoomInfo> Rooms() override
    {
        Send(net::RoomListRequest{});
        auto list = Expect<net::RoomList>();
        REQUIRE(list);
        return list->rooms;
    }

    std::optional<net::History> Page(const net::Target& conversation, std::uint64_t beforeId, std::uint32_t limit) override
    {
        net::HistoryRequest request;
        request.conversation = conversation;
        request.beforeId = beforeId;
        request.limit = limit;
        Send(request);
        const auto deadline = Clock::now() + Timeout;
        while (auto m = NextAnswer(deadline))
        {
            if (auto* error = std::get_if<net::Error>(&*m))
            {
                CHECK(error->code == net::ErrorCode::NotAMember);
                return std::nullopt;
            }
            if (auto* h = std::get_if<net::History>(&*m))
                return *h;
        }
        FAIL("no answer to a HistoryRequest");
        return std::nullopt;
    }

    std::vector<net::Chat> Search(const std::string& query) override
    {
        const std::uint64_t token = m_nextClientId++;
        Send(net::SearchRequest{token, query, 50});
        auto results = Expect<net::SearchResults>([token](const net::SearchResults& r) { return r.token == token; });
        REQUIRE(results);
        return results->chats;
    }

    bool WaitFor(const std::function<bool(const std::vector<net::Chat>&)>& pred) override
    {
        const auto deadline = Clock::now() + Timeout;
        while (!pred(m_live))
        {
            auto m = NextAnswer(deadline);
            if (!m)
                return pred(m_live);
            m_other.push_back(std::move(*m));
        }
        return true;
    }

    const std::vector<net::Chat>& Live() const override { return m_live; }

    std::optional<net::ByeReason> WaitDismissed() override
    {
        const auto deadline = Clock::now() + Timeout;
        while (!m_peer.Closed() && Clock::now() < deadline)
            if (auto m = NextAnswer(deadline))
                m_other.push_back(std::move(*m));
        return m_bye;
    }

    void Quit() override
    {
        if (m_peer.Closed())
            return;
        Send(net::Bye{net::ByeReason::Quit, ""});
        WaitDismissed(); // until the server closes it
    }

    std::string m_nick;

private:
    void Refused(const net::Refuse& refuse)
    {
        login.ok = false;
        login.code = refuse.code;
        login.reason = refuse.reason;
    }

    RawPeer m_peer;
    std::optional<net::ByeReason> m_bye;
    std::vector<net::Chat> m_live;
    std::vector<net::Message> m_other;
    net::RoomInfo m_state;
    std::uint64_t m_nextClientId = 1;
};

class WireWorld final : public World
{
public:
    explicit WireWorld(bool archive) : m_archived(archive) { Start(); }
    ~WireWorld() override { Stop(); }

    std::unique_ptr<User> Connect(const std::string& nick, const engine::Identity* identity, std::uint64_t token,
                                  std::uint64_t lastSeenId) override
    {
        auto user = std::make_unique<WireUser>(m_port);
        user->m_nick = nick;
        user->Handshake(nick, identity, token, lastSeenId);
        return user;
    }

    void Announce(const std::string& text) override { m_server.Announce(text); }
    void Kick(const std::string& nick) override { m_server.Kick(nick); }
    void Release(const std::string& nick) override
    {
        m_server.ReleaseNick(nick);
        // answered by a log line
        REQUIRE(WaitEvent([&](const net::ServerEvent& e) {
            return e.kind == net::ServerEvent::Kind::Log && e.text.find(nick) != std::string::npos;
        }));
    }
    void Restart() override
    {
        Stop();
        Start();
    }
    bool WaitLeft(const std::string& nick) override
    {
        return WaitEvent([&](const net::ServerEvent& e) {
            return e.kind == net::ServerEvent::Kind::Chat && e.chat.kind == net::ChatKind::Leave && e.chat.from == nick;
        });
    }

private:
    bool WaitEvent(const std::function<bool(const net::ServerEvent&)>& match)
    {
        const auto deadline = Clock::now() + Timeout;
        for (;;)
        {
            for (std::size_t i = m_checked; i < m_seen.size(); ++i)
                if (match(m_seen[i]))
                {
                    m_checked = i + 1;
                    return true;
                }
            if (Clock::now() >= deadline)
                return false;
            net::ServerEvent e;
            while (m_events.TryPop(e))
                m_seen.push_back(std::move(e));
            std::this_thread::sleep_for(2ms);
        }
    }

    void Start()
    {
        net::ServerConfig config;
        config.bind = "127.0.0.1";
        config.port = 0;
        if (m_archived)
            config.dataDir = m_dir.Path();
        m_server.Start(config);
        m_checked = m_seen.size();
        REQUIRE(WaitEvent([&](const net::ServerEvent& e) {
            if (e.kind == net::ServerEvent::Kind::Started)
                m_port = e.port;
            return e.kind == net::ServerEvent::Kind::Started || e.kind == net::ServerEvent::Kind::StartFailed;
        }));
        REQUIRE(m_port != 0);
    }

    void Stop()
    {
        m_server.Stop();
        WaitEvent([](const net::ServerEvent& e) { return e.kind == net::ServerEvent::Kind::Stopped; });
        m_port = 0;
    }

    bool m_archived;
    TempDir m_dir{"obrol-contract"};
    engine::EventQueue<net::ServerEvent> m_events{nullptr};
    net::Server m_server{m_events};
    std::vector<net::ServerEvent> m_seen;
    std::size_t m_checked = 0;
    std::uint16_t m_port = 0;
};

} // namespace

std::unique_ptr<World> MakeObrolWorld(bool archive) { return std::make_unique<WireWorld>(archive); }

} // namespace obrol::test::contract

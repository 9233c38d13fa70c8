// The fake door: the chat core driven directly, with a participant that records what it is
// given. The core's io_context runs on the test thread (the archive thread posts back to it).
#include "contract/doors.hpp"

#include "engine/archive.hpp"
#include "net/chat/core.hpp"

#include <random>

namespace obrol::test::contract {

namespace {

using Clock = std::chrono::steady_clock;

class FakeParticipant final : public net::chat::Participant
{
public:
    FakeParticipant(std::uint64_t id, std::string address) : Participant(id, net::chat::Door::Test, std::move(address)) {}

    void Deliver(const net::Chat& record, net::chat::SharedFrames&) override { live.push_back(record); }
    void Dismiss(net::ByeReason reason, const std::string&, const std::string& leaveReason) override
    {
        dismissed = reason;
        this->leaveReason = leaveReason;
    }

    std::vector<net::Chat> live;
    std::optional<net::ByeReason> dismissed;
    std::string leaveReason;
};

class FakeWorld;

class FakeUser final : public User
{
public:
    FakeUser(FakeWorld& world, std::uint64_t id, std::string nick) : m_world(world), m_p(id, "test:" + std::to_string(id)), m_nick(std::move(nick)) {}
    ~FakeUser() override { Quit(); }

    Reply Say(const net::Target& to, const std::string& text, std::uint64_t clientMsgId, bool resend) override;
    RoomReply Join(const std::string& room) override;
    Reply Part(const std::string& room) override;
    Reply Topic(const std::string& room, const std::string& topic) override;
    std::vector<net::RoomInfo> Rooms() override;
    std::optional<net::History> Page(const net::Target& conversation, std::uint64_t beforeId, std::uint32_t limit) override;
    std::vector<net::Chat> Search(const std::string& query) override;
    bool WaitFor(const std::function<bool(const std::vector<net::Chat>&)>& pred) override;
    const std::vector<net::Chat>& Live() const override { return m_p.live; }
    std::optional<net::ByeReason> WaitDismissed() override;
    void Quit() override;

    FakeParticipant& Participant() { return m_p; }

private:
    FakeWorld& m_world;
    FakeParticipant m_p;
    std::string m_nick;
    std::uint64_t m_nextClientId = 1;
};

class FakeWorld final : public World
{
public:
    explicit FakeWorld(bool archive) : m_archived(archive) { Open(); }
    ~FakeWorld() override { Close(); }

    std::unique_ptr<User> Connect(const std::string& nick, const engine::Identity* identity, std::uint64_t token,
                                  std::uint64_t lastSeenId) override
    {
        auto user = std::make_unique<FakeUser>(*this, m_nextId++, nick);
        net::chat::LoginRequest request;
        request.nick = nick;
        if (identity)
            request.key = identity->Public();
        request.token = token;
        const auto result = m_core->Login(user->Participant(), request);
        user->login.ok = result.ok;
        user->login.code = result.code;
        user->login.reason = result.reason;
        user->login.users = result.users;
        user->login.rooms = result.rooms;
        if (result.ok)
        {
            bool done = false;
            m_core->JoinHistory(user->Participant(), lastSeenId, [&](net::History h) {
                user->login.history = std::move(h);
                done = true;
            });
            RunUntil([&] { return done; });
        }
        return user;
    }

    void Announce(const std::string& text) override { m_core->Announce(text); }
    void Kick(const std::string& nick) override { m_core->Kick(nick); }
    void Release(const std::string& nick) override { m_core->ReleaseNick(nick); Settle(); }
    void Restart() override
    {
        Close();
        Open();
    }
    bool WaitLeft(const std::string& nick) override
    {
        return RunUntil([&] { return std::count(m_left.begin(), m_left.end(), nick) > 0; });
    }

    // Runs the io_context until `done` holds (false after Timeout).
    bool RunUntil(const std::function<bool()>& done)
    {
        const auto deadline = Clock::now() + Timeout;
        while (!done())
        {
            if (Clock::now() >= deadline)
                return false;
            m_io.restart();
            m_io.run_one_for(5ms);
        }
        return true;
    }
    void Settle()
    {
        m_io.restart();
        m_io.poll();
        if (m_archive)
        {
            // a read queued now runs after every store task queued before it
            bool done = false;
            m_core->KnownNick("\x01", [&](bool) { done = true; });
            RunUntil([&] { return done; });
        }
    }

    net::chat::Core& Core() { return *m_core; }

private:
    void Open()
    {
        net::chat::CoreHooks hooks;
        hooks.left = [this](net::chat::Participant& p, const std::string&) { m_left.push_back(p.Nick()); };
        m_core = std::make_unique<net::chat::Core>(m_io, net::chat::CoreConfig{1000, 100}, std::move(hooks));
        if (m_archived)
        {
            engine::ArchiveConfig config;
            config.dir = m_dir.Path();
            m_archive = std::make_unique<engine::Archive>(config);
            m_store = net::chat::MakeArchiveStore(*m_archive);
        }
        m_core->Open(m_store.get());
    }
    void Close()
    {
        Settle();
        m_core.reset();
        m_store.reset();
        m_archive.reset();
        m_io.restart();
        m_io.poll();
    }

    bool m_archived;
    TempDir m_dir{"obrol-contract"};
    asio::io_context m_io;
    std::unique_ptr<engine::Archive> m_archive;
    std::unique_ptr<net::chat::Store> m_store;
    std::unique_ptr<net::chat::Core> m_core;
    std::uint64_t m_nextId = 1;
    std::vector<std::string> m_left;
};

Reply ToReply(const net::chat::Outcome& outcome)
{
    Reply r;
    r.ok = outcome.ok;
    r.code = outcome.code;
    r.error = outcome.error;
    return r;
}

Reply FakeUser::Say(const net::Target& to, const std::string& text, std::uint64_t clientMsgId, bool resend)
{
    net::Say say;
    say.clientMsgId = clientMsgId ? clientMsgId : m_nextClientId++;
    say.to = to;
    say.text = text;
    say.resend = resend;
    std::optional<Reply> reply;
    m_world.Core().Say(m_p, say, [&](const net::chat::PostResult& result) {
        Reply r;
        r.ok = result.ok;
        r.code = result.code;
        r.error = result.error;
        r.id = result.chat.id;
        reply = r;
    });
    m_world.RunUntil([&] { return reply.has_value(); });
    REQUIRE(reply);
    return *reply;
}

RoomReply FakeUser::Join(const std::string& room)
{
    std::optional<RoomReply> reply;
    m_world.Core().JoinRoom(m_p, room, [&](const net::chat::Outcome& outcome, const net::RoomInfo& info) {
        RoomReply r;
        r.reply = ToReply(outcome);
        r.state = info;
        reply = r;
    });
    m_world.RunUntil([&] { return reply.has_value(); });
    REQUIRE(reply);
    if (reply->reply.ok)
        if (auto page = Page(net::Target::Room(reply->state.name), 0, 100))
            reply->history = *page;
    return *reply;
}

Reply FakeUser::Part(const std::string& room)
{
    std::optional<Reply> reply;
    m_world.Core().PartRoom(m_p, room, "bye", [&](const net::chat::Outcome& o) { reply = ToReply(o); });
    m_world.RunUntil([&] { return reply.has_value(); });
    REQUIRE(reply);
    return *reply;
}

Reply FakeUser::Topic(const std::string& room, const std::string& topic)
{
    std::optional<Reply> reply;
    m_world.Core().SetTopic(m_p, room, topic, [&](const net::chat::Outcome& o) { reply = ToReply(o); });
    m_world.RunUntil([&] { return reply.has_value(); });
    REQUIRE(reply);
    return *reply;
}

std::vector<net::RoomInfo> FakeUser::Rooms() { return m_world.Core().ListRooms(m_nick); }

std::optional<net::History> FakeUser::Page(const net::Target& conversation, std::uint64_t beforeId, std::uint32_t limit)
{
    if (!m_world.Core().MayUse(m_nick, conversation))
        return std::nullopt; // what the doors answer with NotAMember
    net::HistoryRequest request;
    request.conversation = conversation;
    request.beforeId = beforeId;
    request.limit = limit;
    std::optional<net::History> page;
    m_world.Core().Page(m_nick, request, [&](net::History h) { page = std::move(h); });
    m_world.RunUntil([&] { return page.has_value(); });
    return page;
}

std::vector<net::Chat> FakeUser::Search(const std::string& query)
{
    std::optional<std::vector<net::Chat>> found;
    m_world.Core().Search(m_nick, query, 50, [&](std::vector<net::Chat> chats) { found = std::move(chats); });
    m_world.RunUntil([&] { return found.has_value(); });
    return found.value_or(std::vector<net::Chat>{});
}

bool FakeUser::WaitFor(const std::function<bool(const std::vector<net::Chat>&)>& pred)
{
    return m_world.RunUntil([&] { return pred(m_p.live); });
}

std::optional<net::ByeReason> FakeUser::WaitDismissed()
{
    m_world.RunUntil([&] { return m_p.dismissed.has_value(); });
    if (m_p.dismissed) // the door closes and logs out
        m_world.Core().Logout(m_p, m_p.leaveReason);
    return m_p.dismissed;
}

void FakeUser::Quit()
{
    m_world.Core().Logout(m_p, "quit");
    m_world.Settle();
}

} // namespace

std::unique_ptr<World> MakeFakeWorld(bool archive) { return std::make_unique<FakeWorld>(archive); }

} // namespace obrol::test::contract

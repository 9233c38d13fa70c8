// Integration test harness (see harness.hpp). Test thread only.
#include "harness.hpp"

#include "engine/clock.hpp"
#include "engine/utf8.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#if !defined(_WIN32)
#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace obrol::test {

using Clock = std::chrono::steady_clock;

// [SECTION] TestServer

void TestServer::Drain()
{
    events.Drain([&](net::ServerEvent e) {
        model.Apply(e);
        if (e.kind == net::ServerEvent::Kind::Started)
            port = e.port;
        seen.push_back(std::move(e));
    });
}

bool TestServer::HasJoined(const std::string& nick) const
{
    return std::any_of(seen.begin(), seen.end(), [&](const net::ServerEvent& e) {
        return e.kind == net::ServerEvent::Kind::ClientJoined && e.nick == nick;
    });
}

const net::ServerEvent* TestServer::LeftEvent(const std::string& nick) const
{
    for (const auto& e : seen)
        if (e.kind == net::ServerEvent::Kind::ClientLeft && e.nick == nick)
            return &e;
    return nullptr;
}

std::size_t TestServer::Count(net::ServerEvent::Kind kind) const
{
    return static_cast<std::size_t>(
        std::count_if(seen.begin(), seen.end(), [&](const net::ServerEvent& e) { return e.kind == kind; }));
}

const ui::ClientRow* TestServer::Row(const std::string& nick) const
{
    for (const auto& row : model.Clients())
        if (row.nick == nick)
            return &row;
    return nullptr;
}

// [SECTION] TestClient

void TestClient::Drain()
{
    events.Drain([&](net::ClientEvent e) {
        // Every Connect() produces exactly one Connecting event first and one Ended event last,
        // with only reconnect attempts (more Connecting events) in between: the n-th Connecting
        // after an Ended starts the n-th connection, whatever the previous one left in the queue.
        if (e.kind == net::ClientEvent::Kind::Connecting && coreEnded)
        {
            coreEnded = false;
            if (++connectingSeen == connectsRequested)
                sessionStart = seen.size();
        }
        if (e.kind == net::ClientEvent::Kind::Ended)
            coreEnded = true;
        model.Apply(e);
        seen.push_back(std::move(e));
    });
}

std::shared_ptr<const engine::Identity> Keyring::For(const std::string& nick)
{
    auto& key = keys[engine::FoldCase(nick)];
    if (!key)
        key = std::make_shared<const engine::Identity>(engine::Identity::Generate());
    return key;
}

void TestClient::Connect(std::uint16_t port, const std::string& nick, net::ConnectionLimits limits,
                         Reconnect reconnect)
{
    if (!identity && !keyring)
        identity = std::make_shared<const engine::Identity>(engine::Identity::Generate());
    net::ClientConfig config;
    config.identity = identity ? identity : keyring->For(nick);
    config.host = "127.0.0.1";
    config.port = port;
    config.nick = nick;
    config.limits = limits;
    config.reconnect = reconnect == Reconnect::Yes;
    config.firstRetry = FirstRetry;
    config.maxRetry = MaxRetry;
    ++connectsRequested;
    client.Connect(std::move(config));
}

std::uint64_t TestClient::Say(const net::Target& to, const std::string& text)
{
    const std::uint64_t id = client.Say(to, text);
    model.AddOwn(to, text, id, engine::NowMs());
    return id;
}

std::uint64_t TestClient::Say(const std::string& to, const std::string& text)
{
    return Say(ui::ClientModel::TargetOf(to), text);
}

bool TestClient::InSession() const
{
    return connectsRequested > 0 && connectingSeen == connectsRequested;
}

const net::ClientEvent* TestClient::Ended() const
{
    if (!InSession())
        return nullptr;
    for (std::size_t i = sessionStart; i < seen.size(); ++i)
        if (seen[i].kind == net::ClientEvent::Kind::Ended)
            return &seen[i];
    return nullptr;
}

std::vector<net::Chat> TestClient::Chats(std::optional<net::ChatKind> kind) const
{
    std::vector<net::Chat> chats;
    if (!InSession())
        return chats;
    for (std::size_t i = sessionStart; i < seen.size(); ++i)
        if (seen[i].kind == net::ClientEvent::Kind::Chat && (!kind || seen[i].chat.kind == *kind))
            chats.push_back(seen[i].chat);
    return chats;
}

std::vector<net::ClientEvent> TestClient::EventsOf(net::ClientEvent::Kind kind) const
{
    std::vector<net::ClientEvent> out;
    if (!InSession())
        return out;
    for (std::size_t i = sessionStart; i < seen.size(); ++i)
        if (seen[i].kind == kind)
            out.push_back(seen[i]);
    return out;
}

const ui::Line* TestClient::OwnLine(std::uint64_t clientMsgId)
{
    for (const auto& conversation : model.Conversations())
        for (const auto& line : conversation->lines)
            if (line.own && line.clientMsgId == clientMsgId)
                return &line;
    return nullptr;
}

std::vector<ui::Line> TestClient::EveryoneLines(ui::LineKind kind)
{
    std::vector<ui::Line> out;
    for (const auto& line : model.Everyone().lines)
        if (line.kind == kind)
            out.push_back(line);
    return out;
}

std::vector<ui::Line> TestClient::LinesOf(const std::string& key, ui::LineKind kind)
{
    std::vector<ui::Line> out;
    if (const ui::Conversation* c = model.Find(key))
        for (const auto& line : c->lines)
            if (line.kind == kind)
                out.push_back(line);
    return out;
}

// [SECTION] Harness

Harness::~Harness()
{
    // Clients first (each destructor says Bye and joins its thread), then the server.
    for (auto& c : m_clients)
        c->client.Disconnect();
    m_clients.clear();
    m_server.reset();
}

TestServer& Harness::StartServer(net::ServerConfig config)
{
    TryStartServer(std::move(config));
    REQUIRE_MESSAGE(m_server->Count(net::ServerEvent::Kind::Started) == 1, Describe());
    REQUIRE(m_server->port != 0);
    return *m_server;
}

TestServer& Harness::TryStartServer(net::ServerConfig config)
{
    REQUIRE_MESSAGE(!m_server, "one server per harness");
    config.bind = "127.0.0.1";
    config.port = 0;
    m_config = config;
    m_server = std::make_unique<TestServer>(m_waker);
    m_server->server.Start(config);
    WaitUntil([&] { return m_server->Count(net::ServerEvent::Kind::Started) > 0 ||
                           m_server->Count(net::ServerEvent::Kind::StartFailed) > 0; },
              "the server to start");
    return *m_server;
}

void Harness::StopServer()
{
    REQUIRE(m_server);
    const std::size_t stopped = m_server->Count(net::ServerEvent::Kind::Stopped);
    m_server->model.StopRequested();
    m_server->server.Stop();
    WaitUntil([&] { return m_server->Count(net::ServerEvent::Kind::Stopped) > stopped; }, "the server to stop");
    CHECK_FALSE(m_server->server.Running());
}

void Harness::RestartServer()
{
    REQUIRE(m_server);
    net::ServerConfig config = m_config;
    config.port = m_server->port;
    const std::size_t started = m_server->Count(net::ServerEvent::Kind::Started);
    const std::size_t failed = m_server->Count(net::ServerEvent::Kind::StartFailed);
    m_server->model.StartRequested(config.bind, config.port);
    m_server->server.Start(config);
    WaitUntil([&] { return m_server->Count(net::ServerEvent::Kind::Started) > started ||
                           m_server->Count(net::ServerEvent::Kind::StartFailed) > failed; },
              "the server to start again");
}

TestClient& Harness::AddClient(const std::string& label)
{
    m_clients.push_back(std::make_unique<TestClient>(m_waker, label));
    m_clients.back()->keyring = &m_keyring;
    return *m_clients.back();
}

TestClient& Harness::Join(const std::string& nick, net::ConnectionLimits limits, Reconnect reconnect)
{
    REQUIRE_MESSAGE(m_server, "start the server before joining");
    TestClient& c = AddClient(nick);
    c.Connect(m_server->port, nick, limits, reconnect);
    WaitUntil([&] { return c.Connected() || c.Ended(); }, nick + " to join");
    REQUIRE_MESSAGE(c.Connected(), nick << " could not join: " << c.model.StateText());
    // The server reports the join after sending the Welcome; wait for it too, so the server
    // model and later assertions see a settled state.
    WaitUntil([&] { return m_server->HasJoined(nick); }, "the server to report " + nick + " joined");
    // ...and for everyone already connected to see the newcomer, so no Join arrives later
    // in the middle of what the test is looking at.
    WaitUntil(
        [&] {
            return std::all_of(m_clients.begin(), m_clients.end(), [&](const std::unique_ptr<TestClient>& other) {
                const auto& users = other->model.Users();
                return !other->Connected() || std::find(users.begin(), users.end(), nick) != users.end();
            });
        },
        "everyone to see " + nick + " join");
    return c;
}

void Harness::Pump()
{
    if (m_server)
        m_server->Drain();
    for (auto& c : m_clients)
        c->Drain();
}

bool Harness::WaitFor(const std::function<bool()>& done, Duration timeout)
{
    const auto deadline = Clock::now() + timeout;
    for (;;)
    {
        Pump();
        if (done())
            return true;
        const auto now = Clock::now();
        if (now >= deadline)
            return false;
        // A Push() between Pump() and here leaves the waker signalled: no lost wake-ups. The
        // cap re-checks predicates that do not come from events (e.g. Server::Running()).
        m_waker.WaitFor(std::min<Clock::duration>(deadline - now, 100ms));
    }
}

void Harness::WaitUntil(const std::function<bool()>& done, const std::string& what, Duration timeout)
{
    if (!WaitFor(done, timeout))
        FAIL("timed out after " << timeout.count() << " ms waiting for " << what << "\n" << Describe());
}

bool Harness::PumpFor(Duration period, const std::function<bool()>& broken)
{
    return WaitFor(broken ? broken : [] { return false; }, period);
}

std::string Harness::Describe() const
{
    std::ostringstream out;
    if (m_server)
    {
        const auto& m = m_server->model;
        out << "server: " << m.StateText() << ", " << m.Clients().size() << " client row(s)";
        for (const auto& row : m.Clients())
            out << " [" << row.nick << " #" << row.sessionId << " " << row.messages << " msg]";
        out << "\n";
        const auto& log = m.Log();
        const std::size_t from = log.size() > 12 ? log.size() - 12 : 0;
        for (std::size_t i = from; i < log.size(); ++i)
            out << "  log: " << log[i].text.substr(0, 160) << "\n";
    }
    for (const auto& c : m_clients)
    {
        out << "client " << c->label << ": " << c->model.StateText() << ", users {";
        for (const auto& u : c->model.Users())
            out << " " << u;
        out << " }, " << c->seen.size() << " event(s)";
        if (!c->seen.empty())
        {
            const auto& e = c->seen.back();
            out << ", last kind " << static_cast<int>(e.kind) << " \"" << e.text.substr(0, 80) << "\"";
        }
        out << "\n";
    }
    return out.str();
}


// [SECTION] Data folders and server processes

std::vector<engine::StoredMessage> ReadArchive(const std::filesystem::path& dataDir)
{
    std::vector<engine::StoredMessage> all;
    {
        engine::Archive archive(engine::ArchiveConfig{dataDir});
        archive.Read([&](engine::ArchiveReader& reader) { all = reader.Since("", 0, 1000000); });
    } // the destructor runs the read before it returns
    return all;
}

ServerProcess::ServerProcess(std::filesystem::path binary, std::uint16_t port, std::filesystem::path dataDir)
    : m_binary(std::move(binary)), m_port(port), m_dataDir(std::move(dataDir))
{
}

ServerProcess::~ServerProcess()
{
    if (Running())
        Kill();
}

#if !defined(_WIN32)

void ServerProcess::Start(std::filesystem::path logFile)
{
    REQUIRE_MESSAGE(!Running(), "the server process is already running");
    m_logFile = std::move(logFile);
    const std::vector<std::string> args{m_binary.string(), "--server", "--headless", "--port", std::to_string(m_port),
                                        "--data", m_dataDir.string(), "--bind", "127.0.0.1"};
    std::vector<char*> argv;
    for (const auto& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const std::string log = m_logFile.string();
    // Between fork and exec only async-signal-safe calls: this process has other threads.
    const pid_t pid = fork();
    REQUIRE_MESSAGE(pid >= 0, "fork failed");
    if (pid == 0)
    {
        const int in = open("/dev/null", O_RDONLY);
        const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(126);
        // no inherited sockets: a client's socket held open by the server would never close
        close_range(3, ~0u, 0);
        execv(argv[0], argv.data());
        _exit(127);
    }
    m_pid = pid;
}

void ServerProcess::Kill()
{
    REQUIRE(Running());
    kill(m_pid, SIGKILL);
    int status = 0;
    waitpid(m_pid, &status, 0);
    m_pid = 0;
}

int ServerProcess::Terminate(Duration timeout)
{
    REQUIRE(Running());
    kill(m_pid, SIGTERM);
    const auto deadline = Clock::now() + timeout;
    int status = 0;
    for (;;)
    {
        const pid_t done = waitpid(m_pid, &status, WNOHANG);
        if (done == m_pid)
            break;
        if (done < 0 || Clock::now() >= deadline)
        {
            Kill();
            return -1;
        }
        // no event to wait on for a child's exit; poll its status briefly
        std::this_thread::sleep_for(10ms);
    }
    m_pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#else

void ServerProcess::Start(std::filesystem::path) { FAIL("ServerProcess needs POSIX"); }
void ServerProcess::Kill() {}
int ServerProcess::Terminate(Duration) { return -1; }

#endif

bool ServerProcess::Listening() const
{
    return Contains(Log(), "Join from this machine");
}

std::string ServerProcess::Log() const
{
    std::ifstream in(m_logFile, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// [SECTION] Small helpers

std::uint16_t ClosedPort()
{
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
    const std::uint16_t port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
}

bool Contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

std::string Describe(const net::Message& message)
{
    struct Visitor
    {
        std::string operator()(const net::Hello& m) const { return "Hello(" + m.nick + ")"; }
        std::string operator()(const net::Challenge& m) const { return "Challenge(v" + std::to_string(m.version) + ")"; }
        std::string operator()(const net::Proof&) const { return "Proof"; }
        std::string operator()(const net::Welcome& m) const { return "Welcome(" + m.nick + ")"; }
        std::string operator()(const net::Refuse& m) const
        {
            return "Refuse(" + std::to_string(static_cast<int>(m.code)) + ", " + m.reason + ")";
        }
        std::string operator()(const net::Say& m) const { return "Say(" + Where(m.to) + " " + m.text.substr(0, 40) + ")"; }
        std::string operator()(const net::Chat& m) const
        {
            return "Chat(" + std::string(net::ChatKindName(m.kind)) + " " + Where(m.to) + " " + m.from + ": " +
                   m.text.substr(0, 40) + ")";
        }
        std::string operator()(const net::Ack& m) const { return "Ack(" + std::to_string(m.id) + ")"; }
        std::string operator()(const net::Error& m) const
        {
            return "Error(" + std::to_string(static_cast<int>(m.code)) + ", " + m.text + ")";
        }
        std::string operator()(const net::Ping&) const { return "Ping"; }
        std::string operator()(const net::Pong&) const { return "Pong"; }
        std::string operator()(const net::Bye& m) const { return "Bye(" + m.text + ")"; }
        std::string operator()(const net::Resume& m) const { return "Resume(" + std::to_string(m.lastSeenId) + ")"; }
        std::string operator()(const net::History& m) const { return "History(" + std::to_string(m.chats.size()) + ")"; }
        std::string operator()(const net::HistoryRequest& m) const { return "HistoryRequest(" + Where(m.conversation) + ")"; }
        std::string operator()(const net::SearchRequest& m) const { return "SearchRequest(" + m.query + ")"; }
        std::string operator()(const net::SearchResults& m) const { return "SearchResults(" + std::to_string(m.chats.size()) + ")"; }
        std::string operator()(const net::FileOffer& m) const { return "FileOffer(" + m.name + ")"; }
        std::string operator()(const net::FileAccept& m) const { return "FileAccept(" + std::to_string(m.offset) + ")"; }
        std::string operator()(const net::FileChunk& m) const
        {
            return "FileChunk(" + std::to_string(m.offset) + "+" + std::to_string(m.bytes.size()) + ")";
        }
        std::string operator()(const net::FileProgress& m) const { return "FileProgress(" + std::to_string(m.received) + ")"; }
        std::string operator()(const net::FileEnd& m) const { return "FileEnd(" + std::to_string(m.id) + ")"; }
        std::string operator()(const net::FileAbort& m) const { return "FileAbort(" + m.reason + ")"; }
        std::string operator()(const net::FileGet& m) const { return "FileGet(" + std::to_string(m.id) + ")"; }
        std::string operator()(const net::ThumbGet& m) const { return "ThumbGet(" + std::to_string(m.id) + ")"; }
        std::string operator()(const net::Thumb& m) const { return "Thumb(" + std::to_string(m.png.size()) + ")"; }
        std::string operator()(const net::RoomJoin& m) const { return "RoomJoin(#" + m.room + ")"; }
        std::string operator()(const net::RoomPart& m) const { return "RoomPart(#" + m.room + ")"; }
        std::string operator()(const net::RoomTopic& m) const { return "RoomTopic(#" + m.room + ", " + m.topic + ")"; }
        std::string operator()(const net::RoomState& m) const
        {
            return "RoomState(#" + m.room.name + ", " + std::to_string(m.room.members.size()) + " members)";
        }
        std::string operator()(const net::RoomListRequest&) const { return "RoomListRequest"; }
        std::string operator()(const net::RoomList& m) const { return "RoomList(" + std::to_string(m.rooms.size()) + ")"; }

        static std::string Where(const net::Target& t) { return (t.IsRoom() ? "#" : "@") + t.name; }
    };
    return std::visit(Visitor{}, message);
}

void SayAndWait(Harness& h, TestClient& from, std::vector<TestClient*> others, const std::string& text)
{
    from.Say(net::Target::Everyone(), text);
    h.WaitUntil(
        [&] {
            return std::all_of(others.begin(), others.end(), [&](TestClient* c) {
                const auto chats = c->Chats(net::ChatKind::Public);
                return std::any_of(chats.begin(), chats.end(), [&](const net::Chat& chat) { return chat.text == text; });
            });
        },
        "everyone to receive \"" + text + "\"");
}

} // namespace obrol::test

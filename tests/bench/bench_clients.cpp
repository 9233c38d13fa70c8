// Benchmark (prints figures; not a timed test): how many clients one server holds, how fast
// they join, and how long one message takes to fan out to all of them.
//   obrol_bench_clients [clients=1000] [messages=200] [archive=0]  (1: the server keeps an archive in a temp folder)
// The server runs in this process on its own thread, as in the app; the clients are raw
// protocol connections sharing one io_context (one thread), so the machine's thread count
// does not limit the client count.
#include "engine/clock.hpp"
#include "engine/identity.hpp"
#include "engine/system.hpp"
#include "net/protocol.hpp"
#include "net/server.hpp"

#include <asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace obrol;
using Clock = std::chrono::steady_clock;

namespace {

struct BenchClient
{
    BenchClient(asio::io_context& io, std::string nick) : socket(io), nick(std::move(nick)) {}
    asio::ip::tcp::socket socket;
    std::string nick;
    engine::Identity identity = engine::Identity::Generate();
    net::FrameReader reader;
    std::array<std::uint8_t, 16384> buffer{};
    bool joined = false;
    std::size_t chats = 0;
    std::vector<bool> present; // by client number: Welcome.users, then live Joins applied (bits: tiny next to the sockets)
    Clock::time_point lastChat;
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

} // namespace

int main(int argc, char** argv)
{
    const std::size_t clients = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000;
    const std::size_t messages = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 200;
    const std::size_t fdLimit = engine::RaiseOpenFileLimit();
    if (fdLimit && fdLimit < clients * 2 + 64)
        std::printf("warning: open-file limit %zu is low for %zu clients (two sockets each in this process)\n", fdLimit, clients);

    engine::EventQueue<net::ServerEvent> events;
    net::Server server(events);
    net::ServerConfig config;
    config.bind = "127.0.0.1";
    config.port = 0;
    config.maxClients = clients + 1;
    const bool archive = argc > 3 && std::strtoul(argv[3], nullptr, 10) != 0;
    const auto dataDir = std::filesystem::temp_directory_path() / ("obrol-bench-clients-" + std::to_string(engine::NowMs()));
    if (archive)
        config.dataDir = dataDir;
    struct RemoveDir
    {
        std::filesystem::path path;
        ~RemoveDir()
        {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    } removeDir{archive ? dataDir : std::filesystem::path()};
    server.Start(config);
    std::uint16_t port = 0;
    const auto waitStart = Clock::now() + std::chrono::seconds(10);
    while (!port && Clock::now() < waitStart)
    {
        events.Drain([&](net::ServerEvent e) {
            if (e.kind == net::ServerEvent::Kind::Started)
                port = e.port;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!port)
    {
        std::printf("server did not start\n");
        return 1;
    }
    const std::size_t rssBefore = engine::ResidentBytes();

    asio::io_context io;
    std::vector<std::unique_ptr<BenchClient>> all;
    std::size_t joined = 0, failed = 0;
    std::size_t expectedChats = 0;
    std::size_t liveJoins = 0, listedJoins = 0;
    std::size_t done = 0;
    const auto t0 = Clock::now();
    std::function<void(BenchClient*)> read = [&](BenchClient* c) {
        c->socket.async_read_some(asio::buffer(c->buffer), [&, c](asio::error_code ec, std::size_t n) {
            if (ec)
                return;
            c->reader.Feed(std::span<const std::uint8_t>(c->buffer.data(), n));
            net::Message m;
            while (c->reader.Next(m))
            {
                if (auto* challenge = std::get_if<net::Challenge>(&m))
                {
                    const auto proof = net::ProofMessage(challenge->nonce, c->identity.Public(), c->nick);
                    auto frame = net::EncodeShared(net::Proof{c->identity.Sign(proof)});
                    asio::async_write(c->socket, asio::buffer(*frame), [frame](asio::error_code, std::size_t) {});
                }
                else if (auto* welcome = std::get_if<net::Welcome>(&m))
                {
                    c->joined = true;
                    ++joined;
                    c->present.assign(clients, false);
                    for (const auto& nick : welcome->users)
                        c->present[std::strtoul(nick.c_str() + 1, nullptr, 10)] = true;
                }
                else if (auto* chat = std::get_if<net::Chat>(&m); chat && chat->kind == net::ChatKind::Join)
                {
                    ++liveJoins;
                    const std::size_t who = std::strtoul(chat->from.c_str() + 1, nullptr, 10);
                    if (who < c->present.size() && c->present[who])
                        ++listedJoins; // a Join for someone its Welcome already listed
                    else if (who < c->present.size())
                        c->present[who] = true;
                }
                else if (std::holds_alternative<net::Chat>(m) && std::get<net::Chat>(m).kind == net::ChatKind::Public)
                {
                    c->lastChat = Clock::now();
                    if (++c->chats == expectedChats)
                        ++done;
                }
                else if (auto* ping = std::get_if<net::Ping>(&m))
                {
                    auto frame = net::EncodeShared(net::Pong{ping->token});
                    asio::async_write(c->socket, asio::buffer(*frame), [frame](asio::error_code, std::size_t) {});
                }
                else if (std::holds_alternative<net::Refuse>(m))
                    ++failed;
            }
            read(c);
        });
    };
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    for (std::size_t i = 0; i < clients; ++i)
    {
        all.push_back(std::make_unique<BenchClient>(io, "c" + std::to_string(i)));
        BenchClient* c = all.back().get();
        c->socket.async_connect(endpoint, [&, c](asio::error_code ec) {
            if (ec)
            {
                ++failed;
                return;
            }
            net::Hello hello;
            hello.nick = c->nick;
            hello.software = "bench";
            hello.publicKey = c->identity.Public();
            auto frame = net::EncodeShared(hello);
            asio::async_write(c->socket, asio::buffer(*frame), [frame](asio::error_code, std::size_t) {});
            read(c);
        });
    }
    const auto runUntil = [&](auto predicate, std::chrono::seconds limit) {
        const auto deadline = Clock::now() + limit;
        while (!predicate() && Clock::now() < deadline)
            io.run_for(std::chrono::milliseconds(20));
        return predicate();
    };
    runUntil([&] { return joined + failed >= clients; }, std::chrono::seconds(120));
    const auto joinTime = Clock::now() - t0;
    std::printf("clients joined: %zu of %zu (%zu failed) in %.0f ms\n", joined, clients, failed, Ms(joinTime));
    std::printf("presence: %zu live Joins, %zu of them for someone the receiver's Welcome already listed\n", liveJoins,
                listedJoins);
    const std::size_t rssAfter = engine::ResidentBytes();
    if (rssAfter > rssBefore && joined)
        std::printf("memory: %.1f KiB per connected client (server and bench client sockets in one process)\n",
                    static_cast<double>(rssAfter - rssBefore) / 1024.0 / static_cast<double>(joined));

    // Fan-out: client 0 sends `messages` public messages; every other client receives each.
    expectedChats = messages;
    BenchClient* sender = all.front().get();
    const auto t1 = Clock::now();
    for (std::size_t k = 0; k < messages; ++k)
    {
        auto frame = net::EncodeShared(net::Say{k + 1, net::Target::Everyone(), "benchmark message " + std::to_string(k)});
        asio::async_write(sender->socket, asio::buffer(*frame), [frame](asio::error_code, std::size_t) {});
    }
    const std::size_t receivers = joined > 0 ? joined - 1 : 0;
    runUntil([&] { return done >= receivers; }, std::chrono::seconds(120));
    const auto fanTime = Clock::now() - t1;
    const double deliveries = static_cast<double>(done) * static_cast<double>(messages);
    std::printf("fan-out: %zu messages to %zu receivers: %zu receivers got all, %.0f ms, %.0f deliveries/s\n", messages,
                receivers, done, Ms(fanTime), deliveries / std::max(1e-9, std::chrono::duration<double>(fanTime).count()));
    std::vector<double> last;
    for (auto& c : all)
        if (c.get() != sender && c->chats == messages)
            last.push_back(Ms(c->lastChat - t1));
    std::sort(last.begin(), last.end());
    if (!last.empty())
        std::printf("time until a receiver had all messages: p50 %.1f ms, p99 %.1f ms\n", last[last.size() / 2],
                    last[std::min(last.size() - 1, last.size() * 99 / 100)]);
    for (auto& c : all)
    {
        asio::error_code ec;
        c->socket.close(ec);
    }
    server.Stop();
    return joined == clients && done == receivers ? 0 : 1;
}

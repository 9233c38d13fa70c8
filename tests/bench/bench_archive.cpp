// Benchmark (prints figures; not a timed test): what the durable archive costs. The same load
// runs twice in one process, first without an archive (ServerConfig.dataDir empty), then with
// one in a fresh temporary folder (removed afterwards):
//   obrol_bench_archive [receivers=20] [senders=4] [messages=5000] [window=256]
// Every sender sends `messages` public messages as fast as its socket allows, with at most
// `window` of them unacknowledged (so the figures describe a steady state, not one burst), and
// the receivers only read. Measured: Acks per second (messages accepted), public Chat frames per
// second arriving at the receivers (deliveries), and the Say -> Ack latency.
// As in bench_clients, the server runs on its own thread in this process and the clients are
// raw protocol connections sharing one io_context (one thread).
// Exit status 1 only when a message is lost (no Ack, an Error, or a client missing a message
// or seeing one out of order); never because of speed.
#include "engine/clock.hpp"
#include "engine/identity.hpp"
#include "engine/system.hpp"
#include "net/protocol.hpp"
#include "net/server.hpp"

#include <asio.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace obrol;
using Clock = std::chrono::steady_clock;

namespace {

struct Options
{
    std::size_t receivers = 20;
    std::size_t senders = 4;
    std::size_t messages = 5000; // per sender
    std::size_t window = 256;    // most unacknowledged Says per sender
};

// Latencies in a fixed number of logarithmic buckets (2% wide from 1 us): memory does not grow
// with the number of messages.
class LatencyHistogram
{
public:
    void Add(Clock::duration d)
    {
        const double us = std::chrono::duration<double, std::micro>(d).count();
        std::size_t bucket = 0;
        if (us > 1.0)
            bucket = std::min(m_counts.size() - 1, static_cast<std::size_t>(std::log(us) / std::log(Step)));
        ++m_counts[bucket];
        ++m_total;
    }

    // Upper edge of the bucket holding the p-quantile, in milliseconds (0 when empty).
    double PercentileMs(double p) const
    {
        if (m_total == 0)
            return 0.0;
        const auto target = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(m_total)));
        std::uint64_t seen = 0;
        for (std::size_t b = 0; b < m_counts.size(); ++b)
        {
            seen += m_counts[b];
            if (seen >= std::max<std::uint64_t>(target, 1))
                return std::pow(Step, static_cast<double>(b + 1)) / 1000.0;
        }
        return std::pow(Step, static_cast<double>(m_counts.size())) / 1000.0;
    }

private:
    static constexpr double Step = 1.02;
    std::vector<std::uint64_t> m_counts = std::vector<std::uint64_t>(1000); // up to ~400 s
    std::uint64_t m_total = 0;
};

struct BenchClient
{
    explicit BenchClient(asio::io_context& io) : socket(io) {}
    asio::ip::tcp::socket socket;
    net::FrameReader reader;
    std::array<std::uint8_t, 64 * 1024> buffer{};
    std::vector<std::uint8_t> pending; // encoded frames waiting for the current write
    std::vector<std::uint8_t> writing; // the frames of the write in progress
    bool busy = false;
    bool joined = false;
    std::string nick;
    engine::Identity identity = engine::Identity::Generate();
    int senderIndex = -1; // -1: a receiver

    // sender
    std::uint64_t sent = 0;
    std::uint64_t acked = 0;
    std::uint64_t lastAckId = 0;
    std::vector<Clock::time_point> sentAt; // ring of `window` slots, indexed by clientMsgId

    // every client: public messages seen, per sender the next sequence number expected
    std::uint64_t publicChats = 0;
    std::uint64_t lastChatId = 0;
    std::vector<std::uint64_t> nextFrom;
};

struct Figures
{
    bool ok = false;
    std::string problem;
    double seconds = 0;
    double acksPerSecond = 0;
    double deliveriesPerSecond = 0;
    double p50Ms = 0;
    double p99Ms = 0;
    std::uint64_t acks = 0;
    std::uint64_t deliveries = 0; // public Chats at the receivers
    std::uint64_t archiveBytes = 0;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::uint64_t FolderBytes(const std::filesystem::path& dir)
{
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.is_regular_file(ec))
            total += entry.file_size(ec);
    return total;
}

class Run
{
public:
    Run(const Options& options, std::filesystem::path dataDir) : m_options(options), m_dataDir(std::move(dataDir)) {}

    Figures Execute()
    {
        Figures figures;
        {
            net::Server server(m_events);
            net::ServerConfig config;
            config.bind = "127.0.0.1";
            config.port = 0;
            config.maxClients = m_options.receivers + m_options.senders + 8;
            config.dataDir = m_dataDir;
            server.Start(config);
            const auto startDeadline = Clock::now() + std::chrono::seconds(10);
            while (!m_port && !m_startFailed && Clock::now() < startDeadline)
            {
                DrainEvents();
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            if (!m_port)
            {
                figures.problem = "the server did not start" + (m_startWhy.empty() ? std::string() : ": " + m_startWhy);
                return figures;
            }
            Measure(figures);
            for (auto& c : m_clients)
            {
                asio::error_code ec;
                c->socket.close(ec);
            }
            m_io.run_for(std::chrono::milliseconds(50)); // let the cancelled handlers finish
            server.Stop("benchmark finished");
            const auto stopDeadline = Clock::now() + std::chrono::seconds(30);
            while (!m_stopped && Clock::now() < stopDeadline)
            {
                DrainEvents();
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        } // the server (and its archive) are gone: every record is on disk
        if (!m_dataDir.empty())
            figures.archiveBytes = FolderBytes(m_dataDir);
        return figures;
    }

private:
    void Measure(Figures& figures)
    {
        const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), m_port);
        const std::size_t total = m_options.receivers + m_options.senders;
        for (std::size_t i = 0; i < total; ++i)
        {
            auto client = std::make_unique<BenchClient>(m_io);
            BenchClient* c = client.get();
            const bool sender = i >= m_options.receivers;
            c->senderIndex = sender ? static_cast<int>(i - m_options.receivers) : -1;
            c->nick = sender ? "s" + std::to_string(c->senderIndex) : "r" + std::to_string(i);
            c->nextFrom.assign(m_options.senders, 1);
            if (sender)
                c->sentAt.resize(m_options.window);
            m_clients.push_back(std::move(client));
            c->socket.async_connect(endpoint, [this, c](asio::error_code ec) {
                if (ec)
                    return Problem(c->nick + ": cannot connect: " + ec.message());
                asio::error_code ignored;
                c->socket.set_option(asio::ip::tcp::no_delay(true), ignored);
                Queue(c, net::Hello{net::ProtocolVersion, c->nick, "obrol bench", net::MinProtocolVersion,
                                    c->identity.Public()});
                Flush(c);
                Read(c);
            });
        }
        RunUntil([&] { return m_joined == total; }, std::chrono::seconds(30));
        if (m_joined != total)
        {
            Problem(std::to_string(m_joined) + " of " + std::to_string(total) + " clients joined");
            figures.problem = m_problem;
            return;
        }

        const std::uint64_t perSender = m_options.messages;
        const std::uint64_t allMessages = perSender * m_options.senders;
        // each message reaches every receiver and every other sender
        const std::uint64_t expectedReceived =
            allMessages * m_options.receivers + perSender * m_options.senders * (m_options.senders - 1);
        m_start = Clock::now();
        m_lastAck = m_lastDelivery = m_start;
        for (auto& c : m_clients)
            if (c->senderIndex >= 0)
            {
                while (c->sent < perSender && c->sent - c->acked < m_options.window)
                    SendNext(c.get());
                Flush(c.get());
            }
        // No time limit as such: give up only when nothing moves for 20 seconds.
        std::uint64_t lastProgress = 0;
        auto lastProgressAt = Clock::now();
        while (m_problem.empty() && (m_acks < allMessages || m_received < expectedReceived))
        {
            m_io.run_for(std::chrono::milliseconds(10));
            DrainEvents();
            const std::uint64_t progress = m_acks + m_received;
            if (progress != lastProgress)
            {
                lastProgress = progress;
                lastProgressAt = Clock::now();
            }
            else if (Clock::now() - lastProgressAt > std::chrono::seconds(20))
                Problem("no progress for 20 s: " + std::to_string(m_acks) + " of " + std::to_string(allMessages) +
                        " acknowledged, " + std::to_string(m_received) + " of " + std::to_string(expectedReceived) +
                        " public messages received");
        }
        const auto end = std::max(m_lastAck, m_lastDelivery);
        figures.seconds = Seconds(end - m_start);
        figures.acks = m_acks;
        figures.deliveries = m_deliveries;
        figures.acksPerSecond = static_cast<double>(m_acks) / std::max(1e-9, Seconds(m_lastAck - m_start));
        figures.deliveriesPerSecond = static_cast<double>(m_deliveries) / std::max(1e-9, Seconds(m_lastDelivery - m_start));
        figures.p50Ms = m_latency.PercentileMs(0.50);
        figures.p99Ms = m_latency.PercentileMs(0.99);
        for (auto& c : m_clients)
        {
            if (c->senderIndex >= 0 && c->acked != perSender)
                Problem(c->nick + ": " + std::to_string(c->acked) + " of " + std::to_string(perSender) + " acknowledged");
            const std::uint64_t want = c->senderIndex >= 0 ? perSender * (m_options.senders - 1) : allMessages;
            if (c->publicChats != want)
                Problem(c->nick + ": received " + std::to_string(c->publicChats) + " of " + std::to_string(want) + " messages");
        }
        figures.problem = m_problem;
        figures.ok = m_problem.empty();
    }

    void SendNext(BenchClient* c)
    {
        const std::uint64_t seq = ++c->sent;
        c->sentAt[seq % m_options.window] = Clock::now();
        // the sequence number leads the text: receivers check every message arrives, in order
        Queue(c, net::Say{seq, net::Target::Everyone(), std::to_string(seq) + " benchmark message of about the length of a chat line", false});
    }

    void Queue(BenchClient* c, const net::Message& message)
    {
        const auto bytes = net::Encode(message);
        c->pending.insert(c->pending.end(), bytes.begin(), bytes.end());
    }

    // One write at a time; whatever was queued meanwhile goes out together in the next one.
    void Flush(BenchClient* c)
    {
        if (c->busy || c->pending.empty())
            return;
        std::swap(c->pending, c->writing);
        c->pending.clear();
        c->busy = true;
        asio::async_write(c->socket, asio::buffer(c->writing), [this, c](asio::error_code ec, std::size_t) {
            c->busy = false;
            c->writing.clear();
            if (!ec)
                Flush(c);
        });
    }

    void Read(BenchClient* c)
    {
        c->socket.async_read_some(asio::buffer(c->buffer), [this, c](asio::error_code ec, std::size_t n) {
            if (ec)
                return;
            c->reader.Feed(std::span<const std::uint8_t>(c->buffer.data(), n));
            net::Message m;
            while (c->reader.Next(m))
                OnMessage(c, m);
            if (c->reader.Error() != net::DecodeError::None)
                return Problem(c->nick + ": malformed frame from the server: " + net::DecodeErrorName(c->reader.Error()));
            Flush(c);
            Read(c);
        });
    }

    void OnMessage(BenchClient* c, net::Message& m)
    {
        if (auto* chat = std::get_if<net::Chat>(&m))
        {
            // live delivery is in id order, whatever the kind
            if (chat->id <= c->lastChatId)
                Problem(c->nick + ": Chat id " + std::to_string(chat->id) + " after " + std::to_string(c->lastChatId));
            c->lastChatId = chat->id;
            if (chat->kind != net::ChatKind::Public)
                return;
            const std::size_t from = chat->from.size() > 1 && chat->from[0] == 's'
                                         ? std::strtoul(chat->from.c_str() + 1, nullptr, 10)
                                         : m_options.senders;
            const std::uint64_t seq = std::strtoull(chat->text.c_str(), nullptr, 10);
            if (from >= m_options.senders || static_cast<int>(from) == c->senderIndex)
                return Problem(c->nick + ": unexpected public message from \"" + chat->from + "\"");
            if (seq != c->nextFrom[from])
                Problem(c->nick + ": message " + std::to_string(seq) + " from " + chat->from + " where " +
                        std::to_string(c->nextFrom[from]) + " was due");
            c->nextFrom[from] = seq + 1;
            ++c->publicChats;
            ++m_received;
            if (c->senderIndex < 0)
            {
                ++m_deliveries;
                m_lastDelivery = Clock::now();
            }
        }
        else if (auto* ack = std::get_if<net::Ack>(&m))
        {
            if (c->senderIndex < 0 || ack->clientMsgId != c->acked + 1 || ack->id <= c->lastAckId)
                return Problem(c->nick + ": unexpected Ack for " + std::to_string(ack->clientMsgId) + " (id " +
                               std::to_string(ack->id) + ")");
            const auto now = Clock::now();
            m_latency.Add(now - c->sentAt[ack->clientMsgId % m_options.window]);
            c->acked = ack->clientMsgId;
            c->lastAckId = ack->id;
            ++m_acks;
            m_lastAck = now;
            if (c->sent < m_options.messages)
                SendNext(c); // the window moved by one
        }
        else if (auto* challenge = std::get_if<net::Challenge>(&m))
        {
            Queue(c, net::Proof{c->identity.Sign(net::ProofMessage(challenge->nonce, c->identity.Public(), c->nick))});
        }
        else if (std::holds_alternative<net::Welcome>(m))
        {
            c->joined = true;
            ++m_joined;
        }
        else if (auto* ping = std::get_if<net::Ping>(&m))
            Queue(c, net::Pong{ping->token});
        else if (auto* error = std::get_if<net::Error>(&m))
            Problem(c->nick + ": Error " + std::to_string(static_cast<int>(error->code)) + " for message " +
                    std::to_string(error->clientMsgId) + ": " + error->text);
        else if (auto* refuse = std::get_if<net::Refuse>(&m))
            Problem(c->nick + ": refused: " + refuse->reason);
        else if (auto* bye = std::get_if<net::Bye>(&m))
            Problem(c->nick + ": the server said Bye: " + bye->text);
        // History (after Welcome) carries nothing this benchmark measures
    }

    template <class Predicate> void RunUntil(Predicate done, std::chrono::seconds limit)
    {
        const auto deadline = Clock::now() + limit;
        while (!done() && m_problem.empty() && Clock::now() < deadline)
        {
            m_io.run_for(std::chrono::milliseconds(10));
            DrainEvents();
        }
    }

    // The server reports every message as an event: drain them as the app would (bounded memory).
    void DrainEvents()
    {
        m_events.Drain([&](net::ServerEvent e) {
            switch (e.kind)
            {
            case net::ServerEvent::Kind::Started: m_port = e.port; break;
            case net::ServerEvent::Kind::StartFailed:
                m_startFailed = true;
                m_startWhy = e.text;
                break;
            case net::ServerEvent::Kind::Stopped: m_stopped = true; break;
            case net::ServerEvent::Kind::StorageError: Problem("storage error: " + e.text); break;
            default: break;
            }
        });
    }

    void Problem(const std::string& what)
    {
        if (m_problem.empty())
            m_problem = what;
    }

    Options m_options;
    std::filesystem::path m_dataDir;
    engine::EventQueue<net::ServerEvent> m_events;
    asio::io_context m_io{1};
    std::vector<std::unique_ptr<BenchClient>> m_clients;
    std::uint16_t m_port = 0;
    bool m_startFailed = false;
    bool m_stopped = false;
    std::string m_startWhy;
    std::string m_problem;
    std::size_t m_joined = 0;
    std::uint64_t m_acks = 0;
    std::uint64_t m_received = 0;   // public Chats at every client
    std::uint64_t m_deliveries = 0; // public Chats at the receivers
    Clock::time_point m_start, m_lastAck, m_lastDelivery;
    LatencyHistogram m_latency;
};

std::filesystem::path FreshTempDir()
{
    std::random_device random;
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt)
    {
        auto dir = base / ("obrol-bench-archive-" + std::to_string(random()));
        if (std::filesystem::create_directory(dir))
            return dir;
    }
    throw std::runtime_error("cannot create a temporary folder in " + base.string());
}

std::size_t Arg(int argc, char** argv, int index, std::size_t fallback)
{
    return argc > index ? std::strtoul(argv[index], nullptr, 10) : fallback;
}

std::string Ratio(double on, double off)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", off > 0 ? on / off : 0.0);
    return text;
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    options.receivers = Arg(argc, argv, 1, options.receivers);
    options.senders = std::max<std::size_t>(1, Arg(argc, argv, 2, options.senders));
    options.messages = Arg(argc, argv, 3, options.messages);
    options.window = std::max<std::size_t>(1, Arg(argc, argv, 4, options.window));
    engine::RaiseOpenFileLimit();

    std::printf("archive benchmark: %zu receivers, %zu senders x %zu messages, window %zu per sender\n",
                options.receivers, options.senders, options.messages, options.window);
    std::fflush(stdout);

    const Figures off = Run(options, {}).Execute();
    std::printf("archive OFF: %s\n", off.ok ? "every message acknowledged and delivered" : off.problem.c_str());
    std::fflush(stdout);

    std::filesystem::path dir;
    Figures on;
    try
    {
        dir = FreshTempDir();
        on = Run(options, dir).Execute();
    }
    catch (const std::exception& e)
    {
        on.problem = e.what();
    }
    std::printf("archive ON:  %s\n", on.ok ? "every message acknowledged and delivered" : on.problem.c_str());
    if (!dir.empty())
    {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }

    std::printf("\n%-28s %14s %14s %8s\n", "", "archive OFF", "archive ON", "ON/OFF");
    std::printf("%-28s %14.0f %14.0f %8s\n", "accepted (Acks/s)", off.acksPerSecond, on.acksPerSecond,
                Ratio(on.acksPerSecond, off.acksPerSecond).c_str());
    std::printf("%-28s %14.0f %14.0f %8s\n", "delivered (Chats/s, recv.)", off.deliveriesPerSecond,
                on.deliveriesPerSecond, Ratio(on.deliveriesPerSecond, off.deliveriesPerSecond).c_str());
    std::printf("%-28s %14.2f %14.2f %8s\n", "Say->Ack latency p50 (ms)", off.p50Ms, on.p50Ms, Ratio(on.p50Ms, off.p50Ms).c_str());
    std::printf("%-28s %14.2f %14.2f %8s\n", "Say->Ack latency p99 (ms)", off.p99Ms, on.p99Ms, Ratio(on.p99Ms, off.p99Ms).c_str());
    std::printf("%-28s %14.2f %14.2f %8s\n", "wall time (s)", off.seconds, on.seconds, Ratio(on.seconds, off.seconds).c_str());
    std::printf("%-28s %14llu %14llu\n", "messages acknowledged", static_cast<unsigned long long>(off.acks),
                static_cast<unsigned long long>(on.acks));
    std::printf("%-28s %14llu %14llu\n", "deliveries to receivers", static_cast<unsigned long long>(off.deliveries),
                static_cast<unsigned long long>(on.deliveries));
    if (on.archiveBytes)
        std::printf("archive folder after the run: %.1f MiB (archive.db, its WAL, chat_log.txt)\n",
                    static_cast<double>(on.archiveBytes) / (1024.0 * 1024.0));
    // The archive's Transactions() count lives inside the server (Server::Core): not reachable here.
    std::printf("(latency percentiles: upper edge of a 2%% bucket)\n");

    if (!off.ok || !on.ok)
    {
        std::printf("error: messages were lost (see above)\n");
        return 1;
    }
    return 0;
}

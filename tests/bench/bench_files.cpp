// Benchmark (prints figures; not a timed test): how fast a file goes through Obrol compared
// with what this machine's loopback TCP can carry, and what a running transfer does to chat.
//   obrol_bench_files [MiB=1024] [chat_messages=200] [archive=1]
// (archive=0: the server keeps nothing, ServerConfig.dataDir empty: chat is not fsynced.)
// In one process:
//  1. raw loopback TCP: a plain asio sender writes the same number of bytes (256 KiB writes)
//     to a receiver thread over 127.0.0.1 that reads and discards them (best of 3);
//  2. Obrol end to end: a real net::Server (127.0.0.1, any port, a temporary data folder with
//     the archive on) and real net::Clients, each on its own threads as in the app. Client A
//     sends a generated file of pseudo-random bytes to everyone; as soon as client B sees the
//     file message it downloads it. Obrol is store and forward: the upload finishes (stored,
//     SHA-256 checked, archived, acknowledged) before the download starts, so end to end is
//     upload + download. The saved file is checked against the source (size and SHA-256).
//  3. chat latency: with no transfer running, then during the upload, then during the
//     download, client A (whose connection carries the upload) and client C (an otherwise
//     idle connection) each send `chat_messages` messages to everyone, one every 15 ms (while
//     the phase lasts); measured from Say to the message's arrival at B, and to the Ack at the
//     sender, as the front ends see them (events drained from the clients' queues). Messages
//     sent while a transfer's bytes move are counted apart from those sent while it finishes
//     (fsync of the whole file, SHA-256 check, storing).
// Also measured, to explain the figures: page-cache reads and writes, SHA-256 and the wire
// format alone (CPU time of one core), and the OnDisk thread hop (TaskThread and back).
// On Linux every thread's CPU time, and its time runnable but waiting for a CPU (other load),
// is read from /proc per phase (threads are labelled by the order in which they started).
// Temporary files (the source, the server's copy, the download: 3x the size) live in one
// folder under the system's temp folder, removed at the end; the benchmark refuses to start
// with less than 3x the size + 1 GiB free there (exit status 77: skipped).
// Exit status 1 when a transfer fails, the saved file differs, or a chat message is lost;
// never because of speed.
#include "engine/event_queue.hpp"
#include "engine/file_names.hpp"
#include "engine/task_thread.hpp"
#include "net/client.hpp"
#include "net/protocol.hpp"
#include "net/server.hpp"

#include <asio.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#ifdef __linux__
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#endif

using namespace obrol;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t IoBytes = std::size_t{256} * 1024; // the raw sender's writes; Obrol's chunk size too
constexpr std::uint64_t MiB = std::uint64_t{1} << 20;
constexpr auto ChatPeriod = std::chrono::microseconds(15000); // per sender; the two are offset by half

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double MBps(std::uint64_t bytes, double seconds)
{
    return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0;
}
double MiBps(std::uint64_t bytes, double seconds)
{
    return seconds > 0 ? static_cast<double>(bytes) / static_cast<double>(MiB) / seconds : 0.0;
}

std::string Rate(std::uint64_t bytes, double seconds)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.0f MB/s (%.0f MiB/s)", MBps(bytes, seconds), MiBps(bytes, seconds));
    return text;
}

// [SECTION] Pseudo-random bytes

std::uint64_t SplitMix(std::uint64_t& state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void Fill(std::span<std::uint8_t> out, std::uint64_t& state)
{
    std::size_t i = 0;
    for (; i + 8 <= out.size(); i += 8)
    {
        const std::uint64_t v = SplitMix(state);
        std::memcpy(out.data() + i, &v, 8);
    }
    if (i < out.size())
    {
        const std::uint64_t v = SplitMix(state);
        std::memcpy(out.data() + i, &v, out.size() - i);
    }
}

// [SECTION] CPU time per thread (Linux: /proc/self/task)

double ProcessCpuSeconds()
{
#ifdef __linux__
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto tv = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return tv(usage.ru_utime) + tv(usage.ru_stime);
#else
    return 0.0;
#endif
}

// CPU time of the calling thread (falls back to wall time elsewhere).
double ThreadCpuSeconds()
{
#ifdef __linux__
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
#else
    return Seconds(Clock::now().time_since_epoch());
#endif
}

// Wall and CPU time of one stretch of work on this thread.
struct Timed
{
    double wall = 0;
    double cpu = 0;
};

class Stopwatch
{
public:
    Stopwatch() : m_wall(Clock::now()), m_cpu(ThreadCpuSeconds()) {}
    void AddTo(Timed& t) const
    {
        t.wall += Seconds(Clock::now() - m_wall);
        t.cpu += ThreadCpuSeconds() - m_cpu;
    }

private:
    Clock::time_point m_wall;
    double m_cpu;
};

std::string LoadAverage()
{
#ifdef __linux__
    if (std::FILE* f = std::fopen("/proc/loadavg", "r"))
    {
        double one = 0, five = 0;
        const int got = std::fscanf(f, "%lf %lf", &one, &five);
        std::fclose(f);
        if (got == 2)
        {
            char text[64];
            std::snprintf(text, sizeof text, "%.2f (1 min), %.2f (5 min)", one, five);
            return text;
        }
    }
#endif
    return "unknown";
}

class Threads
{
public:
    struct Snapshot
    {
        Clock::time_point at;
        double process = 0;
        std::map<int, double> threads; // tid -> CPU seconds (user + system)
        std::map<int, double> waits;   // tid -> seconds runnable but waiting for a CPU (schedstat)
    };

    // Names the threads that appeared since the last call, in the order they were created.
    void Label(const std::string& group, std::vector<std::string> names)
    {
        std::vector<int> fresh;
        for (const int tid : List())
            if (!m_labels.count(tid))
                fresh.push_back(tid);
        std::sort(fresh.begin(), fresh.end());
        for (std::size_t i = 0; i < fresh.size(); ++i)
            m_labels[fresh[i]] = group + " " + (i < names.size() ? names[i] : "thread " + std::to_string(i + 1));
    }

    Snapshot Take() const
    {
        Snapshot s;
        s.at = Clock::now();
        s.process = ProcessCpuSeconds();
#ifdef __linux__
        for (const auto& [tid, label] : m_labels)
        {
            if (double run = 0, wait = 0; Schedstat(tid, run, wait))
            {
                s.threads[tid] = run;
                s.waits[tid] = wait;
            }
            else if (const double cpu = CpuSeconds(tid); cpu >= 0)
                s.threads[tid] = cpu;
        }
#endif
        return s;
    }

    void Print(const char* what, const Snapshot& from, const Snapshot& to) const
    {
        const double wall = Seconds(to.at - from.at);
        if (wall <= 0)
            return;
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        const auto delta = [](const std::map<int, double>& later, const std::map<int, double>& earlier, int tid) {
            const auto now = later.find(tid);
            const auto before = earlier.find(tid);
            return now == later.end() ? 0.0 : now->second - (before != earlier.end() ? before->second : 0.0);
        };
        struct Busy
        {
            double cpu, wait;
            std::string label;
        };
        std::vector<Busy> busy;
        double waited = 0;
        for (const auto& [tid, cpu] : to.threads)
        {
            const double used = delta(to.threads, from.threads, tid);
            const double wait = delta(to.waits, from.waits, tid);
            waited += wait;
            if (used / wall >= 0.02 || wait / wall >= 0.02)
                busy.push_back({used / wall, wait / wall, m_labels.at(tid)});
        }
        std::sort(busy.begin(), busy.end(), [](const Busy& x, const Busy& y) { return x.cpu > y.cpu; });
        std::printf("  CPU %s (%.2f s): %.2f of %u cores busy", what, wall, (to.process - from.process) / wall, cores);
        if (!to.waits.empty())
            std::printf("; runnable but waiting for a CPU: %.2f thread-seconds", waited);
        std::printf("\n    thread: %% of the time running [%% runnable, waiting for a CPU]\n   ");
        for (std::size_t i = 0; i < busy.size(); ++i)
        {
            std::printf(" %s %.0f%%", busy[i].label.c_str(), busy[i].cpu * 100.0);
            if (!to.waits.empty())
                std::printf(" [%.0f%%]", busy[i].wait * 100.0);
            std::printf("%s", i + 1 == busy.size() ? "\n" : (i % 4 == 3 ? ",\n   " : ","));
        }
        if (busy.empty())
            std::printf("\n");
    }

private:
    static std::vector<int> List()
    {
        std::vector<int> tids;
#ifdef __linux__
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec))
            tids.push_back(std::atoi(entry.path().filename().c_str()));
#endif
        return tids;
    }

#ifdef __linux__
    // schedstat: nanoseconds running, and runnable but waiting on a run queue (not every kernel has it).
    static bool Schedstat(int tid, double& run, double& wait)
    {
        const std::string path = "/proc/self/task/" + std::to_string(tid) + "/schedstat";
        std::FILE* f = std::fopen(path.c_str(), "r");
        if (!f)
            return false;
        unsigned long long ran = 0, waited = 0;
        const int got = std::fscanf(f, "%llu %llu", &ran, &waited);
        std::fclose(f);
        run = static_cast<double>(ran) / 1e9;
        wait = static_cast<double>(waited) / 1e9;
        return got == 2;
    }

    // From stat: user + system time in clock ticks.
    static double CpuSeconds(int tid)
    {
        const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
        std::FILE* f = std::fopen(path.c_str(), "r");
        if (!f)
            return -1; // the thread has ended
        char line[1024];
        const std::size_t n = std::fread(line, 1, sizeof line - 1, f);
        std::fclose(f);
        line[n] = '\0';
        // "tid (name) state ppid ...": fields after the name; utime and stime are fields 14 and 15
        const char* p = std::strrchr(line, ')');
        if (!p)
            return -1;
        unsigned long long utime = 0, stime = 0;
        if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
            return -1;
        return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
#endif

    std::map<int, std::string> m_labels;
};

// [SECTION] 1. Raw loopback TCP

// Seconds for `bytes` to go from a plain blocking sender to a receiver thread that discards them.
double RawLoopback(std::uint64_t bytes, std::size_t readBytes, std::string& error)
{
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto endpoint = acceptor.local_endpoint();
    std::uint64_t received = 0;
    Clock::time_point last{};
    std::string receiveError;
    std::thread receiver([&] {
        asio::ip::tcp::socket socket(io);
        asio::error_code ec;
        acceptor.accept(socket, ec);
        if (ec)
            return (void)(receiveError = "accept: " + ec.message());
        std::vector<std::uint8_t> buffer(readBytes);
        for (;;)
        {
            const std::size_t n = socket.read_some(asio::buffer(buffer), ec);
            if (ec)
                break;
            received += n;
        }
        last = Clock::now();
        if (ec != asio::error::eof)
            receiveError = "read: " + ec.message();
    });
    asio::ip::tcp::socket socket(io);
    asio::error_code ec;
    socket.connect(endpoint, ec);
    std::vector<std::uint8_t> chunk(IoBytes);
    std::uint64_t state = 42;
    Fill(chunk, state);
    const auto start = Clock::now();
    std::uint64_t sent = 0;
    while (!ec && sent < bytes)
    {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), bytes - sent));
        sent += asio::write(socket, asio::buffer(chunk.data(), n), ec);
    }
    if (ec)
        error = "send: " + ec.message();
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    socket.close(ec);
    receiver.join();
    if (error.empty() && !receiveError.empty())
        error = receiveError;
    if (error.empty() && received != bytes)
        error = "received " + std::to_string(received) + " of " + std::to_string(bytes) + " bytes";
    return Seconds(last - start);
}

// [SECTION] The source file, and hashing files

struct Source
{
    std::array<std::uint8_t, 32> sha256{};
    Timed write;            // fwrite, 256 KiB at a time, into the page cache
    Timed hash;             // engine::Sha256 over the same bytes
    double syncSeconds = 0; // fsync: the disk itself
    std::string error;
};

Source WriteSource(const std::filesystem::path& path, std::uint64_t bytes)
{
    Source source;
    std::FILE* f = std::fopen(path.string().c_str(), "wb");
    if (!f)
    {
        source.error = "cannot create " + path.string() + ": " + std::strerror(errno);
        return source;
    }
    engine::Sha256 hash;
    std::vector<std::uint8_t> buffer(IoBytes); // as Obrol's chunks
    std::uint64_t state = 0x0b201;
    for (std::uint64_t done = 0; done < bytes && source.error.empty();)
    {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), bytes - done));
        const std::span<std::uint8_t> part(buffer.data(), n);
        Fill(part, state);
        {
            const Stopwatch t;
            if (std::fwrite(part.data(), 1, n, f) != n)
                source.error = "cannot write " + path.string() + ": " + std::strerror(errno);
            t.AddTo(source.write);
        }
        const Stopwatch t;
        hash.Update(part);
        t.AddTo(source.hash);
        done += n;
    }
    const auto t = Clock::now();
    if (std::fflush(f) != 0)
        source.error = "cannot write " + path.string() + ": " + std::strerror(errno);
#ifdef __linux__
    fsync(fileno(f)); // starts the transfer with nothing of ours left to write back
#endif
    source.syncSeconds = Seconds(Clock::now() - t);
    std::fclose(f);
    source.sha256 = hash.Finish();
    return source;
}

std::optional<std::array<std::uint8_t, 32>> HashFile(const std::filesystem::path& path, std::uint64_t& size)
{
    std::FILE* f = std::fopen(path.string().c_str(), "rb");
    if (!f)
        return std::nullopt;
    engine::Sha256 hash;
    std::vector<std::uint8_t> buffer(MiB);
    size = 0;
    for (;;)
    {
        const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f);
        if (n == 0)
            break;
        hash.Update(std::span<const std::uint8_t>(buffer.data(), n));
        size += n;
    }
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed)
        return std::nullopt;
    return hash.Finish();
}

// Reads a file back 256 KiB at a time (from the page cache: it was just written), as an upload does.
Timed ReadBack(const std::filesystem::path& path)
{
    Timed timed;
    std::FILE* f = std::fopen(path.string().c_str(), "rb");
    if (!f)
        return timed;
    std::vector<std::uint8_t> buffer(IoBytes);
    const Stopwatch t;
    while (std::fread(buffer.data(), 1, buffer.size(), f) == buffer.size())
    {
    }
    t.AddTo(timed);
    std::fclose(f);
    return timed;
}

// The OnDisk pattern of ClientFiles and ServerFiles, with an empty task: post to a TaskThread,
// which posts back to an io_context on its own thread. Round trips in microseconds, sorted.
std::vector<double> ThreadHops(std::size_t count)
{
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    std::vector<double> us;
    us.reserve(count);
    {
        engine::TaskThread disk;
        std::function<void()> hop = [&] {
            const auto start = Clock::now();
            disk.Post([&, start] {
                asio::post(io, [&, start] {
                    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
                    if (us.size() < count)
                        hop();
                    else
                        guard.reset();
                });
            });
        };
        asio::post(io, hop);
        runner.join();
    }
    std::sort(us.begin(), us.end());
    return us;
}

// [SECTION] The wire format alone: encode 256 KiB FileChunk frames, feed them to a FrameReader in
// 64 KiB reads (as Connection does) and decode them. No sockets, no disk.

struct ProtocolFigures
{
    Timed encode;
    Timed decode;
    std::uint64_t bytes = 0;
};

ProtocolFigures ProtocolCost(std::uint64_t bytes)
{
    ProtocolFigures figures;
    net::FileChunk chunk;
    chunk.id = 1;
    chunk.bytes.resize(net::FileChunkBytes);
    std::uint64_t state = 7;
    Fill(chunk.bytes, state);
    net::FrameReader reader;
    net::Message message;
    constexpr std::size_t ReadBytes = std::size_t{64} * 1024;
    for (std::uint64_t offset = 0; offset < bytes; offset += chunk.bytes.size())
    {
        chunk.offset = offset;
        const Stopwatch encoding;
        const net::FrameBytes frame = net::EncodeShared(chunk);
        encoding.AddTo(figures.encode);
        const Stopwatch decoding;
        for (std::size_t at = 0; at < frame->size(); at += ReadBytes)
        {
            reader.Feed(std::span<const std::uint8_t>(frame->data() + at, std::min(ReadBytes, frame->size() - at)));
            while (reader.Next(message))
                if (auto* got = std::get_if<net::FileChunk>(&message))
                    figures.bytes += got->bytes.size();
        }
        decoding.AddTo(figures.decode);
    }
    return figures;
}

// [SECTION] 2 and 3. Obrol end to end, with chat latency

enum Phase
{
    Idle,
    Uploading,
    Downloading,
    PhaseCount
};
const char* PhaseName(int phase)
{
    switch (phase)
    {
    case Idle: return "no transfer";
    case Uploading: return "upload";
    case Downloading: return "download";
    }
    return "?";
}

// Rows of the latency table: what was running when a message was sent.
enum Row
{
    IdleRow,
    UpBytes,    // the upload's bytes move
    UpFinish,   // the server checks and stores the file
    DownBytes,  // the download's bytes move
    DownFinish, // the downloader checks and saves the file
    UpAll,
    DownAll,
    RowCount
};
const char* RowName(int row)
{
    switch (row)
    {
    case IdleRow: return "no transfer";
    case UpBytes: return "upload: bytes";
    case UpFinish: return "upload: finish";
    case DownBytes: return "download: bytes";
    case DownFinish: return "download: finish";
    case UpAll: return "upload: all";
    case DownAll: return "download: all";
    }
    return "?";
}

enum Who
{
    A, // uploads, and chats over the same connection
    B, // downloads; every chat message's arrival is timed here
    C, // only chats
    ClientCount
};
const char* const Nicks[ClientCount] = {"uploader", "downloader", "chatter"};

struct Sample
{
    int sender = A; // A or C
    int phase = Idle;
    Clock::time_point sent;
    std::optional<Clock::time_point> acked;
    std::optional<Clock::time_point> arrived; // at B
};

struct Transfer
{
    Clock::time_point start;
    std::optional<Clock::time_point> running, checking, done;
    std::filesystem::path path;
};

struct Stats
{
    std::size_t n = 0;
    double p50 = 0, p99 = 0, max = 0;
};

Stats Summarize(std::vector<double> ms)
{
    Stats s;
    s.n = ms.size();
    if (ms.empty())
        return s;
    std::sort(ms.begin(), ms.end());
    const auto rank = [&](double p) {
        const auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(ms.size())));
        return ms[std::min(ms.size() - 1, std::max<std::size_t>(i, 1) - 1)];
    };
    s.p50 = rank(0.50);
    s.p99 = rank(0.99);
    s.max = ms.back();
    return s;
}

std::string StatsText(const Stats& s)
{
    if (s.n == 0)
        return "-";
    char text[64];
    std::snprintf(text, sizeof text, "%.2f / %.2f / %.2f", s.p50, s.p99, s.max);
    return text;
}

struct Options
{
    std::uint64_t mib = 1024;
    std::size_t chats = 200;
    bool archive = true; // the server's data folder: archive.db (chat fsynced before its Ack), files/
};

class FileBench
{
public:
    FileBench(const Options& options, std::filesystem::path root)
        : m_options(options), m_bytes(options.mib * MiB), m_root(std::move(root))
    {
    }

    int Execute()
    {
        m_threads.Label("bench", {"main"});
        const int status = Measure();
        // leave, stop the server, wait for it: then nothing has its files open any more
        m_quitting = true;
        for (auto* client : {&m_a, &m_b, &m_c})
            client->Disconnect();
        m_server.Stop("benchmark finished");
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        while (!m_stopped && Clock::now() < deadline)
        {
            Drain();
            m_waker.WaitFor(std::chrono::milliseconds(5));
        }
        return status;
    }

private:
    int Measure()
    {
        const std::uint64_t bytes = m_bytes;
        const std::uint64_t chunks = (bytes + net::FileChunkBytes - 1) / net::FileChunkBytes;
        std::printf("file benchmark: %llu MiB (%.0f MB, %llu chunks of 256 KiB), %zu chat messages per sender and "
                    "phase, archive %s\n",
                    static_cast<unsigned long long>(m_options.mib), static_cast<double>(bytes) / 1e6,
                    static_cast<unsigned long long>(chunks), m_options.chats, m_options.archive ? "on" : "off");
        std::printf("temp folder %s; %u cores; load average %s\n\n", m_root.string().c_str(),
                    std::max(1u, std::thread::hardware_concurrency()), LoadAverage().c_str());
        std::fflush(stdout);

        // 1. the machine's loopback TCP
        double raw = 0;
        std::string error;
        {
            const auto before = m_threads.Take();
            for (int run = 0; run < 3 && error.empty(); ++run)
            {
                const double s = RawLoopback(bytes, IoBytes, error);
                if (error.empty() && (raw == 0 || s < raw))
                    raw = s;
            }
            const auto after = m_threads.Take();
            if (!error.empty())
            {
                std::printf("raw loopback TCP failed: %s\n", error.c_str());
                return 1;
            }
            std::printf(
                "raw loopback TCP, 256 KiB writes and reads: %s (best of 3: %.3f s; CPU %.2f s in %.2f s for all 3)\n",
                Rate(bytes, raw).c_str(), raw, after.process - before.process, Seconds(after.at - before.at));
            const double raw64 = RawLoopback(bytes, 64 * 1024, error);
            if (error.empty())
                std::printf("raw loopback TCP, 64 KiB reads (as net::Connection reads): %s\n",
                            Rate(bytes, raw64).c_str());
            error.clear();
        }

        // the source file, and what its parts cost on this machine (CPU time: other load does not count)
        m_sourcePath = m_root / "source.bin";
        const Source source = WriteSource(m_sourcePath, bytes);
        if (!source.error.empty())
        {
            std::printf("%s\n", source.error.c_str());
            return 1;
        }
        m_sourceSha = source.sha256;
        m_shaCpu = source.hash.cpu;
        const Timed read = ReadBack(m_sourcePath);
        const auto proto = ProtocolCost(std::min<std::uint64_t>(bytes, 256 * MiB));
        const auto hops = ThreadHops(2000);
        const auto perChunkMs = [&](const Timed& t, std::uint64_t of) {
            return of ? t.cpu * 1000.0 / static_cast<double>((of + net::FileChunkBytes - 1) / net::FileChunkBytes)
                      : 0.0;
        };
        std::printf("one core, CPU time (wall time in brackets when other load made it longer):\n");
        const auto line = [&](const char* what, const Timed& t, std::uint64_t of) {
            std::printf("  %-44s %6.0f MB/s  %.3f ms per 256 KiB", what, MBps(of, t.cpu), perChunkMs(t, of));
            if (t.wall > t.cpu * 1.15)
                std::printf("  [%.0f MB/s]", MBps(of, t.wall));
            std::printf("\n");
        };
        line("fwrite 256 KiB into the page cache", source.write, bytes);
        line("fread 256 KiB from the page cache", read, bytes);
        line("SHA-256 (engine::Sha256)", source.hash, bytes);
        line("encode a FileChunk frame (EncodeShared)", proto.encode, proto.bytes);
        line("FrameReader: 64 KiB feeds + decode", proto.decode, proto.bytes);
        std::printf("  fsync of the new source file: %.2f s\n", source.syncSeconds);
        if (!hops.empty())
            std::printf("  OnDisk thread hop (TaskThread, asio::post back), empty task: p50 %.0f us, p99 %.0f us\n",
                        hops[hops.size() / 2], hops[hops.size() * 99 / 100]);
        std::fflush(stdout);

        // the server and three clients
        if (!StartServerAndClients())
        {
            std::printf("error: %s\n", m_problem.c_str());
            return 1;
        }

        // 3a. chat latency with nothing else going on
        StartChatting(Idle);
        RunUntil(
            [&] { return m_sentInPhase[0] >= m_options.chats && m_sentInPhase[1] >= m_options.chats && AllAnswered(); },
            std::chrono::seconds(20), "the idle chat messages");
        m_sending = false;
        if (!m_problem.empty())
        {
            std::printf("error: %s\n", m_problem.c_str());
            return 1;
        }

        // 2 + 3b. upload, then download as soon as B sees the file message; chat all along
        const auto downloads = m_root / "downloads";
        const auto cpuStart = m_threads.Take();
        StartChatting(Uploading);
        m_up.start = Clock::now();
        m_uploadId = m_a.SendFile(net::Target::Everyone(), m_sourcePath);
        if (m_uploadId == 0)
            Problem("SendFile: no connection");
        RunUntil([&] { return m_fileChat.has_value(); }, std::chrono::seconds(120),
                 "the file message at the downloader");
        const auto cpuUploaded = m_threads.Take();
        if (m_problem.empty())
        {
            StartChatting(Downloading);
            m_down.start = Clock::now();
            m_b.Download(*m_fileChat, downloads);
            RunUntil([&] { return m_down.done && m_up.done; }, std::chrono::seconds(120), "the download");
        }
        const auto cpuDownloaded = m_threads.Take();
        m_sending = false;
        if (m_problem.empty())
            RunUntil([&] { return AllAnswered(); }, std::chrono::seconds(20), "the last chat messages");
        if (!m_problem.empty())
        {
            std::printf("error: %s\n", m_problem.c_str());
            return 1;
        }

        // the saved file against the source, and the server's copy
        std::uint64_t savedSize = 0;
        const auto verifyStart = Clock::now();
        const auto savedSha = HashFile(m_down.path, savedSize);
        const double verifySeconds = Seconds(Clock::now() - verifyStart);
        const bool verified = savedSha && *savedSha == m_sourceSha && savedSize == bytes;

        // figures
        const double up = Seconds(*m_up.done - m_up.start);
        const double down = Seconds(*m_down.done - m_down.start);
        const double total = Seconds(*m_down.done - m_up.start);
        const double upBytes = Span(m_up.running, m_up.checking);
        const double downBytes = Span(m_down.running, m_down.checking);
        std::printf("\nObrol, %s from %s through the server to %s (archive %s):\n", Size(bytes).c_str(), Nicks[A],
                    Nicks[B], m_options.archive ? "on, data folder in the temp folder" : "off");
        std::printf(
            "  upload   %6.2f s  %s = offer/accept %.3f s + bytes %.2f s (%s, %.3f ms per chunk) + finish %.2f s\n", up,
            Rate(bytes, up).c_str(), Span(m_up.start, m_up.running), upBytes, Rate(bytes, upBytes).c_str(),
            upBytes * 1000.0 / static_cast<double>(chunks), Span(m_up.checking, m_up.done));
        std::printf("           (finish, on the server: fsync the file, SHA-256 check, rename into files/, store the "
                    "message, Ack)\n");
        std::printf("  file message at %s %+.1f ms from the upload's Ack at %s\n", Nicks[B],
                    Ms(m_fileChatAt - *m_up.done), Nicks[A]);
        std::printf("  download %6.2f s  %s = request %.3f s + bytes %.2f s (%s, %.3f ms per chunk) + finish %.2f s\n",
                    down, Rate(bytes, down).c_str(), Span(m_down.start, m_down.running), downBytes,
                    Rate(bytes, downBytes).c_str(), downBytes * 1000.0 / static_cast<double>(chunks),
                    Span(m_down.checking, m_down.done));
        std::printf("           (finish, on the client: fsync the .part, SHA-256 check, link it under its name)\n");
        std::printf("  end to end %4.2f s  %s (SendFile until %s has saved it)\n", total, Rate(bytes, total).c_str(),
                    Nicks[B]);
        std::printf("  saved file: %s, %llu bytes, SHA-256 %s... (checked in %.2f s) -> %s\n",
                    m_down.path.filename().string().c_str(), static_cast<unsigned long long>(savedSize),
                    savedSha ? engine::Sha256::Hex(*savedSha).substr(0, 16).c_str() : "unreadable", verifySeconds,
                    verified ? "verified" : "DIFFERENT FROM THE SOURCE");
        if (m_options.archive)
        {
            std::error_code ec;
            const auto copy = m_root / "server" / "files" / engine::Sha256::Hex(m_sourceSha);
            const auto size = std::filesystem::file_size(copy, ec);
            std::printf("  server's copy: files/%s... %s\n", engine::Sha256::Hex(m_sourceSha).substr(0, 16).c_str(),
                        ec ? ec.message().c_str() : (std::to_string(size) + " bytes").c_str());
        }
        m_threads.Print("while uploading", cpuStart, cpuUploaded);
        m_threads.Print("while downloading", cpuUploaded, cpuDownloaded);
        std::printf("  (threads named by the order they started in; asio's resolver thread only resolves the host)\n");

        // latency, by what ran when each message was sent
        const auto rowOf = [&](const Sample& sample) {
            if (sample.phase == Uploading)
                return m_up.checking && sample.sent >= *m_up.checking ? UpFinish : UpBytes;
            if (sample.phase == Downloading)
                return m_down.checking && sample.sent >= *m_down.checking ? DownFinish : DownBytes;
            return IdleRow;
        };
        const auto rowOfPhase = [&](const Sample& sample, int row) {
            return row == UpAll     ? sample.phase == Uploading
                   : row == DownAll ? sample.phase == Downloading
                                    : rowOf(sample) == row;
        };
        Stats arrival[RowCount][2], ack[RowCount][2];
        for (int row = 0; row < RowCount; ++row)
            for (int s = 0; s < 2; ++s)
            {
                std::vector<double> arrivals, acks;
                for (const Sample& sample : m_samples)
                    if (rowOfPhase(sample, row) && (sample.sender == A) == (s == 0))
                    {
                        arrivals.push_back(Ms(*sample.arrived - sample.sent));
                        acks.push_back(Ms(*sample.acked - sample.sent));
                    }
                arrival[row][s] = Summarize(std::move(arrivals));
                ack[row][s] = Summarize(std::move(acks));
            }
        std::printf("\nchat latency in ms, p50 / p99 / max (one message every %.0f ms from each of A and C while a "
                    "phase lasts):\n",
                    std::chrono::duration<double, std::milli>(ChatPeriod).count());
        std::printf("  %-17s %-28s %5s  %-24s %-24s\n", "sent during", "from", "n", "Say -> arrival at B",
                    "Say -> Ack at sender");
        for (int row = 0; row < RowCount; ++row)
            for (int s = 0; s < 2; ++s)
            {
                const char* from = s == 1                                              ? "C (idle connection)"
                                   : row == UpBytes || row == UpFinish || row == UpAll ? "A (its connection uploads)"
                                                                                       : "A";
                std::printf("  %-17s %-28s %5zu  %-24s %-24s\n", RowName(row), from, arrival[row][s].n,
                            StatsText(arrival[row][s]).c_str(), StatsText(ack[row][s]).c_str());
            }
        std::printf("  (bytes: until the transfer's Checking event; finish: after it. During the download every\n"
                    "   message reaches B over the connection carrying the download.)\n");

        // summary
        const auto ratio = [&](double seconds) { return seconds > 0 ? raw / seconds : 0.0; };
        std::printf("\nsummary (%s, MB = 10^6 bytes, archive %s)\n", Size(bytes).c_str(),
                    m_options.archive ? "on" : "off");
        std::printf("raw loopback TCP           : %6.0f MB/s\n", MBps(bytes, raw));
        std::printf("obrol upload  (A->server)  : %6.0f MB/s (%.2fx raw)\n", MBps(bytes, up), ratio(up));
        std::printf("obrol download (server->B) : %6.0f MB/s (%.2fx raw)\n", MBps(bytes, down), ratio(down));
        std::printf("obrol end to end           : %6.0f MB/s (%.2fx raw; %.2f s + %.2f s, store and forward)\n",
                    MBps(bytes, total), ratio(total), up, down);
        std::printf("SHA-256 alone (one core)   : %6.0f MB/s\n", MBps(bytes, m_shaCpu));
        std::printf("chat latency idle          : p50 %.2f ms  p99 %.2f ms (Say -> arrival at B; from C)\n",
                    arrival[IdleRow][1].p50, arrival[IdleRow][1].p99);
        std::printf("chat latency during upload : p50 %.2f ms  p99 %.2f ms (sender's own connection) / p50 %.2f ms  "
                    "p99 %.2f ms (other client)\n",
                    arrival[UpAll][0].p50, arrival[UpAll][0].p99, arrival[UpAll][1].p50, arrival[UpAll][1].p99);
        std::printf("chat latency during downl. : p50 %.2f ms  p99 %.2f ms (to the downloading client; from C)\n",
                    arrival[DownAll][1].p50, arrival[DownAll][1].p99);
        std::printf("file check                 : %s\n",
                    verified ? "verified (size and SHA-256 equal the source)" : "FAILED");
        std::fflush(stdout);
        return verified ? 0 : 1;
    }

    static std::string Size(std::uint64_t bytes)
    {
        char text[32];
        std::snprintf(text, sizeof text, "%.0f MiB", static_cast<double>(bytes) / static_cast<double>(MiB));
        return text;
    }

    static double Span(Clock::time_point from, const std::optional<Clock::time_point>& to)
    {
        return to ? Seconds(*to - from) : 0.0;
    }
    static double Span(const std::optional<Clock::time_point>& from, const std::optional<Clock::time_point>& to)
    {
        return from && to ? Seconds(*to - *from) : 0.0;
    }

    bool StartServerAndClients()
    {
        net::ServerConfig config;
        config.bind = "127.0.0.1";
        config.port = 0;
        if (m_options.archive)
            config.dataDir = m_root / "server";
        config.maxFileBytes = std::max<std::uint64_t>(m_bytes, net::DefaultMaxFileBytes);
        m_server.Start(config);
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        while (!m_port && m_problem.empty() && Clock::now() < deadline)
        {
            Drain();
            m_waker.WaitFor(std::chrono::milliseconds(5));
        }
        if (!m_port)
        {
            Problem("the server did not start");
            return false;
        }
        // the server's threads: io (runs Open), then the archive's (if any), then the file store's disk thread
        m_threads.Label("server", m_options.archive ? std::vector<std::string>{"io", "archive", "disk"}
                                                    : std::vector<std::string>{"io", "disk"});
        for (int who = 0; who < ClientCount; ++who)
        {
            net::ClientConfig client;
            client.host = "127.0.0.1";
            client.port = m_port;
            client.nick = Nicks[who];
            ClientOf(who).Connect(client);
            if (!RunUntil([&] { return m_connected[who]; }, std::chrono::seconds(10),
                          std::string(Nicks[who]) + " joining"))
                return false;
            // a client's disk thread starts with it, then its io thread, which starts asio's resolver thread
            m_threads.Label(std::string(1, static_cast<char>('A' + who)), {"disk", "io", "resolver"});
        }
        return true;
    }

    net::Client& ClientOf(int who) { return who == A ? m_a : who == B ? m_b : m_c; }

    void StartChatting(int phase)
    {
        const auto now = Clock::now();
        m_phase = phase;
        m_sentInPhase[0] = m_sentInPhase[1] = 0;
        m_next[0] = now;
        m_next[1] = now + ChatPeriod / 2;
        m_sending = true;
    }

    void SendDue(Clock::time_point now)
    {
        if (!m_sending)
            return;
        for (int s = 0; s < 2; ++s)
        {
            if (m_sentInPhase[s] >= m_options.chats || now < m_next[s])
                continue;
            const int who = s == 0 ? A : C;
            const std::size_t index = m_samples.size();
            Sample sample;
            sample.sender = who;
            sample.phase = m_phase;
            sample.sent = Clock::now();
            m_samples.push_back(sample);
            const std::uint64_t id =
                ClientOf(who).Say(net::Target::Everyone(), "lat " + std::to_string(index) + " a chat line of ordinary length, sent while " +
                                          PhaseName(m_phase));
            if (id == 0)
                Problem(std::string(Nicks[who]) + ": Say without a connection");
            m_byClientId[s][id] = index;
            ++m_sentInPhase[s];
            m_next[s] = now + ChatPeriod;
        }
    }

    bool AllAnswered() const
    {
        return std::all_of(m_samples.begin(), m_samples.end(), [](const Sample& s) { return s.acked && s.arrived; });
    }

    Clock::time_point NextWake(Clock::time_point now) const
    {
        auto wake = now + std::chrono::milliseconds(5);
        if (m_sending)
            for (int s = 0; s < 2; ++s)
                if (m_sentInPhase[s] < m_options.chats)
                    wake = std::min(wake, m_next[s]);
        return wake;
    }

    // Runs the loop (chat on schedule, events drained) until `done`, a problem, or `stall`
    // without any client event.
    template <class Done> bool RunUntil(Done done, std::chrono::seconds stall, const std::string& what)
    {
        m_lastEvent = Clock::now();
        while (m_problem.empty() && !done())
        {
            const auto now = Clock::now();
            if (now - m_lastEvent > stall)
            {
                Problem("nothing happened for " + std::to_string(stall.count()) + " s while waiting for " + what);
                break;
            }
            SendDue(now);
            const auto wake = NextWake(Clock::now());
            m_waker.WaitFor(std::max(Clock::duration::zero(), wake - Clock::now()));
            Drain();
        }
        return m_problem.empty();
    }

    void Drain()
    {
        m_serverEvents.Drain([&](net::ServerEvent e) {
            switch (e.kind)
            {
            case net::ServerEvent::Kind::Started: m_port = e.port; break;
            case net::ServerEvent::Kind::StartFailed: Problem("the server did not start: " + e.text); break;
            case net::ServerEvent::Kind::Stopped: m_stopped = true; break;
            case net::ServerEvent::Kind::StorageError: Problem("server storage error: " + e.text); break;
            default: break;
            }
        });
        m_qa.Drain([&](net::ClientEvent e) { OnEvent(A, e); });
        m_qb.Drain([&](net::ClientEvent e) { OnEvent(B, e); });
        m_qc.Drain([&](net::ClientEvent e) { OnEvent(C, e); });
    }

    void OnEvent(int who, net::ClientEvent& e)
    {
        const auto now = Clock::now();
        m_lastEvent = now;
        using Kind = net::ClientEvent::Kind;
        switch (e.kind)
        {
        case Kind::Connected: m_connected[who] = true; break;
        case Kind::Ended:
            if (!m_quitting)
                Problem(std::string(Nicks[who]) + " lost its connection: " + e.text);
            break;
        case Kind::Error: Problem(std::string(Nicks[who]) + " got an Error: " + e.error.text); break;
        case Kind::Ack:
            if (who == A && e.ack.clientMsgId == m_uploadId)
                break; // the upload's; its Transfer Done came just before
            if (who == A || who == C)
            {
                auto& ids = m_byClientId[who == A ? 0 : 1];
                if (auto it = ids.find(e.ack.clientMsgId); it != ids.end())
                {
                    m_samples[it->second].acked = now;
                    ids.erase(it);
                }
            }
            break;
        case Kind::Chat:
            if (who != B)
                break;
            if (e.chat.file && e.chat.from == Nicks[A])
            {
                if (!m_fileChat)
                {
                    m_fileChat = e.chat;
                    m_fileChatAt = now;
                }
            }
            else if (e.chat.text.rfind("lat ", 0) == 0)
            {
                const std::size_t index = std::strtoull(e.chat.text.c_str() + 4, nullptr, 10);
                if (index < m_samples.size() && e.chat.from == Nicks[m_samples[index].sender] &&
                    !m_samples[index].arrived)
                    m_samples[index].arrived = now;
                else
                    Problem("unexpected chat message at the downloader: " + e.chat.text);
            }
            break;
        case Kind::Transfer: {
            const net::TransferStatus& t = e.transfer;
            if (who == A && t.direction == net::TransferDirection::Upload && t.id == m_uploadId)
                Track(m_up, t, now);
            else if (who == B && t.direction == net::TransferDirection::Download && m_fileChat &&
                     t.id == m_fileChat->id)
                Track(m_down, t, now);
            break;
        }
        default: break;
        }
    }

    void Track(Transfer& transfer, const net::TransferStatus& t, Clock::time_point now)
    {
        using State = net::TransferStatus::State;
        switch (t.state)
        {
        case State::Waiting: break;
        case State::Running:
            if (!transfer.running)
                transfer.running = now;
            break;
        case State::Checking:
            if (!transfer.checking)
                transfer.checking = now;
            break;
        case State::Done:
            if (!transfer.done)
            {
                transfer.done = now;
                transfer.path = t.path;
                if (!transfer.checking)
                    transfer.checking = now;
            }
            break;
        case State::Failed:
        case State::Cancelled:
            Problem(std::string(t.direction == net::TransferDirection::Upload ? "the upload" : "the download") + " " +
                    net::TransferStateName(t.state) + ": " + t.error);
            break;
        }
    }

    void Problem(const std::string& what)
    {
        if (m_problem.empty())
            m_problem = what;
    }

    Options m_options;
    std::uint64_t m_bytes;
    std::filesystem::path m_root;
    std::filesystem::path m_sourcePath;
    std::array<std::uint8_t, 32> m_sourceSha{};
    double m_shaCpu = 0; // CPU seconds for SHA-256 over the whole file
    Threads m_threads;

    // the queues outlive the server and the clients that push into them
    engine::ConditionWaker m_waker;
    engine::EventQueue<net::ServerEvent> m_serverEvents{&m_waker};
    engine::EventQueue<net::ClientEvent> m_qa{&m_waker};
    engine::EventQueue<net::ClientEvent> m_qb{&m_waker};
    engine::EventQueue<net::ClientEvent> m_qc{&m_waker};
    net::Server m_server{m_serverEvents};
    net::Client m_a{m_qa};
    net::Client m_b{m_qb};
    net::Client m_c{m_qc};

    std::uint16_t m_port = 0;
    bool m_stopped = false;
    bool m_quitting = false;
    bool m_connected[ClientCount] = {};
    std::string m_problem;
    Clock::time_point m_lastEvent;

    std::uint64_t m_uploadId = 0;
    Transfer m_up;
    Transfer m_down;
    std::optional<net::Chat> m_fileChat; // the file message, as B received it
    Clock::time_point m_fileChatAt;

    bool m_sending = false;
    int m_phase = Idle;
    std::size_t m_sentInPhase[2] = {};
    Clock::time_point m_next[2];
    std::vector<Sample> m_samples;
    std::map<std::uint64_t, std::size_t> m_byClientId[2]; // A's and C's client message ids -> sample
};

std::filesystem::path FreshTempDir()
{
    std::random_device random;
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt)
    {
        auto dir = base / ("obrol-bench-files-" + std::to_string(random()));
        if (std::filesystem::create_directory(dir))
            return dir;
    }
    throw std::runtime_error("cannot create a temporary folder in " + base.string());
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    if (argc > 1)
        options.mib = std::max<std::uint64_t>(1, std::strtoull(argv[1], nullptr, 10));
    if (argc > 2)
        options.chats = std::strtoul(argv[2], nullptr, 10);
    if (argc > 3)
        options.archive = std::strtoul(argv[3], nullptr, 10) != 0;

    // the source, the server's copy and the download, plus room for everything else
    std::error_code ec;
    const auto temp = std::filesystem::temp_directory_path(ec);
    const std::uint64_t needed = 3 * options.mib * MiB + 1024 * MiB;
    const auto space = std::filesystem::space(temp, ec);
    if (ec || space.available < needed)
    {
        std::printf("obrol_bench_files: not run. It needs %.1f GiB free in %s (3 copies of a %llu MiB file, plus 1 GiB "
                    "to spare); %s.\n",
                    static_cast<double>(needed) / 1073741824.0, temp.string().c_str(),
                    static_cast<unsigned long long>(options.mib),
                    ec ? ("its free space is unknown: " + ec.message()).c_str()
                       : (std::to_string(space.available / MiB) + " MiB are free").c_str());
        std::printf("Free some space, or pass a smaller size: obrol_bench_files 256\n");
        return 77; // skipped (CTest SKIP_RETURN_CODE)
    }

    std::filesystem::path root;
    int status = 1;
    try
    {
        root = FreshTempDir();
        status = FileBench(options, root).Execute();
    }
    catch (const std::exception& e)
    {
        std::printf("error: %s\n", e.what());
        status = 1;
    }
    if (!root.empty())
    {
        std::filesystem::remove_all(root, ec);
        if (ec)
            std::printf("could not remove %s: %s\n", root.string().c_str(), ec.message().c_str());
    }
    return status;
}

// Integration tests for file transfer: a real server and real clients on loopback, files on
// disk in temporary folders. Byte-exact delivery of every size around the chunk boundaries,
// who may fetch what, hostile names, corruption on either side, size limits, resume after a
// cut, cancelling, chat staying live beside a transfer, and image previews. Misbehaving
// senders are raw sockets; a misbehaving server is a small fake one speaking the protocol.
#include "harness.hpp"
#include "test_images.hpp"

#include "engine/clock.hpp"
#include "engine/file_names.hpp"
#include "engine/image.hpp"
#include "engine/units.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace obrol;
using namespace obrol::test;
using net::ChatKind;
using net::ClientEvent;
using net::FileAbortCode;
using net::FileChunkBytes;
namespace fs = std::filesystem;
using Dir = net::TransferDirection;
using State = net::TransferStatus::State;

namespace {

using Digest = std::array<std::uint8_t, 32>;

// Big transfers get more time than the harness default (a sanitizer build is slow).
constexpr Duration BigTimeout = 90s;

// [SECTION] Bytes and files

// Deterministic noise (splitmix64): incompressible, different for every seed.
Bytes RandomBytes(std::size_t n, std::uint64_t seed)
{
    Bytes out(n);
    std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (std::size_t i = 0; i < n; i += 8)
    {
        state += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        for (std::size_t k = 0; k < 8 && i + k < n; ++k)
            out[i + k] = static_cast<std::uint8_t>(z >> (8 * k));
    }
    return out;
}

Bytes TextBytes(const std::string& text)
{
    return Bytes(text.begin(), text.end());
}

void WriteFile(const fs::path& path, const Bytes& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE_MESSAGE(out.good(), "cannot write " << path.string());
}

std::optional<Bytes> ReadFile(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Digest Sha(const Bytes& bytes)
{
    engine::Sha256 hash;
    hash.Update(bytes);
    return hash.Finish();
}

// Empty when `path` holds exactly `expected`; otherwise what differs (never the bytes themselves).
std::string CompareFile(const fs::path& path, const Bytes& expected)
{
    const auto actual = ReadFile(path);
    if (!actual)
        return path.string() + " cannot be read";
    if (actual->size() != expected.size())
        return path.string() + " holds " + std::to_string(actual->size()) + " bytes, expected " +
               std::to_string(expected.size());
    const auto diff = std::mismatch(actual->begin(), actual->end(), expected.begin());
    if (diff.first != actual->end())
        return path.string() + " differs at byte " + std::to_string(diff.first - actual->begin());
    return {};
}

// Every regular file under `root`, as paths relative to it ("a/b.txt"), sorted.
std::vector<std::string> FilesUnder(const fs::path& root)
{
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
        if (it->is_regular_file())
            out.push_back(fs::relative(it->path(), root).generic_string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string Join(const std::vector<std::string>& names)
{
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return "[" + out + "]";
}

bool DirEmpty(const fs::path& dir)
{
    std::error_code ec;
    return fs::is_empty(dir, ec) && !ec;
}

// [SECTION] Client events

std::vector<net::TransferStatus> Transfers(const TestClient& c, Dir direction, std::uint64_t id, std::size_t since = 0)
{
    std::vector<net::TransferStatus> out;
    for (std::size_t i = since; i < c.seen.size(); ++i)
        if (c.seen[i].kind == ClientEvent::Kind::Transfer && c.seen[i].transfer.direction == direction &&
            c.seen[i].transfer.id == id)
            out.push_back(c.seen[i].transfer);
    return out;
}

bool Final(State state)
{
    return state == State::Done || state == State::Failed || state == State::Cancelled;
}

std::optional<net::TransferStatus> LastTransfer(const TestClient& c, Dir direction, std::uint64_t id, std::size_t since = 0)
{
    const auto all = Transfers(c, direction, id, since);
    if (all.empty())
        return std::nullopt;
    return all.back();
}

// Waits for the transfer's final state (Done, Failed or Cancelled) among the events from `since` on.
net::TransferStatus WaitFinal(Harness& h, TestClient& c, Dir direction, std::uint64_t id, std::size_t since = 0,
                              Duration timeout = DefaultTimeout)
{
    h.WaitUntil(
        [&] {
            const auto last = LastTransfer(c, direction, id, since);
            return last && Final(last->state);
        },
        c.label + "'s " + (direction == Dir::Upload ? "upload" : "download") + " #" + std::to_string(id) + " to end",
        timeout);
    return *LastTransfer(c, direction, id, since);
}

std::optional<net::Chat> FileChat(const TestClient& c, std::uint64_t id)
{
    for (const auto& e : c.seen)
        if (e.kind == ClientEvent::Kind::Chat && e.chat.id == id && e.chat.file)
            return e.chat;
    return std::nullopt;
}

std::vector<net::Chat> FileChats(const TestClient& c)
{
    std::vector<net::Chat> out;
    for (const auto& e : c.seen)
        if (e.kind == ClientEvent::Kind::Chat && e.chat.file)
            out.push_back(e.chat);
    return out;
}

std::optional<net::Ack> AckFor(const TestClient& c, std::uint64_t clientMsgId)
{
    for (const auto& e : c.seen)
        if (e.kind == ClientEvent::Kind::Ack && e.ack.clientMsgId == clientMsgId)
            return e.ack;
    return std::nullopt;
}

// Index in c.seen of the first event matching `pred` (seen.size() when none).
template <class Pred> std::size_t IndexOf(const TestClient& c, Pred pred)
{
    for (std::size_t i = 0; i < c.seen.size(); ++i)
        if (pred(c.seen[i]))
            return i;
    return c.seen.size();
}

// Starts sending `path` as the UI does (the model shows the line at once).
std::uint64_t StartUpload(TestClient& from, const net::Target& to, const fs::path& path)
{
    const std::uint64_t id = from.client.SendFile(to, path);
    REQUIRE(id != 0);
    from.model.AddOwnFile(to, path, id, engine::NowMs());
    return id;
}

// Waits until `from`'s upload `id` is stored (Done and acknowledged) and every receiver has its
// file message; returns the message as the first receiver got it (without receivers: only its id).
net::Chat WaitDelivered(Harness& h, TestClient& from, std::uint64_t id, const std::vector<TestClient*>& receivers,
                        Duration timeout = DefaultTimeout)
{
    const auto up = WaitFinal(h, from, Dir::Upload, id, 0, timeout);
    REQUIRE_MESSAGE(up.state == State::Done, "upload ended " << net::TransferStateName(up.state) << ": " << up.error);
    h.WaitUntil([&] { return AckFor(from, id).has_value(); }, "the ack of upload #" + std::to_string(id));
    const std::uint64_t messageId = AckFor(from, id)->id;
    if (receivers.empty())
    {
        net::Chat chat; // only its id is known here
        chat.id = messageId;
        return chat;
    }
    h.WaitUntil(
        [&] {
            return std::all_of(receivers.begin(), receivers.end(),
                               [&](const TestClient* r) { return FileChat(*r, messageId).has_value(); });
        },
        "every receiver to get file message " + std::to_string(messageId));
    return *FileChat(*receivers.front(), messageId);
}

net::Chat Deliver(Harness& h, TestClient& from, const net::Target& to, const fs::path& path,
                  const std::vector<TestClient*>& receivers, Duration timeout = DefaultTimeout)
{
    return WaitDelivered(h, from, StartUpload(from, to, path), receivers, timeout);
}

// Downloads a file message into `dir` and waits until it is saved; returns where.
fs::path Fetch(Harness& h, TestClient& c, const net::Chat& chat, const fs::path& dir, Duration timeout = DefaultTimeout)
{
    h.Pump();
    const std::size_t since = c.seen.size();
    c.client.Download(chat, dir);
    const auto t = WaitFinal(h, c, Dir::Download, chat.id, since, timeout);
    REQUIRE_MESSAGE(t.state == State::Done, "download ended " << net::TransferStateName(t.state) << ": " << t.error);
    return t.path;
}

// A client joined as `nick` whose join history has arrived too (it comes after Connected).
TestClient& JoinWithHistory(Harness& h, const std::string& nick)
{
    TestClient& c = h.Join(nick);
    h.WaitUntil([&] { return !c.EventsOf(ClientEvent::Kind::History).empty(); }, nick + "'s join history");
    return c;
}

// Waits until the server's files/partial (under `files`) holds nothing.
void WaitPartialRemoved(Harness& h, const fs::path& files)
{
    h.WaitUntil([&] { return DirEmpty(files / "partial"); }, "the partial upload to be removed");
}

// File messages in the history a client received.
std::vector<net::Chat> HistoryFileChats(const TestClient& c)
{
    std::vector<net::Chat> out;
    for (const auto& e : c.seen)
        if (e.kind == ClientEvent::Kind::History)
            for (const auto& chat : e.history.chats)
                if (chat.file)
                    out.push_back(chat);
    return out;
}

// [SECTION] Raw peers

// The next frame for which `wanted` holds, skipping others (kept in `skipped` when given).
template <class Pred>
std::optional<net::Message> NextWhere(RawPeer& peer, Pred wanted, std::vector<net::Message>* skipped, Duration timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;)
    {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline)
            return std::nullopt;
        auto message = peer.Next(std::chrono::duration_cast<Duration>(deadline - now) + 1ms);
        if (!message)
            return std::nullopt;
        if (wanted(*message))
            return message;
        if (skipped)
            skipped->push_back(std::move(*message));
    }
}

// The next frame of type T, skipping others (kept in `skipped` when given).
template <class T>
std::optional<T> NextOf(RawPeer& peer, std::vector<net::Message>* skipped = nullptr, Duration timeout = DefaultTimeout)
{
    const auto message = NextWhere(
        peer, [](const net::Message& m) { return std::holds_alternative<T>(m); }, skipped, timeout);
    if (!message)
        return std::nullopt;
    return std::get<T>(*message);
}

// A raw peer joined as `nick` (its Welcome read).
std::unique_ptr<RawPeer> JoinRaw(Harness& h, const std::string& nick)
{
    auto peer = std::make_unique<RawPeer>(h.Server().port);
    const auto answers = peer->Login(nick, *h.IdentityOf(nick));
    REQUIRE_MESSAGE(First<net::Welcome>(answers) != nullptr,
                    nick << " got no Welcome: " << (answers.empty() ? std::string("nothing") : Describe(answers.back())));
    h.WaitUntil([&] { return h.Server().HasJoined(nick); }, "the server to report " + nick + " joined");
    return peer;
}

// The server's answer about upload `id`: an Ack, a FileAbort or a FileAccept (others skipped).
std::optional<net::Message> NextAbout(RawPeer& peer, std::uint64_t id, std::vector<net::Message>* skipped = nullptr,
                                      Duration timeout = DefaultTimeout)
{
    const auto about = [id](const net::Message& m) {
        if (auto* ack = std::get_if<net::Ack>(&m))
            return ack->clientMsgId == id;
        if (auto* abort = std::get_if<net::FileAbort>(&m))
            return abort->id == id;
        if (auto* accept = std::get_if<net::FileAccept>(&m))
            return accept->id == id;
        return false;
    };
    return NextWhere(peer, about, skipped, timeout);
}

// The server's answer about upload `id`, which must be a FileAbort.
net::FileAbort ExpectAbort(RawPeer& peer, std::uint64_t id)
{
    const auto answer = NextAbout(peer, id);
    const auto* abort = As<net::FileAbort>(answer);
    REQUIRE_MESSAGE(abort, (answer ? Describe(*answer) : std::string("nothing")));
    return *abort;
}

// The server's answer about upload `id`, which must be a FileAccept.
void ExpectAccept(RawPeer& peer, std::uint64_t id)
{
    REQUIRE(As<net::FileAccept>(NextAbout(peer, id)));
}

// An answer that must be an Ack.
net::Ack ExpectAck(const net::Message& answer)
{
    REQUIRE_MESSAGE(std::holds_alternative<net::Ack>(answer), Describe(answer));
    return std::get<net::Ack>(answer);
}

// `bytes` from `from` to `to` as FileChunk frames of upload or download `id`.
std::vector<net::FileChunk> Chunks(std::uint64_t id, const Bytes& bytes, std::size_t from = 0,
                                   std::size_t to = static_cast<std::size_t>(-1))
{
    std::vector<net::FileChunk> out;
    to = std::min(to, bytes.size());
    for (std::size_t at = from; at < to; at += FileChunkBytes)
    {
        const std::size_t n = std::min<std::size_t>(FileChunkBytes, to - at);
        out.push_back(net::FileChunk{id, at, Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                                   bytes.begin() + static_cast<std::ptrdiff_t>(at + n))});
    }
    return out;
}

void SendChunks(RawPeer& peer, std::uint64_t id, const Bytes& bytes, std::size_t from = 0,
                std::size_t to = static_cast<std::size_t>(-1))
{
    for (auto& chunk : Chunks(id, bytes, from, to))
        peer.Send(std::move(chunk));
}

// Offers, sends and ends a whole upload the way a well-behaved client would (but with any name
// and any claimed SHA-256); returns the server's final answer (Ack or FileAbort), or the
// FileAbort that refused the offer.
net::Message RawUpload(RawPeer& peer, std::uint64_t id, const std::string& name, const Bytes& bytes,
                       const Digest& sha, const net::Target& to = net::Target::Everyone())
{
    peer.Send(net::FileOffer{id, to, name, bytes.size()});
    auto first = NextAbout(peer, id);
    REQUIRE_MESSAGE(first.has_value(), "no answer to the offer of " << name);
    if (!std::holds_alternative<net::FileAccept>(*first))
        return *first;
    REQUIRE(std::get<net::FileAccept>(*first).offset == 0);
    SendChunks(peer, id, bytes);
    peer.Send(net::FileEnd{id, sha});
    auto last = NextAbout(peer, id);
    REQUIRE_MESSAGE(last.has_value(), "no answer after the FileEnd of " << name);
    return *last;
}

// [SECTION] A loopback TCP proxy between clients and the server, on its own thread. It forwards
// whole frames and can hold them back in either direction (a cap on the bytes forwarded, a rate,
// or "stop at the next frame like this"), so a test can stop a transfer at an exact point or slow
// it down deterministically; it records every frame it forwards.

enum class Way { Up, Down }; // Up: client -> server

class Proxy
{
public:
    static constexpr std::uint64_t Unlimited = ~std::uint64_t{0};
    using Match = std::function<bool(const net::Message&)>;

    struct Seen
    {
        std::size_t link = 0;         // 1 for the first connection through the proxy, 2 for the next...
        net::Message message;         // FileChunk bytes are dropped (chunkBytes says how many there were)
        std::uint64_t chunkBytes = 0;
    };

    Proxy()
    {
        const asio::ip::tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
        m_acceptor.open(endpoint.protocol());
        m_acceptor.bind(endpoint);
        m_acceptor.listen();
        m_port = m_acceptor.local_endpoint().port();
        Accept();
        m_thread = std::thread([this] { m_io.run(); });
    }

    ~Proxy()
    {
        asio::post(m_io, [this] {
            asio::error_code ignored;
            m_acceptor.close(ignored);
            for (auto& weak : m_links)
                if (auto link = weak.lock())
                    link->Close();
        });
        m_thread.join();
    }

    std::uint16_t Port() const { return m_port; }
    void Target(std::uint16_t serverPort) { m_target = serverPort; }

    std::uint64_t Forwarded(Way way)
    {
        std::lock_guard lock(m_mutex);
        return m_gates[Index(way)].forwarded;
    }
    // Frames go that way only while fewer than `total` bytes went (over all connections).
    void SetCap(Way way, std::uint64_t total)
    {
        std::lock_guard lock(m_mutex);
        m_gates[Index(way)].cap = total;
    }
    // At most this many bytes per second from now on (0: as fast as it goes).
    void SetRate(Way way, std::uint64_t bytesPerSecond)
    {
        std::lock_guard lock(m_mutex);
        Gate& g = m_gates[Index(way)];
        g.rate = bytesPerSecond;
        g.rateStart = std::chrono::steady_clock::now();
        g.rateBase = g.forwarded;
    }
    // The next frame that way matching `match` is held with everything after it (until SetCap).
    void HoldAt(Way way, Match match)
    {
        std::lock_guard lock(m_mutex);
        m_gates[Index(way)].holdAt = std::move(match);
    }
    // Bytes read from the current connection that way and not forwarded, past the first held frame.
    std::size_t HeldBehind(Way way)
    {
        std::promise<std::size_t> result;
        asio::post(m_io, [this, way, &result] {
            std::size_t total = 0;
            for (auto& weak : m_links)
                if (auto link = weak.lock(); link && !link->closed)
                {
                    const Bytes& p = link->pending[Index(way)];
                    const std::size_t first = WholeFrame(p, 0);
                    total += first > 0 ? p.size() - first : 0;
                }
            result.set_value(total);
        });
        return result.get_future().get();
    }
    bool Holding(Way way)
    {
        std::lock_guard lock(m_mutex);
        const Gate& g = m_gates[Index(way)];
        return g.cap != Unlimited && g.forwarded >= g.cap;
    }

    // Closes every connection through the proxy at once, dropping whatever it was holding back:
    // the network failing at an exact point.
    void Cut()
    {
        std::promise<void> done;
        asio::post(m_io, [this, &done] {
            for (auto& weak : m_links)
                if (auto link = weak.lock())
                {
                    link->Close();
                    link->pending = {};
                }
            done.set_value();
        });
        done.get_future().wait();
    }

    std::vector<Seen> Frames(Way way)
    {
        std::lock_guard lock(m_mutex);
        return m_gates[Index(way)].frames;
    }
    template <class T> std::vector<std::pair<std::size_t, T>> FramesOf(Way way)
    {
        std::vector<std::pair<std::size_t, T>> out;
        for (auto& seen : Frames(way))
            if (auto* t = std::get_if<T>(&seen.message))
                out.emplace_back(seen.link, *t);
        return out;
    }

private:
    struct Gate
    {
        std::uint64_t forwarded = 0;
        std::uint64_t cap = Unlimited;
        std::uint64_t rate = 0;
        std::chrono::steady_clock::time_point rateStart{};
        std::uint64_t rateBase = 0;
        Match holdAt;
        std::vector<Seen> frames;
    };

    struct Link
    {
        explicit Link(asio::io_context& io) : client(io), server(io), timers{asio::steady_timer(io), asio::steady_timer(io)} {}
        void Close()
        {
            asio::error_code ignored;
            client.close(ignored);
            server.close(ignored);
            timers[0].cancel();
            timers[1].cancel();
            closed = true;
        }
        std::size_t number = 0;
        asio::ip::tcp::socket client;
        asio::ip::tcp::socket server;
        std::array<asio::steady_timer, 2> timers;
        std::array<std::array<std::uint8_t, 64 * 1024>, 2> buffers{};
        std::array<Bytes, 2> pending; // read, not forwarded yet
        std::array<Bytes, 2> out;     // being forwarded
        std::array<bool, 2> reading{};
        std::array<bool, 2> writing{};
        std::array<bool, 2> waiting{};
        bool closed = false;
    };

    static std::size_t Index(Way way) { return way == Way::Up ? 0 : 1; }

    // The size of the whole frame at the front of `bytes`, or 0 while it is incomplete.
    static std::size_t WholeFrame(const Bytes& bytes, std::size_t at)
    {
        if (bytes.size() - at < net::HeaderBytes)
            return 0;
        const std::size_t length = (std::size_t{bytes[at]} << 24) | (std::size_t{bytes[at + 1]} << 16) |
                                   (std::size_t{bytes[at + 2]} << 8) | std::size_t{bytes[at + 3]};
        const std::size_t frame = net::HeaderBytes + length;
        return bytes.size() - at >= frame ? frame : 0;
    }

    void Accept()
    {
        m_acceptor.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
            if (ec)
                return;
            auto link = std::make_shared<Link>(m_io);
            link->number = ++m_linkCount;
            link->client = std::move(socket);
            asio::error_code connectError;
            link->server.connect(asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), m_target.load()),
                                 connectError);
            if (connectError)
                link->Close();
            else
            {
                m_links.push_back(link);
                Read(link, Way::Up);
                Read(link, Way::Down);
            }
            Accept();
        });
    }

    // How many bytes at the front of the pending ones the gate lets through now (whole frames).
    std::size_t Release(Link& link, Way way)
    {
        const std::size_t i = Index(way);
        const Bytes& pending = link.pending[i];
        std::lock_guard lock(m_mutex);
        Gate& g = m_gates[i];
        std::size_t at = 0;
        while (const std::size_t frame = WholeFrame(pending, at))
        {
            if (g.forwarded >= g.cap)
                break;
            if (g.rate > 0)
            {
                const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - g.rateStart).count();
                if (elapsed * static_cast<double>(g.rate) < static_cast<double>(g.forwarded - g.rateBase + frame))
                    break;
            }
            net::Message m;
            const bool decoded =
                net::DecodeFrame(std::span<const std::uint8_t>(pending.data() + at, frame), m) == net::DecodeError::None;
            if (decoded && g.holdAt && g.holdAt(m))
            {
                g.holdAt = nullptr;
                g.cap = g.forwarded;
                break;
            }
            g.forwarded += frame;
            Seen seen{link.number, std::move(m), 0};
            if (auto* chunk = std::get_if<net::FileChunk>(&seen.message))
            {
                seen.chunkBytes = chunk->bytes.size();
                chunk->bytes = {};
            }
            g.frames.push_back(std::move(seen));
            at += frame;
        }
        return at;
    }

    // Reads on while frames are held back (up to Buffered bytes): a close is noticed at once, and
    // frames queued behind a held one are released together with it.
    static constexpr std::size_t Buffered = std::size_t{4} << 20;

    void Read(const std::shared_ptr<Link>& link, Way way)
    {
        const std::size_t i = Index(way);
        if (link->closed || link->reading[i] || link->pending[i].size() >= Buffered)
            return;
        link->reading[i] = true;
        auto& from = way == Way::Up ? link->client : link->server;
        from.async_read_some(asio::buffer(link->buffers[i]), [this, link, way, i](asio::error_code ec, std::size_t n) {
            link->reading[i] = false;
            if (ec)
                return link->Close();
            link->pending[i].insert(link->pending[i].end(), link->buffers[i].begin(),
                                    link->buffers[i].begin() + static_cast<std::ptrdiff_t>(n));
            Read(link, way);
            Forward(link, way);
        });
    }

    void Forward(const std::shared_ptr<Link>& link, Way way)
    {
        const std::size_t i = Index(way);
        if (link->closed || link->writing[i])
            return;
        auto& to = way == Way::Up ? link->server : link->client;
        Bytes& pending = link->pending[i];
        if (const std::size_t n = Release(*link, way); n > 0)
        {
            link->writing[i] = true;
            link->out[i].assign(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
            pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
            asio::async_write(to, asio::buffer(link->out[i]), [this, link, way, i](asio::error_code ec, std::size_t) {
                link->writing[i] = false;
                if (ec)
                    return link->Close();
                Forward(link, way);
                Read(link, way);
            });
            return;
        }
        if (WholeFrame(pending, 0) > 0 && !link->waiting[i])
        {
            // a whole frame is held back: look again shortly
            link->waiting[i] = true;
            link->timers[i].expires_after(2ms);
            link->timers[i].async_wait([this, link, way, i](asio::error_code ec) {
                link->waiting[i] = false;
                if (!ec)
                    Forward(link, way);
            });
        }
    }

    asio::io_context m_io;
    asio::ip::tcp::acceptor m_acceptor{m_io};
    std::uint16_t m_port = 0;
    std::atomic<std::uint16_t> m_target{0};
    std::size_t m_linkCount = 0;
    std::vector<std::weak_ptr<Link>> m_links;
    std::mutex m_mutex;
    std::array<Gate, 2> m_gates;
    std::thread m_thread; // last: started once everything else exists
};

// Starts the server with its files in `data`.
TestServer& StartWithData(Harness& h, const TempDir& data)
{
    net::ServerConfig config;
    config.dataDir = data.Path();
    return h.StartServer(config);
}

// Starts the server with its files in `data`, with `proxy` forwarding to it.
TestServer& StartProxied(Harness& h, Proxy& proxy, const TempDir& data)
{
    TestServer& server = StartWithData(h, data);
    proxy.Target(server.port);
    return server;
}

// A client connected through `proxy` as `nick` (with reconnecting), once the server reports it.
TestClient& JoinVia(Harness& h, Proxy& proxy, const std::string& nick, Reconnect reconnect = Reconnect::Yes)
{
    TestClient& c = h.AddClient(nick);
    c.Connect(proxy.Port(), nick, {}, reconnect);
    h.WaitUntil([&] { return c.Connected() || c.Ended(); }, nick + " to join through the proxy");
    REQUIRE_MESSAGE(c.Connected(), nick << " could not join: " << c.model.StateText());
    h.WaitUntil([&] { return h.Server().HasJoined(nick); }, "the server to report " + nick + " joined");
    return c;
}

// The size of the one partial upload in the server's files/partial (0 when there is none).
std::uint64_t PartialBytes(const fs::path& partialDir)
{
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(partialDir, ec))
        if (entry.is_regular_file())
            return entry.file_size(ec);
    return 0;
}

std::uint64_t SizeOf(const fs::path& path)
{
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return ec ? 0 : size;
}

// Done never decreases over a transfer's events (a resume continues, it never starts over).
bool NeverGoesBack(const std::vector<net::TransferStatus>& events)
{
    for (std::size_t i = 1; i < events.size(); ++i)
        if (events[i].done < events[i - 1].done)
            return false;
    return true;
}

std::string DoneList(const std::vector<net::TransferStatus>& events)
{
    std::string out;
    for (const auto& e : events)
        out += std::string(net::TransferStateName(e.state)) + ":" + std::to_string(e.done) + " ";
    return out;
}

// FileChunk bytes recorded after the first frame matching `pred` (nullopt: no such frame).
template <class Pred> std::optional<std::uint64_t> ChunkBytesAfter(const std::vector<Proxy::Seen>& frames, Pred pred)
{
    auto it = std::find_if(frames.begin(), frames.end(), pred);
    if (it == frames.end())
        return std::nullopt;
    std::uint64_t total = 0;
    for (++it; it != frames.end(); ++it)
        total += it->chunkBytes;
    return total;
}

// [SECTION] A fake server: one connection, frames handled on its own thread.

class FakeServer
{
public:
    using Handler = std::function<void(FakeServer&, net::Message&)>;

    explicit FakeServer(Handler handler) : m_handler(std::move(handler))
    {
        const asio::ip::tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
        m_acceptor.open(endpoint.protocol());
        m_acceptor.bind(endpoint);
        m_acceptor.listen();
        m_port = m_acceptor.local_endpoint().port();
        m_acceptor.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
            if (ec)
                return;
            m_socket = std::move(socket);
            Read();
        });
        m_thread = std::thread([this] { m_io.run(); });
    }

    ~FakeServer()
    {
        asio::post(m_io, [this] {
            asio::error_code ignored;
            m_acceptor.close(ignored);
            m_socket.close(ignored);
        });
        m_thread.join();
    }

    std::uint16_t Port() const { return m_port; }

    // From the handler (the fake server's thread) only.
    void Send(const net::Message& message)
    {
        asio::error_code ignored;
        asio::write(m_socket, asio::buffer(net::Encode(message)), ignored);
    }

    std::vector<net::Message> Received()
    {
        std::lock_guard lock(m_mutex);
        return m_received;
    }

    template <class T> std::size_t Count()
    {
        const auto all = Received();
        return static_cast<std::size_t>(
            std::count_if(all.begin(), all.end(), [](const net::Message& m) { return std::holds_alternative<T>(m); }));
    }

private:
    void Read()
    {
        m_socket.async_read_some(asio::buffer(m_buffer), [this](asio::error_code ec, std::size_t n) {
            if (ec)
                return;
            m_reader.Feed(std::span<const std::uint8_t>(m_buffer.data(), n));
            net::Message m;
            while (m_reader.Next(m))
            {
                {
                    std::lock_guard lock(m_mutex);
                    m_received.push_back(m);
                }
                m_handler(*this, m);
            }
            if (m_reader.Error() == net::DecodeError::None)
                Read();
        });
    }

    Handler m_handler;
    asio::io_context m_io;
    asio::ip::tcp::acceptor m_acceptor{m_io};
    asio::ip::tcp::socket m_socket{m_io};
    std::uint16_t m_port = 0;
    net::FrameReader m_reader;
    std::array<std::uint8_t, 64 * 1024> m_buffer{};
    std::mutex m_mutex;
    std::vector<net::Message> m_received;
    std::thread m_thread; // last: started once everything else exists
};

// Answers a Hello like a real server: the Challenge to sign.
void Challenge(FakeServer& fake)
{
    net::Challenge challenge{net::ProtocolVersion, {}};
    challenge.nonce.fill(0x5A);
    fake.Send(challenge);
}

// Answers the Proof like a real server: Welcome, then an empty join history.
void Welcome(FakeServer& fake, const std::string& nick, std::uint64_t maxFileBytes = net::DefaultMaxFileBytes)
{
    net::Welcome welcome;
    welcome.nick = nick;
    welcome.serverName = "fake";
    welcome.serverTimeMs = engine::NowMs();
    welcome.users = {nick, "mallory"};
    welcome.maxFileBytes = maxFileBytes;
    welcome.rooms = {net::RoomInfo{net::EveryoneRoom, "", 2, {}, true}};
    fake.Send(welcome);
    fake.Send(net::History{});
}

net::Chat FileMessage(std::uint64_t id, const std::string& name, std::uint64_t size, const Digest& sha)
{
    net::Chat chat;
    chat.id = id;
    chat.timeMs = engine::NowMs();
    chat.kind = ChatKind::Public;
    chat.from = "mallory";
    chat.text = name;
    chat.file = net::FileInfo{};
    chat.file->size = size;
    chat.file->mime = "application/octet-stream";
    chat.file->sha256 = sha;
    return chat;
}

// [SECTION] Images

engine::DecodedImage Gradient(int width, int height)
{
    engine::DecodedImage image;
    image.width = width;
    image.height = height;
    image.rgba.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
        {
            const std::size_t at = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 4;
            image.rgba[at + 0] = static_cast<std::uint8_t>(x * 255 / std::max(1, width - 1));
            image.rgba[at + 1] = static_cast<std::uint8_t>(y * 255 / std::max(1, height - 1));
            image.rgba[at + 2] = static_cast<std::uint8_t>((x / 16 + y / 16) % 2 ? 200 : 40);
            image.rgba[at + 3] = 255;
        }
    return image;
}

Bytes Png(const engine::DecodedImage& image)
{
    Bytes png = engine::EncodePng(image);
    REQUIRE(!png.empty());
    return png;
}

// A GIF89a with a 256-colour palette whose LZW stream holds only literal codes: 9 bits each, with
// a clear code often enough that the decoder's code size never grows past 9.
Bytes Gif(int width, int height)
{
    Bytes gif{'G', 'I', 'F', '8', '9', 'a'};
    PutLe16(gif, static_cast<std::uint32_t>(width));
    PutLe16(gif, static_cast<std::uint32_t>(height));
    gif.insert(gif.end(), {0xF7, 0x00, 0x00}); // global colour table of 256 entries
    for (int i = 0; i < 256; ++i)
        gif.insert(gif.end(), {static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(255 - i),
                               static_cast<std::uint8_t>((i * 7) & 0xFF)});
    gif.push_back(0x2C); // image descriptor at 0,0, no local table
    PutLe16(gif, 0);
    PutLe16(gif, 0);
    PutLe16(gif, static_cast<std::uint32_t>(width));
    PutLe16(gif, static_cast<std::uint32_t>(height));
    gif.push_back(0x00);
    gif.push_back(8); // LZW minimum code size

    Bytes lzw;
    std::uint32_t acc = 0;
    int filled = 0;
    const auto code = [&](std::uint32_t c) {
        acc |= c << filled;
        filled += 9;
        while (filled >= 8)
        {
            lzw.push_back(static_cast<std::uint8_t>(acc));
            acc >>= 8;
            filled -= 8;
        }
    };
    constexpr std::uint32_t Clear = 256;
    constexpr std::uint32_t End = 257;
    int sinceClear = 0;
    code(Clear);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
        {
            if (sinceClear == 200)
            {
                code(Clear);
                sinceClear = 0;
            }
            code(static_cast<std::uint32_t>((x * 4 + y) & 0xFF));
            ++sinceClear;
        }
    code(End);
    if (filled > 0)
        lzw.push_back(static_cast<std::uint8_t>(acc));
    for (std::size_t at = 0; at < lzw.size(); at += 255)
    {
        const std::size_t n = std::min<std::size_t>(255, lzw.size() - at);
        gif.push_back(static_cast<std::uint8_t>(n));
        gif.insert(gif.end(), lzw.begin() + static_cast<std::ptrdiff_t>(at),
                   lzw.begin() + static_cast<std::ptrdiff_t>(at + n));
    }
    gif.push_back(0x00); // end of the image data
    gif.push_back(0x3B); // trailer
    return gif;
}

// A well-formed PNG whose header claims width x height pixels over a tiny compressed stream.
Bytes PngClaiming(std::uint32_t width, std::uint32_t height)
{
    return PngWith(width, height, {0x78, 0x01, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01});
}

// The preview's size must keep the image's aspect (to a pixel) with the longest side at most 480
// and never larger than the image.
void CheckThumbSize(const net::FileInfo& info, std::uint32_t width, std::uint32_t height)
{
    CHECK(info.imageWidth == width);
    CHECK(info.imageHeight == height);
    REQUIRE(info.thumbWidth > 0);
    REQUIRE(info.thumbHeight > 0);
    CHECK(info.thumbWidth <= 480);
    CHECK(info.thumbHeight <= 480);
    CHECK(info.thumbWidth <= width);
    CHECK(info.thumbHeight <= height);
    const std::uint32_t longest = std::max(width, height);
    CHECK(std::max(info.thumbWidth, info.thumbHeight) == std::min<std::uint32_t>(longest, 480));
    // thumbW / thumbH == width / height, within a pixel of rounding on the short side
    const double expectedShort = static_cast<double>(std::min(width, height)) *
                                 std::max(info.thumbWidth, info.thumbHeight) / static_cast<double>(longest);
    const double actualShort = std::min(info.thumbWidth, info.thumbHeight);
    CHECK(std::abs(actualShort - expectedShort) <= 1.0);
    CHECK((width >= height) == (info.thumbWidth >= info.thumbHeight));
}

} // namespace

TEST_SUITE("files")
{
    TEST_CASE("files of 0 B, 1 B, one chunk give or take a byte and 10 MiB arrive byte-exact at the receiver and in the server store")
    {
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        StartWithData(h, data);
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");

        const std::vector<std::size_t> sizes{0, 1, FileChunkBytes - 1, FileChunkBytes, FileChunkBytes + 1,
                                             std::size_t{10} << 20};
        std::vector<std::string> names;
        std::vector<std::uint64_t> uploads;
        for (std::size_t i = 0; i < sizes.size(); ++i)
        {
            const std::size_t size = sizes[i];
            CAPTURE(size);
            const Bytes bytes = RandomBytes(size, 100 + i);
            const std::string name = "random-" + std::to_string(size) + ".bin";
            names.push_back(name);
            const fs::path path = src.Path() / name;
            WriteFile(path, bytes);

            const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), path);
            uploads.push_back(id);
            const net::Chat chat = WaitDelivered(h, ana, id, {&bo}, BigTimeout);
            CHECK(chat.kind == ChatKind::Public);
            CHECK(chat.from == "ana");
            CHECK(chat.to.IsEveryone());
            CHECK(chat.text == name);
            REQUIRE(chat.file);
            CHECK(chat.file->size == size);
            CHECK(chat.file->sha256 == Sha(bytes));
            CHECK(chat.file->mime == "application/octet-stream");
            CHECK(chat.file->thumbWidth == 0);
            CHECK(chat.file->imageWidth == 0);
            CHECK(AckFor(ana, id)->id == chat.id);

            // the sender gets the message too, with the same details
            const auto own = FileChat(ana, chat.id);
            REQUIRE(own);
            CHECK(*own->file == *chat.file);
            CHECK(own->text == name);

            // the server keeps it under its SHA-256
            const fs::path stored = data.Path() / "files" / engine::Sha256::Hex(Sha(bytes));
            CHECK_MESSAGE(fs::is_regular_file(stored), stored.string());
            CHECK_MESSAGE(CompareFile(stored, bytes).empty(), CompareFile(stored, bytes));

            const fs::path saved = Fetch(h, bo, chat, dl.Path(), BigTimeout);
            CHECK(saved == dl.Path() / name);
            CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
            const fs::path* inModel = bo.model.SavedPath(chat.id);
            REQUIRE(inModel != nullptr);
            CHECK(*inModel == saved);
        }

        std::vector<std::string> expected = names;
        std::sort(expected.begin(), expected.end());
        CHECK_MESSAGE(FilesUnder(dl.Path()) == expected, Join(FilesUnder(dl.Path()))); // no .part left
        CHECK(DirEmpty(data.Path() / "files" / "partial"));

        // the sender's model: one line per file, none pending, every upload done
        std::size_t fileLines = 0;
        for (const auto& line : ana.model.Everyone().lines)
            if (line.file)
            {
                ++fileLines;
                CHECK(line.own);
                CHECK_FALSE(line.pending);
                CHECK_FALSE(line.failed);
            }
        CHECK(fileLines == sizes.size());
        for (const auto id : uploads)
        {
            const ui::TransferView* t = ana.model.FindTransfer(Dir::Upload, id);
            REQUIRE(t != nullptr);
            CHECK(t->status.state == State::Done);
        }
        CHECK(ana.model.ActiveTransfers() == 0);
        CHECK(bo.model.ActiveTransfers() == 0);
    }

    TEST_CASE("a private file reaches only its recipient and anyone else asking for it gets NotFound")
    {
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dlBo;
        TempDir dlCy;
        auto& server = StartWithData(h, data);
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");
        auto& cy = h.Join("cy");

        const Bytes bytes = RandomBytes(FileChunkBytes * 2 + 5, 21);
        WriteFile(src.Path() / "secret.bin", bytes);
        const net::Chat chat = Deliver(h, ana, net::Target::Person("bo"), src.Path() / "secret.bin", {&bo});
        CHECK(chat.kind == ChatKind::Private);
        CHECK(chat.from == "ana");
        CHECK(chat.to == net::Target::Person("bo"));
        CHECK(chat.text == "secret.bin");
        REQUIRE(FileChat(ana, chat.id)); // the sender sees it too
        CHECK(FileChat(ana, chat.id)->kind == ChatKind::Private);

        // everything the server sent cy before this public line has arrived: cy never saw the file
        SayAndWait(h, ana, {&bo, &cy}, "after the private file");
        CHECK(FileChats(cy).empty());
        for (const auto& e : cy.seen)
            CHECK_FALSE((e.kind == ClientEvent::Kind::Chat && e.chat.id == chat.id));

        // cy asks for it anyway (it knows the id): NotFound, nothing written
        h.Pump();
        const std::size_t since = cy.seen.size();
        cy.client.Download(chat, dlCy.Path());
        const auto refused = WaitFinal(h, cy, Dir::Download, chat.id, since);
        CHECK(refused.state == State::Failed);
        CHECK_MESSAGE(Contains(refused.error, "no such file"), refused.error);
        // its empty .part goes right after (on the client's disk thread)
        h.WaitUntil([&] { return FilesUnder(dlCy.Path()).empty(); }, "cy's .part to be removed");
        cy.client.RequestThumb(chat.id);
        h.WaitUntil([&] { return !cy.EventsOf(ClientEvent::Kind::Thumb).empty(); }, "cy's (empty) preview answer");
        CHECK(cy.EventsOf(ClientEvent::Kind::Thumb).back().fileId == chat.id);
        CHECK(cy.EventsOf(ClientEvent::Kind::Thumb).back().bytes.empty());

        // so does a raw peer, for that id, for a message that is not a file and for an unknown id
        auto dee = JoinRaw(h, "dee");
        const std::uint64_t textId = cy.Chats(ChatKind::Public).back().id;
        for (const std::uint64_t id : {chat.id, textId, chat.id + 1000})
        {
            CAPTURE(id);
            dee->Send(net::FileGet{id, 0});
            std::vector<net::Message> skipped;
            const auto abort = NextOf<net::FileAbort>(*dee, &skipped);
            REQUIRE(abort);
            CHECK(abort->id == id);
            CHECK(abort->direction == Dir::Download);
            CHECK(abort->code == FileAbortCode::NotFound);
            for (const auto& m : skipped)
                CHECK_FALSE(std::holds_alternative<net::FileChunk>(m));
        }
        dee->Send(net::ThumbGet{chat.id});
        const auto thumb = NextOf<net::Thumb>(*dee);
        REQUIRE(thumb);
        CHECK(thumb->png.empty());

        // bo gets it byte-exact
        const fs::path saved = Fetch(h, bo, chat, dlBo.Path());
        CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));

        // after a restart the server finds it in the archive, with the same rule
        dee.reset();
        h.StopServer();
        h.RestartServer();
        REQUIRE(server.Count(net::ServerEvent::Kind::Started) == 2);
        auto cy2 = JoinRaw(h, "cy");
        cy2->Send(net::FileGet{chat.id, 0});
        const auto abort = NextOf<net::FileAbort>(*cy2);
        REQUIRE(abort);
        CHECK(abort->code == FileAbortCode::NotFound);
        auto bo2 = JoinRaw(h, "bo");
        bo2->Send(net::FileGet{chat.id, 0});
        Bytes received;
        while (received.size() < bytes.size())
        {
            const auto chunk = NextOf<net::FileChunk>(*bo2);
            REQUIRE_MESSAGE(chunk, "the download stopped after " << received.size() << " bytes");
            REQUIRE(chunk->offset == received.size());
            received.insert(received.end(), chunk->bytes.begin(), chunk->bytes.end());
        }
        CHECK(received == bytes);
    }

    TEST_CASE("hostile file names are sanitized by the server and every download lands inside the downloads folder")
    {
        Harness h;
        TempDir data;
        TempDir root; // the downloads folder is two levels down: "../../x" would land in root
        const fs::path dl = root.Path() / "downloads" / "inner";
        fs::create_directories(dl);
        StartWithData(h, data);
        auto& bo = h.Join("bo");
        auto raw = JoinRaw(h, "raw");

        struct Case
        {
            std::string offered;
            std::string expected;
        };
        const std::vector<Case> cases{
            {"../../evil1.txt", "evil1.txt"},
            {"..\\..\\evil2.txt", "evil2.txt"},
            {"/etc/evil3.conf", "evil3.conf"},
            {"C:\\Windows\\evil4.dll", "evil4.dll"},
            {"CON.txt", "_CON.txt"},
            {"nul", "_nul"},
            {"com1.log", "_com1.log"},
            {".hidden", "_hidden"},
            {"..", "file"},
            {"line\nbreak\ttab\x01\x7f.txt", "line_break_tab__.txt"},
            {"what?<>|*:\".txt", "what_______.txt"},
            {"trailing. . ", "trailing"},
            {"photo\u202Etxt.exe", "photo_txt.exe"},
            {std::string(300, 'a') + ".txt", std::string(196, 'a') + ".txt"},
        };
        std::vector<std::string> expectedFiles;
        for (std::size_t i = 0; i < cases.size(); ++i)
        {
            const auto& c = cases[i];
            CAPTURE(c.offered);
            const Bytes bytes = TextBytes("content of case " + std::to_string(i) + "\n");
            const std::uint64_t id = ExpectAck(RawUpload(*raw, 1 + i, c.offered, bytes, Sha(bytes))).id;
            h.WaitUntil([&] { return FileChat(bo, id).has_value(); }, "bo to get " + c.expected);
            const net::Chat chat = *FileChat(bo, id);
            CHECK(chat.text == c.expected);
            const fs::path saved = Fetch(h, bo, chat, dl);
            CHECK(saved == dl / c.expected);
            CHECK(saved.parent_path() == dl);
            CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
            expectedFiles.push_back("downloads/inner/" + c.expected);
        }
        std::sort(expectedFiles.begin(), expectedFiles.end());
        // nothing anywhere else under root, no .part left behind
        CHECK_MESSAGE(FilesUnder(root.Path()) == expectedFiles, Join(FilesUnder(root.Path())));
        // the server kept them only under their hashes
        for (const auto& name : FilesUnder(data.Path()))
            CHECK_MESSAGE(name.find("evil") == std::string::npos, name);
        CHECK_FALSE(fs::exists(data.Path().parent_path() / "evil1.txt"));
        CHECK_FALSE(fs::exists(data.Path() / "evil1.txt"));
    }

    TEST_CASE("two downloads of one file into one folder give name.ext and name (1).ext and never overwrite a file already there")
    {
        Harness h;
        TempDir src;
        TempDir first;
        TempDir second;
        h.StartServer();
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");
        const Bytes bytes = RandomBytes(FileChunkBytes + 100, 31);
        WriteFile(src.Path() / "notes.txt", bytes);
        const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / "notes.txt", {&bo});

        const fs::path a = Fetch(h, bo, chat, first.Path());
        const fs::path b = Fetch(h, bo, chat, first.Path());
        CHECK(a == first.Path() / "notes.txt");
        CHECK(b == first.Path() / "notes (1).txt");
        CHECK(CompareFile(a, bytes).empty());
        CHECK(CompareFile(b, bytes).empty());
        CHECK(FilesUnder(first.Path()) == std::vector<std::string>{"notes (1).txt", "notes.txt"});

        // files of the user already there stay untouched
        const Bytes mine = TextBytes("my own notes, keep them\n");
        const Bytes mineToo = TextBytes("and these\n");
        WriteFile(second.Path() / "notes.txt", mine);
        WriteFile(second.Path() / "notes (1).txt", mineToo);
        const fs::path c = Fetch(h, bo, chat, second.Path());
        CHECK(c == second.Path() / "notes (2).txt");
        CHECK(CompareFile(c, bytes).empty());
        CHECK(CompareFile(second.Path() / "notes.txt", mine).empty());
        CHECK(CompareFile(second.Path() / "notes (1).txt", mineToo).empty());
        CHECK(FilesUnder(second.Path()) == std::vector<std::string>{"notes (1).txt", "notes (2).txt", "notes.txt"});
    }

    TEST_CASE("the server refuses an upload with a wrong SHA-256 or the wrong bytes and keeps nothing of it")
    {
        Harness h;
        TempDir data;
        StartWithData(h, data);
        auto& bo = h.Join("bo");
        auto raw = JoinRaw(h, "raw");
        const fs::path files = data.Path() / "files";
        const Bytes bytes = RandomBytes(FileChunkBytes + 4000, 41);
        Digest wrong = Sha(bytes);
        wrong[7] ^= 0x40;

        {
            INFO("a wrong SHA-256 in FileEnd");
            const auto answer = RawUpload(*raw, 1, "wrong-hash.bin", bytes, wrong);
            REQUIRE_MESSAGE(std::holds_alternative<net::FileAbort>(answer), Describe(answer));
            const auto& abort = std::get<net::FileAbort>(answer);
            CHECK(abort.code == FileAbortCode::Corrupted);
            CHECK(abort.direction == Dir::Upload);
            CHECK_MESSAGE(Contains(abort.reason, "SHA-256"), abort.reason);
            WaitPartialRemoved(h, files);
            CHECK_MESSAGE(FilesUnder(files).empty(), Join(FilesUnder(files)));
        }
        {
            INFO("FileEnd before every byte (truncated)");
            raw->Send(net::FileOffer{2, net::Target::Everyone(), "short.bin", bytes.size()});
            ExpectAccept(*raw, 2);
            SendChunks(*raw, 2, bytes, 0, FileChunkBytes);
            raw->Send(net::FileEnd{2, Sha(bytes)});
            const net::FileAbort abort = ExpectAbort(*raw, 2);
            CHECK(abort.code == FileAbortCode::Corrupted);
            CHECK_MESSAGE(Contains(abort.reason, std::to_string(FileChunkBytes)), abort.reason);
            WaitPartialRemoved(h, files);
        }
        {
            INFO("bytes past the announced size");
            raw->Send(net::FileOffer{3, net::Target::Everyone(), "long.bin", 100});
            ExpectAccept(*raw, 3);
            raw->Send(net::FileChunk{3, 0, Bytes(101, 0x33)});
            const net::FileAbort abort = ExpectAbort(*raw, 3);
            CHECK(abort.code == FileAbortCode::Invalid);
            // what follows for that id is ignored
            raw->Send(net::FileEnd{3, Sha(Bytes(101, 0x33))});
            WaitPartialRemoved(h, files);
        }
        {
            INFO("bytes out of order");
            raw->Send(net::FileOffer{4, net::Target::Everyone(), "jumbled.bin", 100});
            ExpectAccept(*raw, 4);
            raw->Send(net::FileChunk{4, 50, Bytes(50, 0x44)});
            const net::FileAbort abort = ExpectAbort(*raw, 4);
            CHECK(abort.code == FileAbortCode::Invalid);
            raw->Send(net::FileChunk{4, 0, Bytes(50, 0x44)});
            WaitPartialRemoved(h, files);
        }
        {
            INFO("a chunk and an end for an upload never offered are ignored");
            raw->Send(net::FileChunk{9, 0, Bytes(10, 0x99)});
            raw->Send(net::FileEnd{9, Sha(Bytes(10, 0x99))});
        }
        {
            INFO("the same connection then uploads a good file");
            ExpectAck(RawUpload(*raw, 5, "good.bin", bytes, Sha(bytes)));
        }
        h.WaitUntil([&] { return FileChats(bo).size() == 1; }, "bo to get the good file");
        auto& cy = h.Join("cy");
        SayAndWait(h, cy, {&bo}, "sync");
        const auto chats = FileChats(bo);
        REQUIRE(chats.size() == 1); // none of the refused ones was posted
        CHECK(chats[0].text == "good.bin");
        CHECK(FilesUnder(files) == std::vector<std::string>{engine::Sha256::Hex(Sha(bytes))});
    }

    TEST_CASE("a client refuses a download whose SHA-256 or bytes do not match and keeps nothing of it")
    {
        const Bytes big = RandomBytes(FileChunkBytes * 2 + 77, 51);
        const Bytes small = RandomBytes(1000, 52);
        Digest wrong = Sha(big);
        wrong[0] ^= 1;
        std::string nick; // from the Hello (the fake server's thread only)
        FakeServer fake([&](FakeServer& f, net::Message& m) {
            if (auto* hello = std::get_if<net::Hello>(&m))
            {
                nick = hello->nick;
                Challenge(f);
            }
            else if (std::holds_alternative<net::Proof>(m))
            {
                Welcome(f, nick);
                f.Send(FileMessage(77, "damaged.bin", big.size(), wrong));
                f.Send(FileMessage(78, "jumbled.bin", small.size(), Sha(small)));
                f.Send(FileMessage(79, "too-long.bin", small.size(), Sha(small)));
                f.Send(FileMessage(80, "../../../escape.bin", small.size(), Sha(small)));
                f.Send(FileMessage(81, "CON", small.size(), Sha(small)));
            }
            else if (auto* get = std::get_if<net::FileGet>(&m))
            {
                f.Send(net::FileAccept{get->id, get->offset, net::TransferDirection::Download});
                const Bytes& bytes = get->id == 77 ? big : small;
                if (get->id == 78) // out of order
                    return f.Send(net::FileChunk{78, 10, Bytes(small.begin() + 10, small.end())});
                if (get->id == 79) // one byte more than announced
                {
                    Bytes more = small;
                    more.push_back(0);
                    return f.Send(net::FileChunk{79, 0, more});
                }
                for (const auto& chunk : Chunks(get->id, bytes, get->offset))
                    f.Send(chunk);
            }
        });
        Harness h;
        TempDir root;
        const fs::path dl = root.Path() / "a" / "b" / "c";
        auto& vic = h.AddClient("vic");
        vic.Connect(fake.Port(), "vic");
        h.WaitUntil([&] { return vic.Connected() || vic.Ended(); }, "vic to join the fake server");
        REQUIRE(vic.Connected());
        h.WaitUntil([&] { return FileChats(vic).size() == 5; }, "the fake file messages");
        const auto chats = FileChats(vic);

        vic.client.Download(chats[0], dl);
        const auto damaged = WaitFinal(h, vic, Dir::Download, 77);
        CHECK(damaged.state == State::Failed);
        CHECK_MESSAGE(Contains(damaged.error, "SHA-256"), damaged.error);
        CHECK_MESSAGE(Contains(damaged.error, "damaged"), damaged.error);
        CHECK_MESSAGE(FilesUnder(root.Path()).empty(), Join(FilesUnder(root.Path()))); // no file, no .part

        vic.client.Download(chats[1], dl);
        const auto jumbled = WaitFinal(h, vic, Dir::Download, 78);
        CHECK(jumbled.state == State::Failed);
        CHECK_MESSAGE(Contains(jumbled.error, "out of order"), jumbled.error);

        vic.client.Download(chats[2], dl);
        const auto tooLong = WaitFinal(h, vic, Dir::Download, 79);
        CHECK(tooLong.state == State::Failed);
        CHECK_MESSAGE(Contains(tooLong.error, "more bytes"), tooLong.error);
        h.WaitUntil([&] { return FilesUnder(root.Path()).empty(); }, "the refused downloads' .part files to go",
                    DefaultTimeout);
        // the client told the server it gave those up
        h.WaitUntil([&] { return fake.Count<net::FileAbort>() >= 2; }, "the client's FileAborts");

        // names from a hostile server are sanitized by the client too
        const fs::path escape = Fetch(h, vic, chats[3], dl);
        CHECK(escape == dl / "escape.bin");
        CHECK(CompareFile(escape, small).empty());
        const fs::path con = Fetch(h, vic, chats[4], dl);
        CHECK(con == dl / "_CON");
        CHECK(FilesUnder(root.Path()) == std::vector<std::string>{"a/b/c/_CON", "a/b/c/escape.bin"});
    }

    TEST_CASE("a file over the server's size limit is refused before a byte is sent")
    {
        Proxy proxy; // records what the client sends
        Harness h;
        TempDir data;
        TempDir src;
        net::ServerConfig config;
        config.dataDir = data.Path();
        config.maxFileBytes = 1000;
        auto& server = h.StartServer(config);
        proxy.Target(server.port);
        auto& bo = h.Join("bo");
        auto& ana = JoinVia(h, proxy, "ana", Reconnect::No);
        REQUIRE(!ana.EventsOf(ClientEvent::Kind::Connected).empty());
        CHECK(ana.EventsOf(ClientEvent::Kind::Connected).front().welcome.maxFileBytes == 1000);

        WriteFile(src.Path() / "too-big.bin", RandomBytes(1001, 61));
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "too-big.bin");
        const auto refused = WaitFinal(h, ana, Dir::Upload, id);
        CHECK(refused.state == State::Failed);
        CHECK_MESSAGE(Contains(refused.error, engine::FormatSize(1000)), refused.error);
        CHECK_MESSAGE(Contains(refused.error, "accepts files up to"), refused.error);
        const ui::Line* line = ana.OwnLine(id);
        REQUIRE(line != nullptr);
        CHECK(line->failed);
        // a Say after it has reached the server: so would any file frame sent before it
        SayAndWait(h, ana, {&bo}, "after the refused file");
        CHECK(proxy.FramesOf<net::FileOffer>(Way::Up).empty());
        CHECK(proxy.FramesOf<net::FileChunk>(Way::Up).empty());
        CHECK(proxy.FramesOf<net::FileEnd>(Way::Up).empty());
        CHECK(DirEmpty(data.Path() / "files" / "partial"));

        // exactly at the limit is fine
        const Bytes fits = RandomBytes(1000, 62);
        WriteFile(src.Path() / "fits.bin", fits);
        const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / "fits.bin", {&bo});
        CHECK(chat.file->size == 1000);

        // a raw peer that offers too much is refused at once, and what it sends anyway is dropped
        auto raw = JoinRaw(h, "raw");
        raw->Send(net::FileOffer{7, net::Target::Everyone(), "big.bin", 1001});
        const net::FileAbort abort = ExpectAbort(*raw, 7);
        CHECK(abort.code == FileAbortCode::TooLarge);
        CHECK_MESSAGE(Contains(abort.reason, engine::FormatSize(1000)), abort.reason);
        const Bytes extra = RandomBytes(1001, 63);
        SendChunks(*raw, 7, extra);
        raw->Send(net::FileEnd{7, Sha(extra)});
        const Bytes fine = TextBytes("small");
        const auto next = RawUpload(*raw, 8, "small.txt", fine, Sha(fine));
        CHECK_MESSAGE(std::holds_alternative<net::Ack>(next), Describe(next));
        SayAndWait(h, ana, {&bo}, "after the raw uploads");
        std::vector<std::string> names;
        for (const auto& c : FileChats(bo))
            names.push_back(c.text);
        CHECK(names == std::vector<std::string>{"fits.bin", "small.txt"});
        CHECK(DirEmpty(data.Path() / "files" / "partial"));
    }

    TEST_CASE("an upload cut midway resumes after the reconnect from what the server holds and arrives byte-exact")
    {
        Proxy proxy;
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        StartProxied(h, proxy, data);
        auto& bo = h.Join("bo");
        auto& ana = JoinVia(h, proxy, "ana");
        const Bytes bytes = RandomBytes(std::size_t{48} << 20, 71);
        WriteFile(src.Path() / "big.bin", bytes);
        const fs::path partial = data.Path() / "files" / "partial";

        // the proxy lets 8 MiB through, then holds the rest: the upload stops midway
        proxy.SetCap(Way::Up, proxy.Forwarded(Way::Up) + (std::uint64_t{8} << 20));
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "big.bin");
        h.WaitUntil([&] { return PartialBytes(partial) >= (std::uint64_t{4} << 20); },
                    "the server to hold 4 MiB of the upload", BigTimeout);
        const std::uint64_t held = PartialBytes(partial);
        CHECK(held < bytes.size());
        ana.client.DropConnection();
        h.WaitUntil([&] { return !ana.EventsOf(ClientEvent::Kind::Reconnecting).empty(); }, "ana to notice the cut");
        proxy.SetCap(Way::Up, Proxy::Unlimited);

        const net::Chat chat = WaitDelivered(h, ana, id, {&bo}, BigTimeout);
        CHECK(chat.file->size == bytes.size());
        CHECK(chat.file->sha256 == Sha(bytes));
        CHECK(ana.EventsOf(ClientEvent::Kind::Connected).size() == 2);

        // the second connection's offer was answered with what the server had: it resumed
        const auto accepts = proxy.FramesOf<net::FileAccept>(Way::Down);
        REQUIRE(accepts.size() == 2);
        CHECK(accepts[0].first == 1);
        CHECK(accepts[0].second.offset == 0);
        CHECK(accepts[1].first == 2);
        CHECK(accepts[1].second.offset >= held);
        CHECK(accepts[1].second.offset < bytes.size());
        std::uint64_t resent = 0;
        for (const auto& seen : proxy.Frames(Way::Up))
            if (seen.link == 2)
                resent += seen.chunkBytes;
        CHECK(resent == bytes.size() - accepts[1].second.offset);
        const auto events = Transfers(ana, Dir::Upload, id);
        CHECK_MESSAGE(NeverGoesBack(events), DoneList(events));
        for (const auto& e : events)
            CHECK(e.state != State::Failed);

        CHECK_MESSAGE(CompareFile(data.Path() / "files" / engine::Sha256::Hex(Sha(bytes)), bytes).empty(), "stored copy");
        const fs::path saved = Fetch(h, bo, chat, dl.Path(), BigTimeout);
        CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
        CHECK(DirEmpty(partial));
    }

    TEST_CASE("a download cut midway resumes after the reconnect from the bytes on disk and arrives byte-exact")
    {
        Proxy proxy;
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        StartProxied(h, proxy, data);
        auto& ana = h.Join("ana");
        auto& bo = JoinVia(h, proxy, "bo");
        const Bytes bytes = RandomBytes(std::size_t{48} << 20, 81);
        WriteFile(src.Path() / "big.bin", bytes);
        const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / "big.bin", {&bo}, BigTimeout);

        proxy.SetCap(Way::Down, proxy.Forwarded(Way::Down) + (std::uint64_t{8} << 20));
        bo.client.Download(chat, dl.Path());
        const fs::path part = dl.Path() / net::PartName("big.bin", chat.id, chat.file->sha256);
        h.WaitUntil([&] { return SizeOf(part) >= (std::uint64_t{4} << 20); }, "bo to hold 4 MiB of the download",
                    BigTimeout);
        const std::uint64_t held = SizeOf(part);
        CHECK(held < bytes.size());
        bo.client.DropConnection();
        h.WaitUntil([&] { return !bo.EventsOf(ClientEvent::Kind::Reconnecting).empty(); }, "bo to notice the cut");
        proxy.SetCap(Way::Down, Proxy::Unlimited);

        const auto t = WaitFinal(h, bo, Dir::Download, chat.id, 0, BigTimeout);
        REQUIRE_MESSAGE(t.state == State::Done, t.error);
        CHECK(t.path == dl.Path() / "big.bin");
        CHECK_MESSAGE(CompareFile(t.path, bytes).empty(), CompareFile(t.path, bytes));
        CHECK(FilesUnder(dl.Path()) == std::vector<std::string>{"big.bin"});

        const auto gets = proxy.FramesOf<net::FileGet>(Way::Up);
        REQUIRE(gets.size() == 2);
        CHECK(gets[0].first == 1);
        CHECK(gets[0].second.offset == 0);
        CHECK(gets[1].first == 2);
        CHECK(gets[1].second.offset >= held);
        std::uint64_t resent = 0;
        for (const auto& seen : proxy.Frames(Way::Down))
            if (seen.link == 2)
                resent += seen.chunkBytes;
        CHECK(resent == bytes.size() - gets[1].second.offset);
        const auto events = Transfers(bo, Dir::Download, chat.id);
        CHECK_MESSAGE(NeverGoesBack(events), DoneList(events));
    }

    TEST_CASE("cancelling an upload drops the server's partial and posts nothing")
    {
        Proxy proxy;
        Harness h;
        TempDir data;
        TempDir src;
        StartProxied(h, proxy, data);
        auto& bo = h.Join("bo");
        auto& ana = JoinVia(h, proxy, "ana", Reconnect::No);
        WriteFile(src.Path() / "big.bin", RandomBytes(std::size_t{32} << 20, 91));
        const fs::path partial = data.Path() / "files" / "partial";

        proxy.SetCap(Way::Up, proxy.Forwarded(Way::Up) + (std::uint64_t{6} << 20));
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "big.bin");
        h.WaitUntil([&] { return PartialBytes(partial) >= (std::uint64_t{2} << 20); },
                    "the server to hold part of the upload", BigTimeout);
        ana.client.CancelTransfer(id, Dir::Upload);
        const auto cancelled = WaitFinal(h, ana, Dir::Upload, id);
        CHECK(cancelled.state == State::Cancelled);
        proxy.SetCap(Way::Up, Proxy::Unlimited); // what was held goes on, then the client's FileAbort
        h.WaitUntil([&] { return proxy.FramesOf<net::FileAbort>(Way::Up).size() == 1; }, "the FileAbort to pass");
        h.WaitUntil([&] { return DirEmpty(partial); }, "the server to drop the partial upload");

        SayAndWait(h, ana, {&bo}, "after the cancel");
        CHECK(FileChats(bo).empty());
        CHECK(FileChats(ana).empty());
        CHECK_FALSE(AckFor(ana, id).has_value());
        CHECK(FilesUnder(data.Path() / "files").empty());
        const ui::Line* line = ana.OwnLine(id);
        REQUIRE(line != nullptr);
        CHECK_FALSE(line->pending);
        CHECK(ana.model.FindTransfer(Dir::Upload, id)->status.state == State::Cancelled);
        CHECK(ana.Connected());
    }

    TEST_CASE("cancelling a download leaves neither a .part nor a file and stops the server sending")
    {
        Proxy proxy;
        Harness h;
        TempDir src;
        TempDir dl;
        auto& server = h.StartServer();
        proxy.Target(server.port);
        auto& ana = h.Join("ana");
        auto& bo = JoinVia(h, proxy, "bo", Reconnect::No);
        const Bytes bytes = RandomBytes(std::size_t{32} << 20, 101);
        WriteFile(src.Path() / "big.bin", bytes);
        const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / "big.bin", {&bo}, BigTimeout);

        proxy.SetCap(Way::Down, proxy.Forwarded(Way::Down) + (std::uint64_t{6} << 20));
        bo.client.Download(chat, dl.Path());
        const fs::path part = dl.Path() / net::PartName("big.bin", chat.id, chat.file->sha256);
        h.WaitUntil([&] { return SizeOf(part) >= (std::uint64_t{2} << 20); }, "bo to hold part of the download",
                    BigTimeout);
        bo.client.CancelTransfer(chat.id, Dir::Download);
        const auto cancelled = WaitFinal(h, bo, Dir::Download, chat.id);
        CHECK(cancelled.state == State::Cancelled);
        h.WaitUntil([&] { return proxy.FramesOf<net::FileAbort>(Way::Up).size() == 1; }, "the FileAbort to pass");
        proxy.SetCap(Way::Down, Proxy::Unlimited);
        SayAndWait(h, ana, {&bo}, "after the cancel"); // everything the server sent before it has arrived
        h.WaitUntil([&] { return FilesUnder(dl.Path()).empty(); }, "the .part to be removed");
        CHECK_MESSAGE(FilesUnder(dl.Path()).empty(), Join(FilesUnder(dl.Path())));
        // the server stopped within its window: far from the whole file
        std::uint64_t sent = 0;
        for (const auto& seen : proxy.Frames(Way::Down))
            sent += seen.chunkBytes;
        CHECK(sent < (std::uint64_t{16} << 20));
        CHECK(bo.model.ActiveTransfers() == 0);

        // and it can be fetched again afterwards
        const fs::path saved = Fetch(h, bo, chat, dl.Path(), BigTimeout);
        CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
    }

    TEST_CASE("chat stays live while a 64 MiB file moves in either direction")
    {
        Proxy anaProxy;
        Proxy boProxy;
        Harness h;
        TempDir src;
        TempDir dl;
        auto& server = h.StartServer();
        anaProxy.Target(server.port);
        boProxy.Target(server.port);
        auto& ana = JoinVia(h, anaProxy, "ana", Reconnect::No);
        auto& bo = JoinVia(h, boProxy, "bo", Reconnect::No);
        auto& cy = h.Join("cy");
        const Bytes bytes = RandomBytes(std::size_t{64} << 20, 111);
        WriteFile(src.Path() / "big.bin", bytes);
        constexpr std::uint64_t Rate = std::uint64_t{96} << 20; // the 64 MiB take about 2/3 s each way
        const auto saidBy = [](const std::string& text) {
            return [text](const Proxy::Seen& s) {
                const auto* say = std::get_if<net::Say>(&s.message);
                const auto* chat = std::get_if<net::Chat>(&s.message);
                return (say && say->text == text) || (chat && chat->text == text);
            };
        };
        const auto received = [](TestClient& c, const std::string& text) {
            const auto chats = c.Chats(ChatKind::Public);
            return std::any_of(chats.begin(), chats.end(), [&](const net::Chat& chat) { return chat.text == text; });
        };

        net::Chat chat;
        {
            INFO("the sender's and another client's lines during an upload");
            anaProxy.SetRate(Way::Up, Rate);
            const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "big.bin");
            h.WaitUntil([&] { return anaProxy.Forwarded(Way::Up) >= (std::uint64_t{4} << 20); }, "the upload to move");
            ana.Say("", "sender speaks during the upload");
            cy.Say("", "cy speaks during the upload");
            h.WaitUntil([&] { return received(bo, "sender speaks during the upload") && received(bo, "cy speaks during the upload"); },
                        "bo to get both lines");
            chat = WaitDelivered(h, ana, id, {&bo, &cy}, BigTimeout);
            anaProxy.SetRate(Way::Up, 0);
            // posted before the file: neither waited for the upload to finish
            for (const auto& line : bo.Chats(ChatKind::Public))
                if (!line.file)
                    CHECK(line.id < chat.id);
            // the sender's line left with most of the file still to go
            const auto after = ChunkBytesAfter(anaProxy.Frames(Way::Up), saidBy("sender speaks during the upload"));
            REQUIRE(after);
            CHECK_MESSAGE(*after >= (std::uint64_t{16} << 20), *after << " bytes of the file followed the line");
        }
        h.Pump();
        {
            INFO("lines to the downloader during its download");
            boProxy.SetRate(Way::Down, Rate);
            bo.client.Download(chat, dl.Path());
            h.WaitUntil([&] { return boProxy.Forwarded(Way::Down) >= (std::uint64_t{4} << 20); }, "the download to move");
            ana.Say("", "sender speaks during the download");
            cy.Say("", "cy speaks during the download");
            h.WaitUntil([&] { return received(bo, "sender speaks during the download") && received(bo, "cy speaks during the download"); },
                        "bo to get both lines");
            const std::size_t linesBy = bo.seen.size(); // both lines are among the events before this
            const auto t = WaitFinal(h, bo, Dir::Download, chat.id, 0, BigTimeout);
            REQUIRE_MESSAGE(t.state == State::Done, t.error);
            CHECK_MESSAGE(CompareFile(t.path, bytes).empty(), CompareFile(t.path, bytes));
            // the lines came while the download was still running
            const auto doneAt = IndexOf(bo, [&](const ClientEvent& e) {
                return e.kind == ClientEvent::Kind::Transfer && e.transfer.direction == Dir::Download &&
                       e.transfer.id == chat.id && e.transfer.state == State::Done;
            });
            CHECK(linesBy <= doneAt);
            for (const auto* text : {"sender speaks during the download", "cy speaks during the download"})
            {
                const auto behind = ChunkBytesAfter(boProxy.Frames(Way::Down), saidBy(text));
                REQUIRE(behind);
                CHECK_MESSAGE(*behind >= (std::uint64_t{16} << 20), text << ": " << *behind << " bytes followed it");
            }
        }
    }

    TEST_CASE("several transfers at once all arrive byte-exact")
    {
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        StartWithData(h, data);
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");
        auto& cy = h.Join("cy");
        const Bytes a1 = RandomBytes((std::size_t{3} << 20) + 7, 121);
        const Bytes a2 = RandomBytes((std::size_t{5} << 20) + 13, 122);
        const Bytes c1 = RandomBytes((std::size_t{4} << 20) + 1, 123);
        WriteFile(src.Path() / "a1.bin", a1);
        WriteFile(src.Path() / "a2.bin", a2);
        WriteFile(src.Path() / "c1.bin", c1);
        WriteFile(src.Path() / "c2.bin", a1); // the same bytes as a1, under another name, from someone else
        const std::uint64_t ua1 = StartUpload(ana, net::Target::Everyone(), src.Path() / "a1.bin");
        const std::uint64_t ua2 = StartUpload(ana, net::Target::Everyone(), src.Path() / "a2.bin");
        const std::uint64_t uc1 = StartUpload(cy, net::Target::Everyone(), src.Path() / "c1.bin");
        const std::uint64_t uc2 = StartUpload(cy, net::Target::Everyone(), src.Path() / "c2.bin");
        const net::Chat ca1 = WaitDelivered(h, ana, ua1, {&bo}, BigTimeout);
        const net::Chat ca2 = WaitDelivered(h, ana, ua2, {&bo}, BigTimeout);
        const net::Chat cc1 = WaitDelivered(h, cy, uc1, {&bo}, BigTimeout);
        const net::Chat cc2 = WaitDelivered(h, cy, uc2, {&bo}, BigTimeout);
        CHECK(ca1.text == "a1.bin");
        CHECK(cc2.text == "c2.bin");
        CHECK(cc2.from == "cy");
        CHECK(cc2.file->sha256 == ca1.file->sha256);

        h.Pump();
        const std::size_t since = bo.seen.size();
        for (const auto* chat : {&ca1, &ca2, &cc1, &cc2})
            bo.client.Download(*chat, dl.Path());
        const std::vector<std::pair<const net::Chat*, const Bytes*>> expected{{&ca1, &a1}, {&ca2, &a2}, {&cc1, &c1}, {&cc2, &a1}};
        for (const auto& [chat, bytes] : expected)
        {
            CAPTURE(chat->text);
            const auto t = WaitFinal(h, bo, Dir::Download, chat->id, since, BigTimeout);
            REQUIRE_MESSAGE(t.state == State::Done, t.error);
            CHECK(t.path == dl.Path() / chat->text);
            CHECK_MESSAGE(CompareFile(t.path, *bytes).empty(), CompareFile(t.path, *bytes));
        }
        CHECK(FilesUnder(dl.Path()) == std::vector<std::string>{"a1.bin", "a2.bin", "c1.bin", "c2.bin"});
        std::vector<std::string> stored{engine::Sha256::Hex(Sha(a1)), engine::Sha256::Hex(Sha(a2)), engine::Sha256::Hex(Sha(c1))};
        std::sort(stored.begin(), stored.end());
        CHECK(FilesUnder(data.Path() / "files") == stored);
    }

    TEST_CASE("PNG, JPEG, GIF and BMP images get previews of the right size that decode")
    {
        Harness h;
        TempDir data;
        TempDir src;
        StartWithData(h, data);
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");

        struct Case
        {
            std::string name;
            Bytes bytes;
            std::uint32_t width;
            std::uint32_t height;
            std::string mime;
        };
        const std::vector<Case> cases{
            {"wide.png", Png(Gradient(800, 300)), 800, 300, "image/png"},
            {"tall.jpg", WriteJpeg(Gradient(300, 700), 90), 300, 700, "image/jpeg"},
            {"wide.gif", Gif(600, 250), 600, 250, "image/gif"},
            {"odd.bmp", WriteBmp(Gradient(999, 333), 3), 999, 333, "image/bmp"},
            {"small.png", Png(Gradient(120, 80)), 120, 80, "image/png"},
            {"square.jpeg", WriteJpeg(Gradient(481, 481), 90), 481, 481, "image/jpeg"},
        };
        for (const auto& c : cases)
        {
            CAPTURE(c.name);
            WriteFile(src.Path() / c.name, c.bytes);
            // the generated file must be readable by the engine itself
            const auto local = engine::DecodeImage(c.bytes);
            REQUIRE_MESSAGE(local.image, local.error);
            const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / c.name, {&bo});
            REQUIRE(chat.file);
            CHECK(chat.file->mime == c.mime);
            CheckThumbSize(*chat.file, c.width, c.height);

            h.Pump();
            const std::size_t since = bo.seen.size();
            bo.client.RequestThumb(chat.id);
            h.WaitUntil(
                [&] {
                    for (std::size_t i = since; i < bo.seen.size(); ++i)
                        if (bo.seen[i].kind == ClientEvent::Kind::Thumb && bo.seen[i].fileId == chat.id)
                            return true;
                    return false;
                },
                "the preview of " + c.name);
            const ui::ThumbState* state = bo.model.Thumb(chat.id);
            REQUIRE(state != nullptr);
            REQUIRE(state->kind == ui::ThumbState::Kind::Arrived);
            // an opaque picture's preview is a JPEG (small), one with transparency a PNG
            bool opaque = true;
            for (std::size_t i = 3; i < local.image->rgba.size(); i += 4)
                opaque = opaque && local.image->rgba[i] == 255;
            CHECK(engine::SniffImageFormat(state->png) == (opaque ? engine::ImageFormat::Jpeg : engine::ImageFormat::Png));
            const auto decoded = engine::DecodeImage(state->png);
            REQUIRE_MESSAGE(decoded.image, decoded.error);
            CHECK(decoded.image->width == chat.file->thumbWidth);
            CHECK(decoded.image->height == chat.file->thumbHeight);
        }
    }

    TEST_CASE("a fake image, a truncated PNG and decompression bombs are delivered as plain files and the server keeps running")
    {
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        StartWithData(h, data);
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");
        const Bytes png = Png(Gradient(640, 480));
        struct Case
        {
            std::string name;
            Bytes bytes;
            std::string mime;
        };
        const std::vector<Case> cases{
            {"not-a-picture.png", TextBytes("this is plain text pretending to be a picture\n"), "application/octet-stream"},
            {"truncated.png", Bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2)), "image/png"},
            {"bomb.png", PngClaiming(100000, 100000), "image/png"},
            {"wide-bomb.png", PngClaiming(16384, 16384), "image/png"},
            {"header-only.jpg", Bytes{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, "image/jpeg"},
            {"gif-header.gif", Bytes{'G', 'I', 'F', '8', '9', 'a', 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00}, "image/gif"},
        };
        for (const auto& c : cases)
        {
            CAPTURE(c.name);
            WriteFile(src.Path() / c.name, c.bytes);
            const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / c.name, {&bo});
            REQUIRE(chat.file);
            CHECK(chat.file->mime == c.mime);
            CHECK(chat.file->thumbWidth == 0);
            CHECK(chat.file->thumbHeight == 0);
            CHECK(chat.file->size == c.bytes.size());
            const fs::path saved = Fetch(h, bo, chat, dl.Path());
            CHECK(CompareFile(saved, c.bytes).empty());
            h.Pump();
            const std::size_t since = bo.seen.size();
            bo.client.RequestThumb(chat.id);
            h.WaitUntil(
                [&] {
                    for (std::size_t i = since; i < bo.seen.size(); ++i)
                        if (bo.seen[i].kind == ClientEvent::Kind::Thumb && bo.seen[i].fileId == chat.id)
                            return true;
                    return false;
                },
                "the (empty) preview answer");
            CHECK(bo.model.Thumb(chat.id)->kind == ui::ThumbState::Kind::None);
        }
        // still serving: chat and a real image with its preview
        SayAndWait(h, ana, {&bo}, "still here");
        WriteFile(src.Path() / "real.png", png);
        const net::Chat real = Deliver(h, ana, net::Target::Everyone(), src.Path() / "real.png", {&bo});
        CheckThumbSize(*real.file, 640, 480);
        CHECK(h.Server().server.Running());
    }

    TEST_CASE("files work without an archive")
    {
        Harness h;
        TempDir src;
        TempDir dl;
        h.StartServer(); // no data folder: files live in a temporary folder while the server runs
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");
        auto& cy = h.Join("cy");
        const Bytes bytes = RandomBytes((std::size_t{1} << 20) + 3, 131);
        WriteFile(src.Path() / "plain.bin", bytes);
        const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / "plain.bin", {&bo, &cy});
        CHECK(chat.file->sha256 == Sha(bytes));
        const fs::path saved = Fetch(h, bo, chat, dl.Path());
        CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));

        const Bytes image = Png(Gradient(960, 540));
        WriteFile(src.Path() / "picture.png", image);
        const net::Chat picture = Deliver(h, ana, net::Target::Person("bo"), src.Path() / "picture.png", {&bo});
        CHECK(picture.kind == ChatKind::Private);
        CheckThumbSize(*picture.file, 960, 540);
        bo.client.RequestThumb(picture.id);
        h.WaitUntil([&] { return bo.model.Thumb(picture.id) != nullptr; },
                    "the preview");
        CHECK(bo.model.Thumb(picture.id)->kind == ui::ThumbState::Kind::Arrived);
        const fs::path savedPicture = Fetch(h, bo, picture, dl.Path());
        CHECK(CompareFile(savedPicture, image).empty());

        // the private one is still bo's alone
        h.Pump();
        const std::size_t since = cy.seen.size();
        cy.client.Download(picture, dl.Path() / "cy");
        const auto refused = WaitFinal(h, cy, Dir::Download, picture.id, since);
        CHECK(refused.state == State::Failed);
    }

    TEST_CASE("an upload whose ack is lost in a cut is acknowledged after the reconnect and posted once")
    {
        Proxy proxy;
        Harness h;
        TempDir data;
        TempDir src;
        StartProxied(h, proxy, data);
        auto& bo = h.Join("bo");
        auto& ana = JoinVia(h, proxy, "ana");
        const Bytes bytes = RandomBytes((std::size_t{1} << 20) + 5, 141);
        WriteFile(src.Path() / "acked.bin", bytes);

        proxy.HoldAt(Way::Down, [](const net::Message& m) { return std::holds_alternative<net::Ack>(m); });
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "acked.bin");
        h.WaitUntil([&] { return FileChats(bo).size() == 1 && proxy.Holding(Way::Down); },
                    "the file to be posted while its ack is held");
        CHECK_FALSE(AckFor(ana, id).has_value());
        proxy.Cut();
        h.WaitUntil([&] { return !ana.EventsOf(ClientEvent::Kind::Reconnecting).empty(); }, "ana to notice the cut");
        proxy.SetCap(Way::Down, Proxy::Unlimited);

        WaitDelivered(h, ana, id, {&bo});
        CHECK(AckFor(ana, id)->id == FileChats(bo)[0].id);
        // the second connection only offered it again: no byte, no end, no second message
        for (const auto& seen : proxy.Frames(Way::Up))
            if (seen.link == 2)
            {
                CHECK_FALSE(std::holds_alternative<net::FileChunk>(seen.message));
                CHECK_FALSE(std::holds_alternative<net::FileEnd>(seen.message));
            }
        CHECK(proxy.FramesOf<net::FileOffer>(Way::Up).size() == 2);
        SayAndWait(h, ana, {&bo}, "sync");
        CHECK(FileChats(bo).size() == 1);
        std::size_t fileLines = 0;
        for (const auto& line : ana.model.Everyone().lines)
            if (line.file)
            {
                ++fileLines;
                CHECK_FALSE(line.pending);
                CHECK(line.id == FileChats(bo)[0].id);
            }
        CHECK(fileLines == 1);
    }

    TEST_CASE("an upload whose ack is lost when the server restarts is acknowledged from the archive and posted once")
    {
        Proxy proxy;
        Harness h;
        TempDir data;
        TempDir src;
        auto& server = StartProxied(h, proxy, data);
        auto& bo = h.Join("bo");
        auto& ana = JoinVia(h, proxy, "ana");
        const Bytes bytes = RandomBytes(FileChunkBytes * 3, 151);
        WriteFile(src.Path() / "kept.bin", bytes);

        proxy.HoldAt(Way::Down, [](const net::Message& m) { return std::holds_alternative<net::Ack>(m); });
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "kept.bin");
        h.WaitUntil([&] { return FileChats(bo).size() == 1 && proxy.Holding(Way::Down); },
                    "the file to be posted while its ack is held");
        const std::uint64_t messageId = FileChats(bo)[0].id;
        h.StopServer();
        proxy.Cut();
        h.WaitUntil([&] { return !ana.EventsOf(ClientEvent::Kind::Reconnecting).empty(); }, "ana to notice the cut");
        proxy.SetCap(Way::Down, Proxy::Unlimited);
        h.RestartServer();
        REQUIRE(server.Count(net::ServerEvent::Kind::Started) == 2);

        WaitDelivered(h, ana, id, {}, BigTimeout);
        CHECK(AckFor(ana, id)->id == messageId);
        auto& cy = JoinWithHistory(h, "cy");
        const auto files = HistoryFileChats(cy);
        REQUIRE(files.size() == 1);
        CHECK(files[0].id == messageId);
        for (const auto& seen : proxy.Frames(Way::Up))
            if (seen.link >= 2)
                CHECK_FALSE(std::holds_alternative<net::FileChunk>(seen.message));
    }

    TEST_CASE("an upload cut just before its FileEnd is accepted at its end after the reconnect and posted once")
    {
        Proxy proxy;
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        StartProxied(h, proxy, data);
        auto& bo = h.Join("bo");
        auto& ana = JoinVia(h, proxy, "ana");
        const Bytes bytes = RandomBytes((std::size_t{2} << 20) + 99, 161);
        WriteFile(src.Path() / "ended.bin", bytes);
        const fs::path partial = data.Path() / "files" / "partial";

        proxy.HoldAt(Way::Up, [](const net::Message& m) { return std::holds_alternative<net::FileEnd>(m); });
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "ended.bin");
        // the server confirmed every byte (its partial file may still sit in a write buffer)
        const auto serverHasAll = [&] {
            for (const auto& [link, progress] : proxy.FramesOf<net::FileProgress>(Way::Down))
                if (progress.id == id && progress.received == bytes.size())
                    return true;
            return false;
        };
        h.WaitUntil([&] { return proxy.Holding(Way::Up) && serverHasAll(); }, "every byte at the server, the FileEnd held");
        CHECK(PartialBytes(partial) <= bytes.size());
        proxy.Cut();
        h.WaitUntil([&] { return !ana.EventsOf(ClientEvent::Kind::Reconnecting).empty(); }, "ana to notice the cut");
        proxy.SetCap(Way::Up, Proxy::Unlimited);

        const net::Chat chat = WaitDelivered(h, ana, id, {&bo});
        const auto accepts = proxy.FramesOf<net::FileAccept>(Way::Down);
        REQUIRE(accepts.size() == 2);
        CHECK(accepts[1].second.offset == bytes.size());
        std::size_t chunks = 0;
        std::size_t ends = 0;
        for (const auto& seen : proxy.Frames(Way::Up))
            if (seen.link == 2)
            {
                chunks += std::holds_alternative<net::FileChunk>(seen.message) ? 1 : 0;
                ends += std::holds_alternative<net::FileEnd>(seen.message) ? 1 : 0;
            }
        CHECK(chunks == 0);
        CHECK(ends == 1);
        CHECK(chat.file->sha256 == Sha(bytes));
        const fs::path saved = Fetch(h, bo, chat, dl.Path());
        CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
        SayAndWait(h, ana, {&bo}, "sync");
        CHECK(FileChats(bo).size() == 1);
    }

    TEST_CASE("an upload interrupted by a server restart starts over and arrives byte-exact")
    {
        Proxy proxy;
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        auto& server = StartProxied(h, proxy, data);
        auto& ana = JoinVia(h, proxy, "ana");
        const Bytes bytes = RandomBytes(std::size_t{24} << 20, 171);
        WriteFile(src.Path() / "restarted.bin", bytes);
        const fs::path partial = data.Path() / "files" / "partial";

        proxy.SetCap(Way::Up, proxy.Forwarded(Way::Up) + (std::uint64_t{6} << 20));
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "restarted.bin");
        h.WaitUntil([&] { return PartialBytes(partial) >= (std::uint64_t{2} << 20); },
                    "the server to hold part of the upload", BigTimeout);
        h.StopServer();
        proxy.Cut();
        proxy.SetCap(Way::Up, Proxy::Unlimited);
        // (a stopped server keeps its partial uploads until it is started again or destroyed)
        h.RestartServer();
        REQUIRE(server.Count(net::ServerEvent::Kind::Started) == 2);

        const net::Chat chat = WaitDelivered(h, ana, id, {}, BigTimeout);
        (void)chat;
        const auto accepts = proxy.FramesOf<net::FileAccept>(Way::Down);
        REQUIRE(accepts.size() >= 2);
        CHECK(accepts.back().second.offset == 0); // the new server knew nothing of it
        auto& bo = JoinWithHistory(h, "bo");
        const auto files = HistoryFileChats(bo);
        REQUIRE(files.size() == 1);
        const std::optional<net::Chat> message = files[0];
        CHECK(message->id == AckFor(ana, id)->id);
        const fs::path saved = Fetch(h, bo, *message, dl.Path(), BigTimeout);
        CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
        CHECK(DirEmpty(partial));
    }

    TEST_CASE("file messages come back from the archive with their details and stay downloadable after a restart")
    {
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        auto& server = StartWithData(h, data);
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");
        const Bytes image = WriteJpeg(Gradient(1000, 600), 90);
        const Bytes secret = RandomBytes(5000, 181);
        WriteFile(src.Path() / "photo.jpg", image);
        WriteFile(src.Path() / "secret.bin", secret);
        const net::Chat photo = Deliver(h, ana, net::Target::Everyone(), src.Path() / "photo.jpg", {&bo});
        const net::Chat priv = Deliver(h, ana, net::Target::Person("bo"), src.Path() / "secret.bin", {&bo});

        {
            auto& cy = JoinWithHistory(h, "cy");
            const auto chats = HistoryFileChats(cy);
            REQUIRE(chats.size() == 1); // the private one is not cy's
            CHECK(chats[0].id == photo.id);
            CHECK(chats[0].text == "photo.jpg");
            CHECK(*chats[0].file == *photo.file);
        }

        h.StopServer();
        h.RestartServer();
        REQUIRE(server.Count(net::ServerEvent::Kind::Started) == 2);
        auto& dee = JoinWithHistory(h, "dee");
        const auto deeChats = HistoryFileChats(dee);
        REQUIRE(deeChats.size() == 1);
        CHECK(*deeChats[0].file == *photo.file);
        const fs::path savedPhoto = Fetch(h, dee, deeChats[0], dl.Path());
        CHECK(CompareFile(savedPhoto, image).empty());
        dee.client.RequestThumb(photo.id);
        h.WaitUntil([&] { return dee.model.Thumb(photo.id) != nullptr; },
                    "the preview after the restart");
        REQUIRE(dee.model.Thumb(photo.id)->kind == ui::ThumbState::Kind::Arrived);
        const auto decoded = engine::DecodeImage(dee.model.Thumb(photo.id)->png);
        REQUIRE(decoded.image);
        CHECK(decoded.image->width == photo.file->thumbWidth);
        CHECK(decoded.image->height == photo.file->thumbHeight);

        // dee may not fetch the private one; bo, back again, may
        h.Pump();
        const std::size_t since = dee.seen.size();
        dee.client.Download(priv, dl.Path() / "dee");
        CHECK(WaitFinal(h, dee, Dir::Download, priv.id, since).state == State::Failed);
        auto& bo2 = JoinWithHistory(h, "bo");
        const auto boChats = HistoryFileChats(bo2);
        const auto it = std::find_if(boChats.begin(), boChats.end(), [&](const net::Chat& c) { return c.id == priv.id; });
        REQUIRE(it != boChats.end());
        CHECK(*it->file == *priv.file);
        const fs::path savedSecret = Fetch(h, bo2, *it, dl.Path() / "bo");
        CHECK(CompareFile(savedSecret, secret).empty());
    }

    TEST_CASE("a private file to someone who left waits for them")
    {
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        auto& server = StartWithData(h, data);
        auto& ana = h.Join("ana");
        {
            auto& bo = h.Join("bo");
            bo.client.Disconnect();
            h.WaitUntil([&] { return server.LeftEvent("bo") != nullptr; }, "bo to leave");
        }
        const Bytes bytes = RandomBytes(FileChunkBytes + 1, 191);
        WriteFile(src.Path() / "for-later.bin", bytes);
        const std::uint64_t id = StartUpload(ana, net::Target::Person("bo"), src.Path() / "for-later.bin");
        WaitDelivered(h, ana, id, {&ana});
        auto& bo = JoinWithHistory(h, "bo");
        const auto files = HistoryFileChats(bo);
        REQUIRE(files.size() == 1);
        const std::optional<net::Chat> chat = files[0];
        CHECK(chat->id == AckFor(ana, id)->id);
        CHECK(chat->kind == ChatKind::Private);
        const fs::path saved = Fetch(h, bo, *chat, dl.Path());
        CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
    }

    TEST_CASE("sending to nobody, to yourself, a folder or a missing file fails with a reason and sends nothing")
    {
        Harness h;
        TempDir data;
        TempDir src;
        StartWithData(h, data);
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");
        WriteFile(src.Path() / "a.txt", TextBytes("a"));
        fs::create_directories(src.Path() / "folder");
        struct Case
        {
            net::Target to;
            fs::path path;
            std::string mention;
        };
        const std::vector<Case> cases{
            {net::Target::Person("nobody"), src.Path() / "a.txt", "nobody"},
            {net::Target::Person("ANA"), src.Path() / "a.txt", "someone other than yourself"},
            {net::Target::Everyone(), src.Path() / "folder", "folder"},
            {net::Target::Everyone(), src.Path() / "missing.bin", "cannot read"},
        };
        for (const auto& c : cases)
        {
            CAPTURE(c.mention);
            const std::uint64_t id = StartUpload(ana, c.to, c.path);
            const auto t = WaitFinal(h, ana, Dir::Upload, id);
            CHECK(t.state == State::Failed);
            CHECK_MESSAGE(Contains(t.error, c.mention), t.error);
            const ui::Line* line = ana.OwnLine(id);
            REQUIRE(line != nullptr);
            CHECK(line->failed);
            CHECK_FALSE(line->pending);
        }
        SayAndWait(h, ana, {&bo}, "sync");
        CHECK(FileChats(bo).empty());
        CHECK(FileChats(ana).empty());
        CHECK(DirEmpty(data.Path() / "files" / "partial"));
        CHECK(ana.Connected());
    }

    TEST_CASE("a server that takes no files refuses them before a byte moves")
    {
        Harness h;
        TempDir src;
        net::ServerConfig config;
        config.maxFileBytes = 0;
        h.StartServer(config);
        auto& ana = h.Join("ana");
        WriteFile(src.Path() / "a.txt", TextBytes("a"));
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "a.txt");
        const auto t = WaitFinal(h, ana, Dir::Upload, id);
        CHECK(t.state == State::Failed);
        CHECK_MESSAGE(Contains(t.error, "does not accept files"), t.error);
        auto raw = JoinRaw(h, "raw");
        raw->Send(net::FileOffer{1, net::Target::Everyone(), "a.txt", 1});
        const net::FileAbort abort = ExpectAbort(*raw, 1);
        CHECK(abort.code == FileAbortCode::TooLarge);
        CHECK_MESSAGE(Contains(abort.reason, "does not accept files"), abort.reason);
    }

    TEST_CASE("file frames before joining get NotJoined and the connection closes")
    {
        Harness h;
        auto& server = h.StartServer();
        const std::vector<net::Message> frames{net::FileGet{1, 0}, net::FileOffer{1, net::Target::Everyone(), "x.txt", 1},
                                               net::ThumbGet{1}, net::FileChunk{1, 0, Bytes{1}}};
        for (const auto& frame : frames)
        {
            CAPTURE(Describe(frame));
            RawPeer peer(server.port);
            peer.Send(frame);
            const auto messages = peer.ReadUntilClosed();
            REQUIRE(peer.Closed());
            REQUIRE(messages.size() == 1);
            const auto* error = std::get_if<net::Error>(&messages[0]);
            REQUIRE(error != nullptr);
            CHECK(error->code == net::ErrorCode::NotJoined);
        }
    }

    TEST_CASE("a download continues from a .part left by an earlier run and a damaged .part is caught by the hash")
    {
        Proxy proxy;
        Harness h;
        TempDir src;
        TempDir dl;
        auto& server = h.StartServer();
        proxy.Target(server.port);
        auto& ana = h.Join("ana");
        auto& bo = JoinVia(h, proxy, "bo", Reconnect::No);
        const Bytes bytes = RandomBytes((std::size_t{3} << 20) + 17, 201);
        WriteFile(src.Path() / "left.bin", bytes);
        const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / "left.bin", {&bo});
        const std::string partName = net::PartName("left.bin", chat.id, chat.file->sha256);
        const auto lastGet = [&] { return proxy.FramesOf<net::FileGet>(Way::Up).back().second; };

        {
            INFO("a good .part: only the rest is fetched");
            const std::size_t have = (std::size_t{1} << 20) + 123;
            fs::create_directories(dl.Path() / "good");
            WriteFile(dl.Path() / "good" / partName, Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(have)));
            const fs::path saved = Fetch(h, bo, chat, dl.Path() / "good");
            CHECK(lastGet().offset == have);
            CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
            CHECK(FilesUnder(dl.Path() / "good") == std::vector<std::string>{"left.bin"});
        }
        {
            INFO("a damaged .part: refused by the hash, nothing kept, and the next try starts over");
            fs::create_directories(dl.Path() / "bad");
            WriteFile(dl.Path() / "bad" / partName, RandomBytes(std::size_t{1} << 20, 202));
            h.Pump();
            const std::size_t since = bo.seen.size();
            bo.client.Download(chat, dl.Path() / "bad");
            const auto t = WaitFinal(h, bo, Dir::Download, chat.id, since);
            CHECK(t.state == State::Failed);
            CHECK_MESSAGE(Contains(t.error, "SHA-256"), t.error);
            h.WaitUntil([&] { return FilesUnder(dl.Path() / "bad").empty(); }, "nothing left of it");
            const fs::path saved = Fetch(h, bo, chat, dl.Path() / "bad");
            CHECK(lastGet().offset == 0);
            CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
        }
        {
            INFO("a .part longer than the file starts over");
            fs::create_directories(dl.Path() / "long");
            WriteFile(dl.Path() / "long" / partName, RandomBytes(bytes.size() + 10, 203));
            const fs::path saved = Fetch(h, bo, chat, dl.Path() / "long");
            CHECK(lastGet().offset == 0);
            CHECK_MESSAGE(CompareFile(saved, bytes).empty(), CompareFile(saved, bytes));
            CHECK(FilesUnder(dl.Path() / "long") == std::vector<std::string>{"left.bin"});
        }
    }

    TEST_CASE("an upload cancelled before the server accepted it leaves nothing on the server")
    {
        Proxy proxy;
        Harness h;
        TempDir data;
        TempDir src;
        net::ServerConfig config;
        config.dataDir = data.Path(); // the server first asks its archive whether it has the upload already
        auto& server = h.StartServer(config);
        proxy.Target(server.port);
        auto& bo = h.Join("bo");
        auto& ana = JoinVia(h, proxy, "ana", Reconnect::No);
        WriteFile(src.Path() / "early.bin", RandomBytes(std::size_t{1} << 20, 211));
        const fs::path partial = data.Path() / "files" / "partial";

        // the offer is held; the cancel's FileAbort queues behind it; both arrive together
        proxy.HoldAt(Way::Up, [](const net::Message& m) { return std::holds_alternative<net::FileOffer>(m); });
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "early.bin");
        h.WaitUntil([&] { return proxy.Holding(Way::Up); }, "the offer to be held");
        ana.client.CancelTransfer(id, Dir::Upload);
        CHECK(WaitFinal(h, ana, Dir::Upload, id).state == State::Cancelled);
        h.WaitUntil([&] { return proxy.HeldBehind(Way::Up) > 0; }, "the FileAbort to queue behind the offer");
        proxy.SetCap(Way::Up, Proxy::Unlimited);
        h.WaitUntil([&] { return proxy.FramesOf<net::FileAbort>(Way::Up).size() >= 1; }, "the FileAbort to pass");

        // the server still accepts the offer it read first; that upload must not stay behind
        h.WaitUntil([&] { return !proxy.FramesOf<net::FileAccept>(Way::Down).empty(); }, "the server's late FileAccept");
        h.WaitUntil([&] { return DirEmpty(partial); }, "the server to drop the cancelled upload's partial file");
        SayAndWait(h, ana, {&bo}, "sync");
        CHECK(FileChats(bo).empty());
        CHECK_FALSE(AckFor(ana, id).has_value());
        CHECK(DirEmpty(partial));
    }

    TEST_CASE("flow control: a downloader that does not acknowledge gets at most the window and an uploader runs at most the window ahead")
    {
        Proxy proxy;
        Harness h;
        TempDir src;
        auto& server = h.StartServer();
        proxy.Target(server.port);
        auto& ana = JoinVia(h, proxy, "ana", Reconnect::No);
        constexpr std::uint64_t Window = std::uint64_t{4} << 20;
        const Bytes bytes = RandomBytes(std::size_t{16} << 20, 221);
        WriteFile(src.Path() / "window.bin", bytes);

        // the upload: the server's progress never reaches ana
        proxy.HoldAt(Way::Down, [](const net::Message& m) { return std::holds_alternative<net::FileProgress>(m); });
        const std::uint64_t id = StartUpload(ana, net::Target::Everyone(), src.Path() / "window.bin");
        const auto sentUp = [&] {
            std::uint64_t total = 0;
            for (const auto& seen : proxy.Frames(Way::Up))
                total += seen.chunkBytes;
            return total;
        };
        h.WaitUntil([&] { return sentUp() >= Window; }, "ana to send a window's worth");
        h.PumpFor(300ms); // (showing that nothing more comes)
        CHECK(sentUp() <= Window + FileChunkBytes);
        proxy.SetCap(Way::Down, Proxy::Unlimited);
        WaitDelivered(h, ana, id, {}, BigTimeout);
        CHECK(sentUp() == bytes.size());

        // the download: a raw peer that never acknowledges
        auto raw = JoinRaw(h, "raw");
        const std::uint64_t fileId = AckFor(ana, id)->id;
        raw->Send(net::FileGet{fileId, 0});
        std::uint64_t received = 0;
        while (auto chunk = NextOf<net::FileChunk>(*raw, nullptr, 300ms))
        {
            REQUIRE(chunk->offset == received);
            received += chunk->bytes.size();
        }
        CHECK(received >= Window);
        CHECK(received <= Window + FileChunkBytes);
        // acknowledging lets the rest come
        raw->Send(net::FileProgress{fileId, Dir::Download, received});
        Bytes all(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(received));
        while (all.size() < bytes.size())
        {
            const auto chunk = NextOf<net::FileChunk>(*raw);
            REQUIRE_MESSAGE(chunk, "stopped at " << all.size());
            REQUIRE(chunk->offset == all.size());
            all.insert(all.end(), chunk->bytes.begin(), chunk->bytes.end());
            raw->Send(net::FileProgress{fileId, Dir::Download, all.size()});
        }
        CHECK(all == bytes);
    }

    TEST_CASE("a download asked from an offset gets exactly the rest and one past the end is refused")
    {
        Harness h;
        TempDir src;
        h.StartServer();
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");
        const Bytes bytes = RandomBytes(FileChunkBytes * 2 + 321, 231);
        WriteFile(src.Path() / "offset.bin", bytes);
        const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / "offset.bin", {&bo});
        auto raw = JoinRaw(h, "raw");
        for (const std::uint64_t from : {std::uint64_t{1}, std::uint64_t{FileChunkBytes}, std::uint64_t{bytes.size() - 1}})
        {
            CAPTURE(from);
            raw->Send(net::FileGet{chat.id, from});
            Bytes rest;
            while (from + rest.size() < bytes.size())
            {
                const auto chunk = NextOf<net::FileChunk>(*raw);
                REQUIRE(chunk);
                REQUIRE(chunk->offset == from + rest.size());
                CHECK(chunk->bytes.size() <= FileChunkBytes);
                rest.insert(rest.end(), chunk->bytes.begin(), chunk->bytes.end());
            }
            CHECK(rest == Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.end()));
            raw->Send(net::FileProgress{chat.id, Dir::Download, bytes.size()});
        }
        raw->Send(net::FileGet{chat.id, bytes.size() + 1});
        const auto abort = NextOf<net::FileAbort>(*raw);
        REQUIRE(abort);
        CHECK(abort->code == FileAbortCode::Invalid);
    }

    TEST_CASE("local files with a newline or invalid UTF-8 in their names are sent under a clean name")
    {
        Harness h;
        TempDir src;
        TempDir dl;
        h.StartServer();
        auto& ana = h.Join("ana");
        auto& bo = h.Join("bo");
        struct Case
        {
            std::string local;
            std::string expected;
        };
        const std::vector<Case> cases{
            {"two\nlines.txt", "two_lines.txt"},
            {std::string("bad\xff\xfe") + "bytes.txt", "bad__bytes.txt"},
            {".profile", "_profile"},
            {"aux.c", "_aux.c"},
        };
        for (const auto& c : cases)
        {
            CAPTURE(c.expected);
            const Bytes bytes = TextBytes("local " + c.expected);
            WriteFile(src.Path() / c.local, bytes);
            const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / c.local, {&bo});
            CHECK(chat.text == c.expected);
            const fs::path saved = Fetch(h, bo, chat, dl.Path());
            CHECK(saved == dl.Path() / c.expected);
            CHECK(CompareFile(saved, bytes).empty());
        }
    }

    TEST_CASE("cancelling a download and asking for it again at once gets it byte-exact")
    {
        // chunks of the cancelled request still on their way arrive after the new FileGet: the
        // server's FileAccept (download) marks where the new request's chunks begin
        Proxy proxy;
        Harness h;
        TempDir src;
        TempDir dl;
        auto& server = h.StartServer();
        proxy.Target(server.port);
        auto& ana = h.Join("ana");
        auto& bo = JoinVia(h, proxy, "bo", Reconnect::No);
        const Bytes bytes = RandomBytes(std::size_t{8} << 20, 241);
        WriteFile(src.Path() / "again.bin", bytes);
        const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / "again.bin", {&bo});

        // the first request's chunks from 1 MiB on stay in the proxy for now
        proxy.HoldAt(Way::Down, [](const net::Message& m) {
            const auto* chunk = std::get_if<net::FileChunk>(&m);
            return chunk && chunk->offset == (std::uint64_t{1} << 20);
        });
        bo.client.Download(chat, dl.Path());
        h.WaitUntil([&] { return proxy.Holding(Way::Down); }, "the first MiB to pass");
        h.Pump();
        const std::size_t since = bo.seen.size();
        bo.client.CancelTransfer(chat.id, Dir::Download);
        bo.client.Download(chat, dl.Path());
        h.WaitUntil([&] { return proxy.FramesOf<net::FileGet>(Way::Up).size() == 2; }, "the second FileGet to go out");
        proxy.SetCap(Way::Down, Proxy::Unlimited);

        // first the cancel, then the new request's end
        h.WaitUntil(
            [&] {
                const auto last = LastTransfer(bo, Dir::Download, chat.id, since);
                return last && Final(last->state) && last->state != State::Cancelled;
            },
            "the second download to end", BigTimeout);
        const auto all = Transfers(bo, Dir::Download, chat.id, since);
        CHECK(all.front().state == State::Cancelled);
        const auto second = all.back();
        REQUIRE_MESSAGE(second.state == State::Done, second.error);
        CHECK_MESSAGE(CompareFile(second.path, bytes).empty(), CompareFile(second.path, bytes));
    }

    TEST_CASE("a download cancelled while the server looks the file up in its archive is not sent anyway")
    {
        // After a restart the server looks a file up in its archive; a FileAbort that arrives
        // meanwhile must cancel the request (it used to be dropped, and a window's worth was sent).
        Proxy proxy;
        Harness h;
        TempDir data;
        TempDir src;
        TempDir dl;
        auto& server = StartProxied(h, proxy, data);
        auto& ana = h.Join("ana");
        auto& bo = JoinVia(h, proxy, "bo");
        const Bytes bytes = RandomBytes(std::size_t{8} << 20, 251);
        WriteFile(src.Path() / "looked-up.bin", bytes);
        const net::Chat chat = Deliver(h, ana, net::Target::Everyone(), src.Path() / "looked-up.bin", {&bo});
        h.StopServer();
        h.RestartServer();
        REQUIRE(server.Count(net::ServerEvent::Kind::Started) == 2);
        h.WaitUntil([&] { return bo.EventsOf(ClientEvent::Kind::Connected).size() == 2; }, "bo to reconnect");

        proxy.HoldAt(Way::Up, [](const net::Message& m) { return std::holds_alternative<net::FileGet>(m); });
        bo.client.Download(chat, dl.Path());
        h.WaitUntil([&] { return proxy.Holding(Way::Up); }, "the FileGet to be held");
        bo.client.CancelTransfer(chat.id, Dir::Download);
        h.WaitUntil([&] { return proxy.HeldBehind(Way::Up) > 0; }, "the FileAbort to queue behind the FileGet");
        proxy.SetCap(Way::Up, Proxy::Unlimited);
        h.WaitUntil([&] { return proxy.FramesOf<net::FileAbort>(Way::Up).size() == 1; }, "the FileAbort to pass");
        const auto sentDown = [&] {
            std::uint64_t total = 0;
            for (const auto& seen : proxy.Frames(Way::Down))
                if (const auto* c = std::get_if<net::FileChunk>(&seen.message); c && c->id == chat.id && seen.link >= 2)
                    total += seen.chunkBytes;
            return total;
        };
        h.PumpFor(500ms, [&] { return sentDown() > 0; }); // (showing that nothing comes)
        CHECK_MESSAGE(sentDown() == 0, sentDown() << " bytes were sent after the cancel");
    }
}

#include "net/client_files.hpp"

#include "engine/file_io.hpp"
#include "engine/file_names.hpp"
#include "engine/units.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>


namespace obrol::net {

namespace {

constexpr std::uint64_t WindowBytes = std::uint64_t{4} << 20;     // run at most this far ahead of the server
constexpr std::size_t QueueLowWater = std::size_t{512} * 1024;   // chat never queues behind more file data
constexpr auto ReportEvery = std::chrono::milliseconds(100);     // progress events per transfer
constexpr std::size_t MaxReadsInFlight = 2;                       // read ahead while a chunk is being sent

std::string ErrnoText() { return std::strerror(errno); }




// Moves a finished download to `dir/name` without ever replacing a file: "name (1).ext" etc.
std::filesystem::path SaveAs(const std::filesystem::path& part, const std::filesystem::path& dir,
                             const std::string& name, std::string& error)
{
    for (int attempt = 0; attempt < 1000; ++attempt)
    {
        const auto target = engine::UniquePath(dir, name);
        std::error_code ec;
        // a hard link fails if the target exists (someone created it meanwhile): never overwrites
        std::filesystem::create_hard_link(part, target, ec);
        if (!ec)
        {
            std::filesystem::remove(part, ec);
            return target;
        }
        if (std::filesystem::exists(target))
            continue;
        // no hard links here (some file systems): rename, having just checked the name is free
        std::filesystem::rename(part, target, ec);
        if (!ec)
            return target;
        error = ec.message();
        return {};
    }
    error = "no free name for " + name;
    return {};
}

} // namespace

std::string PartName(const std::string& safeName, std::uint64_t fileId, const std::array<std::uint8_t, 32>& sha256)
{
    // the hash tells this file's partial download from another server's file with the same id
    return safeName + ".obrol-" + std::to_string(fileId) + "-" + engine::Sha256::Hex(sha256).substr(0, 8) + ".part";
}

const char* TransferStateName(TransferStatus::State state)
{
    switch (state)
    {
    case TransferStatus::State::Waiting: return "waiting";
    case TransferStatus::State::Running: return "running";
    case TransferStatus::State::Checking: return "checking";
    case TransferStatus::State::Done: return "done";
    case TransferStatus::State::Failed: return "failed";
    case TransferStatus::State::Cancelled: return "cancelled";
    }
    return "?";
}

// [SECTION] State

struct ClientFiles::DiskUpload // disk thread only
{
    std::FILE* file = nullptr;
    engine::Sha256 hash = {};
    std::uint64_t hashed = 0; // bytes read and hashed, in order
    std::uint64_t position = 0; // where the next fread reads
    bool finished = false;
    std::array<std::uint8_t, 32> digest{};
    ~DiskUpload()
    {
        if (file)
            std::fclose(file);
    }
};

// What both directions report to the front ends, at most every ReportEvery.
struct ClientFiles::Reported
{
    TransferStatus status;
    std::chrono::steady_clock::time_point lastReport{};
    bool reportDue = false; // a report was held back by the rate limit
};

struct ClientFiles::Up : Reported
{
    std::uint64_t sent = 0;      // bytes queued to the server
    std::uint64_t readOffset = 0; // bytes asked of the disk thread (ahead of `sent` by the reads in flight)
    bool endRead = false;         // the read that only finishes the hash was asked for
    bool opened = false;         // the source is open and its size known
    bool accepted = false;       // the server said where to start
    bool ended = false;          // FileEnd sent
    std::uint64_t acceptGeneration = 0;
    std::shared_ptr<DiskUpload> disk = std::make_shared<DiskUpload>();
};

struct ClientFiles::DiskDownload : engine::PartFile // disk thread only
{
};

struct ClientFiles::Down : Reported
{
    std::array<std::uint8_t, 32> sha256{};
    std::filesystem::path dir;
    bool opened = false;        // the .part file is ready
    bool requested = false;     // FileGet sent on this connection
    bool accepted = false;      // the server's FileAccept for it came: its chunks follow
    std::uint64_t serial = 0;   // tells this download from a later one of the same file
    bool finishing = false;
    std::uint64_t expected = 0; // the next offset accepted from the network
    std::shared_ptr<DiskDownload> disk = std::make_shared<DiskDownload>();
};

ClientFiles::ClientFiles(asio::io_context& io, Emit emit, EmitThumb emitThumb)
    : m_io(io), m_emit(std::move(emit)), m_emitThumb(std::move(emitThumb)), m_reportTimer(io)
{
}

ClientFiles::~ClientFiles() = default;

void ClientFiles::OnDisk(std::function<void()> task, std::function<void()> then)
{
    auto guard = std::make_shared<asio::executor_work_guard<asio::io_context::executor_type>>(m_io.get_executor());
    m_disk.Post([this, guard, task = std::move(task), then = std::move(then)]() mutable {
        task();
        asio::post(m_io, [guard, then = std::move(then)] {
            then();
            guard->reset();
        });
    });
}

void ClientFiles::Send(const Message& message)
{
    if (Connected())
        m_connection->Send(message);
}

void ClientFiles::Report(Reported& r, bool force)
{
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - r.lastReport < ReportEvery)
        return (void)(r.reportDue = true, ScheduleReports());
    r.lastReport = now;
    r.reportDue = false;
    m_emit(r.status);
}

// A progress report held back by the rate limit goes out a little later, so a transfer that
// stalls right after a burst still shows where it really is.
void ClientFiles::ScheduleReports()
{
    if (m_reportTimerArmed)
        return;
    m_reportTimerArmed = true;
    m_reportTimer.expires_after(ReportEvery);
    m_reportTimer.async_wait([this](asio::error_code ec) {
        m_reportTimerArmed = false;
        if (ec)
            return;
        for (auto& [id, up] : m_ups)
            if (up->reportDue)
                Report(*up, true);
        for (auto& [id, down] : m_downs)
            if (down->reportDue)
                Report(*down, true);
    });
}

// [SECTION] Connection

void ClientFiles::SetConnection(std::shared_ptr<Connection> connection, std::uint64_t maxFileBytes)
{
    m_connection = std::move(connection);
    m_maxFileBytes = maxFileBytes;
    ++m_generation;
    m_readsInFlight = 0;
    for (auto& [id, up] : m_ups)
    {
        up->accepted = false;
        up->ended = false;
    }
    for (auto& [id, down] : m_downs)
        down->requested = down->accepted = false;
    m_getsUnanswered.clear(); // answers to a lost connection's requests never come
    if (!Connected())
    {
        // paused until the connection is back (the speed starts afresh then)
        for (auto& [id, up] : m_ups)
            if (up->status.state == TransferStatus::State::Running)
            {
                up->status.state = TransferStatus::State::Waiting;
                Report(*up, true);
            }
        for (auto& [id, down] : m_downs)
            if (down->status.state == TransferStatus::State::Running)
            {
                down->status.state = TransferStatus::State::Waiting;
                Report(*down, true);
            }
        return;
    }
    // resume: offer unfinished uploads again, ask for the rest of unfinished downloads
    std::vector<std::uint64_t> ups;
    for (auto& [id, up] : m_ups)
        if (up->opened)
            ups.push_back(id);
    for (const auto id : ups)
        if (auto it = m_ups.find(id); it != m_ups.end())
            Offer(*it->second);
    for (auto& [id, down] : m_downs)
        if (down->opened && !down->finishing)
            Request(*down);
    for (const auto id : m_thumbsWanted)
        Send(ThumbGet{id});
    m_thumbsWanted.clear();
}

bool ClientFiles::OnMessage(Message& message)
{
    if (auto* accept = std::get_if<FileAccept>(&message); accept && accept->direction == TransferDirection::Download)
    {
        // the chunks of our latest FileGet follow; anything before this was for an earlier one
        auto it = m_downs.find(accept->id);
        if (AnswerToLatestGet(accept->id, /*accepted=*/true) && it != m_downs.end() && it->second->requested &&
            accept->offset == it->second->expected)
            it->second->accepted = true;
    }
    else if (auto* accept = std::get_if<FileAccept>(&message))
    {
        auto it = m_ups.find(accept->id);
        if (it == m_ups.end())
        {
            // cancelled while the offer was still on its way: the server began it anyway (its
            // FileAbort arrived before the upload existed there), so tell it again now
            Send(FileAbort{accept->id, TransferDirection::Upload, FileAbortCode::Cancelled, "cancelled"});
            return true;
        }
        if (!it->second->opened)
            return true;
        Up& up = *it->second;
        if (accept->offset > up.status.size)
        {
            FailUpload(up.status.id, TransferStatus::State::Failed, "the server asked for bytes past the end", true);
            return true;
        }
        if (accept->offset < up.status.done)
            up.status.note = accept->offset == 0
                                 ? "the server lost what it had received (it restarted?); sending it again from the start"
                                 : "the server lost part of what it had received; sending again from " +
                                       engine::FormatSize(accept->offset);
        up.accepted = true;
        up.ended = false;
        up.sent = up.readOffset = up.status.done = accept->offset;
        up.endRead = false;
        up.acceptGeneration = m_generation;
        up.status.state = TransferStatus::State::Running;
        Report(up, true);
        up.status.note.clear();
        PumpUploads();
    }
    else if (auto* chunk = std::get_if<FileChunk>(&message))
    {
        auto it = m_downs.find(chunk->id);
        if (it == m_downs.end() || !it->second->requested || !it->second->accepted)
            return true; // cancelled or asked again: chunks of the earlier request are dropped
        Down& down = *it->second;
        if (chunk->offset != down.expected || chunk->bytes.size() > down.status.size - down.expected)
        {
            FailDownload(down.status.id, TransferStatus::State::Failed,
                         chunk->offset != down.expected ? "the server sent bytes out of order"
                                                        : "the server sent more bytes than the file's size",
                         true, true);
            return true;
        }
        down.expected += chunk->bytes.size();
        auto written = std::make_shared<std::uint64_t>(0);
        auto error = std::make_shared<std::string>();
        OnDisk(
            [disk = down.disk, bytes = std::move(chunk->bytes), written, error] {
                if (!disk->file || !disk->error.empty())
                    return;
                if (!disk->Write(bytes))
                    return (void)(*error = disk->error);
                *written = disk->written;
            },
            [this, id = down.status.id, serial = down.serial, written, error, generation = m_generation] {
                Down* found = FindDown(id, serial);
                if (!found)
                    return;
                Down& down = *found;
                if (!error->empty())
                    return FailDownload(id, TransferStatus::State::Failed, "cannot write the file: " + *error, true, true);
                if (*written == 0)
                    return;
                down.status.done = *written;
                if (generation == m_generation)
                    Send(FileProgress{id, TransferDirection::Download, *written});
                if (*written == down.status.size)
                    FinishDownload(id);
                else
                    Report(down);
            });
    }
    else if (auto* progress = std::get_if<FileProgress>(&message))
    {
        if (progress->direction != TransferDirection::Upload)
            return true;
        auto it = m_ups.find(progress->id);
        if (it == m_ups.end())
            return true;
        Up& up = *it->second;
        up.status.done = std::max(up.status.done, std::min(progress->received, up.sent));
        if (up.status.done == up.status.size && up.ended)
        {
            up.status.state = TransferStatus::State::Checking;
            Report(up, true);
        }
        else
            Report(up);
        PumpUploads();
    }
    else if (auto* abort = std::get_if<FileAbort>(&message))
    {
        const auto state = abort->code == FileAbortCode::Cancelled ? TransferStatus::State::Cancelled
                                                                   : TransferStatus::State::Failed;
        if (abort->direction == TransferDirection::Upload)
            FailUpload(abort->id, state, abort->reason, false);
        else if (AnswerToLatestGet(abort->id, /*accepted=*/false))
            FailDownload(abort->id, state, abort->reason, false, true);
    }
    else if (auto* thumb = std::get_if<Thumb>(&message))
        m_emitThumb(thumb->id, std::move(thumb->png));
    else
        return false;
    return true;
}

void ClientFiles::Pump() { PumpUploads(); }

// The download `id` if it is still the one that started this work (not cancelled and asked again).
ClientFiles::Down* ClientFiles::FindDown(std::uint64_t id, std::uint64_t serial)
{
    auto it = m_downs.find(id);
    return it != m_downs.end() && it->second->serial == serial ? it->second.get() : nullptr;
}

// The server answers every FileGet with one FileAccept or FileAbort, in order. True when this
// answer is for the latest FileGet of that file (or, for an abort, comes mid-download); false
// for the answer to a request given up since (cancelled, then asked again).
bool ClientFiles::AnswerToLatestGet(std::uint64_t id, bool accepted)
{
    auto it = m_getsUnanswered.find(id);
    if (it == m_getsUnanswered.end())
        return !accepted; // no request open: an abort of the download in progress
    if (--it->second > 0)
        return false;
    m_getsUnanswered.erase(it);
    return true;
}

// [SECTION] Uploads

void ClientFiles::Upload(std::uint64_t id, Target to, std::filesystem::path path)
{
    auto up = std::make_unique<Up>();
    up->status.id = id;
    up->status.direction = TransferDirection::Upload;
    up->status.name = engine::SanitizeFileName(path.filename().string());
    up->status.to = std::move(to);
    up->status.path = path;
    auto size = std::make_shared<std::uint64_t>(0);
    auto error = std::make_shared<std::string>();
    OnDisk(
        [disk = up->disk, path, size, error] {
            std::error_code ec;
            if (std::filesystem::is_directory(path, ec))
            {
                *error = "it is a folder; send the files in it, or a zip of it";
                return;
            }
            disk->file = std::fopen(path.string().c_str(), "rb");
            if (!disk->file)
            {
                *error = ErrnoText();
                return;
            }
            const auto bytes = std::filesystem::file_size(path, ec);
            if (ec)
                *error = ec.message();
            else
                *size = bytes;
        },
        [this, id, size, error] {
            auto it = m_ups.find(id);
            if (it == m_ups.end())
                return;
            Up& up = *it->second;
            if (!error->empty())
                return FailUpload(id, TransferStatus::State::Failed,
                                  "cannot read " + up.status.path.string() + ": " + *error, false);
            up.status.size = *size;
            up.opened = true;
            if (m_maxFileBytes == 0)
                return FailUpload(id, TransferStatus::State::Failed, "this server does not accept files", false);
            if (up.status.size > m_maxFileBytes)
            {
                const auto [size, limit] = engine::FormatSizes(up.status.size, m_maxFileBytes);
                return FailUpload(id, TransferStatus::State::Failed,
                                  up.status.name + " is " + size + "; this server accepts files up to " + limit, false);
            }
            Report(up, true);
            if (Connected())
                Offer(up);
        });
    m_ups[id] = std::move(up);
}

void ClientFiles::Offer(Up& up)
{
    up.accepted = false;
    Send(FileOffer{up.status.id, up.status.to, up.status.name, up.status.size});
}

void ClientFiles::PumpUploads()
{
    while (Connected() && m_readsInFlight < MaxReadsInFlight && !m_ups.empty())
    {
        // round robin over uploads that may send: the first after the last served
        Up* pick = nullptr;
        const std::size_t queued = m_connection->QueuedBytes() + m_readsInFlight * std::size_t{FileChunkBytes};
        auto from = m_ups.lower_bound(m_nextUp);
        for (std::size_t i = 0; i < m_ups.size() && !pick; ++i, ++from)
        {
            if (from == m_ups.end())
                from = m_ups.begin();
            Up& up = *from->second;
            if (!up.accepted || up.ended || up.acceptGeneration != m_generation)
                continue;
            const bool more = up.readOffset < up.status.size && up.readOffset - up.status.done < WindowBytes &&
                              queued < QueueLowWater;
            // every byte is with the server (an empty file, or a resume at its end): only the hash is left
            const bool last = up.sent == up.status.size && up.readOffset == up.status.size && !up.endRead;
            if (more || last)
                pick = &up;
        }
        if (!pick)
            return;
        ReadChunk(*pick);
    }
}

// Reads the next chunk of an upload straight into its frame on the disk thread, hashing as it
// goes; the network thread only sends it (FileEnd follows the last one).
void ClientFiles::ReadChunk(Up& up)
{
    m_nextUp = up.status.id + 1;
    ++m_readsInFlight;
    const std::uint64_t offset = up.readOffset;
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(FileChunkBytes, up.status.size - offset));
    up.readOffset += n;
    up.endRead = n == 0;
    auto frame = std::make_shared<std::vector<std::uint8_t>>();
    auto error = std::make_shared<std::string>();
    auto digest = std::make_shared<std::optional<std::array<std::uint8_t, 32>>>();
    OnDisk(
        [disk = up.disk, id = up.status.id, size = up.status.size, offset, n, frame, error, digest] {
            // after a resume the server may want bytes before what was hashed: hash again from the start
            if (offset != disk->hashed)
            {
                disk->hash.~Sha256();
                new (&disk->hash) engine::Sha256();
                disk->hashed = 0;
                disk->finished = false;
                std::vector<std::uint8_t> buffer(FileChunkBytes);
                if (!engine::SeekFile(disk->file, 0))
                    return (void)(*error = ErrnoText());
                while (disk->hashed < offset)
                {
                    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), offset - disk->hashed));
                    if (std::fread(buffer.data(), 1, want, disk->file) != want)
                        return (void)(*error = "the file got shorter while it was being sent");
                    disk->hash.Update(std::span<const std::uint8_t>(buffer.data(), want));
                    disk->hashed += want;
                }
                disk->position = offset;
            }
            if (n > 0)
            {
                *frame = FileChunkFrame(id, offset, n);
                std::uint8_t* data = frame->data() + FileChunkDataOffset;
                if ((disk->position != offset && !engine::SeekFile(disk->file, offset)) || std::fread(data, 1, n, disk->file) != n)
                {
                    disk->position = ~std::uint64_t{0};
                    return (void)(*error = "the file got shorter while it was being sent");
                }
                disk->position = offset + n;
                disk->hash.Update(std::span<const std::uint8_t>(data, n));
                disk->hashed += n;
            }
            if (disk->hashed == size)
            {
                if (!disk->finished)
                {
                    disk->digest = disk->hash.Finish();
                    disk->finished = true;
                }
                *digest = disk->digest;
            }
        },
        [this, id = up.status.id, offset, n, frame, error, digest, generation = m_generation] {
            if (generation != m_generation)
                return; // the connection changed: the server says where to go on
            --m_readsInFlight;
            auto it = m_ups.find(id);
            if (it == m_ups.end())
                return PumpUploads(); // cancelled meanwhile
            Up& up = *it->second;
            if (!error->empty())
                return FailUpload(up.status.id, TransferStatus::State::Failed,
                                  "cannot read " + up.status.path.string() + ": " + *error, true);
            if (!up.accepted || up.sent != offset || up.ended)
                return PumpUploads();
            if (n > 0)
            {
                up.sent += n;
                m_connection->Send(FrameBytes(frame));
            }
            if (up.sent == up.status.size && *digest)
            {
                up.ended = true;
                Send(FileEnd{up.status.id, **digest});
            }
            PumpUploads();
        });
}

void ClientFiles::OnAck(const Ack& ack)
{
    auto it = m_ups.find(ack.clientMsgId);
    if (it == m_ups.end())
        return;
    it->second->status.state = TransferStatus::State::Done;
    it->second->status.done = it->second->status.size;
    Report(*it->second, true);
    auto disk = it->second->disk;
    m_ups.erase(it);
    m_disk.Post([disk] {}); // the source closes on the disk thread
}

void ClientFiles::FailUpload(std::uint64_t id, TransferStatus::State state, const std::string& why, bool tellServer)
{
    auto it = m_ups.find(id);
    if (it == m_ups.end())
        return;
    if (tellServer)
        Send(FileAbort{id, TransferDirection::Upload, FileAbortCode::Cancelled, why});
    it->second->status.state = state;
    it->second->status.error = why;
    Report(*it->second, true);
    auto disk = it->second->disk;
    m_ups.erase(it);
    m_disk.Post([disk] {});
}

// [SECTION] Downloads

void ClientFiles::Download(std::uint64_t fileId, std::string name, std::uint64_t size,
                           std::array<std::uint8_t, 32> sha256, std::filesystem::path dir)
{
    if (auto it = m_downs.find(fileId); it != m_downs.end())
        return; // already on its way
    auto down = std::make_unique<Down>();
    down->serial = ++m_downSerial;
    down->status.id = fileId;
    down->status.direction = TransferDirection::Download;
    down->status.name = engine::SanitizeFileName(name);
    down->status.size = size;
    down->sha256 = sha256;
    down->dir = dir;
    // the same download interrupted earlier (even by closing the app) continues from its .part
    down->disk->path = dir / PartName(down->status.name, fileId, sha256);
    auto error = std::make_shared<std::string>();
    OnDisk(
        [disk = down->disk, dir, size, error] {
            std::error_code ec;
            std::filesystem::create_directories(dir, ec);
            if (ec)
                return (void)(*error = "cannot create " + dir.string() + ": " + ec.message());
            const auto existing = std::filesystem::exists(disk->path, ec) ? std::filesystem::file_size(disk->path, ec) : 0;
            if (!ec && existing > 0 && existing <= size)
            {
                disk->file = std::fopen(disk->path.string().c_str(), "r+b");
                std::vector<std::uint8_t> buffer(FileChunkBytes);
                while (disk->file && disk->written < existing)
                {
                    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), existing - disk->written));
                    if (std::fread(buffer.data(), 1, want, disk->file) != want)
                        break;
                    disk->hash.Update(std::span<const std::uint8_t>(buffer.data(), want));
                    disk->written += want;
                }
                if (disk->file && disk->written == existing && engine::SeekFile(disk->file, existing))
                    return;
                if (disk->file)
                    std::fclose(disk->file);
                disk->file = nullptr;
                disk->hash.~Sha256();
                new (&disk->hash) engine::Sha256();
                disk->written = 0;
            }
            disk->file = std::fopen(disk->path.string().c_str(), "wb");
            if (!disk->file)
                *error = "cannot write in " + dir.string() + ": " + ErrnoText();
        },
        [this, fileId, serial = down->serial, error] {
            Down* found = FindDown(fileId, serial);
            if (!found)
                return;
            Down& down = *found;
            if (!error->empty())
                return FailDownload(fileId, TransferStatus::State::Failed, *error, false, false);
            down.opened = true;
            auto written = std::make_shared<std::uint64_t>(0);
            OnDisk([disk = down.disk, written] { *written = disk->written; },
                   [this, fileId, serial, written] {
                       auto it = m_downs.find(fileId);
                       if (it == m_downs.end() || it->second->serial != serial)
                           return;
                       it->second->status.done = *written;
                       if (*written == it->second->status.size)
                           return FinishDownload(fileId); // nothing (more) to fetch: an empty file, or all there
                       Report(*it->second, true);
                       if (Connected())
                           Request(*it->second);
                   });
        });
    m_downs[fileId] = std::move(down);
}

void ClientFiles::Request(Down& down)
{
    // pending writes first: ask for exactly what is not on disk yet
    auto written = std::make_shared<std::uint64_t>(0);
    OnDisk([disk = down.disk, written] { *written = disk->written; },
           [this, id = down.status.id, serial = down.serial, written, generation = m_generation] {
               auto it = m_downs.find(id);
               if (it != m_downs.end() && it->second->serial != serial)
                   return;
               if (it == m_downs.end() || generation != m_generation || !Connected() || it->second->finishing)
                   return;
               Down& down = *it->second;
               down.expected = *written;
               down.requested = true;
               down.accepted = false;
               ++m_getsUnanswered[id];
               down.status.state = TransferStatus::State::Running;
               Send(FileGet{id, *written});
               Report(down, true);
           });
}

void ClientFiles::FinishDownload(std::uint64_t id)
{
    auto it = m_downs.find(id);
    if (it == m_downs.end() || it->second->finishing)
        return;
    Down& down = *it->second;
    down.finishing = true;
    down.status.state = TransferStatus::State::Checking;
    Report(down, true);
    auto saved = std::make_shared<std::filesystem::path>();
    auto error = std::make_shared<std::string>();
    auto corrupted = std::make_shared<bool>(false);
    OnDisk(
        [disk = down.disk, expected = down.sha256, dir = down.dir, name = down.status.name, saved, error, corrupted] {
            if (!disk->file)
                return (void)(*error = "the file was not open");
            const bool synced = engine::SyncFile(disk->file);
            const bool closed = std::fclose(disk->file) == 0;
            disk->file = nullptr;
            if (!synced || !closed)
                return (void)(*error = "cannot write the file: " + ErrnoText());
            if (disk->hash.Finish() != expected)
            {
                *corrupted = true;
                disk->Discard();
                return;
            }
            *saved = SaveAs(disk->path, dir, name, *error);
        },
        [this, id, serial = down.serial, saved, error, corrupted] {
            auto it = m_downs.find(id);
            if (it == m_downs.end() || it->second->serial != serial)
                return;
            if (*corrupted)
                return FailDownload(id, TransferStatus::State::Failed,
                                    "the file arrived damaged (its SHA-256 does not match); it was not saved", false,
                                    false);
            if (!error->empty())
                return FailDownload(id, TransferStatus::State::Failed, *error, false, true);
            Down& down = *it->second;
            down.status.state = TransferStatus::State::Done;
            down.status.done = down.status.size;
            down.status.path = *saved;
            Report(down, true);
            m_downs.erase(it);
        });
}

void ClientFiles::FailDownload(std::uint64_t id, TransferStatus::State state, const std::string& why, bool tellServer,
                               bool removePart)
{
    auto it = m_downs.find(id);
    if (it == m_downs.end())
        return;
    if (tellServer && it->second->requested)
        Send(FileAbort{id, TransferDirection::Download, FileAbortCode::Cancelled, why});
    it->second->status.state = state;
    it->second->status.error = why;
    Report(*it->second, true);
    auto disk = it->second->disk;
    m_downs.erase(it);
    m_disk.Post([disk, removePart] {
        if (removePart)
            disk->Discard();
    });
}

void ClientFiles::Cancel(std::uint64_t id, TransferDirection direction)
{
    if (direction == TransferDirection::Upload)
        FailUpload(id, TransferStatus::State::Cancelled, "cancelled", true);
    else
        FailDownload(id, TransferStatus::State::Cancelled, "cancelled", true, true);
}

void ClientFiles::RequestThumb(std::uint64_t fileId)
{
    if (Connected())
        Send(ThumbGet{fileId});
    else
        m_thumbsWanted.push_back(fileId);
}

void ClientFiles::EndAll(const std::string& why)
{
    std::vector<std::uint64_t> ups;
    std::vector<std::uint64_t> downs;
    for (auto& [id, up] : m_ups)
        ups.push_back(id);
    for (auto& [id, down] : m_downs)
        downs.push_back(id);
    for (const auto id : ups)
        FailUpload(id, TransferStatus::State::Failed, why, false);
    for (const auto id : downs)
        FailDownload(id, TransferStatus::State::Failed, why, false, false);
    m_connection.reset();
    m_reportTimer.cancel();
}

} // namespace obrol::net

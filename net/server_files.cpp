#include "net/server_files.hpp"

#include "engine/file_io.hpp"
#include "engine/file_names.hpp"
#include "engine/units.hpp"
#include "engine/image.hpp"
#include "engine/utf8.hpp"
#include "net/session.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>


namespace obrol::net {

namespace {

constexpr std::uint64_t MaxThumbnailSource = std::uint64_t{64} << 20; // bigger images get a file card
constexpr int ThumbnailSide = 480;                                    // 240 px previews at 2x
constexpr auto StaleUpload = std::chrono::minutes(30);                // a partial nobody resumed is dropped
constexpr std::size_t MaxReadsInFlight = 2;                           // per session: read ahead while sending


std::string ErrnoText() { return std::strerror(errno); }


} // namespace

// [SECTION] State

// Touched only on the disk thread.
struct ServerFiles::DiskUpload : engine::PartFile
{
};

struct ServerFiles::Upload
{
    std::string key;
    std::string nick;
    std::uint64_t id = 0;
    Target to;
    std::string name;
    std::uint64_t size = 0;
    std::uint64_t expected = 0; // the next offset accepted from the network
    bool ending = false;
    std::weak_ptr<Session> owner;
    std::shared_ptr<DiskUpload> disk = std::make_shared<DiskUpload>();
    std::chrono::steady_clock::time_point lastActivity = std::chrono::steady_clock::now();
};

struct ServerFiles::DiskRead
{
    std::FILE* file = nullptr;
    std::uint64_t position = 0; // where the next fread reads
    ~DiskRead()
    {
        if (file)
            std::fclose(file);
    }
};

struct ServerFiles::Download
{
    std::uint64_t id = 0;
    std::filesystem::path path;
    std::uint64_t size = 0;
    std::uint64_t read = 0;  // asked of the disk thread
    std::uint64_t sent = 0;  // queued on the connection
    std::uint64_t acked = 0; // stored by the client
    std::shared_ptr<DiskRead> disk = std::make_shared<DiskRead>();
};

struct ServerFiles::SessionDownloads
{
    std::map<std::uint64_t, Download> active;
    std::map<std::uint64_t, std::uint64_t> cancels; // FileAborts per file: a look-up that sees a newer count was cancelled
    std::uint64_t next = 0; // round robin: the id after the last one served
    std::size_t reading = 0; // chunks being read on the disk thread
};

ServerFiles::ServerFiles(Server::Core& core) : m_core(core) {}

ServerFiles::~ServerFiles()
{
    std::vector<std::shared_ptr<DiskUpload>> partials;
    for (auto& [key, upload] : m_uploads)
        partials.push_back(upload->disk);
    m_disk.Post([partials] {
        for (const auto& disk : partials)
            disk->Discard();
    });
    if (m_temporary)
    {
        m_disk.Post([dir = m_dir] {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        });
    }
}

void ServerFiles::Open(const std::filesystem::path& dir, bool temporary)
{
    m_dir = dir;
    m_temporary = temporary;
    std::error_code ec;
    std::filesystem::create_directories(m_dir / "partial", ec);
    if (ec)
        throw std::runtime_error("cannot create the files folder " + m_dir.string() + ": " + ec.message());
    // what a previous run left half uploaded cannot be resumed (the hash state is gone): its
    // senders start again when they reconnect, and are told so
    std::size_t dropped = 0;
    for (const auto& entry : std::filesystem::directory_iterator(m_dir / "partial", ec))
    {
        std::error_code ignored;
        dropped += std::filesystem::remove(entry.path(), ignored) ? 1 : 0;
    }
    if (dropped > 0)
        m_core.Log("dropped " + std::to_string(dropped) + " unfinished upload" + (dropped == 1 ? "" : "s") +
                   " from the last run; " + (dropped == 1 ? "its sender starts" : "their senders start") +
                   " again on reconnecting");
}

std::string ServerFiles::Key(const std::string& nick, std::uint64_t id)
{
    return engine::FoldCase(nick) + "/" + std::to_string(id);
}

void ServerFiles::OnDisk(std::function<void()> task, std::function<void()> then)
{
    auto guard = std::make_shared<WorkGuard>(m_core.io.get_executor());
    m_disk.Post([this, guard, task = std::move(task), then = std::move(then)]() mutable {
        task();
        asio::post(m_core.io, [guard, then = std::move(then)] {
            then();
            guard->reset();
        });
    });
}

void ServerFiles::Refuse(const std::shared_ptr<Session>& session, std::uint64_t id, TransferDirection direction,
                         FileAbortCode code, const std::string& reason)
{
    session->Conn().Send(FileAbort{id, direction, code, reason});
}

// [SECTION] Uploads

void ServerFiles::OnOffer(const std::shared_ptr<Session>& session, const FileOffer& offer)
{
    SweepStale();
    const std::string key = Key(session->Nick(), offer.id);
    if (auto it = m_uploads.find(key); it != m_uploads.end())
    {
        // the same upload again after a reconnect: carry on from what is on disk
        auto upload = it->second;
        upload->owner = session;
        if (upload->size != offer.size)
            return Fail(key, FileAbortCode::Invalid, "the file changed since it was first offered; send it again");
        upload->lastActivity = std::chrono::steady_clock::now();
        if (upload->ending)
            return; // being checked and stored: the Ack follows
        auto offset = std::make_shared<std::uint64_t>(0);
        // queued writes finish first: the offset is what is really on disk
        OnDisk([disk = upload->disk, offset] { *offset = disk->error.empty() ? disk->written : 0; },
               [this, key, offset] {
                   auto it = m_uploads.find(key);
                   if (it == m_uploads.end())
                       return;
                   it->second->expected = *offset;
                   if (auto owner = it->second->owner.lock())
                       owner->Conn().Send(FileAccept{it->second->id, *offset});
               });
        return;
    }
    if (auto done = m_completed.find(key); done != m_completed.end())
        return (void)session->Conn().Send(done->second); // stored before the connection dropped
    if (!m_core.chat.HasStore())
        return Begin(session, offer);
    // maybe stored by an earlier run of the server
    std::weak_ptr<Session> weak = session;
    m_core.chat.FindOwn(session->Nick(), offer.id,
        [this, weak, offer](std::optional<Chat> stored) {
            auto session = weak.lock();
            if (!session || !session->Joined())
                return;
            if (stored && stored->file)
                session->Conn().Send(Ack{offer.id, stored->id, stored->timeMs});
            else
                Begin(session, offer);
        });
}

void ServerFiles::Begin(const std::shared_ptr<Session>& session, const FileOffer& offer)
{
    const std::uint64_t max = m_core.config.maxFileBytes;
    const std::string name = engine::SanitizeFileName(offer.name);
    if (max == 0)
        return Refuse(session, offer.id, TransferDirection::Upload, FileAbortCode::TooLarge,
                      "this server does not accept files");
    if (offer.size > max)
    {
        const auto [size, limit] = engine::FormatSizes(offer.size, max);
        return Refuse(session, offer.id, TransferDirection::Upload, FileAbortCode::TooLarge,
                      name + " is " + size + "; this server accepts files up to " + limit);
    }
    const auto start = [this, offer, name](const std::shared_ptr<Session>& session) {
        auto upload = std::make_shared<Upload>();
        upload->key = Key(session->Nick(), offer.id);
        upload->nick = session->Nick();
        upload->id = offer.id;
        upload->to = offer.to;
        upload->name = name;
        upload->size = offer.size;
        upload->owner = session;
        upload->disk->path = m_dir / "partial" / (std::to_string(m_nextPart++) + ".part");
        m_uploads[upload->key] = upload;
        auto error = std::make_shared<std::string>();
        OnDisk(
            [disk = upload->disk, error] {
                disk->file = std::fopen(disk->path.string().c_str(), "wb");
                if (!disk->file)
                    *error = ErrnoText();
            },
            [this, key = upload->key, error] {
                auto it = m_uploads.find(key);
                if (it == m_uploads.end())
                    return;
                if (!error->empty())
                    return Fail(key, FileAbortCode::StorageFailed, "the server cannot store files: " + *error);
                if (auto owner = it->second->owner.lock())
                    owner->Conn().Send(FileAccept{it->second->id, 0});
            });
    };
    if (const chat::Outcome check = m_core.chat.CheckTarget(session->Nick(), offer.to); !check.ok)
        return Refuse(session, offer.id, TransferDirection::Upload,
                      check.code == ErrorCode::UnknownUser ? FileAbortCode::UnknownUser : FileAbortCode::Invalid,
                      check.code == ErrorCode::UnknownUser ? "a private file needs someone other than yourself" : check.error);
    if (offer.to.IsRoom() || m_core.chat.Find(offer.to.name))
        return start(session);
    // a private file to someone offline: only if they have been here before (it waits for them)
    std::weak_ptr<Session> weak = session;
    m_core.chat.KnownNick(offer.to.name, [weak, start, offer](bool known) {
        auto session = weak.lock();
        if (!session || !session->Joined())
            return;
        if (!known)
            return (void)session->Conn().Send(FileAbort{offer.id, TransferDirection::Upload, FileAbortCode::UnknownUser,
                                                        "nobody called \"" + offer.to.name + "\" is here to receive it"});
        start(session);
    });
}

void ServerFiles::OnChunk(const std::shared_ptr<Session>& session, FileChunk& chunk)
{
    const std::string key = Key(session->Nick(), chunk.id);
    auto it = m_uploads.find(key);
    // chunks already on the way when an upload was refused or cancelled are dropped quietly
    if (it == m_uploads.end() || it->second->owner.lock() != session || it->second->ending)
        return;
    Upload& upload = *it->second;
    if (chunk.offset != upload.expected || chunk.bytes.size() > upload.size - upload.expected)
    {
        const std::string why = chunk.offset != upload.expected
                                    ? "bytes arrived out of order (at " + std::to_string(chunk.offset) + ", expected " +
                                          std::to_string(upload.expected) + ")"
                                    : "more bytes arrived than the file's size";
        return Fail(key, FileAbortCode::Invalid, why);
    }
    upload.expected += chunk.bytes.size();
    upload.lastActivity = std::chrono::steady_clock::now();
    auto written = std::make_shared<std::uint64_t>(0);
    auto error = std::make_shared<std::string>();
    OnDisk(
        [disk = upload.disk, bytes = std::move(chunk.bytes), written, error] {
            if (!disk->error.empty() || !disk->file)
                return;
            if (!disk->Write(bytes))
                return (void)(*error = disk->error);
            *written = disk->written;
        },
        [this, key, written, error] {
            auto it = m_uploads.find(key);
            if (it == m_uploads.end())
                return;
            if (!error->empty())
            {
                ServerEvent e;
                e.kind = ServerEvent::Kind::StorageError;
                e.nick = it->second->nick;
                e.text = "could not store the file " + it->second->name + ": " + *error;
                m_core.Emit(std::move(e));
                return Fail(key, FileAbortCode::StorageFailed,
                            "the server could not store " + it->second->name + " (" + *error + "); it was not sent");
            }
            if (*written == 0)
                return;
            if (auto owner = it->second->owner.lock())
                owner->Conn().Send(FileProgress{it->second->id, TransferDirection::Upload, *written});
        });
}

void ServerFiles::OnEnd(const std::shared_ptr<Session>& session, const FileEnd& end)
{
    const std::string key = Key(session->Nick(), end.id);
    auto it = m_uploads.find(key);
    if (it == m_uploads.end() || it->second->owner.lock() != session || it->second->ending)
        return;
    if (it->second->expected != it->second->size)
    {
        const std::string why = "the upload ended after " + std::to_string(it->second->expected) + " of " +
                                std::to_string(it->second->size) + " bytes";
        return Fail(key, FileAbortCode::Corrupted, why);
    }
    it->second->ending = true;
    Finish(key, end.sha256);
}

// Checks the hash, keeps the file under its hash, makes a preview, then posts the message.
void ServerFiles::Finish(const std::string& key, const std::array<std::uint8_t, 32>& expected)
{
    auto upload = m_uploads.at(key);
    struct Outcome
    {
        FileAbortCode code = FileAbortCode::StorageFailed;
        std::string error;
        FileInfo info;
        std::string sha;
    };
    auto outcome = std::make_shared<Outcome>();
    OnDisk(
        [disk = upload->disk, dir = m_dir, name = upload->name, size = upload->size, expected, outcome] {
            if (!disk->error.empty() || !disk->file)
            {
                outcome->error = disk->error.empty() ? "the file could not be written" : disk->error;
                return;
            }
            const bool synced = engine::SyncFile(disk->file);
            const bool closed = std::fclose(disk->file) == 0;
            disk->file = nullptr;
            if (!synced || !closed)
            {
                outcome->error = ErrnoText();
                disk->Discard();
                return;
            }
            const auto digest = disk->hash.Finish();
            if (digest != expected)
            {
                outcome->code = FileAbortCode::Corrupted;
                outcome->error = "the file arrived damaged (its SHA-256 differs from the sender's); it was not kept";
                disk->Discard();
                return;
            }
            outcome->sha = engine::Sha256::Hex(digest);
            const auto final = dir / outcome->sha;
            std::error_code ec;
            if (std::filesystem::exists(final, ec))
                disk->Discard(); // the same bytes are stored already
            else
            {
                std::filesystem::rename(disk->path, final, ec);
                if (ec)
                {
                    outcome->error = ec.message();
                    disk->Discard();
                    return;
                }
            }
            FileInfo& info = outcome->info;
            info.size = size;
            info.sha256 = digest;
            std::vector<std::uint8_t> head(32);
            if (std::FILE* f = std::fopen(final.string().c_str(), "rb"))
            {
                head.resize(std::fread(head.data(), 1, head.size(), f));
                std::fclose(f);
            }
            info.mime = engine::MimeType(name, head);
            // best effort: a failed preview still delivers the file (as a file card)
            if (engine::SniffImageFormat(head) != engine::ImageFormat::Unknown && size <= MaxThumbnailSource)
            {
                std::vector<std::uint8_t> bytes(size);
                std::ifstream in(final, std::ios::binary);
                if (in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
                {
                    auto thumb = engine::MakeThumbnail(bytes, ThumbnailSide);
                    if (!thumb.png.empty() && thumb.png.size() <= MaxFramePayload - 64)
                    {
                        const auto thumbPath = dir / (outcome->sha + ".thumb");
                        std::ofstream out(thumbPath, std::ios::binary | std::ios::trunc);
                        out.write(reinterpret_cast<const char*>(thumb.png.data()),
                                  static_cast<std::streamsize>(thumb.png.size()));
                        if (out.good())
                        {
                            info.thumbWidth = static_cast<std::uint16_t>(thumb.width);
                            info.thumbHeight = static_cast<std::uint16_t>(thumb.height);
                        }
                    }
                    if (thumb.sourceWidth > 0)
                    {
                        info.imageWidth = static_cast<std::uint32_t>(thumb.sourceWidth);
                        info.imageHeight = static_cast<std::uint32_t>(thumb.sourceHeight);
                    }
                }
            }
        },
        [this, key, outcome] {
            if (!m_uploads.count(key))
                return;
            if (!outcome->error.empty())
            {
                auto it = m_uploads.find(key);
                if (outcome->code == FileAbortCode::StorageFailed)
                {
                    ServerEvent e;
                    e.kind = ServerEvent::Kind::StorageError;
                    e.nick = it->second->nick;
                    e.text = "could not store the file " + it->second->name + ": " + outcome->error;
                    m_core.Emit(std::move(e));
                }
                return Fail(key, outcome->code, outcome->error);
            }
            Post(key, outcome->info, outcome->sha);
        });
}

void ServerFiles::Post(const std::string& key, FileInfo info, const std::string& shaHex)
{
    auto upload = m_uploads.at(key);
    m_core.chat.PostFile(upload->nick, upload->to, upload->name, info, upload->id,
                        [this, upload, shaHex](const chat::PostResult& result) {
                            m_uploads.erase(upload->key);
                            auto owner = upload->owner.lock();
                            if (!result.ok)
                            {
                                const auto code = result.code == ErrorCode::UnknownUser   ? FileAbortCode::UnknownUser
                                                  : result.code == ErrorCode::StorageFailed ? FileAbortCode::StorageFailed
                                                                                            : FileAbortCode::Invalid;
                                if (owner)
                                    owner->Conn().Send(FileAbort{upload->id, TransferDirection::Upload, code, result.error});
                                return;
                            }
                            m_files[result.chat.id] = FileRef{result.chat.from, result.chat.to, shaHex, upload->size};
                            const Ack ack{upload->id, result.chat.id, result.chat.timeMs};
                            m_completed[upload->key] = ack;
                            if (owner)
                                owner->Conn().Send(ack);
                        });
}

void ServerFiles::Fail(const std::string& key, FileAbortCode code, const std::string& reason)
{
    auto it = m_uploads.find(key);
    if (it == m_uploads.end())
        return;
    auto upload = it->second;
    m_uploads.erase(it);
    if (auto owner = upload->owner.lock(); owner && code != FileAbortCode::Cancelled)
        owner->Conn().Send(FileAbort{upload->id, TransferDirection::Upload, code, reason});
    m_disk.Post([disk = upload->disk] { disk->Discard(); });
}

void ServerFiles::SweepStale()
{
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> stale;
    for (const auto& [key, upload] : m_uploads)
        if (upload->owner.expired() && !upload->ending && now - upload->lastActivity > StaleUpload)
            stale.push_back(key);
    for (const auto& key : stale)
        Fail(key, FileAbortCode::Cancelled, "abandoned");
}

void ServerFiles::OnAbort(const std::shared_ptr<Session>& session, const FileAbort& abort)
{
    if (abort.direction == TransferDirection::Upload)
    {
        const std::string key = Key(session->Nick(), abort.id);
        if (auto it = m_uploads.find(key); it != m_uploads.end() && !it->second->ending)
            Fail(key, FileAbortCode::Cancelled, "cancelled by the sender");
        return;
    }
    if (auto it = m_downloads.find(session->Id()); it != m_downloads.end())
    {
        it->second->active.erase(abort.id);
        ++it->second->cancels[abort.id];
    }
}

// [SECTION] Downloads

void ServerFiles::Remember(const Chat& chat)
{
    if (chat.file)
        m_files[chat.id] = FileRef{chat.from, chat.to, engine::Sha256::Hex(chat.file->sha256), chat.file->size};
}

void ServerFiles::Lookup(const std::string& viewer, std::uint64_t id, std::function<void(std::optional<FileRef>)> then)
{
    if (auto it = m_files.find(id); it != m_files.end())
    {
        const FileRef& ref = it->second;
        const std::string me = engine::FoldCase(viewer);
        // who may see it: a room's members (everyone: all), a private file's sender and recipient
        if (ref.to.IsRoom() ? m_core.chat.MayUse(viewer, ref.to)
                            : engine::FoldCase(ref.from) == me || engine::FoldCase(ref.to.name) == me)
            return then(ref);
        return then(std::nullopt);
    }
    m_core.chat.Visible(viewer, id,
        [this, then = std::move(then)](std::optional<Chat> stored) {
            if (!stored || !stored->file)
                return then(std::nullopt);
            FileRef ref{stored->from, stored->to, engine::Sha256::Hex(stored->file->sha256), stored->file->size};
            m_files[stored->id] = ref;
            then(ref);
        });
}

void ServerFiles::OnGet(const std::shared_ptr<Session>& session, const FileGet& get)
{
    auto& state = m_downloads[session->Id()];
    if (!state)
        state = std::make_unique<SessionDownloads>();
    const std::uint64_t cancels = state->cancels[get.id];
    std::weak_ptr<Session> weak = session;
    // every FileGet gets exactly one answer (FileAccept or FileAbort): the client counts them
    Lookup(session->Nick(), get.id, [this, weak, get, cancels, sessionId = session->Id()](std::optional<FileRef> ref) {
        auto session = weak.lock();
        if (!session || !session->Joined())
            return;
        // a FileAbort that came while the archive was asked cancels this request
        auto asked = m_downloads.find(sessionId);
        if (asked == m_downloads.end() || asked->second->cancels[get.id] != cancels)
            return Refuse(session, get.id, TransferDirection::Download, FileAbortCode::Cancelled, "cancelled");
        if (!ref)
            return Refuse(session, get.id, TransferDirection::Download, FileAbortCode::NotFound,
                          "no such file on this server (or not one sent to you)");
        if (get.offset > ref->size)
            return Refuse(session, get.id, TransferDirection::Download, FileAbortCode::Invalid,
                          "asked to resume past the end of the file");
        if (get.offset == ref->size)
            return (void)session->Conn().Send(FileAccept{get.id, get.offset, TransferDirection::Download}); // all there
        auto& downloads = m_downloads[session->Id()];
        if (!downloads)
            downloads = std::make_unique<SessionDownloads>();
        Download d;
        d.id = get.id;
        d.path = m_dir / ref->sha;
        d.size = ref->size;
        d.read = d.sent = d.acked = get.offset;
        downloads->active[get.id] = std::move(d); // asking again restarts from the new offset
        // marks where this request's chunks begin: any still on their way from an earlier request come before it
        session->Conn().Send(FileAccept{get.id, get.offset, TransferDirection::Download});
        Pump(session);
    });
}

void ServerFiles::OnProgress(const std::shared_ptr<Session>& session, const FileProgress& progress)
{
    if (progress.direction != TransferDirection::Download)
        return;
    auto it = m_downloads.find(session->Id());
    if (it == m_downloads.end())
        return;
    auto d = it->second->active.find(progress.id);
    if (d == it->second->active.end())
        return;
    d->second.acked = std::max(d->second.acked, std::min(progress.received, d->second.sent));
    if (d->second.acked >= d->second.size)
        it->second->active.erase(d);
    Pump(session);
}

void ServerFiles::Pump(const std::shared_ptr<Session>& session)
{
    auto it = m_downloads.find(session->Id());
    if (it == m_downloads.end())
        return;
    SessionDownloads& downloads = *it->second;
    while (downloads.reading < MaxReadsInFlight && !downloads.active.empty() && session->Conn().IsOpen() &&
           session->Conn().QueuedBytes() + downloads.reading * std::size_t{FileChunkBytes} < FileQueueLowWater)
    {
        // round robin: the first one after the last served that may send
        Download* pick = nullptr;
        auto from = downloads.active.lower_bound(downloads.next);
        for (std::size_t i = 0; i < downloads.active.size() && !pick; ++i, ++from)
        {
            if (from == downloads.active.end())
                from = downloads.active.begin();
            Download& d = from->second;
            if (d.read < d.size && d.read - d.acked < FileWindowBytes)
                pick = &d;
        }
        if (!pick)
            return;
        ReadChunk(session, downloads, *pick);
    }
}

// Reads the next chunk of a download straight into its frame on the disk thread.
void ServerFiles::ReadChunk(const std::shared_ptr<Session>& session, SessionDownloads& downloads, Download& d)
{
    downloads.next = d.id + 1;
    ++downloads.reading;
    const std::uint64_t offset = d.read;
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(FileChunkBytes, d.size - offset));
    d.read += n;
    auto frame = std::make_shared<std::vector<std::uint8_t>>();
    auto error = std::make_shared<std::string>();
    std::weak_ptr<Session> weak = session;
    OnDisk(
        [disk = d.disk, path = d.path, id = d.id, offset, n, frame, error] {
            if (!disk->file)
                disk->file = std::fopen(path.string().c_str(), "rb");
            if (!disk->file)
                return (void)(*error = "the server cannot read this file: " + ErrnoText());
            *frame = FileChunkFrame(id, offset, n);
            const bool positioned = disk->position == offset || engine::SeekFile(disk->file, offset);
            disk->position = ~std::uint64_t{0};
            if (!positioned || std::fread(frame->data() + FileChunkDataOffset, 1, n, disk->file) != n)
                return (void)(*error = "the server cannot read this file (it is shorter than recorded)");
            disk->position = offset + n;
        },
        [this, weak, id = d.id, offset, n, frame, error, sessionId = session->Id()] {
            auto it = m_downloads.find(sessionId);
            if (it == m_downloads.end())
                return;
            --it->second->reading;
            auto session = weak.lock();
            auto d = it->second->active.find(id);
            if (!session || d == it->second->active.end() || d->second.sent != offset)
            {
                if (session)
                    Pump(session); // cancelled or restarted meanwhile
                return;
            }
            if (!error->empty())
            {
                it->second->active.erase(d);
                Refuse(session, id, TransferDirection::Download, FileAbortCode::StorageFailed, *error);
                return Pump(session);
            }
            d->second.sent += n;
            session->Conn().Send(FrameBytes(frame));
            Pump(session);
        });
}

void ServerFiles::OnSessionClosed(std::uint64_t sessionId) { m_downloads.erase(sessionId); }

void ServerFiles::OnThumbGet(const std::shared_ptr<Session>& session, const ThumbGet& get)
{
    std::weak_ptr<Session> weak = session;
    Lookup(session->Nick(), get.id, [this, weak, id = get.id](std::optional<FileRef> ref) {
        auto session = weak.lock();
        if (!session || !session->Joined())
            return;
        if (!ref)
            return (void)session->Conn().Send(Thumb{id, {}});
        auto thumb = std::make_shared<Thumb>();
        thumb->id = id;
        OnDisk(
            [thumb, path = m_dir / (ref->sha + ".thumb")] {
                std::ifstream in(path, std::ios::binary);
                if (!in)
                    return;
                in.seekg(0, std::ios::end);
                const auto size = static_cast<std::size_t>(std::max<std::streamoff>(0, in.tellg()));
                if (size > MaxFramePayload - 64)
                    return;
                thumb->png.resize(size);
                in.seekg(0);
                if (!in.read(reinterpret_cast<char*>(thumb->png.data()), static_cast<std::streamsize>(size)))
                    thumb->png.clear();
            },
            [weak, thumb] {
                if (auto session = weak.lock(); session && session->Joined())
                    session->Conn().Send(*thumb);
            });
    });
}

} // namespace obrol::net

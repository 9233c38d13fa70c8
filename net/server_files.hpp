// The server's file store: uploads streamed to disk (resumable while the server runs), SHA-256
// checked, kept under files/<sha256>, thumbnailed when they are images, then posted as file
// messages; downloads and previews streamed back to those who may see them. State lives on the
// server's io thread; every file read and write runs on one disk thread, so the io thread
// never waits on a disk. Included by server.cpp and server_files.cpp.
#pragma once

#include "engine/task_thread.hpp"
#include "net/server_core.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace obrol::net {

class Session;

// How many bytes the sender of a file may run ahead of what the receiver has stored.
constexpr std::uint64_t FileWindowBytes = std::uint64_t{4} << 20;
// File chunks are only queued while the connection has less than this waiting: chat frames
// never queue behind more than this much file data.
constexpr std::size_t FileQueueLowWater = std::size_t{512} * 1024;

class ServerFiles
{
public:
    explicit ServerFiles(Server::Core& core);
    ~ServerFiles(); // finishes disk work, removes partial uploads

    // Where files live: <data>/files, or a temporary folder when nothing is kept. Throws on failure.
    void Open(const std::filesystem::path& dir, bool temporary);
    const std::filesystem::path& Dir() const { return m_dir; }

    void OnOffer(const std::shared_ptr<Session>& session, const FileOffer& offer);
    void OnChunk(const std::shared_ptr<Session>& session, FileChunk& chunk);
    void OnEnd(const std::shared_ptr<Session>& session, const FileEnd& end);
    void OnAbort(const std::shared_ptr<Session>& session, const FileAbort& abort);
    void OnProgress(const std::shared_ptr<Session>& session, const FileProgress& progress);
    void OnGet(const std::shared_ptr<Session>& session, const FileGet& get);
    void OnThumbGet(const std::shared_ptr<Session>& session, const ThumbGet& get);
    // The session's connection finished a write: more download chunks may go.
    void Pump(const std::shared_ptr<Session>& session);
    void OnSessionClosed(std::uint64_t sessionId);

    // A file message was stored (or read back from the archive): remember where its bytes are.
    void Remember(const Chat& chat);

private:
    struct DiskUpload;
    struct Upload;
    struct DiskRead;
    struct Download;
    struct SessionDownloads;
    struct FileRef
    {
        std::string from;
        Target to;
        std::string sha; // hex: the name under files/
        std::uint64_t size = 0;
    };

    static std::string Key(const std::string& nick, std::uint64_t id);
    void Refuse(const std::shared_ptr<Session>& session, std::uint64_t id, TransferDirection direction,
                FileAbortCode code, const std::string& reason);
    void Begin(const std::shared_ptr<Session>& session, const FileOffer& offer);
    void Fail(const std::string& key, FileAbortCode code, const std::string& reason);
    void Finish(const std::string& key, const std::array<std::uint8_t, 32>& expected);
    void Post(const std::string& key, FileInfo info, const std::string& shaHex);
    void Lookup(const std::string& viewer, std::uint64_t id, std::function<void(std::optional<FileRef>)> then);
    void SweepStale();
    // Runs `task` on the disk thread, then `then` on the io thread (the io loop waits for it).
    void OnDisk(std::function<void()> task, std::function<void()> then);
    void ReadChunk(const std::shared_ptr<Session>& session, SessionDownloads& downloads, Download& download);

    Server::Core& m_core;
    std::filesystem::path m_dir;
    bool m_temporary = false;
    std::uint64_t m_nextPart = 1;
    std::unordered_map<std::string, std::shared_ptr<Upload>> m_uploads;     // nick key/id -> upload in progress
    std::unordered_map<std::string, Ack> m_completed;                        // nick key/id -> its message
    std::unordered_map<std::uint64_t, FileRef> m_files;                      // message id -> stored file
    std::unordered_map<std::uint64_t, std::unique_ptr<SessionDownloads>> m_downloads; // by session id
    engine::TaskThread m_disk; // last: joined first, while the rest still exists
};

} // namespace obrol::net

// The server's message archive: SQLite (WAL, FTS5) plus a human-readable chat_log.txt.
// Append/Read may be called from any thread; one archive thread owns the connection, runs every
// SQL statement and calls every callback. ArchiveReader exists only inside Read callbacks.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace obrol::engine {

// Same values as the wire's message kinds.
enum class StoredKind : std::uint8_t { Public = 0, Private = 1, Announce = 2, Join = 3, Leave = 4 };

// A file attached to a message (the message's text is the file's name).
struct StoredFile
{
    std::uint64_t size = 0;
    std::string mime;                      // e.g. "image/png", "application/octet-stream"
    std::array<std::uint8_t, 32> sha256{}; // of the whole file
    std::uint16_t thumbWidth = 0;          // server-made preview; 0 x 0: none
    std::uint16_t thumbHeight = 0;
    std::uint32_t imageWidth = 0; // an image's own size; 0: not an image, or not readable
    std::uint32_t imageHeight = 0;

    bool operator==(const StoredFile&) const = default;
};

struct StoredMessage
{
    std::uint64_t id = 0;          // server message id (assigned by the caller, strictly increasing)
    std::int64_t timeMs = 0;       // UTC ms
    std::uint8_t kind = 0;         // StoredKind: 0 Public, 1 Private, 2 Announce, 3 Join, 4 Leave
    std::string from;              // sender nick (Join/Leave: who; Announce: empty)
    std::string to;                // Private: recipient nick; else empty
    std::string text;              // Leave: the reason (may be empty)
    std::uint64_t clientMsgId = 0; // sender's message id (0 for system records)
    // Set: a file message (kind Public or Private; `text` is the file's name). Stored in the same
    // transaction as the message, so a message never exists without its file row or vice versa.
    std::optional<StoredFile> file;
};

class ArchiveError : public std::runtime_error
{
    using std::runtime_error::runtime_error;
};

struct ArchiveConfig
{
    std::filesystem::path dir;     // holds archive.db and chat_log.txt; created if missing
    std::size_t maxBatch = 1024;   // most messages per transaction
    std::int64_t maxPageCount = 0; // test hook: PRAGMA max_page_count (0: unlimited) to simulate a full disk
};

// One line of chat_log.txt (without the newline), time in local time. Pure, any thread.
std::string FormatLogLine(const StoredMessage& message);

class ArchiveReader;
struct ArchiveDb; // the connection and its prepared statements (archive.cpp)

class Archive
{
public:
    using Done = std::function<void(bool ok, const std::string& error)>;

    // Opens or creates archive.db and migrates it. Throws ArchiveError with a user-facing message.
    explicit Archive(ArchiveConfig config);
    // Runs every queued task (Done callbacks included), then joins the archive thread.
    ~Archive();

    Archive(const Archive&) = delete;
    Archive& operator=(const Archive&) = delete;

    std::uint64_t LastId() const { return m_lastId; } // highest id stored when opened (0: new archive)
    const std::filesystem::path& Dir() const { return m_config.dir; }
    std::filesystem::path DatabasePath() const { return m_config.dir / "archive.db"; }
    std::filesystem::path LogPath() const { return m_config.dir / "chat_log.txt"; }

    // Any thread. Queued in order; the archive thread stores consecutive queued messages (up to
    // maxBatch) in one transaction, appends them to chat_log.txt, then calls each `done` in
    // submission order: ok=true once committed, or ok=false and a user-facing error. A failed
    // batch is rolled back and retried one message per transaction, so one bad message (or a
    // big one on a full disk) fails alone. A file message and its file row share a transaction:
    // both are stored or neither.
    void Append(StoredMessage message, Done done);

    // Any thread. Runs `fn` on the archive thread after every Append submitted before it.
    // ArchiveReader methods throw ArchiveError when SQLite fails; whatever escapes `fn` is caught.
    void Read(std::function<void(ArchiveReader&)> fn);

    // Any thread. Committed write transactions since opening (group commit makes this far
    // smaller than the number of messages under load).
    std::uint64_t Transactions() const { return m_transactions.load(std::memory_order_relaxed); }

    // Any thread. Why the last chat_log.txt write failed; empty when it succeeded. A log failure
    // never fails a message: the archive is the record, the log a convenience.
    std::string LastLogError() const;

    // Any thread. The last exception that escaped a Done or Read callback (caught on the archive
    // thread so it cannot stop it); empty if none ever did.
    std::string LastCallbackError() const;

private:
    struct Task
    {
        StoredMessage message;
        Done done;
        std::function<void(ArchiveReader&)> read; // set: a read task; empty: an append
    };

    void Run();
    void WriteBatch(std::vector<Task>& batch);
    bool StoreOne(const StoredMessage& message, std::string& error);
    void WriteLog(const std::vector<Task>& batch, const std::vector<char>& stored);
    void NoteCallbackError(const char* what);

    ArchiveConfig m_config;
    std::unique_ptr<ArchiveDb> m_db; // archive thread only (after the constructor)
    std::uint64_t m_lastId = 0;
    std::atomic<std::uint64_t> m_transactions{0};
    std::FILE* m_log = nullptr; // archive thread only

    mutable std::mutex m_errorMutex; // guards the two error strings
    std::string m_lastLogError;
    std::string m_lastCallbackError;

    std::mutex m_mutex; // guards m_tasks and m_stopping
    std::condition_variable m_wake;
    std::deque<Task> m_tasks;
    bool m_stopping = false;
    std::thread m_thread;
};

class ArchiveReader // only valid inside Read callbacks (archive thread)
{
public:
    // Messages `viewer` may see: public kinds (Public, Announce, Join, Leave) and Private ones where viewer is
    // sender or recipient. Nicks compare case-insensitively (FoldCase). viewer empty = everything (server admin).
    // conversation "" = the public conversation; otherwise the private conversation between viewer and that
    // nick (viewer empty: every private message involving that nick). Returns up to `limit` newest messages with
    // id < beforeId (0: no bound), in ascending id order.
    std::vector<StoredMessage> Page(const std::string& viewer, const std::string& conversation, std::uint64_t beforeId,
                                    std::size_t limit);
    // The mirror of Page: up to `limit` OLDEST messages of that conversation with id > afterId, ascending
    // (with Page, the messages around a search hit).
    std::vector<StoredMessage> After(const std::string& viewer, const std::string& conversation, std::uint64_t afterId,
                                     std::size_t limit);
    // The newest `limit` private messages involving viewer (any partner; viewer empty: anyone's), ascending.
    std::vector<StoredMessage> RecentPrivate(const std::string& viewer, std::size_t limit);
    // Everything viewer may see with id > afterId, ascending, at most limit.
    std::vector<StoredMessage> Since(const std::string& viewer, std::uint64_t afterId, std::size_t limit);
    // Full-text search of what viewer may see, newest first. The query is plain words: each is quoted (no FTS
    // syntax), all must match, the last one as a prefix unless the query ends in a space. Blank -> empty.
    std::vector<StoredMessage> Search(const std::string& viewer, const std::string& query, std::size_t limit);
    // The message with this id if `viewer` may see it (the rules of Page: public kinds to everyone, Private
    // only to its sender and recipient, case-insensitive; viewer empty = everything), else nullopt. The server
    // checks a file download with it.
    std::optional<StoredMessage> Visible(const std::string& viewer, std::uint64_t id);
    // The message stored from `sender` with this client id (an idempotent resend), if any. 0 never matches.
    std::optional<StoredMessage> FindByClientId(const std::string& sender, std::uint64_t clientMsgId);
    // Whether this nickname ever joined (a Join record exists), case-insensitive.
    bool KnownNick(const std::string& nick);
    // The id of this nick's latest Leave record (case-insensitive), 0 if it never left.
    std::uint64_t LastLeaveId(const std::string& nick);

private:
    friend class Archive;
    explicit ArchiveReader(ArchiveDb& db) : m_db(db) {}
    std::vector<StoredMessage> Conversation(const std::string& viewer, const std::string& conversation,
                                            std::int64_t bound, std::size_t limit, bool newer);
    ArchiveDb& m_db;
};

// The FTS5 MATCH expression Search() uses for a user's query; empty when the query has no words.
std::string BuildMatchExpression(const std::string& query);

} // namespace obrol::engine

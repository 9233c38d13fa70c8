// The server's message archive: SQLite (WAL, FTS5) plus a human-readable chat_log.txt; rooms, their
// members and owned nicknames live beside the messages. Append/Read may be called from any thread; one
// archive thread owns the connection, runs every SQL statement and calls every callback. ArchiveReader
// exists only inside Read callbacks (its owner writes run there too, on the archive thread).
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
#include <string_view>
#include <thread>
#include <vector>

namespace obrol::engine {

// Same values as the wire's message kinds.
enum class StoredKind : std::uint8_t
{
    Public = 0,
    Private = 1,
    Announce = 2,
    Join = 3,
    Leave = 4,
    RoomJoin = 5,
    RoomLeave = 6,
    Topic = 7
};

// The room every nickname is in without joining it (its membership is never stored).
constexpr std::string_view EveryoneRoom = "everyone";

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
    std::uint8_t kind = 0;         // StoredKind
    std::string from;              // sender nick (Join/Leave/RoomJoin/RoomLeave: who; Topic: setter; Announce: "")
    std::string to;                // Private: recipient nick; else empty
    std::string text;              // Leave: the reason (may be empty); Topic: the new topic ("" clears it)
    std::uint64_t clientMsgId = 0; // sender's message id (0 for system records)
    // Set: a file message (kind Public or Private; `text` is the file's name). Stored in the same
    // transaction as the message, so a message never exists without its file row or vice versa.
    std::optional<StoredFile> file;
    // Every kind but Private: the room, in display case (Join, Leave: always EveryoneRoom). Stored as
    // EveryoneRoom when empty; read back as stored. Private: empty (ignored when storing). Storing a
    // RoomJoin adds the room if it is new (created by `from` at `timeMs`) and `from` to its members,
    // a RoomLeave removes `from` from them (the room stays), a Topic sets the room's topic to `text`:
    // in the record's own transaction, so the room state always matches the stored records.
    std::string room;
};

// A room as its records left it.
struct StoredRoom
{
    std::string name;  // display case, as its first RoomJoin gave it
    std::string topic; // "" if never set (or cleared)
    std::int64_t createdMs = 0;
    std::string creator;              // empty for the everyone room
    std::vector<std::string> members; // nicks in display case, sorted case-insensitively; empty for everyone

    bool operator==(const StoredRoom&) const = default;
};

// A nickname claimed with a public key: only that key's holder may use it.
struct StoredOwner
{
    std::string nick; // display case, as claimed
    std::array<std::uint8_t, 32> publicKey{};
    std::int64_t claimedMs = 0;

    bool operator==(const StoredOwner&) const = default;
};

// Which conversation Page and After read.
struct ConversationRef
{
    enum class Kind : std::uint8_t { Room, Private } kind = Kind::Room;
    std::string name{EveryoneRoom}; // Room: the room (case-insensitive; "" = everyone); Private: the other nick
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
    // Visibility, for every query below that takes a viewer (a nickname, compared case-insensitively via
    // FoldCase; viewer empty = everything, the server admin): a Private message is seen by its sender and
    // recipient; a record of the everyone room by everybody; a record of another room only by that room's
    // CURRENT members (a leaver loses its history, a joiner gains it).

    // Up to `limit` newest messages of the conversation with id < beforeId (0: no bound), ascending.
    // Room: that room's records (empty if the viewer may not see the room). Private: the private messages
    // between viewer and `name` (viewer empty: every private message involving `name`).
    std::vector<StoredMessage> Page(const std::string& viewer, const ConversationRef& conversation,
                                    std::uint64_t beforeId, std::size_t limit);
    // The mirror of Page: up to `limit` OLDEST messages of that conversation with id > afterId, ascending
    // (with Page, the messages around a search hit).
    std::vector<StoredMessage> After(const std::string& viewer, const ConversationRef& conversation,
                                     std::uint64_t afterId, std::size_t limit);
    // The newest `limit` private messages involving viewer (any partner; viewer empty: anyone's), ascending.
    std::vector<StoredMessage> RecentPrivate(const std::string& viewer, std::size_t limit);
    // The history of a joining client: the newest `perRoomLimit` records of the everyone room and of each
    // room viewer is a member of (viewer empty: every room), merged in ascending id order.
    std::vector<StoredMessage> RecentRooms(const std::string& viewer, std::size_t perRoomLimit);
    // Everything viewer may see with id > afterId, ascending, at most limit.
    std::vector<StoredMessage> Since(const std::string& viewer, std::uint64_t afterId, std::size_t limit);
    // Full-text search of what viewer may see, newest first. The query is plain words: each is quoted (no FTS
    // syntax), all must match, the last one as a prefix unless the query ends in a space. Blank -> empty.
    std::vector<StoredMessage> Search(const std::string& viewer, const std::string& query, std::size_t limit);
    // The message with this id if `viewer` may see it, else nullopt. The server checks a file download with it.
    std::optional<StoredMessage> Visible(const std::string& viewer, std::uint64_t id);
    // The message stored from `sender` with this client id (an idempotent resend), if any. 0 never matches.
    std::optional<StoredMessage> FindByClientId(const std::string& sender, std::uint64_t clientMsgId);
    // Whether this nickname ever joined (a Join record exists), case-insensitive.
    bool KnownNick(const std::string& nick);
    // The id of this nick's latest Leave record (case-insensitive), 0 if it never left.
    std::uint64_t LastLeaveId(const std::string& nick);

    // Every room, the everyone room included, ordered by name case-insensitively (the server loads them
    // when it starts).
    std::vector<StoredRoom> Rooms();

    // Owned nicknames, ordered by nick case-insensitively.
    std::vector<StoredOwner> Owners();
    // The owner of this nick (case-insensitive), if it is owned.
    std::optional<StoredOwner> Owner(const std::string& nick);
    // Writes, committed at once (autocommit; they run between Append batches on the archive thread, so
    // they never join a batch's transaction). ClaimNick: false if the nick is owned already, by any key
    // (or is empty). ReleaseNick: true if an owner was removed. Throw ArchiveError when SQLite fails.
    bool ClaimNick(const std::string& nick, const std::array<std::uint8_t, 32>& key, std::int64_t timeMs);
    bool ReleaseNick(const std::string& nick);

private:
    friend class Archive;
    explicit ArchiveReader(ArchiveDb& db) : m_db(db) {}
    std::vector<StoredMessage> Conversation(const std::string& viewer, const ConversationRef& conversation,
                                            std::int64_t bound, std::size_t limit, bool newer);
    bool MaySeeRoom(const std::string& viewerKey, const std::string& roomKey);
    ArchiveDb& m_db;
};

// The FTS5 MATCH expression Search() uses for a user's query; empty when the query has no words.
std::string BuildMatchExpression(const std::string& query);

} // namespace obrol::engine

// The message archive: opening and migrating archive.db (constructor thread), then the archive
// thread's queue, group commit (with the room state each record implies), chat_log.txt, the read
// queries and the owned nicknames. Thread rules: archive.hpp.
#include "engine/archive.hpp"

#include "engine/clock.hpp"
#include "engine/file_names.hpp"
#include "engine/utf8.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

namespace obrol::engine {

// [SECTION] SQLite helpers

namespace {

constexpr std::int64_t NoBound = std::numeric_limits<std::int64_t>::max();

std::string Utf8Path(const std::filesystem::path& path)
{
    const std::u8string text = path.u8string();
    return std::string(text.begin(), text.end());
}

std::string SystemError(int code) { return std::error_code(code, std::generic_category()).message(); }

// A user-facing reason for a failed SQLite call on `db` (which still holds the error).
std::string Problem(sqlite3* db, int rc)
{
    const int primary = rc & 0xFF;
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (primary)
    {
    case SQLITE_FULL:
        return "the disk is full (" + message + ")";
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        if (const int code = db ? sqlite3_system_errno(db) : 0)
            message += " (" + SystemError(code) + ")";
        return message;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return message + "; the file is damaged or is not an Obrol archive";
    default:
        return message;
    }
}

// A prepared statement reused for the connection's lifetime: Bind, Step, read columns, then
// Reset (a Use scope does it on every path).
class Statement
{
public:
    Statement() = default;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { sqlite3_finalize(m_stmt); }

    void Prepare(sqlite3* db, const std::string& sql)
    {
        const int rc = sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
        if (rc != SQLITE_OK)
            throw ArchiveError(Problem(db, rc));
    }

    void Bind(int index, std::int64_t value) { sqlite3_bind_int64(m_stmt, index, value); }
    void Bind(int index, const std::string& value)
    {
        sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    }
    template <std::size_t N>
    void Bind(int index, const std::array<std::uint8_t, N>& bytes)
    {
        sqlite3_bind_blob(m_stmt, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    }

    int Step() { return sqlite3_step(m_stmt); }
    void Reset()
    {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }

    std::int64_t Int(int column) { return sqlite3_column_int64(m_stmt, column); }
    std::string Text(int column)
    {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
        return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, column))) : std::string();
    }
    bool IsNull(int column) { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }
    // Copies a BLOB column into `out` (at most out.size() bytes; the rest stays zero).
    template <std::size_t N>
    void Blob(int column, std::array<std::uint8_t, N>& out)
    {
        const void* bytes = sqlite3_column_blob(m_stmt, column);
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, column));
        out.fill(0);
        if (bytes)
            std::memcpy(out.data(), bytes, std::min(size, out.size()));
    }

private:
    sqlite3_stmt* m_stmt = nullptr;
};

// Resets a statement when a use of it ends, however it ends.
class Use
{
public:
    explicit Use(Statement& statement) : m_statement(statement) {}
    ~Use() { m_statement.Reset(); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

private:
    Statement& m_statement;
};

void Exec(sqlite3* db, const char* sql)
{
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    if (rc == SQLITE_OK)
        return;
    sqlite3_free(error); // the same text as sqlite3_errmsg(), which Problem() reads
    throw ArchiveError(Problem(db, rc));
}

std::int64_t QueryInt(sqlite3* db, const char* sql)
{
    Statement statement;
    statement.Prepare(db, sql);
    const int rc = statement.Step();
    if (rc == SQLITE_ROW)
        return statement.Int(0);
    if (rc == SQLITE_DONE)
        return 0;
    throw ArchiveError(Problem(db, rc));
}

std::int64_t ToSqlId(std::uint64_t id)
{
    return id > static_cast<std::uint64_t>(NoBound) ? NoBound : static_cast<std::int64_t>(id);
}

std::int64_t ToSqlLimit(std::size_t limit)
{
    return limit > static_cast<std::size_t>(NoBound) ? NoBound : static_cast<std::int64_t>(limit);
}

// [SECTION] Schema

// Step i moves the schema from version i to i + 1 (PRAGMA user_version). To change the schema,
// append a step; never edit one that has shipped, since archives in the field already ran it.
constexpr const char* Migrations[] = {
    // v1: messages, their lookup indexes, and full-text search kept in sync by triggers.
    R"sql(
    CREATE TABLE messages (
        id            INTEGER PRIMARY KEY,
        time_ms       INTEGER NOT NULL,
        kind          INTEGER NOT NULL,
        sender        TEXT NOT NULL,
        recipient     TEXT NOT NULL,
        text          TEXT NOT NULL,
        client_id     INTEGER NOT NULL,
        sender_key    TEXT NOT NULL,
        recipient_key TEXT NOT NULL
    );
    CREATE INDEX messages_by_recipient ON messages (recipient_key, id);
    CREATE INDEX messages_by_sender ON messages (sender_key, id);
    CREATE INDEX messages_by_client_id ON messages (sender_key, client_id);
    CREATE INDEX messages_by_kind ON messages (kind, id);
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        text, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
    END;
    )sql",
    // v2: the file attached to a file message (a Public or Private message whose text is the file's
    // name), one row per such message, written in the message's transaction.
    R"sql(
    CREATE TABLE files (
        message_id INTEGER PRIMARY KEY REFERENCES messages (id),
        size       INTEGER NOT NULL,
        mime       TEXT NOT NULL,
        sha256     BLOB NOT NULL CHECK (length(sha256) = 32),
        thumb_w    INTEGER NOT NULL,
        thumb_h    INTEGER NOT NULL,
        image_w    INTEGER NOT NULL,
        image_h    INTEGER NOT NULL
    );
    )sql",
    // v3: rooms and owned nicknames. Every record but a private message belongs to a room (display
    // case in `room`, FoldCase in `room_key`); what came before rooms was said to everyone. The rooms
    // and their members follow from the RoomJoin, RoomLeave and Topic records, written in the record's
    // transaction; the everyone room's membership is implicit, never a row of room_members.
    R"sql(
    ALTER TABLE messages ADD COLUMN room TEXT NOT NULL DEFAULT '';
    ALTER TABLE messages ADD COLUMN room_key TEXT NOT NULL DEFAULT '';
    UPDATE messages SET room = 'everyone', room_key = 'everyone' WHERE kind <> 1;
    CREATE INDEX messages_by_room ON messages (room_key, id);
    DROP INDEX IF EXISTS messages_by_kind; -- the room index serves the public pages: one index less to write per message
    CREATE TABLE rooms (
        key        TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        topic      TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL,
        creator    TEXT NOT NULL
    );
    INSERT INTO rooms (key, name, created_ms, creator)
        VALUES ('everyone', 'everyone', coalesce((SELECT min(time_ms) FROM messages),
                                                 CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), '');
    CREATE TABLE room_members (
        room_key  TEXT NOT NULL,
        nick_key  TEXT NOT NULL,
        nick      TEXT NOT NULL,
        joined_id INTEGER NOT NULL,
        PRIMARY KEY (room_key, nick_key)
    ) WITHOUT ROWID;
    CREATE TABLE owners (
        nick_key   TEXT PRIMARY KEY,
        nick       TEXT NOT NULL,
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        claimed_ms INTEGER NOT NULL
    );
    )sql",
};

constexpr int SchemaVersion = static_cast<int>(std::size(Migrations));

void Migrate(sqlite3* db)
{
    const auto version = QueryInt(db, "PRAGMA user_version");
    if (version > SchemaVersion)
        throw ArchiveError("it was written by a newer Obrol (archive format " + std::to_string(version) +
                           ", this one reads up to " + std::to_string(SchemaVersion) + ")");
    if (version == SchemaVersion)
        return;
    Exec(db, "BEGIN IMMEDIATE");
    try
    {
        for (auto step = static_cast<int>(version); step < SchemaVersion; ++step)
        {
            Exec(db, Migrations[step]);
            Exec(db, ("PRAGMA user_version = " + std::to_string(step + 1)).c_str());
        }
        Exec(db, "COMMIT");
    }
    catch (...)
    {
        if (!sqlite3_get_autocommit(db))
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

// What every reader selects: the message (m) and its file row (f, all NULL for other messages).
// Collect() reads them by position.
constexpr const char* Columns = "m.id, m.time_ms, m.kind, m.sender, m.recipient, m.text, m.client_id,"
                                " f.message_id, f.size, f.mime, f.sha256, f.thumb_w, f.thumb_h, f.image_w, f.image_h,"
                                " m.room";
// The file row is looked up by its primary key (the message's rowid) for each message found.
constexpr const char* WithFile = " LEFT JOIN files AS f ON f.message_id = m.id ";

std::string Select(const std::string& rest)
{
    return std::string("SELECT ") + Columns + " FROM messages AS m" + WithFile + rest;
}

// Whether the viewer (FoldCase, bound as `param`; '' = the admin) may see message m: a private
// message its sender and recipient, a record of the everyone room everybody, a record of another
// room that room's current members.
std::string VisibleTo(const std::string& param)
{
    return "(" + param + " = '' OR (m.kind = 1 AND (m.sender_key = " + param + " OR m.recipient_key = " + param +
           ")) OR (m.kind <> 1 AND (m.room_key = 'everyone' OR EXISTS (SELECT 1 FROM room_members AS rm"
           " WHERE rm.room_key = m.room_key AND rm.nick_key = " +
           param + "))))";
}

const std::string EveryoneKey(EveryoneRoom);

// The room a record is stored in: none for a private message, the everyone room when none was given.
std::string StoredRoomOf(const StoredMessage& message)
{
    if (message.kind == static_cast<std::uint8_t>(StoredKind::Private))
        return {};
    return message.room.empty() ? EveryoneKey : message.room;
}

} // namespace

// [SECTION] Connection

struct ArchiveDb
{
    struct Handle
    {
        sqlite3* db = nullptr;
        ~Handle() { sqlite3_close_v2(db); } // v2: closes once the statements below are finalized
    };

    Handle handle; // first member: destroyed after every statement
    std::string path;
    Statement begin, commit, insert, insertFile;
    // The room state a record implies, in the record's transaction.
    Statement addRoom, addMember, removeMember, setTopic;
    // Conversation queries, [0]: older than a bound, newest first; [1]: newer than a bound, oldest first.
    Statement pageRoom[2], pageBetween[2], privateInvolving[2];
    Statement since, search, visible, byClientId, knownNick, lastLeave;
    Statement isMember, viewerRooms, allRooms, allMembers;
    Statement allOwners, oneOwner, claimNick, releaseNick;

    sqlite3* Db() const { return handle.db; }

    // The plans suit the archive without ANALYZE statistics (none are gathered: stale ones from a
    // young archive mislead the planner): CROSS JOIN puts FTS first, "+kind" keeps nick lookups on
    // the sender index, a room's records walk (room_key, id) from the bound, the rest the rowid.
    // Each message found then fetches its file row by primary key (LEFT JOIN files) and, for a
    // record of a room other than everyone, checks the viewer's membership by primary key.
    void PrepareAll()
    {
        sqlite3* db = handle.db;
        begin.Prepare(db, "BEGIN IMMEDIATE");
        commit.Prepare(db, "COMMIT");
        insert.Prepare(db, "INSERT INTO messages (id, time_ms, kind, sender, recipient, text, client_id, sender_key,"
                           " recipient_key, room, room_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
        insertFile.Prepare(db, "INSERT INTO files (message_id, size, mime, sha256, thumb_w, thumb_h, image_w, image_h)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        addRoom.Prepare(db, "INSERT INTO rooms (key, name, created_ms, creator) VALUES (?1, ?2, ?3, ?4)"
                            " ON CONFLICT (key) DO NOTHING");
        addMember.Prepare(db, "INSERT INTO room_members (room_key, nick_key, nick, joined_id) VALUES (?1, ?2, ?3, ?4)"
                              " ON CONFLICT (room_key, nick_key) DO NOTHING");
        removeMember.Prepare(db, "DELETE FROM room_members WHERE room_key = ?1 AND nick_key = ?2");
        setTopic.Prepare(db, "INSERT INTO rooms (key, name, topic, created_ms, creator) VALUES (?1, ?2, ?3, ?4, ?5)"
                             " ON CONFLICT (key) DO UPDATE SET topic = excluded.topic");
        for (int newer = 0; newer < 2; ++newer)
        {
            const std::string bound = newer ? "id > ?1" : "id < ?1";
            const std::string order = newer ? " ORDER BY id" : " ORDER BY id DESC";
            pageRoom[newer].Prepare(db, Select("WHERE room_key = ?2 AND " + bound + order + " LIMIT ?3"));
            pageBetween[newer].Prepare(db, Select("WHERE kind = 1 AND " + bound +
                                                  " AND ((sender_key = ?2 AND recipient_key = ?3)"
                                                  " OR (sender_key = ?3 AND recipient_key = ?2))" +
                                                  order + " LIMIT ?4"));
            privateInvolving[newer].Prepare(db, Select("WHERE kind = 1 AND " + bound +
                                                       " AND (?2 = '' OR sender_key = ?2 OR recipient_key = ?2)" +
                                                       order + " LIMIT ?3"));
        }
        since.Prepare(db, Select("WHERE m.id > ?1 AND " + VisibleTo("?2") + " ORDER BY m.id LIMIT ?3"));
        search.Prepare(db, std::string("SELECT ") + Columns +
                               " FROM messages_fts CROSS JOIN messages AS m ON m.id = messages_fts.rowid" + WithFile +
                               "WHERE messages_fts MATCH ?1 AND " + VisibleTo("?2") +
                               " ORDER BY messages_fts.rowid DESC LIMIT ?3");
        visible.Prepare(db, Select("WHERE m.id = ?1 AND " + VisibleTo("?2") + " LIMIT 1"));
        byClientId.Prepare(db, Select("WHERE sender_key = ?1 AND client_id = ?2 ORDER BY id DESC LIMIT 1"));
        knownNick.Prepare(db, "SELECT 1 FROM messages WHERE sender_key = ?1 AND +kind = 3 LIMIT 1");
        lastLeave.Prepare(db, "SELECT coalesce(max(id), 0) FROM messages WHERE sender_key = ?1 AND +kind = 4");
        isMember.Prepare(db, "SELECT 1 FROM room_members WHERE room_key = ?1 AND nick_key = ?2");
        viewerRooms.Prepare(db, "SELECT key FROM rooms WHERE ?1 = '' OR key = 'everyone' OR EXISTS (SELECT 1 FROM"
                                " room_members WHERE room_key = rooms.key AND nick_key = ?1) ORDER BY key");
        allRooms.Prepare(db, "SELECT key, name, topic, created_ms, creator FROM rooms ORDER BY key");
        allMembers.Prepare(db, "SELECT room_key, nick FROM room_members ORDER BY room_key, nick_key");
        allOwners.Prepare(db, "SELECT nick, public_key, claimed_ms FROM owners ORDER BY nick_key");
        oneOwner.Prepare(db, "SELECT nick, public_key, claimed_ms FROM owners WHERE nick_key = ?1");
        claimNick.Prepare(db, "INSERT INTO owners (nick_key, nick, public_key, claimed_ms) VALUES (?1, ?2, ?3, ?4)"
                              " ON CONFLICT (nick_key) DO NOTHING");
        releaseNick.Prepare(db, "DELETE FROM owners WHERE nick_key = ?1");
    }

    [[noreturn]] void ThrowRead(int rc) const
    {
        throw ArchiveError("cannot read the archive " + path + ": " + Problem(Db(), rc));
    }

    // Runs a bound write to its end; the rows it changed. Throws ArchiveError on failure.
    int Write(Statement& statement)
    {
        Use use(statement);
        const int rc = statement.Step();
        if (rc != SQLITE_DONE)
            throw ArchiveError("cannot write to the archive " + path + ": " + Problem(Db(), rc));
        return sqlite3_changes(Db());
    }

    // Runs a bound SELECT of `Columns` to the end (`reverse`: rows came newest first; return them
    // ascending). Throws ArchiveError on failure.
    std::vector<StoredMessage> Collect(Statement& statement, bool reverse)
    {
        Use use(statement);
        std::vector<StoredMessage> out;
        int rc;
        while ((rc = statement.Step()) == SQLITE_ROW)
        {
            StoredMessage& m = out.emplace_back();
            m.id = static_cast<std::uint64_t>(statement.Int(0));
            m.timeMs = statement.Int(1);
            m.kind = static_cast<std::uint8_t>(statement.Int(2));
            m.from = statement.Text(3);
            m.to = statement.Text(4);
            m.text = statement.Text(5);
            m.clientMsgId = static_cast<std::uint64_t>(statement.Int(6));
            if (!statement.IsNull(7))
            {
                StoredFile& file = m.file.emplace();
                file.size = static_cast<std::uint64_t>(statement.Int(8));
                file.mime = statement.Text(9);
                statement.Blob(10, file.sha256);
                file.thumbWidth = static_cast<std::uint16_t>(statement.Int(11));
                file.thumbHeight = static_cast<std::uint16_t>(statement.Int(12));
                file.imageWidth = static_cast<std::uint32_t>(statement.Int(13));
                file.imageHeight = static_cast<std::uint32_t>(statement.Int(14));
            }
            m.room = statement.Text(15);
        }
        if (rc != SQLITE_DONE)
            ThrowRead(rc);
        if (reverse)
            std::reverse(out.begin(), out.end());
        return out;
    }
};

static std::unique_ptr<ArchiveDb> OpenDatabase(const std::filesystem::path& file, std::int64_t maxPageCount)
{
    auto archive = std::make_unique<ArchiveDb>();
    archive->path = Utf8Path(file);
    try
    {
        const int rc = sqlite3_open_v2(archive->path.c_str(), &archive->handle.db,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (!archive->handle.db)
            throw ArchiveError("out of memory");
        if (rc != SQLITE_OK)
            throw ArchiveError(Problem(archive->handle.db, rc));
        sqlite3* db = archive->Db();
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, 300); // opening: another server holding the folder fails fast
        if (sqlite3_db_readonly(db, "main") == 1)
            throw ArchiveError("attempt to write a readonly database");
        // WAL: readers never block the writer; FULL syncs the WAL at every commit, so a committed
        // batch survives a crash or power loss. EXCLUSIVE: this process holds the file until it
        // closes it, so a second server on the same folder is refused instead of mixing ids.
        try
        {
            Exec(db, "PRAGMA journal_mode = WAL");
            Exec(db, "PRAGMA locking_mode = EXCLUSIVE");
            Exec(db, "BEGIN IMMEDIATE");
            Exec(db, "COMMIT");
        }
        catch (const ArchiveError&)
        {
            if ((sqlite3_errcode(db) & 0xFF) == SQLITE_BUSY)
                throw ArchiveError("another Obrol server is already using this data folder (stop it, or give this one "
                                   "another --data folder)");
            throw;
        }
        sqlite3_busy_timeout(db, 5000);
        Exec(db, "PRAGMA synchronous = FULL");
        if (maxPageCount > 0)
            Exec(db, ("PRAGMA max_page_count = " + std::to_string(maxPageCount)).c_str());
        Migrate(db);
        archive->PrepareAll();
    }
    catch (const ArchiveError& error)
    {
        throw ArchiveError("cannot open " + archive->path + ": " + error.what());
    }
    return archive;
}

static std::FILE* OpenLog(const std::filesystem::path& path)
{
#ifdef _WIN32
    return _wfopen(path.c_str(), L"ab");
#else
    return std::fopen(path.c_str(), "ab");
#endif
}

// [SECTION] Log lines

static std::string OneLine(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        if (text[i] == '\r' || text[i] == '\n')
        {
            if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
            out += " / ";
        }
        else
            out += text[i];
    }
    return out;
}

// " (2097152 bytes, sha256 ab12...)": what the log says about a file after its name.
static std::string FileDetails(const StoredFile& file)
{
    return " (" + std::to_string(file.size) + " bytes, sha256 " + Sha256::Hex(file.sha256) + ")";
}

std::string FormatLogLine(const StoredMessage& message)
{
    std::string line = "[" + LocalDateTime(message.timeMs) + "] ";
    const std::string from = OneLine(message.from);
    const std::string text = OneLine(message.text);
    const std::string room = OneLine(StoredRoomOf(message));
    const bool otherRoom = !room.empty() && FoldCase(room) != EveryoneKey;
    const auto kind = static_cast<StoredKind>(message.kind);
    // A record of a room other than everyone says which; the room kinds name it in their own words.
    if (otherRoom && kind != StoredKind::RoomJoin && kind != StoredKind::RoomLeave && kind != StoredKind::Topic)
        line += "#" + room + " ";
    switch (kind)
    {
    case StoredKind::Public:
        if (message.file)
            line += from + (otherRoom ? " sent a file: " : " sent a file to everyone: ") + text +
                    FileDetails(*message.file);
        else
            line += from + ": " + text;
        break;
    case StoredKind::Private:
        if (message.file)
            line +=
                from + " sent a file to " + OneLine(message.to) + " (private): " + text + FileDetails(*message.file);
        else
            line += from + " -> " + OneLine(message.to) + " (private): " + text;
        break;
    case StoredKind::Announce:
        line += "* Announcement: " + text;
        break;
    case StoredKind::Join:
        line += "-> " + from + " joined";
        break;
    case StoredKind::Leave:
        line += "<- " + from + " left";
        if (!text.empty())
            line += " (" + text + ")";
        break;
    case StoredKind::RoomJoin:
        line += from + " joined #" + room;
        break;
    case StoredKind::RoomLeave:
        line += from + " left #" + room;
        if (!text.empty())
            line += " (" + text + ")";
        break;
    case StoredKind::Topic:
        if (text.empty())
            line += from + " cleared the topic of #" + room;
        else
            line += from + " set the topic of #" + room + ": " + text;
        break;
    default:
        line += "(kind " + std::to_string(message.kind) + ") " + from + ": " + text;
        break;
    }
    return line;
}

// [SECTION] Archive

Archive::Archive(ArchiveConfig config) : m_config(std::move(config))
{
    if (m_config.dir.empty())
        throw ArchiveError("no data folder was given for the archive");
    m_config.maxBatch = std::max<std::size_t>(m_config.maxBatch, 1);
    std::error_code ec;
    std::filesystem::create_directories(m_config.dir, ec);
    if (!ec && !std::filesystem::is_directory(m_config.dir, ec) && !ec)
        ec = std::make_error_code(std::errc::not_a_directory);
    if (ec)
        throw ArchiveError("cannot create the data folder " + Utf8Path(m_config.dir) + ": " + ec.message());

    m_db = OpenDatabase(DatabasePath(), m_config.maxPageCount);
    m_lastId = static_cast<std::uint64_t>(QueryInt(m_db->Db(), "SELECT coalesce(max(id), 0) FROM messages"));

    m_log = OpenLog(LogPath());
    if (!m_log)
        m_lastLogError = "cannot open " + Utf8Path(LogPath()) + ": " + SystemError(errno);

    // Started last: nothing above may throw once the thread owns the connection.
    m_thread = std::thread([this] { Run(); });
}

Archive::~Archive()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    if (m_thread.joinable())
        m_thread.join();
    // The thread has ended: the log (and the connection, closed by ~ArchiveDb) are this thread's now.
    if (m_log)
        std::fclose(m_log);
}

void Archive::Append(StoredMessage message, Done done)
{
    {
        std::lock_guard lock(m_mutex);
        m_tasks.push_back(Task{std::move(message), std::move(done), {}});
    }
    m_wake.notify_one();
}

void Archive::Read(std::function<void(ArchiveReader&)> fn)
{
    if (!fn)
        return;
    {
        std::lock_guard lock(m_mutex);
        m_tasks.push_back(Task{{}, {}, std::move(fn)});
    }
    m_wake.notify_one();
}

std::string Archive::LastLogError() const
{
    std::lock_guard lock(m_errorMutex);
    return m_lastLogError;
}

std::string Archive::LastCallbackError() const
{
    std::lock_guard lock(m_errorMutex);
    return m_lastCallbackError;
}

void Archive::NoteCallbackError(const char* what)
{
    std::lock_guard lock(m_errorMutex);
    m_lastCallbackError = what;
}

// The archive thread: takes either one read or a run of consecutive appends (the group commit:
// everything queued while the previous commit was syncing goes into the next transaction).
void Archive::Run()
{
    std::vector<Task> batch;
    for (;;)
    {
        std::function<void(ArchiveReader&)> read;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
            if (m_tasks.empty())
                return; // stopping, and everything queued has run
            if (m_tasks.front().read)
            {
                read = std::move(m_tasks.front().read);
                m_tasks.pop_front();
            }
            else
            {
                while (!m_tasks.empty() && !m_tasks.front().read && batch.size() < m_config.maxBatch)
                {
                    batch.push_back(std::move(m_tasks.front()));
                    m_tasks.pop_front();
                }
            }
        }
        if (read)
        {
            try
            {
                ArchiveReader reader(*m_db);
                read(reader);
            }
            catch (const std::exception& error)
            {
                NoteCallbackError(error.what());
            }
            catch (...)
            {
                NoteCallbackError("unknown exception in a Read callback");
            }
        }
        else
        {
            WriteBatch(batch);
            batch.clear();
        }
    }
}

// Steps a bound write; on failure notes why at once, since resetting the statement (when its Use
// ends) clears SQLite's message.
static int StepWrite(ArchiveDb& db, Statement& statement, std::string& problem)
{
    const int rc = statement.Step();
    if (rc != SQLITE_DONE && problem.empty())
        problem = Problem(db.Db(), rc);
    return rc;
}

// Keeps rooms and room_members in step with a stored record (in its transaction); SQLITE_DONE or the error.
static int StoreRoomState(ArchiveDb& db, const StoredMessage& m, const std::string& room, const std::string& roomKey,
                          std::string& problem)
{
    switch (static_cast<StoredKind>(m.kind))
    {
    case StoredKind::RoomJoin:
    {
        int rc;
        {
            Use use(db.addRoom);
            db.addRoom.Bind(1, roomKey);
            db.addRoom.Bind(2, room);
            db.addRoom.Bind(3, m.timeMs);
            db.addRoom.Bind(4, m.from);
            rc = StepWrite(db, db.addRoom, problem);
        }
        if (rc != SQLITE_DONE || roomKey == EveryoneKey) // everyone's membership is implicit
            return rc;
        Use use(db.addMember);
        db.addMember.Bind(1, roomKey);
        db.addMember.Bind(2, FoldCase(m.from));
        db.addMember.Bind(3, m.from);
        db.addMember.Bind(4, ToSqlId(m.id));
        return StepWrite(db, db.addMember, problem);
    }
    case StoredKind::RoomLeave:
    {
        Use use(db.removeMember);
        db.removeMember.Bind(1, roomKey);
        db.removeMember.Bind(2, FoldCase(m.from));
        return StepWrite(db, db.removeMember, problem);
    }
    case StoredKind::Topic:
    {
        Use use(db.setTopic);
        db.setTopic.Bind(1, roomKey);
        db.setTopic.Bind(2, room);
        db.setTopic.Bind(3, m.text);
        db.setTopic.Bind(4, m.timeMs);
        db.setTopic.Bind(5, m.from);
        return StepWrite(db, db.setTopic, problem);
    }
    default:
        return SQLITE_DONE;
    }
}

// Stores one message or a whole batch in one transaction; false (rolled back) with `error` set.
static bool StoreRange(ArchiveDb& db, const std::vector<StoredMessage*>& messages, std::string& error)
{
    std::string problem;
    int rc = SQLITE_OK;
    {
        Use use(db.begin);
        rc = StepWrite(db, db.begin, problem);
    }
    if (rc == SQLITE_DONE)
    {
        for (const StoredMessage* m : messages)
        {
            const std::string room = StoredRoomOf(*m);
            const std::string roomKey = FoldCase(room);
            Use use(db.insert);
            db.insert.Bind(1, ToSqlId(m->id));
            db.insert.Bind(2, m->timeMs);
            db.insert.Bind(3, static_cast<std::int64_t>(m->kind));
            db.insert.Bind(4, m->from);
            db.insert.Bind(5, m->to);
            db.insert.Bind(6, m->text);
            db.insert.Bind(7, static_cast<std::int64_t>(m->clientMsgId)); // bit pattern kept; read back as unsigned
            db.insert.Bind(8, FoldCase(m->from));
            db.insert.Bind(9, FoldCase(m->to));
            db.insert.Bind(10, room);
            db.insert.Bind(11, roomKey);
            rc = StepWrite(db, db.insert, problem);
            if (rc != SQLITE_DONE)
                break;
            // In the record's transaction: the room state never disagrees with the records.
            rc = StoreRoomState(db, *m, room, roomKey, problem);
            if (rc != SQLITE_DONE)
                break;
            if (!m->file)
                continue;
            // In the message's transaction: if this fails, the message is rolled back with it.
            const StoredFile& file = *m->file;
            Use useFile(db.insertFile);
            db.insertFile.Bind(1, ToSqlId(m->id));
            db.insertFile.Bind(2, static_cast<std::int64_t>(file.size)); // bit pattern kept, like client ids
            db.insertFile.Bind(3, file.mime);
            db.insertFile.Bind(4, file.sha256);
            db.insertFile.Bind(5, static_cast<std::int64_t>(file.thumbWidth));
            db.insertFile.Bind(6, static_cast<std::int64_t>(file.thumbHeight));
            db.insertFile.Bind(7, static_cast<std::int64_t>(file.imageWidth));
            db.insertFile.Bind(8, static_cast<std::int64_t>(file.imageHeight));
            rc = StepWrite(db, db.insertFile, problem);
            if (rc != SQLITE_DONE)
                break;
        }
    }
    if (rc == SQLITE_DONE)
    {
        Use use(db.commit);
        rc = StepWrite(db, db.commit, problem);
    }
    if (rc == SQLITE_DONE)
        return true;
    error = "cannot store the message in " + db.path + ": " + problem;
    // Some errors (a full disk among them) may already have rolled the transaction back.
    if (!sqlite3_get_autocommit(db.Db()))
        sqlite3_exec(db.Db(), "ROLLBACK", nullptr, nullptr, nullptr);
    return false;
}

void Archive::WriteBatch(std::vector<Task>& batch)
{
    std::vector<char> stored(batch.size(), 0);
    std::vector<std::string> errors(batch.size());
    try
    {
        std::vector<StoredMessage*> all;
        all.reserve(batch.size());
        for (Task& task : batch)
            all.push_back(&task.message);
        if (StoreRange(*m_db, all, errors[0]))
        {
            std::fill(stored.begin(), stored.end(), 1);
            m_transactions.fetch_add(1, std::memory_order_relaxed);
        }
        else if (batch.size() > 1)
        {
            // One message spoiled the batch (a duplicate id, or one too big for the disk):
            // retry each on its own so the others still get stored.
            errors[0].clear();
            for (std::size_t i = 0; i < batch.size(); ++i)
            {
                stored[i] = StoreRange(*m_db, {&batch[i].message}, errors[i]) ? 1 : 0;
                if (stored[i])
                    m_transactions.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }
    catch (const std::exception& error)
    {
        if (!sqlite3_get_autocommit(m_db->Db()))
            sqlite3_exec(m_db->Db(), "ROLLBACK", nullptr, nullptr, nullptr);
        for (std::size_t i = 0; i < batch.size(); ++i)
            if (!stored[i] && errors[i].empty())
                errors[i] = std::string("cannot store the message: ") + error.what();
    }

    try
    {
        WriteLog(batch, stored);
    }
    catch (const std::exception& error)
    {
        std::lock_guard lock(m_errorMutex);
        m_lastLogError = std::string("cannot write ") + Utf8Path(LogPath()) + ": " + error.what();
    }

    for (std::size_t i = 0; i < batch.size(); ++i)
    {
        if (!batch[i].done)
            continue;
        try
        {
            batch[i].done(stored[i] != 0, errors[i]);
        }
        catch (const std::exception& error)
        {
            NoteCallbackError(error.what());
        }
        catch (...)
        {
            NoteCallbackError("unknown exception in a Done callback");
        }
    }
}

void Archive::WriteLog(const std::vector<Task>& batch, const std::vector<char>& stored)
{
    std::string lines;
    for (std::size_t i = 0; i < batch.size(); ++i)
        if (stored[i])
            lines += FormatLogLine(batch[i].message) + "\n";
    if (lines.empty())
        return;

    std::string error;
    if (!m_log)
        m_log = OpenLog(LogPath()); // reopened after a failure: the folder may be writable again
    if (!m_log)
        error = "cannot open " + Utf8Path(LogPath()) + ": " + SystemError(errno);
    else if (std::fwrite(lines.data(), 1, lines.size(), m_log) != lines.size() || std::fflush(m_log) != 0)
    {
        error = "cannot write " + Utf8Path(LogPath()) + ": " + SystemError(errno);
        std::fclose(m_log);
        m_log = nullptr;
    }
    std::lock_guard lock(m_errorMutex);
    m_lastLogError = error;
}

// [SECTION] ArchiveReader

bool ArchiveReader::MaySeeRoom(const std::string& viewerKey, const std::string& roomKey)
{
    if (viewerKey.empty() || roomKey == EveryoneKey)
        return true;
    Statement& statement = m_db.isMember;
    Use use(statement);
    statement.Bind(1, roomKey);
    statement.Bind(2, viewerKey);
    const int rc = statement.Step();
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    m_db.ThrowRead(rc);
}

std::vector<StoredMessage> ArchiveReader::Conversation(const std::string& viewer, const ConversationRef& conversation,
                                                       std::int64_t bound, std::size_t limit, bool newer)
{
    if (limit == 0)
        return {};
    const int d = newer ? 1 : 0;
    if (conversation.kind == ConversationRef::Kind::Room)
    {
        const std::string roomKey = conversation.name.empty() ? EveryoneKey : FoldCase(conversation.name);
        if (!MaySeeRoom(FoldCase(viewer), roomKey))
            return {};
        m_db.pageRoom[d].Bind(1, bound);
        m_db.pageRoom[d].Bind(2, roomKey);
        m_db.pageRoom[d].Bind(3, ToSqlLimit(limit));
        return m_db.Collect(m_db.pageRoom[d], !newer);
    }
    if (conversation.name.empty())
        return {};
    if (viewer.empty())
    {
        m_db.privateInvolving[d].Bind(1, bound);
        m_db.privateInvolving[d].Bind(2, FoldCase(conversation.name));
        m_db.privateInvolving[d].Bind(3, ToSqlLimit(limit));
        return m_db.Collect(m_db.privateInvolving[d], !newer);
    }
    m_db.pageBetween[d].Bind(1, bound);
    m_db.pageBetween[d].Bind(2, FoldCase(viewer));
    m_db.pageBetween[d].Bind(3, FoldCase(conversation.name));
    m_db.pageBetween[d].Bind(4, ToSqlLimit(limit));
    return m_db.Collect(m_db.pageBetween[d], !newer);
}

std::vector<StoredMessage> ArchiveReader::Page(const std::string& viewer, const ConversationRef& conversation,
                                               std::uint64_t beforeId, std::size_t limit)
{
    return Conversation(viewer, conversation, beforeId == 0 ? NoBound : ToSqlId(beforeId), limit, false);
}

std::vector<StoredMessage> ArchiveReader::After(const std::string& viewer, const ConversationRef& conversation,
                                                std::uint64_t afterId, std::size_t limit)
{
    if (afterId >= static_cast<std::uint64_t>(NoBound))
        return {};
    return Conversation(viewer, conversation, static_cast<std::int64_t>(afterId), limit, true);
}

std::vector<StoredMessage> ArchiveReader::RecentPrivate(const std::string& viewer, std::size_t limit)
{
    if (limit == 0)
        return {};
    m_db.privateInvolving[0].Bind(1, NoBound);
    m_db.privateInvolving[0].Bind(2, FoldCase(viewer));
    m_db.privateInvolving[0].Bind(3, ToSqlLimit(limit));
    return m_db.Collect(m_db.privateInvolving[0], true);
}

std::vector<StoredMessage> ArchiveReader::RecentRooms(const std::string& viewer, std::size_t perRoomLimit)
{
    if (perRoomLimit == 0)
        return {};
    std::vector<std::string> roomKeys;
    {
        Statement& statement = m_db.viewerRooms;
        Use use(statement);
        statement.Bind(1, FoldCase(viewer));
        int rc;
        while ((rc = statement.Step()) == SQLITE_ROW)
            roomKeys.push_back(statement.Text(0));
        if (rc != SQLITE_DONE)
            m_db.ThrowRead(rc);
    }
    // Each room walks (room_key, id) back from its newest record: perRoomLimit rows per room, whatever
    // the size of the archive.
    std::vector<StoredMessage> out;
    for (const std::string& roomKey : roomKeys)
    {
        m_db.pageRoom[0].Bind(1, NoBound);
        m_db.pageRoom[0].Bind(2, roomKey);
        m_db.pageRoom[0].Bind(3, ToSqlLimit(perRoomLimit));
        auto page = m_db.Collect(m_db.pageRoom[0], false);
        out.insert(out.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
    }
    std::sort(out.begin(), out.end(), [](const StoredMessage& a, const StoredMessage& b) { return a.id < b.id; });
    return out;
}

std::vector<StoredMessage> ArchiveReader::Since(const std::string& viewer, std::uint64_t afterId, std::size_t limit)
{
    if (limit == 0 || afterId >= static_cast<std::uint64_t>(NoBound))
        return {};
    m_db.since.Bind(1, static_cast<std::int64_t>(afterId));
    m_db.since.Bind(2, FoldCase(viewer));
    m_db.since.Bind(3, ToSqlLimit(limit));
    return m_db.Collect(m_db.since, false);
}

std::string BuildMatchExpression(const std::string& query)
{
    // Every word becomes a quoted FTS5 string (a '"' inside is doubled), so no operator, bracket
    // or star the user typed is ever parsed as syntax. Words are ANDed; the last is a prefix
    // while the user may still be typing it.
    std::string expression;
    std::size_t i = 0;
    while (i < query.size())
    {
        const auto isBreak = [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7F'; };
        while (i < query.size() && isBreak(query[i]))
            ++i;
        if (i == query.size())
            break;
        std::string word = "\"";
        while (i < query.size() && !isBreak(query[i]))
        {
            if (query[i] == '"')
                word += '"';
            word += query[i++];
        }
        word += '"';
        if (!expression.empty())
            expression += " AND ";
        expression += word;
        if (i == query.size())
            expression += '*';
    }
    return expression;
}

std::vector<StoredMessage> ArchiveReader::Search(const std::string& viewer, const std::string& query,
                                                 std::size_t limit)
{
    const std::string expression = BuildMatchExpression(query);
    if (expression.empty() || limit == 0)
        return {};
    m_db.search.Bind(1, expression);
    m_db.search.Bind(2, FoldCase(viewer));
    m_db.search.Bind(3, ToSqlLimit(limit));
    return m_db.Collect(m_db.search, false);
}

std::optional<StoredMessage> ArchiveReader::Visible(const std::string& viewer, std::uint64_t id)
{
    if (id == 0 || id > static_cast<std::uint64_t>(NoBound))
        return std::nullopt;
    m_db.visible.Bind(1, static_cast<std::int64_t>(id));
    m_db.visible.Bind(2, FoldCase(viewer));
    auto found = m_db.Collect(m_db.visible, false);
    if (found.empty())
        return std::nullopt;
    return std::move(found.front());
}

std::optional<StoredMessage> ArchiveReader::FindByClientId(const std::string& sender, std::uint64_t clientMsgId)
{
    if (clientMsgId == 0 || sender.empty())
        return std::nullopt;
    m_db.byClientId.Bind(1, FoldCase(sender));
    m_db.byClientId.Bind(2, static_cast<std::int64_t>(clientMsgId));
    auto found = m_db.Collect(m_db.byClientId, false);
    if (found.empty())
        return std::nullopt;
    return std::move(found.front());
}

bool ArchiveReader::KnownNick(const std::string& nick)
{
    if (nick.empty())
        return false;
    Statement& statement = m_db.knownNick;
    Use use(statement);
    statement.Bind(1, FoldCase(nick));
    const int rc = statement.Step();
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    m_db.ThrowRead(rc);
}

std::uint64_t ArchiveReader::LastLeaveId(const std::string& nick)
{
    if (nick.empty())
        return 0;
    Statement& statement = m_db.lastLeave;
    Use use(statement);
    statement.Bind(1, FoldCase(nick));
    const int rc = statement.Step();
    if (rc == SQLITE_ROW)
        return static_cast<std::uint64_t>(statement.Int(0));
    m_db.ThrowRead(rc);
}

std::vector<StoredRoom> ArchiveReader::Rooms()
{
    std::vector<StoredRoom> rooms;
    std::vector<std::string> keys; // keys[i] is rooms[i]'s, both ascending
    {
        Statement& statement = m_db.allRooms;
        Use use(statement);
        int rc;
        while ((rc = statement.Step()) == SQLITE_ROW)
        {
            keys.push_back(statement.Text(0));
            StoredRoom& room = rooms.emplace_back();
            room.name = statement.Text(1);
            room.topic = statement.Text(2);
            room.createdMs = statement.Int(3);
            room.creator = statement.Text(4);
        }
        if (rc != SQLITE_DONE)
            m_db.ThrowRead(rc);
    }
    Statement& statement = m_db.allMembers;
    Use use(statement);
    int rc;
    while ((rc = statement.Step()) == SQLITE_ROW)
    {
        const auto found = std::lower_bound(keys.begin(), keys.end(), statement.Text(0));
        if (found != keys.end() && *found == statement.Text(0))
            rooms[static_cast<std::size_t>(found - keys.begin())].members.push_back(statement.Text(1));
    }
    if (rc != SQLITE_DONE)
        m_db.ThrowRead(rc);
    return rooms;
}

// Reads the owner columns (nick, public_key, claimed_ms) of the current row.
static StoredOwner OwnerRow(Statement& statement)
{
    StoredOwner owner;
    owner.nick = statement.Text(0);
    statement.Blob(1, owner.publicKey);
    owner.claimedMs = statement.Int(2);
    return owner;
}

std::vector<StoredOwner> ArchiveReader::Owners()
{
    Statement& statement = m_db.allOwners;
    Use use(statement);
    std::vector<StoredOwner> owners;
    int rc;
    while ((rc = statement.Step()) == SQLITE_ROW)
        owners.push_back(OwnerRow(statement));
    if (rc != SQLITE_DONE)
        m_db.ThrowRead(rc);
    return owners;
}

std::optional<StoredOwner> ArchiveReader::Owner(const std::string& nick)
{
    if (nick.empty())
        return std::nullopt;
    Statement& statement = m_db.oneOwner;
    Use use(statement);
    statement.Bind(1, FoldCase(nick));
    const int rc = statement.Step();
    if (rc == SQLITE_ROW)
        return OwnerRow(statement);
    if (rc == SQLITE_DONE)
        return std::nullopt;
    m_db.ThrowRead(rc);
}

bool ArchiveReader::ClaimNick(const std::string& nick, const std::array<std::uint8_t, 32>& key, std::int64_t timeMs)
{
    if (nick.empty())
        return false;
    Statement& statement = m_db.claimNick;
    statement.Bind(1, FoldCase(nick));
    statement.Bind(2, nick);
    statement.Bind(3, key);
    statement.Bind(4, timeMs);
    return m_db.Write(statement) == 1; // 0: the nick had an owner (ON CONFLICT DO NOTHING)
}

bool ArchiveReader::ReleaseNick(const std::string& nick)
{
    if (nick.empty())
        return false;
    Statement& statement = m_db.releaseNick;
    statement.Bind(1, FoldCase(nick));
    return m_db.Write(statement) > 0;
}

} // namespace obrol::engine

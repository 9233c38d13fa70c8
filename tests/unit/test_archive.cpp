// Unit tests for engine/archive: real SQLite in a fresh temporary folder per test. Results come
// back from the archive thread through promises; every wait has a deadline.
#include "engine/archive.hpp"

#include "engine/clock.hpp"
#include "engine/file_names.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"
#include <sqlite3.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

using namespace obrol::engine;
namespace fs = std::filesystem;

namespace {

constexpr auto Deadline = std::chrono::seconds(10);

// A fresh folder for each test (tests/temp_dir.hpp), named after this suite.
class TempDir : public obrol::test::TempDir
{
public:
    TempDir() : obrol::test::TempDir("obrol-archive-test") {}
};

ArchiveConfig ConfigIn(const fs::path& dir, std::size_t maxBatch = 1024)
{
    ArchiveConfig config;
    config.dir = dir;
    config.maxBatch = maxBatch;
    return config;
}

StoredMessage Public(std::uint64_t id, std::string from, std::string text, std::uint64_t clientId = 0)
{
    return {id, 1'700'000'000'000 + static_cast<std::int64_t>(id), 0, std::move(from), {}, std::move(text),
            clientId ? clientId : id, {}, {}};
}

StoredMessage Private(std::uint64_t id, std::string from, std::string to, std::string text)
{
    return {id, 1'700'000'000'000 + static_cast<std::int64_t>(id), 1, std::move(from), std::move(to),
            std::move(text), id, {}, {}};
}

StoredMessage Announce(std::uint64_t id, std::string text)
{
    return {id, 1'700'000'000'000 + static_cast<std::int64_t>(id), 2, {}, {}, std::move(text), 0, {}, {}};
}

StoredMessage Join(std::uint64_t id, std::string nick)
{
    return {id, 1'700'000'000'000 + static_cast<std::int64_t>(id), 3, std::move(nick), {}, {}, 0, {}, {}};
}

StoredMessage Leave(std::uint64_t id, std::string nick, std::string reason)
{
    return {id, 1'700'000'000'000 + static_cast<std::int64_t>(id), 4, std::move(nick), {}, std::move(reason), 0, {},
            {}};
}

// A record of a room: a message (Public), RoomJoin, RoomLeave or Topic (text: the topic).
StoredMessage InRoom(std::uint64_t id, StoredKind kind, std::string from, std::string room, std::string text = {})
{
    return {id,   1'700'000'000'000 + static_cast<std::int64_t>(id), static_cast<std::uint8_t>(kind),
            std::move(from), {}, std::move(text), kind == StoredKind::Public ? id : 0, {}, std::move(room)};
}

StoredMessage Said(std::uint64_t id, std::string from, std::string room, std::string text)
{
    return InRoom(id, StoredKind::Public, std::move(from), std::move(room), std::move(text));
}

ConversationRef With(std::string nick) { return {ConversationRef::Kind::Private, std::move(nick)}; }

ConversationRef RoomRef(std::string room) { return {ConversationRef::Kind::Room, std::move(room)}; }

// A file whose every field differs from the defaults and from other seeds.
StoredFile SampleFile(std::uint8_t seed)
{
    StoredFile file;
    file.size = 5'000'000'000ull + seed; // past 32 bits
    file.mime = seed % 2 ? "image/png" : "application/pdf";
    for (std::size_t i = 0; i < file.sha256.size(); ++i)
        file.sha256[i] = static_cast<std::uint8_t>(seed * 31 + i * 7 + 0x80);
    file.thumbWidth = static_cast<std::uint16_t>(0xFF00 + seed); // top bits set: read back unsigned
    file.thumbHeight = static_cast<std::uint16_t>(200 + seed);
    file.imageWidth = 0xFFFF'FF00u + seed;
    file.imageHeight = 3000u + seed;
    return file;
}

// A Public (no `to`) or Private file message; the text is the file's name.
StoredMessage FileMessage(std::uint64_t id, std::string from, std::string to, std::string name, StoredFile file)
{
    StoredMessage m = to.empty() ? Public(id, std::move(from), std::move(name))
                                 : Private(id, std::move(from), std::move(to), std::move(name));
    m.file = std::move(file);
    return m;
}

std::string HexOf(const std::array<std::uint8_t, 32>& bytes)
{
    static const char* const digits = "0123456789abcdef";
    std::string hex;
    for (std::uint8_t b : bytes)
    {
        hex += digits[b >> 4];
        hex += digits[b & 15];
    }
    return hex;
}

// The first column of the first row of `sql` on a closed archive's archive.db ("" when no row, "NULL" for NULL).
std::string SqlValue(const fs::path& dir, const std::string& sql)
{
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2((dir / "archive.db").string().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    std::string value;
    sqlite3_stmt* statement = nullptr;
    if (rc != SQLITE_OK || sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
        value = std::string("(error: ") + sqlite3_errmsg(db) + ")";
    else if (sqlite3_step(statement) == SQLITE_ROW)
    {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        value = text ? text : "NULL";
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
}

// Runs `fn` on the archive thread (after everything queued before it) and returns its result.
template <class Fn> auto Query(Archive& archive, Fn fn)
{
    using Result = decltype(fn(std::declval<ArchiveReader&>()));
    auto promise = std::make_shared<std::promise<Result>>();
    auto future = promise->get_future();
    archive.Read([promise, fn](ArchiveReader& reader) {
        try
        {
            promise->set_value(fn(reader));
        }
        catch (...)
        {
            promise->set_exception(std::current_exception());
        }
    });
    REQUIRE(future.wait_for(Deadline) == std::future_status::ready);
    return future.get();
}

// Waits until every task queued so far has run.
void Flush(Archive& archive)
{
    Query(archive, [](ArchiveReader&) { return 0; });
}

struct Outcome
{
    bool ok = false;
    std::string error;
};

// Appends the messages and waits for their Done callbacks.
std::vector<Outcome> AppendAll(Archive& archive, const std::vector<StoredMessage>& messages)
{
    auto outcomes = std::make_shared<std::vector<Outcome>>(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i)
        archive.Append(messages[i], [outcomes, i](bool ok, const std::string& error) {
            (*outcomes)[i] = {ok, error};
        });
    Flush(archive); // Done callbacks run before a Read queued after their Appends
    return *outcomes;
}

void RequireStored(Archive& archive, const std::vector<StoredMessage>& messages)
{
    for (const Outcome& outcome : AppendAll(archive, messages))
    {
        INFO(outcome.error);
        REQUIRE(outcome.ok);
    }
}

// Holds the archive thread inside a Read until Release(), so Appends pile up behind it.
class Gate
{
public:
    explicit Gate(Archive& archive)
    {
        auto opened = m_open.get_future().share();
        auto entered = std::make_shared<std::promise<void>>();
        auto enteredFuture = entered->get_future();
        archive.Read([opened, entered](ArchiveReader&) {
            entered->set_value();
            opened.wait_for(Deadline);
        });
        REQUIRE(enteredFuture.wait_for(Deadline) == std::future_status::ready);
    }
    ~Gate() { Release(); }
    void Release()
    {
        if (!m_released)
            m_open.set_value();
        m_released = true;
    }

private:
    std::promise<void> m_open;
    bool m_released = false;
};

std::vector<std::uint64_t> Ids(const std::vector<StoredMessage>& messages)
{
    std::vector<std::uint64_t> ids;
    for (const StoredMessage& m : messages)
        ids.push_back(m.id);
    return ids;
}

std::vector<std::uint64_t> Range(std::uint64_t first, std::uint64_t last)
{
    std::vector<std::uint64_t> ids;
    for (std::uint64_t id = first; id <= last; ++id)
        ids.push_back(id);
    return ids;
}

std::vector<std::string> ReadLines(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

std::string ExceptionText(const std::function<void()>& fn)
{
    try
    {
        fn();
    }
    catch (const ArchiveError& error)
    {
        return error.what();
    }
    return "(no ArchiveError)";
}

// A conversation used by the visibility tests: public talk and three private pairs.
std::vector<StoredMessage> Conversation()
{
    return {
        Join(1, "Alice"),
        Join(2, "bob"),
        Join(3, "Carol"),
        Public(4, "Alice", "hello everyone"),
        Private(5, "Alice", "Carol", "the secret password is swordfish"),
        Private(6, "carol", "ALICE", "got it, swordfish"),
        Private(7, "bob", "alice", "lunch tomorrow?"),
        Announce(8, "server restarts at noon"),
        Private(9, "Alice", "Bob", "yes, lunch at noon"),
        Public(10, "bob", "noon works for me"),
        Leave(11, "Carol", "timeout"),
    };
}

} // namespace

TEST_SUITE("archive")
{
    TEST_CASE("a new archive is empty and LastId survives reopening")
    {
        TempDir temp;
        const fs::path dir = temp.Path() / "data" / "nested";
        {
            Archive archive(ConfigIn(dir));
            CHECK(archive.LastId() == 0);
            CHECK(archive.Dir() == dir);
            CHECK(fs::exists(dir / "archive.db"));
            RequireStored(archive, {Public(1, "alice", "one"), Public(2, "bob", "two"), Public(7, "alice", "three")});
            CHECK(archive.LastId() == 0); // the id at opening
        }
        Archive reopened(ConfigIn(dir));
        CHECK(reopened.LastId() == 7);
    }

    TEST_CASE("every field and the order of messages survive reopening")
    {
        TempDir temp;
        StoredMessage unusual = Private(3, "Ünïcode", "bob", "multi\nline \xF0\x9F\x8E\x89 text");
        unusual.clientMsgId = 0xFFFF'FFFF'FFFF'FFFFull;
        unusual.timeMs = -5;
        std::vector<StoredMessage> sent = {Join(1, "Ünïcode"), Announce(2, "hi all"), unusual, Leave(4, "bob", "")};
        {
            Archive archive(ConfigIn(temp.Path()));
            RequireStored(archive, sent);
        }
        Archive archive(ConfigIn(temp.Path()));
        const auto all = Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 100); });
        REQUIRE(all.size() == sent.size());
        for (std::size_t i = 0; i < sent.size(); ++i)
        {
            CHECK(all[i].id == sent[i].id);
            CHECK(all[i].timeMs == sent[i].timeMs);
            CHECK(all[i].kind == sent[i].kind);
            CHECK(all[i].from == sent[i].from);
            CHECK(all[i].to == sent[i].to);
            CHECK(all[i].text == sent[i].text);
            CHECK(all[i].clientMsgId == sent[i].clientMsgId);
        }
    }

    TEST_CASE("archive.db uses WAL and records its schema version")
    {
        TempDir temp;
        {
            Archive archive(ConfigIn(temp.Path()));
        }
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open_v2((temp.Path() / "archive.db").string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
                SQLITE_OK);
        auto single = [db](const char* sql) {
            sqlite3_stmt* statement = nullptr;
            REQUIRE(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK);
            REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
            std::string value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
            sqlite3_finalize(statement);
            return value;
        };
        CHECK(single("PRAGMA journal_mode") == "wal");
        CHECK(single("PRAGMA user_version") == "3");
        CHECK(single("SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts'") == "1");
        CHECK(single("SELECT count(*) FROM sqlite_master WHERE name = 'files'") == "1");
        CHECK(single("SELECT count(*) FROM sqlite_master WHERE name IN ('rooms', 'room_members', 'owners',"
                     " 'messages_by_room')") == "4");
        CHECK(single("SELECT key || '|' || name || '|' || topic || '|' || creator FROM rooms") ==
              "everyone|everyone||");
        CHECK(single("SELECT count(*) FROM room_members") == "0");
        CHECK(single("SELECT count(*) FROM owners") == "0");
        sqlite3_close(db);
    }

    TEST_CASE("group commit stores a burst in far fewer transactions, calling every Done once in order")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        constexpr std::uint64_t Count = 5000;
        std::vector<std::uint64_t> doneOrder; // touched only on the archive thread until Flush
        std::atomic<int> failures{0};
        {
            Gate gate(archive); // the burst queues up while the thread is busy
            for (std::uint64_t id = 1; id <= Count; ++id)
                archive.Append(Public(id, "alice", "message " + std::to_string(id)),
                               [&doneOrder, &failures, id](bool ok, const std::string&) {
                                   doneOrder.push_back(id);
                                   if (!ok)
                                       ++failures;
                               });
        }
        Flush(archive);
        CHECK(failures == 0);
        CHECK(doneOrder == Range(1, Count));
        CHECK(archive.Transactions() == 5); // 1024 + 1024 + 1024 + 1024 + 904
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 10000).size(); }) == Count);

        // without a gate the thread still batches whatever queued while it was committing
        const auto before = archive.Transactions();
        for (std::uint64_t id = Count + 1; id <= 2 * Count; ++id)
            archive.Append(Public(id, "bob", "burst"), nullptr);
        Flush(archive);
        CHECK(archive.Transactions() - before < Count);
    }

    TEST_CASE("maxBatch caps the messages per transaction")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path(), 100));
        {
            Gate gate(archive);
            for (std::uint64_t id = 1; id <= 1000; ++id)
                archive.Append(Public(id, "alice", "x"), nullptr);
        }
        Flush(archive);
        CHECK(archive.Transactions() == 10);
    }

    TEST_CASE("the destructor runs every queued Done before returning")
    {
        TempDir temp;
        std::atomic<int> done{0};
        {
            Archive archive(ConfigIn(temp.Path()));
            for (std::uint64_t id = 1; id <= 300; ++id)
                archive.Append(Public(id, "alice", "bye"), [&done](bool ok, const std::string&) { done += ok; });
        }
        CHECK(done == 300);
        Archive reopened(ConfigIn(temp.Path()));
        CHECK(reopened.LastId() == 300);
    }

    TEST_CASE("Page walks the public conversation backwards in ascending pages without gaps or overlaps")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        std::vector<StoredMessage> messages;
        std::vector<std::uint64_t> publicIds;
        for (std::uint64_t id = 1; id <= 95; ++id)
        {
            if (id % 10 == 3)
                messages.push_back(Private(id, "alice", "bob", "psst"));
            else
            {
                messages.push_back(id % 10 == 7 ? Join(id, "n" + std::to_string(id)) : Public(id, "alice", "hi"));
                publicIds.push_back(id);
            }
        }
        RequireStored(archive, messages);

        std::vector<std::uint64_t> seen;
        std::uint64_t before = 0;
        for (int pages = 0; pages < 100; ++pages)
        {
            const auto page = Query(archive, [before](ArchiveReader& r) { return r.Page("carol", {}, before, 20); });
            if (page.empty())
                break;
            CHECK(page.size() <= 20);
            for (std::size_t i = 1; i < page.size(); ++i)
                CHECK(page[i - 1].id < page[i].id); // ascending
            for (const auto& m : page)
                CHECK(m.kind != 1);
            seen.insert(seen.begin(), page.size(), 0);
            for (std::size_t i = 0; i < page.size(); ++i)
                seen[i] = page[i].id;
            before = page.front().id;
        }
        CHECK(seen == publicIds);

        const auto last = Query(archive, [](ArchiveReader& r) { return r.Page("", {}, 0, 3); });
        CHECK(Ids(last) == std::vector<std::uint64_t>{92, 94, 95});
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Page("", {}, 1, 10); }).empty());
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Page("", {}, 0, 0); }).empty());

        // After is the mirror: the oldest messages past an id, ascending
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.After("bob", {}, 90, 3); })) ==
              std::vector<std::uint64_t>{91, 92, 94});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.After("bob", {}, 0, 2); })) ==
              std::vector<std::uint64_t>{1, 2});
        CHECK(Query(archive, [](ArchiveReader& r) { return r.After("bob", {}, 95, 10); }).empty());
    }

    TEST_CASE("Page of a private conversation holds only that pair, whatever the letter case")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, Conversation());

        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("alice", With("carol"), 0, 50); })) ==
              std::vector<std::uint64_t>{5, 6});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("CAROL", With("Alice"), 0, 50); })) ==
              std::vector<std::uint64_t>{5, 6});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("Bob", With("ALICE"), 0, 50); })) ==
              std::vector<std::uint64_t>{7, 9});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("alice", With("bob"), 9, 50); })) ==
              std::vector<std::uint64_t>{7});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("alice", With("bob"), 0, 1); })) ==
              std::vector<std::uint64_t>{9});
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Page("bob", With("carol"), 0, 50); }).empty());
        // the admin sees every private message involving the nick
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("", With("bob"), 0, 50); })) ==
              std::vector<std::uint64_t>{7, 9});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("", {}, 0, 50); })) ==
              std::vector<std::uint64_t>{1, 2, 3, 4, 8, 10, 11});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.After("ALICE", With("bob"), 7, 50); })) ==
              std::vector<std::uint64_t>{9});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.After("carol", With("alice"), 0, 1); })) ==
              std::vector<std::uint64_t>{5});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.After("", With("carol"), 0, 50); })) ==
              std::vector<std::uint64_t>{5, 6});
    }

    TEST_CASE("RecentPrivate returns the viewer's newest private messages with anyone, ascending")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, Conversation());

        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentPrivate("ALICE", 10); })) ==
              std::vector<std::uint64_t>{5, 6, 7, 9});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentPrivate("alice", 2); })) ==
              std::vector<std::uint64_t>{7, 9});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentPrivate("carol", 10); })) ==
              std::vector<std::uint64_t>{5, 6});
        CHECK(Query(archive, [](ArchiveReader& r) { return r.RecentPrivate("dave", 10); }).empty());
    }

    TEST_CASE("Since returns what the viewer may see after an id, ascending and limited")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, Conversation());

        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Since("Bob", 0, 100); })) ==
              std::vector<std::uint64_t>{1, 2, 3, 4, 7, 8, 9, 10, 11});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Since("carol", 4, 100); })) ==
              std::vector<std::uint64_t>{5, 6, 8, 10, 11});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Since("dave", 4, 2); })) ==
              std::vector<std::uint64_t>{8, 10});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Since("", 8, 100); })) ==
              std::vector<std::uint64_t>{9, 10, 11});
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Since("", 11, 100); }).empty());
    }

    TEST_CASE("Search never shows a private message to a third person but the admin sees everything")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, Conversation());

        CHECK(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "swordfish", 10); }).empty());
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Search("BOB", "secret password", 10); }).empty());
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("alice", "swordfish", 10); })) ==
              std::vector<std::uint64_t>{6, 5}); // newest first
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("Carol", "SWORDFISH", 10); })) ==
              std::vector<std::uint64_t>{6, 5});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("", "swordfish", 10); })) ==
              std::vector<std::uint64_t>{6, 5});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("carol", "noon", 10); })) ==
              std::vector<std::uint64_t>{10, 8});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "noon", 10); })) ==
              std::vector<std::uint64_t>{10, 9, 8});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "noon", 1); })) ==
              std::vector<std::uint64_t>{10});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "lunch noon", 10); })) ==
              std::vector<std::uint64_t>{9});
    }

    TEST_CASE("Search reads plain words: punctuation, quotes and FTS operators never throw")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, {Public(1, "alice", "rock and roll (live) near the stage"),
                                Public(2, "bob", "he said \"hello\" to me"), Public(3, "carol", "helicopter")});

        const std::vector<std::string> hostile = {
            "AND", "\"(\" *", "(", ")", "\"", "\"\"", "*", "OR", "NOT", "NEAR(rock roll)", "a OR", "-x", "text:rock",
            "^rock", "'", "{text}", "rock AND", "\"unterminated", "foo\"bar", "+", ":", "\xE2\x80\x94", "a\tb\nc"};
        for (const std::string& query : hostile)
        {
            INFO(query);
            CHECK_NOTHROW(Query(archive, [query](ArchiveReader& r) { return r.Search("bob", query, 10); }));
        }
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "AND", 10); })) ==
              std::vector<std::uint64_t>{1}); // the word "and", not the operator
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "(live)", 10); })) ==
              std::vector<std::uint64_t>{1});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "\"hello\"", 10); })) ==
              std::vector<std::uint64_t>{2});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "hel", 10); })) ==
              std::vector<std::uint64_t>{3, 2}); // the last word is a prefix while typing
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "hel ", 10); }).empty());
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "", 10); }).empty());
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "  \t ", 10); }).empty());
        CHECK(BuildMatchExpression("say \"hi\" AND") == "\"say\" AND \"\"\"hi\"\"\" AND \"AND\"*");
    }

    TEST_CASE("FindByClientId finds a resent message by its sender and client id")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, {Public(1, "Alice", "first", 77), Public(2, "bob", "other", 77),
                                Private(3, "alice", "bob", "dm")});

        const auto found = Query(archive, [](ArchiveReader& r) { return r.FindByClientId("ALICE", 77); });
        REQUIRE(found.has_value());
        CHECK(found->id == 1);
        CHECK(found->text == "first");
        CHECK(Query(archive, [](ArchiveReader& r) { return r.FindByClientId("bob", 77); })->id == 2);
        CHECK(Query(archive, [](ArchiveReader& r) { return r.FindByClientId("alice", 3); })->id == 3);
        CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.FindByClientId("carol", 77); }).has_value());
        CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.FindByClientId("alice", 78); }).has_value());
        CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.FindByClientId("alice", 0); }).has_value());
    }

    TEST_CASE("KnownNick and LastLeaveId look nicks up whatever the letter case")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, {Join(1, "Alice"), Public(2, "Mallory", "I never joined"), Leave(3, "Trent", "")});

        CHECK(Query(archive, [](ArchiveReader& r) { return r.KnownNick("alice"); }));
        CHECK(Query(archive, [](ArchiveReader& r) { return r.KnownNick("ALICE"); }));
        CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.KnownNick("mallory"); }));
        CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.KnownNick("trent"); }));
        CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.KnownNick(""); }));
        CHECK(Query(archive, [](ArchiveReader& r) { return r.LastLeaveId("TRENT"); }) == 3);
        CHECK(Query(archive, [](ArchiveReader& r) { return r.LastLeaveId("alice"); }) == 0);
    }

    TEST_CASE("chat_log.txt gets one local-time line per stored message")
    {
        TempDir temp;
        const std::int64_t t = NowMs();
        std::vector<StoredMessage> messages = {Join(1, "bob"), Public(2, "bob", "hi\nthere\r\nall"),
                                               Private(3, "alice", "bob", "psst"), Announce(4, "maintenance"),
                                               Leave(5, "bob", "quit"), Leave(6, "carol", "")};
        for (auto& m : messages)
            m.timeMs = t;
        {
            Archive archive(ConfigIn(temp.Path()));
            RequireStored(archive, messages);
            CHECK(archive.LastLogError().empty());
        }
        const std::string stamp = "[" + LocalDateTime(t) + "] ";
        CHECK(ReadLines(temp.Path() / "chat_log.txt") == std::vector<std::string>{
                                                             stamp + "-> bob joined",
                                                             stamp + "bob: hi / there / all",
                                                             stamp + "alice -> bob (private): psst",
                                                             stamp + "* Announcement: maintenance",
                                                             stamp + "<- bob left (quit)",
                                                             stamp + "<- carol left",
                                                         });
        {
            Archive archive(ConfigIn(temp.Path())); // appends after reopening
            RequireStored(archive, {Public(7, "dave", "again")});
        }
        CHECK(ReadLines(temp.Path() / "chat_log.txt").size() == 7);
    }

    TEST_CASE("a chat_log.txt that cannot be written never fails the message")
    {
        TempDir temp;
        fs::create_directory(temp.Path() / "chat_log.txt"); // a folder: fopen fails, even for root
        Archive archive(ConfigIn(temp.Path()));
        const auto outcomes = AppendAll(archive, {Public(1, "alice", "kept anyway")});
        CHECK(outcomes[0].ok);
        CHECK(archive.LastLogError().find("chat_log.txt") != std::string::npos);
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 10).size(); }) == 1);
    }

    TEST_CASE("a data folder that cannot be created throws a clear ArchiveError")
    {
        TempDir temp;
        const fs::path file = temp.Path() / "plain-file";
        std::ofstream(file) << "not a folder";
        // root ignores permission bits, so a path under a regular file stands in for an unwritable place
        const std::string message = ExceptionText([&] { Archive archive(ConfigIn(file / "sub")); });
        CHECK(message.find("cannot create the data folder " + (file / "sub").string()) == 0);
        CHECK(message.find("Not a directory") != std::string::npos);

        const std::string same = ExceptionText([&] { Archive archive(ConfigIn(file)); });
        CHECK(same.find("cannot create the data folder") == 0);
    }

    TEST_CASE("a file that is not an archive throws a clear ArchiveError")
    {
        TempDir temp;
        std::ofstream(temp.Path() / "archive.db") << std::string(4096, 'x');
        const std::string message = ExceptionText([&] { Archive archive(ConfigIn(temp.Path())); });
        CHECK(message.find("cannot open " + (temp.Path() / "archive.db").string() + ": ") == 0);
        CHECK(message.find("not a database") != std::string::npos);
    }

    TEST_CASE("an archive written by a newer Obrol is refused, not damaged")
    {
        TempDir temp;
        {
            Archive archive(ConfigIn(temp.Path()));
        }
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((temp.Path() / "archive.db").string().c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        const std::string message = ExceptionText([&] { Archive archive(ConfigIn(temp.Path())); });
        CHECK(message.find("cannot open") == 0);
        CHECK(message.find("newer Obrol") != std::string::npos);
    }

    TEST_CASE("a full database fails the message with a clear error and the archive carries on")
    {
        TempDir temp;
        ArchiveConfig config = ConfigIn(temp.Path());
        config.maxPageCount = 40; // about 160 KiB: the schema fits, a 1 MiB message does not
        Archive archive(config);
        const std::string big(1 << 20, 'x');

        auto outcomes = AppendAll(archive, {Public(1, "alice", "small before")});
        CHECK(outcomes[0].ok);
        outcomes = AppendAll(archive, {Public(2, "alice", big)});
        CHECK_FALSE(outcomes[0].ok);
        CHECK(outcomes[0].error.find("full") != std::string::npos);
        CHECK(outcomes[0].error.find("archive.db") != std::string::npos);

        // in one batch the big one fails alone; the small ones around it are still stored
        std::vector<Outcome> mixed;
        {
            Gate gate(archive);
            auto results = std::make_shared<std::vector<Outcome>>(3);
            std::vector<StoredMessage> batch = {Public(3, "bob", "small"), Public(4, "bob", big),
                                                Public(5, "bob", "small too")};
            for (std::size_t i = 0; i < batch.size(); ++i)
                archive.Append(batch[i], [results, i](bool ok, const std::string& error) {
                    (*results)[i] = {ok, error};
                });
            gate.Release();
            Flush(archive);
            mixed = *results;
        }
        CHECK(mixed[0].ok);
        CHECK_FALSE(mixed[1].ok);
        CHECK(mixed[2].ok);
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 10); })) ==
              std::vector<std::uint64_t>{1, 3, 5});
        CHECK(ReadLines(temp.Path() / "chat_log.txt").size() == 3); // only stored messages are logged
    }

    TEST_CASE("a duplicate id fails alone and leaves the rest of its batch stored")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, {Public(1, "alice", "original")});
        auto outcomes = std::make_shared<std::vector<Outcome>>(3);
        {
            Gate gate(archive);
            const std::vector<StoredMessage> batch = {Public(2, "bob", "fine"), Public(1, "bob", "dupe"),
                                                      Public(3, "bob", "fine too")};
            for (std::size_t i = 0; i < batch.size(); ++i)
                archive.Append(batch[i], [outcomes, i](bool ok, const std::string& error) {
                    (*outcomes)[i] = {ok, error};
                });
        }
        Flush(archive);
        CHECK((*outcomes)[0].ok);
        CHECK_FALSE((*outcomes)[1].ok);
        CHECK((*outcomes)[1].error.find("UNIQUE") != std::string::npos);
        CHECK((*outcomes)[2].ok);
        const auto all = Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 10); });
        CHECK(Ids(all) == std::vector<std::uint64_t>{1, 2, 3});
        CHECK(all[0].text == "original");
    }

    TEST_CASE("an exception escaping a callback is caught on the archive thread")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        archive.Read([](ArchiveReader&) { throw std::runtime_error("reader bug"); });
        archive.Append(Public(1, "alice", "x"), [](bool, const std::string&) { throw std::runtime_error("done bug"); });
        Flush(archive);
        CHECK(archive.LastCallbackError() == "done bug");
        RequireStored(archive, {Public(2, "alice", "still working")});
    }

    TEST_CASE("Append and Read from several threads keep each thread's order")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        std::atomic<std::uint64_t> nextId{1};
        std::mutex idMutex; // ids must reach the queue in increasing order, as the server assigns them
        std::vector<std::thread> threads;
        std::atomic<int> ok{0};
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 250; ++i)
                {
                    std::lock_guard lock(idMutex);
                    archive.Append(Public(nextId++, "user" + std::to_string(t), "hello"),
                                   [&ok](bool stored, const std::string&) { ok += stored; });
                }
            });
        for (auto& thread : threads)
            thread.join();
        Flush(archive);
        CHECK(ok == 1000);
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 2000); })) == Range(1, 1000));
    }

    TEST_CASE("a file message keeps every field through every reader and across reopening")
    {
        TempDir temp;
        const StoredFile photo = SampleFile(1);
        const StoredFile contract = SampleFile(2);
        StoredFile plain; // defaults: no preview, not an image, empty file
        plain.mime = "application/octet-stream";
        const std::vector<StoredMessage> sent = {
            Join(1, "Alice"),
            Public(2, "Alice", "look at this"),
            FileMessage(3, "Alice", "", "holiday photo.jpg", photo),
            FileMessage(4, "alice", "Bob", "contract draft.pdf", contract),
            FileMessage(5, "bob", "", "empty.bin", plain),
            Public(6, "bob", "nice photo"),
        };
        {
            Archive archive(ConfigIn(temp.Path()));
            RequireStored(archive, sent);
        }
        Archive archive(ConfigIn(temp.Path()));
        const auto fileOf = [](const std::vector<StoredMessage>& list, std::uint64_t id) -> std::optional<StoredFile> {
            for (const StoredMessage& m : list)
                if (m.id == id)
                    return m.file;
            FAIL("message " << id << " is missing");
            return std::nullopt;
        };

        const auto all = Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 100); });
        REQUIRE(Ids(all) == Range(1, 6));
        for (std::size_t i = 0; i < sent.size(); ++i)
        {
            INFO("id " << sent[i].id);
            CHECK(all[i].kind == sent[i].kind);
            CHECK(all[i].from == sent[i].from);
            CHECK(all[i].to == sent[i].to);
            CHECK(all[i].text == sent[i].text);
            CHECK(all[i].clientMsgId == sent[i].clientMsgId);
            CHECK(all[i].file.has_value() == sent[i].file.has_value());
            if (all[i].file && sent[i].file)
            {
                const StoredFile& got = *all[i].file;
                const StoredFile& want = *sent[i].file;
                CHECK(got.size == want.size);
                CHECK(got.mime == want.mime);
                CHECK(got.sha256 == want.sha256);
                CHECK(got.thumbWidth == want.thumbWidth);
                CHECK(got.thumbHeight == want.thumbHeight);
                CHECK(got.imageWidth == want.imageWidth);
                CHECK(got.imageHeight == want.imageHeight);
            }
        }

        const auto publicPage = Query(archive, [](ArchiveReader& r) { return r.Page("carol", {}, 0, 10); });
        CHECK(Ids(publicPage) == std::vector<std::uint64_t>{1, 2, 3, 5, 6});
        CHECK(fileOf(publicPage, 3) == photo);
        CHECK(fileOf(publicPage, 5) == plain);
        CHECK_FALSE(fileOf(publicPage, 2).has_value());
        CHECK_FALSE(fileOf(publicPage, 6).has_value());
        const auto privatePage = Query(archive, [](ArchiveReader& r) { return r.Page("BOB", With("alice"), 0, 10); });
        CHECK(Ids(privatePage) == std::vector<std::uint64_t>{4});
        CHECK(fileOf(privatePage, 4) == contract);
        CHECK(fileOf(Query(archive, [](ArchiveReader& r) { return r.After("bob", {}, 2, 1); }), 3) == photo);
        CHECK(fileOf(Query(archive, [](ArchiveReader& r) { return r.RecentPrivate("alice", 10); }), 4) == contract);
        CHECK(fileOf(Query(archive, [](ArchiveReader& r) { return r.Since("bob", 3, 10); }), 4) == contract);

        // the file's name is the message's text, so searching it finds the file message
        const auto byName = Query(archive, [](ArchiveReader& r) { return r.Search("carol", "holiday", 10); });
        CHECK(Ids(byName) == std::vector<std::uint64_t>{3});
        CHECK(fileOf(byName, 3) == photo);
        const auto photoWord = Query(archive, [](ArchiveReader& r) { return r.Search("carol", "photo", 10); });
        CHECK(Ids(photoWord) == std::vector<std::uint64_t>{6, 3});
        CHECK_FALSE(photoWord[0].file.has_value());
        CHECK(fileOf(Query(archive, [](ArchiveReader& r) { return r.Search("bob", "contract dra", 10); }), 4) ==
              contract);
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Search("carol", "contract", 10); }).empty());

        const auto resent = Query(archive, [](ArchiveReader& r) { return r.FindByClientId("ALICE", 3); });
        REQUIRE(resent.has_value());
        CHECK(resent->id == 3);
        CHECK(resent->file == photo);
        CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.FindByClientId("alice", 2); })->file.has_value());

        const auto visible = Query(archive, [](ArchiveReader& r) { return r.Visible("carol", 3); });
        REQUIRE(visible.has_value());
        CHECK(visible->text == "holiday photo.jpg");
        CHECK(visible->file == photo);
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Visible("bob", 4); })->file == contract);
    }

    TEST_CASE("Visible shows a private file message only to its sender and recipient, and to the admin")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, {Join(1, "Alice"), FileMessage(2, "Alice", "Bob", "secret.zip", SampleFile(3)),
                                FileMessage(3, "carol", "", "public.txt", SampleFile(4)),
                                Private(4, "bob", "alice", "thanks"), Leave(5, "Alice", "")});
        const auto sees = [&archive](const std::string& viewer, std::uint64_t id) {
            return Query(archive, [viewer, id](ArchiveReader& r) { return r.Visible(viewer, id); }).has_value();
        };

        CHECK(sees("alice", 2));
        CHECK(sees("ALICE", 2));
        CHECK(sees("Bob", 2));
        CHECK(sees("", 2)); // the admin
        CHECK_FALSE(sees("carol", 2));
        CHECK_FALSE(sees("dave", 2));
        CHECK_FALSE(sees("alice bob", 2));
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Visible("bob", 2); })->file == SampleFile(3));

        for (const std::string viewer : {"alice", "bob", "carol", "dave", ""})
        {
            INFO(viewer);
            CHECK(sees(viewer, 1)); // public kinds: everyone
            CHECK(sees(viewer, 3));
            CHECK(sees(viewer, 5));
            CHECK_FALSE(sees(viewer, 6)); // no such message
            CHECK_FALSE(sees(viewer, 0));
            CHECK_FALSE(sees(viewer, ~0ull));
        }
        CHECK(sees("alice", 4)); // a private text message follows the same rules
        CHECK_FALSE(sees("carol", 4));
        CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.Visible("alice", 4); })->file.has_value());
    }

    TEST_CASE("a version 1 archive migrates to the current version and keeps its messages")
    {
        TempDir temp;
        {
            Archive archive(ConfigIn(temp.Path()));
            RequireStored(archive, Conversation());
        }
        // turn it back into what version 1 wrote: the same, without the files table and the rooms
        for (const char* undo : {"DROP TABLE files", "DROP INDEX messages_by_room",
                                 "ALTER TABLE messages DROP COLUMN room", "ALTER TABLE messages DROP COLUMN room_key",
                                 "DROP TABLE rooms", "DROP TABLE room_members", "DROP TABLE owners"})
            REQUIRE(SqlValue(temp.Path(), undo).empty());
        REQUIRE(SqlValue(temp.Path(), "PRAGMA user_version = 1").empty());
        REQUIRE(SqlValue(temp.Path(), "PRAGMA user_version") == "1");
        REQUIRE(SqlValue(temp.Path(), "SELECT count(*) FROM sqlite_master WHERE name = 'files'") == "0");

        {
            Archive archive(ConfigIn(temp.Path()));
            CHECK(archive.LastId() == 11);
            const auto all = Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 100); });
            CHECK(Ids(all) == Range(1, 11));
            for (const StoredMessage& m : all)
            {
                CHECK_FALSE(m.file.has_value());
                CHECK(m.room == (m.kind == 1 ? "" : "everyone"));
            }
            CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("alice", "swordfish", 10); })) ==
                  std::vector<std::uint64_t>{6, 5});
            RequireStored(archive, {FileMessage(12, "bob", "", "after the upgrade.txt", SampleFile(5))});
            CHECK(Query(archive, [](ArchiveReader& r) { return r.Visible("carol", 12); })->file == SampleFile(5));
        }
        CHECK(SqlValue(temp.Path(), "PRAGMA user_version") == "3");
        CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM messages") == "12");
        CHECK(SqlValue(temp.Path(), "SELECT group_concat(message_id) FROM files") == "12");
    }

    TEST_CASE("a full disk fails a file message whole: never a message without its file row")
    {
        TempDir temp;
        ArchiveConfig config = ConfigIn(temp.Path());
        config.maxPageCount = 40; // about 160 KiB: the message row fits, a file row with a 1 MiB field does not
        StoredFile huge = SampleFile(6);
        huge.mime = std::string(1 << 20, 'x');
        {
            Archive archive(config);
            auto outcomes = AppendAll(archive, {FileMessage(1, "alice", "", "small before.png", SampleFile(1))});
            CHECK(outcomes[0].ok);
            outcomes = AppendAll(archive, {FileMessage(2, "alice", "", "lonely.bin", huge)});
            CHECK_FALSE(outcomes[0].ok);
            CHECK(outcomes[0].error.find("full") != std::string::npos);

            // in one batch the failing file message fails alone, its message row rolled back with it
            auto results = std::make_shared<std::vector<Outcome>>(4);
            {
                Gate gate(archive);
                const std::vector<StoredMessage> batch = {
                    FileMessage(3, "bob", "", "fine.png", SampleFile(3)),
                    FileMessage(4, "bob", "alice", "doomed.bin", huge),
                    Public(5, "bob", "plain text"),
                    FileMessage(6, "bob", "alice", "fine too.pdf", SampleFile(4)),
                };
                for (std::size_t i = 0; i < batch.size(); ++i)
                    archive.Append(batch[i], [results, i](bool ok, const std::string& error) {
                        (*results)[i] = {ok, error};
                    });
            }
            Flush(archive);
            CHECK((*results)[0].ok);
            CHECK_FALSE((*results)[1].ok);
            CHECK((*results)[1].error.find("full") != std::string::npos);
            CHECK((*results)[2].ok);
            CHECK((*results)[3].ok);

            const auto all = Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 10); });
            CHECK(Ids(all) == std::vector<std::uint64_t>{1, 3, 5, 6});
            CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.Visible("", 2); }).has_value());
            CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.Visible("", 4); }).has_value());
            CHECK(Query(archive, [](ArchiveReader& r) { return r.Search("", "lonely", 10); }).empty());
            CHECK(Query(archive, [](ArchiveReader& r) { return r.Search("", "doomed", 10); }).empty());
            CHECK(Query(archive, [](ArchiveReader& r) { return r.Visible("alice", 6); })->file == SampleFile(4));
            CHECK(ReadLines(temp.Path() / "chat_log.txt").size() == 4); // only stored messages are logged
        }
        CHECK(SqlValue(temp.Path(), "SELECT group_concat(id) FROM (SELECT id FROM messages ORDER BY id)") == "1,3,5,6");
        CHECK(SqlValue(temp.Path(), "SELECT group_concat(message_id) FROM files") == "1,3,6");
        CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM files WHERE message_id NOT IN (SELECT id FROM messages)") ==
              "0");
        CHECK(SqlValue(temp.Path(), "PRAGMA integrity_check") == "ok");
    }

    TEST_CASE("chat_log.txt says who sent which file to whom, with its size and sha256")
    {
        TempDir temp;
        const std::int64_t t = NowMs();
        StoredFile photo = SampleFile(1);
        photo.size = 2'097'152;
        const StoredFile contract = SampleFile(2);
        std::vector<StoredMessage> messages = {FileMessage(1, "alice", "", "photo.jpg", photo),
                                               FileMessage(2, "alice", "Bob", "two\nlines.txt", contract),
                                               Public(3, "bob", "thanks")};
        for (auto& m : messages)
            m.timeMs = t;
        {
            Archive archive(ConfigIn(temp.Path()));
            RequireStored(archive, messages);
        }
        const std::string stamp = "[" + LocalDateTime(t) + "] ";
        const std::vector<std::string> expected = {
            stamp + "alice sent a file to everyone: photo.jpg (2097152 bytes, sha256 " + HexOf(photo.sha256) + ")",
            stamp + "alice sent a file to Bob (private): two / lines.txt (5000000002 bytes, sha256 " +
                HexOf(contract.sha256) + ")",
            stamp + "bob: thanks",
        };
        CHECK(ReadLines(temp.Path() / "chat_log.txt") == expected);
        CHECK(FormatLogLine(messages[0]) == expected[0]);
        CHECK(HexOf(photo.sha256).size() == 64);
    }

    TEST_CASE("room records keep their room; a public record without one is stored in the everyone room")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        StoredMessage stray = Private(4, "alice", "bob", "psst");
        stray.room = "Games"; // ignored: a private message belongs to no room
        RequireStored(archive, {Public(1, "alice", "no room given"), Join(2, "bob"),
                                InRoom(3, StoredKind::RoomJoin, "alice", "Games"), stray,
                                Said(5, "alice", "GAMES", "in display case"), Said(6, "bob", "Everyone", "cased")});
        const auto all = Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 10); });
        REQUIRE(all.size() == 6);
        CHECK(all[0].room == "everyone");
        CHECK(all[1].room == "everyone");
        CHECK(all[2].room == "Games");
        CHECK(all[3].room == "");
        CHECK(all[4].room == "GAMES");
        CHECK(all[5].room == "Everyone");
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("", RoomRef("games"), 0, 10); })) ==
              std::vector<std::uint64_t>{3, 5});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("", {}, 0, 10); })) ==
              std::vector<std::uint64_t>{1, 2, 6});
    }

    TEST_CASE("RoomJoin, RoomLeave and Topic records keep the rooms and their members")
    {
        TempDir temp;
        {
            Archive archive(ConfigIn(temp.Path()));
            RequireStored(archive, {
                                       InRoom(1, StoredKind::RoomJoin, "Alice", "Games"),
                                       InRoom(2, StoredKind::RoomJoin, "bob", "games"),
                                       InRoom(3, StoredKind::Topic, "bob", "GAMES", "chess at eight"),
                                       InRoom(4, StoredKind::RoomJoin, "carol", "Books"),
                                       InRoom(5, StoredKind::RoomJoin, "Dave", "games"),
                                       InRoom(6, StoredKind::RoomLeave, "BOB", "games"),
                                       InRoom(7, StoredKind::RoomLeave, "carol", "books"), // the room stays, empty
                                       InRoom(8, StoredKind::RoomJoin, "alice", "games"),  // already in: no change
                                       InRoom(9, StoredKind::RoomJoin, "Zed", "everyone"), // implicit: not stored
                                       InRoom(10, StoredKind::Topic, "", "everyone", "welcome"),
                                   });
            const auto rooms = Query(archive, [](ArchiveReader& r) { return r.Rooms(); });
            REQUIRE(rooms.size() == 3);
            CHECK(rooms[0].name == "Books");
            CHECK(rooms[0].creator == "carol");
            CHECK(rooms[0].createdMs == 1'700'000'000'004);
            CHECK(rooms[0].topic == "");
            CHECK(rooms[0].members.empty());
            CHECK(rooms[1].name == "everyone");
            CHECK(rooms[1].topic == "welcome");
            CHECK(rooms[1].creator == "");
            CHECK(rooms[1].members.empty());
            CHECK(rooms[2].name == "Games"); // as its first RoomJoin wrote it
            CHECK(rooms[2].creator == "Alice");
            CHECK(rooms[2].createdMs == 1'700'000'000'001);
            CHECK(rooms[2].topic == "chess at eight");
            CHECK(rooms[2].members == std::vector<std::string>{"Alice", "Dave"});

            RequireStored(archive, {InRoom(11, StoredKind::Topic, "Dave", "games", ""),
                                    InRoom(12, StoredKind::RoomJoin, "bob", "Games")});
            const auto later = Query(archive, [](ArchiveReader& r) { return r.Rooms(); });
            REQUIRE(later.size() == 3);
            CHECK(later[2].topic == "");
            CHECK(later[2].members == std::vector<std::string>{"Alice", "bob", "Dave"});
        }
        CHECK(SqlValue(temp.Path(), "SELECT group_concat(room_key || ':' || nick || ':' || joined_id, ' ') FROM"
                                    " (SELECT * FROM room_members ORDER BY room_key, nick_key)") ==
              "games:Alice:1 games:bob:12 games:Dave:5");
        Archive reopened(ConfigIn(temp.Path()));
        CHECK(Query(reopened, [](ArchiveReader& r) { return r.Rooms(); })[2].members ==
              std::vector<std::string>{"Alice", "bob", "Dave"});
    }

    TEST_CASE("a record whose room state cannot be written is not stored either, and the rest of its batch is")
    {
        TempDir temp;
        {
            Archive archive(ConfigIn(temp.Path()));
        }
        // The room_members write fails for mallory: the RoomJoin must fail whole (no record, no room).
        REQUIRE(SqlValue(temp.Path(), "CREATE TRIGGER no_mallory BEFORE INSERT ON room_members"
                                      " WHEN new.nick_key = 'mallory' BEGIN SELECT RAISE(ABORT, 'refused'); END")
                    .empty());
        Archive archive(ConfigIn(temp.Path()));
        auto results = std::make_shared<std::vector<Outcome>>(3);
        {
            Gate gate(archive); // the three go into one batch
            const std::vector<StoredMessage> batch = {
                InRoom(1, StoredKind::RoomJoin, "alice", "games"),
                InRoom(2, StoredKind::RoomJoin, "Mallory", "secret"),
                InRoom(3, StoredKind::RoomJoin, "bob", "games"),
            };
            for (std::size_t i = 0; i < batch.size(); ++i)
                archive.Append(batch[i], [results, i](bool ok, const std::string& error) {
                    (*results)[i] = {ok, error};
                });
        }
        Flush(archive);
        CHECK((*results)[0].ok);
        CHECK_FALSE((*results)[1].ok);
        INFO((*results)[1].error);
        CHECK((*results)[1].error.find("refused") != std::string::npos);
        CHECK((*results)[2].ok);
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 10); })) ==
              std::vector<std::uint64_t>{1, 3});
        const auto rooms = Query(archive, [](ArchiveReader& r) { return r.Rooms(); });
        REQUIRE(rooms.size() == 2); // everyone and games: "secret" was rolled back with its record
        CHECK(rooms[1].name == "games");
        CHECK(rooms[1].members == std::vector<std::string>{"alice", "bob"});
    }

    TEST_CASE("a room's records are hidden from non-members in every query and shown once they join")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, {
                                   Public(1, "alice", "hello everyone"),
                                   InRoom(2, StoredKind::RoomJoin, "alice", "Games"),
                                   Said(3, "alice", "games", "secret strategy talk"),
                                   InRoom(4, StoredKind::Topic, "alice", "games", "strategy only"),
                                   Public(5, "bob", "strategy in public"),
                               });
        const auto sinceIds = [&](std::string viewer) {
            return Ids(Query(archive, [viewer](ArchiveReader& r) { return r.Since(viewer, 0, 100); }));
        };
        const auto pageIds = [&](std::string viewer) {
            return Ids(Query(archive, [viewer](ArchiveReader& r) { return r.Page(viewer, RoomRef("GAMES"), 0, 100); }));
        };
        const auto afterIds = [&](std::string viewer) {
            return Ids(
                Query(archive, [viewer](ArchiveReader& r) { return r.After(viewer, RoomRef("games"), 2, 100); }));
        };
        const auto searchIds = [&](std::string viewer) {
            return Ids(Query(archive, [viewer](ArchiveReader& r) { return r.Search(viewer, "strategy", 100); }));
        };
        const auto sees = [&](std::string viewer, std::uint64_t id) {
            return Query(archive, [viewer, id](ArchiveReader& r) { return r.Visible(viewer, id); }).has_value();
        };

        // bob is not a member: the everyone room only
        CHECK(sinceIds("bob") == std::vector<std::uint64_t>{1, 5});
        CHECK(pageIds("bob").empty());
        CHECK(afterIds("bob").empty());
        CHECK(searchIds("bob") == std::vector<std::uint64_t>{5});
        for (std::uint64_t id : {2, 3, 4})
            CHECK_FALSE(sees("bob", id));
        CHECK(sees("bob", 1));
        // the member, in any letter case, and the admin see the room
        for (const std::string viewer : {"alice", "ALICE", ""})
        {
            CAPTURE(viewer);
            CHECK(sinceIds(viewer) == Range(1, 5));
            CHECK(pageIds(viewer) == Range(2, 4));
            CHECK(afterIds(viewer) == std::vector<std::uint64_t>{3, 4});
            CHECK(searchIds(viewer) == std::vector<std::uint64_t>{5, 4, 3});
            CHECK(sees(viewer, 3));
        }

        RequireStored(archive, {InRoom(6, StoredKind::RoomJoin, "Bob", "games")});
        CHECK(sinceIds("bob") == Range(1, 6)); // the room's history comes with joining
        CHECK(pageIds("bob") == std::vector<std::uint64_t>{2, 3, 4, 6});
        CHECK(afterIds("BOB") == std::vector<std::uint64_t>{3, 4, 6});
        CHECK(searchIds("bob") == std::vector<std::uint64_t>{5, 4, 3});
        CHECK(sees("bob", 3));

        RequireStored(archive, {InRoom(7, StoredKind::RoomLeave, "bob", "Games")});
        CHECK(sinceIds("bob") == std::vector<std::uint64_t>{1, 5}); // only current members
        CHECK(pageIds("bob").empty());
        CHECK(searchIds("bob") == std::vector<std::uint64_t>{5});
        CHECK_FALSE(sees("bob", 3));
        CHECK(sinceIds("alice") == Range(1, 7));
    }

    TEST_CASE("the everyone room is seen by anyone, members of other rooms or not")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        RequireStored(archive, {Join(1, "alice"), Public(2, "alice", "hi all"), Announce(3, "maintenance"),
                                InRoom(4, StoredKind::RoomJoin, "alice", "games"),
                                Said(5, "bob", "everyone", "named room"), Leave(6, "alice", "quit")});
        for (const std::string viewer : {"stranger", "Alice", ""})
        {
            CAPTURE(viewer);
            const std::vector<std::uint64_t> everyone{1, 2, 3, 5, 6};
            CHECK(Ids(Query(archive, [viewer](ArchiveReader& r) { return r.Page(viewer, {}, 0, 10); })) == everyone);
            CHECK(Ids(Query(archive,
                            [viewer](ArchiveReader& r) { return r.Page(viewer, RoomRef("EveryOne"), 0, 10); })) ==
                  everyone);
            CHECK(Ids(Query(archive, [viewer](ArchiveReader& r) { return r.Page(viewer, RoomRef(""), 0, 10); })) ==
                  everyone);
            CHECK(Ids(Query(archive, [viewer](ArchiveReader& r) { return r.After(viewer, {}, 2, 2); })) ==
                  std::vector<std::uint64_t>{3, 5});
            CHECK(Query(archive, [viewer](ArchiveReader& r) { return r.Visible(viewer, 3); }).has_value());
            CHECK(Ids(Query(archive, [viewer](ArchiveReader& r) { return r.Search(viewer, "named", 10); })) ==
                  std::vector<std::uint64_t>{5});
        }
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Page("stranger", RoomRef("games"), 0, 10); }).empty());
        CHECK(Query(archive, [](ArchiveReader& r) { return r.Page("", RoomRef("nowhere"), 0, 10); }).empty());
    }

    TEST_CASE("RecentRooms returns the newest records of the everyone room and of the viewer's rooms")
    {
        TempDir temp;
        Archive archive(ConfigIn(temp.Path()));
        std::vector<StoredMessage> messages = {InRoom(1, StoredKind::RoomJoin, "alice", "Games"),
                                               InRoom(2, StoredKind::RoomJoin, "bob", "Books")};
        for (std::uint64_t id = 3; id <= 32; ++id)
        {
            const char* rooms[] = {"everyone", "games", "books"};
            messages.push_back(Said(id, "alice", rooms[id % 3], "message " + std::to_string(id)));
        }
        messages.push_back(Private(33, "alice", "bob", "private, never in a room"));
        RequireStored(archive, messages);

        // everyone: 3, 6, ..., 30; games (id % 3 == 1): 1, 4, ..., 31; books: 2, 5, ..., 32
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentRooms("Alice", 3); })) ==
              std::vector<std::uint64_t>{24, 25, 27, 28, 30, 31});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentRooms("bob", 2); })) ==
              std::vector<std::uint64_t>{27, 29, 30, 32});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentRooms("carol", 4); })) ==
              std::vector<std::uint64_t>{21, 24, 27, 30});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentRooms("", 1); })) ==
              std::vector<std::uint64_t>{30, 31, 32});
        CHECK(Query(archive, [](ArchiveReader& r) { return r.RecentRooms("alice", 0); }).empty());
        // a room with fewer records than the limit gives all of them
        RequireStored(archive, {InRoom(34, StoredKind::RoomJoin, "carol", "quiet")});
        CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentRooms("carol", 2); })) ==
              std::vector<std::uint64_t>{27, 30, 34});
        CHECK(Query(archive, [](ArchiveReader& r) { return r.RecentRooms("carol", 2); }).back().room == "quiet");
    }

    TEST_CASE("a room's pages walk the room index, not the whole table")
    {
        TempDir temp;
        {
            Archive archive(ConfigIn(temp.Path()));
        }
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open_v2((temp.Path() / "archive.db").string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
                SQLITE_OK);
        sqlite3_stmt* statement = nullptr;
        REQUIRE(sqlite3_prepare_v2(db,
                                   "EXPLAIN QUERY PLAN SELECT m.*, f.* FROM messages AS m LEFT JOIN files AS f"
                                   " ON f.message_id = m.id WHERE room_key = ?2 AND id < ?1 ORDER BY id DESC LIMIT ?3",
                                   -1, &statement, nullptr) == SQLITE_OK);
        std::string details;
        while (sqlite3_step(statement) == SQLITE_ROW)
            details += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3)) + std::string("; ");
        sqlite3_finalize(statement);
        sqlite3_close(db);
        INFO(details);
        CHECK(details.find("messages_by_room") != std::string::npos);
        CHECK(details.find("TEMP B-TREE") == std::string::npos); // no sort: the index gives the order
    }

    TEST_CASE("nicknames are claimed once, looked up case-insensitively and released")
    {
        TempDir temp;
        std::array<std::uint8_t, 32> key{};
        std::array<std::uint8_t, 32> other{};
        for (std::size_t i = 0; i < key.size(); ++i)
        {
            key[i] = static_cast<std::uint8_t>(0xF0 ^ i);
            other[i] = static_cast<std::uint8_t>(i * 3);
        }
        {
            Archive archive(ConfigIn(temp.Path()));
            CHECK(Query(archive, [](ArchiveReader& r) { return r.Owners(); }).empty());
            CHECK(Query(archive, [key](ArchiveReader& r) { return r.ClaimNick("Alice", key, 1234); }));
            CHECK_FALSE(Query(archive, [other](ArchiveReader& r) { return r.ClaimNick("ALICE", other, 99); }));
            CHECK_FALSE(Query(archive, [key](ArchiveReader& r) { return r.ClaimNick("alice", key, 99); })); // same key
            CHECK_FALSE(Query(archive, [key](ArchiveReader& r) { return r.ClaimNick("", key, 99); }));
            CHECK(Query(archive, [other](ArchiveReader& r) { return r.ClaimNick("bob", other, 5678); }));
            const auto owner = Query(archive, [](ArchiveReader& r) { return r.Owner("aLiCe"); });
            REQUIRE(owner.has_value());
            CHECK(*owner == StoredOwner{"Alice", key, 1234});
            CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.Owner("carol"); }).has_value());
            CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.Owner(""); }).has_value());
        }
        CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM owners") == "2"); // committed without any Append
        {
            Archive archive(ConfigIn(temp.Path()));
            CHECK(Query(archive, [](ArchiveReader& r) { return r.Owners(); }) ==
                  std::vector<StoredOwner>{{"Alice", key, 1234}, {"bob", other, 5678}});
            CHECK(Query(archive, [](ArchiveReader& r) { return r.ReleaseNick("ALICE"); }));
            CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.ReleaseNick("alice"); }));
            CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.ReleaseNick("nobody"); }));
            CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.Owner("alice"); }).has_value());
            // released: anyone may claim it now
            CHECK(Query(archive, [other](ArchiveReader& r) { return r.ClaimNick("alice", other, 42); }));
            CHECK(Query(archive, [](ArchiveReader& r) { return r.Owners(); }) ==
                  std::vector<StoredOwner>{{"alice", other, 42}, {"bob", other, 5678}});
            // owner writes and appends interleave on the archive thread without disturbing each other
            RequireStored(archive, {Public(1, "alice", "still here")});
            CHECK(Query(archive, [](ArchiveReader& r) { return r.ReleaseNick("bob"); }));
        }
        CHECK(SqlValue(temp.Path(), "SELECT group_concat(nick) FROM owners") == "alice");
        CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM messages") == "1");
    }

    TEST_CASE("chat_log.txt names the room of a record outside the everyone room")
    {
        TempDir temp;
        const std::int64_t t = NowMs();
        std::vector<StoredMessage> messages = {
            InRoom(1, StoredKind::RoomJoin, "alice", "games"),
            Said(2, "alice", "games", "who plays?"),
            Said(3, "bob", "everyone", "in the everyone room"),
            Public(4, "bob", "no room given"),
            InRoom(5, StoredKind::Topic, "alice", "games", "chess\ntonight"),
            InRoom(6, StoredKind::Topic, "alice", "games", ""),
            InRoom(7, StoredKind::RoomLeave, "alice", "games"),
            InRoom(8, StoredKind::RoomLeave, "bob", "games", "bored"),
            FileMessage(9, "alice", "", "board.png", SampleFile(1)),
            InRoom(10, StoredKind::Announce, "", "games", "closing soon"),
        };
        messages[8].room = "Games";
        for (auto& m : messages)
            m.timeMs = t;
        {
            Archive archive(ConfigIn(temp.Path()));
            RequireStored(archive, messages);
        }
        const std::string stamp = "[" + LocalDateTime(t) + "] ";
        CHECK(ReadLines(temp.Path() / "chat_log.txt") ==
              std::vector<std::string>{
                  stamp + "alice joined #games",
                  stamp + "#games alice: who plays?",
                  stamp + "bob: in the everyone room",
                  stamp + "bob: no room given",
                  stamp + "alice set the topic of #games: chess / tonight",
                  stamp + "alice cleared the topic of #games",
                  stamp + "alice left #games",
                  stamp + "bob left #games (bored)",
                  stamp + "#Games alice sent a file: board.png (5000000001 bytes, sha256 " +
                      HexOf(SampleFile(1).sha256) + ")",
                  stamp + "#games * Announcement: closing soon",
              });
    }

    TEST_CASE("an archive written by Obrol 0.1.0 (format 2) keeps every message, file and search after migrating")
    {
        const fs::path fixture = fs::path(OBROL_SOURCE_DIR) / "tests" / "data" / "archive-v2";
        REQUIRE(fs::exists(fixture / "archive.db"));
        TempDir temp;
        fs::copy(fixture, temp.Path(), fs::copy_options::recursive);
        REQUIRE(SqlValue(temp.Path(), "PRAGMA user_version") == "2");

        using Row = std::tuple<std::uint64_t, StoredKind, std::string, std::string, std::string>;
        const std::vector<Row> expected = {
            {1, StoredKind::Join, "ana", "", ""},
            {2, StoredKind::Join, "bo", "", ""},
            {3, StoredKind::Join, "cy", "", ""},
            {4, StoredKind::Public, "ana", "", "Hello everyone, this is Ana"},
            {5, StoredKind::Public, "bo", "", "Hi Ana! Bo here."},
            {6, StoredKind::Public, "cy", "", "Good morning from Cy"},
            {7, StoredKind::Private, "ana", "bo", "Are you coming to the caf\xC3\xA9 tonight?"},
            {8, StoredKind::Private, "bo", "ana", "Yes, at eight o'clock"},
            {9, StoredKind::Announce, "", "", "The server restarts on Sunday"},
            {10, StoredKind::Public, "ana", "", "sunset.png"},
            {11, StoredKind::Public, "cy", "", "Nice sunset picture"},
            {12, StoredKind::Private, "bo", "ana", "notes.txt"},
            {13, StoredKind::Private, "ana", "bo", "Thanks for the shopping list"},
            {14, StoredKind::Private, "cy", "ana",
             "\xC3\x9Cn\xC3\xAF" "c\xC3\xB6" "d\xC3\xA9 private note: \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
            {15, StoredKind::Public, "bo", "", "Searching works: lemons and tea"},
            {16, StoredKind::Leave, "cy", "", "quit"},
            {17, StoredKind::Public, "ana", "", "Cy has gone"},
            {18, StoredKind::Leave, "bo", "", "quit"},
            {19, StoredKind::Leave, "ana", "", "quit"},
        };
        const auto hashOf = [](const fs::path& path) {
            std::ifstream in(path, std::ios::binary);
            const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            Sha256 hash;
            hash.Update(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
            return Sha256::Hex(hash.Finish());
        };
        const std::string pictureHash = "988faf591f1d7922f44d2f3a71e69060abb5c6086ccbb031b698cc98b75b2c10";
        const std::string notesHash = "999da813383fcf7d9c5329c4f2ab96400b3489f64fd30eea6f3927e8d7d5cf4d";

        for (int opening = 0; opening < 2; ++opening) // the second opening finds format 3: nothing to do
        {
            CAPTURE(opening);
            {
                Archive archive(ConfigIn(temp.Path()));
                CHECK(archive.LastId() == 19);
                const auto all = Query(archive, [](ArchiveReader& r) { return r.Since("", 0, 100); });
                REQUIRE(all.size() == expected.size());
                for (std::size_t i = 0; i < all.size(); ++i)
                {
                    const auto& [id, kind, from, to, text] = expected[i];
                    CAPTURE(id);
                    CHECK(all[i].id == id);
                    CHECK(all[i].kind == static_cast<std::uint8_t>(kind));
                    CHECK(all[i].from == from);
                    CHECK(all[i].to == to);
                    CHECK(all[i].text == text);
                    CHECK(all[i].room == (kind == StoredKind::Private ? "" : "everyone"));
                    CHECK(all[i].file.has_value() == (id == 10 || id == 12));
                    CHECK(all[i].timeMs > 1'700'000'000'000);
                    if (i > 0)
                        CHECK(all[i].timeMs >= all[i - 1].timeMs);
                    CHECK((all[i].clientMsgId != 0) == (kind == StoredKind::Public || kind == StoredKind::Private));
                }
                const StoredFile& picture = *all[9].file;
                CHECK(picture.size == 728);
                CHECK(picture.mime == "image/png");
                CHECK(HexOf(picture.sha256) == pictureHash);
                CHECK(picture.imageWidth == 24);
                CHECK(picture.imageHeight == 16);
                CHECK(picture.thumbWidth == 24);
                CHECK(picture.thumbHeight == 16);
                const StoredFile& notes = *all[11].file;
                CHECK(notes.size == 37);
                CHECK(notes.mime == "text/plain");
                CHECK(HexOf(notes.sha256) == notesHash);
                CHECK(notes.imageWidth == 0);
                CHECK(notes.thumbWidth == 0);

                // the everyone room holds every public record, for anyone; private ones stay private
                CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("newcomer", {}, 0, 100); })) ==
                      std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 9, 10, 11, 15, 16, 17, 18, 19});
                CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Page("Ana", With("BO"), 0, 100); })) ==
                      std::vector<std::uint64_t>{7, 8, 12, 13});
                CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentPrivate("ana", 100); })) ==
                      std::vector<std::uint64_t>{7, 8, 12, 13, 14});
                CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.RecentRooms("cy", 3); })) ==
                      std::vector<std::uint64_t>{17, 18, 19});
                CHECK(Query(archive, [](ArchiveReader& r) { return r.Visible("bo", 12); })->file->size == 37);
                CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.Visible("cy", 12); }).has_value());

                // search still works through the migrated full-text index
                CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("cy", "lemons", 10); })) ==
                      std::vector<std::uint64_t>{15});
                CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("bo", "caf\xC3\xA9", 10); })) ==
                      std::vector<std::uint64_t>{7});
                CHECK(Query(archive, [](ArchiveReader& r) { return r.Search("cy", "cafe", 10); }).empty());
                CHECK(Ids(Query(archive, [](ArchiveReader& r) { return r.Search("ana", "sunset", 10); })) ==
                      std::vector<std::uint64_t>{11, 10});
                CHECK(Ids(Query(archive, [](ArchiveReader& r) {
                          return r.Search("ana", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 10);
                      })) == std::vector<std::uint64_t>{14});
                CHECK(Query(archive, [](ArchiveReader& r) { return r.FindByClientId("ANA", 1351553193607169); })->id ==
                      4);
                CHECK(Query(archive, [](ArchiveReader& r) { return r.KnownNick("CY"); }));
                CHECK(Query(archive, [](ArchiveReader& r) { return r.LastLeaveId("bo"); }) == 18);

                // names from before owned nicknames are unowned; the only room is everyone
                CHECK(Query(archive, [](ArchiveReader& r) { return r.Owners(); }).empty());
                CHECK_FALSE(Query(archive, [](ArchiveReader& r) { return r.Owner("ana"); }).has_value());
                const auto rooms = Query(archive, [](ArchiveReader& r) { return r.Rooms(); });
                REQUIRE(rooms.size() == 1);
                CHECK(rooms[0].name == "everyone");
                CHECK(rooms[0].members.empty());
                CHECK(rooms[0].createdMs == all[0].timeMs); // the archive's first record
            }
            CHECK(SqlValue(temp.Path(), "PRAGMA user_version") == "3");
            CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM messages") == "19");
            CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM files") == "2");
            CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM rooms") == "1");
            CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM room_members") == "0");
            CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM messages WHERE kind <> 1 AND room_key <> 'everyone'") ==
                  "0");
            CHECK(SqlValue(temp.Path(), "SELECT count(*) FROM messages WHERE kind = 1 AND room_key <> ''") == "0");
            CHECK(SqlValue(temp.Path(), "PRAGMA integrity_check") == "ok");
        }

        // the file blobs are untouched: same bytes as the fixture, matching their stored hashes
        for (const std::string& name : {pictureHash, notesHash, pictureHash + ".thumb"})
        {
            CAPTURE(name);
            REQUIRE(fs::exists(temp.Path() / "files" / name));
            CHECK(hashOf(temp.Path() / "files" / name) == hashOf(fixture / "files" / name));
        }
        CHECK(hashOf(temp.Path() / "files" / pictureHash) == pictureHash);
        CHECK(hashOf(temp.Path() / "files" / notesHash) == notesHash);
    }
}

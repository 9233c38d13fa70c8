// Where the chat core keeps its records: an interface, so the core knows no database. The
// SQLite archive implements it (ArchiveStore); a message bus with PostgreSQL could later (see
// docs/ARCHITECTURE.md). Append and Read may be called from the io thread; the store runs them in
// order on its own thread and calls back there (the core hops back to its io thread).
#pragma once

#include "net/protocol.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace obrol::engine {
class Archive;
struct StoredMessage;
} // namespace obrol::engine

namespace obrol::net::chat {

// A room as stored: its name, topic and members (nicknames; empty for everyone).
struct StoredRoomState
{
    std::string name;
    std::string topic;
    std::int64_t createdMs = 0;
    std::string creator;
    std::vector<std::string> members;
};

struct StoredOwnerKey
{
    std::string nick;
    PublicKey key{};
};

// What the core needs at start.
struct StoreSnapshot
{
    std::uint64_t lastId = 0; // the highest record id stored
    std::vector<StoredRoomState> rooms;
    std::vector<StoredOwnerKey> owners;
};

// Queries (store thread only, inside Read). `viewer` is a nickname; empty = everything (the
// operator). Who may see what: everyone-room records everybody, other rooms their current
// members, private messages their sender and recipient. Lists are ascending by id unless noted.
class StoreReader
{
public:
    virtual ~StoreReader() = default;
    // Up to `limit` newest records of one conversation with id < beforeId (0: no bound).
    virtual std::vector<Chat> Page(const std::string& viewer, const Target& conversation, std::uint64_t beforeId,
                                   std::size_t limit) = 0;
    // Up to `limit` oldest records of one conversation with id > afterId.
    virtual std::vector<Chat> After(const std::string& viewer, const Target& conversation, std::uint64_t afterId,
                                    std::size_t limit) = 0;
    // For everyone and each room the viewer is in: its newest `perRoomLimit` records, merged.
    virtual std::vector<Chat> RecentRooms(const std::string& viewer, std::size_t perRoomLimit) = 0;
    virtual std::vector<Chat> RecentPrivate(const std::string& viewer, std::size_t limit) = 0;
    virtual std::vector<Chat> Since(const std::string& viewer, std::uint64_t afterId, std::size_t limit) = 0;
    virtual std::vector<Chat> Search(const std::string& viewer, const std::string& query, std::size_t limit) = 0; // newest first
    virtual std::optional<Chat> Visible(const std::string& viewer, std::uint64_t id) = 0;
    virtual std::optional<Chat> FindByClientId(const std::string& sender, std::uint64_t clientMsgId) = 0;
    virtual bool KnownNick(const std::string& nick) = 0;
    virtual std::uint64_t LastLeaveId(const std::string& nick) = 0;
    // Owned nicknames (writes): false when the nickname is owned already / was not owned.
    virtual bool ClaimNick(const std::string& nick, const PublicKey& key, std::int64_t timeMs) = 0;
    virtual bool ReleaseNick(const std::string& nick) = 0;
};

class Store
{
public:
    using Done = std::function<void(bool ok, const std::string& error)>;
    virtual ~Store() = default;
    // Blocking; once, before the core serves anyone.
    virtual StoreSnapshot Load() = 0;
    // Stores a record (with its sender's message id, 0 for system records); `done` on the store's thread.
    virtual void Append(const Chat& record, std::uint64_t clientMsgId, Done done) = 0;
    // Runs `fn` on the store's thread after every Append submitted before it.
    virtual void Read(std::function<void(StoreReader&)> fn) = 0;
};

// The SQLite archive (archive.db, chat_log.txt in `archive`'s folder) as a Store.
std::unique_ptr<Store> MakeArchiveStore(engine::Archive& archive);

Chat ToChat(const engine::StoredMessage& m);

} // namespace obrol::net::chat

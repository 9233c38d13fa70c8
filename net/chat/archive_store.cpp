// The SQLite archive as the chat core's Store: converts records to and from the archive's rows.
// Append/Read are called from the server's io thread; everything else runs on the archive thread.
#include "net/chat/store.hpp"

#include "engine/archive.hpp"
#include "engine/utf8.hpp"

#include <future>

namespace obrol::net::chat {

Chat ToChat(const engine::StoredMessage& m)
{
    Chat chat;
    chat.id = m.id;
    chat.timeMs = m.timeMs;
    chat.kind = static_cast<ChatKind>(m.kind);
    chat.from = m.from;
    chat.to = chat.kind == ChatKind::Private ? Target::Person(m.to)
                                             : Target::Room(m.room.empty() ? std::string(EveryoneRoom) : m.room);
    chat.text = m.text;
    if (m.file)
        chat.file = FileInfo{m.file->size,       m.file->mime,       m.file->sha256,     m.file->thumbWidth,
                             m.file->thumbHeight, m.file->imageWidth, m.file->imageHeight};
    return chat;
}

namespace {

engine::StoredMessage ToStored(const Chat& record, std::uint64_t clientMsgId)
{
    engine::StoredMessage m;
    m.id = record.id;
    m.timeMs = record.timeMs;
    m.kind = static_cast<std::uint8_t>(record.kind);
    m.from = record.from;
    if (record.to.IsPerson())
        m.to = record.to.name;
    else
        m.room = record.to.name;
    m.text = record.text;
    m.clientMsgId = clientMsgId; // lets a resend be recognised
    if (record.file)
        m.file = engine::StoredFile{record.file->size,       record.file->mime,       record.file->sha256,
                                    record.file->thumbWidth, record.file->thumbHeight, record.file->imageWidth,
                                    record.file->imageHeight};
    return m;
}

engine::ConversationRef ToRef(const Target& target)
{
    engine::ConversationRef ref;
    ref.kind = target.IsRoom() ? engine::ConversationRef::Kind::Room : engine::ConversationRef::Kind::Private;
    ref.name = target.name;
    return ref;
}

std::vector<Chat> ToChats(const std::vector<engine::StoredMessage>& messages)
{
    std::vector<Chat> chats;
    chats.reserve(messages.size());
    for (const auto& m : messages)
        chats.push_back(ToChat(m));
    return chats;
}

std::optional<Chat> ToOptionalChat(const std::optional<engine::StoredMessage>& m)
{
    if (!m)
        return std::nullopt;
    return chat::ToChat(*m);
}

class ArchiveReaderAdapter final : public StoreReader
{
public:
    explicit ArchiveReaderAdapter(engine::ArchiveReader& r) : m_r(r) {}

    std::vector<Chat> Page(const std::string& viewer, const Target& conversation, std::uint64_t beforeId,
                           std::size_t limit) override
    {
        return ToChats(m_r.Page(viewer, ToRef(conversation), beforeId, limit));
    }
    std::vector<Chat> After(const std::string& viewer, const Target& conversation, std::uint64_t afterId,
                            std::size_t limit) override
    {
        return ToChats(m_r.After(viewer, ToRef(conversation), afterId, limit));
    }
    std::vector<Chat> RecentRooms(const std::string& viewer, std::size_t perRoomLimit) override
    {
        return ToChats(m_r.RecentRooms(viewer, perRoomLimit));
    }
    std::vector<Chat> RecentPrivate(const std::string& viewer, std::size_t limit) override
    {
        return ToChats(m_r.RecentPrivate(viewer, limit));
    }
    std::vector<Chat> Since(const std::string& viewer, std::uint64_t afterId, std::size_t limit) override
    {
        return ToChats(m_r.Since(viewer, afterId, limit));
    }
    std::vector<Chat> Search(const std::string& viewer, const std::string& query, std::size_t limit) override
    {
        return ToChats(m_r.Search(viewer, query, limit));
    }
    std::optional<Chat> Visible(const std::string& viewer, std::uint64_t id) override
    {
        return ToOptionalChat(m_r.Visible(viewer, id));
    }
    std::optional<Chat> FindByClientId(const std::string& sender, std::uint64_t clientMsgId) override
    {
        return ToOptionalChat(m_r.FindByClientId(sender, clientMsgId));
    }
    bool KnownNick(const std::string& nick) override { return m_r.KnownNick(nick); }
    std::uint64_t LastLeaveId(const std::string& nick) override { return m_r.LastLeaveId(nick); }
    bool ClaimNick(const std::string& nick, const PublicKey& key, std::int64_t timeMs) override
    {
        return m_r.ClaimNick(nick, key, timeMs);
    }
    bool ReleaseNick(const std::string& nick) override { return m_r.ReleaseNick(nick); }

private:
    engine::ArchiveReader& m_r;
};

class ArchiveStore final : public Store
{
public:
    explicit ArchiveStore(engine::Archive& archive) : m_archive(archive) {}

    StoreSnapshot Load() override
    {
        std::promise<StoreSnapshot> promise;
        auto future = promise.get_future();
        m_archive.Read([&promise, this](engine::ArchiveReader& r) {
            try
            {
                StoreSnapshot s;
                s.lastId = m_archive.LastId();
                for (auto& room : r.Rooms())
                    s.rooms.push_back({room.name, room.topic, room.createdMs, room.creator, std::move(room.members)});
                for (const auto& owner : r.Owners())
                    s.owners.push_back({owner.nick, owner.publicKey});
                promise.set_value(std::move(s));
            }
            catch (...)
            {
                promise.set_exception(std::current_exception());
            }
        });
        return future.get();
    }

    void Append(const Chat& record, std::uint64_t clientMsgId, Done done) override
    {
        m_archive.Append(ToStored(record, clientMsgId), std::move(done));
    }

    void Read(std::function<void(StoreReader&)> fn) override
    {
        m_archive.Read([fn = std::move(fn)](engine::ArchiveReader& r) {
            ArchiveReaderAdapter adapter(r);
            fn(adapter);
        });
    }

private:
    engine::Archive& m_archive;
};

} // namespace

std::unique_ptr<Store> MakeArchiveStore(engine::Archive& archive)
{
    return std::make_unique<ArchiveStore>(archive);
}

} // namespace obrol::net::chat

#include "net/chat/core.hpp"

#include "engine/clock.hpp"
#include "engine/utf8.hpp"

#include <algorithm>

namespace obrol::net::chat {

const char* DoorName(Door door)
{
    switch (door)
    {
    case Door::Obrol: return "obrol";
    case Door::Web: return "web";
    case Door::Irc: return "irc";
    case Door::Test: return "test";
    }
    return "?";
}

namespace {

using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

// History and search answers must fit one frame.
constexpr std::size_t AnswerBudget = MaxFramePayload - 4096;

// Keeps the newest (the tail of an ascending list) that fit; true when any were dropped.
bool KeepNewestThatFit(std::vector<Chat>& ascending)
{
    std::size_t total = 0;
    std::size_t keep = 0;
    for (auto it = ascending.rbegin(); it != ascending.rend() && total + EncodedSize(*it) <= AnswerBudget; ++it)
    {
        total += EncodedSize(*it);
        ++keep;
    }
    if (keep == ascending.size())
        return false;
    ascending.erase(ascending.begin(), ascending.end() - static_cast<std::ptrdiff_t>(keep));
    return true;
}

// Keeps the first ones of a list that fit; true when any were dropped.
bool KeepFirstThatFit(std::vector<Chat>& list)
{
    std::size_t total = 0;
    std::size_t keep = 0;
    for (; keep < list.size() && total + EncodedSize(list[keep]) <= AnswerBudget; ++keep)
        total += EncodedSize(list[keep]);
    if (keep == list.size())
        return false;
    list.resize(keep);
    return true;
}

std::vector<std::string> SortedValues(const std::map<std::string, std::string>& byKey)
{
    std::vector<std::string> out;
    out.reserve(byKey.size());
    for (const auto& [key, nick] : byKey)
        out.push_back(nick);
    return out; // map order: by folded name
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

} // namespace

std::size_t EncodedSize(const Chat& m)
{
    return 8 + 8 + 1 + 4 + m.from.size() + 1 + 4 + m.to.name.size() + 4 + m.text.size() + 1 +
           (m.file ? 8 + 4 + m.file->mime.size() + 32 + 2 * 2 + 2 * 4 : 0);
}

Core::Core(asio::io_context& io, CoreConfig config, CoreHooks hooks)
    : m_io(io), m_config(config), m_hooks(std::move(hooks))
{
}

void Core::Open(Store* store)
{
    m_store = store;
    if (!m_store)
        return;
    StoreSnapshot snapshot = m_store->Load();
    m_nextId = snapshot.lastId + 1;
    for (auto& room : snapshot.rooms)
    {
        const std::string key = engine::FoldCase(room.name);
        if (key == EveryoneRoom)
            continue;
        RoomData& r = m_rooms[key];
        r.name = room.name;
        r.topic = room.topic;
        r.createdMs = room.createdMs;
        r.creator = room.creator;
        for (auto& nick : room.members)
            r.members.emplace(engine::FoldCase(nick), nick);
    }
    for (const auto& owner : snapshot.owners)
        m_owners[engine::FoldCase(owner.nick)] = owner.key;
}

template <class Result> void Core::Query(std::function<Result(StoreReader&)> query, std::function<void(Result)> then)
{
    // The guard keeps io.run() going until the answer is back: a stop never loses an answer.
    auto guard = std::make_shared<WorkGuard>(m_io.get_executor());
    m_store->Read([this, guard, query = std::move(query), then = std::move(then)](StoreReader& reader) mutable {
        std::optional<Result> result;
        std::string failure;
        try
        {
            result = query(reader);
        }
        catch (const std::exception& e)
        {
            failure = e.what();
            result = Result{}; // answer with nothing rather than leave the asker waiting
        }
        asio::post(m_io, [this, guard, failure, then = std::move(then), result = std::move(*result)]() mutable {
            if (!failure.empty() && m_hooks.log)
                m_hooks.log("archive read failed: " + failure);
            then(std::move(result));
            guard->reset();
        });
    });
}

Core::User* Core::UserOf(const Participant& p)
{
    auto it = m_users.find(p.Id());
    return it == m_users.end() ? nullptr : &it->second;
}

Participant* Core::Find(const std::string& nick) const
{
    auto it = m_byNick.find(engine::FoldCase(nick));
    return it == m_byNick.end() ? nullptr : m_users.at(it->second).participant;
}

std::vector<std::string> Core::Users() const { return SortedValues(m_presence); }

bool Core::IsOwned(const std::string& nick) const { return m_owners.count(engine::FoldCase(nick)) != 0; }

// [SECTION] Users

LoginResult Core::Login(Participant& p, LoginRequest request)
{
    LoginResult result;
    const auto refuse = [&](RefuseCode code, std::string reason) {
        result.code = code;
        result.reason = std::move(reason);
        if (m_hooks.refused)
            m_hooks.refused(p.Address(), request.nick, result.reason);
        return result;
    };
    if (LoggedIn(p))
        return refuse(RefuseCode::BadHello, "already logged in");
    if (std::string problem = engine::NicknameProblem(request.nick); !problem.empty())
        return refuse(RefuseCode::NickInvalid, Quote(request.nick) + " is not a valid nickname: " + problem);
    const std::string key = engine::FoldCase(request.nick);
    const auto owner = m_owners.find(key);
    if (owner != m_owners.end() && (!request.key || *request.key != owner->second))
        return refuse(RefuseCode::NickOwned, "the nickname " + Quote(request.nick) +
                                                 " belongs to someone else (another identity key); choose another, "
                                                 "or ask the server's operator to release it");
    if (auto holder = m_byNick.find(key); holder != m_byNick.end())
    {
        User& old = m_users.at(holder->second);
        // The same client run reconnecting while its old connection still looks alive to us: the
        // new connection takes the nickname over. Only with the same key and the same run token.
        const bool sameClient = request.token != 0 && old.token == request.token && old.key == request.key;
        if (!sameClient)
            return refuse(RefuseCode::NickTaken, "the nickname " + Quote(request.nick) + " is already taken; choose another");
        Participant* stale = old.participant;
        Logout(*stale, "reconnected");
        stale->Dismiss(ByeReason::Quit, "replaced by a new connection from the same client", "replaced by a new connection");
    }
    if (m_users.size() >= m_config.maxUsers)
        return refuse(RefuseCode::ServerFull, "the server is full (" + std::to_string(m_config.maxUsers) + " users)");

    if (request.key && owner == m_owners.end())
    {
        // First use binds the name to this key: at once in memory (so two claims are ordered
        // here), then in the store.
        m_owners.emplace(key, *request.key);
        result.claimed = true;
        if (m_store)
            Query<bool>([nick = request.nick, k = *request.key](StoreReader& r) {
                return r.ClaimNick(nick, k, engine::NowMs());
            },
                        [](bool) {});
    }
    User& user = m_users[p.Id()];
    user.participant = &p;
    user.nick = request.nick;
    user.key = request.key;
    user.token = request.token;
    p.m_nick = request.nick;
    m_byNick[key] = p.Id();
    m_online.push_back(&p);

    result.ok = true;
    result.nick = request.nick;
    // presence as delivered so far, plus this user (its own Join follows), in folded-name order
    result.users.reserve(m_presence.size() + 1);
    bool placed = m_presence.count(key) != 0;
    for (const auto& [folded, nick] : m_presence)
    {
        if (!placed && key < folded)
        {
            result.users.push_back(request.nick);
            placed = true;
        }
        result.users.push_back(nick);
    }
    if (!placed)
        result.users.push_back(request.nick);
    result.rooms.push_back(*Room(EveryoneRoom, false));
    result.rooms.front().memberCount = static_cast<std::uint32_t>(result.users.size());
    for (const auto& [roomKey, room] : m_rooms)
        if (room.members.count(key))
            result.rooms.push_back(Info(room, request.nick, true));
    if (m_hooks.joined)
        m_hooks.joined(p, request.software);
    CommitSystem(Record(ChatKind::Join, request.nick, Target::Everyone(), {}));
    return result;
}

void Core::Logout(Participant& p, const std::string& reason)
{
    auto it = m_users.find(p.Id());
    if (it == m_users.end())
        return;
    const std::string nick = it->second.nick;
    m_byNick.erase(engine::FoldCase(nick));
    std::erase(m_online, &p);
    m_users.erase(it);
    if (m_hooks.left)
        m_hooks.left(p, reason);
    CommitSystem(Record(ChatKind::Leave, nick, Target::Everyone(), reason));
}

bool Core::Kick(const std::string& nick)
{
    Participant* p = Find(nick);
    if (!p)
        return false;
    p->Dismiss(ByeReason::Kicked, "", "kicked by the server");
    return true;
}

bool Core::ReleaseNick(const std::string& nick)
{
    const bool owned = m_owners.erase(engine::FoldCase(nick)) > 0;
    if (m_store)
        Query<bool>([nick](StoreReader& r) { return r.ReleaseNick(nick); }, [](bool) {});
    return owned;
}

// [SECTION] Records: stored first, then applied and delivered in commit order

Chat Core::Record(ChatKind kind, std::string from, Target to, std::string text)
{
    Chat chat;
    chat.id = m_nextId++;
    chat.timeMs = engine::NowMs();
    chat.kind = kind;
    chat.from = std::move(from);
    chat.to = std::move(to);
    chat.text = std::move(text);
    return chat;
}

void Core::Commit(const Chat& record, std::uint64_t clientMsgId, Participant* sender,
                  std::function<void(bool, const std::string&)> done)
{
    // the sender may have left by the time it is stored: then it is only compared, never used
    const std::uint64_t senderId = sender ? sender->Id() : 0;
    auto finish = [this, record, senderId, done = std::move(done)](bool ok, const std::string& error) {
        if (ok)
        {
            auto it = m_users.find(senderId);
            Apply(record, it == m_users.end() ? nullptr : it->second.participant);
        }
        done(ok, error);
    };
    if (!m_store)
        return finish(true, {});
    auto guard = std::make_shared<WorkGuard>(m_io.get_executor());
    m_store->Append(record, clientMsgId, [this, guard, finish = std::move(finish)](bool ok, const std::string& error) mutable {
        asio::post(m_io, [guard, finish = std::move(finish), ok, error]() mutable {
            finish(ok, error);
            guard->reset();
        });
    });
}

void Core::CommitSystem(const Chat& record)
{
    Commit(record, 0, nullptr, [this, record](bool ok, const std::string& error) {
        if (!ok && m_hooks.storageFailed)
            m_hooks.storageFailed(record.from.empty() ? std::string("the server") : record.from,
                                  std::string("could not store a ") + ChatKindName(record.kind) + " record: " + error);
    });
}

void Core::Apply(const Chat& record, Participant* sender)
{
    const std::string who = engine::FoldCase(record.from);
    bool roomsChanged = false;
    Participant* also = nullptr; // gets it although no longer a member (the one who left)
    switch (record.kind)
    {
    case ChatKind::Join: m_presence[who] = record.from; break;
    case ChatKind::Leave: m_presence.erase(who); break;
    case ChatKind::RoomJoin:
    {
        RoomData& room = m_rooms[engine::FoldCase(record.to.name)];
        if (room.name.empty())
        {
            room.name = record.to.name;
            room.createdMs = record.timeMs;
            room.creator = record.from;
        }
        room.members[who] = record.from;
        roomsChanged = true;
        break;
    }
    case ChatKind::RoomLeave:
        if (auto it = m_rooms.find(engine::FoldCase(record.to.name)); it != m_rooms.end())
            it->second.members.erase(who);
        also = Find(record.from);
        roomsChanged = true;
        break;
    case ChatKind::Topic:
        if (auto it = m_rooms.find(engine::FoldCase(record.to.name)); it != m_rooms.end())
            it->second.topic = record.text;
        roomsChanged = true;
        break;
    default: break;
    }
    // A text message is not echoed to its sender (the Ack confirms it); a file message is, so its
    // sender learns the details (hash, preview) from the message itself. A joiner learns of its
    // own Join from Welcome.
    Participant* except = nullptr;
    if (record.kind == ChatKind::Public && !record.file)
        except = sender;
    else if (record.kind == ChatKind::Join)
        except = Find(record.from);
    Deliver(record, except, also);
    if (m_hooks.stored)
        m_hooks.stored(record, sender);
    if (roomsChanged && m_hooks.roomsChanged)
        m_hooks.roomsChanged();
}

void Core::Deliver(const Chat& record, Participant* except, Participant* also)
{
    SharedFrames frames;
    // Copy: a slow reader cut off during delivery logs out while we iterate.
    std::vector<Participant*> recipients;
    if (record.kind == ChatKind::Private)
    {
        if (Participant* to = Find(record.to.name))
            recipients.push_back(to);
        if (record.file)
            if (Participant* from = Find(record.from))
                recipients.push_back(from);
        except = nullptr;
    }
    else if (record.to.IsEveryone())
        recipients = m_online;
    else if (auto it = m_rooms.find(engine::FoldCase(record.to.name)); it != m_rooms.end())
    {
        for (const auto& [key, nick] : it->second.members)
            if (auto user = m_byNick.find(key); user != m_byNick.end())
                recipients.push_back(m_users.at(user->second).participant);
    }
    if (also && std::find(recipients.begin(), recipients.end(), also) == recipients.end())
        recipients.push_back(also);
    std::vector<std::uint64_t> ids;
    ids.reserve(recipients.size());
    for (Participant* p : recipients)
        ids.push_back(p->Id());
    for (std::size_t i = 0; i < recipients.size(); ++i)
        if (recipients[i] != except && m_users.count(ids[i])) // still logged in
            recipients[i]->Deliver(record, frames);
}

// [SECTION] Messages

bool Core::MayUse(const std::string& nick, const Target& target) const
{
    if (target.IsPerson() || target.IsEveryone())
        return true;
    const RoomData* room = FindRoom(target.name);
    return room && room->members.count(engine::FoldCase(nick));
}

Outcome Core::CheckTarget(const std::string& sender, const Target& to) const
{
    if (to.IsPerson())
    {
        if (engine::FoldCase(to.name) == engine::FoldCase(sender))
            return Outcome::Fail(ErrorCode::UnknownUser, "a private message needs someone other than yourself");
        return {};
    }
    if (to.IsEveryone())
        return {};
    if (!FindRoom(to.name))
        return Outcome::Fail(ErrorCode::UnknownRoom, "there is no room #" + to.name);
    if (!MayUse(sender, to))
        return Outcome::Fail(ErrorCode::NotAMember, "you are not in #" + to.name + "; join it first");
    return {};
}

void Core::InOrder(Participant& p, Task task)
{
    User* user = UserOf(p);
    if (!user)
        return task([] {});
    user->tasks.push_back(std::move(task));
    RunTasks(p.Id());
}

void Core::RunTasks(std::uint64_t userId)
{
    for (;;)
    {
        auto it = m_users.find(userId);
        if (it == m_users.end())
            return;
        User& user = it->second;
        if (user.busy || user.tasks.empty())
            return;
        Task task = std::move(user.tasks.front());
        user.tasks.pop_front();
        user.busy = true;
        const std::uint64_t generation = ++user.generation;
        // `done` may run at once (the loop goes on) or later (it restarts the loop)
        auto done = std::make_shared<bool>(false);
        auto inside = std::make_shared<bool>(true);
        task([this, userId, generation, done, inside] {
            if (*done)
                return;
            *done = true;
            auto it = m_users.find(userId);
            if (it == m_users.end() || it->second.generation != generation)
                return;
            it->second.busy = false;
            if (!*inside)
                RunTasks(userId);
        });
        *inside = false;
    }
}

void Core::Say(Participant& p, net::Say say, PostDone done)
{
    if (!LoggedIn(p))
    {
        PostResult r;
        r.code = ErrorCode::NotJoined;
        r.error = "join with a nickname before sending messages";
        return done(r);
    }
    const std::uint64_t userId = p.Id();
    InOrder(p, [this, userId, say = std::move(say), done = std::move(done)](std::function<void()> next) mutable {
        auto it = m_users.find(userId);
        if (it == m_users.end())
            return next();
        if (!say.resend || !m_store || say.clientMsgId == 0)
            return Post(*it->second.participant, say, std::move(done), std::move(next));
        // a resend first asks the store whether it was stored already; later requests wait
        const std::uint64_t id = say.clientMsgId;
        Query<std::optional<Chat>>(
            [nick = it->second.nick, id](StoreReader& r) { return r.FindByClientId(nick, id); },
            [this, userId, say = std::move(say), done = std::move(done), next = std::move(next)](std::optional<Chat> stored) mutable {
                auto it = m_users.find(userId);
                if (it == m_users.end())
                    return next();
                if (!stored)
                    return Post(*it->second.participant, say, std::move(done), std::move(next));
                PostResult r; // already stored: acknowledge again, never store twice
                r.ok = true;
                r.chat = *stored;
                done(r);
                next();
            });
    });
}

void Core::Post(Participant& p, const net::Say& say, PostDone done, std::function<void()> next)
{
    User* user = UserOf(p);
    PostResult result;
    const auto fail = [&](ErrorCode code, std::string error) {
        result.code = code;
        result.error = std::move(error);
        done(result);
        next();
    };
    std::string text = engine::CleanMessageText(say.text);
    if (text.empty())
        return fail(ErrorCode::EmptyText, "empty messages are not sent");
    if (text.size() > MaxTextBytes)
        return fail(ErrorCode::TextTooLong, "message too long (" + std::to_string(text.size()) +
                                                " bytes; the limit is " + std::to_string(MaxTextBytes) + ")");
    if (const Outcome check = CheckTarget(user->nick, say.to); !check.ok)
        return fail(check.code, check.error);
    if (say.to.IsRoom())
    {
        const RoomData* room = FindRoom(say.to.name);
        const Target to = Target::Room(room ? room->name : std::string(EveryoneRoom));
        StorePost(&p, Record(ChatKind::Public, user->nick, to, std::move(text)), say.clientMsgId, std::move(done));
        return next(); // ids follow this order: the next request need not wait for the store
    }
    if (Participant* recipient = Find(say.to.name))
    {
        StorePost(&p, Record(ChatKind::Private, user->nick, Target::Person(recipient->Nick()), std::move(text)),
                  say.clientMsgId, std::move(done));
        return next();
    }
    if (!m_store)
        return fail(ErrorCode::UnknownUser, "nobody called " + Quote(say.to.name) + " is online");
    // Offline: keep it for them if they have been here before. Later requests of this sender
    // wait, and the id is taken only once we know, so ids stay in commit order.
    KnownNick(say.to.name, [this, userId = p.Id(), to = say.to.name, clientMsgId = say.clientMsgId, text = std::move(text),
                            done = std::move(done), next = std::move(next)](bool known) mutable {
        auto it = m_users.find(userId);
        if (it == m_users.end())
            return next();
        User& u = it->second;
        if (!known)
        {
            PostResult r;
            r.code = ErrorCode::UnknownUser;
            r.error = "nobody called " + Quote(to) + " has ever joined this server";
            done(r);
        }
        else
        {
            Participant* recipient = Find(to); // may have joined meanwhile
            StorePost(u.participant, Record(ChatKind::Private, u.nick, Target::Person(recipient ? recipient->Nick() : to), std::move(text)),
                      clientMsgId, std::move(done));
        }
        next();
    });
}

void Core::StorePost(Participant* from, const Chat& record, std::uint64_t clientMsgId, PostDone done)
{
    Commit(record, clientMsgId, from, [record, done = std::move(done)](bool ok, const std::string& error) {
        PostResult r;
        r.chat = record;
        r.ok = ok;
        if (!ok)
        {
            r.code = ErrorCode::StorageFailed;
            r.error = "the server could not store your message (" + error + "); it was not sent";
        }
        done(r);
    });
}

void Core::PostFile(const std::string& sender, const Target& to, const std::string& name, const FileInfo& file,
                    std::uint64_t clientMsgId, PostDone done)
{
    const auto record = [&](ChatKind kind, Target target) {
        Chat chat = Record(kind, sender, std::move(target), name);
        chat.file = file;
        return chat;
    };
    Participant* from = Find(sender);
    if (const Outcome check = CheckTarget(sender, to); !check.ok)
    {
        PostResult r;
        r.code = check.code;
        r.error = check.error;
        return done(r);
    }
    if (to.IsRoom())
    {
        const RoomData* room = FindRoom(to.name);
        return StorePost(from, record(ChatKind::Public, Target::Room(room ? room->name : std::string(EveryoneRoom))),
                         clientMsgId, std::move(done));
    }
    Participant* recipient = Find(to.name);
    // the upload was accepted for a known (possibly offline) user: the file is kept for them
    StorePost(from, record(ChatKind::Private, Target::Person(recipient ? recipient->Nick() : to.name)), clientMsgId,
              std::move(done));
}

void Core::Announce(const std::string& text)
{
    CommitSystem(Record(ChatKind::Announce, {}, Target::Everyone(), engine::CleanMessageText(text)));
}

// [SECTION] Rooms

const Core::RoomData* Core::FindRoom(const std::string& name) const
{
    auto it = m_rooms.find(engine::FoldCase(name));
    return it == m_rooms.end() ? nullptr : &it->second;
}

RoomInfo Core::Info(const RoomData& room, const std::string& viewer, bool withMembers) const
{
    RoomInfo info;
    info.name = room.name;
    info.topic = room.topic;
    info.memberCount = static_cast<std::uint32_t>(room.members.size());
    info.member = !viewer.empty() && room.members.count(engine::FoldCase(viewer));
    if (withMembers)
        info.members = SortedValues(room.members);
    return info;
}

std::optional<RoomInfo> Core::Room(const std::string& name, bool withMembers) const
{
    if (engine::FoldCase(name) == EveryoneRoom)
    {
        RoomInfo everyone;
        everyone.name = EveryoneRoom;
        everyone.memberCount = static_cast<std::uint32_t>(std::max(m_presence.size(), m_users.size()));
        everyone.member = true;
        return everyone;
    }
    const RoomData* room = FindRoom(name);
    if (!room)
        return std::nullopt;
    return Info(*room, {}, withMembers);
}

RoomInfo Core::Joined(const std::string& room) const
{
    RoomInfo info = *Room(room, true);
    info.member = true; // the RoomState of a room the user is in
    return info;
}

std::vector<RoomInfo> Core::ListRooms(const std::string& viewer) const
{
    std::vector<RoomInfo> rooms;
    rooms.reserve(m_rooms.size() + 1);
    rooms.push_back(*Room(EveryoneRoom, false));
    for (const auto& [key, room] : m_rooms)
        rooms.push_back(Info(room, viewer, false));
    return rooms;
}

void Core::JoinRoom(Participant& p, const std::string& name, std::function<void(const Outcome&, const RoomInfo&)> done)
{
    // in order with this user's other requests, and the next one waits until it is stored: a
    // message to the room right behind the join finds the user in it
    const std::uint64_t userId = p.Id();
    InOrder(p, [this, userId, name, done = std::move(done)](std::function<void()> next) mutable {
        auto it = m_users.find(userId);
        if (it == m_users.end())
            return next();
        DoJoinRoom(*it->second.participant, name, [done = std::move(done), next](const Outcome& o, const RoomInfo& info) {
            done(o, info);
            next();
        });
    });
}

void Core::DoJoinRoom(Participant& p, const std::string& name, std::function<void(const Outcome&, const RoomInfo&)> done)
{
    User* user = UserOf(p);
    if (!user)
        return done(Outcome::Fail(ErrorCode::NotJoined, "join with a nickname first"), {});
    if (std::string problem = engine::RoomNameProblem(name); !problem.empty())
        return done(Outcome::Fail(ErrorCode::InvalidName, Quote(name) + " is not a valid room name: " + problem), {});
    const RoomData* room = FindRoom(name);
    if (engine::FoldCase(name) == EveryoneRoom || (room && room->members.count(engine::FoldCase(user->nick))))
        return done({}, Joined(name)); // already in it
    const Chat record = Record(ChatKind::RoomJoin, user->nick, Target::Room(room ? room->name : name), {});
    Commit(record, 0, &p, [this, record, done = std::move(done)](bool ok, const std::string& error) {
        if (!ok)
        {
            if (m_hooks.storageFailed)
                m_hooks.storageFailed(record.from, "could not store a room join: " + error);
            return done(Outcome::Fail(ErrorCode::StorageFailed, "the server could not store your joining #" +
                                                                    record.to.name + " (" + error + ")"),
                        {});
        }
        done({}, Joined(record.to.name));
    });
}

void Core::PartRoom(Participant& p, const std::string& name, const std::string& reason, std::function<void(const Outcome&)> done)
{
    const std::uint64_t userId = p.Id();
    InOrder(p, [this, userId, name, reason, done = std::move(done)](std::function<void()> next) mutable {
        auto it = m_users.find(userId);
        if (it == m_users.end())
            return next();
        DoPartRoom(*it->second.participant, name, reason, [done = std::move(done), next](const Outcome& o) {
            done(o);
            next();
        });
    });
}

void Core::DoPartRoom(Participant& p, const std::string& name, const std::string& reason, std::function<void(const Outcome&)> done)
{
    User* user = UserOf(p);
    if (!user)
        return done(Outcome::Fail(ErrorCode::NotJoined, "join with a nickname first"));
    if (engine::FoldCase(name) == EveryoneRoom)
        return done(Outcome::Fail(ErrorCode::NotAllowed, "everyone is in the everyone room; it cannot be left"));
    const RoomData* room = FindRoom(name);
    if (!room)
        return done(Outcome::Fail(ErrorCode::UnknownRoom, "there is no room #" + name));
    if (!room->members.count(engine::FoldCase(user->nick)))
        return done(Outcome::Fail(ErrorCode::NotAMember, "you are not in #" + room->name));
    const Chat record = Record(ChatKind::RoomLeave, user->nick, Target::Room(room->name), engine::CleanMessageText(reason));
    Commit(record, 0, &p, [done = std::move(done)](bool ok, const std::string& error) {
        done(ok ? Outcome{} : Outcome::Fail(ErrorCode::StorageFailed, "the server could not store it (" + error + ")"));
    });
}

void Core::SetTopic(Participant& p, const std::string& name, const std::string& topic, std::function<void(const Outcome&)> done)
{
    const std::uint64_t userId = p.Id();
    InOrder(p, [this, userId, name, topic, done = std::move(done)](std::function<void()> next) mutable {
        auto it = m_users.find(userId);
        if (it == m_users.end())
            return next();
        DoSetTopic(*it->second.participant, name, topic, [done = std::move(done), next](const Outcome& o) {
            done(o);
            next();
        });
    });
}

void Core::DoSetTopic(Participant& p, const std::string& name, const std::string& topic, std::function<void(const Outcome&)> done)
{
    User* user = UserOf(p);
    if (!user)
        return done(Outcome::Fail(ErrorCode::NotJoined, "join with a nickname first"));
    const RoomData* room = FindRoom(name);
    if (engine::FoldCase(name) == EveryoneRoom)
        return done(Outcome::Fail(ErrorCode::NotAllowed, "the everyone room has no topic"));
    if (!room)
        return done(Outcome::Fail(ErrorCode::UnknownRoom, "there is no room #" + name));
    if (!room->members.count(engine::FoldCase(user->nick)))
        return done(Outcome::Fail(ErrorCode::NotAMember, "you are not in #" + room->name + "; join it first"));
    std::string clean = engine::CleanMessageText(topic);
    std::replace(clean.begin(), clean.end(), '\n', ' ');
    if (clean.size() > MaxTopicBytes)
        return done(Outcome::Fail(ErrorCode::TextTooLong, "a topic can have at most " + std::to_string(MaxTopicBytes) + " bytes"));
    const Chat record = Record(ChatKind::Topic, user->nick, Target::Room(room->name), std::move(clean));
    Commit(record, 0, &p, [done = std::move(done)](bool ok, const std::string& error) {
        done(ok ? Outcome{} : Outcome::Fail(ErrorCode::StorageFailed, "the server could not store it (" + error + ")"));
    });
}

// [SECTION] Queries

void Core::JoinHistory(Participant& p, std::uint64_t lastSeenId, std::function<void(History)> done)
{
    if (!m_store || (lastSeenId == 0 && m_config.historyLimit == 0))
        return done(History{});
    if (lastSeenId > 0)
        return Missed(p.Nick(), lastSeenId, std::move(done));
    const std::size_t limit = m_config.historyLimit;
    Query<History>(
        [nick = p.Nick(), limit](StoreReader& r) {
            History h;
            h.reason = HistoryReason::Join;
            auto all = r.RecentRooms(nick, limit + 1);
            // one more than the limit came back for a conversation: it has older records
            std::map<std::string, std::size_t> counts;
            for (const auto& c : all)
                if (++counts[engine::FoldCase(c.to.name)] > limit)
                    h.more = true;
            // our own Join, just stored, is shown as "You joined": it must not take a slot
            for (auto it = all.rbegin(); it != all.rend(); ++it)
                if (it->to.IsEveryone())
                {
                    if (it->kind == ChatKind::Join && engine::FoldCase(it->from) == engine::FoldCase(nick))
                        all.erase(std::next(it).base());
                    break;
                }
            // at most `limit` per conversation, the newest
            std::map<std::string, std::size_t> left;
            std::vector<Chat> kept;
            for (auto it = all.rbegin(); it != all.rend(); ++it)
            {
                std::size_t& n = left.try_emplace(engine::FoldCase(it->to.name), limit).first->second;
                if (n == 0)
                    continue;
                --n;
                kept.push_back(std::move(*it));
            }
            std::reverse(kept.begin(), kept.end());
            const auto privates = r.RecentPrivate(nick, limit);
            kept.insert(kept.end(), privates.begin(), privates.end());
            std::sort(kept.begin(), kept.end(), [](const Chat& a, const Chat& b) { return a.id < b.id; });
            h.more = KeepNewestThatFit(kept) || h.more;
            h.unreadAfter = r.LastLeaveId(nick);
            h.chats = std::move(kept);
            return h;
        },
        std::move(done));
}

void Core::Missed(const std::string& viewer, std::uint64_t afterId, std::function<void(History)> done)
{
    if (!m_store)
    {
        History h;
        h.reason = HistoryReason::Resume;
        h.unreadAfter = afterId;
        return done(h);
    }
    Query<History>(
        [viewer, afterId](StoreReader& r) {
            History h;
            h.reason = HistoryReason::Resume;
            h.unreadAfter = afterId;
            auto missed = r.Since(viewer, afterId, MaxHistoryChats);
            h.more = missed.size() == MaxHistoryChats;
            h.more = KeepFirstThatFit(missed) || h.more;
            h.chats = std::move(missed);
            return h;
        },
        std::move(done));
}

void Core::Page(const std::string& viewer, const HistoryRequest& request, std::function<void(History)> done)
{
    History h;
    h.reason = request.around ? HistoryReason::Around : HistoryReason::Page;
    h.conversation = request.conversation;
    if (!m_store)
        return done(h);
    const std::size_t limit = std::clamp<std::size_t>(request.limit, 1, 500);
    Query<History>(
        [viewer, request, limit, h = std::move(h)](StoreReader& r) mutable {
            if (request.around)
            {
                // the message itself with up to limit/2 before and after it
                auto around = r.Page(viewer, request.conversation, request.beforeId + 1, limit / 2 + 1);
                h.more = around.size() == limit / 2 + 1;
                const auto after = r.After(viewer, request.conversation, request.beforeId, limit / 2);
                around.insert(around.end(), after.begin(), after.end());
                h.more = KeepFirstThatFit(around) || h.more;
                h.chats = std::move(around);
            }
            else
            {
                auto page = r.Page(viewer, request.conversation, request.beforeId, limit);
                h.more = page.size() == limit;
                h.more = KeepNewestThatFit(page) || h.more;
                h.chats = std::move(page);
            }
            return h;
        },
        std::move(done));
}

void Core::Search(const std::string& viewer, const std::string& query, std::size_t limit,
                  std::function<void(std::vector<Chat>)> done)
{
    if (!m_store)
        return done({});
    limit = std::clamp<std::size_t>(limit, 1, 500);
    Query<std::vector<Chat>>(
        [viewer, query, limit](StoreReader& r) {
            auto found = r.Search(viewer, query, limit);
            KeepFirstThatFit(found); // newest first: the oldest matches give way
            return found;
        },
        std::move(done));
}

void Core::Visible(const std::string& viewer, std::uint64_t id, std::function<void(std::optional<Chat>)> done)
{
    if (!m_store)
        return done(std::nullopt);
    Query<std::optional<Chat>>([viewer, id](StoreReader& r) { return r.Visible(viewer, id); }, std::move(done));
}

void Core::FindOwn(const std::string& sender, std::uint64_t clientMsgId, std::function<void(std::optional<Chat>)> done)
{
    if (!m_store || clientMsgId == 0)
        return done(std::nullopt);
    Query<std::optional<Chat>>([sender, clientMsgId](StoreReader& r) { return r.FindByClientId(sender, clientMsgId); },
                               std::move(done));
}

void Core::KnownNick(const std::string& nick, std::function<void(bool)> done)
{
    if (Find(nick))
        return done(true);
    if (!m_store)
        return done(false);
    Query<bool>([nick](StoreReader& r) { return r.KnownNick(nick); }, std::move(done));
}

} // namespace obrol::net::chat

#include "ui/model/client_model.hpp"

#include "engine/clock.hpp"
#include "engine/utf8.hpp"

#include <algorithm>
#include <utility>

namespace obrol::ui {

static bool LessFolded(const std::string& a, const std::string& b)
{
    return engine::FoldCase(a) < engine::FoldCase(b);
}

static bool SameNick(const std::string& a, const std::string& b)
{
    return engine::FoldCase(a) == engine::FoldCase(b);
}

std::optional<std::size_t> Conversation::IndexOf(std::uint64_t id) const
{
    if (id == 0)
        return std::nullopt;
    const auto it = std::lower_bound(lines.begin(), lines.end(), id * 2,
                                     [](const Line& line, std::uint64_t seq) { return line.seq < seq; });
    for (auto i = it; i != lines.end() && i->seq == id * 2; ++i)
        if (i->id == id)
            return static_cast<std::size_t>(i - lines.begin());
    return std::nullopt;
}

std::uint64_t Conversation::OldestId() const
{
    for (const Line& line : lines)
        if (line.id != 0)
            return line.id;
    return 0;
}

// Sorted case-insensitively, each nickname once.
static bool AddSorted(std::vector<std::string>& list, const std::string& nick)
{
    auto it = std::lower_bound(list.begin(), list.end(), nick, LessFolded);
    if (it != list.end() && SameNick(*it, nick))
        return false;
    list.insert(it, nick);
    return true;
}

static bool RemoveNick(std::vector<std::string>& list, const std::string& nick)
{
    return std::erase_if(list, [&](const std::string& u) { return SameNick(u, nick); }) > 0;
}

ClientModel::ClientModel()
{
    auto everyone = std::make_unique<Conversation>();
    everyone->title = "Everyone";
    everyone->kind = ConversationKind::Room;
    everyone->target = net::Target::Everyone();
    everyone->joined = true;
    m_conversations.push_back(std::move(everyone));
}

std::string ClientModel::KeyOf(const net::Target& target)
{
    if (target.IsPerson())
        return target.name;
    return target.IsEveryone() ? std::string() : "#" + target.name;
}

net::Target ClientModel::TargetOf(const std::string& key)
{
    if (key.empty())
        return net::Target::Everyone();
    if (key[0] == '#')
        return net::Target::Room(key.substr(1));
    return net::Target::Person(key);
}

const Conversation* ClientModel::Find(const std::string& key) const
{
    const std::string normal = KeyOf(TargetOf(key)); // "#Everyone" is the everyone room
    for (const auto& c : m_conversations)
        if (SameNick(c->key, normal))
            return c.get();
    return nullptr;
}

Conversation* ClientModel::Find(const std::string& key)
{
    return const_cast<Conversation*>(std::as_const(*this).Find(key));
}

Conversation& ClientModel::Open(const std::string& key)
{
    if (Conversation* c = Find(key))
        return *c;
    auto c = std::make_unique<Conversation>();
    c->target = TargetOf(key);
    c->key = KeyOf(c->target);
    c->kind = c->target.IsRoom() ? ConversationKind::Room : ConversationKind::Private;
    c->title = c->key;
    c->hasMore = m_everConnected; // older pages may exist
    m_conversations.push_back(std::move(c));
    return *m_conversations.back();
}

bool ClientModel::Close(const std::string& key)
{
    Conversation* c = Find(key);
    if (!c || c->IsEveryone() || (c->IsRoom() && c->joined))
        return false;
    for (auto& [id, where] : m_pending)
        if (SameNick(where, c->key))
            return false; // keep it while a message in it is still pending
    if (SameNick(m_viewing, c->key))
        m_viewing.clear();
    std::erase_if(m_conversations, [&](const auto& other) { return other.get() == c; });
    return true;
}

std::string ClientModel::KeyOf(const net::Chat& chat) const
{
    if (chat.kind != net::ChatKind::Private)
        return KeyOf(chat.to);
    return SameNick(chat.from, m_nick) ? chat.to.name : chat.from;
}

std::vector<const Conversation*> ClientModel::Rooms() const
{
    std::vector<const Conversation*> rooms;
    for (const auto& c : m_conversations)
        if (c->IsRoom())
            rooms.push_back(c.get());
    return rooms;
}

bool ClientModel::IsOnline(const std::string& nick) const
{
    auto it = std::lower_bound(m_users.begin(), m_users.end(), nick, LessFolded);
    return it != m_users.end() && SameNick(*it, nick);
}

std::vector<UserEntry> ClientModel::UserList(const std::string& key) const
{
    std::vector<UserEntry> list;
    const auto add = [&](const std::string& nick) {
        list.push_back({nick, IsOnline(nick), !m_nick.empty() && SameNick(nick, m_nick)});
    };
    const Conversation* c = Find(key);
    if (!c || c->IsEveryone())
        for (const auto& nick : m_users)
            add(nick);
    else if (c->IsRoom())
        for (const auto& nick : c->members)
            add(nick);
    else
    {
        std::vector<std::string> two{c->key};
        if (!m_nick.empty())
            AddSorted(two, m_nick);
        for (const auto& nick : two)
            add(nick);
    }
    return list;
}

bool ClientModel::IsNew(const net::Chat& chat)
{
    if (chat.kind == net::ChatKind::Join && SameNick(chat.from, m_nick))
        return false;
    const Conversation* c = Find(KeyOf(chat));
    return !c || !c->IndexOf(chat.id);
}

// Inserts in seq order (appending is the common case) and keeps the separator in place.
Line& ClientModel::Insert(Conversation& c, Line line, bool countUnread)
{
    const bool counts = countUnread && !line.own &&
                        (line.kind == LineKind::Public || line.kind == LineKind::Private || line.kind == LineKind::Announce);
    std::size_t index = c.lines.size();
    if (!c.lines.empty() && c.lines.back().seq > line.seq)
    {
        index = static_cast<std::size_t>(std::upper_bound(c.lines.begin(), c.lines.end(), line.seq,
                                                          [](std::uint64_t seq, const Line& l) { return seq < l.seq; }) -
                                         c.lines.begin());
        c.layoutFrom = std::min(c.layoutFrom, index);
        if (c.firstUnread && *c.firstUnread >= index)
            ++*c.firstUnread;
    }
    const bool onScreen = SameNick(c.key, m_viewing) && m_focused;
    if (counts && !onScreen)
    {
        if (!c.firstUnread || *c.firstUnread > index)
            c.firstUnread = index;
        ++c.unread;
        if (!m_focused)
            ++m_unreadUnfocused;
    }
    c.lines.insert(c.lines.begin() + static_cast<std::ptrdiff_t>(index), std::move(line));
    ++c.revision;
    return c.lines[index];
}

void ClientModel::SetViewing(const std::string& shownKey, bool focused)
{
    const std::string key = KeyOf(TargetOf(shownKey));
    if (!SameNick(key, m_viewing))
    {
        // leaving a conversation: its "new messages" separator has served its purpose
        if (Conversation* old = Find(m_viewing); old && old->unread == 0 && old->firstUnread)
        {
            old->firstUnread.reset();
            ++old->revision;
        }
        m_viewing = key;
    }
    m_focused = focused;
    if (focused)
        m_unreadUnfocused = 0;
    if (Conversation* c = Find(key); c && focused && c->unread)
    {
        c->unread = 0; // read now; the separator stays until the user looks elsewhere
        ++c->revision;
    }
}

std::size_t ClientModel::TotalUnread() const
{
    std::size_t total = 0;
    for (const auto& c : m_conversations)
        total += c->unread;
    return total;
}

void ClientModel::AddOwn(const net::Target& to, const std::string& text, std::uint64_t clientMsgId, std::int64_t nowMs)
{
    Line line;
    line.kind = to.IsPerson() ? LineKind::Private : LineKind::Public;
    line.seq = PendingSeq; // below everything confirmed, in the order sent
    line.timeMs = nowMs;
    line.from = m_nick;
    line.to = to;
    line.text = text;
    line.own = true;
    line.clientMsgId = clientMsgId;
    if (clientMsgId == 0)
    {
        line.failed = true;
        line.failure = "not sent: not connected";
    }
    else
        line.pending = true;
    Conversation& c = Open(KeyOf(to));
    Insert(c, std::move(line), false);
    if (clientMsgId != 0)
        m_pending[clientMsgId] = c.key;
}

void ClientModel::AddOwnFile(const net::Target& to, const std::filesystem::path& path, std::uint64_t clientMsgId,
                             std::int64_t nowMs)
{
    AddOwn(to, path.filename().string(), clientMsgId, nowMs);
    Conversation& c = Open(KeyOf(to));
    for (auto line = c.lines.rbegin(); line != c.lines.rend(); ++line)
        if (line->own && line->clientMsgId == clientMsgId)
        {
            line->file = net::FileInfo{};
            ++c.revision;
            break;
        }
    if (clientMsgId != 0)
    {
        TransferView& t = m_transfers[{net::TransferDirection::Upload, clientMsgId}];
        t.status.id = clientMsgId;
        t.status.direction = net::TransferDirection::Upload;
        t.status.name = path.filename().string();
        t.status.to = to;
        t.status.path = path;
    }
}

const TransferView* ClientModel::FindTransfer(net::TransferDirection direction, std::uint64_t id) const
{
    auto it = m_transfers.find({direction, id});
    return it == m_transfers.end() ? nullptr : &it->second;
}

std::size_t ClientModel::ActiveTransfers() const
{
    return static_cast<std::size_t>(
        std::count_if(m_transfers.begin(), m_transfers.end(), [](const auto& t) { return t.second.Active(); }));
}

const std::filesystem::path* ClientModel::SavedPath(std::uint64_t fileId) const
{
    const TransferView* t = FindTransfer(net::TransferDirection::Download, fileId);
    return t && t->status.state == net::TransferStatus::State::Done ? &t->status.path : nullptr;
}

ThumbState* ClientModel::Thumb(std::uint64_t fileId)
{
    auto it = m_thumbs.find(fileId);
    return it == m_thumbs.end() ? nullptr : &it->second;
}

const Line* ClientModel::FileLine(std::uint64_t fileId) const
{
    for (const auto& c : m_conversations)
        if (auto index = c->IndexOf(fileId); index && c->lines[*index].file)
            return &c->lines[*index];
    return nullptr;
}

void ClientModel::ApplyTransfer(const net::TransferStatus& status)
{
    TransferView& t = m_transfers[{status.direction, status.id}];
    const bool restarted = status.done < t.status.done || (t.status.state != net::TransferStatus::State::Running &&
                                                           status.state == net::TransferStatus::State::Running);
    if (restarted)
        t.meter.Start(engine::RateMeter::Clock::now());
    else if (status.done > t.status.done)
        t.meter.Add(status.done - t.status.done);
    const std::filesystem::path source = t.status.path;
    t.status = status;
    if (!status.note.empty())
        AddSystem(status.direction == net::TransferDirection::Upload ? KeyOf(status.to) : std::string(), status.name + ": " + status.note,
                  engine::NowMs());
    if (status.direction == net::TransferDirection::Upload)
    {
        if (t.status.path.empty())
            t.status.path = source;
        // the pending line learns the file's size as soon as it is known
        Conversation* c = nullptr;
        if (Line* line = FindPending(status.id, &c); line && line->file && line->file->size != status.size)
        {
            line->file->size = status.size;
            ++c->revision;
        }
        if (status.state == net::TransferStatus::State::Failed || status.state == net::TransferStatus::State::Cancelled)
            if (Line* line = FindPending(status.id, &c))
            {
                m_pending.erase(status.id);
                Fail(*c, *line, (status.state == net::TransferStatus::State::Cancelled ? "not sent: " : "not sent: ") +
                                    status.error);
            }
    }
}

void ClientModel::AddSystem(const std::string& key, const std::string& text, std::int64_t nowMs, LineKind kind)
{
    Line line;
    line.kind = kind;
    line.seq = m_lastSeenId * 2 + 1;
    line.timeMs = nowMs;
    line.text = text;
    Insert(Open(key), std::move(line), false);
}

void ClientModel::AddUser(const std::string& nick)
{
    AddSorted(m_users, nick);
    Everyone().memberCount = m_users.size();
}

void ClientModel::RemoveUser(const std::string& nick)
{
    RemoveNick(m_users, nick);
    Everyone().memberCount = m_users.size();
}

// A room as the server describes it (Welcome, RoomState): this user is in it.
void ClientModel::ApplyRoom(const net::RoomInfo& room, bool joined)
{
    Conversation& c = Open(RoomKey(room.name));
    c.topic = room.topic;
    c.joined = joined;
    if (c.IsEveryone())
    {
        c.memberCount = m_users.empty() ? room.memberCount : m_users.size();
        ++c.revision;
        return;
    }
    c.target.name = room.name; // as the server spells it
    c.title = "#" + room.name;
    c.members.clear();
    for (const auto& nick : room.members)
        AddSorted(c.members, nick);
    c.memberCount = c.members.size();
    ++c.revision;
}

// RoomJoin/RoomLeave/Topic records change the room they happened in (applied in id order, on
// top of the Welcome's or RoomState's members).
void ClientModel::ApplyRoomRecord(const net::Chat& chat)
{
    if (chat.to.IsPerson() || chat.to.IsEveryone())
        return;
    Conversation& c = Open(KeyOf(chat.to));
    const bool self = SameNick(chat.from, m_nick);
    switch (chat.kind)
    {
    case net::ChatKind::RoomJoin:
        AddSorted(c.members, chat.from);
        if (self)
            c.joined = true;
        break;
    case net::ChatKind::RoomLeave:
        RemoveNick(c.members, chat.from);
        if (self)
        {
            c.joined = false;
            c.members.clear(); // no news of it reaches us any more: nothing stale is shown
        }
        break;
    case net::ChatKind::Topic: c.topic = chat.text; break;
    default: return;
    }
    c.memberCount = c.members.size();
    ++c.revision;
}

void ClientModel::Fail(Conversation& c, Line& line, const std::string& why)
{
    line.pending = false;
    line.failed = true;
    line.failure = why;
    // it stays where it is in the conversation: after what had arrived when it failed
    const std::size_t from = static_cast<std::size_t>(&line - c.lines.data());
    Line failed = std::move(line);
    failed.seq = m_lastSeenId * 2 + 1;
    c.lines.erase(c.lines.begin() + static_cast<std::ptrdiff_t>(from));
    if (c.firstUnread && *c.firstUnread > from)
        --*c.firstUnread;
    c.layoutFrom = std::min(c.layoutFrom, from);
    Insert(c, std::move(failed), false);
}

Line* ClientModel::FindPending(std::uint64_t clientMsgId, Conversation** where)
{
    auto it = m_pending.find(clientMsgId);
    if (it == m_pending.end())
        return nullptr;
    Conversation* c = Find(it->second);
    if (!c)
        return nullptr;
    for (auto line = c->lines.rbegin(); line != c->lines.rend(); ++line)
        if (line->own && line->clientMsgId == clientMsgId)
        {
            *where = c;
            return &*line;
        }
    return nullptr;
}

void ClientModel::ApplyChat(const net::Chat& chat, bool countUnread)
{
    m_lastSeenId = std::max(m_lastSeenId, chat.id);
    Line line;
    line.id = chat.id;
    line.seq = chat.id * 2;
    line.timeMs = chat.timeMs;
    line.from = chat.from;
    line.to = chat.to;
    line.text = chat.text;
    switch (chat.kind)
    {
    case net::ChatKind::Public: line.kind = LineKind::Public; break;
    case net::ChatKind::Private: line.kind = LineKind::Private; break;
    case net::ChatKind::Announce: line.kind = LineKind::Announce; break;
    case net::ChatKind::Join: line.kind = LineKind::Join; line.text = chat.from + " joined"; break;
    case net::ChatKind::Leave:
        line.kind = LineKind::Leave;
        line.text = chat.from + " left" + (chat.text.empty() ? "" : " (" + chat.text + ")");
        break;
    case net::ChatKind::RoomJoin:
    case net::ChatKind::RoomLeave:
    case net::ChatKind::Topic:
    {
        const bool self = SameNick(chat.from, m_nick);
        const std::string who = self ? "You" : chat.from;
        const std::string room = "#" + chat.to.name;
        if (chat.kind == net::ChatKind::RoomJoin)
        {
            line.kind = LineKind::RoomJoin;
            line.text = who + " joined " + room;
        }
        else if (chat.kind == net::ChatKind::RoomLeave)
        {
            line.kind = LineKind::RoomLeave;
            line.text = who + " left " + room + (chat.text.empty() ? "" : " (" + chat.text + ")");
        }
        else
        {
            line.kind = LineKind::Topic;
            line.text = chat.text.empty() ? who + " cleared the topic" : who + " set the topic: " + chat.text;
        }
        break;
    }
    }
    line.own = (chat.kind == net::ChatKind::Public || chat.kind == net::ChatKind::Private) && SameNick(chat.from, m_nick);
    if (chat.kind == net::ChatKind::Join && SameNick(chat.from, m_nick))
        return; // our own arrival: the "You joined" notice says it
    Conversation& c = Open(KeyOf(chat));
    line.file = chat.file;
    if (auto index = c.IndexOf(chat.id))
    {
        // already here (history and live overlap, or a resumed session); our own upload's line
        // learns the stored file's details (hash, preview) from the message
        if (chat.file && c.lines[*index].file != chat.file)
        {
            c.lines[*index].file = chat.file;
            c.layoutFrom = std::min(c.layoutFrom, *index); // a preview changes the row's height
            ++c.revision;
        }
        return;
    }
    if ((chat.kind == net::ChatKind::Join || chat.kind == net::ChatKind::Leave) && !SameNick(c.key, chat.from))
        if (Conversation* partner = Find(chat.from); partner && !partner->IndexOf(chat.id))
            Insert(*partner, line, false); // the private tab learns they came or went
    Insert(c, std::move(line), countUnread);
}

void ClientModel::ApplyHistory(const net::History& h)
{
    using R = net::HistoryReason;
    if (h.reason == R::Page || h.reason == R::Around)
    {
        Conversation& c = Open(KeyOf(h.conversation));
        c.loadingOlder = false;
        if (h.reason == R::Page)
            c.hasMore = h.more;
        for (const net::Chat& chat : h.chats)
            ApplyChat(chat, false);
        return;
    }
    if (h.reason == R::Join) // (for Resume, `more` means newer parts follow)
        for (auto& c : m_conversations) // `more`: older records exist in at least one of them
            c->hasMore = h.more;
    const auto notice = [&] {
        if (!m_joinNotice.empty())
            AddSystem("", std::exchange(m_joinNotice, {}), m_joinNoticeTime);
    };
    for (const net::Chat& chat : h.chats)
    {
        // missed while away: unread; older history: not
        const bool missed = h.reason == R::Resume || chat.id > h.unreadAfter;
        // the newest records of each room: applied in order they leave its members as they are now
        ApplyRoomRecord(chat);
        ApplyChat(chat, missed && h.unreadAfter != 0);
    }
    notice();
}

void ClientModel::SearchSent(std::uint64_t token, const std::string& query)
{
    m_searchToken = token;
    m_searchQuery = query;
    m_searchResults.clear();
}

void ClientModel::ClearSearch()
{
    m_searchToken = 0;
    m_searchQuery.clear();
    m_searchResults.clear();
}

void ClientModel::Apply(const net::ClientEvent& event)
{
    using Kind = net::ClientEvent::Kind;
    switch (event.kind)
    {
    case Kind::Connecting:
        if (m_state != ConnectionState::Reconnecting)
        {
            m_state = ConnectionState::Connecting;
            m_stateText = "connecting to " + event.text + "...";
        }
        else
            m_stateText = "reconnecting to " + event.text + "...";
        m_lastEnd.reset();
        m_lastRefuse.reset();
        break;
    case Kind::Reconnecting:
        m_state = ConnectionState::Reconnecting;
        m_users.clear();
        Everyone().memberCount = 0;
        m_stateText = event.text + " \xE2\x80\x94 reconnecting in " + std::to_string((event.retryMs + 999) / 1000) +
                      " s (attempt " + std::to_string(event.attempt) + ")";
        if (event.attempt == 1)
        {
            std::string why = event.text;
            if (!why.empty() && why[0] >= 'a' && why[0] <= 'z')
                why[0] = static_cast<char>(why[0] - 'a' + 'A');
            AddSystem("", why + ". Reconnecting\xE2\x80\xA6", engine::NowMs(), LineKind::Error);
        }
        break;
    case Kind::Connected:
    {
        const bool again = m_everConnected;
        m_everConnected = true;
        m_state = ConnectionState::Connected;
        m_nick = event.welcome.nick;
        m_serverName = event.welcome.serverName;
        m_stateText = "connected as " + m_nick;
        m_users.clear();
        for (const auto& nick : event.welcome.users)
            AddSorted(m_users, nick);
        Everyone().memberCount = m_users.size();
        for (auto& c : m_conversations)
            if (c->IsRoom() && !c->IsEveryone())
                c->joined = false; // unless the Welcome lists it
        for (const auto& room : event.welcome.rooms)
            ApplyRoom(room, true);
        const std::size_t others = m_users.empty() ? 0 : m_users.size() - 1;
        // shown below the history that follows the Welcome
        m_joinNotice = (again ? "Reconnected to " : "You joined ") + m_serverName + " as " + m_nick + " (" +
                       std::to_string(others) + (others == 1 ? " other person" : " others") + " online)";
        m_joinNoticeTime = event.welcome.serverTimeMs;
        break;
    }
    case Kind::Chat:
        if (event.chat.kind == net::ChatKind::Leave && SameNick(event.chat.from, m_nick))
            break; // our previous connection leaving, seen after we reconnected: we are here
        if (event.chat.kind == net::ChatKind::Join)
            AddUser(event.chat.from);
        else if (event.chat.kind == net::ChatKind::Leave)
            RemoveUser(event.chat.from);
        ApplyRoomRecord(event.chat);
        ApplyChat(event.chat, true);
        break;
    case Kind::RoomState:
        ApplyRoom(event.room, true);
        break;
    case Kind::RoomList:
        m_roomList = event.rooms;
        m_roomListPending = false;
        ++m_roomListRevision;
        break;
    case Kind::History:
        ApplyHistory(event.history);
        break;
    case Kind::SearchResults:
        if (event.search.token == m_searchToken)
        {
            m_searchResults = event.search.chats;
            m_searchToken = 0;
        }
        break;
    case Kind::Ack:
    {
        Conversation* c = nullptr;
        Line* line = FindPending(event.ack.clientMsgId, &c);
        m_pending.erase(event.ack.clientMsgId);
        m_lastSeenId = std::max(m_lastSeenId, event.ack.id);
        if (!line)
            break;
        const std::size_t from = static_cast<std::size_t>(line - c->lines.data());
        if (c->IndexOf(event.ack.id))
        {
            // the resumed history already brought this message: drop the pending copy
            c->lines.erase(c->lines.begin() + static_cast<std::ptrdiff_t>(from));
            c->layoutFrom = std::min(c->layoutFrom, from);
            if (c->firstUnread && *c->firstUnread > from)
                --*c->firstUnread;
            ++c->revision;
            break;
        }
        Line acked = std::move(*line);
        acked.pending = false;
        if (acked.from.empty())
            acked.from = m_nick; // sent before the Welcome told us our nickname
        acked.id = event.ack.id;
        acked.seq = event.ack.id * 2;
        acked.timeMs = event.ack.timeMs;
        // move it to where the server put it (others' messages may have come first)
        c->lines.erase(c->lines.begin() + static_cast<std::ptrdiff_t>(from));
        if (c->firstUnread && *c->firstUnread > from)
            --*c->firstUnread;
        c->layoutFrom = std::min(c->layoutFrom, from);
        Insert(*c, std::move(acked), false);
        break;
    }
    case Kind::Error:
    {
        Conversation* c = nullptr;
        if (Line* line = event.error.clientMsgId ? FindPending(event.error.clientMsgId, &c) : nullptr)
        {
            m_pending.erase(event.error.clientMsgId);
            Fail(*c, *line, "not delivered: " + event.error.text);
        }
        else
            AddSystem(m_viewing, "Error from the server: " + event.error.text, engine::NowMs(), LineKind::Error);
        break;
    }
    case Kind::Transfer:
        ApplyTransfer(event.transfer);
        break;
    case Kind::Thumb:
    {
        ThumbState& t = m_thumbs[event.fileId];
        t.kind = event.bytes.empty() ? ThumbState::Kind::None : ThumbState::Kind::Arrived;
        t.png = event.bytes;
        break;
    }
    case Kind::Ended:
        m_state = ConnectionState::Disconnected;
        m_lastEnd = event.reason;
        if (event.reason == net::EndReason::Refused)
            m_lastRefuse = event.refuse;
        m_stateText = event.reason == net::EndReason::Quit ? "disconnected" : "disconnected: " + event.text;
        {
            // in the order they were sent (client ids grow)
            std::vector<std::uint64_t> ids;
            for (const auto& [id, key] : m_pending)
                ids.push_back(id);
            std::sort(ids.begin(), ids.end());
            for (std::uint64_t id : ids)
            {
                Conversation* c = nullptr;
                if (Line* line = FindPending(id, &c))
                    Fail(*c, *line, "not sent: the connection ended first");
            }
            m_pending.clear();
        }
        m_users.clear();
        Everyone().memberCount = 0;
        m_roomListPending = false;
        AddSystem("", event.reason == net::EndReason::Quit ? "You left." : "Disconnected: " + event.text,
                  engine::NowMs(), event.reason == net::EndReason::Quit ? LineKind::System : LineKind::Error);
        break;
    }
}

} // namespace obrol::ui

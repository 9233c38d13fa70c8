#include "ui/model/client_model.hpp"

#include "engine/clock.hpp"
#include "engine/utf8.hpp"

#include <algorithm>

namespace obrol::ui {

static bool LessFolded(const std::string& a, const std::string& b)
{
    return engine::FoldCase(a) < engine::FoldCase(b);
}

ClientModel::ClientModel()
{
    auto everyone = std::make_unique<Conversation>();
    everyone->title = "Everyone";
    m_conversations.push_back(std::move(everyone));
}

Conversation* ClientModel::Find(const std::string& key)
{
    const std::string folded = engine::FoldCase(key);
    for (auto& c : m_conversations)
        if (engine::FoldCase(c->key) == folded)
            return c.get();
    return nullptr;
}

Conversation& ClientModel::Open(const std::string& key)
{
    if (Conversation* c = Find(key))
        return *c;
    auto c = std::make_unique<Conversation>();
    c->key = key;
    c->title = key;
    m_conversations.push_back(std::move(c));
    return *m_conversations.back();
}

void ClientModel::Close(const std::string& key)
{
    if (key.empty())
        return;
    for (auto& [id, where] : m_pending)
        if (engine::FoldCase(where.first) == engine::FoldCase(key))
            return; // keep it while a message in it is still pending
    std::erase_if(m_conversations, [&](const auto& c) { return !c->key.empty() && engine::FoldCase(c->key) == engine::FoldCase(key); });
    if (engine::FoldCase(m_viewing) == engine::FoldCase(key))
        m_viewing.clear();
}

std::string ClientModel::KeyFor(const std::string& nick) const
{
    return nick;
}

Line& ClientModel::Append(Conversation& conversation, Line line)
{
    const bool countsAsUnread = !line.own && line.kind != LineKind::System && line.kind != LineKind::Error &&
                                line.kind != LineKind::Join && line.kind != LineKind::Leave;
    const bool onScreen = engine::FoldCase(conversation.key) == engine::FoldCase(m_viewing) && m_focused;
    if (countsAsUnread && !onScreen)
    {
        if (!conversation.firstUnread)
            conversation.firstUnread = conversation.lines.size();
        ++conversation.unread;
        if (!m_focused)
            ++m_unreadUnfocused;
    }
    conversation.lines.push_back(std::move(line));
    ++conversation.revision;
    return conversation.lines.back();
}

void ClientModel::SetViewing(const std::string& key, bool focused)
{
    if (engine::FoldCase(key) != engine::FoldCase(m_viewing))
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

void ClientModel::AddOwn(const std::string& to, const std::string& text, std::uint64_t clientMsgId, std::int64_t nowMs)
{
    Line line;
    line.kind = to.empty() ? LineKind::Public : LineKind::Private;
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
    Conversation& c = to.empty() ? Everyone() : Open(to);
    Append(c, std::move(line));
    if (clientMsgId != 0)
        m_pending[clientMsgId] = {c.key, c.lines.size() - 1};
}

void ClientModel::AddSystem(const std::string& key, const std::string& text, std::int64_t nowMs, LineKind kind)
{
    Line line;
    line.kind = kind;
    line.timeMs = nowMs;
    line.text = text;
    Append(key.empty() ? Everyone() : Open(key), std::move(line));
}

void ClientModel::AddUser(const std::string& nick)
{
    auto it = std::lower_bound(m_users.begin(), m_users.end(), nick, LessFolded);
    if (it == m_users.end() || engine::FoldCase(*it) != engine::FoldCase(nick))
        m_users.insert(it, nick);
}

void ClientModel::RemoveUser(const std::string& nick)
{
    std::erase_if(m_users, [&](const std::string& u) { return engine::FoldCase(u) == engine::FoldCase(nick); });
}

void ClientModel::Apply(const net::ClientEvent& event)
{
    using Kind = net::ClientEvent::Kind;
    switch (event.kind)
    {
    case Kind::Connecting:
        m_state = ConnectionState::Connecting;
        m_stateText = "connecting to " + event.text + "...";
        m_lastEnd.reset();
        m_lastRefuse.reset();
        break;
    case Kind::Connected:
    {
        m_state = ConnectionState::Connected;
        m_nick = event.welcome.nick;
        m_serverName = event.welcome.serverName;
        m_stateText = "connected as " + m_nick;
        m_users = event.welcome.users;
        std::sort(m_users.begin(), m_users.end(), LessFolded);
        const std::size_t others = m_users.empty() ? 0 : m_users.size() - 1;
        AddSystem("", "You joined " + m_serverName + " as " + m_nick + " (" + std::to_string(others) +
                          (others == 1 ? " other person" : " others") + " online)",
                  event.welcome.serverTimeMs);
        break;
    }
    case Kind::Chat:
    {
        const net::Chat& chat = event.chat;
        Line line;
        line.id = chat.id;
        line.timeMs = chat.timeMs;
        line.from = chat.from;
        line.to = chat.to;
        line.text = chat.text;
        switch (chat.kind)
        {
        case net::ChatKind::Public:
            line.kind = LineKind::Public;
            Append(Everyone(), std::move(line));
            break;
        case net::ChatKind::Private:
        {
            line.kind = LineKind::Private;
            const bool mine = engine::FoldCase(chat.from) == engine::FoldCase(m_nick);
            line.own = mine;
            Append(Open(KeyFor(mine ? chat.to : chat.from)), std::move(line));
            break;
        }
        case net::ChatKind::Announce:
            line.kind = LineKind::Announce;
            Append(Everyone(), std::move(line));
            break;
        case net::ChatKind::Join:
            AddUser(chat.from);
            line.kind = LineKind::Join;
            line.text = chat.from + " joined";
            if (Conversation* c = Find(chat.from))
            {
                Line copy = line;
                Append(*c, std::move(copy));
            }
            Append(Everyone(), std::move(line));
            break;
        case net::ChatKind::Leave:
            RemoveUser(chat.from);
            line.kind = LineKind::Leave;
            line.text = chat.from + " left" + (chat.text.empty() ? "" : " (" + chat.text + ")");
            if (Conversation* c = Find(chat.from))
            {
                Line copy = line;
                Append(*c, std::move(copy));
            }
            Append(Everyone(), std::move(line));
            break;
        }
        break;
    }
    case Kind::Ack:
    {
        auto it = m_pending.find(event.ack.clientMsgId);
        if (it == m_pending.end())
            break;
        if (Conversation* c = Find(it->second.first); c && it->second.second < c->lines.size())
        {
            Line& line = c->lines[it->second.second];
            line.pending = false;
            line.id = event.ack.id;
            line.timeMs = event.ack.timeMs;
            ++c->revision;
        }
        m_pending.erase(it);
        break;
    }
    case Kind::Error:
    {
        auto it = m_pending.find(event.error.clientMsgId);
        if (event.error.clientMsgId != 0 && it != m_pending.end())
        {
            if (Conversation* c = Find(it->second.first); c && it->second.second < c->lines.size())
            {
                Line& line = c->lines[it->second.second];
                line.pending = false;
                line.failed = true;
                line.failure = "not delivered: " + event.error.text;
                ++c->revision;
            }
            m_pending.erase(it);
        }
        else
            AddSystem(m_viewing, "Error from the server: " + event.error.text, engine::NowMs(), LineKind::Error);
        break;
    }
    case Kind::Ended:
        m_state = ConnectionState::Disconnected;
        m_lastEnd = event.reason;
        if (event.reason == net::EndReason::Refused)
            m_lastRefuse = event.refuse;
        m_stateText = event.reason == net::EndReason::Quit ? "disconnected" : "disconnected: " + event.text;
        for (auto& [id, where] : m_pending)
            if (Conversation* c = Find(where.first); c && where.second < c->lines.size())
            {
                Line& line = c->lines[where.second];
                line.pending = false;
                line.failed = true;
                line.failure = "not sent: the connection ended first";
                ++c->revision;
            }
        m_pending.clear();
        m_users.clear();
        AddSystem("", event.reason == net::EndReason::Quit ? "You left." : "Disconnected: " + event.text,
                  engine::NowMs(), event.reason == net::EndReason::Quit ? LineKind::System : LineKind::Error);
        break;
    }
}

} // namespace obrol::ui

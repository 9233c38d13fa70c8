#include "net/hub.hpp"

#include "engine/clock.hpp"
#include "engine/utf8.hpp"

#include <algorithm>

namespace obrol::net {

Hub::JoinResult Hub::Join(Participant* participant, const std::string& nick)
{
    JoinResult result;
    if (std::string problem = engine::NicknameProblem(nick); !problem.empty())
    {
        result.code = RefuseCode::NickInvalid;
        result.reason = "\"" + nick + "\" is not a valid nickname: " + problem;
        return result;
    }
    const std::string key = engine::FoldCase(nick);
    if (m_byKey.count(key))
    {
        result.code = RefuseCode::NickTaken;
        result.reason = "the nickname \"" + nick + "\" is already taken; choose another";
        return result;
    }
    m_byKey.emplace(key, participant);
    m_nicks.emplace(participant, nick);
    Chat joined = Record(ChatKind::Join, nick, {}, {});
    Broadcast(joined, participant);
    m_everyone.members.push_back(participant);
    result.ok = true;
    result.nick = nick;
    return result;
}

void Hub::Leave(Participant* participant, const std::string& reason)
{
    auto it = m_nicks.find(participant);
    if (it == m_nicks.end())
        return;
    const std::string nick = it->second;
    m_byKey.erase(engine::FoldCase(nick));
    m_nicks.erase(it);
    std::erase(m_everyone.members, participant);
    Broadcast(Record(ChatKind::Leave, nick, {}, reason), nullptr);
}

Hub::PostResult Hub::Post(Participant* from, const std::string& to, const std::string& rawText)
{
    PostResult result;
    const std::string* sender = NickOf(from);
    if (!sender)
    {
        result.code = ErrorCode::NotJoined;
        result.error = "join with a nickname before sending messages";
        return result;
    }
    std::string text = engine::CleanMessageText(rawText);
    if (text.empty())
    {
        result.code = ErrorCode::EmptyText;
        result.error = "empty messages are not sent";
        return result;
    }
    if (text.size() > MaxTextBytes)
    {
        result.code = ErrorCode::TextTooLong;
        result.error = "message too long (" + std::to_string(text.size()) + " bytes; the limit is " +
                       std::to_string(MaxTextBytes) + ")";
        return result;
    }
    if (to.empty())
    {
        result.chat = Record(ChatKind::Public, *sender, {}, std::move(text));
        Broadcast(result.chat, from);
        if (m_observer)
            m_observer(result.chat, from);
        result.ok = true;
        return result;
    }
    Participant* recipient = Find(to);
    if (!recipient)
    {
        result.code = ErrorCode::UnknownUser;
        result.error = "nobody called \"" + to + "\" is online";
        return result;
    }
    if (recipient == from)
    {
        result.code = ErrorCode::UnknownUser;
        result.error = "a private message needs someone other than yourself";
        return result;
    }
    result.chat = Record(ChatKind::Private, *sender, *NickOf(recipient), std::move(text));
    SharedFrames frames;
    recipient->Deliver(result.chat, frames);
    if (m_observer)
        m_observer(result.chat, from);
    result.ok = true;
    return result;
}

Chat Hub::Announce(const std::string& rawText)
{
    Chat chat = Record(ChatKind::Announce, {}, {}, engine::CleanMessageText(rawText));
    Broadcast(chat, nullptr);
    if (m_observer)
        m_observer(chat, nullptr);
    return chat;
}

std::vector<std::string> Hub::Users() const
{
    std::vector<std::string> users;
    users.reserve(m_nicks.size());
    for (const auto& [participant, nick] : m_nicks)
        users.push_back(nick);
    std::sort(users.begin(), users.end(),
              [](const std::string& a, const std::string& b) { return engine::FoldCase(a) < engine::FoldCase(b); });
    return users;
}

Participant* Hub::Find(const std::string& nick) const
{
    auto it = m_byKey.find(engine::FoldCase(nick));
    return it == m_byKey.end() ? nullptr : it->second;
}

const std::string* Hub::NickOf(Participant* participant) const
{
    auto it = m_nicks.find(participant);
    return it == m_nicks.end() ? nullptr : &it->second;
}

Chat Hub::Record(ChatKind kind, std::string from, std::string to, std::string text)
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

void Hub::Broadcast(const Chat& chat, Participant* except)
{
    SharedFrames frames;
    // Copy: a slow reader cut off during delivery leaves the room while we iterate.
    const std::vector<Participant*> members = m_everyone.members;
    for (Participant* p : members)
        if (p != except && m_nicks.count(p))
            p->Deliver(chat, frames);
    if (m_observer && (chat.kind == ChatKind::Join || chat.kind == ChatKind::Leave))
        m_observer(chat, nullptr);
}

} // namespace obrol::net

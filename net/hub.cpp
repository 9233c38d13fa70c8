#include "net/hub.hpp"

#include "engine/clock.hpp"
#include "engine/utf8.hpp"

#include <algorithm>

namespace obrol::net {

Hub::Hub(Observer observer, Commit commit, KnownNick knownNick, StorageFailed storageFailed)
    : m_observer(std::move(observer)), m_commit(std::move(commit)), m_knownNick(std::move(knownNick)),
      m_storageFailed(std::move(storageFailed))
{
    m_everyone.name = "Everyone";
}

void Hub::Store(const Chat& record, std::uint64_t clientMsgId, Done done)
{
    if (m_commit)
        m_commit(record, clientMsgId, std::move(done));
    else
        done(true, {});
}

void Hub::StoreThenBroadcast(const Chat& record, Participant* except)
{
    Store(record, 0, [this, record, except](bool ok, const std::string& error) {
        if (ok)
            Broadcast(record, except);
        else if (m_storageFailed)
            m_storageFailed(record, error);
    });
}

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
    m_everyone.members.push_back(participant);
    StoreThenBroadcast(Record(ChatKind::Join, nick, {}, {}), participant);
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
    StoreThenBroadcast(Record(ChatKind::Leave, nick, {}, reason), nullptr);
}

void Hub::Post(Participant* from, const std::string& to, const std::string& rawText, std::uint64_t clientMsgId,
               PostDone done)
{
    PostResult result;
    const std::string* sender = NickOf(from);
    if (!sender)
    {
        result.code = ErrorCode::NotJoined;
        result.error = "join with a nickname before sending messages";
        return done(result);
    }
    std::string text = engine::CleanMessageText(rawText);
    if (text.empty())
    {
        result.code = ErrorCode::EmptyText;
        result.error = "empty messages are not sent";
        return done(result);
    }
    if (text.size() > MaxTextBytes)
    {
        result.code = ErrorCode::TextTooLong;
        result.error = "message too long (" + std::to_string(text.size()) + " bytes; the limit is " +
                       std::to_string(MaxTextBytes) + ")";
        return done(result);
    }
    PostChecked(from, *sender, to, std::move(text), std::nullopt, clientMsgId, std::move(done));
}

void Hub::PostFile(const std::string& sender, const std::string& to, const std::string& name, const FileInfo& file,
                   std::uint64_t clientMsgId, PostDone done)
{
    // the sender's connection may have dropped while the upload was being checked: the file is
    // complete, so it is posted anyway (and acknowledged when the sender offers it again)
    PostChecked(Find(sender), sender, to, name, file, clientMsgId, std::move(done));
}

void Hub::PostChecked(Participant* from, const std::string& senderNick, const std::string& to, std::string text,
                      std::optional<FileInfo> file, std::uint64_t clientMsgId, PostDone done)
{
    PostResult result;
    const std::string* sender = &senderNick;
    const auto record = [&](ChatKind kind, std::string recipient) {
        Chat chat = Record(kind, *sender, std::move(recipient), std::move(text));
        chat.file = std::move(file);
        return chat;
    };
    if (to.empty())
        return StorePost(from, record(ChatKind::Public, {}), clientMsgId, std::move(done));
    if (engine::FoldCase(to) == engine::FoldCase(*sender))
    {
        result.code = ErrorCode::UnknownUser;
        result.error = "a private message needs someone other than yourself";
        return done(result);
    }
    if (Participant* recipient = Find(to))
        return StorePost(from, record(ChatKind::Private, *NickOf(recipient)), clientMsgId, std::move(done));
    if (!m_knownNick)
    {
        result.code = ErrorCode::UnknownUser;
        result.error = "nobody called \"" + to + "\" is online";
        return done(result);
    }
    // Offline: keep it for them if they have been here before. The id is taken only once we
    // know, so ids stay in commit order.
    m_knownNick(to, [this, from, to, clientMsgId, sender = *sender, text = std::move(text), file = std::move(file),
                     done = std::move(done)](bool known) mutable {
        if (!known)
        {
            PostResult r;
            r.code = ErrorCode::UnknownUser;
            r.error = "nobody called \"" + to + "\" has ever joined this server";
            return done(r);
        }
        Participant* recipient = Find(to); // may have joined meanwhile
        Chat chat = Record(ChatKind::Private, sender, recipient ? *NickOf(recipient) : to, std::move(text));
        chat.file = std::move(file);
        StorePost(from, chat, clientMsgId, std::move(done));
    });
}

void Hub::StorePost(Participant* from, const Chat& record, std::uint64_t clientMsgId, PostDone done)
{
    Store(record, clientMsgId, [this, record, from, done = std::move(done)](bool ok, const std::string& error) {
        PostResult r;
        r.chat = record;
        if (!ok)
        {
            r.code = ErrorCode::StorageFailed;
            r.error = "the server could not store your message (" + error + "); it was not sent";
            return done(r);
        }
        // the sender may have left meanwhile: then it is only a key, never dereferenced
        Participant* sender = m_nicks.count(from) ? from : nullptr;
        if (record.kind == ChatKind::Private)
        {
            // delivered now if the recipient is online, else with their history when they join
            SharedFrames frames;
            if (Participant* recipient = Find(record.to))
                recipient->Deliver(record, frames);
            // the sender of a file learns its details (hash, preview) from the message itself
            if (record.file && sender)
                sender->Deliver(record, frames);
        }
        else
            Broadcast(record, record.file ? nullptr : sender);
        if (m_observer)
            m_observer(record, sender);
        r.ok = true;
        done(r);
    });
}

void Hub::Announce(const std::string& rawText)
{
    const Chat chat = Record(ChatKind::Announce, {}, {}, engine::CleanMessageText(rawText));
    Store(chat, 0, [this, chat](bool ok, const std::string& error) {
        if (!ok)
        {
            if (m_storageFailed)
                m_storageFailed(chat, error);
            return;
        }
        Broadcast(chat, nullptr);
        if (m_observer)
            m_observer(chat, nullptr);
    });
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

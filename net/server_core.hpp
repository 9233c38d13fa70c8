// The server's network-thread state (Server::Core) and the archive glue shared by its
// sessions. Everything here runs on the server's io thread; archive callbacks post back to it.
#pragma once

#include "engine/archive.hpp"
#include "engine/clock.hpp"
#include "net/hub.hpp"
#include "net/server.hpp"

#include <optional>
#include <unordered_map>

namespace obrol::net {

class Session;
class ServerFiles;

Chat ToChat(const engine::StoredMessage& m);

// History and search answers must fit one frame (MaxFramePayload): measured as encoded.
constexpr std::size_t AnswerBudget = MaxFramePayload - 4096;

inline std::size_t EncodedSize(const engine::StoredMessage& m)
{
    return 8 + 8 + 1 + 3 * 4 + m.from.size() + m.to.size() + m.text.size() + 1 +
           (m.file ? 8 + 4 + m.file->mime.size() + 32 + 2 * 2 + 2 * 4 : 0);
}

// Keeps the newest (the tail of an ascending list) that fit; true when any were dropped.
inline bool KeepNewestThatFit(std::vector<engine::StoredMessage>& ascending)
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
inline bool KeepFirstThatFit(std::vector<engine::StoredMessage>& list)
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

inline std::vector<Chat> ToChats(const std::vector<engine::StoredMessage>& messages)
{
    std::vector<Chat> chats;
    chats.reserve(messages.size());
    for (const auto& m : messages)
        chats.push_back(ToChat(m));
    return chats;
}

using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

class Server::Core
{
public:
    Core(engine::EventQueue<ServerEvent>& events, ServerConfig config)
        : events(events), config(std::move(config)), acceptor(io),
          hub([this](const Chat& chat, Participant* sender) { OnChat(chat, sender); },
              [this](const Chat& record, std::uint64_t clientMsgId, Hub::Done done) {
                  Commit(record, clientMsgId, std::move(done));
              },
              [this](const std::string& nick, std::function<void(bool)> answer) { IsKnown(nick, std::move(answer)); },
              [this](const Chat& record, const std::string& error) {
                  ServerEvent e;
                  e.kind = ServerEvent::Kind::StorageError;
                  e.nick = record.from.empty() ? std::string("the server") : record.from;
                  e.text = std::string("could not store a ") + ChatKindName(record.kind) + " record: " + error;
                  Emit(std::move(e));
              })
    {
    }

    // Stores a record (archive thread, group commit) and runs `done` back on this thread.
    void Commit(const Chat& record, std::uint64_t clientMsgId, Hub::Done done);
    void IsKnown(const std::string& nick, std::function<void(bool)> answer);
    // Runs `query` on the archive thread, then `then` with its result on this thread.
    template <class Result>
    void Query(std::function<Result(engine::ArchiveReader&)> query, std::function<void(Result)> then);

    void Open();
    void Accept();
    void Shutdown(std::string why);
    void Emit(ServerEvent event)
    {
        event.timeMs = engine::NowMs();
        events.Push(std::move(event));
    }
    void Log(std::string text)
    {
        ServerEvent e;
        e.kind = ServerEvent::Kind::Log;
        e.text = std::move(text);
        Emit(std::move(e));
    }
    void OnChat(const Chat& chat, Participant* sender);
    void Remove(std::uint64_t id) { sessions.erase(id); }

    engine::EventQueue<ServerEvent>& events;
    ServerConfig config;
    asio::io_context io{1};
    asio::ip::tcp::acceptor acceptor;
    // declared after io: destroyed first, so its last callbacks can still post (and are dropped)
    std::unique_ptr<engine::Archive> archive;
    std::unique_ptr<ServerFiles> files; // destroyed before the archive: its last answers may still arrive
    Hub hub;
    std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions;
    std::uint64_t nextSessionId = 1;
    bool stopping = false;
    bool startFailed = false;
    std::string stopReason = "the server was stopped";
};

template <class Result>
void Server::Core::Query(std::function<Result(engine::ArchiveReader&)> query, std::function<void(Result)> then)
{
    auto guard = std::make_shared<WorkGuard>(io.get_executor());
    archive->Read([this, guard, query = std::move(query), then = std::move(then)](engine::ArchiveReader& reader) mutable {
        std::optional<Result> result;
        try
        {
            result = query(reader);
        }
        catch (const std::exception& e)
        {
            const std::string why = e.what();
            asio::post(io, [this, guard, why, then = std::move(then)]() mutable {
                Log("archive read failed: " + why);
                then(Result{}); // answer with nothing rather than leave the asker waiting
                guard->reset();
            });
            return;
        }
        asio::post(io, [guard, then = std::move(then), result = std::move(*result)]() mutable {
            then(std::move(result));
            guard->reset();
        });
    });
}

} // namespace obrol::net

#include "ui/console.hpp"

#include "engine/clock.hpp"
#include "engine/file_names.hpp"
#include "engine/units.hpp"
#include "engine/tsan.hpp" // before the queue header
#include "engine/utf8.hpp"
#include "net/local_addresses.hpp"
#include "ui/model/client_model.hpp"
#include "ui/model/server_model.hpp"

#include <concurrentqueue/concurrentqueue.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <utility>
#include <memory>
#include <mutex>
#include <thread>

namespace obrol::ui {

namespace {

std::atomic<bool> s_interrupted{false};

extern "C" void OnSignal(int) { s_interrupted.store(true); }

// Reads stdin lines on a helper thread and hands them to the main loop. The thread is
// detached (a blocking read cannot be interrupted portably), so it may outlive this object:
// everything it touches lives in a shared state, and the waker is unhooked under a lock.
class StdinLines
{
public:
    explicit StdinLines(engine::Waker& waker) : m_state(std::make_shared<State>())
    {
        m_state->waker = &waker;
        std::thread([state = m_state] {
            std::string line;
            while (std::getline(std::cin, line))
            {
                if (!line.empty() && line.back() == '\r')
                    line.pop_back();
                state->lines.enqueue(line);
                state->Wake();
            }
            state->eof.store(true, std::memory_order_release);
            state->Wake();
        }).detach();
    }

    ~StdinLines()
    {
        std::lock_guard lock(m_state->mutex);
        m_state->waker = nullptr;
    }

    bool Next(std::string& line) { return m_state->lines.try_dequeue(line); }
    // True once stdin is closed and every line was taken.
    bool Finished() { return m_state->eof.load(std::memory_order_acquire) && m_state->lines.size_approx() == 0; }

private:
    struct State
    {
        moodycamel::ConcurrentQueue<std::string> lines;
        std::atomic<bool> eof{false};
        std::mutex mutex;
        engine::Waker* waker = nullptr;

        void Wake()
        {
            std::lock_guard lock(mutex);
            if (waker)
                waker->Wake();
        }
    };
    std::shared_ptr<State> m_state;
};

std::string Stamp(std::int64_t ms) { return "[" + engine::LocalDateTime(ms) + "] "; }

void Print(const std::string& line)
{
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void InstallSignals()
{
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
#if !defined(_WIN32)
    std::signal(SIGPIPE, SIG_IGN);
#endif
}

std::string Join(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

std::string JsonStrings(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : ",") + JsonString(item);
    return "[" + out + "]";
}

// "#games", or "Everyone" for the everyone room.
std::string RoomTitle(const std::string& room)
{
    return net::Target::Room(room).IsEveryone() ? std::string("Everyone") : "#" + room;
}

// The words of a message line that say where it went, for rooms other than everyone: "#games ".
std::string RoomPrefix(const net::Target& to)
{
    return to.IsRoom() && !to.IsEveryone() ? "#" + to.name + " " : std::string();
}

// JSON fields naming a message's conversation: "to" is the private recipient ("" otherwise), "room"
// the room (absent for private messages).
std::string TargetJson(const net::Target& to)
{
    return to.IsPerson() ? ",\"to\":" + JsonString(to.name) : ",\"to\":\"\",\"room\":" + JsonString(to.name);
}

std::string RoomJson(const net::RoomInfo& r, bool withMembers)
{
    return "{\"name\":" + JsonString(r.name) + ",\"topic\":" + JsonString(r.topic) + ",\"member_count\":" +
           std::to_string(r.memberCount) + (withMembers ? ",\"members\":" + JsonStrings(r.members) : std::string()) +
           (withMembers ? std::string() : std::string(",\"member\":") + (r.member ? "true" : "false")) + "}";
}

} // namespace

std::string JsonString(const std::string& text)
{
    std::string out = "\"";
    for (unsigned char c : text)
    {
        switch (c)
        {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20)
            {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            }
            else
                out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

// [SECTION] Headless server

int RunHeadlessServer(const Options& o)
{
    InstallSignals();
    engine::ConditionWaker waker;
    engine::EventQueue<net::ServerEvent> events(&waker);
    net::Server server(events);
    ServerModel model;
    StdinLines input(waker);

    model.StartRequested(o.bind, o.port);
    server.Start(ServerConfigFrom(o, o.bind, o.port));

    bool quitting = false;
    int exitCode = 0;
    for (;;)
    {
        bool finished = false;
        events.Drain([&](net::ServerEvent e) {
            if (const LogLine* line = model.Apply(e))
                Print(Stamp(line->timeMs) + line->text);
            if (e.kind == net::ServerEvent::Kind::Started)
            {
                Print("Join from this machine:  obrol --client --port " + std::to_string(e.port) + " --nick NAME");
                if (o.bind == "0.0.0.0" || o.bind == "::")
                    for (const auto& address : net::LocalAddresses())
                        if (address != "127.0.0.1")
                            Print("Join from your network:  obrol --client --host " + address + " --port " +
                                  std::to_string(e.port) + " --nick NAME");
                Print(o.maxFileBytes ? "Files up to " + engine::FormatSize(o.maxFileBytes) + " are accepted (--max-file-size)."
                                     : std::string("Files are not accepted (--max-file-size 0)."));
                Print("Type a line to announce it to everyone; /who, /rooms, /kick NICK, /release NICK, /quit.");
            }
            if (e.kind == net::ServerEvent::Kind::StartFailed)
            {
                exitCode = 1;
                finished = true;
            }
            if (e.kind == net::ServerEvent::Kind::Stopped)
                finished = true;
        });
        if (finished)
            break;

        std::string line;
        while (!quitting && input.Next(line))
        {
            if (line.empty())
                continue;
            if (line == "/quit")
                quitting = true;
            else if (line == "/who")
            {
                std::string who;
                for (const auto& row : model.Clients())
                    who += (who.empty() ? "" : ", ") + row.nick + " (" + row.address + ", " +
                           std::to_string(row.messages) + " msgs)";
                Print(Stamp(engine::NowMs()) + std::to_string(model.Clients().size()) + " online" +
                      (who.empty() ? "" : ": " + who));
            }
            else if (line == "/rooms")
            {
                std::string rooms;
                for (const auto& room : model.Rooms())
                    rooms += (rooms.empty() ? "" : ", ") + RoomTitle(room.name) + " (" + std::to_string(room.members) +
                             (room.topic.empty() ? ")" : "; " + room.topic + ")");
                Print(Stamp(engine::NowMs()) + std::to_string(model.Rooms().size()) + " rooms: " + rooms);
            }
            else if (line.rfind("/kick ", 0) == 0)
                server.Kick(line.substr(6));
            else if (line.rfind("/release ", 0) == 0)
                server.ReleaseNick(line.substr(9));
            else if (line == "/help" || line[0] == '/')
                Print("Commands: text = announcement to everyone, /who, /rooms, /kick NICK, /release NICK (the next "
                      "identity to join with it owns it), /quit");
            else
                server.Announce(line);
        }
        if (quitting || s_interrupted.load())
        {
            if (model.State() != ServerState::Stopping)
            {
                model.StopRequested();
                server.Stop("the server is shutting down");
            }
        }
        waker.WaitFor(std::chrono::milliseconds(250));
    }
    return exitCode;
}

// [SECTION] Headless client

namespace {

class ClientPrinter
{
public:
    explicit ClientPrinter(bool json) : m_json(json) {}

    void Event(const net::ClientEvent& e, const ClientModel& model)
    {
        using Kind = net::ClientEvent::Kind;
        switch (e.kind)
        {
        case Kind::Connecting:
            Out("{\"event\":\"connecting\",\"server\":" + JsonString(e.text) + "}", Now() + "connecting to " + e.text);
            break;
        case Kind::Connected:
        {
            std::string rooms;
            std::vector<std::string> roomNames;
            for (const auto& r : e.welcome.rooms)
            {
                rooms += (rooms.empty() ? "" : ",") + RoomJson(r, true);
                if (!net::Target::Room(r.name).IsEveryone())
                    roomNames.push_back("#" + r.name);
            }
            Out("{\"event\":\"connected\",\"nick\":" + JsonString(e.welcome.nick) + ",\"server\":" +
                    JsonString(e.welcome.serverName) + ",\"time\":" + std::to_string(e.welcome.serverTimeMs) +
                    ",\"users\":" + JsonStrings(e.welcome.users) + ",\"rooms\":[" + rooms +
                    "],\"max_file_size\":" + std::to_string(e.welcome.maxFileBytes) + "}",
                Stamp(e.welcome.serverTimeMs) + "connected to " + e.welcome.serverName + " as " + e.welcome.nick +
                    "; online: " + Join(e.welcome.users) + (roomNames.empty() ? "" : "; your rooms: " + Join(roomNames)) +
                    (e.welcome.maxFileBytes ? "; files up to " + engine::FormatSize(e.welcome.maxFileBytes)
                                            : std::string("; no files")));
            break;
        }
        case Kind::RoomState:
        {
            const net::RoomInfo& r = e.room;
            Out("{\"event\":\"room\",\"name\":" + JsonString(r.name) + ",\"topic\":" + JsonString(r.topic) +
                    ",\"members\":" + JsonStrings(r.members) + "}",
                Now() + RoomTitle(r.name) + ": " + std::to_string(r.members.size()) +
                    (r.members.size() == 1 ? " member (" : " members (") + Join(r.members) + ")" +
                    (r.topic.empty() ? std::string() : "; topic: " + r.topic));
            break;
        }
        case Kind::RoomList:
        {
            std::string rooms;
            for (const auto& r : e.rooms)
                rooms += (rooms.empty() ? "" : ",") + RoomJson(r, false);
            Out("{\"event\":\"rooms\",\"rooms\":[" + rooms + "]}",
                Now() + std::to_string(e.rooms.size()) + (e.rooms.size() == 1 ? " room:" : " rooms:"));
            if (!m_json)
                for (const auto& r : e.rooms)
                    Print("  " + RoomTitle(r.name) + " (" + std::to_string(r.memberCount) +
                          (net::Target::Room(r.name).IsEveryone() ? " online" : r.memberCount == 1 ? " member" : " members") +
                          (r.member ? ", you are in it" : "") + ")" + (r.topic.empty() ? "" : " \xE2\x80\x94 " + r.topic));
            break;
        }
        case Kind::Chat:
            ChatLine(e.chat, model);
            break;
        case Kind::Ack:
            Out("{\"event\":\"ack\",\"client_id\":" + std::to_string(e.ack.clientMsgId) + ",\"id\":" +
                    std::to_string(e.ack.id) + ",\"time\":" + std::to_string(e.ack.timeMs) + "}",
                {});
            break;
        case Kind::Error:
            Out("{\"event\":\"error\",\"client_id\":" + std::to_string(e.error.clientMsgId) + ",\"code\":" +
                    std::to_string(static_cast<int>(e.error.code)) + ",\"text\":" + JsonString(e.error.text) + "}",
                Now() + "! " + e.error.text);
            break;
        case Kind::History:
        {
            static const char* const reasons[] = {"join", "resume", "page", "around"};
            const char* reason = reasons[static_cast<int>(e.history.reason) & 3];
            for (const net::Chat& c : e.history.chats)
                ChatLine(c, model, reason);
            Out("{\"event\":\"history\",\"reason\":" + JsonString(reason) + ",\"conversation\":" +
                    JsonString(ClientModel::KeyOf(e.history.conversation)) + ",\"count\":" + std::to_string(e.history.chats.size()) +
                    ",\"more\":" + (e.history.more ? "true" : "false") + "}",
                e.history.chats.empty()
                    ? (e.history.reason == net::HistoryReason::Page ? Now() + "(no older messages)" : std::string())
                    : Now() + "(" + std::to_string(e.history.chats.size()) +
                          (e.history.chats.size() == 1 ? " message" : " messages") + " from the archive" +
                          (e.history.more && e.history.reason != net::HistoryReason::Resume ? "; /history shows older ones)" : ")"));
            break;
        }
        case Kind::SearchResults:
        {
            std::string items;
            for (const net::Chat& c : e.search.chats)
                items += (items.empty() ? "" : ",") + std::string("{\"id\":") + std::to_string(c.id) + ",\"time\":" +
                         std::to_string(c.timeMs) + ",\"kind\":" + JsonString(net::ChatKindName(c.kind)) + ",\"from\":" +
                         JsonString(c.from) + TargetJson(c.to) + ",\"text\":" + JsonString(c.text) + "}";
            Out("{\"event\":\"search\",\"token\":" + std::to_string(e.search.token) + ",\"query\":" +
                    JsonString(m_queries[e.search.token]) + ",\"results\":[" + items + "]}",
                Now() + std::to_string(e.search.chats.size()) + " found for \"" + m_queries[e.search.token] + "\"" +
                    (e.search.chats.empty() ? "" : ":"));
            if (!m_json)
                for (const net::Chat& c : e.search.chats)
                    Print("  [" + engine::LocalDateTime(c.timeMs) + "] " + RoomPrefix(c.to) +
                          (c.kind == net::ChatKind::Private ? c.from + " -> " + c.to.name + " (private)"
                           : c.from.empty()                 ? std::string("Announcement")
                                                            : c.from) +
                          ": " + c.text);
            break;
        }
        case Kind::Reconnecting:
            Out("{\"event\":\"reconnecting\",\"text\":" + JsonString(e.text) + ",\"attempt\":" + std::to_string(e.attempt) +
                    ",\"retry_ms\":" + std::to_string(e.retryMs) + "}",
                Now() + e.text + " \xE2\x80\x94 reconnecting in " + std::to_string((e.retryMs + 999) / 1000) + " s (attempt " +
                    std::to_string(e.attempt) + ")");
            break;
        case Kind::Transfer:
            Transfer(e.transfer, model);
            break;
        case Kind::Thumb:
            break; // previews are for the window
        case Kind::Ended:
            Out("{\"event\":\"ended\",\"reason\":" + JsonString(net::EndReasonName(e.reason)) + ",\"text\":" +
                    JsonString(e.text) + ",\"exit\":" + std::to_string(static_cast<int>(e.reason)) + "}",
                Now() + (e.reason == net::EndReason::Quit      ? std::string("you left")
                         : e.reason == net::EndReason::Refused ? "refused by the server: " + e.text
                                                               : "disconnected: " + e.text));
            break;
        }
    }

    // Own messages are printed once the server acknowledged them, with the server's time.
    void OwnAcked(const Line& line)
    {
        const bool priv = line.kind == LineKind::Private;
        Out("{\"event\":\"message\",\"id\":" + std::to_string(line.id) + ",\"time\":" + std::to_string(line.timeMs) +
                ",\"kind\":" + JsonString(priv ? "private" : "public") + ",\"from\":" + JsonString(line.from) +
                TargetJson(line.to) + ",\"text\":" + JsonString(line.text) +
                ",\"own\":true,\"client_id\":" + std::to_string(line.clientMsgId) + "}",
            Stamp(line.timeMs) + RoomPrefix(line.to) + (priv ? "you -> " + line.to.name + " (private): " : "you: ") + line.text);
    }

    void SearchSent(std::uint64_t token, const std::string& query) { m_queries[token] = query; }

    // Progress of an upload or download: state changes always, progress at most once a second.
    void Transfer(const net::TransferStatus& t, const ClientModel& model)
    {
        using S = net::TransferStatus::State;
        const bool upload = t.direction == net::TransferDirection::Upload;
        const auto key = std::make_pair(t.direction, t.id);
        const auto now = std::chrono::steady_clock::now();
        if (!t.note.empty())
            Info(t.name + ": " + t.note);
        auto& last = m_lastProgress[key];
        const bool stateChanged = last.state != t.state || last.time == std::chrono::steady_clock::time_point{};
        if (!stateChanged && t.state == S::Running && now - last.time < std::chrono::seconds(1))
            return;
        if (!stateChanged && t.state != S::Running)
            return;
        last = {t.state, now};
        const TransferView* view = model.FindTransfer(t.direction, t.id);
        const double rate = view ? view->BytesPerSecond() : 0.0;
        const double eta = view ? view->SecondsLeft() : -1.0;
        Out("{\"event\":\"transfer\",\"direction\":" + JsonString(upload ? "upload" : "download") + ",\"id\":" +
                std::to_string(t.id) + ",\"name\":" + JsonString(t.name) + ",\"state\":" +
                JsonString(net::TransferStateName(t.state)) + ",\"done\":" + std::to_string(t.done) + ",\"size\":" +
                std::to_string(t.size) + ",\"rate\":" + std::to_string(static_cast<std::uint64_t>(rate)) +
                ",\"eta\":" + (eta < 0 ? std::string("null") : std::to_string(static_cast<std::int64_t>(eta + 0.5))) +
                ",\"path\":" + JsonString(t.path.string()) + ",\"error\":" + JsonString(t.error) + "}",
            Now() + TransferText(t, rate, eta));
        if (t.state == S::Done || t.state == S::Failed || t.state == S::Cancelled)
            m_lastProgress.erase(key);
    }

    void Users(const std::vector<std::string>& users)
    {
        std::string list;
        for (const auto& u : users)
            list += (list.empty() ? "" : ",") + JsonString(u);
        Out("{\"event\":\"users\",\"users\":[" + list + "]}",
            Now() + std::to_string(users.size()) + " online: " + Join(users));
    }

    // The members of a room (answer to /who in a room other than everyone).
    void Members(const std::string& room, const std::vector<UserEntry>& members)
    {
        std::vector<std::string> names;
        std::vector<std::string> plain;
        std::vector<std::string> online;
        for (const auto& m : members)
        {
            names.push_back(m.nick);
            plain.push_back(m.nick + (m.online ? "" : " (offline)"));
            if (m.online)
                online.push_back(m.nick);
        }
        Out("{\"event\":\"users\",\"room\":" + JsonString(room) + ",\"members\":" + JsonStrings(names) +
                ",\"users\":" + JsonStrings(online) + "}",
            Now() + "#" + room + ": " + std::to_string(members.size()) + (members.size() == 1 ? " member: " : " members: ") +
                Join(plain));
    }

    void Info(const std::string& text) { Out("{\"event\":\"info\",\"text\":" + JsonString(text) + "}", Now() + text); }

private:
    // One message; `history` names where it came from ("join", "resume", "page", "around"), or
    // is empty for a live message.
    void ChatLine(const net::Chat& c, const ClientModel& model, const std::string& history = {})
    {
        const std::string head = "\"id\":" + std::to_string(c.id) + ",\"time\":" + std::to_string(c.timeMs) +
                                 (history.empty() ? "" : ",\"history\":" + JsonString(history));
        switch (c.kind)
        {
        case net::ChatKind::Public:
        case net::ChatKind::Private:
        case net::ChatKind::Announce:
        {
            std::string plain;
            const bool mine = engine::FoldCase(c.from) == engine::FoldCase(model.Nick());
            if (c.file)
            {
                const std::string what = c.text + " (" + engine::FormatSize(c.file->size) + ", " + c.file->mime + ")";
                if (c.kind == net::ChatKind::Public)
                    plain = (mine ? "you sent a file: " : c.from + " sent a file: ") + what;
                else
                    plain = mine ? "you sent a file to " + c.to.name + " (private): " + what
                                 : c.from + " sent you a file (private): " + what;
                if (!mine)
                    plain += " \xE2\x80\x94 /get " + std::to_string(c.id);
            }
            else if (c.kind == net::ChatKind::Public)
                plain = c.from + ": " + c.text;
            else if (c.kind == net::ChatKind::Announce)
                plain = "* Announcement: " + c.text;
            else if (mine)
                plain = "you -> " + c.to.name + " (private): " + c.text;
            else
                plain = c.from + " -> you (private): " + c.text;
            std::string ownId;
            if (mine && c.file)
                for (const auto& [key, t] : model.Transfers()) // its upload: same name and recipient, not done yet
                    if (key.first == net::TransferDirection::Upload && t.status.name == c.text &&
                        engine::FoldCase(ClientModel::KeyOf(t.status.to)) == engine::FoldCase(model.KeyOf(c)) &&
                        t.Active())
                        ownId = ",\"client_id\":" + std::to_string(t.status.id);
            Out("{\"event\":\"message\"," + head + ",\"kind\":" + JsonString(net::ChatKindName(c.kind)) +
                    ",\"from\":" + JsonString(c.from) + TargetJson(c.to) + ",\"text\":" +
                    JsonString(c.text) + (c.file ? FileJson(*c.file) : std::string()) + (mine ? ",\"own\":true" : "") + ownId + "}",
                Stamp(c.timeMs) + RoomPrefix(c.to) + plain);
            break;
        }
        case net::ChatKind::Join:
            Out("{\"event\":\"join\"," + head + ",\"nick\":" + JsonString(c.from) + "}", Stamp(c.timeMs) + "-> " + c.from + " joined");
            break;
        case net::ChatKind::Leave:
            Out("{\"event\":\"leave\"," + head + ",\"nick\":" + JsonString(c.from) + ",\"reason\":" + JsonString(c.text) + "}",
                Stamp(c.timeMs) + "<- " + c.from + " left" + (c.text.empty() ? "" : " (" + c.text + ")"));
            break;
        case net::ChatKind::RoomJoin:
            Out("{\"event\":\"room_join\"," + head + ",\"nick\":" + JsonString(c.from) + ",\"room\":" + JsonString(c.to.name) + "}",
                Stamp(c.timeMs) + "-> " + c.from + " joined #" + c.to.name);
            break;
        case net::ChatKind::RoomLeave:
            Out("{\"event\":\"room_leave\"," + head + ",\"nick\":" + JsonString(c.from) + ",\"room\":" + JsonString(c.to.name) +
                    ",\"reason\":" + JsonString(c.text) + "}",
                Stamp(c.timeMs) + "<- " + c.from + " left #" + c.to.name + (c.text.empty() ? "" : " (" + c.text + ")"));
            break;
        case net::ChatKind::Topic:
            Out("{\"event\":\"topic\"," + head + ",\"nick\":" + JsonString(c.from) + ",\"room\":" + JsonString(c.to.name) +
                    ",\"topic\":" + JsonString(c.text) + "}",
                Stamp(c.timeMs) + "* " + c.from + (c.text.empty() ? " cleared the topic of #" + c.to.name
                                                                   : " set the topic of #" + c.to.name + ": " + c.text));
            break;
        }
    }

    std::string Now() const { return Stamp(engine::NowMs()); }

    static std::string TransferText(const net::TransferStatus& t, double rate, double eta)
    {
        using S = net::TransferStatus::State;
        const bool upload = t.direction == net::TransferDirection::Upload;
        const std::string what = t.name + " (" + engine::FormatSize(t.size) + ")";
        switch (t.state)
        {
        case S::Waiting:
            if (t.done > 0) // it had started: the connection dropped
                return (upload ? "sending " : "downloading ") + t.name + " paused at " +
                       std::to_string(t.size ? static_cast<int>(t.done * 100 / t.size) : 0) + "%: waiting for the connection";
            return (upload ? "sending " : "downloading ") + what + "... (/cancel " + std::to_string(t.id) + " stops it)";
        case S::Running:
        {
            const int percent = t.size ? static_cast<int>(t.done * 100 / t.size) : 100;
            return (upload ? "sending " : "downloading ") + t.name + ": " + std::to_string(percent) + "% of " +
                   engine::FormatSize(t.size) + ", " + engine::FormatRate(rate) + ", " + engine::FormatDuration(eta) +
                   " left";
        }
        case S::Checking: return "checking " + what + " (SHA-256)...";
        case S::Done: return upload ? "sent " + what : "saved " + what + " to " + t.path.string();
        case S::Failed:
            return (upload ? "could not send " : "could not download ") + (t.size ? what : t.name) + ": " + t.error;
        case S::Cancelled: return (upload ? "stopped sending " : "stopped downloading ") + what + ": " + t.error;
        }
        return {};
    }

    static std::string FileJson(const net::FileInfo& f)
    {
        return ",\"file\":{\"size\":" + std::to_string(f.size) + ",\"mime\":" + JsonString(f.mime) + ",\"sha256\":" +
               JsonString(engine::Sha256::Hex(f.sha256)) + ",\"image\":[" + std::to_string(f.imageWidth) + "," +
               std::to_string(f.imageHeight) + "],\"preview\":" + (f.thumbWidth ? "true" : "false") + "}";
    }

    void Out(const std::string& json, const std::string& plain)
    {
        if (m_json)
            Print(json);
        else if (!plain.empty())
            Print(plain);
    }

    struct Progress
    {
        net::TransferStatus::State state = net::TransferStatus::State::Waiting;
        std::chrono::steady_clock::time_point time{};
    };

    bool m_json;
    std::map<std::uint64_t, std::string> m_queries; // search token -> query
    std::map<std::pair<net::TransferDirection, std::uint64_t>, Progress> m_lastProgress;
};



} // namespace

int RunHeadlessClient(const Options& o)
{
    InstallSignals();
    engine::ConditionWaker waker;
    engine::EventQueue<net::ClientEvent> events(&waker);
    net::Client client(events);
    ClientModel model;
    ClientPrinter printer(o.json);
    StdinLines input(waker);

    client.Connect(ClientConfigFrom(o, o.host, o.port, o.nick));

    const auto send = [&](const net::Target& to, const std::string& text) {
        model.AddOwn(to, text, client.Say(to, text), engine::NowMs());
    };
    // Plain lines go to the current room: the last one joined or switched to with /join.
    net::Target current = net::Target::Everyone();
    const auto switchTo = [&](const std::string& room) {
        if (engine::FoldCase(room) == engine::FoldCase(current.name))
            return;
        current = net::Target::Room(room);
        printer.Info("now talking in " + RoomTitle(room) + " (plain lines go there)");
    };
    // "#games" or "games" -> "games" when it is a valid room name; else says why and returns "".
    const auto roomArg = [&](std::string word) {
        if (!word.empty() && word[0] == '#')
            word.erase(0, 1);
        if (const std::string problem = engine::RoomNameProblem(word); !problem.empty())
        {
            printer.Info("not a room name: " + problem);
            return std::string();
        }
        return word;
    };
    const std::filesystem::path downloads = DownloadsDirFrom(o);
    const auto download = [&](const Line& line) {
        net::Chat chat;
        chat.id = line.id;
        chat.text = line.text;
        chat.file = line.file;
        client.Download(chat, downloads);
    };
    // files from others up to --auto-download arrive without a /get
    const auto autoDownload = [&](const net::Chat& c) {
        if (c.file && c.file->size <= o.autoDownloadBytes && o.autoDownloadBytes > 0 &&
            engine::FoldCase(c.from) != engine::FoldCase(model.Nick()) &&
            !model.FindTransfer(net::TransferDirection::Download, c.id))
            client.Download(c, downloads);
    };

    bool quitting = false;
    // One line typed on stdin (or given with --send): a command or a public message.
    const auto handle = [&](const std::string& line) {
        const auto command = [&](const char* name) {
            const std::size_t n = std::strlen(name);
            return line.compare(0, n, name) == 0 && (line.size() == n || line[n] == ' ');
        };
        const std::string rest = line.find(' ') == std::string::npos ? std::string() : line.substr(line.find(' ') + 1);
        if (line.empty())
            return;
        if (line == "/quit")
            quitting = true;
        else if (line == "/who")
        {
            if (current.IsEveryone())
                printer.Users(model.Users());
            else
                printer.Members(current.name, model.UserList(ClientModel::KeyOf(current)));
        }
        else if (command("/msg"))
        {
            const auto space = rest.find(' ');
            if (space == std::string::npos || space == 0 || space + 1 >= rest.size())
                printer.Info("usage: /msg NICK text, or /msg #room text");
            else if (rest[0] == '#')
            {
                if (const std::string room = roomArg(rest.substr(0, space)); !room.empty())
                    send(net::Target::Room(room), rest.substr(space + 1));
            }
            else
                send(net::Target::Person(rest.substr(0, space)), rest.substr(space + 1));
        }
        else if (command("/join"))
        {
            if (rest.empty() || rest.find(' ') != std::string::npos)
                printer.Info("usage: /join #room (a new name creates the room)");
            else if (const std::string room = roomArg(rest); !room.empty())
            {
                if (!net::Target::Room(room).IsEveryone())
                    client.JoinRoom(room);
                switchTo(net::Target::Room(room).IsEveryone() ? std::string(net::EveryoneRoom) : room);
            }
        }
        else if (command("/part"))
        {
            std::string room = current.name;
            std::string reason = rest;
            if (!rest.empty() && rest[0] == '#')
            {
                const auto space = rest.find(' ');
                room = roomArg(rest.substr(0, space));
                reason = space == std::string::npos ? std::string() : rest.substr(space + 1);
            }
            if (room.empty())
                return;
            if (net::Target::Room(room).IsEveryone())
                printer.Info("everyone is the room of everyone on the server: it cannot be left (/part #room leaves another)");
            else
            {
                client.PartRoom(room, reason);
                if (engine::FoldCase(room) == engine::FoldCase(current.name))
                    switchTo(net::EveryoneRoom);
            }
        }
        else if (line == "/rooms")
        {
            model.RoomListRequested();
            client.ListRooms();
        }
        else if (command("/topic"))
        {
            std::string room = current.name;
            std::string text = rest;
            if (!rest.empty() && rest[0] == '#')
            {
                const auto space = rest.find(' ');
                room = roomArg(rest.substr(0, space));
                text = space == std::string::npos ? std::string() : rest.substr(space + 1);
            }
            if (!room.empty())
                client.SetTopic(room, text); // empty text clears it
        }
        else if (command("/history"))
        {
            long count = 50;
            bool valid = true;
            if (!rest.empty())
            {
                char* end = nullptr;
                count = std::strtol(rest.c_str(), &end, 10);
                valid = end && *end == '\0' && count >= 1 && count <= 500;
            }
            if (!valid)
                printer.Info("usage: /history [N], N from 1 to 500 (default 50)");
            else
            {
                const Conversation* c = model.Find(ClientModel::KeyOf(current));
                client.RequestHistory(current, c ? c->OldestId() : 0, static_cast<std::uint32_t>(count));
            }
        }
        else if (command("/send"))
        {
            auto [path, to] = SplitSendArgs(rest);
            if (path.rfind("~/", 0) == 0)
                if (const char* home = std::getenv("HOME"); home && *home)
                    path = std::string(home) + path.substr(1);
            if (path.empty())
                printer.Info("usage: /send PATH [NICK or #room] (quote a path with spaces followed by a nick: /send \"my file.txt\" bo)");
            else if (to.rfind('#', 0) == 0 && roomArg(to).empty())
                return;
            else
            {
                const net::Target target = to.empty()            ? current
                                           : to.rfind('#', 0) == 0 ? net::Target::Room(to.substr(1))
                                                                   : net::Target::Person(to);
                const std::uint64_t id = client.SendFile(target, path);
                model.AddOwnFile(target, path, id, engine::NowMs());
                if (id == 0)
                    printer.Info("not sent: not connected");
            }
        }
        else if (command("/get") || command("/cancel"))
        {
            char* end = nullptr;
            const unsigned long long id = std::strtoull(rest.c_str(), &end, 10);
            const Line* file = (end && *end == '\0' && id > 0) ? model.FileLine(id) : nullptr;
            if (command("/cancel"))
            {
                const bool up = model.FindTransfer(net::TransferDirection::Upload, id) &&
                                model.FindTransfer(net::TransferDirection::Upload, id)->Active();
                const bool down = model.FindTransfer(net::TransferDirection::Download, id) &&
                                  model.FindTransfer(net::TransferDirection::Download, id)->Active();
                if (!up && !down)
                    printer.Info(rest.empty() ? std::string("usage: /cancel ID (the id a transfer's first line shows)")
                                              : "nothing is moving under " + rest +
                                                    " (use the id a transfer's first line shows: /cancel ID)");
                if (up)
                    client.CancelTransfer(id, net::TransferDirection::Upload);
                if (down)
                    client.CancelTransfer(id, net::TransferDirection::Download);
            }
            else if (!file)
                printer.Info(rest.empty() ? std::string("usage: /get ID, with the id of a file message shown above")
                                          : "no file message " + rest +
                                                " here yet; /history N loads older messages, then /get works on them");
            else
                download(*file);
        }
        else if (command("/search"))
        {
            if (rest.find_first_not_of(' ') == std::string::npos)
                printer.Info("usage: /search words");
            else
                printer.SearchSent(client.Search(rest), rest);
        }
        else if (line == "/help")
            printer.Info("commands: text = message to the current room, /join #room, /part [#room] [reason], /rooms, "
                         "/topic [#room] text, /msg NICK|#room text, /send PATH [NICK|#room], /get ID, /cancel ID, "
                         "/who, /history [N], /search words, /quit (//text sends /text)");
        else if (line[0] == '/' && line.rfind("//", 0) != 0)
            printer.Info("unknown command " + line.substr(0, line.find(' ')) +
                         "; commands: /join #room, /part [#room], /rooms, /topic [#room] text, /msg NICK|#room text, "
                         "/send PATH [NICK|#room], /get ID, /cancel ID, /who, /history [N], /search words, /quit, /help");
        else
            send(current, line[0] == '/' ? line.substr(1) : line);
    };
    bool sentScripted = false;
    bool disconnectSent = false;
    std::optional<std::chrono::steady_clock::time_point> quitDeadline;
    for (;;)
    {
        std::optional<net::EndReason> ended;
        events.Drain([&](net::ClientEvent e) {
            // print each message once: live and history deliveries may overlap
            bool show = e.kind != net::ClientEvent::Kind::Chat || model.IsNew(e.chat);
            net::ClientEvent shown;
            if (e.kind == net::ClientEvent::Kind::History)
            {
                shown = e;
                std::erase_if(shown.history.chats, [&](const net::Chat& c) { return !model.IsNew(c); });
            }
            // an own file's message arrives before its Ack: it is printed as the message
            const bool ownFileAck = e.kind == net::ClientEvent::Kind::Ack &&
                                    model.FindTransfer(net::TransferDirection::Upload, e.ack.clientMsgId);
            model.Apply(e);
            if (show)
                printer.Event(e.kind == net::ClientEvent::Kind::History ? shown : e, model);
            if (e.kind == net::ClientEvent::Kind::Chat && show)
                autoDownload(e.chat);
            if (e.kind == net::ClientEvent::Kind::History && e.history.reason == net::HistoryReason::Resume)
                for (const net::Chat& c : shown.history.chats)
                    autoDownload(c);
            if (e.kind == net::ClientEvent::Kind::Ack && !ownFileAck)
                for (const auto& c : model.Conversations())
                    for (auto it = c->lines.rbegin(); it != c->lines.rend(); ++it)
                        if (it->own && it->clientMsgId == e.ack.clientMsgId)
                        {
                            printer.OwnAcked(*it);
                            break;
                        }
            if (e.kind == net::ClientEvent::Kind::Connected && !std::exchange(sentScripted, true))
                for (const auto& line : o.send) // once, not again after a reconnect
                    handle(line);
            // the server's spelling of the current room ("/join #Games" joins "games")
            if (e.kind == net::ClientEvent::Kind::RoomState &&
                engine::FoldCase(e.room.name) == engine::FoldCase(current.name))
                current.name = e.room.name;
            // left the current room (here, or from another client of ours): plain lines go to everyone again
            if (e.kind == net::ClientEvent::Kind::Chat && e.chat.kind == net::ChatKind::RoomLeave &&
                engine::FoldCase(e.chat.from) == engine::FoldCase(model.Nick()) &&
                engine::FoldCase(e.chat.to.name) == engine::FoldCase(current.name))
                switchTo(net::EveryoneRoom);
            if (e.kind == net::ClientEvent::Kind::Ended)
                ended = e.reason;
        });
        if (ended)
            return static_cast<int>(*ended);

        std::string line;
        while (!quitting && input.Next(line))
            handle(line);
        // End of input: leave once everything sent has been answered (or after 10 s).
        if (!quitting && input.Finished() &&
            (model.State() == ConnectionState::Connected || model.State() == ConnectionState::Reconnecting))
        {
            if (!quitDeadline)
                quitDeadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            // files still moving are waited for (they progress or fail); messages for at most 10 s
            if (model.ActiveTransfers() == 0 &&
                (model.PendingCount() == 0 || std::chrono::steady_clock::now() > *quitDeadline))
                quitting = true;
        }
        if ((quitting || s_interrupted.load()) && !disconnectSent)
        {
            client.Disconnect(); // -> Ended{Quit}, which ends the loop
            quitting = disconnectSent = true;
        }
        waker.WaitFor(std::chrono::milliseconds(200));
    }
}

} // namespace obrol::ui

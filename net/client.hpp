// One client connection to an Obrol server, on its own network thread. The public methods
// are called from the UI (or console) thread and never block on sockets; results come back
// as ClientEvents through the queue.
#pragma once

#include "engine/event_queue.hpp"
#include "engine/identity.hpp"
#include "net/client_files.hpp"
#include "net/connection.hpp"
#include "net/protocol.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace obrol::net {

struct ClientConfig
{
    std::string host = "127.0.0.1";
    std::uint16_t port = 55000;
    std::string nick;
    // The key that proves this user owns `nick` (the server binds a nickname to the first key
    // that uses it). Read-only, shared with the front end; a reconnect reuses it. Null: a fresh
    // key is made for this connection (tests and tools only: the nickname gets bound to a key
    // nobody keeps).
    std::shared_ptr<const engine::Identity> identity;
    std::chrono::milliseconds connectTimeout{10000};
    ConnectionLimits limits;
    // After having joined once: on a lost connection or a server restart, connect again by
    // itself (backoff from firstRetry doubling up to maxRetry), resume where it left off and
    // resend what the server had not acknowledged.
    bool reconnect = false;
    std::chrono::milliseconds firstRetry{1000};
    std::chrono::milliseconds maxRetry{30000};
};

// Why a connection ended; also the headless client's exit code (see README).
enum class EndReason : int
{
    Quit = 0,           // we asked to leave
    Refused = 2,        // the server refused the handshake (nick taken/owned/invalid, bad proof, full, version)
    ConnectFailed = 3,  // could not reach the server
    Lost = 4,           // the connection dropped or timed out
    ServerStopped = 5,  // the server said it is stopping
    Kicked = 6,         // the server removed us
    ProtocolError = 7,  // the server sent something we cannot read, or rejected our frames
};

const char* EndReasonName(EndReason reason);

struct ClientEvent
{
    enum class Kind
    {
        Connecting,    // text: "host:port"
        Connected,     // welcome (with the rooms this user is in)
        Chat,          // chat (also room records: RoomJoin, RoomLeave, Topic)
        Ack,           // ack
        Error,         // error
        History,       // history (after Connected, or answering RequestHistory)
        SearchResults, // search
        Reconnecting,  // text: why the connection was lost; attempt, retryMs: when the next try starts
        Transfer,      // transfer: an upload or download started, moved, finished or failed
        Thumb,         // fileId, bytes: a file's preview (PNG; empty: none)
        RoomState,     // room: a room just joined, with every member
        RoomList,      // rooms: every room on the server (answering ListRooms)
        Ended,         // reason, refuse (when Refused), text: human-readable why. Always the last event.
    };
    Kind kind = Kind::Connecting;
    std::string text;
    Welcome welcome;
    Chat chat;
    Ack ack;
    Error error;
    EndReason reason = EndReason::Quit;
    RefuseCode refuse = RefuseCode::BadHello;
    History history;
    SearchResults search;
    int attempt = 0;
    std::int64_t retryMs = 0;
    TransferStatus transfer;
    std::uint64_t fileId = 0;
    std::vector<std::uint8_t> bytes;
    RoomInfo room;
    std::vector<RoomInfo> rooms;
};

class Client
{
public:
    explicit Client(engine::EventQueue<ClientEvent>& events);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Starts connecting; ends any previous connection first.
    void Connect(ClientConfig config);
    // Sends a message to a room or to one user; returns its client message id, or 0 when there
    // is no connection to send it on.
    std::uint64_t Say(Target to, std::string text);
    void Disconnect(); // -> Ended{Quit}; also cancels reconnecting
    // Older messages of a conversation -> History event. around: centred on beforeId.
    void RequestHistory(Target conversation, std::uint64_t beforeId, std::uint32_t limit, bool around = false);
    // Full-text search over what this user may see -> SearchResults event with the returned token.
    std::uint64_t Search(std::string query, std::uint32_t limit = 50);
    // Sends a file to a room or one user -> Transfer events, then an Ack (the file message's id)
    // like a Say. Returns its client message id, or 0 without a connection.
    std::uint64_t SendFile(Target to, std::filesystem::path path);
    // Fetches the file of a file message into `dir` -> Transfer events (id = the message id).
    void Download(const Chat& fileMessage, std::filesystem::path dir);
    void CancelTransfer(std::uint64_t id, TransferDirection direction);
    // A file message's preview -> Thumb event.
    void RequestThumb(std::uint64_t fileId);
    // Rooms (names without '#'). Join (creating it if no room has that name) -> a RoomJoin Chat,
    // then RoomState and History(Page) of the room. Part -> a RoomLeave Chat. SetTopic -> a Topic
    // Chat. ListRooms -> RoomList. Failures come back as Error events (clientMsgId 0). Asked while
    // (re)connecting, they go out right after the next Welcome (before any resent messages).
    void JoinRoom(std::string room);
    void PartRoom(std::string room, std::string reason = {});
    void SetTopic(std::string room, std::string topic);
    void ListRooms();
    // Closes the socket abruptly, as a network failure would (tests, and a "reconnect now").
    void DropConnection();
    bool Active() const { return m_active.load(std::memory_order_acquire); }

private:
    class Core;
    void JoinThread();

    engine::EventQueue<ClientEvent>& m_events;
    std::unique_ptr<Core> m_core;
    std::thread m_thread;
    std::atomic<bool> m_active{false};
    std::uint64_t m_nextClientMsgId = 1; // high 32 bits random per Client: unique across runs
    std::uint64_t m_nextSearchToken = 1;
};

} // namespace obrol::net

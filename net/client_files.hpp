// The client's file transfers: uploads read from disk in chunks and streamed to the server,
// downloads written to a .part file and renamed once their SHA-256 matches, previews fetched
// on request. Both directions resume after a reconnect. Runs on the client's network thread;
// every file read and write happens on one disk thread of its own.
#pragma once

#include "engine/task_thread.hpp"
#include "net/connection.hpp"
#include "net/protocol.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace obrol::net {

// A transfer as the front ends see it.
struct TransferStatus
{
    enum class State
    {
        Waiting,   // offered / requested, nothing moved yet (or waiting for a connection)
        Running,   // bytes are moving
        Checking,  // every byte is here; the SHA-256 is being checked and the file stored
        Done,      // upload: stored by the server and posted; download: saved at `path`
        Failed,    // see `error`; nothing incomplete was kept as if it were whole
        Cancelled, // by this user, or by the other side
    };
    std::uint64_t id = 0; // upload: its message's client id; download: the file message's id
    TransferDirection direction = TransferDirection::Upload;
    State state = State::Waiting;
    std::string name;
    Target to;                     // upload: the room or person it goes to
    std::uint64_t size = 0;
    std::uint64_t done = 0;        // bytes stored by the receiving side
    std::filesystem::path path;    // upload: the source; download: where it was saved (once Done)
    std::string error;
    std::string note; // once: something the user should know, e.g. the transfer had to start over
};

const char* TransferStateName(TransferStatus::State state);

// The name of a download in progress in the downloads folder: "<name>.obrol-<id>-<sha256 prefix>.part".
std::string PartName(const std::string& safeName, std::uint64_t fileId, const std::array<std::uint8_t, 32>& sha256);

class ClientFiles
{
public:
    using Emit = std::function<void(TransferStatus)>;
    using EmitThumb = std::function<void(std::uint64_t fileId, std::vector<std::uint8_t> png)>;

    ClientFiles(asio::io_context& io, Emit emit, EmitThumb emitThumb);
    ~ClientFiles();

    // A joined connection (after Welcome), or null when it was lost: transfers wait, then resume.
    void SetConnection(std::shared_ptr<Connection> connection, std::uint64_t maxFileBytes);

    void Upload(std::uint64_t id, Target to, std::filesystem::path path);
    void Download(std::uint64_t fileId, std::string name, std::uint64_t size, std::array<std::uint8_t, 32> sha256,
                  std::filesystem::path dir);
    void Cancel(std::uint64_t id, TransferDirection direction);
    void RequestThumb(std::uint64_t fileId);

    // File frames from the server. Returns false for frames that are not about files.
    bool OnMessage(Message& message);
    // The server stored an upload's file message (its Ack).
    void OnAck(const Ack& ack);
    // The connection wrote something: more chunks may go.
    void Pump();
    // The client is ending: whatever is unfinished fails with `why` (downloads keep their .part to resume later).
    void EndAll(const std::string& why);

private:
    struct DiskUpload;
    struct Reported;
    struct Up;
    struct DiskDownload;
    struct Down;

    void Offer(Up& up);
    void Request(Down& down);
    void PumpUploads();
    void ReadChunk(Up& up);
    void FinishDownload(std::uint64_t id);
    void FailUpload(std::uint64_t id, TransferStatus::State state, const std::string& why, bool tellServer);
    void FailDownload(std::uint64_t id, TransferStatus::State state, const std::string& why, bool tellServer,
                      bool removePart);
    void Report(Reported& transfer, bool force = false);
    void ScheduleReports();
    bool AnswerToLatestGet(std::uint64_t id, bool accepted);
    Down* FindDown(std::uint64_t id, std::uint64_t serial);
    bool Connected() const { return m_connection && m_connection->IsOpen(); }
    void Send(const Message& message);
    void OnDisk(std::function<void()> task, std::function<void()> then);

    asio::io_context& m_io;
    Emit m_emit;
    EmitThumb m_emitThumb;
    std::shared_ptr<Connection> m_connection;
    std::uint64_t m_maxFileBytes = DefaultMaxFileBytes;
    std::uint64_t m_generation = 1; // bumps on every (re)connection: older disk results are dropped
    std::map<std::uint64_t, std::unique_ptr<Up>> m_ups;
    std::map<std::uint64_t, std::unique_ptr<Down>> m_downs;
    std::vector<std::uint64_t> m_thumbsWanted; // asked while not connected
    std::uint64_t m_downSerial = 0;
    std::map<std::uint64_t, int> m_getsUnanswered; // FileGets per file still waiting for their FileAccept/FileAbort
    std::uint64_t m_nextUp = 0;                // round robin
    std::size_t m_readsInFlight = 0;           // upload chunks being read on the disk thread
    asio::steady_timer m_reportTimer;
    bool m_reportTimerArmed = false;
    engine::TaskThread m_disk;                 // last: joined first
};

} // namespace obrol::net

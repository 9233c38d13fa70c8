// One framed TCP connection: reads frames, writes a bounded queue of shared frames, answers
// and sends heartbeats, drops idle peers. Used by server sessions and by the client.
// Owned by one io_context thread; every method must run on that thread.
// (The stream type lives only here, so TLS can replace the socket without touching callers.)
#pragma once

#include "net/protocol.hpp"

#include <asio.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace obrol::net {

enum class CloseCause { Local, PeerClosed, NetworkError, Timeout, SlowReader, ProtocolError };

struct ConnectionLimits
{
    std::size_t maxQueuedBytes = 8u << 20;               // back-pressure budget of the write queue
    std::chrono::milliseconds heartbeat{15000};          // send a Ping after this long without sending
    std::chrono::milliseconds idleTimeout{45000};        // close after this long without receiving
    std::chrono::milliseconds closeGrace{2000};          // CloseAfterFlush gives up after this
};

class Connection : public std::enable_shared_from_this<Connection>
{
public:
    using MessageHandler = std::function<void(Message&)>;
    using BadFrameHandler = std::function<void(DecodeError)>;
    using CloseHandler = std::function<void(CloseCause, const std::string&)>;

    Connection(asio::ip::tcp::socket socket, ConnectionLimits limits);

    void Start(MessageHandler onMessage, BadFrameHandler onBadFrame, CloseHandler onClosed);

    // Queues a frame. Returns false (and closes with SlowReader) when the budget is exceeded.
    bool Send(FrameBytes frame);
    bool Send(const Message& message) { return Send(EncodeShared(message)); }

    // Stops reading, sends what is queued, then closes (or after closeGrace at the latest).
    void CloseAfterFlush(CloseCause cause, std::string why);
    void Close(CloseCause cause, const std::string& why);

    bool IsOpen() const { return !m_closed && !m_closing; }
    const std::string& RemoteAddress() const { return m_remote; }
    std::size_t QueuedBytes() const { return m_queuedBytes; }
    void SetHeartbeat(std::chrono::milliseconds heartbeat, std::chrono::milliseconds idleTimeout);
    // Called after every completed write (the queue got shorter): file senders queue more then.
    void OnWritten(std::function<void()> handler) { m_onWritten = std::move(handler); }

private:
    void DoRead();
    void DoWrite();
    void ScheduleTick();
    void OnTick();

    asio::ip::tcp::socket m_socket;
    asio::steady_timer m_timer;
    ConnectionLimits m_limits;
    std::string m_remote;
    FrameReader m_reader;
    std::array<std::uint8_t, std::size_t{64} * 1024> m_readBuffer{};
    std::deque<FrameBytes> m_queue;
    std::vector<FrameBytes> m_inflight;
    std::vector<asio::const_buffer> m_buffers;
    std::size_t m_queuedBytes = 0; // queued + in flight
    bool m_writing = false;
    bool m_closing = false;
    bool m_closed = false;
    CloseCause m_closeCause = CloseCause::Local;
    std::string m_closeWhy;
    std::chrono::steady_clock::time_point m_lastReceive;
    std::chrono::steady_clock::time_point m_lastSend;
    std::chrono::steady_clock::time_point m_closeDeadline;
    std::uint64_t m_pingToken = 0;
    MessageHandler m_onMessage;
    BadFrameHandler m_onBadFrame;
    CloseHandler m_onClosed;
    std::function<void()> m_onWritten;
};

} // namespace obrol::net

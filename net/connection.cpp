#include "net/connection.hpp"

namespace obrol::net {

using Clock = std::chrono::steady_clock;

static std::string Describe(const asio::ip::tcp::socket& socket)
{
    asio::error_code ec;
    const auto ep = socket.remote_endpoint(ec);
    if (ec)
        return "?";
    const auto address = ep.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string() + ":" +
               std::to_string(ep.port());
    return address.is_v6() ? "[" + address.to_string() + "]:" + std::to_string(ep.port())
                           : address.to_string() + ":" + std::to_string(ep.port());
}

Connection::Connection(asio::ip::tcp::socket socket, ConnectionLimits limits)
    : m_socket(std::move(socket)), m_timer(m_socket.get_executor()), m_limits(limits), m_remote(Describe(m_socket))
{
    asio::error_code ec;
    m_socket.set_option(asio::ip::tcp::no_delay(true), ec);
    m_lastReceive = m_lastSend = Clock::now();
}

void Connection::Start(MessageHandler onMessage, BadFrameHandler onBadFrame, CloseHandler onClosed)
{
    m_onMessage = std::move(onMessage);
    m_onBadFrame = std::move(onBadFrame);
    m_onClosed = std::move(onClosed);
    DoRead();
    ScheduleTick();
}

void Connection::SetHeartbeat(std::chrono::milliseconds heartbeat, std::chrono::milliseconds idleTimeout)
{
    m_limits.heartbeat = heartbeat;
    m_limits.idleTimeout = idleTimeout;
    m_timer.cancel();
    ScheduleTick();
}

void Connection::DoRead()
{
    m_socket.async_read_some(asio::buffer(m_readBuffer), [self = shared_from_this()](asio::error_code ec, std::size_t n) {
        if (self->m_closed || self->m_closing)
            return;
        if (ec)
        {
            if (ec == asio::error::eof)
                self->Close(CloseCause::PeerClosed, "the other side closed the connection");
            else
                self->Close(CloseCause::NetworkError, ec.message());
            return;
        }
        self->m_lastReceive = Clock::now();
        self->m_reader.Feed(std::span<const std::uint8_t>(self->m_readBuffer.data(), n));
        Message message;
        while (!self->m_closed && !self->m_closing && self->m_reader.Next(message))
        {
            if (auto* ping = std::get_if<Ping>(&message))
                self->Send(Pong{ping->token});
            else if (!std::holds_alternative<Pong>(message) && self->m_onMessage)
                self->m_onMessage(message);
        }
        if (self->m_closed || self->m_closing)
            return;
        if (self->m_reader.Error() != DecodeError::None)
        {
            if (self->m_onBadFrame)
                self->m_onBadFrame(self->m_reader.Error());
            if (!self->m_closed && !self->m_closing)
                self->Close(CloseCause::ProtocolError, DecodeErrorName(self->m_reader.Error()));
            return;
        }
        self->DoRead();
    });
}

bool Connection::Send(FrameBytes frame)
{
    if (m_closed)
        return false;
    if (m_queuedBytes + frame->size() > m_limits.maxQueuedBytes)
    {
        // Nobody waits for a peer that does not read: drop what is queued and cut it off.
        Close(CloseCause::SlowReader, "stopped reading (" + std::to_string(m_queuedBytes / 1024) + " KiB queued)");
        return false;
    }
    m_queuedBytes += frame->size();
    m_queue.push_back(std::move(frame));
    if (!m_writing)
        DoWrite();
    return true;
}

void Connection::DoWrite()
{
    m_writing = true;
    m_inflight.clear();
    m_buffers.clear();
    // gather up to 64 queued frames into one write: fewer syscalls under load
    while (!m_queue.empty() && m_inflight.size() < 64)
    {
        m_buffers.push_back(asio::buffer(*m_queue.front()));
        m_inflight.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
    }
    m_lastSend = Clock::now();
    asio::async_write(m_socket, m_buffers, [self = shared_from_this()](asio::error_code ec, std::size_t written) {
        if (self->m_closed)
            return;
        self->m_queuedBytes -= written;
        self->m_inflight.clear();
        if (ec)
        {
            self->Close(CloseCause::NetworkError, ec.message());
            return;
        }
        if (!self->m_queue.empty())
            self->DoWrite();
        else
        {
            self->m_writing = false;
            if (self->m_closing)
                self->Close(self->m_closeCause, self->m_closeWhy);
        }
        if (self->m_onWritten && !self->m_closed && !self->m_closing)
            self->m_onWritten();
    });
}

void Connection::CloseAfterFlush(CloseCause cause, std::string why)
{
    if (m_closed || m_closing)
        return;
    m_closing = true;
    m_closeCause = cause;
    m_closeWhy = std::move(why);
    if (!m_writing)
    {
        Close(m_closeCause, m_closeWhy);
        return;
    }
    m_closeDeadline = Clock::now() + m_limits.closeGrace;
    m_timer.cancel();
    ScheduleTick();
}

void Connection::Close(CloseCause cause, const std::string& why)
{
    if (m_closed)
        return;
    auto keepAlive = shared_from_this(); // the close handler may release our owner
    m_closed = true;
    m_closing = false;
    m_timer.cancel();
    asio::error_code ec;
    m_socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    m_socket.close(ec);
    m_queue.clear();
    m_queuedBytes = 0;
    // Drop the handlers before calling the last one: they may hold the owner, which holds us.
    auto onClosed = std::move(m_onClosed);
    m_onMessage = nullptr;
    m_onBadFrame = nullptr;
    m_onClosed = nullptr;
    m_onWritten = nullptr;
    if (onClosed)
        onClosed(cause, why);
}

void Connection::ScheduleTick()
{
    if (m_closed)
        return;
    auto period = std::min(m_limits.heartbeat, m_limits.idleTimeout) / 4;
    period = std::clamp(period, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
    m_timer.expires_after(period);
    m_timer.async_wait([weak = weak_from_this()](asio::error_code ec) {
        auto self = weak.lock();
        if (!self || ec == asio::error::operation_aborted || self->m_closed)
            return;
        self->OnTick();
    });
}

void Connection::OnTick()
{
    const auto now = Clock::now();
    if (m_closing)
    {
        if (now >= m_closeDeadline)
            Close(m_closeCause, m_closeWhy);
        else
            ScheduleTick();
        return;
    }
    if (now - m_lastReceive >= m_limits.idleTimeout)
    {
        const auto ms = m_limits.idleTimeout.count();
        const std::string why = "no answer for " + (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms");
        // Say why, in case the peer is alive but stuck; the close grace bounds the wait.
        if (Send(Bye{ByeReason::Timeout, why}))
            CloseAfterFlush(CloseCause::Timeout, why);
        return;
    }
    if (now - m_lastSend >= m_limits.heartbeat && !m_writing)
        Send(Ping{++m_pingToken});
    ScheduleTick();
}

} // namespace obrol::net

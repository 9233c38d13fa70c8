#include "raw_peer.hpp"

#include <array>

namespace obrol::test {

using Clock = std::chrono::steady_clock;

RawPeer::RawPeer(std::uint16_t port, std::optional<int> receiveBufferBytes)
{
    m_socket.open(asio::ip::tcp::v4());
    if (receiveBufferBytes)
        m_socket.set_option(asio::socket_base::receive_buffer_size(*receiveBufferBytes));
    m_socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port));
}

void RawPeer::Write(const std::vector<std::uint8_t>& bytes)
{
    asio::write(m_socket, asio::buffer(bytes));
}

bool RawPeer::ReadSome(Duration timeout)
{
    std::array<std::uint8_t, 16 * 1024> buffer;
    bool done = false;
    asio::error_code error;
    std::size_t received = 0;
    m_socket.async_read_some(asio::buffer(buffer), [&](asio::error_code ec, std::size_t n) {
        done = true;
        error = ec;
        received = n;
    });
    m_io.restart();
    m_io.run_for(timeout);
    if (!done)
    {
        m_socket.cancel();
        m_io.restart();
        m_io.run(); // completes the read (aborted, or with data that raced the cancel)
    }
    if (error == asio::error::operation_aborted)
        return false;
    if (error)
    {
        m_closed = true;
        m_closeError = error.message();
        return false;
    }
    m_reader.Feed(std::span<const std::uint8_t>(buffer.data(), received));
    return true;
}

std::optional<net::Message> RawPeer::Next(Duration timeout)
{
    const auto deadline = Clock::now() + timeout;
    for (;;)
    {
        net::Message message;
        if (m_reader.Next(message))
            return message;
        if (m_reader.Error() != net::DecodeError::None)
            FAIL("the server sent a malformed frame: " << net::DecodeErrorName(m_reader.Error()));
        const auto now = Clock::now();
        if (m_closed || now >= deadline)
            return std::nullopt;
        ReadSome(std::chrono::duration_cast<Duration>(deadline - now) + 1ms);
    }
}

std::vector<net::Message> RawPeer::Login(const std::string& nick, const engine::Identity& identity, std::uint64_t token,
                                         std::uint64_t lastSeenId)
{
    if (token || lastSeenId)
        Send(net::Resume{token, lastSeenId});
    net::Hello hello;
    hello.nick = nick;
    hello.software = "raw socket";
    hello.publicKey = identity.Public();
    Send(hello);
    std::vector<net::Message> answers;
    while (auto m = Next())
    {
        answers.push_back(*m);
        if (auto* challenge = std::get_if<net::Challenge>(&*m))
            Send(net::Proof{identity.Sign(net::ProofMessage(challenge->nonce, identity.Public(), nick))});
        else if (std::holds_alternative<net::Refuse>(*m) || std::holds_alternative<net::History>(*m))
            break;
    }
    return answers;
}

std::vector<net::Message> RawPeer::ReadUntilClosed(Duration timeout)
{
    const auto deadline = Clock::now() + timeout;
    std::vector<net::Message> messages;
    while (!m_closed)
    {
        const auto now = Clock::now();
        if (now >= deadline)
            break;
        if (auto message = Next(std::chrono::duration_cast<Duration>(deadline - now) + 1ms))
            messages.push_back(std::move(*message));
    }
    return messages;
}

} // namespace obrol::test

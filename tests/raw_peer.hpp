// A hand-driven TCP client for tests: it speaks the Obrol wire frame by frame (the v3 login
// included), for peers that misbehave on purpose and for doors driven from outside. Test thread only.
#pragma once

#include "engine/identity.hpp"
#include "net/protocol.hpp"

#include <asio.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace obrol::test {

using namespace std::chrono_literals;
using Duration = std::chrono::milliseconds;

// Generous: a loaded 2-core CI box (or a sanitizer build) must never hit it in a passing run.
constexpr Duration DefaultTimeout = 10s;

class RawPeer
{
public:
    // Connects to 127.0.0.1:port. A receive buffer size is set before connecting, so the
    // advertised window stays small.
    explicit RawPeer(std::uint16_t port, std::optional<int> receiveBufferBytes = {});

    void Write(const std::vector<std::uint8_t>& bytes);
    void Send(const net::Message& message) { Write(net::Encode(message)); }

    // The version-3 handshake: Resume (when token or lastSeenId is set), Hello with the key,
    // and the Proof once the Challenge came. Returns what the server answered, up to the
    // History that follows a Welcome, or up to a Refuse.
    std::vector<net::Message> Login(const std::string& nick, const engine::Identity& identity,
                                    std::uint64_t token = 0, std::uint64_t lastSeenId = 0);
    // The same with a key made for this call.
    std::vector<net::Message> Login(const std::string& nick) { return Login(nick, engine::Identity::Generate()); }

    // The next frame from the server; nullopt when the connection closed or `timeout` passed.
    std::optional<net::Message> Next(Duration timeout = DefaultTimeout);
    // Reads (and returns) everything until the server closes the connection or `timeout` passes.
    std::vector<net::Message> ReadUntilClosed(Duration timeout = DefaultTimeout);
    bool Closed() const { return m_closed; }
    const std::string& CloseError() const { return m_closeError; }

private:
    bool ReadSome(Duration timeout); // false on timeout or close

    asio::io_context m_io;
    asio::ip::tcp::socket m_socket{m_io};
    net::FrameReader m_reader;
    bool m_closed = false;
    std::string m_closeError;
};

template <class T> const T* As(const std::optional<net::Message>& message)
{
    return message ? std::get_if<T>(&*message) : nullptr;
}

// The first message of type T in a list, or null.
template <class T> const T* First(const std::vector<net::Message>& messages)
{
    for (const auto& m : messages)
        if (auto* t = std::get_if<T>(&m))
            return t;
    return nullptr;
}

} // namespace obrol::test

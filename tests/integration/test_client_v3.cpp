// The client's side of protocol v3 against a hand-driven server socket: the Hello with its key,
// the Proof, refusals for owned nicknames, the key kept across reconnects, room requests. Test
// thread only (the client runs on its own network thread).
#include "harness.hpp"

#include "engine/identity.hpp"

using namespace obrol;
using namespace obrol::test;
using asio::ip::tcp;

namespace {

// One listening socket on 127.0.0.1:0 that plays the server, one blocking connection at a time.
class FakeServer
{
public:
    FakeServer() : m_acceptor(m_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

    std::uint16_t Port() const { return m_acceptor.local_endpoint().port(); }

    void Accept()
    {
        m_socket = std::make_unique<tcp::socket>(m_io);
        m_reader = net::FrameReader{};
        m_acceptor.accept(*m_socket);
    }

    net::Message Next()
    {
        net::Message m;
        while (!m_reader.Next(m))
        {
            std::array<std::uint8_t, 4096> buffer{};
            asio::error_code ec;
            const std::size_t n = m_socket->read_some(asio::buffer(buffer), ec);
            REQUIRE_MESSAGE(!ec, "the client closed the connection: " << ec.message());
            m_reader.Feed(std::span<const std::uint8_t>(buffer.data(), n));
        }
        return m;
    }

    template <class T> T Expect()
    {
        net::Message m = Next();
        REQUIRE_MESSAGE(std::holds_alternative<T>(m), "got " << Describe(m));
        return std::get<T>(m);
    }

    void Send(const net::Message& message) { asio::write(*m_socket, asio::buffer(net::Encode(message))); }
    void Drop() { m_socket->close(); }

    // Resume, Hello, Challenge, Proof (checked), Welcome; returns the Hello.
    net::Hello Handshake(const std::string& nick, std::vector<net::RoomInfo> rooms = {})
    {
        Expect<net::Resume>();
        const auto hello = Expect<net::Hello>();
        net::Challenge challenge;
        challenge.nonce.fill(7);
        Send(challenge);
        const auto proof = Expect<net::Proof>();
        CHECK(engine::VerifySignature(hello.publicKey, net::ProofMessage(challenge.nonce, hello.publicKey, hello.nick),
                                      proof.signature));
        net::Welcome welcome;
        welcome.nick = nick;
        welcome.users = {nick};
        welcome.rooms = {net::RoomInfo{net::EveryoneRoom, "", 1, {}, true}};
        for (auto& room : rooms)
            welcome.rooms.push_back(std::move(room));
        Send(welcome);
        return hello;
    }

private:
    asio::io_context m_io;
    tcp::acceptor m_acceptor;
    std::unique_ptr<tcp::socket> m_socket;
    net::FrameReader m_reader;
};

} // namespace

TEST_SUITE("client v3")
{
    TEST_CASE("the client names its key in Hello and proves it by signing the challenge")
    {
        Harness h;
        FakeServer server;
        TestClient& alice = h.AddClient("alice");
        alice.Connect(server.Port(), "alice");
        server.Accept();
        const net::Hello hello = server.Handshake("alice", {net::RoomInfo{"games", "dice", 1, {"alice"}, true}});
        CHECK(hello.version == net::ProtocolVersion);
        CHECK(hello.minVersion == net::MinProtocolVersion);
        CHECK(hello.publicKey == h.IdentityOf("alice")->Public());
        h.WaitUntil([&] { return alice.Connected(); }, "alice to join");
        const ui::Conversation* games = alice.model.Find("#games");
        REQUIRE(games);
        CHECK(games->topic == "dice");
    }

    TEST_CASE("a nickname owned by another key ends the client as refused, with the server's reason")
    {
        Harness h;
        FakeServer server;
        TestClient& alice = h.AddClient("alice");
        alice.Connect(server.Port(), "alice", {}, Reconnect::Yes);
        server.Accept();
        server.Expect<net::Resume>();
        server.Expect<net::Hello>();
        server.Send(net::Challenge{});
        server.Expect<net::Proof>();
        const std::string why = "the nickname \"alice\" belongs to someone else; choose another, or ask the server's operator to release it";
        server.Send(net::Refuse{net::RefuseCode::NickOwned, why});
        h.WaitUntil([&] { return alice.Ended() != nullptr; }, "alice to be refused");
        CHECK(alice.Ended()->reason == net::EndReason::Refused);
        CHECK(alice.Ended()->refuse == net::RefuseCode::NickOwned);
        CHECK(alice.Ended()->text == why);
        CHECK(alice.model.LastRefuse() == net::RefuseCode::NickOwned);
    }

    TEST_CASE("a reconnect proves the same key and resends an unacknowledged room message")
    {
        Harness h;
        FakeServer server;
        TestClient& carol = h.AddClient("carol");
        carol.Connect(server.Port(), "carol", {}, Reconnect::Yes);
        server.Accept();
        const net::Hello first = server.Handshake("carol", {net::RoomInfo{"games", "", 1, {"carol"}, true}});
        h.WaitUntil([&] { return carol.Connected(); }, "carol to join");
        carol.Say(net::Target::Room("games"), "still there?");
        CHECK(server.Expect<net::Say>().to == net::Target::Room("games"));
        server.Drop();

        server.Accept();
        const net::Hello second = server.Handshake("carol", {net::RoomInfo{"games", "", 1, {"carol"}, true}});
        CHECK(second.publicKey == first.publicKey);
        const auto resent = server.Expect<net::Say>();
        CHECK(resent.resend);
        CHECK(resent.text == "still there?");
        CHECK(resent.to == net::Target::Room("games"));
    }

    TEST_CASE("room requests go out as room frames, and ones made while connecting after the Welcome")
    {
        Harness h;
        FakeServer server;
        TestClient& dan = h.AddClient("dan");
        dan.Connect(server.Port(), "dan");
        dan.client.JoinRoom("chess"); // not joined yet: kept until the Welcome
        dan.Say(net::Target::Room("chess"), "first move");
        server.Accept();
        server.Handshake("dan");
        CHECK(server.Expect<net::RoomJoin>().room == "chess");
        CHECK(server.Expect<net::Say>().to == net::Target::Room("chess")); // after the join it needs

        dan.client.PartRoom("chess", "done");
        const auto part = server.Expect<net::RoomPart>();
        CHECK((part.room == "chess" && part.reason == "done"));
        dan.client.SetTopic("games", "dice");
        const auto topic = server.Expect<net::RoomTopic>();
        CHECK((topic.room == "games" && topic.topic == "dice"));
        dan.client.ListRooms();
        server.Expect<net::RoomListRequest>();
        dan.client.RequestHistory(net::Target::Room("games"), 40, 10);
        CHECK(server.Expect<net::HistoryRequest>().conversation == net::Target::Room("games"));

        server.Send(net::RoomState{net::RoomInfo{"chess", "openings", 2, {"dan", "eve"}, true}});
        server.Send(net::RoomList{{net::RoomInfo{net::EveryoneRoom, "", 2, {}, true}, net::RoomInfo{"chess", "", 2, {}, true}}});
        h.WaitUntil([&] { return dan.model.RoomList().size() == 2; }, "the room list");
        const ui::Conversation* chess = dan.model.Find("#chess");
        REQUIRE(chess);
        CHECK(chess->members == std::vector<std::string>{"dan", "eve"});
        CHECK(chess->topic == "openings");
    }
}

// The version-3 login attacked from a raw socket: every wrong step gets the documented answer
// (docs/PROTOCOL.md 7.1) and nobody gets in without proving the key named in Hello.
#include "integration/harness.hpp"

#include "engine/identity.hpp"

namespace obrol::test {

namespace {

net::Hello HelloFor(const std::string& nick, const engine::Identity& identity)
{
    net::Hello hello;
    hello.nick = nick;
    hello.software = "handshake test";
    hello.publicKey = identity.Public();
    return hello;
}

// Reads until the server closes the connection: the Refuse it sent (no Welcome may come first).
std::optional<net::Refuse> RefusedWith(RawPeer& peer)
{
    const auto messages = peer.ReadUntilClosed();
    CHECK(peer.Closed());
    CHECK_FALSE(First<net::Welcome>(messages));
    if (const auto* refuse = First<net::Refuse>(messages))
        return *refuse;
    return std::nullopt;
}

} // namespace

TEST_SUITE("handshake")
{

TEST_CASE("a wrong signature, another key's signature or a zero key never gets in")
{
    Harness h;
    h.StartServer();
    const auto ana = engine::Identity::Generate();
    const auto other = engine::Identity::Generate();

    SUBCASE("a signature of garbage")
    {
        RawPeer peer(h.Server().port);
        peer.Send(HelloFor("ana", ana));
        auto challenge = peer.Next();
        REQUIRE(As<net::Challenge>(challenge));
        net::Proof proof;
        proof.signature.fill(0x42);
        peer.Send(proof);
        const auto refuse = RefusedWith(peer);
        REQUIRE(refuse);
        CHECK(refuse->code == net::RefuseCode::BadProof);
    }
    SUBCASE("a real signature by another key than the one in Hello")
    {
        RawPeer peer(h.Server().port);
        peer.Send(HelloFor("ana", ana));
        auto challenge = peer.Next();
        REQUIRE(As<net::Challenge>(challenge));
        const auto* c = As<net::Challenge>(challenge);
        peer.Send(net::Proof{other.Sign(net::ProofMessage(c->nonce, ana.Public(), "ana"))});
        const auto refuse = RefusedWith(peer);
        REQUIRE(refuse);
        CHECK(refuse->code == net::RefuseCode::BadProof);
    }
    SUBCASE("a signature of another connection's challenge (a replay)")
    {
        RawPeer first(h.Server().port);
        first.Send(HelloFor("ana", ana));
        auto challenge = first.Next();
        REQUIRE(As<net::Challenge>(challenge));
        const auto oldProof = net::Proof{ana.Sign(net::ProofMessage(As<net::Challenge>(challenge)->nonce, ana.Public(), "ana"))};
        RawPeer second(h.Server().port);
        second.Send(HelloFor("ana", ana));
        REQUIRE(As<net::Challenge>(second.Next()));
        second.Send(oldProof);
        const auto refuse = RefusedWith(second);
        REQUIRE(refuse);
        CHECK(refuse->code == net::RefuseCode::BadProof);
    }
    SUBCASE("an all-zero key")
    {
        RawPeer peer(h.Server().port);
        net::Hello hello = HelloFor("ana", ana);
        hello.publicKey = {};
        peer.Send(hello);
        const auto refuse = RefusedWith(peer);
        REQUIRE(refuse);
        CHECK(refuse->code == net::RefuseCode::BadHello);
    }
    CHECK_FALSE(h.Server().HasJoined("ana"));
}

TEST_CASE("versions: an old client is told to update, a client too new is told the server must")
{
    Harness h;
    h.StartServer();
    const auto key = engine::Identity::Generate();
    // the answer to a Hello speaking versions minVersion..version
    const auto answer = [&](const std::string& nick, std::uint16_t version, std::uint16_t minVersion) {
        RawPeer peer(h.Server().port);
        net::Hello hello = HelloFor(nick, key);
        hello.version = version; // below 3: the version-2 layout, no minVersion, no key
        hello.minVersion = minVersion;
        peer.Send(hello);
        auto first = peer.Next();
        REQUIRE(first);
        return *first;
    };
    const auto old = answer("old", 2, 2);
    REQUIRE(std::holds_alternative<net::Refuse>(old));
    CHECK(std::get<net::Refuse>(old).code == net::RefuseCode::VersionMismatch);
    CHECK(Contains(std::get<net::Refuse>(old).reason, "update Obrol"));
    const auto future = answer("future", 9, 7);
    REQUIRE(std::holds_alternative<net::Refuse>(future));
    CHECK(std::get<net::Refuse>(future).code == net::RefuseCode::VersionMismatch);
    CHECK(Contains(std::get<net::Refuse>(future).reason, "operator"));
    // a newer client that still speaks 3 is served with 3
    const auto newer = answer("newer", 5, 3);
    REQUIRE(std::holds_alternative<net::Challenge>(newer));
    CHECK(std::get<net::Challenge>(newer).version == 3);
}

TEST_CASE("handshake frames out of turn close the connection with BadFrame")
{
    Harness h;
    h.StartServer();
    auto& ana = h.Join("ana");
    const auto key = engine::Identity::Generate();
    const auto expectBadFrame = [](RawPeer& peer) {
        const auto messages = peer.ReadUntilClosed();
        REQUIRE(peer.Closed());
        const auto* error = First<net::Error>(messages);
        REQUIRE(error);
        CHECK(error->code == net::ErrorCode::BadFrame);
        CHECK_FALSE(First<net::Welcome>(messages));
    };
    {
        RawPeer peer(h.Server().port); // a Proof nobody asked for
        peer.Send(net::Proof{});
        expectBadFrame(peer);
    }
    {
        RawPeer peer(h.Server().port); // Hello twice
        peer.Send(HelloFor("twice", key));
        peer.Send(HelloFor("twice", key));
        expectBadFrame(peer);
    }
    {
        RawPeer peer(h.Server().port); // a server's frame from a client
        peer.Send(net::Challenge{});
        expectBadFrame(peer);
    }
    {
        RawPeer peer(h.Server().port); // joined, then a Proof again
        REQUIRE(First<net::Welcome>(peer.Login("bo", key)));
        peer.Send(net::Proof{});
        expectBadFrame(peer);
    }
    auto& cy = h.Join("cy");
    SayAndWait(h, ana, {&cy}, "unaffected"); // the server still serves everyone else
}

}

} // namespace obrol::test

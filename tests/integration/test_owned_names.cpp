// Owned nicknames end to end: an impostor with another identity key gets nothing that belongs to
// the name's owner — not the private history, offline messages, live private messages, private
// files, resends or unfinished uploads — while the owner gets all of it back.
#include "integration/harness.hpp"

#include "engine/identity.hpp"

#include <algorithm>

namespace obrol::test {

namespace {

using net::Target;

// The next message of type T (others are skipped), or null.
template <class T> std::optional<T> Await(RawPeer& peer, const std::function<bool(const T&)>& match = nullptr)
{
    while (auto m = peer.Next())
        if (auto* t = std::get_if<T>(&*m); t && (!match || match(*t)))
            return *t;
    return std::nullopt;
}

bool LeaksAnything(const std::vector<net::Message>& messages, std::string& what)
{
    for (const auto& m : messages)
    {
        if (std::holds_alternative<net::Welcome>(m) || std::holds_alternative<net::History>(m) ||
            std::holds_alternative<net::Chat>(m) || std::holds_alternative<net::Ack>(m) ||
            std::holds_alternative<net::FileAccept>(m) || std::holds_alternative<net::FileChunk>(m) ||
            std::holds_alternative<net::Thumb>(m) || std::holds_alternative<net::SearchResults>(m) ||
            std::holds_alternative<net::RoomState>(m) || std::holds_alternative<net::RoomList>(m))
        {
            what = Describe(m);
            return true;
        }
    }
    return false;
}

} // namespace

TEST_SUITE("owned names")
{

TEST_CASE("an impostor of an owned nickname gets none of the owner's history, messages, files, resends or uploads")
{
    Harness h;
    TempDir data;
    net::ServerConfig config;
    config.dataDir = data.Path();
    h.StartServer(config);
    const std::uint16_t port = h.Server().port;
    const auto alice = engine::Identity::Generate();
    const auto mallory = engine::Identity::Generate();
    auto& bo = h.Join("bo");

    // alice: a private conversation with bo, an acknowledged message, a private file from bo,
    // and an upload of her own left unfinished when her connection drops
    std::uint64_t fileId = 0;
    std::uint64_t sayId = 0;
    {
        RawPeer peer(port);
        const auto answers = peer.Login("alice", alice, 555);
        REQUIRE(First<net::Welcome>(answers));
        peer.Send(net::Say{77, Target::Person("bo"), "alice's secret for bo"});
        auto ack = Await<net::Ack>(peer);
        REQUIRE(ack);
        sayId = ack->id;
        bo.Say("alice", "bo's secret for alice");
        auto fromBo = Await<net::Chat>(peer, [](const net::Chat& c) { return c.kind == net::ChatKind::Private; });
        REQUIRE(fromBo);
        CHECK(fromBo->text == "bo's secret for alice");

        TempDir src;
        const auto path = src.Path() / "for-alice.txt";
        {
            std::FILE* f = std::fopen(path.string().c_str(), "wb");
            REQUIRE(f);
            std::fputs("a private file only alice may fetch", f);
            std::fclose(f);
        }
        bo.client.SendFile(Target::Person("alice"), path);
        auto file = Await<net::Chat>(peer, [](const net::Chat& c) { return c.file.has_value(); });
        REQUIRE(file);
        fileId = file->id;

        peer.Send(net::FileOffer{88, Target::Person("bo"), "half.bin", 1024 * 1024});
        auto accept = Await<net::FileAccept>(peer);
        REQUIRE(accept);
        net::FileChunk chunk;
        chunk.id = 88;
        chunk.offset = 0;
        chunk.bytes.assign(256 * 1024, 0x5A);
        peer.Send(chunk);
        REQUIRE(Await<net::FileProgress>(peer, [](const net::FileProgress& p) { return p.received == 256 * 1024; }));
    } // the connection drops here
    h.WaitUntil([&] { return h.Server().LeftEvent("alice") != nullptr; }, "alice left");
    const std::uint64_t offlineClientId = bo.Say("alice", "for alice while she is away");
    h.WaitUntil([&] { const auto* line = bo.OwnLine(offlineClientId); return line && !line->pending; }, "the offline message is stored");

    // the impostor, in any case of the name, with the same run token, asking for everything
    {
        RawPeer impostor(port);
        const auto answers = impostor.Login("aLiCe", mallory, 555);
        const auto* refuse = First<net::Refuse>(answers);
        REQUIRE(refuse);
        CHECK(refuse->code == net::RefuseCode::NickOwned);
        CHECK(Contains(refuse->reason, "belongs to someone else"));
        std::string what;
        CHECK_MESSAGE(!LeaksAnything(answers, what), what);
        CHECK_MESSAGE(!LeaksAnything(impostor.ReadUntilClosed(), what), what);
    }
    {
        // the same, with every request pipelined behind the Proof so none waits for the refusal
        RawPeer impostor(port);
        impostor.Send(net::Resume{555, 0});
        net::Hello hello;
        hello.nick = "ALICE";
        hello.publicKey = mallory.Public();
        impostor.Send(hello);
        auto challenge = Await<net::Challenge>(impostor);
        REQUIRE(challenge);
        std::vector<std::uint8_t> burst;
        const auto add = [&](const net::Message& m) {
            const auto bytes = net::Encode(m);
            burst.insert(burst.end(), bytes.begin(), bytes.end());
        };
        add(net::Proof{mallory.Sign(net::ProofMessage(challenge->nonce, mallory.Public(), "ALICE"))});
        add(net::Say{77, Target::Person("bo"), "alice's secret for bo", true}); // a resend of hers
        add(net::FileOffer{88, Target::Person("bo"), "half.bin", 1024 * 1024}); // her unfinished upload
        add(net::FileGet{fileId, 0});
        add(net::ThumbGet{fileId});
        add(net::HistoryRequest{Target::Person("bo"), 0, 100, false});
        add(net::SearchRequest{1, "secret", 50});
        add(net::Resume{555, 1});
        impostor.Write(burst);
        const auto answers = impostor.ReadUntilClosed();
        std::string what;
        CHECK_MESSAGE(!LeaksAnything(answers, what), what);
        CHECK(First<net::Refuse>(answers));
    }
    // while the owner is online, a live private message reaches the owner only
    RawPeer owner(port);
    const auto back = owner.Login("alice", alice, 555);
    REQUIRE(First<net::Welcome>(back));
    const auto* history = First<net::History>(back);
    REQUIRE(history);
    std::vector<std::string> privateTexts;
    for (const auto& c : history->chats)
        if (c.kind == net::ChatKind::Private)
            privateTexts.push_back(c.text);
    CHECK(std::count(privateTexts.begin(), privateTexts.end(), "alice's secret for bo") == 1);
    CHECK(std::count(privateTexts.begin(), privateTexts.end(), "bo's secret for alice") == 1);
    CHECK(std::count(privateTexts.begin(), privateTexts.end(), "for alice while she is away") == 1);
    {
        RawPeer impostor(port);
        const auto answers = impostor.Login("alice", mallory);
        const auto* refuse = First<net::Refuse>(answers);
        REQUIRE(refuse);
        CHECK(refuse->code == net::RefuseCode::NickOwned);
    }
    bo.Say("alice", "live, for alice");
    auto live = Await<net::Chat>(owner, [](const net::Chat& c) { return c.text == "live, for alice"; });
    CHECK(live);

    // and the owner gets what is hers: the resend is recognised, the upload resumes, the file is hers to fetch
    owner.Send(net::Say{77, Target::Person("bo"), "alice's secret for bo", true});
    auto again = Await<net::Ack>(owner);
    REQUIRE(again);
    CHECK(again->id == sayId);
    owner.Send(net::FileOffer{88, Target::Person("bo"), "half.bin", 1024 * 1024});
    auto resumed = Await<net::FileAccept>(owner, [](const net::FileAccept& a) { return a.id == 88; });
    REQUIRE(resumed);
    CHECK(resumed->offset == 256 * 1024);
    owner.Send(net::FileGet{fileId, 0});
    auto download = Await<net::FileAccept>(owner, [&](const net::FileAccept& a) {
        return a.id == fileId && a.direction == net::TransferDirection::Download;
    });
    CHECK(download);
}

}

} // namespace obrol::test

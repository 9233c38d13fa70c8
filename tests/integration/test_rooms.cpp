// Rooms over the Obrol wire, and a data folder of the previous release served by this one.
#include "integration/harness.hpp"

#include "engine/file_names.hpp"
#include "engine/identity.hpp"

#include <fstream>
#include <iterator>

namespace obrol::test {

namespace {

using net::Target;

template <class T> std::optional<T> Await(RawPeer& peer, std::vector<net::Message>& seen,
                                          const std::function<bool(const T&)>& match = nullptr)
{
    while (auto m = peer.Next())
    {
        seen.push_back(*m);
        if (auto* t = std::get_if<T>(&*m); t && (!match || match(*t)))
            return *t;
    }
    return std::nullopt;
}

std::vector<std::uint8_t> ReadBytes(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_SUITE("rooms")
{

TEST_CASE("requests pipelined right behind a RoomJoin find the user in the room")
{
    Harness h;
    TempDir data;
    net::ServerConfig config;
    config.dataDir = data.Path();
    h.StartServer(config);
    auto& bo = h.Join("bo");
    RawPeer peer(h.Server().port);
    REQUIRE(First<net::Welcome>(peer.Login("ana")));

    std::vector<std::uint8_t> burst;
    for (const net::Message& m : std::vector<net::Message>{
             net::RoomJoin{"tea"}, net::Say{1, Target::Room("tea"), "first in the room", false},
             net::RoomTopic{"tea", "green or black"}, net::HistoryRequest{Target::Room("tea"), 0, 50, false},
             net::RoomListRequest{}, net::RoomPart{"tea", "done"}, net::Say{2, Target::Room("tea"), "too late", false}})
    {
        const auto bytes = net::Encode(m);
        burst.insert(burst.end(), bytes.begin(), bytes.end());
    }
    peer.Write(burst);

    std::vector<net::Message> seen;
    const auto ack = Await<net::Ack>(peer, seen);
    REQUIRE(ack);
    CHECK(ack->clientMsgId == 1);
    const auto page = Await<net::History>(peer, seen, [](const net::History& h) { return h.reason == net::HistoryReason::Page && h.chats.size() >= 2; });
    REQUIRE(page);
    CHECK(page->conversation == Target::Room("tea"));
    const auto list = Await<net::RoomList>(peer, seen);
    REQUIRE(list);
    REQUIRE(list->rooms.size() == 2);
    CHECK(list->rooms[1].name == "tea");
    CHECK(list->rooms[1].member);
    CHECK(list->rooms[1].topic == "green or black");
    const auto late = Await<net::Error>(peer, seen);
    REQUIRE(late);
    CHECK(late->clientMsgId == 2);
    CHECK(late->code == net::ErrorCode::NotAMember);
    std::string described;
    for (const auto& m : seen)
        described += Describe(m) + "; ";
    CAPTURE(described);
    CHECK(std::count_if(seen.begin(), seen.end(), [](const net::Message& m) { return std::holds_alternative<net::Error>(m); }) == 1);

    // bo, not in the room, saw none of it
    auto& cy = h.Join("cy");
    SayAndWait(h, cy, {&bo}, "barrier");
    CHECK(bo.Chats(net::ChatKind::RoomJoin).empty());
    CHECK(bo.Chats(net::ChatKind::Topic).empty());
    CHECK(bo.Chats(net::ChatKind::Public).size() == 1); // the barrier only
}

TEST_CASE("a data folder written by the previous release is served with every message and file")
{
    TempDir data;
    std::filesystem::copy(std::filesystem::path(OBROL_SOURCE_DIR) / "tests/data/archive-v2", data.Path(),
                          std::filesystem::copy_options::recursive);
    Harness h;
    net::ServerConfig config;
    config.dataDir = data.Path();
    config.historyLimit = 100;
    h.StartServer(config);

    // ana's name was never claimed (format 2 had no keys): the first identity to use it owns it
    const auto ana = engine::Identity::Generate();
    RawPeer peer(h.Server().port);
    const auto answers = peer.Login("ana", ana);
    REQUIRE(First<net::Welcome>(answers));
    const auto* history = First<net::History>(answers);
    REQUIRE(history);
    std::vector<std::string> texts;
    for (const auto& c : history->chats)
        texts.push_back(c.text);
    for (const char* expected : {"Hello everyone, this is Ana", "Are you coming to the café tonight?",
                                 "Yes, at eight o'clock", "The server restarts on Sunday", "sunset.png", "notes.txt",
                                 "Ünïcödé private note: 日本語", "Cy has gone"})
        CHECK_MESSAGE(std::find(texts.begin(), texts.end(), expected) != texts.end(), expected);

    // both files come back byte for byte: the public picture and bo's private file to ana
    for (const auto& c : history->chats)
    {
        if (!c.file)
            continue;
        CAPTURE(c.text);
        peer.Send(net::FileGet{c.id, 0});
        std::vector<std::uint8_t> bytes;
        std::vector<net::Message> seen;
        REQUIRE(Await<net::FileAccept>(peer, seen, [&](const net::FileAccept& a) { return a.id == c.id; }));
        while (bytes.size() < c.file->size)
        {
            const auto chunk = Await<net::FileChunk>(peer, seen, [&](const net::FileChunk& k) { return k.id == c.id; });
            REQUIRE(chunk);
            bytes.insert(bytes.end(), chunk->bytes.begin(), chunk->bytes.end());
        }
        CHECK(bytes == ReadBytes(data.Path() / "files" / engine::Sha256::Hex(c.file->sha256)));
    }

    // a stranger cannot fetch ana's private file, and ana's name is now hers
    RawPeer other(h.Server().port);
    const auto impostor = other.Login("ana");
    const auto* refuse = First<net::Refuse>(impostor);
    REQUIRE(refuse);
    CHECK(refuse->code == net::RefuseCode::NickOwned);
}

}

} // namespace obrol::test

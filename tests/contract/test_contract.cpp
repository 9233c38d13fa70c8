// The contract every door passes: each scenario runs once per door (FakeDoor: the chat core with
// a fake participant; ObrolDoor: the real server over the Obrol wire).
#include "contract/doors.hpp"

#include <algorithm>

namespace obrol::test::contract {

struct FakeDoor
{
    static std::unique_ptr<World> Make(bool archive = true) { return MakeFakeWorld(archive); }
};
struct ObrolDoor
{
    static std::unique_ptr<World> Make(bool archive = true) { return MakeObrolWorld(archive); }
};

} // namespace obrol::test::contract

TYPE_TO_STRING_AS("FakeDoor", obrol::test::contract::FakeDoor);
TYPE_TO_STRING_AS("ObrolDoor", obrol::test::contract::ObrolDoor);

namespace obrol::test::contract {

namespace {

using net::ChatKind;
using net::ErrorCode;
using net::Target;

std::vector<std::string> Texts(const std::vector<net::Chat>& records, ChatKind kind)
{
    std::vector<std::string> out;
    for (const auto& c : records)
        if (c.kind == kind)
            out.push_back(c.text);
    return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

const net::RoomInfo* FindRoom(const std::vector<net::RoomInfo>& rooms, const std::string& name)
{
    for (const auto& r : rooms)
        if (r.name == name)
            return &r;
    return nullptr;
}

struct People
{
    engine::Identity ana = engine::Identity::Generate();
    engine::Identity bo = engine::Identity::Generate();
    engine::Identity cy = engine::Identity::Generate();
    engine::Identity mallory = engine::Identity::Generate();
};

} // namespace

#define DOORS FakeDoor, ObrolDoor

TEST_SUITE("contract")
{

TEST_CASE_TEMPLATE("joining and leaving are seen by everyone online, and the user list agrees", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto ana = world->Connect("ana", &p.ana);
    REQUIRE(ana->login.ok);
    CHECK(ana->login.users == std::vector<std::string>{"ana"});
    auto bo = world->Connect("bo", &p.bo);
    REQUIRE(bo->login.ok);
    CHECK(bo->login.users == std::vector<std::string>{"ana", "bo"});
    CHECK(ana->WaitFor([](const auto& live) { return Has(live, ChatKind::Join, "bo"); }));
    bo->Quit();
    CHECK(ana->WaitFor([](const auto& live) { return Has(live, ChatKind::Leave, "bo"); }));
    CHECK_FALSE(Has(ana->Live(), ChatKind::Join, "ana")); // your own join comes with Welcome
}

TEST_CASE_TEMPLATE("a client never sees a Join for someone already in its Welcome list", Door, DOORS)
{
    std::vector<engine::Identity> ids;
    for (int i = 0; i < 12; ++i)
        ids.push_back(engine::Identity::Generate());
    auto world = Door::Make();
    std::vector<std::unique_ptr<User>> users;
    for (int i = 0; i < 12; ++i)
    {
        users.push_back(world->Connect("u" + std::to_string(i), &ids[static_cast<std::size_t>(i)]));
        REQUIRE(users.back()->login.ok);
    }
    std::vector<User*> all;
    for (auto& u : users)
        all.push_back(u.get());
    Barrier(*world, all);
    for (auto& u : users)
    {
        // apply Join/Leave on top of Welcome: never a second Join, never a Leave of a stranger
        std::vector<std::string> present = u->login.users;
        for (const auto& record : u->Live())
        {
            if (record.kind == ChatKind::Join)
            {
                CHECK_MESSAGE(!Contains(present, record.from), record.from << " was listed and joined again");
                present.push_back(record.from);
            }
            else if (record.kind == ChatKind::Leave)
                CHECK(Contains(present, record.from));
        }
        CHECK(present.size() == 12);
    }
}

TEST_CASE_TEMPLATE("a public message reaches everyone else once, acknowledged with increasing ids", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto ana = world->Connect("ana", &p.ana);
    auto bo = world->Connect("bo", &p.bo);
    const Reply first = ana->Say(Target::Everyone(), "hello all");
    const Reply second = ana->Say(Target::Everyone(), "again");
    REQUIRE(first.ok);
    REQUIRE(second.ok);
    CHECK(second.id > first.id);
    Barrier(*world, {ana.get(), bo.get()});
    CHECK(Texts(bo->Live(), ChatKind::Public) == std::vector<std::string>{"hello all", "again"});
    CHECK(Texts(ana->Live(), ChatKind::Public).empty()); // the Ack confirms it to its sender
    const Reply empty = ana->Say(Target::Everyone(), "  \n ");
    CHECK_FALSE(empty.ok);
    CHECK(empty.code == ErrorCode::EmptyText);
}

TEST_CASE_TEMPLATE("a private message reaches its recipient only, and waits for one who is offline", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto ana = world->Connect("ana", &p.ana);
    auto bo = world->Connect("bo", &p.bo);
    auto cy = world->Connect("cy", &p.cy);
    REQUIRE(ana->Say(Target::Person("BO"), "just for you").ok);
    Barrier(*world, {ana.get(), bo.get(), cy.get()});
    CHECK(Texts(bo->Live(), ChatKind::Private) == std::vector<std::string>{"just for you"});
    CHECK(Texts(cy->Live(), ChatKind::Private).empty());
    CHECK(cy->Search("just").empty());

    bo->Quit();
    REQUIRE(world->WaitLeft("bo"));
    REQUIRE(ana->Say(Target::Person("bo"), "while you were out").ok);
    const Reply stranger = ana->Say(Target::Person("nobody"), "hello?");
    CHECK_FALSE(stranger.ok);
    CHECK(stranger.code == ErrorCode::UnknownUser);
    auto back = world->Connect("bo", &p.bo);
    REQUIRE(back->login.ok);
    CHECK(Contains(Texts(back->login.history.chats, ChatKind::Private), "while you were out"));
}

TEST_CASE_TEMPLATE("rooms: join creates, members get the room's messages, others do not", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto ana = world->Connect("ana", &p.ana);
    auto bo = world->Connect("bo", &p.bo);
    auto cy = world->Connect("cy", &p.cy);

    const RoomReply created = ana->Join("games");
    REQUIRE(created.reply.ok);
    CHECK(created.state.name == "games");
    CHECK(created.state.members == std::vector<std::string>{"ana"});
    CHECK(created.state.member);
    CHECK(ana->WaitFor([](const auto& live) { return Has(live, ChatKind::RoomJoin, "ana"); }));

    const RoomReply joined = bo->Join("GAMES"); // names compare case-insensitively
    REQUIRE(joined.reply.ok);
    CHECK(joined.state.name == "games");
    CHECK(joined.state.members == std::vector<std::string>{"ana", "bo"});
    CHECK(ana->WaitFor([](const auto& live) { return Has(live, ChatKind::RoomJoin, "bo"); }));

    REQUIRE(ana->Say(Target::Room("games"), "who plays?").ok);
    const Reply outsider = cy->Say(Target::Room("games"), "let me in");
    CHECK_FALSE(outsider.ok);
    CHECK(outsider.code == ErrorCode::NotAMember);
    const Reply nowhere = cy->Say(Target::Room("no-such-room"), "hello");
    CHECK_FALSE(nowhere.ok);
    CHECK(nowhere.code == ErrorCode::UnknownRoom);
    Barrier(*world, {ana.get(), bo.get(), cy.get()});
    CHECK(Texts(bo->Live(), ChatKind::Public) == std::vector<std::string>{"who plays?"});
    CHECK(Texts(cy->Live(), ChatKind::Public).empty());
    CHECK_FALSE(Has(cy->Live(), ChatKind::RoomJoin, "ana"));
    CHECK_FALSE(cy->Page(Target::Room("games"), 0, 50).has_value());

    const RoomReply bad = cy->Join("two words");
    CHECK_FALSE(bad.reply.ok);
    CHECK(bad.reply.code == ErrorCode::InvalidName);
}

TEST_CASE_TEMPLATE("rooms: leaving, topics, the list with member counts; everyone cannot be left", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto ana = world->Connect("ana", &p.ana);
    auto bo = world->Connect("bo", &p.bo);
    REQUIRE(ana->Join("books").reply.ok);
    REQUIRE(bo->Join("books").reply.ok);
    REQUIRE(ana->Join("music").reply.ok);

    const Reply topic = bo->Topic("books", "this month: Dune");
    REQUIRE(topic.ok);
    CHECK(ana->WaitFor([](const auto& live) { return Has(live, ChatKind::Topic, "bo", "this month: Dune"); }));
    const Reply notMember = bo->Topic("music", "x");
    CHECK_FALSE(notMember.ok);
    CHECK(notMember.code == ErrorCode::NotAMember);

    const auto rooms = bo->Rooms();
    REQUIRE(rooms.size() == 3);
    CHECK(rooms[0].name == "everyone");
    const auto* books = FindRoom(rooms, "books");
    const auto* music = FindRoom(rooms, "music");
    REQUIRE(books);
    REQUIRE(music);
    CHECK(books->memberCount == 2);
    CHECK(books->member);
    CHECK(books->topic == "this month: Dune");
    CHECK(music->memberCount == 1);
    CHECK_FALSE(music->member);

    REQUIRE(bo->Part("books").ok);
    CHECK(ana->WaitFor([](const auto& live) { return Has(live, ChatKind::RoomLeave, "bo"); }));
    CHECK(Has(bo->Live(), ChatKind::RoomLeave, "bo")); // the leaver is told too
    const Reply again = bo->Part("books");
    CHECK_FALSE(again.ok);
    CHECK(again.code == ErrorCode::NotAMember);
    const Reply everyone = bo->Part("everyone");
    CHECK_FALSE(everyone.ok);
    CHECK(everyone.code == ErrorCode::NotAllowed);
    REQUIRE(ana->Say(Target::Room("books"), "quiet now").ok);
    Barrier(*world, {ana.get(), bo.get()});
    CHECK_FALSE(Contains(Texts(bo->Live(), ChatKind::Public), "quiet now"));
}

TEST_CASE_TEMPLATE("membership outlives the connection: rooms and what was missed come back on joining", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto ana = world->Connect("ana", &p.ana);
    auto bo = world->Connect("bo", &p.bo);
    REQUIRE(ana->Join("plans").reply.ok);
    REQUIRE(bo->Join("plans").reply.ok);
    REQUIRE(bo->Say(Target::Room("plans"), "before").ok);
    const std::uint64_t lastSeen = bo->Say(Target::Everyone(), "last seen").id;
    bo->Quit();
    REQUIRE(world->WaitLeft("bo"));
    REQUIRE(ana->Say(Target::Room("plans"), "while bo was away").ok);
    REQUIRE(ana->Join("secret").reply.ok);
    REQUIRE(ana->Say(Target::Room("secret"), "not for bo").ok);

    auto fresh = world->Connect("bo", &p.bo); // a fresh join: recent history of each room
    REQUIRE(fresh->login.ok);
    REQUIRE(FindRoom(fresh->login.rooms, "plans"));
    CHECK(FindRoom(fresh->login.rooms, "plans")->members == std::vector<std::string>{"ana", "bo"});
    CHECK_FALSE(FindRoom(fresh->login.rooms, "secret"));
    const auto texts = Texts(fresh->login.history.chats, ChatKind::Public);
    CHECK(Contains(texts, "while bo was away"));
    CHECK(Contains(texts, "before"));
    CHECK_FALSE(Contains(texts, "not for bo"));
    fresh->Quit();
    REQUIRE(world->WaitLeft("bo"));

    auto resumed = world->Connect("bo", &p.bo, 7, lastSeen); // a resume: everything after lastSeen
    REQUIRE(resumed->login.ok);
    CHECK(resumed->login.history.reason == net::HistoryReason::Resume);
    const auto missed = Texts(resumed->login.history.chats, ChatKind::Public);
    CHECK(Contains(missed, "while bo was away"));
    CHECK_FALSE(Contains(missed, "before"));
    CHECK_FALSE(Contains(missed, "not for bo"));
}

TEST_CASE_TEMPLATE("history pages per room and search covers only what the user may see", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto ana = world->Connect("ana", &p.ana);
    auto bo = world->Connect("bo", &p.bo);
    REQUIRE(ana->Join("garden").reply.ok);
    for (int i = 0; i < 30; ++i)
        REQUIRE(ana->Say(Target::Room("garden"), "tomato " + std::to_string(i)).ok);
    REQUIRE(ana->Say(Target::Everyone(), "tomato for everyone").ok);
    REQUIRE(ana->Say(Target::Person("bo"), "tomato just for bo").ok);

    const auto page = ana->Page(Target::Room("garden"), 0, 10);
    REQUIRE(page);
    REQUIRE(page->chats.size() == 10);
    CHECK(page->more);
    CHECK(page->chats.back().text == "tomato 29");
    const auto older = ana->Page(Target::Room("garden"), page->chats.front().id, 10);
    REQUIRE(older);
    REQUIRE(older->chats.size() == 10);
    CHECK(older->chats.back().text == "tomato 19");
    for (const auto& c : older->chats)
        CHECK(c.to == Target::Room("garden"));

    const auto boFound = Texts(bo->Search("tomato"), ChatKind::Public);
    CHECK(boFound == std::vector<std::string>{"tomato for everyone"});
    CHECK(Texts(bo->Search("tomato"), ChatKind::Private) == std::vector<std::string>{"tomato just for bo"});
    CHECK(ana->Search("tomato").size() == 32);
}

TEST_CASE_TEMPLATE("a resend with the same message id is stored once", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto ana = world->Connect("ana", &p.ana);
    auto bo = world->Connect("bo", &p.bo);
    const Reply first = ana->Say(Target::Everyone(), "only once", 4242);
    const Reply resent = ana->Say(Target::Everyone(), "only once", 4242, true);
    REQUIRE(first.ok);
    REQUIRE(resent.ok);
    CHECK(resent.id == first.id);
    Barrier(*world, {ana.get(), bo.get()});
    CHECK(Texts(bo->Live(), ChatKind::Public).size() == 1);
}

TEST_CASE_TEMPLATE("the operator's kick dismisses the user and everyone sees them leave", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto ana = world->Connect("ana", &p.ana);
    auto bo = world->Connect("bo", &p.bo);
    world->Kick("BO");
    CHECK(bo->WaitDismissed() == net::ByeReason::Kicked);
    CHECK(ana->WaitFor([](const auto& live) { return Has(live, ChatKind::Leave, "bo"); }));
}

TEST_CASE_TEMPLATE("an owned nickname is refused to another identity until the operator releases it", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    {
        auto ana = world->Connect("ana", &p.ana);
        REQUIRE(ana->login.ok);
        ana->Quit();
        REQUIRE(world->WaitLeft("ana"));
    }
    auto impostor = world->Connect("aNa", &p.mallory);
    CHECK_FALSE(impostor->login.ok);
    CHECK(impostor->login.code == net::RefuseCode::NickOwned);
    CHECK(impostor->login.reason.find("belongs to someone else") != std::string::npos);
    auto keyless = world->Connect("ana", nullptr);
    CHECK_FALSE(keyless->login.ok);

    auto owner = world->Connect("ANA", &p.ana); // the owner, whatever the case
    CHECK(owner->login.ok);
    owner->Quit();
    REQUIRE(world->WaitLeft("ANA"));

    world->Release("ana");
    auto newOwner = world->Connect("ana", &p.mallory);
    CHECK(newOwner->login.ok);
    newOwner->Quit();
    REQUIRE(world->WaitLeft("ana"));
    auto oldOwner = world->Connect("ana", &p.ana);
    CHECK_FALSE(oldOwner->login.ok);
    CHECK(oldOwner->login.code == net::RefuseCode::NickOwned);
}

TEST_CASE_TEMPLATE("owned names survive a restart of the server", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    {
        auto ana = world->Connect("ana", &p.ana);
        REQUIRE(ana->login.ok);
        REQUIRE(ana->Join("club").reply.ok);
        ana->Quit();
        REQUIRE(world->WaitLeft("ana"));
    }
    world->Restart();
    auto impostor = world->Connect("ana", &p.mallory);
    CHECK(impostor->login.code == net::RefuseCode::NickOwned);
    auto ana = world->Connect("ana", &p.ana);
    REQUIRE(ana->login.ok);
    CHECK(FindRoom(ana->login.rooms, "club"));
}

TEST_CASE_TEMPLATE("the same identity and run takes over its stale session; another run is told the name is taken", Door, DOORS)
{
    People p;
    auto world = Door::Make();
    auto first = world->Connect("ana", &p.ana, 99);
    REQUIRE(first->login.ok);
    auto otherRun = world->Connect("ana", &p.ana, 100);
    CHECK_FALSE(otherRun->login.ok);
    CHECK(otherRun->login.code == net::RefuseCode::NickTaken);
    auto again = world->Connect("ana", &p.ana, 99);
    CHECK(again->login.ok);
    CHECK(first->WaitDismissed().has_value());
}

TEST_CASE_TEMPLATE("without an archive, rooms and private messages still work while the server runs", Door, DOORS)
{
    People p;
    auto world = Door::Make(false);
    auto ana = world->Connect("ana", &p.ana);
    auto bo = world->Connect("bo", &p.bo);
    REQUIRE(ana->Join("tmp").reply.ok);
    REQUIRE(bo->Join("tmp").reply.ok);
    REQUIRE(ana->Say(Target::Room("tmp"), "hi room").ok);
    REQUIRE(ana->Say(Target::Person("bo"), "hi you").ok);
    Barrier(*world, {ana.get(), bo.get()});
    CHECK(Texts(bo->Live(), ChatKind::Public) == std::vector<std::string>{"hi room"});
    CHECK(Texts(bo->Live(), ChatKind::Private) == std::vector<std::string>{"hi you"});
    const Reply offline = ana->Say(Target::Person("zed"), "anyone?");
    CHECK(offline.code == ErrorCode::UnknownUser);
}

}

} // namespace obrol::test::contract

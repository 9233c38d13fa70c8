// ClientModel with rooms: synthesized ClientEvents applied in order, no sockets. Test thread only.
#include "ui/model/client_model.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace obrol;
using ui::ClientModel;
using ui::LineKind;

namespace {

net::RoomInfo Room(std::string name, std::vector<std::string> members, std::string topic = {})
{
    net::RoomInfo room;
    room.name = std::move(name);
    room.topic = std::move(topic);
    room.memberCount = static_cast<std::uint32_t>(members.size());
    room.members = std::move(members);
    room.member = true;
    return room;
}

net::ClientEvent Welcome(std::string nick, std::vector<std::string> users, std::vector<net::RoomInfo> rooms = {})
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::Connected;
    e.welcome.nick = std::move(nick);
    e.welcome.serverName = "Test";
    e.welcome.users = std::move(users);
    net::RoomInfo everyone;
    everyone.name = net::EveryoneRoom;
    everyone.memberCount = static_cast<std::uint32_t>(e.welcome.users.size());
    everyone.member = true;
    e.welcome.rooms.push_back(everyone);
    for (auto& room : rooms)
        e.welcome.rooms.push_back(std::move(room));
    return e;
}

net::Chat Record(std::uint64_t id, net::ChatKind kind, std::string from, net::Target to, std::string text = {})
{
    net::Chat chat;
    chat.id = id;
    chat.timeMs = 1'700'000'000'000 + static_cast<std::int64_t>(id);
    chat.kind = kind;
    chat.from = std::move(from);
    chat.to = std::move(to);
    chat.text = std::move(text);
    return chat;
}

net::ClientEvent Live(net::Chat chat)
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::Chat;
    e.chat = std::move(chat);
    return e;
}

net::ClientEvent HistoryOf(net::HistoryReason reason, net::Target conversation, bool more, std::vector<net::Chat> chats)
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::History;
    e.history.reason = reason;
    e.history.conversation = std::move(conversation);
    e.history.more = more;
    e.history.chats = std::move(chats);
    return e;
}

net::ClientEvent RoomStateOf(net::RoomInfo room)
{
    net::ClientEvent e;
    e.kind = net::ClientEvent::Kind::RoomState;
    e.room = std::move(room);
    return e;
}

const auto Games = net::Target::Room("games");
const auto Chess = net::Target::Room("chess");

std::vector<std::string> Texts(const ui::Conversation& c, LineKind kind)
{
    std::vector<std::string> out;
    for (const auto& line : c.lines)
        if (line.kind == kind)
            out.push_back(line.text);
    return out;
}

std::vector<std::string> Ids(const ui::Conversation& c)
{
    std::vector<std::string> out;
    for (const auto& line : c.lines)
        if (line.id)
            out.push_back(std::to_string(line.id));
    return out;
}

} // namespace

TEST_SUITE("client model")
{
    TEST_CASE("conversation keys: everyone is \"\", other rooms \"#name\", private conversations the nickname")
    {
        CHECK(ClientModel::KeyOf(net::Target::Everyone()).empty());
        CHECK(ClientModel::KeyOf(net::Target::Room("Everyone")).empty());
        CHECK(ClientModel::KeyOf(Games) == "#games");
        CHECK(ClientModel::KeyOf(net::Target::Person("bob")) == "bob");
        CHECK(ClientModel::TargetOf("") == net::Target::Everyone());
        CHECK(ClientModel::TargetOf("#games") == Games);
        CHECK(ClientModel::TargetOf("bob") == net::Target::Person("bob"));

        ClientModel model;
        CHECK(&model.Open("#everyone") == &model.Everyone());
        CHECK(model.Open("#ana").IsRoom());
        CHECK(!model.Open("ana").IsRoom());
        CHECK(model.Find("#ana") != model.Find("ana"));
    }

    TEST_CASE("the Welcome's rooms become conversations after everyone, with their topics and members")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me", "ana"}, {Room("games", {"me", "ana", "zed"}, "dice tonight")}));

        const auto rooms = model.Rooms();
        REQUIRE(rooms.size() == 2);
        CHECK(rooms[0]->IsEveryone());
        CHECK(rooms[0]->memberCount == 2);
        CHECK(rooms[1]->key == "#games");
        CHECK(rooms[1]->title == "#games");
        CHECK(rooms[1]->target == Games);
        CHECK(rooms[1]->topic == "dice tonight");
        CHECK(rooms[1]->members == std::vector<std::string>{"ana", "me", "zed"});
        CHECK(rooms[1]->memberCount == 3);
        CHECK(rooms[1]->joined);
        CHECK(model.Find("#GAMES") == rooms[1]);
    }

    TEST_CASE("room joins and leaves change the members in order and show as lines in their room only")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me", "ana", "bob"}, {Room("games", {"ana", "me"})}));
        model.SetViewing("", true);

        model.Apply(Live(Record(10, net::ChatKind::RoomJoin, "bob", Games)));
        model.Apply(Live(Record(11, net::ChatKind::RoomLeave, "ana", Games, "bed time")));
        model.Apply(Live(Record(12, net::ChatKind::Topic, "bob", Games, "chess later")));

        const ui::Conversation& games = *model.Find("#games");
        CHECK(games.members == std::vector<std::string>{"bob", "me"});
        CHECK(games.memberCount == 2);
        CHECK(games.topic == "chess later");
        CHECK(Texts(games, LineKind::RoomJoin) == std::vector<std::string>{"bob joined #games"});
        CHECK(Texts(games, LineKind::RoomLeave) == std::vector<std::string>{"ana left #games (bed time)"});
        CHECK(Texts(games, LineKind::Topic) == std::vector<std::string>{"bob set the topic: chess later"});
        CHECK(games.unread == 0); // who came and went is not news to catch up on
        CHECK(model.Everyone().lines.empty());
    }

    TEST_CASE("joining a room opens it, its RoomState fills the members, and leaving it lets it be closed")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me", "zed"}));
        CHECK(model.Rooms().size() == 1);

        model.Apply(Live(Record(5, net::ChatKind::RoomJoin, "me", Chess)));
        model.Apply(RoomStateOf(Room("chess", {"zed", "me"}, "openings")));
        model.Apply(HistoryOf(net::HistoryReason::Page, Chess, false,
                              {Record(2, net::ChatKind::Public, "zed", Chess, "e4"), Record(5, net::ChatKind::RoomJoin, "me", Chess)}));

        ui::Conversation* chess = model.Find("#chess");
        REQUIRE(chess);
        CHECK(chess->joined);
        CHECK(chess->members == std::vector<std::string>{"me", "zed"});
        CHECK(chess->topic == "openings");
        CHECK(Texts(*chess, LineKind::RoomJoin) == std::vector<std::string>{"You joined #chess"});
        CHECK(Texts(*chess, LineKind::Public) == std::vector<std::string>{"e4"});
        CHECK(!chess->hasMore);
        CHECK(!model.Close("#chess")); // still a member: leave it first
        CHECK(!model.Close(""));      // everyone can never go

        model.Apply(Live(Record(6, net::ChatKind::RoomLeave, "me", Chess)));
        chess = model.Find("#chess");
        REQUIRE(chess);
        CHECK(!chess->joined);
        CHECK(chess->members.empty());
        CHECK(model.Close("#chess"));
        CHECK(!model.Find("#chess"));
    }

    TEST_CASE("unread counts are kept per room and the room on screen gets none")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me", "ana"}, {Room("games", {"ana", "me"}), Room("chess", {"ana", "me"})}));
        model.SetViewing("#games", true);

        model.Apply(Live(Record(20, net::ChatKind::Public, "ana", Games, "on screen")));
        model.Apply(Live(Record(21, net::ChatKind::Public, "ana", Chess, "elsewhere")));
        model.Apply(Live(Record(22, net::ChatKind::Public, "ana", Chess, "again")));
        model.Apply(Live(Record(23, net::ChatKind::Public, "ana", net::Target::Everyone(), "hi all")));

        CHECK(model.Find("#games")->unread == 0);
        CHECK(model.Find("#chess")->unread == 2);
        CHECK(model.Find("#chess")->firstUnread == std::optional<std::size_t>(0));
        CHECK(model.Everyone().unread == 1);
        CHECK(model.TotalUnread() == 3);

        model.SetViewing("#chess", true);
        CHECK(model.Find("#chess")->unread == 0);
    }

    TEST_CASE("private messages go to the partner's conversation, room messages to their room")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me", "ana"}, {Room("ana", {"ana", "me"})}));

        model.Apply(Live(Record(30, net::ChatKind::Private, "ana", net::Target::Person("me"), "psst")));
        model.Apply(Live(Record(31, net::ChatKind::Private, "me", net::Target::Person("ana"), "yes?")));
        model.Apply(Live(Record(32, net::ChatKind::Public, "ana", net::Target::Room("ana"), "my room")));

        const ui::Conversation* priv = model.Find("ana");
        REQUIRE(priv);
        CHECK(!priv->IsRoom());
        CHECK(priv->target == net::Target::Person("ana"));
        CHECK(Texts(*priv, LineKind::Private) == std::vector<std::string>{"psst", "yes?"});
        CHECK(Texts(*model.Find("#ana"), LineKind::Public) == std::vector<std::string>{"my room"});
        CHECK(model.KeyOf(Record(33, net::ChatKind::Public, "zed", Games)) == "#games");
    }

    TEST_CASE("an own message to a room is pending in that room until its Ack")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me"}, {Room("games", {"me"})}));
        model.AddOwn(Games, "my turn", 77, 1000);

        const ui::Conversation& games = *model.Find("#games");
        REQUIRE(games.lines.size() == 1);
        CHECK(games.lines[0].pending);
        CHECK(games.lines[0].to == Games);
        CHECK(model.Everyone().lines.empty());

        net::ClientEvent ack;
        ack.kind = net::ClientEvent::Kind::Ack;
        ack.ack = {77, 40, 2000};
        model.Apply(ack);
        CHECK(!games.lines[0].pending);
        CHECK(games.lines[0].id == 40);
        CHECK(model.PendingCount() == 0);
    }

    TEST_CASE("history pages per room: the join history's more applies to all, a page only to its room")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me", "ana"}, {Room("games", {"ana", "me"})}));
        model.Apply(HistoryOf(net::HistoryReason::Join, net::Target::Everyone(), true,
                              {Record(50, net::ChatKind::Public, "ana", net::Target::Everyone(), "hello"),
                               Record(51, net::ChatKind::Public, "ana", Games, "dice?"),
                               Record(52, net::ChatKind::Private, "ana", net::Target::Person("me"), "psst")}));
        ui::Conversation& games = *model.Find("#games");
        CHECK(model.Everyone().hasMore);
        CHECK(games.hasMore);
        CHECK(Ids(games) == std::vector<std::string>{"51"});
        CHECK(Ids(*model.Find("ana")) == std::vector<std::string>{"52"});

        games.loadingOlder = true; // the panel asked: RequestHistory(games.target, games.OldestId(), ...)
        CHECK(games.OldestId() == 51);
        // an older page: its room records are history, not news about the members
        model.Apply(HistoryOf(net::HistoryReason::Page, Games, false,
                              {Record(40, net::ChatKind::RoomLeave, "me", Games), Record(41, net::ChatKind::RoomJoin, "me", Games),
                               Record(45, net::ChatKind::Public, "ana", Games, "older")}));
        CHECK(Ids(games) == std::vector<std::string>{"40", "41", "45", "51"});
        CHECK(!games.loadingOlder);
        CHECK(!games.hasMore);
        CHECK(games.joined);
        CHECK(games.members == std::vector<std::string>{"ana", "me"});
        CHECK(model.Everyone().hasMore);
        CHECK(games.unread == 0);
    }

    TEST_CASE("a search result in a room is fetched around its id into that room")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me"}, {Room("games", {"me", "ana"})}));
        const net::Chat result = Record(9, net::ChatKind::Public, "ana", Games, "found");
        ui::Conversation& c = model.Open(model.KeyOf(result));
        CHECK(&c == model.Find("#games"));
        c.jumpTo = result.id;
        model.Apply(HistoryOf(net::HistoryReason::Around, Games, false, {Record(8, net::ChatKind::Public, "me", Games, "before"), result}));
        CHECK(c.IndexOf(9).has_value());
        CHECK(model.Everyone().lines.empty());
    }

    TEST_CASE("the last room list is kept, pending from the request to the answer")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me"}));
        CHECK(model.RoomList().empty());
        model.RoomListRequested();
        CHECK(model.RoomListPending());

        net::ClientEvent list;
        list.kind = net::ClientEvent::Kind::RoomList;
        net::RoomInfo everyone;
        everyone.name = "everyone";
        everyone.memberCount = 1;
        everyone.member = true;
        net::RoomInfo games;
        games.name = "games";
        games.topic = "dice";
        games.memberCount = 4;
        list.rooms = {everyone, games};
        const auto revision = model.RoomListRevision();
        model.Apply(list);

        CHECK(!model.RoomListPending());
        CHECK(model.RoomListRevision() == revision + 1);
        REQUIRE(model.RoomList().size() == 2);
        CHECK(model.RoomList()[1].name == "games");
        CHECK(model.RoomList()[1].memberCount == 4);
        CHECK(!model.RoomList()[1].member);
    }

    TEST_CASE("presence applies in order on top of the Welcome and nobody is listed or shown twice")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me", "bob"}));
        // the join history holds bob's arrival; the same record may come live as well
        model.Apply(HistoryOf(net::HistoryReason::Join, net::Target::Everyone(), false,
                              {Record(3, net::ChatKind::Join, "bob", net::Target::Everyone())}));
        model.Apply(Live(Record(3, net::ChatKind::Join, "bob", net::Target::Everyone())));
        CHECK(Texts(model.Everyone(), LineKind::Join) == std::vector<std::string>{"bob joined"});
        CHECK(model.Users() == std::vector<std::string>{"bob", "me"});

        model.Apply(Live(Record(7, net::ChatKind::Join, "BOB", net::Target::Everyone())));
        CHECK(model.Users().size() == 2);

        model.Apply(Live(Record(8, net::ChatKind::Leave, "bob", net::Target::Everyone())));
        CHECK(model.Users() == std::vector<std::string>{"me"});
        CHECK(model.Everyone().memberCount == 1);
        model.Apply(Live(Record(9, net::ChatKind::Join, "bob", net::Target::Everyone())));
        CHECK(model.Users() == std::vector<std::string>{"bob", "me"});
        CHECK(model.Everyone().memberCount == 2);
    }

    TEST_CASE("user lists: everyone shows who is online, a room its members marked online or not")
    {
        ClientModel model;
        model.Apply(Welcome("me", {"me", "ana"}, {Room("games", {"ana", "me", "zed"})}));

        const auto games = model.UserList("#games");
        REQUIRE(games.size() == 3);
        CHECK((games[0].nick == "ana" && games[0].online && !games[0].self));
        CHECK((games[1].nick == "me" && games[1].online && games[1].self));
        CHECK((games[2].nick == "zed" && !games[2].online));

        const auto everyone = model.UserList("");
        REQUIRE(everyone.size() == 2);
        CHECK(everyone[0].nick == "ana");

        model.Open("zed");
        const auto priv = model.UserList("zed");
        REQUIRE(priv.size() == 2);
        CHECK((priv[0].nick == "me" && priv[0].self));
        CHECK((priv[1].nick == "zed" && !priv[1].online));

        // zed comes online: the room's list says so
        model.Apply(Live(Record(60, net::ChatKind::Join, "zed", net::Target::Everyone())));
        CHECK(model.UserList("#games")[2].online);
    }
}

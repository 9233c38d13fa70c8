// Unit tests for the wire codec (net/protocol): round trips, streaming, the extension area, targets,
// the handshake frames, room frames, and every class of malformed frame. Malformed frames are
// assembled byte by byte here, never with Encode().
#include "net/protocol.hpp"

#include <doctest/doctest.h>

#if __has_include(<openssl/evp.h>)
#include <openssl/evp.h>
#define OBROL_TEST_ED25519 1
#endif

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <regex>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

using namespace obrol::net;

namespace doctest {

template <> struct StringMaker<DecodeError>
{
    static String convert(DecodeError error) { return DecodeErrorName(error); }
};

} // namespace doctest

namespace {

using Buffer = std::vector<std::uint8_t>;

// [SECTION] Frame assembly by hand

// Appends big-endian fields to a payload, independently of the codec's own writer.
class PayloadBuilder
{
public:
    PayloadBuilder& U8(std::uint8_t v)
    {
        m_bytes.push_back(v);
        return *this;
    }
    PayloadBuilder& U16(std::uint16_t v) { return Big(v, 2); }
    PayloadBuilder& U32(std::uint32_t v) { return Big(v, 4); }
    PayloadBuilder& U64(std::uint64_t v) { return Big(v, 8); }
    PayloadBuilder& I64(std::int64_t v) { return Big(static_cast<std::uint64_t>(v), 8); }

    // A string field: u32 byte length, then the bytes.
    PayloadBuilder& Str(std::string_view s)
    {
        U32(static_cast<std::uint32_t>(s.size()));
        return Raw(s);
    }

    // Target fields: u8 kind (0 room, 1 person), then the name as a string field.
    PayloadBuilder& Room(std::string_view name) { return U8(0).Str(name); }
    PayloadBuilder& Person(std::string_view nick) { return U8(1).Str(nick); }

    // One extension entry: u16 tag, u32 length, the bytes.
    PayloadBuilder& Extension(std::uint16_t tag, std::string_view bytes)
    {
        U16(tag).U32(static_cast<std::uint32_t>(bytes.size()));
        return Raw(bytes);
    }

    PayloadBuilder& Raw(std::string_view s)
    {
        m_bytes.insert(m_bytes.end(), s.begin(), s.end());
        return *this;
    }
    PayloadBuilder& Raw(std::span<const std::uint8_t> b)
    {
        m_bytes.insert(m_bytes.end(), b.begin(), b.end());
        return *this;
    }

    const Buffer& Bytes() const { return m_bytes; }

private:
    PayloadBuilder& Big(std::uint64_t v, int count)
    {
        for (int i = count - 1; i >= 0; --i)
            m_bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        return *this;
    }

    Buffer m_bytes;
};

Buffer Header(std::uint32_t payloadLength, std::uint8_t type)
{
    return {static_cast<std::uint8_t>(payloadLength >> 24), static_cast<std::uint8_t>(payloadLength >> 16),
            static_cast<std::uint8_t>(payloadLength >> 8), static_cast<std::uint8_t>(payloadLength), type};
}

// Header with the payload's true length, then the payload.
Buffer MakeFrame(std::uint8_t type, const Buffer& payload)
{
    Buffer frame = Header(static_cast<std::uint32_t>(payload.size()), type);
    frame.insert(frame.end(), payload.begin(), payload.end());
    return frame;
}

Buffer MakeFrame(FrameType type, const PayloadBuilder& payload)
{
    return MakeFrame(static_cast<std::uint8_t>(type), payload.Bytes());
}

// The frame with `extra` appended to its payload (and its header's length fixed).
Buffer Append(const Buffer& frame, const Buffer& extra)
{
    Buffer payload(frame.begin() + HeaderBytes, frame.end());
    payload.insert(payload.end(), extra.begin(), extra.end());
    return MakeFrame(frame[4], payload);
}

Buffer Concat(const std::vector<Buffer>& parts)
{
    Buffer out;
    for (const auto& part : parts)
        out.insert(out.end(), part.begin(), part.end());
    return out;
}

// Bytes as the documentation writes them: upper-case hex pairs separated by spaces.
std::string DocHex(std::span<const std::uint8_t> bytes)
{
    std::string out;
    const char* digits = "0123456789ABCDEF";
    for (const std::uint8_t b : bytes)
    {
        if (!out.empty())
            out += ' ';
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

template <std::size_t N> std::array<std::uint8_t, N> Counting(std::uint8_t first)
{
    std::array<std::uint8_t, N> a{};
    for (std::size_t i = 0; i < N; ++i)
        a[i] = static_cast<std::uint8_t>(first + i);
    return a;
}

template <std::size_t N> std::array<std::uint8_t, N> FromHex(std::string_view hex)
{
    std::array<std::uint8_t, N> a{};
    for (std::size_t i = 0; i < N; ++i)
        a[i] = static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(2 * i, 2)), nullptr, 16));
    return a;
}

std::string_view AsText(std::span<const std::uint8_t> bytes)
{
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The worked Proof example of PROTOCOL.md: the key pair of RFC 8032's first Ed25519 test vector.
const PublicKey DocKey = FromHex<32>("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
const std::array<std::uint8_t, 32> DocNonce = Counting<32>(0x00);
const Signature DocSignature = FromHex<64>("63adb290cfb1e7cc2595e9c5f95ac8f5eeddec934f756d924b900e53be7778ed"
                                           "942b2828c3bc1e6fd761e8c653d4712536eba93e943ec6982f99df96079e8905");

// [SECTION] Describing messages, so equality failures print every field

std::string Quote(const std::string& s)
{
    std::ostringstream out;
    out << '"';
    for (const char c : s)
    {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7F || c == '"' || c == '\\')
        {
            const char* digits = "0123456789ABCDEF";
            out << "\\x" << digits[byte >> 4] << digits[byte & 15];
        }
        else
            out << c;
    }
    out << "\"(" << s.size() << ')';
    return out.str();
}

int Int(auto e) { return static_cast<int>(e); }

// Bytes as hex (long runs are summarised by length and a checksum, to keep failures readable).
std::string Hex(const auto& bytes)
{
    std::ostringstream out;
    const char* digits = "0123456789abcdef";
    std::uint64_t sum = 0;
    std::size_t i = 0;
    for (const std::uint8_t b : bytes)
    {
        if (i++ < 40)
            out << digits[b >> 4] << digits[b & 15];
        sum = sum * 131 + b;
    }
    out << '(' << bytes.size() << ',' << sum << ')';
    return out.str();
}

std::string DescribeTarget(const Target& t)
{
    return (t.kind == TargetKind::Room ? "room:" : t.kind == TargetKind::Person ? "person:" : "kind" + std::to_string(Int(t.kind)) + ":") +
           Quote(t.name);
}

std::string DescribeRoom(const RoomInfo& r)
{
    std::ostringstream out;
    out << "RoomInfo{" << Quote(r.name) << ' ' << Quote(r.topic) << ' ' << r.memberCount << " [";
    for (const auto& m : r.members)
        out << Quote(m) << ',';
    out << "] " << r.member << '}';
    return out.str();
}

std::string DescribeChat(const Chat& c)
{
    std::ostringstream out;
    out << "Chat{" << c.id << ' ' << c.timeMs << ' ' << Int(c.kind) << ' ' << Quote(c.from) << ' '
        << DescribeTarget(c.to) << ' ' << Quote(c.text);
    if (c.file)
        out << " file{" << c.file->size << ' ' << Quote(c.file->mime) << ' ' << Hex(c.file->sha256) << ' '
            << c.file->thumbWidth << 'x' << c.file->thumbHeight << ' ' << c.file->imageWidth << 'x'
            << c.file->imageHeight << '}';
    out << '}';
    return out.str();
}

std::string Describe(const Message& message)
{
    std::ostringstream out;
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Hello>)
                out << "Hello{" << m.version << ' ' << Quote(m.nick) << ' ' << Quote(m.software) << ' ' << m.minVersion
                    << ' ' << Hex(m.publicKey) << '}';
            else if constexpr (std::is_same_v<T, Welcome>)
            {
                out << "Welcome{" << m.version << ' ' << Quote(m.nick) << ' ' << Quote(m.serverName) << ' '
                    << m.serverTimeMs << ' ' << m.heartbeatSeconds << ' ' << m.maxTextBytes << " users=[";
                for (const auto& u : m.users)
                    out << Quote(u) << ',';
                out << "] maxFile=" << m.maxFileBytes << " rooms=[";
                for (const auto& r : m.rooms)
                    out << DescribeRoom(r) << ',';
                out << "]}";
            }
            else if constexpr (std::is_same_v<T, Refuse>)
                out << "Refuse{" << Int(m.code) << ' ' << Quote(m.reason) << '}';
            else if constexpr (std::is_same_v<T, Say>)
                out << "Say{" << m.clientMsgId << ' ' << DescribeTarget(m.to) << ' ' << Quote(m.text)
                    << (m.resend ? " resend" : "") << '}';
            else if constexpr (std::is_same_v<T, Chat>)
                out << DescribeChat(m);
            else if constexpr (std::is_same_v<T, Ack>)
                out << "Ack{" << m.clientMsgId << ' ' << m.id << ' ' << m.timeMs << '}';
            else if constexpr (std::is_same_v<T, Error>)
                out << "Error{" << Int(m.code) << ' ' << m.clientMsgId << ' ' << Quote(m.text) << '}';
            else if constexpr (std::is_same_v<T, Ping>)
                out << "Ping{" << m.token << '}';
            else if constexpr (std::is_same_v<T, Pong>)
                out << "Pong{" << m.token << '}';
            else if constexpr (std::is_same_v<T, Bye>)
                out << "Bye{" << Int(m.reason) << ' ' << Quote(m.text) << '}';
            else if constexpr (std::is_same_v<T, Resume>)
                out << "Resume{" << m.token << ' ' << m.lastSeenId << '}';
            else if constexpr (std::is_same_v<T, History> || std::is_same_v<T, SearchResults>)
            {
                if constexpr (std::is_same_v<T, History>)
                    out << "History{" << Int(m.reason) << ' ' << DescribeTarget(m.conversation) << ' ' << m.more << ' '
                        << m.unreadAfter;
                else
                    out << "SearchResults{" << m.token;
                for (const auto& c : m.chats)
                    out << ' ' << DescribeChat(c);
                out << '}';
            }
            else if constexpr (std::is_same_v<T, HistoryRequest>)
                out << "HistoryRequest{" << DescribeTarget(m.conversation) << ' ' << m.beforeId << ' ' << m.limit << ' '
                    << m.around << '}';
            else if constexpr (std::is_same_v<T, SearchRequest>)
                out << "SearchRequest{" << m.token << ' ' << Quote(m.query) << ' ' << m.limit << '}';
            else if constexpr (std::is_same_v<T, FileOffer>)
                out << "FileOffer{" << m.id << ' ' << DescribeTarget(m.to) << ' ' << Quote(m.name) << ' ' << m.size << '}';
            else if constexpr (std::is_same_v<T, FileAccept>)
                out << "FileAccept{" << m.id << ' ' << m.offset << ' ' << Int(m.direction) << '}';
            else if constexpr (std::is_same_v<T, FileChunk>)
                out << "FileChunk{" << m.id << ' ' << m.offset << ' ' << Hex(m.bytes) << '}';
            else if constexpr (std::is_same_v<T, FileProgress>)
                out << "FileProgress{" << m.id << ' ' << Int(m.direction) << ' ' << m.received << '}';
            else if constexpr (std::is_same_v<T, FileEnd>)
                out << "FileEnd{" << m.id << ' ' << Hex(m.sha256) << '}';
            else if constexpr (std::is_same_v<T, FileAbort>)
                out << "FileAbort{" << m.id << ' ' << Int(m.direction) << ' ' << Int(m.code) << ' ' << Quote(m.reason) << '}';
            else if constexpr (std::is_same_v<T, FileGet>)
                out << "FileGet{" << m.id << ' ' << m.offset << '}';
            else if constexpr (std::is_same_v<T, ThumbGet>)
                out << "ThumbGet{" << m.id << '}';
            else if constexpr (std::is_same_v<T, Thumb>)
                out << "Thumb{" << m.id << ' ' << Hex(m.png) << '}';
            else if constexpr (std::is_same_v<T, Challenge>)
                out << "Challenge{" << m.version << ' ' << Hex(m.nonce) << '}';
            else if constexpr (std::is_same_v<T, Proof>)
                out << "Proof{" << Hex(m.signature) << '}';
            else if constexpr (std::is_same_v<T, RoomJoin>)
                out << "RoomJoin{" << Quote(m.room) << '}';
            else if constexpr (std::is_same_v<T, RoomPart>)
                out << "RoomPart{" << Quote(m.room) << ' ' << Quote(m.reason) << '}';
            else if constexpr (std::is_same_v<T, RoomTopic>)
                out << "RoomTopic{" << Quote(m.room) << ' ' << Quote(m.topic) << '}';
            else if constexpr (std::is_same_v<T, RoomState>)
                out << "RoomState{" << DescribeRoom(m.room) << '}';
            else if constexpr (std::is_same_v<T, RoomListRequest>)
                out << "RoomListRequest{}";
            else if constexpr (std::is_same_v<T, RoomList>)
            {
                out << "RoomList{";
                for (const auto& r : m.rooms)
                    out << DescribeRoom(r) << ',';
                out << '}';
            }
            else
                static_assert(sizeof(T) == 0, "Describe() misses a message type");
        },
        message);
    return out.str();
}

// [SECTION] Sample messages

constexpr std::uint64_t MaxU64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::int64_t MinI64 = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t MaxI64 = std::numeric_limits<std::int64_t>::max();

// `bytes` bytes of mixed 1-, 2-, 3- and 4-byte characters plus newlines and tabs.
std::string MixedText(std::size_t bytes)
{
    std::string text;
    const std::string pieces[] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x8E\x89", "\n", "\t"};
    for (std::size_t k = 0; text.size() < bytes; ++k)
    {
        const std::string& piece = pieces[k % std::size(pieces)];
        if (text.size() + piece.size() > bytes)
            text += std::string(bytes - text.size(), 'z');
        else
            text += piece;
    }
    return text;
}

std::string MaxLengthText() { return MixedText(MaxTextBytes); }

// 32 code points of 4 bytes: exactly MaxNickBytes (and MaxRoomBytes) bytes.
std::string EmojiName()
{
    std::string s;
    for (int i = 0; i < 32; ++i)
        s += "\xF0\x9F\x90\xB1"; // U+1F431
    return s;
}

std::vector<Message> SampleMessages()
{
    const std::string nick32(32, 'n');
    const std::string emoji = EmojiName();
    const PublicKey key = Counting<32>(0x40);
    PublicKey allFF{};
    allFF.fill(0xFF);
    const RoomInfo everyone{"everyone", "", 5, {}, true};
    const RoomInfo dev{"dev", "release on friday", 3, {"ana", "bo", "Z\xC3\xBC" "rich"}, true};
    const RoomInfo widest{emoji, MixedText(MaxTopicBytes), 0xFFFFFFFFu, {emoji, nick32, ""}, false};

    std::vector<Message> messages;
    messages.push_back(Hello{ProtocolVersion, "ana", "obrol 0.1.0", MinProtocolVersion, key});
    messages.push_back(Hello{0xFFFF, "", "", 0, allFF});
    messages.push_back(Hello{3, emoji, "caf\xC3\xA9 client \xE6\x97\xA5\xE6\x9C\xAC", 0xFFFF, {}});
    // below version 3 the Hello has the version-2 layout: no minVersion (it decodes as the version), no key
    messages.push_back(Hello{2, "ana", "obrol 0.0.9", 2, {}});
    messages.push_back(Hello{0, "old", "x", 0, {}});
    messages.push_back(Welcome{ProtocolVersion, "ana", "Obrol test server", 1'700'000'000'123, 15, MaxTextBytes,
                               {"ana", "bo", "Z\xC3\xBC" "rich", emoji, nick32}, DefaultMaxFileBytes, {everyone, dev}});
    messages.push_back(Welcome{0, "", "", MinI64, 0, 0, {}, 0, {}});
    messages.push_back(Welcome{2, "x", "\xE2\x9C\x93", MaxI64, 0xFFFFFFFFu, 0xFFFFFFFFu, {""}, MaxU64, {widest}});
    messages.push_back(Refuse{RefuseCode::NickTaken, "nickname \"ana\" is taken"});
    messages.push_back(Refuse{RefuseCode::NickInvalid, ""});
    messages.push_back(Refuse{RefuseCode::VersionMismatch, "this server speaks version 3; upgrade your client"});
    messages.push_back(Refuse{RefuseCode::ServerFull, "full"});
    messages.push_back(Refuse{RefuseCode::BadHello, "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"});
    messages.push_back(Refuse{RefuseCode::NickOwned, "the nickname \"ana\" belongs to someone else"});
    messages.push_back(Refuse{RefuseCode::BadProof, "the signature does not match the key"});
    messages.push_back(Say{1, Target::Everyone(), "hello everyone"});
    messages.push_back(Say{MaxU64, Target::Person("bo"), "psst \xF0\x9F\xA4\xAB\nsecond line\twith tab"});
    messages.push_back(Say{0, Target::Room(""), ""});
    messages.push_back(Say{42, Target::Person(emoji), MaxLengthText()});
    messages.push_back(Say{44, Target::Room(emoji), "to the widest room name"});
    messages.push_back(Chat{1, 1'700'000'000'000, ChatKind::Public, "ana", Target::Everyone(), "hi"});
    messages.push_back(Chat{2, 1, ChatKind::Public, "ana", Target::Room("dev"), "build is green"});
    messages.push_back(Chat{MaxU64, -1, ChatKind::Private, "ana", Target::Person("bo"), "\xE2\x82\xAC" "5 for lunch?"});
    messages.push_back(Chat{3, MinI64, ChatKind::Announce, "", Target::Everyone(), "server restarts at noon"});
    messages.push_back(Chat{4, MaxI64, ChatKind::Join, "Z\xC3\xBC" "rich", Target::Everyone(), ""});
    messages.push_back(Chat{5, 0, ChatKind::Leave, "bo", Target::Everyone(), "timed out"});
    messages.push_back(Chat{6, 7, ChatKind::Public, emoji, Target::Room(emoji), MaxLengthText()});
    messages.push_back(Chat{7, 8, ChatKind::RoomJoin, "bo", Target::Room("dev"), ""});
    messages.push_back(Chat{8, 9, ChatKind::RoomLeave, "bo", Target::Room("Dev"), "off to lunch"});
    messages.push_back(Chat{9, 10, ChatKind::Topic, "ana", Target::Room("dev"), MixedText(MaxTopicBytes)});
    messages.push_back(Ack{1, 2, 3});
    messages.push_back(Ack{MaxU64, 0, MinI64});
    messages.push_back(Error{ErrorCode::UnknownUser, 17, "no user named \"zed\""});
    messages.push_back(Error{ErrorCode::TextTooLong, MaxU64, ""});
    messages.push_back(Error{ErrorCode::EmptyText, 0, "empty"});
    messages.push_back(Error{ErrorCode::NotJoined, 0, "say hello first"});
    messages.push_back(Error{ErrorCode::BadFrame, 0, "bad frame"});
    messages.push_back(Error{ErrorCode::FrameTooLarge, 0, "\xE2\x80\xA6"});
    messages.push_back(Error{ErrorCode::StorageFailed, 9, "the disk is full"});
    messages.push_back(Error{ErrorCode::UnknownRoom, 0, "no room named \"ops\""});
    messages.push_back(Error{ErrorCode::InvalidName, 0, "a room name has no spaces"});
    messages.push_back(Error{ErrorCode::NotAMember, 12, "you are not in #dev"});
    messages.push_back(Error{ErrorCode::NotAllowed, 0, "everyone cannot be left"});
    messages.push_back(Ping{0});
    messages.push_back(Ping{0x0102030405060708ull});
    messages.push_back(Pong{MaxU64});
    messages.push_back(Pong{0x8000000000000001ull});
    messages.push_back(Bye{ByeReason::Quit, ""});
    messages.push_back(Bye{ByeReason::ServerStopping, "maintenance"});
    messages.push_back(Bye{ByeReason::Kicked, "be nice \xF0\x9F\x99\x82"});
    messages.push_back(Bye{ByeReason::Timeout, "no traffic for 45 s"});
    messages.push_back(Bye{ByeReason::SlowReader, "queue full"});
    messages.push_back(Bye{ByeReason::ProtocolError, "bad frame"});
    messages.push_back(Say{43, Target::Person("bo"), "sent again after a reconnect", true});
    messages.push_back(Say{45, Target::Room("dev"), "again, to a room", true});
    messages.push_back(Resume{0, 0});
    messages.push_back(Resume{MaxU64, 123456789});
    messages.push_back(History{HistoryReason::Join, Target::Everyone(), true, 17,
                               {Chat{1, 5, ChatKind::Join, "ana", Target::Everyone(), ""},
                                Chat{2, 6, ChatKind::Private, "ana", Target::Person("bo"), "hi"},
                                Chat{3, 7, ChatKind::Public, "bo", Target::Room("dev"), "morning"}}});
    messages.push_back(History{HistoryReason::Page, Target::Person(emoji), false, 0, {}});
    messages.push_back(History{HistoryReason::Page, Target::Room("dev"), true, 0,
                               {Chat{7, 8, ChatKind::RoomJoin, "bo", Target::Room("dev"), ""}}});
    messages.push_back(History{HistoryReason::Around, Target::Person("bo"), false, MaxU64,
                               {Chat{MaxU64, MinI64, ChatKind::Announce, "", Target::Everyone(), MaxLengthText()}}});
    messages.push_back(History{HistoryReason::Resume, Target::Everyone(), true, 99, {}});
    messages.push_back(HistoryRequest{Target::Everyone(), 0, 100, false});
    messages.push_back(HistoryRequest{Target::Person("bo"), MaxU64, 0xFFFFFFFFu, true});
    messages.push_back(HistoryRequest{Target::Room("dev"), 55, 20, false});
    messages.push_back(SearchRequest{7, "lunch friday", 50});
    messages.push_back(SearchRequest{0, "", 0});
    messages.push_back(SearchResults{7, {Chat{9, 10, ChatKind::Public, "ana", Target::Room("dev"), "lunch on friday?"}}});
    messages.push_back(SearchResults{MaxU64, {}});
    const std::array<std::uint8_t, 32> sha = Counting<32>(0xA0);
    Chat file{11, 12, ChatKind::Public, "ana", Target::Everyone(), "holiday photo.jpg"};
    file.file = FileInfo{2'100'000, "image/jpeg", sha, 480, 360, 4032, 3024};
    messages.push_back(file);
    Chat privateFile{MaxU64, MinI64, ChatKind::Private, "ana", Target::Person("bo"), "notes \xE2\x9C\x93.txt"};
    privateFile.file = FileInfo{0, "", {}, 0, 0, 0, 0};
    messages.push_back(privateFile);
    Chat roomFile{13, 14, ChatKind::Public, "bo", Target::Room("dev"), "build.log"};
    roomFile.file = FileInfo{MaxU64, std::string(255, 'm'), sha, 0xFFFF, 0xFFFF, 0xFFFFFFFFu, 0xFFFFFFFFu};
    messages.push_back(roomFile);
    messages.push_back(History{HistoryReason::Join, Target::Everyone(), false, 0, {file, privateFile, roomFile}});
    messages.push_back(Welcome{ProtocolVersion, "ana", "srv", 0, 15, MaxTextBytes, {"ana"}, 0, {everyone}});
    messages.push_back(FileOffer{1, Target::Everyone(), "report.pdf", 123456});
    messages.push_back(FileOffer{MaxU64, Target::Person(emoji), std::string(MaxFileNameBytes, 'f'), MaxU64});
    messages.push_back(FileOffer{2, Target::Room("dev"), "build.log", 0});
    messages.push_back(FileAccept{1, 0});
    messages.push_back(FileAccept{MaxU64, MaxU64, TransferDirection::Download});
    messages.push_back(FileChunk{1, 0, {}});
    messages.push_back(FileChunk{2, 262144, {0x00, 0xFF, 0x10, 0x0A}});
    messages.push_back(FileChunk{MaxU64, MaxU64 - FileChunkBytes, std::vector<std::uint8_t>(FileChunkBytes, 0x5A)});
    messages.push_back(FileProgress{1, TransferDirection::Upload, 0});
    messages.push_back(FileProgress{MaxU64, TransferDirection::Download, MaxU64});
    messages.push_back(FileEnd{1, sha});
    messages.push_back(FileEnd{0, {}});
    messages.push_back(FileAbort{1, TransferDirection::Upload, FileAbortCode::TooLarge, "the limit is 1 GiB"});
    messages.push_back(FileAbort{MaxU64, TransferDirection::Download, FileAbortCode::Cancelled, ""});
    messages.push_back(FileAbort{3, TransferDirection::Upload, FileAbortCode::UnknownUser, "nobody called zed"});
    messages.push_back(FileGet{11, 0});
    messages.push_back(FileGet{MaxU64, MaxU64});
    messages.push_back(ThumbGet{11});
    messages.push_back(Thumb{11, {0x89, 0x50, 0x4E, 0x47}});
    messages.push_back(Thumb{MaxU64, {}});
    messages.push_back(Challenge{ProtocolVersion, DocNonce});
    messages.push_back(Challenge{0xFFFF, Counting<32>(0xE0)});
    messages.push_back(Proof{DocSignature});
    messages.push_back(Proof{});
    messages.push_back(RoomJoin{"dev"});
    messages.push_back(RoomJoin{""});
    messages.push_back(RoomJoin{emoji});
    messages.push_back(RoomPart{"dev", "bye for now"});
    messages.push_back(RoomPart{emoji, ""});
    messages.push_back(RoomTopic{"dev", "release on friday"});
    messages.push_back(RoomTopic{emoji, MixedText(MaxTopicBytes)});
    messages.push_back(RoomTopic{"dev", ""});
    messages.push_back(RoomState{dev});
    messages.push_back(RoomState{everyone});
    messages.push_back(RoomState{widest});
    messages.push_back(RoomListRequest{});
    messages.push_back(RoomList{{everyone, RoomInfo{"dev", "release on friday", 3, {}, true},
                                 RoomInfo{"quiet", "", 0, {}, false}}});
    messages.push_back(RoomList{});
    return messages;
}

FrameType ExpectedType(const Message& message)
{
    constexpr FrameType types[] = {
        FrameType::Hello,        FrameType::Welcome,     FrameType::Refuse,          FrameType::Say,
        FrameType::Chat,         FrameType::Ack,         FrameType::Error,           FrameType::Ping,
        FrameType::Pong,         FrameType::Bye,         FrameType::Resume,          FrameType::History,
        FrameType::HistoryRequest, FrameType::SearchRequest, FrameType::SearchResults, FrameType::FileOffer,
        FrameType::FileAccept,   FrameType::FileChunk,   FrameType::FileProgress,    FrameType::FileEnd,
        FrameType::FileAbort,    FrameType::FileGet,     FrameType::ThumbGet,        FrameType::Thumb,
        FrameType::Challenge,    FrameType::Proof,       FrameType::RoomJoin,        FrameType::RoomPart,
        FrameType::RoomTopic,    FrameType::RoomState,   FrameType::RoomListRequest, FrameType::RoomList};
    static_assert(std::size(types) == std::variant_size_v<Message>);
    if (const auto* say = std::get_if<Say>(&message); say && say->resend)
        return FrameType::SayAgain;
    return types[message.index()];
}

// Every frame type byte the protocol defines (SayAgain included).
const std::vector<FrameType>& AllFrameTypes()
{
    static const std::vector<FrameType> types = {
        FrameType::Hello,         FrameType::Welcome,        FrameType::Refuse,       FrameType::Resume,
        FrameType::Challenge,     FrameType::Proof,          FrameType::Say,          FrameType::Chat,
        FrameType::Ack,           FrameType::Error,          FrameType::History,      FrameType::HistoryRequest,
        FrameType::SearchRequest, FrameType::SearchResults,  FrameType::SayAgain,     FrameType::Ping,
        FrameType::Pong,          FrameType::Bye,            FrameType::FileOffer,    FrameType::FileAccept,
        FrameType::FileChunk,     FrameType::FileProgress,   FrameType::FileEnd,      FrameType::FileAbort,
        FrameType::FileGet,       FrameType::ThumbGet,       FrameType::Thumb,        FrameType::RoomJoin,
        FrameType::RoomPart,      FrameType::RoomTopic,      FrameType::RoomState,    FrameType::RoomListRequest,
        FrameType::RoomList};
    return types;
}

// Decodes everything a reader holds right now.
std::vector<Message> Drain(FrameReader& reader)
{
    std::vector<Message> out;
    Message m;
    while (reader.Next(m))
        out.push_back(m);
    return out;
}

void CheckSameMessages(const std::vector<Message>& actual, const std::vector<Message>& expected)
{
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
    {
        CAPTURE(i);
        CHECK(Describe(actual[i]) == Describe(expected[i]));
    }
}

// The frame must be refused with `expected` by DecodeFrame and by a FrameReader.
void CheckRejected(const Buffer& frame, DecodeError expected)
{
    Message out;
    CHECK(DecodeFrame(frame, out) == expected);

    FrameReader reader;
    reader.Feed(frame);
    CHECK_FALSE(reader.Next(out));
    CHECK(reader.Error() == expected);
}

// The frame must decode (by DecodeFrame and a FrameReader) to a message described as `expected`.
void CheckDecodesTo(const Buffer& frame, const Message& expected)
{
    Message out;
    REQUIRE(DecodeFrame(frame, out) == DecodeError::None);
    CHECK(Describe(out) == Describe(expected));

    FrameReader reader;
    reader.Feed(frame);
    REQUIRE(reader.Next(out));
    CHECK(Describe(out) == Describe(expected));
    CHECK(reader.Buffered() == 0);
}

// A version-3 Hello whose nick is `nick` (raw bytes, not checked here).
Buffer HelloWithNick(std::string_view nick)
{
    return MakeFrame(FrameType::Hello, PayloadBuilder().U16(3).Str(nick).Str("obrol").U16(3).Raw(DocKey));
}

Buffer SayWithText(std::string_view text)
{
    return MakeFrame(FrameType::Say, PayloadBuilder().U64(9).Room("everyone").Str(text));
}

// The documentation, and every whole frame written out in it as a hex run in backticks.
struct DocFrame
{
    int line = 0;
    Buffer bytes;
};

std::string ReadDoc()
{
    std::ifstream doc(std::string(OBROL_SOURCE_DIR) + "/docs/PROTOCOL.md");
    REQUIRE(doc);
    std::ostringstream text;
    text << doc.rdbuf();
    return text.str();
}

std::vector<DocFrame> DocFrames()
{
    std::istringstream doc(ReadDoc());
    const std::regex hexRun("`((?:[0-9A-Fa-f]{2} ){4,}[0-9A-Fa-f]{2})`");
    std::vector<DocFrame> frames;
    std::string line;
    for (int number = 1; std::getline(doc, line); ++number)
        for (std::sregex_iterator it(line.begin(), line.end(), hexRun), end; it != end; ++it)
        {
            Buffer bytes;
            std::istringstream hex((*it)[1].str());
            for (std::string pair; hex >> pair;)
                bytes.push_back(static_cast<std::uint8_t>(std::stoul(pair, nullptr, 16)));
            FrameHeader header;
            if (ParseHeader(bytes, header) != DecodeError::None || header.payloadLength + HeaderBytes != bytes.size())
                continue; // a fragment (a field, a key, the signed bytes), not a whole frame
            frames.push_back({number, std::move(bytes)});
        }
    return frames;
}

} // namespace

// [SECTION] Round trips

TEST_SUITE("protocol")
{
    TEST_CASE("the sample messages cover every message type")
    {
        std::set<std::size_t> seen;
        for (const auto& m : SampleMessages())
            seen.insert(m.index());
        CHECK(seen.size() == std::variant_size_v<Message>);
    }

    TEST_CASE("every message survives Encode then DecodeFrame unchanged")
    {
        for (const auto& original : SampleMessages())
        {
            CAPTURE(Describe(original).substr(0, 200));
            const Buffer frame = Encode(original);
            REQUIRE(frame.size() >= HeaderBytes);

            FrameHeader header;
            REQUIRE(ParseHeader(frame, header) == DecodeError::None);
            CHECK(header.payloadLength == frame.size() - HeaderBytes);
            CHECK(header.type == static_cast<std::uint8_t>(ExpectedType(original)));

            Message decoded;
            REQUIRE(DecodeFrame(frame, decoded) == DecodeError::None);
            CHECK(decoded.index() == original.index());
            CHECK(Describe(decoded) == Describe(original));
            CHECK(Encode(decoded) == frame);
        }
    }

    TEST_CASE("every message survives Encode then a FrameReader unchanged")
    {
        for (const auto& original : SampleMessages())
        {
            CAPTURE(Describe(original).substr(0, 200));
            FrameReader reader;
            reader.Feed(Encode(original));
            Message decoded;
            REQUIRE(reader.Next(decoded));
            CHECK(Describe(decoded) == Describe(original));
            CHECK_FALSE(reader.Next(decoded));
            CHECK(reader.Error() == DecodeError::None);
            CHECK(reader.Buffered() == 0);
        }
    }

    TEST_CASE("a FileChunk frame filled in place encodes exactly as Encode")
    {
        for (const std::uint32_t n : {0u, 1u, 1000u, FileChunkBytes})
        {
            CAPTURE(n);
            FileChunk chunk{0x0102030405060708ull, 0xA0B0C0D0E0F00011ull, std::vector<std::uint8_t>(n)};
            for (std::uint32_t i = 0; i < n; ++i)
                chunk.bytes[i] = static_cast<std::uint8_t>(i * 7 + 3);
            auto frame = FileChunkFrame(chunk.id, chunk.offset, n);
            REQUIRE(frame.size() == FileChunkDataOffset + n);
            std::copy(chunk.bytes.begin(), chunk.bytes.end(), frame.begin() + FileChunkDataOffset);
            CHECK(frame == Encode(chunk));
        }
    }

    TEST_CASE("EncodeShared produces the same bytes as Encode")
    {
        const Message m = Chat{10, 20, ChatKind::Public, "ana", Target::Room("dev"), "shared by all recipients"};
        const FrameBytes shared = EncodeShared(m);
        REQUIRE(shared != nullptr);
        CHECK(*shared == Encode(m));
    }

    TEST_CASE("every hex frame written out in PROTOCOL.md decodes and encodes back to the same bytes")
    {
        const auto frames = DocFrames();
        for (const auto& frame : frames)
        {
            CAPTURE(frame.line);
            Message decoded;
            REQUIRE(DecodeFrame(frame.bytes, decoded) == DecodeError::None);
            CHECK(Encode(decoded) == frame.bytes);
        }
        CHECK(frames.size() >= 50); // the examples are there to be checked
    }

    TEST_CASE("PROTOCOL.md shows a checked hex example of every frame type")
    {
        std::set<std::uint8_t> documented;
        for (const auto& frame : DocFrames())
            documented.insert(frame.bytes[4]);
        for (const FrameType type : AllFrameTypes())
        {
            CAPTURE(static_cast<int>(type));
            CHECK(documented.count(static_cast<std::uint8_t>(type)) == 1);
        }
    }

    TEST_CASE("a Hello for ana encodes to the bytes documented in PROTOCOL.md")
    {
        const Buffer frame = Encode(Hello{3, "ana", "obrol 0.1.0", 3, DocKey});
        const Buffer expected = MakeFrame(FrameType::Hello,
                                          PayloadBuilder().U16(3).Str("ana").Str("obrol 0.1.0").U16(3).Raw(DocKey));
        CHECK(frame == expected);
        CHECK(frame.size() == 63);
        CHECK(ReadDoc().find("`" + DocHex(frame) + "`") != std::string::npos);
    }

    TEST_CASE("the other worked examples in PROTOCOL.md match the encoder")
    {
        const Buffer say = {0x00, 0x00, 0x00, 0x1B, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
                            0x00, 0x00, 0x00, 0x00, 0x08, 0x65, 0x76, 0x65, 0x72, 0x79, 0x6F, 0x6E, 0x65,
                            0x00, 0x00, 0x00, 0x02, 0x68, 0x69};
        CHECK(Encode(Say{7, Target::Everyone(), "hi"}) == say);
        const Buffer pong = {0x00, 0x00, 0x00, 0x08, 0x21, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
        CHECK(Encode(Pong{0x0102030405060708ull}) == pong);
        const Buffer roomListRequest = {0x00, 0x00, 0x00, 0x00, 0x44};
        CHECK(Encode(RoomListRequest{}) == roomListRequest);
        const std::string doc = ReadDoc();
        for (const Buffer& frame : {say, pong})
            CHECK(doc.find("`" + DocHex(frame) + "`") != std::string::npos);
    }

    TEST_CASE("hand-assembled frames in the documented field order decode to the expected messages")
    {
        struct Case
        {
            Buffer frame;
            Message expected;
        };
        const RoomInfo dev{"dev", "ship it", 2, {"ana", "bo"}, true};
        const auto devBytes = [](PayloadBuilder& p) -> PayloadBuilder& {
            return p.Str("dev").Str("ship it").U32(2).U32(2).Str("ana").Str("bo").U8(1);
        };
        PayloadBuilder welcome;
        welcome.U16(3).Str("ana").Str("srv").I64(-5).U32(15).U32(16384).U32(2).Str("ana").Str("bo").U64(1u << 30);
        welcome.U32(2).Str("everyone").Str("").U32(2).U32(0).U8(1);
        devBytes(welcome);
        PayloadBuilder roomState;
        devBytes(roomState);
        PayloadBuilder roomList;
        roomList.U32(2).Str("everyone").Str("").U32(2).U32(0).U8(1).Str("dev").Str("ship it").U32(2).U32(0).U8(0);
        const std::vector<Case> cases = {
            {MakeFrame(FrameType::Hello, PayloadBuilder().U16(3).Str("ana").Str("obrol 0.1.0").U16(3).Raw(DocKey)),
             Hello{3, "ana", "obrol 0.1.0", 3, DocKey}},
            {MakeFrame(FrameType::Hello, PayloadBuilder().U16(2).Str("ana").Str("obrol 0.1.0")),
             Hello{2, "ana", "obrol 0.1.0", 2, {}}},
            {MakeFrame(FrameType::Challenge, PayloadBuilder().U16(3).Raw(DocNonce)), Challenge{3, DocNonce}},
            {MakeFrame(FrameType::Proof, PayloadBuilder().Raw(DocSignature)), Proof{DocSignature}},
            {MakeFrame(FrameType::Welcome, welcome),
             Welcome{3, "ana", "srv", -5, 15, 16384, {"ana", "bo"}, 1u << 30,
                     {RoomInfo{"everyone", "", 2, {}, true}, dev}}},
            {MakeFrame(FrameType::Refuse, PayloadBuilder().U8(1).Str("taken")), Refuse{RefuseCode::NickTaken, "taken"}},
            {MakeFrame(FrameType::Refuse, PayloadBuilder().U8(6).Str("owned")), Refuse{RefuseCode::NickOwned, "owned"}},
            {MakeFrame(FrameType::Refuse, PayloadBuilder().U8(7).Str("bad")), Refuse{RefuseCode::BadProof, "bad"}},
            {MakeFrame(FrameType::Resume, PayloadBuilder().U64(42).U64(100)), Resume{42, 100}},
            {MakeFrame(FrameType::Say, PayloadBuilder().U64(77).Person("bo").Str("hi")), Say{77, Target::Person("bo"), "hi"}},
            {MakeFrame(FrameType::Say, PayloadBuilder().U64(78).Room("dev").Str("hi")), Say{78, Target::Room("dev"), "hi"}},
            {MakeFrame(FrameType::SayAgain, PayloadBuilder().U64(78).Room("dev").Str("hi")),
             Say{78, Target::Room("dev"), "hi", true}},
            {MakeFrame(FrameType::Chat, PayloadBuilder().U64(5).I64(1234).U8(1).Str("ana").Person("bo").Str("hi").U8(0)),
             Chat{5, 1234, ChatKind::Private, "ana", Target::Person("bo"), "hi"}},
            {MakeFrame(FrameType::Chat, PayloadBuilder().U64(6).I64(1235).U8(5).Str("bo").Room("dev").Str("").U8(0)),
             Chat{6, 1235, ChatKind::RoomJoin, "bo", Target::Room("dev"), ""}},
            {MakeFrame(FrameType::Chat, PayloadBuilder().U64(7).I64(1236).U8(7).Str("bo").Room("dev").Str("new").U8(0)),
             Chat{7, 1236, ChatKind::Topic, "bo", Target::Room("dev"), "new"}},
            {MakeFrame(FrameType::Ack, PayloadBuilder().U64(77).U64(5).I64(1234)), Ack{77, 5, 1234}},
            {MakeFrame(FrameType::Error, PayloadBuilder().U8(1).U64(77).Str("no such user")),
             Error{ErrorCode::UnknownUser, 77, "no such user"}},
            {MakeFrame(FrameType::Error, PayloadBuilder().U8(10).U64(0).Str("not in dev")),
             Error{ErrorCode::NotAMember, 0, "not in dev"}},
            {MakeFrame(FrameType::History, PayloadBuilder().U8(2).Room("dev").U8(1).U64(0).U32(0)),
             History{HistoryReason::Page, Target::Room("dev"), true, 0, {}}},
            {MakeFrame(FrameType::HistoryRequest, PayloadBuilder().Person("bo").U64(9).U32(50).U8(1)),
             HistoryRequest{Target::Person("bo"), 9, 50, true}},
            {MakeFrame(FrameType::FileOffer, PayloadBuilder().U64(3).Room("dev").Str("a.txt").U64(3)),
             FileOffer{3, Target::Room("dev"), "a.txt", 3}},
            {MakeFrame(FrameType::Ping, PayloadBuilder().U64(0xA1B2C3D4E5F60718ull)), Ping{0xA1B2C3D4E5F60718ull}},
            {MakeFrame(FrameType::Pong, PayloadBuilder().U64(3)), Pong{3}},
            {MakeFrame(FrameType::Bye, PayloadBuilder().U8(3).Str("silent")), Bye{ByeReason::Timeout, "silent"}},
            {MakeFrame(FrameType::RoomJoin, PayloadBuilder().Str("dev")), RoomJoin{"dev"}},
            {MakeFrame(FrameType::RoomPart, PayloadBuilder().Str("dev").Str("later")), RoomPart{"dev", "later"}},
            {MakeFrame(FrameType::RoomTopic, PayloadBuilder().Str("dev").Str("ship it")), RoomTopic{"dev", "ship it"}},
            {MakeFrame(FrameType::RoomState, roomState), RoomState{dev}},
            {MakeFrame(FrameType::RoomListRequest, PayloadBuilder()), RoomListRequest{}},
            {MakeFrame(FrameType::RoomList, roomList),
             RoomList{{RoomInfo{"everyone", "", 2, {}, true}, RoomInfo{"dev", "ship it", 2, {}, false}}}},
        };
        for (const auto& c : cases)
        {
            CAPTURE(Describe(c.expected));
            CheckDecodesTo(c.frame, c.expected);
            CHECK(Encode(c.expected) == c.frame);
        }
    }

    TEST_CASE("a frame whose payload is exactly MaxFramePayload bytes is accepted")
    {
        // Say payload: u64 id + target (u8 + u32 + 0 bytes) + (u32 + text)
        const std::size_t textBytes = MaxFramePayload - 8 - 1 - 4 - 4;
        const Say say{1, Target::Room(""), std::string(textBytes, 'x')};
        const Buffer frame = Encode(say);
        REQUIRE(frame.size() == HeaderBytes + MaxFramePayload);

        Message decoded;
        REQUIRE(DecodeFrame(frame, decoded) == DecodeError::None);
        CHECK(std::get<Say>(decoded).text.size() == textBytes);

        FrameReader reader;
        reader.Feed(frame);
        REQUIRE(reader.Next(decoded));
        CHECK(std::get<Say>(decoded).text.size() == textBytes);
    }
}

// [SECTION] Streaming

TEST_SUITE("protocol")
{
    TEST_CASE("a FrameReader fed byte by byte yields the same messages in order")
    {
        const auto messages = SampleMessages();
        Buffer stream;
        for (const auto& m : messages)
        {
            const Buffer frame = Encode(m);
            stream.insert(stream.end(), frame.begin(), frame.end());
        }

        FrameReader reader;
        std::vector<Message> decoded;
        for (const std::uint8_t byte : stream)
        {
            reader.Feed(std::span<const std::uint8_t>(&byte, 1));
            for (auto& m : Drain(reader))
                decoded.push_back(std::move(m));
        }
        CHECK(reader.Error() == DecodeError::None);
        CHECK(reader.Buffered() == 0);
        CheckSameMessages(decoded, messages);
    }

    TEST_CASE("a FrameReader fed random-sized chunks yields the same messages in order")
    {
        // Enough traffic (several MaxTextBytes texts) that the reader compacts its buffer.
        std::vector<Message> messages;
        for (int round = 0; round < 12; ++round)
            for (const auto& m : SampleMessages())
                messages.push_back(m);
        Buffer stream;
        for (const auto& m : messages)
        {
            const Buffer frame = Encode(m);
            stream.insert(stream.end(), frame.begin(), frame.end());
        }
        REQUIRE(stream.size() > 256 * 1024);

        for (const std::size_t maxChunk : {7u, 300u, 70000u})
        {
            CAPTURE(maxChunk);
            std::mt19937 rng(20240601u + static_cast<unsigned>(maxChunk));
            std::uniform_int_distribution<std::size_t> chunkSize(1, maxChunk);

            FrameReader reader;
            std::vector<Message> decoded;
            for (std::size_t pos = 0; pos < stream.size();)
            {
                const std::size_t n = std::min(chunkSize(rng), stream.size() - pos);
                reader.Feed(std::span<const std::uint8_t>(stream.data() + pos, n));
                pos += n;
                for (auto& m : Drain(reader))
                    decoded.push_back(std::move(m));
            }
            CHECK(reader.Error() == DecodeError::None);
            CHECK(reader.Buffered() == 0);
            CheckSameMessages(decoded, messages);
        }
    }

    TEST_CASE("several frames in one Feed are all decoded in order")
    {
        const std::vector<Message> messages = {Ping{1}, Say{2, Target::Room("dev"), "two"}, Pong{3},
                                               RoomListRequest{}, Bye{ByeReason::Quit, "bye"}};
        Buffer stream;
        for (const auto& m : messages)
        {
            const Buffer frame = Encode(m);
            stream.insert(stream.end(), frame.begin(), frame.end());
        }
        FrameReader reader;
        reader.Feed(stream);
        CheckSameMessages(Drain(reader), messages);
        CHECK(reader.Error() == DecodeError::None);
    }

    TEST_CASE("a FrameReader waits for the rest of a partial frame")
    {
        const Buffer frame = Encode(Say{1, Target::Everyone(), "hello"});
        FrameReader reader;
        Message out;

        reader.Feed(std::span<const std::uint8_t>(frame.data(), 3));
        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::None);
        CHECK(reader.Buffered() == 3);

        reader.Feed(std::span<const std::uint8_t>(frame.data() + 3, frame.size() - 4));
        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::None);
        CHECK(reader.Buffered() == frame.size() - 1);

        reader.Feed(std::span<const std::uint8_t>(frame.data() + frame.size() - 1, 1));
        REQUIRE(reader.Next(out));
        CHECK(std::get<Say>(out).text == "hello");
        CHECK(reader.Buffered() == 0);
    }

    TEST_CASE("a FrameReader with nothing fed has no message and no error")
    {
        FrameReader reader;
        Message out;
        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::None);
        CHECK(reader.Buffered() == 0);
    }
}

// [SECTION] The extension area

TEST_SUITE("protocol")
{
    TEST_CASE("every frame with unknown well-formed extension entries decodes to the same message")
    {
        const std::vector<Buffer> areas = {
            PayloadBuilder().Extension(0x1234, "abc").Bytes(),
            PayloadBuilder().Extension(0, "").Bytes(),
            PayloadBuilder().Extension(0xFFFF, std::string(300, '\xFF')).Extension(7, "").Extension(1, "x").Bytes(),
            // the entry's bytes are opaque: a nested header or invalid UTF-8 inside is fine
            PayloadBuilder().Extension(2, "\x00\x01\x00\x00\x00\x09\xC0").Bytes(),
        };
        for (const auto& original : SampleMessages())
        {
            CAPTURE(Describe(original).substr(0, 200));
            const Buffer plain = Encode(original);
            for (const auto& area : areas)
            {
                CAPTURE(area.size());
                CheckDecodesTo(Append(plain, area), original);
            }
        }
    }

    TEST_CASE("the encoder sends no extension entries")
    {
        // RoomListRequest has no fields: its payload is exactly the (empty) extension area
        CHECK(Encode(RoomListRequest{}).size() == HeaderBytes);
        CHECK(Encode(Ping{1}).size() == HeaderBytes + 8);
        CHECK(Encode(Proof{}).size() == HeaderBytes + 64);
        CHECK(Encode(Challenge{}).size() == HeaderBytes + 2 + 32);
    }

    TEST_CASE("an extension area with a partial entry header is TrailingBytes")
    {
        const Buffer ping = Encode(Ping{1});
        for (std::size_t n = 1; n < ExtensionHeaderBytes; ++n)
        {
            CAPTURE(n);
            CheckRejected(Append(ping, Buffer(n, 0x00)), DecodeError::TrailingBytes);
            // also after a well-formed entry
            Buffer area = PayloadBuilder().Extension(9, "ok").Bytes();
            area.insert(area.end(), n, 0x00);
            CheckRejected(Append(ping, area), DecodeError::TrailingBytes);
        }
        CheckRejected(Append(Encode(RoomListRequest{}), {0x00}), DecodeError::TrailingBytes);
        CheckRejected(Append(Encode(Proof{}), {0x01, 0x02, 0x03}), DecodeError::TrailingBytes);
    }

    TEST_CASE("an extension entry whose length runs past the end of the payload is TrailingBytes")
    {
        const Buffer ping = Encode(Ping{1});
        CheckRejected(Append(ping, PayloadBuilder().U16(1).U32(1).Bytes()), DecodeError::TrailingBytes);
        CheckRejected(Append(ping, PayloadBuilder().U16(1).U32(4).Raw("abc").Bytes()), DecodeError::TrailingBytes);
        CheckRejected(Append(ping, PayloadBuilder().U16(1).U32(0xFFFFFFFFu).Raw("abc").Bytes()),
                      DecodeError::TrailingBytes);
        CheckRejected(Append(ping, PayloadBuilder().Extension(1, "fine").U16(2).U32(100).Bytes()),
                      DecodeError::TrailingBytes);
        CheckRejected(Append(Encode(Hello{2, "ana", "old", 2, {}}), PayloadBuilder().U16(3).U32(32).Bytes()),
                      DecodeError::TrailingBytes);
        // exactly to the end is fine
        CheckDecodesTo(Append(ping, PayloadBuilder().U16(1).U32(3).Raw("abc").Bytes()), Ping{1});
    }

    TEST_CASE("a FrameReader skips extension entries and reads the frames after them")
    {
        const Buffer first = Append(Encode(Say{1, Target::Room("dev"), "one"}), PayloadBuilder().Extension(5, "x").Bytes());
        const Buffer second = Append(Encode(RoomListRequest{}), PayloadBuilder().Extension(6, "yz").Bytes());
        FrameReader reader;
        reader.Feed(Concat({first, second, Encode(Ping{3})}));
        CheckSameMessages(Drain(reader), {Say{1, Target::Room("dev"), "one"}, RoomListRequest{}, Ping{3}});
        CHECK(reader.Error() == DecodeError::None);
    }
}

// [SECTION] Targets

TEST_SUITE("protocol")
{
    TEST_CASE("a Target is a kind byte (0 room, 1 person) followed by the name as a string field")
    {
        CHECK(Encode(Say{1, Target::Room("dev"), "x"}) ==
              MakeFrame(FrameType::Say, PayloadBuilder().U64(1).U8(0).Str("dev").Str("x")));
        CHECK(Encode(Say{1, Target::Person("bo"), "x"}) ==
              MakeFrame(FrameType::Say, PayloadBuilder().U64(1).U8(1).Str("bo").Str("x")));
        CHECK(Encode(Say{1, Target::Everyone(), "x"}) ==
              MakeFrame(FrameType::Say, PayloadBuilder().U64(1).U8(0).Str("everyone").Str("x")));
        CHECK(Encode(HistoryRequest{Target::Room("dev"), 2, 3, false}) ==
              MakeFrame(FrameType::HistoryRequest, PayloadBuilder().U8(0).Str("dev").U64(2).U32(3).U8(0)));
        CHECK(Encode(FileOffer{4, Target::Person("bo"), "a", 5}) ==
              MakeFrame(FrameType::FileOffer, PayloadBuilder().U64(4).U8(1).Str("bo").Str("a").U64(5)));
        CHECK(Encode(History{HistoryReason::Page, Target::Person("bo"), false, 0, {}}) ==
              MakeFrame(FrameType::History, PayloadBuilder().U8(2).U8(1).Str("bo").U8(0).U64(0).U32(0)));
        CHECK(Encode(Chat{1, 2, ChatKind::Public, "ana", Target::Room("dev"), "x"}) ==
              MakeFrame(FrameType::Chat, PayloadBuilder().U64(1).I64(2).U8(0).Str("ana").U8(0).Str("dev").Str("x").U8(0)));
        // a default Target is the everyone room
        CHECK(Target{} == Target::Everyone());
        CHECK(Target::Everyone().name == std::string(EveryoneRoom));
        CHECK(Target::Everyone().kind == TargetKind::Room);
    }

    TEST_CASE("a private Chat must name a person and every other kind a room, otherwise BadValue")
    {
        const auto chat = [](std::uint8_t kind, std::uint8_t targetKind) {
            return MakeFrame(FrameType::Chat,
                             PayloadBuilder().U64(1).I64(2).U8(kind).Str("ana").U8(targetKind).Str("bo").Str("t").U8(0));
        };
        for (std::uint8_t kind = 0; kind <= 7; ++kind)
        {
            CAPTURE(int(kind));
            const bool isPrivate = kind == static_cast<std::uint8_t>(ChatKind::Private);
            Message out;
            CHECK(DecodeFrame(chat(kind, isPrivate ? 1 : 0), out) == DecodeError::None);
            CheckRejected(chat(kind, isPrivate ? 0 : 1), DecodeError::BadValue);
        }
        // the same rule inside a History and SearchResults
        CheckRejected(MakeFrame(FrameType::History, PayloadBuilder()
                                                        .U8(0)
                                                        .Room("everyone")
                                                        .U8(0)
                                                        .U64(0)
                                                        .U32(1)
                                                        .U64(1)
                                                        .I64(2)
                                                        .U8(1)
                                                        .Str("ana")
                                                        .Room("bo")
                                                        .Str("hi")
                                                        .U8(0)),
                      DecodeError::BadValue);
        CheckRejected(MakeFrame(FrameType::SearchResults,
                                PayloadBuilder().U64(1).U32(1).U64(1).I64(2).U8(0).Str("ana").Person("bo").Str("hi").U8(0)),
                      DecodeError::BadValue);
    }

    TEST_CASE("a Target kind other than 0 or 1 is rejected with BadValue wherever a Target appears")
    {
        for (const std::uint8_t kind : {std::uint8_t{2}, std::uint8_t{0x80}, std::uint8_t{0xFF}})
        {
            CAPTURE(int(kind));
            CheckRejected(MakeFrame(FrameType::Say, PayloadBuilder().U64(1).U8(kind).Str("dev").Str("hi")),
                          DecodeError::BadValue);
            CheckRejected(MakeFrame(FrameType::SayAgain, PayloadBuilder().U64(1).U8(kind).Str("dev").Str("hi")),
                          DecodeError::BadValue);
            CheckRejected(MakeFrame(FrameType::Chat,
                                    PayloadBuilder().U64(1).I64(2).U8(0).Str("ana").U8(kind).Str("dev").Str("hi").U8(0)),
                          DecodeError::BadValue);
            CheckRejected(MakeFrame(FrameType::History, PayloadBuilder().U8(2).U8(kind).Str("dev").U8(0).U64(0).U32(0)),
                          DecodeError::BadValue);
            CheckRejected(MakeFrame(FrameType::HistoryRequest, PayloadBuilder().U8(kind).Str("dev").U64(0).U32(10).U8(0)),
                          DecodeError::BadValue);
            CheckRejected(MakeFrame(FrameType::FileOffer, PayloadBuilder().U64(1).U8(kind).Str("dev").Str("a").U64(1)),
                          DecodeError::BadValue);
        }
    }

    TEST_CASE("a room target longer than MaxRoomBytes or a person target longer than MaxNickBytes is BadLength")
    {
        const std::string room(MaxRoomBytes, 'r');
        const std::string nick(MaxNickBytes, 'n');
        const auto say = [](std::uint8_t kind, const std::string& name) {
            return MakeFrame(FrameType::Say, PayloadBuilder().U64(1).U8(kind).Str(name).Str("hi"));
        };
        Message out;
        CHECK(DecodeFrame(say(0, room), out) == DecodeError::None);
        CHECK(DecodeFrame(say(1, nick), out) == DecodeError::None);
        CheckRejected(say(0, room + "r"), DecodeError::BadLength);
        CheckRejected(say(1, nick + "n"), DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::HistoryRequest, PayloadBuilder().Room(room + "r").U64(0).U32(1).U8(0)),
                      DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::FileOffer, PayloadBuilder().U64(1).Person(nick + "n").Str("a").U64(1)),
                      DecodeError::BadLength);
        // and a name that is not UTF-8
        CheckRejected(say(0, "d\xC3v"), DecodeError::InvalidUtf8);
    }

    TEST_CASE("Target::IsEveryone matches the everyone room ignoring case, and nothing else")
    {
        CHECK(Target::Everyone().IsEveryone());
        CHECK(Target::Room("Everyone").IsEveryone());
        CHECK(Target::Room("EVERYONE").IsEveryone());
        CHECK_FALSE(Target::Person("everyone").IsEveryone());
        CHECK_FALSE(Target::Room("everyone2").IsEveryone());
        CHECK_FALSE(Target::Room("#everyone").IsEveryone());
        CHECK_FALSE(Target::Room("").IsEveryone());
        CHECK(Target::Room("dev").IsRoom());
        CHECK_FALSE(Target::Room("dev").IsPerson());
        CHECK(Target::Person("bo").IsPerson());
        CHECK_FALSE(Target::Person("bo").IsRoom());
    }
}

// [SECTION] The handshake frames

TEST_SUITE("protocol")
{
    TEST_CASE("a version-2 Hello decodes with version 2, minVersion 2 and no key")
    {
        const Buffer v2 = MakeFrame(FrameType::Hello, PayloadBuilder().U16(2).Str("ana").Str("obrol 0.0.9"));
        Message out;
        REQUIRE(DecodeFrame(v2, out) == DecodeError::None);
        const Hello& hello = std::get<Hello>(out);
        CHECK(hello.version == 2);
        CHECK(hello.minVersion == 2);
        CHECK(hello.nick == "ana");
        CHECK(hello.software == "obrol 0.0.9");
        CHECK(hello.publicKey == PublicKey{});

        // version 1 too: the oldest layout is the same
        REQUIRE(DecodeFrame(MakeFrame(FrameType::Hello, PayloadBuilder().U16(1).Str("ana").Str("x")), out) ==
                DecodeError::None);
        CHECK(std::get<Hello>(out).version == 1);
        CHECK(std::get<Hello>(out).minVersion == 1);
    }

    TEST_CASE("a Hello below version 3 is encoded in the version-2 layout, whatever its other fields")
    {
        CHECK(Encode(Hello{2, "ana", "obrol 0.0.9", 3, DocKey}) ==
              MakeFrame(FrameType::Hello, PayloadBuilder().U16(2).Str("ana").Str("obrol 0.0.9")));
    }

    TEST_CASE("a version-3 Hello carries minVersion and the 32 key bytes after software")
    {
        const Buffer frame = Encode(Hello{4, "ana", "obrol", 3, DocKey});
        CHECK(frame == MakeFrame(FrameType::Hello, PayloadBuilder().U16(4).Str("ana").Str("obrol").U16(3).Raw(DocKey)));
        Message out;
        REQUIRE(DecodeFrame(frame, out) == DecodeError::None);
        CHECK(std::get<Hello>(out).version == 4);
        CHECK(std::get<Hello>(out).minVersion == 3);
        CHECK(std::get<Hello>(out).publicKey == DocKey);
    }

    TEST_CASE("a version-3 Hello without minVersion or cut inside the key is Truncated")
    {
        CheckRejected(MakeFrame(FrameType::Hello, PayloadBuilder().U16(3).Str("ana").Str("obrol")), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Hello, PayloadBuilder().U16(3).Str("ana").Str("obrol").U8(0)),
                      DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Hello,
                                PayloadBuilder().U16(3).Str("ana").Str("obrol").U16(3).Raw(std::span(DocKey).first(31))),
                      DecodeError::Truncated);
    }

    TEST_CASE("Challenge and Proof have fixed sizes and a shorter one is Truncated")
    {
        CHECK(Encode(Challenge{3, DocNonce}) == MakeFrame(FrameType::Challenge, PayloadBuilder().U16(3).Raw(DocNonce)));
        CHECK(Encode(Proof{DocSignature}) == MakeFrame(FrameType::Proof, PayloadBuilder().Raw(DocSignature)));
        CheckRejected(MakeFrame(FrameType::Challenge, PayloadBuilder().U16(3).Raw(std::span(DocNonce).first(31))),
                      DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Challenge, PayloadBuilder().U8(0)), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Proof, PayloadBuilder().Raw(std::span(DocSignature).first(63))),
                      DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Proof, PayloadBuilder()), DecodeError::Truncated);
    }

    TEST_CASE("ProofMessage is the context string, the nonce, the key and the nickname as a string field")
    {
        const auto message = ProofMessage(DocNonce, DocKey, "ana");
        const Buffer expected = PayloadBuilder()
                                    .Raw(std::string_view("obrol-login-v3\0", 15))
                                    .Raw(DocNonce)
                                    .Raw(DocKey)
                                    .Str("ana")
                                    .Bytes();
        CHECK(message == expected);
        REQUIRE(message.size() == 15 + 32 + 32 + 4 + 3);
        CHECK(AsText(std::span(message).first(15)) == std::string_view("obrol-login-v3\0", 15));

        // the nickname's bytes as sent, counted in bytes (U+00E9 is two)
        const auto accented = ProofMessage(DocNonce, DocKey, "Jos\xC3\xA9");
        CHECK(accented.size() == 15 + 32 + 32 + 4 + 5);
        CHECK(AsText(std::span(accented).last(9)) == std::string_view("\x00\x00\x00\x05Jos\xC3\xA9", 9));
        // every input changes the bytes
        CHECK(ProofMessage(Counting<32>(1), DocKey, "ana") != message);
        CHECK(ProofMessage(DocNonce, Counting<32>(1), "ana") != message);
        CHECK(ProofMessage(DocNonce, DocKey, "Ana") != message);
    }

    TEST_CASE("the Proof worked example in PROTOCOL.md signs the documented bytes with the documented key")
    {
        const std::string doc = ReadDoc();
        const auto message = ProofMessage(DocNonce, DocKey, "ana");
        CHECK(doc.find("`" + DocHex(message) + "`") != std::string::npos);
        CHECK(doc.find("`" + DocHex(DocKey) + "`") != std::string::npos);
        CHECK(doc.find("`" + DocHex(Encode(Challenge{3, DocNonce})) + "`") != std::string::npos);
        CHECK(doc.find("`" + DocHex(Encode(Proof{DocSignature})) + "`") != std::string::npos);
        CHECK(doc.find("`" + DocHex(Encode(Hello{3, "ana", "obrol 0.1.0", 3, DocKey})) + "`") != std::string::npos);
#ifdef OBROL_TEST_ED25519
        EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, DocKey.data(), DocKey.size());
        REQUIRE(key != nullptr);
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        REQUIRE(ctx != nullptr);
        CHECK(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1);
        CHECK(EVP_DigestVerify(ctx, DocSignature.data(), DocSignature.size(), message.data(), message.size()) == 1);
        // the same signature does not prove another nickname
        const auto other = ProofMessage(DocNonce, DocKey, "bo");
        CHECK(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1);
        CHECK(EVP_DigestVerify(ctx, DocSignature.data(), DocSignature.size(), other.data(), other.size()) != 1);
        EVP_MD_CTX_free(ctx);
        EVP_PKEY_free(key);
#endif
    }
}

// [SECTION] Rooms

TEST_SUITE("protocol")
{
    TEST_CASE("room names over MaxRoomBytes and topics over MaxTopicBytes are rejected with BadLength")
    {
        const std::string room(MaxRoomBytes, 'r');
        const std::string topic(MaxTopicBytes, 't');
        // exactly at the limits is fine
        CheckDecodesTo(MakeFrame(FrameType::RoomJoin, PayloadBuilder().Str(room)), RoomJoin{room});
        CheckDecodesTo(MakeFrame(FrameType::RoomTopic, PayloadBuilder().Str(room).Str(topic)), RoomTopic{room, topic});
        CheckDecodesTo(MakeFrame(FrameType::RoomPart, PayloadBuilder().Str(room).Str(std::string(4096, 'p'))),
                       RoomPart{room, std::string(4096, 'p')});

        CheckRejected(MakeFrame(FrameType::RoomJoin, PayloadBuilder().Str(room + "r")), DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::RoomPart, PayloadBuilder().Str(room + "r").Str("")), DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::RoomPart, PayloadBuilder().Str("dev").Str(std::string(4097, 'p'))),
                      DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::RoomTopic, PayloadBuilder().Str(room + "r").Str("")), DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::RoomTopic, PayloadBuilder().Str("dev").Str(topic + "t")), DecodeError::BadLength);
        // the same limits inside a RoomInfo
        CheckRejected(MakeFrame(FrameType::RoomState, PayloadBuilder().Str(room + "r").Str("").U32(0).U32(0).U8(0)),
                      DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::RoomState, PayloadBuilder().Str("dev").Str(topic + "t").U32(0).U32(0).U8(0)),
                      DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::RoomState,
                                PayloadBuilder().Str("dev").Str("").U32(1).U32(1).Str(std::string(MaxNickBytes + 1, 'n')).U8(1)),
                      DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::RoomList, PayloadBuilder().U32(1).Str("dev").Str(topic + "t").U32(0).U32(0).U8(0)),
                      DecodeError::BadLength);
        // and names or topics that are not UTF-8
        CheckRejected(MakeFrame(FrameType::RoomJoin, PayloadBuilder().Str("d\xFFv")), DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::RoomTopic, PayloadBuilder().Str("dev").Str("\xED\xA0\x80")),
                      DecodeError::InvalidUtf8);
    }

    TEST_CASE("a RoomList or Welcome room count larger than the payload can hold is BadLength before anything is allocated")
    {
        // A RoomInfo takes at least 17 bytes (four u32 fields and the member flag). Counts that
        // would need gigabytes if allocated first must fail at once, and a count just one too large
        // for what follows must fail as BadLength (checked up front), not Truncated (found later).
        const auto roomList = [](std::uint32_t count, std::size_t emptyRooms) {
            PayloadBuilder p;
            p.U32(count);
            for (std::size_t i = 0; i < emptyRooms; ++i)
                p.Str("").Str("").U32(0).U32(0).U8(0);
            return MakeFrame(FrameType::RoomList, p);
        };
        CheckRejected(roomList(0xFFFFFFFFu, 0), DecodeError::BadLength);
        CheckRejected(roomList(0x7FFFFFFFu, 3), DecodeError::BadLength);
        CheckRejected(roomList(4, 3), DecodeError::BadLength);
        CheckRejected(roomList(1, 0), DecodeError::BadLength);
        Message out;
        REQUIRE(DecodeFrame(roomList(3, 3), out) == DecodeError::None);
        CHECK(std::get<RoomList>(out).rooms.size() == 3);

        const auto welcome = [](std::uint32_t count, std::size_t emptyRooms) {
            PayloadBuilder p;
            p.U16(3).Str("ana").Str("srv").I64(0).U32(15).U32(16384).U32(1).Str("ana").U64(1).U32(count);
            for (std::size_t i = 0; i < emptyRooms; ++i)
                p.Str("").Str("").U32(0).U32(0).U8(0);
            return MakeFrame(FrameType::Welcome, p);
        };
        CheckRejected(welcome(0xFFFFFFFFu, 0), DecodeError::BadLength);
        CheckRejected(welcome(0xFFFFFFFFu, 2), DecodeError::BadLength);
        CheckRejected(welcome(3, 2), DecodeError::BadLength);
        REQUIRE(DecodeFrame(welcome(2, 2), out) == DecodeError::None);
        CHECK(std::get<Welcome>(out).rooms.size() == 2);
        // a Welcome that ends before its room count is Truncated
        CheckRejected(MakeFrame(FrameType::Welcome,
                                PayloadBuilder().U16(3).Str("ana").Str("srv").I64(0).U32(15).U32(16384).U32(1).Str("ana").U64(1)),
                      DecodeError::Truncated);
    }

    TEST_CASE("a member count larger than the payload can hold is BadLength before anything is allocated")
    {
        // each member name takes at least its 4 length bytes
        const auto roomState = [](std::uint32_t count, std::size_t names) {
            PayloadBuilder p;
            p.Str("dev").Str("").U32(count).U32(count);
            for (std::size_t i = 0; i < names; ++i)
                p.Str("");
            return MakeFrame(FrameType::RoomState, p.U8(1));
        };
        CheckRejected(roomState(0xFFFFFFFFu, 0), DecodeError::BadLength);
        CheckRejected(roomState(0x7FFFFFFFu, 4), DecodeError::BadLength);
        CheckRejected(roomState(3, 1), DecodeError::BadLength);
        Message out;
        REQUIRE(DecodeFrame(roomState(2, 2), out) == DecodeError::None);
        CHECK(std::get<RoomState>(out).room.members.size() == 2);

        // the same inside a Welcome's room and a RoomList's room
        CheckRejected(MakeFrame(FrameType::Welcome, PayloadBuilder()
                                                        .U16(3)
                                                        .Str("ana")
                                                        .Str("srv")
                                                        .I64(0)
                                                        .U32(15)
                                                        .U32(16384)
                                                        .U32(0)
                                                        .U64(0)
                                                        .U32(1)
                                                        .Str("dev")
                                                        .Str("")
                                                        .U32(0)
                                                        .U32(0xFFFFFFFFu)
                                                        .U8(1)),
                      DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::RoomList, PayloadBuilder().U32(1).Str("dev").Str("").U32(0).U32(1000).U8(0)),
                      DecodeError::BadLength);
    }

    TEST_CASE("a RoomInfo member flag other than 0 or 1 is BadValue")
    {
        CheckRejected(MakeFrame(FrameType::RoomState, PayloadBuilder().Str("dev").Str("").U32(0).U32(0).U8(2)),
                      DecodeError::BadValue);
        CheckRejected(MakeFrame(FrameType::RoomList, PayloadBuilder().U32(1).Str("dev").Str("").U32(0).U32(0).U8(0xFF)),
                      DecodeError::BadValue);
    }

    TEST_CASE("room frames cut short are Truncated")
    {
        CheckRejected(MakeFrame(FrameType::RoomJoin, PayloadBuilder()), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::RoomPart, PayloadBuilder().Str("dev")), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::RoomTopic, PayloadBuilder().Str("dev")), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::RoomState, PayloadBuilder().Str("dev").Str("").U32(0).U32(0)),
                      DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::RoomList, PayloadBuilder().U16(0)), DecodeError::Truncated);
    }
}
// [SECTION] Malformed frames

TEST_SUITE("protocol")
{
    TEST_CASE("DecodeFrame reports Truncated for an empty buffer and for a 4-byte buffer")
    {
        Message out;
        CHECK(DecodeFrame({}, out) == DecodeError::Truncated);
        const Buffer four = {0x00, 0x00, 0x00, 0x08};
        CHECK(DecodeFrame(four, out) == DecodeError::Truncated);
        FrameHeader header;
        CHECK(ParseHeader(four, header) == DecodeError::Truncated);
    }

    TEST_CASE("DecodeFrame reports Truncated when the buffer is shorter than the header announces")
    {
        Buffer frame = Encode(Ping{5});
        frame.pop_back();
        Message out;
        CHECK(DecodeFrame(frame, out) == DecodeError::Truncated);
    }

    TEST_CASE("DecodeFrame reports TrailingBytes when the buffer is longer than the header announces")
    {
        Buffer frame = Encode(Ping{5});
        frame.push_back(0x00);
        Message out;
        CHECK(DecodeFrame(frame, out) == DecodeError::TrailingBytes);
    }

    TEST_CASE("a field running past the end of the payload is Truncated")
    {
        // string length 10 with 3 bytes left: well under 1 MiB, so Truncated, not BadLength
        CheckRejected(MakeFrame(FrameType::Hello, PayloadBuilder().U16(1).U32(10).Raw("ana")),
                      DecodeError::Truncated);
        // the second string is missing entirely
        CheckRejected(MakeFrame(FrameType::Hello, PayloadBuilder().U16(1).Str("ana")), DecodeError::Truncated);
        // text length 1000 with 5 bytes left
        CheckRejected(MakeFrame(FrameType::Say, PayloadBuilder().U64(1).Str("").U32(1000).Raw("hello")),
                      DecodeError::Truncated);
        // a string length cut in half
        CheckRejected(MakeFrame(FrameType::Bye, PayloadBuilder().U8(0).U16(0)), DecodeError::Truncated);
        // integers cut short
        CheckRejected(MakeFrame(FrameType::Ping, PayloadBuilder().U32(1).U16(2).U8(3)), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Pong, PayloadBuilder()), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Ack, PayloadBuilder().U64(1).U64(2)), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Chat, PayloadBuilder().U64(1).I64(2)), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Refuse, PayloadBuilder()), DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::Error, PayloadBuilder().U8(1).U32(0)), DecodeError::Truncated);
        // a Welcome whose second user is cut short
        CheckRejected(MakeFrame(FrameType::Welcome, PayloadBuilder()
                                                        .U16(1)
                                                        .Str("ana")
                                                        .Str("srv")
                                                        .I64(0)
                                                        .U32(15)
                                                        .U32(16384)
                                                        .U32(2)
                                                        .Str("ana")
                                                        .U32(5)
                                                        .Raw("bob")),
                      DecodeError::Truncated);
    }

    TEST_CASE("a header announcing more than MaxFramePayload is Oversize")
    {
        Message out;
        FrameHeader header;
        CHECK(ParseHeader(Header(MaxFramePayload + 1, 0x10), header) == DecodeError::Oversize);
        CHECK(header.payloadLength == MaxFramePayload + 1);
        CHECK(ParseHeader(Header(0xFFFFFFFFu, 0x10), header) == DecodeError::Oversize);
        CHECK(ParseHeader(Header(MaxFramePayload, 0x10), header) == DecodeError::None);
        CHECK(DecodeFrame(Header(MaxFramePayload + 1, 0x10), out) == DecodeError::Oversize);

        // one byte over the limit, built by the encoder itself
        const Say tooBig{1, Target::Room(""), std::string(MaxFramePayload - 8 - 1 - 4 - 4 + 1, 'x')};
        CHECK(DecodeFrame(Encode(tooBig), out) == DecodeError::Oversize);
    }

    TEST_CASE("a FrameReader reports Oversize as soon as the 5-byte header arrives")
    {
        const Buffer header = Header(MaxFramePayload + 1, static_cast<std::uint8_t>(FrameType::Say));
        FrameReader reader;
        Message out;

        reader.Feed(std::span<const std::uint8_t>(header.data(), 4));
        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::None);

        reader.Feed(std::span<const std::uint8_t>(header.data() + 4, 1));
        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::Oversize);
    }

    TEST_CASE("a FrameReader waits for the body of a frame of exactly MaxFramePayload bytes")
    {
        FrameReader reader;
        reader.Feed(Header(MaxFramePayload, static_cast<std::uint8_t>(FrameType::Say)));
        Message out;
        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::None);
    }

    TEST_CASE("an unknown frame type is rejected with UnknownType")
    {
        CheckRejected(MakeFrame(0x7F, PayloadBuilder().U64(1).Bytes()), DecodeError::UnknownType);
        CheckRejected(MakeFrame(0x00, {}), DecodeError::UnknownType);
        CheckRejected(MakeFrame(0xFF, {0x01, 0x02}), DecodeError::UnknownType);
        CheckRejected(MakeFrame(0x09, {}), DecodeError::UnknownType);
        CheckRejected(MakeFrame(0x1F, {}), DecodeError::UnknownType);
        CheckRejected(MakeFrame(0x23, {}), DecodeError::UnknownType);
        CheckRejected(MakeFrame(0x07, {}), DecodeError::UnknownType);
        CheckRejected(MakeFrame(0x39, {}), DecodeError::UnknownType);
        CheckRejected(MakeFrame(0x3F, {}), DecodeError::UnknownType);
        CheckRejected(MakeFrame(0x46, {}), DecodeError::UnknownType);
    }

    TEST_CASE("invalid UTF-8 in a nickname is rejected with InvalidUtf8")
    {
        CheckRejected(HelloWithNick("\xC0\xAF"), DecodeError::InvalidUtf8);         // overlong '/'
        CheckRejected(HelloWithNick("\xE0\x80\xAF"), DecodeError::InvalidUtf8);     // overlong, 3 bytes
        CheckRejected(HelloWithNick("a\x80" "b"), DecodeError::InvalidUtf8);        // lone continuation byte
        CheckRejected(HelloWithNick("\xED\xA0\x80"), DecodeError::InvalidUtf8);     // surrogate U+D800
        CheckRejected(HelloWithNick("ana\xE2\x82"), DecodeError::InvalidUtf8);      // truncated multibyte
        CheckRejected(HelloWithNick("\xF4\x90\x80\x80"), DecodeError::InvalidUtf8); // above U+10FFFF
        CheckRejected(HelloWithNick("\xFF"), DecodeError::InvalidUtf8);
    }

    TEST_CASE("invalid UTF-8 in a message text is rejected with InvalidUtf8")
    {
        CheckRejected(SayWithText("\xC1\xBF"), DecodeError::InvalidUtf8);             // overlong
        CheckRejected(SayWithText("\xF0\x80\x80\x80"), DecodeError::InvalidUtf8);     // overlong, 4 bytes
        CheckRejected(SayWithText("hi \xBF there"), DecodeError::InvalidUtf8);         // lone continuation byte
        CheckRejected(SayWithText("x\xED\xA0\x80y"), DecodeError::InvalidUtf8);        // surrogate U+D800
        CheckRejected(SayWithText("emoji \xF0\x9F\x8E"), DecodeError::InvalidUtf8);    // truncated multibyte
        CheckRejected(SayWithText("\xE2\x82" "a"), DecodeError::InvalidUtf8);          // multibyte cut by ASCII

        // the same rule for every other string field
        CheckRejected(MakeFrame(FrameType::Chat,
                                PayloadBuilder().U64(1).I64(2).U8(0).Str("ana").Room("everyone").Str("ok\xC3")),
                      DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::Chat, PayloadBuilder().U64(1).I64(2).U8(1).Str("ana").Person("\x80").Str("ok")),
                      DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::Bye, PayloadBuilder().U8(0).Str("\xED\xBF\xBF")),
                      DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::Refuse, PayloadBuilder().U8(1).Str("\xC0\x80")),
                      DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::Error, PayloadBuilder().U8(1).U64(0).Str("\xE0\x9F\xBF")),
                      DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::Welcome, PayloadBuilder()
                                                        .U16(1)
                                                        .Str("ana")
                                                        .Str("srv")
                                                        .I64(0)
                                                        .U32(15)
                                                        .U32(16384)
                                                        .U32(2)
                                                        .Str("ana")
                                                        .Str("b\xF8o")),
                      DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::Hello, PayloadBuilder().U16(1).Str("ana").Str("obrol\xC2")),
                      DecodeError::InvalidUtf8);
    }

    TEST_CASE("a string longer than its field's limit is rejected with BadLength")
    {
        CheckRejected(HelloWithNick(std::string(200, 'a')), DecodeError::BadLength);
        CheckRejected(HelloWithNick(std::string(MaxNickBytes + 1, 'a')), DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::Say, PayloadBuilder().U64(1).Person(std::string(MaxNickBytes + 1, 'b')).Str("hi")),
                      DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::Hello, PayloadBuilder().U16(1).Str("ana").Str(std::string(257, 's'))),
                      DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::Bye, PayloadBuilder().U8(0).Str(std::string(4097, 't'))),
                      DecodeError::BadLength);

        // exactly at the limit is fine
        Message out;
        CHECK(DecodeFrame(HelloWithNick(std::string(MaxNickBytes, 'a')), out) == DecodeError::None);
    }

    TEST_CASE("a string length above 1 MiB is rejected with BadLength even when the bytes are missing")
    {
        CheckRejected(MakeFrame(FrameType::Say, PayloadBuilder().U64(1).Room("").U32(0xFFFFFFFFu).Raw("abc")),
                      DecodeError::BadLength);
        CheckRejected(MakeFrame(FrameType::Hello, PayloadBuilder().U16(1).U32(MaxFramePayload + 1)),
                      DecodeError::BadLength);
    }

    TEST_CASE("a Welcome with an impossibly large user count is rejected with BadLength")
    {
        const auto welcomeWithCount = [](std::uint32_t count) {
            return MakeFrame(FrameType::Welcome,
                             PayloadBuilder().U16(1).Str("ana").Str("srv").I64(0).U32(15).U32(16384).U32(count).Str(
                                 "ana"));
        };
        CheckRejected(welcomeWithCount(0xFFFFFFFFu), DecodeError::BadLength);
        CheckRejected(welcomeWithCount(1'000'000), DecodeError::BadLength);
        // two entries need at least 8 bytes, only 7 remain
        CheckRejected(welcomeWithCount(2), DecodeError::BadLength);
    }

    TEST_CASE("bytes after the last field that do not form extension entries are rejected with TrailingBytes")
    {
        CheckRejected(MakeFrame(FrameType::Ping, PayloadBuilder().U64(1).U8(0)), DecodeError::TrailingBytes);
        CheckRejected(MakeFrame(FrameType::Pong, PayloadBuilder().U64(1).U64(2)), DecodeError::TrailingBytes);
        CheckRejected(MakeFrame(FrameType::Hello, PayloadBuilder().U16(1).Str("ana").Str("obrol").Raw("x")),
                      DecodeError::TrailingBytes);
        CheckRejected(MakeFrame(FrameType::Bye, PayloadBuilder().U8(0).Str("").U32(0)), DecodeError::TrailingBytes);
        CheckRejected(MakeFrame(FrameType::Ack, PayloadBuilder().U64(1).U64(2).I64(3).U8(4)),
                      DecodeError::TrailingBytes);
        CheckRejected(MakeFrame(FrameType::Welcome, PayloadBuilder()
                                                        .U16(1)
                                                        .Str("ana")
                                                        .Str("srv")
                                                        .I64(0)
                                                        .U32(15)
                                                        .U32(16384)
                                                        .U32(1)
                                                        .Str("ana")
                                                        .U64(0)
                                                        .U32(0)
                                                        .Str("bo")),
                      DecodeError::TrailingBytes);
        CheckRejected(MakeFrame(FrameType::FileAccept, PayloadBuilder().U64(1).U64(2).U8(0).U8(0)), DecodeError::TrailingBytes);
        CheckRejected(MakeFrame(FrameType::FileAccept, PayloadBuilder().U64(1).U64(2).U8(2)), DecodeError::BadValue);
    }

    TEST_CASE("file frames reject oversize chunks, bad directions and files on non-messages")
    {
        // a chunk one byte over FileChunkBytes
        CheckRejected(MakeFrame(FrameType::FileChunk, PayloadBuilder().U64(1).U64(0).Str(std::string(FileChunkBytes + 1, 'x'))),
                      DecodeError::BadLength);
        // a chunk that claims more bytes than the frame holds
        CheckRejected(MakeFrame(FrameType::FileChunk, PayloadBuilder().U64(1).U64(0).U32(10).Raw("abc")),
                      DecodeError::Truncated);
        CheckRejected(MakeFrame(FrameType::FileProgress, PayloadBuilder().U64(1).U8(2).U64(0)), DecodeError::BadValue);
        CheckRejected(MakeFrame(FrameType::FileAbort, PayloadBuilder().U64(1).U8(0).U8(0).Str("")), DecodeError::BadValue);
        CheckRejected(MakeFrame(FrameType::FileAbort, PayloadBuilder().U64(1).U8(0).U8(8).Str("")), DecodeError::BadValue);
        // a file name that is not UTF-8, or longer than MaxFileNameBytes
        CheckRejected(MakeFrame(FrameType::FileOffer, PayloadBuilder().U64(1).Room("everyone").Str("\xFF.txt").U64(1)),
                      DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::FileOffer, PayloadBuilder().U64(1).Room("everyone").Str(std::string(MaxFileNameBytes + 1, 'a')).U64(1)),
                      DecodeError::BadLength);
        // the SHA-256 of FileEnd is exactly 32 bytes
        CheckRejected(MakeFrame(FrameType::FileEnd, PayloadBuilder().U64(1).Raw(std::string(31, 'h'))), DecodeError::Truncated);
        // only Public and Private messages carry a file: a Join with a file block is refused
        const auto chatWithFile = [](std::uint8_t kind) {
            return MakeFrame(FrameType::Chat, PayloadBuilder()
                                                  .U64(1)
                                                  .I64(2)
                                                  .U8(kind)
                                                  .Str("ana")
                                                  .U8(kind == 1 ? 1 : 0)
                                                  .Str(kind == 1 ? "bo" : "everyone")
                                                  .Str("a.txt")
                                                  .U8(1)
                                                  .U64(3)
                                                  .Str("text/plain")
                                                  .Raw(std::string(32, 's'))
                                                  .U16(0)
                                                  .U16(0)
                                                  .U32(0)
                                                  .U32(0));
        };
        Message out;
        CHECK(DecodeFrame(chatWithFile(0), out) == DecodeError::None);
        REQUIRE(std::get<Chat>(out).file);
        CHECK(std::get<Chat>(out).file->size == 3);
        CHECK(DecodeFrame(chatWithFile(1), out) == DecodeError::None);
        CheckRejected(chatWithFile(3), DecodeError::BadValue);
        CheckRejected(chatWithFile(2), DecodeError::BadValue);
    }

    TEST_CASE("history and search frames reject impossible counts, bad flags and bad reasons")
    {
        // count says 3 chats but only one byte follows
        CheckRejected(MakeFrame(FrameType::History, PayloadBuilder().U8(0).Room("everyone").U8(0).U64(0).U32(3).U8(0)),
                      DecodeError::BadLength);
        // more than MaxHistoryChats, whatever follows
        CheckRejected(MakeFrame(FrameType::SearchResults, PayloadBuilder().U64(1).U32(MaxHistoryChats + 1)),
                      DecodeError::BadLength);
        // a boolean field holding 2
        CheckRejected(MakeFrame(FrameType::History, PayloadBuilder().U8(0).Room("everyone").U8(2).U64(0).U32(0)),
                      DecodeError::BadValue);
        CheckRejected(MakeFrame(FrameType::HistoryRequest, PayloadBuilder().Room("everyone").U64(0).U32(10).U8(7)),
                      DecodeError::BadValue);
        // an unknown history reason
        CheckRejected(MakeFrame(FrameType::History, PayloadBuilder().U8(4).Room("everyone").U8(0).U64(0).U32(0)),
                      DecodeError::BadValue);
        // a resent Say is a Say with its resend flag set
        Message m;
        REQUIRE(DecodeFrame(Encode(Say{5, Target::Everyone(), "again", true}), m) == DecodeError::None);
        CHECK(std::get<Say>(m).resend);
        CHECK(Encode(Say{5, Target::Everyone(), "again", true})[4] == static_cast<std::uint8_t>(FrameType::SayAgain));
    }

    TEST_CASE("an unknown enum value is rejected with BadValue")
    {
        const auto chatWithKind = [](std::uint8_t kind) {
            return MakeFrame(FrameType::Chat, PayloadBuilder().U64(1).I64(2).U8(kind).Str("ana").Room("everyone").Str("hi").U8(0));
        };
        CheckRejected(chatWithKind(8), DecodeError::BadValue);
        CheckRejected(chatWithKind(0xFF), DecodeError::BadValue);

        const auto byeWithReason = [](std::uint8_t reason) {
            return MakeFrame(FrameType::Bye, PayloadBuilder().U8(reason).Str("bye"));
        };
        CheckRejected(byeWithReason(6), DecodeError::BadValue);
        CheckRejected(byeWithReason(0x80), DecodeError::BadValue);

        const auto refuseWithCode = [](std::uint8_t code) {
            return MakeFrame(FrameType::Refuse, PayloadBuilder().U8(code).Str("no"));
        };
        CheckRejected(refuseWithCode(0), DecodeError::BadValue);
        CheckRejected(refuseWithCode(8), DecodeError::BadValue);

        const auto errorWithCode = [](std::uint8_t code) {
            return MakeFrame(FrameType::Error, PayloadBuilder().U8(code).U64(0).Str("oops"));
        };
        CheckRejected(errorWithCode(0), DecodeError::BadValue);
        CheckRejected(errorWithCode(12), DecodeError::BadValue);

        // the extremes of each range are accepted
        Message out;
        CHECK(DecodeFrame(chatWithKind(0), out) == DecodeError::None);
        CHECK(DecodeFrame(chatWithKind(7), out) == DecodeError::None);
        CHECK(DecodeFrame(byeWithReason(0), out) == DecodeError::None);
        CHECK(DecodeFrame(byeWithReason(5), out) == DecodeError::None);
        CHECK(DecodeFrame(refuseWithCode(1), out) == DecodeError::None);
        CHECK(DecodeFrame(refuseWithCode(7), out) == DecodeError::None);
        CHECK(DecodeFrame(errorWithCode(1), out) == DecodeError::None);
        CHECK(DecodeFrame(errorWithCode(11), out) == DecodeError::None);
    }

    TEST_CASE("the new enum values have names and the enums end where the decoder says")
    {
        CHECK(std::string(ChatKindName(ChatKind::RoomJoin)) == "room-join");
        CHECK(std::string(ChatKindName(ChatKind::RoomLeave)) == "room-leave");
        CHECK(std::string(ChatKindName(ChatKind::Topic)) == "topic");
        CHECK(static_cast<int>(ChatKind::Topic) == 7);
        CHECK(static_cast<int>(RefuseCode::NickOwned) == 6);
        CHECK(static_cast<int>(RefuseCode::BadProof) == 7);
        CHECK(static_cast<int>(ErrorCode::UnknownRoom) == 8);
        CHECK(static_cast<int>(ErrorCode::InvalidName) == 9);
        CHECK(static_cast<int>(ErrorCode::NotAMember) == 10);
        CHECK(static_cast<int>(ErrorCode::NotAllowed) == 11);
        CHECK(static_cast<int>(TargetKind::Person) == 1);
    }

    TEST_CASE("a failed DecodeFrame leaves the output message untouched")
    {
        Message out = Ping{99};
        CHECK(DecodeFrame(SayWithText("\xC0\xAF"), out) == DecodeError::InvalidUtf8);
        REQUIRE(std::holds_alternative<Ping>(out));
        CHECK(std::get<Ping>(out).token == 99);
    }

    TEST_CASE("after an error a FrameReader keeps returning false and keeps its error")
    {
        const Buffer good1 = Encode(Ping{1});
        const Buffer bad = MakeFrame(0x7F, {});
        const Buffer good2 = Encode(Ping{2});

        FrameReader reader;
        reader.Feed(Concat({good1, bad, good2}));
        Message out;
        REQUIRE(reader.Next(out));
        CHECK(std::get<Ping>(out).token == 1);

        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::UnknownType);
        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::UnknownType);

        // more valid bytes do not revive the stream
        reader.Feed(Encode(Pong{3}));
        for (int i = 0; i < 3; ++i)
        {
            CHECK_FALSE(reader.Next(out));
            CHECK(reader.Error() == DecodeError::UnknownType);
        }
    }

    TEST_CASE("after Oversize a FrameReader ignores whatever follows")
    {
        FrameReader reader;
        reader.Feed(Header(0xFFFFFFFFu, static_cast<std::uint8_t>(FrameType::Ping)));
        Message out;
        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::Oversize);
        reader.Feed(Encode(Ping{1}));
        CHECK_FALSE(reader.Next(out));
        CHECK(reader.Error() == DecodeError::Oversize);
    }

    TEST_CASE("every DecodeError has a name")
    {
        for (const DecodeError e : {DecodeError::None, DecodeError::Truncated, DecodeError::Oversize,
                                    DecodeError::UnknownType, DecodeError::InvalidUtf8, DecodeError::BadLength,
                                    DecodeError::TrailingBytes, DecodeError::BadValue})
        {
            CAPTURE(static_cast<int>(e));
            CHECK(std::string(DecodeErrorName(e)) != "unknown error");
        }
    }
}

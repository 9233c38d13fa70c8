// Unit tests for the wire codec (net/protocol): round trips, streaming, and every class of
// malformed frame. Malformed frames are assembled byte by byte here, never with Encode().
#include "net/protocol.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <span>
#include <fstream>
#include <regex>
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

    PayloadBuilder& Raw(std::string_view s)
    {
        m_bytes.insert(m_bytes.end(), s.begin(), s.end());
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

Buffer Concat(const std::vector<Buffer>& parts)
{
    Buffer out;
    for (const auto& part : parts)
        out.insert(out.end(), part.begin(), part.end());
    return out;
}

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

std::string DescribeChat(const Chat& c)
{
    std::ostringstream out;
    out << "Chat{" << c.id << ' ' << c.timeMs << ' ' << Int(c.kind) << ' ' << Quote(c.from) << ' ' << Quote(c.to) << ' '
        << Quote(c.text);
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
                out << "Hello{" << m.version << ' ' << Quote(m.nick) << ' ' << Quote(m.software) << '}';
            else if constexpr (std::is_same_v<T, Welcome>)
            {
                out << "Welcome{" << m.version << ' ' << Quote(m.nick) << ' ' << Quote(m.serverName) << ' '
                    << m.serverTimeMs << ' ' << m.heartbeatSeconds << ' ' << m.maxTextBytes << " users=[";
                for (const auto& u : m.users)
                    out << Quote(u) << ',';
                out << "] maxFile=" << m.maxFileBytes << '}';
            }
            else if constexpr (std::is_same_v<T, Refuse>)
                out << "Refuse{" << Int(m.code) << ' ' << Quote(m.reason) << '}';
            else if constexpr (std::is_same_v<T, Say>)
                out << "Say{" << m.clientMsgId << ' ' << Quote(m.to) << ' ' << Quote(m.text) << (m.resend ? " resend" : "") << '}';
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
                    out << "History{" << Int(m.reason) << ' ' << Quote(m.conversation) << ' ' << m.more << ' ' << m.unreadAfter;
                else
                    out << "SearchResults{" << m.token;
                for (const auto& c : m.chats)
                    out << ' ' << DescribeChat(c);
                out << '}';
            }
            else if constexpr (std::is_same_v<T, HistoryRequest>)
                out << "HistoryRequest{" << Quote(m.conversation) << ' ' << m.beforeId << ' ' << m.limit << ' ' << m.around << '}';
            else if constexpr (std::is_same_v<T, SearchRequest>)
                out << "SearchRequest{" << m.token << ' ' << Quote(m.query) << ' ' << m.limit << '}';
            else if constexpr (std::is_same_v<T, FileOffer>)
                out << "FileOffer{" << m.id << ' ' << Quote(m.to) << ' ' << Quote(m.name) << ' ' << m.size << '}';
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

std::string MaxLengthText()
{
    // MaxTextBytes bytes of mixed 1-, 2-, 3- and 4-byte characters plus a newline and a tab.
    std::string text;
    const std::string pieces[] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x8E\x89", "\n", "\t"};
    for (std::size_t k = 0; text.size() < MaxTextBytes; ++k)
    {
        const std::string& piece = pieces[k % std::size(pieces)];
        if (text.size() + piece.size() > MaxTextBytes)
            text += std::string(MaxTextBytes - text.size(), 'z');
        else
            text += piece;
    }
    return text;
}

std::vector<Message> SampleMessages()
{
    const std::string nick32(32, 'n');
    const std::string emojiNick = [] {
        std::string s;
        for (int i = 0; i < 32; ++i)
            s += "\xF0\x9F\x90\xB1"; // U+1F431: 32 code points, MaxNickBytes bytes
        return s;
    }();

    std::vector<Message> messages;
    messages.push_back(Hello{ProtocolVersion, "ana", "obrol 0.1.0"});
    messages.push_back(Hello{0xFFFF, "", ""});
    messages.push_back(Hello{7, emojiNick, "caf\xC3\xA9 client \xE6\x97\xA5\xE6\x9C\xAC"});
    messages.push_back(Welcome{ProtocolVersion, "ana", "Obrol test server", 1'700'000'000'123, 15, MaxTextBytes,
                               {"ana", "bo", "Z\xC3\xBC" "rich", emojiNick, nick32}});
    messages.push_back(Welcome{0, "", "", MinI64, 0, 0, {}});
    messages.push_back(Welcome{2, "x", "\xE2\x9C\x93", MaxI64, 0xFFFFFFFFu, 0xFFFFFFFFu, {""}});
    messages.push_back(Refuse{RefuseCode::NickTaken, "nickname \"ana\" is taken"});
    messages.push_back(Refuse{RefuseCode::NickInvalid, ""});
    messages.push_back(Refuse{RefuseCode::VersionMismatch, "need version 1"});
    messages.push_back(Refuse{RefuseCode::ServerFull, "full"});
    messages.push_back(Refuse{RefuseCode::BadHello, "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"});
    messages.push_back(Say{1, "", "hello everyone"});
    messages.push_back(Say{MaxU64, "bo", "psst \xF0\x9F\xA4\xAB\nsecond line\twith tab"});
    messages.push_back(Say{0, "", ""});
    messages.push_back(Say{42, emojiNick, MaxLengthText()});
    messages.push_back(Chat{1, 1'700'000'000'000, ChatKind::Public, "ana", "", "hi"});
    messages.push_back(Chat{MaxU64, -1, ChatKind::Private, "ana", "bo", "\xE2\x82\xAC" "5 for lunch?"});
    messages.push_back(Chat{3, MinI64, ChatKind::Announce, "", "", "server restarts at noon"});
    messages.push_back(Chat{4, MaxI64, ChatKind::Join, "Z\xC3\xBC" "rich", "", ""});
    messages.push_back(Chat{5, 0, ChatKind::Leave, "bo", "", "timed out"});
    messages.push_back(Chat{6, 7, ChatKind::Public, emojiNick, "", MaxLengthText()});
    messages.push_back(Ack{1, 2, 3});
    messages.push_back(Ack{MaxU64, 0, MinI64});
    messages.push_back(Error{ErrorCode::UnknownUser, 17, "no user named \"zed\""});
    messages.push_back(Error{ErrorCode::TextTooLong, MaxU64, ""});
    messages.push_back(Error{ErrorCode::EmptyText, 0, "empty"});
    messages.push_back(Error{ErrorCode::NotJoined, 0, "say hello first"});
    messages.push_back(Error{ErrorCode::BadFrame, 0, "bad frame"});
    messages.push_back(Error{ErrorCode::FrameTooLarge, 0, "\xE2\x80\xA6"});
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
    messages.push_back(Error{ErrorCode::StorageFailed, 9, "the disk is full"});
    messages.push_back(Say{43, "bo", "sent again after a reconnect", true});
    messages.push_back(Resume{0, 0});
    messages.push_back(Resume{MaxU64, 123456789});
    messages.push_back(History{HistoryReason::Join, "", true, 17,
                               {Chat{1, 5, ChatKind::Join, "ana", "", ""}, Chat{2, 6, ChatKind::Private, "ana", "bo", "hi"}}});
    messages.push_back(History{HistoryReason::Page, emojiNick, false, 0, {}});
    messages.push_back(History{HistoryReason::Around, "bo", false, MaxU64, {Chat{MaxU64, MinI64, ChatKind::Announce, "", "", MaxLengthText()}}});
    messages.push_back(HistoryRequest{"", 0, 100, false});
    messages.push_back(HistoryRequest{"bo", MaxU64, 0xFFFFFFFFu, true});
    messages.push_back(SearchRequest{7, "lunch friday", 50});
    messages.push_back(SearchRequest{0, "", 0});
    messages.push_back(SearchResults{7, {Chat{9, 10, ChatKind::Public, "ana", "", "lunch on friday?"}}});
    messages.push_back(SearchResults{MaxU64, {}});
    const std::array<std::uint8_t, 32> sha = [] {
        std::array<std::uint8_t, 32> a{};
        for (std::size_t i = 0; i < a.size(); ++i)
            a[i] = static_cast<std::uint8_t>(0xA0 + i);
        return a;
    }();
    Chat file{11, 12, ChatKind::Public, "ana", "", "holiday photo.jpg"};
    file.file = FileInfo{2'100'000, "image/jpeg", sha, 480, 360, 4032, 3024};
    messages.push_back(file);
    Chat privateFile{MaxU64, MinI64, ChatKind::Private, "ana", "bo", "notes \xE2\x9C\x93.txt"};
    privateFile.file = FileInfo{0, "", {}, 0, 0, 0, 0};
    messages.push_back(privateFile);
    messages.push_back(History{HistoryReason::Join, "", false, 0, {file, privateFile}});
    Welcome noFiles{ProtocolVersion, "ana", "srv", 0, 15, MaxTextBytes, {"ana"}};
    noFiles.maxFileBytes = 0;
    messages.push_back(noFiles);
    messages.push_back(FileOffer{1, "", "report.pdf", 123456});
    messages.push_back(FileOffer{MaxU64, emojiNick, std::string(MaxFileNameBytes, 'f'), MaxU64});
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
    return messages;
}

FrameType ExpectedType(const Message& message)
{
    constexpr FrameType types[] = {FrameType::Hello, FrameType::Welcome, FrameType::Refuse, FrameType::Say,
                                   FrameType::Chat,  FrameType::Ack,     FrameType::Error,  FrameType::Ping,
                                   FrameType::Pong,  FrameType::Bye,     FrameType::Resume, FrameType::History,
                                   FrameType::HistoryRequest, FrameType::SearchRequest, FrameType::SearchResults,
                                   FrameType::FileOffer, FrameType::FileAccept, FrameType::FileChunk,
                                   FrameType::FileProgress, FrameType::FileEnd, FrameType::FileAbort,
                                   FrameType::FileGet, FrameType::ThumbGet, FrameType::Thumb};
    static_assert(std::size(types) == std::variant_size_v<Message>);
    if (const auto* say = std::get_if<Say>(&message); say && say->resend)
        return FrameType::SayAgain;
    return types[message.index()];
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

// A Hello payload whose nick is `nick` (raw bytes, not checked here).
Buffer HelloWithNick(std::string_view nick)
{
    return MakeFrame(FrameType::Hello, PayloadBuilder().U16(1).Str(nick).Str("obrol"));
}

Buffer SayWithText(std::string_view text)
{
    return MakeFrame(FrameType::Say, PayloadBuilder().U64(9).Str("").Str(text));
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
            CAPTURE(original.index());
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
        }
    }

    TEST_CASE("every message survives Encode then a FrameReader unchanged")
    {
        for (const auto& original : SampleMessages())
        {
            CAPTURE(original.index());
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
        const Message m = Chat{10, 20, ChatKind::Public, "ana", "", "shared by all recipients"};
        const FrameBytes shared = EncodeShared(m);
        REQUIRE(shared != nullptr);
        CHECK(*shared == Encode(m));
    }

    TEST_CASE("a Hello for ana encodes to the bytes documented in PROTOCOL.md")
    {
        const Buffer expected = {0x00, 0x00, 0x00, 0x18, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
                                 0x03, 0x61, 0x6E, 0x61, 0x00, 0x00, 0x00, 0x0B, 0x6F, 0x62,
                                 0x72, 0x6F, 0x6C, 0x20, 0x30, 0x2E, 0x31, 0x2E, 0x30};
        CHECK(Encode(Hello{1, "ana", "obrol 0.1.0"}) == expected);
    }

    TEST_CASE("every hex frame written out in PROTOCOL.md decodes and encodes back to the same bytes")
    {
        std::ifstream doc(std::string(OBROL_SOURCE_DIR) + "/docs/PROTOCOL.md");
        REQUIRE(doc);
        const std::regex hexRun("`((?:[0-9A-Fa-f]{2} ){4,}[0-9A-Fa-f]{2})`");
        std::string line;
        std::size_t frames = 0;
        for (int number = 1; std::getline(doc, line); ++number)
            for (std::sregex_iterator it(line.begin(), line.end(), hexRun), end; it != end; ++it)
            {
                Buffer bytes;
                std::istringstream hex((*it)[1].str());
                for (std::string pair; hex >> pair;)
                    bytes.push_back(static_cast<std::uint8_t>(std::stoul(pair, nullptr, 16)));
                FrameHeader header;
                if (ParseHeader(bytes, header) != DecodeError::None || header.payloadLength + HeaderBytes != bytes.size())
                    continue; // a fragment (a header or a field on its own), not a whole frame
                CAPTURE(number);
                Message decoded;
                REQUIRE(DecodeFrame(bytes, decoded) == DecodeError::None);
                CHECK(Encode(decoded) == bytes);
                ++frames;
            }
        CHECK(frames >= 20); // the examples are there to be checked
    }

    TEST_CASE("the other worked examples in PROTOCOL.md match the encoder")
    {
        const Buffer say = {0x00, 0x00, 0x00, 0x12, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x68, 0x69};
        CHECK(Encode(Say{7, "", "hi"}) == say);
        const Buffer pong = {0x00, 0x00, 0x00, 0x08, 0x21, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
        CHECK(Encode(Pong{0x0102030405060708ull}) == pong);
    }

    TEST_CASE("hand-assembled frames in the documented field order decode to the expected messages")
    {
        struct Case
        {
            Buffer frame;
            Message expected;
        };
        const std::vector<Case> cases = {
            {MakeFrame(FrameType::Hello, PayloadBuilder().U16(1).Str("ana").Str("obrol 0.1.0")),
             Hello{1, "ana", "obrol 0.1.0"}},
            {MakeFrame(FrameType::Welcome, PayloadBuilder()
                                               .U16(1)
                                               .Str("ana")
                                               .Str("srv")
                                               .I64(-5)
                                               .U32(15)
                                               .U32(16384)
                                               .U32(2)
                                               .Str("ana")
                                               .Str("bo")
                                               .U64(1u << 30)),
             Welcome{1, "ana", "srv", -5, 15, 16384, {"ana", "bo"}}},
            {MakeFrame(FrameType::Refuse, PayloadBuilder().U8(1).Str("taken")), Refuse{RefuseCode::NickTaken, "taken"}},
            {MakeFrame(FrameType::Say, PayloadBuilder().U64(77).Str("bo").Str("hi")), Say{77, "bo", "hi"}},
            {MakeFrame(FrameType::Chat, PayloadBuilder().U64(5).I64(1234).U8(1).Str("ana").Str("bo").Str("hi").U8(0)),
             Chat{5, 1234, ChatKind::Private, "ana", "bo", "hi"}},
            {MakeFrame(FrameType::Ack, PayloadBuilder().U64(77).U64(5).I64(1234)), Ack{77, 5, 1234}},
            {MakeFrame(FrameType::Error, PayloadBuilder().U8(1).U64(77).Str("no such user")),
             Error{ErrorCode::UnknownUser, 77, "no such user"}},
            {MakeFrame(FrameType::Ping, PayloadBuilder().U64(0xA1B2C3D4E5F60718ull)), Ping{0xA1B2C3D4E5F60718ull}},
            {MakeFrame(FrameType::Pong, PayloadBuilder().U64(3)), Pong{3}},
            {MakeFrame(FrameType::Bye, PayloadBuilder().U8(3).Str("silent")), Bye{ByeReason::Timeout, "silent"}},
        };
        for (const auto& c : cases)
        {
            CAPTURE(c.expected.index());
            Message decoded;
            REQUIRE(DecodeFrame(c.frame, decoded) == DecodeError::None);
            CHECK(Describe(decoded) == Describe(c.expected));
            CHECK(Encode(c.expected) == c.frame);
        }
    }

    TEST_CASE("a frame whose payload is exactly MaxFramePayload bytes is accepted")
    {
        // Say payload: u64 id + (u32 + 0 bytes) + (u32 + text)
        const std::size_t textBytes = MaxFramePayload - 8 - 4 - 4;
        const Say say{1, "", std::string(textBytes, 'x')};
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
        const std::vector<Message> messages = {Ping{1}, Say{2, "", "two"}, Pong{3}, Bye{ByeReason::Quit, "bye"}};
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
        const Buffer frame = Encode(Say{1, "", "hello"});
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
        const Say tooBig{1, "", std::string(MaxFramePayload - 8 - 4 - 4 + 1, 'x')};
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
                                PayloadBuilder().U64(1).I64(2).U8(0).Str("ana").Str("").Str("ok\xC3")),
                      DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::Chat, PayloadBuilder().U64(1).I64(2).U8(1).Str("ana").Str("\x80").Str("ok")),
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
        CheckRejected(MakeFrame(FrameType::Say, PayloadBuilder().U64(1).Str(std::string(MaxNickBytes + 1, 'b')).Str("hi")),
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
        CheckRejected(MakeFrame(FrameType::Say, PayloadBuilder().U64(1).Str("").U32(0xFFFFFFFFu).Raw("abc")),
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

    TEST_CASE("bytes after the last field are rejected with TrailingBytes")
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
        CheckRejected(MakeFrame(FrameType::FileOffer, PayloadBuilder().U64(1).Str("").Str("\xFF.txt").U64(1)),
                      DecodeError::InvalidUtf8);
        CheckRejected(MakeFrame(FrameType::FileOffer, PayloadBuilder().U64(1).Str("").Str(std::string(MaxFileNameBytes + 1, 'a')).U64(1)),
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
                                                  .Str("")
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
        CheckRejected(MakeFrame(FrameType::History, PayloadBuilder().U8(0).Str("").U8(0).U64(0).U32(3).U8(0)),
                      DecodeError::BadLength);
        // more than MaxHistoryChats, whatever follows
        CheckRejected(MakeFrame(FrameType::SearchResults, PayloadBuilder().U64(1).U32(MaxHistoryChats + 1)),
                      DecodeError::BadLength);
        // a boolean field holding 2
        CheckRejected(MakeFrame(FrameType::History, PayloadBuilder().U8(0).Str("").U8(2).U64(0).U32(0)),
                      DecodeError::BadValue);
        CheckRejected(MakeFrame(FrameType::HistoryRequest, PayloadBuilder().Str("").U64(0).U32(10).U8(7)),
                      DecodeError::BadValue);
        // an unknown history reason
        CheckRejected(MakeFrame(FrameType::History, PayloadBuilder().U8(4).Str("").U8(0).U64(0).U32(0)),
                      DecodeError::BadValue);
        // a resent Say is a Say with its resend flag set
        Message m;
        REQUIRE(DecodeFrame(Encode(Say{5, "", "again", true}), m) == DecodeError::None);
        CHECK(std::get<Say>(m).resend);
        CHECK(Encode(Say{5, "", "again", true})[4] == static_cast<std::uint8_t>(FrameType::SayAgain));
    }

    TEST_CASE("an unknown enum value is rejected with BadValue")
    {
        const auto chatWithKind = [](std::uint8_t kind) {
            return MakeFrame(FrameType::Chat, PayloadBuilder().U64(1).I64(2).U8(kind).Str("ana").Str("").Str("hi").U8(0));
        };
        CheckRejected(chatWithKind(5), DecodeError::BadValue);
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
        CheckRejected(refuseWithCode(6), DecodeError::BadValue);

        const auto errorWithCode = [](std::uint8_t code) {
            return MakeFrame(FrameType::Error, PayloadBuilder().U8(code).U64(0).Str("oops"));
        };
        CheckRejected(errorWithCode(0), DecodeError::BadValue);
        CheckRejected(errorWithCode(8), DecodeError::BadValue);

        // the extremes of each range are accepted
        Message out;
        CHECK(DecodeFrame(chatWithKind(0), out) == DecodeError::None);
        CHECK(DecodeFrame(chatWithKind(4), out) == DecodeError::None);
        CHECK(DecodeFrame(byeWithReason(0), out) == DecodeError::None);
        CHECK(DecodeFrame(byeWithReason(5), out) == DecodeError::None);
        CHECK(DecodeFrame(refuseWithCode(1), out) == DecodeError::None);
        CHECK(DecodeFrame(refuseWithCode(5), out) == DecodeError::None);
        CHECK(DecodeFrame(errorWithCode(1), out) == DecodeError::None);
        CHECK(DecodeFrame(errorWithCode(6), out) == DecodeError::None);
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

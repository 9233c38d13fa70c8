#include "net/protocol.hpp"

#include "engine/utf8.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace obrol::net {

// [SECTION] Encoding

namespace {

class Writer
{
public:
    explicit Writer(FrameType type)
    {
        m_out.resize(HeaderBytes);
        m_out[4] = static_cast<std::uint8_t>(type);
    }

    void U8(std::uint8_t v) { m_out.push_back(v); }
    void U16(std::uint16_t v) { Big(v, 2); }
    void U32(std::uint32_t v) { Big(v, 4); }
    void U64(std::uint64_t v) { Big(v, 8); }
    void I64(std::int64_t v) { Big(static_cast<std::uint64_t>(v), 8); }
    void Str(const std::string& s)
    {
        U32(static_cast<std::uint32_t>(s.size()));
        m_out.insert(m_out.end(), s.begin(), s.end());
    }
    void Bytes(const std::vector<std::uint8_t>& b)
    {
        U32(static_cast<std::uint32_t>(b.size()));
        m_out.insert(m_out.end(), b.begin(), b.end());
    }
    void Raw(std::span<const std::uint8_t> b) { m_out.insert(m_out.end(), b.begin(), b.end()); }
    void Reserve(std::size_t n) { m_out.reserve(HeaderBytes + n); }

    std::vector<std::uint8_t> Finish()
    {
        const std::uint32_t length = static_cast<std::uint32_t>(m_out.size() - HeaderBytes);
        for (int i = 0; i < 4; ++i)
            m_out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
        return std::move(m_out);
    }

private:
    void Big(std::uint64_t v, int bytes)
    {
        for (int i = bytes - 1; i >= 0; --i)
            m_out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }

    std::vector<std::uint8_t> m_out;
};

template <class T> constexpr FrameType TypeOf();
template <> constexpr FrameType TypeOf<Hello>() { return FrameType::Hello; }
template <> constexpr FrameType TypeOf<Welcome>() { return FrameType::Welcome; }
template <> constexpr FrameType TypeOf<Refuse>() { return FrameType::Refuse; }
template <> constexpr FrameType TypeOf<Say>() { return FrameType::Say; }
template <> constexpr FrameType TypeOf<Chat>() { return FrameType::Chat; }
template <> constexpr FrameType TypeOf<Ack>() { return FrameType::Ack; }
template <> constexpr FrameType TypeOf<Error>() { return FrameType::Error; }
template <> constexpr FrameType TypeOf<Ping>() { return FrameType::Ping; }
template <> constexpr FrameType TypeOf<Pong>() { return FrameType::Pong; }
template <> constexpr FrameType TypeOf<Bye>() { return FrameType::Bye; }
template <> constexpr FrameType TypeOf<Resume>() { return FrameType::Resume; }
template <> constexpr FrameType TypeOf<History>() { return FrameType::History; }
template <> constexpr FrameType TypeOf<HistoryRequest>() { return FrameType::HistoryRequest; }
template <> constexpr FrameType TypeOf<SearchRequest>() { return FrameType::SearchRequest; }
template <> constexpr FrameType TypeOf<SearchResults>() { return FrameType::SearchResults; }
template <> constexpr FrameType TypeOf<FileOffer>() { return FrameType::FileOffer; }
template <> constexpr FrameType TypeOf<FileAccept>() { return FrameType::FileAccept; }
template <> constexpr FrameType TypeOf<FileChunk>() { return FrameType::FileChunk; }
template <> constexpr FrameType TypeOf<FileProgress>() { return FrameType::FileProgress; }
template <> constexpr FrameType TypeOf<FileEnd>() { return FrameType::FileEnd; }
template <> constexpr FrameType TypeOf<FileAbort>() { return FrameType::FileAbort; }
template <> constexpr FrameType TypeOf<FileGet>() { return FrameType::FileGet; }
template <> constexpr FrameType TypeOf<ThumbGet>() { return FrameType::ThumbGet; }
template <> constexpr FrameType TypeOf<Thumb>() { return FrameType::Thumb; }
template <> constexpr FrameType TypeOf<Challenge>() { return FrameType::Challenge; }
template <> constexpr FrameType TypeOf<Proof>() { return FrameType::Proof; }
template <> constexpr FrameType TypeOf<RoomJoin>() { return FrameType::RoomJoin; }
template <> constexpr FrameType TypeOf<RoomPart>() { return FrameType::RoomPart; }
template <> constexpr FrameType TypeOf<RoomTopic>() { return FrameType::RoomTopic; }
template <> constexpr FrameType TypeOf<RoomState>() { return FrameType::RoomState; }
template <> constexpr FrameType TypeOf<RoomListRequest>() { return FrameType::RoomListRequest; }
template <> constexpr FrameType TypeOf<RoomList>() { return FrameType::RoomList; }

void Put(Writer& w, const Target& t) { w.U8(static_cast<std::uint8_t>(t.kind)); w.Str(t.name); }
void Put(Writer& w, const RoomInfo& m)
{
    w.Str(m.name);
    w.Str(m.topic);
    w.U32(m.memberCount);
    w.U32(static_cast<std::uint32_t>(m.members.size()));
    for (const auto& nick : m.members)
        w.Str(nick);
    w.U8(m.member ? 1 : 0);
}
void PutRooms(Writer& w, const std::vector<RoomInfo>& rooms)
{
    w.U32(static_cast<std::uint32_t>(rooms.size()));
    for (const auto& room : rooms)
        Put(w, room);
}

void Put(Writer& w, const Hello& m)
{
    w.U16(m.version);
    w.Str(m.nick);
    w.Str(m.software);
    if (m.version < 3)
        return; // the version-2 layout ends here
    w.U16(m.minVersion);
    w.Raw(m.publicKey);
}
void Put(Writer& w, const Challenge& m) { w.U16(m.version); w.Raw(m.nonce); }
void Put(Writer& w, const Proof& m) { w.Raw(m.signature); }
void Put(Writer& w, const RoomJoin& m) { w.Str(m.room); }
void Put(Writer& w, const RoomPart& m) { w.Str(m.room); w.Str(m.reason); }
void Put(Writer& w, const RoomTopic& m) { w.Str(m.room); w.Str(m.topic); }
void Put(Writer& w, const RoomState& m) { Put(w, m.room); }
void Put(Writer&, const RoomListRequest&) {}
void Put(Writer& w, const RoomList& m) { PutRooms(w, m.rooms); }
void Put(Writer& w, const Welcome& m)
{
    w.U16(m.version);
    w.Str(m.nick);
    w.Str(m.serverName);
    w.I64(m.serverTimeMs);
    w.U32(m.heartbeatSeconds);
    w.U32(m.maxTextBytes);
    w.U32(static_cast<std::uint32_t>(m.users.size()));
    for (const auto& u : m.users)
        w.Str(u);
    w.U64(m.maxFileBytes);
    PutRooms(w, m.rooms);
}
void Put(Writer& w, const Refuse& m) { w.U8(static_cast<std::uint8_t>(m.code)); w.Str(m.reason); }
void Put(Writer& w, const Say& m) { w.U64(m.clientMsgId); Put(w, m.to); w.Str(m.text); }
void Put(Writer& w, const Chat& m)
{
    w.U64(m.id);
    w.I64(m.timeMs);
    w.U8(static_cast<std::uint8_t>(m.kind));
    w.Str(m.from);
    Put(w, m.to);
    w.Str(m.text);
    w.U8(m.file ? 1 : 0);
    if (m.file)
    {
        w.U64(m.file->size);
        w.Str(m.file->mime);
        w.Raw(m.file->sha256);
        w.U16(m.file->thumbWidth);
        w.U16(m.file->thumbHeight);
        w.U32(m.file->imageWidth);
        w.U32(m.file->imageHeight);
    }
}
void Put(Writer& w, const Ack& m) { w.U64(m.clientMsgId); w.U64(m.id); w.I64(m.timeMs); }
void Put(Writer& w, const Error& m) { w.U8(static_cast<std::uint8_t>(m.code)); w.U64(m.clientMsgId); w.Str(m.text); }
void Put(Writer& w, const Ping& m) { w.U64(m.token); }
void Put(Writer& w, const Pong& m) { w.U64(m.token); }
void Put(Writer& w, const Bye& m) { w.U8(static_cast<std::uint8_t>(m.reason)); w.Str(m.text); }
void Put(Writer& w, const Resume& m) { w.U64(m.token); w.U64(m.lastSeenId); }
void PutChats(Writer& w, const std::vector<Chat>& chats)
{
    w.U32(static_cast<std::uint32_t>(chats.size()));
    for (const Chat& c : chats)
        Put(w, c);
}
void Put(Writer& w, const History& m)
{
    w.U8(static_cast<std::uint8_t>(m.reason));
    Put(w, m.conversation);
    w.U8(m.more ? 1 : 0);
    w.U64(m.unreadAfter);
    PutChats(w, m.chats);
}
void Put(Writer& w, const HistoryRequest& m) { Put(w, m.conversation); w.U64(m.beforeId); w.U32(m.limit); w.U8(m.around ? 1 : 0); }
void Put(Writer& w, const SearchRequest& m) { w.U64(m.token); w.Str(m.query); w.U32(m.limit); }
void Put(Writer& w, const SearchResults& m) { w.U64(m.token); PutChats(w, m.chats); }
void Put(Writer& w, const FileOffer& m) { w.U64(m.id); Put(w, m.to); w.Str(m.name); w.U64(m.size); }
void Put(Writer& w, const FileAccept& m) { w.U64(m.id); w.U64(m.offset); w.U8(static_cast<std::uint8_t>(m.direction)); }
void Put(Writer& w, const FileChunk& m)
{
    w.Reserve(20 + m.bytes.size());
    w.U64(m.id);
    w.U64(m.offset);
    w.Bytes(m.bytes);
}
void Put(Writer& w, const FileProgress& m) { w.U64(m.id); w.U8(static_cast<std::uint8_t>(m.direction)); w.U64(m.received); }
void Put(Writer& w, const FileEnd& m) { w.U64(m.id); w.Raw(m.sha256); }
void Put(Writer& w, const FileAbort& m)
{
    w.U64(m.id);
    w.U8(static_cast<std::uint8_t>(m.direction));
    w.U8(static_cast<std::uint8_t>(m.code));
    w.Str(m.reason);
}
void Put(Writer& w, const FileGet& m) { w.U64(m.id); w.U64(m.offset); }
void Put(Writer& w, const ThumbGet& m) { w.U64(m.id); }
void Put(Writer& w, const Thumb& m) { w.U64(m.id); w.Bytes(m.png); }

} // namespace

std::vector<std::uint8_t> Encode(const Message& message)
{
    return std::visit(
        [](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            FrameType type = TypeOf<T>();
            if constexpr (std::is_same_v<T, Say>)
                if (m.resend)
                    type = FrameType::SayAgain;
            Writer w(type);
            Put(w, m);
            return w.Finish();
        },
        message);
}

std::vector<std::uint8_t> FileChunkFrame(std::uint64_t id, std::uint64_t offset, std::uint32_t bytes)
{
    std::vector<std::uint8_t> frame(FileChunkDataOffset + bytes);
    const auto put = [&](std::size_t at, std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i)
            frame[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
    };
    put(0, FileChunkDataOffset - HeaderBytes + bytes, 4);
    frame[4] = static_cast<std::uint8_t>(FrameType::FileChunk);
    put(HeaderBytes, id, 8);
    put(HeaderBytes + 8, offset, 8);
    put(HeaderBytes + 16, bytes, 4);
    return frame;
}

// [SECTION] Decoding

namespace {

class Reader
{
public:
    explicit Reader(std::span<const std::uint8_t> in) : m_in(in) {}

    DecodeError error = DecodeError::None;

    std::uint8_t U8() { return static_cast<std::uint8_t>(Big(1)); }
    std::uint16_t U16() { return static_cast<std::uint16_t>(Big(2)); }
    std::uint32_t U32() { return static_cast<std::uint32_t>(Big(4)); }
    std::uint64_t U64() { return Big(8); }
    std::int64_t I64() { return static_cast<std::int64_t>(Big(8)); }

    // A u32 length and that many bytes (at most `limit`): the span, or empty after a failure.
    std::span<const std::uint8_t> Sized(std::size_t limit)
    {
        const std::uint32_t length = U32();
        if (error != DecodeError::None)
            return {};
        if (length > Remaining())
        {
            Fail(length > MaxFramePayload ? DecodeError::BadLength : DecodeError::Truncated);
            return {};
        }
        if (length > limit)
        {
            Fail(DecodeError::BadLength);
            return {};
        }
        const auto bytes = m_in.subspan(m_pos, length);
        m_pos += length;
        return bytes;
    }

    std::string Str(std::size_t limit)
    {
        const auto bytes = Sized(limit);
        std::string s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        if (error == DecodeError::None && !engine::IsValidUtf8(s))
            Fail(DecodeError::InvalidUtf8);
        return s;
    }

    std::vector<std::uint8_t> Bytes(std::size_t limit)
    {
        const auto bytes = Sized(limit);
        return {bytes.begin(), bytes.end()};
    }

    template <std::size_t N> void Raw(std::array<std::uint8_t, N>& out)
    {
        if (error != DecodeError::None)
            return;
        if (Remaining() < N)
            return Fail(DecodeError::Truncated);
        std::copy_n(m_in.begin() + static_cast<std::ptrdiff_t>(m_pos), N, out.begin());
        m_pos += N;
    }

    std::size_t Remaining() const { return m_in.size() - m_pos; }

    void Fail(DecodeError e)
    {
        if (error == DecodeError::None)
            error = e;
    }

    // After the last field: the extension area (u16 tag, u32 length, bytes; to the end). No tag
    // is known yet, so every well-formed entry is skipped; a malformed area is TrailingBytes.
    DecodeError Finish()
    {
        while (error == DecodeError::None && m_pos != m_in.size())
        {
            if (Remaining() < ExtensionHeaderBytes)
                return error = DecodeError::TrailingBytes;
            Big(2);
            const std::uint64_t length = Big(4);
            if (length > Remaining())
                return error = DecodeError::TrailingBytes;
            m_pos += static_cast<std::size_t>(length);
        }
        return error;
    }

private:
    std::uint64_t Big(std::size_t bytes)
    {
        if (error != DecodeError::None)
            return 0;
        if (Remaining() < bytes)
        {
            Fail(DecodeError::Truncated);
            return 0;
        }
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < bytes; ++i)
            v = (v << 8) | m_in[m_pos + i];
        m_pos += bytes;
        return v;
    }

    std::span<const std::uint8_t> m_in;
    std::size_t m_pos = 0;
};

template <class E> E Enum(Reader& r, std::uint8_t max, std::uint8_t min = 0)
{
    const std::uint8_t v = r.U8();
    if (r.error == DecodeError::None && (v < min || v > max))
        r.Fail(DecodeError::BadValue);
    return static_cast<E>(v);
}

bool Flag(Reader& r);

void Get(Reader& r, Target& t)
{
    t.kind = Enum<TargetKind>(r, 1);
    t.name = r.Str(t.kind == TargetKind::Room ? MaxRoomBytes : MaxNickBytes);
}
void Get(Reader& r, RoomInfo& m)
{
    m.name = r.Str(MaxRoomBytes);
    m.topic = r.Str(MaxTopicBytes);
    m.memberCount = r.U32();
    const std::uint32_t count = r.U32();
    // each name needs at least its 4-byte length: reject impossible counts before allocating
    if (r.error == DecodeError::None && count > r.Remaining() / 4)
        return r.Fail(DecodeError::BadLength);
    m.members.reserve(count);
    for (std::uint32_t i = 0; i < count && r.error == DecodeError::None; ++i)
        m.members.push_back(r.Str(MaxNickBytes));
    m.member = Flag(r);
}
void GetRooms(Reader& r, std::vector<RoomInfo>& rooms)
{
    const std::uint32_t count = r.U32();
    // a RoomInfo takes at least 4+4+4+4+1 bytes
    if (r.error == DecodeError::None && count > r.Remaining() / 17)
        return r.Fail(DecodeError::BadLength);
    rooms.resize(count);
    for (std::uint32_t i = 0; i < count && r.error == DecodeError::None; ++i)
        Get(r, rooms[i]);
}
void Get(Reader& r, Hello& m)
{
    m.version = r.U16();
    m.nick = r.Str(MaxNickBytes);
    m.software = r.Str(256);
    if (r.error != DecodeError::None || m.version < 3)
    {
        m.minVersion = m.version; // a version-2 Hello: answered with a refusal that says what to upgrade
        return;
    }
    m.minVersion = r.U16();
    r.Raw(m.publicKey);
}
void Get(Reader& r, Challenge& m) { m.version = r.U16(); r.Raw(m.nonce); }
void Get(Reader& r, Proof& m) { r.Raw(m.signature); }
void Get(Reader& r, RoomJoin& m) { m.room = r.Str(MaxRoomBytes); }
void Get(Reader& r, RoomPart& m) { m.room = r.Str(MaxRoomBytes); m.reason = r.Str(4096); }
void Get(Reader& r, RoomTopic& m) { m.room = r.Str(MaxRoomBytes); m.topic = r.Str(MaxTopicBytes); }
void Get(Reader& r, RoomState& m) { Get(r, m.room); }
void Get(Reader&, RoomListRequest&) {}
void Get(Reader& r, RoomList& m) { GetRooms(r, m.rooms); }
void Get(Reader& r, Welcome& m)
{
    m.version = r.U16();
    m.nick = r.Str(MaxNickBytes);
    m.serverName = r.Str(256);
    m.serverTimeMs = r.I64();
    m.heartbeatSeconds = r.U32();
    m.maxTextBytes = r.U32();
    const std::uint32_t count = r.U32();
    // each entry needs at least its 4-byte length: reject impossible counts before allocating
    if (r.error == DecodeError::None && count > r.Remaining() / 4)
    {
        r.Fail(DecodeError::BadLength);
        return;
    }
    m.users.reserve(count);
    for (std::uint32_t i = 0; i < count && r.error == DecodeError::None; ++i)
        m.users.push_back(r.Str(MaxNickBytes));
    m.maxFileBytes = r.U64();
    GetRooms(r, m.rooms);
}
void Get(Reader& r, Refuse& m) { m.code = Enum<RefuseCode>(r, 7, 1); m.reason = r.Str(4096); }
void Get(Reader& r, Say& m) { m.clientMsgId = r.U64(); Get(r, m.to); m.text = r.Str(MaxFramePayload); }
void Get(Reader& r, Chat& m)
{
    m.id = r.U64();
    m.timeMs = r.I64();
    m.kind = Enum<ChatKind>(r, 7);
    m.from = r.Str(MaxNickBytes);
    Get(r, m.to);
    // a private message goes to a person, everything else happens in a room
    if (r.error == DecodeError::None && m.to.IsPerson() != (m.kind == ChatKind::Private))
        return r.Fail(DecodeError::BadValue);
    m.text = r.Str(MaxFramePayload);
    if (Flag(r))
    {
        if (r.error == DecodeError::None && m.kind != ChatKind::Public && m.kind != ChatKind::Private)
            return r.Fail(DecodeError::BadValue); // only messages carry files
        FileInfo& f = m.file.emplace();
        f.size = r.U64();
        f.mime = r.Str(255);
        r.Raw(f.sha256);
        f.thumbWidth = r.U16();
        f.thumbHeight = r.U16();
        f.imageWidth = r.U32();
        f.imageHeight = r.U32();
    }
}
void Get(Reader& r, Ack& m) { m.clientMsgId = r.U64(); m.id = r.U64(); m.timeMs = r.I64(); }
void Get(Reader& r, Error& m) { m.code = Enum<ErrorCode>(r, 11, 1); m.clientMsgId = r.U64(); m.text = r.Str(4096); }
void Get(Reader& r, Ping& m) { m.token = r.U64(); }
void Get(Reader& r, Pong& m) { m.token = r.U64(); }
void Get(Reader& r, Bye& m) { m.reason = Enum<ByeReason>(r, 5); m.text = r.Str(4096); }
void Get(Reader& r, Resume& m) { m.token = r.U64(); m.lastSeenId = r.U64(); }
bool Flag(Reader& r)
{
    const std::uint8_t v = r.U8();
    if (r.error == DecodeError::None && v > 1)
        r.Fail(DecodeError::BadValue);
    return v == 1;
}
void GetChats(Reader& r, std::vector<Chat>& chats)
{
    const std::uint32_t count = r.U32();
    // a Chat takes at least 8+8+1+4+4+4+1 bytes: reject impossible counts before allocating
    if (r.error == DecodeError::None && (count > MaxHistoryChats || count > r.Remaining() / 30))
    {
        r.Fail(DecodeError::BadLength);
        return;
    }
    chats.resize(count);
    for (std::uint32_t i = 0; i < count && r.error == DecodeError::None; ++i)
        Get(r, chats[i]);
}
void Get(Reader& r, History& m)
{
    m.reason = Enum<HistoryReason>(r, 3);
    Get(r, m.conversation);
    m.more = Flag(r);
    m.unreadAfter = r.U64();
    GetChats(r, m.chats);
}
void Get(Reader& r, HistoryRequest& m) { Get(r, m.conversation); m.beforeId = r.U64(); m.limit = r.U32(); m.around = Flag(r); }
void Get(Reader& r, SearchRequest& m) { m.token = r.U64(); m.query = r.Str(1024); m.limit = r.U32(); }
void Get(Reader& r, SearchResults& m) { m.token = r.U64(); GetChats(r, m.chats); }
void Get(Reader& r, FileOffer& m) { m.id = r.U64(); Get(r, m.to); m.name = r.Str(MaxFileNameBytes); m.size = r.U64(); }
void Get(Reader& r, FileAccept& m) { m.id = r.U64(); m.offset = r.U64(); m.direction = Enum<TransferDirection>(r, 1); }
void Get(Reader& r, FileChunk& m) { m.id = r.U64(); m.offset = r.U64(); m.bytes = r.Bytes(FileChunkBytes); }
void Get(Reader& r, FileProgress& m) { m.id = r.U64(); m.direction = Enum<TransferDirection>(r, 1); m.received = r.U64(); }
void Get(Reader& r, FileEnd& m) { m.id = r.U64(); r.Raw(m.sha256); }
void Get(Reader& r, FileAbort& m)
{
    m.id = r.U64();
    m.direction = Enum<TransferDirection>(r, 1);
    m.code = Enum<FileAbortCode>(r, 7, 1);
    m.reason = r.Str(4096);
}
void Get(Reader& r, FileGet& m) { m.id = r.U64(); m.offset = r.U64(); }
void Get(Reader& r, ThumbGet& m) { m.id = r.U64(); }
void Get(Reader& r, Thumb& m) { m.id = r.U64(); m.png = r.Bytes(MaxFramePayload - 12); }

template <class T> DecodeError DecodeAs(std::span<const std::uint8_t> payload, Message& out)
{
    Reader r(payload);
    T m;
    Get(r, m);
    const DecodeError e = r.Finish();
    if (e == DecodeError::None)
        out = std::move(m);
    return e;
}

} // namespace

DecodeError ParseHeader(std::span<const std::uint8_t> header, FrameHeader& out)
{
    if (header.size() < HeaderBytes)
        return DecodeError::Truncated;
    out.payloadLength = (std::uint32_t(header[0]) << 24) | (std::uint32_t(header[1]) << 16) |
                        (std::uint32_t(header[2]) << 8) | std::uint32_t(header[3]);
    out.type = header[4];
    return out.payloadLength > MaxFramePayload ? DecodeError::Oversize : DecodeError::None;
}

DecodeError DecodePayload(std::uint8_t type, std::span<const std::uint8_t> payload, Message& out)
{
    switch (static_cast<FrameType>(type))
    {
    case FrameType::Hello: return DecodeAs<Hello>(payload, out);
    case FrameType::Welcome: return DecodeAs<Welcome>(payload, out);
    case FrameType::Refuse: return DecodeAs<Refuse>(payload, out);
    case FrameType::Say: return DecodeAs<Say>(payload, out);
    case FrameType::Chat: return DecodeAs<Chat>(payload, out);
    case FrameType::Ack: return DecodeAs<Ack>(payload, out);
    case FrameType::Error: return DecodeAs<Error>(payload, out);
    case FrameType::Ping: return DecodeAs<Ping>(payload, out);
    case FrameType::Pong: return DecodeAs<Pong>(payload, out);
    case FrameType::Bye: return DecodeAs<Bye>(payload, out);
    case FrameType::Resume: return DecodeAs<Resume>(payload, out);
    case FrameType::History: return DecodeAs<History>(payload, out);
    case FrameType::HistoryRequest: return DecodeAs<HistoryRequest>(payload, out);
    case FrameType::SearchRequest: return DecodeAs<SearchRequest>(payload, out);
    case FrameType::SearchResults: return DecodeAs<SearchResults>(payload, out);
    case FrameType::FileOffer: return DecodeAs<FileOffer>(payload, out);
    case FrameType::FileAccept: return DecodeAs<FileAccept>(payload, out);
    case FrameType::FileChunk: return DecodeAs<FileChunk>(payload, out);
    case FrameType::FileProgress: return DecodeAs<FileProgress>(payload, out);
    case FrameType::FileEnd: return DecodeAs<FileEnd>(payload, out);
    case FrameType::FileAbort: return DecodeAs<FileAbort>(payload, out);
    case FrameType::FileGet: return DecodeAs<FileGet>(payload, out);
    case FrameType::ThumbGet: return DecodeAs<ThumbGet>(payload, out);
    case FrameType::Thumb: return DecodeAs<Thumb>(payload, out);
    case FrameType::Challenge: return DecodeAs<Challenge>(payload, out);
    case FrameType::Proof: return DecodeAs<Proof>(payload, out);
    case FrameType::RoomJoin: return DecodeAs<RoomJoin>(payload, out);
    case FrameType::RoomPart: return DecodeAs<RoomPart>(payload, out);
    case FrameType::RoomTopic: return DecodeAs<RoomTopic>(payload, out);
    case FrameType::RoomState: return DecodeAs<RoomState>(payload, out);
    case FrameType::RoomListRequest: return DecodeAs<RoomListRequest>(payload, out);
    case FrameType::RoomList: return DecodeAs<RoomList>(payload, out);
    case FrameType::SayAgain:
    {
        const DecodeError e = DecodeAs<Say>(payload, out);
        if (e == DecodeError::None)
            std::get<Say>(out).resend = true;
        return e;
    }
    }
    return DecodeError::UnknownType;
}

DecodeError DecodeFrame(std::span<const std::uint8_t> frame, Message& out)
{
    FrameHeader header;
    if (const DecodeError e = ParseHeader(frame, header); e != DecodeError::None)
        return e;
    if (frame.size() - HeaderBytes < header.payloadLength)
        return DecodeError::Truncated;
    if (frame.size() - HeaderBytes > header.payloadLength)
        return DecodeError::TrailingBytes;
    return DecodePayload(header.type, frame.subspan(HeaderBytes), out);
}

void FrameReader::Feed(std::span<const std::uint8_t> bytes)
{
    if (m_offset > 0 && m_offset == m_buffer.size())
    {
        m_buffer.clear();
        m_offset = 0;
    }
    else if (m_offset > std::size_t{64} * 1024 && m_offset * 2 > m_buffer.size())
    {
        m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(m_offset));
        m_offset = 0;
    }
    m_buffer.insert(m_buffer.end(), bytes.begin(), bytes.end());
}

bool FrameReader::Next(Message& out)
{
    if (m_error != DecodeError::None)
        return false;
    const std::span<const std::uint8_t> pending(m_buffer.data() + m_offset, m_buffer.size() - m_offset);
    if (pending.size() < HeaderBytes)
        return false;
    FrameHeader header;
    if (const DecodeError e = ParseHeader(pending, header); e != DecodeError::None)
    {
        m_error = e;
        return false;
    }
    if (pending.size() - HeaderBytes < header.payloadLength)
        return false;
    const DecodeError e = DecodePayload(header.type, pending.subspan(HeaderBytes, header.payloadLength), out);
    if (e != DecodeError::None)
    {
        m_error = e;
        return false;
    }
    m_offset += HeaderBytes + header.payloadLength;
    return true;
}

const char* DecodeErrorName(DecodeError error)
{
    switch (error)
    {
    case DecodeError::None: return "no error";
    case DecodeError::Truncated: return "truncated frame";
    case DecodeError::Oversize: return "frame larger than 1 MiB";
    case DecodeError::UnknownType: return "unknown frame type";
    case DecodeError::InvalidUtf8: return "text is not valid UTF-8";
    case DecodeError::BadLength: return "impossible length field";
    case DecodeError::TrailingBytes: return "bytes after the last field";
    case DecodeError::BadValue: return "unknown enum value";
    }
    return "unknown error";
}

bool Target::IsEveryone() const
{
    return kind == TargetKind::Room && engine::FoldCase(name) == EveryoneRoom;
}

std::vector<std::uint8_t> ProofMessage(const std::array<std::uint8_t, 32>& nonce, const PublicKey& key,
                                       const std::string& nick)
{
    static constexpr char Context[] = "obrol-login-v3"; // with its terminating 0x00
    std::vector<std::uint8_t> out(Context, Context + sizeof(Context));
    out.insert(out.end(), nonce.begin(), nonce.end());
    out.insert(out.end(), key.begin(), key.end());
    const auto length = static_cast<std::uint32_t>(nick.size());
    for (int i = 3; i >= 0; --i)
        out.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
    out.insert(out.end(), nick.begin(), nick.end());
    return out;
}

const char* ChatKindName(ChatKind kind)
{
    switch (kind)
    {
    case ChatKind::Public: return "public";
    case ChatKind::Private: return "private";
    case ChatKind::Announce: return "announce";
    case ChatKind::Join: return "join";
    case ChatKind::Leave: return "leave";
    case ChatKind::RoomJoin: return "room-join";
    case ChatKind::RoomLeave: return "room-leave";
    case ChatKind::Topic: return "topic";
    }
    return "?";
}

const char* FileAbortCodeName(FileAbortCode code)
{
    switch (code)
    {
    case FileAbortCode::Cancelled: return "cancelled";
    case FileAbortCode::TooLarge: return "too-large";
    case FileAbortCode::StorageFailed: return "storage-failed";
    case FileAbortCode::Corrupted: return "corrupted";
    case FileAbortCode::NotFound: return "not-found";
    case FileAbortCode::Invalid: return "invalid";
    case FileAbortCode::UnknownUser: return "unknown-user";
    }
    return "?";
}

const char* ByeReasonText(ByeReason reason)
{
    switch (reason)
    {
    case ByeReason::Quit: return "quit";
    case ByeReason::ServerStopping: return "server stopped";
    case ByeReason::Kicked: return "kicked";
    case ByeReason::Timeout: return "timed out";
    case ByeReason::SlowReader: return "too slow to read";
    case ByeReason::ProtocolError: return "protocol error";
    }
    return "?";
}

} // namespace obrol::net

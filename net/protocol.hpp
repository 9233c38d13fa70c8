// The Obrol wire format (docs/PROTOCOL.md): length-prefixed binary frames, encoded and
// decoded by pure functions with no I/O. Safe on any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace obrol::net {

constexpr std::uint16_t ProtocolVersion = 3;    // the newest version this build speaks
constexpr std::uint16_t MinProtocolVersion = 3; // the oldest one it still serves
constexpr std::size_t HeaderBytes = 5;                // u32 payload length (big-endian) + u8 type
constexpr std::uint32_t MaxFramePayload = 1u << 20;   // 1 MiB: anything longer is a protocol error
constexpr std::size_t MaxTextBytes = std::size_t{16} * 1024;       // one chat message
constexpr std::size_t MaxNickBytes = 128;             // 32 code points of up to 4 bytes
constexpr std::size_t MaxFileNameBytes = 1024;        // as offered; receivers shorten it further
constexpr std::uint32_t FileChunkBytes = 256u * 1024; // file data travels in chunks of at most this
constexpr std::uint64_t DefaultMaxFileBytes = std::uint64_t{1} << 30; // 1 GiB unless the server says otherwise
constexpr std::size_t MaxRoomBytes = 128;             // a room name: 32 code points of up to 4 bytes
constexpr std::size_t MaxTopicBytes = 1024;
constexpr const char* EveryoneRoom = "everyone";      // the room everyone is in (it cannot be left)

enum class FrameType : std::uint8_t
{
    Hello = 0x01,
    Welcome = 0x02,
    Refuse = 0x03,
    Resume = 0x04,
    Challenge = 0x05, // server -> client: prove you hold the key you named in Hello
    Proof = 0x06,     // client -> server: the signature
    Say = 0x10,
    Chat = 0x11,
    Ack = 0x12,
    Error = 0x13,
    History = 0x14,
    HistoryRequest = 0x15,
    SearchRequest = 0x16,
    SearchResults = 0x17,
    SayAgain = 0x18, // a Say the client may have sent before (resent after a reconnect)
    Ping = 0x20,
    Pong = 0x21,
    Bye = 0x22,
    FileOffer = 0x30,    // client -> server: I want to upload this file
    FileAccept = 0x31,   // server -> client: send it from this offset / the chunks of your FileGet follow
    FileChunk = 0x32,    // either way: raw file bytes at an offset
    FileProgress = 0x33, // either way: the receiver has stored this many bytes (the sender's window)
    FileEnd = 0x34,      // client -> server: every byte sent; here is its SHA-256
    FileAbort = 0x35,    // either way: a transfer stops, and why
    FileGet = 0x36,      // client -> server: send me this file from this offset
    ThumbGet = 0x37,     // client -> server: send me this file's preview
    Thumb = 0x38,        // server -> client: a preview (PNG)
    RoomJoin = 0x40,     // client -> server: join (and create, if new) a room
    RoomPart = 0x41,     // client -> server: leave a room
    RoomTopic = 0x42,    // client -> server: set a room's topic
    RoomState = 0x43,    // server -> client: a room you are in, with its members
    RoomListRequest = 0x44, // client -> server: which rooms exist?
    RoomList = 0x45,     // server -> client: every room with its member count
};

// Join/Leave: a user came online / went offline (records of the everyone room). RoomJoin/RoomLeave:
// a user joined / left a room (membership outlives connections). Topic: text is the new topic.
enum class ChatKind : std::uint8_t { Public = 0, Private = 1, Announce = 2, Join = 3, Leave = 4, RoomJoin = 5, RoomLeave = 6, Topic = 7 };

enum class RefuseCode : std::uint8_t
{
    NickTaken = 1,
    NickInvalid = 2,
    VersionMismatch = 3,
    ServerFull = 4,
    BadHello = 5,
    NickOwned = 6, // the nickname belongs to another identity key
    BadProof = 7,  // the signature does not prove the key
};

enum class ErrorCode : std::uint8_t
{
    UnknownUser = 1,   // private message to a nickname that is not online
    TextTooLong = 2,
    EmptyText = 3,
    NotJoined = 4,     // chat frame before the handshake finished
    BadFrame = 5,      // malformed frame; the connection closes after this error
    FrameTooLarge = 6, // oversize frame; the connection closes after this error
    StorageFailed = 7, // the server could not store the message (e.g. its disk is full); it was not delivered
    UnknownRoom = 8,   // no room of that name
    InvalidName = 9,   // a room name that breaks the rules (RoomJoin)
    NotAMember = 10,   // a message, topic, history or part for a room this user is not in
    NotAllowed = 11,   // e.g. leaving the everyone room
};

enum class TransferDirection : std::uint8_t { Upload = 0, Download = 1 };

enum class FileAbortCode : std::uint8_t
{
    Cancelled = 1,     // the other side cancelled it
    TooLarge = 2,      // over the server's --max-file-size
    StorageFailed = 3, // could not write it (full disk, permissions)
    Corrupted = 4,     // the SHA-256 or the size does not match: never kept
    NotFound = 5,      // no such file, or not one this user may see
    Invalid = 6,       // bad name, unknown transfer, bytes out of order
    UnknownUser = 7,   // a private file to someone who never joined
};

enum class ByeReason : std::uint8_t { Quit = 0, ServerStopping = 1, Kicked = 2, Timeout = 3, SlowReader = 4, ProtocolError = 5 };

using PublicKey = std::array<std::uint8_t, 32>; // Ed25519, raw
using Signature = std::array<std::uint8_t, 64>; // Ed25519, raw

// Where a message goes or which conversation is meant: a room, or one person (private).
enum class TargetKind : std::uint8_t { Room = 0, Person = 1 };

struct Target
{
    TargetKind kind = TargetKind::Room;
    std::string name = EveryoneRoom; // the room's name (without '#'), or the person's nickname

    static Target Room(std::string name) { return {TargetKind::Room, std::move(name)}; }
    static Target Person(std::string nick) { return {TargetKind::Person, std::move(nick)}; }
    static Target Everyone() { return {}; }
    bool IsRoom() const { return kind == TargetKind::Room; }
    bool IsPerson() const { return kind == TargetKind::Person; }
    bool IsEveryone() const; // the everyone room (case-insensitive)
    friend bool operator==(const Target&, const Target&) = default;
};

// Client -> server: first frame on a connection (after an optional Resume).
struct Hello
{
    std::uint16_t version = ProtocolVersion; // the newest version the client speaks
    std::string nick;
    std::string software;                    // e.g. "obrol 0.1.0", for the server's log
    // From version 3 on (a version-2 Hello ends after `software`):
    std::uint16_t minVersion = MinProtocolVersion; // the oldest version the client speaks
    PublicKey publicKey{};                   // the client's identity key; its owner answers the Challenge
};

// Server -> client, answering a Hello it can serve: sign this to prove the key.
struct Challenge
{
    std::uint16_t version = ProtocolVersion; // the version the server chose for this connection
    std::array<std::uint8_t, 32> nonce{};    // fresh random bytes for this connection
};

// Client -> server: Ed25519 signature of ProofMessage(nonce, publicKey, nick).
struct Proof
{
    Signature signature{};
};

// The bytes a Proof signs: "obrol-login-v3" 0x00, the nonce, the public key, the nickname as a
// string field (u32 length + UTF-8) exactly as sent in Hello.
std::vector<std::uint8_t> ProofMessage(const std::array<std::uint8_t, 32>& nonce, const PublicKey& key,
                                       const std::string& nick);

// A room as the server describes it.
struct RoomInfo
{
    std::string name;
    std::string topic;
    std::uint32_t memberCount = 0;    // everyone: users online; other rooms: members (online or not)
    std::vector<std::string> members; // RoomState: every member, sorted case-insensitively (everyone: empty); RoomList: empty
    bool member = false;              // RoomList: whether the asking user is in it
    friend bool operator==(const RoomInfo&, const RoomInfo&) = default;
};

// Server -> client: the handshake succeeded.
struct Welcome
{
    std::uint16_t version = ProtocolVersion;
    std::string nick;           // the nickname as registered
    std::string serverName;
    std::int64_t serverTimeMs = 0;
    std::uint32_t heartbeatSeconds = 0;
    std::uint32_t maxTextBytes = MaxTextBytes;
    std::vector<std::string> users; // everyone online, including this client
    std::uint64_t maxFileBytes = DefaultMaxFileBytes; // the server refuses larger files (0: no files at all)
    std::vector<RoomInfo> rooms;    // the rooms this user is in, everyone first, with their members
};

// Server -> client: the handshake failed; the server closes the connection after it.
struct Refuse
{
    RefuseCode code = RefuseCode::BadHello;
    std::string reason;
};

// Client -> server, optional, before Hello: resume an earlier session of this client.
struct Resume
{
    std::uint64_t token = 0;      // random per client run: a Hello with the same nick and token replaces a stale session
    std::uint64_t lastSeenId = 0; // the newest message id the client has; the server sends everything after it
};

// Client -> server: a message to a room or to one user.
struct Say
{
    std::uint64_t clientMsgId = 0; // unique per sender nick: a resend with the same id is never stored twice
    Target to;
    std::string text;
    bool resend = false;           // encoded as FrameType::SayAgain
};

// A file attached to a Public or Private message; the message's text is the file's name.
// The file's id (for FileGet/ThumbGet) is the message id.
struct FileInfo
{
    std::uint64_t size = 0;
    std::string mime;
    std::array<std::uint8_t, 32> sha256{};
    std::uint16_t thumbWidth = 0; // the server's preview (0 x 0: none; fetch it with ThumbGet)
    std::uint16_t thumbHeight = 0;
    std::uint32_t imageWidth = 0; // an image's own size (0: not an image, or unreadable)
    std::uint32_t imageHeight = 0;
    friend bool operator==(const FileInfo&, const FileInfo&) = default;
};

// Server -> client: something that happened in a conversation, with the server's id and time.
struct Chat
{
    std::uint64_t id = 0;
    std::int64_t timeMs = 0;
    ChatKind kind = ChatKind::Public;
    std::string from; // sender (Join/Leave/RoomJoin/RoomLeave/Topic: who); empty for announcements
    Target to;        // Private: the recipient (a Person); every other kind: its room (Join/Leave/Announce: everyone)
    std::string text; // message text; Leave/RoomLeave: the reason; Topic: the new topic; a file: its name
    std::optional<FileInfo> file = std::nullopt; // Public/Private only
};

// Server -> sender: a Say was accepted and delivered under this id and time.
struct Ack
{
    std::uint64_t clientMsgId = 0;
    std::uint64_t id = 0;
    std::int64_t timeMs = 0;
};

// Server -> client: a request failed.
struct Error
{
    ErrorCode code = ErrorCode::BadFrame;
    std::uint64_t clientMsgId = 0; // the Say it refers to, or 0
    std::string text;
};

struct Ping { std::uint64_t token = 0; };
struct Pong { std::uint64_t token = 0; };

enum class HistoryReason : std::uint8_t { Join = 0, Resume = 1, Page = 2, Around = 3 };

// Server -> client: stored messages (after Welcome, or answering a HistoryRequest), ascending ids.
struct History
{
    HistoryReason reason = HistoryReason::Join;
    Target conversation;          // Page/Around: the conversation asked for; Join/Resume: everyone (they mix conversations)
    bool more = false;            // Join/Page/Around: older ones exist; Resume: newer ones follow (ask with Resume)
    std::uint64_t unreadAfter = 0; // Join/Resume: messages with a larger id arrived while this user was away
    std::vector<Chat> chats;
};

// Client -> server: older messages of one conversation.
struct HistoryRequest
{
    Target conversation;        // a room, or the private conversation with a person
    std::uint64_t beforeId = 0; // 0: the newest
    std::uint32_t limit = 100;
    bool around = false;        // true: messages around beforeId (for jumping to a search result)
};

// Client -> server: full-text search over what this user may see.
struct SearchRequest
{
    std::uint64_t token = 0;
    std::string query;
    std::uint32_t limit = 50;
};

struct SearchResults
{
    std::uint64_t token = 0;
    std::vector<Chat> chats; // newest first
};

// Either side: the connection is about to close, and why.
struct Bye
{
    ByeReason reason = ByeReason::Quit;
    std::string text;
};

// Client -> server: an upload. Answered by FileAccept (send from its offset) or FileAbort. Offering
// the same id again (after a reconnect) resumes: the offset is what the server already holds.
// Once stored, the file message is acknowledged like a Say (Ack with clientMsgId = id).
struct FileOffer
{
    std::uint64_t id = 0; // the sender's message id (same space as Say.clientMsgId)
    Target to;            // a room, or one person
    std::string name;
    std::uint64_t size = 0;
};

// Upload: send from this offset. Download: the chunks that follow answer the latest FileGet,
// starting at this offset (chunks before it belong to a request the client gave up on).
struct FileAccept
{
    std::uint64_t id = 0;
    std::uint64_t offset = 0;
    TransferDirection direction = TransferDirection::Upload;
};

// Upload: id is the FileOffer id; download: the file's message id. Offsets are contiguous.
struct FileChunk
{
    std::uint64_t id = 0;
    std::uint64_t offset = 0;
    std::vector<std::uint8_t> bytes; // at most FileChunkBytes
};

// The receiver of chunks has stored `received` bytes: the sender keeps at most a window ahead.
struct FileProgress
{
    std::uint64_t id = 0;
    TransferDirection direction = TransferDirection::Upload;
    std::uint64_t received = 0;
};

struct FileEnd
{
    std::uint64_t id = 0;
    std::array<std::uint8_t, 32> sha256{};
};

struct FileAbort
{
    std::uint64_t id = 0;
    TransferDirection direction = TransferDirection::Upload;
    FileAbortCode code = FileAbortCode::Cancelled;
    std::string reason;
};

struct FileGet
{
    std::uint64_t id = 0;     // the file message's id
    std::uint64_t offset = 0; // resume: bytes already held
};

struct ThumbGet { std::uint64_t id = 0; };

struct Thumb
{
    std::uint64_t id = 0;
    std::vector<std::uint8_t> png; // empty: no preview
};

// Client -> server: join a room (creating it when no room has that name); answered by the RoomJoin
// record (a Chat) to every member, then a RoomState and a History (Page) of the room to the joiner.
struct RoomJoin { std::string room; };
// Client -> server: leave a room (not everyone); answered by the RoomLeave record.
struct RoomPart { std::string room; std::string reason; };
// Client -> server: set the topic of a room you are in; answered by the Topic record.
struct RoomTopic { std::string room; std::string topic; };
// Server -> client: a room you just joined, with all its members.
struct RoomState { RoomInfo room; };
struct RoomListRequest { };
// Server -> client: every room (everyone first, then by name), without member names.
struct RoomList { std::vector<RoomInfo> rooms; };

using Message = std::variant<Hello, Welcome, Refuse, Say, Chat, Ack, Error, Ping, Pong, Bye, Resume, History,
                             HistoryRequest, SearchRequest, SearchResults, FileOffer, FileAccept, FileChunk,
                             FileProgress, FileEnd, FileAbort, FileGet, ThumbGet, Thumb, Challenge, Proof,
                             RoomJoin, RoomPart, RoomTopic, RoomState, RoomListRequest, RoomList>;

constexpr std::uint32_t MaxHistoryChats = 2000; // per History / SearchResults frame

// An encoded frame, shared by every recipient of a broadcast (never copied per peer).
using FrameBytes = std::shared_ptr<const std::vector<std::uint8_t>>;

std::vector<std::uint8_t> Encode(const Message& message);
inline FrameBytes EncodeShared(const Message& message)
{
    return std::make_shared<const std::vector<std::uint8_t>>(Encode(message));
}

// A FileChunk frame with room for `bytes` data bytes at FileChunkDataOffset, for the caller to
// fill (read a file straight into the frame: no copy). Encodes exactly as Encode(FileChunk).
constexpr std::size_t FileChunkDataOffset = HeaderBytes + 8 + 8 + 4;
std::vector<std::uint8_t> FileChunkFrame(std::uint64_t id, std::uint64_t offset, std::uint32_t bytes);

enum class DecodeError
{
    None,
    Truncated,     // a field runs past the end of the payload
    Oversize,      // header announces more than MaxFramePayload
    UnknownType,   // type byte not in FrameType
    InvalidUtf8,   // a string field is not valid UTF-8
    BadLength,     // a string/list length is impossible or over its field's limit
    TrailingBytes, // bytes after the last field that do not form a valid extension area
    BadValue,      // an enum field holds an unknown value
};

const char* DecodeErrorName(DecodeError error);

struct FrameHeader
{
    std::uint32_t payloadLength = 0;
    std::uint8_t type = 0;
};

// Reads the 5-byte header. Returns Oversize when the length exceeds MaxFramePayload.
DecodeError ParseHeader(std::span<const std::uint8_t> header, FrameHeader& out);

// Decodes one payload of the given type into `out`.
DecodeError DecodePayload(std::uint8_t type, std::span<const std::uint8_t> payload, Message& out);

// Decodes a whole frame (header + payload) from a buffer that holds exactly one frame.
DecodeError DecodeFrame(std::span<const std::uint8_t> frame, Message& out);

// Incremental decoder for a byte stream: Feed() bytes as they arrive, then Next() until it
// returns false. After an error the stream is unusable (the connection must close).
class FrameReader
{
public:
    void Feed(std::span<const std::uint8_t> bytes);
    // True when `out` holds a decoded message. False when more bytes are needed or on error.
    bool Next(Message& out);
    DecodeError Error() const { return m_error; }
    std::size_t Buffered() const { return m_buffer.size() - m_offset; }

private:
    std::vector<std::uint8_t> m_buffer;
    std::size_t m_offset = 0;
    DecodeError m_error = DecodeError::None;
};

// Every frame's payload is its fields followed by an extension area: zero or more entries of
// u16 tag, u32 length, that many bytes, up to the end of the payload. Decoders skip entries whose
// tag they do not know, so a later version can add a field without a lockstep upgrade. This
// version defines no tags and sends none.
constexpr std::size_t ExtensionHeaderBytes = 6;

const char* ChatKindName(ChatKind kind);
const char* FileAbortCodeName(FileAbortCode code);
const char* ByeReasonText(ByeReason reason);

} // namespace obrol::net

// A user's Ed25519 identity key for owned nicknames: made or loaded once, then only read, so any
// thread may use an Identity (and the free functions here) at any time.
#pragma once

#include "engine/paths.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace obrol::engine {

using PublicKey = std::array<std::uint8_t, 32>; // raw Ed25519 public key
using Signature = std::array<std::uint8_t, 64>; // raw Ed25519 signature

// A key that cannot be made, read, parsed or saved, or a random generator that failed. The
// message is meant for the user: it names the file and says what to do about it.
class IdentityError : public std::runtime_error
{
    using std::runtime_error::runtime_error;
};

// An Ed25519 key pair. Immutable after construction; copyable and movable; any thread.
class Identity
{
public:
    // A fresh key pair in memory (File() is empty).
    static Identity Generate();

    // Loads the key at `file`, or creates it when there is none: missing parent folders are made
    // 0700, the key is written to a temporary file (0600) in the same folder and then linked to
    // `file`, so that two processes starting at once end up with the same key (the loser of the
    // race loads the winner's). The file is PEM PKCS#8 ("-----BEGIN PRIVATE KEY-----"), so
    // `openssl pkey -in identity.pem -pubout` shows the public key. A file that exists but cannot
    // be read or parsed is never overwritten: throws IdentityError naming the file.
    static Identity LoadOrCreate(const std::filesystem::path& file);

    ~Identity();
    Identity(const Identity&) = default;
    Identity& operator=(const Identity&) = default;
    Identity(Identity&&) = default;
    Identity& operator=(Identity&&) = default;

    const PublicKey& Public() const;

    // A pure Ed25519 signature of `message` (deterministic: same key and message, same bytes).
    Signature Sign(std::span<const std::uint8_t> message) const;

    // "SHA256:" followed by the first 16 bytes of SHA-256(public key) in standard base64 without
    // padding (22 characters), e.g. "SHA256:q0Vh5lJ8m1U0cS9mKd0PZg". Stable for a key.
    std::string Fingerprint() const;

    // Where the key lives; empty for Generate().
    const std::filesystem::path& File() const;

private:
    Identity() = default;

    std::array<std::uint8_t, 32> m_private{}; // the raw Ed25519 seed; wiped on destruction
    PublicKey m_public{};
    std::filesystem::path m_file;
};

// True when `signature` is `key`'s Ed25519 signature of `message`; false for anything else,
// including a public key that is not a valid curve point.
bool VerifySignature(const PublicKey& key, std::span<const std::uint8_t> message, const Signature& signature);

// 32 bytes from OpenSSL's RAND_bytes (for challenges); throws IdentityError if the RNG fails.
std::array<std::uint8_t, 32> RandomBytes32();

// 64 lowercase hex characters.
std::string PublicKeyHex(const PublicKey& key);

// Exactly 64 hex characters (either case) to a key; nullopt for anything else.
std::optional<PublicKey> PublicKeyFromHex(std::string_view hex);

// DefaultIdentityPath() (where the identity key lives by default) is declared in engine/paths.hpp.

} // namespace obrol::engine

// The identity key: Ed25519 through OpenSSL's EVP interface, and its PEM file, created so that
// racing processes agree on one key (temporary file, then a link that never replaces). Any thread.
#include "engine/identity.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace fs = std::filesystem;

namespace obrol::engine {

namespace {

template <auto Free>
struct Deleter
{
    template <class T>
    void operator()(T* pointer) const
    {
        Free(pointer);
    }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;

struct CloseFile
{
    void operator()(std::FILE* file) const { std::fclose(file); }
};

using PrivateKey = std::array<std::uint8_t, 32>;

// A key file larger than this is not one of ours (an Ed25519 PEM is about 120 bytes).
constexpr std::size_t MaxKeyFileBytes = 64 * 1024;

constexpr const char* StartOver = " It has been left as it is: restore it from a backup, or move it away to start over "
                                  "with a new identity (nicknames bound to the old key will then not accept you).";

// A path for messages: quoted, UTF-8 on every OS.
std::string Shown(const fs::path& path)
{
    const auto utf8 = path.u8string();
    return "\"" + std::string(utf8.begin(), utf8.end()) + "\"";
}

// The newest OpenSSL error, for messages; clears this thread's error queue.
std::string OpenSslReason()
{
    const unsigned long code = ERR_peek_last_error();
    char text[256] = {};
    if (code != 0)
        ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return code != 0 ? std::string(text) : std::string("unknown OpenSSL error");
}

std::string ErrnoText(int error)
{
    return std::generic_category().message(error);
}

std::string Hex(std::span<const std::uint8_t> bytes)
{
    static constexpr char Digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (const std::uint8_t byte : bytes)
    {
        hex.push_back(Digits[byte >> 4]);
        hex.push_back(Digits[byte & 0x0f]);
    }
    return hex;
}

int HexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Standard base64 alphabet, no padding.
std::string Base64NoPadding(std::span<const std::uint8_t> bytes)
{
    static constexpr char Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string text;
    std::uint32_t bits = 0;
    int count = 0;
    for (const std::uint8_t byte : bytes)
    {
        bits = (bits << 8) | byte;
        count += 8;
        while (count >= 6)
        {
            count -= 6;
            text.push_back(Alphabet[(bits >> count) & 0x3f]);
        }
    }
    if (count > 0)
        text.push_back(Alphabet[(bits << (6 - count)) & 0x3f]);
    return text;
}

PkeyPtr PrivateKeyFromRaw(const PrivateKey& raw)
{
    PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
    if (!key)
        throw IdentityError("OpenSSL cannot make an Ed25519 key: " + OpenSslReason());
    return key;
}

// False when `key` is not an Ed25519 private key.
bool ReadRawKeys(EVP_PKEY* key, PrivateKey& privateKey, PublicKey& publicKey)
{
    if (EVP_PKEY_id(key) != EVP_PKEY_ED25519)
        return false;
    std::size_t privateLength = privateKey.size();
    std::size_t publicLength = publicKey.size();
    const bool ok = EVP_PKEY_get_raw_private_key(key, privateKey.data(), &privateLength) == 1 &&
                    EVP_PKEY_get_raw_public_key(key, publicKey.data(), &publicLength) == 1 &&
                    privateLength == privateKey.size() && publicLength == publicKey.size();
    ERR_clear_error();
    return ok;
}

// Never asks for a passphrase (OpenSSL's default would prompt on the terminal): encrypted keys fail.
int NoPassphrase(char*, int, int, void*)
{
    return -1;
}

bool ParsePem(const std::string& text, PrivateKey& privateKey, PublicKey& publicKey)
{
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
    ERR_clear_error();
    return key && ReadRawKeys(key.get(), privateKey, publicKey);
}

std::string PemOf(const PrivateKey& privateKey)
{
    PkeyPtr key = PrivateKeyFromRaw(privateKey);
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw IdentityError("OpenSSL cannot write the identity key as PEM: " + OpenSslReason());
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    std::string pem(data, static_cast<std::size_t>(length));
    OPENSSL_cleanse(data, static_cast<std::size_t>(length));
    return pem;
}

// [SECTION] The key file

std::FILE* OpenForReading(const fs::path& file)
{
#ifdef _WIN32
    return _wfopen(file.c_str(), L"rb");
#else
    return std::fopen(file.c_str(), "rb");
#endif
}

// Reads and parses the key at `file`. False when there is no file; throws IdentityError when
// there is one that cannot be used.
bool LoadKey(const fs::path& file, PrivateKey& privateKey, PublicKey& publicKey)
{
    std::error_code ec;
    const fs::file_status status = fs::status(file, ec);
    if (status.type() == fs::file_type::not_found)
        return false;
    if (ec)
        throw IdentityError("Cannot reach the identity key file " + Shown(file) + " (" + ec.message() +
                            "). Check the folders on its path and their permissions.");
    if (status.type() == fs::file_type::directory)
        throw IdentityError("The identity key file " + Shown(file) +
                            " is a folder. Move it away so that a key file can be created there.");
    if (status.type() != fs::file_type::regular)
        throw IdentityError("The identity key file " + Shown(file) +
                            " is not a regular file. Move it away so that a key file can be created there.");

    std::unique_ptr<std::FILE, CloseFile> stream(OpenForReading(file));
    if (!stream)
        throw IdentityError("Cannot open the identity key file " + Shown(file) + " (" + ErrnoText(errno) +
                            "). Make it readable by you (on Linux and macOS: chmod 600), or move it away to start "
                            "over with a new identity (nicknames bound to the old key will then not accept you).");
    std::string text(MaxKeyFileBytes + 1, '\0');
    const std::size_t length = std::fread(text.data(), 1, text.size(), stream.get());
    const bool failed = std::ferror(stream.get()) != 0;
    const int error = errno;
    text.resize(length);
    if (failed)
        throw IdentityError("Cannot read the identity key file " + Shown(file) + " (" + ErrnoText(error) + ")." +
                            StartOver);
    if (text.empty())
        throw IdentityError("The identity key file " + Shown(file) + " is empty." + StartOver);
    const bool parsed = text.size() <= MaxKeyFileBytes && ParsePem(text, privateKey, publicKey);
    OPENSSL_cleanse(text.data(), text.size());
    if (!parsed)
        throw IdentityError("The identity key file " + Shown(file) +
                            " does not hold an unencrypted Ed25519 private key in PEM form." + StartOver);
    return true;
}

// Makes the missing folders of `dir`, each readable by its owner only.
void MakeFolders(const fs::path& dir)
{
    std::error_code ec;
    if (dir.empty() || fs::is_directory(dir, ec))
        return;
    if (dir.parent_path() != dir)
        MakeFolders(dir.parent_path());
#ifdef _WIN32
    if (!fs::create_directory(dir, ec) && ec)
        throw IdentityError("Cannot create the folder " + Shown(dir) + " for the identity key (" + ec.message() + ").");
#else
    if (::mkdir(dir.c_str(), 0700) == 0)
        (void)::chmod(dir.c_str(), 0700); // exactly 0700, whatever the umask
    else if (errno != EEXIST)
        throw IdentityError("Cannot create the folder " + Shown(dir) + " for the identity key (" + ErrnoText(errno) +
                            ").");
#endif
}

std::string CannotSave(const fs::path& file, const std::string& reason)
{
    return "Cannot save a new identity key to " + Shown(file) + " (" + reason +
           "). Check that its folder is writable and the disk is not full.";
}

// Writes `bytes` to a new file `temp` (0600), synced to the disk. Throws IdentityError.
void WriteNewFile(const fs::path& temp, const fs::path& file, const std::string& bytes)
{
#ifdef _WIN32
    const int fd = _wopen(temp.c_str(), _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY, _S_IREAD | _S_IWRITE);
#else
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
#endif
    if (fd < 0)
        throw IdentityError(CannotSave(file, ErrnoText(errno)));
    int error = 0;
#ifndef _WIN32
    if (::fchmod(fd, 0600) != 0) // exactly 0600, whatever the umask
        error = errno;
#endif
    std::size_t done = 0;
    while (error == 0 && done < bytes.size())
    {
#ifdef _WIN32
        const int wrote = _write(fd, bytes.data() + done, static_cast<unsigned>(bytes.size() - done));
#else
        const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
#endif
        if (wrote > 0)
            done += static_cast<std::size_t>(wrote);
        else if (wrote == 0 || errno != EINTR)
            error = wrote == 0 ? EIO : errno;
    }
#ifdef _WIN32
    if (error == 0 && _commit(fd) != 0)
        error = errno;
    if (_close(fd) != 0 && error == 0)
        error = errno;
#else
    if (error == 0 && ::fsync(fd) != 0)
        error = errno;
    if (::close(fd) != 0 && error == 0)
        error = errno;
#endif
    if (error != 0)
    {
        std::error_code ignored;
        fs::remove(temp, ignored);
        throw IdentityError(CannotSave(file, ErrnoText(error)));
    }
}

// Gives the complete file `temp` the name `file` unless `file` exists, atomically: a reader never
// sees half a key, and a key that is already there is never replaced. False when `file` existed.
bool PublishWithoutReplacing(const fs::path& temp, const fs::path& file)
{
#ifdef _WIN32
    if (MoveFileExW(temp.c_str(), file.c_str(), MOVEFILE_WRITE_THROUGH))
        return true;
    const DWORD error = GetLastError();
    if (error == ERROR_ALREADY_EXISTS || error == ERROR_FILE_EXISTS)
        return false;
    throw IdentityError(CannotSave(file, std::system_category().message(static_cast<int>(error))));
#else
    if (::link(temp.c_str(), file.c_str()) == 0)
        return true;
    int error = errno;
    if (error == EEXIST)
        return false;
#if defined(__linux__) && defined(RENAME_NOREPLACE)
    // Folders without hard links (FAT, some network shares): a rename that refuses to replace.
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, file.c_str(), RENAME_NOREPLACE) == 0)
        return true;
    error = errno;
    if (error == EEXIST)
        return false;
#endif
    throw IdentityError(CannotSave(file, ErrnoText(error)));
#endif
}

// Best effort: makes the new name in `dir` durable (POSIX; NTFS journals it already).
void SyncFolder(const fs::path& dir)
{
#ifndef _WIN32
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
    {
        (void)::fsync(fd);
        ::close(fd);
    }
#else
    (void)dir;
#endif
}

// Saves `pem` as `file` unless a key file appeared there first. False when one did.
bool SaveNewKey(const fs::path& file, const std::string& pem)
{
    const fs::path dir = file.parent_path();
    MakeFolders(dir);
    const auto random = RandomBytes32();
    fs::path temp = file;
    temp += ".tmp-" + Hex(std::span(random).first(8));
    WriteNewFile(temp, file, pem);
    bool published = false;
    try
    {
        published = PublishWithoutReplacing(temp, file);
    }
    catch (...)
    {
        std::error_code ignored;
        fs::remove(temp, ignored);
        throw;
    }
    std::error_code ignored;
    fs::remove(temp, ignored); // after link() the key has two names; the rename paths left none
    if (published)
        SyncFolder(dir);
    return published;
}

} // namespace

// [SECTION] Identity

Identity Identity::Generate()
{
    PkeyCtxPtr context(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
    EVP_PKEY* generated = nullptr;
    if (!context || EVP_PKEY_keygen_init(context.get()) != 1 || EVP_PKEY_keygen(context.get(), &generated) != 1)
        throw IdentityError("OpenSSL cannot generate an Ed25519 key: " + OpenSslReason());
    PkeyPtr key(generated);
    Identity identity;
    if (!ReadRawKeys(key.get(), identity.m_private, identity.m_public))
        throw IdentityError("OpenSSL cannot export the new Ed25519 key");
    return identity;
}

Identity Identity::LoadOrCreate(const fs::path& file)
{
    if (file.filename().empty())
        throw IdentityError("The identity key path " + Shown(file) + " names a folder, not a file.");
    Identity identity;
    identity.m_file = file;
    if (LoadKey(file, identity.m_private, identity.m_public))
        return identity;

    const Identity created = Generate();
    std::string pem = PemOf(created.m_private);
    bool saved = false;
    try
    {
        saved = SaveNewKey(file, pem);
    }
    catch (...)
    {
        OPENSSL_cleanse(pem.data(), pem.size());
        throw;
    }
    OPENSSL_cleanse(pem.data(), pem.size());
    if (saved)
    {
        identity.m_private = created.m_private;
        identity.m_public = created.m_public;
        return identity;
    }
    // Another process (or thread) created the file first: its key is the one to use.
    if (!LoadKey(file, identity.m_private, identity.m_public))
        throw IdentityError("The identity key file " + Shown(file) +
                            " disappeared while it was being created. Try again.");
    return identity;
}

Identity::~Identity()
{
    OPENSSL_cleanse(m_private.data(), m_private.size());
}

const PublicKey& Identity::Public() const
{
    return m_public;
}

Signature Identity::Sign(std::span<const std::uint8_t> message) const
{
    static constexpr std::uint8_t Nothing = 0;
    PkeyPtr key = PrivateKeyFromRaw(m_private);
    MdCtxPtr context(EVP_MD_CTX_new());
    Signature signature{};
    std::size_t length = signature.size();
    if (!context || EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
        EVP_DigestSign(context.get(), signature.data(), &length, message.empty() ? &Nothing : message.data(),
                       message.size()) != 1 ||
        length != signature.size())
        throw IdentityError("OpenSSL cannot sign with the identity key: " + OpenSslReason());
    return signature;
}

std::string Identity::Fingerprint() const
{
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(m_public.data(), m_public.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 || length < 16)
        throw IdentityError("OpenSSL cannot hash the public key: " + OpenSslReason());
    return "SHA256:" + Base64NoPadding(std::span(digest).first(16));
}

const fs::path& Identity::File() const
{
    return m_file;
}

// [SECTION] Free functions

bool VerifySignature(const PublicKey& key, std::span<const std::uint8_t> message, const Signature& signature)
{
    static constexpr std::uint8_t Nothing = 0;
    PkeyPtr publicKey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
    MdCtxPtr context(EVP_MD_CTX_new());
    const bool valid = publicKey && context &&
                       EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, publicKey.get()) == 1 &&
                       EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                                        message.empty() ? &Nothing : message.data(), message.size()) == 1;
    ERR_clear_error();
    return valid;
}

std::array<std::uint8_t, 32> RandomBytes32()
{
    std::array<std::uint8_t, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw IdentityError("The random number generator failed: " + OpenSslReason());
    return bytes;
}

std::string PublicKeyHex(const PublicKey& key)
{
    return Hex(key);
}

std::optional<PublicKey> PublicKeyFromHex(std::string_view hex)
{
    PublicKey key{};
    if (hex.size() != key.size() * 2)
        return std::nullopt;
    for (std::size_t i = 0; i < key.size(); ++i)
    {
        const int high = HexDigit(hex[2 * i]);
        const int low = HexDigit(hex[2 * i + 1]);
        if (high < 0 || low < 0)
            return std::nullopt;
        key[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return key;
}

} // namespace obrol::engine

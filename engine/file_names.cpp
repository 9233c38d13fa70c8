#include "engine/file_names.hpp"

#include "engine/image.hpp"
#include "engine/utf8.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <stdexcept>

namespace obrol::engine {

// [SECTION] Names

static bool IsReservedDevice(std::string_view stem)
{
    std::string upper(stem);
    for (char& c : upper)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    if (upper == "CON" || upper == "PRN" || upper == "AUX" || upper == "NUL" || upper == "CONIN$" || upper == "CONOUT$")
        return true;
    return upper.size() == 4 && (upper.starts_with("COM") || upper.starts_with("LPT")) && upper[3] >= '0' &&
           upper[3] <= '9';
}

// Cuts `text` to at most `bytes` bytes without splitting a UTF-8 sequence.
static std::string CutUtf8(const std::string& text, std::size_t bytes)
{
    if (text.size() <= bytes)
        return text;
    std::size_t end = 0;
    for (std::size_t i = 0; i < text.size();)
    {
        std::size_t next = i;
        NextCodepoint(text, next);
        if (next > bytes)
            break;
        end = i = next;
    }
    return text.substr(0, end);
}

std::string SanitizeFileName(std::string_view raw)
{
    // the last component after either kind of separator
    const std::size_t slash = raw.find_last_of("/\\");
    std::string_view last = slash == std::string_view::npos ? raw : raw.substr(slash + 1);

    std::string name;
    for (std::size_t i = 0; i < last.size();)
    {
        const std::size_t start = i;
        const char32_t cp = NextCodepoint(last, i);
        const bool invalid = cp == 0xFFFD && i - start != 3;
        if (invalid || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == '<' || cp == '>' || cp == ':' ||
            cp == '"' || cp == '|' || cp == '?' || cp == '*' || cp == 0x202E /* right-to-left override */)
            name += '_';
        else
            name.append(last.substr(start, i - start));
    }
    while (!name.empty() && (name.back() == '.' || name.back() == ' '))
        name.pop_back();
    while (!name.empty() && name.front() == ' ')
        name.erase(name.begin());
    if (!name.empty() && name.front() == '.')
        name.front() = '_'; // no hidden files (and no "." or "..")
    if (name.empty())
        name = "file";

    const std::size_t dot = name.rfind('.');
    std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
    std::string ext = dot == std::string::npos || dot == 0 ? std::string() : name.substr(dot);
    if (IsReservedDevice(stem))
        stem = "_" + stem;
    constexpr std::size_t MaxBytes = 200;
    if (ext.size() > 32)
    {
        stem += ext;
        ext.clear();
    }
    stem = CutUtf8(stem, MaxBytes - ext.size());
    if (stem.empty())
        stem = "file";
    return stem + ext;
}

std::filesystem::path UniquePath(const std::filesystem::path& dir, const std::string& name)
{
    const std::filesystem::path plain = dir / std::filesystem::u8path(name);
    std::error_code ec;
    if (!std::filesystem::exists(plain, ec))
        return plain;
    const std::size_t dot = name.rfind('.');
    const std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
    const std::string ext = dot == std::string::npos || dot == 0 ? std::string() : name.substr(dot);
    for (int n = 1;; ++n)
    {
        const std::filesystem::path candidate = dir / std::filesystem::u8path(stem + " (" + std::to_string(n) + ")" + ext);
        if (!std::filesystem::exists(candidate, ec))
            return candidate;
    }
}

static std::filesystem::path Env(const char* name)
{
    const char* value = std::getenv(name);
    return value && *value ? std::filesystem::path(value) : std::filesystem::path();
}

std::filesystem::path DefaultDownloadsDir()
{
#if defined(_WIN32)
    if (auto profile = Env("USERPROFILE"); !profile.empty())
        return profile / "Downloads" / "Obrol";
    return std::filesystem::path("Downloads") / "Obrol";
#else
#if !defined(__APPLE__)
    if (auto xdg = Env("XDG_DOWNLOAD_DIR"); !xdg.empty())
        return xdg / "Obrol";
#endif
    if (auto home = Env("HOME"); !home.empty())
        return home / "Downloads" / "Obrol";
    return std::filesystem::path("Downloads") / "Obrol";
#endif
}

// [SECTION] Types

std::string MimeType(std::string_view name, std::span<const std::uint8_t> head)
{
    switch (SniffImageFormat(head))
    {
    case ImageFormat::Png: return "image/png";
    case ImageFormat::Jpeg: return "image/jpeg";
    case ImageFormat::Gif: return "image/gif";
    case ImageFormat::Bmp: return "image/bmp";
    case ImageFormat::Unknown: break;
    }
    const std::size_t dot = name.find_last_of('.');
    if (dot == std::string_view::npos)
        return "application/octet-stream";
    std::string ext(name.substr(dot + 1));
    for (char& c : ext)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    static const std::pair<const char*, const char*> known[] = {
        {"txt", "text/plain"},         {"md", "text/markdown"},       {"csv", "text/csv"},
        {"html", "text/html"},         {"htm", "text/html"},          {"json", "application/json"},
        {"pdf", "application/pdf"},    {"zip", "application/zip"},    {"gz", "application/gzip"},
        {"tar", "application/x-tar"},  {"7z", "application/x-7z-compressed"},
        {"mp3", "audio/mpeg"},         {"ogg", "audio/ogg"},          {"wav", "audio/wav"},
        {"flac", "audio/flac"},        {"mp4", "video/mp4"},          {"webm", "video/webm"},
        {"mkv", "video/x-matroska"},   {"svg", "image/svg+xml"},      {"webp", "image/webp"},
        {"doc", "application/msword"}, {"odt", "application/vnd.oasis.opendocument.text"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    };
    for (const auto& [e, type] : known)
        if (ext == e)
            return type;
    return "application/octet-stream";
}

// [SECTION] SHA-256

struct Sha256::State
{
    EVP_MD_CTX* ctx = nullptr;
    ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m_state(std::make_unique<State>())
{
    m_state->ctx = EVP_MD_CTX_new();
    if (!m_state->ctx || EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 is not available from OpenSSL");
}

Sha256::~Sha256() = default;

void Sha256::Update(std::span<const std::uint8_t> bytes)
{
    if (!bytes.empty())
        EVP_DigestUpdate(m_state->ctx, bytes.data(), bytes.size());
}

std::array<std::uint8_t, 32> Sha256::Finish()
{
    std::array<std::uint8_t, 32> digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_state->ctx, digest.data(), &length);
    return digest;
}

std::string Sha256::Hex(const std::array<std::uint8_t, 32>& digest)
{
    static const char* const digits = "0123456789abcdef";
    std::string hex;
    hex.reserve(64);
    for (std::uint8_t b : digest)
    {
        hex += digits[b >> 4];
        hex += digits[b & 15];
    }
    return hex;
}

} // namespace obrol::engine

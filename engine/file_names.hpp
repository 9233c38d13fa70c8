// Safe local names for files that arrive from the network, the downloads folder, and
// streaming SHA-256. Pure apart from the filesystem checks; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace obrol::engine {

// A file name that is safe to create in a folder on Windows, macOS and Linux: only the last
// path component is kept (no separators, no traversal), control and reserved characters
// become '_', no leading dot (hidden files), no trailing dots or spaces, no reserved device
// names (CON, NUL, COM1, ...), at most 200 bytes with the extension kept, never empty.
std::string SanitizeFileName(std::string_view name);

// `dir / name`, or "name (1).ext", "name (2).ext", ... when taken: never overwrites.
std::filesystem::path UniquePath(const std::filesystem::path& dir, const std::string& name);

// Where received files go: <Downloads>/Obrol (XDG_DOWNLOAD_DIR or ~/Downloads on Linux,
// %USERPROFILE%\Downloads on Windows, ~/Downloads on macOS).
std::filesystem::path DefaultDownloadsDir();

// A MIME type for a file: from its first bytes for the image formats Obrol previews (never
// trusting the name), else from its extension, else application/octet-stream.
std::string MimeType(std::string_view name, std::span<const std::uint8_t> head);

// Streaming SHA-256 (OpenSSL EVP): feed any number of chunks, then Finish once.
class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void Update(std::span<const std::uint8_t> bytes);
    std::array<std::uint8_t, 32> Finish();

    static std::string Hex(const std::array<std::uint8_t, 32>& digest);

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace obrol::engine

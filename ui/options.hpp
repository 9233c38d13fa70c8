// Command-line flags (CLI11). Parsed once on the main thread.
#pragma once

#include "net/client.hpp"
#include "net/server.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace obrol::ui {

struct Options
{
    bool server = false;
    bool client = false;
    bool headless = false;
    bool json = false;
    std::string bind = "0.0.0.0";
    std::string host = "127.0.0.1";
    std::uint16_t port = 55000;
    std::string nick;
    std::string serverName = "Obrol";
    unsigned heartbeatSeconds = 15;
    unsigned idleTimeoutSeconds = 45;
    std::size_t maxClients = 1000;
    std::size_t maxQueueKiB = 8192;
    std::string dataDir;            // server: archive folder ("" = the per-OS default)
    bool noArchive = false;         // server: keep nothing on disk
    std::size_t historyLimit = 100; // server: messages a joining client gets
    std::uint64_t maxFileBytes = net::DefaultMaxFileBytes; // server: larger files are refused (0: no files)
    bool noReconnect = false;       // client: give up when the connection is lost
    std::string downloadsDir;       // client: where received files go ("" = the per-OS default)
    std::uint64_t autoDownloadBytes = std::uint64_t{10} << 20; // client: fetch smaller files without a click (0: never)
    std::vector<std::string> send;  // lines the client sends once joined
    std::string identityFile;       // client: the identity key file ("" = engine::DefaultIdentityPath())
    std::shared_ptr<const engine::Identity> identity; // client: loaded once at start (LoadIdentity)
    std::string screenshot;         // save the framebuffer as PNG after `frames` frames, then exit
    int frames = 60;
    int width = 1280;
    int height = 760;
    float fontSize = 16.0f;
};

struct ParseResult
{
    std::optional<Options> options; // empty: exit with `exitCode` (help, version, or bad flags)
    int exitCode = 0;
};

ParseResult ParseOptions(int argc, char** argv);

// Endpoint settings from the flags (one place for the console and the window).
net::ServerConfig ServerConfigFrom(const Options& options, const std::string& bind, std::uint16_t port);
net::ClientConfig ClientConfigFrom(const Options& options, const std::string& host, std::uint16_t port,
                                   const std::string& nick);
// "/send PATH [NICK]" arguments: PATH may be quoted; unquoted, the whole rest is the path when
// such a file exists, else the last word is the nickname. Returns {path, nick}.
std::pair<std::string, std::string> SplitSendArgs(const std::string& rest);

// Loads the client's identity key from --identity (creating it the first time) into
// options.identity. On failure prints why (naming the file) to stderr and returns false.
bool LoadIdentity(Options& options);

// Where the client saves received files.
std::filesystem::path DownloadsDirFrom(const Options& options);

// True when a display is available for the GUI (X11/Wayland on Linux; always on Windows/macOS).
bool HasDisplay();

} // namespace obrol::ui

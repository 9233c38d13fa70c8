#include "ui/options.hpp"

#include "ui/console.hpp"

#include "engine/file_names.hpp"
#include "engine/paths.hpp"
#include "engine/units.hpp"
#include "engine/utf8.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>

namespace obrol::ui {

net::ServerConfig ServerConfigFrom(const Options& o, const std::string& bind, std::uint16_t port)
{
    net::ServerConfig config;
    config.bind = bind;
    config.port = port;
    config.name = o.serverName;
    config.maxClients = o.maxClients;
    config.limits.heartbeat = std::chrono::seconds(o.heartbeatSeconds);
    config.limits.idleTimeout = std::chrono::seconds(o.idleTimeoutSeconds);
    config.limits.maxQueuedBytes = o.maxQueueKiB * 1024;
    config.historyLimit = o.historyLimit;
    config.maxFileBytes = o.maxFileBytes;
    if (!o.noArchive)
        config.dataDir = o.dataDir.empty() ? engine::DefaultDataDir() : std::filesystem::path(o.dataDir);
    return config;
}

net::ClientConfig ClientConfigFrom(const Options& o, const std::string& host, std::uint16_t port, const std::string& nick)
{
    net::ClientConfig config;
    config.host = host;
    config.port = port;
    config.nick = nick;
    config.limits.heartbeat = std::chrono::seconds(o.heartbeatSeconds);
    config.limits.idleTimeout = std::chrono::seconds(o.idleTimeoutSeconds);
    config.reconnect = !o.noReconnect;
    config.identity = o.identity;
    return config;
}

bool LoadIdentity(Options& o)
{
    try
    {
        const std::filesystem::path file = o.identityFile.empty() ? engine::DefaultIdentityPath() : std::filesystem::path(o.identityFile);
        o.identity = std::make_shared<const engine::Identity>(engine::Identity::LoadOrCreate(file));
        return true;
    }
    catch (const engine::IdentityError& e)
    {
        std::cerr << "obrol: " << e.what() << "\n";
        if (o.headless && o.json) // scripts read stdout: the run ends with an `ended` line as always
            std::cout << "{\"event\":\"ended\",\"reason\":\"identity\",\"text\":" << JsonString(e.what())
                      << ",\"exit\":1}" << std::endl;
        return false;
    }
}

std::filesystem::path DownloadsDirFrom(const Options& o)
{
    return o.downloadsDir.empty() ? engine::DefaultDownloadsDir() : std::filesystem::path(o.downloadsDir);
}

std::pair<std::string, std::string> SplitSendArgs(const std::string& rest)
{
    if (!rest.empty() && rest[0] == '"')
    {
        const auto close = rest.find('"', 1);
        if (close == std::string::npos)
            return {rest.substr(1), {}};
        std::string nick = rest.substr(close + 1);
        nick.erase(0, std::min(nick.size(), nick.find_first_not_of(' ')));
        return {rest.substr(1, close - 1), nick};
    }
    std::error_code ec;
    const auto space = rest.rfind(' ');
    if (std::filesystem::exists(rest, ec) || space == std::string::npos)
        return {rest, {}};
    return {rest.substr(0, space), rest.substr(space + 1)};
}

bool HasDisplay()
{
#if defined(_WIN32) || defined(__APPLE__)
    return true;
#else
    const char* x = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    return (x && *x) || (wayland && *wayland);
#endif
}

// A CLI11 transform: "1.5GiB" -> "1610612736"; an error message otherwise.
static std::string SizeTransform(std::string& text)
{
    const auto bytes = engine::ParseSize(text);
    if (!bytes)
        return "\"" + text + "\" is not a size (examples: 0, 2048, 500KiB, 10MiB, 1.5GiB)";
    text = std::to_string(*bytes);
    return {};
}

ParseResult ParseOptions(int argc, char** argv)
{
    Options o;
    CLI::App app{"Obrol: small-group chat for a LAN or the internet.\n"
                 "  obrol --server               host a chat (GUI, or --headless)\n"
                 "  obrol --client --nick NAME   join one\n"
                 "  obrol --server --client      host and join in one window",
                 "obrol"};
    app.get_formatter()->column_width(34);
    app.set_version_flag("--version", std::string("obrol ") + OBROL_VERSION);

    app.add_flag("--server", o.server, "Host a chat server");
    app.add_flag("--client", o.client, "Join a chat server");
    app.add_flag("--headless", o.headless,
                 "No window: the server logs to stdout and reads admin commands from stdin; the client reads "
                 "lines from stdin and prints one line per event");
    app.add_flag("--json", o.json, "Headless client: print events as JSON lines (see README)");
    app.add_option("--bind", o.bind, "Server: address to listen on (0.0.0.0: every network)")->capture_default_str();
    app.add_option("--host", o.host, "Client: server to join")->capture_default_str();
    app.add_option("--port", o.port, "Server: port to listen on; client: port to join (0: any free port, server only)")
        ->capture_default_str();
    app.add_option("--nick", o.nick, "Client: your nickname (1-32 characters, no spaces, not starting with #; the first identity key to use it owns it)");
    app.add_option("--name", o.serverName, "Server: name shown to clients")->capture_default_str();
    app.add_option("--heartbeat", o.heartbeatSeconds, "Seconds of silence before a heartbeat is sent")
        ->capture_default_str()->check(CLI::Range(1, 3600));
    app.add_option("--idle-timeout", o.idleTimeoutSeconds, "Server: drop a client silent for this many seconds")
        ->capture_default_str()->check(CLI::Range(2, 86400));
    app.add_option("--max-clients", o.maxClients, "Server: most clients at once")->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--max-queue", o.maxQueueKiB, "Server: KiB queued for one client before it is cut off as too slow")
        ->capture_default_str()->check(CLI::Range(256, 1 << 20));
    app.add_option("--data", o.dataDir, "Server: folder for archive.db, chat_log.txt and files/ (default: " +
                                            engine::DefaultDataDir().string() + ")");
    app.add_flag("--no-archive", o.noArchive, "Server: store nothing (no history, search or resume)");
    app.add_option("--history", o.historyLimit, "Server: recent messages a joining client receives")
        ->capture_default_str()->check(CLI::Range(0, 1000));
    app.add_option("--max-file-size", o.maxFileBytes,
                   "Server: largest file accepted, e.g. 1GiB, 500MiB, 0 = no files (default 1GiB)")
        ->transform(CLI::Validator(SizeTransform, "SIZE"));
    app.add_option("--downloads", o.downloadsDir,
                   "Client: folder for received files (default: " + engine::DefaultDownloadsDir().string() + ")");
    app.add_option("--auto-download", o.autoDownloadBytes,
                   "Client: download files up to this size without asking, e.g. 10MiB, 0 = never (default 10MiB)")
        ->transform(CLI::Validator(SizeTransform, "SIZE"));
    app.add_option("--identity", o.identityFile,
                   "Client: your identity key, made on first use; it proves the nicknames you own (default: " +
                       engine::DefaultIdentityPath().string() + ")");
    app.add_flag("--no-reconnect", o.noReconnect, "Client: do not reconnect by itself when the connection is lost");
    app.add_option("--send", o.send,
                   "Client: send this line once joined (repeatable; /join #room, /msg NICK text, /send PATH [NICK]; plain lines go to the room joined last)")->allow_extra_args(false);
    app.add_option("--screenshot", o.screenshot, "GUI: save the window as a PNG after --frames frames, then exit");
    app.add_option("--frames", o.frames, "GUI: frames to draw before --screenshot")->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--width", o.width, "GUI: window width")->capture_default_str()->check(CLI::Range(320, 16384));
    app.add_option("--height", o.height, "GUI: window height")->capture_default_str()->check(CLI::Range(240, 16384));
    app.add_option("--font-size", o.fontSize, "GUI: font size in points before HiDPI scaling")->capture_default_str()
        ->check(CLI::Range(8.0f, 48.0f));

    try
    {
        app.parse(argc, argv);
    }
    catch (const CLI::ParseError& e)
    {
        // --help and --version exit 0; every flag error exits 1 (CLI11's own codes vary)
        return ParseResult{std::nullopt, app.exit(e) == 0 ? 0 : 1};
    }

    if (!o.server && !o.client)
    {
        std::cerr << "obrol: choose --server, --client, or both (see obrol --help)\n";
        return ParseResult{std::nullopt, 1};
    }
    if (o.json && !(o.client && o.headless))
    {
        std::cerr << "obrol: --json is for the headless client (--client --headless)\n";
        return ParseResult{std::nullopt, 1};
    }
    if (o.headless && o.server && o.client)
    {
        std::cerr << "obrol: --headless runs either --server or --client, not both\n";
        return ParseResult{std::nullopt, 1};
    }
    if (o.client && o.headless && o.nick.empty())
    {
        std::cerr << "obrol: the headless client needs --nick NAME\n";
        return ParseResult{std::nullopt, 1};
    }
    if (!o.nick.empty())
        if (std::string problem = engine::NicknameProblem(o.nick); !problem.empty())
        {
            std::cerr << "obrol: --nick \"" << o.nick << "\": " << problem << "\n";
            return ParseResult{std::nullopt, 1};
        }
    if (!o.nick.empty() && o.nick[0] == '#')
    {
        std::cerr << "obrol: --nick \"" << o.nick << "\": a nickname cannot start with '#' (that marks rooms)\n";
        return ParseResult{std::nullopt, 1};
    }
    if (o.client && !o.server && o.port == 0)
    {
        std::cerr << "obrol: the client needs a --port to join (1-65535)\n";
        return ParseResult{std::nullopt, 1};
    }
    if (o.server && o.idleTimeoutSeconds <= o.heartbeatSeconds)
    {
        std::cerr << "obrol: --idle-timeout must be longer than --heartbeat\n";
        return ParseResult{std::nullopt, 1};
    }
    return ParseResult{o, 0};
}

} // namespace obrol::ui

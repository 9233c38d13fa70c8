// GUI tests for files in the window: a file message's preview drawn inline, a download in
// progress drawn as a progress bar, the image viewer, and files dropped on the window. The
// GuiApp joins a FAKE server run by the test (raw protocol on its own thread), so what the
// window shows is fixed: a thumbnail of a known picture, a download that stops at 40 % and
// stays there. Main thread only for the window (see test_gui.cpp).
#include "engine/event_queue.hpp"
#include "engine/file_names.hpp"
#include "engine/gfx/window.hpp"
#include "gui/gui_app_support.hpp"
#include "engine/image.hpp"
#include "net/protocol.hpp"
#include "ui/gui_app.hpp"
#include "ui/model/client_model.hpp"
#include "ui/options.hpp"
#include "ui/panels/chat_view.hpp"
#include "ui/panels/theme.hpp"

#include <GLFW/glfw3.h>
#include <asio.hpp>
#include <doctest/doctest.h>
#include <imgui.h>
#include <stb/stb_image.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace obrol::test {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto WaitTimeout = 15s; // llvmpipe on a loaded box is slow; a passing run never gets close

// [SECTION] Pixels (Image and the rest in gui_support.hpp)

constexpr Rgb8 Magenta{255, 0, 255}; // the picture
constexpr Rgb8 Green{0, 255, 0};     // a band across its upper part: shows which way up it is drawn
constexpr Rgb8 BarTrack{0xc8, 0xdc, 0xe0};                  // chat_view.cpp: the progress bar's track
constexpr Rgb8 BarFill = FromImU32(ui::theme::Frame);        // its fill on a received row (#006c84)
static_assert(BarFill == Rgb8{0x00, 0x6c, 0x84});

// The progress bar as drawn on one pixel row: the fill (left) followed by the track (right).
struct Bar
{
    int y = -1;
    int x0 = 0, fillEnd = 0, x1 = 0; // bar [x0, x1), fill [x0, fillEnd)
    double Fraction() const { return x1 > x0 ? static_cast<double>(fillEnd - x0) / (x1 - x0) : 0.0; }
};

// Takes the row with the longest run of the track colour, then walks left from the run over at
// most two anti-aliased pixels and along the fill colour. Only the bar puts the two side by side
// (the fill colour is also the window's background, but no track is anywhere near it).
Bar FindBar(const Image& image)
{
    Bar best;
    for (int y = 0; y < image.Height(); ++y)
    {
        int run = 0;
        for (int x = 0; x <= image.Width(); ++x)
        {
            if (x < image.Width() && image.At(x, y) == BarTrack)
            {
                ++run;
                continue;
            }
            if (run > best.x1 - best.fillEnd)
            {
                const int trackStart = x - run;
                int fillEnd = trackStart;
                for (int skip = 0; skip < 2 && fillEnd > 0 && !(image.At(fillEnd - 1, y) == BarFill); ++skip)
                    --fillEnd;
                int fillStart = fillEnd;
                while (fillStart > 0 && image.At(fillStart - 1, y) == BarFill)
                    --fillStart;
                // no fill at all: the bar starts where the track does
                best = fillStart == fillEnd ? Bar{y, trackStart, trackStart, x} : Bar{y, fillStart, trackStart, x};
            }
            run = 0;
        }
    }
    return best;
}

// [SECTION] The window and the frame pump

std::unique_ptr<engine::Window> OpenFilesWindow() { return OpenWindow("Obrol GUI files test"); }

// What the host client holds, for a failed wait: its lines and transfers.
std::string FilesState(ui::GuiApp& app)
{
    std::ostringstream s;
    if (ui::ClientModel* client = app.Client())
    {
        s << "lines:";
        for (const ui::Line& line : client->Everyone().lines)
            s << " <" << line.from << "> " << line.text << (line.file ? " (file)" : "") << ";";
        s << " transfers:";
        for (const auto& [key, t] : client->Transfers())
            s << " " << t.status.name << " " << net::TransferStateName(t.status.state) << " " << t.status.done << "/"
              << t.status.size << (t.status.error.empty() ? "" : " (" + t.status.error + ")") << ";";
    }
    return s.str();
}

// The files suite's frames: the pointer ignored (no tooltips in screenshots), transfers in failures.
void SetUpPump(Pump& pump, ui::GuiApp& app)
{
    pump.IgnoreMouse();
    pump.AddState([&app] { return FilesState(app); });
}

// Screenshots every few frames until `good(image)` holds (textures come from a worker thread).
void ScreenshotUntil(Pump& pump, const std::string& path, const std::function<bool(const Image&)>& good,
                     const std::string& what)
{
    const auto deadline = Clock::now() + WaitTimeout;
    for (;;)
    {
        pump.Frames(3);
        pump.Screenshot(path);
        if (good(Image(path)))
            return;
        REQUIRE_MESSAGE(Clock::now() < deadline, "waiting (at most 15 s) until the screenshot shows " << what << "; "
                                                                                                       << pump.State());
    }
}

// [SECTION] Test files

std::vector<std::uint8_t> PicturePng(int width, int height)
{
    engine::DecodedImage image;
    image.width = width;
    image.height = height;
    image.rgba.reserve(static_cast<std::size_t>(width) * height * 4);
    for (int y = 0; y < height; ++y)
    {
        const bool band = y >= height * 15 / 100 && y < height * 35 / 100; // upper part only
        const Rgb8 c = band ? Green : Magenta;
        for (int x = 0; x < width; ++x)
            image.rgba.insert(image.rgba.end(), {c.r, c.g, c.b, 255});
    }
    return engine::EncodePng(image);
}

std::array<std::uint8_t, 32> Sha256Of(const std::vector<std::uint8_t>& bytes)
{
    engine::Sha256 sha;
    sha.Update(bytes);
    return sha.Finish();
}

// A fresh folder under the system temp folder, removed with everything in it at the end.
struct TempFolder
{
    explicit TempFolder(const std::string& name)
        : path(std::filesystem::temp_directory_path() /
               ("obrol-gui-files-" + name + "-" + std::to_string(static_cast<long long>(::getpid()))))
    {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempFolder()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path path;
};

// [SECTION] The fake server

constexpr std::uint64_t SunsetId = 101;
constexpr std::uint64_t VideoId = 102;
constexpr std::uint64_t VideoSize = std::uint64_t{8} << 20;
constexpr std::uint64_t VideoStall = (VideoSize * 2 + 4) / 5; // 40 %, rounded up to a whole byte
constexpr int ThumbWidth = 480, ThumbHeight = 320;            // what a real server makes (longest side 480)
constexpr int SunsetWidth = 1440, SunsetHeight = 960;

// Accepts one connection on 127.0.0.1 and plays a server by hand: Welcome and a history with two
// file messages; the sunset's thumbnail and file on request; the video's first 40 % on request,
// then nothing more (the connection stays open); uploads accepted, stored in memory and acked.
// Runs on its own thread; the test reads what it saw through the locked accessors.
class FakeServer
{
public:
    FakeServer()
        : m_sunset(PicturePng(SunsetWidth, SunsetHeight)), m_thumb(PicturePng(ThumbWidth, ThumbHeight))
    {
        Accept();
        m_thread = std::thread([this] { m_io.run(); });
    }
    ~FakeServer()
    {
        m_io.stop(); // the sockets close as they go
        m_thread.join();
    }
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    std::uint16_t Port() const { return m_port; }
    const std::vector<std::uint8_t>& SunsetPng() const { return m_sunset; }

    struct Upload
    {
        net::FileOffer offer;
        std::vector<std::uint8_t> bytes;
        std::optional<std::array<std::uint8_t, 32>> sha256; // from FileEnd
    };

    // Copies of what the client sent (any thread).
    std::vector<net::FileGet> FileGets() const
    {
        std::lock_guard lock(m_mutex);
        return m_fileGets;
    }
    std::vector<std::uint64_t> ThumbGets() const
    {
        std::lock_guard lock(m_mutex);
        return m_thumbGets;
    }
    std::vector<Upload> Uploads() const
    {
        std::lock_guard lock(m_mutex);
        return m_uploads;
    }
    std::string Error() const
    {
        std::lock_guard lock(m_mutex);
        return m_error;
    }

private:

    net::Chat FileMessage(std::uint64_t id, const std::string& name, net::FileInfo info) const
    {
        net::Chat chat;
        chat.id = id;
        chat.timeMs = m_startMs;
        chat.kind = net::ChatKind::Public;
        chat.from = "ana";
        chat.text = name;
        chat.file = std::move(info);
        return chat;
    }

    void Accept()
    {
        m_acceptor.async_accept(m_socket, [this](asio::error_code ec) {
            if (ec)
                return;
            m_acceptor.close(ec); // one client only
            Read();
        });
    }

    void Read()
    {
        m_socket.async_read_some(asio::buffer(m_buffer), [this](asio::error_code ec, std::size_t n) {
            if (ec)
                return;
            m_reader.Feed(std::span<const std::uint8_t>(m_buffer.data(), n));
            net::Message message;
            while (m_reader.Next(message))
                OnMessage(message);
            if (m_reader.Error() != net::DecodeError::None)
            {
                std::lock_guard lock(m_mutex);
                m_error = std::string("bad frame: ") + net::DecodeErrorName(m_reader.Error());
                return;
            }
            Read();
        });
    }

    // Blocking writes on the server thread: the client reads all the time, so they finish.
    void Send(const net::Message& message)
    {
        asio::error_code ec;
        asio::write(m_socket, asio::buffer(net::Encode(message)), ec);
    }

    void SendChunks(std::uint64_t id, const std::vector<std::uint8_t>& bytes, std::uint64_t from, std::uint64_t to)
    {
        for (std::uint64_t offset = from; offset < to;)
        {
            const std::uint64_t n = std::min<std::uint64_t>(net::FileChunkBytes, to - offset);
            net::FileChunk chunk;
            chunk.id = id;
            chunk.offset = offset;
            chunk.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                               bytes.begin() + static_cast<std::ptrdiff_t>(offset + n));
            Send(chunk);
            offset += n;
        }
    }

    void OnMessage(net::Message& message)
    {
        if (auto* hello = std::get_if<net::Hello>(&message))
        {
            net::Welcome welcome;
            welcome.nick = hello->nick;
            welcome.serverName = "fake";
            welcome.serverTimeMs = m_startMs;
            welcome.users = {"ana", hello->nick};
            Send(welcome);
            net::History history;
            history.reason = net::HistoryReason::Join;
            net::FileInfo sunset;
            sunset.size = m_sunset.size();
            sunset.mime = "image/png";
            sunset.sha256 = Sha256Of(m_sunset);
            sunset.thumbWidth = ThumbWidth;
            sunset.thumbHeight = ThumbHeight;
            sunset.imageWidth = SunsetWidth;
            sunset.imageHeight = SunsetHeight;
            net::FileInfo video;
            video.size = VideoSize;
            video.mime = "video/mp4";
            history.chats = {FileMessage(SunsetId, "sunset.png", sunset), FileMessage(VideoId, "video.mp4", video)};
            Send(history);
        }
        else if (auto* ping = std::get_if<net::Ping>(&message))
            Send(net::Pong{ping->token});
        else if (auto* thumb = std::get_if<net::ThumbGet>(&message))
        {
            {
                std::lock_guard lock(m_mutex);
                m_thumbGets.push_back(thumb->id);
            }
            Send(net::Thumb{thumb->id, thumb->id == SunsetId ? m_thumb : std::vector<std::uint8_t>{}});
        }
        else if (auto* get = std::get_if<net::FileGet>(&message))
        {
            {
                std::lock_guard lock(m_mutex);
                m_fileGets.push_back(*get);
            }
            Send(net::FileAccept{get->id, get->offset, net::TransferDirection::Download});
            if (get->id == SunsetId)
                SendChunks(SunsetId, m_sunset, get->offset, m_sunset.size());
            else if (get->id == VideoId && get->offset < VideoStall)
            {
                // all but the last chunk now; the last one once the client has stored the rest,
                // and a while later: the client reports progress at most every 100 ms, so a last
                // chunk right behind the others would stay unreported while the download stalls
                m_video.resize(VideoStall, 0x5a);
                const std::uint64_t last = VideoStall - 1 - (VideoStall - 1 - get->offset) % net::FileChunkBytes;
                m_videoHeld = last;
                SendChunks(VideoId, m_video, get->offset, last);
                if (last == get->offset)
                    SendLastVideoChunkSoon();
            }
        }
        else if (auto* progress = std::get_if<net::FileProgress>(&message))
        {
            if (progress->direction == net::TransferDirection::Download && progress->id == VideoId && m_videoHeld &&
                progress->received == *m_videoHeld)
                SendLastVideoChunkSoon();
        }
        else if (auto* offer = std::get_if<net::FileOffer>(&message))
        {
            {
                std::lock_guard lock(m_mutex);
                m_uploads.push_back(Upload{*offer, {}, {}});
            }
            Send(net::FileAccept{offer->id, 0});
        }
        else if (auto* chunk = std::get_if<net::FileChunk>(&message))
        {
            std::uint64_t received = 0;
            {
                std::lock_guard lock(m_mutex);
                for (Upload& up : m_uploads)
                    if (up.offer.id == chunk->id)
                    {
                        up.bytes.insert(up.bytes.end(), chunk->bytes.begin(), chunk->bytes.end());
                        received = up.bytes.size();
                    }
            }
            Send(net::FileProgress{chunk->id, net::TransferDirection::Upload, received});
        }
        else if (auto* end = std::get_if<net::FileEnd>(&message))
        {
            {
                std::lock_guard lock(m_mutex);
                for (Upload& up : m_uploads)
                    if (up.offer.id == end->id)
                        up.sha256 = end->sha256;
            }
            Send(net::Ack{end->id, 200 + end->id % 1000, m_startMs + 1000});
        }
    }

    void SendLastVideoChunkSoon()
    {
        const std::uint64_t from = *m_videoHeld;
        m_videoHeld.reset();
        m_timer.expires_after(250ms);
        m_timer.async_wait([this, from](asio::error_code ec) {
            if (!ec)
                SendChunks(VideoId, m_video, from, VideoStall); // then: nothing more, ever
        });
    }

    const std::int64_t m_startMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::vector<std::uint8_t> m_sunset;
    const std::vector<std::uint8_t> m_thumb;
    asio::io_context m_io;
    asio::executor_work_guard<asio::io_context::executor_type> m_work{m_io.get_executor()}; // runs until stopped
    asio::ip::tcp::acceptor m_acceptor{m_io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    const std::uint16_t m_port = m_acceptor.local_endpoint().port();
    asio::ip::tcp::socket m_socket{m_io};
    asio::steady_timer m_timer{m_io};
    std::array<std::uint8_t, 64 * 1024> m_buffer{};
    net::FrameReader m_reader;
    std::vector<std::uint8_t> m_video;
    std::optional<std::uint64_t> m_videoHeld; // where the held-back last chunk starts

    mutable std::mutex m_mutex; // guards what the test reads
    std::vector<net::FileGet> m_fileGets;
    std::vector<std::uint64_t> m_thumbGets;
    std::vector<Upload> m_uploads;
    std::string m_error;

    std::thread m_thread; // last: started once everything above exists
};

ui::Options FakeServerOptions(std::uint16_t port, const std::filesystem::path& downloads)
{
    ui::Options options;
    options.client = true;
    options.server = false;
    options.host = "127.0.0.1";
    options.port = port;
    options.nick = "bo";
    options.downloadsDir = downloads.string();
    options.autoDownloadBytes = 0; // nothing downloads unless the test asks
    options.noReconnect = true;
    return options;
}

const ui::TransferView* Download(ui::GuiApp& app, std::uint64_t id)
{
    return app.Client()->FindTransfer(net::TransferDirection::Download, id);
}

float PixelsPerPoint()
{
    const float k = ImGui::GetIO().DisplayFramebufferScale.x;
    return k > 0 ? k : 1.0f;
}

// The picture's size on screen, in framebuffer pixels, as the chat view fits the thumbnail.
std::pair<int, int> InlinePreviewPixels()
{
    net::FileInfo info;
    info.thumbWidth = ThumbWidth;
    info.thumbHeight = ThumbHeight;
    const float fs = ImGui::GetFontSize();
    const float scale = fs / 16.0f;
    const ImVec2 points = ui::PreviewSize(info, 240.0f * scale, scale);
    const float k = PixelsPerPoint();
    return {static_cast<int>(points.x * k), static_cast<int>(points.y * k)};
}

// The band's rows (15 %..35 % of the height) are green; the rest magenta.
constexpr double MagentaShare = 0.8;

} // namespace

// [SECTION] Tests

TEST_SUITE("gui")
{

TEST_CASE("a file message shows its preview inline and a download in progress shows a progress bar")
{
    TempFolder downloads("downloads");
    FakeServer server;
    auto window = OpenFilesWindow();
    {
        ui::GuiApp app(FakeServerOptions(server.Port(), downloads.path), window->GetWaker());
        Pump pump(*window, app);
        SetUpPump(pump, app);
        ui::ClientModel& client = *app.Client();
        pump.WaitUntil([&] { return client.State() == ui::ConnectionState::Connected; }, "the client is connected");
        pump.WaitUntil([&] { return client.FileLine(SunsetId) && client.FileLine(VideoId); }, "both file messages arrive");
        CHECK(client.Users().size() == 2);

        app.Download(VideoId);
        pump.WaitUntil(
            [&] {
                const ui::TransferView* t = Download(app, VideoId);
                return t && t->status.state == net::TransferStatus::State::Running && t->status.done == VideoStall;
            },
            "the video's download runs and stops at 40 %");
        CHECK(server.Error().empty());
        CHECK(Download(app, SunsetId) == nullptr); // nothing else downloads: autoDownloadBytes is 0
        // while a transfer is under way the window redraws by itself: its speed and time left
        // change (and fall to nothing in a stall) without any network event
        CHECK(app.IdleTimeout() <= 1.0);

        const auto [previewWidth, previewHeight] = InlinePreviewPixels();
        const auto previewPixels = static_cast<std::size_t>(previewWidth) * static_cast<std::size_t>(previewHeight);
        const std::string path = OutputPath("obrol-gui-files.png");
        ScreenshotUntil(pump, 
            path, [&](const Image& image) { return image.Count(Magenta) > previewPixels / 2; }, "the sunset's preview");
        pump.Frames(3); // and a little longer: the download must still sit at 40 %
        pump.Screenshot(path);
        MESSAGE("files screenshot: " << path);

        const Image image(path);
        REQUIRE_MESSAGE(image.Loaded(), "cannot read " << path << ": " << image.Error());
        const ui::TransferView* video = Download(app, VideoId);
        REQUIRE(video);
        CHECK(video->status.state == net::TransferStatus::State::Running);
        CHECK(video->status.done == VideoStall);

        // the preview: the thumbnail fitted to ~240 x 160 points, drawn the right way up
        const Rect magenta = image.Bounds(Magenta);
        const Rect green = image.Bounds(Green);
        INFO("magenta ", Describe(magenta), " (", image.Count(Magenta), " px), green ", Describe(green),
             ", expected preview ", previewWidth, "x", previewHeight);
        CHECK(std::abs(magenta.Width() - previewWidth) <= 2);
        CHECK(std::abs(magenta.Height() - previewHeight) <= 2);
        CHECK(image.Count(Magenta) > static_cast<std::size_t>(static_cast<double>(previewPixels) * MagentaShare * 0.9));
        CHECK(image.Count(Magenta) < static_cast<std::size_t>(static_cast<double>(previewPixels) * MagentaShare * 1.1));
        REQUIRE_FALSE(green.Empty());
        CHECK(green.x0 >= magenta.x0);
        CHECK(green.x1 <= magenta.x1);
        CHECK((green.y0 + green.y1) / 2 < (magenta.y0 + magenta.y1) / 2); // the band is in the upper half
        // inside the chat area's left half: a received row
        CHECK(magenta.x1 < image.Width() / 2);

        // the progress bar: its fill covers 40 % of it, and it sits below the preview (the video's row)
        const Bar bar = FindBar(image);
        INFO("bar on row ", bar.y, ": [", bar.x0, ",", bar.fillEnd, ") of [", bar.x0, ",", bar.x1, "), fraction ",
             bar.Fraction());
        REQUIRE(bar.y >= 0);
        CHECK(bar.x1 - bar.x0 > previewWidth / 2);
        CHECK(bar.Fraction() > 0.3);
        CHECK(bar.Fraction() < 0.5);
        CHECK(bar.y > magenta.y1);
        CHECK(bar.x0 < magenta.x1);

        // the client asked for the preview once and for the video once, from the start
        CHECK(server.ThumbGets() == std::vector<std::uint64_t>{SunsetId});
        const auto gets = server.FileGets();
        REQUIRE(gets.size() == 1);
        CHECK(gets[0].id == VideoId);
        CHECK(gets[0].offset == 0);
    } // the app (and its network threads) ends before the server and the window
}

TEST_CASE("clicking a preview opens the viewer with the image")
{
    TempFolder downloads("viewer");
    FakeServer server;
    auto window = OpenFilesWindow();
    {
        ui::GuiApp app(FakeServerOptions(server.Port(), downloads.path), window->GetWaker());
        Pump pump(*window, app);
        SetUpPump(pump, app);
        ui::ClientModel& client = *app.Client();
        ui::ClientPanel& panel = *app.ClientView();
        pump.WaitUntil([&] { return client.FileLine(SunsetId) != nullptr; }, "the sunset's message arrives");

        const auto [previewWidth, previewHeight] = InlinePreviewPixels();
        const auto previewPixels = static_cast<std::size_t>(previewWidth) * static_cast<std::size_t>(previewHeight);
        const std::string inlinePath = OutputPath("obrol-gui-files-inline.png");
        ScreenshotUntil(pump, 
            inlinePath, [&](const Image& image) { return image.Count(Magenta) > previewPixels / 2; },
            "the sunset's preview");
        const std::size_t inlineMagenta = Image(inlinePath).Count(Magenta);

        // what a click on the preview does (ChatView's FileAction::View)
        panel.OpenViewer(SunsetId);
        pump.WaitUntil([&] { return panel.Viewer().IsOpen(); }, "the viewer opens");
        CHECK(panel.ViewerFile() == SunsetId);
        CHECK(panel.Viewer().Image().title == "sunset.png");
        // not downloaded: the preview stands in, at 1:1 (a photo is never blown up to fit)
        CHECK(panel.Viewer().Image().width == ThumbWidth);
        CHECK(panel.Viewer().Image().height == ThumbHeight);
        pump.Frames(3);
        const std::string path = OutputPath("obrol-gui-files-viewer.png");
        pump.Screenshot(path);
        MESSAGE("viewer screenshot: " << path);
        const auto viewRect = panel.Viewer().ItemRect("view");
        REQUIRE(viewRect);
        const float k = PixelsPerPoint();
        const Rect view{static_cast<int>(viewRect->first.x * k), static_cast<int>(viewRect->first.y * k),
                        static_cast<int>(viewRect->second.x * k), static_cast<int>(viewRect->second.y * k)};
        std::size_t viewerMagenta = 0;
        {
            const Image image(path);
            REQUIRE_MESSAGE(image.Loaded(), image.Error());
            const Rect magenta = image.Bounds(Magenta, view);
            viewerMagenta = image.Count(Magenta, view);
            INFO("inline magenta ", inlineMagenta, " px; viewer ", Describe(view), " shows ", viewerMagenta,
                 " magenta px in ", Describe(magenta));
            CHECK(view.Width() > image.Width() / 2);
            CHECK(viewerMagenta > inlineMagenta * 3); // 480x320 against 240x160
            CHECK(std::abs(magenta.Width() - ThumbWidth) <= 2);
            CHECK(std::abs(magenta.Height() - ThumbHeight) <= 2);
            // centred in the view
            CHECK(std::abs((magenta.x0 + magenta.x1) - (view.x0 + view.x1)) <= 4);
            CHECK(std::abs((magenta.y0 + magenta.y1) - (view.y0 + view.y1)) <= 4);
        }

        // what Save does (a download); once decoded, the whole image replaces the preview, fitted to the view
        app.Download(SunsetId);
        pump.WaitUntil([&] { return client.SavedPath(SunsetId) != nullptr; }, "the sunset is downloaded");
        pump.WaitUntil([&] { return panel.Viewer().Image().width == SunsetWidth; }, "the viewer shows the whole image");
        CHECK(panel.Viewer().IsOpen());
        CHECK(panel.Viewer().Image().height == SunsetHeight);
        CHECK(panel.Viewer().Fitted());
        CHECK(panel.Viewer().Zoom() < 1.0f); // 1440x960 does not fit in 80 % of 1280x760
        const auto viewNow = panel.Viewer().ItemRect("view");
        const auto shown = panel.Viewer().ItemRect("image");
        REQUIRE(viewNow);
        REQUIRE(shown);
        CHECK(shown->first.x >= viewNow->first.x - 1);
        CHECK(shown->first.y >= viewNow->first.y - 1);
        CHECK(shown->second.x <= viewNow->second.x + 1);
        CHECK(shown->second.y <= viewNow->second.y + 1);
        pump.Frames(3);
        const std::string fullPath = OutputPath("obrol-gui-files-viewer-full.png");
        pump.Screenshot(fullPath);
        MESSAGE("viewer (whole image) screenshot: " << fullPath);
        const Image full(fullPath);
        REQUIRE_MESSAGE(full.Loaded(), full.Error());
        const Rect fitted = full.Bounds(Magenta, view);
        INFO("viewer with the whole image: ", full.Count(Magenta, view), " magenta px in ", Describe(fitted));
        CHECK(full.Count(Magenta, view) > viewerMagenta * 2);
        // fitted: as tall as the view (3:2 in a wider view), the whole picture inside it
        CHECK(fitted.Height() >= view.Height() - 3);
        CHECK(fitted.x0 > view.x0);
        CHECK(fitted.x1 < view.x1);
        const auto saved = client.SavedPath(SunsetId);
        REQUIRE(saved);
        CHECK(std::filesystem::file_size(*saved) == server.SunsetPng().size());
    }
}

TEST_CASE("a file dropped on the window is offered to the server and sent")
{
    TempFolder folder("drop");
    FakeServer server;
    const std::filesystem::path file = folder.path / "notes.bin";
    std::vector<std::uint8_t> bytes(300 * 1024 + 17);
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(i * 131 + (i >> 9));
    {
        std::ofstream out(file, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    auto window = OpenFilesWindow();
    {
        ui::GuiApp app(FakeServerOptions(server.Port(), folder.path / "downloads"), window->GetWaker());
        Pump pump(*window, app);
        SetUpPump(pump, app);
        ui::ClientModel& client = *app.Client();
        pump.WaitUntil([&] { return client.State() == ui::ConnectionState::Connected; }, "the client is connected");

        app.DropFiles({file.string()});
        // the row shows at once, pending
        const auto own = [&]() -> const ui::Line* {
            for (const ui::Line& line : client.Everyone().lines)
                if (line.own && line.file)
                    return &line;
            return nullptr;
        };
        REQUIRE(own());
        CHECK(own()->text == "notes.bin");
        CHECK(own()->pending);

        pump.WaitUntil([&] { return !server.Uploads().empty() && server.Uploads()[0].sha256.has_value(); },
                       "the server has the whole file");
        const FakeServer::Upload up = server.Uploads()[0];
        CHECK(up.offer.name == "notes.bin");
        CHECK(up.offer.size == bytes.size());
        CHECK(up.offer.to.IsEveryone()); // the conversation on screen: Everyone
        CHECK(up.bytes == bytes);
        CHECK(*up.sha256 == Sha256Of(bytes));

        pump.WaitUntil([&] { return own() && !own()->pending; }, "the file message is acknowledged");
        CHECK(own()->id == 200 + up.offer.id % 1000);
        const ui::TransferView* t = client.FindTransfer(net::TransferDirection::Upload, up.offer.id);
        REQUIRE(t);
        CHECK(t->status.state == net::TransferStatus::State::Done);
        pump.Frames(3);
        const std::string path = OutputPath("obrol-gui-files-sent.png");
        pump.Screenshot(path);
        MESSAGE("sent file screenshot: " << path);
        const Image image(path);
        REQUIRE_MESSAGE(image.Loaded(), image.Error());
        CHECK(server.Error().empty());
        // the file card's document icon is one sheet: no seam between its body and the strip under the fold
        const Rgb8 ownPaper{0xe6, 0xf4, 0xf7}; // chat_view.cpp: the icon's paper on a sent row
        const int iconWidth = static_cast<int>(ImGui::GetFontSize() * 2.2f * PixelsPerPoint());
        INFO("longest run of the icon's paper colour: ", image.LongestRun(ownPaper), " px; icon ", iconWidth, " px wide");
        CHECK(image.LongestRun(ownPaper) >= iconWidth - 3);
        CHECK(image.LongestRun(ownPaper) <= iconWidth + 1);
    }
}

} // TEST_SUITE("gui")

} // namespace obrol::test

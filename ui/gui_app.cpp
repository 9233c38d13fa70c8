#include "ui/gui_app.hpp"

#include "engine/clock.hpp"
#include "engine/gfx/window.hpp"
#include "engine/utf8.hpp"
#include "ui/panels/theme.hpp"
#include "ui/previews.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>

namespace obrol::ui {

// [SECTION] Links: the panels' commands, carried out by the real endpoints

class GuiApp::ServerLink final : public ServerCommands
{
public:
    ServerLink(engine::EventQueue<net::ServerEvent>& events, const Options& o) : server(events), options(o) {}

    void Start(const std::string& bind, std::uint16_t port) override
    {
        server.Start(ServerConfigFrom(options, bind, port));
    }
    void Stop() override { server.Stop(); }
    void Announce(const std::string& text) override { server.Announce(text); }
    void Kick(const std::string& nick) override { server.Kick(nick); }
    void Search(const std::string& query) override { server.Search(query); }
    void ReleaseNick(const std::string& nick) override { server.ReleaseNick(nick); }

    net::Server server;
    const Options& options;
};

class GuiApp::ClientLink final : public ClientCommands
{
public:
    ClientLink(engine::EventQueue<net::ClientEvent>& events, const Options& o) : client(events), options(o) {}

    void Connect(const std::string& host, std::uint16_t port, const std::string& nick) override
    {
        client.Connect(ClientConfigFrom(options, host, port, nick));
    }
    void Disconnect() override { client.Disconnect(); }
    std::uint64_t Say(const net::Target& to, const std::string& text) override { return client.Say(to, text); }
    void RequestHistory(const net::Target& conversation, std::uint64_t beforeId, std::uint32_t limit, bool around) override
    {
        client.RequestHistory(conversation, beforeId, limit, around);
    }
    std::uint64_t Search(const std::string& query) override { return client.Search(query); }
    std::uint64_t SendFile(const net::Target& to, const std::filesystem::path& path) override
    {
        return client.SendFile(to, path);
    }
    void JoinRoom(const std::string& room) override { client.JoinRoom(room); }
    void PartRoom(const std::string& room) override { client.PartRoom(room); }
    void SetTopic(const std::string& room, const std::string& topic) override { client.SetTopic(room, topic); }
    void ListRooms() override { client.ListRooms(); }
    void Download(const Line& line) override
    {
        net::Chat chat;
        chat.id = line.id;
        chat.text = line.text;
        chat.file = line.file;
        client.Download(chat, DownloadsDirFrom(options));
    }
    void CancelTransfer(std::uint64_t id, net::TransferDirection direction) override
    {
        client.CancelTransfer(id, direction);
    }

    net::Client client;
    const Options& options;
};

// [SECTION] GuiApp

std::string DefaultNick()
{
    for (const char* var : {"OBROL_NICK", "USER", "USERNAME", "LOGNAME"})
        if (const char* value = std::getenv(var); value && *value)
        {
            std::string nick = value;
            if (nick.size() > 32)
                nick.resize(32);
            if (engine::NicknameProblem(nick).empty())
                return nick;
        }
    return "guest";
}

GuiApp::GuiApp(const Options& options, engine::Waker& waker) : m_options(options)
{
    if (m_options.nick.empty())
        m_options.nick = DefaultNick();
    if (m_options.server)
    {
        m_serverEvents = std::make_unique<engine::EventQueue<net::ServerEvent>>(&waker);
        m_serverModel = std::make_unique<ServerModel>();
        m_serverLink = std::make_unique<ServerLink>(*m_serverEvents, m_options);
        m_serverPanel = std::make_unique<ServerPanel>(*m_serverModel, *m_serverLink, m_options.bind, m_options.port);
        m_serverPanel->RequestStart();
    }
    if (m_options.client)
    {
        m_clientEvents = std::make_unique<engine::EventQueue<net::ClientEvent>>(&waker);
        m_clientModel = std::make_unique<ClientModel>();
        m_clientLink = std::make_unique<ClientLink>(*m_clientEvents, m_options);
        const std::string host = m_options.server ? "127.0.0.1" : m_options.host;
        m_clientPanel = std::make_unique<ClientPanel>(*m_clientModel, *m_clientLink, host, m_options.port, m_options.nick);
        m_previews = std::make_unique<GuiPreviews>(*m_clientModel, m_clientLink->client, &waker);
        m_clientPanel->SetPreviews(m_previews.get());
        m_clientPanel->SetDownloadsDir(DownloadsDirFrom(m_options));
        m_clientPanel->SetAutoDownload(m_options.autoDownloadBytes);
        // joining alone with a nickname given: connect at once; hosting: once the server is up
        if (!m_options.server && !options.nick.empty())
            m_clientPanel->RequestConnect();
    }
}

GuiApp::~GuiApp()
{
    // join the network threads before the models and queues they feed go away
    m_previews.reset(); // its decode thread, and textures, before the client it asks
    m_clientLink.reset();
    m_serverLink.reset();
}

std::size_t GuiApp::DrainEvents()
{
    std::size_t count = 0;
    if (m_serverEvents)
        count += m_serverEvents->Drain([&](net::ServerEvent e) {
            m_serverModel->Apply(e);
            if (e.kind == net::ServerEvent::Kind::Started && m_clientModel &&
                m_clientModel->State() == ConnectionState::Disconnected)
                m_clientLink->Connect("127.0.0.1", e.port, m_options.nick); // host and join
        });
    if (m_clientEvents)
        count += m_clientEvents->Drain([&](net::ClientEvent e) {
            const bool fresh = e.kind == net::ClientEvent::Kind::Chat && e.chat.file && m_clientModel->IsNew(e.chat);
            m_clientModel->Apply(e);
            if (fresh)
                m_clientPanel->OnFileArrived(e.chat);
            if (e.kind == net::ClientEvent::Kind::History && e.history.reason == net::HistoryReason::Resume)
                for (const net::Chat& c : e.history.chats)
                    m_clientPanel->OnFileArrived(c);
            if (e.kind == net::ClientEvent::Kind::Connected && !m_sentScripted)
            {
                m_sentScripted = true;
                std::string current; // plain lines go to the room joined last, as in the headless client
                for (const auto& line : m_options.send)
                {
                    // "/msg NICK text" sends privately ("/msg #room text" to a room), as in the
                    // headless client; "/join ROOM" joins (or creates) a room
                    const std::size_t space = line.find(' ', 5);
                    if (line.rfind("/send ", 0) == 0)
                    {
                        const auto [path, to] = SplitSendArgs(line.substr(6));
                        const net::Target target = ClientModel::TargetOf(to);
                        const std::uint64_t id = m_clientLink->SendFile(target, path);
                        m_clientModel->AddOwnFile(target, path, id, engine::NowMs());
                    }
                    else if (line.rfind("/join ", 0) == 0)
                    {
                        const std::string room = line.substr(line.size() > 6 && line[6] == '#' ? 7 : 6);
                        m_clientPanel->JoinRoom(room);
                        current = ClientModel::KeyOf(net::Target::Room(room));
                    }
                    else if (line.rfind("/msg ", 0) == 0 && space != std::string::npos)
                        m_clientPanel->SendTo(line.substr(5, space - 5), line.substr(space + 1));
                    else
                        m_clientPanel->SendTo(current, line.rfind("//", 0) == 0 ? line.substr(1) : line);
                }
            }
        });
    return count;
}

std::string GuiApp::WindowTitle() const
{
    std::string title = "Obrol";
    if (m_clientModel && m_clientModel->State() == ConnectionState::Connected)
        title += " \xE2\x80\x94 " + m_clientModel->Nick();
    if (m_serverModel && m_serverModel->State() == ServerState::Running)
        title += " \xE2\x80\x94 hosting on port " + std::to_string(m_serverModel->Port());
    if (m_clientModel && m_clientModel->UnreadSinceUnfocused() > 0)
        title = "(" + std::to_string(m_clientModel->UnreadSinceUnfocused()) + ") " + title;
    return title;
}

double GuiApp::IdleTimeout()
{
    const std::int64_t now = engine::NowMs();
    // a transfer's speed and time left change without any event (a stalled one's fall to nothing)
    if (m_clientModel && m_clientModel->ActiveTransfers() > 0)
        return 1.0;
    if (m_serverModel)
    {
        const auto& rate = m_serverModel->Rate(now);
        if (std::any_of(rate.begin(), rate.end(), [](float v) { return v > 0.0f; }))
            return 1.0;
    }
    return static_cast<double>(60000 - now % 60000) / 1000.0 + 0.05;
}

static void PanelHeader(const char* title)
{
    ImGui::PushStyleColor(ImGuiCol_Text, theme::Rgb(0xd9, 0xf2, 0xf5));
    ImGui::TextUnformatted(title);
    ImGui::PopStyleColor();
    ImGui::Separator();
}

void GuiApp::DropFiles(const std::vector<std::string>& paths)
{
    if (!m_clientPanel || paths.empty())
        return;
    const auto state = m_clientModel->State();
    if (state != ConnectionState::Connected && state != ConnectionState::Reconnecting)
    {
        m_clientModel->AddSystem(m_clientPanel->ActiveTab(), "Files can be sent once connected.", engine::NowMs(),
                                 LineKind::Error);
        return;
    }
    std::vector<std::filesystem::path> files(paths.begin(), paths.end());
    m_clientPanel->SendFiles(files);
}

void GuiApp::Download(std::uint64_t fileId)
{
    if (!m_clientLink)
        return;
    if (const Line* line = m_clientModel->FileLine(fileId))
        m_clientLink->Download(*line);
}

void GuiApp::Draw(bool windowFocused)
{
    if (m_previews)
        m_previews->Update();
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(viewport->WorkPos);
    ImGui::SetNextWindowSize(viewport->WorkSize);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::Begin("Obrol", nullptr, flags);
    const bool both = m_serverPanel && m_clientPanel;
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    const float serverWidth = both ? std::floor((ImGui::GetContentRegionAvail().x - spacing) * 0.42f) : 0.0f;
    if (m_serverPanel)
    {
        ImGui::BeginChild("##server", ImVec2(serverWidth, 0), false, ImGuiWindowFlags_NoScrollbar);
        PanelHeader("Server");
        m_serverPanel->Draw(engine::NowMs());
        ImGui::EndChild();
    }
    if (both)
        ImGui::SameLine();
    if (m_clientPanel)
    {
        ImGui::BeginChild("##client", ImVec2(0, 0), false);
        PanelHeader(m_clientModel->State() == ConnectionState::Connected ? ("Chat on " + m_clientModel->ServerName()).c_str() : "Chat");
        m_clientPanel->Draw(windowFocused);
        ImGui::EndChild();
    }
    ImGui::End();
    if (m_previews)
        m_previews->EndFrame();
}

int RunGui(const Options& options)
{
    try
    {
        engine::WindowConfig config;
        config.width = options.width;
        config.height = options.height;
        config.fontSize = options.fontSize;
        engine::Window window(config);
        theme::Apply(window.ContentScale());
        int result = 0;
        {
            GuiApp app(options, window.GetWaker());
            std::string title;
            engine::RunOptions run;
            run.screenshot = options.screenshot;
            run.frames = options.frames;
            run.idleTimeout = [&] { return app.IdleTimeout(); };
            result = engine::Run(
                window, [&] { return app.DrainEvents(); },
                [&] {
                    app.DropFiles(window.TakeDroppedPaths());
                    app.Draw(window.Focused());
                    if (std::string now = app.WindowTitle(); now != title)
                        window.SetTitle(title = now);
                },
                run);
        } // the app (and its network threads) ends before the window and GL context
        return result;
    }
    catch (const std::exception& e)
    {
        std::cerr << "obrol: " << e.what() << "\n";
        return 1;
    }
}

} // namespace obrol::ui

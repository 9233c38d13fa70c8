// The windowed app: owns the endpoints (server and/or client), their event queues, models
// and panels, and draws them side by side. UI thread only; the endpoints' network threads
// reach it only through the queues.
#pragma once

#include "engine/event_queue.hpp"
#include "net/client.hpp"
#include "net/server.hpp"
#include "ui/options.hpp"
#include "ui/panels/client_panel.hpp"
#include "ui/panels/server_panel.hpp"

#include <memory>
#include <string>

namespace obrol::ui {

class GuiApp
{
public:
    GuiApp(const Options& options, engine::Waker& waker);
    ~GuiApp();

    std::size_t DrainEvents();          // applies queued network events to the models
    void Draw(bool windowFocused);      // one ImGui frame's worth of panels
    // Files dropped on the window go to the conversation on screen.
    void DropFiles(const std::vector<std::string>& paths);
    // Starts downloading a file message (by its id), as its Download button does.
    void Download(std::uint64_t fileId);
    std::string WindowTitle() const;
    // Seconds the idle loop may sleep: 1 s while the rate graph moves or a transfer is under way,
    // else until the minute changes (every line shows HH:MM).
    double IdleTimeout();

    ServerModel* Server() { return m_serverModel.get(); }
    ClientModel* Client() { return m_clientModel.get(); }
    ClientPanel* ClientView() { return m_clientPanel.get(); }
    ServerPanel* ServerView() { return m_serverPanel.get(); }

private:
    class ServerLink;
    class ClientLink;

    Options m_options;
    std::unique_ptr<engine::EventQueue<net::ServerEvent>> m_serverEvents;
    std::unique_ptr<engine::EventQueue<net::ClientEvent>> m_clientEvents;
    std::unique_ptr<ServerModel> m_serverModel;
    std::unique_ptr<ClientModel> m_clientModel;
    std::unique_ptr<ServerLink> m_serverLink;
    std::unique_ptr<ClientLink> m_clientLink;
    std::unique_ptr<ServerPanel> m_serverPanel;
    std::unique_ptr<ClientPanel> m_clientPanel;
    std::unique_ptr<class GuiPreviews> m_previews;
    bool m_sentScripted = false;
};

// Opens the window and runs until it closes (or the screenshot is saved).
int RunGui(const Options& options);

// The nickname offered when none was given: the login name, made valid.
std::string DefaultNick();

} // namespace obrol::ui

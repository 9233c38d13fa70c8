// Shared by the GUI suites that run the whole app: in-process peers (a client with its own model),
// the frame pump that drains every queue and draws the app, and the test window. Header-only;
// main thread only (the peers' network threads reach the test only through their queues).
#pragma once

#include "engine/event_queue.hpp"
#include "engine/gfx/window.hpp"
#include "gui/gui_support.hpp"
#include "net/client.hpp"
#include "ui/gui_app.hpp"
#include "ui/model/client_model.hpp"
#include "ui/panels/theme.hpp"

#include <GLFW/glfw3.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace obrol::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous: llvmpipe on a loaded CI box renders slowly, and a passing run never gets close.
constexpr auto WaitTimeout = 15s;

// [SECTION] In-process peers and the frame pump

struct Peer
{
    engine::EventQueue<net::ClientEvent> events; // declared before the client: outlives its thread
    net::Client client{events};
    ui::ClientModel model;

    void Drain()
    {
        events.Drain([&](net::ClientEvent e) { model.Apply(e); });
    }
    void Connect(std::uint16_t port, const std::string& nick)
    {
        net::ClientConfig config;
        config.host = "127.0.0.1";
        config.port = port;
        config.nick = nick;
        client.Connect(std::move(config));
    }
    bool Connected() const { return model.State() == ui::ConnectionState::Connected; }
};

// `from`: nullopt matches any sender (announcements carry the server's name).
inline bool HasLine(const ui::Conversation* c, const std::optional<std::string>& from, const std::string& text, ui::LineKind kind)
{
    if (!c)
        return false;
    return std::any_of(c->lines.begin(), c->lines.end(), [&](const ui::Line& l) {
        return l.kind == kind && (!from || l.from == *from) && l.text == text;
    });
}

class Pump
{
public:
    Pump(engine::Window& window, ui::GuiApp& app) : m_window(window), m_app(app) {}

    void Add(Peer& peer) { m_peers.push_back(&peer); }
    void Remove(Peer& peer) { std::erase(m_peers, &peer); }
    // Something else to drain every frame (a server of the test's own).
    void AddDrain(std::function<void()> drain) { m_drains.push_back(std::move(drain)); }
    // More to say about the app when a wait fails (transfers, ...).
    void AddState(std::function<std::string()> state) { m_states.push_back(std::move(state)); }
    // Every frame drawn as if the pointer were outside the window: no hover tooltip anywhere.
    void IgnoreMouse() { m_ignoreMouse = true; }

    void Drain()
    {
        m_window.PollEvents();
        m_app.DrainEvents();
        for (Peer* peer : m_peers)
            peer->Drain();
        for (const auto& drain : m_drains)
            drain();
    }

    void BuildFrame()
    {
        Drain();
        m_window.BeginFrame(m_ignoreMouse);
        m_app.Draw(true);
    }

    void Frame()
    {
        BuildFrame();
        m_window.EndFrame();
    }

    void Frames(int n)
    {
        for (int i = 0; i < n; ++i)
            Frame();
    }

    // Draws frames until `done()` holds; fails the test with `what` and the app's state after
    // the deadline. Every frame is a real render (under Xvfb, a few milliseconds each).
    void WaitUntil(const std::function<bool()>& done, const std::string& what)
    {
        const auto deadline = Clock::now() + WaitTimeout;
        while (!done() && Clock::now() < deadline)
            Frame();
        REQUIRE_MESSAGE(done(), "waiting (at most 15 s) until " << what << "; " << State());
    }

    // Renders one more frame into the back buffer, saves it, then presents it.
    void Screenshot(const std::string& path)
    {
        // Xvfb leaves the pointer mid-screen, over the chat area: park it on the window's
        // padding so no hover tooltip covers a bubble (a no-op when the window lacks focus).
        glfwSetCursorPos(m_window.Handle(), 2.0, 2.0);
        BuildFrame();
        m_window.RenderOnly();
        const std::string error = m_window.SaveScreenshot(path);
        m_window.Present();
        REQUIRE_MESSAGE(error.empty(), "SaveScreenshot failed: " << error);
    }

    std::string State() const
    {
        std::ostringstream s;
        if (ui::ServerModel* server = m_app.Server())
            s << "server: " << server->StateText() << " (port " << server->Port() << ", " << server->Clients().size()
              << " clients); ";
        if (ui::ClientModel* client = m_app.Client())
        {
            s << "host client: " << client->StateText() << ", pending " << client->PendingCount() << ", conversations:";
            for (const auto& c : client->Conversations())
            {
                s << " [" << (c->key.empty() ? "Everyone" : c->key) << ":";
                for (const auto& line : c->lines)
                    s << " <" << line.from << "> " << line.text << (line.pending ? " (pending)" : "") << ";";
                s << "]";
            }
        }
        for (const Peer* peer : m_peers)
            s << "; peer " << peer->model.Nick() << ": " << peer->model.StateText();
        for (const auto& state : m_states)
            s << "; " << state();
        return s.str();
    }

private:
    engine::Window& m_window;
    ui::GuiApp& m_app;
    std::vector<Peer*> m_peers;
    std::vector<std::function<void()>> m_drains;
    std::vector<std::function<std::string()>> m_states;
    bool m_ignoreMouse = false;
};

inline std::unique_ptr<engine::Window> OpenWindow(const char* title = "Obrol GUI test")
{
    auto window = OpenTestWindow(title, 1280, 760);
    ui::theme::Apply(window->ContentScale());
    return window;
}

inline std::pair<int, int> FramebufferSize(engine::Window& window)
{
    int w = 0, h = 0;
    glfwGetFramebufferSize(window.Handle(), &w, &h);
    return {w, h};
}

} // namespace obrol::test

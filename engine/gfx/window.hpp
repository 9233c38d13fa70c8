// The GLFW window with an OpenGL 3.3 core context, the ImGui platform/renderer backends,
// the font atlas, and the frame loop. UI thread only (except Waker::Wake).
#pragma once

#include "engine/event_queue.hpp"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct GLFWwindow;

namespace obrol::engine {

struct WindowConfig
{
    std::string title = "Obrol";
    int width = 1280;
    int height = 760;
    float fontSize = 16.0f; // before HiDPI scaling
    bool visible = true;
};

class Window
{
public:
    explicit Window(const WindowConfig& config); // throws std::runtime_error with a clear reason
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    bool ShouldClose() const;
    void RequestClose();
    bool Focused() const;
    float ContentScale() const { return m_scale; }
    void SetTitle(const std::string& title);
    Waker& GetWaker() { return *m_waker; }
    const std::string& FontPath() const { return m_fontPath; } // empty: ImGui's built-in font

    // Sleeps until input or Wake(), or at most `timeoutSeconds`.
    void WaitEvents(double timeoutSeconds);
    void PollEvents();
    // ignoreMouse: draw as if the pointer were outside the window (no hover tooltips in screenshots)
    void BeginFrame(bool ignoreMouse = false);
    void EndFrame(); // renders and presents
    void RenderOnly(); // renders into the back buffer without presenting (for screenshots)
    void Present();

    // Saves what the last RenderOnly() drew as a PNG. Returns an empty string or the error.
    std::string SaveScreenshot(const std::string& path);
    GLFWwindow* Handle() { return m_window; }
    // Paths of files dropped on the window since the last call.
    std::vector<std::string> TakeDroppedPaths() { return std::exchange(m_dropped, {}); }

private:
    void LoadFonts(float size);

    GLFWwindow* m_window = nullptr;
    std::unique_ptr<Waker> m_waker;
    float m_scale = 1.0f;
    std::string m_fontPath;
    std::string m_iniPath;
    std::vector<std::string> m_dropped;
};

struct RunOptions
{
    std::string screenshot; // when set: draw `frames` frames, save, return
    int frames = 60;
    // Idle, how long the loop may sleep before redrawing anyway (clocks, graphs), in seconds.
    std::function<double()> idleTimeout = [] { return 60.0; };
};

// The frame loop: drain() returns how many events it applied; draw() builds the ImGui frame.
// Idle, the loop sleeps until input or an event (near-zero CPU), or until idleTimeout() says
// something time-based (a clock, a graph) needs a redraw. Returns 0, or 1 when the screenshot could not be saved.
int Run(Window& window, const std::function<std::size_t()>& drain, const std::function<void()>& draw,
        const RunOptions& options);

} // namespace obrol::engine

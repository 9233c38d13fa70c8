#include "engine/gfx/window.hpp"

#include <glad/gl.h>
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace obrol::engine {

namespace {

class GlfwWaker final : public Waker
{
public:
    // glfwPostEmptyEvent is one of the few GLFW calls that is safe from any thread.
    void Wake() override { glfwPostEmptyEvent(); }
};

std::string s_glfwError;

// The window icon, drawn in code (the same two speech bubbles as assets/obrol-icon.svg).
std::vector<unsigned char> IconPixels(int size)
{
    std::vector<unsigned char> rgba(static_cast<std::size_t>(size) * size * 4, 0);
    const auto inRoundRect = [](float x, float y, float x0, float y0, float x1, float y1, float r) {
        if (x < x0 || x > x1 || y < y0 || y > y1)
            return false;
        const float cx = x < x0 + r ? x0 + r : (x > x1 - r ? x1 - r : x);
        const float cy = y < y0 + r ? y0 + r : (y > y1 - r ? y1 - r : y);
        return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
    };
    const float k = static_cast<float>(size) / 256.0f;
    for (int py = 0; py < size; ++py)
        for (int px = 0; px < size; ++px)
        {
            const float x = (static_cast<float>(px) + 0.5f) / k, y = (static_cast<float>(py) + 0.5f) / k;
            unsigned char* p = &rgba[(static_cast<std::size_t>(py) * size + px) * 4];
            const auto set = [p](unsigned r, unsigned g, unsigned b) {
                p[0] = static_cast<unsigned char>(r);
                p[1] = static_cast<unsigned char>(g);
                p[2] = static_cast<unsigned char>(b);
                p[3] = 255;
            };
            if (!inRoundRect(x, y, 0, 0, 256, 256, 48))
                continue;
            set(0x00, 0x6c, 0x84);
            if (inRoundRect(x, y, 24, 64, 176, 152, 16) || (x >= 64 && x <= 92 && y >= 150 && y <= 176 && x - 64 <= 176 - y))
                set(0xff, 0xff, 0xff);
            if (inRoundRect(x, y, 96, 120, 232, 200, 16) || (x >= 182 && x <= 208 && y >= 198 && y <= 222 && 208 - x <= 222 - y))
                set(0x6e, 0xb5, 0xc0);
        }
    return rgba;
}

void OnGlfwError(int code, const char* description)
{
    s_glfwError = "GLFW error " + std::to_string(code) + ": " + (description ? description : "?");
}

} // namespace

Window::Window(const WindowConfig& config)
{
    glfwSetErrorCallback(OnGlfwError);
    if (!glfwInit())
        throw std::runtime_error("cannot open a window (" + s_glfwError + "); use --headless on machines without a display");

    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
#ifdef __APPLE__
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
#endif
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, config.visible ? GLFW_TRUE : GLFW_FALSE);
    m_window = glfwCreateWindow(config.width, config.height, config.title.c_str(), nullptr, nullptr);
    if (!m_window)
    {
        const std::string why = s_glfwError;
        glfwTerminate();
        throw std::runtime_error("cannot create an OpenGL 3.3 window (" + why + ")");
    }
    {
        auto pixels = IconPixels(64);
        GLFWimage icon{64, 64, pixels.data()};
        glfwSetWindowIcon(m_window, 1, &icon); // ignored where the platform has no window icons (macOS)
    }
    glfwSetWindowUserPointer(m_window, this);
    glfwSetDropCallback(m_window, [](GLFWwindow* w, int count, const char** paths) {
        auto* self = static_cast<Window*>(glfwGetWindowUserPointer(w));
        for (int i = 0; i < count && self; ++i)
            self->m_dropped.emplace_back(paths[i]);
    });
    glfwMakeContextCurrent(m_window);
    if (!gladLoadGL(reinterpret_cast<GLADloadfunc>(glfwGetProcAddress)))
    {
        glfwDestroyWindow(m_window);
        glfwTerminate();
        throw std::runtime_error("cannot load OpenGL 3.3 functions");
    }
    glfwSwapInterval(1);

    float xs = 1.0f, ys = 1.0f;
    glfwGetWindowContentScale(m_window, &xs, &ys);
    m_scale = std::max(1.0f, std::max(xs, ys));

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    io.IniFilename = nullptr; // layout is computed each frame; nothing to persist yet
    io.ConfigInputTextCursorBlink = false; // a blinking cursor would need frames while idle
    LoadFonts(config.fontSize * m_scale);
    ImGui_ImplGlfw_InitForOpenGL(m_window, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");
    m_waker = std::make_unique<GlfwWaker>();
}

Window::~Window()
{
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(m_window);
    glfwTerminate();
}

void Window::LoadFonts(float size)
{
    ImGuiIO& io = ImGui::GetIO();
    static const ImWchar ranges[] = {
        0x0020, 0x00FF, // Basic Latin + Latin-1
        0x0100, 0x024F, // Latin Extended-A/B
        0x0370, 0x03FF, // Greek
        0x0400, 0x04FF, // Cyrillic
        0x2000, 0x206F, // punctuation (dashes, quotes, ellipsis)
        0x2190, 0x21FF, // arrows
        0x2500, 0x25FF, // box drawing, shapes (dots for the status)
        0x2700, 0x27BF, // dingbats (check marks)
        0xFFFD, 0xFFFD, // replacement character
        0,
    };
    static const char* const candidates[] = {
#if defined(_WIN32)
        "C:\\Windows\\Fonts\\segoeui.ttf", "C:\\Windows\\Fonts\\arial.ttf",
#elif defined(__APPLE__)
        "/System/Library/Fonts/Supplemental/Arial Unicode.ttf", "/System/Library/Fonts/Supplemental/Arial.ttf",
        "/Library/Fonts/Arial.ttf",
#else
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
#endif
    };
    for (const char* path : candidates)
    {
        std::error_code ec;
        if (std::filesystem::exists(path, ec) && io.Fonts->AddFontFromFileTTF(path, size, nullptr, ranges))
        {
            m_fontPath = path;
            return;
        }
    }
    ImFontConfig fallback;
    fallback.SizePixels = std::max(13.0f, size * 0.85f);
    io.Fonts->AddFontDefault(&fallback);
}

bool Window::ShouldClose() const { return glfwWindowShouldClose(m_window); }
void Window::RequestClose() { glfwSetWindowShouldClose(m_window, GLFW_TRUE); }
bool Window::Focused() const { return glfwGetWindowAttrib(m_window, GLFW_FOCUSED) != 0; }
void Window::SetTitle(const std::string& title) { glfwSetWindowTitle(m_window, title.c_str()); }
void Window::WaitEvents(double timeoutSeconds) { glfwWaitEventsTimeout(timeoutSeconds); }
void Window::PollEvents() { glfwPollEvents(); }

void Window::BeginFrame(bool ignoreMouse)
{
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    if (ignoreMouse)
        ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    ImGui::NewFrame();
}

void Window::RenderOnly()
{
    ImGui::Render();
    int w = 0, h = 0;
    glfwGetFramebufferSize(m_window, &w, &h);
    glViewport(0, 0, w, h);
    glClearColor(0.0f, 0.42f, 0.52f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void Window::Present() { glfwSwapBuffers(m_window); }

void Window::EndFrame()
{
    RenderOnly();
    Present();
}

std::string Window::SaveScreenshot(const std::string& path)
{
    int w = 0, h = 0;
    glfwGetFramebufferSize(m_window, &w, &h);
    if (w <= 0 || h <= 0)
        return "the window has no framebuffer";
    std::vector<unsigned char> pixels(static_cast<std::size_t>(w) * h * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    // OpenGL rows go bottom-up; PNG rows top-down. Force opaque alpha.
    std::vector<unsigned char> flipped(pixels.size());
    const std::size_t stride = static_cast<std::size_t>(w) * 4;
    for (int y = 0; y < h; ++y)
        std::copy_n(&pixels[static_cast<std::size_t>(h - 1 - y) * stride], stride, &flipped[static_cast<std::size_t>(y) * stride]);
    for (std::size_t i = 3; i < flipped.size(); i += 4)
        flipped[i] = 255;
    if (!stbi_write_png(path.c_str(), w, h, 4, flipped.data(), static_cast<int>(stride)))
        return "cannot write " + path;
    return {};
}

int Run(Window& window, const std::function<std::size_t()>& drain, const std::function<void()>& draw,
        const RunOptions& options)
{
    int activeFrames = 3; // keep drawing a few frames after input or events (ImGui settles layouts)
    int frame = 0;
    const bool capturing = !options.screenshot.empty();
    while (!window.ShouldClose())
    {
        if (capturing)
            window.WaitEvents(1.0 / 60.0);
        else if (activeFrames > 0)
            window.PollEvents();
        else
            window.WaitEvents(std::max(0.01, options.idleTimeout()));
        // glfw reports input through ImGui's callbacks; any event (including Wake) ends the wait
        if (drain() > 0)
            activeFrames = 3;
        window.BeginFrame(capturing);
        draw();
        const ImGuiIO& io = ImGui::GetIO();
        // (an active text field alone does not count: the cursor does not blink, so idle stays idle)
        if (io.MouseDelta.x != 0 || io.MouseDelta.y != 0 || io.MouseWheel != 0 || io.InputQueueCharacters.Size > 0 ||
            ImGui::IsAnyMouseDown())
            activeFrames = 3;
        else if (activeFrames > 0)
            --activeFrames;
        for (int key = 0; key < IM_ARRAYSIZE(io.KeysDown); ++key)
            if (io.KeysDown[key])
            {
                activeFrames = 3;
                break;
            }
        ++frame;
        if (capturing && frame >= options.frames)
        {
            window.RenderOnly();
            const std::string error = window.SaveScreenshot(options.screenshot);
            window.Present();
            if (!error.empty())
            {
                std::fprintf(stderr, "obrol: screenshot failed: %s\n", error.c_str());
                return 1;
            }
            std::printf("obrol: saved %s\n", options.screenshot.c_str());
            return 0;
        }
        window.EndFrame();
    }
    return 0;
}

} // namespace obrol::engine

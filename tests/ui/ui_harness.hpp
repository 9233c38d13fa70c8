// UI test harness: a bare Dear ImGui context (no window, no renderer) that runs frames of a
// panel, simulates the mouse and keys through ImGuiIO (ImGui 1.86 has no input events), and
// reads back what was drawn. Test thread only.
#pragma once

#include <doctest/doctest.h>
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

namespace obrol::test {

// GLFW key codes, as the app's backend maps them into io.KeysDown (ImGui 1.86).
constexpr int KeyEnter = 257;
constexpr int KeyEscape = 256;
constexpr int KeyC = 'C';
constexpr int KeyUp = 265;
constexpr int KeyDown = 264;

struct ScreenRect
{
    ImVec2 min;
    ImVec2 max;
    ImVec2 Center() const { return ImVec2((min.x + max.x) * 0.5f, (min.y + max.y) * 0.5f); }
    float Width() const { return max.x - min.x; }
    float Height() const { return max.y - min.y; }
};

class UiHarness
{
public:
    static constexpr float Width = 1280.0f;
    static constexpr float Height = 760.0f;

    UiHarness()
    {
        m_context = ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.DisplaySize = ImVec2(Width, Height);
        io.DeltaTime = 1.0f / 60.0f;
        io.IniFilename = nullptr; // tests leave no imgui.ini behind
        io.LogFilename = nullptr;
        io.KeyMap[ImGuiKey_Enter] = KeyEnter;
        io.KeyMap[ImGuiKey_Escape] = KeyEscape;
        io.KeyMap[ImGuiKey_C] = KeyC;
        io.KeyMap[ImGuiKey_UpArrow] = KeyUp;
        io.KeyMap[ImGuiKey_DownArrow] = KeyDown;
        io.ClipboardUserData = &m_clipboard;
        io.SetClipboardTextFn = [](void* user, const char* text) { *static_cast<std::string*>(user) = text; };
        io.GetClipboardTextFn = [](void* user) { return static_cast<std::string*>(user)->c_str(); };
        unsigned char* pixels = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h); // builds the atlas (default font)
    }

    ~UiHarness() { ImGui::DestroyContext(m_context); }

    UiHarness(const UiHarness&) = delete;
    UiHarness& operator=(const UiHarness&) = delete;

    // One whole frame: NewFrame, a full-screen undecorated window around fn(), End, Render.
    // Checks that fn() left the window, ID and style stacks as it found them (an unbalanced
    // Begin/End, PushID or PushStyle* shows up here rather than as an abort in EndFrame).
    template <class Fn>
    void Frame(Fn&& fn)
    {
        REQUIRE(ImGui::GetCurrentContext() == m_context);
        ImGui::NewFrame();
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
        ImGui::Begin("##ui test", nullptr,
                     ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                         ImGuiWindowFlags_NoBringToFrontOnFocus);
        const ImGuiID idBefore = ImGui::GetID("##probe");
        const ImGuiStyle& style = ImGui::GetStyle();
        const float alphaBefore = style.Alpha;
        const ImVec2 paddingBefore = style.WindowPadding;
        ImVec4 colorsBefore[ImGuiCol_COUNT];
        std::memcpy(colorsBefore, style.Colors, sizeof colorsBefore);
        const ImFont* fontBefore = ImGui::GetFont();

        fn();

        CHECK_MESSAGE(ImGui::GetID("##probe") == idBefore, "the panel left a window or ID pushed");
        CHECK_MESSAGE(style.Alpha == alphaBefore, "the panel left BeginDisabled or an Alpha push open");
        CHECK_MESSAGE((style.WindowPadding.x == paddingBefore.x && style.WindowPadding.y == paddingBefore.y),
                      "the panel left a style var pushed");
        CHECK_MESSAGE(std::memcmp(colorsBefore, style.Colors, sizeof colorsBefore) == 0,
                      "the panel left a style colour pushed");
        CHECK(ImGui::GetFont() == fontBefore);
        ImGui::End();
        ImGui::Render();
        REQUIRE(ImGui::GetDrawData() != nullptr);
        CHECK(ImGui::GetDrawData()->Valid);
        ++m_frames;
    }

    template <class Fn>
    void Frames(int count, Fn&& fn)
    {
        for (int i = 0; i < count; ++i)
            Frame(fn);
    }

    // [SECTION] Mouse: ImGui decides hovering from the previous frame's windows, so every
    // step is its own frame: move there, press, (drag,) release.

    void MoveMouse(ImVec2 pos) { ImGui::GetIO().MousePos = pos; }
    void SetMouseDown(bool down) { ImGui::GetIO().MouseDown[0] = down; }

    template <class Fn>
    void Click(ImVec2 pos, Fn&& fn)
    {
        MoveMouse(pos);
        SetMouseDown(false);
        Frame(fn);
        SetMouseDown(true);
        Frame(fn);
        SetMouseDown(false);
        Frame(fn);
        MoveMouse(ImVec2(-FLT_MAX, -FLT_MAX)); // out of the way, so nothing stays hovered
    }

    template <class Fn>
    void Drag(ImVec2 from, ImVec2 to, Fn&& fn)
    {
        MoveMouse(from);
        SetMouseDown(false);
        Frame(fn);
        SetMouseDown(true);
        Frame(fn);
        MoveMouse(ImVec2((from.x + to.x) * 0.5f, (from.y + to.y) * 0.5f));
        Frame(fn);
        MoveMouse(to);
        Frame(fn);
        SetMouseDown(false);
        Frame(fn);
    }

    // [SECTION] Keyboard

    template <class Fn>
    void PressKey(int key, Fn&& fn, bool ctrl = false, bool shift = false, bool alt = false)
    {
        ImGuiIO& io = ImGui::GetIO();
        io.KeyCtrl = ctrl;
        io.KeyShift = shift;
        io.KeyAlt = alt;
        io.KeysDown[key] = true;
        Frame(fn);
        io.KeysDown[key] = false;
        io.KeyCtrl = false;
        io.KeyShift = false;
        io.KeyAlt = false;
        Frame(fn);
    }

    template <class Fn>
    void Type(const char* text, Fn&& fn)
    {
        ImGui::GetIO().AddInputCharactersUTF8(text);
        Frame(fn);
    }

    // [SECTION] What was drawn

    // The bounding box of every vertex of this colour in the last frame's draw data: text
    // drawn in a colour no other element uses locates that text on screen.
    static std::optional<ScreenRect> BoundsOfColor(ImU32 color)
    {
        const ImDrawData* data = ImGui::GetDrawData();
        std::optional<ScreenRect> bounds;
        for (int l = 0; data && l < data->CmdListsCount; ++l)
            for (const ImDrawVert& v : data->CmdLists[l]->VtxBuffer)
            {
                if (v.col != color)
                    continue;
                if (!bounds)
                    bounds = ScreenRect{v.pos, v.pos};
                bounds->min = ImVec2(std::min(bounds->min.x, v.pos.x), std::min(bounds->min.y, v.pos.y));
                bounds->max = ImVec2(std::max(bounds->max.x, v.pos.x), std::max(bounds->max.y, v.pos.y));
            }
        return bounds;
    }

    const std::string& Clipboard() const { return m_clipboard; }
    int FrameCount() const { return m_frames; }

private:
    ImGuiContext* m_context = nullptr;
    std::string m_clipboard;
    int m_frames = 0;
};

// A fixed timestamp (2023-11-14 22:13:20 UTC); tests keep their lines within minutes of it,
// so they share one local day and one day separator.
constexpr std::int64_t T0 = 1'700'000'000'000;

} // namespace obrol::test

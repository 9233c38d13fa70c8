// A window showing one image large: it opens fitted to the view (big images shrink, small ones
// stay at 1:1, tiny ones grow up to 8x), the mouse wheel zooms around the pointer, dragging pans
// an image larger than the view, Fit / 1:1 / - / + buttons, and Save (reported to the caller,
// who owns the file). Escape or the close button closes it. Draws a texture it is given (ImGui
// only, no GL), which must stay alive while it is open: with gfx::TextureCache, Find it every
// frame. UI thread only.
#pragma once

#include <imgui.h>

#include <map>
#include <optional>
#include <string>
#include <utility>

namespace obrol::ui {

struct ViewerImage
{
    ImTextureID texture = nullptr;
    int width = 0; // pixels
    int height = 0;
    std::string title;    // the window title, e.g. the file name
    std::string subtitle; // e.g. "photo.jpg — 2.1 MiB — 4032×3024"
};

class ImageViewer
{
public:
    using Rect = std::pair<ImVec2, ImVec2>;

    static constexpr int TinySide = 64;       // images no larger than this (both sides) may be enlarged to fit
    static constexpr float MaxFitZoom = 8.0f; // ... but at most this much
    static constexpr float MaxZoom = 32.0f;
    static constexpr float ZoomStep = 1.25f; // one button press or wheel notch

    void Open(ViewerImage image); // shows it fitted, from the next Draw on
    void Close();
    bool IsOpen() const { return m_open; }

    // Call every frame (does nothing while closed).
    void Draw();

    // True once after the user clicked Save.
    bool TakeSaveRequest();

    // What the buttons do. Zoom is in screen pixels per image pixel (1 is 1:1, whatever the HiDPI scale).
    void Fit();
    void ActualSize();
    void ZoomIn();
    void ZoomOut();
    // Zooms by `factor` keeping the image point under screenPoint in place, as far as the edges
    // allow (an image smaller than the view stays centred; a larger one never shows past its edges).
    void ZoomAt(float factor, ImVec2 screenPoint);

    const ViewerImage& Image() const { return m_image; }
    float Zoom() const { return m_zoom; }
    bool Fitted() const { return m_fit; }      // still fitted: follows the window's size
    ImVec2 Center() const { return m_center; } // the image point (pixels) at the middle of the view

    // Where things were drawn last frame, for tests: "Fit", "1:1", "-", "+", "Save", "view", "image".
    std::optional<Rect> ItemRect(const std::string& what) const;

private:
    float FitZoom() const;
    float PointsPerPixel() const; // screen points per image pixel at the current zoom
    void SetZoom(float zoom);
    void ZoomAround(float zoom, ImVec2 screenPoint);
    void ClampCenter();
    void Remember(const char* what);
    void DrawToolbar();
    void DrawView();

    bool m_open = false;
    ViewerImage m_image;
    float m_zoom = 1.0f;
    bool m_fit = true;
    ImVec2 m_center;                 // image pixels
    ImVec2 m_viewMin;                // screen position of the view, last frame
    ImVec2 m_viewSize;               // points, last frame
    float m_framebufferScale = 1.0f; // pixels per point
    bool m_saveRequested = false;
    std::map<std::string, Rect> m_itemRects;
};

} // namespace obrol::ui

// The image viewer: fitting, zoom around a point, panning within the edges, drawing.
#include "ui/panels/image_viewer.hpp"

#include "ui/panels/theme.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace obrol::ui {

namespace {

constexpr ImU32 Backdrop = IM_COL32(0x1b, 0x1f, 0x22, 0xff); // neutral: does not tint the photo

ImVec2 Add(ImVec2 a, ImVec2 b) { return ImVec2(a.x + b.x, a.y + b.y); }
ImVec2 Sub(ImVec2 a, ImVec2 b) { return ImVec2(a.x - b.x, a.y - b.y); }
ImVec2 Scale(ImVec2 a, float k) { return ImVec2(a.x * k, a.y * k); }

} // namespace

void ImageViewer::Open(ViewerImage image)
{
    m_image = std::move(image);
    m_open = true;
    m_saveRequested = false;
    m_viewSize = ImVec2(0, 0);
    Fit();
}

void ImageViewer::Close()
{
    m_open = false;
}

bool ImageViewer::TakeSaveRequest()
{
    return std::exchange(m_saveRequested, false);
}

std::optional<ImageViewer::Rect> ImageViewer::ItemRect(const std::string& what) const
{
    const auto it = m_itemRects.find(what);
    return it == m_itemRects.end() ? std::nullopt : std::optional<Rect>(it->second);
}

void ImageViewer::Remember(const char* what)
{
    m_itemRects[what] = Rect{ImGui::GetItemRectMin(), ImGui::GetItemRectMax()};
}

// [SECTION] Zoom and pan

float ImageViewer::FitZoom() const
{
    if (m_image.width <= 0 || m_image.height <= 0 || m_viewSize.x <= 0 || m_viewSize.y <= 0)
        return 1.0f;
    const float fit = std::min(m_viewSize.x / static_cast<float>(m_image.width),
                               m_viewSize.y / static_cast<float>(m_image.height)) * m_framebufferScale;
    const bool tiny = m_image.width <= TinySide && m_image.height <= TinySide;
    return std::min(fit, tiny ? MaxFitZoom : 1.0f); // photos are never blown up past 1:1 just to fill the window
}

float ImageViewer::PointsPerPixel() const
{
    return m_zoom / m_framebufferScale;
}

void ImageViewer::SetZoom(float zoom)
{
    const float smallest = std::max(0.001f, std::min(FitZoom(), 1.0f) / 4.0f);
    m_zoom = std::clamp(zoom, smallest, MaxZoom);
}

// Along each axis, an image smaller than the view stays centred in it; a larger one cannot be
// dragged so far that an edge comes inside the view.
void ImageViewer::ClampCenter()
{
    const float ppp = PointsPerPixel();
    const auto clampAxis = [ppp](float center, float imageSide, float viewSide) {
        const float visible = viewSide / ppp; // image pixels across the view
        if (imageSide <= visible)
            return imageSide * 0.5f;
        return std::clamp(center, visible * 0.5f, imageSide - visible * 0.5f);
    };
    m_center.x = clampAxis(m_center.x, static_cast<float>(m_image.width), m_viewSize.x);
    m_center.y = clampAxis(m_center.y, static_cast<float>(m_image.height), m_viewSize.y);
}

void ImageViewer::Fit()
{
    m_fit = true;
    m_zoom = FitZoom();
    m_center = ImVec2(static_cast<float>(m_image.width) * 0.5f, static_cast<float>(m_image.height) * 0.5f);
}

void ImageViewer::ActualSize()
{
    m_fit = false;
    SetZoom(1.0f);
    ClampCenter();
}

void ImageViewer::ZoomIn()
{
    m_fit = false;
    SetZoom(m_zoom * ZoomStep);
    ClampCenter();
}

void ImageViewer::ZoomOut()
{
    m_fit = false;
    SetZoom(m_zoom / ZoomStep);
    ClampCenter();
}

void ImageViewer::ZoomAt(float factor, ImVec2 screenPoint)
{
    ZoomAround(m_zoom * factor, screenPoint);
}

void ImageViewer::ZoomAround(float zoom, ImVec2 screenPoint)
{
    const ImVec2 viewCenter = Add(m_viewMin, Scale(m_viewSize, 0.5f));
    const ImVec2 offset = Sub(screenPoint, viewCenter);
    const ImVec2 imagePoint = Add(m_center, Scale(offset, 1.0f / PointsPerPixel()));
    m_fit = false;
    SetZoom(zoom);
    m_center = Sub(imagePoint, Scale(offset, 1.0f / PointsPerPixel()));
    ClampCenter();
}

// [SECTION] Drawing

void ImageViewer::Draw()
{
    m_itemRects.clear();
    if (!m_open)
        return;
    const ImGuiIO& io = ImGui::GetIO();
    m_framebufferScale = io.DisplayFramebufferScale.x > 0.0f ? io.DisplayFramebufferScale.x : 1.0f;
    const ImVec2 display = io.DisplaySize;
    ImGui::SetNextWindowSize(Scale(display, 0.8f), ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(Scale(display, 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    const std::string name = (m_image.title.empty() ? std::string("Image") : m_image.title) + "###obrol image viewer";
    bool open = true;
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoScrollbar |
                                   ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoCollapse;
    if (ImGui::Begin(name.c_str(), &open, flags))
    {
        DrawToolbar();
        DrawView();
        if (ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) &&
            ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false))
            open = false;
    }
    ImGui::End();
    if (!open)
        Close();
}

void ImageViewer::DrawToolbar()
{
    if (!m_image.subtitle.empty())
        ImGui::TextDisabled("%s", m_image.subtitle.c_str());
    if (ImGui::Button("Fit"))
        Fit();
    Remember("Fit");
    theme::Tooltip("Show the whole image (double-click the image to switch with 1:1)");
    ImGui::SameLine();
    if (ImGui::Button("1:1"))
        ActualSize();
    Remember("1:1");
    theme::Tooltip("Actual size: one image pixel per screen pixel");
    ImGui::SameLine();
    if (ImGui::Button("-"))
        ZoomOut();
    Remember("-");
    theme::Tooltip("Zoom out (mouse wheel)");
    ImGui::SameLine();
    if (ImGui::Button("+"))
        ZoomIn();
    Remember("+");
    theme::Tooltip("Zoom in (mouse wheel, around the pointer)");
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    ImGui::Text("%.0f%%", static_cast<double>(m_zoom) * 100.0);

    const float saveWidth = ImGui::CalcTextSize("Save").x + ImGui::GetStyle().FramePadding.x * 2.0f;
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), ImGui::GetWindowContentRegionMax().x - saveWidth));
    if (ImGui::Button("Save"))
        m_saveRequested = true;
    Remember("Save");
    theme::Tooltip("Save the image as a file");
}

void ImageViewer::DrawView()
{
    const ImGuiIO& io = ImGui::GetIO();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 size(std::max(avail.x, 1.0f), std::max(avail.y, 1.0f));
    m_viewMin = ImGui::GetCursorScreenPos();
    m_viewSize = size;
    ImGui::InvisibleButton("##view", size);
    Remember("view");
    const bool hovered = ImGui::IsItemHovered();
    const bool active = ImGui::IsItemActive();

    if (m_fit)
        Fit(); // follows the window's size
    if (hovered && io.MouseWheel != 0.0f)
        ZoomAt(std::pow(ZoomStep, io.MouseWheel), io.MousePos);
    if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
    {
        if (m_fit)
            ZoomAround(1.0f, io.MousePos); // 1:1 around the pointer
        else
            Fit();
    }
    else if (active && (io.MouseDelta.x != 0.0f || io.MouseDelta.y != 0.0f))
    {
        const ImVec2 before = m_center;
        m_center = Sub(m_center, Scale(io.MouseDelta, 1.0f / PointsPerPixel()));
        ClampCenter();
        if (m_center.x != before.x || m_center.y != before.y)
            m_fit = false;
    }
    ClampCenter();

    const float ppp = PointsPerPixel();
    const ImVec2 viewMax = Add(m_viewMin, size);
    const ImVec2 imageSize(static_cast<float>(m_image.width) * ppp, static_cast<float>(m_image.height) * ppp);
    const ImVec2 imageMin = Sub(Add(m_viewMin, Scale(size, 0.5f)), Scale(m_center, ppp));
    const ImVec2 imageMax = Add(imageMin, imageSize);
    if (hovered && (imageSize.x > size.x + 0.5f || imageSize.y > size.y + 0.5f))
        ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeAll); // it can be dragged

    ImDrawList* draw = ImGui::GetWindowDrawList();
    draw->PushClipRect(m_viewMin, viewMax, true);
    draw->AddRectFilled(m_viewMin, viewMax, Backdrop);
    if (m_image.texture)
        draw->AddImage(m_image.texture, imageMin, imageMax);
    draw->PopClipRect();
    m_itemRects["image"] = Rect{imageMin, imageMax};
}

} // namespace obrol::ui

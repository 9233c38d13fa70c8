#include "ui/panels/theme.hpp"

#include <algorithm>
#include <string>

namespace obrol::ui::theme {

static ImVec4 V(ImU32 c) { return ImGui::ColorConvertU32ToFloat4(c); }

void Apply(float scale)
{
    ImGuiStyle& style = ImGui::GetStyle();
    style = ImGuiStyle();
    ImGui::StyleColorsDark(&style);
    style.WindowRounding = 0.0f;
    style.ChildRounding = 6.0f;
    style.FrameRounding = 5.0f;
    style.PopupRounding = 6.0f;
    style.GrabRounding = 4.0f;
    style.TabRounding = 5.0f;
    style.FramePadding = ImVec2(8, 5);
    style.ItemSpacing = ImVec2(8, 6);
    style.WindowPadding = ImVec2(10, 10);
    style.ScrollbarSize = 14.0f;

    ImVec4* c = style.Colors;
    c[ImGuiCol_WindowBg] = V(Frame);
    c[ImGuiCol_ChildBg] = V(Rgb(0x00, 0x5d, 0x72));
    c[ImGuiCol_PopupBg] = V(Rgb(0x00, 0x5d, 0x72)); // lighter than the fields drawn on it
    c[ImGuiCol_Border] = V(Rgb(0x00, 0x3f, 0x4e));
    c[ImGuiCol_Text] = V(Rgb(0xff, 0xff, 0xff));
    c[ImGuiCol_TextDisabled] = V(Rgb(0xb7, 0xd9, 0xdf));
    c[ImGuiCol_FrameBg] = V(Rgb(0x00, 0x4b, 0x5c));
    c[ImGuiCol_FrameBgHovered] = V(Rgb(0x00, 0x57, 0x6b));
    c[ImGuiCol_FrameBgActive] = V(Rgb(0x00, 0x41, 0x50));
    c[ImGuiCol_Button] = V(Rgb(0x2b, 0x8f, 0xa3));
    c[ImGuiCol_ButtonHovered] = V(Rgb(0x3f, 0xa6, 0xbb));
    c[ImGuiCol_ButtonActive] = V(Rgb(0x1d, 0x77, 0x89));
    c[ImGuiCol_Header] = V(Rgb(0x2b, 0x8f, 0xa3));
    c[ImGuiCol_HeaderHovered] = V(Rgb(0x3f, 0xa6, 0xbb));
    c[ImGuiCol_HeaderActive] = V(Rgb(0x1d, 0x77, 0x89));
    c[ImGuiCol_Tab] = V(Rgb(0x00, 0x4b, 0x5c));
    c[ImGuiCol_TabHovered] = V(Rgb(0x3f, 0xa6, 0xbb));
    c[ImGuiCol_TabActive] = V(Rgb(0x2b, 0x8f, 0xa3));
    c[ImGuiCol_TabUnfocused] = V(Rgb(0x00, 0x4b, 0x5c));
    c[ImGuiCol_TabUnfocusedActive] = V(Rgb(0x2b, 0x8f, 0xa3));
    c[ImGuiCol_TitleBg] = V(Rgb(0x00, 0x4b, 0x5c));       // dialogs' title bars
    c[ImGuiCol_TitleBgActive] = V(Rgb(0x00, 0x4b, 0x5c));
    c[ImGuiCol_TitleBgCollapsed] = V(Rgb(0x00, 0x4b, 0x5c));
    c[ImGuiCol_ModalWindowDimBg] = V(Rgb(0x00, 0x1f, 0x27, 0x80));
    c[ImGuiCol_TableHeaderBg] = V(Rgb(0x00, 0x4b, 0x5c));
    c[ImGuiCol_TableRowBg] = V(Rgb(0x00, 0x5d, 0x72));
    c[ImGuiCol_TableRowBgAlt] = V(Rgb(0x00, 0x66, 0x7d));
    c[ImGuiCol_PlotLines] = V(Rgb(0xff, 0xd1, 0x66));
    c[ImGuiCol_PlotHistogram] = V(Rgb(0xff, 0xd1, 0x66));
    c[ImGuiCol_ScrollbarBg] = V(Rgb(0x00, 0x00, 0x00, 0x20));
    c[ImGuiCol_ScrollbarGrab] = V(Rgb(0x00, 0x4b, 0x5c));
    c[ImGuiCol_CheckMark] = V(Rgb(0xff, 0xff, 0xff));
    c[ImGuiCol_TextSelectedBg] = V(Selection);
    c[ImGuiCol_Separator] = V(Rgb(0x00, 0x3f, 0x4e));
    style.ScaleAllSizes(scale);
}

void StatusDot(ImU32 color)
{
    const float r = ImGui::GetFontSize() * 0.32f;
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(p.x + r, p.y + ImGui::GetFrameHeight() * 0.5f), r, color);
    ImGui::Dummy(ImVec2(r * 2.0f, ImGui::GetFrameHeight()));
    ImGui::SameLine();
}

static std::string BadgeLabel(std::size_t count)
{
    return count > 999 ? std::string("999+") : std::to_string(count);
}

float UnreadBadgeWidth(std::size_t count)
{
    if (count == 0)
        return 0.0f;
    const float h = ImGui::GetFontSize();
    return std::max(h, ImGui::CalcTextSize(BadgeLabel(count).c_str()).x + h * 0.7f);
}

float UnreadBadge(ImDrawList* draw, float right, float centerY, std::size_t count)
{
    if (count == 0)
        return 0.0f;
    const std::string label = BadgeLabel(count);
    const float h = ImGui::GetFontSize();
    const float w = UnreadBadgeWidth(count);
    const ImVec2 min(right - w, centerY - h * 0.5f);
    draw->AddRectFilled(min, ImVec2(right, centerY + h * 0.5f), Badge, h * 0.5f);
    const ImVec2 text = ImGui::CalcTextSize(label.c_str());
    draw->AddText(ImVec2(min.x + (w - text.x) * 0.5f, centerY - text.y * 0.5f), BadgeText, label.c_str());
    return w;
}

void Tooltip(const char* text)
{
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip("%s", text);
}

} // namespace obrol::ui::theme

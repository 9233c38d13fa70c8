// The default look: the original app's palette (#006c84 frame, #6eb5c0 chat area, white
// received bubbles, teal sent bubbles). UI thread only.
#pragma once

#include <imgui.h>

#include <cstddef>

namespace obrol::ui::theme {

inline constexpr ImU32 Rgb(unsigned r, unsigned g, unsigned b, unsigned a = 255)
{
    return IM_COL32(r, g, b, a);
}

inline constexpr ImU32 Frame = Rgb(0x00, 0x6c, 0x84);
inline constexpr ImU32 ChatArea = Rgb(0x6e, 0xb5, 0xc0);
inline constexpr ImU32 ReceivedBubble = Rgb(0xff, 0xff, 0xff);
inline constexpr ImU32 ReceivedText = Rgb(0x1d, 0x2b, 0x30);
inline constexpr ImU32 SentBubble = Rgb(0x00, 0x6c, 0x84);
inline constexpr ImU32 SentText = Rgb(0xff, 0xff, 0xff);
inline constexpr ImU32 NameText = Rgb(0x00, 0x5a, 0x6e);
inline constexpr ImU32 PrivateAccent = Rgb(0x8e, 0x44, 0xad);
inline constexpr ImU32 AnnounceBand = Rgb(0xff, 0xf3, 0xc4);
inline constexpr ImU32 AnnounceText = Rgb(0x5c, 0x45, 0x00);
inline constexpr ImU32 SystemText = Rgb(0x0b, 0x3d, 0x47);
inline constexpr ImU32 ErrorText = Rgb(0xb0, 0x1e, 0x1e);
inline constexpr ImU32 Separator = Rgb(0x0b, 0x3d, 0x47, 140);
inline constexpr ImU32 UnreadSeparator = Rgb(0xd3, 0x54, 0x00);
inline constexpr ImU32 Selection = Rgb(0x33, 0x99, 0xff, 110);
inline constexpr ImU32 Online = Rgb(0x2e, 0xcc, 0x71);
inline constexpr ImU32 Connecting = Rgb(0xf1, 0xc4, 0x0f);
inline constexpr ImU32 Offline = Rgb(0xe7, 0x4c, 0x3c);
inline constexpr ImU32 Badge = Rgb(0xe6, 0x5c, 0x00);       // unread counts
inline constexpr ImU32 BadgeText = Rgb(0xff, 0xff, 0xff);
inline constexpr ImU32 RefusedBand = Rgb(0x7a, 0x1f, 0x1f); // a refused login, under the connect form
inline constexpr ImU32 RefusedText = Rgb(0xff, 0xe4, 0xe1);

// Applies the palette and scales sizes for HiDPI.
void Apply(float scale);

// A round status light (green/yellow/red) the height of a frame, followed by SameLine.
void StatusDot(ImU32 color);

// An unread count as a pill whose right edge is at `right`, vertically centred on `centerY`.
// Returns its width (0 for a count of 0).
float UnreadBadge(ImDrawList* draw, float right, float centerY, std::size_t count);
float UnreadBadgeWidth(std::size_t count);

// A tooltip for the last item (every button gets one).
void Tooltip(const char* text);

} // namespace obrol::ui::theme

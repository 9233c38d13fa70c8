// Shared by the GUI suites: the test window (opened with retries under Xvfb), where screenshots
// go, and a small RGB reader for the PNG screenshots. Header-only; main thread only.
#pragma once

#include "engine/gfx/window.hpp"

#include <doctest/doctest.h>
#include <imgui.h>
#include <stb/stb_image.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace obrol::test {

// [SECTION] The window

// Opens the test window. Xvfb (without -noreset) resets itself whenever its last client
// disconnects, and refuses connections while it does: the previous test's window closing is
// enough to make the next one fail now and then. So retry for a while, but only when there is a
// display to wait for.
inline std::unique_ptr<engine::Window> OpenTestWindow(const std::string& title, int width, int height)
{
    engine::WindowConfig config;
    config.title = title;
    config.width = width;
    config.height = height;
    std::unique_ptr<engine::Window> window;
    std::string error;
    const bool haveDisplay = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;)
    {
        try
        {
            window = std::make_unique<engine::Window>(config);
            break;
        }
        catch (const std::exception& e)
        {
            error = e.what();
        }
        if (!haveDisplay || std::chrono::steady_clock::now() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the server gives no signal when its reset is over
    }
    REQUIRE_MESSAGE(window, "cannot open the test window (" << error << "); run the GUI suite under xvfb-run");
    return window;
}

// Where a screenshot goes: the working directory (ctest runs the suite in the build tree).
inline std::string OutputPath(const char* name)
{
    return (std::filesystem::current_path() / name).string();
}

// [SECTION] Pixels

struct Rgb8
{
    std::uint8_t r = 0, g = 0, b = 0;
    friend bool operator==(const Rgb8&, const Rgb8&) = default;
};

constexpr Rgb8 FromImU32(ImU32 c)
{
    return {static_cast<std::uint8_t>((c >> IM_COL32_R_SHIFT) & 0xFF), static_cast<std::uint8_t>((c >> IM_COL32_G_SHIFT) & 0xFF),
            static_cast<std::uint8_t>((c >> IM_COL32_B_SHIFT) & 0xFF)};
}

struct Rect
{
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0; // [x0, x1) x [y0, y1)
    bool Empty() const { return x1 <= x0 || y1 <= y0; }
    int Width() const { return x1 - x0; }
    int Height() const { return y1 - y0; }
};

inline std::string Describe(const Rect& r)
{
    return "[" + std::to_string(r.x0) + "," + std::to_string(r.y0) + ")-[" + std::to_string(r.x1) + "," +
           std::to_string(r.y1) + ")";
}

struct Run
{
    int length = 0;
    int x = 0, y = 0; // where it starts
};

// A PNG screenshot as RGB, top row first.
class Image
{
public:
    explicit Image(const std::string& path)
    {
        int channels = 0;
        unsigned char* data = stbi_load(path.c_str(), &m_width, &m_height, &channels, 3);
        if (!data)
        {
            m_error = stbi_failure_reason() ? stbi_failure_reason() : "unknown stb_image error";
            m_width = m_height = 0;
            return;
        }
        m_pixels.assign(data, data + static_cast<std::size_t>(m_width) * m_height * 3);
        stbi_image_free(data);
    }

    bool Loaded() const { return m_error.empty(); }
    const std::string& Error() const { return m_error; }
    int Width() const { return m_width; }
    int Height() const { return m_height; }
    Rect Whole() const { return {0, 0, m_width, m_height}; }

    Rgb8 At(int x, int y) const
    {
        const std::size_t i = (static_cast<std::size_t>(y) * m_width + x) * 3;
        return {m_pixels[i], m_pixels[i + 1], m_pixels[i + 2]};
    }

    // Pixels of exactly `colour` in `r` (clipped to the image).
    std::size_t Count(Rgb8 colour) const { return Count(colour, Whole()); }
    std::size_t Count(Rgb8 colour, Rect r) const
    {
        std::size_t n = 0;
        for (int y = std::max(r.y0, 0); y < std::min(r.y1, m_height); ++y)
            for (int x = std::max(r.x0, 0); x < std::min(r.x1, m_width); ++x)
                n += At(x, y) == colour;
        return n;
    }

    // The smallest rectangle holding every pixel of `colour` in `r` (empty when there is none).
    Rect Bounds(Rgb8 colour) const { return Bounds(colour, Whole()); }
    Rect Bounds(Rgb8 colour, Rect r) const
    {
        Rect b{m_width, m_height, 0, 0};
        for (int y = std::max(r.y0, 0); y < std::min(r.y1, m_height); ++y)
            for (int x = std::max(r.x0, 0); x < std::min(r.x1, m_width); ++x)
                if (At(x, y) == colour)
                    b = {std::min(b.x0, x), std::min(b.y0, y), std::max(b.x1, x + 1), std::max(b.y1, y + 1)};
        return b.Empty() ? Rect{} : b;
    }

    // The longest unbroken horizontal run of exactly `colour` anywhere.
    int LongestRun(Rgb8 colour) const
    {
        int best = 0;
        for (int y = 0; y < m_height; ++y)
            for (int x = 0, run = 0; x < m_width; ++x)
                best = std::max(best, run = At(x, y) == colour ? run + 1 : 0);
        return best;
    }

    // Longest unbroken horizontal (or vertical) stretch of exactly `colour` inside `r`. Text is
    // anti-aliased and never paints long runs of one colour; filled rectangles do.
    Run LongestRun(Rgb8 colour, Rect r, bool vertical = false) const
    {
        Run best;
        const int outerBegin = vertical ? r.x0 : r.y0, outerEnd = vertical ? r.x1 : r.y1;
        const int innerBegin = vertical ? r.y0 : r.x0, innerEnd = vertical ? r.y1 : r.x1;
        for (int o = outerBegin; o < outerEnd; ++o)
        {
            int length = 0;
            for (int i = innerBegin; i < innerEnd; ++i)
            {
                const bool hit = vertical ? At(o, i) == colour : At(i, o) == colour;
                length = hit ? length + 1 : 0;
                if (length > best.length)
                    best = vertical ? Run{length, o, i - length + 1} : Run{length, i - length + 1, o};
            }
        }
        return best;
    }

    std::size_t DistinctColours() const
    {
        std::unordered_set<std::uint32_t> seen;
        for (std::size_t i = 0; i + 2 < m_pixels.size(); i += 3)
            seen.insert(std::uint32_t(m_pixels[i]) << 16 | std::uint32_t(m_pixels[i + 1]) << 8 | m_pixels[i + 2]);
        return seen.size();
    }

private:
    int m_width = 0, m_height = 0;
    std::vector<std::uint8_t> m_pixels;
    std::string m_error;
};

} // namespace obrol::test

// GUI tests for gfx::TextureCache in the real window (GLFW + OpenGL 3.3 under Xvfb): uploads,
// eviction within a tiny budget that keeps what the frame drew, and the texture's pixels as
// ImGui::Image puts them on screen (read back from the framebuffer). Main thread only.
#include "engine/gfx/texture_cache.hpp"
#include "gui/gui_support.hpp"
#include "engine/gfx/window.hpp"

#include <glad/gl.h> // before GLFW, which would include the system GL header otherwise

#include <GLFW/glfw3.h>
#include <doctest/doctest.h>
#include <imgui.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace obrol::test {

namespace {

using namespace std::chrono_literals;

struct Rgba8
{
    std::uint8_t r = 0, g = 0, b = 0, a = 255;
    friend bool operator==(const Rgba8&, const Rgba8&) = default;
};

constexpr Rgba8 Red{255, 0, 0};
constexpr Rgba8 Blue{0, 0, 255};
constexpr Rgba8 Green{0, 255, 0};
constexpr Rgba8 Yellow{255, 255, 0};

doctest::String toString(const Rgba8& c)
{
    return ("rgb(" + std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b) + ")").c_str();
}

engine::DecodedImage Filled(int width, int height, const std::function<Rgba8(int, int)>& colourAt)
{
    engine::DecodedImage image;
    image.width = width;
    image.height = height;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
        {
            const Rgba8 c = colourAt(x, y);
            image.rgba.insert(image.rgba.end(), {c.r, c.g, c.b, c.a});
        }
    return image;
}

engine::DecodedImage Solid(int width, int height, Rgba8 colour)
{
    return Filled(width, height, [colour](int, int) { return colour; });
}

std::unique_ptr<engine::Window> OpenWindow()
{
    return OpenTestWindow("Obrol texture cache test", 640, 400);
}

bool IsGlTexture(ImTextureID id)
{
    return glIsTexture(static_cast<GLuint>(reinterpret_cast<std::intptr_t>(id))) == GL_TRUE;
}

// The back buffer after RenderOnly, top row first.
class Framebuffer
{
public:
    explicit Framebuffer(engine::Window& window)
    {
        glfwGetFramebufferSize(window.Handle(), &m_width, &m_height);
        m_pixels.resize(static_cast<std::size_t>(m_width) * static_cast<std::size_t>(m_height) * 4);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadBuffer(GL_BACK);
        glReadPixels(0, 0, m_width, m_height, GL_RGBA, GL_UNSIGNED_BYTE, m_pixels.data());
        const ImVec2 display = ImGui::GetIO().DisplaySize;
        m_scale = display.x > 0 ? static_cast<float>(m_width) / display.x : 1.0f;
    }

    // The pixel under ImGui's coordinates (x, y), in points.
    Rgba8 At(float x, float y) const
    {
        const int px = static_cast<int>(x * m_scale);
        const int py = m_height - 1 - static_cast<int>(y * m_scale); // GL rows go bottom-up
        const std::size_t i = (static_cast<std::size_t>(py) * static_cast<std::size_t>(m_width) +
                               static_cast<std::size_t>(px)) * 4;
        return {m_pixels[i], m_pixels[i + 1], m_pixels[i + 2], 255};
    }

    std::size_t Count(Rgba8 colour) const
    {
        std::size_t n = 0;
        for (std::size_t i = 0; i + 3 < m_pixels.size(); i += 4)
            n += m_pixels[i] == colour.r && m_pixels[i + 1] == colour.g && m_pixels[i + 2] == colour.b;
        return n;
    }

private:
    int m_width = 0, m_height = 0;
    float m_scale = 1.0f;
    std::vector<std::uint8_t> m_pixels;
};

// One frame: `draw` runs inside a full-window undecorated ImGui window; the frame is rendered
// into the back buffer and `check` reads it before it is presented.
void Frame(engine::Window& window, const std::function<void()>& draw,
           const std::function<void(const Framebuffer&)>& check = {})
{
    window.PollEvents();
    window.BeginFrame(true);
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
    ImGui::Begin("##texture test", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings);
    draw();
    ImGui::End();
    window.RenderOnly();
    if (check)
        check(Framebuffer(window));
    window.Present();
}

} // namespace

TEST_SUITE("gui")
{

TEST_CASE("TextureCache keeps the textures drawn this frame and deletes the rest once over budget")
{
    auto window = OpenWindow();
    {
        constexpr std::uint64_t TextureBytes = std::uint64_t{64} * 64 * 4; // 16 KiB each
        auto owned = std::make_unique<gfx::TextureCache>(40'000); // room for two
        gfx::TextureCache& cache = *owned;
        CHECK(cache.Budget() == 40'000);

        std::vector<gfx::Texture> textures;
        Frame(*window, [&] {
            for (std::uint64_t key = 1; key <= 4; ++key)
            {
                const auto texture = cache.Put(key, Solid(64, 64, Red));
                REQUIRE(texture);
                CHECK(texture->width == 64);
                CHECK(texture->height == 64);
                CHECK(IsGlTexture(texture->id));
                textures.push_back(*texture);
            }
        });
        // all four were put (drawn) this frame: over budget, yet none may go
        cache.EndFrame();
        CHECK(cache.Size() == 4);
        CHECK(cache.Bytes() == 4 * TextureBytes);

        // the next frame draws only 1 and 2
        Frame(*window, [&] {
            for (std::uint64_t key : {1u, 2u})
            {
                const auto texture = cache.Find(key);
                REQUIRE(texture);
                ImGui::Image(texture->id, ImVec2(32, 32));
            }
        });
        cache.EndFrame();
        CHECK(cache.Size() == 2);
        CHECK(cache.Bytes() == 2 * TextureBytes);
        CHECK(cache.Bytes() <= cache.Budget());
        CHECK(cache.Find(1));
        CHECK(cache.Find(2));
        CHECK_FALSE(cache.Find(3));
        CHECK_FALSE(cache.Find(4));
        CHECK(IsGlTexture(textures[0].id));
        CHECK(IsGlTexture(textures[1].id));
        CHECK_FALSE(IsGlTexture(textures[2].id)); // deleted in GL, not just forgotten
        CHECK_FALSE(IsGlTexture(textures[3].id));

        // replacing a key deletes the old texture; erasing deletes it too
        const auto replaced = cache.Put(1, Solid(8, 8, Blue));
        REQUIRE(replaced);
        CHECK(replaced->width == 8);
        CHECK_FALSE(IsGlTexture(textures[0].id));
        cache.Erase(2);
        CHECK_FALSE(cache.Find(2));
        CHECK_FALSE(IsGlTexture(textures[1].id));

        // malformed images are refused without touching the cache
        engine::DecodedImage broken = Solid(4, 4, Red);
        broken.rgba.pop_back();
        CHECK_FALSE(cache.Put(5, broken));
        CHECK_FALSE(cache.Put(6, engine::DecodedImage{}));
        CHECK(cache.Size() == 1);

        // the destructor deletes what is left
        const ImTextureID last = replaced->id;
        CHECK(IsGlTexture(last));
        owned.reset();
        CHECK_FALSE(IsGlTexture(last));
        CHECK(gfx::TextureCache().Budget() == gfx::TextureCache::DefaultBudget);
    }
}

TEST_CASE("a cached texture drawn with ImGui::Image shows its pixels on screen, rows in place")
{
    auto window = OpenWindow();
    {
        gfx::TextureCache cache;
        // 7 pixels wide (rows are not a multiple of 4 pixels): four coloured quadrants
        const engine::DecodedImage quadrants = Filled(7, 4, [](int x, int y) {
            if (y < 2)
                return x < 3 ? Red : Blue;
            return x < 3 ? Green : Yellow;
        });
        const auto texture = cache.Put(77, quadrants);
        REQUIRE(texture);

        constexpr float Scale = 20.0f; // each texel becomes 20 x 20 points
        const ImVec2 origin(40, 40);
        const auto draw = [&] {
            const auto found = cache.Find(77);
            REQUIRE(found);
            ImGui::SetCursorScreenPos(origin);
            ImGui::Image(found->id, ImVec2(7 * Scale, 4 * Scale));
        };
        // Before drawing it, none of the four colours is on screen.
        Frame(*window, [] {}, [&](const Framebuffer& fb) {
            CHECK(fb.Count(Red) == 0);
            CHECK(fb.Count(Yellow) == 0);
        });
        Frame(*window, draw);
        Frame(*window, draw, [&](const Framebuffer& fb) {
            // Between the centres of two texels of one colour, linear filtering gives that colour exactly.
            const auto at = [&](float texelX, float texelY) {
                return fb.At(origin.x + texelX * Scale, origin.y + texelY * Scale);
            };
            CHECK(at(1.0f, 1.0f) == Red);
            CHECK(at(5.0f, 1.0f) == Blue);
            CHECK(at(1.0f, 3.0f) == Green);
            CHECK(at(5.0f, 3.0f) == Yellow);
            CHECK(at(0.1f, 0.1f) == Red); // clamped to the edge: no wrap-around from the far side
            CHECK(at(6.9f, 3.9f) == Yellow);
            // most of each quarter of the 140 x 80 image (less the blended seams)
            CHECK(fb.Count(Red) >= 1200); // 50 x 30 exactly red
            CHECK(fb.Count(Blue) >= 1800); // 70 x 30
            CHECK(fb.Count(Green) >= 1200);
            CHECK(fb.Count(Yellow) >= 1800);
        });
        cache.EndFrame();
        CHECK(cache.Contains(77));
    }
}

} // TEST_SUITE("gui")

} // namespace obrol::test

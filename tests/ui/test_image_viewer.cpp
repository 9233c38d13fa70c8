// UI tests for the image viewer: a fake texture id in a bare ImGui context; fitting, the zoom
// buttons, wheel zoom around the pointer, dragging, Save and closing, read back from the viewer
// and from the draw data.
#include "ui_harness.hpp"

#include "ui/panels/image_viewer.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

using namespace obrol;
using namespace obrol::test;
using ui::ImageViewer;
using ui::ViewerImage;

namespace {

const ImTextureID FakeTexture = reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(0x5eed));

ViewerImage Picture(int width, int height)
{
    return ViewerImage{FakeTexture, width, height, "photo.jpg", "photo.jpg — 2.1 MiB — " + std::to_string(width) + "×" +
                                                                    std::to_string(height)};
}

ImVec2 Middle(const ImageViewer::Rect& r)
{
    return ImVec2((r.first.x + r.second.x) * 0.5f, (r.first.y + r.second.y) * 0.5f);
}

float Width(const ImageViewer::Rect& r) { return r.second.x - r.first.x; }
float Height(const ImageViewer::Rect& r) { return r.second.y - r.first.y; }

// Whether the last frame drew anything with the fake texture.
bool TextureDrawn()
{
    const ImDrawData* data = ImGui::GetDrawData();
    for (int l = 0; data && l < data->CmdListsCount; ++l)
        for (const ImDrawCmd& cmd : data->CmdLists[l]->CmdBuffer)
            if (cmd.TextureId == FakeTexture && cmd.ElemCount > 0)
                return true;
    return false;
}

struct ViewerFixture
{
    UiHarness ui;
    ImageViewer viewer;

    explicit ViewerFixture(ViewerImage image)
    {
        viewer.Open(std::move(image));
        Frames(2);
    }

    auto Draw()
    {
        return [this] { viewer.Draw(); };
    }
    void Frames(int n) { ui.Frames(n, Draw()); }

    ImageViewer::Rect Rect(const std::string& what)
    {
        const auto rect = viewer.ItemRect(what);
        REQUIRE_MESSAGE(rect, "the viewer did not draw " << what);
        return *rect;
    }

    void Click(const std::string& what) { ui.Click(Middle(Rect(what)), Draw()); }

    void Wheel(ImVec2 at, float notches)
    {
        ui.MoveMouse(at);
        Frames(1);
        ImGui::GetIO().MouseWheel = notches;
        Frames(1);
        Frames(1);
    }

    // The image pixel under a screen point, from what was drawn.
    ImVec2 ImagePointAt(ImVec2 screen)
    {
        const ImageViewer::Rect image = Rect("image");
        const ImVec2 size(static_cast<float>(viewer.Image().width), static_cast<float>(viewer.Image().height));
        return ImVec2((screen.x - image.first.x) / Width(image) * size.x, (screen.y - image.first.y) / Height(image) * size.y);
    }
};

} // namespace

TEST_SUITE("ui")
{
    TEST_CASE("a big image opens fitted inside the view, aspect kept, drawn with its texture")
    {
        ViewerFixture f(Picture(4032, 3024));
        CHECK(f.viewer.IsOpen());
        CHECK(f.viewer.Fitted());
        CHECK(f.viewer.Zoom() < 1.0f);
        CHECK(f.viewer.Zoom() > 0.05f);
        const auto view = f.Rect("view");
        const auto image = f.Rect("image");
        // inside the view, touching it on one axis
        CHECK(image.first.x >= view.first.x - 0.5f);
        CHECK(image.first.y >= view.first.y - 0.5f);
        CHECK(image.second.x <= view.second.x + 0.5f);
        CHECK(image.second.y <= view.second.y + 0.5f);
        CHECK((std::abs(Width(image) - Width(view)) < 1.0f || std::abs(Height(image) - Height(view)) < 1.0f));
        CHECK(Width(image) / Height(image) == doctest::Approx(4032.0 / 3024.0).epsilon(0.01));
        CHECK(Width(image) == doctest::Approx(4032.0 * f.viewer.Zoom()).epsilon(0.001));
        CHECK(TextureDrawn());
        // the window takes about 80% of the display
        CHECK(Width(view) > UiHarness::Width * 0.6f);
        CHECK(Width(view) < UiHarness::Width * 0.8f);
    }

    TEST_CASE("a small image opens at 1:1, centred; a tiny one is enlarged at most 8x")
    {
        {
            ViewerFixture f(Picture(300, 200));
            CHECK(f.viewer.Zoom() == 1.0f);
            const auto image = f.Rect("image");
            CHECK(Width(image) == doctest::Approx(300.0));
            CHECK(Height(image) == doctest::Approx(200.0));
            const ImVec2 viewMiddle = Middle(f.Rect("view"));
            CHECK(Middle(image).x == doctest::Approx(viewMiddle.x));
            CHECK(Middle(image).y == doctest::Approx(viewMiddle.y));
        }
        {
            ViewerFixture f(Picture(16, 12));
            CHECK(f.viewer.Zoom() == 8.0f);
            CHECK(Width(f.Rect("image")) == doctest::Approx(128.0));
        }
    }

    TEST_CASE("the zoom buttons: + and - step, 1:1 is actual size, Fit fits again")
    {
        ViewerFixture f(Picture(4032, 3024));
        const float fitted = f.viewer.Zoom();
        f.Click("+");
        CHECK(f.viewer.Zoom() == doctest::Approx(fitted * ImageViewer::ZoomStep));
        CHECK_FALSE(f.viewer.Fitted());
        f.Click("-");
        f.Click("-");
        CHECK(f.viewer.Zoom() == doctest::Approx(fitted / ImageViewer::ZoomStep));
        f.Click("1:1");
        CHECK(f.viewer.Zoom() == 1.0f);
        CHECK(Width(f.Rect("image")) == doctest::Approx(4032.0));
        f.Click("Fit");
        CHECK(f.viewer.Zoom() == doctest::Approx(fitted));
        CHECK(f.viewer.Fitted());
    }

    TEST_CASE("zoom never runs away: repeated + stops at the maximum, repeated - at a quarter of the fit")
    {
        ViewerFixture f(Picture(4032, 3024));
        const float fitted = f.viewer.Zoom();
        for (int i = 0; i < 40; ++i)
            f.viewer.ZoomIn();
        CHECK(f.viewer.Zoom() == ImageViewer::MaxZoom);
        for (int i = 0; i < 80; ++i)
            f.viewer.ZoomOut();
        CHECK(f.viewer.Zoom() == doctest::Approx(fitted / 4.0f));
    }

    TEST_CASE("the mouse wheel zooms around the pointer")
    {
        ViewerFixture f(Picture(4032, 3024));
        f.Click("1:1"); // larger than the view: no edge holds the zoom back
        const auto view = f.Rect("view");
        // a point up and left of the middle of the view
        const ImVec2 at(view.first.x + Width(view) * 0.3f, view.first.y + Height(view) * 0.35f);
        const ImVec2 before = f.ImagePointAt(at);
        f.Wheel(at, 2.0f);
        CHECK(f.viewer.Zoom() == doctest::Approx(ImageViewer::ZoomStep * ImageViewer::ZoomStep));
        const ImVec2 after = f.ImagePointAt(at);
        CHECK(after.x == doctest::Approx(before.x).epsilon(0.001));
        CHECK(after.y == doctest::Approx(before.y).epsilon(0.001));
        CHECK(f.viewer.Center().x != doctest::Approx(2016.0)); // not simply around the middle

        f.Wheel(at, -1.0f);
        CHECK(f.viewer.Zoom() == doctest::Approx(ImageViewer::ZoomStep));
        CHECK(f.ImagePointAt(at).x == doctest::Approx(before.x).epsilon(0.001));
    }

    TEST_CASE("the mouse wheel enlarges a fitted image and keeps it centred while it fits")
    {
        ViewerFixture f(Picture(4032, 3024));
        const float fitted = f.viewer.Zoom();
        const auto view = f.Rect("view");
        f.Wheel(ImVec2(view.first.x + 20, view.first.y + 20), 1.0f);
        CHECK(f.viewer.Zoom() == doctest::Approx(fitted * ImageViewer::ZoomStep));
        CHECK_FALSE(f.viewer.Fitted());
        const auto image = f.Rect("image");
        if (Width(image) < Width(view))
            CHECK(Middle(image).x == doctest::Approx(Middle(view).x));
        if (Height(image) < Height(view))
            CHECK(Middle(image).y == doctest::Approx(Middle(view).y));
    }

    TEST_CASE("dragging pans an image larger than the view, and not past its edges")
    {
        ViewerFixture f(Picture(4032, 3024));
        f.Click("1:1");
        const ImVec2 center = f.viewer.Center();
        CHECK(center.x == doctest::Approx(2016.0));
        const ImVec2 from = Middle(f.Rect("view"));
        f.ui.Drag(from, ImVec2(from.x + 100, from.y + 40), f.Draw());
        // the picture follows the pointer: the point at the middle moves up-left in the image
        CHECK(f.viewer.Center().x == doctest::Approx(center.x - 100));
        CHECK(f.viewer.Center().y == doctest::Approx(center.y - 40));

        for (int i = 0; i < 10; ++i) // far beyond the top-left corner
        {
            f.Frames(30); // two presses on one spot in quick succession would be a double-click
            f.ui.Drag(from, ImVec2(from.x + 400, from.y + 400), f.Draw());
        }
        const auto view = f.Rect("view");
        const auto image = f.Rect("image");
        CHECK(image.first.x == doctest::Approx(view.first.x));
        CHECK(image.first.y == doctest::Approx(view.first.y));
    }

    TEST_CASE("dragging a fitted image does nothing: it stays centred and fitted")
    {
        ViewerFixture f(Picture(4032, 3024));
        const ImVec2 from = Middle(f.Rect("view"));
        f.ui.Drag(from, ImVec2(from.x + 100, from.y + 40), f.Draw());
        CHECK(f.viewer.Fitted());
        CHECK(f.viewer.Center().x == doctest::Approx(2016.0));
        CHECK(f.viewer.Center().y == doctest::Approx(1512.0));
    }

    TEST_CASE("Save is reported once per click")
    {
        ViewerFixture f(Picture(640, 480));
        CHECK_FALSE(f.viewer.TakeSaveRequest());
        f.Click("Save");
        CHECK(f.viewer.TakeSaveRequest());
        CHECK_FALSE(f.viewer.TakeSaveRequest());
        CHECK(f.viewer.IsOpen()); // saving does not close the viewer
    }

    TEST_CASE("Escape closes the viewer and it is no longer drawn")
    {
        ViewerFixture f(Picture(640, 480));
        CHECK(TextureDrawn());
        f.ui.PressKey(KeyEscape, f.Draw());
        CHECK_FALSE(f.viewer.IsOpen());
        f.Frames(1);
        CHECK_FALSE(TextureDrawn());
        CHECK_FALSE(f.viewer.ItemRect("Save"));

        f.viewer.Open(Picture(100, 100)); // and it opens again, fitted
        f.Frames(1);
        CHECK(f.viewer.IsOpen());
        CHECK(f.viewer.Zoom() == 1.0f);
        CHECK(TextureDrawn());
    }

    TEST_CASE("double-clicking the image switches between fitted and 1:1")
    {
        ViewerFixture f(Picture(4032, 3024));
        const ImVec2 at = Middle(f.Rect("view"));
        f.ui.Click(at, f.Draw());
        f.ui.Click(at, f.Draw());
        CHECK(f.viewer.Zoom() == 1.0f);
        CHECK_FALSE(f.viewer.Fitted());
        f.Frames(30); // past the double-click time: the next two clicks are a new double-click
        f.ui.Click(at, f.Draw());
        f.ui.Click(at, f.Draw());
        CHECK(f.viewer.Fitted());
        CHECK(f.viewer.Zoom() < 1.0f);
    }
}

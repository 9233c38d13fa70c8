// UI tests for the file picker: a real folder tree in the temp directory, the picker drawn in a
// bare ImGui context, and the user's clicks, double-clicks, typing and keys simulated.
#include "ui_harness.hpp"

#include "engine/units.hpp"
#include "ui/panels/file_picker.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

using namespace obrol;
using namespace obrol::test;
using ui::FilePicker;
namespace fs = std::filesystem;

namespace {

using Names = std::vector<std::string>;

// root/
//   alpha/ (inner.txt)   Beta/   .config/ (hidden)
//   apple.png (2000 B)   banana.TXT (0 B)   Zeta.txt (10 B)   .hidden (hidden)
struct TempTree
{
    fs::path root;

    TempTree()
    {
        static int counter = 0;
        root = fs::temp_directory_path() / ("obrol-file-picker-" + std::to_string(static_cast<long long>(::getpid())) +
                                            "-" + std::to_string(++counter));
        fs::remove_all(root);
        fs::create_directories(root / "alpha");
        fs::create_directories(root / "Beta");
        fs::create_directories(root / ".config");
        Write(root / "alpha" / "inner.txt", 5);
        Write(root / "apple.png", 2000);
        Write(root / "banana.TXT", 0);
        Write(root / "Zeta.txt", 10);
        Write(root / ".hidden", 1);
    }
    ~TempTree()
    {
        std::error_code ec;
        fs::permissions(root / "locked", fs::perms::owner_all, ec);
        fs::remove_all(root, ec);
    }
    static void Write(const fs::path& path, std::size_t bytes)
    {
        std::ofstream out(path, std::ios::binary);
        out << std::string(bytes, 'x');
    }
};

ImVec2 Middle(const FilePicker::Rect& r)
{
    return ImVec2((r.first.x + r.second.x) * 0.5f, (r.first.y + r.second.y) * 0.5f);
}

struct PickerFixture
{
    TempTree tree;
    UiHarness ui;
    FilePicker picker;
    std::optional<std::vector<fs::path>> chosen;
    int timesChosen = 0;

    PickerFixture(bool multiple = true)
    {
        picker.Open(tree.root, "Send a file", "Send", multiple);
        Frames(2);
    }

    auto Draw()
    {
        return [this] {
            if (auto files = picker.Draw())
            {
                chosen = std::move(files);
                ++timesChosen;
            }
        };
    }
    void Frames(int n) { ui.Frames(n, Draw()); }

    void ClickItem(const std::string& what)
    {
        const auto rect = picker.ItemRect(what);
        REQUIRE_MESSAGE(rect, "the picker did not draw " << what);
        ui.Click(Middle(*rect), Draw());
    }

    // Lets the double-click time pass, so the next click on the same spot is a single click.
    void Pause() { Frames(30); }

    void ClickRow(const std::string& name, bool ctrl = false, bool shift = false)
    {
        Pause();
        const auto rect = picker.RowRect(name);
        REQUIRE_MESSAGE(rect, "no row drawn for " << name);
        ImGuiIO& io = ImGui::GetIO();
        io.KeyCtrl = ctrl;
        io.KeyShift = shift;
        ui.Click(Middle(*rect), Draw());
        io.KeyCtrl = false;
        io.KeyShift = false;
    }

    void DoubleClickRow(const std::string& name)
    {
        Pause();
        const auto rect = picker.RowRect(name);
        REQUIRE_MESSAGE(rect, "no row drawn for " << name);
        ui.Click(Middle(*rect), Draw());
        ui.Click(Middle(*rect), Draw()); // within the double-click time: the harness runs at 60 fps
    }

    // Types `path` into the path field and presses Enter there.
    void EnterPath(const std::string& path)
    {
        picker.PathInput() = path;
        ClickItem("path");
        ui.PressKey(KeyEnter, Draw());
        Frames(1);
    }

    // The rows drawn, top to bottom.
    Names DrawnRows() const
    {
        Names names = picker.VisibleNames();
        std::erase_if(names, [&](const std::string& n) { return !picker.RowRect(n); });
        std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
            return picker.RowRect(a)->first.y < picker.RowRect(b)->first.y;
        });
        return names;
    }
};

const ImU32 ErrorColour = ImGui::ColorConvertFloat4ToU32(ImVec4(1.0f, 0.55f, 0.55f, 1.0f));

} // namespace

TEST_SUITE("ui")
{
    TEST_CASE("the picker lists folders first, then files, case-insensitively, without hidden files")
    {
        PickerFixture f;
        CHECK(f.picker.IsOpen());
        CHECK(f.picker.Folder() == f.tree.root);
        CHECK(f.picker.Error().empty());
        const Names expected = {"alpha", "Beta", "apple.png", "banana.TXT", "Zeta.txt"};
        CHECK(f.picker.VisibleNames() == expected);
        CHECK(f.DrawnRows() == expected); // on screen in that order, top to bottom
        CHECK(f.picker.PathInput() == f.tree.root.string());

        // sizes as the user reads them; folders have none
        for (const FilePicker::Entry& e : f.picker.Entries())
        {
            if (e.name == "apple.png")
                CHECK(e.sizeText == engine::FormatSize(2000));
            if (e.name == "alpha")
                CHECK(e.folder);
            CHECK(e.modifiedMs > 0);
        }
    }

    TEST_CASE("the show-hidden checkbox adds dot files and folders in their place")
    {
        PickerFixture f;
        f.ClickItem("hidden");
        CHECK(f.picker.ShowHidden());
        CHECK(f.picker.VisibleNames() == Names{".config", "alpha", "Beta", ".hidden", "apple.png", "banana.TXT", "Zeta.txt"});
        f.ClickItem("hidden");
        CHECK(f.picker.VisibleNames() == Names{"alpha", "Beta", "apple.png", "banana.TXT", "Zeta.txt"});
    }

    TEST_CASE("double-clicking a folder enters it; Up goes back with that folder selected")
    {
        PickerFixture f;
        f.DoubleClickRow("alpha");
        CHECK(f.picker.Folder() == f.tree.root / "alpha");
        CHECK(f.picker.VisibleNames() == Names{"inner.txt"});
        CHECK(f.picker.PathInput() == (f.tree.root / "alpha").string());
        CHECK(f.picker.IsOpen());
        CHECK(f.timesChosen == 0);

        f.ClickItem("Up");
        CHECK(f.picker.Folder() == f.tree.root);
        CHECK(f.picker.VisibleNames().size() == 5);
        CHECK(f.picker.Selection().empty()); // a folder is selected, not a file
    }

    TEST_CASE("Home opens the home folder")
    {
        PickerFixture f;
        const char* home = std::getenv("HOME");
        REQUIRE(home);
        f.ClickItem("Home");
        CHECK(f.picker.Folder() == fs::path(home).lexically_normal());
    }

    TEST_CASE("typing in the filter box shows only matching names, ignoring case")
    {
        PickerFixture f;
        f.ClickItem("filter");
        f.ui.Type("TxT", f.Draw());
        f.Frames(1);
        CHECK(f.picker.VisibleNames() == Names{"banana.TXT", "Zeta.txt"});
        CHECK(f.DrawnRows() == Names{"banana.TXT", "Zeta.txt"});
        f.ui.Type("zzz", f.Draw());
        f.Frames(1);
        CHECK(f.picker.VisibleNames().empty());
    }

    TEST_CASE("selecting a file and pressing Send returns its full path once and closes")
    {
        PickerFixture f;
        f.ClickRow("apple.png");
        CHECK(f.picker.Selection() == std::vector<fs::path>{f.tree.root / "apple.png"});
        CHECK(f.timesChosen == 0);
        f.ClickItem("confirm");
        REQUIRE(f.chosen);
        CHECK(*f.chosen == std::vector<fs::path>{f.tree.root / "apple.png"});
        CHECK_FALSE(f.picker.IsOpen());
        f.Frames(3);
        CHECK(f.timesChosen == 1);
        CHECK_FALSE(f.picker.RowRect("apple.png")); // no longer drawn
    }

    TEST_CASE("double-clicking a file chooses it")
    {
        PickerFixture f;
        f.DoubleClickRow("Zeta.txt");
        REQUIRE(f.chosen);
        CHECK(*f.chosen == std::vector<fs::path>{f.tree.root / "Zeta.txt"});
        CHECK_FALSE(f.picker.IsOpen());
    }

    TEST_CASE("Send is disabled until something is selected")
    {
        PickerFixture f;
        f.ClickItem("confirm");
        CHECK_FALSE(f.chosen);
        CHECK(f.picker.IsOpen());
    }

    TEST_CASE("Ctrl-click adds and removes files; Shift-click selects a range")
    {
        PickerFixture f;
        f.ClickRow("apple.png");
        f.ClickRow("Zeta.txt", /*ctrl=*/true);
        CHECK(f.picker.Selection() == std::vector<fs::path>{f.tree.root / "apple.png", f.tree.root / "Zeta.txt"});
        f.ClickRow("apple.png", /*ctrl=*/true);
        CHECK(f.picker.Selection() == std::vector<fs::path>{f.tree.root / "Zeta.txt"});

        f.ClickRow("apple.png");
        f.ClickRow("Zeta.txt", false, /*shift=*/true);
        CHECK(f.picker.Selection() == std::vector<fs::path>{f.tree.root / "apple.png", f.tree.root / "banana.TXT",
                                                            f.tree.root / "Zeta.txt"});
        f.ClickItem("confirm");
        REQUIRE(f.chosen);
        CHECK(f.chosen->size() == 3);
    }

    TEST_CASE("with a single choice, Ctrl-click replaces the selection")
    {
        PickerFixture f(/*multiple=*/false);
        f.ClickRow("apple.png");
        f.ClickRow("Zeta.txt", /*ctrl=*/true);
        CHECK(f.picker.Selection() == std::vector<fs::path>{f.tree.root / "Zeta.txt"});
    }

    TEST_CASE("a folder typed in the path field opens; a missing one shows an error and stays")
    {
        PickerFixture f;
        f.EnterPath((f.tree.root / "Beta").string());
        CHECK(f.picker.Folder() == f.tree.root / "Beta");
        CHECK(f.picker.Error().empty());
        CHECK(f.picker.VisibleNames().empty());

        const std::string missing = (f.tree.root / "no such folder").string();
        f.EnterPath(missing);
        CHECK(f.picker.Folder() == f.tree.root / "Beta"); // unchanged
        CHECK(f.picker.Error().find("No such folder") != std::string::npos);
        CHECK(f.picker.Error().find(missing) != std::string::npos);
        CHECK(f.picker.PathInput() == missing); // kept, so the typo can be fixed
        CHECK(UiHarness::BoundsOfColor(ErrorColour)); // drawn, in the error colour
        CHECK(f.picker.IsOpen());

        f.EnterPath(f.tree.root.string()); // a good path clears the error
        CHECK(f.picker.Error().empty());
        CHECK_FALSE(UiHarness::BoundsOfColor(ErrorColour));
    }

    TEST_CASE("a file typed in the path field opens its folder with the file selected")
    {
        PickerFixture f;
        f.EnterPath((f.tree.root / "alpha" / "inner.txt").string());
        CHECK(f.picker.Folder() == f.tree.root / "alpha");
        CHECK(f.picker.Selection() == std::vector<fs::path>{f.tree.root / "alpha" / "inner.txt"});
    }

    TEST_CASE("a folder that disappears or cannot be read shows 'cannot open' instead of entries")
    {
        PickerFixture f;
        fs::create_directories(f.tree.root / "gone");
        f.EnterPath((f.tree.root / "gone").string());
        REQUIRE(f.picker.Folder() == f.tree.root / "gone");
        fs::remove(f.tree.root / "gone");
        f.ClickItem("Refresh");
        CHECK(f.picker.Error().find("cannot open: ") == 0);
        CHECK(f.picker.Entries().empty());
        CHECK(UiHarness::BoundsOfColor(ErrorColour));
        f.ClickItem("Up"); // and the way out still works
        CHECK(f.picker.Folder() == f.tree.root);
        CHECK(f.picker.Error().empty());

        if (::geteuid() != 0) // root reads any folder
        {
            fs::create_directories(f.tree.root / "locked");
            fs::permissions(f.tree.root / "locked", fs::perms::none);
            f.EnterPath((f.tree.root / "locked").string());
            CHECK(f.picker.Error().find("cannot open: ") == 0);
        }
    }

    TEST_CASE("Refresh picks up new files and keeps the filter and the selection")
    {
        PickerFixture f;
        f.ClickItem("filter");
        f.ui.Type(".t", f.Draw());
        f.ClickRow("Zeta.txt");
        TempTree::Write(f.tree.root / "new.txt", 3);
        f.ClickItem("Refresh");
        CHECK(f.picker.VisibleNames() == Names{"banana.TXT", "new.txt", "Zeta.txt"});
        CHECK(f.picker.Selection() == std::vector<fs::path>{f.tree.root / "Zeta.txt"});
    }

    TEST_CASE("Escape and Cancel close the picker without choosing anything")
    {
        {
            PickerFixture f;
            f.ClickRow("apple.png");
            f.ui.PressKey(KeyEscape, f.Draw());
            CHECK_FALSE(f.picker.IsOpen());
            f.Frames(2);
            CHECK_FALSE(f.chosen);
            CHECK_FALSE(f.picker.ItemRect("confirm")); // gone from the screen
        }
        {
            PickerFixture f;
            f.ClickItem("Cancel");
            CHECK_FALSE(f.picker.IsOpen());
            f.Frames(2);
            CHECK_FALSE(f.chosen);
            CHECK_FALSE(f.picker.ItemRect("confirm"));
            f.picker.Open(f.tree.root, "again"); // and it opens again
            f.Frames(2);
            CHECK(f.picker.ItemRect("confirm"));
        }
    }

    TEST_CASE("Enter chooses the selected file")
    {
        PickerFixture f;
        f.ClickRow("banana.TXT");
        f.ui.PressKey(KeyEnter, f.Draw());
        REQUIRE(f.chosen);
        CHECK(*f.chosen == std::vector<fs::path>{f.tree.root / "banana.TXT"});
    }

    TEST_CASE("a folder of 10,000 files draws only the rows in view")
    {
        TempTree tree;
        const fs::path big = tree.root / "big";
        fs::create_directories(big);
        for (int i = 0; i < 10'000; ++i)
            TempTree::Write(big / ("file-" + std::to_string(100'000 + i) + ".dat"), 1);
        UiHarness ui;
        FilePicker picker;
        const auto start = std::chrono::steady_clock::now();
        picker.Open(big, "big");
        const auto read = std::chrono::steady_clock::now() - start;
        MESSAGE("reading 10,000 entries took " << std::chrono::duration<double, std::milli>(read).count() << " ms");
        CHECK(picker.Entries().size() == 10'000);
        ui.Frames(3, [&] { picker.Draw(); });
        CHECK(picker.RowsDrawn() > 5);
        CHECK(picker.RowsDrawn() < 100);
        CHECK(picker.RowRect("file-100000.dat"));
        CHECK_FALSE(picker.RowRect("file-109999.dat"));
    }
}

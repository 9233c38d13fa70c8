// Names of files that arrive from the network can never escape the downloads folder, hide,
// overwrite, or name a device; SHA-256 matches the standard's test vectors.
#include "engine/file_names.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

using obrol::engine::Sha256;
using obrol::engine::SanitizeFileName;
using obrol::engine::UniquePath;

namespace {

std::string HashOf(const std::string& text, std::size_t chunk = 0)
{
    Sha256 sha;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
    if (chunk == 0)
        sha.Update({bytes, text.size()});
    else
        for (std::size_t i = 0; i < text.size(); i += chunk)
            sha.Update({bytes + i, std::min(chunk, text.size() - i)});
    return Sha256::Hex(sha.Finish());
}

} // namespace

TEST_SUITE("files")
{
    TEST_CASE("hostile file names keep only a harmless last component")
    {
        CHECK(SanitizeFileName("../../etc/passwd") == "passwd");
        CHECK(SanitizeFileName("..\\..\\Windows\\system32\\evil.dll") == "evil.dll");
        CHECK(SanitizeFileName("C:\\Users\\ana\\photo.jpg") == "photo.jpg");
        CHECK(SanitizeFileName("/absolute/path/report.pdf") == "report.pdf");
        CHECK(SanitizeFileName("..") == "file");
        CHECK(SanitizeFileName(".") == "file");
        CHECK(SanitizeFileName("") == "file");
        CHECK(SanitizeFileName("dir/") == "file");
        CHECK(SanitizeFileName(".bashrc") == "_bashrc");
        CHECK(SanitizeFileName("notes.txt. . ") == "notes.txt");
        CHECK(SanitizeFileName("a\x01" "b\tc.txt") == "a_b_c.txt");
        CHECK(SanitizeFileName("what?<is>|this*:\".txt") == "what__is__this___.txt");
        CHECK(SanitizeFileName("invoice\xE2\x80\xAEgpj.exe") == "invoice_gpj.exe"); // no right-to-left override
        CHECK(SanitizeFileName("bad\xFF\xFEutf8.txt") == "bad__utf8.txt");
    }

    TEST_CASE("reserved device names are never used whatever their case or extension")
    {
        CHECK(SanitizeFileName("CON") == "_CON");
        CHECK(SanitizeFileName("con.txt") == "_con.txt");
        CHECK(SanitizeFileName("Nul.tar.gz") == "Nul.tar.gz"); // the stem is "Nul.tar": not a device
        CHECK(SanitizeFileName("nul.gz") == "_nul.gz");
        CHECK(SanitizeFileName("COM1.log") == "_COM1.log");
        CHECK(SanitizeFileName("lpt9") == "_lpt9");
        CHECK(SanitizeFileName("COM10") == "COM10");
        CHECK(SanitizeFileName("console.txt") == "console.txt");
    }

    TEST_CASE("long names are cut to 200 bytes on a character boundary and keep their extension")
    {
        std::string longName;
        for (int i = 0; i < 150; ++i)
            longName += "\xC3\xA9"; // 300 bytes of e-acute
        const std::string cut = SanitizeFileName(longName + ".png");
        CHECK(cut.size() <= 200);
        CHECK(cut.ends_with(".png"));
        CHECK(cut.size() % 2 == 0); // 2-byte characters never split (".png" is 4 bytes)
        CHECK(SanitizeFileName("\xE6\x97\xA5\xE6\x9C\xAC.txt") == "\xE6\x97\xA5\xE6\x9C\xAC.txt"); // unicode kept
    }

    TEST_CASE("a taken name gets a number and nothing is ever overwritten")
    {
        const auto dir = std::filesystem::temp_directory_path() / ("obrol-names-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir);
        CHECK(UniquePath(dir, "a.txt") == dir / "a.txt");
        std::ofstream(dir / "a.txt") << "1";
        CHECK(UniquePath(dir, "a.txt") == dir / "a (1).txt");
        std::ofstream(dir / "a (1).txt") << "2";
        CHECK(UniquePath(dir, "a.txt") == dir / "a (2).txt");
        std::ofstream(dir / "README") << "3";
        CHECK(UniquePath(dir, "README") == dir / "README (1)");
        std::ofstream(dir / "archive.tar.gz") << "4";
        CHECK(UniquePath(dir, "archive.tar.gz") == dir / "archive.tar (1).gz");
        std::filesystem::remove_all(dir);
    }

    TEST_CASE("SHA-256 matches the standard test vectors however the bytes are chunked")
    {
        CHECK(HashOf("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK(HashOf("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        CHECK(HashOf(two) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        const std::string million(1'000'000, 'a');
        const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
        CHECK(HashOf(million) == expected);
        CHECK(HashOf(million, 1) == expected);
        CHECK(HashOf(million, 65536) == expected);
        CHECK(HashOf(million, 999'999) == expected);
    }
}

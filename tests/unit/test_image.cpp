// Unit tests for engine/image: sniffing, decoding each format, JPEG EXIF orientation, thumbnails,
// PNG encoding and a hostile corpus. Every test image is generated here or in test_images.hpp; no binary
// file is committed.
#include "engine/image.hpp"
#include "test_images.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace obrol::engine;
using namespace obrol::test;

namespace {

struct Rgba
{
    int r = 0;
    int g = 0;
    int b = 0;
    int a = 255;
};

constexpr Rgba Red{255, 0, 0};
constexpr Rgba Green{0, 255, 0};
constexpr Rgba Blue{0, 0, 255};
constexpr Rgba White{255, 255, 255};
constexpr Rgba Black{0, 0, 0};
constexpr Rgba Yellow{255, 255, 0};
constexpr Rgba Cyan{0, 255, 255};
constexpr Rgba Magenta{255, 0, 255};

// [SECTION] Pixels

DecodedImage Filled(int width, int height, Rgba colour)
{
    DecodedImage image;
    image.width = width;
    image.height = height;
    image.rgba.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4);
    for (std::size_t i = 0; i < image.rgba.size(); i += 4)
    {
        image.rgba[i + 0] = static_cast<std::uint8_t>(colour.r);
        image.rgba[i + 1] = static_cast<std::uint8_t>(colour.g);
        image.rgba[i + 2] = static_cast<std::uint8_t>(colour.b);
        image.rgba[i + 3] = static_cast<std::uint8_t>(colour.a);
    }
    return image;
}

std::size_t Offset(const DecodedImage& image, int x, int y)
{
    return (static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) + static_cast<std::size_t>(x)) * 4;
}

void Set(DecodedImage& image, int x, int y, Rgba colour)
{
    const std::size_t at = Offset(image, x, y);
    image.rgba[at + 0] = static_cast<std::uint8_t>(colour.r);
    image.rgba[at + 1] = static_cast<std::uint8_t>(colour.g);
    image.rgba[at + 2] = static_cast<std::uint8_t>(colour.b);
    image.rgba[at + 3] = static_cast<std::uint8_t>(colour.a);
}

Rgba At(const DecodedImage& image, int x, int y)
{
    const std::size_t at = Offset(image, x, y);
    return {image.rgba[at], image.rgba[at + 1], image.rgba[at + 2], image.rgba[at + 3]};
}

bool Near(Rgba actual, Rgba expected, int tolerance)
{
    return std::abs(actual.r - expected.r) <= tolerance && std::abs(actual.g - expected.g) <= tolerance &&
           std::abs(actual.b - expected.b) <= tolerance && std::abs(actual.a - expected.a) <= tolerance;
}

std::string Show(Rgba c)
{
    return "(" + std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b) + "," +
           std::to_string(c.a) + ")";
}

// A 4x2 grid of 8x8 blocks, one colour each: JPEG keeps block-aligned flat colours well.
constexpr std::array<Rgba, 8> BlockColours{Red, Green, Blue, White, Black, Yellow, Cyan, Magenta};

DecodedImage Blocks()
{
    DecodedImage image = Filled(32, 16, Black);
    for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 32; ++x)
            Set(image, x, y, BlockColours[static_cast<std::size_t>((y / 8) * 4 + x / 8)]);
    return image;
}

// 4x2: the left column red, the rest blue.
DecodedImage RedLeftColumn()
{
    DecodedImage image = Filled(4, 2, Blue);
    Set(image, 0, 0, Red);
    Set(image, 0, 1, Red);
    return image;
}

// [SECTION] Hand-made files

// GIF89a, 2x2, a two-entry global colour table (red, blue), pixels 0 1 / 1 0. The LZW data uses
// minimum code size 2: CLEAR 0 1 1 in 3 bits, then 0 EOI in 4 bits (the width grows after code 7).
const Bytes TinyGif{
    'G', 'I', 'F', '8', '9', 'a', 0x02, 0x00, 0x02, 0x00, 0x80, 0x00, 0x00, // header, screen 2x2, GCT of 2
    0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF,                                     // red, blue
    0x2C, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00,             // image descriptor 2x2 at 0,0
    0x02, 0x03, 0x44, 0x02, 0x05, 0x00,                                     // LZW size 2, one 3-byte sub-block
    0x3B};

// A zlib stream of one fixed-Huffman block: a zero byte, then `repeats` copies of "258 bytes at
// distance 1". Each repeat costs 13 bits, so it inflates about 160 times its size in zeros.
Bytes ZlibBomb(int repeats)
{
    Bytes out{0x78, 0x01};
    std::uint32_t acc = 0;
    int filled = 0;
    const auto bits = [&](std::uint32_t value, int count) {
        for (int i = 0; i < count; ++i)
        {
            acc |= ((value >> i) & 1u) << filled;
            if (++filled == 8)
            {
                out.push_back(static_cast<std::uint8_t>(acc));
                acc = 0;
                filled = 0;
            }
        }
    };
    const auto huffman = [&](std::uint32_t code, int length) { // Huffman codes go most significant bit first
        for (int i = length - 1; i >= 0; --i)
            bits((code >> i) & 1u, 1);
    };
    bits(1, 1);          // final block
    bits(1, 2);          // fixed Huffman codes
    huffman(0x30, 8);    // literal 0
    for (int i = 0; i < repeats; ++i)
    {
        huffman(0xC5, 8); // length symbol 285: 258 bytes
        huffman(0, 5);    // distance code 0: distance 1
    }
    huffman(0, 7);       // end of block
    if (filled > 0)
        out.push_back(static_cast<std::uint8_t>(acc));
    const std::uint64_t length = 1 + 258ull * static_cast<std::uint64_t>(repeats);
    PutBe32(out, static_cast<std::uint32_t>((length % 65521) << 16 | 1)); // Adler-32 of that many zeros
    return out;
}

// A BITMAPINFOHEADER BMP, 24 bits per pixel, with `pixelBytes` bytes of pixel data after it.
Bytes BmpWith(std::int32_t width, std::int32_t height, const Bytes& pixelBytes)
{
    Bytes bmp{'B', 'M'};
    PutLe32(bmp, static_cast<std::uint32_t>(54 + pixelBytes.size()));
    PutLe32(bmp, 0);
    PutLe32(bmp, 54);
    PutLe32(bmp, 40);
    PutLe32(bmp, static_cast<std::uint32_t>(width));
    PutLe32(bmp, static_cast<std::uint32_t>(height));
    PutLe16(bmp, 1);
    PutLe16(bmp, 24);
    for (int i = 0; i < 6; ++i)
        PutLe32(bmp, 0);
    bmp.insert(bmp.end(), pixelBytes.begin(), pixelBytes.end());
    return bmp;
}

// Inserts an APP1 segment carrying `payload` right after the JPEG's SOI marker.
Bytes WithApp1(const Bytes& jpeg, const Bytes& payload)
{
    Bytes out(jpeg.begin(), jpeg.begin() + 2);
    out.push_back(0xFF);
    out.push_back(0xE1);
    PutBe16(out, static_cast<std::uint32_t>(payload.size() + 2));
    out.insert(out.end(), payload.begin(), payload.end());
    out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
    return out;
}

// "Exif\0\0" and a TIFF header whose IFD0 holds one Orientation entry (tag 0x0112, SHORT, 1).
Bytes ExifOrientation(int orientation, bool bigEndian)
{
    Bytes exif{'E', 'x', 'i', 'f', 0, 0};
    const auto u16 = [&](std::uint32_t v) { bigEndian ? PutBe16(exif, v) : PutLe16(exif, v); };
    const auto u32 = [&](std::uint32_t v) { bigEndian ? PutBe32(exif, v) : PutLe32(exif, v); };
    exif.push_back(bigEndian ? 'M' : 'I');
    exif.push_back(bigEndian ? 'M' : 'I');
    u16(42);
    u32(8);                                       // IFD0 right after the header
    u16(1);                                       // one entry
    u16(0x0112);
    u16(3);
    u32(1);
    u16(static_cast<std::uint32_t>(orientation)); // a SHORT sits in the first half of the value field
    u16(0);
    u32(0);                                       // no IFD1
    return exif;
}

std::span<const std::uint8_t> View(const Bytes& bytes)
{
    return {bytes.data(), bytes.size()};
}

DecodedImage MustDecode(const Bytes& bytes, const ImageLimits& limits = {})
{
    ImageResult result = DecodeImage(View(bytes), limits);
    INFO("error: " << result.error);
    REQUIRE(result.image.has_value());
    CHECK(result.error.empty());
    return std::move(*result.image);
}

// Refused with a readable reason; the reason must contain `mention` when it is given.
void CheckRefused(const Bytes& bytes, const ImageLimits& limits = {}, std::string_view mention = {})
{
    const ImageResult result = DecodeImage(View(bytes), limits);
    INFO("error: " << result.error);
    CHECK_FALSE(result.image.has_value());
    CHECK(result.error.size() > 10);
    if (!mention.empty())
        CHECK(result.error.find(mention) != std::string::npos);
}

// Either outcome is fine for garbage, as long as it is coherent.
void CheckCoherent(const ImageResult& result)
{
    if (result.image)
    {
        CHECK(result.image->width > 0);
        CHECK(result.image->height > 0);
        CHECK(result.image->rgba.size() ==
              static_cast<std::size_t>(result.image->width) * static_cast<std::size_t>(result.image->height) * 4);
    }
    else
    {
        CHECK_FALSE(result.error.empty());
    }
}

double SecondsFor(const auto& work)
{
    const auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST_SUITE("image")
{
    TEST_CASE("SniffImageFormat goes by magic bytes alone")
    {
        const DecodedImage image = Filled(3, 3, Green);
        CHECK(SniffImageFormat(View(WritePng(image))) == ImageFormat::Png);
        CHECK(SniffImageFormat(View(WriteJpeg(image))) == ImageFormat::Jpeg);
        CHECK(SniffImageFormat(View(TinyGif)) == ImageFormat::Gif);
        CHECK(SniffImageFormat(View(WriteBmp(image, 3))) == ImageFormat::Bmp);
        CHECK(SniffImageFormat(View(WriteBmp(image, 4))) == ImageFormat::Bmp);

        const std::string text = "BMW photo.png: see attached, GIF89a was not involved";
        CHECK(SniffImageFormat(View(Bytes(text.begin(), text.end()))) == ImageFormat::Unknown);
        const std::string name = "holiday.png";
        CHECK(SniffImageFormat(View(Bytes(name.begin(), name.end()))) == ImageFormat::Unknown);
        CHECK(SniffImageFormat({}) == ImageFormat::Unknown);
        CHECK(SniffImageFormat(View(Bytes{0x89, 'P', 'N'})) == ImageFormat::Unknown);
        CHECK(std::string(ImageFormatName(ImageFormat::Jpeg)) == "JPEG");
    }

    TEST_CASE("DecodeImage reads a PNG with exact colours and alpha")
    {
        DecodedImage source = Filled(3, 2, White);
        Set(source, 0, 0, Red);
        Set(source, 1, 0, Green);
        Set(source, 2, 0, Blue);
        Set(source, 0, 1, Rgba{10, 20, 30, 0});
        Set(source, 1, 1, Rgba{200, 100, 50, 128});
        const DecodedImage image = MustDecode(WritePng(source));
        CHECK(image.width == 3);
        CHECK(image.height == 2);
        CHECK(image.rgba == source.rgba);
    }

    TEST_CASE("DecodeImage reads a JPEG with roughly the right colours")
    {
        const DecodedImage image = MustDecode(WriteJpeg(Blocks(), 90));
        REQUIRE(image.width == 32);
        REQUIRE(image.height == 16);
        for (int by = 0; by < 2; ++by)
        {
            for (int bx = 0; bx < 4; ++bx)
            {
                const Rgba actual = At(image, bx * 8 + 4, by * 8 + 4);
                const Rgba expected = BlockColours[static_cast<std::size_t>(by * 4 + bx)];
                INFO("block " << bx << "," << by << " is " << Show(actual) << " not " << Show(expected));
                CHECK(Near(actual, expected, 40));
            }
        }
    }

    TEST_CASE("DecodeImage reads the first frame of a hand-assembled GIF")
    {
        const DecodedImage image = MustDecode(TinyGif);
        REQUIRE(image.width == 2);
        REQUIRE(image.height == 2);
        CHECK(Near(At(image, 0, 0), Red, 0));
        CHECK(Near(At(image, 1, 0), Blue, 0));
        CHECK(Near(At(image, 0, 1), Blue, 0));
        CHECK(Near(At(image, 1, 1), Red, 0));
    }

    TEST_CASE("DecodeImage reads 24-bit and 32-bit BMP files exactly")
    {
        DecodedImage source = Filled(5, 3, Cyan);
        Set(source, 0, 0, Red);
        Set(source, 4, 2, Yellow);
        const DecodedImage rgb = MustDecode(WriteBmp(source, 3));
        CHECK(rgb.width == 5);
        CHECK(rgb.height == 3);
        CHECK(rgb.rgba == source.rgba);

        Set(source, 2, 1, Rgba{1, 2, 3, 77});
        const DecodedImage rgba = MustDecode(WriteBmp(source, 4));
        CHECK(rgba.rgba == source.rgba);
    }

    TEST_CASE("DecodeImage reads a top-down BMP with a negative height")
    {
        // Rows of 2 pixels, BGR, padded to 8 bytes; the first row stored is the top one.
        const Bytes pixels{0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0};
        const DecodedImage image = MustDecode(BmpWith(2, -2, pixels));
        REQUIRE(image.width == 2);
        REQUIRE(image.height == 2);
        CHECK(Near(At(image, 0, 0), Red, 0));
        CHECK(Near(At(image, 1, 0), Green, 0));
        CHECK(Near(At(image, 0, 1), Blue, 0));
        CHECK(Near(At(image, 1, 1), White, 0));
    }

    TEST_CASE("EXIF orientations 3 6 and 8 turn a 4x2 JPEG with a red left column")
    {
        const Bytes jpeg = WriteJpeg(RedLeftColumn());
        for (const bool bigEndian : {false, true})
        {
            CAPTURE(bigEndian);
            const DecodedImage upright = MustDecode(jpeg);
            REQUIRE(upright.width == 4);
            CHECK(Near(At(upright, 0, 0), Red, 60));
            CHECK(Near(At(upright, 3, 1), Blue, 60));

            const DecodedImage turned = MustDecode(WithApp1(jpeg, ExifOrientation(3, bigEndian)));
            REQUIRE(turned.width == 4);
            REQUIRE(turned.height == 2);
            for (int y = 0; y < 2; ++y)
            {
                CHECK(Near(At(turned, 3, y), Red, 60));
                CHECK(Near(At(turned, 0, y), Blue, 60));
            }

            const DecodedImage clockwise = MustDecode(WithApp1(jpeg, ExifOrientation(6, bigEndian)));
            REQUIRE(clockwise.width == 2);
            REQUIRE(clockwise.height == 4);
            for (int x = 0; x < 2; ++x)
            {
                CHECK(Near(At(clockwise, x, 0), Red, 60));
                CHECK(Near(At(clockwise, x, 3), Blue, 60));
            }

            const DecodedImage counter = MustDecode(WithApp1(jpeg, ExifOrientation(8, bigEndian)));
            REQUIRE(counter.width == 2);
            REQUIRE(counter.height == 4);
            for (int x = 0; x < 2; ++x)
            {
                CHECK(Near(At(counter, x, 3), Red, 60));
                CHECK(Near(At(counter, x, 0), Blue, 60));
            }
        }
    }

    TEST_CASE("every EXIF orientation puts the stored corners where the EXIF spec says")
    {
        // Where the stored top-left (red) and top-right (white) blocks are shown, per orientation.
        enum Corner { TopLeft, TopRight, BottomLeft, BottomRight };
        struct Case
        {
            int orientation;
            Corner red;
            Corner white;
        };
        const Case cases[] = {{1, TopLeft, TopRight},    {2, TopRight, TopLeft},     {3, BottomRight, BottomLeft},
                              {4, BottomLeft, BottomRight}, {5, TopLeft, BottomLeft}, {6, TopRight, BottomRight},
                              {7, BottomRight, TopRight}, {8, BottomLeft, TopLeft}};
        const Bytes jpeg = WriteJpeg(Blocks());
        for (const Case& c : cases)
        {
            CAPTURE(c.orientation);
            const bool bigEndian = c.orientation % 2 == 0;
            const DecodedImage image = MustDecode(WithApp1(jpeg, ExifOrientation(c.orientation, bigEndian)));
            const bool swapped = c.orientation >= 5;
            REQUIRE(image.width == (swapped ? 16 : 32));
            REQUIRE(image.height == (swapped ? 32 : 16));
            const auto corner = [&](Corner where) {
                const int x = (where == TopLeft || where == BottomLeft) ? 4 : image.width - 5;
                const int y = (where == TopLeft || where == TopRight) ? 4 : image.height - 5;
                return At(image, x, y);
            };
            CHECK(Near(corner(c.red), Red, 40));
            CHECK(Near(corner(c.white), White, 40));
        }
    }

    TEST_CASE("a JPEG with a garbage or truncated EXIF block decodes as stored")
    {
        const Bytes jpeg = WriteJpeg(RedLeftColumn());
        Bytes truncated = ExifOrientation(6, true);
        truncated.resize(truncated.size() - 8); // the entry's value is cut off
        Bytes hugeCount = ExifOrientation(6, false);
        hugeCount.resize(16);
        hugeCount[14] = 0xFF;
        hugeCount[15] = 0xFF; // 65535 entries announced, none present
        Bytes farOffset = ExifOrientation(6, true);
        farOffset[10] = 0x7F; // IFD0 two gigabytes away
        Bytes badMagic = ExifOrientation(6, false);
        badMagic[8] = 43;
        Bytes mixedOrder = ExifOrientation(6, false);
        mixedOrder[6] = 'I';
        mixedOrder[7] = 'M';
        Bytes wrongType = ExifOrientation(6, true);
        wrongType[19] = 7; // UNDEFINED instead of SHORT
        const std::string text = "Exif\0\0this is not a TIFF header at all";
        const std::vector<Bytes> payloads{
            {'E', 'x', 'i', 'f', 0, 0},
            {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0},
            Bytes(text.begin(), text.end()),
            truncated,
            hugeCount,
            farOffset,
            badMagic,
            mixedOrder,
            wrongType,
            ExifOrientation(0, true),
            ExifOrientation(9, false),
            ExifOrientation(0xFFFF, true),
        };
        for (std::size_t i = 0; i < payloads.size(); ++i)
        {
            CAPTURE(i);
            const DecodedImage image = MustDecode(WithApp1(jpeg, payloads[i]));
            REQUIRE(image.width == 4);
            REQUIRE(image.height == 2);
            CHECK(Near(At(image, 0, 0), Red, 60));
            CHECK(Near(At(image, 3, 0), Blue, 60));
        }
    }

    TEST_CASE("Thumbnail keeps the aspect ratio and never returns zero or upscales")
    {
        const DecodedImage large = Thumbnail(Filled(4000, 3000, Magenta), 480);
        CHECK(large.width == 480);
        CHECK(large.height == 360);
        REQUIRE(large.rgba.size() == 480u * 360u * 4u);
        CHECK(Near(At(large, 240, 180), Magenta, 2));

        const DecodedImage dot = Thumbnail(Filled(1, 1, Red), 480);
        CHECK(dot.width == 1);
        CHECK(dot.height == 1);

        const DecodedImage wide = Thumbnail(Filled(10000, 1, Green), 480);
        CHECK(wide.width == 480);
        CHECK(wide.height == 1);
        CHECK(Near(At(wide, 479, 0), Green, 2));

        const DecodedImage tall = Thumbnail(Filled(3, 10000, Blue), 480);
        CHECK(tall.width == 1);
        CHECK(tall.height == 480);

        DecodedImage small = Filled(100, 50, Yellow);
        Set(small, 7, 7, Red);
        const DecodedImage same = Thumbnail(small, 480);
        CHECK(same.width == 100);
        CHECK(same.height == 50);
        CHECK(same.rgba == small.rgba);

        CHECK(Thumbnail(DecodedImage{}, 480).width == 0);
        DecodedImage malformed = Filled(4, 4, Red);
        malformed.rgba.pop_back();
        CHECK(Thumbnail(malformed, 2).rgba.empty());
    }

    TEST_CASE("Thumbnail does not let transparent pixels darken the colours")
    {
        DecodedImage image = Filled(64, 64, Rgba{0, 0, 0, 0});
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 32; ++x)
                Set(image, x, y, White);
        const DecodedImage thumb = Thumbnail(image, 8);
        REQUIRE(thumb.width == 8);
        for (const int x : {3, 4}) // the filter reaches across the edge: partly transparent, still white
        {
            const Rgba edge = At(thumb, x, 4);
            CAPTURE(x);
            CHECK(edge.a > 0);
            CHECK(edge.a < 255);
            CHECK(edge.r > 240);
            CHECK(edge.g > 240);
            CHECK(edge.b > 240);
        }
    }

    TEST_CASE("EncodePng round-trips through DecodeImage with alpha kept")
    {
        DecodedImage image = Filled(7, 5, Rgba{12, 34, 56, 78});
        Set(image, 6, 4, Red);
        const Bytes png = EncodePng(image);
        REQUIRE_FALSE(png.empty());
        CHECK(SniffImageFormat(View(png)) == ImageFormat::Png);
        CHECK(MustDecode(png).rgba == image.rgba);
        CHECK(EncodePng(DecodedImage{}).empty());
    }

    TEST_CASE("MakeThumbnail shrinks an upload and reports both sizes")
    {
        DecodedImage source = Filled(1200, 800, Cyan);
        const ThumbnailResult result = MakeThumbnail(View(WritePng(source)));
        INFO(result.error);
        REQUIRE(result.error.empty());
        CHECK(result.width == 480);
        CHECK(result.height == 320);
        CHECK(result.sourceWidth == 1200);
        CHECK(result.sourceHeight == 800);
        const DecodedImage thumb = MustDecode(result.png);
        CHECK(thumb.width == 480);
        CHECK(thumb.height == 320);
        CHECK(Near(At(thumb, 100, 100), Cyan, 2));

        const ThumbnailResult small = MakeThumbnail(View(TinyGif), 480);
        CHECK(small.error.empty());
        CHECK(small.width == 2);
        CHECK(small.height == 2);

        const Bytes sideways = WithApp1(WriteJpeg(RedLeftColumn()), ExifOrientation(6, true));
        const ThumbnailResult turned = MakeThumbnail(View(sideways), 1);
        CHECK(turned.sourceWidth == 2);
        CHECK(turned.sourceHeight == 4);
        CHECK(turned.width == 1);
        CHECK(turned.height == 1);

        const std::string text = "not an image";
        const ThumbnailResult failed = MakeThumbnail(View(Bytes(text.begin(), text.end())));
        CHECK(failed.png.empty());
        CHECK_FALSE(failed.error.empty());
        CHECK(failed.width == 0);
    }

    TEST_CASE("DecodeImage refuses empty input text and random bytes with a reason")
    {
        CheckRefused({}, {}, "empty");
        const std::string text = "Hello! This is a plain text file, not a picture.\n";
        CheckRefused(Bytes(text.begin(), text.end()), {}, "not a PNG, JPEG, GIF or BMP");

        std::mt19937 random(20240611u);
        for (int i = 0; i < 200; ++i)
        {
            Bytes noise(1 + random() % 4096);
            for (auto& byte : noise)
                byte = static_cast<std::uint8_t>(random());
            CheckRefused(noise);
        }
    }

    TEST_CASE("DecodeImage refuses a PNG cut short at any length")
    {
        DecodedImage source = Filled(40, 30, Red);
        Set(source, 5, 5, Blue);
        const Bytes png = WritePng(source);
        for (const std::size_t length : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{16},
                                         std::size_t{24}, std::size_t{32}, std::size_t{33}, std::size_t{41},
                                         png.size() / 2, png.size() - 13, png.size() - 1})
        {
            CAPTURE(length);
            CheckRefused(Bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(length)));
        }
    }

    TEST_CASE("other formats cut short give an error or a coherent image")
    {
        const DecodedImage source = Blocks();
        for (const Bytes& file : {WriteJpeg(source), TinyGif, WriteBmp(source, 3), WriteBmp(source, 4)})
        {
            for (std::size_t length = 0; length < file.size(); length += 1 + length / 8)
            {
                CAPTURE(length);
                const Bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(length));
                CheckCoherent(DecodeImage(View(cut)));
            }
        }
        const Bytes bmp = WriteBmp(source, 3);
        CheckRefused(Bytes(bmp.begin(), bmp.end() - 1)); // one byte of pixel data missing
    }

    TEST_CASE("a PNG claiming 100000x100000 is refused from its header at once")
    {
        const Bytes bomb = PngWith(100000, 100000, {0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        ImageResult result;
        const double seconds = SecondsFor([&] { result = DecodeImage(View(bomb)); });
        CHECK(seconds < 0.5);
        CHECK_FALSE(result.image.has_value());
        INFO(result.error);
        CHECK(result.error.find("100000x100000") != std::string::npos);
        CHECK(result.error.find("16384x16384") != std::string::npos);
        CHECK(MakeThumbnail(View(bomb)).error == result.error);
    }

    TEST_CASE("a header within the side limits but over maxPixels is refused")
    {
        const Bytes idat{0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
        ImageLimits wide;
        wide.maxWidth = 32768;
        wide.maxHeight = 32768;
        CheckRefused(PngWith(30000, 30000, idat), wide, "30000x30000");
        CheckRefused(PngWith(16000, 16000, idat), {}, "16000x16000");
        CheckRefused(PngWith(0, 10, idat), {}, "0x10");

        ImageLimits none; // stb's own arithmetic still caps what may be decoded
        none.maxWidth = INT_MAX;
        none.maxHeight = INT_MAX;
        none.maxPixels = UINT64_MAX;
        CheckRefused(PngWith(20000, 20000, idat), none, "268435456");
    }

    TEST_CASE("a PNG whose data inflates far beyond its 1x1 pixel is refused")
    {
        const Bytes bomb = PngWith(1, 1, ZlibBomb(260'000)); // about 64 MB of zeros from 420 KB
        REQUIRE(bomb.size() < 500'000);
        ImageResult result;
        const double seconds = SecondsFor([&] { result = DecodeImage(View(bomb)); });
        CHECK(seconds < 0.5);
        CHECK_FALSE(result.image.has_value());
        INFO(result.error);
        CHECK(result.error.find("expands") != std::string::npos);
    }

    TEST_CASE("BMP headers with negative zero or huge dimensions are refused")
    {
        const Bytes pixels(64, 0x80);
        CheckRefused(BmpWith(-5, 5, pixels), {}, "-5x5");
        CheckRefused(BmpWith(0, 5, pixels), {}, "0x5");
        CheckRefused(BmpWith(5, 0, pixels), {}, "5x0");
        CheckRefused(BmpWith(5, INT_MIN, pixels), {}, "2147483648");
        CheckRefused(BmpWith(INT_MAX, 1, pixels), {}, "2147483647");
        CheckRefused(BmpWith(100000, 100000, pixels), {}, "100000x100000");
        CheckRefused(BmpWith(4000, 4000, pixels)); // sizes fine, but the pixel rows are missing
        Bytes rle = BmpWith(4, 4, pixels);
        rle[30] = 1; // BI_RLE8
        CheckRefused(rle, {}, "compressed");
    }

    TEST_CASE("a JPEG with more progressive scans than anyone needs is refused")
    {
        Bytes jpeg{0xFF, 0xD8, 0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00};
        for (int scan = 0; scan < 500; ++scan)
            jpeg.insert(jpeg.end(), {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34});
        jpeg.insert(jpeg.end(), {0xFF, 0xD9});
        CheckRefused(jpeg, {}, "scans");
    }

    TEST_CASE("a JPEG whose Huffman code counts overflow stb's tables is refused")
    {
        // This stb version trusts a DHT's 16 code counts; more than 256 codes write past its tables.
        Bytes jpeg = WriteJpeg(Blocks());
        std::size_t dht = 2;
        while (dht + 1 < jpeg.size() && !(jpeg[dht] == 0xFF && jpeg[dht + 1] == 0xC4))
            ++dht;
        REQUIRE(dht + 21 < jpeg.size());
        for (std::size_t i = 0; i < 16; ++i)
            jpeg[dht + 5 + i] = 0x20; // 512 codes
        CheckRefused(jpeg, {}, "damaged");

        // A DHT that claims 3 bytes: stb still reads 17, from whatever follows.
        Bytes shortTable{0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x03, 0x00};
        shortTable.insert(shortTable.end(), 16, 0xFF);
        const Bytes rest = WriteJpeg(Blocks());
        shortTable.insert(shortTable.end(), rest.begin() + 2, rest.end());
        CheckRefused(shortTable, {}, "damaged");
    }

    TEST_CASE("input over maxBytes is refused before it is parsed")
    {
        const Bytes png = WritePng(Filled(64, 64, Green));
        ImageLimits limits;
        limits.maxBytes = png.size() - 1;
        CheckRefused(png, limits, "too large");
        limits.maxBytes = png.size();
        CHECK(MustDecode(png, limits).width == 64);
    }

    TEST_CASE("mutated images never crash the decoder")
    {
        ImageLimits limits;
        limits.maxPixels = 1u << 20; // keeps garbage dimensions cheap
        DecodedImage source = Blocks();
        Set(source, 3, 3, Rgba{9, 9, 9, 9});
        const std::vector<Bytes> seeds{WritePng(source), WriteJpeg(source), TinyGif, WriteBmp(source, 3),
                                       WriteBmp(source, 4), WithApp1(WriteJpeg(source), ExifOrientation(6, true))};
        std::mt19937 random(7u);
        for (const Bytes& seed : seeds)
        {
            for (int i = 0; i < 300; ++i)
            {
                Bytes mutated = seed;
                const int flips = 1 + static_cast<int>(random() % 8);
                for (int f = 0; f < flips; ++f)
                    mutated[random() % mutated.size()] = static_cast<std::uint8_t>(random());
                if (random() % 4 == 0)
                    mutated.resize(1 + random() % mutated.size());
                CheckCoherent(DecodeImage(View(mutated), limits));
            }
        }
        const std::vector<Bytes> magics{{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'},
                                        {0xFF, 0xD8, 0xFF},
                                        {'G', 'I', 'F', '8', '9', 'a'},
                                        {'B', 'M', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0}};
        for (const Bytes& magic : magics)
        {
            for (int i = 0; i < 100; ++i)
            {
                Bytes noise = magic;
                const std::size_t extra = random() % 2048;
                for (std::size_t k = 0; k < extra; ++k)
                    noise.push_back(static_cast<std::uint8_t>(random()));
                CheckCoherent(DecodeImage(View(noise), limits));
            }
        }
    }

    TEST_CASE("DecodeImage gives the same pixels when called from several threads at once")
    {
        const std::vector<Bytes> files{WritePng(Blocks()), WriteJpeg(Blocks()), TinyGif, WriteBmp(Blocks(), 4),
                                       WithApp1(WriteJpeg(Blocks()), ExifOrientation(8, false))};
        std::vector<std::vector<std::uint8_t>> expected;
        for (const Bytes& file : files)
            expected.push_back(MustDecode(file).rgba);

        std::vector<int> mismatches(4, 0);
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < mismatches.size(); ++t)
        {
            threads.emplace_back([&, t] {
                for (int round = 0; round < 20; ++round)
                {
                    for (std::size_t f = 0; f < files.size(); ++f)
                    {
                        const ImageResult result = DecodeImage(View(files[f]));
                        if (!result.image || result.image->rgba != expected[f])
                            ++mismatches[t];
                    }
                    if (!EncodePng(Thumbnail(Filled(300, 200, Red), 30)).size())
                        ++mismatches[t];
                }
            });
        }
        for (std::thread& thread : threads)
            thread.join();
        for (const int count : mismatches)
            CHECK(count == 0);
    }
}

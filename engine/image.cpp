// Image decoding, thumbnails and PNG encoding on top of stb. Pure: any thread, concurrently.
// Everything hostile input can steer is checked here before stb allocates or loops on it.
#include "engine/image.hpp"

#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace obrol::engine {

namespace {

// [SECTION] Byte reading and messages

using Bytes = std::span<const std::uint8_t>;

// A progressive JPEG makes stb walk every block once per scan; real encoders use about ten.
constexpr int MaxJpegScans = 100;

// stb sizes some buffers with 32-bit arithmetic (16-bit PNG conversion wraps past 2^29 pixels),
// so no limits a caller passes can let more pixels than this through.
constexpr std::uint64_t MaxPixelsEver = 1u << 28;

std::uint32_t Be16(Bytes b, std::size_t at)
{
    return (std::uint32_t{b[at]} << 8) | b[at + 1];
}

std::uint32_t Be32(Bytes b, std::size_t at)
{
    return (Be16(b, at) << 16) | Be16(b, at + 2);
}

std::uint32_t Le16(Bytes b, std::size_t at)
{
    return b[at] | (std::uint32_t{b[at + 1]} << 8);
}

std::uint32_t Le32(Bytes b, std::size_t at)
{
    return Le16(b, at) | (Le16(b, at + 2) << 16);
}

bool StartsWith(Bytes b, std::string_view magic)
{
    return b.size() >= magic.size() && std::memcmp(b.data(), magic.data(), magic.size()) == 0;
}

std::string FormatBytes(std::uint64_t bytes)
{
    if (bytes < 1024)
        return std::to_string(bytes) + " bytes";
    char text[32];
    if (bytes < (1u << 20))
        std::snprintf(text, sizeof text, "%.1f KB", static_cast<double>(bytes) / 1024.0);
    else
        std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

std::string Size(std::int64_t width, std::int64_t height)
{
    return std::to_string(width) + "x" + std::to_string(height);
}

std::string Damaged(ImageFormat format)
{
    return std::string("The ") + ImageFormatName(format) + " image is damaged or incomplete.";
}

// [SECTION] Headers: dimensions, JPEG orientation and scan count, read without stb

struct Header
{
    std::int64_t width = 0;
    std::int64_t height = 0;
    int orientation = 1;         // JPEG EXIF orientation, 1 when absent or unreadable
    int scans = 0;               // JPEG start-of-scan segments
    std::uint64_t minBytes = 0;  // uncompressed BMP: the file must hold all its pixel rows
    bool valid = false;
    bool unsupported = false;    // a BMP compressed with RLE, JPEG or PNG, which stb does not read
    bool hostile = false;        // a JPEG Huffman table that would overflow stb's tables
};

Header ReadPngHeader(Bytes b)
{
    Header h;
    // The IHDR chunk must come first: length 13 at offset 8, then "IHDR", width, height.
    if (b.size() < 33 || Be32(b, 8) != 13 || std::memcmp(b.data() + 12, "IHDR", 4) != 0)
        return h;
    h.width = Be32(b, 16);
    h.height = Be32(b, 20);
    h.valid = true;
    return h;
}

Header ReadGifHeader(Bytes b)
{
    Header h;
    if (b.size() < 13)
        return h;
    h.width = Le16(b, 6);
    h.height = Le16(b, 8);
    h.valid = true;
    return h;
}

Header ReadBmpHeader(Bytes b)
{
    Header h;
    if (b.size() < 30)
        return h;
    const std::uint32_t offset = Le32(b, 10);
    const std::uint32_t headerSize = Le32(b, 14);
    std::uint32_t bitsPerPixel = 0;
    if (headerSize == 12)
    {
        h.width = Le16(b, 18);
        h.height = Le16(b, 20);
        bitsPerPixel = Le16(b, 24);
    }
    else
    {
        if (b.size() < 34)
            return h;
        h.width = static_cast<std::int32_t>(Le32(b, 18));
        h.height = static_cast<std::int32_t>(Le32(b, 22)); // negative: rows stored top-down
        bitsPerPixel = Le16(b, 28);
        const std::uint32_t compression = Le32(b, 30);
        h.unsupported = compression != 0 && compression != 3;
    }
    h.height = h.height < 0 ? -h.height : h.height;
    if (!h.unsupported && h.width > 0)
    {
        const std::uint64_t stride = (static_cast<std::uint64_t>(h.width) * bitsPerPixel + 31) / 32 * 4;
        h.minBytes = offset + stride * static_cast<std::uint64_t>(h.height);
    }
    h.valid = true;
    return h;
}

// Orientation from an APP1 segment's payload, 0 when the segment is not EXIF at all.
// TIFF layout: byte order "II"/"MM", 42, offset of IFD0; IFD0 holds 12-byte entries.
int ExifOrientation(Bytes segment)
{
    if (!StartsWith(segment, std::string_view("Exif\0\0", 6)))
        return 0;
    const Bytes tiff = segment.subspan(6);
    if (tiff.size() < 8)
        return 1;
    bool little = false;
    if (tiff[0] == 'I' && tiff[1] == 'I')
        little = true;
    else if (!(tiff[0] == 'M' && tiff[1] == 'M'))
        return 1;
    const auto u16 = [&](std::uint64_t at) { return little ? Le16(tiff, at) : Be16(tiff, at); };
    const auto u32 = [&](std::uint64_t at) { return little ? Le32(tiff, at) : Be32(tiff, at); };
    if (u16(2) != 42)
        return 1;
    const std::uint64_t ifd = u32(4);
    if (ifd + 2 > tiff.size())
        return 1;
    const std::uint32_t count = u16(ifd);
    for (std::uint32_t i = 0; i < count; ++i)
    {
        const std::uint64_t entry = ifd + 2 + 12ull * i;
        if (entry + 12 > tiff.size())
            break;
        if (u16(entry) != 0x0112)
            continue;
        const std::uint32_t type = u16(entry + 2);
        const std::uint32_t value = type == 3 ? u16(entry + 8) : type == 4 ? u32(entry + 8) : 0;
        return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
    }
    return 1;
}

// Replays stb's reading of a DHT segment that starts at `pos`, byte for byte: it trusts the
// 16 code counts and, in this stb version, overflows its tables when they add up to more than
// 256. Like stb, it reads by the segment's length field, which may run past the segment.
bool HuffmanTablesFit(Bytes b, std::size_t pos)
{
    const auto byte = [&](std::size_t at) { return at < b.size() ? b[at] : std::uint8_t{0}; };
    std::int64_t left = static_cast<std::int64_t>(Be16(b, pos)) - 2;
    pos += 2;
    while (left > 0)
    {
        const std::uint8_t kind = byte(pos);
        if ((kind >> 4) > 1 || (kind & 15) > 3)
            return true; // stb refuses it before building anything
        std::int64_t codes = 0;
        for (std::size_t i = 1; i <= 16; ++i)
            codes += byte(pos + i);
        if (codes > 256)
            return false;
        pos += 17 + static_cast<std::size_t>(codes);
        left -= 17 + codes;
    }
    return true;
}

bool IsStartOfFrame(std::uint8_t marker)
{
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Index of the marker that ends the entropy-coded data starting at `pos` (or the end).
std::size_t SkipEntropyCodedData(Bytes b, std::size_t pos)
{
    while (pos + 1 < b.size())
    {
        const void* ff = std::memchr(b.data() + pos, 0xFF, b.size() - pos - 1);
        if (ff == nullptr)
            break;
        pos = static_cast<std::size_t>(static_cast<const std::uint8_t*>(ff) - b.data());
        const std::uint8_t next = b[pos + 1];
        if (next == 0x00 || (next >= 0xD0 && next <= 0xD7))
            pos += 2; // stuffed 0xFF or a restart marker: still image data
        else if (next == 0xFF)
            ++pos; // fill byte
        else
            return pos;
    }
    return b.size();
}

// Walks the marker segments from SOI to EOI, resynchronising on garbage between segments as stb
// does, so every segment stb will act on is seen here first. A truncated stream ends the walk:
// stb decides whether what came before is decodable.
Header ReadJpegHeader(Bytes b)
{
    Header h;
    bool seenExif = false;
    std::size_t pos = 2;
    while (pos < b.size() && h.scans <= MaxJpegScans && !h.hostile)
    {
        if (b[pos] != 0xFF)
        {
            const void* ff = std::memchr(b.data() + pos, 0xFF, b.size() - pos);
            if (ff == nullptr)
                break;
            pos = static_cast<std::size_t>(static_cast<const std::uint8_t*>(ff) - b.data());
        }
        while (pos < b.size() && b[pos] == 0xFF)
            ++pos;
        if (pos >= b.size())
            break;
        const std::uint8_t marker = b[pos++];
        if (marker == 0xD9)
            break;
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8))
            continue; // no length field
        if (pos + 2 > b.size())
            break;
        if (marker == 0xC4 && !HuffmanTablesFit(b, pos))
            h.hostile = true;
        const std::size_t length = Be16(b, pos);
        if (length < 2 || length > b.size() - pos)
            break;
        const Bytes segment = b.subspan(pos + 2, length - 2);
        pos += length;
        if (IsStartOfFrame(marker) && !h.valid && segment.size() >= 5)
        {
            h.height = Be16(segment, 1);
            h.width = Be16(segment, 3);
            h.valid = true;
        }
        else if (marker == 0xE1 && !seenExif)
        {
            if (const int orientation = ExifOrientation(segment); orientation != 0)
            {
                h.orientation = orientation;
                seenExif = true;
            }
        }
        else if (marker == 0xDA)
        {
            ++h.scans;
            pos = SkipEntropyCodedData(b, pos);
        }
    }
    return h;
}

Header ReadHeader(ImageFormat format, Bytes b)
{
    switch (format)
    {
    case ImageFormat::Png: return ReadPngHeader(b);
    case ImageFormat::Jpeg: return ReadJpegHeader(b);
    case ImageFormat::Gif: return ReadGifHeader(b);
    case ImageFormat::Bmp: return ReadBmpHeader(b);
    case ImageFormat::Unknown: break;
    }
    return {};
}

// [SECTION] PNG: bound the inflated size before stb's decoder grows its buffer to fit

// Bytes of filtered scanlines a PNG of this size needs (each row carries a filter byte).
std::uint64_t PngRawSize(std::uint64_t width, std::uint64_t height, std::uint64_t bitsPerPixel, bool interlaced)
{
    const auto rows = [&](std::uint64_t w, std::uint64_t h) {
        return w == 0 || h == 0 ? 0 : ((w * bitsPerPixel + 7) / 8 + 1) * h;
    };
    if (!interlaced)
        return rows(width, height);
    static constexpr std::uint64_t Adam7[7][4] = {
        {0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
    std::uint64_t total = 0;
    for (const auto& pass : Adam7)
    {
        const std::uint64_t w = width > pass[0] ? (width - pass[0] + pass[2] - 1) / pass[2] : 0;
        const std::uint64_t h = height > pass[1] ? (height - pass[1] + pass[3] - 1) / pass[3] : 0;
        total += rows(w, h);
    }
    return total;
}

// stb inflates IDAT into a buffer it doubles on demand up to 2 GB, so a 2 MB PNG claiming 1x1
// pixel could cost gigabytes. Inflating once into a buffer sized by the header refuses that.
std::string CheckPngData(Bytes b, const Header& header)
{
    const std::uint32_t depth = b[24];
    const std::uint32_t colorType = b[25];
    const bool interlaced = b[28] != 0;
    std::uint32_t channels = 0;
    switch (colorType)
    {
    case 0: channels = 1; break;
    case 2: channels = 3; break;
    case 3: channels = 1; break;
    case 4: channels = 2; break;
    case 6: channels = 4; break;
    default: return Damaged(ImageFormat::Png);
    }
    if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16)
        return Damaged(ImageFormat::Png);
    const std::uint64_t expected = PngRawSize(static_cast<std::uint64_t>(header.width),
                                              static_cast<std::uint64_t>(header.height), depth * channels, interlaced);
    const std::uint64_t capacity = expected + expected / 16 + 1024; // stb tolerates a little trailing data
    if (capacity > INT_MAX)
        return "The PNG image is too large to decode.";

    // Chunks: length, type, data, CRC. A file cut anywhere before the end of IEND is incomplete.
    std::vector<char> compressed;
    bool complete = false;
    for (std::size_t pos = 8; pos + 12 <= b.size() && !complete;)
    {
        const std::uint64_t length = Be32(b, pos);
        if (length > b.size() - pos - 12)
            break;
        const std::uint8_t* type = b.data() + pos + 4;
        if (std::memcmp(type, "IDAT", 4) == 0)
            compressed.insert(compressed.end(), type + 4, type + 4 + length);
        complete = std::memcmp(type, "IEND", 4) == 0;
        pos += 12 + static_cast<std::size_t>(length);
    }
    if (!complete || compressed.empty() || compressed.size() > INT_MAX)
        return Damaged(ImageFormat::Png);

    const auto scratch = std::make_unique_for_overwrite<char[]>(static_cast<std::size_t>(capacity));
    const int inflated = stbi_zlib_decode_buffer(scratch.get(), static_cast<int>(capacity), compressed.data(),
                                                 static_cast<int>(compressed.size()));
    if (inflated < 0)
        return "The PNG image is damaged, or its compressed data expands to more than its " +
               Size(header.width, header.height) + " pixels can hold.";
    if (static_cast<std::uint64_t>(inflated) < expected)
        return Damaged(ImageFormat::Png);
    return {};
}

// [SECTION] Orientation and decoding

// EXIF orientation: how the stored pixels must be turned to be shown upright. For each output
// pixel (x, y) of the w' x h' result, the source pixel in the w x h stored image.
void ApplyOrientation(const std::uint8_t* src, int w, int h, int orientation, DecodedImage& out)
{
    const bool swap = orientation >= 5;
    out.width = swap ? h : w;
    out.height = swap ? w : h;
    out.rgba.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 4);
    std::uint8_t* dst = out.rgba.data();
    const std::size_t stride = static_cast<std::size_t>(w);
    for (int y = 0; y < out.height; ++y)
    {
        for (int x = 0; x < out.width; ++x)
        {
            int sx = x;
            int sy = y;
            switch (orientation)
            {
            case 2: sx = w - 1 - x; break;                 // mirrored
            case 3: sx = w - 1 - x; sy = h - 1 - y; break; // turned 180
            case 4: sy = h - 1 - y; break;                 // flipped
            case 5: sx = y; sy = x; break;                 // transposed
            case 6: sx = y; sy = h - 1 - x; break;         // turned 90 clockwise
            case 7: sx = w - 1 - y; sy = h - 1 - x; break; // transversed
            case 8: sx = w - 1 - y; sy = x; break;         // turned 90 counter-clockwise
            default: break;
            }
            const std::size_t at = static_cast<std::size_t>(sy) * stride + static_cast<std::size_t>(sx);
            std::memcpy(dst, src + at * 4, 4);
            dst += 4;
        }
    }
}

// stb's resizer and PNG writer take row strides as int.
bool IsWellFormed(const DecodedImage& image)
{
    return image.width > 0 && image.height > 0 && image.width <= INT_MAX / 4 &&
           image.rgba.size() == static_cast<std::uint64_t>(image.width) * static_cast<std::uint64_t>(image.height) * 4;
}

ImageResult Fail(std::string error)
{
    return ImageResult{std::nullopt, std::move(error)};
}

struct StbFree
{
    void operator()(stbi_uc* pixels) const { stbi_image_free(pixels); }
};

} // namespace

// [SECTION] Public functions

ImageFormat SniffImageFormat(std::span<const std::uint8_t> head)
{
    if (StartsWith(head, "\x89PNG\r\n\x1A\n"))
        return ImageFormat::Png;
    if (StartsWith(head, "\xFF\xD8\xFF"))
        return ImageFormat::Jpeg;
    if (StartsWith(head, "GIF87a") || StartsWith(head, "GIF89a"))
        return ImageFormat::Gif;
    // "BM" alone is too weak (text can start with it): also require a DIB header size stb reads.
    if (StartsWith(head, "BM") && head.size() >= 18)
    {
        const std::uint32_t headerSize = Le32(head, 14);
        if (headerSize == 12 || headerSize == 40 || headerSize == 56 || headerSize == 108 || headerSize == 124)
            return ImageFormat::Bmp;
    }
    return ImageFormat::Unknown;
}

const char* ImageFormatName(ImageFormat format)
{
    switch (format)
    {
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Gif: return "GIF";
    case ImageFormat::Bmp: return "BMP";
    case ImageFormat::Unknown: break;
    }
    return "unknown";
}

ImageResult DecodeImage(std::span<const std::uint8_t> bytes, const ImageLimits& limits)
{
    if (bytes.empty())
        return Fail("The file is empty.");
    if (bytes.size() > limits.maxBytes || bytes.size() > INT_MAX)
        return Fail("The file is too large to preview (" + FormatBytes(bytes.size()) + "; the limit is " +
                    FormatBytes(std::min<std::uint64_t>(limits.maxBytes, INT_MAX)) + ").");
    const ImageFormat format = SniffImageFormat(bytes);
    if (format == ImageFormat::Unknown)
        return Fail("The file is not a PNG, JPEG, GIF or BMP image.");
    const std::string name = ImageFormatName(format);

    const Header header = ReadHeader(format, bytes);
    if (!header.valid || header.hostile)
        return Fail(Damaged(format));
    if (header.unsupported)
        return Fail("The " + name + " image is compressed in a way that cannot be previewed.");
    if (header.scans > MaxJpegScans)
        return Fail("The JPEG image has too many progressive scans (more than " + std::to_string(MaxJpegScans) + ").");
    if (header.width <= 0 || header.height <= 0)
        return Fail("The " + name + " image has invalid dimensions (" + Size(header.width, header.height) + ").");
    const bool swapped = header.orientation >= 5;
    const std::int64_t shownWidth = swapped ? header.height : header.width;
    const std::int64_t shownHeight = swapped ? header.width : header.height;
    if (shownWidth > limits.maxWidth || shownHeight > limits.maxHeight)
        return Fail("The " + name + " image is " + Size(shownWidth, shownHeight) +
                    " pixels; the largest accepted size is " + Size(limits.maxWidth, limits.maxHeight) + ".");
    const std::uint64_t pixels = static_cast<std::uint64_t>(header.width) * static_cast<std::uint64_t>(header.height);
    const std::uint64_t maxPixels = std::min(limits.maxPixels, MaxPixelsEver);
    if (pixels > maxPixels)
        return Fail("The " + name + " image is " + Size(shownWidth, shownHeight) + " pixels (" +
                    std::to_string(pixels) + "); at most " + std::to_string(maxPixels) + " pixels are accepted.");
    if (bytes.size() < header.minBytes)
        return Fail(Damaged(format));

    // stb's own reading of the header must agree with ours, or the file is not what it seems.
    const int length = static_cast<int>(bytes.size());
    int infoWidth = 0;
    int infoHeight = 0;
    int infoComponents = 0;
    const bool known = stbi_info_from_memory(bytes.data(), length, &infoWidth, &infoHeight, &infoComponents) != 0;
    const std::int64_t infoRows = std::abs(static_cast<std::int64_t>(infoHeight)); // BMP: negative when top-down
    if (!known || infoWidth != header.width || infoRows != header.height)
        return Fail(Damaged(format));

    if (format == ImageFormat::Png)
    {
        if (std::string problem = CheckPngData(bytes, header); !problem.empty())
            return Fail(std::move(problem));
    }

    // The flag is per-thread here; setting it keeps another component's global choice out of our pixels.
    stbi_set_flip_vertically_on_load_thread(0);
    int width = 0;
    int height = 0;
    int components = 0;
    const std::unique_ptr<stbi_uc, StbFree> stored(
        stbi_load_from_memory(bytes.data(), length, &width, &height, &components, 4));
    if (!stored || width != header.width || height != header.height)
        return Fail(Damaged(format));

    DecodedImage image;
    if (header.orientation != 1)
    {
        ApplyOrientation(stored.get(), width, height, header.orientation, image);
    }
    else
    {
        image.width = width;
        image.height = height;
        image.rgba.assign(stored.get(), stored.get() + pixels * 4);
    }
    return ImageResult{std::move(image), {}};
}

DecodedImage Thumbnail(const DecodedImage& image, int longestSide)
{
    if (!IsWellFormed(image))
        return {};
    longestSide = std::max(longestSide, 1);
    const int longest = std::max(image.width, image.height);
    if (longest <= longestSide)
        return image;
    const auto scaled = [&](int side) {
        const std::int64_t rounded = (static_cast<std::int64_t>(side) * longestSide + longest / 2) / longest;
        return static_cast<int>(std::max<std::int64_t>(rounded, 1));
    };
    DecodedImage out;
    out.width = scaled(image.width);
    out.height = scaled(image.height);
    out.rgba.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height) * 4);
    // sRGB-aware and alpha-weighted, so dark edges and transparent pixels don't bleed into colours.
    if (stbir_resize_uint8_srgb(image.rgba.data(), image.width, image.height, 0, out.rgba.data(), out.width,
                                out.height, 0, 4, 3, 0) == 0)
        return {};
    return out;
}

std::vector<std::uint8_t> EncodePng(const DecodedImage& image)
{
    // The writer sizes its filtered copy, (4 * width + 1) * height bytes, with int arithmetic.
    const std::uint64_t filtered =
        (static_cast<std::uint64_t>(image.width) * 4 + 1) * static_cast<std::uint64_t>(image.height);
    if (!IsWellFormed(image) || filtered > INT_MAX / 2)
        return {};
    std::vector<std::uint8_t> png;
    const auto append = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<std::uint8_t>*>(context);
        const auto* bytes = static_cast<const std::uint8_t*>(data);
        out->insert(out->end(), bytes, bytes + size);
    };
    if (stbi_write_png_to_func(append, &png, image.width, image.height, 4, image.rgba.data(), image.width * 4) == 0)
        return {};
    return png;
}

ThumbnailResult MakeThumbnail(std::span<const std::uint8_t> bytes, int longestSide, const ImageLimits& limits)
{
    ThumbnailResult result;
    ImageResult decoded = DecodeImage(bytes, limits);
    if (!decoded.image)
    {
        result.error = std::move(decoded.error);
        return result;
    }
    const DecodedImage& source = *decoded.image;
    result.sourceWidth = source.width;
    result.sourceHeight = source.height;
    DecodedImage shrunk;
    const DecodedImage* thumb = &source;
    if (std::max(source.width, source.height) > std::max(longestSide, 1))
    {
        shrunk = Thumbnail(source, longestSide);
        if (shrunk.width == 0)
        {
            result.error = "The image could not be shrunk to a preview.";
            return result;
        }
        thumb = &shrunk;
    }
    result.png = EncodePng(*thumb);
    if (result.png.empty())
    {
        result.error = "The preview could not be encoded as PNG.";
        return result;
    }
    result.width = thumb->width;
    result.height = thumb->height;
    return result;
}

} // namespace obrol::engine

// See image_headers.hpp: header parsing and pre-decode checks, independent of stb's decoder.
#include "engine/image_headers.hpp"

#include <stb/stb_image.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

namespace obrol::engine::image_detail {

// [SECTION] Byte reading and messages

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

std::string Size(std::int64_t width, std::int64_t height)
{
    return std::to_string(width) + "x" + std::to_string(height);
}

std::string Damaged(ImageFormat format)
{
    return std::string("The ") + ImageFormatName(format) + " image is damaged or incomplete.";
}

// [SECTION] Headers: dimensions, JPEG orientation and scan count, read without stb


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

} // namespace obrol::engine::image_detail

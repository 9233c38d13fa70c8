// Image headers read without stb (dimensions, JPEG orientation and scans, BMP layout) and the
// PNG inflate bound: what image.cpp checks before stb sees hostile bytes. Internal to the
// image code; pure, any thread.
#pragma once

#include "engine/image.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace obrol::engine::image_detail {

using Bytes = std::span<const std::uint8_t>;

// A progressive JPEG makes stb walk every block once per scan; real encoders use about ten.
constexpr int MaxJpegScans = 100;

// stb sizes some buffers with 32-bit arithmetic (16-bit PNG conversion wraps past 2^29 pixels),
// so no limits a caller passes can let more pixels than this through.
constexpr std::uint64_t MaxPixelsEver = 1u << 28;

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

std::uint32_t Le32(Bytes b, std::size_t at);
bool StartsWith(Bytes b, std::string_view magic);
std::string Size(std::int64_t width, std::int64_t height);
std::string Damaged(ImageFormat format);

// The header of `format`, read by our own code (valid false when unreadable).
Header ReadHeader(ImageFormat format, Bytes b);
// Empty, or why the PNG's compressed data cannot be what its header says (e.g. a bomb).
std::string CheckPngData(Bytes b, const Header& header);

} // namespace obrol::engine::image_detail

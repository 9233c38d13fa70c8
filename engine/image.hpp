// Image decoding, thumbnails and PNG encoding for inline previews (stb underneath). Pure and
// re-entrant: no globals, no GL; any thread may call any function, several at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace obrol::engine {

enum class ImageFormat
{
    Unknown,
    Png,
    Jpeg,
    Gif,
    Bmp
};

// The format named by the magic bytes at the start of a file, never by its name.
// The first 18 bytes are enough; fewer may give Unknown.
ImageFormat SniffImageFormat(std::span<const std::uint8_t> head);

// "PNG", "JPEG", "GIF", "BMP" or "unknown", for messages.
const char* ImageFormatName(ImageFormat format);

// What DecodeImage accepts; checked against the header before any pixel is allocated.
// Whatever maxPixels says, more than 2^28 pixels are never decoded.
struct ImageLimits
{
    int maxWidth = 16384;
    int maxHeight = 16384;
    std::uint64_t maxPixels = 40'000'000;
    std::size_t maxBytes = 64u << 20;
};

// 8-bit RGBA, row-major, top row first, EXIF orientation already applied.
struct DecodedImage
{
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgba;
};

struct ImageResult
{
    std::optional<DecodedImage> image;
    std::string error; // a sentence for the user when image is empty
};

// Decodes PNG, JPEG, GIF (first frame) and BMP. Before decoding it checks the size of the input,
// the format and the dimensions in the header, so a decompression bomb is refused without its
// pixels being allocated; a PNG whose compressed data expands past what its dimensions need is
// refused too, and so is a JPEG with an absurd number of progressive scans or with Huffman tables
// that would overflow the tables of the stb version we build against. JPEG EXIF orientation
// (1-8) is applied; a damaged EXIF block is ignored. Never crashes or hangs on hostile input.
// Resets stb's per-thread "flip vertically on load" flag on the calling thread.
ImageResult DecodeImage(std::span<const std::uint8_t> bytes, const ImageLimits& limits = {});

// A copy whose longest side is at most `longestSide` (aspect kept, never upscaled, at least 1x1),
// filtered in linear light with alpha weighting. An empty or malformed image gives an empty one.
DecodedImage Thumbnail(const DecodedImage& image, int longestSide);

// PNG bytes of the image, alpha kept; empty on failure or for an empty image. Follows stb_image_write's
// process-wide settings (compression level, flip on write), which nothing in Obrol changes.
std::vector<std::uint8_t> EncodePng(const DecodedImage& image);

// JPEG bytes of the image (alpha dropped) at quality 1-100; empty on failure.
std::vector<std::uint8_t> EncodeJpeg(const DecodedImage& image, int quality = 85);

struct ThumbnailResult
{
    std::vector<std::uint8_t> png; // the encoded preview (empty on failure): JPEG when opaque, else PNG
    int width = 0;
    int height = 0;
    int sourceWidth = 0;
    int sourceHeight = 0;
    std::string error;
};

// Decode with limits, shrink, encode (JPEG when opaque, PNG with transparency): what the server
// does when an image file arrives.
ThumbnailResult MakeThumbnail(std::span<const std::uint8_t> bytes, int longestSide = 480,
                              const ImageLimits& limits = {});

} // namespace obrol::engine

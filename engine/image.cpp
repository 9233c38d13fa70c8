// Image decoding, thumbnails and PNG encoding on top of stb. Pure: any thread, concurrently.
// Everything hostile input can steer is checked here before stb allocates or loops on it.
#include "engine/image.hpp"

#include "engine/image_headers.hpp"
#include "engine/units.hpp"

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

using namespace image_detail;

namespace {

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
        return Fail("The file is too large to preview (" + FormatSize(bytes.size()) + "; the limit is " +
                    FormatSize(std::min<std::uint64_t>(limits.maxBytes, INT_MAX)) + ").");
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

std::vector<std::uint8_t> EncodeJpeg(const DecodedImage& image, int quality)
{
    if (!IsWellFormed(image) || static_cast<std::uint64_t>(image.width) * static_cast<std::uint64_t>(image.height) > INT_MAX / 8)
        return {};
    std::vector<std::uint8_t> jpeg;
    const auto append = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<std::uint8_t>*>(context);
        const auto* bytes = static_cast<const std::uint8_t*>(data);
        out->insert(out->end(), bytes, bytes + size);
    };
    if (stbi_write_jpg_to_func(append, &jpeg, image.width, image.height, 4, image.rgba.data(), std::clamp(quality, 1, 100)) == 0)
        return {};
    return jpeg;
}

static bool Opaque(const DecodedImage& image)
{
    for (std::size_t i = 3; i < image.rgba.size(); i += 4)
        if (image.rgba[i] != 255)
            return false;
    return true;
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
    // photos (opaque) as JPEG: a fraction of a PNG's size; anything with transparency as PNG
    result.png = Opaque(*thumb) ? EncodeJpeg(*thumb, 85) : EncodePng(*thumb);
    if (result.png.empty())
    {
        result.error = "The preview could not be encoded.";
        return result;
    }
    result.width = thumb->width;
    result.height = thumb->height;
    return result;
}

} // namespace obrol::engine

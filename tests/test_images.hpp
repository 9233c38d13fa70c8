// Image files generated for tests, shared by the unit and integration suites: byte writers, PNG
// chunks with valid CRCs, and JPEG/BMP/PNG files written with stb_image_write. No binary file is
// committed; every test image is built from these.
#pragma once

#include "engine/image.hpp"

#include <doctest/doctest.h>
#include <stb/stb_image_write.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace obrol::test {

using Bytes = std::vector<std::uint8_t>;

// [SECTION] Byte writers

inline void PutBe16(Bytes& out, std::uint32_t v)
{
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

inline void PutBe32(Bytes& out, std::uint32_t v)
{
    PutBe16(out, v >> 16);
    PutBe16(out, v & 0xFFFF);
}

inline void PutLe16(Bytes& out, std::uint32_t v)
{
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}

inline void PutLe32(Bytes& out, std::uint32_t v)
{
    PutLe16(out, v & 0xFFFF);
    PutLe16(out, v >> 16);
}

// [SECTION] PNG by hand

inline std::uint32_t Crc32(const Bytes& bytes)
{
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const std::uint8_t byte : bytes)
    {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

inline Bytes PngChunk(std::string_view type, const Bytes& data)
{
    Bytes typed(type.begin(), type.end());
    typed.insert(typed.end(), data.begin(), data.end());
    Bytes chunk;
    chunk.reserve(typed.size() + 8); // length, type and data, CRC
    PutBe32(chunk, static_cast<std::uint32_t>(data.size()));
    chunk.insert(chunk.end(), typed.begin(), typed.end());
    PutBe32(chunk, Crc32(typed));
    return chunk;
}

// An 8-bit RGBA PNG with the given header size and IDAT payload, every CRC valid.
inline Bytes PngWith(std::uint32_t width, std::uint32_t height, const Bytes& idat)
{
    Bytes png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    Bytes ihdr;
    PutBe32(ihdr, width);
    PutBe32(ihdr, height);
    ihdr.insert(ihdr.end(), {8, 6, 0, 0, 0});
    for (const Bytes& chunk : {PngChunk("IHDR", ihdr), PngChunk("IDAT", idat), PngChunk("IEND", {})})
        png.insert(png.end(), chunk.begin(), chunk.end());
    return png;
}

// [SECTION] Writing files with stb_image_write

// stb_image_write's output callback: appends to the Bytes passed as `context`.
inline void AppendBytes(void* context, void* data, int size)
{
    auto* out = static_cast<Bytes*>(context);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), bytes, bytes + size);
}

inline Bytes WritePng(const engine::DecodedImage& image)
{
    Bytes out;
    const int stride = image.width * 4;
    REQUIRE(stbi_write_png_to_func(AppendBytes, &out, image.width, image.height, 4, image.rgba.data(), stride));
    return out;
}

inline Bytes WriteJpeg(const engine::DecodedImage& image, int quality = 100)
{
    Bytes out;
    REQUIRE(stbi_write_jpg_to_func(AppendBytes, &out, image.width, image.height, 4, image.rgba.data(), quality));
    return out;
}

// A BMP of the image's first `components` channels (3: RGB, 4: RGBA).
inline Bytes WriteBmp(const engine::DecodedImage& image, int components)
{
    Bytes pixels;
    for (std::size_t i = 0; i < image.rgba.size(); i += 4)
        pixels.insert(pixels.end(), image.rgba.begin() + static_cast<std::ptrdiff_t>(i),
                      image.rgba.begin() + static_cast<std::ptrdiff_t>(i) + components);
    Bytes out;
    REQUIRE(stbi_write_bmp_to_func(AppendBytes, &out, image.width, image.height, components, pixels.data()));
    return out;
}

} // namespace obrol::test

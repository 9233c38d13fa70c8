// Preview textures in GL, kept within a byte budget by engine::LruBudget.
#include "engine/gfx/texture_cache.hpp"

#include <glad/gl.h>

#include <cstdint>

namespace obrol::gfx {

namespace {

// The ImGui OpenGL3 backend reads ImTextureID as a GL texture name.
ImTextureID ToImTexture(GLuint name)
{
    return reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(name));
}

GLuint ToGlName(ImTextureID id)
{
    return static_cast<GLuint>(reinterpret_cast<std::intptr_t>(id));
}

void DeleteTexture(const Texture& texture)
{
    const GLuint name = ToGlName(texture.id);
    if (name != 0)
        glDeleteTextures(1, &name);
}

bool IsUploadable(const engine::DecodedImage& image)
{
    if (image.width <= 0 || image.height <= 0)
        return false;
    GLint maxSide = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &maxSide);
    if (image.width > maxSide || image.height > maxSide)
        return false;
    return image.rgba.size() ==
           static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * std::size_t{4};
}

} // namespace

TextureCache::TextureCache(std::uint64_t budgetBytes) : m_lru(budgetBytes) {}

TextureCache::~TextureCache()
{
    m_lru.Clear([](const Texture& texture) { DeleteTexture(texture); });
}

std::optional<Texture> TextureCache::Put(std::uint64_t key, const engine::DecodedImage& image)
{
    if (!IsUploadable(image))
        return std::nullopt;
    for (int i = 0; i < 16; ++i) // errors left by someone else must not be taken for ours
        if (glGetError() == GL_NO_ERROR)
            break;

    GLint previousTexture = 0, previousAlignment = 4, previousRowLength = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &previousTexture);
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &previousAlignment);
    glGetIntegerv(GL_UNPACK_ROW_LENGTH, &previousRowLength);

    GLuint name = 0;
    glGenTextures(1, &name);
    glBindTexture(GL_TEXTURE_2D, name);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1); // rows of any width, tightly packed
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, image.width, image.height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                 image.rgba.data());
    const bool failed = glGetError() != GL_NO_ERROR; // GL_OUT_OF_MEMORY, mostly

    glPixelStorei(GL_UNPACK_ALIGNMENT, previousAlignment);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, previousRowLength);
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(previousTexture));

    if (failed)
    {
        glDeleteTextures(1, &name);
        return std::nullopt;
    }
    const Texture texture{ToImTexture(name), image.width, image.height};
    if (const auto replaced = m_lru.Put(key, texture, image.rgba.size()))
        DeleteTexture(*replaced);
    return texture;
}

std::optional<Texture> TextureCache::Find(std::uint64_t key)
{
    if (const Texture* texture = m_lru.Find(key))
        return *texture;
    return std::nullopt;
}

void TextureCache::Erase(std::uint64_t key)
{
    if (const auto erased = m_lru.Erase(key))
        DeleteTexture(*erased);
}

void TextureCache::EndFrame()
{
    // Trim before NextFrame: what this frame drew is protected, and it is what the draw data
    // about to be rendered refers to.
    m_lru.Trim([](const Texture& texture) { DeleteTexture(texture); });
    m_lru.NextFrame();
}

} // namespace obrol::gfx

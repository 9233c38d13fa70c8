// OpenGL textures for image previews, keyed by the caller's 64-bit id, within a memory budget:
// textures not drawn in the current frame are deleted, least recently used first, once the
// budget is exceeded; those drawn this frame always stay. UI thread only, with the window's GL
// context current; destroy it before the window.
#pragma once

#include "engine/image.hpp"
#include "engine/lru_budget.hpp"

#include <imgui.h>

#include <cstdint>
#include <optional>

namespace obrol::gfx {

struct Texture
{
    ImTextureID id = nullptr; // for ImGui::Image (the GL texture name)
    int width = 0;
    int height = 0;
};

class TextureCache
{
public:
    static constexpr std::uint64_t DefaultBudget = 96ull << 20;

    explicit TextureCache(std::uint64_t budgetBytes = DefaultBudget);
    ~TextureCache(); // deletes every texture
    TextureCache(const TextureCache&) = delete;
    TextureCache& operator=(const TextureCache&) = delete;

    // Uploads the image as an RGBA8 texture (linear filtering, clamped edges), replacing any
    // texture already under `key`. Counts as drawn this frame. nullopt for an empty or
    // malformed image, or when GL refuses it (too large for the driver).
    std::optional<Texture> Put(std::uint64_t key, const engine::DecodedImage& image);

    // The texture under `key`, marked as drawn this frame; nullopt when it is not (or no longer) here.
    std::optional<Texture> Find(std::uint64_t key);
    bool Contains(std::uint64_t key) const { return m_lru.Contains(key); }

    // Deletes the texture under `key`, if any.
    void Erase(std::uint64_t key);

    // Call once per frame after drawing: deletes textures over the budget that this frame did
    // not use, then starts the next frame.
    void EndFrame();

    void SetBudget(std::uint64_t bytes) { m_lru.SetBudget(bytes); }
    std::uint64_t Budget() const { return m_lru.Budget(); }
    std::uint64_t Bytes() const { return m_lru.Bytes(); } // texture memory held (width x height x 4 each)
    std::size_t Size() const { return m_lru.Size(); }

private:
    engine::LruBudget<Texture> m_lru;
};

} // namespace obrol::gfx

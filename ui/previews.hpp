// Previews for the window: thumbnails asked from the server, full images decoded from the
// downloaded file, both decoded on a worker thread and kept as GL textures within a memory
// budget (textures far off screen are released and fetched again when scrolled back to).
// UI thread only, with the window's GL context current.
#pragma once

#include "engine/gfx/texture_cache.hpp"
#include "engine/image_worker.hpp"
#include "net/client.hpp"
#include "ui/panels/client_panel.hpp"

#include <string>
#include <unordered_map>

namespace obrol::ui {

class GuiPreviews final : public Previews
{
public:
    GuiPreviews(ClientModel& model, net::Client& client, engine::Waker* waker);

    FilePreview Preview(const Line& fileMessage) override;
    FilePreview Full(const Line& fileMessage, int& width, int& height) override;

    // Once per frame before drawing: decoded images become textures.
    void Update();
    // Once per frame after drawing: releases textures over the budget not drawn this frame.
    void EndFrame() { m_textures.EndFrame(); }

    gfx::TextureCache& Textures() { return m_textures; }

private:
    enum class State { Idle, Requested, Decoding, Ready, Failed };
    struct Entry
    {
        State state = State::Idle;
        std::string error;
        int width = 0;
        int height = 0;
    };

    static std::uint64_t ThumbKey(std::uint64_t fileId) { return fileId * 2; }
    static std::uint64_t FullKey(std::uint64_t fileId) { return fileId * 2 + 1; }

    ClientModel& m_model;
    net::Client& m_client;
    std::unordered_map<std::uint64_t, Entry> m_entries; // by texture key
    gfx::TextureCache m_textures;
    engine::ImageWorker m_worker; // last: its thread stops before the rest goes
};

} // namespace obrol::ui

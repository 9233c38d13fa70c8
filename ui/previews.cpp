#include "ui/previews.hpp"

namespace obrol::ui {

GuiPreviews::GuiPreviews(ClientModel& model, net::Client& client, engine::Waker* waker)
    : m_model(model), m_client(client), m_worker(waker)
{
}

FilePreview GuiPreviews::Preview(const Line& line)
{
    if (!line.file || line.id == 0 || line.file->thumbWidth == 0)
        return FilePreview{nullptr, true, "no preview for this file"};
    const std::uint64_t key = ThumbKey(line.id);
    Entry& e = m_entries[key];
    if (e.state == State::Ready)
    {
        if (auto texture = m_textures.Find(key))
            return FilePreview{texture->id, false, {}};
        e.state = State::Idle; // released while off screen: fetch it again
    }
    switch (e.state)
    {
    case State::Idle:
        m_model.ForgetThumb(line.id); // an answer from before is stale
        m_client.RequestThumb(line.id);
        e.state = State::Requested;
        break;
    case State::Requested:
        if (ThumbState* thumb = m_model.Thumb(line.id))
        {
            if (thumb->kind == ThumbState::Kind::None)
            {
                e.state = State::Failed;
                e.error = "the server has no preview of this file";
            }
            else
            {
                engine::ImageWorker::Job job;
                job.key = key;
                job.source = std::move(thumb->png);
                m_worker.Submit(std::move(job));
                e.state = State::Decoding;
            }
            m_model.ForgetThumb(line.id);
        }
        break;
    case State::Failed:
        return FilePreview{nullptr, true, e.error};
    default:
        break;
    }
    return FilePreview{};
}

FilePreview GuiPreviews::Full(const Line& line, int& width, int& height)
{
    const std::filesystem::path* saved = line.id ? m_model.SavedPath(line.id) : nullptr;
    const std::uint64_t full = FullKey(line.id);
    if (saved)
    {
        Entry& e = m_entries[full];
        if (e.state == State::Ready)
        {
            if (auto texture = m_textures.Find(full))
            {
                width = texture->width;
                height = texture->height;
                return FilePreview{texture->id, false, {}};
            }
            e.state = State::Idle;
        }
        if (e.state == State::Idle)
        {
            engine::ImageWorker::Job job;
            job.key = full;
            job.source = *saved;
            job.limits.maxBytes = std::size_t{256} << 20;
            m_worker.Submit(std::move(job));
            e.state = State::Decoding;
        }
        // until the whole image is decoded (or if it cannot be), the preview stands in
    }
    const FilePreview preview = Preview(line);
    if (preview.texture)
    {
        const Entry& e = m_entries[ThumbKey(line.id)];
        width = e.width;
        height = e.height;
    }
    return preview;
}

void GuiPreviews::Update()
{
    m_worker.Results().Drain([&](engine::ImageWorker::Result r) {
        Entry& e = m_entries[r.key];
        if (e.state != State::Decoding)
            return;
        if (r.image)
            if (auto texture = m_textures.Put(r.key, *r.image))
            {
                e.state = State::Ready;
                e.width = texture->width;
                e.height = texture->height;
                return;
            }
        e.state = State::Failed;
        e.error = r.error.empty() ? "the image is too large to show" : r.error;
    });
}

} // namespace obrol::ui

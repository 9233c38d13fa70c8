// The preview decoder thread: reads a file (bounded), decodes, shrinks, hands the pixels back.
#include "engine/image_worker.hpp"

#include "engine/units.hpp"

#include <algorithm>
#include <cerrno>
#include <exception>
#include <fstream>
#include <new>
#include <span>
#include <system_error>
#include <utility>

namespace obrol::engine {

namespace {

std::string PathText(const std::filesystem::path& path)
{
    const std::u8string text = path.u8string();
    return std::string(text.begin(), text.end());
}

// Reads the whole file into `out`, refusing one larger than `maxBytes` before reading it.
// Returns an empty string, or a sentence naming the file.
std::string ReadFile(const std::filesystem::path& path, std::uint64_t maxBytes, std::vector<std::uint8_t>& out)
{
    const std::string name = PathText(path);
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec)
        return "Cannot open " + name + ": " + ec.message() + ".";
    if (std::filesystem::is_directory(status))
        return "Cannot open " + name + ": it is a folder.";
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    if (ec)
        return "Cannot open " + name + ": " + ec.message() + ".";
    if (size > maxBytes)
        return name + " is too large to preview (" + FormatSize(size) + "; the limit is " + FormatSize(maxBytes) + ").";

    errno = 0;
    std::ifstream file(path, std::ios::binary);
    if (!file)
    {
        const int error = errno;
        return "Cannot open " + name + ": " +
               (error != 0 ? std::generic_category().message(error) : std::string("it cannot be read")) + ".";
    }
    // The file may grow while it is read: never take more than the limit.
    out.resize(static_cast<std::size_t>(size));
    file.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
    out.resize(static_cast<std::size_t>(file.gcount()));
    if (file.bad())
        return "Cannot read " + name + ".";
    if (out.size() == size && file.peek() != std::ifstream::traits_type::eof())
        return name + " is too large to preview (it grew while being read).";
    return {};
}

} // namespace

ImageWorker::ImageWorker(Waker* waker) : m_results(waker), m_thread([this] { Loop(); }) {}

ImageWorker::~ImageWorker()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_jobs.clear();
    }
    m_wake.notify_all();
    m_thread.join();
}

void ImageWorker::Submit(Job job)
{
    {
        std::lock_guard lock(m_mutex);
        m_jobs.push_back(std::move(job));
    }
    m_wake.notify_one();
}

bool ImageWorker::Cancel(std::uint64_t key)
{
    std::lock_guard lock(m_mutex);
    const auto before = m_jobs.size();
    std::erase_if(m_jobs, [key](const Job& job) { return job.key == key; });
    bool dropped = m_jobs.size() != before;
    if (m_runningKey == key)
    {
        m_dropRunning = true;
        dropped = true;
    }
    return dropped;
}

std::size_t ImageWorker::Pending() const
{
    std::lock_guard lock(m_mutex);
    return m_jobs.size() + (m_runningKey ? 1 : 0);
}

void ImageWorker::Loop()
{
    for (;;)
    {
        Job job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stop || !m_jobs.empty(); });
            if (m_stop)
                return;
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
            m_runningKey = job.key;
            m_dropRunning = false;
        }
        Result result = Run(job);
        {
            std::lock_guard lock(m_mutex);
            const bool drop = m_dropRunning || m_stop;
            m_runningKey.reset();
            m_dropRunning = false;
            if (drop)
                continue;
        }
        // Pushed outside the lock: Push wakes the consumer, which may call Submit at once.
        // A Cancel arriving right here is too late for this result; the caller ignores it.
        m_results.Push(std::move(result));
    }
}

ImageWorker::Result ImageWorker::Run(Job& job)
{
    Result result;
    result.key = job.key;
    try
    {
        std::vector<std::uint8_t> read;
        std::span<const std::uint8_t> bytes;
        if (const auto* path = std::get_if<std::filesystem::path>(&job.source))
        {
            result.error = ReadFile(*path, job.limits.maxBytes, read);
            if (!result.error.empty())
                return result;
            bytes = read;
        }
        else
        {
            bytes = std::get<std::vector<std::uint8_t>>(job.source);
        }

        ImageResult decoded = DecodeImage(bytes, job.limits);
        if (!decoded.image)
        {
            result.error = std::move(decoded.error);
            return result;
        }
        if (job.longestSide > 0 && std::max(decoded.image->width, decoded.image->height) > job.longestSide)
        {
            DecodedImage small = Thumbnail(*decoded.image, job.longestSide);
            if (small.rgba.empty())
            {
                result.error = "The image could not be shrunk for its preview.";
                return result;
            }
            result.image = std::move(small);
        }
        else
        {
            result.image = std::move(decoded.image);
        }
    }
    catch (const std::bad_alloc&)
    {
        result.image.reset();
        result.error = "There is not enough memory to preview this image.";
    }
    catch (const std::exception& e)
    {
        result.image.reset();
        result.error = std::string("The image could not be previewed: ") + e.what();
    }
    return result;
}

} // namespace obrol::engine

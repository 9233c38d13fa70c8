// A background thread that decodes images (and shrinks them to thumbnails) for previews, so
// the UI frame never waits on a decoder or the disk. Submit and Cancel may be called from any
// thread; Results() has one consumer (the UI thread), and the worker is its only producer.
#pragma once

#include "engine/event_queue.hpp"
#include "engine/image.hpp"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace obrol::engine {

class ImageWorker
{
public:
    struct Job
    {
        std::uint64_t key = 0; // the caller's name for the image; comes back in the Result
        std::variant<std::vector<std::uint8_t>, std::filesystem::path> source; // the bytes, or a file to read
        int longestSide = 0; // > 0: a thumbnail at most this big (never upscaled); 0: full size
        ImageLimits limits;  // a file larger than limits.maxBytes is not read
    };

    struct Result
    {
        std::uint64_t key = 0;
        std::optional<DecodedImage> image;
        std::string error; // a sentence for the user when image is empty
    };

    // `waker` (may be null) is woken after every result; it must outlive the worker.
    explicit ImageWorker(Waker* waker = nullptr);
    // Drops the jobs not started yet, waits for the one being decoded (if any), joins.
    ~ImageWorker();
    ImageWorker(const ImageWorker&) = delete;
    ImageWorker& operator=(const ImageWorker&) = delete;

    // Jobs run one at a time, in the order submitted.
    void Submit(Job job);

    // Drops every job for `key` not started yet; a result for it that is being decoded right
    // now is dropped too. Returns whether anything was dropped.
    bool Cancel(std::uint64_t key);

    // Jobs submitted and not finished (queued or being decoded).
    std::size_t Pending() const;

    EventQueue<Result>& Results() { return m_results; }

private:
    void Loop();
    static Result Run(Job& job);

    EventQueue<Result> m_results;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_jobs;                    // guarded by m_mutex
    std::optional<std::uint64_t> m_runningKey; // guarded by m_mutex
    bool m_dropRunning = false;                // guarded by m_mutex: Cancel hit the running job
    bool m_stop = false;                       // guarded by m_mutex
    std::thread m_thread;                      // last: starts after everything above exists
};

} // namespace obrol::engine

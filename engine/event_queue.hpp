// Net -> UI hand-off: a single-producer/single-consumer lock-free queue plus a wake-up.
// The producer is one network thread at a time; the consumer is the UI (or console) thread.
#pragma once

#include "engine/tsan.hpp" // before the queue header

#include <readerwriterqueue/readerwriterqueue.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <utility>

namespace obrol::engine {

// Wakes the consuming loop after events were pushed. GUI: glfwPostEmptyEvent; console: a
// condition variable. Wake() may be called from any thread.
class Waker
{
public:
    virtual ~Waker() = default;
    virtual void Wake() = 0;
};

// Waker for loops without a window: Wait() sleeps until Wake() or the timeout.
class ConditionWaker final : public Waker
{
public:
    void Wake() override
    {
        {
            std::lock_guard lock(m_mutex);
            m_signalled = true;
        }
        m_cv.notify_all();
    }

    template <class Duration> void WaitFor(Duration timeout)
    {
        std::unique_lock lock(m_mutex);
        m_cv.wait_for(lock, timeout, [this] { return m_signalled; });
        m_signalled = false;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_signalled = false;
};

template <class T> class EventQueue
{
public:
    explicit EventQueue(Waker* waker = nullptr) : m_waker(waker) {}

    void SetWaker(Waker* waker) { m_waker = waker; }

    // Producer side. The queue grows as needed, so a burst never blocks the network thread;
    // the UI drains everything each frame.
    void Push(T event)
    {
        m_queue.enqueue(std::move(event));
        if (m_waker)
            m_waker->Wake();
    }

    // Consumer side.
    bool TryPop(T& out) { return m_queue.try_dequeue(out); }

    template <class Fn> std::size_t Drain(Fn&& fn)
    {
        std::size_t count = 0;
        T event;
        while (m_queue.try_dequeue(event))
        {
            fn(std::move(event));
            ++count;
        }
        return count;
    }

private:
    moodycamel::ReaderWriterQueue<T> m_queue{256};
    Waker* m_waker;
};

} // namespace obrol::engine

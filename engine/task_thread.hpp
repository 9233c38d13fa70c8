// One background thread running posted tasks in order: file reads and writes happen here, so
// network and UI loops never wait on a disk. Post() from any thread; tasks run one at a time.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace obrol::engine {

class TaskThread
{
public:
    TaskThread() : m_thread([this] { Run(); }) {}

    // Runs every task already posted, then joins.
    ~TaskThread()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_one();
        m_thread.join();
    }

    TaskThread(const TaskThread&) = delete;
    TaskThread& operator=(const TaskThread&) = delete;

    void Post(std::function<void()> task)
    {
        {
            std::lock_guard lock(m_mutex);
            m_tasks.push_back(std::move(task));
        }
        m_wake.notify_one();
    }

    bool OnThisThread() const { return std::this_thread::get_id() == m_thread.get_id(); }

private:
    void Run()
    {
        for (;;)
        {
            std::function<void()> task;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
                if (m_tasks.empty())
                    return; // stopping, and nothing left
                task = std::move(m_tasks.front());
                m_tasks.pop_front();
            }
            task();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_tasks;
    bool m_stopping = false;
    std::thread m_thread; // last: starts after the members it uses
};

} // namespace obrol::engine

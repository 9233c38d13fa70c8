// A least-recently-used cache with a byte budget, for things that cost memory while shown
// (preview textures, decoded images). Entries used in the current frame are never evicted, so
// everything on screen stays even when the screen alone is over budget. Not thread-safe: one
// thread owns it (for textures, the UI thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <utility>

namespace obrol::engine {

template <class Value>
class LruBudget
{
public:
    explicit LruBudget(std::uint64_t budgetBytes) : m_budget(budgetBytes) {}

    LruBudget(const LruBudget&) = delete;
    LruBudget& operator=(const LruBudget&) = delete;

    // The entry for `key`, marked as used in the current frame and moved to the front; null when absent.
    Value* Find(std::uint64_t key)
    {
        const auto it = m_index.find(key);
        if (it == m_index.end())
            return nullptr;
        Touch(it->second);
        return &it->second->value;
    }

    // Looks without marking the entry as used.
    const Value* Peek(std::uint64_t key) const
    {
        const auto it = m_index.find(key);
        return it == m_index.end() ? nullptr : &it->second->value;
    }

    bool Contains(std::uint64_t key) const { return m_index.count(key) != 0; }

    // Adds (or replaces) the entry, used in the current frame, at the front. Returns the value it
    // replaced, which the caller releases. Nothing is evicted here: Trim does that.
    [[nodiscard]] std::optional<Value> Put(std::uint64_t key, Value value, std::uint64_t bytes)
    {
        std::optional<Value> replaced = Erase(key);
        m_entries.push_front(Entry{key, std::move(value), bytes, m_frame});
        m_index.emplace(key, m_entries.begin());
        m_bytes += bytes;
        return replaced;
    }

    // Removes the entry and hands its value back (nullopt when absent).
    [[nodiscard]] std::optional<Value> Erase(std::uint64_t key)
    {
        const auto it = m_index.find(key);
        if (it == m_index.end())
            return std::nullopt;
        std::optional<Value> value(std::move(it->second->value));
        m_bytes -= it->second->bytes;
        m_entries.erase(it->second);
        m_index.erase(it);
        return value;
    }

    // Starts a new frame: from now on, only entries found or put after this call count as on screen.
    void NextFrame() { ++m_frame; }

    // While over budget, evicts the least recently used entries not used in the current frame,
    // calling release(value) for each. Returns how many were evicted.
    template <class Release>
    std::size_t Trim(Release&& release)
    {
        std::size_t evicted = 0;
        // Entries are kept in order of last use, so the first one used this frame found from the
        // back means every entry in front of it was used this frame too.
        while (m_bytes > m_budget && !m_entries.empty() && m_entries.back().frame != m_frame)
        {
            Entry& last = m_entries.back();
            m_bytes -= last.bytes;
            m_index.erase(last.key);
            release(std::move(last.value));
            m_entries.pop_back();
            ++evicted;
        }
        return evicted;
    }

    // Removes every entry, calling release(value) for each.
    template <class Release>
    void Clear(Release&& release)
    {
        for (Entry& entry : m_entries)
            release(std::move(entry.value));
        m_entries.clear();
        m_index.clear();
        m_bytes = 0;
    }

    // Keys from the most to the least recently used (for tests and diagnostics).
    template <class Fn>
    void ForEach(Fn&& fn) const
    {
        for (const Entry& entry : m_entries)
            fn(entry.key, entry.value);
    }

    std::uint64_t Bytes() const { return m_bytes; }
    std::size_t Size() const { return m_entries.size(); }
    bool Empty() const { return m_entries.empty(); }
    std::uint64_t Budget() const { return m_budget; }
    void SetBudget(std::uint64_t bytes) { m_budget = bytes; } // takes effect at the next Trim
    std::uint64_t Frame() const { return m_frame; }

private:
    struct Entry
    {
        std::uint64_t key = 0;
        Value value;
        std::uint64_t bytes = 0;
        std::uint64_t frame = 0; // the frame it was last used in
    };
    using Iterator = typename std::list<Entry>::iterator;

    void Touch(Iterator it)
    {
        it->frame = m_frame;
        if (it != m_entries.begin())
            m_entries.splice(m_entries.begin(), m_entries, it); // iterators stay valid
    }

    std::list<Entry> m_entries; // front: most recently used
    std::unordered_map<std::uint64_t, Iterator> m_index;
    std::uint64_t m_budget = 0;
    std::uint64_t m_bytes = 0;
    std::uint64_t m_frame = 0;
};

} // namespace obrol::engine

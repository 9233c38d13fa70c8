// Unit tests for engine/lru_budget: the byte budget holds, what is used this frame survives,
// recently used entries outlive older ones, and every evicted value is released exactly once.
#include "engine/lru_budget.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

using obrol::engine::LruBudget;

namespace {

constexpr std::uint64_t MiB = 1u << 20;

// A stand-in for a texture: the tests check that every one is released once and only once.
struct Handle
{
    std::uint64_t id = 0;
};

struct Released
{
    std::vector<std::uint64_t> ids;
    auto Fn()
    {
        return [this](Handle h) { ids.push_back(h.id); };
    }
};

std::vector<std::uint64_t> Order(const LruBudget<Handle>& cache)
{
    std::vector<std::uint64_t> keys;
    cache.ForEach([&](std::uint64_t key, const Handle&) { keys.push_back(key); });
    return keys;
}

} // namespace

TEST_SUITE("unit")
{
    TEST_CASE("LruBudget: Put, Find, Bytes and Size")
    {
        LruBudget<Handle> cache(10 * MiB);
        CHECK(cache.Empty());
        CHECK(cache.Find(1) == nullptr);

        CHECK_FALSE(cache.Put(1, Handle{101}, 3 * MiB).has_value());
        CHECK_FALSE(cache.Put(2, Handle{102}, 2 * MiB).has_value());
        CHECK(cache.Size() == 2);
        CHECK(cache.Bytes() == 5 * MiB);
        REQUIRE(cache.Find(1) != nullptr);
        CHECK(cache.Find(1)->id == 101);
        CHECK(cache.Find(2)->id == 102);
        CHECK(cache.Find(3) == nullptr);
    }

    TEST_CASE("LruBudget: putting a key again hands back the old value and counts only the new bytes")
    {
        LruBudget<Handle> cache(10 * MiB);
        (void)cache.Put(7, Handle{1}, 4 * MiB);
        const auto replaced = cache.Put(7, Handle{2}, 1 * MiB);
        REQUIRE(replaced.has_value());
        CHECK(replaced->id == 1);
        CHECK(cache.Size() == 1);
        CHECK(cache.Bytes() == 1 * MiB);
        CHECK(cache.Find(7)->id == 2);
    }

    TEST_CASE("LruBudget: Erase removes the entry and returns its value")
    {
        LruBudget<Handle> cache(10 * MiB);
        (void)cache.Put(1, Handle{11}, 2 * MiB);
        (void)cache.Put(2, Handle{12}, 3 * MiB);
        const auto erased = cache.Erase(1);
        REQUIRE(erased.has_value());
        CHECK(erased->id == 11);
        CHECK_FALSE(cache.Erase(1).has_value());
        CHECK(cache.Find(1) == nullptr);
        CHECK(cache.Size() == 1);
        CHECK(cache.Bytes() == 3 * MiB);
    }

    TEST_CASE("LruBudget: Find moves an entry to the front; Peek does not")
    {
        LruBudget<Handle> cache(100 * MiB);
        for (std::uint64_t key = 1; key <= 4; ++key)
            (void)cache.Put(key, Handle{key}, MiB);
        CHECK(Order(cache) == std::vector<std::uint64_t>{4, 3, 2, 1});
        cache.Find(2);
        CHECK(Order(cache) == std::vector<std::uint64_t>{2, 4, 3, 1});
        cache.Find(1);
        CHECK(Order(cache) == std::vector<std::uint64_t>{1, 2, 4, 3});
        REQUIRE(cache.Peek(3) != nullptr);
        CHECK(Order(cache) == std::vector<std::uint64_t>{1, 2, 4, 3});
    }

    TEST_CASE("LruBudget: under budget, Trim evicts nothing")
    {
        LruBudget<Handle> cache(4 * MiB);
        (void)cache.Put(1, Handle{1}, 2 * MiB);
        (void)cache.Put(2, Handle{2}, 2 * MiB);
        cache.NextFrame();
        Released released;
        CHECK(cache.Trim(released.Fn()) == 0);
        CHECK(released.ids.empty());
        CHECK(cache.Size() == 2);
    }

    TEST_CASE("LruBudget: Trim evicts the least recently used first and releases each once")
    {
        LruBudget<Handle> cache(3 * MiB);
        for (std::uint64_t key = 1; key <= 5; ++key)
            (void)cache.Put(key, Handle{100 + key}, MiB);
        cache.NextFrame();
        cache.Find(1); // used again: now the most recent
        cache.NextFrame();

        Released released;
        CHECK(cache.Trim(released.Fn()) == 2);
        CHECK(released.ids == std::vector<std::uint64_t>{102, 103}); // oldest first
        CHECK(cache.Bytes() == 3 * MiB);
        CHECK(cache.Find(1) != nullptr);
        CHECK(cache.Find(2) == nullptr);
        CHECK(cache.Find(3) == nullptr);
        CHECK(cache.Find(4) != nullptr);
        CHECK(cache.Find(5) != nullptr);
    }

    TEST_CASE("LruBudget: entries used in the current frame survive even when they alone exceed the budget")
    {
        LruBudget<Handle> cache(2 * MiB);
        (void)cache.Put(1, Handle{1}, MiB);
        (void)cache.Put(2, Handle{2}, MiB);
        cache.NextFrame();
        // this frame shows three 1 MiB images with a 2 MiB budget
        (void)cache.Put(3, Handle{3}, MiB);
        (void)cache.Put(4, Handle{4}, MiB);
        cache.Find(1);
        Released released;
        cache.Trim(released.Fn());
        CHECK(released.ids == std::vector<std::uint64_t>{2}); // the only one not on screen
        CHECK(cache.Size() == 3);
        CHECK(cache.Bytes() == 3 * MiB); // over budget, but everything left is on screen

        // next frame only one of them is shown: the others go
        cache.NextFrame();
        cache.Find(4);
        cache.Trim(released.Fn());
        CHECK(cache.Bytes() <= 2 * MiB);
        CHECK(cache.Find(4) != nullptr);
    }

    TEST_CASE("LruBudget: scrolling past 1000 images of 1 MiB with a 64 MiB budget")
    {
        constexpr std::uint64_t Budget = 64 * MiB;
        constexpr int Images = 1000;
        constexpr int OnScreen = 12;
        LruBudget<Handle> cache(Budget);
        std::multiset<std::uint64_t> released;
        std::uint64_t peak = 0;

        // Each frame shows a window of 12 images and moves down by 4: every image is loaded when
        // it comes on screen and found while it stays there.
        for (int top = 0; top + OnScreen <= Images; top += 4)
        {
            for (int i = top; i < top + OnScreen; ++i)
            {
                const auto key = static_cast<std::uint64_t>(i);
                if (!cache.Find(key))
                    (void)cache.Put(key, Handle{key}, MiB);
            }
            cache.Trim([&](Handle h) { released.insert(h.id); });
            peak = std::max(peak, cache.Bytes());
            CHECK(cache.Bytes() <= Budget);
            // what is on screen is all there
            for (int i = top; i < top + OnScreen; ++i)
                CHECK(cache.Peek(static_cast<std::uint64_t>(i)) != nullptr);
            cache.NextFrame();
        }
        CHECK(peak == Budget);
        CHECK(cache.Size() == 64);
        // every image loaded was either released once or is still cached
        CHECK(released.size() + cache.Size() == Images);
        for (std::uint64_t id : released)
            CHECK(released.count(id) == 1);
        // the ones still cached are the most recent 64
        for (std::uint64_t key = Images - 64; key < Images; ++key)
            CHECK(cache.Peek(key) != nullptr);
    }

    TEST_CASE("LruBudget: a screen bigger than the budget keeps only the budget plus what is on screen")
    {
        constexpr std::uint64_t Budget = 64 * MiB;
        LruBudget<Handle> cache(Budget);
        // 1000 images put in one frame (all "on screen"): nothing may go yet
        for (std::uint64_t key = 0; key < 1000; ++key)
            (void)cache.Put(key, Handle{key}, MiB);
        Released released;
        CHECK(cache.Trim(released.Fn()) == 0);
        CHECK(cache.Size() == 1000);

        // next frame 100 of them are still shown: the cache falls to at most budget + those
        cache.NextFrame();
        for (std::uint64_t key = 500; key < 600; ++key)
            cache.Find(key);
        cache.Trim(released.Fn());
        CHECK(cache.Bytes() <= Budget + 100 * MiB);
        CHECK(cache.Size() == 100); // the on-screen ones alone are over budget: everything else went
        for (std::uint64_t key = 500; key < 600; ++key)
            CHECK(cache.Peek(key) != nullptr);
        CHECK(released.ids.size() == 900);
    }

    TEST_CASE("LruBudget: lowering the budget takes effect at the next Trim; Clear releases everything")
    {
        LruBudget<Handle> cache(10 * MiB);
        for (std::uint64_t key = 1; key <= 6; ++key)
            (void)cache.Put(key, Handle{key}, MiB);
        cache.NextFrame();
        cache.SetBudget(2 * MiB);
        CHECK(cache.Size() == 6);
        Released released;
        cache.Trim(released.Fn());
        CHECK(cache.Bytes() == 2 * MiB);
        CHECK(Order(cache) == std::vector<std::uint64_t>{6, 5});

        cache.Clear(released.Fn());
        CHECK(cache.Empty());
        CHECK(cache.Bytes() == 0);
        std::sort(released.ids.begin(), released.ids.end());
        CHECK(released.ids == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6});
    }
}

// Unit tests for engine/image_worker: images decoded off the calling thread from bytes and from
// files, thumbnails, errors for hostile input and missing files, cancelling, submission order,
// and a prompt, clean shutdown with jobs still queued. Every image is generated here.
#include "engine/image_worker.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace obrol::engine;
using namespace std::chrono_literals;

namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

// Each pixel's colour is a function of its position, so a wrong row or column shows.
DecodedImage Pattern(int width, int height)
{
    DecodedImage image;
    image.width = width;
    image.height = height;
    image.rgba.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4);
    std::size_t i = 0;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
        {
            image.rgba[i++] = static_cast<std::uint8_t>(x * 37);
            image.rgba[i++] = static_cast<std::uint8_t>(y * 53);
            image.rgba[i++] = static_cast<std::uint8_t>((x + y) * 11);
            image.rgba[i++] = 255;
        }
    return image;
}

Bytes Png(int width, int height)
{
    Bytes png = EncodePng(Pattern(width, height));
    REQUIRE_FALSE(png.empty());
    return png;
}

ImageWorker::Job FromBytes(std::uint64_t key, Bytes bytes, int longestSide = 0)
{
    ImageWorker::Job job;
    job.key = key;
    job.source = std::move(bytes);
    job.longestSide = longestSide;
    return job;
}

ImageWorker::Job FromFile(std::uint64_t key, std::filesystem::path path, int longestSide = 0)
{
    ImageWorker::Job job;
    job.key = key;
    job.source = std::move(path);
    job.longestSide = longestSide;
    return job;
}

// Waits (at most 10 s) for the next result.
std::optional<ImageWorker::Result> NextResult(ImageWorker& worker, ConditionWaker& waker)
{
    const auto deadline = Clock::now() + 10s;
    ImageWorker::Result result;
    while (!worker.Results().TryPop(result))
    {
        if (Clock::now() >= deadline)
            return std::nullopt;
        waker.WaitFor(50ms);
    }
    return result;
}

// A waker that holds the worker inside Push until the test opens the gate: while it waits
// there, every job submitted is still queued, which makes cancelling and shutdown deterministic.
class GateWaker final : public Waker
{
public:
    void Wake() override
    {
        std::unique_lock lock(m_mutex);
        ++m_wakes;
        m_cv.notify_all();
        m_cv.wait(lock, [this] { return m_open; });
    }

    bool WaitForWakes(int count)
    {
        std::unique_lock lock(m_mutex);
        return m_cv.wait_for(lock, 10s, [&] { return m_wakes >= count; });
    }

    void Open()
    {
        {
            std::lock_guard lock(m_mutex);
            m_open = true;
        }
        m_cv.notify_all();
    }

    int Wakes()
    {
        std::lock_guard lock(m_mutex);
        return m_wakes;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    int m_wakes = 0;
    bool m_open = false;
};

class CountingWaker final : public Waker
{
public:
    void Wake() override { ++count; }
    std::atomic<int> count{0};
};

struct TempDir
{
    std::filesystem::path path;
    TempDir()
    {
        path = std::filesystem::temp_directory_path() /
               ("obrol-image-worker-" + std::to_string(static_cast<long long>(::getpid())));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path Write(const std::string& name, const Bytes& bytes) const
    {
        auto file = path / name;
        std::ofstream out(file, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        return file;
    }
};

} // namespace

TEST_SUITE("unit")
{
    TEST_CASE("ImageWorker decodes a PNG given as bytes, pixel for pixel")
    {
        ConditionWaker waker;
        ImageWorker worker(&waker);
        worker.Submit(FromBytes(42, Png(7, 5))); // 7: rows are not a multiple of 4 pixels
        const auto result = NextResult(worker, waker);
        REQUIRE(result);
        CHECK(result->key == 42);
        CHECK(result->error.empty());
        REQUIRE(result->image);
        CHECK(result->image->width == 7);
        CHECK(result->image->height == 5);
        CHECK(result->image->rgba == Pattern(7, 5).rgba);
        CHECK(worker.Pending() == 0);
    }

    TEST_CASE("ImageWorker makes a thumbnail no larger than longestSide, keeping the aspect")
    {
        ConditionWaker waker;
        ImageWorker worker(&waker);
        worker.Submit(FromBytes(1, Png(400, 200), 100));
        worker.Submit(FromBytes(2, Png(30, 60), 100)); // already small: never upscaled
        const auto wide = NextResult(worker, waker);
        const auto small = NextResult(worker, waker);
        REQUIRE(wide);
        REQUIRE(wide->image);
        CHECK(wide->image->width == 100);
        CHECK(wide->image->height == 50);
        CHECK(wide->image->rgba.size() == 100u * 50 * 4);
        REQUIRE(small);
        REQUIRE(small->image);
        CHECK(small->image->width == 30);
        CHECK(small->image->height == 60);
    }

    TEST_CASE("ImageWorker reports hostile or garbage input as an error and keeps working")
    {
        ConditionWaker waker;
        ImageWorker worker(&waker);
        std::mt19937 random(1234);
        Bytes noise(4096);
        for (auto& b : noise)
            b = static_cast<std::uint8_t>(random());
        Bytes truncated = Png(64, 64);
        truncated.resize(truncated.size() / 2);
        Bytes corrupt = Png(64, 64);
        for (std::size_t i = 40; i < corrupt.size(); i += 7)
            corrupt[i] ^= 0x5a;
        ImageWorker::Job bomb = FromBytes(5, Png(300, 300)); // more pixels than this job allows
        bomb.limits.maxPixels = 10'000;

        worker.Submit(FromBytes(1, {}));
        worker.Submit(FromBytes(2, noise));
        worker.Submit(FromBytes(3, truncated));
        worker.Submit(FromBytes(4, corrupt));
        worker.Submit(std::move(bomb));
        worker.Submit(FromBytes(6, Png(3, 3))); // and a good one after them all
        for (std::uint64_t key = 1; key <= 5; ++key)
        {
            const auto result = NextResult(worker, waker);
            REQUIRE(result);
            CAPTURE(key);
            CHECK(result->key == key);
            CHECK_FALSE(result->image);
            CHECK_FALSE(result->error.empty());
        }
        const auto good = NextResult(worker, waker);
        REQUIRE(good);
        CHECK(good->key == 6);
        CHECK(good->image);
    }

    TEST_CASE("ImageWorker reads and decodes a file given by its path")
    {
        TempDir dir;
        const auto file = dir.Write("photo.png", Png(40, 30));
        ConditionWaker waker;
        ImageWorker worker(&waker);
        worker.Submit(FromFile(9, file, 20));
        const auto result = NextResult(worker, waker);
        REQUIRE(result);
        CHECK(result->key == 9);
        REQUIRE(result->image);
        CHECK(result->image->width == 20);
        CHECK(result->image->height == 15);
    }

    TEST_CASE("ImageWorker: a missing file, a folder and a file over the limit give errors naming the file")
    {
        TempDir dir;
        const auto big = dir.Write("huge.png", Png(200, 200));
        ConditionWaker waker;
        ImageWorker worker(&waker);
        worker.Submit(FromFile(1, dir.path / "no-such-picture.png"));
        worker.Submit(FromFile(2, dir.path));
        ImageWorker::Job tooBig = FromFile(3, big);
        tooBig.limits.maxBytes = 100;
        worker.Submit(std::move(tooBig));

        const auto missing = NextResult(worker, waker);
        REQUIRE(missing);
        CHECK_FALSE(missing->image);
        CHECK(missing->error.find("no-such-picture.png") != std::string::npos);
        CHECK(missing->error.find("No such file") != std::string::npos);

        const auto folder = NextResult(worker, waker);
        REQUIRE(folder);
        CHECK_FALSE(folder->image);
        CHECK(folder->error.find(dir.path.filename().string()) != std::string::npos);

        const auto over = NextResult(worker, waker);
        REQUIRE(over);
        CHECK_FALSE(over->image);
        CHECK(over->error.find("huge.png") != std::string::npos);
        CHECK(over->error.find("too large") != std::string::npos);
        CHECK(over->error.find("100 B") != std::string::npos); // the limit, in the user's units
    }

    TEST_CASE("ImageWorker runs jobs in the order they were submitted")
    {
        ConditionWaker waker;
        ImageWorker worker(&waker);
        const std::vector<std::uint64_t> keys = {50, 3, 77, 12, 9, 1000};
        for (std::size_t i = 0; i < keys.size(); ++i)
            worker.Submit(FromBytes(keys[i], i % 2 ? Bytes{1, 2, 3} : Png(16 + static_cast<int>(i), 8)));
        for (std::size_t i = 0; i < keys.size(); ++i)
        {
            const auto result = NextResult(worker, waker);
            REQUIRE(result);
            CHECK(result->key == keys[i]);
            CHECK(result->image.has_value() == (i % 2 == 0));
        }
    }

    TEST_CASE("ImageWorker: Cancel drops queued jobs for that key only")
    {
        GateWaker gate;
        ImageWorker worker(&gate);
        worker.Submit(FromBytes(1, Png(4, 4)));
        REQUIRE(gate.WaitForWakes(1)); // the worker now waits inside Push: nothing else starts
        worker.Submit(FromBytes(2, Png(4, 4)));
        worker.Submit(FromBytes(3, Png(4, 4)));
        worker.Submit(FromBytes(4, Png(4, 4)));
        worker.Submit(FromBytes(3, Png(5, 5)));
        CHECK(worker.Pending() == 4);
        CHECK(worker.Cancel(3));
        CHECK_FALSE(worker.Cancel(3));
        CHECK_FALSE(worker.Cancel(99));
        CHECK(worker.Pending() == 2);
        gate.Open();

        std::vector<std::uint64_t> keys;
        const auto deadline = Clock::now() + 10s;
        while (keys.size() < 3 && Clock::now() < deadline)
        {
            ImageWorker::Result result;
            if (worker.Results().TryPop(result))
                keys.push_back(result.key);
            else
                std::this_thread::sleep_for(1ms);
        }
        CHECK(keys == std::vector<std::uint64_t>{1, 2, 4});
        std::this_thread::sleep_for(20ms);
        ImageWorker::Result extra;
        CHECK_FALSE(worker.Results().TryPop(extra));
    }

    TEST_CASE("ImageWorker: destroying it with jobs queued drops them and returns promptly")
    {
        GateWaker gate;
        std::thread opener;
        const auto start = Clock::now();
        {
            ImageWorker worker(&gate);
            worker.Submit(FromBytes(1, Png(4, 4)));
            REQUIRE(gate.WaitForWakes(1));
            const Bytes png = Png(256, 256);
            for (std::uint64_t key = 2; key <= 200; ++key)
                worker.Submit(FromBytes(key, png));
            // let the worker out of Push a moment after the destructor has started
            opener = std::thread([&] {
                std::this_thread::sleep_for(50ms);
                gate.Open();
            });
        }
        opener.join();
        const auto elapsed = Clock::now() - start;
        CHECK(gate.Wakes() == 1); // none of the 199 queued jobs ran
        CHECK(elapsed < 5s);
    }

    TEST_CASE("ImageWorker: destroying it right after submitting real work does not wait for the queue")
    {
        CountingWaker waker;
        const Bytes big = Png(512, 512);
        const auto start = Clock::now();
        {
            ImageWorker worker(&waker);
            for (std::uint64_t key = 0; key < 100; ++key)
                worker.Submit(FromBytes(key, big));
        }
        const auto elapsed = Clock::now() - start;
        CHECK(waker.count < 100);
        CHECK(elapsed < 5s);
    }
}

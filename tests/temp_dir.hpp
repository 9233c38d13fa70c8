// A fresh, empty folder under the system temp folder for one test; removed (with everything in
// it) on destruction. Shared by every suite. Test thread only.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace obrol::test {

class TempDir
{
public:
    explicit TempDir(const std::string& prefix = "obrol-test")
    {
        std::random_device device;
        const auto base = std::filesystem::temp_directory_path();
        for (int attempt = 0; attempt < 100 && m_path.empty(); ++attempt)
        {
            const auto candidate = base / (prefix + "-" + std::to_string(device()) + std::to_string(device()));
            if (std::filesystem::create_directory(candidate)) // false: it existed already
                m_path = candidate;
        }
        REQUIRE_MESSAGE(!m_path.empty(), "cannot create a temporary folder under " << base.string());
    }
    ~TempDir()
    {
        std::error_code ignored;
        if (!m_path.empty())
            std::filesystem::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& Path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

} // namespace obrol::test

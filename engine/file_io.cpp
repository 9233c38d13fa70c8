#ifndef _GNU_SOURCE
#define _GNU_SOURCE // sync_file_range
#endif
#include "engine/file_io.hpp"

#include <cerrno>
#include <cstring>

#ifdef _WIN32
#include <io.h>
#else
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace obrol::engine {

bool SeekFile(std::FILE* file, std::uint64_t offset)
{
#ifdef _WIN32
    return _fseeki64(file, static_cast<long long>(offset), SEEK_SET) == 0;
#else
    return fseeko(file, static_cast<off_t>(offset), SEEK_SET) == 0;
#endif
}

bool SyncFile(std::FILE* file)
{
    if (std::fflush(file) != 0)
        return false;
#ifdef _WIN32
    return _commit(_fileno(file)) == 0;
#else
    return fsync(fileno(file)) == 0;
#endif
}

void StartWriteback(std::FILE* file, std::uint64_t from, std::uint64_t length)
{
#ifdef __linux__
    if (std::fflush(file) == 0)
        (void)sync_file_range(fileno(file), static_cast<off64_t>(from), static_cast<off64_t>(length), SYNC_FILE_RANGE_WRITE);
#else
    (void)file;
    (void)from;
    (void)length;
#endif
}

PartFile::~PartFile()
{
    if (file)
        std::fclose(file);
}

bool PartFile::Write(std::span<const std::uint8_t> bytes)
{
    if (!file || !error.empty())
        return false;
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size())
    {
        error = std::strerror(errno);
        return false;
    }
    hash.Update(bytes);
    written += bytes.size();
    constexpr std::uint64_t WritebackBytes = std::uint64_t{8} << 20;
    if (written - flushed >= WritebackBytes)
    {
        StartWriteback(file, flushed, written - flushed);
        flushed = written;
    }
    return true;
}

void PartFile::Discard()
{
    if (file)
        std::fclose(file);
    file = nullptr;
    std::error_code ec;
    std::filesystem::remove(path, ec);
}

} // namespace obrol::engine

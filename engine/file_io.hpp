// Small portable helpers over C stdio for the disk threads: 64-bit seeks, durable syncs, and
// early writeback so that the final sync of a big file is short. Any thread (per FILE*).
#pragma once

#include "engine/file_names.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>

namespace obrol::engine {

// Positions `file` at `offset` (64-bit everywhere). False on failure.
bool SeekFile(std::FILE* file, std::uint64_t offset);

// Flushes stdio's buffer and asks the OS to put the file's data on the disk (fsync). False on failure.
bool SyncFile(std::FILE* file);

// Starts writing [from, from + length) to the disk without waiting (Linux: sync_file_range;
// elsewhere nothing). Keeps a big transfer from leaving gigabytes to a final fsync that would
// stall every other writer of the disk (the archive's commits among them).
void StartWriteback(std::FILE* file, std::uint64_t from, std::uint64_t length);

// A file being received (an upload on the server, a download on a client): written in order,
// hashed as it goes, handed to the OS's writeback every few MiB. One thread at a time (a disk
// thread). Closed on destruction; Discard() also removes it.
struct PartFile
{
    std::filesystem::path path;
    std::FILE* file = nullptr;
    Sha256 hash;
    std::uint64_t written = 0;
    std::uint64_t flushed = 0; // handed to the OS's writeback up to here
    std::string error;         // set once a write failed: later writes are refused

    PartFile() = default;
    PartFile(const PartFile&) = delete;
    PartFile& operator=(const PartFile&) = delete;
    ~PartFile();

    // Appends and hashes; false (and `error` set) when it cannot.
    bool Write(std::span<const std::uint8_t> bytes);
    void Discard();
};

} // namespace obrol::engine

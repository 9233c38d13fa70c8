// Small portable helpers over C stdio for the disk threads: 64-bit seeks, durable syncs, and
// early writeback so that the final sync of a big file is short. Any thread (per FILE*).
#pragma once

#include <cstdint>
#include <cstdio>

namespace obrol::engine {

// Positions `file` at `offset` (64-bit everywhere). False on failure.
bool SeekFile(std::FILE* file, std::uint64_t offset);

// Flushes stdio's buffer and asks the OS to put the file's data on the disk (fsync). False on failure.
bool SyncFile(std::FILE* file);

// Starts writing [from, from + length) to the disk without waiting (Linux: sync_file_range;
// elsewhere nothing). Keeps a big transfer from leaving gigabytes to a final fsync that would
// stall every other writer of the disk (the archive's commits among them).
void StartWriteback(std::FILE* file, std::uint64_t from, std::uint64_t length);

} // namespace obrol::engine

// SqlMemory: the memory allocator SQLite uses in this process (SQLITE_CONFIG_MALLOC).
//
// Debian's SQLite is built without lookaside memory (SQLITE_OMIT_LOOKASIDE), so every
// small object it makes while running a statement — a record buffer, a cursor, each
// 1 KiB chunk of an in-memory rollback journal — is a malloc and a free. In a
// messaging second that is 3.6 million pairs, most of them freed in the same batch in
// which they were allocated; glibc's per-thread cache holds seven blocks per size, so
// most of them go through its slower arena path.
//
// Contract:
// - install() hands SQLite these methods. It must run before SQLite is initialised
//   (sql_connection.cpp calls it from a static initialiser, before main); afterwards it
//   returns false and SQLite keeps the allocator it has.
// - Blocks up to kMaxCached bytes are rounded up to a 16-byte class and, when freed,
//   kept on the freeing thread's list for its class (at most kKeptBytesPerClass bytes
//   of blocks, and at least 64 blocks, per class); the next allocation of that class on
//   that thread takes one back. Larger blocks and blocks beyond the bound go straight
//   to malloc/free.
// - Every block is its own malloc, with its size in a 16-byte header (the payload stays
//   16-byte aligned, as malloc's): any block may be freed on any thread, and a thread's
//   kept blocks go back to free() when it ends.
// - Nothing here is observable by the simulation: allocation never changes what
//   SQLite computes, and no figure reads addresses.
#pragma once

#include <cstddef>
#include <cstdint>

namespace livedeck::infra::sql_memory {

inline constexpr std::size_t kMaxCached = 2048;
inline constexpr std::size_t kKeptBytesPerClass = 512 * 1024;

// Hands SQLite this allocator; false if SQLite refused (already initialised).
bool install();

// Whether install() succeeded in this process.
bool installed();

// Counters of the calling thread (for tests): allocations served from its lists,
// allocations that went to malloc, and blocks its lists hold now.
struct ThreadCounters {
    std::uint64_t reused = 0;
    std::uint64_t fresh = 0;
    std::uint64_t kept = 0;
};
ThreadCounters threadCounters();

} // namespace livedeck::infra::sql_memory

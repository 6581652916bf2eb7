// Hashing for the CDN's placement structures: XXH3 (fast, stable across processes
// and builds), and a multiply-shift reduction of a 64-bit hash onto [0, n) (Lemire's
// "fastrange"), which costs one multiplication instead of a 64-bit division.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace livedeck::cdn {

inline std::uint64_t hashKey(std::string_view key, std::uint64_t seed = 0)
{
    return XXH3_64bits_withSeed(key.data(), key.size(), seed);
}

inline std::uint64_t hashU64(std::uint64_t value, std::uint64_t seed = 0)
{
    return XXH3_64bits_withSeed(&value, sizeof value, seed);
}

// Maps a 64-bit hash uniformly onto [0, n).
inline std::uint32_t reduce(std::uint64_t hash, std::uint32_t n)
{
    __extension__ using U128 = unsigned __int128;
    return static_cast<std::uint32_t>((static_cast<U128>(hash) * n) >> 64);
}

} // namespace livedeck::cdn

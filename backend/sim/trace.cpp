#include "backend/sim/trace.h"

#include <xxhash.h>

#include <cstring>

namespace livedeck::sim {

void TraceHash::mix(std::uint64_t value)
{
    m_hash = XXH3_64bits_withSeed(&value, sizeof value, m_hash);
}

void TraceHash::mix(std::string_view bytes)
{
    mixBytes(bytes.data(), bytes.size());
}

void TraceHash::mixDouble(double value)
{
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    mix(bits);
}

void TraceHash::mixBytes(const void* data, std::size_t size)
{
    m_hash = XXH3_64bits_withSeed(data, size, m_hash);
}

} // namespace livedeck::sim

#include "backend/cdn/sieve_cache.h"

namespace livedeck::cdn {

void SieveCache::evictOne(std::vector<CacheKey>* evicted)
{
    std::uint32_t o = m_hand != kNil ? m_hand : m_list.tail;
    while (m_entries[o].freq != 0) {
        m_entries[o].freq = 0;
        o = m_entries[o].newer != kNil ? m_entries[o].newer : m_list.tail;
    }
    m_hand = m_entries[o].newer;
    unlink(m_list, o);
    dropEntry(o, evicted);
    ++m_evictions;
}

void SieveCache::makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted)
{
    while (m_used + bytes > m_capacity)
        evictOne(evicted);
}

void SieveCache::unplace(std::uint32_t i)
{
    if (m_hand == i)
        m_hand = m_entries[i].newer;
    unlink(m_list, i);
}

} // namespace livedeck::cdn

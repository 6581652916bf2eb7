#include "backend/cdn/sieve_cache.h"

namespace livedeck::cdn {

bool SieveCache::lookup(CacheKey key)
{
    const std::uint32_t i = find(key);
    if (i == kNil)
        return false;
    m_entries[i].freq = 1;
    return true;
}

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

bool SieveCache::insert(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted)
{
    if (bytes > m_capacity || find(key) != kNil)
        return false;
    while (m_used + bytes > m_capacity)
        evictOne(evicted);
    pushHead(m_list, allocEntry(key, bytes));
    return true;
}

bool SieveCache::erase(CacheKey key)
{
    const std::uint32_t i = find(key);
    if (i == kNil)
        return false;
    if (m_hand == i)
        m_hand = m_entries[i].newer;
    unlink(m_list, i);
    dropEntry(i, nullptr);
    return true;
}

} // namespace livedeck::cdn

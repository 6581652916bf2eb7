#include "backend/cdn/lru_cache.h"

namespace livedeck::cdn {

void LruCache::onHit(std::uint32_t i)
{
    if (m_list.head != i) {
        unlink(m_list, i);
        pushHead(m_list, i);
    }
}

void LruCache::makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted)
{
    while (m_used + bytes > m_capacity) {
        const std::uint32_t victim = m_list.tail;
        unlink(m_list, victim);
        dropEntry(victim, evicted);
        ++m_evictions;
    }
}

std::vector<CacheKey> LruCache::order() const
{
    std::vector<CacheKey> out;
    for (std::uint32_t i = m_list.head; i != kNil; i = m_entries[i].older)
        out.push_back(m_entries[i].key);
    return out;
}

} // namespace livedeck::cdn

#include "backend/cdn/lru_cache.h"

namespace livedeck::cdn {

bool LruCache::lookup(CacheKey key)
{
    const std::uint32_t i = find(key);
    if (i == kNil)
        return false;
    if (m_list.head != i) {
        unlink(m_list, i);
        pushHead(m_list, i);
    }
    return true;
}

bool LruCache::insert(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted)
{
    if (bytes > m_capacity || find(key) != kNil)
        return false;
    while (m_used + bytes > m_capacity) {
        const std::uint32_t victim = m_list.tail;
        unlink(m_list, victim);
        dropEntry(victim, evicted);
        ++m_evictions;
    }
    pushHead(m_list, allocEntry(key, bytes));
    return true;
}

bool LruCache::erase(CacheKey key)
{
    const std::uint32_t i = find(key);
    if (i == kNil)
        return false;
    unlink(m_list, i);
    dropEntry(i, nullptr);
    return true;
}

std::vector<CacheKey> LruCache::order() const
{
    std::vector<CacheKey> out;
    for (std::uint32_t i = m_list.head; i != kNil; i = m_entries[i].older)
        out.push_back(m_entries[i].key);
    return out;
}

} // namespace livedeck::cdn

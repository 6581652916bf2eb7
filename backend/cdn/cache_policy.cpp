#include "backend/cdn/cache_policy.h"

#include "backend/cdn/lru_cache.h"
#include "backend/cdn/s3fifo_cache.h"
#include "backend/cdn/sieve_cache.h"

namespace livedeck::cdn {

const char* toString(CachePolicyKind kind)
{
    switch (kind) {
    case CachePolicyKind::Lru:
        return "lru";
    case CachePolicyKind::Sieve:
        return "sieve";
    case CachePolicyKind::S3Fifo:
        return "s3-fifo";
    }
    return "?";
}

bool parseCachePolicy(std::string_view name, CachePolicyKind& out)
{
    for (CachePolicyKind k : {CachePolicyKind::Lru, CachePolicyKind::Sieve, CachePolicyKind::S3Fifo}) {
        if (name == toString(k)) {
            out = k;
            return true;
        }
    }
    return false;
}

std::uint32_t CachePolicy::newEntry(CacheKey key, std::uint64_t bytes)
{
    std::uint32_t index;
    if (!m_free.empty()) {
        index = m_free.back();
        m_free.pop_back();
    } else {
        index = static_cast<std::uint32_t>(m_entries.size());
        m_entries.emplace_back();
    }
    Entry& e = m_entries[index];
    const std::uint16_t gen = e.gen;
    e = Entry{};
    e.gen = gen;
    e.key = key;
    e.bytes = static_cast<std::uint32_t>(bytes);
    return index;
}

bool CachePolicy::admit(CacheKey key, std::uint32_t existing, std::uint64_t bytes, std::vector<CacheKey>* evicted)
{
    if (bytes > m_capacity || bytes >= (1ull << 32))
        return false;
    if (existing != kNil)
        claimGhost(existing);
    makeRoom(bytes, evicted);
    std::uint32_t i = existing;
    if (i != kNil) {
        m_entries[i].bytes = static_cast<std::uint32_t>(bytes);
        m_entries[i].freq = 0;
    } else {
        i = newEntry(key, bytes);
        m_index.insert(key, i);
    }
    m_used += bytes;
    ++m_objects;
    place(i, existing != kNil);
    return true;
}

bool CachePolicy::erase(CacheKey key)
{
    const std::uint32_t i = find(key);
    if (i == kNil)
        return false;
    const bool wasLive = live(i);
    unplace(i);
    if (wasLive)
        dropEntry(i, nullptr);
    else
        dropGhost(i);
    return wasLive;
}

void CachePolicy::dropEntry(std::uint32_t index, std::vector<CacheKey>* evicted)
{
    Entry& e = m_entries[index];
    m_index.erase(e.key);
    m_used -= e.bytes;
    --m_objects;
    if (evicted)
        evicted->push_back(e.key);
    ++e.gen;
    m_free.push_back(index);
}

void CachePolicy::toGhost(std::uint32_t index, std::vector<CacheKey>* evicted)
{
    Entry& e = m_entries[index];
    m_used -= e.bytes;
    --m_objects;
    if (evicted)
        evicted->push_back(e.key);
    e.queue = kGhostQueue;
}

void CachePolicy::dropGhost(std::uint32_t index)
{
    Entry& e = m_entries[index];
    m_index.erase(e.key);
    ++e.gen;
    e.queue = 0;
    m_free.push_back(index);
}

void CachePolicy::pushHead(List& list, std::uint32_t index)
{
    Entry& e = m_entries[index];
    e.newer = kNil;
    e.older = list.head;
    if (list.head != kNil)
        m_entries[list.head].newer = index;
    list.head = index;
    if (list.tail == kNil)
        list.tail = index;
    list.bytes += e.bytes;
    ++list.count;
}

void CachePolicy::unlink(List& list, std::uint32_t index)
{
    Entry& e = m_entries[index];
    if (e.newer != kNil)
        m_entries[e.newer].older = e.older;
    else
        list.head = e.older;
    if (e.older != kNil)
        m_entries[e.older].newer = e.newer;
    else
        list.tail = e.newer;
    e.newer = e.older = kNil;
    list.bytes -= e.bytes;
    --list.count;
}

std::unique_ptr<CachePolicy> makeCachePolicy(CachePolicyKind kind, std::uint64_t capacityBytes)
{
    switch (kind) {
    case CachePolicyKind::Lru:
        return std::make_unique<LruCache>(capacityBytes);
    case CachePolicyKind::Sieve:
        return std::make_unique<SieveCache>(capacityBytes);
    case CachePolicyKind::S3Fifo:
        return std::make_unique<S3FifoCache>(capacityBytes);
    }
    return nullptr;
}

} // namespace livedeck::cdn

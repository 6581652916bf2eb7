#include "backend/cdn/s3fifo_cache.h"

#include <algorithm>

namespace livedeck::cdn {

S3FifoCache::S3FifoCache(std::uint64_t capacityBytes, S3FifoConfig config)
    : CachePolicy(capacityBytes),
      m_config(config),
      m_smallTarget(static_cast<std::uint64_t>(static_cast<double>(capacityBytes) * config.smallRatio)),
      m_ghostBytesLimit(static_cast<std::uint64_t>(static_cast<double>(capacityBytes) * config.ghostRatio))
{
    m_ghostRing.resize(64);
}

bool S3FifoCache::lookup(CacheKey key)
{
    const std::uint32_t i = find(key);
    if (i == kNil)
        return false;
    Entry& e = m_entries[i];
    if (e.freq < 3)
        ++e.freq;
    return true;
}

bool S3FifoCache::inGhost(CacheKey key) const
{
    return m_ghostIndex.contains(key);
}

void S3FifoCache::ghostPush(CacheKey key, std::uint64_t bytes)
{
    if (m_ghostBytesLimit == 0)
        return;
    if (m_ghostSize == m_ghostRing.size()) {
        // Grow the ring, keeping FIFO order (amortised; steady state does not grow).
        std::vector<Ghost> bigger(m_ghostRing.size() * 2);
        for (std::size_t k = 0; k < m_ghostSize; ++k)
            bigger[k] = m_ghostRing[(m_ghostHead + k) % m_ghostRing.size()];
        m_ghostRing = std::move(bigger);
        m_ghostHead = 0;
    }
    const std::uint64_t seq = ++m_ghostSeq;
    m_ghostRing[(m_ghostHead + m_ghostSize) % m_ghostRing.size()] = Ghost{key, bytes, seq};
    ++m_ghostSize;
    m_ghostBytes += bytes;
    m_ghostIndex.insert_or_assign(key, seq);
    while (m_ghostBytes > m_ghostBytesLimit && m_ghostSize > 0) {
        const Ghost& old = m_ghostRing[m_ghostHead];
        auto it = m_ghostIndex.find(old.key);
        if (it != m_ghostIndex.end() && it->second == old.seq)
            m_ghostIndex.erase(it);
        m_ghostBytes -= old.bytes;
        m_ghostHead = (m_ghostHead + 1) % m_ghostRing.size();
        --m_ghostSize;
    }
}

void S3FifoCache::evictOne(std::vector<CacheKey>* evicted)
{
    if (m_small.count > 0 && (m_small.bytes > m_smallTarget || m_main.count == 0)) {
        while (m_small.count > 0) {
            const std::uint32_t t = m_small.tail;
            unlink(m_small, t);
            Entry& e = m_entries[t];
            if (e.freq >= m_config.moveToMain) {
                e.freq = 0;
                e.queue = 1;
                pushHead(m_main, t);
                continue;
            }
            ghostPush(e.key, e.bytes);
            dropEntry(t, evicted);
            ++m_evictions;
            return;
        }
    }
    while (m_main.count > 0) {
        const std::uint32_t t = m_main.tail;
        unlink(m_main, t);
        Entry& e = m_entries[t];
        if (e.freq > 0) {
            --e.freq;
            pushHead(m_main, t);
            continue;
        }
        dropEntry(t, evicted);
        ++m_evictions;
        return;
    }
}

bool S3FifoCache::insert(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted)
{
    if (bytes > m_capacity || find(key) != kNil)
        return false;
    while (m_used + bytes > m_capacity)
        evictOne(evicted);
    const std::uint32_t i = allocEntry(key, bytes);
    auto ghost = m_ghostIndex.find(key);
    if (ghost != m_ghostIndex.end()) {
        m_ghostIndex.erase(ghost); // its ring slot goes stale and is skipped when popped
        ++m_ghostHits;
        m_entries[i].queue = 1;
        pushHead(m_main, i);
    } else {
        m_entries[i].queue = 0;
        pushHead(m_small, i);
    }
    return true;
}

bool S3FifoCache::erase(CacheKey key)
{
    const std::uint32_t i = find(key);
    if (i == kNil)
        return false;
    unlink(m_entries[i].queue == 0 ? m_small : m_main, i);
    dropEntry(i, nullptr);
    return true;
}

} // namespace livedeck::cdn

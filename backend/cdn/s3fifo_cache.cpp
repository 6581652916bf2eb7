#include "backend/cdn/s3fifo_cache.h"

#include "backend/cdn/hashing.h"

#include <bit>

namespace livedeck::cdn {

S3FifoCache::S3FifoCache(std::uint64_t capacityBytes, S3FifoConfig config)
    : CachePolicy(capacityBytes),
      m_config(config),
      m_smallTarget(static_cast<std::uint64_t>(static_cast<double>(capacityBytes) * config.smallRatio))
{
    m_ghostBucketMask = 0; // sized on first use, when the object count is known
}

std::int64_t S3FifoCache::ghostSlot(CacheKey key) const
{
    if (m_ghost.empty())
        return -1;
    const std::uint64_t h = hashU64(key, 0x67686f7374ull);
    const auto fp = static_cast<std::uint32_t>(h) | 1u;
    const std::size_t base = static_cast<std::size_t>((h >> 32) & m_ghostBucketMask) * kGhostWays;
    const auto window = static_cast<std::uint32_t>(m_config.ghostRatio * static_cast<double>(m_objects)) + 1;
    for (std::size_t w = 0; w < kGhostWays; ++w) {
        const std::uint64_t slot = m_ghost[base + w];
        if (static_cast<std::uint32_t>(slot) == fp && m_ghostClock - static_cast<std::uint32_t>(slot >> 32) <= window)
            return static_cast<std::int64_t>(base + w);
    }
    return -1;
}

void S3FifoCache::willAdmit(CacheKey key)
{
    if (m_ghost.empty())
        return;
    const std::uint64_t h = hashU64(key, 0x67686f7374ull);
    __builtin_prefetch(&m_ghost[static_cast<std::size_t>((h >> 32) & m_ghostBucketMask) * kGhostWays]);
}

void S3FifoCache::ghostInsert(CacheKey key)
{
    if (m_config.ghostRatio <= 0.0)
        return;
    // Room for twice the window's keys; grows with the cache (a growth forgets G).
    const auto want = std::bit_ceil(static_cast<std::uint64_t>(2.0 * m_config.ghostRatio * static_cast<double>(m_objects + 1)) / kGhostWays + 1);
    if (m_ghost.size() < want * kGhostWays) {
        m_ghost.assign(want * kGhostWays, 0);
        m_ghostBucketMask = want - 1;
    }
    const std::uint64_t h = hashU64(key, 0x67686f7374ull);
    const auto fp = static_cast<std::uint32_t>(h) | 1u;
    const std::size_t base = static_cast<std::size_t>((h >> 32) & m_ghostBucketMask) * kGhostWays;
    ++m_ghostClock;
    std::size_t oldest = base;
    std::uint32_t oldestAge = 0;
    for (std::size_t w = 0; w < kGhostWays; ++w) {
        const std::uint64_t slot = m_ghost[base + w];
        if (slot == 0) {
            oldest = base + w;
            break;
        }
        const std::uint32_t age = m_ghostClock - static_cast<std::uint32_t>(slot >> 32);
        if (age >= oldestAge) {
            oldestAge = age;
            oldest = base + w;
        }
    }
    m_ghost[oldest] = static_cast<std::uint64_t>(m_ghostClock) << 32 | fp;
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
                mainInsert(t);
                continue;
            }
            // Quick demotion: the data goes, the key's fingerprint enters G.
            ghostInsert(e.key);
            dropEntry(t, evicted);
            ++m_evictions;
            return;
        }
    }
    while (m_main.count > 0) {
        const std::uint32_t t = m_hand;
        Entry& e = m_entries[t];
        if (e.freq > 0) {
            --e.freq;
            m_hand = e.newer; // reinserted at the head
            continue;
        }
        mainRemove(t);
        dropEntry(t, evicted);
        ++m_evictions;
        return;
    }
}

void S3FifoCache::mainInsert(std::uint32_t i)
{
    Entry& e = m_entries[i];
    e.queue = kMain;
    if (m_hand == kNil) {
        e.newer = e.older = i;
        m_hand = i;
    } else {
        const std::uint32_t newest = m_entries[m_hand].older;
        e.older = newest;
        e.newer = m_hand;
        m_entries[newest].newer = i;
        m_entries[m_hand].older = i;
    }
    m_main.bytes += e.bytes;
    ++m_main.count;
}

void S3FifoCache::mainRemove(std::uint32_t i)
{
    Entry& e = m_entries[i];
    if (e.newer == i) {
        m_hand = kNil;
    } else {
        m_entries[e.older].newer = e.newer;
        m_entries[e.newer].older = e.older;
        if (m_hand == i)
            m_hand = e.newer;
    }
    e.newer = e.older = kNil;
    m_main.bytes -= e.bytes;
    --m_main.count;
}

void S3FifoCache::makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted)
{
    while (m_used + bytes > m_capacity)
        evictOne(evicted);
}

void S3FifoCache::place(std::uint32_t i)
{
    Entry& e = m_entries[i];
    const std::int64_t g = ghostSlot(e.key);
    if (g >= 0) {
        m_ghost[static_cast<std::size_t>(g)] = 0; // out of G
        ++m_ghostHits;
        mainInsert(i);
    } else {
        e.queue = kSmall;
        pushHead(m_small, i);
    }
}

void S3FifoCache::unplace(std::uint32_t i)
{
    if (m_entries[i].queue == kSmall)
        unlink(m_small, i);
    else
        mainRemove(i);
}

} // namespace livedeck::cdn

#include "backend/cdn/s3fifo_cache.h"

namespace livedeck::cdn {

S3FifoCache::S3FifoCache(std::uint64_t capacityBytes, S3FifoConfig config)
    : CachePolicy(capacityBytes),
      m_config(config),
      m_smallTarget(static_cast<std::uint64_t>(static_cast<double>(capacityBytes) * config.smallRatio)),
      m_ghostLimit(static_cast<std::uint64_t>(static_cast<double>(capacityBytes) * config.ghostRatio))
{
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
                e.queue = kMain;
                pushHead(m_main, t);
                continue;
            }
            // Quick demotion: the data goes, the key stays as a ghost.
            toGhost(t, evicted);
            ++m_evictions;
            if (m_ghostLimit == 0) {
                dropGhost(t);
                return;
            }
            e.queue = kGhost;
            pushHead(m_ghost, t);
            while (m_ghost.bytes > m_ghostLimit) {
                const std::uint32_t old = m_ghost.tail;
                unlink(m_ghost, old);
                dropGhost(old);
            }
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

void S3FifoCache::makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted)
{
    while (m_used + bytes > m_capacity)
        evictOne(evicted);
}

void S3FifoCache::claimGhost(std::uint32_t i)
{
    unlink(m_ghost, i);
    m_entries[i].queue = kMain; // no longer a ghost: room-making cannot drop it
}

void S3FifoCache::place(std::uint32_t i, bool ghost)
{
    Entry& e = m_entries[i];
    if (ghost) {
        ++m_ghostHits;
        e.queue = kMain;
        pushHead(m_main, i);
    } else {
        e.queue = kSmall;
        pushHead(m_small, i);
    }
}

void S3FifoCache::unplace(std::uint32_t i)
{
    unlink(listOf(m_entries[i].queue), i);
}

} // namespace livedeck::cdn

#include "backend/cdn/s3fifo_cache.h"

namespace livedeck::cdn {

S3FifoCache::S3FifoCache(std::uint64_t capacityBytes, S3FifoConfig config)
    : CachePolicy(capacityBytes),
      m_config(config),
      m_smallTarget(static_cast<std::uint64_t>(static_cast<double>(capacityBytes) * config.smallRatio)),
      m_ghostLimit(static_cast<std::uint64_t>(static_cast<double>(capacityBytes) * config.ghostRatio))
{
}

void S3FifoCache::ghostPush(std::uint32_t i)
{
    if (m_ghostSlots == m_ghostRing.size()) {
        std::vector<std::uint64_t> bigger(m_ghostRing.size() * 2);
        for (std::size_t k = 0; k < m_ghostSlots; ++k)
            bigger[k] = m_ghostRing[(m_ghostTail + k) & (m_ghostRing.size() - 1)];
        m_ghostRing = std::move(bigger);
        m_ghostTail = 0;
    }
    m_ghostRing[(m_ghostTail + m_ghostSlots) & (m_ghostRing.size() - 1)] =
        static_cast<std::uint64_t>(m_entries[i].gen) << 32 | i;
    ++m_ghostSlots;
    m_ghostBytes += m_entries[i].bytes;
    // Forget the oldest ghosts beyond G's size.
    while (m_ghostBytes > m_ghostLimit && m_ghostSlots > 0) {
        const std::uint64_t slot = m_ghostRing[m_ghostTail];
        m_ghostTail = (m_ghostTail + 1) & (m_ghostRing.size() - 1);
        --m_ghostSlots;
        const auto g = static_cast<std::uint32_t>(slot);
        const Entry& e = m_entries[g];
        if (e.gen != static_cast<std::uint16_t>(slot >> 32) || live(g))
            continue; // stale: claimed or dropped since
        m_ghostBytes -= e.bytes;
        dropGhost(g);
    }
}

void S3FifoCache::ghostLeave(std::uint32_t i)
{
    m_ghostBytes -= m_entries[i].bytes;
    ++m_entries[i].gen;
}

void S3FifoCache::evictOne(std::vector<CacheKey>* evicted)
{
    if (m_small.count > 0 && (m_small.bytes > m_smallTarget || m_mainCount == 0)) {
        while (m_small.count > 0) {
            const std::uint32_t t = m_small.tail;
            unlink(m_small, t);
            Entry& e = m_entries[t];
            if (e.freq >= m_config.moveToMain) {
                e.freq = 0;
                mainInsert(t);
                continue;
            }
            // Quick demotion: the data goes, the key stays as a ghost.
            toGhost(t, evicted);
            ++m_evictions;
            if (m_ghostLimit == 0)
                dropGhost(t);
            else
                ghostPush(t);
            return;
        }
    }
    while (m_mainCount > 0) {
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

void S3FifoCache::makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted)
{
    while (m_used + bytes > m_capacity)
        evictOne(evicted);
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
    m_mainBytes += e.bytes;
    ++m_mainCount;
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
    m_mainBytes -= e.bytes;
    --m_mainCount;
}

void S3FifoCache::claimGhost(std::uint32_t i)
{
    ghostLeave(i);
    m_entries[i].queue = kMain; // live again: room-making cannot drop it
}

void S3FifoCache::place(std::uint32_t i, bool ghost)
{
    if (ghost) {
        ++m_ghostHits;
        mainInsert(i);
    } else {
        m_entries[i].queue = kSmall;
        pushHead(m_small, i);
    }
}

void S3FifoCache::unplace(std::uint32_t i)
{
    const std::uint8_t q = m_entries[i].queue;
    if (q == kSmall)
        unlink(m_small, i);
    else if (q == kMain)
        mainRemove(i);
    else
        ghostLeave(i);
}

} // namespace livedeck::cdn

// S3FifoCache: S3-FIFO eviction (Yang et al., SOSP'23) by bytes: a small FIFO S (10 %
// of the bytes), a main FIFO M (the rest) and a ghost FIFO G of recently evicted keys
// (no data; keys whose sizes add up to 90 % of the capacity — libCacheSim's defaults).
// - A hit increments a 2-bit counter (capped at 3); nothing moves.
// - A miss inserts into M when the key is in G (it proved reuse), else into S.
// - Eviction from S (when S holds more than its share or M is empty): the tail moves to
//   M if it was accessed at least `moveToMain` times (libCacheSim default 2), else it
//   is evicted and its key enters G. Eviction from M: a tail with a non-zero counter is
//   reinserted at the head with the counter decremented, else evicted.
// Ghosts are entries of the same index with no data (the paper suggests keeping G in the
// index structure): a key leaving S becomes a ghost without touching the index, and a
// ghost hit finds its entry with the same probe as any lookup. See cache_policy.h.
// (Ring buffers of (entry, generation) instead of linked lists were tried and measured
// about 3× slower here: a generation array read on every pop, stale slots.)
#pragma once

#include "backend/cdn/cache_policy.h"
#include "backend/cdn/cdn_defaults.h"

namespace livedeck::cdn {

struct S3FifoConfig {
    double smallRatio = kS3FifoSmallRatio;
    double ghostRatio = kS3FifoGhostRatio;
    int moveToMain = kS3FifoMoveToMain;
};

class S3FifoCache final : public CachePolicy {
public:
    explicit S3FifoCache(std::uint64_t capacityBytes, S3FifoConfig config = {});
    CachePolicyKind kind() const override { return CachePolicyKind::S3Fifo; }

    std::uint64_t smallBytes() const { return m_small.bytes; }
    std::uint64_t mainBytes() const { return m_main.bytes; }
    std::uint64_t ghostBytes() const { return m_ghost.bytes; }
    bool inGhost(CacheKey key) const
    {
        const std::uint32_t i = find(key);
        return i != kNil && m_entries[i].queue == kGhost;
    }
    std::uint64_t ghostHits() const { return m_ghostHits; }

private:
    static constexpr std::uint8_t kSmall = 0;
    static constexpr std::uint8_t kMain = 1;
    static constexpr std::uint8_t kGhost = 2;

    bool live(std::uint32_t i) const override { return m_entries[i].queue != kGhost; }
    void onHit(std::uint32_t i) override
    {
        Entry& e = m_entries[i];
        if (e.freq < 3)
            ++e.freq;
    }
    void makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted) override;
    void place(std::uint32_t i, bool ghost) override;
    void claimGhost(std::uint32_t i) override;
    void unplace(std::uint32_t i) override;
    void evictOne(std::vector<CacheKey>* evicted);

    List& listOf(std::uint8_t queue) { return queue == kSmall ? m_small : queue == kMain ? m_main : m_ghost; }

    S3FifoConfig m_config;
    std::uint64_t m_smallTarget;
    std::uint64_t m_ghostLimit;
    List m_small;
    List m_main;
    List m_ghost; // bytes = the sizes the ghosts' objects had
    std::uint64_t m_ghostHits = 0;
};

} // namespace livedeck::cdn

// S3FifoCache: S3-FIFO eviction (Yang et al., SOSP'23) by bytes: a small FIFO S (10 %
// of the bytes), a main FIFO M (the rest) and a ghost FIFO G of recently evicted keys
// (no data; keys whose sizes add up to 90 % of the capacity — libCacheSim's defaults).
// - A hit increments a 2-bit counter (capped at 3); nothing moves.
// - A miss inserts into M when the key is in G (it proved reuse), else into S.
// - Eviction from S (when S holds more than its share or M is empty): the tail moves to
//   M if it was accessed at least `moveToMain` times (libCacheSim default 2), else it
//   is evicted and its key enters G. Eviction from M: a tail with a non-zero counter is
//   reinserted at the head with the counter decremented, else evicted.
// Layout (what the benchmark in docs/BENCHMARKS.md measured best):
// - G lives in the index, as the paper suggests: a key leaving S keeps its entry as a
//   ghost (no data), so entering G touches no index and a ghost hit is found by the same
//   probe as any lookup. G's order is a ring of (entry, generation) slots; a ghost that
//   is claimed or dropped bumps its entry's generation, and its stale slot is skipped.
// - M's FIFO-reinsertion is a circle with a hand at its oldest entry: reinserting the
//   oldest at the head is the same as moving the hand one step (CLOCK), so a
//   reinsertion touches one entry and moves nothing.
// See cache_policy.h.
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
    std::uint64_t mainBytes() const { return m_mainBytes; }
    std::uint64_t ghostBytes() const { return m_ghostBytes; }
    bool inGhost(CacheKey key) const
    {
        const std::uint32_t i = find(key);
        return i != kNil && !live(i);
    }
    std::uint64_t ghostHits() const { return m_ghostHits; }

private:
    static constexpr std::uint8_t kSmall = 0;
    static constexpr std::uint8_t kMain = 1;

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
    void mainInsert(std::uint32_t i);
    void mainRemove(std::uint32_t i);
    void ghostPush(std::uint32_t i);
    void ghostLeave(std::uint32_t i); // out of G's accounting; its ring slot goes stale

    S3FifoConfig m_config;
    std::uint64_t m_smallTarget;
    std::uint64_t m_ghostLimit;
    List m_small;
    std::uint32_t m_hand = kNil; // M's oldest entry; M is a circle through newer/older
    std::uint64_t m_mainBytes = 0;
    std::uint64_t m_mainCount = 0;
    std::vector<std::uint64_t> m_ghostRing = std::vector<std::uint64_t>(1024); // (gen << 32 | entry)
    std::size_t m_ghostTail = 0; // oldest slot
    std::size_t m_ghostSlots = 0; // slots in use, stale ones included
    std::uint64_t m_ghostBytes = 0;
    std::uint64_t m_ghostHits = 0;
};

} // namespace livedeck::cdn

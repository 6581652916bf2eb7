// S3FifoCache: S3-FIFO eviction (Yang et al., SOSP'23) by bytes: a small FIFO S (10 %
// of the bytes), a main FIFO M (the rest) and a ghost FIFO G of recently evicted keys
// (no data; keys whose sizes add up to 90 % of the capacity — libCacheSim's defaults).
// - A hit increments a 2-bit counter (capped at 3); nothing moves.
// - A miss inserts into M when the key is in G (it proved reuse), else into S.
// - Eviction from S (when S holds more than its share or M is empty): the tail moves to
//   M if it was accessed at least `moveToMain` times (libCacheSim default 2), else it
//   is evicted and its key enters G. Eviction from M: a tail with a non-zero counter is
//   reinserted at the head with the counter decremented, else evicted.
// G is a table of 32-bit fingerprints with insertion stamps, as the paper suggests: a
// bucket of 8 slots (one cache line) per fingerprint hash; a key is a ghost while fewer
// than ghostRatio × (objects cached) keys entered G after it. An insert overwrites its
// bucket's oldest slot. Nothing is ever popped, so G costs one cache line per miss.
// (A fingerprint collision can make a new key look like a ghost: it then starts in M,
// a harmless misplacement at a rate of about 8 / 2^32 per miss.)
// M's FIFO-reinsertion is kept as a circular list with a hand at its oldest entry:
// reinserting the oldest at the head is the same as moving the hand one step, so a
// reinsertion touches one entry and moves nothing (CLOCK). See cache_policy.h.
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
    bool inGhost(CacheKey key) const { return ghostSlot(key) >= 0; }
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
    void willAdmit(CacheKey key) override; // prefetches the key's G bucket while room is made
    void makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted) override;
    void place(std::uint32_t i) override;
    void unplace(std::uint32_t i) override;
    void evictOne(std::vector<CacheKey>* evicted);
    void ghostInsert(CacheKey key);
    void mainInsert(std::uint32_t i);
    void mainRemove(std::uint32_t i);
    // The slot holding the key's live fingerprint, or -1.
    std::int64_t ghostSlot(CacheKey key) const;

    S3FifoConfig m_config;
    std::uint64_t m_smallTarget;
    List m_small;
    List m_main;             // only bytes and count: M is the circle below
    std::uint32_t m_hand = kNil; // M's oldest entry
    static constexpr std::size_t kGhostWays = 8;
    std::vector<std::uint64_t> m_ghost; // (stamp << 32 | fingerprint), 0 = empty
    std::size_t m_ghostBucketMask = 0;
    std::uint32_t m_ghostClock = 0;     // keys entered so far
    std::uint64_t m_ghostHits = 0;
};

} // namespace livedeck::cdn

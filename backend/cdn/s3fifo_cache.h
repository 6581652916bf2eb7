// S3FifoCache: S3-FIFO eviction (Yang et al., SOSP'23) by bytes: a small FIFO S (10 %
// of the bytes), a main FIFO M (the rest) and a ghost FIFO G of recently evicted keys
// (no data; keys whose sizes add up to 90 % of the capacity — libCacheSim's defaults).
// - A hit increments a 2-bit counter (capped at 3); nothing moves.
// - A miss inserts into M when the key is in G (it proved reuse), else into S.
// - Eviction from S (when S holds more than its share or M is empty): the tail moves to
//   M if it was accessed at least `moveToMain` times (libCacheSim default 2), else it
//   is evicted and its key enters G. Eviction from M: a tail with a non-zero counter is
//   reinserted at the head with the counter decremented, else evicted.
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
    bool lookup(CacheKey key) override;
    bool insert(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted) override;
    bool erase(CacheKey key) override;
    bool contains(CacheKey key) const override { return find(key) != kNil; }

    std::uint64_t smallBytes() const { return m_small.bytes; }
    std::uint64_t mainBytes() const { return m_main.bytes; }
    bool inGhost(CacheKey key) const;
    std::uint64_t ghostHits() const { return m_ghostHits; }

private:
    void evictOne(std::vector<CacheKey>* evicted);
    void ghostPush(CacheKey key, std::uint64_t bytes);

    S3FifoConfig m_config;
    std::uint64_t m_smallTarget;
    std::uint64_t m_ghostBytesLimit;
    List m_small;
    List m_main;
    // Ghost FIFO: a ring of (key, bytes, seq) and an index key → seq. An index entry is
    // live while its seq has not been popped from the ring.
    struct Ghost {
        CacheKey key;
        std::uint64_t bytes;
        std::uint64_t seq;
    };
    std::vector<Ghost> m_ghostRing;
    std::size_t m_ghostHead = 0; // oldest
    std::size_t m_ghostSize = 0;
    std::uint64_t m_ghostBytes = 0;
    std::uint64_t m_ghostSeq = 0;
    absl::flat_hash_map<CacheKey, std::uint64_t> m_ghostIndex;
    std::uint64_t m_ghostHits = 0;
};

} // namespace livedeck::cdn

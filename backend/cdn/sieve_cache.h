// SieveCache: SIEVE eviction (Zhang et al., NSDI'24) by bytes. One FIFO list, a
// visited bit per entry, and a hand: a hit only sets the bit (no list move); eviction
// moves the hand from the tail toward the head, clearing set bits, and evicts the first
// entry whose bit is clear; the hand stays there for the next eviction, wrapping to the
// tail at the head. New entries go to the head. See cache_policy.h.
#pragma once

#include "backend/cdn/cache_policy.h"

namespace livedeck::cdn {

class SieveCache final : public CachePolicy {
public:
    explicit SieveCache(std::uint64_t capacityBytes) : CachePolicy(capacityBytes) {}
    CachePolicyKind kind() const override { return CachePolicyKind::Sieve; }

private:
    void onHit(std::uint32_t i) override { m_entries[i].freq = 1; }
    void makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted) override;
    void place(std::uint32_t i, bool) override { pushHead(m_list, i); }
    void unplace(std::uint32_t i) override;
    void evictOne(std::vector<CacheKey>* evicted);

    List m_list;
    std::uint32_t m_hand = kNil;
};

} // namespace livedeck::cdn

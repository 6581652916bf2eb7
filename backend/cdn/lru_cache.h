// LruCache: least-recently-used eviction by bytes (the legacy nodes' policy). A hit
// moves the entry to the head; eviction takes the tail. See cache_policy.h.
#pragma once

#include "backend/cdn/cache_policy.h"

namespace livedeck::cdn {

class LruCache final : public CachePolicy {
public:
    explicit LruCache(std::uint64_t capacityBytes) : CachePolicy(capacityBytes) {}
    CachePolicyKind kind() const override { return CachePolicyKind::Lru; }
    // Keys from most to least recently used (tests).
    std::vector<CacheKey> order() const;

private:
    void onHit(std::uint32_t i) override;
    void makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted) override;
    void place(std::uint32_t i, bool) override { pushHead(m_list, i); }
    void unplace(std::uint32_t i) override { unlink(m_list, i); }

    List m_list;
};

} // namespace livedeck::cdn

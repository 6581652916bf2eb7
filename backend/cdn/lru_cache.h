// LruCache: least-recently-used eviction by bytes (the legacy nodes' policy). A hit
// moves the entry to the head; eviction takes the tail. See cache_policy.h.
#pragma once

#include "backend/cdn/cache_policy.h"

namespace livedeck::cdn {

class LruCache final : public CachePolicy {
public:
    explicit LruCache(std::uint64_t capacityBytes) : CachePolicy(capacityBytes) {}
    CachePolicyKind kind() const override { return CachePolicyKind::Lru; }
    bool lookup(CacheKey key) override;
    bool insert(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted) override;
    bool erase(CacheKey key) override;
    bool contains(CacheKey key) const override { return find(key) != kNil; }
    // Keys from most to least recently used (tests).
    std::vector<CacheKey> order() const;

private:
    List m_list;
};

} // namespace livedeck::cdn

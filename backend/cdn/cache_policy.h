// CachePolicy: one interface for a cache node's eviction policies, with byte-size
// accounting (docs/CDN.md, "Eviction"). LRU is the legacy policy; SIEVE (NSDI'24) and
// S3-FIFO (SOSP'23) are the modern ones.
//
// Contract:
// - Keys are 64-bit (a cache node keys slices by object and slice index). Sizes are bytes.
// - lookup(key) records an access and says whether the key is cached; insert(key, bytes)
//   admits an absent key, evicting until usedBytes() + bytes <= capacityBytes(), and
//   appends every evicted key to `evicted` (when given) so the owner can drop what it
//   keeps beside the policy. An object larger than the whole capacity is not admitted.
// - access(key, bytes) = lookup, and insert on a miss: one trace step.
// - Entries live in a pooled array linked by 32-bit indices; the index is a flat hash
//   map that is looked up, never iterated: no allocation per request in steady state
//   and eviction order never depends on hash order. An access probes the index once
//   (plus once more for a new key's slot, which is then in cache). Objects < 4 GiB.
// Single-threaded.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace livedeck::cdn {

using CacheKey = std::uint64_t;

enum class CachePolicyKind { Lru, Sieve, S3Fifo };
const char* toString(CachePolicyKind kind);
bool parseCachePolicy(std::string_view name, CachePolicyKind& out); // "lru", "sieve", "s3-fifo"

class CachePolicy {
public:
    virtual ~CachePolicy() = default;
    virtual CachePolicyKind kind() const = 0;

    // True when the key is cached; records the access.
    bool lookup(CacheKey key)
    {
        const std::uint32_t i = find(key);
        if (i == kNil)
            return false;
        onHit(i);
        return true;
    }
    // Admits an absent key (false when present or larger than the whole cache).
    bool insert(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted)
    {
        return find(key) == kNil && admit(key, bytes, evicted);
    }
    // One trace step: a hit, or an admission on a miss (one index probe for a hit).
    bool access(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted = nullptr)
    {
        const std::uint32_t i = find(key);
        if (i != kNil) {
            onHit(i);
            return true;
        }
        admit(key, bytes, evicted);
        return false;
    }
    bool erase(CacheKey key);
    bool contains(CacheKey key) const { return find(key) != kNil; }

    std::uint64_t capacityBytes() const { return m_capacity; }
    std::uint64_t usedBytes() const { return m_used; }
    std::uint64_t objects() const { return m_objects; }
    std::uint64_t evictions() const { return m_evictions; }

protected:
    explicit CachePolicy(std::uint64_t capacityBytes) : m_capacity(capacityBytes) {}

    // Pooled entries in doubly linked lists: `newer` points toward a list's head (most
    // recently inserted), `older` toward its tail.
    static constexpr std::uint32_t kNil = 0xFFFFFFFFu;
    struct Entry {
        CacheKey key = 0;
        std::uint32_t bytes = 0;
        std::uint32_t newer = kNil;
        std::uint32_t older = kNil;
        std::uint8_t freq = 0;   // access bits / counter
        std::uint8_t queue = 0;  // which list (S3-FIFO: 0 small, 1 main)
    };
    struct List {
        std::uint32_t head = kNil; // newest
        std::uint32_t tail = kNil; // oldest
        std::uint64_t bytes = 0;
        std::uint64_t count = 0;
    };

    // Policy hooks.
    virtual void onHit(std::uint32_t i) = 0;
    // Called before room is made for `key` (e.g. to prefetch what place() will read).
    virtual void willAdmit(CacheKey) {}
    // Evicts until usedBytes() + bytes fits.
    virtual void makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted) = 0;
    // Links a newly admitted entry.
    virtual void place(std::uint32_t i) = 0;
    // Unlinks an entry that is being erased.
    virtual void unplace(std::uint32_t i) = 0;

    bool admit(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted);
    std::uint32_t newEntry(CacheKey key, std::uint64_t bytes);
    void pushHead(List& list, std::uint32_t index);
    void unlink(List& list, std::uint32_t index);
    std::uint32_t find(CacheKey key) const
    {
        auto it = m_index.find(key);
        return it == m_index.end() ? kNil : it->second;
    }
    // Evicts an entry entirely (index, accounting, pool); it must already be unlinked.
    void dropEntry(std::uint32_t index, std::vector<CacheKey>* evicted);

    std::vector<Entry> m_entries;
    std::vector<std::uint32_t> m_free;
    absl::flat_hash_map<CacheKey, std::uint32_t> m_index;
    std::uint64_t m_capacity;
    std::uint64_t m_used = 0;
    std::uint64_t m_objects = 0;
    std::uint64_t m_evictions = 0;
};

std::unique_ptr<CachePolicy> makeCachePolicy(CachePolicyKind kind, std::uint64_t capacityBytes);

} // namespace livedeck::cdn

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
// - Entries live in a pooled array linked by 32-bit indices; the index (KeyIndex, one
//   cache line per probe) is looked up, never iterated: no allocation per request in steady state
//   and eviction order never depends on hash order. An access probes the index once
//   (plus once more for a new key's slot, which is then in cache). Objects < 4 GiB.
// Single-threaded.
#pragma once

#include "backend/cdn/key_index.h"

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
        if (i == kNil || !live(i))
            return false;
        onHit(i);
        return true;
    }
    // Admits an absent key (false when present or larger than the whole cache).
    bool insert(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted)
    {
        const std::uint32_t i = find(key);
        return (i == kNil || !live(i)) && admit(key, i, bytes, evicted);
    }
    // One trace step: a hit, or an admission on a miss (one index probe either way).
    bool access(CacheKey key, std::uint64_t bytes, std::vector<CacheKey>* evicted = nullptr)
    {
        const std::uint32_t i = find(key);
        if (i != kNil && live(i)) {
            onHit(i);
            return true;
        }
        admit(key, i, bytes, evicted);
        return false;
    }
    bool erase(CacheKey key);
    bool contains(CacheKey key) const
    {
        const std::uint32_t i = find(key);
        return i != kNil && live(i);
    }

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
        std::uint8_t queue = 0;  // which list (S3-FIFO: 0 small, 1 main, kGhostQueue)
        std::uint16_t gen = 0;   // bumped each time the slot is freed or leaves a ghost queue
    };
    // An entry in this queue is a ghost: indexed, no data (S3-FIFO keeps G in the index).
    static constexpr std::uint8_t kGhostQueue = 2;
    bool live(std::uint32_t i) const { return m_entries[i].queue != kGhostQueue; }
    struct List {
        std::uint32_t head = kNil; // newest
        std::uint32_t tail = kNil; // oldest
        std::uint64_t bytes = 0;
        std::uint64_t count = 0;
    };

    // Policy hooks.
    virtual void onHit(std::uint32_t i) = 0;
    // Evicts until usedBytes() + bytes fits.
    virtual void makeRoom(std::uint64_t bytes, std::vector<CacheKey>* evicted) = 0;
    // Links a newly admitted entry; `ghost`: it was a ghost (claimed, same index).
    virtual void place(std::uint32_t i, bool ghost) = 0;
    // Takes a ghost out of its queue before room is made, so room-making cannot drop it.
    virtual void claimGhost(std::uint32_t) {}
    // Unlinks an entry (live or ghost) that is being erased.
    virtual void unplace(std::uint32_t i) = 0;

    // `existing`: the key's ghost entry, or kNil.
    bool admit(CacheKey key, std::uint32_t existing, std::uint64_t bytes, std::vector<CacheKey>* evicted);
    std::uint32_t newEntry(CacheKey key, std::uint64_t bytes);
    void pushHead(List& list, std::uint32_t index);
    void unlink(List& list, std::uint32_t index);
    std::uint32_t find(CacheKey key) const { return m_index.find(key); }
    // Evicts a live entry entirely (index, accounting, pool); it must already be unlinked.
    void dropEntry(std::uint32_t index, std::vector<CacheKey>* evicted);
    // Turns a live, unlinked entry into a ghost: its data goes, its key stays indexed.
    void toGhost(std::uint32_t index, std::vector<CacheKey>* evicted);
    // Forgets a ghost entry.
    void dropGhost(std::uint32_t index);

    std::vector<Entry> m_entries;
    std::vector<std::uint32_t> m_free;
    KeyIndex m_index;
    std::uint64_t m_capacity;
    std::uint64_t m_used = 0;
    std::uint64_t m_objects = 0;
    std::uint64_t m_evictions = 0;
};

std::unique_ptr<CachePolicy> makeCachePolicy(CachePolicyKind kind, std::uint64_t capacityBytes);

} // namespace livedeck::cdn

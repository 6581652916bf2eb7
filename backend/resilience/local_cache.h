// LocalCache<Key, Value>: the in-process cache that serves hot keys in front of the
// KV cache (docs/GIFTS.md: "hot-key detection with fallback to an in-process cache").
// Entries expire after a TTL on the world's clock; the number of entries is bounded
// and the least recently used entry is evicted to make room. Hit, miss, expiry and
// eviction counters feed telemetry.
//
// Contract: single-threaded (the world's thread); time from a sim::Clock, read on
// every get/put; capacity fixed at construction — the entry pool and the hash index
// are sized then, so get/put/erase never allocate in steady state (except what Key
// and Value themselves allocate when copied, e.g. long std::string keys). Expired
// entries are dropped lazily when looked up or when they reach the LRU end.
//
// Public counterparts and where we differ: Caffeine (expireAfterWrite +
// maximumSize) uses W-TinyLFU admission and eviction; Guava's cache evicts by
// approximate LRU per segment. Ours is exact LRU with no admission filter, because
// admission is already decided by frequency upstream: only keys the HotKeyDetector
// reports hot are put here, so the cache needs no frequency sketch of its own.
// The default TTL of 1 s keeps staleness short (docs/GIFTS.md accepts that
// users briefly miss privileged gifts under a surge, not long stale panels).
#pragma once

#include "backend/sim/time.h"

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include <cassert>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace livedeck::resilience {

struct LocalCacheConfig {
    std::size_t capacity = 1024;
    sim::Nanos ttl = sim::kSecond; // see header
};

struct LocalCacheStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;      // includes lookups that found an expired entry
    std::uint64_t expired = 0;     // entries dropped because their TTL passed
    std::uint64_t evictions = 0;   // live entries dropped to make room (LRU)
    std::uint64_t puts = 0;
    double hitRatio() const { return hits + misses > 0 ? static_cast<double>(hits) / static_cast<double>(hits + misses) : 0.0; }
};

template <class Key, class Value, class Hash = absl::Hash<Key>, class Eq = std::equal_to<Key>>
class LocalCache {
public:
    LocalCache(const sim::Clock& clock, LocalCacheConfig config = {}) : m_clock(clock), m_config(config)
    {
        assert(config.capacity > 0 && config.ttl > 0);
        m_nodes.resize(config.capacity);
        for (std::size_t i = 0; i < config.capacity; ++i)
            m_nodes[i].next = i + 1 < config.capacity ? static_cast<std::uint32_t>(i + 1) : kNil;
        m_free = 0;
        m_index.reserve(config.capacity);
    }
    LocalCache(const LocalCache&) = delete;
    LocalCache& operator=(const LocalCache&) = delete;

    // The live value for `key`, or nullptr (miss or expired). Counts and refreshes LRU.
    // The pointer is valid until the next non-const call.
    const Value* get(const Key& key)
    {
        const auto it = m_index.find(key);
        if (it == m_index.end()) {
            ++m_stats.misses;
            return nullptr;
        }
        const std::uint32_t n = it->second;
        if (m_nodes[n].expiresAt <= m_clock.now()) {
            ++m_stats.misses;
            ++m_stats.expired;
            m_index.erase(it);
            unlink(n);
            release(n);
            return nullptr;
        }
        ++m_stats.hits;
        moveToFront(n);
        return &m_nodes[n].value;
    }

    // Looks without counting or touching LRU order; nullptr when absent or expired.
    const Value* peek(const Key& key) const
    {
        const auto it = m_index.find(key);
        if (it == m_index.end() || m_nodes[it->second].expiresAt <= m_clock.now())
            return nullptr;
        return &m_nodes[it->second].value;
    }

    // Inserts or replaces; ttl <= 0 takes the configured TTL.
    void put(const Key& key, Value value, sim::Nanos ttl = 0)
    {
        const sim::Nanos now = m_clock.now();
        const sim::Nanos expiresAt = now + (ttl > 0 ? ttl : m_config.ttl);
        ++m_stats.puts;
        const auto it = m_index.find(key);
        if (it != m_index.end()) {
            Node& node = m_nodes[it->second];
            node.value = std::move(value);
            node.expiresAt = expiresAt;
            moveToFront(it->second);
            return;
        }
        if (m_free == kNil) {
            // Full: drop the least recently used entry (an expired one counts as expiry).
            const std::uint32_t victim = m_tail;
            assert(victim != kNil);
            if (m_nodes[victim].expiresAt <= now)
                ++m_stats.expired;
            else
                ++m_stats.evictions;
            m_index.erase(m_nodes[victim].key);
            unlink(victim);
            release(victim);
        }
        const std::uint32_t n = m_free;
        m_free = m_nodes[n].next;
        Node& node = m_nodes[n];
        node.key = key;
        node.value = std::move(value);
        node.expiresAt = expiresAt;
        linkFront(n);
        m_index.emplace(key, n);
    }

    bool erase(const Key& key)
    {
        const auto it = m_index.find(key);
        if (it == m_index.end())
            return false;
        const std::uint32_t n = it->second;
        m_index.erase(it);
        unlink(n);
        release(n);
        return true;
    }

    void clear()
    {
        while (m_head != kNil) {
            const std::uint32_t n = m_head;
            m_index.erase(m_nodes[n].key);
            unlink(n);
            release(n);
        }
    }

    // Drops every expired entry now (O(size)); returns how many.
    std::size_t purgeExpired()
    {
        const sim::Nanos now = m_clock.now();
        std::size_t dropped = 0;
        for (std::uint32_t n = m_tail; n != kNil;) {
            const std::uint32_t prev = m_nodes[n].prev;
            if (m_nodes[n].expiresAt <= now) {
                m_index.erase(m_nodes[n].key);
                unlink(n);
                release(n);
                ++m_stats.expired;
                ++dropped;
            }
            n = prev;
        }
        return dropped;
    }

    std::size_t size() const { return m_index.size(); }
    std::size_t capacity() const { return m_config.capacity; }
    const LocalCacheStats& stats() const { return m_stats; }
    const LocalCacheConfig& config() const { return m_config; }

    // Keys from most to least recently used (inspection and tests; allocates).
    std::vector<Key> keysByRecency() const
    {
        std::vector<Key> out;
        out.reserve(m_index.size());
        for (std::uint32_t n = m_head; n != kNil; n = m_nodes[n].next)
            out.push_back(m_nodes[n].key);
        return out;
    }

private:
    static constexpr std::uint32_t kNil = 0xFFFFFFFFu;

    struct Node {
        Key key{};
        Value value{};
        sim::Nanos expiresAt = 0;
        std::uint32_t prev = kNil;
        std::uint32_t next = kNil; // also the free-list link
    };

    void unlink(std::uint32_t n)
    {
        Node& node = m_nodes[n];
        if (node.prev != kNil)
            m_nodes[node.prev].next = node.next;
        else
            m_head = node.next;
        if (node.next != kNil)
            m_nodes[node.next].prev = node.prev;
        else
            m_tail = node.prev;
        node.prev = node.next = kNil;
    }
    void linkFront(std::uint32_t n)
    {
        Node& node = m_nodes[n];
        node.prev = kNil;
        node.next = m_head;
        if (m_head != kNil)
            m_nodes[m_head].prev = n;
        m_head = n;
        if (m_tail == kNil)
            m_tail = n;
    }
    void moveToFront(std::uint32_t n)
    {
        if (m_head == n)
            return;
        unlink(n);
        linkFront(n);
    }
    void release(std::uint32_t n)
    {
        m_nodes[n].value = Value{}; // let go of what the value holds
        m_nodes[n].next = m_free;
        m_free = n;
    }

    const sim::Clock& m_clock;
    LocalCacheConfig m_config;
    std::vector<Node> m_nodes;
    absl::flat_hash_map<Key, std::uint32_t, Hash, Eq> m_index;
    std::uint32_t m_head = kNil; // most recently used
    std::uint32_t m_tail = kNil; // least recently used
    std::uint32_t m_free = kNil;
    LocalCacheStats m_stats;
};

} // namespace livedeck::resilience

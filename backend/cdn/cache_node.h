// CacheNode: one cache server (docs/CDN.md, "Cache node"): an eviction policy over
// slices by bytes, disks with a service-time model, and collapsed forwarding to its
// upstream (a BackOrigin).
//
// Contract:
// - Slices are keyed by (object, slice index) like nginx's `$uri$slice_range` cache key;
//   a request that is not one aligned slice is forwarded uncached.
// - Hit: the slice's stored version is read from its disk (disk = key hash mod disks):
//   header and body when the read completes. The reply carries the version that was
//   cached, so a cache holding slices of two versions produces the ETag mismatch the
//   slice module must catch.
// - Miss with collapsed forwarding: the first miss of a key fetches from upstream; later
//   misses of the same key wait on that fetch (nginx proxy_cache_lock / ATS
//   read-while-writer) and receive its header and body — at most one upstream fetch per
//   (node, object, slice) at a time. Without it (the sabotaged twin) every miss fetches.
//   A 206 fill is admitted to the policy (evicting as it must) and written to disk in
//   the background (the write occupies the disk).
// - Requests travel on the world's network from `request.from` (if set) and back.
// - Faults: this node down → 503; slow-disk faults on "<path>/disk-<i>" slow its reads.
// - inspect(): its counters, what it holds, its disks' queues and the requests waiting
//   on collapsed fetches right now (the console's cache table, docs/CDN.md "Console").
// Single-threaded.
#pragma once

#include "backend/cdn/cache_policy.h"
#include "backend/cdn/disk.h"
#include "backend/cdn/slice_source.h"
#include "backend/sim/components.h"

#include <absl/container/flat_hash_map.h>

#include <memory>
#include <string_view>
#include <vector>

namespace livedeck::cdn {

struct CacheNodeConfig {
    std::uint64_t capacityBytes = 64ull * 1024 * kMiB; // ours
    CachePolicyKind policy = CachePolicyKind::Sieve; // new mode; legacy nodes use Lru (docs/CDN.md)
    std::uint64_t sliceBytes = kSliceBytes;
    int disks = 1;
    DiskConfig disk;
    bool collapsedForwarding = true;
    sim::Nanos failTimeout = 2 * sim::kSecond; // requester cannot reach the node
};

struct CacheNodeStats {
    std::uint64_t requests = 0;
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t collapsed = 0;      // misses that joined an in-flight fetch
    std::uint64_t upstreamFetches = 0;
    std::uint64_t uncacheable = 0;
    std::uint64_t errors = 0;
    std::uint64_t bytesServed = 0;
    std::uint64_t bytesHit = 0;
    int maxFetchesPerKey = 0;         // most concurrent upstream fetches of one key ever seen
    std::size_t maxWaiters = 0;       // most requests waiting on one fetch
    double readLatencyMs = 0.0;       // disk reads (queue + service), moving average (1/8 per read)
};

class CacheNode final : public SliceSource, public sim::Inspectable {
public:
    CacheNode(sim::World& world, std::string_view path, CacheNodeConfig config, SliceSource& upstream,
              telemetry::MetricsRegistry* metrics = nullptr);

    void fetch(const SliceFetch& request, OnHeader onHeader, OnDone onDone) override;

    CacheKey keyOf(ObjectId object, std::uint64_t first) const;
    // Admits one aligned slice of (object, version) as if it had been filled (a warm
    // start replays a request trace into the cache without running it); no disk write.
    bool preload(ObjectId object, Version version, std::uint64_t first, std::uint64_t objectSize);
    bool cached(ObjectId object, std::uint64_t first) const { return m_policy->contains(keyOf(object, first)); }
    // Drops everything (an ejected node's cache is cold when it comes back in tests).
    const CachePolicy& policy() const { return *m_policy; }
    const CacheNodeStats& stats() const { return m_stats; }
    const std::vector<std::unique_ptr<Disk>>& disks() const { return m_disks; }
    std::size_t inFlightFetches() const { return m_pending.size(); }
    // Requests waiting on another request's upstream fetch right now.
    std::size_t collapsedWaiters() const;
    // Disk requests in service and queued right now, over all disks.
    double diskBusy() const;
    double diskQueued() const;
    void inspect(sim::StateWriter& out) const override;
    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }
    const CacheNodeConfig& config() const { return m_config; }

private:
    struct Waiter {
        SliceSource::OnHeader onHeader;
        SliceSource::OnDone onDone;
        sim::ComponentId from;
    };
    struct Pending {
        CacheKey key = 0;
        bool headerSeen = false;
        SliceHeader header;
        std::vector<Waiter> waiters;
    };
    struct Stored {
        Version version = 0;
        std::uint64_t first = 0;
        std::uint64_t last = 0;
        std::int64_t complete = -1;
        ObjectId object = 0;
    };
    void arrive(const SliceFetch& request, SliceSource::OnHeader onHeader, SliceSource::OnDone onDone);
    void serveHit(CacheKey key, Waiter waiter);
    void forwardUncached(const SliceFetch& request, Waiter waiter);
    void startFetch(const SliceFetch& request, std::shared_ptr<Pending> pending, bool collapsible);
    void fill(CacheKey key, const SliceReply& reply);
    // Runs `fn` after the trip from this node back to `to` (at once when `to` is unset).
    template <class Fn>
    void replyTo(sim::ComponentId to, Fn fn);
    Disk& diskFor(CacheKey key);

    sim::World& m_world;
    sim::ComponentId m_component;
    std::string m_path;
    CacheNodeConfig m_config;
    SliceSource& m_upstream;
    std::unique_ptr<CachePolicy> m_policy;
    std::vector<std::unique_ptr<Disk>> m_disks;
    absl::flat_hash_map<CacheKey, Stored> m_stored;
    absl::flat_hash_map<CacheKey, std::shared_ptr<Pending>> m_pending;
    absl::flat_hash_map<CacheKey, int> m_fetchesInFlight;
    std::vector<CacheKey> m_evicted;
    CacheNodeStats m_stats;
    sim::EventKindId m_replyKind;
};

} // namespace livedeck::cdn

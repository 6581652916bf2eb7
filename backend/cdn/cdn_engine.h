// CdnEngine: the edge CDN on the world's regions, in two modes (docs/CDN.md).
//
// New mode, per region cluster: clients → L4 (Maglev + connection table, health checks
// of the gateways) → gateways (L7: the slice module with a prefetch window, VOD slices
// placed on a consistent-hash ring with bounded load, live streams on slots, retry on
// the next owner) → cache nodes (disks, eviction, collapsed forwarding) → back-origin
// nodes → the origin in `originRegion`. Control: health checks of cache nodes (faults,
// slow disks, overload) and back-origin nodes with rise/fall hysteresis; ejections
// capped by a maximum share; the routing table (ring membership) committed to a Raft
// KV (shared resource "cdn-control") and pushed to the gateways, which also poll it
// every second and keep their last table when control is unreachable; hot-flow
// detection widens live slots ahead of the load (pre-heat).
// Legacy mode: each edge node is gateway and cache at once (window 1, LRU, its own
// users' content); a central scheduler hears each node every `reportInterval`, calls it
// down after `reportsToDown` missed reports, recomputes the plan every `planPeriod` and
// publishes it through DNS with `dnsTtl`; clients re-resolve when they reconnect after
// a failure. No per-component health checks.
//
// Load: discrete client requests at `discretePerSec` (the fidelity floor, 2 000/s),
// each weighing realRequestsPerSec × multiplier ÷ discretePerSec real requests; every
// limiter (bounded-load cap, slot thresholds, overload check) counts by weight.
// Gauges (every simulated second, over that second) and invariants: docs/CDN.md.
// The world's thread only. Deterministic: streams from world.stream(path).
#pragma once

#include "backend/cdn/cache_node.h"
#include "backend/cdn/cache_policy.h"
#include "backend/cdn/health_checker.h"
#include "backend/sim/world.h"
#include "backend/telemetry/telemetry.h"

#include <absl/status/statusor.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace livedeck::engine {
class SharedResources;
}

namespace livedeck::cdn {

enum class CdnMode { Legacy, New };
const char* toString(CdnMode mode);

enum class CdnProfile { VodEvening, Gala, HotRelease };
const char* toString(CdnProfile profile);
bool parseCdnProfile(std::string_view name, CdnProfile& out); // "vod-evening", "gala", "hot-release"

// Each switch turns one mechanism off (the sabotaged twins, docs/DRILLS.md).
struct CdnSabotage {
    bool noHealthChecks = false;        // control runs no cache / back-origin checks
    bool ignoreLatency = false;         // the cache check ignores slow disks
    bool noCollapsedForwarding = false;
    bool noEtagCheck = false;
    bool unorderedDelivery = false;     // a slice is sent as soon as it completes
    bool moduloHashing = false;         // hash mod active nodes instead of the ring
    bool infiniteSlotThreshold = false;
    bool dropRoutesWithoutControl = false; // a gateway drops its table when its poll fails
    bool noConnectionTable = false;
    bool noEjectionCap = false;
    bool noPreheat = false;             // hot-flow detection does not widen slots ahead of the load
    bool noGatewayOutlier = false;      // gateways never set an unreachable cache node aside on their own
    bool noFirstByteTimeout = false;    // a gateway waits for a slow cache node's first byte, however long
};

struct CdnLoad {
    CdnProfile profile = CdnProfile::VodEvening;
    double realRequestsPerSec = 300'000.0; // all regions, real-equivalent (ours)
    double liveShare = 0.2;     // share of requests for live segments
    double hotShare = 0.0;      // hot-release: share of VOD requests for the release; gala: the gala stream's final share of live
    sim::Nanos ramp = 4 * sim::kSecond; // gala: the gala stream's share ramps up over this
    double rangeMinMiB = 0.75;  // VOD client ranges (a player's segment-sized reads)
    double rangeMaxMiB = 1.25;
    double coldShare = 0.0;     // share of VOD requests for objects nobody asked before
    static CdnLoad forProfile(CdnProfile profile);
};

struct CdnConfig {
    CdnMode mode = CdnMode::New;
    std::vector<std::string> regions;   // empty: every region of the topology
    std::string originRegion = "gz";
    int cachesPerRegion = 8;
    int gatewaysPerRegion = 4;
    int backOriginsPerRegion = 6;
    int window = 0;                     // 0: by mode (new 2, legacy 1)
    std::uint64_t sliceBytes = 256 * kKiB;  // ours: the floor's 8 000 sub-requests/s fit the modelled disks and links (nginx's example is 1 MiB)
    std::uint64_t cacheBytes = 16384ull * kMiB; // per node (ours)
    int disksPerNode = 12;               // ours: a 12-disk cache server
    std::optional<CachePolicyKind> policy; // empty: by mode (legacy LRU, new SIEVE)
    HealthCheckConfig health;
    double maxEjectShare = 0.25;        // ours (Envoy's max_ejection_percent, at least one node)
    double boundedLoadFactor = kBoundedLoadFactor;
    double slotThreshold = 4'000.0;     // real live requests/s one node takes per slot (ours)
    double diskLatencyLimitMs = 150.0;  // control: slower disk reads make a node sick (ours)
    double overloadPerSec = 150'000.0;   // control: real sub-requests/s a node takes before it is overloaded (ours)
    sim::Nanos connectTimeout = 300 * sim::kMillisecond; // ours
    int retries = 2;                    // further owners tried after a failed sub-request
    // A sub-request whose first byte has not come from its cache node after this is asked
    // of the next ring owner (counts as one of `retries`), while the gateway's retries in
    // flight stay within max(retryMinConcurrency, retryBudgetShare × its sub-requests in
    // flight) — Envoy's per-try timeout and retry budget. 0 = off.
    sim::Nanos firstByteTimeout = kFirstByteTimeout;
    double retryBudgetShare = kRetryBudgetShare;
    int retryMinConcurrency = kRetryMinConcurrency;
    // Gateways' passive outlier detection (Envoy's consecutive gateway failures): after
    // this many connection failures in a row to one cache node a gateway routes around it
    // on its own for outlierEjection (doubling on each repeat, at most 16×), within the
    // ejection cap; 0 = off (the default, so the figures measure control's path alone).
    int outlierFailures = 0;
    sim::Nanos outlierEjection = 5 * sim::kSecond;
    // Legacy scheduler (docs/CDN.md "Legacy": ours, after Apache Traffic Control)
    sim::Nanos reportInterval = 60 * sim::kSecond;
    int reportsToDown = 3;
    sim::Nanos planPeriod = 300 * sim::kSecond;
    sim::Nanos dnsTtl = 600 * sim::kSecond;
    sim::Nanos reconnectDelay = 1 * sim::kSecond;
    // Load
    int clientGroups = 96;              // per region: resolver populations (DNS) / client networks
    double discretePerSec = 2'000.0;    // the fidelity floor: discrete client requests per simulated second
    int vodObjects = 20'000;
    double zipf = 0.9;
    int liveStreams = 200;
    sim::Nanos segmentDuration = 2 * sim::kSecond;
    std::uint64_t segmentBytes = 2 * kMiB;
    std::uint64_t warmRequests = 400'000; // replayed into the caches before the start (0: cold)
    sim::Nanos loadStart = 1 * sim::kSecond;
    sim::Nanos stopLoadAt = sim::kNever;
    CdnLoad load;
    CdnSabotage sabotage;

    int effectiveWindow() const { return window > 0 ? window : (mode == CdnMode::New ? kPrefetchWindow : kLegacyWindow); }
};
absl::Status validate(const CdnConfig& config);

struct CdnInvariant {
    std::string name;
    bool safety = true; // false: liveness
    bool passed = true;
    std::string detail;
};

struct CdnTotals {
    double requests = 0.0;          // weighted
    double failed = 0.0;
    std::uint64_t discreteRequests = 0;
    std::uint64_t discreteSubrequests = 0;
    std::uint64_t completed = 0;
    std::uint64_t etagAborts = 0;
    std::uint64_t rangeNotSatisfiable = 0;
    std::uint64_t spliced = 0;
    std::uint64_t misordered = 0;
    std::uint64_t badBodies = 0;
    std::uint64_t digestChecks = 0;
    std::uint64_t ejections = 0;
    std::uint64_t ejectionsRefused = 0;
    std::uint64_t restores = 0;
    std::uint64_t preheats = 0;
    std::uint64_t retries = 0;
    std::uint64_t firstByteRetries = 0;  // sub-requests asked of the next owner after the first-byte timeout
    std::uint64_t retryBudgetRefused = 0; // first-byte timeouts not retried: the retry budget was spent
    std::uint64_t lostToNodeFailure = 0; // new mode: failed although another owner could serve
    std::uint64_t ringViolations = 0;
    std::uint64_t boundedViolations = 0;
    std::uint64_t affinityViolations = 0;
    std::uint64_t flowsMovedAfterLeave = 0; // flows re-routed after their gateway left the L4's service
    std::uint64_t tablesDropped = 0;
    std::uint64_t gatewayOutliers = 0;   // a gateway routed around a cache node on its own
    int maxInFlight = 0;
    std::uint64_t maxHeldBytes = 0;
};

class CdnEngine {
public:
    static absl::StatusOr<std::unique_ptr<CdnEngine>> create(sim::World& world, telemetry::Telemetry& telemetry,
                                                            engine::SharedResources* shared, CdnConfig config);
    ~CdnEngine();
    CdnEngine(const CdnEngine&) = delete;
    CdnEngine& operator=(const CdnEngine&) = delete;

    void start();
    void setLoad(const CdnLoad& load);
    void setMultiplier(double multiplier);
    void stopLoad();

    // Operator actions (docs/CDN.md "Operator actions").
    absl::Status eject(std::string_view cacheNodePath);
    absl::Status restore(std::string_view cacheNodePath);
    // "vod:<object>" (its first slices to their owners) or "live:<stream>" (its slot widened).
    absl::Status preheat(std::string_view target, double value);
    absl::Status drainRegion(std::string_view region, bool drain = true);
    // A new version of a VOD object at the origin (the object changes mid-download).
    absl::Status updateObject(std::uint64_t object);

    std::vector<CdnInvariant> invariants() const;
    std::vector<CdnInvariant> finalInvariants() const;
    const CdnTotals& totals() const { return m_totals; }
    const CdnConfig& config() const { return m_config; }
    sim::ComponentId component() const;
    double recoveryP99Seconds() const;
    // Cache nodes: "<region>/cdn/cache-<i>" (new) or "<region>/cdn/edge-<i>" (legacy).
    std::vector<const CacheNode*> cacheNodes() const;
    std::uint64_t originFetches() const;
    int regionCount() const;
    bool inService(int region, int node) const;

    struct Impl;

private:
    explicit CdnEngine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
    const CdnConfig& m_config;
    const CdnTotals& m_totals;
};

} // namespace livedeck::cdn

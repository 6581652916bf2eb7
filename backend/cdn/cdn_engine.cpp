#include "backend/cdn/cdn_engine.h"

#include "backend/cdn/back_origin.h"
#include "backend/cdn/hash_ring.h"
#include "backend/cdn/l4_balancer.h"
#include "backend/cdn/origin.h"
#include "backend/cdn/slice_module.h"
#include "backend/cdn/slot_table.h"
#include "backend/engine/shared.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/sim/random.h"
#include "backend/sim/strings.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <functional>
#include <cmath>
#include <limits>

namespace livedeck::cdn {

const char* toString(CdnMode mode)
{
    return mode == CdnMode::New ? "new" : "legacy";
}

const char* toString(CdnProfile profile)
{
    switch (profile) {
    case CdnProfile::VodEvening:
        return "vod-evening";
    case CdnProfile::Gala:
        return "gala";
    case CdnProfile::HotRelease:
        return "hot-release";
    }
    return "?";
}

bool parseCdnProfile(std::string_view name, CdnProfile& out)
{
    for (CdnProfile p : {CdnProfile::VodEvening, CdnProfile::Gala, CdnProfile::HotRelease}) {
        if (name == toString(p)) {
            out = p;
            return true;
        }
    }
    return false;
}

CdnLoad CdnLoad::forProfile(CdnProfile profile)
{
    CdnLoad l;
    l.profile = profile;
    switch (profile) {
    case CdnProfile::VodEvening:
        l.liveShare = 0.2;
        break;
    case CdnProfile::Gala:
        l.liveShare = 0.6;
        l.hotShare = 0.6;
        break;
    case CdnProfile::HotRelease:
        l.liveShare = 0.1;
        l.hotShare = 0.5;
        break;
    }
    return l;
}

absl::Status validate(const CdnConfig& c)
{
    if (c.window < 0)
        return absl::InvalidArgumentError("cdn: window must be at least 1");
    if (c.cachesPerRegion < 2 || c.gatewaysPerRegion < 1 || c.backOriginsPerRegion < 1)
        return absl::InvalidArgumentError("cdn: a region needs at least 2 cache nodes, 1 gateway and 1 back-origin node");
    if (c.discretePerSec <= 0.0 || c.clientGroups < 1)
        return absl::InvalidArgumentError("cdn: discrete request rate and client groups must be positive");
    if (c.load.rangeMinMiB <= 0.0 || c.load.rangeMaxMiB < c.load.rangeMinMiB)
        return absl::InvalidArgumentError("cdn: range_min_mib must be positive and at most range_max_mib");
    return absl::OkStatus();
}

namespace {

constexpr ObjectId kLiveBase = 1ull << 36;  // live segment ids: kLiveBase + stream << 20 + segment
constexpr ObjectId kColdBase = 1ull << 34;  // objects nobody asked for before
constexpr int kRingSampleKeys = 512;        // keys checked on every ring change
constexpr sim::Nanos kStuckAfter = 60 * sim::kSecond;

bool isLive(ObjectId o)
{
    return o >= kLiveBase;
}

std::uint64_t vodSize(ObjectId o)
{
    // 8–32 MiB, a pure function of the id.
    return 8 * kMiB + hashU64(o, 0x73697a65ull) % (24 * kMiB);
}

struct ClientRequest {
    int region = 0;        // the client's region
    int group = 0;         // index into the region's client groups
    double weight = 1.0;
    std::uint64_t viewer = 0;
    sim::Nanos started = 0;
    bool affected = false; // touched a failed node or failed
    bool live = false;
    bool gatewayLost = false; // its gateway (L7) could not be reached: not a cache node's loss
    int servingRegion = -1;    // new mode: the region and gateway that took it
    int gateway = -1;
};

struct ClientGroup {
    double demand = 1.0;
    // Legacy: the DNS answer the group's resolver holds, until dnsExpiry; the node its
    // clients are connected to; when they reconnect after a failure.
    int dnsAnswer = -1;
    sim::Nanos dnsExpiry = 0;
    int node = -1;
    bool broken = false;
    sim::Nanos reconnectAt = 0;
    // Recovery: the last affected request's completion.
    sim::Nanos affectedUntil = -1;
};

} // namespace

// ------------------------------------------------------------------ the implementation

struct CdnEngine::Impl {
    struct Region;

    // A cache node's upstream: one of the region's back-origin nodes (new: by key over
    // the healthy ones; legacy: fixed).
    class Upstream final : public SliceSource {
    public:
        Upstream(Impl& impl, int region, int node) : m_impl(impl), m_region(region), m_node(node) {}
        void fetch(const SliceFetch& request, OnHeader onHeader, OnDone onDone) override;

    private:
        Impl& m_impl;
        int m_region;
        int m_node;
    };

    // A gateway's L7 routing of slice sub-requests onto cache nodes.
    class GatewaySource final : public SliceSource {
    public:
        GatewaySource(Impl& impl, int region, int gateway) : m_impl(impl), m_region(region), m_gateway(gateway) {}
        void fetch(const SliceFetch& request, OnHeader onHeader, OnDone onDone) override;

    private:
        struct Attempt {
            SliceFetch request;
            OnHeader onHeader;
            OnDone onDone;
            std::uint64_t keyHash = 0;
            std::vector<int> tried;
            int attempt = 0;
            int boundedNode = -1;
            double weight = 1.0;
            bool headerSeen = false;  // the current attempt's header came
            int timeoutRetries = 0;   // attempts started by the first-byte timeout (in the gateway's budget)
            int boundedHeldBy = 0;    // the attempt whose end releases the bounded-load weight (0: any)
        };
        void tryNext(const std::shared_ptr<Attempt>& a);
        void failAll(const std::shared_ptr<Attempt>& a, int status, std::string reason);
        Impl& m_impl;
        int m_region;
        int m_gateway;
    };

    // The console's view of a part: its inspect() writes what the mechanisms hold.
    class Inspector final : public sim::Inspectable {
    public:
        explicit Inspector(std::function<void(sim::StateWriter&)> fn) : m_fn(std::move(fn)) {}
        void inspect(sim::StateWriter& out) const override { m_fn(out); }

    private:
        std::function<void(sim::StateWriter&)> m_fn;
    };

    struct Cache {
        std::string path;
        std::unique_ptr<Upstream> upstream;
        std::unique_ptr<CacheNode> node;
        bool ejected = false;        // control's table (new) / operator (legacy)
        double secondWeight = 0.0;   // weighted sub-requests this second
        double lastSecondWeight = 0.0;
        sim::Nanos failedAt = -1;    // a down fault on it started
        std::uint64_t ejections = 0;
        std::string ejectReason;
        // Its last recovery (the console's timeline): a fault on it, control's (or the
        // scheduler's) verdict, its removal from the table (the plan), every gateway
        // routing around it (legacy: no client group left on it), back in service.
        sim::Nanos faultAt = -1, detectedAt = -1, ejectedAt = -1, routedAt = -1, restoredAt = -1;
        // Hits and bytes at the last second (for the ratios over the last second).
        std::uint64_t lastHits = 0, lastLookups = 0, lastBytesHit = 0, lastBytesServed = 0;
        double hit1s = 0.0, byteHit1s = 0.0;
        int groupsOn = 0;            // legacy: client groups connected to it at the last second
        // Legacy scheduler
        int missed = 0;
        bool schedulerDown = false;
    };

    struct Gateway {
        std::string path;
        sim::ComponentId component = sim::kNoComponent;
        std::unique_ptr<GatewaySource> source;
        std::unique_ptr<SliceModule> slice;
        std::unique_ptr<HashRing> ring;
        std::unique_ptr<BoundedLoad> bounded;
        std::unique_ptr<LiveSlotTable> slots;
        std::vector<bool> members;
        std::uint64_t tableVersion = 0;
        bool hasTable = true;
        std::unique_ptr<infra::RaftClient> kv;
        // The slice module's integrals and sub-requests at the last second.
        double lastActiveNs = 0.0, lastInFlightNs = 0.0;
        std::uint64_t lastSub = 0;
        double occupancy1s = 0.0;
        double sub1s = 0.0;
        // Passive outlier detection per cache node: connection failures in a row, the
        // moment it may be tried again, how often it was set aside.
        std::vector<int> connectFails;
        std::vector<sim::Nanos> outUntil;
        std::vector<int> outCount;
        // When it was down (from, until; until -1 while down), in time order: a request it
        // held then was lost with it.
        std::vector<std::pair<sim::Nanos, sim::Nanos>> downs;
        bool downDuring(sim::Nanos from, sim::Nanos to) const
        {
            for (const auto& [a, b] : downs)
                if (a <= to && (b < 0 || b >= from))
                    return true;
            return false;
        }
        // Sub-requests in flight and first-byte retries among them (the retry budget).
        int activeFetches = 0;
        int activeRetries = 0;
        bool usable(int node, sim::Nanos now) const
        {
            return outUntil.empty() || outUntil[static_cast<std::size_t>(node)] <= now;
        }
    };

    struct Region {
        int topo = 0;
        std::string name;
        sim::ComponentId clients = sim::kNoComponent;
        sim::ComponentId control = sim::kNoComponent;
        sim::ComponentId l4Component = sim::kNoComponent;
        std::vector<Cache> caches;
        std::vector<std::unique_ptr<BackOrigin>> backOrigins;
        std::vector<bool> backOriginHealthy;
        std::vector<Gateway> gateways;
        std::unique_ptr<L4Balancer> l4;
        std::unique_ptr<HealthChecker> gatewayChecks;
        std::unique_ptr<HealthChecker> cacheChecks;
        std::unique_ptr<HealthChecker> backOriginChecks;
        std::unique_ptr<infra::RaftClient> controlKv;
        std::uint64_t version = 0;
        bool writing = false;
        bool dirty = false;
        std::vector<ClientGroup> groups;
        std::vector<double> groupCdf;
        std::vector<int> plan;       // legacy: the scheduler's answer per group
        std::vector<double> slotLoad;     // weighted live requests this second per slot
        std::vector<double> lastSlotLoad;
        bool drained = false;
        // Legacy edge nodes: their own slice modules over their own caches.
        std::vector<std::unique_ptr<SliceModule>> edgeSlices;
        // Its clients' request time this second (by client region) and its gauge.
        telemetry::Histogram secondLatency;
        telemetry::Gauge* p99 = nullptr;
        // Its clients' requests this second and in the last whole second (real-equivalent
        // weight): the region's row on the console's region map.
        double secondRequests = 0.0, secondFailures = 0.0;
        double lastRequests = 0.0, lastFailures = 0.0, lastP99Ms = 0.0;
        // The L4 affinity check: each flow's gateway and how often that gateway had left
        // the L4's service (its health checks failed) when the flow was pinned to it; a
        // flow may move only once its gateway left since (looked up only).
        struct Pin {
            int gateway = -1;
            std::uint64_t leaves = 0;
        };
        absl::flat_hash_map<std::uint64_t, Pin> flowBackend;
        std::vector<std::uint64_t> gatewayLeaves; // per gateway: times it left the L4's service
        // Outages beyond cdn.single-failure-no-loss's claim on the path of the requests this
        // region serves (docs/CDN.md, "Invariants"): more than one of its cache nodes out,
        // no gateway in service, the origin unreachable from its back-origin nodes. Each
        // from its start to its end (-1: in force), in time order.
        struct Outage {
            sim::Nanos from = 0;
            sim::Nanos until = -1;
            std::string what;
        };
        std::vector<Outage> outages;
    };

    Impl(sim::World& w, telemetry::Telemetry& t, engine::SharedResources* s, CdnConfig c)
        : world(w), telemetry(t), shared(s), config(std::move(c)), rng(w.stream("cdn/load")),
          zipf(static_cast<std::uint64_t>(config.vodObjects), config.zipf),
          liveZipf(static_cast<std::uint64_t>(config.liveStreams), 1.0), load(config.load)
    {
    }

    absl::Status build();
    void buildRegion(int r);
    void warm();
    void start();
    void tick();
    void second();
    void issue();
    void dispatch(std::uint64_t id, ClientRange range);
    void finish(std::uint64_t id, const SliceResult& result, sim::Nanos backTrip);
    void failRequest(std::uint64_t id, std::string reason, sim::Nanos after);
    void checkBody(const ClientRange& range, const SliceResult& result);
    // New mode control
    void onCacheHealth(int r, int node, bool healthy, const std::string& reason);
    bool ejectNode(int r, int node, const std::string& reason, bool operatorAction);
    void restoreNode(int r, int node, const std::string& reason);
    void commit(int r);
    void pushTable(int r, std::uint64_t version, const std::vector<bool>& members);
    void applyTable(int r, int g, std::uint64_t version, const std::vector<bool>& members);
    void poll(int r, int g);
    int ownerOf(const Gateway& gw, std::uint64_t keyHash) const;
    std::string tableText(int r) const;
    // Legacy control
    void report(int r, int node);
    void replan();
    // Console state (docs/CDN.md "Console")
    void installInspectors();
    void inspectEngine(sim::StateWriter& out) const;
    void inspectCache(int r, int n, sim::StateWriter& out) const;
    void inspectGateway(int r, int g, sim::StateWriter& out) const;
    void inspectControl(int r, sim::StateWriter& out) const;
    void inspectScheduler(sim::StateWriter& out) const;
    void routedCheck(int r);
    // Opens or closes the region's outage beyond the single-failure claim (see Region::outages).
    void noteOutages(int r);
    std::string beyondClaim(int r) const;
    const Region::Outage* outageDuring(int r, sim::Nanos from, sim::Nanos to) const;
    void connectFailed(int r, int g, int node);
    void writeSlice(const SliceModule& m, sim::StateWriter& out) const;
    void hotSecond();
    std::vector<std::unique_ptr<Inspector>> inspectors;
    // Hot objects and streams: weighted requests per VOD object / live stream this
    // second, and the top ones of the last second.
    absl::flat_hash_map<std::uint64_t, double> objectWeight, streamWeight;
    std::vector<std::pair<std::uint64_t, double>> hotObjects, hotStreams;
    sim::Nanos lastPlanAt = -1, nextPlanAt = -1;
    int planFor(int r, int group) const;
    int servingRegion(int r) const;

    ~Impl()
    {
        *alive = false;
        if (regionRows.impl)
            telemetry.removeContributor(&regionRows);
    }

    // The regions' rows on the console's region map (v1::RegionHealth) from what the
    // CDN's clients in each region got in the last whole second — passive health, no
    // probes: a region whose entry is down, or whose clients asked and got nothing, is
    // down.
    struct RegionRows final : telemetry::SnapshotContributor {
        const Impl* impl = nullptr;
        void contribute(v1::Snapshot& snapshot) const override { impl->contributeRegions(snapshot); }
    } regionRows;
    void contributeRegions(v1::Snapshot& snapshot) const;

    sim::World& world;
    telemetry::Telemetry& telemetry;
    engine::SharedResources* shared;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true); // the fault listener outlives us
    CdnConfig config;
    sim::RandomStream rng;
    sim::ZipfDistribution zipf;
    sim::ZipfDistribution liveZipf;
    CdnLoad load;
    double multiplier = 1.0;
    bool loadOn = false;
    sim::Nanos galaStart = 0;
    double discreteCarry = 0.0;

    std::unique_ptr<Origin> origin;
    infra::RaftCluster* raft = nullptr;
    std::vector<Region> regions;
    sim::ComponentId engineComponent = sim::kNoComponent;
    sim::ComponentId scheduler = sim::kNoComponent;
    sim::EventKindId tickKind{}, secondKind{}, requestKind{}, controlKind{}, reportKind{}, planKind{};
    std::uint64_t nextId = 1;
    absl::flat_hash_map<std::uint64_t, ClientRequest> inflight;
    CdnTotals totals;
    ObjectId releaseObject = 0;
    std::uint64_t coldNext = 0;
    std::vector<std::uint64_t> sampleKeys;
    sim::Nanos failureAt = -1;     // first down fault on a cache node
    std::string firstRingViolation, firstBoundedViolation, firstAffinityViolation, firstBadBody, firstEjectViolation;
    int maxEjectedSeen = 0;
    std::uint64_t lostBeyondClaim = 0;    // new mode: failed upstream while an outage beyond a single failure was in force
    std::string firstLoss;                // the first loss counted against cdn.single-failure-no-loss
    std::string firstBeyondClaim;         // the first loss beyond the claim, with its outage
    int ejectCapSeen = 0;

    // Per-second accounting
    telemetry::Histogram secondLatency;
    double secondWeight = 0.0, secondFailed = 0.0, secondDelivered = 0.0;
    std::uint64_t secondDiscrete = 0, secondSub = 0;
    std::uint64_t lastHits = 0, lastLookups = 0, lastBytesHit = 0, lastBytesServed = 0, lastOriginBytes = 0,
                  lastOriginFetches = 0;
    double lastClientBytes = 0.0;
    double clientBytes = 0.0;

    // Metrics
    telemetry::Histogram* latency = nullptr;
    telemetry::Counter* requestsCounter = nullptr;
    telemetry::Counter* failedCounter = nullptr;
    telemetry::Counter* bytesCounter = nullptr;
    struct Gauges {
        telemetry::Gauge *p99, *mean, *hit, *byteHit, *offload, *errors, *peakMean, *recovering, *recovery, *spliced,
            *misordered, *etagAborts, *originFetches, *maxFetches, *widenings, *ejections, *clientRps, *subRps,
            *preheats, *gatewayOutliers;
    } g{};
};

// ------------------------------------------------------------------ build

absl::StatusOr<std::unique_ptr<CdnEngine>> CdnEngine::create(sim::World& world, telemetry::Telemetry& telemetry,
                                                             engine::SharedResources* shared, CdnConfig config)
{
    if (absl::Status st = validate(config); !st.ok())
        return st;
    auto impl = std::make_unique<Impl>(world, telemetry, shared, std::move(config));
    if (absl::Status st = impl->build(); !st.ok())
        return st;
    return std::unique_ptr<CdnEngine>(new CdnEngine(std::move(impl)));
}

CdnEngine::CdnEngine(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)), m_config(m_impl->config), m_totals(m_impl->totals)
{
}

CdnEngine::~CdnEngine() = default;

absl::Status CdnEngine::Impl::build()
{
    const sim::Topology& topo = world.topology();
    if (topo.regionIndex(config.originRegion) < 0)
        return absl::InvalidArgumentError(sim::strCat("cdn: origin_region '", config.originRegion, "' is not a region of the world"));
    if (config.regions.empty()) {
        for (const auto& r : topo.regions())
            config.regions.push_back(r.name);
    }
    for (const std::string& name : config.regions) {
        if (topo.regionIndex(name) < 0)
            return absl::InvalidArgumentError(sim::strCat("cdn: region '", name, "' is not a region of the world"));
    }
    engineComponent = world.components().mustAdd(sim::strCat(config.regions.front(), "/cdn"), "cdn-engine");
    tickKind = world.kind("cdn.load");
    secondKind = world.kind("cdn.second");
    requestKind = world.kind("cdn.request");
    controlKind = world.kind("cdn.control");
    reportKind = world.kind("cdn.report");
    planKind = world.kind("cdn.plan");

    OriginConfig oc;
    origin = std::make_unique<Origin>(world, sim::strCat(config.originRegion, "/cdn/origin"), oc);
    for (int o = 1; o <= config.vodObjects; ++o)
        origin->put(static_cast<ObjectId>(o), vodSize(static_cast<ObjectId>(o)));
    releaseObject = static_cast<ObjectId>(config.vodObjects + 1);
    origin->put(releaseObject, 32 * kMiB);

    if (config.mode == CdnMode::New) {
        auto make = [&]() {
            infra::RaftClusterConfig rc;
            rc.name = "cdn-control";
            rc.regions.clear();
            for (const auto& r : topo.regions())
                rc.regions.push_back(r.name);
            while (rc.regions.size() < 3)
                rc.regions.push_back(rc.regions.front());
            if (rc.regions.size() > 5)
                rc.regions.resize(5);
            return std::make_unique<infra::RaftCluster>(world, rc, &telemetry.metrics());
        };
        if (shared) {
            auto got = shared->obtain<infra::RaftCluster>("cdn-control", "cdn", make);
            if (!got.ok())
                return got.status();
            raft = *got;
        } else {
            return absl::InvalidArgumentError("cdn: the new mode needs the run's shared resources (its control's Raft KV)");
        }
    } else {
        scheduler = world.components().mustAdd(sim::strCat(config.regions.front(), "/cdn/scheduler"), "cdn-scheduler");
    }

    auto& m = telemetry.metrics();
    latency = &m.histogram("cdn.request.latency", "", "", "ms");
    requestsCounter = &m.counter("cdn.requests");
    failedCounter = &m.counter("cdn.requests.failed");
    bytesCounter = &m.counter("cdn.bytes.delivered");
    g.p99 = &m.gauge("cdn.request_p99_ms");
    g.mean = &m.gauge("cdn.request_mean_ms");
    g.hit = &m.gauge("cdn.hit_ratio");
    g.byteHit = &m.gauge("cdn.byte_hit_ratio");
    g.offload = &m.gauge("cdn.origin_offload");
    g.errors = &m.gauge("cdn.error_share");
    g.peakMean = &m.gauge("cdn.peak_mean_load");
    g.recovering = &m.gauge("cdn.recovering_nodes");
    g.recovery = &m.gauge("cdn.recovery_p99_s");
    g.spliced = &m.gauge("cdn.spliced_bodies");
    g.misordered = &m.gauge("cdn.misordered_bodies");
    g.etagAborts = &m.gauge("cdn.etag_aborts");
    g.originFetches = &m.gauge("cdn.origin_fetches");
    g.maxFetches = &m.gauge("cdn.max_fetches_per_slice");
    g.widenings = &m.gauge("cdn.slot_widenings");
    g.ejections = &m.gauge("cdn.ejections");
    g.clientRps = &m.gauge("cdn.client_rps");
    g.subRps = &m.gauge("cdn.subrequest_rps");
    g.preheats = &m.gauge("cdn.preheats");
    g.gatewayOutliers = &m.gauge("cdn.gateway_outliers");

    sim::RandomStream keys = world.stream("cdn/ring-sample");
    for (int i = 0; i < kRingSampleKeys; ++i)
        sampleKeys.push_back(keys.next());

    regions.resize(config.regions.size());
    for (std::size_t r = 0; r < regions.size(); ++r)
        buildRegion(static_cast<int>(r));

    world.faults().addListener([this, alive = alive](const sim::Fault& f, bool active) {
        if (!*alive)
            return;
        if (active) {
            for (Region& reg : regions)
                for (Cache& c : reg.caches)
                    if (sim::pathMatches(f.target, c.path) || sim::pathMatches(c.path, f.target)) {
                        c.faultAt = world.now();
                        c.detectedAt = c.ejectedAt = c.routedAt = c.restoredAt = -1;
                    }
        }
        if (f.kind != v1::FAULT_DOWN && f.kind != v1::FAULT_PARTITION)
            return;
        if (f.kind == v1::FAULT_DOWN) {
            for (Region& reg : regions) {
                for (Gateway& gw : reg.gateways) {
                    const bool down = world.faults().isDown(gw.path);
                    const bool open = !gw.downs.empty() && gw.downs.back().second < 0;
                    if (down && !open)
                        gw.downs.emplace_back(world.now(), -1);
                    else if (!down && open)
                        gw.downs.back().second = world.now();
                }
                for (Cache& c : reg.caches) {
                    const bool down = world.faults().isDown(c.path);
                    if (active && down && c.failedAt < 0) {
                        c.failedAt = world.now();
                        if (failureAt < 0)
                            failureAt = world.now();
                    }
                    if (!down)
                        c.failedAt = -1;
                }
            }
        }
        if (config.mode == CdnMode::New)
            for (std::size_t r = 0; r < regions.size(); ++r)
                noteOutages(static_cast<int>(r));
    });
    warm();
    installInspectors();
    regionRows.impl = this;
    telemetry.addContributor(&regionRows);
    return absl::OkStatus();
}

void CdnEngine::Impl::buildRegion(int r)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    reg.name = config.regions[static_cast<std::size_t>(r)];
    reg.topo = world.topology().regionIndex(reg.name);
    const std::string base = sim::strCat(reg.name, "/cdn");
    reg.clients = world.components().mustAdd(sim::strCat(base, "/clients"), "cdn-clients");
    reg.p99 = &telemetry.metrics().gauge("cdn.region.request_p99_ms", sim::strCat(base, "/clients"));
    const bool isNew = config.mode == CdnMode::New;

    // Back-origin nodes
    for (int b = 0; b < config.backOriginsPerRegion; ++b)
        reg.backOrigins.push_back(std::make_unique<BackOrigin>(world, sim::strCat(base, "/back-origin-", b), *origin));
    reg.backOriginHealthy.assign(reg.backOrigins.size(), true);

    // Cache nodes
    CacheNodeConfig cc;
    cc.capacityBytes = config.cacheBytes;
    cc.policy = config.policy.value_or(isNew ? CachePolicyKind::Sieve : CachePolicyKind::Lru);
    cc.sliceBytes = config.sliceBytes;
    cc.disks = config.disksPerNode;
    cc.collapsedForwarding = !config.sabotage.noCollapsedForwarding;
    reg.caches.resize(static_cast<std::size_t>(config.cachesPerRegion));
    for (int i = 0; i < config.cachesPerRegion; ++i) {
        Cache& c = reg.caches[static_cast<std::size_t>(i)];
        c.path = sim::strCat(base, isNew ? "/cache-" : "/edge-", i);
        c.upstream = std::make_unique<Upstream>(*this, r, i);
        c.node = std::make_unique<CacheNode>(world, c.path, cc, *c.upstream, nullptr);
    }

    // Client groups: heavy-tailed demand (resolver populations).
    sim::RandomStream grng = world.stream(sim::strCat(base, "/groups"));
    reg.groups.resize(static_cast<std::size_t>(config.clientGroups));
    double sum = 0.0;
    for (ClientGroup& cg : reg.groups) {
        cg.demand = grng.lognormal(0.0, 1.0);
        sum += cg.demand;
        reg.groupCdf.push_back(sum);
    }
    for (double& v : reg.groupCdf)
        v /= sum;
    reg.slotLoad.assign(kLiveSlots, 0.0);
    reg.lastSlotLoad.assign(kLiveSlots, 0.0);

    SliceConfig sc;
    sc.sliceBytes = config.sliceBytes;
    sc.window = config.effectiveWindow();
    sc.orderedDelivery = !config.sabotage.unorderedDelivery;
    sc.checkEtag = !config.sabotage.noEtagCheck;

    if (!isNew) {
        for (int i = 0; i < config.cachesPerRegion; ++i)
            reg.edgeSlices.push_back(std::make_unique<SliceModule>(world, *reg.caches[static_cast<std::size_t>(i)].node, sc,
                                                                   sim::kNoComponent));
        reg.plan.assign(reg.groups.size(), -1);
        for (std::size_t gi = 0; gi < reg.groups.size(); ++gi) {
            ClientGroup& cg = reg.groups[gi];
            reg.plan[gi] = planFor(r, static_cast<int>(gi));
            cg.dnsAnswer = reg.plan[gi];
            cg.node = cg.dnsAnswer;
            // The resolver fetched its answer at a uniformly random moment of the last TTL.
            cg.dnsExpiry = static_cast<sim::Nanos>(grng.uniform(0.0, static_cast<double>(config.dnsTtl)));
        }
        return;
    }

    // New mode: control, gateways, L4.
    reg.control = world.components().mustAdd(sim::strCat(base, "/control"), "cdn-control");
    reg.l4Component = world.components().mustAdd(sim::strCat(base, "/l4"), "cdn-l4");
    reg.controlKv = std::make_unique<infra::RaftClient>(*raft, sim::strCat(base, "/control/kv"));
    std::vector<std::string> gwNames;
    SlotConfig slotConfig;
    slotConfig.threshold = config.sabotage.infiniteSlotThreshold ? std::numeric_limits<double>::infinity() : config.slotThreshold;
    reg.gateways.resize(static_cast<std::size_t>(config.gatewaysPerRegion));
    for (int gi = 0; gi < config.gatewaysPerRegion; ++gi) {
        Gateway& gw = reg.gateways[static_cast<std::size_t>(gi)];
        gw.path = sim::strCat(base, "/gateway-", gi);
        gw.component = world.components().mustAdd(gw.path, "cdn-gateway");
        gwNames.push_back(gw.path);
        gw.source = std::make_unique<GatewaySource>(*this, r, gi);
        gw.slice = std::make_unique<SliceModule>(world, *gw.source, sc, gw.component);
        gw.ring = std::make_unique<HashRing>(kRingVnodes);
        for (const Cache& c : reg.caches)
            gw.ring->addNode(c.path);
        gw.bounded = std::make_unique<BoundedLoad>(*gw.ring, config.boundedLoadFactor);
        gw.slots = std::make_unique<LiveSlotTable>(*gw.ring, slotConfig);
        gw.members.assign(reg.caches.size(), true);
        gw.connectFails.assign(reg.caches.size(), 0);
        gw.outUntil.assign(reg.caches.size(), 0);
        gw.outCount.assign(reg.caches.size(), 0);
        gw.kv = std::make_unique<infra::RaftClient>(*raft, sim::strCat(gw.path, "/kv"));
    }
    L4Config lc;
    lc.connectionTable = !config.sabotage.noConnectionTable;
    reg.l4 = std::make_unique<L4Balancer>(gwNames, lc);

    reg.gatewayChecks = std::make_unique<HealthChecker>(world, reg.l4Component, config.health);
    for (const Gateway& gw : reg.gateways)
        reg.gatewayChecks->addTarget(gw.component);
    reg.gatewayLeaves.assign(reg.gateways.size(), 0);
    reg.gatewayChecks->setListener([this, r](int target, bool healthy, const std::string&) {
        Region& rg = regions[static_cast<std::size_t>(r)];
        if (!healthy)
            ++rg.gatewayLeaves[static_cast<std::size_t>(target)];
        rg.l4->setInService(target, healthy);
        noteOutages(r);
    });

    reg.cacheChecks = std::make_unique<HealthChecker>(world, reg.control, config.health);
    for (const Cache& c : reg.caches)
        reg.cacheChecks->addTarget(c.node->component());
    reg.cacheChecks->setAppCheck([this, r](int target) {
        const Cache& c = regions[static_cast<std::size_t>(r)].caches[static_cast<std::size_t>(target)];
        if (!config.sabotage.ignoreLatency && c.node->stats().readLatencyMs > config.diskLatencyLimitMs)
            return ProbeVerdict{false, sim::strCat("disk reads ", static_cast<int>(c.node->stats().readLatencyMs),
                                                   " ms > ", config.diskLatencyLimitMs, " ms")};
        if (c.lastSecondWeight > config.overloadPerSec)
            return ProbeVerdict{false, sim::strCat("overloaded: ", static_cast<std::int64_t>(c.lastSecondWeight),
                                                   " sub-requests/s > ", config.overloadPerSec)};
        return ProbeVerdict{true, {}};
    });
    reg.cacheChecks->setListener([this, r](int target, bool healthy, const std::string& reason) {
        onCacheHealth(r, target, healthy, reason);
    });

    reg.backOriginChecks = std::make_unique<HealthChecker>(world, reg.control, config.health);
    for (const auto& b : reg.backOrigins)
        reg.backOriginChecks->addTarget(b->component());
    reg.backOriginChecks->setListener([this, r](int target, bool healthy, const std::string&) {
        regions[static_cast<std::size_t>(r)].backOriginHealthy[static_cast<std::size_t>(target)] = healthy;
    });
}

// Replays a trace of the load into the caches (no events): new mode places each slice
// on its ring owner, legacy on the edge node of the requesting group.
void CdnEngine::Impl::warm()
{
    if (config.warmRequests == 0)
        return;
    sim::RandomStream w = world.stream("cdn/warm");
    const std::uint64_t perRegion = config.warmRequests / regions.size();
    for (std::size_t r = 0; r < regions.size(); ++r) {
        Region& reg = regions[r];
        for (std::uint64_t i = 0; i < perRegion; ++i) {
            const ObjectId o = zipf(w);
            const std::uint64_t size = vodSize(o);
            const std::uint64_t len = static_cast<std::uint64_t>(w.uniform(load.rangeMinMiB, load.rangeMaxMiB) * kMiB);
            const std::uint64_t first = size > len ? w.uniformInt(size - len) : 0;
            const std::uint64_t last = std::min(size, first + len) - 1;
            const double u = w.uniform01();
            const int group = static_cast<int>(std::lower_bound(reg.groupCdf.begin(), reg.groupCdf.end(), u) - reg.groupCdf.begin());
            for (std::uint64_t s = first / config.sliceBytes * config.sliceBytes; s <= last; s += config.sliceBytes) {
                int node = 0;
                if (config.mode == CdnMode::New) {
                    const Gateway& gw = reg.gateways.front();
                    node = ownerOf(gw, hashU64(s / config.sliceBytes, o));
                } else {
                    node = reg.groups[static_cast<std::size_t>(std::min<int>(group, static_cast<int>(reg.groups.size()) - 1))].node;
                }
                if (node >= 0)
                    reg.caches[static_cast<std::size_t>(node)].node->preload(o, 1, s, size);
            }
        }
    }
}

// ------------------------------------------------------------------ start and load

void CdnEngine::Impl::start()
{
    for (std::size_t r = 0; r < regions.size(); ++r) {
        Region& reg = regions[r];
        if (config.mode == CdnMode::New) {
            reg.gatewayChecks->start();
            if (!config.sabotage.noHealthChecks) {
                reg.cacheChecks->start();
                reg.backOriginChecks->start();
            }
            for (std::size_t gi = 0; gi < reg.gateways.size(); ++gi) {
                const sim::Nanos phase = static_cast<sim::Nanos>(rng.uniform(0.0, static_cast<double>(sim::kSecond)));
                world.after(sim::kSecond + phase, controlKind, reg.gateways[gi].component,
                            [this, r, gi] { poll(static_cast<int>(r), static_cast<int>(gi)); });
            }
        } else {
            sim::RandomStream phase = world.stream(sim::strCat(reg.name, "/cdn/report-phase"));
            for (std::size_t n = 0; n < reg.caches.size(); ++n) {
                const auto at = static_cast<sim::Nanos>(phase.uniform(0.0, static_cast<double>(config.reportInterval)));
                world.after(at, reportKind, reg.caches[n].node->component(),
                            [this, r, n] { report(static_cast<int>(r), static_cast<int>(n)); });
            }
        }
    }
    if (config.mode == CdnMode::Legacy) {
        sim::RandomStream phase = world.stream("cdn/plan-phase");
        const auto at = static_cast<sim::Nanos>(phase.uniform(0.0, static_cast<double>(config.planPeriod)));
        nextPlanAt = world.now() + at;
        world.after(at, planKind, scheduler, [this] { replan(); });
    }
    world.at(config.loadStart, tickKind, engineComponent, [this] {
        loadOn = true;
        galaStart = world.now();
        tick();
    });
    if (config.stopLoadAt != sim::kNever)
        world.at(config.stopLoadAt, tickKind, engineComponent, [this] { loadOn = false; });
    world.after(sim::kSecond, secondKind, engineComponent, [this] { second(); });
}

void CdnEngine::Impl::tick()
{
    if (!loadOn)
        return;
    // One step of discrete requests: a millisecond, or one request's spacing when the
    // rate is below 1 000/s.
    const sim::Nanos step = config.discretePerSec >= 1000.0
                                ? sim::kMillisecond
                                : static_cast<sim::Nanos>(static_cast<double>(sim::kSecond) / config.discretePerSec);
    discreteCarry += config.discretePerSec * sim::toSeconds(step);
    while (discreteCarry >= 1.0 - 1e-9) {
        discreteCarry -= 1.0;
        issue();
    }
    world.after(step, tickKind, engineComponent, [this] { tick(); });
}

void CdnEngine::Impl::issue()
{
    const double weight = load.realRequestsPerSec * multiplier / config.discretePerSec;
    const int r = static_cast<int>(rng.uniformInt(regions.size()));
    Region& home = regions[static_cast<std::size_t>(r)];
    const double u = rng.uniform01();
    const int group = std::min<int>(static_cast<int>(std::lower_bound(home.groupCdf.begin(), home.groupCdf.end(), u) - home.groupCdf.begin()),
                                    static_cast<int>(home.groups.size()) - 1);
    ClientRequest req;
    req.region = r;
    req.group = group;
    req.weight = weight;
    req.viewer = rng.next();
    req.started = world.now();
    ClientRange range;
    if (rng.bernoulli(load.liveShare)) {
        req.live = true;
        std::uint64_t stream = liveZipf(rng);
        if (load.profile == CdnProfile::Gala) {
            const double ramp = load.ramp > 0 ? std::min(1.0, static_cast<double>(world.now() - galaStart) / static_cast<double>(load.ramp)) : 1.0;
            if (rng.bernoulli(load.hotShare * ramp))
                stream = 0; // the gala
        }
        const std::uint64_t seg = static_cast<std::uint64_t>(std::max<sim::Nanos>(0, world.now() / config.segmentDuration));
        const ObjectId o = kLiveBase + (stream << 20) + seg;
        if (!origin->has(o))
            origin->put(o, config.segmentBytes);
        range.object = o;
        range.first = 0;
        range.last = config.segmentBytes - 1;
    } else {
        ObjectId o = 0;
        if (load.profile == CdnProfile::HotRelease && rng.bernoulli(load.hotShare))
            o = releaseObject;
        else if (load.coldShare > 0.0 && rng.bernoulli(load.coldShare)) {
            o = kColdBase + coldNext++;
            origin->put(o, vodSize(o));
        } else {
            o = zipf(rng);
        }
        const std::uint64_t size = origin->size(o);
        const auto len = static_cast<std::uint64_t>(rng.uniform(load.rangeMinMiB, load.rangeMaxMiB) * kMiB);
        range.object = o;
        range.first = size > len ? rng.uniformInt(size - len) : 0;
        range.last = std::min(size, range.first + len) - 1;
    }
    const std::uint64_t id = nextId++;
    range.flow = id;
    inflight.emplace(id, req);
    totals.requests += weight;
    ++totals.discreteRequests;
    ++secondDiscrete;
    requestsCounter->add(weight);
    if (req.live)
        streamWeight[(range.object - kLiveBase) >> 20] += weight;
    else
        objectWeight[range.object] += weight;
    if (req.live) {
        Region& serving = regions[static_cast<std::size_t>(servingRegion(r))];
        serving.slotLoad[reduce(hashU64(range.object >> 20, 0x6c697665ull), kLiveSlots)] += weight;
    }
    dispatch(id, range);
}

int CdnEngine::Impl::servingRegion(int r) const
{
    if (!regions[static_cast<std::size_t>(r)].drained)
        return r;
    for (std::size_t k = 1; k < regions.size(); ++k) {
        const int c = static_cast<int>((static_cast<std::size_t>(r) + k) % regions.size());
        if (!regions[static_cast<std::size_t>(c)].drained)
            return c;
    }
    return r;
}

void CdnEngine::Impl::dispatch(std::uint64_t id, ClientRange range)
{
    ClientRequest& req = inflight.find(id)->second;
    const int sr = servingRegion(req.region);
    Region& home = regions[static_cast<std::size_t>(req.region)];
    Region& reg = regions[static_cast<std::size_t>(sr)];
    if (config.mode == CdnMode::Legacy) {
        ClientGroup& cg = home.groups[static_cast<std::size_t>(req.group)];
        if (cg.broken && world.now() >= cg.reconnectAt) {
            // Reconnect: re-resolve through the group's resolver (its cached answer
            // until the TTL runs out).
            if (world.now() >= cg.dnsExpiry) {
                cg.dnsAnswer = home.plan[static_cast<std::size_t>(req.group)];
                cg.dnsExpiry = world.now() + config.dnsTtl;
            }
            cg.node = cg.dnsAnswer;
            cg.broken = false;
        }
        const int node = cg.node;
        Region& target = regions[static_cast<std::size_t>(sr)];
        const sim::ComponentId nodeComp = target.caches[static_cast<std::size_t>(node)].node->component();
        const sim::Delivery d = world.network().send(home.clients, nodeComp);
        if (!d.delivered()) {
            req.affected = true;
            cg.broken = true;
            cg.reconnectAt = world.now() + config.reconnectDelay;
            failRequest(id, sim::strCat("connect to ", target.caches[static_cast<std::size_t>(node)].path, ": ", d.reason()),
                        config.connectTimeout);
            return;
        }
        target.caches[static_cast<std::size_t>(node)].secondWeight += req.weight * std::max<std::uint64_t>(1, (*range.last - range.first) / config.sliceBytes + 1);
        const sim::Nanos back = world.network().baseLatency(nodeComp, home.clients);
        SliceModule* slice = target.edgeSlices[static_cast<std::size_t>(node)].get();
        auto shared = std::make_shared<ClientRange>(range);
        world.after(d.latency, requestKind, nodeComp, [this, id, shared, slice, back] {
            slice->request(*shared, [this, id, back](const SliceResult& res) { finish(id, res, back); });
        });
        return;
    }
    // New: L4 picks a gateway by flow (the group's connections), the gateway slices.
    const std::uint64_t flowHash = hashU64(static_cast<std::uint64_t>(req.group) * 8 + (req.viewer & 7), 0x6c34ull + static_cast<std::uint64_t>(req.region));
    const int gwIndex = reg.l4->route(flowHash);
    if (gwIndex < 0) {
        failRequest(id, sim::strCat(reg.name, ": no gateway in service"), 0);
        return;
    }
    const Region::Pin pin{gwIndex, reg.gatewayLeaves[static_cast<std::size_t>(gwIndex)]};
    auto [it, fresh] = reg.flowBackend.try_emplace(flowHash, pin);
    if (!fresh && it->second.gateway != gwIndex) {
        // The flow moved: allowed only when its gateway left the L4's service since the
        // flow was pinned to it (out and perhaps back in by now: its connections broke).
        const int was = it->second.gateway;
        if (reg.gatewayLeaves[static_cast<std::size_t>(was)] != it->second.leaves) {
            ++totals.flowsMovedAfterLeave;
        } else {
            ++totals.affinityViolations;
            if (firstAffinityViolation.empty())
                firstAffinityViolation = sim::strCat("at ", sim::toSeconds(world.now()), " s a flow moved from ",
                                                     reg.gateways[static_cast<std::size_t>(was)].path,
                                                     reg.l4->inService(was) ? " (in service" : " (out of service",
                                                     " and never left since the flow was pinned) to ",
                                                     reg.gateways[static_cast<std::size_t>(gwIndex)].path);
        }
    }
    if (!fresh && (it->second.gateway != gwIndex || it->second.leaves != pin.leaves))
        it->second = pin;
    Gateway& gw = reg.gateways[static_cast<std::size_t>(gwIndex)];
    req.servingRegion = sr;
    req.gateway = gwIndex;
    const sim::Delivery d = world.network().send(home.clients, gw.component);
    if (!d.delivered()) {
        req.affected = true;
        req.gatewayLost = true;
        failRequest(id, sim::strCat("connect to ", gw.path, ": ", d.reason()), config.connectTimeout);
        return;
    }
    const sim::Nanos back = world.network().baseLatency(gw.component, home.clients);
    SliceModule* slice = gw.slice.get();
    auto shared = std::make_shared<ClientRange>(range);
    world.after(d.latency, requestKind, gw.component, [this, id, shared, slice, back] {
        slice->request(*shared, [this, id, back](const SliceResult& res) { finish(id, res, back); });
    });
}

void CdnEngine::Impl::failRequest(std::uint64_t id, std::string reason, sim::Nanos after)
{
    auto why = std::make_shared<std::string>(std::move(reason));
    world.after(after, requestKind, engineComponent, [this, id, why] {
        SliceResult res;
        res.status = kHttpUnavailable;
        res.failure = SliceFailure::Upstream;
        res.reason = *why;
        auto it = inflight.find(id);
        if (it != inflight.end())
            res.started = it->second.started;
        res.finished = world.now();
        finish(id, res, 0);
    });
}

void CdnEngine::Impl::finish(std::uint64_t id, const SliceResult& result, sim::Nanos backTrip)
{
    auto it = inflight.find(id);
    if (it == inflight.end())
        return;
    const ClientRequest req = it->second;
    inflight.erase(it);
    const sim::Nanos doneAt = world.now() + backTrip;
    const sim::Nanos took = doneAt - req.started;
    ClientGroup& cg = regions[static_cast<std::size_t>(req.region)].groups[static_cast<std::size_t>(req.group)];
    const bool ok = result.completed && result.status >= 200 && result.status < 300;
    totals.maxInFlight = std::max(totals.maxInFlight, result.maxInFlight);
    totals.maxHeldBytes = std::max(totals.maxHeldBytes, result.maxHeldBytes);
    secondSub += result.subrequests.size();
    totals.discreteSubrequests += result.subrequests.size();
    if (result.failure == SliceFailure::EtagChanged)
        ++totals.etagAborts;
    if (result.failure == SliceFailure::RangeNotSatisfiable)
        ++totals.rangeNotSatisfiable;
    if (!result.body.empty()) {
        ClientRange range;
        range.object = result.body.front().object;
        checkBody(range, result);
    }
    regions[static_cast<std::size_t>(req.region)].secondRequests += req.weight;
    if (!ok)
        regions[static_cast<std::size_t>(req.region)].secondFailures += req.weight;
    if (ok) {
        ++totals.completed;
        latency->record(took, req.weight);
        secondLatency.record(took, req.weight);
        regions[static_cast<std::size_t>(req.region)].secondLatency.record(took, req.weight);
        bytesCounter->add(static_cast<double>(result.bytesDelivered) * req.weight);
        clientBytes += static_cast<double>(result.bytesDelivered);
    } else {
        totals.failed += req.weight;
        secondFailed += req.weight;
        failedCounter->add(req.weight);
        // A request in flight on a gateway that crashed while it ran is lost with the
        // gateway (its client's connection broke), not to a cache node's failure — also
        // when the gateway is back by the time the request gives up.
        const bool gatewayDown = req.gateway >= 0
            && regions[static_cast<std::size_t>(req.servingRegion)].gateways[static_cast<std::size_t>(req.gateway)].downDuring(req.started, world.now());
        if (config.mode == CdnMode::New && result.failure == SliceFailure::Upstream && !req.gatewayLost && !gatewayDown) {
            // Judged when it fails: a loss counts against the single-failure invariant
            // unless an outage beyond its claim was in force on the serving region's path
            // at some moment of the request's life (Region::outages).
            const int sr = req.servingRegion >= 0 ? req.servingRegion : servingRegion(req.region);
            const std::string what = sim::strCat("at ", sim::toSeconds(world.now()), " s a request of ",
                                                 regions[static_cast<std::size_t>(req.region)].name, " served by ",
                                                 regions[static_cast<std::size_t>(sr)].name, " (started ",
                                                 sim::toSeconds(req.started), " s): ", result.status, " ", result.reason);
            // A request that joined an upstream fetch already failing (collapsed forwarding)
            // lived through its cause too: from the earlier of its start and the cause.
            const sim::Nanos from = result.causeAt >= 0 ? std::min(req.started, result.causeAt) : req.started;
            if (const Region::Outage* o = outageDuring(sr, from, world.now())) {
                ++lostBeyondClaim;
                if (firstBeyondClaim.empty())
                    firstBeyondClaim = sim::strCat(what, ", while ", o->what, " (", sim::toSeconds(o->from), " s..",
                                                   o->until < 0 ? std::string("") : sim::strCat(sim::toSeconds(o->until), " s"), ")");
            } else {
                ++totals.lostToNodeFailure;
                if (firstLoss.empty())
                    firstLoss = what;
            }
        }
    }
    secondWeight += req.weight;
    if ((req.affected || !ok) && failureAt >= 0)
        cg.affectedUntil = std::max(cg.affectedUntil, doneAt);
}

// The client's check of what it received: every extent is the requested object, of the
// version the response's ETag names, at the offset that follows the previous one — for
// content that is a pure function of (object, version, offset) this is byte equality.
// A sample is also checked byte by byte with block digests.
void CdnEngine::Impl::checkBody(const ClientRange&, const SliceResult& res)
{
    std::uint64_t pos = res.rangeFirst;
    bool spliced = false, misordered = false, wrong = false;
    const ObjectId object = res.body.front().object;
    const Version v0 = res.body.front().version;
    for (const Extent& e : res.body) {
        if (e.object != object)
            wrong = true;
        if (e.version != v0)
            spliced = true;
        else if (etagOf(object, e.version) != res.etag)
            wrong = true;
        if (e.sourceOffset != pos)
            misordered = true;
        pos = e.sourceOffset + e.length;
    }
    if (spliced)
        ++totals.spliced;
    if (misordered)
        ++totals.misordered;
    if (spliced || misordered || wrong) {
        ++totals.badBodies;
        if (firstBadBody.empty())
            firstBadBody = sim::strCat("object ", object, " range ", res.rangeFirst, "-", res.rangeLast, ":",
                                       spliced ? " two versions spliced" : "", misordered ? " bytes out of order" : "",
                                       wrong ? " bytes of another version than its ETag" : "");
        return;
    }
    if (totals.completed % 512 == 0 && res.bytesDelivered <= 2 * kMiB) {
        ++totals.digestChecks;
        const DigestCheck d = verifyBody(object, v0, res.rangeFirst, res.body);
        if (!d.ok) {
            ++totals.badBodies;
            if (firstBadBody.empty())
                firstBadBody = sim::strCat("object ", object, ": digest mismatch at ", d.badOffset, " (", d.reason, ")");
        }
    }
}

// ------------------------------------------------------------------ data plane sources

void CdnEngine::Impl::Upstream::fetch(const SliceFetch& request, OnHeader onHeader, OnDone onDone)
{
    Region& reg = m_impl.regions[static_cast<std::size_t>(m_region)];
    const std::size_t n = reg.backOrigins.size();
    std::size_t pick = static_cast<std::size_t>(m_node) % n;
    if (m_impl.config.mode == CdnMode::New) {
        // By key over the healthy back-origin nodes (routing around a broken one).
        const std::uint64_t h = hashU64(request.first, request.object);
        std::size_t healthy = 0;
        for (bool b : reg.backOriginHealthy)
            healthy += b ? 1 : 0;
        if (healthy > 0) {
            std::size_t k = reduce(h, static_cast<std::uint32_t>(healthy));
            for (std::size_t i = 0; i < n; ++i) {
                if (!reg.backOriginHealthy[i])
                    continue;
                if (k-- == 0) {
                    pick = i;
                    break;
                }
            }
        }
    }
    reg.backOrigins[pick]->fetch(request, std::move(onHeader), std::move(onDone));
}

int CdnEngine::Impl::ownerOf(const Gateway& gw, std::uint64_t keyHash) const
{
    if (config.sabotage.moduloHashing) {
        std::vector<int> active;
        for (std::size_t i = 0; i < gw.members.size(); ++i)
            if (gw.members[i])
                active.push_back(static_cast<int>(i));
        return active.empty() ? -1 : active[keyHash % active.size()];
    }
    return gw.ring->lookup(keyHash);
}

void CdnEngine::Impl::GatewaySource::fetch(const SliceFetch& request, OnHeader onHeader, OnDone onDone)
{
    auto a = std::make_shared<Attempt>();
    a->request = request;
    a->onHeader = std::move(onHeader);
    // The sub-request leaves the gateway's count (and its first-byte retries the budget)
    // when its last answer is passed on.
    Impl* impl = &m_impl;
    const int region = m_region, gateway = m_gateway;
    ++m_impl.regions[static_cast<std::size_t>(region)].gateways[static_cast<std::size_t>(gateway)].activeFetches;
    a->onDone = [impl, region, gateway, a = a.get(), done = std::move(onDone)](const SliceReply& reply) {
        Gateway& g = impl->regions[static_cast<std::size_t>(region)].gateways[static_cast<std::size_t>(gateway)];
        --g.activeFetches;
        g.activeRetries -= a->timeoutRetries;
        a->timeoutRetries = 0;
        done(reply);
    };
    a->keyHash = hashU64(request.first / m_impl.config.sliceBytes, request.object);
    auto it = m_impl.inflight.find(request.flow);
    a->weight = it != m_impl.inflight.end() ? it->second.weight : 1.0;
    tryNext(a);
}

void CdnEngine::Impl::GatewaySource::failAll(const std::shared_ptr<Attempt>& a, int status, std::string reason)
{
    auto reply = std::make_shared<SliceReply>();
    reply->header.status = status;
    reply->header.reason = std::move(reason);
    reply->header.causeAt = m_impl.world.now();
    m_impl.world.after(0, m_impl.requestKind, sim::kNoComponent, [a, reply] {
        a->onHeader(reply->header);
        a->onDone(*reply);
    });
}

void CdnEngine::Impl::GatewaySource::tryNext(const std::shared_ptr<Attempt>& a)
{
    Impl& im = m_impl;
    Region& reg = im.regions[static_cast<std::size_t>(m_region)];
    Gateway& gw = reg.gateways[static_cast<std::size_t>(m_gateway)];
    if (!gw.hasTable) {
        failAll(a, kHttpUnavailable, sim::strCat(gw.path, ": no routing table"));
        return;
    }
    int node = -1;
    auto it = im.inflight.find(a->request.flow);
    if (a->tried.empty()) {
        if (isLive(a->request.object)) {
            const std::uint64_t stream = hashU64(a->request.object >> 20, 0x6c697665ull);
            node = gw.slots->nodeFor(stream, it != im.inflight.end() ? it->second.viewer : a->keyHash);
        } else if (im.config.sabotage.moduloHashing) {
            node = im.ownerOf(gw, a->keyHash);
        } else {
            const double cap = gw.bounded->cap(a->weight);
            node = gw.bounded->acquire(a->keyHash, a->weight);
            if (node < 0)
                node = gw.ring->lookup(a->keyHash);
            else {
                a->boundedNode = node;
                if (gw.bounded->load(node) > cap + 1e-6) {
                    ++im.totals.boundedViolations;
                    if (im.firstBoundedViolation.empty())
                        im.firstBoundedViolation = sim::strCat(reg.caches[static_cast<std::size_t>(node)].path, " load ",
                                                               gw.bounded->load(node), " > cap ", cap);
                }
            }
        }
    } else {
        // Retry on the next owner clockwise that was not tried yet (one this gateway has
        // not set aside, when there is one).
        node = gw.ring->firstOwner(a->keyHash, [&](int n) {
            return std::find(a->tried.begin(), a->tried.end(), n) == a->tried.end() && gw.usable(n, im.world.now());
        });
        if (node < 0)
            node = gw.ring->firstOwner(a->keyHash, [&](int n) {
                return std::find(a->tried.begin(), a->tried.end(), n) == a->tried.end();
            });
    }
    if (node >= 0 && !gw.usable(node, im.world.now())) {
        // Set aside by this gateway's outlier detection: the next owner it can use.
        const int other = gw.ring->firstOwner(a->keyHash, [&](int n) {
            return std::find(a->tried.begin(), a->tried.end(), n) == a->tried.end() && gw.usable(n, im.world.now());
        });
        if (other >= 0) {
            if (a->boundedNode == node) {
                gw.bounded->release(node, a->weight);
                a->boundedNode = -1;
            }
            node = other;
        }
    }
    if (node < 0) {
        failAll(a, kHttpUnavailable, sim::strCat(gw.path, ": no cache node left to try"));
        return;
    }
    a->tried.push_back(node);
    a->headerSeen = false;
    const int attemptNo = ++a->attempt;
    Cache& cache = reg.caches[static_cast<std::size_t>(node)];
    cache.secondWeight += a->weight;
    auto retryOrFail = std::make_shared<std::function<void(int, std::string)>>([this, a, attemptNo](int status, std::string reason) {
        if (a->attempt != attemptNo)
            return;
        auto jt = m_impl.inflight.find(a->request.flow);
        if (jt != m_impl.inflight.end())
            jt->second.affected = true;
        if (a->attempt <= m_impl.config.retries) {
            ++m_impl.totals.retries;
            tryNext(a);
        } else {
            failAll(a, status, std::move(reason));
        }
    });
    if (!im.world.network().reachable(gw.component, cache.node->component())) {
        // The connection attempt times out.
        const int nodeIndex = node;
        Impl* impl = &im;
        const int region = m_region;
        const int gwIndex = m_gateway;
        im.world.after(im.config.connectTimeout, im.requestKind, gw.component, [retryOrFail, impl, region, nodeIndex, gwIndex] {
            impl->connectFailed(region, gwIndex, nodeIndex);
            (*retryOrFail)(kHttpGatewayTimeout,
                           sim::strCat("connect to ", impl->regions[static_cast<std::size_t>(region)].caches[static_cast<std::size_t>(nodeIndex)].path, " timed out"));
        });
        return;
    }
    SliceFetch f = a->request;
    f.from = gw.component;
    if (im.config.firstByteTimeout > 0 && !im.config.sabotage.noFirstByteTimeout && a->attempt <= im.config.retries) {
        // No first byte from this node by the timeout: ask the next owner (the late
        // answer is dropped), within the gateway's retry budget.
        im.world.after(im.config.firstByteTimeout, im.requestKind, gw.component, [this, a, attemptNo] {
            if (a->attempt != attemptNo || a->headerSeen)
                return;
            Impl& impl = m_impl;
            Gateway& g = impl.regions[static_cast<std::size_t>(m_region)].gateways[static_cast<std::size_t>(m_gateway)];
            const double budget = std::max(static_cast<double>(impl.config.retryMinConcurrency),
                                           impl.config.retryBudgetShare * static_cast<double>(g.activeFetches));
            if (static_cast<double>(g.activeRetries + 1) > budget) {
                ++impl.totals.retryBudgetRefused;
                return;
            }
            ++g.activeRetries;
            ++a->timeoutRetries;
            // The slow node still holds the work: its bounded-load weight goes when it ends.
            if (a->boundedNode >= 0)
                a->boundedHeldBy = attemptNo;
            ++impl.totals.firstByteRetries;
            ++impl.totals.retries;
            auto jt = impl.inflight.find(a->request.flow);
            if (jt != impl.inflight.end())
                jt->second.affected = true;
            tryNext(a);
        });
    }
    auto released = std::make_shared<bool>(false);
    cache.node->fetch(
        f,
        [this, a, attemptNo, retryOrFail, node](const SliceHeader& h) {
            if (h.status < 500) {
                auto& fails = m_impl.regions[static_cast<std::size_t>(m_region)].gateways[static_cast<std::size_t>(m_gateway)].connectFails;
                fails[static_cast<std::size_t>(node)] = 0;
            }
            if (a->attempt != attemptNo)
                return;
            a->headerSeen = true;
            if (h.status >= 500 && a->attempt <= m_impl.config.retries) {
                (*retryOrFail)(h.status, h.reason);
                return;
            }
            a->onHeader(h);
        },
        [this, a, attemptNo, released, gwp = &gw](const SliceReply& reply) {
            if (a->boundedNode >= 0 && !*released && (a->boundedHeldBy == 0 || a->boundedHeldBy == attemptNo)) {
                *released = true;
                gwp->bounded->release(a->boundedNode, a->weight);
                a->boundedNode = -1;
            }
            if (a->attempt != attemptNo)
                return;
            a->onDone(reply);
        });
}

// ------------------------------------------------------------------ new-mode control

void CdnEngine::Impl::onCacheHealth(int r, int node, bool healthy, const std::string& reason)
{
    Cache& c = regions[static_cast<std::size_t>(r)].caches[static_cast<std::size_t>(node)];
    if (healthy) {
        restoreNode(r, node, "health checks pass again");
    } else {
        c.detectedAt = world.now();
        c.ejectedAt = c.routedAt = c.restoredAt = -1;
        ejectNode(r, node, reason, false);
    }
}

bool CdnEngine::Impl::ejectNode(int r, int node, const std::string& reason, bool operatorAction)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    Cache& c = reg.caches[static_cast<std::size_t>(node)];
    if (c.ejected)
        return true;
    int ejected = 0;
    for (const Cache& x : reg.caches)
        ejected += x.ejected ? 1 : 0;
    const int cap = std::max(1, static_cast<int>(std::floor(config.maxEjectShare * static_cast<double>(reg.caches.size()))));
    ejectCapSeen = cap;
    if (!operatorAction && !config.sabotage.noEjectionCap && ejected + 1 > cap) {
        ++totals.ejectionsRefused;
        world.events().raise("cdn.eject-refused", c.node->component(), v1::SEVERITY_WARNING,
                             sim::strCat(c.path, ": not ejected (", reason, "): ", ejected, " of ", reg.caches.size(),
                                         " already out, cap ", cap));
        return false;
    }
    c.ejected = true;
    ++totals.ejections;
    ++c.ejections;
    c.ejectReason = reason;
    c.ejectedAt = world.now();
    c.routedAt = c.restoredAt = -1;
    if (c.detectedAt < 0)
        c.detectedAt = world.now();
    maxEjectedSeen = std::max(maxEjectedSeen, ejected + 1);
    if (!operatorAction && ejected + 1 > cap && firstEjectViolation.empty())
        firstEjectViolation = sim::strCat(reg.name, ": ", ejected + 1, " cache nodes ejected, cap ", cap);
    world.events().raise("cdn.eject", c.node->component(), v1::SEVERITY_WARNING, sim::strCat(c.path, " ejected: ", reason));
    if (config.mode == CdnMode::New) {
        noteOutages(r);
        commit(r);
    }
    return true;
}

void CdnEngine::Impl::restoreNode(int r, int node, const std::string& reason)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    Cache& c = reg.caches[static_cast<std::size_t>(node)];
    if (!c.ejected)
        return;
    c.ejected = false;
    ++totals.restores;
    c.restoredAt = world.now();
    world.events().raise("cdn.restore", c.node->component(), v1::SEVERITY_INFO, sim::strCat(c.path, " restored: ", reason));
    if (config.mode == CdnMode::New) {
        noteOutages(r);
        commit(r);
    }
}

std::string CdnEngine::Impl::tableText(int r) const
{
    const Region& reg = regions[static_cast<std::size_t>(r)];
    std::string s = sim::strCat(reg.version, ":");
    for (const Cache& c : reg.caches)
        s += c.ejected ? '0' : '1';
    return s;
}

// Writes the region's table to the Raft KV; when it commits, pushes it to the gateways.
void CdnEngine::Impl::commit(int r)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    if (reg.writing) {
        reg.dirty = true;
        return;
    }
    reg.writing = true;
    ++reg.version;
    auto text = std::make_shared<const std::string>(tableText(r));
    reg.controlKv->put(sim::strCat("cdn/", reg.name, "/table"), *text, [this, r, text](const infra::RaftResult& res) {
        Region& rg = regions[static_cast<std::size_t>(r)];
        rg.writing = false;
        if (res.status != infra::RaftStatus::Ok) {
            // Control cannot commit: try again shortly; the gateways keep their tables.
            --rg.version;
            world.after(200 * sim::kMillisecond, controlKind, rg.control, [this, r] { commit(r); });
            return;
        }
        std::vector<bool> members;
        for (char ch : text->substr(text->find(':') + 1))
            members.push_back(ch == '1');
        pushTable(r, std::stoull(text->substr(0, text->find(':'))), members);
        if (rg.dirty) {
            rg.dirty = false;
            commit(r);
        }
    });
}

void CdnEngine::Impl::pushTable(int r, std::uint64_t version, const std::vector<bool>& members)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    for (std::size_t gi = 0; gi < reg.gateways.size(); ++gi) {
        const sim::Delivery d = world.network().send(reg.control, reg.gateways[gi].component);
        if (!d.delivered())
            continue; // the gateway's poll picks it up
        auto m = std::make_shared<const std::vector<bool>>(members);
        world.after(d.latency, controlKind, reg.gateways[gi].component,
                    [this, r, gi, version, m] { applyTable(r, static_cast<int>(gi), version, *m); });
    }
}

void CdnEngine::Impl::applyTable(int r, int g, std::uint64_t version, const std::vector<bool>& members)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    Gateway& gw = reg.gateways[static_cast<std::size_t>(g)];
    gw.hasTable = true;
    if (version <= gw.tableVersion)
        return;
    gw.tableVersion = version;
    for (std::size_t n = 0; n < members.size() && n < gw.members.size(); ++n) {
        if (members[n] == gw.members[n])
            continue;
        // One membership change at a time; check that only the changed node's keys move.
        std::vector<int> before;
        before.reserve(sampleKeys.size());
        for (std::uint64_t k : sampleKeys)
            before.push_back(ownerOf(gw, k));
        gw.members[n] = members[n];
        if (members[n])
            gw.ring->addNode(reg.caches[n].path);
        else
            gw.ring->removeNode(reg.caches[n].path);
        for (std::size_t i = 0; i < sampleKeys.size(); ++i) {
            const int after = ownerOf(gw, sampleKeys[i]);
            if (after != before[i] && before[i] != static_cast<int>(n) && after != static_cast<int>(n)) {
                ++totals.ringViolations;
                if (firstRingViolation.empty())
                    firstRingViolation = sim::strCat(gw.path, ": changing ", reg.caches[n].path, " moved a key from ",
                                                     reg.caches[static_cast<std::size_t>(before[i])].path, " to ",
                                                     reg.caches[static_cast<std::size_t>(after)].path);
            }
        }
    }
    routedCheck(r);
}

// A gateway could not connect to a cache node: after outlierFailures in a row it sets the
// node aside on its own (within the ejection cap), control's table notwithstanding.
void CdnEngine::Impl::connectFailed(int r, int g, int node)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    Gateway& gw = reg.gateways[static_cast<std::size_t>(g)];
    const auto n = static_cast<std::size_t>(node);
    ++gw.connectFails[n];
    const sim::Nanos now = world.now();
    if (config.outlierFailures <= 0 || config.sabotage.noGatewayOutlier || gw.connectFails[n] < config.outlierFailures || !gw.usable(node, now))
        return;
    int out = 0;
    for (std::size_t i = 0; i < gw.outUntil.size(); ++i)
        out += gw.usable(static_cast<int>(i), now) ? 0 : 1;
    const int cap = std::max(1, static_cast<int>(std::floor(config.maxEjectShare * static_cast<double>(reg.caches.size()))));
    if (out + 1 > cap && !config.sabotage.noEjectionCap)
        return;
    const sim::Nanos span = config.outlierEjection << std::min(gw.outCount[n], 4);
    gw.outUntil[n] = now + span;
    ++gw.outCount[n];
    gw.connectFails[n] = 0;
    ++totals.gatewayOutliers;
    world.events().raise("cdn.gateway-outlier", gw.component, v1::SEVERITY_WARNING,
                         sim::strCat(gw.path, " routes around ", reg.caches[n].path, " for ", sim::toSeconds(span), " s: ",
                                     config.outlierFailures, " connection failures in a row"));
}

// An ejected node is routed around once every gateway's table leaves it out.
void CdnEngine::Impl::routedCheck(int r)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    for (std::size_t n = 0; n < reg.caches.size(); ++n) {
        Cache& c = reg.caches[n];
        if (!c.ejected || c.routedAt >= 0)
            continue;
        bool all = true;
        for (const Gateway& gw : reg.gateways)
            all = all && !gw.members[n];
        if (all)
            c.routedAt = world.now();
    }
}

// What on the region's serving path lies beyond "a single node failure or a planned
// drain" right now (empty: nothing): more than one of its cache nodes out (down,
// ejected or cut off from a gateway), no gateway in its L4's service, the origin down or cut off from one of its
// back-origin nodes by a partition.
std::string CdnEngine::Impl::beyondClaim(int r) const
{
    const Region& reg = regions[static_cast<std::size_t>(r)];
    std::string out;
    // A node counts as out when it is down, ejected, or cut off from one of the region's
    // gateways by a partition (from that gateway it has failed).
    const sim::FaultRegistry& faults = world.faults();
    const bool partitions = faults.anyActive(v1::FAULT_PARTITION);
    int nodesOut = 0;
    for (const Cache& c : reg.caches) {
        bool out1 = c.ejected || c.failedAt >= 0;
        for (std::size_t g = 0; g < reg.gateways.size() && !out1 && partitions; ++g)
            out1 = faults.partitioned(reg.gateways[g].path, c.path) || faults.partitioned(c.path, reg.gateways[g].path);
        nodesOut += out1 ? 1 : 0;
    }
    if (nodesOut > 1)
        out = sim::strCat(nodesOut, " cache nodes of ", reg.name, " out");
    bool anyGateway = false;
    for (std::size_t g = 0; g < reg.gateways.size(); ++g)
        anyGateway = anyGateway || reg.l4->inService(static_cast<int>(g));
    if (!anyGateway)
        out += sim::strCat(out.empty() ? "" : ", ", "no gateway of ", reg.name, " in service");
    const std::string& originPath = world.components().get(origin->component()).path;
    if (faults.isDown(originPath))
        out += sim::strCat(out.empty() ? "" : ", ", "the origin ", originPath, " down");
    else {
        for (const auto& bo : reg.backOrigins) {
            const std::string& path = world.components().get(bo->component()).path;
            if (faults.partitioned(path, originPath) || faults.partitioned(originPath, path)) {
                out += sim::strCat(out.empty() ? "" : ", ", "the origin cut off from ", path);
                break;
            }
        }
    }
    return out;
}

void CdnEngine::Impl::noteOutages(int r)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    const std::string now = beyondClaim(r);
    const bool open = !reg.outages.empty() && reg.outages.back().until < 0;
    if (open && reg.outages.back().what == now)
        return;
    if (open)
        reg.outages.back().until = world.now();
    if (!now.empty())
        reg.outages.push_back(Region::Outage{world.now(), -1, now});
}

// The first outage beyond the claim in force on region r's path at some moment of [from, to].
const CdnEngine::Impl::Region::Outage* CdnEngine::Impl::outageDuring(int r, sim::Nanos from, sim::Nanos to) const
{
    for (const Region::Outage& o : regions[static_cast<std::size_t>(r)].outages)
        if (o.from <= to && (o.until < 0 || o.until >= from))
            return &o;
    return nullptr;
}

void CdnEngine::Impl::poll(int r, int g)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    Gateway& gw = reg.gateways[static_cast<std::size_t>(g)];
    gw.kv->get(sim::strCat("cdn/", reg.name, "/table"), [this, r, g](const infra::RaftResult& res) {
        Region& rg = regions[static_cast<std::size_t>(r)];
        Gateway& w = rg.gateways[static_cast<std::size_t>(g)];
        if (res.status != infra::RaftStatus::Ok) {
            if (config.sabotage.dropRoutesWithoutControl && w.hasTable) {
                w.hasTable = false;
                ++totals.tablesDropped;
            }
            return;
        }
        w.hasTable = true;
        if (res.found) {
            const std::string& text = res.value;
            std::vector<bool> members;
            for (char ch : text.substr(text.find(':') + 1))
                members.push_back(ch == '1');
            applyTable(r, g, std::stoull(text.substr(0, text.find(':'))), members);
        }
    });
    world.after(sim::kSecond, controlKind, gw.component, [this, r, g] { poll(r, g); });
}

// ------------------------------------------------------------------ legacy scheduler

int CdnEngine::Impl::planFor(int r, int group) const
{
    // Rendezvous hashing of the group over the nodes the scheduler believes up.
    const Region& reg = regions[static_cast<std::size_t>(r)];
    int best = -1;
    std::uint64_t bestHash = 0;
    for (std::size_t n = 0; n < reg.caches.size(); ++n) {
        if (reg.caches[n].schedulerDown || reg.caches[n].ejected)
            continue;
        const std::uint64_t h = hashU64(static_cast<std::uint64_t>(group) << 16 | n, 0x646e73ull + static_cast<std::uint64_t>(r));
        if (best < 0 || h > bestHash) {
            best = static_cast<int>(n);
            bestHash = h;
        }
    }
    return best < 0 ? 0 : best;
}

void CdnEngine::Impl::report(int r, int n)
{
    Region& reg = regions[static_cast<std::size_t>(r)];
    Cache& c = reg.caches[static_cast<std::size_t>(n)];
    const sim::Delivery d = world.network().send(c.node->component(), scheduler);
    if (d.delivered()) {
        c.missed = 0;
        if (c.schedulerDown) {
            c.schedulerDown = false;
            c.restoredAt = world.now();
            world.events().raise("cdn.scheduler-up", c.node->component(), v1::SEVERITY_INFO, sim::strCat(c.path, " reports again"));
        }
    } else if (++c.missed >= config.reportsToDown && !c.schedulerDown) {
        c.schedulerDown = true;
        c.detectedAt = world.now();
        c.ejectedAt = c.routedAt = c.restoredAt = -1;
        world.events().raise("cdn.scheduler-down", c.node->component(), v1::SEVERITY_WARNING,
                             sim::strCat(c.path, " missed ", c.missed, " reports"));
    }
    world.after(config.reportInterval, reportKind, c.node->component(), [this, r, n] { report(r, n); });
}

void CdnEngine::Impl::replan()
{
    for (std::size_t r = 0; r < regions.size(); ++r) {
        Region& reg = regions[r];
        for (std::size_t gi = 0; gi < reg.groups.size(); ++gi)
            reg.plan[gi] = planFor(static_cast<int>(r), static_cast<int>(gi));
        for (Cache& c : reg.caches)
            if (c.schedulerDown && c.ejectedAt < 0)
                c.ejectedAt = world.now(); // out of the published plan
    }
    lastPlanAt = world.now();
    nextPlanAt = world.now() + config.planPeriod;
    world.after(config.planPeriod, planKind, scheduler, [this] { replan(); });
}

// ------------------------------------------------------------------ per second

void CdnEngine::Impl::second()
{
    const double w = secondWeight + 0.0;
    g.p99->set(secondLatency.count() > 0 ? secondLatency.quantile(0.99) / 1e6 : 0.0);
    g.mean->set(secondLatency.count() > 0 ? secondLatency.mean() / 1e6 : 0.0);
    g.errors->set(w > 0.0 ? secondFailed / w : 0.0);
    std::uint64_t hits = 0, lookups = 0, bytesHit = 0, bytesServed = 0, maxFetches = 0, widenings = 0;
    for (const Region& reg : regions) {
        for (const Cache& c : reg.caches) {
            const CacheNodeStats& s = c.node->stats();
            hits += s.hits;
            lookups += s.hits + s.misses;
            bytesHit += s.bytesHit;
            bytesServed += s.bytesServed;
            maxFetches = std::max<std::uint64_t>(maxFetches, static_cast<std::uint64_t>(s.maxFetchesPerKey));
        }
        for (const Gateway& gw : reg.gateways)
            widenings += gw.slots->widenings();
    }
    const std::uint64_t originBytes = origin->bytesServed();
    const std::uint64_t originFetchesNow = origin->requests();
    const auto dl = static_cast<double>(lookups - lastLookups);
    g.hit->set(dl > 0 ? static_cast<double>(hits - lastHits) / dl : 0.0);
    const auto db = static_cast<double>(bytesServed - lastBytesServed);
    g.byteHit->set(db > 0 ? static_cast<double>(bytesHit - lastBytesHit) / db : 0.0);
    const double dc = clientBytes - lastClientBytes;
    g.offload->set(dc > 0 ? std::max(0.0, 1.0 - static_cast<double>(originBytes - lastOriginBytes) / dc) : 0.0);
    g.originFetches->set(static_cast<double>(originFetchesNow - lastOriginFetches));
    g.maxFetches->set(static_cast<double>(maxFetches));
    g.widenings->set(static_cast<double>(widenings));
    lastHits = hits;
    lastLookups = lookups;
    lastBytesHit = bytesHit;
    lastBytesServed = bytesServed;
    lastOriginBytes = originBytes;
    lastOriginFetches = originFetchesNow;
    lastClientBytes = clientBytes;

    // Peak ÷ mean node load (sub-requests by weight) in the busiest region; nodes out
    // of service count only while they carry load.
    double peakMean = 0.0;
    int recovering = 0;
    for (std::size_t r = 0; r < regions.size(); ++r) {
        Region& reg = regions[r];
        double sum = 0.0, peak = 0.0;
        int n = 0;
        for (Cache& c : reg.caches) {
            const CacheNodeStats& s = c.node->stats();
            const std::uint64_t lk = s.hits + s.misses - c.lastLookups, bs = s.bytesServed - c.lastBytesServed;
            c.hit1s = lk > 0 ? static_cast<double>(s.hits - c.lastHits) / static_cast<double>(lk) : 0.0;
            c.byteHit1s = bs > 0 ? static_cast<double>(s.bytesHit - c.lastBytesHit) / static_cast<double>(bs) : 0.0;
            c.lastHits = s.hits;
            c.lastLookups = s.hits + s.misses;
            c.lastBytesHit = s.bytesHit;
            c.lastBytesServed = s.bytesServed;
            c.groupsOn = 0;
        }
        if (config.mode == CdnMode::Legacy) {
            for (const ClientGroup& cg : reg.groups)
                if (cg.node >= 0)
                    ++reg.caches[static_cast<std::size_t>(cg.node)].groupsOn;
            for (Cache& c : reg.caches)
                if (c.schedulerDown && c.ejectedAt >= 0 && c.routedAt < 0 && c.groupsOn == 0)
                    c.routedAt = world.now();
        }
        for (Gateway& gw : reg.gateways) {
            const SliceModuleStats& st = gw.slice->stats();
            const double active = st.activeNs - gw.lastActiveNs;
            gw.occupancy1s = active > 0.0 ? (st.inFlightNs - gw.lastInFlightNs) / (active * config.effectiveWindow()) : 0.0;
            gw.sub1s = static_cast<double>(st.subrequests - gw.lastSub);
            gw.lastActiveNs = st.activeNs;
            gw.lastInFlightNs = st.inFlightNs;
            gw.lastSub = st.subrequests;
        }
        for (Cache& c : reg.caches) {
            const bool out = c.ejected || c.schedulerDown || world.faults().isDown(c.path);
            if (c.ejected || c.schedulerDown || c.failedAt >= 0)
                ++recovering;
            c.lastSecondWeight = c.secondWeight;
            if (!out || c.secondWeight > 0.0) {
                sum += c.secondWeight;
                peak = std::max(peak, c.secondWeight);
                ++n;
            }
            c.secondWeight = 0.0;
        }
        if (n > 0 && sum > 0.0)
            peakMean = std::max(peakMean, peak / (sum / n));
        // Hot-flow detection: gateways report their slots' live load; a slot whose load
        // grows is widened ahead of the crossing (pre-heat), every slot's load is set.
        if (config.mode == CdnMode::New) {
            for (std::uint32_t s = 0; s < kLiveSlots; ++s) {
                const double now = reg.slotLoad[s];
                const double before = reg.lastSlotLoad[s];
                if (now == 0.0 && before == 0.0)
                    continue;
                const double predicted = now + 2.0 * std::max(0.0, now - before);
                for (Gateway& gw : reg.gateways) {
                    // The measured load first, then the prediction: setLoad() may narrow
                    // (with hysteresis), preheat() only widens, so a widening ahead of the
                    // load holds for the second it was made for.
                    gw.slots->setLoad(s, now);
                    if (predicted > now && gw.slots->width(s) * config.slotThreshold < predicted && !config.sabotage.infiniteSlotThreshold
                        && !config.sabotage.noPreheat) {
                        gw.slots->preheat(s, predicted);
                        ++totals.preheats;
                    }
                }
                reg.lastSlotLoad[s] = now;
                reg.slotLoad[s] = 0.0;
            }
        } else {
            std::fill(reg.slotLoad.begin(), reg.slotLoad.end(), 0.0);
        }
    }
    g.peakMean->set(peakMean);
    g.recovering->set(recovering);
    hotSecond();
    g.recovery->set(failureAt >= 0 ? [&] {
        std::vector<double> v;
        for (const Region& reg : regions)
            for (const ClientGroup& cg : reg.groups)
                if (cg.affectedUntil >= 0)
                    v.push_back(sim::toSeconds(cg.affectedUntil - failureAt));
        if (v.empty())
            return 0.0;
        std::sort(v.begin(), v.end());
        const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(v.size())));
        return v[std::max<std::size_t>(rank, 1) - 1];
    }() : 0.0);
    g.spliced->set(static_cast<double>(totals.spliced));
    g.misordered->set(static_cast<double>(totals.misordered));
    g.etagAborts->set(static_cast<double>(totals.etagAborts));
    g.ejections->set(static_cast<double>(totals.ejections));
    g.preheats->set(static_cast<double>(totals.preheats));
    g.gatewayOutliers->set(static_cast<double>(totals.gatewayOutliers));
    g.clientRps->set(static_cast<double>(secondDiscrete));
    g.subRps->set(static_cast<double>(secondSub));
    secondLatency.reset();
    for (Region& reg : regions) {
        reg.lastP99Ms = reg.secondLatency.count() > 0 ? reg.secondLatency.quantile(0.99) / 1e6 : 0.0;
        reg.p99->set(reg.lastP99Ms);
        reg.secondLatency.reset();
        reg.lastRequests = reg.secondRequests;
        reg.lastFailures = reg.secondFailures;
        reg.secondRequests = reg.secondFailures = 0.0;
    }
    secondWeight = secondFailed = secondDelivered = 0.0;
    secondDiscrete = secondSub = 0;
    world.after(sim::kSecond, secondKind, engineComponent, [this] { second(); });
}

void CdnEngine::Impl::contributeRegions(v1::Snapshot& snapshot) const
{
    for (const Region& reg : regions) {
        v1::RegionHealth& h = *snapshot.add_regions();
        h.set_engine("cdn");
        h.set_region(reg.name);
        const double served = reg.lastRequests - reg.lastFailures;
        const bool entryDown = world.faults().isDown(world.components().get(reg.l4Component).path);
        h.set_up(!entryDown && (reg.lastRequests <= 0.0 || served > 0.0));
        h.set_availability(reg.lastRequests > 0.0 ? served / reg.lastRequests : (h.up() ? 1.0 : 0.0));
        h.set_error_rate(reg.lastRequests > 0.0 ? reg.lastFailures / reg.lastRequests : 0.0);
        h.set_p99_ms(reg.lastP99Ms);
        h.set_rps(reg.lastRequests);
    }
}

// ------------------------------------------------------------------ console state

namespace {

double secondsOr(sim::Nanos t)
{
    return t < 0 ? -1.0 : sim::toSeconds(t);
}

// The `k` largest (weight desc, id asc) of a map: the same answer whatever the map's order.
std::vector<std::pair<std::uint64_t, double>> topOf(const absl::flat_hash_map<std::uint64_t, double>& m, std::size_t k)
{
    std::vector<std::pair<std::uint64_t, double>> v(m.begin(), m.end());
    auto better = [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; };
    const std::size_t n = std::min(k, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), better);
    v.resize(n);
    return v;
}

constexpr std::size_t kHotShown = 8;
constexpr std::uint32_t kSlotsShown = 16;

} // namespace

void CdnEngine::Impl::hotSecond()
{
    hotObjects = topOf(objectWeight, kHotShown);
    hotStreams = topOf(streamWeight, kHotShown);
    objectWeight.clear();
    streamWeight.clear();
}

void CdnEngine::Impl::installInspectors()
{
    auto add = [this](sim::ComponentId id, std::function<void(sim::StateWriter&)> fn) {
        inspectors.push_back(std::make_unique<Inspector>(std::move(fn)));
        world.components().setInspectable(id, inspectors.back().get());
    };
    add(engineComponent, [this](sim::StateWriter& out) { inspectEngine(out); });
    if (scheduler != sim::kNoComponent)
        add(scheduler, [this](sim::StateWriter& out) { inspectScheduler(out); });
    for (std::size_t r = 0; r < regions.size(); ++r) {
        Region& reg = regions[r];
        const int ri = static_cast<int>(r);
        for (std::size_t n = 0; n < reg.caches.size(); ++n)
            add(reg.caches[n].node->component(), [this, ri, n](sim::StateWriter& out) { inspectCache(ri, static_cast<int>(n), out); });
        for (std::size_t g = 0; g < reg.gateways.size(); ++g)
            add(reg.gateways[g].component, [this, ri, g](sim::StateWriter& out) { inspectGateway(ri, static_cast<int>(g), out); });
        if (reg.control != sim::kNoComponent)
            add(reg.control, [this, ri](sim::StateWriter& out) { inspectControl(ri, out); });
    }
}

void CdnEngine::Impl::inspectEngine(sim::StateWriter& out) const
{
    out.add("mode", toString(config.mode));
    out.add("window", config.effectiveWindow());
    out.add("profile", toString(load.profile));
    out.add("multiplier", multiplier);
    out.add("requests", totals.requests);
    out.add("failed", totals.failed);
    out.add("ejections", totals.ejections);
    out.add("ejections_refused", totals.ejectionsRefused);
    out.add("restores", totals.restores);
    out.add("preheats", totals.preheats);
    out.add("retries", totals.retries);
    out.add("failure_at_s", secondsOr(failureAt));
    out.add("recovery_p99_s", g.recovery->value());
    out.add("recovering_nodes", g.recovering->value());
    // Hot objects and streams of the last second, by real requests/s.
    for (std::size_t i = 0; i < hotObjects.size(); ++i)
        out.add(sim::strCat("hot.vod.", i), sim::strCat("object=", hotObjects[i].first, " rps=", static_cast<std::int64_t>(hotObjects[i].second)));
    for (std::size_t i = 0; i < hotStreams.size(); ++i) {
        const std::uint64_t stream = hotStreams[i].first;
        const std::uint32_t slot = reduce(hashU64((kLiveBase >> 20) + stream, 0x6c697665ull), kLiveSlots);
        int width = 1;
        if (!regions.empty() && !regions.front().gateways.empty())
            width = regions.front().gateways.front().slots->width(slot);
        out.add(sim::strCat("hot.live.", i), sim::strCat("stream=", stream, " rps=", static_cast<std::int64_t>(hotStreams[i].second),
                                                         " slot=", slot, " width=", width));
    }
}

void CdnEngine::Impl::inspectCache(int r, int n, sim::StateWriter& out) const
{
    const Region& reg = regions[static_cast<std::size_t>(r)];
    const Cache& c = reg.caches[static_cast<std::size_t>(n)];
    const bool down = world.faults().isDown(c.path);
    const bool isNew = config.mode == CdnMode::New;
    const bool out_ = isNew ? c.ejected : (c.schedulerDown || c.ejected);
    out.add("state", down ? (out_ ? "down, out of service" : "down, still routed") : (out_ ? "out of service" : "in service"));
    c.node->inspect(out);
    out.add("hit_ratio_1s", c.hit1s);
    out.add("byte_hit_ratio_1s", c.byteHit1s);
    out.add("load_1s", c.lastSecondWeight);
    out.add("overload_limit", config.overloadPerSec);
    out.add("ejections", c.ejections);
    const sim::Nanos now = world.now();
    if (isNew && reg.cacheChecks) {
        const TargetHealth& h = reg.cacheChecks->target(n);
        const HealthCheckConfig& hc = reg.cacheChecks->config();
        out.add("health", config.sabotage.noHealthChecks ? "unchecked" : (h.healthy ? "healthy" : "unhealthy"));
        out.add("tripped", h.trippedReason.empty() ? (c.ejected ? c.ejectReason : std::string()) : h.trippedReason);
        out.add("last_failure", h.lastReason);
        out.add("last_check_s", secondsOr(h.lastCheck));
        out.add("probes", h.probes);
        out.add("probe_failures", h.failures);
        out.add("consecutive_ok", h.consecutiveOk);
        out.add("consecutive_fail", h.consecutiveFail);
        // Checks until the next change of state and the time they take.
        int left = 0;
        std::string change;
        if (h.healthy && h.consecutiveFail > 0) {
            left = hc.fall - h.consecutiveFail;
            change = "eject";
        } else if (!h.healthy) {
            left = hc.rise - h.consecutiveOk;
            change = "restore";
        }
        out.add("next_change", change);
        out.add("checks_left", left);
        const sim::Nanos since = h.lastCheck >= 0 ? now - h.lastCheck : 0;
        out.add("time_left_s", change.empty() ? -1.0 : std::max(0.0, sim::toSeconds(left * hc.interval - since)));
    } else if (!isNew) {
        out.add("health", c.schedulerDown ? "reported down" : (c.missed > 0 ? "missing reports" : "reporting"));
        out.add("tripped", c.schedulerDown ? sim::strCat(c.missed, " missed reports") : std::string());
        out.add("missed_reports", c.missed);
        out.add("groups_on", c.groupsOn);
        std::string change;
        double left = -1.0;
        if (!c.schedulerDown && c.missed > 0) {
            change = "declared down";
            left = sim::toSeconds((config.reportsToDown - c.missed) * config.reportInterval);
        } else if (c.schedulerDown && c.ejectedAt < 0) {
            change = "next plan";
            left = nextPlanAt >= 0 ? std::max(0.0, sim::toSeconds(nextPlanAt - now)) : -1.0;
        } else if (c.schedulerDown && c.routedAt < 0) {
            // The clients still on it leave when their resolvers' answers expire.
            sim::Nanos last = -1;
            for (const ClientGroup& cg : reg.groups)
                if (cg.node == n)
                    last = std::max(last, cg.dnsExpiry);
            change = "DNS TTL";
            left = last >= 0 ? std::max(0.0, sim::toSeconds(last - now)) : 0.0;
        }
        out.add("next_change", change);
        out.add("time_left_s", left);
    }
    out.add("fault_at_s", secondsOr(c.faultAt));
    out.add("detected_at_s", secondsOr(c.detectedAt));
    out.add("ejected_at_s", secondsOr(c.ejectedAt));
    out.add("routed_at_s", secondsOr(c.routedAt));
    out.add("restored_at_s", secondsOr(c.restoredAt));
    if (!isNew)
        writeSlice(*reg.edgeSlices[static_cast<std::size_t>(n)], out);
}

void CdnEngine::Impl::writeSlice(const SliceModule& m, sim::StateWriter& out) const
{
    const SliceModuleStats& st = m.stats();
    const int w = m.config().window;
    out.add("slice.window", w);
    out.add("slice.requests", st.requests);
    out.add("slice.completed", st.completed);
    out.add("slice.aborted", st.aborted);
    out.add("slice.upstream_errors", st.upstreamErrors);
    out.add("slice.range_416", st.rangeNotSatisfiable);
    out.add("slice.subrequests", st.subrequests);
    out.add("slice.active", st.activeRequests);
    out.add("slice.in_flight", st.inFlight);
    out.add("slice.occupancy", st.activeNs > 0.0 ? st.inFlightNs / (st.activeNs * w) : 0.0);
    out.add("slice.held_bytes", st.heldBytes);
    out.add("slice.max_held_bytes", st.maxHeldBytes);
    out.add("slice.held_cap_bytes", static_cast<std::uint64_t>(w - 1) * m.config().sliceBytes);
    out.add("slice.bytes_fetched", st.bytesFetched);
    out.add("slice.bytes_delivered", st.bytesDelivered);
    out.add("slice.read_amplification", st.bytesDelivered > 0 ? static_cast<double>(st.bytesFetched) / static_cast<double>(st.bytesDelivered) : 0.0);
}

void CdnEngine::Impl::inspectGateway(int r, int g, sim::StateWriter& out) const
{
    const Region& reg = regions[static_cast<std::size_t>(r)];
    const Gateway& gw = reg.gateways[static_cast<std::size_t>(g)];
    out.add("l4", reg.l4->inService(g) ? "in service" : "out of service");
    out.add("table_version", gw.tableVersion);
    out.add("has_table", gw.hasTable);
    std::string members;
    for (bool m : gw.members)
        members += m ? '1' : '0';
    out.add("members", members);
    std::string aside;
    for (std::size_t n = 0; n < gw.outUntil.size(); ++n)
        if (!gw.usable(static_cast<int>(n), world.now()))
            aside += sim::strCat(aside.empty() ? "" : ", ", reg.caches[n].node->path().substr(reg.name.size() + 5), " until ",
                                 sim::toSeconds(gw.outUntil[n]), " s");
    out.add("routed_around", aside);
    writeSlice(*gw.slice, out);
    out.add("slice.occupancy_1s", gw.occupancy1s);
    out.add("slice.subrequests_1s", gw.sub1s);
    // The live slot table: its busiest slots, each "load width members" (nearest owner first).
    out.add("slot.threshold", config.sabotage.infiniteSlotThreshold ? -1.0 : config.slotThreshold);
    out.add("slot.widenings", gw.slots->widenings());
    out.add("slot.narrowings", gw.slots->narrowings());
    std::vector<std::pair<std::uint32_t, double>> busy;
    for (std::uint32_t s = 0; s < kLiveSlots; ++s)
        if (gw.slots->load(s) > 0.0 || gw.slots->width(s) > 1)
            busy.emplace_back(s, gw.slots->load(s));
    const std::size_t k = std::min<std::size_t>(kSlotsShown, busy.size());
    std::partial_sort(busy.begin(), busy.begin() + static_cast<std::ptrdiff_t>(k), busy.end(),
                      [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    busy.resize(k);
    for (const auto& [slot, slotLoad] : busy) {
        // members() caches the owners for the ring's generation (the same set nodeFor uses).
        const std::vector<int>& set = gw.slots->members(slot);
        std::string nodes;
        for (int m : set)
            nodes += sim::strCat(nodes.empty() ? "" : ",", m);
        out.add(sim::strCat("slot.", slot), sim::strCat("load=", static_cast<std::int64_t>(slotLoad), " width=", gw.slots->width(slot),
                                                     " nodes=", nodes));
    }
}

void CdnEngine::Impl::inspectControl(int r, sim::StateWriter& out) const
{
    const Region& reg = regions[static_cast<std::size_t>(r)];
    int ejected = 0;
    std::string members;
    for (const Cache& c : reg.caches) {
        ejected += c.ejected ? 1 : 0;
        members += c.ejected ? '0' : '1';
    }
    out.add("table_version", reg.version);
    out.add("members", members);
    out.add("ejected", ejected);
    out.add("eject_cap", std::max(1, static_cast<int>(std::floor(config.maxEjectShare * static_cast<double>(reg.caches.size())))));
    out.add("committing", reg.writing);
    int healthyBo = 0, inServiceGw = 0;
    for (bool b : reg.backOriginHealthy)
        healthyBo += b ? 1 : 0;
    for (std::size_t gi = 0; gi < reg.gateways.size(); ++gi)
        inServiceGw += reg.l4->inService(static_cast<int>(gi)) ? 1 : 0;
    out.add("back_origins_healthy", sim::strCat(healthyBo, "/", reg.backOrigins.size()));
    out.add("gateways_in_service", sim::strCat(inServiceGw, "/", reg.gateways.size()));
    out.add("health_interval_ms", sim::toMillis(config.health.interval));
    out.add("rise", config.health.rise);
    out.add("fall", config.health.fall);
}

void CdnEngine::Impl::inspectScheduler(sim::StateWriter& out) const
{
    out.add("report_interval_s", sim::toSeconds(config.reportInterval));
    out.add("reports_to_down", config.reportsToDown);
    out.add("plan_period_s", sim::toSeconds(config.planPeriod));
    out.add("dns_ttl_s", sim::toSeconds(config.dnsTtl));
    out.add("last_plan_at_s", secondsOr(lastPlanAt));
    out.add("next_plan_at_s", secondsOr(nextPlanAt));
    int down = 0;
    for (const Region& reg : regions)
        for (const Cache& c : reg.caches)
            down += c.schedulerDown ? 1 : 0;
    out.add("nodes_reported_down", down);
}

// ------------------------------------------------------------------ public surface

void CdnEngine::start()
{
    m_impl->start();
}

void CdnEngine::setLoad(const CdnLoad& load)
{
    const bool gala = load.profile == CdnProfile::Gala && m_impl->load.profile != CdnProfile::Gala;
    m_impl->load = load;
    if (gala)
        m_impl->galaStart = m_impl->world.now();
}

void CdnEngine::setMultiplier(double multiplier)
{
    m_impl->multiplier = multiplier;
}

void CdnEngine::stopLoad()
{
    m_impl->loadOn = false;
}

sim::ComponentId CdnEngine::component() const
{
    return m_impl->engineComponent;
}

int CdnEngine::regionCount() const
{
    return static_cast<int>(m_impl->regions.size());
}

bool CdnEngine::inService(int region, int node) const
{
    const auto& c = m_impl->regions[static_cast<std::size_t>(region)].caches[static_cast<std::size_t>(node)];
    return !c.ejected && !c.schedulerDown;
}

double CdnEngine::recoveryP99Seconds() const
{
    return m_impl->g.recovery->value();
}

std::vector<const CacheNode*> CdnEngine::cacheNodes() const
{
    std::vector<const CacheNode*> out;
    for (const auto& reg : m_impl->regions)
        for (const auto& c : reg.caches)
            out.push_back(c.node.get());
    return out;
}

std::uint64_t CdnEngine::originFetches() const
{
    return m_impl->origin->requests();
}

absl::Status CdnEngine::eject(std::string_view path)
{
    for (std::size_t r = 0; r < m_impl->regions.size(); ++r)
        for (std::size_t n = 0; n < m_impl->regions[r].caches.size(); ++n)
            if (m_impl->regions[r].caches[n].path == path) {
                m_impl->ejectNode(static_cast<int>(r), static_cast<int>(n), "operator", true);
                return absl::OkStatus();
            }
    return absl::InvalidArgumentError(sim::strCat("cdn: no cache node '", path, "'"));
}

absl::Status CdnEngine::restore(std::string_view path)
{
    for (std::size_t r = 0; r < m_impl->regions.size(); ++r)
        for (std::size_t n = 0; n < m_impl->regions[r].caches.size(); ++n)
            if (m_impl->regions[r].caches[n].path == path) {
                m_impl->restoreNode(static_cast<int>(r), static_cast<int>(n), "operator");
                return absl::OkStatus();
            }
    // A region name restores a drained region.
    for (const auto& reg : m_impl->regions)
        if (reg.name == path)
            return drainRegion(path, false);
    return absl::InvalidArgumentError(sim::strCat("cdn: no cache node or region '", path, "'"));
}

absl::Status CdnEngine::drainRegion(std::string_view region, bool drain)
{
    for (auto& reg : m_impl->regions) {
        if (reg.name == region) {
            reg.drained = drain;
            m_impl->world.events().raise(drain ? "cdn.drain" : "cdn.undrain", m_impl->engineComponent, v1::SEVERITY_INFO,
                                         sim::strCat(region, drain ? " drained: its clients go to the next region" : " serves again"));
            return absl::OkStatus();
        }
    }
    return absl::InvalidArgumentError(sim::strCat("cdn: no CDN region '", region, "'"));
}

absl::Status CdnEngine::updateObject(std::uint64_t object)
{
    Impl& im = *m_impl;
    if (!im.origin->has(object))
        return absl::InvalidArgumentError(sim::strCat("cdn: no object ", object, " at the origin"));
    im.origin->update(object, im.origin->version(object) + 1);
    return absl::OkStatus();
}

absl::Status CdnEngine::preheat(std::string_view target, double value)
{
    Impl& im = *m_impl;
    std::uint64_t id = 0;
    const bool live = target.substr(0, 5) == "live:";
    if (!(live || target.substr(0, 4) == "vod:"))
        return absl::InvalidArgumentError(sim::strCat("cdn: preheat target '", target, "': expected vod:<object> or live:<stream>"));
    const std::string_view num = target.substr(live ? 5 : 4);
    for (char ch : num) {
        if (ch < '0' || ch > '9')
            return absl::InvalidArgumentError(sim::strCat("cdn: preheat target '", target, "': not a number"));
        id = id * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    if (live) {
        // The stream's slot as the gateways key it (a segment id without its segment bits).
        const std::uint32_t slot = reduce(hashU64((kLiveBase >> 20) + id, 0x6c697665ull), kLiveSlots);
        for (auto& reg : im.regions)
            for (auto& gw : reg.gateways)
                gw.slots->preheat(slot, value > 0 ? value : 4 * im.config.slotThreshold);
        ++im.totals.preheats;
        return absl::OkStatus();
    }
    if (!im.origin->has(id))
        return absl::InvalidArgumentError(sim::strCat("cdn: no object ", id, " at the origin"));
    // Fetch the object's first slices to their owners in every region.
    const std::uint64_t size = im.origin->size(id);
    for (auto& reg : im.regions) {
        for (std::uint64_t s = 0; s < size && s < 8 * im.config.sliceBytes; s += im.config.sliceBytes) {
            int node = 0;
            if (im.config.mode == CdnMode::New)
                node = im.ownerOf(reg.gateways.front(), hashU64(s / im.config.sliceBytes, id));
            if (node < 0)
                continue;
            SliceFetch f{id, s, s + im.config.sliceBytes - 1, sim::kNoComponent, 0};
            reg.caches[static_cast<std::size_t>(node)].node->fetch(f, [](const SliceHeader&) {}, [](const SliceReply&) {});
        }
    }
    ++im.totals.preheats;
    return absl::OkStatus();
}

std::vector<CdnInvariant> CdnEngine::invariants() const
{
    const Impl& im = *m_impl;
    const CdnTotals& t = im.totals;
    std::vector<CdnInvariant> out;
    const int w = im.config.effectiveWindow();
    out.push_back({"cdn.body-intact", true, t.badBodies == 0,
                   t.badBodies == 0 ? sim::strCat(t.completed, " bodies checked (", t.digestChecks, " by block digest)")
                                    : sim::strCat(t.badBodies, " bodies differ from the origin's bytes; first: ", im.firstBadBody)});
    out.push_back({"cdn.no-splice", true, t.spliced == 0,
                   sim::strCat(t.spliced, " bodies spliced from two versions; ", t.etagAborts, " requests aborted on an ETag change")});
    const std::uint64_t heldCap = static_cast<std::uint64_t>(w - 1) * im.config.sliceBytes;
    const bool windowOk = t.maxInFlight <= w && (im.config.sabotage.unorderedDelivery || t.maxHeldBytes <= heldCap);
    out.push_back({"cdn.slice-window", true, windowOk,
                   sim::strCat("most sub-requests in flight ", t.maxInFlight, " (window ", w, "), most bytes held ",
                               t.maxHeldBytes, " (cap ", heldCap, ")")});
    int maxFetches = 0;
    for (const auto& reg : im.regions)
        for (const auto& c : reg.caches)
            maxFetches = std::max(maxFetches, c.node->stats().maxFetchesPerKey);
    out.push_back({"cdn.one-origin-fetch-per-slice", true, maxFetches <= 1,
                   sim::strCat("most concurrent upstream fetches of one (node, object, slice): ", maxFetches)});
    out.push_back({"cdn.ring-minimal-move", true, t.ringViolations == 0,
                   t.ringViolations == 0 ? std::string("membership changes moved only the changed node's keys")
                                         : sim::strCat(t.ringViolations, " keys moved between unchanged nodes; first: ", im.firstRingViolation)});
    out.push_back({"cdn.bounded-load", true, t.boundedViolations == 0,
                   t.boundedViolations == 0 ? std::string("no placement above the bounded-load cap")
                                            : sim::strCat(t.boundedViolations, " placements above the cap; first: ", im.firstBoundedViolation)});
    out.push_back({"cdn.ejection-cap", true, im.firstEjectViolation.empty(),
                   im.firstEjectViolation.empty()
                       ? sim::strCat("most cache nodes ejected at once ", im.maxEjectedSeen, ", ", t.ejectionsRefused, " ejections refused by the cap")
                       : im.firstEjectViolation});
    // A gateway has left once the L4's health checks took it out of service (its
    // connections broke), whether or not it is back by the time the flow's next packet
    // comes (docs/CDN.md, "Invariants the engine checks").
    out.push_back({"cdn.l4-affinity", true, t.affinityViolations == 0,
                   t.affinityViolations == 0
                       ? sim::strCat("every flow kept its gateway unless the gateway left the L4's service since the flow was pinned (",
                                     t.flowsMovedAfterLeave, " flows moved after their gateway left)")
                       : sim::strCat(t.affinityViolations, " flows moved although their gateway never left the L4's service; first: ",
                                     im.firstAffinityViolation, " (", t.flowsMovedAfterLeave, " flows moved after their gateway left)")});
    sim::Nanos oldest = -1;
    for (const auto& [id, req] : im.inflight)
        oldest = oldest < 0 ? req.started : std::min(oldest, req.started);
    const bool stuck = oldest >= 0 && im.world.now() - oldest > kStuckAfter;
    out.push_back({"cdn.requests-complete", false, !stuck,
                   stuck ? sim::strCat("a request started at ", sim::toSeconds(oldest), " s has neither completed nor failed")
                         : sim::strCat(im.inflight.size(), " requests in flight, none older than ", sim::toSeconds(kStuckAfter), " s")});
    if (im.config.mode == CdnMode::New) {
        int outNodes = 0;
        for (const auto& reg : im.regions)
            for (const auto& c : reg.caches)
                outNodes += (c.ejected || c.failedAt >= 0) ? 1 : 0;
        out.push_back({"cdn.single-failure-no-loss", false, t.lostToNodeFailure == 0,
                       sim::strCat(t.lostToNodeFailure,
                                   " requests failed upstream with no outage beyond a single node failure on their region's "
                                   "path while they ran",
                                   im.firstLoss.empty() ? std::string() : sim::strCat(" (first: ", im.firstLoss, ")"), "; ",
                                   im.lostBeyondClaim,
                                   " while more than one cache node of the region was out, none of its gateways in service "
                                   "or the origin down or cut off from it",
                                   im.firstBeyondClaim.empty() ? std::string() : sim::strCat(" (first: ", im.firstBeyondClaim, ")"),
                                   "; ", outNodes, " cache nodes out now")});
    }
    return out;
}

std::vector<CdnInvariant> CdnEngine::finalInvariants() const
{
    return invariants();
}

} // namespace livedeck::cdn

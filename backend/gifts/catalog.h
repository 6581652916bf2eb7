// ProductCatalog: product and panel data for the gift engine, read through the KV cache
// the way docs/GIFTS.md describes: "Redis hot-key detection with fallback to an in-process
// cache and singleflight (one fetch per key at a time)", on "a primary/replica pair per
// data centre, reads split from writes; no cross-region sync (it is only a cache)".
//
// Parts it builds (per configured region, default: every region of the topology):
//   "<region>/gifts/catalog"     the catalogue service (CatalogService) over the
//                                CatalogTable generated from the seed;
//   "<region>/gifts/redis"       one KvPair per data centre (a region with several data
//                                centres gets "<region>/gifts/redis/<dc>");
//   "gifts/discovery/catalog"    the ServiceDiscovery the callers use to find a
//                                catalogue instance on a miss (prefers their region);
//   "<caller>/product-cache"     per calling service (the panel, the gateway, the order
//                                service...): its in-process state — a HotKeyDetector,
//                                a LocalCache for the keys it flags hot, a Singleflight.
//
// A lookup (getProduct / getGeneralTab) from caller C:
//   1. C's detector observes the key with the request's weight (every access, cache
//      hits included: a key served locally must stay visible as hot, otherwise it would
//      cool down the moment the cache absorbs it and flap back onto the KV);
//   2. key flagged hot and in C's local cache → answered from memory;
//   3. otherwise a fetch, shared by every concurrent lookup of the key from C when
//      singleflight is on: GET from the chosen KV pair (replica reads);
//   4. KV miss → load from a catalogue instance picked by discovery, then SET the value
//      into that KV pair with the TTL; KV error (rejected, down, timeout) → load from the
//      catalogue without writing back;
//   5. the result goes into C's local cache when the key is hot, and to every waiter.
// Which KV pair (setMode): LocalFirst → the pair of C's own data centre; CrossRegion →
// round robin over the pairs of every data centre in C's city (same-city multi-active,
// docs/GIFTS.md; crossRegionSameCity = false widens it to every data centre), skipping a
// pair C avoids (below) while another candidate is not avoided. Discovery follows the
// mode (LocalFirst / CrossRegion).
//
// Hedged KV reads (CrossRegion with two or more candidate pairs; "The Tail at Scale",
// resilience::HedgedCalls): a GET not answered after kvHedge.fixedDelay (50 ms) is sent
// to the next candidate pair as well; the first answer wins and the other is dropped
// when it comes (the call's slot generation has moved on). A pair behind a partition
// never answers before the KV client timeout (250 ms), which is the panel's whole
// general-tab budget (panel.h): without the backup, such a read leaves the panel
// without its general tab (tests/ctl/drills/gifts-panel-cross-region-partition.yaml).
// Hedges are capped by the HedgePolicy budget (5 % of C's reads over 10 s plus 1/s).
// A pair whose read lost to the backup, or answered Timeout / Unavailable, is avoided
// by C for kvAvoidFor (1 s) and then tried again: a lasting partition costs a few
// hedges per second, not one per read. The avoidance is what C saw, not the network's
// state. kvHedging = false (sabotage switch) reads one pair only, as before.
//
// Weights (docs/ARCHITECTURE.md, property 3): every counter, the detectors and the KV/catalogue
// queues count a request by its weight. A fetch carries the weight of the lookup that
// started it; lookups that join it add nothing downstream (that is what singleflight
// saves). A cache refill stands for the refills of every real process behind the
// emulated one only approximately (one refill per TTL of weight w, where P processes
// would make P refills): the refill rate is small either way.
//
// Contract: callbacks run exactly once, always from a later scheduler event (a local
// hit is delivered by an event at the same time). Single-threaded (the world's
// thread); scheduled events hold a pointer to the catalog: it lives as long as the
// world runs. Pending lookups and fetches sit in pooled slots: steady state does not
// allocate (a catalogue load composes a value, once per miss).
//
// Metrics (weighted counters; component = "<caller>/product-cache" and "" for totals):
// gifts.catalog.lookups, .local_hits, .kv_reads, .kv_hits, .kv_misses, .kv_errors,
// .kv_hedges (backup reads sent), .kv_hedge_wins (fetches the backup answered first),
// .kv_avoids (pairs set aside after a lost hedge or a failed read, unweighted),
// .loads (catalogue loads), .shared (lookups that joined a fetch), .failed,
// .hot_key_kv_reads (KV reads of keys flagged hot when read), .latency (histogram);
// gauges .local_hit_ratio and .kv_hit_ratio (last second), .hot_keys. Events
// "kv.hot_key" / "kv.hot_key_cooled" on the client's component.
//
// Defaults (ours unless marked): KV TTL 5 min ± 20 % (jittered so keys do not expire
// together); the KV is warmed with every key at start (a running system's cache is
// warm; warmKv = false starts cold); hot-key detector and local cache use their
// headers' defaults (1 % of traffic, 5 s half-life; 1 s TTL, 1 024 entries);
// catalogue timeout for lost messages 250 ms (docs/GIFTS.md default cross-service timeout);
// KV hedge delay 50 ms (kCatalogKvHedgeDelay: a fifth of the 250 ms cross-service timeout,
// as resilience::HedgeConfig's initial delay; the same-city round trip is ~1 ms, so a
// healthy read never waits that long), pair avoidance 1 s (ours: one GSLB probe period,
// multi_active.h).
#pragma once

#include "backend/gifts/catalog_service.h"
#include "backend/gifts/catalog_table.h"
#include "backend/gifts/gift_types.h"
#include "backend/infra/discovery.h"
#include "backend/infra/kv_pair.h"
#include "backend/resilience/hedging.h"
#include "backend/resilience/hot_key_detector.h"
#include "backend/resilience/local_cache.h"
#include "backend/resilience/singleflight.h"
#include "backend/telemetry/telemetry.h"

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace livedeck::gifts {

// The delay after which a cross-region KV read asks the next pair too (see header).
inline constexpr sim::Nanos kCatalogKvHedgeDelay = 50 * sim::kMillisecond;

// HedgeConfig defaults with a fixed delay of kCatalogKvHedgeDelay.
resilience::HedgeConfig defaultCatalogKvHedge();

struct CatalogConfig {
    MultiActiveMode mode = MultiActiveMode::LocalFirst;
    bool singleflight = true;      // sabotage switch: false = every lookup fetches on its own
    bool hotKeyLocalCache = true;  // sabotage switch: false = hot keys still go to the KV
    bool kvHedging = true;         // sabotage switch: false = a cross-region read asks one pair only
    resilience::HedgeConfig kvHedge = defaultCatalogKvHedge();
    sim::Nanos kvAvoidFor = 1 * sim::kSecond; // a pair that lost a hedge or failed a read is skipped this long
    bool crossRegionSameCity = true;
    bool warmKv = true;
    sim::Nanos kvTtl = 5 * sim::kMinute;
    double kvTtlJitter = 0.2;
    sim::Nanos serviceTimeout = resilience::kDefaultCrossServiceTimeout;
    CatalogTableConfig table;
    CatalogCostModel cost;
    infra::ServiceConfig service = defaultCatalogServiceConfig();
    infra::KvPairConfig kv;
    resilience::HotKeyConfig hotKeys;
    resilience::LocalCacheConfig localCache;
    std::vector<std::string> regions; // empty: every region of the topology
    // When set, the KV pair of a data centre (index) comes from here (a pair other engines
    // share, docs/GALA.md) instead of one the catalog makes; it may return nullptr (then
    // the catalog makes its own). The catalog does not own a pair it is given.
    std::function<infra::KvPair*(int dataCentre)> sharedPair;

    absl::Status validate() const;
};

struct ProductLookup {
    bool ok = false;
    ProductId product = 0;
    std::int64_t priceCents = 0;
    GiftKind kind = GiftKind::Single;
    sim::Nanos latency = 0;
    bool servedLocally = false;
    bool privileged = false;
};

// Where a general tab (or product) came from.
enum class TabSource : std::uint8_t { None, GatewayCache, LocalCache, Kv, Catalogue };
const char* toString(TabSource source);

struct GeneralTab {
    bool ok = false;
    RoomId room = 0;
    std::uint32_t key = 0;        // catalogue key index (CatalogTable)
    std::uint32_t products = 0;   // gifts on the tab
    std::uint64_t checksum = 0;   // fold of their ids (CatalogTable::decode)
    sim::Nanos latency = 0;
    TabSource source = TabSource::None;
};

// Weighted per-key figures of one region's callers.
struct CatalogKeyStats {
    double lookups = 0.0;
    double localHits = 0.0;
    double kvReads = 0.0;
    double kvHits = 0.0;
    double kvMisses = 0.0;
    double kvErrors = 0.0;
    double loads = 0.0;
    double shared = 0.0;
};

class ProductCatalog final : public sim::Inspectable {
public:
    using ProductCallback = sim::InlineFunction<void(const ProductLookup&), 48>;
    using TabCallback = sim::InlineFunction<void(const GeneralTab&), 48>;
    static constexpr std::string_view kDiscoveryService = "gifts-catalog";

    ProductCatalog(sim::World& world, telemetry::Telemetry& telemetry, CatalogConfig config);
    ~ProductCatalog() override;
    ProductCatalog(const ProductCatalog&) = delete;
    ProductCatalog& operator=(const ProductCatalog&) = delete;

    // Product data for an order or a panel, from the caller's region (see header).
    void getProduct(sim::ComponentId caller, int region, ProductId product, double weight, ProductCallback done);
    // The general tab of a room (its template's or its own), same path.
    void getGeneralTab(sim::ComponentId caller, int region, RoomId room, double weight, TabCallback done);
    // Creates the in-process cache state of a calling service now (else at its first
    // lookup), so its component is registered while the world is wired.
    void registerClient(sim::ComponentId caller, int region);

    void setMode(MultiActiveMode mode);
    MultiActiveMode mode() const { return m_mode; }

    const CatalogTable& table() const { return *m_table; }
    const CatalogConfig& config() const { return m_config; }
    // The KV pair of a data centre (nullptr when it has none) and of a region's first one.
    infra::KvPair* kvPairOfDataCentre(int dataCentre);
    infra::KvPair* kvPairOfRegion(int region);
    const std::vector<infra::KvPair*>& kvPairs() const { return m_pairs; }
    CatalogService* service(int region);
    infra::ServiceDiscovery& discovery() { return *m_discovery; }

    // Figures for tests, drills and the inspector.
    const CatalogKeyStats& keyStats(int region, std::uint32_t key) const;
    CatalogKeyStats regionStats(int region) const; // summed over keys
    bool isHotKey(sim::ComponentId caller, std::uint32_t key) const;
    const resilience::SingleflightStats* flightStats(sim::ComponentId caller) const;
    const resilience::LocalCacheStats* localCacheStats(sim::ComponentId caller) const;
    sim::ComponentId clientComponent(sim::ComponentId caller) const; // kNoComponent when unknown
    std::uint64_t pendingLookups() const { return m_pending.size() - m_freePending.size(); }

    void inspect(sim::StateWriter& out) const override;

private:
    struct FetchResult {
        bool ok = false;
        CatalogEntry entry;
        TabSource source = TabSource::None;
    };
    // One pair's answer to a GET, decoded (what a hedged read carries).
    struct KvAnswer {
        infra::KvStatus status = infra::KvStatus::Ok;
        bool decoded = false; // status Ok and the value parsed
        int pair = 0;
        CatalogEntry entry;
    };
    using KvCalls = resilience::HedgedCalls<KvAnswer, 48, 48>;
    using Flights = resilience::Singleflight<std::uint32_t, FetchResult, 16>;
    using Local = resilience::LocalCache<std::uint32_t, CatalogEntry>;

    struct Metrics {
        telemetry::Counter* lookups = nullptr;
        telemetry::Counter* localHits = nullptr;
        telemetry::Counter* kvReads = nullptr;
        telemetry::Counter* kvHits = nullptr;
        telemetry::Counter* kvMisses = nullptr;
        telemetry::Counter* kvErrors = nullptr;
        telemetry::Counter* kvHedges = nullptr;
        telemetry::Counter* kvHedgeWins = nullptr;
        telemetry::Counter* kvAvoids = nullptr;
        telemetry::Counter* loads = nullptr;
        telemetry::Counter* shared = nullptr;
        telemetry::Counter* failed = nullptr;
        telemetry::Counter* hotKvReads = nullptr;
        telemetry::Histogram* latency = nullptr;
        telemetry::Gauge* localHitRatio = nullptr;
        telemetry::Gauge* kvHitRatio = nullptr;
        telemetry::Gauge* hotKeys = nullptr;
        double lastLookups = 0.0; // for the per-second ratios
        double lastLocalHits = 0.0;
        double lastKvReads = 0.0;
        double lastKvHits = 0.0;
        void bind(telemetry::MetricsRegistry& registry, std::string_view component);
        void tick();
    };

    struct Client final : sim::Inspectable {
        const ProductCatalog* owner = nullptr;
        sim::ComponentId caller = sim::kNoComponent;
        sim::ComponentId component = sim::kNoComponent;
        std::string path;
        int region = 0;
        int localPair = 0;
        std::vector<int> cityPairs; // CrossRegion candidates
        std::vector<int> allPairs;
        std::uint32_t nextPair = 0;
        std::vector<sim::Nanos> avoidUntil; // by pair index: skipped by pickPair until then
        std::unique_ptr<resilience::HedgePolicy> hedgePolicy;
        std::unique_ptr<KvCalls> hedged; // CrossRegion reads (null: fewer than two candidates)
        std::unique_ptr<resilience::HotKeyDetector> detector;
        std::unique_ptr<Local> local;
        std::unique_ptr<Flights> flights;
        std::vector<std::uint8_t> hot; // by key
        std::uint32_t hotCount = 0;
        Metrics metrics;
        void inspect(sim::StateWriter& out) const override;
    };

    struct Pending {
        ProductCallback productDone;
        TabCallback tabDone;
        FetchResult result;
        sim::Nanos start = 0;
        double weight = 1.0;
        std::uint32_t client = 0;
        std::uint32_t key = 0;
        ProductId product = 0;
        RoomId room = 0;
        bool isTab = false;
    };

    struct Fetch {
        std::optional<Flights::Completion> completion;
        sim::Nanos start = 0;
        double weight = 1.0;
        std::uint32_t client = 0;
        std::uint32_t key = 0;
        std::uint32_t pending = 0;
        int pair = 0;
    };

    std::uint32_t clientFor(sim::ComponentId caller, int region);
    std::uint32_t allocPending();
    std::uint32_t allocFetch();
    void lookup(std::uint32_t client, std::uint32_t key, double weight, std::uint32_t pending);
    void startFetch(std::uint32_t client, std::uint32_t key, double weight, const Flights::Completion* completion,
                    std::uint32_t pending);
    const std::vector<int>& candidatePairs(const Client& c) const;
    int pickPair(Client& c);
    int backupPair(const Client& c, int primary) const;
    void avoidPair(Client& c, int pair);
    KvAnswer decodeAnswer(const infra::KvReply& reply, int pair) const;
    void onKvAnswer(std::uint32_t fetch, const KvAnswer& answer);
    void loadFromCatalogue(std::uint32_t fetch, bool writeBack);
    void onCatalogueReply(std::uint32_t fetch, infra::InstanceId instance, bool writeBack,
                          const CatalogService::Reply& reply);
    void finish(std::uint32_t fetch, const FetchResult& result);
    void deliver(std::uint32_t pending, bool shared);
    void deliverLater(std::uint32_t pending);
    void onHotKey(std::uint32_t client, const resilience::HotKeyEvent& event);
    sim::Nanos ttlFor(std::uint32_t key);
    void warm();
    void tick();
    CatalogKeyStats& stats(const Client& c, std::uint32_t key) { return m_keyStats[static_cast<std::size_t>(c.region)][key]; }

    sim::World& m_world;
    telemetry::Telemetry& m_telemetry;
    CatalogConfig m_config;
    MultiActiveMode m_mode;
    std::unique_ptr<CatalogTable> m_table;
    sim::RandomStream m_rng;
    std::vector<std::uint64_t> m_keyIds;                         // detector id of each key
    absl::flat_hash_map<std::uint64_t, std::uint32_t> m_keyOfId; // detector id → key
    std::vector<int> m_regions;                                  // configured region indices
    std::vector<std::unique_ptr<CatalogService>> m_services;     // by region index (null: none)
    absl::flat_hash_map<sim::ComponentId, CatalogService*> m_serviceByComponent;
    std::vector<infra::KvPair*> m_pairs;
    std::vector<std::unique_ptr<infra::KvPair>> m_ownedPairs;    // the pairs the catalog made
    std::vector<int> m_pairOfDc;                                 // by data-centre index, -1 = none
    std::vector<int> m_pairCity;                                 // city id of each pair
    std::unique_ptr<infra::ServiceDiscovery> m_discovery;
    std::deque<Client> m_clients;
    absl::flat_hash_map<sim::ComponentId, std::uint32_t> m_clientOf;
    std::deque<Pending> m_pending;
    std::vector<std::uint32_t> m_freePending;
    std::deque<Fetch> m_fetches;
    std::vector<std::uint32_t> m_freeFetches;
    std::vector<std::vector<CatalogKeyStats>> m_keyStats; // [region][key]
    Metrics m_totals;
    sim::EventKindId m_deliverKind;
    sim::EventKindId m_tickKind;
    sim::EventKindId m_hotKeyKind;
    sim::EventKindId m_hedgeKind;
};

} // namespace livedeck::gifts

#include "backend/gifts/catalog.h"

#include <algorithm>
#include <cassert>
#include <map>

namespace livedeck::gifts {
namespace {

std::string regionListText(const std::vector<std::string>& regions)
{
    std::string s;
    for (const std::string& r : regions)
        s = s.empty() ? r : sim::strCat(s, ", ", r);
    return s;
}

} // namespace

const char* toString(TabSource source)
{
    switch (source) {
    case TabSource::None:
        return "none";
    case TabSource::GatewayCache:
        return "gateway-cache";
    case TabSource::LocalCache:
        return "local-cache";
    case TabSource::Kv:
        return "kv";
    case TabSource::Catalogue:
        return "catalogue";
    }
    return "?";
}

resilience::HedgeConfig defaultCatalogKvHedge()
{
    resilience::HedgeConfig h;
    h.fixedDelay = kCatalogKvHedgeDelay;
    return h;
}

absl::Status CatalogConfig::validate() const
{
    if (table.products == 0 || table.templates == 0 || table.generalTabSize == 0)
        return absl::InvalidArgumentError("catalog: products, templates and generalTabSize must be > 0");
    if (kvTtl <= 0)
        return absl::InvalidArgumentError("catalog: kvTtl must be > 0");
    if (kvTtlJitter < 0.0 || kvTtlJitter >= 1.0)
        return absl::InvalidArgumentError(sim::strCat("catalog: kvTtlJitter ", kvTtlJitter, " must be in [0, 1)"));
    if (localCache.capacity == 0 || localCache.ttl <= 0)
        return absl::InvalidArgumentError("catalog: the local cache needs a capacity and a TTL > 0");
    if (service.concurrency <= 0.0)
        return absl::InvalidArgumentError("catalog: the catalogue service needs concurrency > 0");
    if (kvHedging && (kvHedge.fixedDelay <= 0 || kvHedge.fixedDelay >= kv.clientTimeout))
        return absl::InvalidArgumentError(sim::strCat("catalog: the KV hedge delay ", sim::toMillis(kvHedge.fixedDelay),
                                                      " ms must be > 0 and below the KV client timeout (",
                                                      sim::toMillis(kv.clientTimeout), " ms)"));
    if (kvAvoidFor < 0)
        return absl::InvalidArgumentError("catalog: kvAvoidFor must be >= 0");
    return absl::OkStatus();
}

// ------------------------------------------------------------------ metrics

void ProductCatalog::Metrics::bind(telemetry::MetricsRegistry& r, std::string_view component)
{
    lookups = &r.counter("gifts.catalog.lookups", component);
    localHits = &r.counter("gifts.catalog.local_hits", component);
    kvReads = &r.counter("gifts.catalog.kv_reads", component);
    kvHits = &r.counter("gifts.catalog.kv_hits", component);
    kvMisses = &r.counter("gifts.catalog.kv_misses", component);
    kvErrors = &r.counter("gifts.catalog.kv_errors", component);
    kvHedges = &r.counter("gifts.catalog.kv_hedges", component);
    kvHedgeWins = &r.counter("gifts.catalog.kv_hedge_wins", component);
    kvAvoids = &r.counter("gifts.catalog.kv_avoids", component);
    loads = &r.counter("gifts.catalog.loads", component);
    shared = &r.counter("gifts.catalog.shared", component);
    failed = &r.counter("gifts.catalog.failed", component);
    hotKvReads = &r.counter("gifts.catalog.hot_key_kv_reads", component);
    latency = &r.histogram("gifts.catalog.latency", component);
    localHitRatio = &r.gauge("gifts.catalog.local_hit_ratio", component);
    kvHitRatio = &r.gauge("gifts.catalog.kv_hit_ratio", component);
    hotKeys = &r.gauge("gifts.catalog.hot_keys", component);
}

void ProductCatalog::Metrics::tick()
{
    const double l = lookups->total() - lastLookups;
    if (l > 0)
        localHitRatio->set((localHits->total() - lastLocalHits) / l);
    const double k = kvReads->total() - lastKvReads;
    if (k > 0)
        kvHitRatio->set((kvHits->total() - lastKvHits) / k);
    lastLookups = lookups->total();
    lastLocalHits = localHits->total();
    lastKvReads = kvReads->total();
    lastKvHits = kvHits->total();
}

// ------------------------------------------------------------------ construction

ProductCatalog::ProductCatalog(sim::World& world, telemetry::Telemetry& telemetry, CatalogConfig config)
    : m_world(world),
      m_telemetry(telemetry),
      m_config(std::move(config)),
      m_mode(m_config.mode),
      m_rng(world.stream("gifts/catalog#ttl")),
      m_deliverKind(world.kind("gifts.catalog.deliver")),
      m_tickKind(world.kind("gifts.catalog.tick")),
      m_hotKeyKind(world.kind("gifts.catalog.hot_key")),
      m_hedgeKind(world.kind("gifts.catalog.kv_hedge"))
{
    if (const absl::Status st = m_config.validate(); !st.ok()) {
        std::fprintf(stderr, "livedeck: %s\n", std::string(st.message()).c_str());
        std::abort();
    }
    const sim::Topology& topo = world.topology();
    m_table = std::make_unique<CatalogTable>(world.stream("gifts/catalog/table"), m_config.table);
    m_keyIds.resize(m_table->keyCount());
    for (std::uint32_t k = 0; k < m_table->keyCount(); ++k) {
        m_keyIds[k] = resilience::HotKeyDetector::keyOf(m_table->keyName(k));
        m_keyOfId.emplace(m_keyIds[k], k);
    }

    // Regions: the configured ones in topology order (all by default).
    for (int r = 0; r < static_cast<int>(topo.regions().size()); ++r) {
        const std::string& name = topo.regions()[static_cast<std::size_t>(r)].name;
        if (m_config.regions.empty()
            || std::find(m_config.regions.begin(), m_config.regions.end(), name) != m_config.regions.end())
            m_regions.push_back(r);
    }
    if (m_regions.empty()) {
        std::fprintf(stderr, "livedeck: catalog: none of the regions [%s] is in the topology\n",
                     regionListText(m_config.regions).c_str());
        std::abort();
    }

    telemetry::MetricsRegistry& metrics = telemetry.metrics();
    infra::DiscoveryConfig dc;
    dc.mode = m_mode == MultiActiveMode::LocalFirst ? infra::DiscoveryMode::LocalFirst : infra::DiscoveryMode::CrossRegion;
    m_discovery = std::make_unique<infra::ServiceDiscovery>(world, "gifts/discovery/catalog", dc, &metrics);

    // City ids in order of first appearance (deterministic).
    std::map<std::string, int> cities;
    for (const sim::RegionSpec& r : topo.regions())
        cities.emplace(r.city, static_cast<int>(cities.size()));

    m_services.resize(topo.regions().size());
    m_pairOfDc.assign(topo.dataCentres().size(), -1);
    m_keyStats.assign(topo.regions().size(), std::vector<CatalogKeyStats>(m_table->keyCount()));
    for (int r : m_regions) {
        const sim::RegionSpec& spec = topo.regions()[static_cast<std::size_t>(r)];
        auto svc = std::make_unique<CatalogService>(world, &metrics, sim::strCat(spec.name, "/gifts/catalog"), *m_table,
                                                    m_config.service, m_config.cost, m_config.serviceTimeout);
        m_serviceByComponent.emplace(svc->component(), svc.get());
        const auto id = m_discovery->registerInstance(kDiscoveryService, sim::strCat("catalog-", spec.name),
                                                      svc->component());
        assert(id.ok());
        (void)id;
        m_services[static_cast<std::size_t>(r)] = std::move(svc);
        for (int dcIndex : spec.dataCentres) {
            const std::string& dcName = topo.dataCentres()[static_cast<std::size_t>(dcIndex)].name;
            const std::string path = spec.dataCentres.size() == 1 ? sim::strCat(spec.name, "/gifts/redis")
                                                                  : sim::strCat(spec.name, "/gifts/redis/", dcName);
            m_pairOfDc[static_cast<std::size_t>(dcIndex)] = static_cast<int>(m_pairs.size());
            m_pairCity.push_back(cities[spec.city]);
            infra::KvPair* pair = m_config.sharedPair ? m_config.sharedPair(dcIndex) : nullptr;
            if (!pair) {
                m_ownedPairs.push_back(std::make_unique<infra::KvPair>(world, path, dcName, m_config.kv, &metrics));
                pair = m_ownedPairs.back().get();
            }
            m_pairs.push_back(pair);
        }
    }
    m_totals.bind(metrics, {});
    if (m_config.warmKv)
        warm();
    m_world.after(sim::kSecond, m_tickKind, sim::kNoComponent, [this] { tick(); });
}

ProductCatalog::~ProductCatalog() = default;

void ProductCatalog::warm()
{
    std::string value;
    for (std::size_t p = 0; p < m_pairs.size(); ++p) {
        infra::KvPair& pair = *m_pairs[p];
        const int region = m_world.components().get(pair.component()).region;
        const CatalogService* svc = service(region);
        const sim::ComponentId from = svc ? svc->component() : pair.component();
        for (std::uint32_t k = 0; k < m_table->keyCount(); ++k) {
            m_table->encode(k, value);
            pair.set(from, m_table->keyName(k), value, ttlFor(k), 1.0, [](const infra::KvReply&) {});
        }
    }
}

sim::Nanos ProductCatalog::ttlFor(std::uint32_t)
{
    const double j = m_config.kvTtlJitter > 0 ? m_rng.uniform(-m_config.kvTtlJitter, m_config.kvTtlJitter) : 0.0;
    return static_cast<sim::Nanos>(static_cast<double>(m_config.kvTtl) * (1.0 + j));
}

infra::KvPair* ProductCatalog::kvPairOfDataCentre(int dataCentre)
{
    if (dataCentre < 0 || static_cast<std::size_t>(dataCentre) >= m_pairOfDc.size())
        return nullptr;
    const int p = m_pairOfDc[static_cast<std::size_t>(dataCentre)];
    return p < 0 ? nullptr : m_pairs[static_cast<std::size_t>(p)];
}

infra::KvPair* ProductCatalog::kvPairOfRegion(int region)
{
    const auto& regions = m_world.topology().regions();
    if (region < 0 || static_cast<std::size_t>(region) >= regions.size())
        return nullptr;
    for (int dc : regions[static_cast<std::size_t>(region)].dataCentres)
        if (infra::KvPair* p = kvPairOfDataCentre(dc))
            return p;
    return nullptr;
}

CatalogService* ProductCatalog::service(int region)
{
    if (region < 0 || static_cast<std::size_t>(region) >= m_services.size())
        return nullptr;
    return m_services[static_cast<std::size_t>(region)].get();
}

void ProductCatalog::setMode(MultiActiveMode mode)
{
    m_mode = mode;
    m_discovery->setMode(mode == MultiActiveMode::LocalFirst ? infra::DiscoveryMode::LocalFirst
                                                             : infra::DiscoveryMode::CrossRegion);
}

// ------------------------------------------------------------------ clients

void ProductCatalog::registerClient(sim::ComponentId caller, int region)
{
    clientFor(caller, region);
}

std::uint32_t ProductCatalog::clientFor(sim::ComponentId caller, int region)
{
    if (const auto it = m_clientOf.find(caller); it != m_clientOf.end())
        return it->second;
    const sim::Topology& topo = m_world.topology();
    assert(region >= 0 && static_cast<std::size_t>(region) < topo.regions().size());
    const std::uint32_t index = static_cast<std::uint32_t>(m_clients.size());
    Client& c = m_clients.emplace_back();
    c.owner = this;
    c.caller = caller;
    c.region = region;
    const sim::ComponentInfo& info = m_world.components().get(caller);
    const std::string& regionName = topo.regions()[static_cast<std::size_t>(region)].name;
    c.path = info.path.empty() || caller == sim::kNoComponent
        ? sim::strCat(regionName, "/gifts/catalog-client/", index)
        : sim::strCat(info.path, "/product-cache");
    int dataCentre = info.dataCentre;
    if (dataCentre < 0 || topo.dataCentres()[static_cast<std::size_t>(dataCentre)].region != region) {
        const auto& dcs = topo.regions()[static_cast<std::size_t>(region)].dataCentres;
        dataCentre = dcs.empty() ? -1 : dcs.front();
    }
    const std::string dcName = dataCentre >= 0 ? topo.dataCentres()[static_cast<std::size_t>(dataCentre)].name : "";
    c.component = m_world.components().mustAdd(c.path, "product-cache", dcName, &c);
    // The local pair: the caller's data centre, else its region's first, else the first.
    c.localPair = 0;
    const int own = dataCentre >= 0 ? m_pairOfDc[static_cast<std::size_t>(dataCentre)] : -1;
    if (own >= 0) {
        c.localPair = own;
    } else if (const infra::KvPair* p = kvPairOfRegion(region)) {
        for (std::size_t i = 0; i < m_pairs.size(); ++i)
            if (m_pairs[i] == p)
                c.localPair = static_cast<int>(i);
    }
    std::map<std::string, int> cities;
    for (const sim::RegionSpec& r : topo.regions())
        cities.emplace(r.city, static_cast<int>(cities.size()));
    const int city = cities[topo.regions()[static_cast<std::size_t>(region)].city];
    for (std::size_t i = 0; i < m_pairs.size(); ++i) {
        c.allPairs.push_back(static_cast<int>(i));
        if (m_pairCity[i] == city)
            c.cityPairs.push_back(static_cast<int>(i));
    }
    if (c.cityPairs.empty())
        c.cityPairs.push_back(c.localPair);
    c.avoidUntil.assign(m_pairs.size(), 0);
    if (m_config.kvHedging && candidatePairs(c).size() >= 2) {
        c.hedgePolicy = std::make_unique<resilience::HedgePolicy>(m_world.clock(), m_config.kvHedge);
        c.hedged = std::make_unique<KvCalls>(m_world.scheduler(), *c.hedgePolicy, m_hedgeKind, c.component);
    }
    c.detector = std::make_unique<resilience::HotKeyDetector>(m_world.clock(), m_config.hotKeys);
    c.detector->setEventCallback([this, index](const resilience::HotKeyEvent& e) { onHotKey(index, e); });
    c.local = std::make_unique<Local>(m_world.clock(), m_config.localCache);
    c.flights = std::make_unique<Flights>();
    c.hot.assign(m_table->keyCount(), 0);
    c.metrics.bind(m_telemetry.metrics(), c.path);
    m_clientOf.emplace(caller, index);
    return index;
}

void ProductCatalog::onHotKey(std::uint32_t client, const resilience::HotKeyEvent& e)
{
    const auto it = m_keyOfId.find(e.key);
    if (it == m_keyOfId.end())
        return;
    Client& c = m_clients[client];
    const std::uint32_t key = it->second;
    const bool wasHot = c.hot[key] != 0;
    if (wasHot == e.hot)
        return;
    c.hot[key] = e.hot ? 1 : 0;
    c.hotCount = e.hot ? c.hotCount + 1 : c.hotCount - 1;
    c.metrics.hotKeys->set(c.hotCount);
    if (!e.hot)
        c.local->erase(key);
    m_world.events().raise(e.hot ? "kv.hot_key" : "kv.hot_key_cooled", c.component,
                           e.hot ? v1::SEVERITY_WARNING : v1::SEVERITY_INFO,
                           sim::strFormat("%s: key %s %s (%.0f req/s, %.1f %% of this caller's lookups)%s",
                                          c.path.c_str(), m_table->keyName(key).c_str(),
                                          e.hot ? "is hot" : "cooled down", e.ratePerSec, 100.0 * e.share,
                                          e.hot && m_config.hotKeyLocalCache ? ", served from the in-process cache"
                                                                             : ""),
                           {{"key", m_table->keyName(key)},
                            {"rate_per_sec", sim::strFormat("%.1f", e.ratePerSec)},
                            {"share", sim::strFormat("%.4f", e.share)}});
}

bool ProductCatalog::isHotKey(sim::ComponentId caller, std::uint32_t key) const
{
    const auto it = m_clientOf.find(caller);
    return it != m_clientOf.end() && key < m_table->keyCount() && m_clients[it->second].hot[key] != 0;
}

const resilience::SingleflightStats* ProductCatalog::flightStats(sim::ComponentId caller) const
{
    const auto it = m_clientOf.find(caller);
    return it == m_clientOf.end() ? nullptr : &m_clients[it->second].flights->stats();
}

const resilience::LocalCacheStats* ProductCatalog::localCacheStats(sim::ComponentId caller) const
{
    const auto it = m_clientOf.find(caller);
    return it == m_clientOf.end() ? nullptr : &m_clients[it->second].local->stats();
}

sim::ComponentId ProductCatalog::clientComponent(sim::ComponentId caller) const
{
    const auto it = m_clientOf.find(caller);
    return it == m_clientOf.end() ? sim::kNoComponent : m_clients[it->second].component;
}

const CatalogKeyStats& ProductCatalog::keyStats(int region, std::uint32_t key) const
{
    return m_keyStats[static_cast<std::size_t>(region)][key];
}

CatalogKeyStats ProductCatalog::regionStats(int region) const
{
    CatalogKeyStats sum;
    for (const CatalogKeyStats& s : m_keyStats[static_cast<std::size_t>(region)]) {
        sum.lookups += s.lookups;
        sum.localHits += s.localHits;
        sum.kvReads += s.kvReads;
        sum.kvHits += s.kvHits;
        sum.kvMisses += s.kvMisses;
        sum.kvErrors += s.kvErrors;
        sum.loads += s.loads;
        sum.shared += s.shared;
    }
    return sum;
}

// ------------------------------------------------------------------ lookups

std::uint32_t ProductCatalog::allocPending()
{
    if (!m_freePending.empty()) {
        const std::uint32_t i = m_freePending.back();
        m_freePending.pop_back();
        return i;
    }
    m_pending.emplace_back();
    return static_cast<std::uint32_t>(m_pending.size() - 1);
}

std::uint32_t ProductCatalog::allocFetch()
{
    if (!m_freeFetches.empty()) {
        const std::uint32_t i = m_freeFetches.back();
        m_freeFetches.pop_back();
        return i;
    }
    m_fetches.emplace_back();
    return static_cast<std::uint32_t>(m_fetches.size() - 1);
}

void ProductCatalog::getProduct(sim::ComponentId caller, int region, ProductId product, double weight,
                                ProductCallback done)
{
    const std::uint32_t client = clientFor(caller, region);
    const std::uint32_t p = allocPending();
    Pending& pd = m_pending[p];
    pd.productDone = std::move(done);
    pd.isTab = false;
    pd.product = product;
    pd.room = 0;
    pd.client = client;
    pd.weight = weight;
    pd.start = m_world.now();
    pd.result = FetchResult{};
    const std::uint32_t key = m_table->productKey(product);
    if (key == CatalogTable::kNoKey) {
        deliverLater(p); // unknown product: a failed lookup
        return;
    }
    pd.key = key;
    lookup(client, key, weight, p);
}

void ProductCatalog::getGeneralTab(sim::ComponentId caller, int region, RoomId room, double weight, TabCallback done)
{
    const std::uint32_t client = clientFor(caller, region);
    const std::uint32_t p = allocPending();
    Pending& pd = m_pending[p];
    pd.tabDone = std::move(done);
    pd.isTab = true;
    pd.product = 0;
    pd.room = room;
    pd.client = client;
    pd.weight = weight;
    pd.start = m_world.now();
    pd.result = FetchResult{};
    pd.key = m_table->roomKey(room);
    lookup(client, pd.key, weight, p);
}

void ProductCatalog::lookup(std::uint32_t client, std::uint32_t key, double weight, std::uint32_t pending)
{
    Client& c = m_clients[client];
    c.detector->observe(m_keyIds[key], weight);
    CatalogKeyStats& ks = stats(c, key);
    ks.lookups += weight;
    c.metrics.lookups->add(weight);
    m_totals.lookups->add(weight);
    if (m_config.hotKeyLocalCache && c.hot[key]) {
        if (const CatalogEntry* e = c.local->get(key)) {
            ks.localHits += weight;
            c.metrics.localHits->add(weight);
            m_totals.localHits->add(weight);
            m_pending[pending].result = FetchResult{true, *e, TabSource::LocalCache};
            deliverLater(pending);
            return;
        }
    }
    if (!m_config.singleflight) {
        startFetch(client, key, weight, nullptr, pending);
        return;
    }
    const bool leader = c.flights->call(
        key,
        [this, client, key, weight, pending](const Flights::Completion& done) {
            startFetch(client, key, weight, &done, pending);
        },
        [this, pending](const FetchResult& r, bool shared) {
            m_pending[pending].result = r;
            deliver(pending, shared);
        });
    if (!leader) {
        ks.shared += weight;
        c.metrics.shared->add(weight);
        m_totals.shared->add(weight);
    }
}

const std::vector<int>& ProductCatalog::candidatePairs(const Client& c) const
{
    return m_config.crossRegionSameCity ? c.cityPairs : c.allPairs;
}

int ProductCatalog::pickPair(Client& c)
{
    if (m_mode == MultiActiveMode::LocalFirst)
        return c.localPair;
    const std::vector<int>& candidates = candidatePairs(c);
    const sim::Nanos now = m_world.now();
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const int p = candidates[c.nextPair++ % candidates.size()];
        if (c.avoidUntil[static_cast<std::size_t>(p)] <= now)
            return p;
    }
    return candidates[c.nextPair++ % candidates.size()]; // every candidate avoided: plain round robin
}

int ProductCatalog::backupPair(const Client& c, int primary) const
{
    // The candidate after the primary in C's list that C does not avoid, else the next one.
    const std::vector<int>& candidates = candidatePairs(c);
    const auto it = std::find(candidates.begin(), candidates.end(), primary);
    const std::size_t at = it == candidates.end() ? 0 : static_cast<std::size_t>(it - candidates.begin());
    const sim::Nanos now = m_world.now();
    int fallback = -1;
    for (std::size_t i = 1; i <= candidates.size(); ++i) {
        const int p = candidates[(at + i) % candidates.size()];
        if (p == primary)
            continue;
        if (c.avoidUntil[static_cast<std::size_t>(p)] <= now)
            return p;
        if (fallback < 0)
            fallback = p;
    }
    return fallback >= 0 ? fallback : primary;
}

void ProductCatalog::avoidPair(Client& c, int pair)
{
    sim::Nanos& until = c.avoidUntil[static_cast<std::size_t>(pair)];
    if (until <= m_world.now()) {
        c.metrics.kvAvoids->add(1.0);
        m_totals.kvAvoids->add(1.0);
    }
    until = m_world.now() + m_config.kvAvoidFor;
}

ProductCatalog::KvAnswer ProductCatalog::decodeAnswer(const infra::KvReply& reply, int pair) const
{
    KvAnswer a;
    a.status = reply.status;
    a.pair = pair;
    a.decoded = reply.ok() && CatalogTable::decode(reply.value, a.entry);
    return a;
}

void ProductCatalog::startFetch(std::uint32_t client, std::uint32_t key, double weight,
                                const Flights::Completion* completion, std::uint32_t pending)
{
    const std::uint32_t fi = allocFetch();
    Fetch& f = m_fetches[fi];
    if (completion)
        f.completion = *completion;
    else
        f.completion.reset();
    f.client = client;
    f.key = key;
    f.pending = pending;
    f.weight = weight;
    f.start = m_world.now();
    Client& c = m_clients[client];
    f.pair = pickPair(c);
    CatalogKeyStats& ks = stats(c, key);
    ks.kvReads += weight;
    c.metrics.kvReads->add(weight);
    m_totals.kvReads->add(weight);
    if (c.hot[key]) {
        c.metrics.hotKvReads->add(weight);
        m_totals.hotKvReads->add(weight);
    }
    if (m_mode == MultiActiveMode::LocalFirst || !c.hedged) {
        const int pair = f.pair;
        m_pairs[static_cast<std::size_t>(pair)]->get(c.caller, m_table->keyName(key), weight,
                                                     [this, fi, pair](const infra::KvReply& r) {
                                                         onKvAnswer(fi, decodeAnswer(r, pair));
                                                     });
        return;
    }
    // Hedged: attempt 0 to the picked pair, attempt 1 (after the hedge delay) to the next.
    c.hedged->call(
        [this, fi](int attempt, KvCalls::AttemptDone done) -> KvCalls::Cancel {
            Fetch& ft = m_fetches[fi];
            Client& cl = m_clients[ft.client];
            const int pair = attempt == 0 ? ft.pair : backupPair(cl, ft.pair);
            if (attempt == 1) {
                cl.metrics.kvHedges->add(ft.weight);
                m_totals.kvHedges->add(ft.weight);
            }
            m_pairs[static_cast<std::size_t>(pair)]->get(cl.caller, m_table->keyName(ft.key), ft.weight,
                                                         [this, done, pair](const infra::KvReply& r) {
                                                             done(decodeAnswer(r, pair));
                                                         });
            return {}; // a KV GET cannot be called back: the loser's answer is dropped when it comes
        },
        [this, fi](const KvAnswer& answer, const KvCalls::Outcome& outcome) {
            Fetch& ft = m_fetches[fi];
            Client& cl = m_clients[ft.client];
            if (outcome.winner == 1) {
                cl.metrics.kvHedgeWins->add(ft.weight);
                m_totals.kvHedgeWins->add(ft.weight);
                avoidPair(cl, ft.pair); // the primary was slower than the hedge delay and the backup
            }
            onKvAnswer(fi, answer);
        });
}

void ProductCatalog::onKvAnswer(std::uint32_t fi, const KvAnswer& answer)
{
    Fetch& f = m_fetches[fi];
    Client& c = m_clients[f.client];
    f.pair = answer.pair; // a miss is written back to the pair that answered
    CatalogKeyStats& ks = stats(c, f.key);
    if (answer.decoded) {
        FetchResult r{true, answer.entry, TabSource::Kv};
        ks.kvHits += f.weight;
        c.metrics.kvHits->add(f.weight);
        m_totals.kvHits->add(f.weight);
        finish(fi, r);
        return;
    }
    // A value that does not parse is treated like a miss: reload and overwrite it.
    if (answer.status == infra::KvStatus::NotFound || answer.status == infra::KvStatus::Ok) {
        ks.kvMisses += f.weight;
        c.metrics.kvMisses->add(f.weight);
        m_totals.kvMisses->add(f.weight);
        loadFromCatalogue(fi, true);
        return;
    }
    if (m_mode != MultiActiveMode::LocalFirst
        && (answer.status == infra::KvStatus::Timeout || answer.status == infra::KvStatus::Unavailable))
        avoidPair(c, answer.pair);
    ks.kvErrors += f.weight;
    c.metrics.kvErrors->add(f.weight);
    m_totals.kvErrors->add(f.weight);
    loadFromCatalogue(fi, false);
}

void ProductCatalog::loadFromCatalogue(std::uint32_t fi, bool writeBack)
{
    Fetch& f = m_fetches[fi];
    Client& c = m_clients[f.client];
    const infra::PickResult pick = m_discovery->pick(kDiscoveryService, c.caller);
    const auto it = pick ? m_serviceByComponent.find(pick.instance->component) : m_serviceByComponent.end();
    if (it == m_serviceByComponent.end()) {
        finish(fi, FetchResult{});
        return;
    }
    CatalogKeyStats& ks = stats(c, f.key);
    ks.loads += f.weight;
    c.metrics.loads->add(f.weight);
    m_totals.loads->add(f.weight);
    const infra::InstanceId instance = pick.instance->id;
    it->second->load(c.caller, f.key, f.weight, [this, fi, instance, writeBack](const CatalogService::Reply& r) {
        onCatalogueReply(fi, instance, writeBack, r);
    });
}

void ProductCatalog::onCatalogueReply(std::uint32_t fi, infra::InstanceId instance, bool writeBack,
                                      const CatalogService::Reply& reply)
{
    m_discovery->reportResult(instance, reply.ok());
    FetchResult r;
    if (reply.ok() && CatalogTable::decode(*reply.value, r.entry)) {
        r.ok = true;
        r.source = TabSource::Catalogue;
        const Fetch& f = m_fetches[fi];
        if (writeBack) {
            m_pairs[static_cast<std::size_t>(f.pair)]->set(m_clients[f.client].caller, m_table->keyName(f.key),
                                                           *reply.value, ttlFor(f.key), f.weight,
                                                           [](const infra::KvReply&) {});
        }
    }
    finish(fi, r);
}

void ProductCatalog::finish(std::uint32_t fi, const FetchResult& result)
{
    Fetch& f = m_fetches[fi];
    const std::optional<Flights::Completion> completion = f.completion;
    const std::uint32_t pending = f.pending;
    const std::uint32_t key = f.key;
    Client& c = m_clients[f.client];
    m_freeFetches.push_back(fi);
    if (result.ok && m_config.hotKeyLocalCache && c.hot[key])
        c.local->put(key, result.entry);
    if (completion) {
        (*completion)(result); // delivers to every lookup that shared the fetch
        return;
    }
    m_pending[pending].result = result;
    deliver(pending, false);
}

void ProductCatalog::deliverLater(std::uint32_t pending)
{
    const Client& c = m_clients[m_pending[pending].client];
    m_world.after(0, m_deliverKind, c.component, [this, pending] { deliver(pending, false); });
}

void ProductCatalog::deliver(std::uint32_t p, bool)
{
    Pending& pd = m_pending[p];
    Client& c = m_clients[pd.client];
    const sim::Nanos latency = m_world.now() - pd.start;
    const FetchResult result = pd.result;
    c.metrics.latency->record(latency, pd.weight);
    m_totals.latency->record(latency, pd.weight);
    if (pd.isTab) {
        GeneralTab t;
        t.ok = result.ok && !result.entry.isProduct;
        t.room = pd.room;
        t.key = pd.key;
        t.products = t.ok ? result.entry.items : 0;
        t.checksum = t.ok ? result.entry.checksum : 0;
        t.latency = latency;
        t.source = t.ok ? result.source : TabSource::None;
        if (!t.ok) {
            c.metrics.failed->add(pd.weight);
            m_totals.failed->add(pd.weight);
        }
        TabCallback done = std::move(pd.tabDone);
        m_freePending.push_back(p);
        done(t);
        return;
    }
    ProductLookup l;
    l.ok = result.ok && result.entry.isProduct && result.entry.product == pd.product;
    l.product = pd.product;
    l.latency = latency;
    if (l.ok) {
        l.priceCents = result.entry.priceCents;
        l.kind = result.entry.kind;
        l.privileged = result.entry.privileged;
        l.servedLocally = result.source == TabSource::LocalCache;
    } else {
        c.metrics.failed->add(pd.weight);
        m_totals.failed->add(pd.weight);
    }
    ProductCallback done = std::move(pd.productDone);
    m_freePending.push_back(p);
    done(l);
}

void ProductCatalog::tick()
{
    for (Client& c : m_clients) {
        c.detector->poll();
        c.metrics.tick();
    }
    m_totals.tick();
    m_world.after(sim::kSecond, m_tickKind, sim::kNoComponent, [this] { tick(); });
}

// ------------------------------------------------------------------ inspection

void ProductCatalog::Client::inspect(sim::StateWriter& out) const
{
    out.add("region", owner->m_world.topology().regions()[static_cast<std::size_t>(region)].name);
    out.add("kv_pair", owner->m_pairs[static_cast<std::size_t>(localPair)]->path());
    out.add("lookups", metrics.lookups->total());
    out.add("local_hits", metrics.localHits->total());
    out.add("kv_reads", metrics.kvReads->total());
    out.add("loads", metrics.loads->total());
    out.add("shared", metrics.shared->total());
    out.add("kv_hedges", metrics.kvHedges->total());
    out.add("kv_hedge_wins", metrics.kvHedgeWins->total());
    std::string avoided;
    for (std::size_t p = 0; p < avoidUntil.size(); ++p)
        if (avoidUntil[p] > owner->m_world.now())
            avoided = avoided.empty() ? owner->m_pairs[p]->path() : sim::strCat(avoided, " ", owner->m_pairs[p]->path());
    out.add("avoided_pairs", avoided);
    out.add("local_cache_entries", static_cast<std::uint64_t>(local->size()));
    out.add("flights_in_flight", static_cast<std::uint64_t>(flights->flightsInFlight()));
    std::string hotKeys;
    for (std::uint32_t k = 0; k < hot.size(); ++k)
        if (hot[k])
            hotKeys = hotKeys.empty() ? owner->m_table->keyName(k) : sim::strCat(hotKeys, " ", owner->m_table->keyName(k));
    out.add("hot_keys", hotKeys);
}

void ProductCatalog::inspect(sim::StateWriter& out) const
{
    out.add("mode", toString(m_mode));
    out.add("singleflight", m_config.singleflight);
    out.add("hot_key_local_cache", m_config.hotKeyLocalCache);
    out.add("keys", static_cast<std::uint64_t>(m_table->keyCount()));
    out.add("kv_pairs", static_cast<std::uint64_t>(m_pairs.size()));
    out.add("clients", static_cast<std::uint64_t>(m_clients.size()));
    out.add("lookups", m_totals.lookups->total());
    out.add("local_hits", m_totals.localHits->total());
    out.add("kv_reads", m_totals.kvReads->total());
    out.add("loads", m_totals.loads->total());
    out.add("pending", pendingLookups());
}

} // namespace livedeck::gifts

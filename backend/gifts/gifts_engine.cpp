#include "backend/gifts/gifts_engine.h"

#include "backend/gala/gala.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>

namespace livedeck::gifts {

namespace {

constexpr std::string_view kOrderService = "gifts-order";
constexpr std::string_view kPaymentService = "gifts-payment";

// Weights are quantised to 1/1024 of a request: sums and differences of such values are
// exact in a double, so a queue's in-flight weight returns to exactly zero when it
// empties (ServiceQueue admits a job heavier than its whole concurrency only when idle,
// tested as in-flight == 0). The change to real-equivalent rates is below 0.05 %.
double quantiseWeight(double weight)
{
    return std::max(1.0 / 1024.0, std::round(weight * 1024.0) / 1024.0);
}

infra::DiscoveryMode discoveryMode(MultiActiveMode mode)
{
    return mode == MultiActiveMode::LocalFirst ? infra::DiscoveryMode::LocalFirst : infra::DiscoveryMode::CrossRegion;
}

} // namespace

// Order and payment services found through discovery (local region first).
class GiftsEngine::Directory final : public OrderDirectory, public PaymentDirectory {
public:
    explicit Directory(infra::ServiceDiscovery& discovery) : m_discovery(discovery) {}

    void addOrder(sim::ComponentId component, OrderService* service) { m_orders[component] = service; }
    void addPayment(sim::ComponentId component, PaymentService* service) { m_payments[component] = service; }

    OrderService* pickOrder(sim::ComponentId caller, infra::InstanceId& instance) override
    {
        const infra::PickResult pick = m_discovery.pick(kOrderService, caller);
        if (!pick)
            return nullptr;
        instance = pick.instance->id;
        const auto it = m_orders.find(pick.instance->component);
        return it == m_orders.end() ? nullptr : it->second;
    }
    void reportOrder(infra::InstanceId instance, bool ok) override { m_discovery.reportResult(instance, ok); }

    PaymentService* pickPayment(sim::ComponentId caller, infra::InstanceId& instance) override
    {
        const infra::PickResult pick = m_discovery.pick(kPaymentService, caller);
        if (!pick)
            return nullptr;
        instance = pick.instance->id;
        const auto it = m_payments.find(pick.instance->component);
        return it == m_payments.end() ? nullptr : it->second;
    }
    void reportPayment(infra::InstanceId instance, bool ok) override { m_discovery.reportResult(instance, ok); }

private:
    infra::ServiceDiscovery& m_discovery;
    absl::flat_hash_map<sim::ComponentId, OrderService*> m_orders;     // lookups only
    absl::flat_hash_map<sim::ComponentId, PaymentService*> m_payments; // lookups only
};

// The order path's product data: the ProductCatalog (local hot-key cache → the data
// centre's Redis pair with singleflight → catalogue service).
// Waiting callers sit in pooled slots (the catalog's callback captures the slot only).
class GiftsEngine::Products final : public ProductSource {
public:
    explicit Products(ProductCatalog& catalog) : m_catalog(catalog) {}
    void quote(sim::ComponentId caller, int region, ProductId product, double weight, Done done) override
    {
        std::uint32_t slot;
        if (!m_free.empty()) {
            slot = m_free.back();
            m_free.pop_back();
            m_waiting[slot] = std::move(done);
        } else {
            slot = static_cast<std::uint32_t>(m_waiting.size());
            m_waiting.push_back(std::move(done));
        }
        m_catalog.getProduct(caller, region, product, weight, [this, slot](const ProductLookup& p) {
            Done d = std::move(m_waiting[slot]);
            m_free.push_back(slot);
            d(ProductQuote{p.ok, p.priceCents});
        });
    }

private:
    ProductCatalog& m_catalog;
    std::deque<Done> m_waiting;
    std::vector<std::uint32_t> m_free;
};

absl::Status GiftsEngine::validate(const sim::World& world, const GiftsConfig& config)
{
    if (absl::Status s = config.validate(); !s.ok())
        return s;
    const sim::Topology& t = world.topology();
    for (const std::string& r : config.multiActive.serving)
        if (t.regionIndex(r) < 0)
            return absl::InvalidArgumentError(sim::strCat("gifts: serving region '", r, "' is not in the topology"));
    if (t.regionIndex(config.multiActive.standby) < 0)
        return absl::InvalidArgumentError(
            sim::strCat("gifts: standby region '", config.multiActive.standby, "' is not in the topology"));
    if (config.quota.enabled && t.regionIndex(config.quota.serverRegion) < 0)
        return absl::InvalidArgumentError(
            sim::strCat("gifts: quota server region '", config.quota.serverRegion, "' is not in the topology"));
    for (const std::string& dc : config.orderDb.placement)
        if (t.dataCentreIndex(dc) < 0)
            return absl::InvalidArgumentError(sim::strCat("gifts: order DB data centre '", dc, "' is not in the topology"));
    return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<GiftsEngine>> GiftsEngine::create(sim::World& world, telemetry::Telemetry& telemetry,
                                                                 GiftsConfig config, GiftsCoupling coupling)
{
    if (absl::Status s = validate(world, config); !s.ok())
        return s;
    if ((coupling.sharedInfra || coupling.notices || coupling.publishAudience) && !coupling.shared)
        return absl::InvalidArgumentError("gifts: coupling to other engines needs the run's shared resources");
    return std::make_unique<GiftsEngine>(world, telemetry, std::move(config), coupling);
}

// Hears every settlement (duplicates included) and publishes each gift's notification
// once, after the settlement DB acknowledged it (docs/GALA.md).
class GiftsEngine::NoticeSink final : public SettlementSink {
public:
    explicit NoticeSink(GiftsEngine& engine) : m_engine(engine) {}
    void onSettled(const PaidOrder& order) override
    {
        if (!m_engine.m_notices->settled(order.order, order.key.uid, order.room, order.weight, m_engine.m_world.now()))
            return; // a redelivered record: its notification is already on its way
        const int regions = static_cast<int>(m_engine.m_regions.size());
        const int region = order.region >= 0 && order.region < regions ? order.region : 0;
        m_engine.publishNotice(Notice{order.order, order.key.uid, order.room, order.weight, region});
    }

private:
    GiftsEngine& m_engine;
};

GiftsEngine::GiftsEngine(sim::World& world, telemetry::Telemetry& telemetry, GiftsConfig config, GiftsCoupling coupling)
    : m_world(world),
      m_telemetry(telemetry),
      m_config(std::move(config)),
      m_component(world.components().mustAdd("gifts", "gifts-engine", {}, this)),
      m_loadKind(world.kind("gifts.load.change")),
      m_readyKind(world.kind("gifts.ready.check")),
      m_coupling(coupling)
{
    if (const absl::Status s = validate(world, m_config); !s.ok()) {
        std::fprintf(stderr, "GiftsEngine: invalid configuration: %s\n", std::string(s.message()).c_str());
        std::abort();
    }
    build();
}

GiftsEngine::~GiftsEngine()
{
    if (m_rollupToken != 0)
        m_telemetry.removeRollupListener(m_rollupToken);
    m_telemetry.removeContributor(this);
    // Users before what they use: traffic, consumers and mirrors, then each region's
    // services (they hold Raft clients, brokers, the store), then the shared parts.
    m_load.reset();
    m_client.reset();
    m_multiActive.reset();
    m_consumers.clear();
    for (Region& r : m_regions)
        r.mirror.reset();
    for (Region& r : m_regions) {
        r.entry.reset();
        r.autoscaler.reset();
        r.order.reset();
        r.payment.reset();
    }
    m_regions.clear();
}

void GiftsEngine::build()
{
    sim::World& w = m_world;
    telemetry::MetricsRegistry& metrics = m_telemetry.metrics();
    const GiftsConfig& c = m_config;
    const Sabotage& sab = c.sabotage;
    const auto& topoRegions = w.topology().regions();

    m_regions.resize(topoRegions.size());
    for (std::size_t r = 0; r < topoRegions.size(); ++r) {
        m_regions[r].index = static_cast<int>(r);
        m_regions[r].name = topoRegions[r].name;
    }
    for (const std::string& s : c.multiActive.serving)
        m_regions[static_cast<std::size_t>(w.topology().regionIndex(s))].serving = true;
    const int standby = w.topology().regionIndex(c.multiActive.standby);
    m_regions[static_cast<std::size_t>(standby)].isStandby = true;
    m_sharedRegion = w.topology().regionIndex(c.multiActive.serving.front());

    // Shared parts.
    infra::DiscoveryConfig dc;
    dc.mode = discoveryMode(c.multiActive.mode);
    m_discovery = std::make_unique<infra::ServiceDiscovery>(w, "gifts/discovery/orders", dc, &metrics);
    m_directory = std::make_unique<Directory>(*m_discovery);
    if (m_coupling.sharedInfra) {
        auto raft = gala::sharedTaishan(*m_coupling.shared, w, &metrics, "gifts");
        if (!raft.ok()) {
            std::fprintf(stderr, "GiftsEngine: shared Taishan: %s\n", std::string(raft.status().message()).c_str());
            std::abort();
        }
        m_raft = *raft;
    } else {
        m_ownRaft = std::make_unique<infra::RaftCluster>(w, infra::RaftClusterConfig::fiveNodes(), &metrics);
        m_raft = m_ownRaft.get();
    }
    if (c.quota.enabled) {
        m_quotaServer = std::make_unique<resilience::QuotaServer>(w, sim::strCat(c.quota.serverRegion, "/gifts/quota"));
        resilience::QuotaResourceConfig q;
        q.name = "gifts.orders";
        q.limitPerSec = c.quota.limitPerSec;
        const absl::StatusOr<int> added = m_quotaServer->addResource(q);
        assert(added.ok());
        (void)added;
        m_quotaServer->attachMetrics(metrics);
    }

    OrderDbConfig db = c.orderDb;
    if (sab.asyncReplication)
        db.replication = infra::ReplicationMode::Async;
    auto store = OrderStore::create(w, &m_telemetry, db, !sab.noIdempotencyKey, c.orders.dbTimeout);
    if (!store.ok()) {
        std::fprintf(stderr, "GiftsEngine: order DB: %s\n", std::string(store.status().message()).c_str());
        std::abort();
    }
    m_orderStore = std::move(*store);
    SettlementDbConfig sdb;
    sdb.uniqueIndex = !sab.consumerNotIdempotent;
    sdb.storageDir = c.orderDb.storageDir;
    auto settlements = SettlementDb::create(w, &m_telemetry, sdb);
    if (!settlements.ok()) {
        std::fprintf(stderr, "GiftsEngine: settlement DB: %s\n", std::string(settlements.status().message()).c_str());
        std::abort();
    }
    m_settlementDb = std::move(*settlements);
    m_ledger = std::make_unique<PaymentLedger>(w, c.payment.declineRate, &metrics);
    m_refunds = std::make_unique<RefundQueue>(w, m_telemetry);
    m_audit = std::make_unique<Audit>(w, c.audit, *m_ledger, *m_orderStore, *m_refunds, m_telemetry);
    m_watchdog = std::make_unique<SettlementWatchdog>(w, c.settlement, m_telemetry);
    m_watchdog->setRepair([this](const PaidOrder& order) { repair(order); });
    m_audit->setPaidHook([this](const Charge& c) {
        PaidOrder p;
        p.order = c.order;
        p.key = c.key;
        p.amountCents = c.amountCents;
        p.region = static_cast<int>(c.order & 0xff); // order ids carry their region
        p.partition = c.partition;
        p.weight = c.weight;
        m_watchdog->onPaidConfirmed(p);
    });
    m_invariants = std::make_unique<InvariantChecker>(w, *m_ledger, *m_orderStore, *m_settlementDb, *m_refunds);

    CatalogConfig cc = c.catalog;
    cc.mode = c.multiActive.mode;
    if (sab.noSingleflight)
        cc.singleflight = false;
    if (sab.noHotKeyCache)
        cc.hotKeyLocalCache = false;
    if (sab.noKvHedge)
        cc.kvHedging = false;
    if (m_coupling.sharedInfra) {
        cc.sharedPair = [this, &metrics](int dataCentre) -> infra::KvPair* {
            auto pair = gala::sharedRedis(*m_coupling.shared, m_world, dataCentre, &metrics, "gifts");
            return pair.ok() ? *pair : nullptr;
        };
    }
    m_catalog = std::make_unique<ProductCatalog>(w, m_telemetry, cc);
    m_products = std::make_unique<Products>(*m_catalog);

    PanelConfig pc = c.panel;
    if (sab.noBreaker)
        pc.breakerEnabled = false;
    if (sab.noHotRoomCache)
        pc.hotRoomCache = false;
    m_panel = std::make_unique<GiftPanel>(w, m_telemetry, *m_catalog, pc);
    m_panel->setServedObserver([this](bool generalTab, Uid uid, RoomId room, int region, sim::Nanos latency) {
        m_invariants->onPanelServed(generalTab, uid, room, region, latency);
    });

    // Brokers first: every order service may publish to the shared one.
    for (Region& r : m_regions) {
        r.broker = std::make_unique<infra::MqBroker>(w, sim::strCat(r.name, "/gifts/mq"), infra::MqBrokerConfig{},
                                                     &metrics);
        const auto topic = r.broker->createTopic(c.orders.topic, c.orders.topicPartitions);
        assert(topic.ok());
        (void)topic;
    }
    infra::MqBroker& shared = *m_regions[static_cast<std::size_t>(m_sharedRegion)].broker;

    // Per region: payment, order service, autoscaler, entry.
    std::vector<OrderEntry*> entries;
    std::vector<sim::ComponentId> entryComponents;
    for (Region& r : m_regions) {
        r.payment = std::make_unique<PaymentService>(w, r.name, c.payment, *m_ledger, *m_orderStore, &metrics);
        OrderServiceDeps deps;
        deps.store = m_orderStore.get();
        deps.products = m_products.get();
        deps.raft = m_raft;
        deps.payments = m_directory.get();
        deps.localBroker = r.broker.get();
        deps.sharedBroker = &shared;
        deps.telemetry = &m_telemetry;
        r.order = std::make_unique<OrderService>(w, r.name, c, deps);
        if (sab.noBreaker)
            r.order->paymentBreaker().transitionToDisabled("sabotage: breaker disabled");
        r.order->addObserver(m_watchdog.get());
        r.order->addObserver(m_invariants.get());
        m_catalog->registerClient(r.order->component(), r.index);
        m_directory->addOrder(r.order->component(), r.order.get());
        m_directory->addPayment(r.payment->component(), r.payment.get());
        // Standby capacity: the standby region's services are registered with a small
        // weight; local-first callers reach them only when their own levels fail.
        const double weight = r.isStandby ? 0.25 : 1.0;
        auto oi = m_discovery->registerInstance(kOrderService, sim::strCat("order-", r.name), r.order->component(),
                                                weight);
        auto pi = m_discovery->registerInstance(kPaymentService, sim::strCat("payment-", r.name),
                                                r.payment->component(), weight);
        assert(oi.ok() && pi.ok());
        r.orderInstance = *oi;
        r.paymentInstance = *pi;
        r.autoscaler = std::make_unique<OrderAutoscaler>(w, c.autoscale, *r.order, m_telemetry);
        r.autoscaler->setEnabled(!sab.noAutoscale);
        r.entry = std::make_unique<OrderEntry>(w, r.name, c, m_quotaServer.get(), *m_directory, m_telemetry);
        entries.push_back(r.entry.get());
        entryComponents.push_back(r.entry->component());
    }

    // Settlement: a primary consumer per region on its own broker; serving regions
    // also join the shared broker's group (cross-region mode); the standby region
    // mirrors every serving region's topic and stands by for it.
    const bool dlq = !sab.noDeadLetter;
    Region& sb = m_regions[static_cast<std::size_t>(standby)];
    for (Region& r : m_regions) {
        m_consumers.push_back(std::make_unique<SettlementConsumer>(
            w, sim::strCat(r.name, "/gifts/settlement"), *r.broker, c.orders.topic,
            SettlementConsumer::Role::Primary, c.settlement, dlq, *m_settlementDb, m_telemetry));
        r.primary = m_consumers.back().get();
        if (r.serving && r.index != m_sharedRegion) {
            m_consumers.push_back(std::make_unique<SettlementConsumer>(
                w, sim::strCat(r.name, "/gifts/settlement-shared"), shared, c.orders.topic,
                SettlementConsumer::Role::Primary, c.settlement, dlq, *m_settlementDb, m_telemetry));
            r.shared = m_consumers.back().get();
        }
    }
    for (Region& r : m_regions) {
        if (!r.serving)
            continue;
        r.mirror = std::make_unique<infra::MqMirror>(w, *r.broker, *sb.broker, c.orders.topic,
                                                     sim::strCat(sb.name, "/gifts/mq-mirror/", r.name),
                                                     infra::MqMirrorConfig{}, &metrics);
        StandbySource source;
        source.homeBroker = r.broker.get();
        source.homeRegion = r.name;
        source.homeGroup = c.settlement.group;
        source.homeTopic = c.orders.topic;
        m_consumers.push_back(std::make_unique<SettlementConsumer>(
            w, sim::strCat(sb.name, "/gifts/settlement-standby/", r.name), *sb.broker,
            infra::MqMirror::targetTopicFor(r.name, c.orders.topic), SettlementConsumer::Role::Standby, c.settlement,
            dlq, *m_settlementDb, m_telemetry, std::move(source)));
        r.standby = m_consumers.back().get();
    }
    for (const auto& consumer : m_consumers)
        consumer->addSink(m_watchdog.get());

    // Traffic.
    m_load = std::make_unique<LoadGenerator>(w, metrics, c.load, c.loadGenerator, *this);
    m_multiActive = std::make_unique<MultiActive>(w, c.multiActive, *m_load, std::move(entryComponents), metrics);
    m_multiActive->setAutoDrain(!sab.noRegionDrain);
    m_multiActive->addRegionListener([this](int region, bool drained) { onRegion(region, drained); });
    m_multiActive->addModeListener([this](MultiActiveMode mode) { applyMode(mode); });
    m_client = std::make_unique<OrderClient>(w, c, std::move(entries),
                                             [this](Uid uid) { return m_load->homeOf(uid); }, m_telemetry);
    m_regionSeconds.resize(m_regions.size());
    {
        // Region health as the engine's own probes see it: each region's order entry
        // answers when it is up and its region is not drained.
        std::vector<sim::ComponentId> fronts(w.topology().regions().size(), sim::kNoComponent);
        for (const Region& r : m_regions) {
            if (const sim::ComponentInfo* info = w.components().find(r.entry->path()))
                fronts[static_cast<std::size_t>(r.index)] = info->id;
        }
        m_prober = std::make_unique<engine::RegionProber>(w, "gifts", std::move(fronts), engine::RegionProber::Config{},
                                                          [this](int region) { return !m_multiActive->drained(region); });
    }
    m_violationsGauge = &metrics.gauge("gifts.invariants.violations");
    if (absl::Status s = buildCoupling(); !s.ok()) {
        std::fprintf(stderr, "GiftsEngine: coupling: %s\n", std::string(s.message()).c_str());
        std::abort();
    }
    m_telemetry.addContributor(this);
}

absl::Status GiftsEngine::buildCoupling()
{
    telemetry::MetricsRegistry& metrics = m_telemetry.metrics();
    if (m_coupling.notices) {
        auto ledger = gala::noticeLedger(*m_coupling.shared, "gifts");
        if (!ledger.ok())
            return ledger.status();
        m_notices = *ledger;
        auto broker = gala::noticeBroker(*m_coupling.shared, m_world, &metrics, "gifts");
        if (!broker.ok())
            return broker.status();
        // One producer per region: a gift's notification leaves from the region whose
        // order service recorded it.
        for (const Region& r : m_regions) {
            const sim::RegionSpec& spec = m_world.topology().regions()[static_cast<std::size_t>(r.index)];
            const std::string dc = spec.dataCentres.empty()
                ? std::string()
                : m_world.topology().dataCentres()[static_cast<std::size_t>(spec.dataCentres.front())].name;
            m_noticeProducers.push_back(std::make_unique<infra::MqProducer>(
                m_world, **broker, sim::strCat(r.name, "/gifts/notice-producer"), infra::MqProducerConfig{}, &metrics,
                dc));
        }
        m_noticeSink = std::make_unique<NoticeSink>(*this);
        for (const auto& consumer : m_consumers)
            consumer->addSink(m_noticeSink.get());
        m_noticeCounter = &metrics.counter("gifts.notices.published", "gifts");
        m_noticeKind = m_world.kind("gifts.notice.publish");
    }
    if (m_coupling.publishAudience) {
        auto a = gala::audience(*m_coupling.shared, "gifts");
        if (!a.ok())
            return a.status();
        m_audience = *a;
        m_audienceKind = m_world.kind("gifts.audience");
    }
    return absl::OkStatus();
}

void GiftsEngine::publishNotice(Notice n)
{
    infra::MqMessage m;
    m.key = std::to_string(n.order);
    m.value = gala::noticeValue(n.order, n.sender, n.room);
    m.weight = n.weight;
    m_noticeProducers[static_cast<std::size_t>(n.region)]->send(
        gala::kNoticeTopic, std::move(m), [this, n](const infra::MqProduceResult& res) {
            if (res.error == infra::MqError::Ok) {
                ++m_noticeStats.published;
                m_noticeCounter->add(n.weight);
                return;
            }
            ++m_noticeStats.failed;
            if (!m_coupling.noticeRetry) {
                ++m_noticeStats.dropped;
                return;
            }
            // At least once: the notification is published again until the broker has it.
            m_world.after(200 * sim::kMillisecond, m_noticeKind, m_component, [this, n] { publishNotice(n); });
        });
}

void GiftsEngine::publishAudience()
{
    const LoadProfile& p = m_load->profile();
    gala::Audience::Reading r;
    r.at = m_world.now();
    r.viewers = p.at(r.at).viewers;
    r.referenceViewers = p.at(0).viewers;
    if (p.countdownFactor != 1.0) {
        r.countdownAt = p.countdownAt;
        r.countdownLead = p.countdownLead;
        r.countdownTail = p.countdownTail;
    }
    m_audience->publish(r);
    m_world.after(gala::kAudiencePeriod, m_audienceKind, m_component, [this] { publishAudience(); });
}

void GiftsEngine::start()
{
    if (m_started)
        return;
    m_started = true;
    m_telemetry.start();
    m_rollupToken = m_telemetry.addRollupListener([this](sim::Nanos, const std::vector<telemetry::Sample>&) {
        onRollup();
    });
    for (Region& r : m_regions) {
        r.entry->start();
        r.autoscaler->start();
        if (r.mirror)
            r.mirror->start();
    }
    for (Region& r : m_regions) {
        r.primary->start();
        if (r.standby)
            r.standby->start();
    }
    applyMode(m_multiActive->mode());
    m_watchdog->start();
    if (!m_config.sabotage.noAudit)
        m_audit->start();
    m_multiActive->start();
    m_prober->start();
    if (m_audience)
        publishAudience();
    awaitReady();
}

void GiftsEngine::awaitReady()
{
    const bool leader = m_raft->leader() >= 0;
    if (!leader && m_world.now() < kReadyTimeout) {
        m_world.after(kReadyPoll, m_readyKind, m_component, [this] { awaitReady(); });
        return;
    }
    m_ready = true;
    m_world.events().raise(
        "gifts.ready", m_component, leader ? v1::SEVERITY_INFO : v1::SEVERITY_WARNING,
        leader ? std::string("gift system ready (the order-lock Raft KV has a leader): traffic starts")
               : sim::strCat("gift system not ready after ", sim::toSeconds(kReadyTimeout),
                             " s (no Raft leader): traffic starts anyway"),
        {{"leader", leader ? "yes" : "no"}});
    if (m_loadWanted)
        m_load->start();
}

void GiftsEngine::setProfile(LoadProfile profile)
{
    m_config.load = profile;
    m_load->setProfile(std::move(profile));
}

void GiftsEngine::setLoadMultiplier(double multiplier)
{
    m_config.load.multiplier = multiplier;
    m_load->setMultiplier(multiplier);
}

void GiftsEngine::scheduleProfile(sim::Nanos at, LoadProfile profile)
{
    auto shared = std::make_shared<LoadProfile>(std::move(profile));
    m_world.at(std::max(at, m_world.now()), m_loadKind, m_component, [this, shared] { setProfile(*shared); });
}

void GiftsEngine::scheduleMultiplier(sim::Nanos at, double multiplier)
{
    m_world.at(std::max(at, m_world.now()), m_loadKind, m_component,
               [this, multiplier] { setLoadMultiplier(multiplier); });
}

void GiftsEngine::stopLoad()
{
    m_loadWanted = false;
    m_load->stop();
}

void GiftsEngine::resumeLoad()
{
    m_loadWanted = true;
    if (m_started && m_ready)
        m_load->start();
}

void GiftsEngine::setMode(MultiActiveMode mode)
{
    m_multiActive->setMode(mode); // the listener applies it
}

MultiActiveMode GiftsEngine::mode() const
{
    return m_multiActive->mode();
}

void GiftsEngine::applyMode(MultiActiveMode mode)
{
    m_config.multiActive.mode = mode;
    m_discovery->setMode(discoveryMode(mode));
    m_catalog->setMode(mode);
    for (Region& r : m_regions) {
        r.order->setMode(mode);
        if (!r.shared || !m_started)
            continue;
        if (mode == MultiActiveMode::CrossRegion)
            r.shared->start();
        else
            r.shared->stop();
    }
}

void GiftsEngine::onRegion(int region, bool drained)
{
    Region& r = m_regions[static_cast<std::size_t>(region)];
    if (r.standby)
        r.standby->setActive(drained);
    if (!drained)
        return;
    // The survivors take the drained region's users: pre-scale them to the pods the
    // serving set had, spread over the live regions (pods start at once).
    int totalPods = 0;
    int live = 0;
    for (const Region& s : m_regions) {
        if (!s.serving)
            continue;
        totalPods += s.order->pods();
        if (!m_multiActive->drained(s.index))
            ++live;
    }
    if (live == 0)
        return;
    for (Region& s : m_regions)
        if (s.serving && !m_multiActive->drained(s.index) && !m_config.sabotage.noAutoscale)
            s.autoscaler->setMinPods(std::max(s.order->pods(), (totalPods + live - 1) / live));
}

void GiftsEngine::repair(const PaidOrder& order)
{
    const int region = m_multiActive->liveServing(order.region);
    if (region < 0)
        return;
    m_regions[static_cast<std::size_t>(region)].order->republish(order);
}

void GiftsEngine::onRollup()
{
    m_invariants->scanSettlements();
    for (std::size_t r = 0; r < m_regions.size(); ++r)
        m_regionSeconds[r] = m_client->lastSecond(static_cast<int>(r));
    const InvariantReport& rep = m_invariants->report();
    m_violationsGauge->set(static_cast<double>(rep.doubleCharges + rep.settledTwice + rep.paidUnsettled
                                               + rep.settledAndRefunded + rep.settledWithoutCharge + rep.paidLost
                                               + rep.panelWithoutGeneral));
}

void GiftsEngine::injectPoison(std::string_view region, int count)
{
    const int r = regionIndex(region);
    if (r >= 0)
        m_regions[static_cast<std::size_t>(r)].order->injectPoison(count);
}

std::size_t GiftsEngine::verifyRefunds()
{
    return m_refunds->verifyAll(*m_ledger);
}

namespace {

std::vector<InvariantResult> toResults(const std::vector<v1::InvariantStatus>& statuses)
{
    std::vector<InvariantResult> out;
    out.reserve(statuses.size());
    for (const v1::InvariantStatus& s : statuses)
        out.push_back(InvariantResult{s.name(), s.passed(), s.detail()});
    return out;
}

} // namespace

std::vector<InvariantResult> GiftsEngine::invariantStatus() const
{
    return toResults(m_invariants->statuses());
}

std::vector<InvariantResult> GiftsEngine::checkInvariants()
{
    m_invariants->scanSettlements();
    m_invariants->finalCheck();
    onRollup();
    return toResults(m_invariants->statuses());
}

void GiftsEngine::roomEntry(const RoomEntry& entry)
{
    RoomEntry e = entry;
    e.weight = quantiseWeight(entry.weight);
    m_panel->onRoomEntry(e);
}

void GiftsEngine::sendGift(const GiftSend& send)
{
    GiftSend g = send;
    g.weight = quantiseWeight(send.weight);
    m_client->send(g);
}

OrderService* GiftsEngine::orderService(int region)
{
    return region >= 0 && static_cast<std::size_t>(region) < m_regions.size()
        ? m_regions[static_cast<std::size_t>(region)].order.get()
        : nullptr;
}

OrderEntry* GiftsEngine::entry(int region)
{
    return region >= 0 && static_cast<std::size_t>(region) < m_regions.size()
        ? m_regions[static_cast<std::size_t>(region)].entry.get()
        : nullptr;
}

PaymentService* GiftsEngine::payment(int region)
{
    return region >= 0 && static_cast<std::size_t>(region) < m_regions.size()
        ? m_regions[static_cast<std::size_t>(region)].payment.get()
        : nullptr;
}

OrderAutoscaler* GiftsEngine::autoscaler(int region)
{
    return region >= 0 && static_cast<std::size_t>(region) < m_regions.size()
        ? m_regions[static_cast<std::size_t>(region)].autoscaler.get()
        : nullptr;
}

infra::MqBroker* GiftsEngine::broker(int region)
{
    return region >= 0 && static_cast<std::size_t>(region) < m_regions.size()
        ? m_regions[static_cast<std::size_t>(region)].broker.get()
        : nullptr;
}

SettlementConsumer* GiftsEngine::settlement(int region)
{
    return region >= 0 && static_cast<std::size_t>(region) < m_regions.size()
        ? m_regions[static_cast<std::size_t>(region)].primary
        : nullptr;
}

SettlementConsumer* GiftsEngine::standbyFor(int servingRegion)
{
    return servingRegion >= 0 && static_cast<std::size_t>(servingRegion) < m_regions.size()
        ? m_regions[static_cast<std::size_t>(servingRegion)].standby
        : nullptr;
}

std::uint64_t GiftsEngine::deadLettered() const
{
    std::uint64_t n = 0;
    for (const auto& c : m_consumers)
        n += c->stats().deadLettered;
    return n;
}

std::uint64_t GiftsEngine::settledRecords() const
{
    std::uint64_t n = 0;
    for (const auto& c : m_consumers)
        n += c->stats().settled;
    return n;
}

void GiftsEngine::contribute(v1::Snapshot& snapshot) const
{
    for (const Region& r : m_regions)
        r.order->paymentBreaker().toProto(*snapshot.add_breakers());
    for (const Region& r : m_regions) {
        const OrderClient::RegionSecond& s = m_regionSeconds[static_cast<std::size_t>(r.index)];
        v1::RegionHealth& h = *snapshot.add_regions();
        m_prober->fill(h, r.index);
        const bool down = !h.up();
        const double answered = s.requests - s.shed;
        h.set_availability(answered > 0.0 ? s.served / answered : (down ? 0.0 : 1.0));
        h.set_p99_ms(s.p99Ms);
        h.set_error_rate(answered > 0.0 ? s.errors / answered : 0.0);
        h.set_rps(s.requests);
    }
}

void GiftsEngine::inspect(sim::StateWriter& out) const
{
    out.add("mode", toString(m_multiActive->mode()));
    out.add("sabotage", m_config.sabotage.describe());
    out.add("profile", m_load->profile().name);
    out.add("load_multiplier", m_load->profile().multiplier);
    out.add("started", m_started);
    const OrderClient::Totals& t = m_client->totals();
    out.add("orders_placed", t.placed);
    out.add("orders_paid", t.paid);
    out.add("orders_errors", t.errors);
    out.add("settled_records", settledRecords());
    out.add("dead_lettered", deadLettered());
    out.add("refund_queue", static_cast<std::uint64_t>(m_refunds->size()));
    out.add("invariants", m_invariants->report().ok() ? "hold" : "VIOLATED");
}

} // namespace livedeck::gifts

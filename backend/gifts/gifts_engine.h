// GiftsEngine: the live gift system (docs/GIFTS.md) on one World — every part of the gift
// path for the three regions, wired together and driven by the weighted load generator.
//
// Regions (GiftsConfig::multiActive): sh-a and sh-b serve traffic (multi-active, ~1 ms
// apart), gz holds replicas, a Raft node, the settlement standby and standby order
// capacity. Per region r: "r/gifts/order-entry" (quota client), "r/gifts/order" (pods,
// Raft lock client, payment breaker, HPA), "r/gifts/payment", "r/gifts/mq" (broker),
// "r/gifts/settlement" (consumer of its own broker; serving regions other than the
// shared broker's also "r/gifts/settlement-shared", active in cross-region mode), and
// the catalogue / KV pair / panel parts of ProductCatalog and GiftPanel. gz mirrors every
// serving region's order topic ("gz/gifts/mq-mirror/<r>") and runs a standby consumer
// per serving region ("gz/gifts/settlement-standby/<r>") that takes over when the GSLB
// drains r. Shared: the order DB ("gifts/order-db", 10 shards × month partitions,
// semi-sync, primary sh-a), the settlement DB, the Raft KV (five nodes: two per Shanghai
// region, one in gz), the quota server (sh-a), discovery "gifts/discovery" (order and
// payment services, local region first), the bank's ledger, audit + refund queue, the
// missing-settlement watchdog, the invariant checker and the multi-active GSLB.
//
// Flow: LoadGenerator → (this, a GiftTrafficSink) → room entries to GiftPanel::onRoomEntry
// (panel preload), gift sends to OrderClient::send (→ entry → order service → catalogue,
// Raft lock, order DB, payment → MQ → settlement).
//
// Contract:
// - Construction wires everything (components, metrics) and aborts on an invalid config
//   (a wiring bug); create() validates first and returns the error. start() starts every
//   periodic part and the world's telemetry rollups at once, and the load once the
//   cluster is ready (readiness gate: the Raft KV that holds the order locks has elected
//   a leader, checked every 10 ms, at most kReadyTimeout): a production cluster is up
//   before the event's traffic arrives, so a cold start must not fail the first orders
//   and get healthy order services ejected by discovery's outlier detection. The event
//   "gifts.ready" marks the moment. Nothing runs before start().
// - Load changes: setProfile / setLoadMultiplier now, or scheduleProfile / scheduleMultiplier
//   at a simulated time (the drills' timeline). stopLoad() ends traffic (drain before
//   checkInvariants()).
// - Invariants: checked continuously at every telemetry rollup (settlement scan, the
//   ledger's charges as they happen, order-DB failovers, each panel answer) and at the end
//   by checkInvariants(), which returns {name, passed, detail} for every invariant.
//   Violations are EventLog events (SEVERITY_VIOLATION, kind "invariant.<name>").
// - Snapshots (SnapshotContributor): the payment breakers and every region's health
//   (order traffic of the last whole second: availability, p99, error rate, real rps;
//   down when the region's entry is down or drained). Shard load comes from the order
//   DB's SqlCluster itself, the panel's breakers from the panel.
// - Metrics the console's overview reads: gifts.orders.placed, gifts.errors (OrderClient),
//   gifts.settlement.lag (watchdog), gifts.panel.availability (panel); plus
//   gifts.invariants.violations (gauge, this engine).
// Single-threaded (the world's thread). The engine must outlive the world's pending
// events (destroy it after the run stops); the world and telemetry outlive the engine.
#pragma once

#include "backend/gifts/audit.h"
#include "backend/gifts/catalog.h"
#include "backend/gifts/gifts_config.h"
#include "backend/gifts/invariants.h"
#include "backend/gifts/load_generator.h"
#include "backend/gifts/multi_active.h"
#include "backend/gifts/order_autoscaler.h"
#include "backend/gifts/order_client.h"
#include "backend/gifts/order_entry.h"
#include "backend/gifts/order_service.h"
#include "backend/gifts/order_store.h"
#include "backend/gifts/panel.h"
#include "backend/gifts/payment_ledger.h"
#include "backend/gifts/payment_service.h"
#include "backend/gifts/refund_queue.h"
#include "backend/gifts/settlement_consumer.h"
#include "backend/gifts/settlement_db.h"
#include "backend/gifts/settlement_watchdog.h"
#include "backend/engine/region_probe.h"
#include "backend/infra/discovery.h"
#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_mirror.h"
#include "backend/infra/mq_producer.h"
#include "backend/infra/raft_cluster.h"
#include "backend/resilience/quota_server.h"
#include "backend/telemetry/telemetry.h"

#include <absl/status/statusor.h>

#include <memory>
#include <string>
#include <vector>

namespace livedeck::engine {
class SharedResources;
}
namespace livedeck::gala {
class NoticeLedger;
class Audience;
}

namespace livedeck::gifts {

// How the gift engine couples to the other engines of its run (docs/GALA.md). Off by
// default: an engine alone builds exactly what it always built.
struct GiftsCoupling {
    engine::SharedResources* shared = nullptr; // required by every switch below
    bool sharedInfra = false;     // the order locks' Raft KV is the shared "taishan", each
                                  // data centre's catalogue KV pair the shared "redis/<dc>"
    bool notices = false;         // each settled gift publishes an interaction notification
    bool noticeRetry = true;      // off (sabotage): a failed publish is dropped, not retried
    bool publishAudience = false; // the load profile is the run's audience (viewers, countdown)
};

// One invariant's verdict (drills, tests, reports).
struct InvariantResult {
    std::string name;   // "gifts.double_charge", ...
    bool passed = true;
    std::string detail;
};

class GiftsEngine final : public GiftTrafficSink,
                          public telemetry::SnapshotContributor,
                          public sim::Inspectable {
public:
    GiftsEngine(sim::World& world, telemetry::Telemetry& telemetry, GiftsConfig config, GiftsCoupling coupling = {});
    ~GiftsEngine() override;
    GiftsEngine(const GiftsEngine&) = delete;
    GiftsEngine& operator=(const GiftsEngine&) = delete;

    // Validates `config` against the world's topology first.
    static absl::StatusOr<std::unique_ptr<GiftsEngine>> create(sim::World& world, telemetry::Telemetry& telemetry,
                                                               GiftsConfig config, GiftsCoupling coupling = {});
    static absl::Status validate(const sim::World& world, const GiftsConfig& config);

    void start();
    bool started() const { return m_started; }
    // The readiness gate (see the header): traffic flows once ready() is true.
    bool ready() const { return m_ready; }
    static constexpr sim::Nanos kReadyPoll = 10 * sim::kMillisecond;
    static constexpr sim::Nanos kReadyTimeout = 5 * sim::kSecond;

    // Load: now, or at a simulated time (>= now).
    void setProfile(LoadProfile profile);
    void setLoadMultiplier(double multiplier);
    void scheduleProfile(sim::Nanos at, LoadProfile profile);
    void scheduleMultiplier(sim::Nanos at, double multiplier);
    void stopLoad();
    void resumeLoad();

    // Operator / scenario actions.
    void setMode(MultiActiveMode mode);
    MultiActiveMode mode() const;
    // The next `count` order events published by `region`'s order service are poison.
    void injectPoison(std::string_view region, int count);
    // Operator's refund verification of everything on the refund queue.
    std::size_t verifyRefunds();

    // Invariants: the continuous checks' state so far, and the full end-of-run check
    // (call after stopLoad() and a drain period).
    std::vector<InvariantResult> invariantStatus() const;
    std::vector<InvariantResult> checkInvariants();
    bool invariantsHold() const { return m_invariants->report().ok(); }

    // GiftTrafficSink (the load generator's output).
    void roomEntry(const RoomEntry& entry) override;
    void sendGift(const GiftSend& send) override;

    // SnapshotContributor.
    void contribute(v1::Snapshot& snapshot) const override;
    void inspect(sim::StateWriter& out) const override;

    // Parts (tests, drills, inspector).
    const GiftsConfig& config() const { return m_config; }
    sim::World& world() { return m_world; }
    LoadGenerator& load() { return *m_load; }
    MultiActive& multiActive() { return *m_multiActive; }
    ProductCatalog& catalog() { return *m_catalog; }
    GiftPanel& panel() { return *m_panel; }
    OrderClient& client() { return *m_client; }
    OrderStore& orderStore() { return *m_orderStore; }
    SettlementDb& settlementDb() { return *m_settlementDb; }
    PaymentLedger& ledger() { return *m_ledger; }
    RefundQueue& refunds() { return *m_refunds; }
    Audit& audit() { return *m_audit; }
    SettlementWatchdog& watchdog() { return *m_watchdog; }
    InvariantChecker& invariants() { return *m_invariants; }
    infra::RaftCluster& raft() { return *m_raft; }
    infra::ServiceDiscovery& discovery() { return *m_discovery; }
    resilience::QuotaServer* quotaServer() { return m_quotaServer.get(); }
    // By region index (nullptr when the region has none).
    OrderService* orderService(int region);
    OrderEntry* entry(int region);
    PaymentService* payment(int region);
    OrderAutoscaler* autoscaler(int region);
    infra::MqBroker* broker(int region);
    SettlementConsumer* settlement(int region);        // the region's primary consumer
    SettlementConsumer* standbyFor(int servingRegion); // gz's standby for that region
    const std::vector<std::unique_ptr<SettlementConsumer>>& consumers() const { return m_consumers; }
    sim::ComponentId component() const { return m_component; }
    int regionIndex(std::string_view name) const { return m_world.topology().regionIndex(name); }

    // Coupling (docs/GALA.md): notifications published for settled gifts.
    const GiftsCoupling& coupling() const { return m_coupling; }
    struct NoticeStats {
        std::uint64_t published = 0; // acknowledged by the notification broker
        std::uint64_t failed = 0;    // publish attempts that failed
        std::uint64_t dropped = 0;   // given up (only without retry)
    };
    const NoticeStats& noticeStats() const { return m_noticeStats; }

    // Totals across consumers.
    std::uint64_t deadLettered() const;
    std::uint64_t settledRecords() const;

    // Last whole second of a region's order traffic (as in the snapshot).
    const OrderClient::RegionSecond& regionSecond(int region) const
    {
        return m_regionSeconds[static_cast<std::size_t>(region)];
    }

private:
    class Directory;
    class Products;
    struct Region {
        int index = -1;
        std::string name;
        bool serving = false;
        bool isStandby = false;
        std::unique_ptr<PaymentService> payment;
        std::unique_ptr<infra::MqBroker> broker;
        std::unique_ptr<OrderService> order;
        std::unique_ptr<OrderAutoscaler> autoscaler;
        std::unique_ptr<OrderEntry> entry;
        infra::InstanceId orderInstance = 0;
        infra::InstanceId paymentInstance = 0;
        SettlementConsumer* primary = nullptr;
        SettlementConsumer* shared = nullptr;  // on the shared broker (cross-region mode)
        SettlementConsumer* standby = nullptr; // gz's standby for this serving region
        std::unique_ptr<infra::MqMirror> mirror; // this region's topic → the standby region
    };

    void build();
    void applyMode(MultiActiveMode mode);
    void onRegion(int region, bool drained);
    void onRollup();
    void repair(const PaidOrder& order);
    void awaitReady();
    class NoticeSink;
    struct Notice {
        std::uint64_t order = 0;
        std::uint64_t sender = 0;
        std::uint64_t room = 0;
        double weight = 1.0;
        int region = 0;
    };
    absl::Status buildCoupling();
    void publishNotice(Notice n);
    void publishAudience();

    sim::World& m_world;
    telemetry::Telemetry& m_telemetry;
    GiftsConfig m_config;
    bool m_started = false;
    bool m_ready = false;      // the readiness gate opened
    bool m_loadWanted = true;  // stopLoad() before the gate opened keeps the load off
    std::vector<Region> m_regions; // by topology region index
    int m_sharedRegion = -1;       // the broker every region uses in cross-region mode
    std::unique_ptr<Directory> m_directory;
    std::unique_ptr<Products> m_products;
    std::unique_ptr<infra::ServiceDiscovery> m_discovery;
    std::unique_ptr<infra::RaftCluster> m_ownRaft; // alone: the engine's own lock service
    infra::RaftCluster* m_raft = nullptr;          // m_ownRaft, or the shared "taishan"
    std::unique_ptr<resilience::QuotaServer> m_quotaServer;
    std::unique_ptr<OrderStore> m_orderStore;
    std::unique_ptr<SettlementDb> m_settlementDb;
    std::unique_ptr<PaymentLedger> m_ledger;
    std::unique_ptr<RefundQueue> m_refunds;
    std::unique_ptr<Audit> m_audit;
    std::unique_ptr<SettlementWatchdog> m_watchdog;
    std::unique_ptr<InvariantChecker> m_invariants;
    std::unique_ptr<ProductCatalog> m_catalog;
    std::unique_ptr<GiftPanel> m_panel;
    std::unique_ptr<LoadGenerator> m_load;
    std::unique_ptr<MultiActive> m_multiActive;
    std::unique_ptr<engine::RegionProber> m_prober;
    std::unique_ptr<OrderClient> m_client;
    std::vector<std::unique_ptr<SettlementConsumer>> m_consumers;
    std::vector<OrderClient::RegionSecond> m_regionSeconds;
    sim::ComponentId m_component;
    sim::EventKindId m_loadKind;
    sim::EventKindId m_readyKind;
    int m_rollupToken = 0;
    telemetry::Gauge* m_violationsGauge = nullptr;

    GiftsCoupling m_coupling;
    gala::NoticeLedger* m_notices = nullptr;
    gala::Audience* m_audience = nullptr;
    std::unique_ptr<NoticeSink> m_noticeSink;
    std::vector<std::unique_ptr<infra::MqProducer>> m_noticeProducers; // by region index
    NoticeStats m_noticeStats;
    telemetry::Counter* m_noticeCounter = nullptr;
    sim::EventKindId m_noticeKind = 0;
    sim::EventKindId m_audienceKind = 0;
};

} // namespace livedeck::gifts

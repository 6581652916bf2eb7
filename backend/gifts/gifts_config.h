// GiftsConfig: how one gift-system engine is built — regions, the multi-active mode,
// the order path, payment, settlement, the audit, the entry quota, the order pods'
// autoscaler, and the sabotage switches that turn a mechanism off so a drill can show
// what it prevents. Value types; validate() says what is wrong in words a drill author
// can act on.
//
// Defaults and their sources (docs/GIFTS.md unless marked "ours"):
//   serving regions sh-a, sh-b (multi-active, ~1 ms apart); standby region gz
//     (replicas, a Raft node, standby capacity)                         issue / topology.h
//   mode LocalFirst                                                     docs/GIFTS.md "next step"
//   cross-service timeout 250 ms                                        docs/GIFTS.md
//   order-path DB timeout 1 s (ours: the order path's database work is slower, so its
//     timeout is set apart from the 250 ms default — docs/GIFTS.md; 1 s holds a semi-sync
//     commit under load and a queue wait, and matches the SQL queue's max wait)
//   client order timeout 1 s (ours: the app's deadline for one attempt of the order path)
//   order lock timeout 750 ms (ours: rides out a Raft leader election; OrderServiceConfig)
//   payment re-check after 2 s                                          docs/GIFTS.md
//   order DB: 10 shards by UID, month partitions, semi-sync replication,
//     primary sh-a with replicas in sh-b and gz                         docs/GIFTS.md
//   audit every 5 s over charges older than 15 s (ours: longer than the re-check chain,
//     3 re-checks 2 s apart plus a DB timeout, so in-flight orders are not flagged)
//   missing-settlement alert after 30 s (ours: three consumer session timeouts of 10 s —
//     a crashed consumer's partitions are reassigned and its backlog settled within it)
//   poison message → DLQ after 3 attempts (ours)
//   entry quota 1 500 000 real orders/s (ours: the gala countdown peak of 330 M viewers
//     × 0.05 % × 4 = 660 K/s times the entries' 50 % headroom is 990 K/s of wants, and
//     a region's demand varies by ~10 % per period at drill scale: at 1 000 000 the
//     server capped the wants at the countdown and shed a healthy gala on 2 of 200
//     seeds; 1.5 M leaves that headroom, so a healthy gala is not shed); local
//     fallback rate = limit / serving regions (each region keeps its share)
//   order pods: 8 handler threads, 2 ms CPU per order (ours); HPA target 60 % CPU,
//     15 s sync period, 10 % tolerance, 300 s scale-down stabilisation (Kubernetes HPA
//     defaults except the target), 20 s pod start-up (ours)
//   panel: PanelConfig (panel.h: 50 ms per-user timeout, breaker above 50 % failures);
//   product data: CatalogConfig (catalog.h: hot-key detection, local cache, singleflight);
//   load: the "gala" LoadProfile and LoadGeneratorConfig's fidelity floor (load_profile.h,
//     load_generator.h)
// Single values; no threads.
#pragma once

#include "backend/gifts/catalog.h"
#include "backend/gifts/panel.h"
#include "backend/gifts/gift_types.h"
#include "backend/gifts/load_generator.h"
#include "backend/gifts/load_profile.h"
#include "backend/infra/service_queue.h"
#include "backend/infra/sql_config.h"
#include "backend/resilience/circuit_breaker.h"
#include "backend/resilience/quota_client.h"
#include "backend/resilience/retry_budget.h"

#include <absl/status/status.h>

#include <string>
#include <vector>

namespace livedeck::gifts {

// Switches that remove one mechanism, for the sabotaged twin of a scenario.
struct Sabotage {
    bool consumerNotIdempotent = false; // settlement table without its unique index, plain INSERT
    bool asyncReplication = false;      // order DB replicates asynchronously (loses acked writes on failover)
    bool noIdempotencyKey = false;      // no Raft order lock and no unique (uid, client_seq) key
    bool noPaymentRecheck = false;      // a timed-out payment fails the order at once
    bool noAudit = false;               // no reconciliation: mismatches never reach the refund queue
    bool noDeadLetter = false;          // a poison message is retried for ever (blocks its partition)
    bool noRegionDrain = false;         // the GSLB never moves a dead region's users
    bool quotaFailClosed = false;       // quota clients refuse everything when the server is unreachable
    bool noAutoscale = false;           // order pods stay at their initial count
    bool noBreaker = false;             // every circuit breaker (panel tabs, payment) disabled
    bool noSingleflight = false;        // every product lookup fetches on its own (catalog)
    bool noHotKeyCache = false;         // hot keys are not served from the in-process cache
    bool noHotRoomCache = false;        // the gateway does not serve hot rooms' panels from memory
    bool noKvHedge = false;             // cross-region catalog KV reads ask one pair only (no hedge)

    bool any() const;
    // Names of the switches that are on ("consumer-not-idempotent, async-replication").
    std::string describe() const;
};

// The order path's breaker on payment calls (see OrderServiceConfig::paymentBreaker).
resilience::CircuitBreakerConfig defaultPaymentBreaker();

struct OrderServiceConfig {
    // The order deployment of one region: `pods` × `threadsPerPod` real orders handled at
    // once; each takes `cpuPerOrder` of handler CPU (ours).
    int initialPods = 40;
    double threadsPerPod = 8.0;
    sim::Nanos cpuPerOrder = 2 * sim::kMillisecond;
    double maxQueuePerPod = 400.0;               // real requests waiting per pod (ours)
    sim::Nanos maxQueueWait = 500 * sim::kMillisecond; // ours: half the client timeout
    sim::Nanos crossServiceTimeout = 250 * sim::kMillisecond; // docs/GIFTS.md
    sim::Nanos dbTimeout = 1 * sim::kSecond;     // see header
    // The order lock at the Raft KV (ours): the lock is strong-consistency work on the
    // order path, so like the DB it has its own timeout, long enough to ride out one
    // leader election (~0.6 s after a leader's region dies, measured in the region-down
    // drill) and shorter than the client's 1 s, so an order waits for the new leader
    // instead of failing and getting its healthy order service ejected by discovery.
    sim::Nanos lockTimeout = 750 * sim::kMillisecond;
    sim::Nanos recheckDelay = 2 * sim::kSecond;  // docs/GIFTS.md
    int maxRechecks = 3;                         // ours; then the audit decides
    sim::Nanos lockLease = 30 * sim::kSecond;    // ours: covers the re-check chain
    std::string topic = "gift-orders";
    int topicPartitions = 8;                     // ours
    // Payment breaker per region: opens when half the (weighted) payment calls fail over
    // a 10 s window (ours: the panel's 50 % rule applied to payment), at least 5 000 real
    // calls (ours: ~ a second of one region's gala traffic at weight 300 is 300 K).
    resilience::CircuitBreakerConfig paymentBreaker = defaultPaymentBreaker();
};

struct PaymentConfig {
    // The payment gateway of one region (ours: 20 ms per call to the bank, 20 000 real
    // calls at once).
    sim::Nanos serviceTime = 20 * sim::kMillisecond;
    double concurrency = 20'000.0;
    double maxQueue = 200'000.0;
    double declineRate = 0.002;                  // ours: cards declined, balance too low
};

struct ClientConfig {
    sim::Nanos timeout = 1 * sim::kSecond;       // see header
    int maxAttempts = 3;                         // the first + 2 retries with the same key (ours)
    resilience::RetryBudgetConfig retryBudget;   // ≤ 10 % extra load, 10 ms × 2 backoff ≤ 200 ms
};

struct QuotaConfig {
    bool enabled = true;
    double limitPerSec = 1'500'000.0;            // see header
    std::string serverRegion = "sh-a";           // ours: the quota server runs in sh-a
    // Each entry asks for its estimated demand plus this headroom (ours: 50 %, not the
    // client library's 10 %): the server grants no more than a client's want, and a
    // region's weighted demand per 1 s period varies by about 10 % at drill scale
    // (~100 discrete sends of up to 6 000 real each), so 10 % ran dry every few periods
    // and, with the server unreachable, shed orders until the fallback began.
    double headroom = 0.5;
    // Each entry asks for a top-up as soon as its lease would not last the period at the
    // period's demand rate so far (ours; resilience::QuotaClientConfig::topUpEarly): the
    // countdown's x4 step emptied a lease sized on the demand before it about 0.4 s into
    // the period, and the send that found it empty was shed before the top-up came back.
    bool topUpEarly = true;
    // A lease granted in full that runs dry while the quota server cannot be reached
    // admits the overflow at the local fallback rate (ours; QuotaClientConfig::
    // fallbackWhenDry): the server never refused it, and a region's demand per period
    // varies by more than the headroom at drill scale (a send weighs up to 6 000 real).
    bool fallbackWhenDry = true;
};

struct SettlementConfig {
    int maxPollRecords = 500;                    // Kafka max.poll.records
    int poisonAttempts = 3;                      // see header
    sim::Nanos retryBackoff = 200 * sim::kMillisecond; // ours: DB unavailable → retry the batch
    sim::Nanos missingDelay = 30 * sim::kSecond; // see header
    sim::Nanos watchInterval = 1 * sim::kSecond; // ours
    bool repairMissing = true;                   // re-publish a missing order event after the alert (ours)
    sim::Nanos standbyInterval = 1 * sim::kSecond; // ours: checkpoint refresh / idle poll of the standby
    std::string group = "gifts-settlement";
};

struct AuditConfig {
    sim::Nanos interval = 5 * sim::kSecond;      // see header
    sim::Nanos delay = 15 * sim::kSecond;        // see header
    sim::Nanos maxPending = 60 * sim::kSecond;   // an order still 'created' this long after its charge is a mismatch
    int batch = 64;                              // order ids per IN (...) read
};

struct AutoscaleConfig {
    int minPods = 20;
    int maxPods = 400;
    double targetUtilization = 0.6;
    double tolerance = 0.1;
    sim::Nanos syncPeriod = 15 * sim::kSecond;
    sim::Nanos sampleInterval = 1 * sim::kSecond; // CPU samples averaged over a sync period (ours)
    sim::Nanos scaleDownStabilization = 300 * sim::kSecond;
    sim::Nanos podStartup = 20 * sim::kSecond;
};

struct MultiActiveConfig {
    std::vector<std::string> serving = {"sh-a", "sh-b"};
    std::string standby = "gz";
    MultiActiveMode mode = MultiActiveMode::LocalFirst;
    // GSLB health checks (ours): a probe every second from every region to each serving
    // region's entry; a region that a majority of probing regions cannot reach for
    // `downAfter` is drained (its UID clusters move to the other serving regions) and
    // restored after `restoreAfter` of successful probes.
    sim::Nanos probeInterval = 1 * sim::kSecond;
    sim::Nanos downAfter = 3 * sim::kSecond;
    sim::Nanos restoreAfter = 10 * sim::kSecond;
};

struct OrderDbConfig {
    std::uint32_t shards = 10;                                   // docs/GIFTS.md
    std::vector<std::string> placement = {"sh-a1", "sh-b1", "gz1"}; // primary sh-a, replicas elsewhere
    infra::ReplicationMode replication = infra::ReplicationMode::SemiSync;
    sim::Nanos failoverDetection = 3 * sim::kSecond;             // sql_config.h default
    std::string storageDir;                                      // empty: in memory
};

struct GiftsConfig {
    MultiActiveConfig multiActive;
    OrderServiceConfig orders;
    PaymentConfig payment;
    ClientConfig client;
    QuotaConfig quota;
    SettlementConfig settlement;
    AuditConfig audit;
    AutoscaleConfig autoscale;
    OrderDbConfig orderDb;
    CatalogConfig catalog;     // product data (the mode and sabotage switches are applied over it)
    PanelConfig panel;         // the gift panel (the sabotage switches are applied over it)
    LoadProfile load = LoadProfile::gala();
    LoadGeneratorConfig loadGenerator;
    Sabotage sabotage;

    absl::Status validate() const;
};

} // namespace livedeck::gifts

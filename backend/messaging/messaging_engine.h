// MessagingEngine: the private-messaging system on the world's regions, end to end for
// one-to-one sends and conversation-list queries (docs/MESSAGING.md "The engine").
//
// Two modes that differ only by the mechanisms the write-up changed:
//
//                      legacy                                upgraded
//   query tiers        Redis (cache-aside, short expiry)     Redis (24 h, pre-warmed top users)
//                      → MySQL primary                       → Taishan (Raft KV, RANDOM reads)
//                                                            → MySQL replica (primary for a
//                                                              user who wrote in the last
//                                                              `ryw_window`: read-your-writes)
//   MySQL list         (owner, time) index + table rows,     covering index, keyset
//                      OFFSET paging                         paging
//   unread total       SUM over the owner's rows             stored counter per user
//   secondary indexes  nine                                  two
//
// Both: conversations in 10 databases by `uid % 1000 / 100` (ShardRouter::legacyMessaging)
// with heavy-tailed conversation counts per user (Pareto), built at create() straight
// into every instance; one-to-one sends by write diffusion — a snowflake msgkey, a
// sequence for each inbox (SequenceAllocator with its ceilings in the Raft KV), the
// content row in its monthly table (ContentTableRouter: legacy quarter databases with
// monthly tables, upgraded monthly databases with 100 tables), the sender's and the
// receiver's conversation rows on their shards; then legacy deletes both users' cached
// lists (cache-aside) while upgraded refreshes them from the primary into Redis and
// Taishan with a version-guarded write (the sync path; the MQ hop is not modelled yet).
// Upgraded starts from its steady state: Taishan holds every user's entry (written
// through Raft before the load starts) and the offline load puts the top
// `prewarmShare` of the users into Redis.
//
// Every request enters its home region's BFF (a ServiceQueue) and from there uses the
// infra emulators over the emulated network, so every latency comes from those
// mechanisms. Load: Poisson arrivals of discrete requests at the fidelity floor × scale
// (2 000 sends and 5 000 queries per simulated second at scale 1), each weighing the
// real rate ÷ the discrete rate, every limiter counting by weight.
//
// Invariants, checked on every discrete request:
//   messaging.no_lost_send   (safety) every acknowledged send wrote its content row and
//                            both conversation rows; at the end, the content tables
//                            hold exactly the acknowledged sends.
//   messaging.seq_monotonic  (safety) per inbox, each sequence handed out is above every
//                            one handed out before: strictly increasing, never reused.
//
// Thread: the world's thread. Deterministic: randomness from world.stream().
#pragma once

#include "backend/engine/region_probe.h"
#include "backend/infra/kv_pair.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/infra/service_queue.h"
#include "backend/infra/sql_cluster.h"
#include "backend/messaging/content_router.h"
#include "backend/messaging/conversation_schema.h"
#include "backend/messaging/sequence_allocator.h"
#include "backend/messaging/snowflake.h"
#include "backend/sim/world.h"
#include "backend/telemetry/histogram.h"
#include "backend/telemetry/telemetry.h"

#include <absl/status/statusor.h>

#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::messaging {

enum class MessagingMode : std::uint8_t { Legacy, Upgraded };
const char* toString(MessagingMode mode);

// Switches that turn one mechanism off (a drill's sabotaged twin).
struct MessagingSabotage {
    bool noTaishanTier = false;          // upgraded: a Redis miss goes straight to MySQL
    bool seqReloadFromPersisted = false; // a lost sequence cache restarts from the last write-back
};

struct MessagingConfig {
    MessagingMode mode = MessagingMode::Upgraded;
    MessagingSabotage sabotage;

    // Load (real-equivalent rates; docs/MESSAGING.md "Defaults").
    double scale = 1.0;               // discrete-request scale of the fidelity floor
    double sendsPerSec = 20'000.0;    // real one-to-one sends per second
    double queriesPerSec = 50'000.0;  // real conversation-list queries per second
    double minDiscreteSendsPerSec = 2'000.0;
    double minDiscreteQueriesPerSec = 5'000.0;
    sim::Nanos loadStart = 1 * sim::kSecond; // Raft elects, pre-warm runs
    double loadMultiplier = 1.0;
    double queryZipf = 0.9;           // popularity of the users asking for their list

    // Data (`data_scale` multiplies the users; page caches scale alongside).
    double dataScale = 0.1;
    std::uint32_t users = 20'000;     // × dataScale
    double conversationsMin = 4.0;    // Pareto scale (x_m) of conversations per user
    double conversationsAlpha = 1.1;  // Pareto shape: a heavy tail
    std::int64_t pageCachePages = 320;   // per SQL instance, × dataScale (32 pages at 0.1)

    // Tiers.
    std::int64_t pageSize = 20;
    sim::Nanos legacyTtl = 2 * sim::kSecond;   // legacy cache-aside expiry (drill-scaled)
    sim::Nanos redisTtl = 24 * sim::kHour;     // upgraded Redis TTL
    double prewarmShare = 0.5;                 // upgraded: the top users loaded at start
    sim::Nanos rywWindow = 1 * sim::kSecond;   // writer reads the primary this long
    sim::Nanos bffCost = 50 * sim::kMicrosecond;
    double bffConcurrency = 2'000.0;           // real requests at once per region's BFF
};

class MessagingEngine final : public telemetry::SnapshotContributor, public sim::Inspectable {
public:
    static absl::StatusOr<std::unique_ptr<MessagingEngine>> create(sim::World& world, telemetry::Telemetry& telemetry,
                                                                   MessagingConfig config);
    ~MessagingEngine() override;
    MessagingEngine(const MessagingEngine&) = delete;
    MessagingEngine& operator=(const MessagingEngine&) = delete;

    void start();
    void setLoadMultiplier(double multiplier) { m_config.loadMultiplier = multiplier; }
    void setRates(double sendsPerSec, double queriesPerSec)
    {
        m_config.sendsPerSec = sendsPerSec;
        m_config.queriesPerSec = queriesPerSec;
    }
    // p99 of the queries answered in the last completed second (every region), ms.
    double secondP99Ms() const { return m_lastSecondP99Ms; }
    void stopLoad() { m_loadStopped = true; }
    // The sequence cache loses everything (a Redis flush of the sequence keys).
    void loseSequenceCache() { m_seq.loseCache(); }
    // Every region's Redis loses every key (mass expiry / FLUSHALL).
    void flushCaches();

    // One discrete request, outside the load generator (tests, operator).
    void sendOneToOne(std::uint32_t sender, std::uint32_t receiver, double weight);
    void queryConversations(std::uint32_t user, double weight);

    struct Totals {
        double sends = 0.0;          // acknowledged, weighted
        double sendFailures = 0.0;
        double queries = 0.0;        // answered, weighted
        double queryFailures = 0.0;
        double redisHits = 0.0, redisMisses = 0.0;
        double taishanHits = 0.0, taishanMisses = 0.0;
        double mysqlReads = 0.0, mysqlPrimaryReads = 0.0;
        std::uint64_t discreteSends = 0, discreteQueries = 0;
    };
    const Totals& totals() const { return m_totals; }
    // Query latency of every answered discrete query (weighted), from the start.
    const telemetry::Histogram& queryLatency() const { return m_queryLatency; }
    // Starts the query-latency histograms afresh (a measurement window after warm-up).
    void resetQueryLatency();
    // The same by the tier that answered: 0 Redis, 1 Taishan, 2 MySQL.
    const telemetry::Histogram& tierLatency(int tier) const { return m_tierLatency[tier]; }

    struct InvariantState {
        std::string name;
        bool passed = true;
        std::uint64_t checked = 0;
        std::string detail;
    };
    std::vector<InvariantState> invariantStatus() const;
    // The end-of-run scan (content tables against the acknowledged sends) then the status.
    std::vector<InvariantState> finalInvariants();

    const MessagingConfig& config() const { return m_config; }
    sim::World& world() { return m_world; }
    sim::ComponentId component() const { return m_component; }
    std::uint32_t userCount() const { return m_users; }
    std::int64_t conversationsOf(std::uint32_t user) const { return m_convCount[user]; }
    infra::SqlCluster& conversationDb() { return *m_convDb; }

    void contribute(v1::Snapshot& snapshot) const override;
    void inspect(sim::StateWriter& out) const override;

private:
    struct Region;
    MessagingEngine(sim::World& world, telemetry::Telemetry& telemetry, MessagingConfig config);
    absl::Status build();
    absl::Status preload();

    Region& home(std::uint32_t user);
    void nextSend();
    void nextQuery();
    double discreteRate(double real, double floor) const;

    struct SendOp;
    void allocateSeq(std::shared_ptr<SendOp> op, int side);
    void writeSend(std::shared_ptr<SendOp> op);
    void sendPartDone(std::shared_ptr<SendOp> op, bool ok, const char* what);

    struct QueryOp;
    void queryRedis(std::shared_ptr<QueryOp> op);
    void queryTaishan(std::shared_ptr<QueryOp> op);
    void queryMysql(std::shared_ptr<QueryOp> op, bool fillTaishan);
    void finishQuery(std::shared_ptr<QueryOp> op, bool ok);
    void prewarm();
    void syncUser(std::uint32_t user, double weight);

    void violation(std::size_t invariant, std::string detail);
    std::string cacheKey(std::uint32_t user) const;
    std::int64_t nowUnixMs() const;
    void regionSecond();

    sim::World& m_world;
    telemetry::Telemetry& m_telemetry;
    MessagingConfig m_config;
    sim::ComponentId m_component = sim::kNoComponent;
    ConversationSchema m_schema;
    ContentTableRouter m_router;
    std::uint32_t m_users = 0;
    std::vector<std::int64_t> m_convCount;
    std::vector<sim::Nanos> m_lastWrite; // per user: when its last send was acknowledged

    std::unique_ptr<infra::SqlCluster> m_convDb;
    std::unique_ptr<infra::SqlCluster> m_contentDb;
    std::unique_ptr<infra::RaftCluster> m_raft;
    std::vector<std::unique_ptr<Region>> m_regions; // home regions only
    std::vector<int> m_regionOfSlot;                // world region index of each home region
    std::unique_ptr<engine::RegionProber> m_prober;

    SnowflakeGenerator m_snowflake;
    SequenceAllocator m_seq;
    std::map<std::uint64_t, std::uint64_t> m_lastSeq;       // inbox → last sequence handed out
    std::map<std::uint64_t, std::uint64_t> m_persistedSeq;  // inbox → last sequence written back
    std::vector<std::string> m_bootstrap;                    // upgraded: Taishan's entries at start
    std::map<std::uint32_t, std::uint64_t> m_syncVersion;   // user → last sync version
    std::map<std::string, std::uint64_t> m_contentRows;     // "database.table" → acknowledged rows
    std::set<std::string> m_contentTables;

    sim::RandomStream m_rng;
    sim::ZipfDistribution m_queryZipf;
    std::vector<std::uint32_t> m_popularity; // Zipf rank → user
    sim::EventKindId m_sendKind;
    sim::EventKindId m_queryKind;
    sim::EventKindId m_secondKind;
    bool m_started = false;
    bool m_loadStopped = false;

    Totals m_totals;
    telemetry::Histogram m_queryLatency;
    telemetry::Histogram m_tierLatency[3];
    telemetry::Histogram m_second;
    double m_lastSecondP99Ms = 0.0;
    std::vector<InvariantState> m_invariants;
    std::uint64_t m_inflightSends = 0;

    telemetry::Counter* m_sendsMetric = nullptr;
    telemetry::Counter* m_queriesMetric = nullptr;
    telemetry::Counter* m_errorsMetric = nullptr;
    telemetry::Histogram* m_queryLatencyMetric = nullptr;
    telemetry::Histogram* m_sendLatencyMetric = nullptr;
    telemetry::Gauge* m_redisHitGauge = nullptr;
    telemetry::Gauge* m_taishanHitGauge = nullptr;
};

} // namespace livedeck::messaging

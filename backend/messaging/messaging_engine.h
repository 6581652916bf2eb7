// MessagingEngine: the private-messaging system on the world's regions, end to end for
// one-to-one sends and conversation-list queries (docs/MESSAGING.md "The engine").
//
// Two modes that differ only by the mechanisms the write-up changed:
//
//                      legacy                                upgraded
//   query tiers        Redis (cache-aside, short expiry)     Redis (24 h, pre-warmed top users)
//                      → MySQL primary                       → Taishan (Raft KV, RANDOM reads)
//                                                            → MySQL replica (read-your-writes:
//                                                              the writer's session token —
//                                                              its last acknowledged send and
//                                                              binlog positions — turns a
//                                                              stale answer into the next
//                                                              tier, a lagging replica into
//                                                              the primary)
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
#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_producer.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/infra/service_queue.h"
#include "backend/infra/sql_cluster.h"
#include "backend/messaging/content_router.h"
#include "backend/messaging/messaging_inspect.h"
#include "backend/messaging/conversation_schema.h"
#include "backend/messaging/sequence_allocator.h"
#include "backend/messaging/snowflake.h"
#include "backend/sim/world.h"
#include "backend/telemetry/histogram.h"
#include "backend/telemetry/telemetry.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::engine {
class SharedResources;
}
namespace livedeck::gala {
class NoticeLedger;
}

namespace livedeck::messaging {

enum class MessagingMode : std::uint8_t { Legacy, Upgraded };
const char* toString(MessagingMode mode);

// Switches that turn one mechanism off (a drill's sabotaged twin).
struct MessagingSabotage {
    bool noTaishanTier = false;          // upgraded: a Redis miss goes straight to MySQL
    bool seqReloadFromPersisted = false; // a lost sequence cache restarts from the last write-back
    bool oneSharedChannel = false;       // upgraded: bulk and high-priority sends share one channel
    bool plainSetSync = false;           // the binlog apply writes with a plain SET, no version guard
    bool mtimeVersion = false;           // the synced version is the plain modification ms (not total)
    bool noHedge = false;                // upgraded: a Taishan read is never hedged to MySQL
    bool noClientCache = false;          // clients keep no last good summary (a failure is a blank page)
    bool noDeadLetter = false;           // a bulk record that keeps failing is retried forever
    bool snowflakeIgnoresClock = false;  // ids issued from the clock as it is, also when it went back
    bool noReadYourWrites = false;       // upgraded: the writer's session token is ignored (caches as they
                                         // are, MySQL reads always on a replica)
    bool sharedBff = false;              // upgraded: notifications share the chat BFF (no split by domain)
    bool noRegionFailover = false;       // upgraded: clients stay on their home region when it is down
    bool noReplicas = false;             // upgraded: every MySQL read goes to the primary (replicas
                                         // still replicate, none serves a read)
    bool noCoveringIndex = false;        // upgraded: the conversation table without the list's
                                         // covering index (UpgradedSchemaOptions::coveringIndex)
    bool noStoredCounters = false;       // upgraded: no stored unread counter; the total is summed
                                         // over the user's rows at query time
};

// One MQ channel of bulk sends: a topic, its consumer group's consumers, and the
// in-process workers each consumer hands its records to.
struct BulkChannelConfig {
    std::string topic;
    int partitions = 1;
    int consumers = 1;
    int workers = 1;
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
    double hotReceiverShare = 0.0;    // share of one-to-one sends to the most popular account

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
    // Share of acknowledged one-to-one sends after which the sender opens the
    // conversation: its message read back from the content store (0: none).
    double detailReadShare = 0.0;
    // System and interaction notification requests (the notification domain): each takes
    // `noticeBffCost` of a BFF worker (rendering, aggregation), then bumps the user's
    // notification counter in Redis. Legacy serves them on the one BFF of each region;
    // upgraded on the region's notification BFF, beside the chat BFF (split by domain).
    double noticesPerSec = 0.0;            // real requests per second
    double minDiscreteNoticesPerSec = 40'000.0; // × scale: keeps each request's weight under the BFF's concurrency
    sim::Nanos noticeBffCost = 2 * sim::kMillisecond;
    sim::Nanos detailReadDelay = 200 * sim::kMillisecond; // after the acknowledgement
    sim::Nanos bffCost = 50 * sim::kMicrosecond;
    double bffConcurrency = 2'000.0;           // real requests at once per region's BFF
    sim::Nanos hedgeDelay = 20 * sim::kMillisecond; // upgraded: a Taishan read not answered by then asks MySQL too
    double hedgeBudget = 0.1;                  // hedges at most this share of the queries
    double hotUserQueriesPerSec = 1'000.0;     // upgraded: a user asked this often (real/s) is pre-warmed
    // The engine's own Taishan asks for its leader in the first home region, where two of
    // its three nodes and the writers are (Raft leader affinity; docs/MESSAGING.md
    // "Defaults"). Off: the leader is wherever the first election puts it.
    bool taishanLeaderHome = true;

    // Bulk sends (business-to-user campaigns) through the MQ (docs/MESSAGING.md "Bulk sends").
    double bulkUsersPerSec = 100'000.0;    // a campaign's fan-out into its channel, real users/s
    double minDiscreteBulkPerSec = 1'000.0; // discrete recipients per second × scale (equal weights in both modes)
    double campaignUsers = 0.0;            // real recipients of the campaign (0: none)
    sim::Nanos campaignStart = 1 * sim::kSecond;
    double highPriorityPerSec = 0.0;       // real high-priority notifications per second
    double minDiscreteHighPerSec = 200.0;
    BulkChannelConfig sharedChannel{"msg-all", 16, 16, 1};      // legacy: every kind on one channel
    BulkChannelConfig dailyChannel{"msg-bulk-daily", 32, 16, 8}; // upgraded: campaigns
    BulkChannelConfig highChannel{"msg-bulk-high", 64, 32, 8};   // upgraded: high priority
    int maxDeliveryAttempts = 3;           // then the record goes to the dead-letter topic
    double poisonShare = 0.0;              // share of the campaign's records that always fail

    // Group chat (read diffusion).
    double groupSendsPerSec = 2'000.0;     // real group sends per second
    double minDiscreteGroupPerSec = 500.0;
    std::uint32_t groups = 2'000;          // × dataScale
    std::uint32_t membersPerGroup = 50;

    // Binlog sync (upgraded): binlog → MQ → version-guarded apply into Redis and Taishan.
    BulkChannelConfig syncChannel{"msg-binlog", 16, 8, 4};
    sim::Nanos canalPollInterval = 20 * sim::kMillisecond;
    double binlogRecordsPerSend = 2.0;     // conversation rows per one-to-one send

    // Content placement: the month's rows before the drill (real), routed id by id.
    double monthlyContentRows = 830'000'000.0;
    double contentSampleIds = 1'000'000.0; // × dataScale ids routed through the ContentTableRouter
};

// How the messaging engine couples to the other engines of its run (docs/GALA.md). Off
// by default: an engine alone builds exactly what it always built.
struct MessagingCoupling {
    engine::SharedResources* shared = nullptr; // required by every switch below
    bool sharedInfra = false;  // Taishan is the shared "taishan", each home data centre's
                               // Redis the shared "redis/<dc>"
    bool giftNotices = false;  // consume the gifts' interaction notifications and deliver them
    bool noticeClaim = true;   // off (sabotage): a notification is delivered without its
                               // idempotency claim (a redelivered record is delivered again)
    int noticeConsumers = 4;   // the consumer group on the notification topic
};

class MessagingEngine final : public telemetry::SnapshotContributor, public sim::Inspectable {
public:
    // The invariants, in invariantStatus() order.
    enum Invariant : std::size_t {
        kNoLostSend,        // safety
        kSeqMonotonic,      // safety
        kBulkExactlyOnce,   // safety
        kGroupUnread,       // safety
        kSyncVersion,       // safety
        kNoBlankPage,       // safety
        kMsgkeyUnique,      // safety
        kCacheConverges,    // liveness (after the load stops)
        kGiftNoticeOnce,    // safety: no settled gift's notification delivered twice (docs/GALA.md)
        kGiftNoticeDelivered, // liveness: every settled gift's notification delivered
        kReadYourWrites,    // safety: a sender never sees a list or detail without its acknowledged send
    };
    static absl::StatusOr<std::unique_ptr<MessagingEngine>> create(sim::World& world, telemetry::Telemetry& telemetry,
                                                                   MessagingConfig config,
                                                                   MessagingCoupling coupling = {});
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
    // Group sends, high-priority notifications (real/s), and the share of one-to-one
    // sends to the most popular account (a hot creator); the generators start if idle.
    void setExtraRates(double groupSendsPerSec, double highPriorityPerSec, double hotReceiverShare);
    // System and interaction notification requests (real/s); the generator starts if idle.
    void setNoticeRate(double noticesPerSec);
    // p99 of the queries answered in the last completed second (every region), ms.
    double secondP99Ms() const { return m_lastSecondP99Ms; }
    // The last completed second's rates and tails.
    struct SecondStats {
        double bulkUsersPerSec = 0.0;     // real users delivered by the campaign channel
        double bulkWorkMs = 0.0;          // mean store time of one recipient (claim, sequence, row)
        double highUsersPerSec = 0.0;
        double highP99Ms = 0.0;           // produce → delivered, high-priority notifications
        double syncRecordsPerSec = 0.0;   // real binlog records applied or refused in Redis
        double syncLagP99Ms = 0.0;        // commit → applied
        double replicaDelayP99Ms = 0.0;
        double groupPushesPerSec = 0.0;
        double blankPages = 0.0;
        double cachedSummaries = 0.0;
        double hedges = 0.0;
        double mysqlReadShare = 0.0;      // conversation queries that read MySQL
        double mysqlReplicaShare = 0.0;   // MySQL reads (lists and details) a replica served
        double noticeRequestsPerSec = 0.0; // notification requests served (real)
        double noticeP99Ms = 0.0;
        double chatShed = 0.0;            // one-to-one sends and queries refused by a BFF (real)
        double queryAvailability = 1.0;   // conversation queries answered ÷ asked (1 when none asked)
    };
    const SecondStats& lastSecond() const { return m_lastSecondStats; }
    void stopLoad();
    // The sequence cache loses everything (a Redis flush of the sequence keys).
    void loseSequenceCache()
    {
        m_seq.loseCache();
        m_trail.sequenceCacheLost();
    }
    // Every region's Redis loses every key (mass expiry / FLUSHALL).
    void flushCaches();

    // One discrete request, outside the load generator (tests, operator).
    void sendOneToOne(std::uint32_t sender, std::uint32_t receiver, double weight);
    void queryConversations(std::uint32_t user, double weight);
    // A group send (read diffusion): one timeline entry, a transient push to each member.
    void sendGroup(std::uint32_t group, std::uint32_t sender, double weight);
    // A member reads its group up to the group's max sequence.
    void markGroupRead(std::uint32_t group, std::uint32_t member);
    // Group max sequence − the member's read sequence; -1 when not a member.
    std::int64_t groupUnread(std::uint32_t group, std::uint32_t member); // checks messaging.group_unread
    std::uint32_t groupCount() const { return static_cast<std::uint32_t>(m_groups.size()); }

    // The canal's entry point: one binlog entry of a conversation shard (upgraded; what
    // the shards' binlog subscriptions deliver; benchmarks feed it directly).
    void canalEntry(std::uint32_t shard, const infra::BinlogEntry& entry) { onBinlog(shard, entry); }

    // Bulk campaigns (docs/MESSAGING.md "Bulk sends"): a task of `realUsers` recipients
    // fanned out into its channel at `bulkUsersPerSec`.
    void startCampaign(double realUsers);
    void pauseCampaign() { m_campaignPaused = true; }
    void resumeCampaign();
    bool campaignPaused() const { return m_campaignPaused; }

    // Operator actions.
    absl::Status prewarmUser(std::uint32_t user);
    absl::Status flushRegion(std::string_view region);
    absl::Status drainRegion(std::string_view region);
    absl::Status restoreRegion(std::string_view region);
    // The message workers' clock (the snowflake's) runs `ms` behind the world's from now.
    void setClockOffsetMs(std::int64_t ms) { m_clockOffsetMs = ms; }
    // `users` receivers get two sends in the same millisecond (the sync must keep both).
    void doubleUpdate(int users);

    struct Totals {
        double sends = 0.0;          // acknowledged, weighted
        double sendFailures = 0.0;
        double queries = 0.0;        // answered, weighted
        double queryFailures = 0.0;
        double redisHits = 0.0, redisMisses = 0.0;
        double taishanHits = 0.0, taishanMisses = 0.0;
        double mysqlReads = 0.0, mysqlPrimaryReads = 0.0;
        double replicaReads = 0.0, replicaReadsAll = 0.0; // list reads / list and detail reads a replica served
        double mysqlReadsAll = 0.0;  // list and detail reads
        double rywPrimary = 0.0;     // reads sent to the primary after a replica behind the writer's position
        double rywStaleCache = 0.0;  // cached lists passed over because they lack the writer's send
        double detailReads = 0.0, detailFailures = 0.0;
        double rywMissedLists = 0.0, rywMissedDetails = 0.0; // shown without the sender's own send
        double noticeRequests = 0.0, noticeShed = 0.0; // notification requests served / refused
        double chatShed = 0.0;       // one-to-one sends and queries refused by a BFF
        double failovers = 0.0;      // changes of the regions the health checks see down
        double hedges = 0.0, hedgesWon = 0.0, hotPrewarms = 0.0;
        double cachedSummaries = 0.0, blankPages = 0.0;  // failed queries shown from the client's copy / blank
        double bulkDelivered = 0.0, bulkRedelivered = 0.0, deadLettered = 0.0, bulkProduced = 0.0;
        double highDelivered = 0.0;
        double groupSends = 0.0, groupPushes = 0.0;
        double syncRecords = 0.0, syncApplied = 0.0, syncRefused = 0.0;
        std::uint64_t discreteSends = 0, discreteQueries = 0, discreteBulk = 0;
    };
    const Totals& totals() const { return m_totals; }
    // Interaction notifications of settled gifts (coupled runs, docs/GALA.md).
    struct NoticeStats {
        double delivered = 0.0;       // weighted, first deliveries
        double redelivered = 0.0;     // weighted, refused by the idempotency claim
        std::uint64_t discreteDelivered = 0;
        std::uint64_t retries = 0;    // a store step failed; tried again
        std::uint64_t claims = 0;     // deliveries that asked for a claim (each its own token)
        telemetry::Histogram latency; // settled → delivered (weighted)
    };
    const NoticeStats& noticeStats() const { return m_notices; }
    // Settled gifts whose notification is not delivered yet (0 when not coupled).
    std::uint64_t noticesPending() const;
    const MessagingCoupling& coupling() const { return m_coupling; }
    // Query latency of every answered discrete query (weighted), from the start.
    const telemetry::Histogram& queryLatency() const { return m_queryLatency; }
    // Starts the query-latency histograms afresh (a measurement window after warm-up).
    void resetQueryLatency();
    // The same by the tier that answered: 0 Redis, 1 Taishan, 2 MySQL.
    const telemetry::Histogram& tierLatency(int tier) const { return m_tierLatency[tier]; }
    // High-priority notifications: produce → delivered in the recipient's inbox.
    const telemetry::Histogram& highLatency() const { return m_highLatency; }
    // Binlog sync: commit on the primary → applied in Redis; replica apply delay.
    const telemetry::Histogram& syncLag() const { return m_syncLag; }
    double replicaDelayMs() const;
    // Content placement: real-equivalent rows per content table of the current month
    // (mean over the month's tables) and the fullest table ÷ that mean.
    double contentRowsPerTable() const;
    double contentMaxOverMean() const;
    // Records still in the bulk channels (real users): the backlog.
    double bulkBacklog() const { return m_totals.bulkProduced - m_totals.bulkDelivered - m_totals.deadLettered; }
    // Real workers in the bulk channels that can run at once: min(partitions, consumers) × workers.
    double bulkParallelism(bool high) const;

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
    friend struct MessagingInspect; // the console views' keys (messaging_inspect.h)
    struct Region;
    MessagingEngine(sim::World& world, telemetry::Telemetry& telemetry, MessagingConfig config,
                    MessagingCoupling coupling);
    // Notifications of settled gifts (messaging_notices.cpp).
    struct NoticeJob;
    absl::Status buildNotices();
    void startNotices();
    void handleNoticeBatch(int consumer, const infra::MqBatch& batch, infra::MqAck ack);
    void deliverNotice(std::shared_ptr<NoticeJob> job);
    void writeNotice(std::shared_ptr<NoticeJob> job);
    void finishNotice(std::shared_ptr<NoticeJob> job);
    void markNoticeDone(std::shared_ptr<NoticeJob> job);
    void retryNotice(std::shared_ptr<NoticeJob> job);
    void checkNotices(bool final);
    absl::Status build();
    absl::Status preload();

    Region& home(std::uint32_t user);
    // Where the user's idempotency claims live: its own home region's Redis, whichever
    // region serves it (a claim moved with a drain or a failover would let a redelivered
    // record be delivered again).
    Region& claimHome(std::uint32_t user) { return *m_regions[user % m_regions.size()]; }
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
    void readMysqlList(std::shared_ptr<QueryOp> op, bool fillTaishan, bool strong);
    // Read-your-writes (docs/MESSAGING.md "Replicas and read-your-writes").
    bool reflectsToken(const QueryOp& op, std::string_view list) const;
    void checkReadYourWrites(const QueryOp& op, std::string_view list);
    void noteReadYourWrites(const QueryOp& op, bool reflects); // reflectsToken already known
    bool countReplicaRead(const infra::SqlResult& result, std::uint32_t shard, bool content);
    bool replicaHas(infra::SqlCluster& db, std::uint32_t shard, sim::ComponentId from, std::uint64_t position) const;
    // Upgraded reads lists and details on replicas (read-your-writes aside); legacy and the
    // no-replicas switch read the primary.
    bool readsReplicas() const
    {
        return m_config.mode == MessagingMode::Upgraded && !m_config.sabotage.noReplicas;
    }
    void readDetail(std::uint32_t sender, std::uint64_t msgkey, double weight);
    struct DetailOp;
    void readDetailFrom(std::shared_ptr<DetailOp> op, bool strong);
    // Notification requests (the notification domain's BFF).
    void nextNotice();
    void noticeRequest(std::uint32_t user, double weight);
    void watchRegions(); // region failover by the health checks
    void finishQuery(std::shared_ptr<QueryOp> op, bool ok);
    void prewarm();
    void queryHedge(std::shared_ptr<QueryOp> op);
    void loadInto(std::uint32_t user, bool taishan);
    void noteQuery(std::uint32_t user, double weight);

    // Bulk (messaging_bulk.cpp).
    struct Channel;
    struct BulkWorker;
    void buildChannels();
    void startChannels();
    void nextFanOut();
    void nextHigh();
    void produceBulk(Channel& ch, std::uint32_t user, std::uint64_t task, std::uint64_t index, double weight, bool high,
                     bool poison);
    void handleBulkBatch(Channel& ch, int consumer, const infra::MqBatch& batch, infra::MqAck ack);
    void reserveSeq(std::uint64_t inbox, Region& r, std::function<void(bool ok, std::uint64_t seq)> done);
    struct BulkJob;
    void runWorker(Channel& ch, int consumer);
    void deliverBulk(Channel& ch, std::shared_ptr<BulkJob> job, int consumer);
    void writeBulk(std::shared_ptr<BulkJob> job, bool seqOk);
    void finishBulk(std::shared_ptr<BulkJob> job, sim::Nanos hold);
    void retryBulk(std::shared_ptr<BulkJob> job, bool claimed);
    Channel& channelFor(bool high);

    // Groups (messaging_group.cpp).
    void buildGroups();
    void nextGroupSend();

    // Binlog sync (messaging_sync.cpp).
    struct Mirror;
    struct CanalWork;
    void buildSync();
    void onBinlog(std::uint32_t shard, const infra::BinlogEntry& entry);
    // One user's list from the mirror into the canal's batch, stamped with its next
    // version: the record joins the batch now; `work` builds its value from the mirror,
    // after the updates queued on it before (on the world's helper; flushCanal waits).
    void stampSync(CanalWork& work, std::uint32_t user, std::int64_t mtimeMs, sim::Nanos commitTime, double weight);
    // An empty CanalWork to fill and post (postCanalWork), in the order of the binlog.
    CanalWork& newCanalWork();
    void postCanalWork(CanalWork& work);
    // After a drain or a restore: the lists of the users now served by another region.
    void resyncMoved(const std::vector<const Region*>& servedBefore);
    std::vector<const Region*> servingRegions();
    void handleSyncBatch(const infra::MqBatch& batch, infra::MqAck ack);
    struct SyncBatch;
    void applySync(std::shared_ptr<SyncBatch> state, std::size_t chain, std::size_t at);
    void startSync();
    void sampleReplicas();
    void flushCanal();
    void produceCanal(int partition, std::vector<infra::MqMessage> messages);
    void checkConvergence();

    void placeContent();
    bool issueMsgkey(std::int64_t unixMs, std::uint64_t& id);

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
    // Per user: its last acknowledged one-to-one send as the sender (the session's
    // read-your-writes token: what, and the binlog positions of its own rows).
    struct WriteToken {
        std::uint64_t msgkey = 0;      // 0: none
        std::int64_t peer = 0;
        std::int64_t msgMs = 0;
        std::uint64_t convPosition = 0;    // the sender's conversation row on its shard
        std::uint64_t contentPosition = 0; // the content row
        sim::Nanos ackedAt = 0;
    };
    std::vector<WriteToken> m_writeToken;
    sim::RandomStream m_detailRng;
    sim::RandomStream m_noticeRng;
    bool m_noticeRunning = false;
    telemetry::Histogram m_noticeSecond; // notification requests' latency, the current second

    std::unique_ptr<infra::SqlCluster> m_convDb;
    std::unique_ptr<infra::SqlCluster> m_contentDb;
    std::unique_ptr<infra::RaftCluster> m_ownRaft; // alone: the engine's own Taishan
    infra::RaftCluster* m_raft = nullptr;          // m_ownRaft, or the shared "taishan"
    std::vector<std::unique_ptr<Region>> m_regions; // home regions only
    std::vector<int> m_regionOfSlot;                // world region index of each home region
    std::unique_ptr<engine::RegionProber> m_prober;

    SnowflakeGenerator m_snowflake;
    SequenceAllocator m_seq;
    absl::flat_hash_map<std::uint64_t, std::uint64_t> m_lastSeq;      // inbox → last sequence handed out (looked up only)
    absl::flat_hash_map<std::uint64_t, std::uint64_t> m_persistedSeq; // inbox → last sequence written back (looked up only)
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

    // Bulk.
    std::unique_ptr<infra::MqBroker> m_mq;
    std::vector<std::unique_ptr<Channel>> m_channels; // legacy: shared; upgraded: daily, high (or one shared)
    std::unique_ptr<infra::MqProducer> m_producer;
    std::uint64_t m_nextTask = 1;
    double m_campaignLeft = 0.0;    // real users still to fan out
    std::uint64_t m_campaignTask = 0;
    bool m_campaignPaused = false;
    bool m_fanOutRunning = false;
    bool m_highRunning = false;
    bool m_groupRunning = false;
    std::uint64_t m_fanOutCursor = 0;
    std::map<std::pair<std::uint64_t, std::uint32_t>, int> m_bulkDelivered; // (task, recipient) → messages
    sim::RandomStream m_bulkRng;
    sim::EventKindId m_bulkKind;

    // Groups: members of each group, read sequence per (group, member), max sequence.
    struct Group {
        std::vector<std::uint32_t> members;
        std::uint64_t maxSeq = 0;
        std::map<std::uint32_t, std::uint64_t> readSeq;
        std::set<std::uint64_t> seqs; // acknowledged entries
    };
    std::vector<Group> m_groups;
    sim::EventKindId m_groupKind;

    // Binlog sync.
    std::unique_ptr<Mirror> m_mirror;
    std::unique_ptr<infra::MqProducer> m_canal;
    // A record waiting for the flush: its message has every field but the value, which
    // `work`'s image number `image` builds.
    struct CanalRecord {
        infra::MqMessage message;
        CanalWork* work;
        std::size_t image;
    };
    std::map<int, std::vector<CanalRecord>> m_canalBatch; // partition → records waiting for the flush
    std::vector<std::unique_ptr<CanalWork>> m_canalWork;     // posted since the last flush, in order
    std::vector<std::unique_ptr<CanalWork>> m_canalIdle;     // for reuse
    sim::OffloadStrand m_canalStrand;                        // the mirror's tasks, in order
    bool m_canalFlushArmed = false;
    std::vector<std::unique_ptr<infra::MqConsumer>> m_syncConsumers;
    std::vector<std::uint64_t> m_appliedVersion; // user → highest version applied in Redis
    telemetry::Histogram m_syncLag;
    telemetry::Histogram m_highLatency;
    absl::flat_hash_map<std::int64_t, double> m_rowWeight; // msgkey → weight of its write (looked up, never iterated)
    telemetry::Histogram m_replicaDelay;
    telemetry::Histogram m_replicaSecond;
    telemetry::Histogram m_syncLagSecond;
    telemetry::Histogram m_highSecond;
    telemetry::Histogram m_bulkWorkSecond; // per campaign record: claim → sequence → row written
    std::vector<std::uint64_t> m_canalVersion; // user → last version the canal stamped
    std::vector<char> m_synced;                 // user → the sync has written it
    sim::EventKindId m_syncKind;

    // Query rates for hot users, drained regions.
    std::vector<double> m_queryWeight;          // user → real queries in the current second
    std::vector<std::uint32_t> m_queried;       // users asked in the current second, in order
    std::set<std::uint32_t> m_hotUsers;
    std::set<int> m_drained;                    // home-region slots drained
    std::set<int> m_failedOver;                 // home-region slots the health checks see down (upgraded)
    double m_hedgeTokens = 0.0;
    std::int64_t m_clockOffsetMs = 0;
    absl::flat_hash_set<std::uint64_t> m_msgkeys; // looked up, never iterated
    std::int64_t m_naiveMs = -1;   // the sabotaged generator's last millisecond
    std::uint64_t m_naiveSeq = 0;

    // Content placement (the month's rows routed at create()).
    std::map<std::string, double> m_placed;      // table → real-equivalent rows
    std::map<std::string, double> m_contentReal; // table → real-equivalent rows acknowledged in the run

    MessagingTrail m_trail; // what the console views show (messaging_inspect.h)
    Totals m_totals;
    telemetry::Histogram m_queryLatency;
    telemetry::Histogram m_tierLatency[3];
    telemetry::Histogram m_second;
    double m_lastSecondP99Ms = 0.0;
    SecondStats m_lastSecondStats;
    Totals m_secondBase; // totals at the start of the current second
    sim::Nanos m_loadStoppedAt = -1;
    std::vector<InvariantState> m_invariants;
    std::uint64_t m_inflightSends = 0;

    // Coupling (docs/GALA.md).
    MessagingCoupling m_coupling;
    gala::NoticeLedger* m_ledger = nullptr;
    infra::MqBroker* m_noticeBroker = nullptr;
    std::vector<std::unique_ptr<infra::MqConsumer>> m_noticeConsumers;
    NoticeStats m_notices;
    sim::EventKindId m_noticeKind{};
    telemetry::Counter* m_noticeMetric = nullptr;

    telemetry::Counter* m_sendsMetric = nullptr;
    telemetry::Counter* m_queriesMetric = nullptr;
    telemetry::Counter* m_errorsMetric = nullptr;
    telemetry::Histogram* m_queryLatencyMetric = nullptr;
    telemetry::Histogram* m_sendLatencyMetric = nullptr;
    telemetry::Gauge* m_redisHitGauge = nullptr;
    telemetry::Gauge* m_taishanHitGauge = nullptr;
};

} // namespace livedeck::messaging

// KvPair: the Redis stand-in of one data centre (docs/GIFTS.md "Redis: a primary/replica pair
// per data centre, reads split from writes; no cross-region sync (it is only a cache)"):
// two KvNodes, asynchronous replication, a sentinel that fails over, and the client API.
//
// Components (path = the pair's path, e.g. "sh-a/gifts/redis"): the pair itself
// ("kv-pair"), <path>/primary and <path>/replica ("kv-node", named by their initial
// role; roles swap on failover and the inspector shows the current one) and
// <path>/sentinel ("kv-sentinel"). A fault on <path> hits the whole pair.
//
// Client API: asynchronous. Each call names the calling component and a weight (the
// real requests it stands for). The request crosses world.network() from the caller to
// the node and the answer crosses back, so latency = both trips + queueing + service.
// The callback runs exactly once, always from a later scheduler event, on the world's
// thread, with:
//   - the node's answer (data statuses, or Rejected/Error from its queue, ReadOnly);
//   - Unavailable one round trip later when the node is down (connection refused);
//   - Timeout after clientTimeout when the request or the answer is lost (partition,
//     loss) or the node is too slow. A timed-out write may still have been applied.
// Writes go to the current primary; reads go to the replica (read/write split) while
// the sentinel sees it up and it holds a synchronised copy, else to the primary.
// Replica reads can be stale by the replication lag.
//
// Replication (Redis-style, asynchronous): the primary logs each write's effect in a
// backlog (a ring of effects, bounded by backlogBytes like repl-backlog-size) and ships
// what is new every replicationInterval as one message over the network; the replica
// applies a batch when it arrives (plus any replica-lag fault's add_ms), in order, and
// its queue is charged the batch's work. A failed shipment disconnects the link; the
// replica retries every reconnectInterval with a partial resync from its offset when
// the backlog still holds it, else a full resync (a point-in-time copy of the primary's
// store, delivered after bytes / resyncBytesPerSec; writes after it follow from the
// backlog).
//
// Failover (one Sentinel): the sentinel pings both nodes every sentinelPingInterval
// (request and answer over the network); a node not answering for downAfter is down.
// When the primary is down and the replica up, the replica is promoted at once: writes
// the primary acknowledged but the replica never applied are lost (it is a cache) and
// counted (lostWrites(), kv.lost_writes weighted). The deposed primary keeps its role
// until the sentinel reaches it again (writes still reaching it are counted lost too),
// then it becomes the replica and fully resynchronises. A "kv.failover" event is raised.
// Redis Sentinel uses a quorum of sentinels and a failover election; one sentinel
// decides here.
//
// Defaults: clientTimeout 250 ms (docs/GIFTS.md default cross-service timeout);
// replicationInterval 1 ms (Redis propagates each write at once; the lag is the
// network plus this batching); sentinelPingInterval 1 s (Sentinel PINGs every
// second); downAfter 5 s (Sentinel's sample config uses down-after-milliseconds 30 s;
// a cache in front of the gift path is failed over sooner); reconnectInterval 1 s (the
// replica's replicationCron runs every second); backlogBytes 1 MiB (repl-backlog-size
// default); resyncBytesPerSec 100 MB/s (an RDB transfer over a 1 Gbit/s link).
// Single-threaded (the world's thread). Scheduled events hold a pointer to the pair:
// it lives as long as the world runs. Call slots are pooled: steady-state calls do not
// allocate (keys and values are copied into reused strings).
#pragma once

#include "backend/infra/kv_node.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::resilience {
class HotKeyDetector;
}

namespace livedeck::infra {

struct KvPairConfig {
    KvNodeConfig node;
    bool readFromReplica = true;
    sim::Nanos clientTimeout = 250 * sim::kMillisecond;
    sim::Nanos replicationInterval = 1 * sim::kMillisecond;
    sim::Nanos sentinelPingInterval = 1 * sim::kSecond;
    sim::Nanos downAfter = 5 * sim::kSecond;
    sim::Nanos reconnectInterval = 1 * sim::kSecond;
    std::uint64_t backlogBytes = 1ull << 20;
    double resyncBytesPerSec = 100e6;
};

enum class ReplicationState : std::uint8_t { Streaming, Disconnected, Syncing };
const char* toString(ReplicationState state);

class KvPair final : public sim::Inspectable {
public:
    using Callback = sim::InlineFunction<void(const KvReply& reply), 48>;

    KvPair(sim::World& world, std::string_view path, std::string_view dataCentre, KvPairConfig config,
           telemetry::MetricsRegistry* metrics);
    ~KvPair() override;
    KvPair(const KvPair&) = delete;
    KvPair& operator=(const KvPair&) = delete;

    // Client API (see the header comment). ttl <= 0 means no expiry.
    void get(sim::ComponentId from, std::string_view key, double weight, Callback done);
    void set(sim::ComponentId from, std::string_view key, std::string_view value, sim::Nanos ttl, double weight,
             Callback done);
    void del(sim::ComponentId from, std::string_view key, double weight, Callback done);
    void incrBy(sim::ComponentId from, std::string_view key, std::int64_t delta, double weight, Callback done);
    void expire(sim::ComponentId from, std::string_view key, sim::Nanos ttl, double weight, Callback done);
    void hset(sim::ComponentId from, std::string_view key, std::string_view field, std::string_view value,
              double weight, Callback done);
    void hget(sim::ComponentId from, std::string_view key, std::string_view field, double weight, Callback done);
    void hgetall(sim::ComponentId from, std::string_view key, double weight, Callback done);
    void hincrBy(sim::ComponentId from, std::string_view key, std::string_view field, std::int64_t delta,
                 double weight, Callback done);
    void zadd(sim::ComponentId from, std::string_view key, std::string_view member, double score, double weight,
              Callback done);
    void zincrBy(sim::ComponentId from, std::string_view key, std::string_view member, double delta, double weight,
                 Callback done);
    void zrange(sim::ComponentId from, std::string_view key, std::int64_t start, std::int64_t stop, bool reverse,
                double weight, Callback done);
    void compareAndSet(sim::ComponentId from, std::string_view key, std::uint64_t expectedVersion,
                       std::string_view value, sim::Nanos ttl, double weight, Callback done);
    void setIfNewer(sim::ComponentId from, std::string_view key, std::string_view value, std::uint64_t version,
                    sim::Nanos ttl, double weight, Callback done);
    void hsetIfNewer(sim::ComponentId from, std::string_view key, std::string_view field, std::string_view value,
                     std::uint64_t version, double weight, Callback done);
    // Any command.
    void call(sim::ComponentId from, const KvRequest& request, double weight, Callback done);

    // Per-key access hook on both nodes: (key, weight, hit) for each served command.
    void setKeyObserver(KvNode::KeyObserver observer);
    // Feeds every served key access, with its weight, to a hot-key detector
    // (backend/resilience/hot_key_detector.h); replaces the observer; nullptr detaches.
    // The detector must outlive the pair's use of it.
    void attachHotKeyDetector(resilience::HotKeyDetector* detector);

    KvNode& primary() { return *m_nodes[m_primary]; }
    KvNode& replica() { return *m_nodes[1 - m_primary]; }
    KvNode& node(int index) { return *m_nodes[index]; } // 0 = <path>/primary, 1 = <path>/replica
    int primaryIndex() const { return m_primary; }
    sim::ComponentId component() const { return m_component; }
    sim::ComponentId sentinel() const { return m_sentinel; }
    const std::string& path() const { return m_path; }
    const KvPairConfig& config() const { return m_config; }

    ReplicationState replicationState() const { return m_state; }
    std::uint64_t primaryOffset() const { return m_offset; }
    std::uint64_t replicaOffset() const { return m_replicaOffset; }
    bool replicaReadable() const;
    bool nodeUp(int index) const { return m_up[index]; } // the sentinel's view
    std::uint64_t lostWrites() const { return m_lostWrites; }
    double lostWeight() const { return m_lostWeight; }
    std::uint64_t failovers() const { return m_failovers; }
    std::uint64_t fullResyncs() const { return m_fullResyncs; }
    std::uint64_t partialResyncs() const { return m_partialResyncs; }
    std::size_t pendingCalls() const { return m_calls.size() - m_freeCalls.size(); }

    void inspect(sim::StateWriter& out) const override;

private:
    struct Call {
        KvRequest request;
        KvReply reply;
        Callback done;
        sim::ComponentId from = sim::kNoComponent;
        int node = 0;
        bool fromReplica = false; // routed to the replica (read/write split)
        double weight = 1.0;
        sim::Nanos start = 0;
        sim::EventHandle timer;
        bool answered = false;
        bool inPipeline = false;
    };
    struct ReplOp {
        KvRequest effect;
        std::uint64_t version = 0;
        double weight = 0.0;          // 0 = an eviction's DEL
        sim::Nanos time = 0;          // when the primary applied it
        std::uint64_t bytes = 0;      // backlog accounting
        double cumWeight = 0.0;       // client write weight logged up to and including this op
        std::uint64_t cumWrites = 0;  // client writes logged up to and including this op
    };

    // client path
    std::uint32_t beginCall(sim::ComponentId from, KvOp op, std::string_view key, double weight, Callback done);
    void dispatch(std::uint32_t index);
    void arrive(std::uint32_t index);
    void served(std::uint32_t index, ServiceOutcome outcome);
    void replyArrived(std::uint32_t index);
    void refused(std::uint32_t index);
    void timedOut(std::uint32_t index);
    void answer(Call& call);
    void pipelineEnd(std::uint32_t index);
    void release(std::uint32_t index);
    // replication
    void logWrite(int nodeIndex, const KvRequest& effect, std::uint64_t version, double weight);
    ReplOp& pushOp();
    const ReplOp& opAt(std::uint64_t offset) const;
    std::uint64_t oldestOffset() const { return m_offset - m_ringCount + 1; }
    void scheduleFlush();
    void flush();
    void applyBatch(std::uint64_t first, std::uint64_t last, std::uint64_t epoch);
    void disconnect();
    void scheduleReconnect();
    void reconnect();
    void startFullResync(sim::Nanos networkLatency);
    void finishFullResync(std::uint64_t epoch);
    void updateLagGauges();
    // sentinel
    void sentinelTick();
    bool ping(int index);
    void failover();

    sim::World& m_world;
    std::string m_path;
    KvPairConfig m_config;
    sim::ComponentId m_component;
    std::unique_ptr<KvNode> m_nodes[2];
    sim::ComponentId m_sentinel;
    int m_primary = 0;

    std::deque<Call> m_calls; // stable addresses; recycled through m_freeCalls
    std::vector<std::uint32_t> m_freeCalls;

    // replication stream (offsets count logged effects since the current primary took over)
    std::vector<ReplOp> m_ring;
    std::size_t m_ringHead = 0;  // index of the oldest op
    std::uint64_t m_ringCount = 0;
    std::uint64_t m_backlogUsed = 0;
    std::uint64_t m_offset = 0;          // last logged
    std::uint64_t m_shipped = 0;         // last sent to the replica
    std::uint64_t m_replicaOffset = 0;   // last applied on the replica
    double m_loggedWeight = 0.0;         // client write weight logged
    std::uint64_t m_loggedWrites = 0;
    double m_replicaWeight = 0.0;        // client write weight the replica holds
    std::uint64_t m_replicaWrites = 0;
    std::uint64_t m_epoch = 1;           // bumped when in-flight batches become void
    ReplicationState m_state = ReplicationState::Streaming;
    sim::Nanos m_lastBatchArrival = 0;   // batches arrive in send order
    bool m_flushPending = false;
    bool m_reconnectPending = false;
    bool m_replicaSynced = true;         // the replica holds a copy it may serve reads from
    std::unique_ptr<KvStore> m_snapshot; // full-resync copy in transfer
    std::uint64_t m_snapshotOffset = 0;
    double m_snapshotWeight = 0.0;
    std::uint64_t m_snapshotWrites = 0;

    // sentinel
    sim::Nanos m_lastOk[2] = {0, 0};
    bool m_up[2] = {true, true};
    int m_deposed = -1; // a former primary not yet told it is a replica

    std::uint64_t m_lostWrites = 0;
    double m_lostWeight = 0.0;
    std::uint64_t m_failovers = 0;
    std::uint64_t m_fullResyncs = 0;
    std::uint64_t m_partialResyncs = 0;

    sim::EventKindId m_arriveKind;
    sim::EventKindId m_replyKind;
    sim::EventKindId m_timeoutKind;
    sim::EventKindId m_flushKind;
    sim::EventKindId m_applyKind;
    sim::EventKindId m_reconnectKind;
    sim::EventKindId m_resyncKind;
    sim::EventKindId m_sentinelKind;

    telemetry::Counter* m_lostCounter = nullptr;
    telemetry::Counter* m_failoverCounter = nullptr;
    telemetry::Counter* m_resyncCounter = nullptr;
    telemetry::Counter* m_timeoutCounter = nullptr;
    telemetry::Gauge* m_lagOpsGauge = nullptr;
    telemetry::Gauge* m_lagMsGauge = nullptr;
};

} // namespace livedeck::infra

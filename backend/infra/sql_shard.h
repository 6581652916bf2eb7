// SqlShard: one shard of an emulated MySQL cluster — a primary and its replicas (each
// a SqlInstance with its own SQLite database), the binlog, replication, failover,
// binlog subscriptions and the shard's load for the heatmap. Component
// "<cluster>/<shard>" (kind sql-shard) shows its state in the inspector.
//
// Calls (all results arrive asynchronously through the callback, on the world's thread):
// - write(batch): caller → primary over the network (SqlCall::from), queued on the
//   primary's ServiceQueue; when a worker picks it up the batch runs in one real
//   SQLite transaction (on the world's helper thread, in the order started). It
//   commits at the end of its least service time (its statements × statementNs, with
//   the job's noise and faults), and not before the write started before it on that
//   primary (ordered commit, as MySQL's binlog group commit orders them): then, if it
//   changed rows, it is appended to the binlog (position = sequence number, in the
//   order the batches ran) and shipped to the replicas. After the service time (cost
//   from SQLite's counters; never before the commit) the reply goes back — in
//   semi-sync mode only once a replica acked it (or semi-sync timed out). The primary sending OK marks the entry
//   acknowledged. An injected error-rate fault fails the reply after the work was
//   done: the write may have committed (an ambiguous commit, as with a lost reply).
// - read(consistency, query): Strong → the primary; Weak → a live replica in the
//   caller's region, else the primary. Read-only statements only. A read on the
//   primary sees every write that started before it there, committed or not (the
//   batches run in SQLite when they start; the model has no isolation between them).
// - failover(reason): promotes the most advanced live replica (the largest received
//   position, ties to placement order) after it applied its relay log; truncates the
//   binlog after that position and reports exactly which committed writes were lost
//   (positions, callers' keys, whether each was acknowledged) as a FailoverReport and
//   an "sql.failover" event (ALERT). The old primary becomes a replica; when it is up
//   it is re-provisioned from the new primary (its unreplicated writes discarded;
//   "sql.rejoin"). Writes still in service on the old primary when it failed over get
//   Aborted if their entry was lost, or if they had not committed yet (the old
//   primary then holds their changes and is re-provisioned too). Automatic when the primary is down for
//   `failoverDetection` (SqlCluster wires the fault listener).
// - subscribe(from, subscriber, callback): binlog entries of the current primary, in
//   position order, each at commit time + the network's base latency to `subscriber`
//   (held while unreachable). Positions are never reused (see Binlog): after a
//   failover a subscription continues from min(its position, the promoted position)
//   and sees only larger positions; which entries it saw that were lost is in the
//   FailoverReport.
// Single-threaded (the world's thread). Owned by SqlCluster; never moves.
#pragma once

#include "backend/infra/binlog.h"
#include "backend/infra/slow_query_log.h"
#include "backend/infra/sql_config.h"
#include "backend/infra/sql_instance.h"
#include "backend/infra/sql_replication.h"
#include "backend/infra/sql_result.h"
#include "backend/telemetry/histogram.h"

#include <absl/status/statusor.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::infra {

struct LostWrite {
    std::uint64_t position = 0;
    std::int64_t key = 0;       // the caller's key of the statement (0 = none given)
    bool acknowledged = false;  // the client had been told OK
    sim::Nanos commitTime = 0;
};

struct FailoverReport {
    std::uint32_t shard = 0;
    std::string reason;
    std::string oldPrimary;
    std::string newPrimary;
    sim::Nanos time = 0;
    std::uint64_t promotedPosition = 0; // the last position the new primary holds
    std::uint64_t oldLastPosition = 0;  // the last position the old primary committed
    std::uint64_t lostEntries = 0;      // transactions lost
    std::uint64_t lostAcknowledged = 0; // of which acknowledged to their clients
    std::uint64_t lostPurged = 0;       // lost positions already purged from the binlog (keys unknown)
    std::vector<LostWrite> lost;        // one per key (per entry when it had none), by position
};

using BinlogCallback = std::function<void(const BinlogEntry& entry)>;
using FailoverListener = std::function<void(const FailoverReport& report)>;

class SqlShard final : public sim::Inspectable {
public:
    // `connections`: one per placement (SqlClusterConfig::placement), opened by SqlCluster.
    SqlShard(sim::World& world, const SqlClusterConfig& config, std::uint32_t index,
             std::vector<std::unique_ptr<SqlConnection>> connections, telemetry::MetricsRegistry* metrics,
             SlowQueryLog& slowLog);
    ~SqlShard() override;
    SqlShard(const SqlShard&) = delete;
    SqlShard& operator=(const SqlShard&) = delete;

    void write(std::shared_ptr<const SqlBatch> batch, const SqlCall& call, SqlCallback callback);
    void read(Consistency consistency, SqlQuery query, const SqlCall& call, SqlCallback callback);
    absl::StatusOr<FailoverReport> failover(std::string_view reason);
    // Delivers entries with position >= fromPosition (0 = only entries committed from now on).
    absl::StatusOr<std::uint64_t> subscribe(std::uint64_t fromPosition, sim::ComponentId subscriber,
                                            BinlogCallback callback);
    void unsubscribe(std::uint64_t subscription);
    // Runs DDL on every instance (schema is managed outside replication).
    absl::Status applyDdl(std::string_view ddl);

    std::uint32_t index() const { return m_index; }
    sim::ComponentId id() const { return m_id; }
    const std::string& path() const { return m_path; }
    std::size_t instanceCount() const { return m_instances.size(); }
    SqlInstance& instance(std::size_t i) { return *m_instances[i]; }
    const SqlInstance& instance(std::size_t i) const { return *m_instances[i]; }
    SqlInstance& primary() { return *m_instances[m_primary]; }
    const SqlInstance& primary() const { return *m_instances[m_primary]; }
    std::uint32_t primaryIndex() const { return m_primary; }
    std::uint32_t epoch() const { return m_epoch; }
    const Binlog& binlog() const { return m_binlog; }
    const SqlReplication& replication() const { return m_replication; }
    const std::vector<FailoverReport>& failovers() const { return m_failovers; }
    const SqlClusterConfig& config() const { return m_config; }
    std::size_t pendingRequests() const { return m_requests.size() - m_freeRequests.size(); }

    void setFailoverListener(FailoverListener listener) { m_onFailover = std::move(listener); }
    // Called by SqlCluster whenever faults change: arms failover detection.
    void onFaultsChanged();
    // The shard's per-partition load for the heatmap.
    void contributeLoad(v1::Snapshot& snapshot) const;
    void inspect(sim::StateWriter& out) const override;

private:
    friend class SqlReplication;

    struct Request {
        bool write = false;
        bool waitingAck = false;
        std::uint32_t instance = 0;
        sim::ComponentId from = sim::kNoComponent;
        double weight = 1.0;
        int partition = 0;
        sim::Nanos sent = 0;
        sim::Nanos started = -1;
        // A write between its start and its commit (commit()); `aborted` when the
        // primary failed over first.
        bool committing = false;
        bool aborted = false;
        std::uint64_t writeTicket = 0;   // SqlInstance::startWrite
        std::uint32_t serviceTicket = 0; // ServiceQueue::defer
        std::shared_ptr<const SqlBatch> batch;
        SqlQuery query;
        SqlResult result;
        SqlCallback callback;
    };
    struct Subscription {
        std::uint64_t id = 0;
        std::uint64_t cursor = 0; // last position delivered
        sim::ComponentId subscriber = sim::kNoComponent;
        BinlogCallback callback;
        sim::EventHandle pending;
        bool active = true;
    };
    // Load of one month partition (0 = unpartitioned) over whole simulated seconds.
    struct PartitionLoad {
        int partition = 0;
        std::int64_t second = -1;
        double statements = 0.0;
        double lastStatements = 0.0;
        telemetry::Histogram latency;
        telemetry::Histogram lastLatency;
    };

    std::uint32_t allocRequest();
    void dispatch(std::uint32_t request);
    void submit(std::uint32_t request);
    sim::Nanos start(std::uint32_t request);
    void commit(std::uint32_t request);
    void done(std::uint32_t request, ServiceOutcome outcome);
    void reply(std::uint32_t request);
    void complete(std::uint32_t request);
    void failEarly(std::uint32_t request, absl::Status status);
    // Semi-sync: the write's replica ack arrived, or semi-sync gave up waiting.
    void releaseWrite(std::uint32_t request);

    std::uint64_t appendBinlog(const std::shared_ptr<const SqlBatch>& batch, std::int64_t changes);
    bool isLost(std::uint64_t position) const;
    std::uint32_t pickReadInstance(Consistency consistency, sim::ComponentId from) const;
    void checkHealth();
    void schedulePump(std::size_t subscription, sim::Nanos at);
    void pump(std::size_t subscription);
    void recordLoad(int partition, double statements, sim::Nanos latency, bool served);

    sim::World& m_world;
    const SqlClusterConfig& m_config;
    std::uint32_t m_index;
    std::string m_path;
    sim::ComponentId m_id;
    SlowQueryLog& m_slowLog;
    std::vector<std::unique_ptr<SqlInstance>> m_instances;
    std::uint32_t m_primary = 0;
    std::uint32_t m_epoch = 1;
    std::uint64_t m_nextPosition = 1;
    Binlog m_binlog;
    SqlReplication m_replication;

    std::deque<Request> m_requests;
    std::vector<std::uint32_t> m_freeRequests;
    std::deque<Subscription> m_subscriptions;
    std::uint64_t m_nextSubscription = 1;

    std::vector<FailoverReport> m_failovers;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_lostRanges; // (after, through] per failover
    std::uint64_t m_lostTotal = 0;
    std::uint64_t m_lostAcknowledgedTotal = 0;
    FailoverListener m_onFailover;
    sim::EventHandle m_detect;
    bool m_checkScheduled = false;

    std::vector<PartitionLoad> m_load;

    sim::EventKindId m_kindRequest;
    sim::EventKindId m_kindReply;
    sim::EventKindId m_kindCommit;
    sim::EventKindId m_kindCheck;
    sim::EventKindId m_kindDetect;
    sim::EventKindId m_kindSubscription;
    telemetry::Gauge* m_positionGauge = nullptr;
    telemetry::Counter* m_failoverCounter = nullptr;
    telemetry::Counter* m_lostCounter = nullptr;
    telemetry::Counter* m_statementsCounter = nullptr;
};

} // namespace livedeck::infra

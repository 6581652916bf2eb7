// SqlInstance: one MySQL server of a shard — a SQLite connection, a ServiceQueue
// (concurrency limit + queue on virtual time, faults), its place in the world and
// its replication state. With a bounded page cache it counts the pages its statements
// read (metric sql.page_misses, weighted; inspector page_* fields). Registered as a component ("sh-a/gifts/order-db/3", kind
// sql-instance) and shown in the inspector.
//
// The replication state is plain data driven by SqlShard and SqlReplication:
// `received` is the last binlog position in its relay log (the IO thread's
// position), `applied` the last one applied to its database (the SQL thread's).
// On the primary both equal the binlog's last position.
// The world's thread drives it. A replica's apply and a primary's writes may run on the
// world's helper thread (sim::Offload, startApply/finishApply, startWrite/takeWrite),
// one at a time in the order started (the instance's OffloadStrand); every use of the
// connection waits for them first, so nothing else touches the database while they
// run. Owned by its SqlShard; never moves.
#pragma once

#include "backend/infra/service_queue.h"
#include "backend/infra/sql_connection.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::infra {

enum class SqlRole : std::uint8_t { Primary, Replica };

const char* toString(SqlRole role);

// A received binlog entry waiting for the replica's applier.
struct RelayItem {
    std::uint64_t position = 0;
    sim::Nanos commitTime = 0;
    sim::Nanos eligibleAt = 0; // received + apply delay + replica-lag faults
    std::shared_ptr<const SqlBatch> batch;
};

struct SqlInstanceState {
    SqlRole role = SqlRole::Replica;
    std::uint64_t received = 0;
    std::uint64_t applied = 0;
    sim::Nanos appliedCommitTime = 0;
    bool needsResync = false;   // holds writes the timeline lost: re-provision before replicating
    std::uint64_t divergent = 0; // how many such writes it holds
    sim::Nanos commitFreeAt = 0; // as a primary: the last commit time given to a write
    // The primary → replica stream (a TCP connection carrying binlog events).
    std::uint32_t link = 0;      // bumped whenever the connection breaks or is reset
    bool connected = false;
    std::uint64_t sentUpTo = 0;  // last position put on the wire on this connection
    sim::Nanos lastArrival = 0;  // FIFO: nothing arrives before what was sent earlier
    sim::EventHandle retry;
    // The applier (MySQL's SQL thread): one entry at a time, in order.
    std::deque<RelayItem> relay;
    sim::Nanos applierFreeAt = 0;
    bool applyScheduled = false;
    // The apply in flight (SqlReplication::begin; `applied` is already its position):
    // when it started, its cost factor, and what `applied` was before it (restored if
    // it fails).
    sim::Nanos applyStartedAt = 0;
    double applyFactor = 1.0;
    sim::Nanos applySettleBy = 0; // its least cost from applyStartedAt: settled by then
    std::uint64_t applyBefore = 0;
    sim::Nanos applyBeforeCommitTime = 0;
    std::uint64_t appliedEntries = 0;
    std::uint64_t resyncs = 0;
};

class SqlInstance final : public sim::Inspectable {
public:
    SqlInstance(sim::World& world, std::string_view path, std::string_view dataCentre,
                std::unique_ptr<SqlConnection> connection, const ServiceConfig& service,
                telemetry::MetricsRegistry* metrics, std::uint32_t index);

    std::uint32_t index() const { return m_index; }
    sim::ComponentId id() const { return m_id; }
    const std::string& path() const { return m_path; }
    int region() const { return m_world.components().get(m_id).region; }
    bool down() const { return m_world.faults().isDown(m_path); }
    bool isPrimary() const { return m_state.role == SqlRole::Primary; }
    // Sets the role; an in-memory replica applies without SQLite's rollback journal
    // (SqlConnection::setRollbackJournal), a primary with it.
    void setRole(SqlRole role);

    // The database, once any apply handed to the helper thread has finished.
    SqlConnection& connection()
    {
        waitTasks();
        return *m_connection;
    }
    const SqlConnection& connection() const
    {
        waitTasks();
        return *m_connection;
    }
    // A replica's apply of one binlog entry (SqlConnection::applyGrouped), handed to the
    // world's helper thread (run at once without one). At most one at a time: the
    // result is taken with finishApply() before the next starts.
    void startApply(std::shared_ptr<const SqlBatch> batch);
    bool applyOpen() const { return m_apply.open; }
    struct ApplyResult {
        absl::Status status;
        SqlStats stats;
    };
    // Waits for the apply started last and takes its result.
    ApplyResult finishApply();
    // A primary's write batch (SqlConnection::runBatch), handed to the world's helper
    // thread (run at once without one), after every write started before it. Returns
    // its ticket; takeWrite(ticket) waits for it and takes its result. Results may be
    // taken in any order; a write's effects on the database are in the order started.
    std::uint64_t startWrite(std::shared_ptr<const SqlBatch> batch);
    struct WriteResult {
        absl::Status status;
        SqlStats stats;
        SqlConnection::WriteOutcome outcome;
    };
    WriteResult takeWrite(std::uint64_t ticket);
    ServiceQueue& queue() { return m_queue; }
    const ServiceQueue& queue() const { return m_queue; }
    SqlInstanceState& state() { return m_state; }
    const SqlInstanceState& state() const { return m_state; }
    sim::RandomStream& applyNoise() { return m_applyNoise; }
    // Seconds_Behind_Master-like: age of the oldest entry received but not applied.
    sim::Nanos applyLag() const;
    // Publishes sql.replication.lag_ms (applyLag) and sql.replication.behind (binlog
    // entries committed on the primary and not yet applied here) for this instance.
    void publishLag(std::uint64_t entriesBehind);
    // Adds a served statement's page misses (× its weight) to sql.page_misses.
    void recordPageMisses(std::uint64_t misses, double weight)
    {
        if (m_pageMissCounter && misses > 0)
            m_pageMissCounter->add(static_cast<double>(misses) * weight);
    }

    void inspect(sim::StateWriter& out) const override;
    ~SqlInstance() override;

private:
    class Apply final : public sim::OffloadTask {
    public:
        SqlConnection* connection = nullptr;
        std::shared_ptr<const SqlBatch> batch;
        absl::Status status;
        SqlStats stats;
        bool open = false; // started and its result not yet taken

    private:
        void run() override;
    };
    class Write final : public sim::OffloadTask {
    public:
        SqlConnection* connection = nullptr;
        std::shared_ptr<const SqlBatch> batch;
        std::uint64_t ticket = 0;
        WriteResult result;
        bool taken = false;

    private:
        void run() override;
    };
    // Waits for every task on the connection, in the order started.
    void waitTasks() const
    {
        for (Write* w : m_writes)
            m_world.offload().wait(*w);
        if (m_apply.pending())
            m_world.offload().wait(m_apply);
    }

    sim::World& m_world;
    std::uint32_t m_index;
    std::string m_path;
    sim::ComponentId m_id;
    std::unique_ptr<SqlConnection> m_connection;
    ServiceQueue m_queue;
    sim::RandomStream m_applyNoise;
    SqlInstanceState m_state;
    mutable Apply m_apply;
    mutable sim::OffloadStrand m_strand; // the apply and the writes, in the order started
    std::deque<Write*> m_writes;        // by ticket, from the oldest not yet taken: empty when none is open
    std::vector<std::unique_ptr<Write>> m_writePool; // owns every Write; never shrinks
    std::vector<Write*> m_freeWrites;
    std::uint64_t m_nextWrite = 1;
    telemetry::Gauge* m_lagGauge = nullptr;
    telemetry::Gauge* m_behindGauge = nullptr;
    telemetry::Counter* m_pageMissCounter = nullptr; // only with a bounded page cache
};

} // namespace livedeck::infra

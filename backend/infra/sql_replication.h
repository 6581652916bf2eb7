// SqlReplication: a shard's primary → replica replication, MySQL-style.
//
// Per replica, two stages:
// - Shipping (the IO thread): every binlog entry travels from the primary to the
//   replica as a message over world.network() (sqlTransit), FIFO like a TCP stream.
//   A down endpoint or a partition breaks the connection — also for messages already
//   in flight, which are lost with it — and the replica reconnects every
//   `connectRetry`, resuming from the last position it received. A replica that
//   needs an entry the binlog already purged, or that holds writes the timeline lost
//   (an old primary after a failover), is re-provisioned from the primary
//   (SqlConnection::copyFrom, at once in virtual time) as soon as the primary can
//   reach it again, and raises "sql.rejoin".
// - Applying (the SQL thread): received entries wait in the relay log until
//   received + applyDelay + replica-lag faults (add_ms on the replica's path), then
//   are applied one at a time, in order, each taking the virtual time its SQL costs
//   (SqlCostModel on the counters of the apply × noise × slow-disk faults). So the
//   replica lag = network latency + apply delay + faults + the applier's backlog.
//   An apply's SQL may run on the world's helper thread (SqlInstance::startApply):
//   its cost is taken (settle) when the next apply is armed, which needs it. An apply
//   costs at least its statements (SqlCostModel::statementNs each, times its noise),
//   so when more entries wait, or the next arrives before that least cost, a
//   scheduler barrier (Scheduler::beforeTime) settles it then, before any later event
//   runs; else the next entry's arrival does. Events, times and results are the same
//   whether the SQL ran on the helper or in place.
//
// Semi-synchronous mode (ReplicationMode::SemiSync), as MySQL's semi-sync plugin with
// rpl_semi_sync_master_wait_for_slave_count = 1 and AFTER_SYNC: each replica acks
// every received position back to the primary (over the network); a committed write
// is acknowledged to its client only once some replica acked a position ≥ its own.
// If a write waits longer than semiSyncTimeout, the primary switches semi-sync off
// ("sql.semisync.off", WARNING) and acknowledges every waiting write at once; it
// switches back on ("sql.semisync.on") when a replica's ack catches up with the
// binlog's last position. A failover resets it to on.
// Driven by the world's thread; only an apply's SQL leaves it. Owned by its SqlShard.
#pragma once

#include "backend/infra/sql_instance.h"

#include <cstdint>
#include <deque>
#include <vector>

namespace livedeck::infra {

class SqlShard;

class SqlReplication {
public:
    explicit SqlReplication(SqlShard& shard);

    void start();    // connects every replica
    void onAppend(); // ships a newly committed entry to connected replicas

    // Failover: the promoted replica applies its whole relay log now.
    void drain(SqlInstance& replica);
    // After a failover truncated the binlog after `position`: re-points every replica
    // at the new primary (dropping relay entries past it; flagging replicas that
    // applied past it for re-provisioning) and turns semi-sync back on.
    void reset(std::uint64_t position);

    // Semi-sync: whether a write committed at `position` must wait for an ack, and
    // the waiting itself (the shard's request id; released through SqlShard).
    bool mustWait(std::uint64_t position) const;
    void wait(std::uint32_t request, std::uint64_t position);
    // Removes and returns every waiting request (a failover fails them).
    std::vector<std::uint32_t> takeWaiters();

    bool semiSyncOn() const { return m_semiOn; }
    std::uint64_t ackedPosition() const { return m_acked; }
    std::size_t waiting() const { return m_waiters.size(); }
    std::uint64_t semiSyncFallbacks() const { return m_fallbacks; }
    std::uint64_t shipped() const { return m_shipped; }

private:
    struct Waiter {
        std::uint32_t request;
        std::uint64_t position;
        sim::Nanos deadline;
    };

    void connect(std::uint32_t replica);
    void ship(SqlInstance& replica);
    void arrive(std::uint32_t replica, std::uint64_t position, std::uint32_t link);
    void ackArrived(std::uint32_t replica, std::uint64_t position, std::uint32_t link);
    void breakLink(SqlInstance& replica);
    void scheduleRetry(SqlInstance& replica);
    void scheduleApply(SqlInstance& replica);
    // Settles the apply in flight and arms the next, at `notBefore` (now or later) at
    // the earliest.
    void armApply(SqlInstance& replica, sim::Nanos notBefore);
    void applyNext(std::uint32_t replica);
    // Starts applying one entry (SqlInstance::startApply); settle() takes its result.
    void begin(SqlInstance& replica, RelayItem item);
    // Takes the result of the apply in flight, if any: sets when the applier is free
    // again, or handles a failed apply (false: the replica is to be re-provisioned).
    bool settle(SqlInstance& replica);
    // A failed apply: raises the violation and marks the replica for re-provisioning.
    void diverged(SqlInstance& replica, std::uint64_t position, const absl::Status& status);
    void resync(SqlInstance& replica);
    void publish(SqlInstance& instance);
    void armTimer();
    void onTimer();

    SqlShard& m_shard;
    sim::World& m_world;
    sim::EventKindId m_kindShip;
    sim::EventKindId m_kindAck;
    sim::EventKindId m_kindApply;
    sim::EventKindId m_kindRetry;
    sim::EventKindId m_kindSemiSync;

    bool m_semiOn = true;
    std::uint64_t m_acked = 0;
    std::deque<Waiter> m_waiters;
    sim::EventHandle m_timer;
    std::uint64_t m_fallbacks = 0;
    std::uint64_t m_shipped = 0;
};

} // namespace livedeck::infra

#include "backend/infra/sql_replication.h"

#include "backend/infra/sql_shard.h"
#include "backend/infra/sql_transport.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace livedeck::infra {

SqlReplication::SqlReplication(SqlShard& shard)
    : m_shard(shard),
      m_world(shard.m_world),
      m_kindShip(m_world.kind("sql.repl.ship")),
      m_kindAck(m_world.kind("sql.repl.ack")),
      m_kindApply(m_world.kind("sql.repl.apply")),
      m_kindRetry(m_world.kind("sql.repl.retry")),
      m_kindSemiSync(m_world.kind("sql.semisync.timeout"))
{
}

void SqlReplication::start()
{
    for (std::size_t i = 0; i < m_shard.m_instances.size(); ++i)
        connect(static_cast<std::uint32_t>(i));
}

void SqlReplication::onAppend()
{
    for (auto& inst : m_shard.m_instances) {
        if (inst->isPrimary())
            continue;
        if (inst->state().connected)
            ship(*inst);
        publish(*inst);
    }
}

void SqlReplication::publish(SqlInstance& r)
{
    r.publishLag(m_shard.m_binlog.countAfter(r.state().applied));
}

void SqlReplication::connect(std::uint32_t index)
{
    SqlInstance& r = *m_shard.m_instances[index];
    if (r.isPrimary())
        return;
    SqlInstanceState& s = r.state();
    m_world.scheduler().cancel(s.retry);
    s.retry = {};
    if (s.connected)
        return;
    const SqlInstance& primary = m_shard.primary();
    if (!s.needsResync && m_shard.m_binlog.purgedThrough() > s.received) {
        s.needsResync = true; // the entries it needs next are gone
    }
    if (s.needsResync) {
        if (m_world.network().reachable(primary.id(), r.id()))
            resync(r); // copies the primary's database over the network path; reconnects when done
        else
            scheduleRetry(r);
        return;
    }
    if (!m_world.network().reachable(primary.id(), r.id())) {
        scheduleRetry(r);
        return;
    }
    s.connected = true;
    ++s.link;
    s.sentUpTo = s.received;
    s.lastArrival = m_world.now();
    ship(r);
}

void SqlReplication::ship(SqlInstance& r)
{
    SqlInstanceState& s = r.state();
    const SqlInstance& primary = m_shard.primary();
    const Binlog& binlog = m_shard.m_binlog;
    while (s.connected) {
        const BinlogEntry* e = binlog.next(s.sentUpTo);
        if (!e)
            return;
        const Transit t = sqlTransit(m_world.network(), primary.id(), r.id());
        if (!t.delivered) {
            breakLink(r);
            return;
        }
        const sim::Nanos arrival = std::max(m_world.now() + t.latency, s.lastArrival);
        s.lastArrival = arrival;
        s.sentUpTo = e->position;
        ++m_shipped;
        const std::uint32_t index = r.index();
        const std::uint64_t position = e->position;
        const std::uint32_t link = s.link;
        m_world.at(arrival, m_kindShip, r.id(), [this, index, position, link] { arrive(index, position, link); });
    }
}

void SqlReplication::arrive(std::uint32_t index, std::uint64_t position, std::uint32_t link)
{
    SqlInstance& r = *m_shard.m_instances[index];
    SqlInstanceState& s = r.state();
    if (link != s.link || !s.connected || r.isPrimary())
        return; // sent on a connection that has since broken or been reset
    const SqlInstance& primary = m_shard.primary();
    if (!m_world.network().reachable(primary.id(), r.id())) {
        breakLink(r); // the connection broke while the event was in flight: it is lost with it
        return;
    }
    const BinlogEntry* e = m_shard.m_binlog.find(position);
    if (!e) {
        s.needsResync = true; // purged while in flight
        breakLink(r);
        return;
    }
    assert(position > s.received && "replication delivered out of order");
    s.received = position;
    const double lagMs = m_world.faults().anyActive(v1::FAULT_REPLICA_LAG)
        ? m_world.faults().effect(v1::FAULT_REPLICA_LAG, r.path()).addMs
        : 0.0;
    s.relay.push_back(RelayItem{position, e->commitTime,
                                m_world.now() + m_shard.m_config.applyDelay + sim::fromMillis(lagMs), e->batch});
    scheduleApply(r);
    publish(r);
    if (m_shard.m_config.replication == ReplicationMode::SemiSync) {
        const Transit t = sqlTransit(m_world.network(), r.id(), primary.id());
        if (t.delivered) // acks are cumulative: a lost one is covered by the next
            m_world.after(t.latency, m_kindAck, primary.id(),
                          [this, index, position, link] { ackArrived(index, position, link); });
    }
}

void SqlReplication::ackArrived(std::uint32_t index, std::uint64_t position, std::uint32_t link)
{
    const SqlInstance& r = *m_shard.m_instances[index];
    if (link != r.state().link || m_shard.primary().down())
        return;
    m_acked = std::max(m_acked, position);
    if (!m_waiters.empty()) {
        // Release in commit-wait order every write the ack covers.
        std::vector<std::uint32_t> released;
        std::erase_if(m_waiters, [&](const Waiter& w) {
            if (w.position > m_acked)
                return false;
            released.push_back(w.request);
            return true;
        });
        for (std::uint32_t request : released)
            m_shard.releaseWrite(request);
    }
    if (!m_semiOn && m_acked >= m_shard.m_binlog.lastPosition()) {
        m_semiOn = true;
        m_world.events().raise("sql.semisync.on", m_shard.m_id, v1::SEVERITY_INFO,
                               sim::strCat(m_shard.m_path, ": semi-sync back on, ", r.path(), " caught up at position ",
                                           m_acked),
                               {{"shard", sim::strCat(m_shard.m_index)}, {"replica", r.path()},
                                {"position", sim::strCat(m_acked)}});
    }
}

void SqlReplication::breakLink(SqlInstance& r)
{
    SqlInstanceState& s = r.state();
    if (s.connected) {
        s.connected = false;
        ++s.link;
    }
    s.sentUpTo = s.received;
    scheduleRetry(r);
}

void SqlReplication::scheduleRetry(SqlInstance& r)
{
    SqlInstanceState& s = r.state();
    if (m_world.scheduler().isPending(s.retry))
        return;
    const std::uint32_t index = r.index();
    s.retry = m_world.after(m_shard.m_config.connectRetry, m_kindRetry, r.id(), [this, index] { connect(index); });
}

void SqlReplication::scheduleApply(SqlInstance& r)
{
    SqlInstanceState& s = r.state();
    if (s.applyScheduled || s.relay.empty())
        return;
    // The next apply waits for the applier, so for the last apply's cost. That apply
    // costs at least its statements (applySettleBy): until then its SQL may still run
    // on the helper thread, and a barrier takes its cost then, before any later event.
    if (r.applyOpen() && s.applySettleBy > m_world.now()) {
        s.applyScheduled = true;
        const std::uint32_t index = r.index();
        const sim::Nanos by = s.applySettleBy;
        m_world.scheduler().beforeTime(by, [this, index, by] {
            SqlInstance& replica = *m_shard.m_instances[index];
            replica.state().applyScheduled = false;
            armApply(replica, by);
        });
        return;
    }
    armApply(r, m_world.now());
}

void SqlReplication::armApply(SqlInstance& r, sim::Nanos notBefore)
{
    SqlInstanceState& s = r.state();
    if (s.applyScheduled || s.relay.empty())
        return;
    if (!settle(r))
        return; // it failed: the replica is to be re-provisioned
    const sim::Nanos at = std::max({s.relay.front().eligibleAt, s.applierFreeAt, notBefore}); // notBefore >= now
    s.applyScheduled = true;
    const std::uint32_t index = r.index();
    m_world.at(at, m_kindApply, r.id(), [this, index] { applyNext(index); });
}

void SqlReplication::applyNext(std::uint32_t index)
{
    SqlInstance& r = *m_shard.m_instances[index];
    SqlInstanceState& s = r.state();
    s.applyScheduled = false;
    assert(!r.applyOpen() && "an apply event is armed only after the last apply was settled");
    if (s.relay.empty() || r.isPrimary())
        return;
    if (r.down()) {
        // The SQL thread is not running; the relay log survives (as on disk).
        s.applierFreeAt = m_world.now() + m_shard.m_config.connectRetry;
        scheduleApply(r);
        return;
    }
    if (s.relay.front().eligibleAt > m_world.now() || s.applierFreeAt > m_world.now()) {
        scheduleApply(r); // an event armed before the relay log was reset
        return;
    }
    RelayItem item = std::move(s.relay.front());
    s.relay.pop_front();
    begin(r, std::move(item));
    scheduleApply(r);
    publish(r);
}

void SqlReplication::begin(SqlInstance& r, RelayItem item)
{
    SqlInstanceState& s = r.state();
    // What the apply costs depends on what it does (its statements' counters): settle()
    // takes it when the next apply is armed — at once if more entries wait, else when
    // the next one arrives — so the SQL runs beside the world in between. Everything
    // else — the noise draw, a slow-disk fault — is taken now, as the apply starts.
    const ServiceConfig& service = m_shard.m_config.service;
    double factor = service.noiseSigma > 0 ? std::exp(r.applyNoise().normal(0.0, service.noiseSigma)) : 1.0;
    if (m_world.faults().anyActive(v1::FAULT_SLOW_DISK))
        factor *= m_world.faults().effect(v1::FAULT_SLOW_DISK, r.path()).multiply;
    s.applyStartedAt = m_world.now();
    s.applyFactor = factor;
    const sim::Nanos leastCost = m_shard.m_config.cost.leastCostNs(item.batch->size());
    s.applySettleBy = s.applyStartedAt + static_cast<sim::Nanos>(static_cast<double>(leastCost) * factor);
    s.applyBefore = s.applied;
    s.applyBeforeCommitTime = s.appliedCommitTime;
    s.applied = item.position;
    s.appliedCommitTime = item.commitTime;
    ++s.appliedEntries;
    r.startApply(std::move(item.batch));
}

bool SqlReplication::settle(SqlInstance& r)
{
    if (!r.applyOpen())
        return true;
    SqlInstanceState& s = r.state();
    const SqlInstance::ApplyResult result = r.finishApply();
    if (!result.status.ok()) {
        const std::uint64_t position = s.applied;
        s.applied = s.applyBefore;
        s.appliedCommitTime = s.applyBeforeCommitTime;
        --s.appliedEntries;
        diverged(r, position, result.status);
        return false;
    }
    const sim::Nanos cost = m_shard.m_config.cost.costNs(result.stats);
    s.applierFreeAt = s.applyStartedAt + static_cast<sim::Nanos>(static_cast<double>(cost) * s.applyFactor);
    return true;
}

void SqlReplication::diverged(SqlInstance& r, std::uint64_t position, const absl::Status& status)
{
    // Statement-based replication diverged: never expected with deterministic SQL.
    m_world.events().raise("sql.replication.error", r.id(), v1::SEVERITY_VIOLATION,
                           sim::strCat(r.path(), " failed to apply position ", position, ": ",
                                       std::string(status.message())),
                           {{"shard", sim::strCat(m_shard.m_index)}, {"position", sim::strCat(position)}});
    SqlInstanceState& s = r.state();
    s.needsResync = true;
    s.relay.clear();
    breakLink(r);
}

void SqlReplication::drain(SqlInstance& r)
{
    settle(r);
    SqlInstanceState& s = r.state();
    while (!s.relay.empty()) {
        const RelayItem item = std::move(s.relay.front());
        s.relay.pop_front();
        SqlStats stats;
        SqlConnection::WriteOutcome outcome;
        const absl::Status st = r.connection().applyGrouped(*item.batch, stats, outcome);
        if (!st.ok()) {
            diverged(r, item.position, st);
            return;
        }
        s.applied = item.position;
        s.appliedCommitTime = item.commitTime;
        ++s.appliedEntries;
    }
}

void SqlReplication::resync(SqlInstance& r)
{
    if (r.applyOpen())
        (void)r.finishApply(); // whatever it did is copied over
    SqlInstanceState& s = r.state();
    SqlInstance& primary = m_shard.primary();
    const absl::Status st = r.connection().copyFrom(primary.connection());
    if (!st.ok()) {
        m_world.events().raise("sql.rejoin.failed", r.id(), v1::SEVERITY_ALERT,
                               sim::strCat(r.path(), " could not be re-provisioned from ", primary.path(), ": ",
                                           std::string(st.message())));
        scheduleRetry(r);
        return;
    }
    const std::uint64_t discarded = s.divergent;
    s.relay.clear();
    s.received = s.applied = m_shard.m_binlog.lastPosition();
    s.appliedCommitTime = m_world.now();
    s.applierFreeAt = m_world.now();
    s.needsResync = false;
    s.divergent = 0;
    ++s.resyncs;
    m_world.events().raise(
        "sql.rejoin", r.id(), discarded > 0 ? v1::SEVERITY_WARNING : v1::SEVERITY_INFO,
        sim::strCat(r.path(), " rejoined ", m_shard.m_path, " as a replica, re-provisioned from ", primary.path(),
                    " at position ", s.received,
                    discarded > 0 ? sim::strCat("; discarded ", discarded, " writes the shard lost in failover")
                                  : std::string()),
        {{"shard", sim::strCat(m_shard.m_index)},
         {"primary", primary.path()},
         {"position", sim::strCat(s.received)},
         {"discarded", sim::strCat(discarded)}});
    publish(r);
    connect(r.index());
}

void SqlReplication::reset(std::uint64_t position)
{
    for (auto& inst : m_shard.m_instances) {
        if (inst->isPrimary())
            continue;
        SqlInstanceState& s = inst->state();
        m_world.scheduler().cancel(s.retry);
        s.retry = {};
        s.connected = false;
        ++s.link;
        while (!s.relay.empty() && s.relay.back().position > position)
            s.relay.pop_back();
        s.received = std::min(s.received, position);
        if (s.applied > position)
            s.needsResync = true;
        s.sentUpTo = s.received;
    }
    m_acked = position;
    m_semiOn = true;
    for (std::size_t i = 0; i < m_shard.m_instances.size(); ++i) {
        publish(*m_shard.m_instances[i]);
        connect(static_cast<std::uint32_t>(i));
    }
}

bool SqlReplication::mustWait(std::uint64_t position) const
{
    return m_shard.m_config.replication == ReplicationMode::SemiSync && m_semiOn && position > m_acked;
}

void SqlReplication::wait(std::uint32_t request, std::uint64_t position)
{
    m_waiters.push_back(Waiter{request, position, m_world.now() + m_shard.m_config.semiSyncTimeout});
    armTimer();
}

std::vector<std::uint32_t> SqlReplication::takeWaiters()
{
    std::vector<std::uint32_t> out;
    for (const Waiter& w : m_waiters)
        out.push_back(w.request);
    m_waiters.clear();
    return out;
}

void SqlReplication::armTimer()
{
    if (m_waiters.empty() || m_world.scheduler().isPending(m_timer))
        return;
    m_timer = m_world.at(m_waiters.front().deadline, m_kindSemiSync, m_shard.m_id, [this] { onTimer(); });
}

void SqlReplication::onTimer()
{
    m_timer = {};
    if (m_waiters.empty())
        return;
    if (m_waiters.front().deadline > m_world.now()) {
        armTimer();
        return;
    }
    // rpl_semi_sync_master_timeout expired: switch to asynchronous replication and
    // acknowledge every waiting write.
    m_semiOn = false;
    ++m_fallbacks;
    const std::size_t waiting = m_waiters.size();
    m_world.events().raise(
        "sql.semisync.off", m_shard.m_id, v1::SEVERITY_WARNING,
        sim::strFormat("%s: no replica acked within %.0f ms, semi-sync falls back to async (%zu writes acknowledged "
                       "unreplicated; last acked position %llu)",
                       m_shard.m_path.c_str(), sim::toMillis(m_shard.m_config.semiSyncTimeout), waiting,
                       static_cast<unsigned long long>(m_acked)),
        {{"shard", sim::strCat(m_shard.m_index)},
         {"acked_position", sim::strCat(m_acked)},
         {"waiting", sim::strCat(waiting)}});
    const std::vector<std::uint32_t> released = takeWaiters();
    for (std::uint32_t request : released)
        m_shard.releaseWrite(request);
}

} // namespace livedeck::infra

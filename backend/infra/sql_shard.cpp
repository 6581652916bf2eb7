#include "backend/infra/sql_shard.h"

#include "backend/infra/sql_transport.h"

#include <algorithm>
#include <cassert>
#include <map>

namespace livedeck::infra {

SqlShard::SqlShard(sim::World& world, const SqlClusterConfig& config, std::uint32_t index,
                   std::vector<std::unique_ptr<SqlConnection>> connections, telemetry::MetricsRegistry* metrics,
                   SlowQueryLog& slowLog)
    : m_world(world),
      m_config(config),
      m_index(index),
      m_path(sim::strCat(config.name, "/", index)),
      m_id(world.components().mustAdd(m_path, "sql-shard", {}, this)),
      m_slowLog(slowLog),
      m_binlog(config.binlogRetentionBytes),
      m_replication(*this),
      m_kindRequest(world.kind("sql.request")),
      m_kindReply(world.kind("sql.reply")),
      m_kindCommit(world.kind("sql.commit")),
      m_kindCheck(world.kind("sql.health")),
      m_kindDetect(world.kind("sql.failover.detect")),
      m_kindSubscription(world.kind("sql.binlog.deliver"))
{
    assert(connections.size() == config.placement.size() && !connections.empty());
    for (std::size_t k = 0; k < config.placement.size(); ++k) {
        const std::string path = sqlInstancePath(world.topology(), config, index, k);
        assert(!path.empty() && "SqlCluster validates the placement");
        m_instances.push_back(std::make_unique<SqlInstance>(world, path, config.placement[k], std::move(connections[k]),
                                                            config.service, metrics, static_cast<std::uint32_t>(k)));
    }
    m_instances.front()->setRole(SqlRole::Primary);
    if (metrics) {
        m_positionGauge = &metrics->gauge("sql.binlog.position", m_path);
        m_failoverCounter = &metrics->counter("sql.failovers", m_path);
        m_lostCounter = &metrics->counter("sql.lost_writes", m_path);
        m_statementsCounter = &metrics->counter("sql.statements", m_path);
    }
    m_replication.start();
}

SqlShard::~SqlShard()
{
    m_world.components().setInspectable(m_id, nullptr);
    for (const auto& inst : m_instances)
        m_world.components().setInspectable(inst->id(), nullptr);
}

absl::Status SqlShard::applyDdl(std::string_view ddl)
{
    for (const auto& inst : m_instances) {
        if (absl::Status st = inst->connection().exec(ddl); !st.ok())
            return st;
    }
    return absl::OkStatus();
}

// ---------------------------------------------------------------- requests

std::uint32_t SqlShard::allocRequest()
{
    if (!m_freeRequests.empty()) {
        const std::uint32_t i = m_freeRequests.back();
        m_freeRequests.pop_back();
        return i;
    }
    m_requests.emplace_back();
    return static_cast<std::uint32_t>(m_requests.size() - 1);
}

void SqlShard::write(std::shared_ptr<const SqlBatch> batch, const SqlCall& call, SqlCallback callback)
{
    const std::uint32_t i = allocRequest();
    Request& r = m_requests[i];
    r.write = true;
    r.instance = m_primary;
    r.from = call.from;
    r.weight = call.weight;
    r.partition = call.partition;
    r.sent = m_world.now();
    r.batch = std::move(batch);
    r.callback = std::move(callback);
    if (!r.batch || r.batch->empty()) {
        failEarly(i, absl::InvalidArgumentError(sim::strCat("empty write batch for ", m_path)));
        return;
    }
    dispatch(i);
}

void SqlShard::read(Consistency consistency, SqlQuery query, const SqlCall& call, SqlCallback callback)
{
    const std::uint32_t i = allocRequest();
    Request& r = m_requests[i];
    r.write = false;
    r.instance = pickReadInstance(consistency, call.from);
    r.from = call.from;
    r.weight = call.weight;
    r.partition = call.partition;
    r.sent = m_world.now();
    r.query = std::move(query);
    r.callback = std::move(callback);
    dispatch(i);
}

std::uint32_t SqlShard::pickReadInstance(Consistency consistency, sim::ComponentId from) const
{
    if (consistency == Consistency::Strong)
        return m_primary;
    const int region = from != sim::kNoComponent ? m_world.components().get(from).region : -1;
    for (const auto& inst : m_instances) {
        if (inst->isPrimary() || inst->down() || inst->state().needsResync)
            continue;
        if (region < 0 || inst->region() == region)
            return inst->index();
    }
    return m_primary;
}

void SqlShard::dispatch(std::uint32_t i)
{
    Request& r = m_requests[i];
    const SqlInstance& inst = *m_instances[r.instance];
    const Transit t = sqlTransit(m_world.network(), r.from, inst.id());
    if (!t.delivered) {
        failEarly(i, absl::UnavailableError(sim::strCat("cannot reach ", inst.path(), ": ", t.reason)));
        return;
    }
    if (r.from == sim::kNoComponent)
        submit(i);
    else
        m_world.after(t.latency, m_kindRequest, inst.id(), [this, i] { submit(i); });
}

void SqlShard::submit(std::uint32_t i)
{
    Request& r = m_requests[i];
    m_instances[r.instance]->queue().submit(
        r.weight, [this, i](bool& /*failed*/) { return start(i); },
        [this, i](ServiceOutcome outcome, sim::Nanos /*latency*/) { done(i, outcome); });
}

sim::Nanos SqlShard::start(std::uint32_t i)
{
    Request& r = m_requests[i];
    SqlInstance& inst = *m_instances[r.instance];
    r.started = m_world.now();
    if (r.write) {
        if (!inst.isPrimary()) {
            r.result.status = absl::FailedPreconditionError(
                sim::strCat(inst.path(), " is a read-only replica now (", m_path, " failed over to ", primary().path(),
                            "): the write was not applied; send it again"));
            return m_config.cost.statementNs;
        }
        // The batch runs on the helper thread; its cost is settled when it commits.
        const ServiceQueue::Deferral d = inst.queue().defer();
        r.serviceTicket = d.ticket;
        r.writeTicket = inst.startWrite(r.batch);
        r.committing = true; // `aborted` is false: complete() resets a recycled request
        SqlInstanceState& s = inst.state();
        const sim::Nanos at =
            std::max(d.started + d.serviceTime(m_config.cost.leastCostNs(r.batch->size())), s.commitFreeAt);
        s.commitFreeAt = at;
        m_world.at(at, m_kindCommit, inst.id(), [this, i] { commit(i); });
        return 0;
    }
    SqlStats stats;
    r.result.position = inst.state().applied;
    r.result.status = inst.connection().runQuery(r.query.sql, r.query.params, true, r.result, stats);
    r.result.stats = stats;
    inst.recordPageMisses(stats.pageMisses, r.weight);
    return m_config.cost.costNs(stats);
}

void SqlShard::commit(std::uint32_t i)
{
    Request& r = m_requests[i];
    SqlInstance& inst = *m_instances[r.instance];
    assert(r.committing);
    r.committing = false;
    if (!r.aborted) { // else failover() took its result
        SqlInstance::WriteResult w = inst.takeWrite(r.writeTicket);
        r.result.status = std::move(w.status);
        r.result.stats = w.stats;
        if (r.result.ok()) {
            r.result.changes = w.outcome.changes;
            r.result.lastInsertRowid = w.outcome.lastInsertRowid;
            if (w.outcome.changes > 0)
                r.result.position = appendBinlog(r.batch, w.outcome.changes);
        }
        inst.recordPageMisses(r.result.stats.pageMisses, r.weight);
    }
    inst.queue().settle(r.serviceTicket, m_config.cost.costNs(r.result.stats));
}

std::uint64_t SqlShard::appendBinlog(const std::shared_ptr<const SqlBatch>& batch, std::int64_t changes)
{
    const std::uint64_t position = m_nextPosition++;
    m_binlog.append(position, m_world.now(), m_epoch, changes, batch);
    SqlInstanceState& p = primary().state();
    p.received = p.applied = position;
    p.appliedCommitTime = m_world.now();
    if (m_positionGauge)
        m_positionGauge->set(static_cast<double>(position));
    m_replication.onAppend();
    for (std::size_t s = 0; s < m_subscriptions.size(); ++s)
        schedulePump(s, m_world.now());
    return position;
}

bool SqlShard::isLost(std::uint64_t position) const
{
    for (const auto& [after, through] : m_lostRanges) {
        if (position > after && position <= through)
            return true;
    }
    return false;
}

void SqlShard::done(std::uint32_t i, ServiceOutcome outcome)
{
    Request& r = m_requests[i];
    const SqlInstance& inst = *m_instances[r.instance];
    r.result.servedBy = inst.id();
    const bool served = outcome == ServiceOutcome::Ok || outcome == ServiceOutcome::Error;
    if (served && r.started >= 0)
        r.result.execution = m_world.now() - r.started;
    switch (outcome) {
    case ServiceOutcome::Ok:
        break;
    case ServiceOutcome::Error:
        if (r.result.ok())
            r.result.status = absl::UnavailableError(sim::strCat(
                "injected error on ", inst.path(), r.write && r.result.position ? " (the write committed)" : ""));
        break;
    case ServiceOutcome::Rejected:
        r.result.status = absl::ResourceExhaustedError(
            sim::strCat(inst.path(), " is overloaded: queue full (", sim::wholeText(inst.queue().queued()),
                        " waiting) or waited longer than ", sim::wholeText(sim::toMillis(inst.queue().config().maxQueueWait)),
                        " ms"));
        break;
    case ServiceOutcome::Down:
        r.result.status = absl::UnavailableError(sim::strCat(inst.path(), " is down"));
        break;
    }
    const double statements = r.weight * static_cast<double>(r.write ? std::max<std::size_t>(1, r.batch->size()) : 1);
    recordLoad(r.partition, statements, m_world.now() - r.sent, served);
    if (served && r.result.execution > m_slowLog.config().threshold) {
        const std::string sql = r.write ? r.batch->summary() : r.query.sql;
        m_slowLog.consider(inst.id(), sql, r.result.execution, r.result.stats, r.weight);
    }
    if (r.write && outcome == ServiceOutcome::Ok && r.result.ok() && r.result.position != 0) {
        if (isLost(r.result.position)) {
            r.result.status = absl::AbortedError(
                sim::strCat("the write committed on ", inst.path(), " at position ", r.result.position,
                            " was lost when ", m_path, " failed over; send it again"));
        } else if (m_replication.mustWait(r.result.position)) {
            r.waitingAck = true;
            m_replication.wait(i, r.result.position);
            return;
        }
    }
    reply(i);
}

void SqlShard::releaseWrite(std::uint32_t i)
{
    Request& r = m_requests[i];
    assert(r.waitingAck);
    r.waitingAck = false;
    reply(i);
}

void SqlShard::reply(std::uint32_t i)
{
    Request& r = m_requests[i];
    const SqlInstance& inst = *m_instances[r.instance];
    if (r.result.ok() && inst.down())
        r.result.status = absl::UnavailableError(
            sim::strCat(inst.path(), " went down before replying", r.write ? "; the write may have committed" : ""));
    if (r.write && r.result.ok() && r.result.position != 0) {
        if (BinlogEntry* e = m_binlog.find(r.result.position))
            e->acknowledged = true; // the server has sent OK
    }
    Transit t = sqlTransit(m_world.network(), inst.id(), r.from);
    if (!t.delivered) {
        r.result.status = absl::UnavailableError(sim::strCat("reply from ", inst.path(), " lost: ", t.reason));
        t.latency = 0;
    }
    m_world.after(t.latency, m_kindReply, inst.id(), [this, i] { complete(i); });
}

void SqlShard::failEarly(std::uint32_t i, absl::Status status)
{
    m_requests[i].result.status = std::move(status);
    m_world.after(0, m_kindReply, m_id, [this, i] { complete(i); });
}

void SqlShard::complete(std::uint32_t i)
{
    Request& r = m_requests[i];
    r.result.latency = m_world.now() - r.sent;
    SqlCallback callback = std::move(r.callback);
    if (callback)
        callback(r.result);
    // Recycle the slot (deque: the reference survives requests made by the callback).
    r.batch.reset();
    r.query.sql.clear();
    r.query.params.clear();
    r.result.status = absl::OkStatus();
    r.result.columns = 0;
    r.result.values.clear();
    r.result.changes = 0;
    r.result.lastInsertRowid = 0;
    r.result.position = 0;
    r.result.servedBy = sim::kNoComponent;
    r.result.latency = 0;
    r.result.execution = 0;
    r.result.stats = {};
    r.started = -1;
    r.waitingAck = false;
    r.committing = false;
    r.aborted = false;
    m_freeRequests.push_back(i);
}

void SqlShard::recordLoad(int partition, double statements, sim::Nanos latency, bool served)
{
    if (m_statementsCounter)
        m_statementsCounter->add(statements);
    auto it = std::find_if(m_load.begin(), m_load.end(), [partition](const PartitionLoad& l) { return l.partition == partition; });
    if (it == m_load.end()) {
        m_load.emplace_back();
        it = m_load.end() - 1;
        it->partition = partition;
    }
    PartitionLoad& l = *it;
    const std::int64_t second = m_world.now() / sim::kSecond;
    if (second != l.second) {
        if (second == l.second + 1) {
            l.lastStatements = l.statements;
            std::swap(l.latency, l.lastLatency);
        } else {
            l.lastStatements = 0.0;
            l.lastLatency.reset();
        }
        l.statements = 0.0;
        l.latency.reset();
        l.second = second;
    }
    l.statements += statements;
    if (served)
        l.latency.record(latency, statements);
}

// ---------------------------------------------------------------- failover

void SqlShard::onFaultsChanged()
{
    if (m_checkScheduled)
        return;
    m_checkScheduled = true;
    m_world.after(0, m_kindCheck, m_id, [this] {
        m_checkScheduled = false;
        checkHealth();
    });
}

void SqlShard::checkHealth()
{
    if (!m_config.autoFailover)
        return;
    if (!primary().down()) {
        m_world.scheduler().cancel(m_detect);
        m_detect = {};
        return;
    }
    if (m_world.scheduler().isPending(m_detect))
        return;
    m_detect = m_world.after(m_config.failoverDetection, m_kindDetect, m_id, [this] {
        m_detect = {};
        if (primary().down())
            (void)failover(sim::strCat(primary().path(), " is down"));
    });
}

absl::StatusOr<FailoverReport> SqlShard::failover(std::string_view reason)
{
    SqlInstance& old = primary();
    int best = -1;
    for (std::size_t k = 0; k < m_instances.size(); ++k) {
        const SqlInstance& r = *m_instances[k];
        if (k == m_primary || r.down() || r.state().needsResync)
            continue;
        if (best < 0 || r.state().received > m_instances[static_cast<std::size_t>(best)]->state().received)
            best = static_cast<int>(k);
    }
    if (best < 0) {
        std::string msg = sim::strCat(m_path, ": no replica can take over from ", old.path(),
                                      " (every replica is down or diverged); reason: ", reason);
        m_world.events().raise("sql.failover.failed", m_id, v1::SEVERITY_ALERT, msg,
                               {{"shard", sim::strCat(m_index)}, {"primary", old.path()}, {"reason", std::string(reason)}});
        return absl::FailedPreconditionError(std::move(msg));
    }
    SqlInstance& next = *m_instances[static_cast<std::size_t>(best)];
    // The candidate applies everything it received (its relay log) before it serves.
    m_replication.drain(next);
    const std::uint64_t promoted = next.state().received;
    const std::uint64_t oldLast = m_binlog.lastPosition();
    const std::uint64_t purgedBefore = m_binlog.purgedThrough();
    std::vector<BinlogEntry> lost = m_binlog.truncateAfter(promoted);

    FailoverReport report;
    report.shard = m_index;
    report.reason = std::string(reason);
    report.oldPrimary = old.path();
    report.newPrimary = next.path();
    report.time = m_world.now();
    report.promotedPosition = promoted;
    report.oldLastPosition = oldLast;
    report.lostPurged = purgedBefore > promoted ? purgedBefore - promoted : 0;
    std::vector<std::int64_t> keys;
    for (const BinlogEntry& e : lost) {
        ++report.lostEntries;
        if (e.acknowledged)
            ++report.lostAcknowledged;
        keys.clear();
        e.batch->keys(keys);
        if (keys.empty())
            report.lost.push_back(LostWrite{e.position, 0, e.acknowledged, e.commitTime});
        for (std::int64_t key : keys)
            report.lost.push_back(LostWrite{e.position, key, e.acknowledged, e.commitTime});
    }
    if (oldLast > promoted)
        m_lostRanges.emplace_back(promoted, oldLast);

    // Writes that ran on the old primary but had not committed are aborted: their
    // changes never reached the binlog.
    std::uint64_t uncommitted = 0;
    for (std::uint32_t k = 0; k < m_requests.size(); ++k) {
        Request& r = m_requests[k];
        if (!r.committing || r.aborted || r.instance != old.index())
            continue;
        SqlInstance::WriteResult w = old.takeWrite(r.writeTicket);
        if (w.status.ok() && w.outcome.changes > 0)
            ++uncommitted;
        old.recordPageMisses(w.stats.pageMisses, r.weight);
        r.aborted = true;
        r.result.stats = w.stats;
        r.result.status = absl::AbortedError(sim::strCat("the write on ", old.path(), " had not committed when ", m_path,
                                                         " failed over; it was not applied; send it again"));
    }

    // Roles: the old primary keeps what it committed (and what it ran uncommitted) and
    // must be re-provisioned if that includes lost writes; any other replica that
    // applied past the promoted position too.
    old.setRole(SqlRole::Replica);
    SqlInstanceState& o = old.state();
    o.received = o.applied = oldLast;
    o.relay.clear();
    o.divergent = report.lostEntries + report.lostPurged + uncommitted;
    if (uncommitted > 0)
        o.needsResync = true;
    for (const auto& inst : m_instances) {
        SqlInstanceState& s = inst->state();
        if (inst.get() == &old || inst.get() == &next || s.applied <= promoted)
            continue;
        s.divergent = static_cast<std::uint64_t>(std::count_if(
            lost.begin(), lost.end(), [&](const BinlogEntry& e) { return e.position <= s.applied; }));
    }
    next.setRole(SqlRole::Primary);
    SqlInstanceState& n = next.state();
    n.connected = false;
    ++n.link;
    m_world.scheduler().cancel(n.retry);
    n.retry = {};
    m_primary = next.index();
    ++m_epoch;

    // Clients still waiting for a semi-sync ack from the old primary see it fail.
    for (std::uint32_t i : m_replication.takeWaiters()) {
        Request& r = m_requests[i];
        r.waitingAck = false;
        const bool survived = r.result.position <= promoted;
        failEarly(i, absl::UnavailableError(sim::strCat(
                         old.path(), " failed over to ", next.path(), " before a replica acknowledged position ",
                         r.result.position, survived ? " (the write survived)" : " (the write was lost)")));
    }

    m_lostTotal += report.lostEntries;
    m_lostAcknowledgedTotal += report.lostAcknowledged;
    if (m_failoverCounter)
        m_failoverCounter->add(1.0);
    if (m_lostCounter)
        m_lostCounter->add(static_cast<double>(report.lostEntries));
    std::string lostKeys;
    for (std::size_t k = 0; k < report.lost.size() && k < 32; ++k)
        lostKeys += sim::strCat(k ? "," : "", report.lost[k].key);
    if (report.lost.size() > 32)
        lostKeys += sim::strCat(",… (", report.lost.size() - 32, " more)");
    m_world.events().raise(
        "sql.failover", m_id, v1::SEVERITY_ALERT,
        sim::strCat(m_path, ": failed over from ", old.path(), " to ", next.path(), " at position ", promoted, " (",
                    reason, "); lost ", report.lostEntries, " committed writes, ", report.lostAcknowledged,
                    " of them acknowledged"),
        {{"shard", sim::strCat(m_index)},
         {"from", old.path()},
         {"to", next.path()},
         {"reason", std::string(reason)},
         {"position", sim::strCat(promoted)},
         {"old_position", sim::strCat(oldLast)},
         {"lost_writes", sim::strCat(report.lostEntries)},
         {"lost_acknowledged", sim::strCat(report.lostAcknowledged)},
         {"lost_keys", lostKeys},
         {"mode", toString(m_config.replication)}});

    // Replicas follow the new primary; subscriptions resume from the promoted position.
    m_replication.reset(promoted);
    for (std::size_t s = 0; s < m_subscriptions.size(); ++s) {
        Subscription& sub = m_subscriptions[s];
        sub.cursor = std::min(sub.cursor, promoted);
        m_world.scheduler().cancel(sub.pending);
        sub.pending = {};
        schedulePump(s, m_world.now());
    }
    m_failovers.push_back(report);
    if (m_onFailover)
        m_onFailover(m_failovers.back());
    return report;
}

// ---------------------------------------------------------------- subscriptions

absl::StatusOr<std::uint64_t> SqlShard::subscribe(std::uint64_t fromPosition, sim::ComponentId subscriber,
                                                  BinlogCallback callback)
{
    if (!callback)
        return absl::InvalidArgumentError("binlog subscription needs a callback");
    if (fromPosition != 0 && fromPosition <= m_binlog.purgedThrough())
        return absl::OutOfRangeError(sim::strCat("the binlog of ", m_path, " no longer holds position ", fromPosition,
                                                 "; the oldest retained position is ", m_binlog.firstPosition()));
    Subscription s;
    s.id = m_nextSubscription++;
    s.cursor = fromPosition == 0 ? m_binlog.lastPosition() : fromPosition - 1;
    s.subscriber = subscriber;
    s.callback = std::move(callback);
    m_subscriptions.push_back(std::move(s));
    schedulePump(m_subscriptions.size() - 1, m_world.now());
    return m_subscriptions.back().id;
}

void SqlShard::unsubscribe(std::uint64_t id)
{
    for (Subscription& s : m_subscriptions) {
        if (s.id == id) {
            // The callback object stays: unsubscribe may be called from inside it.
            s.active = false;
            m_world.scheduler().cancel(s.pending);
            s.pending = {};
        }
    }
}

void SqlShard::schedulePump(std::size_t index, sim::Nanos at)
{
    Subscription& s = m_subscriptions[index];
    if (!s.active || m_world.scheduler().isPending(s.pending))
        return;
    s.pending = m_world.at(at, m_kindSubscription, m_id, [this, index] { pump(index); });
}

void SqlShard::pump(std::size_t index)
{
    m_subscriptions[index].pending = {};
    const SqlInstance& p = primary();
    const sim::ComponentId subscriber = m_subscriptions[index].subscriber;
    const sim::Nanos latency = subscriber != sim::kNoComponent ? m_world.network().baseLatency(p.id(), subscriber) : 0;
    while (m_subscriptions[index].active) {
        Subscription& s = m_subscriptions[index];
        const BinlogEntry* e = m_binlog.next(s.cursor);
        if (!e)
            return;
        const sim::Nanos due = e->commitTime + latency;
        if (due > m_world.now()) {
            schedulePump(index, due);
            return;
        }
        if (subscriber != sim::kNoComponent && !m_world.network().reachable(p.id(), subscriber)) {
            schedulePump(index, m_world.now() + m_config.connectRetry);
            return;
        }
        const BinlogEntry entry = *e; // the callback may write and so purge the binlog
        s.cursor = entry.position;
        s.callback(entry);
    }
}

// ---------------------------------------------------------------- telemetry

void SqlShard::contributeLoad(v1::Snapshot& snapshot) const
{
    std::map<int, std::int64_t> rows; // partition → rows on the primary
    for (const SqlConnection::TableRows& t : primary().connection().tables()) {
        int partition = 0;
        for (const PartitionFamily& f : m_config.partitions) {
            if ((partition = ShardRouter::partitionOfTable(t.name, f.name)) != 0)
                break;
        }
        rows[partition] += t.rows;
    }
    for (const PartitionLoad& l : m_load)
        rows.try_emplace(l.partition, 0);
    if (rows.empty())
        rows.emplace(0, 0);
    const std::int64_t second = m_world.now() / sim::kSecond;
    const SqlInstance& p = primary();
    const int region = p.region();
    const std::string& regionName =
        region >= 0 ? m_world.topology().regions()[static_cast<std::size_t>(region)].name : p.path();
    for (const auto& [partition, count] : rows) {
        v1::ShardLoad* out = snapshot.add_shards();
        out->set_cluster(m_config.name);
        out->set_shard(m_index);
        out->set_partition(partition ? sim::strCat(partition) : std::string());
        out->set_rows(static_cast<std::uint64_t>(std::max<std::int64_t>(count, 0)));
        out->set_queue(static_cast<std::uint32_t>(p.queue().queued()));
        out->set_region(regionName);
        for (const PartitionLoad& l : m_load) {
            if (l.partition != partition)
                continue;
            // The last whole simulated second.
            if (l.second == second) {
                out->set_qps(l.lastStatements);
                out->set_p99_ms(sim::toMillis(static_cast<sim::Nanos>(l.lastLatency.quantile(0.99))));
            } else if (l.second == second - 1) {
                out->set_qps(l.statements);
                out->set_p99_ms(sim::toMillis(static_cast<sim::Nanos>(l.latency.quantile(0.99))));
            }
        }
    }
}

void SqlShard::inspect(sim::StateWriter& out) const
{
    out.add("primary", primary().path());
    out.add("epoch", static_cast<std::uint64_t>(m_epoch));
    out.add("replication", toString(m_config.replication));
    out.add("binlog_last", m_binlog.lastPosition());
    out.add("binlog_first", m_binlog.firstPosition());
    out.add("binlog_entries", static_cast<std::uint64_t>(m_binlog.size()));
    out.add("binlog_bytes", static_cast<std::uint64_t>(m_binlog.bytes()));
    out.add("binlog_purged", m_binlog.purged());
    if (m_config.replication == ReplicationMode::SemiSync) {
        out.add("semi_sync_on", m_replication.semiSyncOn());
        out.add("semi_sync_acked", m_replication.ackedPosition());
        out.add("semi_sync_waiting", static_cast<std::uint64_t>(m_replication.waiting()));
        out.add("semi_sync_fallbacks", m_replication.semiSyncFallbacks());
    }
    out.add("shipped", m_replication.shipped());
    out.add("failovers", static_cast<std::uint64_t>(m_failovers.size()));
    out.add("lost_writes", m_lostTotal);
    out.add("lost_acknowledged", m_lostAcknowledgedTotal);
    std::uint64_t subscriptions = 0;
    for (const Subscription& s : m_subscriptions)
        subscriptions += s.active ? 1 : 0;
    out.add("subscriptions", subscriptions);
    out.add("pending_requests", static_cast<std::uint64_t>(pendingRequests()));
}

} // namespace livedeck::infra

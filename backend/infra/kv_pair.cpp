#include "backend/infra/kv_pair.h"

#include "backend/resilience/hot_key_detector.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace livedeck::infra {

const char* toString(ReplicationState state)
{
    switch (state) {
    case ReplicationState::Streaming:
        return "streaming";
    case ReplicationState::Disconnected:
        return "disconnected";
    case ReplicationState::Syncing:
        return "full-resync";
    }
    return "?";
}

namespace {

void resetRequest(KvRequest& r, KvOp op, std::string_view key)
{
    r.op = op;
    r.key.assign(key);
    r.field.clear();
    r.value.clear();
    r.integer = 0;
    r.stop = -1;
    r.score = 0.0;
    r.maxScore = 0.0;
    r.reverse = false;
    r.version = 0;
    r.ttl = 0;
    r.expireAt = 0;
}

void copyRequest(KvRequest& to, const KvRequest& from)
{
    to.op = from.op;
    to.key.assign(from.key);
    to.field.assign(from.field);
    to.value.assign(from.value);
    to.integer = from.integer;
    to.stop = from.stop;
    to.score = from.score;
    to.maxScore = from.maxScore;
    to.reverse = from.reverse;
    to.version = from.version;
    to.ttl = from.ttl;
    to.expireAt = from.expireAt;
}

constexpr std::uint64_t kReplOpOverhead = 64; // backlog bytes per effect beyond its payload

} // namespace

KvPair::KvPair(sim::World& world, std::string_view path, std::string_view dataCentre, KvPairConfig config,
               telemetry::MetricsRegistry* metrics)
    : m_world(world),
      m_path(path),
      m_config(config),
      m_component(world.components().mustAdd(path, "kv-pair", dataCentre, this))
{
    m_nodes[0] = std::make_unique<KvNode>(world, sim::strCat(m_path, "/primary"), dataCentre, config.node,
                                          KvRole::Primary, metrics);
    m_nodes[1] = std::make_unique<KvNode>(world, sim::strCat(m_path, "/replica"), dataCentre, config.node,
                                          KvRole::Replica, metrics);
    m_sentinel = world.components().mustAdd(sim::strCat(m_path, "/sentinel"), "kv-sentinel", dataCentre);
    for (int i = 0; i < 2; ++i) {
        m_nodes[i]->setWriteLog([this, i](const KvRequest& effect, std::uint64_t version, double weight) {
            logWrite(i, effect, version, weight);
        });
    }
    m_arriveKind = world.kind("kv.call.arrive");
    m_replyKind = world.kind("kv.call.reply");
    m_timeoutKind = world.kind("kv.call.timeout");
    m_flushKind = world.kind("kv.repl.flush");
    m_applyKind = world.kind("kv.repl.apply");
    m_reconnectKind = world.kind("kv.repl.reconnect");
    m_resyncKind = world.kind("kv.repl.resync");
    m_sentinelKind = world.kind("kv.sentinel.ping");
    if (metrics) {
        m_lostCounter = &metrics->counter("kv.lost_writes", m_path);
        m_failoverCounter = &metrics->counter("kv.failovers", m_path);
        m_resyncCounter = &metrics->counter("kv.full_resyncs", m_path);
        m_timeoutCounter = &metrics->counter("kv.timeouts", m_path);
        m_lagOpsGauge = &metrics->gauge("kv.replication_lag_ops", m_path);
        m_lagMsGauge = &metrics->gauge("kv.replication_lag_ms", m_path);
    }
    m_ring.resize(64);
    m_lastOk[0] = m_lastOk[1] = world.now();
    m_world.after(m_config.sentinelPingInterval, m_sentinelKind, m_sentinel, [this] { sentinelTick(); });
}

KvPair::~KvPair() = default;

// ------------------------------------------------------------------ client API

std::uint32_t KvPair::beginCall(sim::ComponentId from, KvOp op, std::string_view key, double weight, Callback done)
{
    std::uint32_t index;
    if (!m_freeCalls.empty()) {
        index = m_freeCalls.back();
        m_freeCalls.pop_back();
    } else {
        index = static_cast<std::uint32_t>(m_calls.size());
        m_calls.emplace_back();
    }
    Call& c = m_calls[index];
    resetRequest(c.request, op, key);
    c.reply.clear();
    c.done = std::move(done);
    c.from = from;
    c.node = m_primary;
    c.fromReplica = false;
    c.weight = weight;
    c.start = m_world.now();
    c.timer = {};
    c.answered = false;
    c.inPipeline = false;
    return index;
}

void KvPair::get(sim::ComponentId from, std::string_view key, double weight, Callback done)
{
    dispatch(beginCall(from, KvOp::Get, key, weight, std::move(done)));
}

void KvPair::set(sim::ComponentId from, std::string_view key, std::string_view value, sim::Nanos ttl, double weight,
                 Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::Set, key, weight, std::move(done));
    m_calls[i].request.value.assign(value);
    m_calls[i].request.ttl = ttl;
    dispatch(i);
}

void KvPair::del(sim::ComponentId from, std::string_view key, double weight, Callback done)
{
    dispatch(beginCall(from, KvOp::Del, key, weight, std::move(done)));
}

void KvPair::incrBy(sim::ComponentId from, std::string_view key, std::int64_t delta, double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::IncrBy, key, weight, std::move(done));
    m_calls[i].request.integer = delta;
    dispatch(i);
}

void KvPair::expire(sim::ComponentId from, std::string_view key, sim::Nanos ttl, double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::Expire, key, weight, std::move(done));
    m_calls[i].request.ttl = ttl;
    dispatch(i);
}

void KvPair::hset(sim::ComponentId from, std::string_view key, std::string_view field, std::string_view value,
                  double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::HSet, key, weight, std::move(done));
    m_calls[i].request.field.assign(field);
    m_calls[i].request.value.assign(value);
    dispatch(i);
}

void KvPair::hget(sim::ComponentId from, std::string_view key, std::string_view field, double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::HGet, key, weight, std::move(done));
    m_calls[i].request.field.assign(field);
    dispatch(i);
}

void KvPair::hgetall(sim::ComponentId from, std::string_view key, double weight, Callback done)
{
    dispatch(beginCall(from, KvOp::HGetAll, key, weight, std::move(done)));
}

void KvPair::hincrBy(sim::ComponentId from, std::string_view key, std::string_view field, std::int64_t delta,
                     double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::HIncrBy, key, weight, std::move(done));
    m_calls[i].request.field.assign(field);
    m_calls[i].request.integer = delta;
    dispatch(i);
}

void KvPair::zadd(sim::ComponentId from, std::string_view key, std::string_view member, double score, double weight,
                  Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::ZAdd, key, weight, std::move(done));
    m_calls[i].request.field.assign(member);
    m_calls[i].request.score = score;
    dispatch(i);
}

void KvPair::zincrBy(sim::ComponentId from, std::string_view key, std::string_view member, double delta,
                     double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::ZIncrBy, key, weight, std::move(done));
    m_calls[i].request.field.assign(member);
    m_calls[i].request.score = delta;
    dispatch(i);
}

void KvPair::zrange(sim::ComponentId from, std::string_view key, std::int64_t start, std::int64_t stop, bool reverse,
                    double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::ZRange, key, weight, std::move(done));
    m_calls[i].request.integer = start;
    m_calls[i].request.stop = stop;
    m_calls[i].request.reverse = reverse;
    dispatch(i);
}

void KvPair::compareAndSet(sim::ComponentId from, std::string_view key, std::uint64_t expectedVersion,
                           std::string_view value, sim::Nanos ttl, double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::Cas, key, weight, std::move(done));
    m_calls[i].request.version = expectedVersion;
    m_calls[i].request.value.assign(value);
    m_calls[i].request.ttl = ttl;
    dispatch(i);
}

void KvPair::setIfNewer(sim::ComponentId from, std::string_view key, std::string_view value, std::uint64_t version,
                        sim::Nanos ttl, double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::SetIfNewer, key, weight, std::move(done));
    m_calls[i].request.version = version;
    m_calls[i].request.value.assign(value);
    m_calls[i].request.ttl = ttl;
    dispatch(i);
}

void KvPair::hsetIfNewer(sim::ComponentId from, std::string_view key, std::string_view field, std::string_view value,
                         std::uint64_t version, double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, KvOp::HSetIfNewer, key, weight, std::move(done));
    m_calls[i].request.field.assign(field);
    m_calls[i].request.value.assign(value);
    m_calls[i].request.version = version;
    dispatch(i);
}

void KvPair::call(sim::ComponentId from, const KvRequest& request, double weight, Callback done)
{
    const std::uint32_t i = beginCall(from, request.op, request.key, weight, std::move(done));
    copyRequest(m_calls[i].request, request);
    dispatch(i);
}

void KvPair::setKeyObserver(KvNode::KeyObserver observer)
{
    m_nodes[0]->setKeyObserver(observer);
    m_nodes[1]->setKeyObserver(std::move(observer));
}

void KvPair::attachHotKeyDetector(resilience::HotKeyDetector* detector)
{
    if (!detector) {
        setKeyObserver({});
        return;
    }
    setKeyObserver([detector](std::string_view key, double weight, bool) { detector->observe(key, weight); });
}

bool KvPair::replicaReadable() const
{
    const int r = 1 - m_primary;
    return m_config.readFromReplica && m_up[r] && m_replicaSynced && m_deposed != r;
}

void KvPair::dispatch(std::uint32_t index)
{
    Call& c = m_calls[index];
    const bool write = isWrite(c.request.op);
    c.node = !write && replicaReadable() ? 1 - m_primary : m_primary;
    c.fromReplica = c.node != m_primary;
    const KvNode& n = *m_nodes[c.node];
    c.timer = m_world.after(m_config.clientTimeout, m_timeoutKind, m_component, [this, index] { timedOut(index); });
    const sim::Delivery d = m_world.network().send(c.from, n.component());
    if (d.delivered()) {
        c.inPipeline = true;
        m_world.after(d.latency, m_arriveKind, n.component(), [this, index] { arrive(index); });
        return;
    }
    if (d.outcome == sim::Delivery::Outcome::DestinationDown || d.outcome == sim::Delivery::Outcome::SourceDown) {
        // Connection refused: the caller learns it after a round trip.
        c.inPipeline = true;
        const sim::Nanos rtt = 2 * m_world.network().baseLatency(c.from, n.component());
        m_world.after(rtt, m_replyKind, c.from, [this, index] { refused(index); });
    }
    // Partitioned or lost: nothing comes back; the client timeout answers.
}

void KvPair::arrive(std::uint32_t index)
{
    Call& c = m_calls[index];
    m_nodes[c.node]->serve(c.weight, &c.request, &c.reply,
                           [this, index](ServiceOutcome outcome, sim::Nanos) { served(index, outcome); });
}

void KvPair::served(std::uint32_t index, ServiceOutcome outcome)
{
    Call& c = m_calls[index];
    const KvNode& n = *m_nodes[c.node];
    if (outcome == ServiceOutcome::Down) {
        // The process died with the request: the connection resets.
        m_world.after(m_world.network().baseLatency(n.component(), c.from), m_replyKind, c.from,
                      [this, index] { refused(index); });
        return;
    }
    if (outcome != ServiceOutcome::Ok) {
        c.reply.clear();
        c.reply.status = outcome == ServiceOutcome::Rejected ? KvStatus::Rejected : KvStatus::Error;
    }
    const sim::Delivery d = m_world.network().send(n.component(), c.from);
    if (!d.delivered()) {
        pipelineEnd(index); // the answer is lost; the client timeout answers
        return;
    }
    m_world.after(d.latency, m_replyKind, c.from, [this, index] { replyArrived(index); });
}

void KvPair::replyArrived(std::uint32_t index)
{
    Call& c = m_calls[index];
    if (!c.answered) {
        m_world.scheduler().cancel(c.timer);
        answer(c);
    }
    pipelineEnd(index);
}

void KvPair::refused(std::uint32_t index)
{
    Call& c = m_calls[index];
    if (!c.answered) {
        m_world.scheduler().cancel(c.timer);
        c.reply.clear();
        c.reply.status = KvStatus::Unavailable;
        answer(c);
    }
    pipelineEnd(index);
}

void KvPair::timedOut(std::uint32_t index)
{
    Call& c = m_calls[index];
    if (c.answered)
        return;
    c.reply.clear();
    c.reply.status = KvStatus::Timeout;
    if (m_timeoutCounter)
        m_timeoutCounter->add(c.weight);
    answer(c);
    if (!c.inPipeline)
        release(index);
}

void KvPair::answer(Call& c)
{
    assert(!c.answered);
    c.answered = true;
    c.reply.latency = m_world.now() - c.start;
    c.reply.fromReplica = c.fromReplica;
    Callback done = std::move(c.done);
    if (done)
        done(c.reply);
}

void KvPair::pipelineEnd(std::uint32_t index)
{
    Call& c = m_calls[index];
    c.inPipeline = false;
    if (c.answered)
        release(index);
}

void KvPair::release(std::uint32_t index)
{
    m_calls[index].done.reset();
    m_freeCalls.push_back(index);
}

// ------------------------------------------------------------------ replication

KvPair::ReplOp& KvPair::pushOp()
{
    if (m_ringCount == m_ring.size()) {
        std::vector<ReplOp> grown(m_ring.size() * 2);
        for (std::uint64_t i = 0; i < m_ringCount; ++i)
            grown[i] = std::move(m_ring[(m_ringHead + i) % m_ring.size()]);
        m_ring = std::move(grown);
        m_ringHead = 0;
    }
    ReplOp& op = m_ring[(m_ringHead + m_ringCount) % m_ring.size()];
    ++m_ringCount;
    ++m_offset;
    return op;
}

const KvPair::ReplOp& KvPair::opAt(std::uint64_t offset) const
{
    assert(offset >= oldestOffset() && offset <= m_offset);
    return m_ring[(m_ringHead + (offset - oldestOffset())) % m_ring.size()];
}

void KvPair::logWrite(int nodeIndex, const KvRequest& effect, std::uint64_t version, double weight)
{
    if (nodeIndex != m_primary) {
        // A deposed primary still taking writes: they vanish with its resynchronisation.
        if (weight > 0) {
            ++m_lostWrites;
            m_lostWeight += weight;
            if (m_lostCounter)
                m_lostCounter->add(weight);
        }
        return;
    }
    ReplOp& op = pushOp();
    copyRequest(op.effect, effect);
    op.version = version;
    op.weight = weight;
    op.time = m_world.now();
    op.bytes = kReplOpOverhead + effect.key.size() + effect.field.size() + effect.value.size();
    if (weight > 0) {
        m_loggedWeight += weight;
        ++m_loggedWrites;
    }
    op.cumWeight = m_loggedWeight;
    op.cumWrites = m_loggedWrites;
    m_backlogUsed += op.bytes;
    while (m_backlogUsed > m_config.backlogBytes && m_ringCount > 1) {
        m_backlogUsed -= m_ring[m_ringHead].bytes;
        m_ringHead = (m_ringHead + 1) % m_ring.size();
        --m_ringCount;
    }
    scheduleFlush();
    updateLagGauges();
}

void KvPair::scheduleFlush()
{
    if (m_state != ReplicationState::Streaming || m_flushPending)
        return;
    m_flushPending = true;
    m_world.after(m_config.replicationInterval, m_flushKind, primary().component(), [this] { flush(); });
}

void KvPair::flush()
{
    m_flushPending = false;
    if (m_state != ReplicationState::Streaming || m_shipped >= m_offset)
        return;
    if (m_shipped + 1 < oldestOffset()) {
        disconnect(); // the backlog no longer holds what the replica needs: resync
        return;
    }
    KvNode& p = primary();
    KvNode& r = replica();
    const sim::Delivery d = m_world.network().send(p.component(), r.component());
    if (!d.delivered()) {
        disconnect();
        return;
    }
    sim::Nanos lag = d.latency;
    const auto& faults = m_world.faults();
    if (faults.anyActive(v1::FAULT_REPLICA_LAG))
        lag += sim::fromMillis(faults.effect(v1::FAULT_REPLICA_LAG, r.path()).addMs);
    // One connection: batches arrive in the order they were sent, like a TCP stream.
    const sim::Nanos arrival = std::max(m_world.now() + lag, m_lastBatchArrival);
    m_lastBatchArrival = arrival;
    const std::uint64_t first = m_shipped + 1;
    const std::uint64_t last = m_offset;
    m_shipped = last;
    m_world.at(arrival, m_applyKind, r.component(),
               [this, first, last, epoch = m_epoch] { applyBatch(first, last, epoch); });
}

void KvPair::applyBatch(std::uint64_t first, std::uint64_t last, std::uint64_t epoch)
{
    if (epoch != m_epoch)
        return; // the link broke or the roles changed since this batch left
    KvNode& r = replica();
    if (m_world.faults().isDown(r.path()) || first < oldestOffset()) {
        disconnect();
        return;
    }
    assert(first == m_replicaOffset + 1 && "replication batches apply in order");
    double weightSum = 0.0;
    double weightedCost = 0.0;
    sim::Nanos evictionCost = 0;
    for (std::uint64_t off = first; off <= last; ++off) {
        const ReplOp& op = opAt(off);
        const sim::Nanos cost = r.applyReplicated(op.effect, op.version);
        if (op.weight > 0) {
            weightSum += op.weight;
            weightedCost += op.weight * static_cast<double>(cost);
        } else {
            evictionCost += cost;
        }
    }
    const ReplOp& lastOp = opAt(last);
    m_replicaOffset = last;
    m_replicaWeight = lastOp.cumWeight;
    m_replicaWrites = lastOp.cumWrites;
    if (weightSum > 0) {
        // The replica's workers pay for the writes it applied (real-equivalent weight).
        const sim::Nanos cost = static_cast<sim::Nanos>(std::llround(weightedCost / weightSum)) + evictionCost;
        r.queue().submit(weightSum, [cost](bool&) { return cost; }, [](ServiceOutcome, sim::Nanos) {});
    }
    updateLagGauges();
}

void KvPair::disconnect()
{
    m_state = ReplicationState::Disconnected;
    ++m_epoch;
    m_lastBatchArrival = 0;
    scheduleReconnect();
    updateLagGauges();
}

void KvPair::scheduleReconnect()
{
    if (m_reconnectPending)
        return;
    m_reconnectPending = true;
    m_world.after(m_config.reconnectInterval, m_reconnectKind, replica().component(), [this] { reconnect(); });
}

void KvPair::reconnect()
{
    m_reconnectPending = false;
    if (m_state != ReplicationState::Disconnected)
        return;
    const int r = 1 - m_primary;
    if (m_deposed == r) {
        scheduleReconnect(); // it still believes it is the primary
        return;
    }
    // PSYNC: the replica asks the primary to continue from its offset.
    const sim::Delivery d = m_world.network().send(replica().component(), primary().component());
    if (!d.delivered() || !m_world.network().reachable(primary().component(), replica().component())) {
        scheduleReconnect();
        return;
    }
    const bool partial = m_replicaSynced && m_replicaOffset + 1 >= oldestOffset();
    if (partial) {
        m_state = ReplicationState::Streaming;
        m_shipped = m_replicaOffset;
        ++m_partialResyncs;
        scheduleFlush();
        updateLagGauges();
        return;
    }
    startFullResync(d.latency);
}

void KvPair::startFullResync(sim::Nanos networkLatency)
{
    m_state = ReplicationState::Syncing;
    ++m_epoch;
    ++m_fullResyncs;
    if (m_resyncCounter)
        m_resyncCounter->add(1.0);
    if (!m_snapshot) {
        KvStoreConfig cfg = m_config.node.store;
        cfg.enforceBudget = false;
        m_snapshot = std::make_unique<KvStore>(m_world.clock(), cfg);
    }
    // A point-in-time copy (Redis forks and writes an RDB); later writes follow from the backlog.
    const std::uint64_t bytes = m_snapshot->copyFrom(primary().store());
    m_snapshotOffset = m_offset;
    m_snapshotWeight = m_loggedWeight;
    m_snapshotWrites = m_loggedWrites;
    const sim::Nanos transfer = networkLatency
        + static_cast<sim::Nanos>(static_cast<double>(bytes) / m_config.resyncBytesPerSec * 1e9);
    m_world.events().raise("kv.resync", m_component, v1::SEVERITY_INFO,
                           sim::strCat(m_path, ": full resynchronisation of ", replica().path(), " from ",
                                       primary().path(), " (", bytes, " bytes)"),
                           {{"bytes", sim::strCat(bytes)}, {"replica", replica().path()}});
    m_world.after(transfer, m_resyncKind, replica().component(),
                  [this, epoch = m_epoch] { finishFullResync(epoch); });
    updateLagGauges();
}

void KvPair::finishFullResync(std::uint64_t epoch)
{
    if (epoch != m_epoch)
        return;
    KvNode& r = replica();
    if (!m_world.network().reachable(primary().component(), r.component())) {
        disconnect();
        return;
    }
    r.store().copyFrom(*m_snapshot);
    m_snapshot->clear();
    m_replicaOffset = m_snapshotOffset;
    m_replicaWeight = m_snapshotWeight;
    m_replicaWrites = m_snapshotWrites;
    m_shipped = m_snapshotOffset;
    m_replicaSynced = true;
    m_state = ReplicationState::Streaming;
    if (m_shipped < m_offset && m_shipped + 1 < oldestOffset())
        disconnect(); // the backlog overflowed during the transfer: again
    else
        scheduleFlush();
    updateLagGauges();
}

void KvPair::updateLagGauges()
{
    const std::uint64_t lagOps = m_offset >= m_replicaOffset ? m_offset - m_replicaOffset : 0;
    double lagMs = 0.0;
    if (lagOps > 0 && m_replicaOffset + 1 >= oldestOffset())
        lagMs = sim::toMillis(m_world.now() - opAt(m_replicaOffset + 1).time);
    if (m_lagOpsGauge)
        m_lagOpsGauge->set(static_cast<double>(lagOps));
    if (m_lagMsGauge)
        m_lagMsGauge->set(lagMs);
}

// ------------------------------------------------------------------ sentinel

bool KvPair::ping(int index)
{
    sim::Network& net = m_world.network();
    const sim::ComponentId node = m_nodes[index]->component();
    return net.send(m_sentinel, node).delivered() && net.send(node, m_sentinel).delivered();
}

void KvPair::sentinelTick()
{
    const sim::Nanos now = m_world.now();
    bool reached[2] = {false, false};
    for (int i = 0; i < 2; ++i) {
        reached[i] = ping(i);
        if (reached[i]) {
            m_lastOk[i] = now;
            m_up[i] = true;
        } else if (now - m_lastOk[i] >= m_config.downAfter) {
            m_up[i] = false;
        }
    }
    if (m_deposed >= 0 && reached[m_deposed]) {
        // The former primary is back: reconfigure it as the replica; it resyncs in full.
        m_nodes[m_deposed]->setRole(KvRole::Replica);
        m_world.events().raise("kv.demote", m_component, v1::SEVERITY_INFO,
                               sim::strCat(m_path, ": ", m_nodes[m_deposed]->path(),
                                           " is reachable again and now replicates ", primary().path()));
        m_deposed = -1;
        m_replicaSynced = false;
        if (m_state == ReplicationState::Streaming)
            disconnect();
    }
    const int r = 1 - m_primary;
    if (!m_up[m_primary] && m_up[r] && m_deposed != r)
        failover();
    m_world.after(m_config.sentinelPingInterval, m_sentinelKind, m_sentinel, [this] { sentinelTick(); });
}

void KvPair::failover()
{
    const int old = m_primary;
    const int next = 1 - old;
    const std::uint64_t lost = m_loggedWrites - m_replicaWrites;
    const double lostWeight = m_loggedWeight - m_replicaWeight;
    m_lostWrites += lost;
    m_lostWeight += lostWeight;
    if (m_lostCounter)
        m_lostCounter->add(lostWeight);
    ++m_failovers;
    if (m_failoverCounter)
        m_failoverCounter->add(1.0);
    // A new replication history starts with the new primary.
    m_ringHead = 0;
    m_ringCount = 0;
    m_backlogUsed = 0;
    m_offset = 0;
    m_shipped = 0;
    m_replicaOffset = 0;
    m_loggedWeight = m_replicaWeight = 0.0;
    m_loggedWrites = m_replicaWrites = 0;
    m_replicaSynced = false;
    m_primary = next;
    m_deposed = old;
    m_nodes[next]->setRole(KvRole::Primary); // now enforces the memory budget
    m_world.events().raise(
        "kv.failover", m_component, v1::SEVERITY_WARNING,
        sim::strCat(m_path, ": primary ", m_nodes[old]->path(), " unreachable for ",
                    sim::toSeconds(m_config.downAfter), " s; promoted ", m_nodes[next]->path(), "; ", lost,
                    " unreplicated writes lost"),
        {{"from", m_nodes[old]->path()}, {"to", m_nodes[next]->path()}, {"lost_writes", sim::strCat(lost)}});
    disconnect();
}

// ------------------------------------------------------------------ inspector

void KvPair::inspect(sim::StateWriter& out) const
{
    out.add("primary", m_nodes[m_primary]->path());
    out.add("replica", m_nodes[1 - m_primary]->path());
    out.add("replication", toString(m_state));
    out.add("primary_offset", m_offset);
    out.add("replica_offset", m_replicaOffset);
    out.add("replication_lag_ops", m_offset - std::min(m_offset, m_replicaOffset));
    out.add("replica_readable", replicaReadable());
    out.add("primary_up", m_up[m_primary]);
    out.add("replica_up", m_up[1 - m_primary]);
    out.add("deposed", m_deposed >= 0 ? std::string_view(m_nodes[m_deposed]->path()) : std::string_view("-"));
    out.add("lost_writes", m_lostWrites);
    out.add("lost_weight", m_lostWeight);
    out.add("failovers", m_failovers);
    out.add("full_resyncs", m_fullResyncs);
    out.add("partial_resyncs", m_partialResyncs);
    out.add("pending_calls", static_cast<std::uint64_t>(pendingCalls()));
}

} // namespace livedeck::infra

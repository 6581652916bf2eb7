#include "backend/infra/raft_client.h"

#include "backend/infra/raft_cluster.h"
#include "backend/sim/strings.h"

#include <algorithm>

namespace livedeck::infra {

const char* toString(RaftReadMode mode)
{
    return mode == RaftReadMode::Random ? "random" : "leader";
}

RaftClient::RaftClient(RaftCluster& cluster, std::string_view path, RaftClientConfig config)
    : m_cluster(cluster),
      m_world(cluster.world()),
      m_transport(cluster.transport()),
      m_config(config),
      m_component(sim::kNoComponent),
      m_path(path),
      m_clientId(cluster.nextClientId()),
      m_timerKind(cluster.world().kind("raft.client_timer")),
      m_readRng(cluster.world().stream(sim::strCat(path, "#reads")))
{
    LIVEDECK_RAFT_ASSERT(m_config.timeout > 0 && m_config.attemptTimeout > 0);
    if (const sim::ComponentInfo* c = m_world.components().find(path)) {
        m_component = c->id;
    } else {
        m_component = m_world.components().mustAdd(path, "raft-client");
        m_ownsComponent = true;
        m_world.components().setInspectable(m_component, this);
    }
    m_transport.attach(m_component, this);
    // Start with the nearest node; the first answer names the leader.
    sim::Nanos best = sim::kNever;
    for (std::size_t i = 0; i < m_cluster.size(); ++i) {
        const sim::Nanos l = m_world.network().baseLatency(m_component, m_cluster.node(i).component());
        if (l < best) {
            best = l;
            m_leaderGuess = static_cast<int>(i);
        }
    }
    if (telemetry::MetricsRegistry* metrics = m_cluster.metrics()) {
        m_latency = &metrics->histogram("raft.client.latency", m_path);
        m_okCounter = &metrics->counter("raft.client.ops", m_path, "result=ok");
        m_refusedCounter = &metrics->counter("raft.client.ops", m_path, "result=refused");
        m_failedCounter = &metrics->counter("raft.client.ops", m_path, "result=failed");
    }
}

RaftClient::~RaftClient()
{
    for (Op& op : m_ops) {
        if (op.live)
            m_world.scheduler().cancel(op.timer);
    }
    m_transport.detach(m_component);
    if (m_ownsComponent)
        m_world.components().setInspectable(m_component, nullptr);
}

// ---------------------------------------------------------------- API

void RaftClient::get(std::string_view key, RaftCallback done, sim::Nanos timeout)
{
    startRead(RaftOp::Get, key, std::move(done), timeout);
}

void RaftClient::getLock(std::string_view lock, RaftCallback done, sim::Nanos timeout)
{
    startRead(RaftOp::GetLock, lock, std::move(done), timeout);
}

void RaftClient::put(std::string_view key, std::string_view value, RaftCallback done, sim::Nanos timeout)
{
    RaftCommand c;
    c.op = RaftOp::Put;
    c.key = key;
    c.value = value;
    submit(std::move(c), std::move(done), timeout);
}

void RaftClient::cas(std::string_view key, std::uint64_t expectedVersion, std::string_view value, RaftCallback done,
                     sim::Nanos timeout)
{
    RaftCommand c;
    c.op = RaftOp::Cas;
    c.key = key;
    c.value = value;
    c.expectedVersion = static_cast<std::int64_t>(expectedVersion);
    submit(std::move(c), std::move(done), timeout);
}

void RaftClient::casValue(std::string_view key, std::string_view expectedValue, std::string_view value,
                          RaftCallback done, sim::Nanos timeout)
{
    RaftCommand c;
    c.op = RaftOp::Cas;
    c.key = key;
    c.value = value;
    c.expectedValue = expectedValue;
    c.hasExpectedValue = true;
    submit(std::move(c), std::move(done), timeout);
}

void RaftClient::del(std::string_view key, RaftCallback done, sim::Nanos timeout)
{
    RaftCommand c;
    c.op = RaftOp::Del;
    c.key = key;
    submit(std::move(c), std::move(done), timeout);
}

void RaftClient::setIfNewer(std::string_view key, std::string_view value, std::uint64_t stamp, RaftCallback done,
                            sim::Nanos timeout)
{
    LIVEDECK_RAFT_ASSERT(stamp > 0);
    RaftCommand c;
    c.op = RaftOp::SetIfNewer;
    c.key = key;
    c.value = value;
    c.stamp = stamp;
    submit(std::move(c), std::move(done), timeout);
}

void RaftClient::acquireLock(std::string_view lock, std::string_view owner, sim::Nanos lease, RaftCallback done,
                             sim::Nanos timeout)
{
    LIVEDECK_RAFT_ASSERT(lease > 0);
    RaftCommand c;
    c.op = RaftOp::LockAcquire;
    c.key = lock;
    c.owner = owner;
    c.lease = lease;
    submit(std::move(c), std::move(done), timeout);
}

void RaftClient::renewLock(std::string_view lock, std::string_view owner, std::uint64_t token, sim::Nanos lease,
                           RaftCallback done, sim::Nanos timeout)
{
    LIVEDECK_RAFT_ASSERT(lease > 0);
    RaftCommand c;
    c.op = RaftOp::LockRenew;
    c.key = lock;
    c.owner = owner;
    c.token = token;
    c.lease = lease;
    submit(std::move(c), std::move(done), timeout);
}

void RaftClient::releaseLock(std::string_view lock, std::string_view owner, std::uint64_t token, RaftCallback done,
                             sim::Nanos timeout)
{
    RaftCommand c;
    c.op = RaftOp::LockRelease;
    c.key = lock;
    c.owner = owner;
    c.token = token;
    submit(std::move(c), std::move(done), timeout);
}

void RaftClient::putIfToken(std::string_view key, std::string_view value, std::string_view lock, std::uint64_t token,
                            RaftCallback done, sim::Nanos timeout)
{
    RaftCommand c;
    c.op = RaftOp::PutIfToken;
    c.key = key;
    c.value = value;
    c.lock = lock;
    c.token = token;
    submit(std::move(c), std::move(done), timeout);
}

void RaftClient::submit(RaftCommand command, RaftCallback done, sim::Nanos timeout)
{
    LIVEDECK_RAFT_ASSERT(command.op != RaftOp::Noop && !isRead(command.op));
    const std::uint32_t slot = allocOp();
    Op& op = m_ops[slot];
    op.op = command.op;
    command.clientId = m_clientId;
    command.seq = m_nextSeq++;
    command.firstUnacked = firstUnacked(command.seq);
    m_unacked.insert(command.seq);
    op.command = std::make_shared<const RaftCommand>(std::move(command));
    op.done = std::move(done);
    startOp(slot, timeout);
}

void RaftClient::startRead(RaftOp kind, std::string_view key, RaftCallback done, sim::Nanos timeout)
{
    const std::uint32_t slot = allocOp();
    Op& op = m_ops[slot];
    op.op = kind;
    op.key = key;
    op.done = std::move(done);
    startOp(slot, timeout);
}

// ---------------------------------------------------------------- attempts

std::uint32_t RaftClient::allocOp()
{
    std::uint32_t slot;
    if (!m_free.empty()) {
        slot = m_free.back();
        m_free.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(m_ops.size());
        m_ops.emplace_back();
    }
    Op& op = m_ops[slot];
    LIVEDECK_RAFT_ASSERT(!op.live);
    op.live = true;
    ++op.gen;
    op.key.clear();
    op.command.reset();
    op.attempt = 0;
    op.awaiting = op.maybeApplied = op.definite = false;
    op.lastDefinite = RaftStatus::NotLeader;
    ++m_live;
    return slot;
}

std::uint64_t RaftClient::firstUnacked(std::uint64_t candidate) const
{
    // The lowest sequence of a write still in flight (kept in order, not searched).
    return m_unacked.empty() ? candidate : std::min(candidate, *m_unacked.begin());
}

void RaftClient::startOp(std::uint32_t slot, sim::Nanos timeout)
{
    Op& op = m_ops[slot];
    op.started = m_world.now();
    op.deadline = op.started + (timeout > 0 ? timeout : m_config.timeout);
    op.target = m_leaderGuess;
    if (isRead(op.op) && m_config.readMode == RaftReadMode::Random)
        op.target = static_cast<int>(m_readRng.uniformInt(m_cluster.size()));
    sendAttempt(slot);
}

int RaftClient::nextNode(int node) const
{
    return static_cast<int>((static_cast<std::size_t>(node) + 1) % m_cluster.size());
}

void RaftClient::armTimer(std::uint32_t slot, sim::Nanos at)
{
    Op& op = m_ops[slot];
    m_world.scheduler().cancel(op.timer);
    const std::uint32_t gen = op.gen;
    op.timer = m_world.at(std::min(at, op.deadline), m_timerKind, m_component, [this, slot, gen] { onTimer(slot, gen); });
}

void RaftClient::sendAttempt(std::uint32_t slot)
{
    Op& op = m_ops[slot];
    ++op.attempt;
    ++m_attempts;
    op.awaiting = true;
    RaftMessage& m = m_transport.create(RaftMsgType::ClientRequest, m_component,
                                        m_cluster.node(static_cast<std::size_t>(op.target)).component());
    m.requestId = (static_cast<std::uint64_t>(op.gen) << 32) | slot;
    m.attempt = op.attempt;
    m.op = op.op;
    if (isRead(op.op)) {
        m.key = op.key;
        m.followerRead = m_config.readMode == RaftReadMode::Random;
    } else {
        m.command = op.command;
    }
    m_transport.send(m);
    armTimer(slot, m_world.now() + m_config.attemptTimeout);
}

void RaftClient::waitThenRetry(std::uint32_t slot, sim::Nanos delay)
{
    m_ops[slot].awaiting = false;
    armTimer(slot, m_world.now() + delay);
}

void RaftClient::onTimer(std::uint32_t slot, std::uint32_t gen)
{
    Op& op = m_ops[slot];
    if (!op.live || op.gen != gen)
        return;
    op.timer = {};
    const bool write = !isRead(op.op);
    if (op.awaiting && write)
        op.maybeApplied = true; // the unanswered attempt may have reached a leader
    if (m_world.now() >= op.deadline) {
        // Definite only if every attempt was definitely refused before being appended.
        finishStatus(slot, op.definite && !(write && op.maybeApplied) ? op.lastDefinite : RaftStatus::Timeout);
        return;
    }
    if (op.awaiting) {
        op.target = nextNode(op.target);
        m_leaderGuess = op.target;
    }
    sendAttempt(slot);
}

void RaftClient::receive(RaftMessage& m)
{
    if (m.type != RaftMsgType::ClientReply)
        return;
    const auto slot = static_cast<std::uint32_t>(m.requestId & 0xffffffffu);
    const auto gen = static_cast<std::uint32_t>(m.requestId >> 32);
    if (slot >= m_ops.size())
        return;
    Op& op = m_ops[slot];
    if (!op.live || op.gen != gen)
        return; // answered already (an earlier attempt's answer, or a duplicate)
    const RaftStatus status = m.result.status;
    const int from = m_cluster.indexOf(m.from);
    if (status == RaftStatus::Ok || status == RaftStatus::Refused) {
        // The answer names the leader (a follower read's names the follower's leader).
        if (m.result.leaderHint >= 0)
            m_leaderGuess = m.result.leaderHint;
        else if (from >= 0 && !m.followerRead)
            m_leaderGuess = from;
        finish(slot, m.result);
        return;
    }
    if (m.attempt != op.attempt)
        return; // a non-final answer to an attempt we have moved on from
    const int hint = m.result.leaderHint;
    switch (status) {
    case RaftStatus::NotLeader:
        op.definite = true;
        op.lastDefinite = RaftStatus::NotLeader;
        if (hint >= 0 && hint != op.target) {
            op.target = hint;
            m_leaderGuess = hint;
            sendAttempt(slot);
            return;
        }
        op.target = nextNode(op.target);
        waitThenRetry(slot, m_config.retryBackoff);
        return;
    case RaftStatus::NoQuorum:
        op.definite = true;
        op.lastDefinite = RaftStatus::NoQuorum;
        op.target = nextNode(op.target);
        waitThenRetry(slot, m_config.retryBackoff);
        return;
    case RaftStatus::Unavailable:
        // Turned away before it was handled: try the same node again after the backoff
        // (only the leader can serve it).
        op.definite = true;
        op.lastDefinite = RaftStatus::Unavailable;
        waitThenRetry(slot, m_config.retryBackoff);
        return;
    case RaftStatus::Interrupted:
        op.maybeApplied = true;
        op.target = nextNode(op.target);
        waitThenRetry(slot, m_config.retryBackoff);
        return;
    case RaftStatus::Ok:
    case RaftStatus::Refused:
    case RaftStatus::Timeout:
        break;
    }
}

void RaftClient::finishStatus(std::uint32_t slot, RaftStatus status)
{
    RaftResult r;
    r.status = status;
    finish(slot, r);
}

void RaftClient::finish(std::uint32_t slot, const RaftResult& result)
{
    Op& op = m_ops[slot];
    m_world.scheduler().cancel(op.timer);
    op.timer = {};
    const sim::Nanos latency = m_world.now() - op.started;
    RaftCallback done = std::move(op.done);
    op.live = false;
    if (op.command)
        m_unacked.erase(op.command->seq);
    op.command.reset();
    m_free.push_back(slot);
    --m_live;
    ++m_completed[static_cast<std::size_t>(result.status)];
    if (m_latency)
        m_latency->record(latency);
    if (result.status == RaftStatus::Ok) {
        if (m_okCounter)
            m_okCounter->add();
    } else if (result.status == RaftStatus::Refused) {
        if (m_refusedCounter)
            m_refusedCounter->add();
    } else if (m_failedCounter) {
        m_failedCounter->add();
    }
    if (done)
        done(result);
}

void RaftClient::inspect(sim::StateWriter& out) const
{
    out.add("client_id", m_clientId);
    out.add("leader_guess", m_cluster.node(static_cast<std::size_t>(m_leaderGuess)).path());
    out.add("inflight", static_cast<std::uint64_t>(m_live));
    out.add("ok", m_completed[static_cast<std::size_t>(RaftStatus::Ok)]);
    out.add("refused", m_completed[static_cast<std::size_t>(RaftStatus::Refused)]);
    out.add("timeout", m_completed[static_cast<std::size_t>(RaftStatus::Timeout)]);
    out.add("attempts", m_attempts);
    out.add("read_mode", toString(m_config.readMode));
}

} // namespace livedeck::infra

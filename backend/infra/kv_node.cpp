#include "backend/infra/kv_node.h"

#include <cmath>

namespace livedeck::infra {

sim::Nanos KvCostModel::cost(const KvWork& work) const
{
    const double ns = static_cast<double>(base) + perByteNs * static_cast<double>(work.bytes)
        + perElementNs * static_cast<double>(work.elements)
        + static_cast<double>(perEviction) * static_cast<double>(work.evicted);
    return static_cast<sim::Nanos>(std::llround(ns));
}

const char* toString(KvRole role)
{
    return role == KvRole::Primary ? "primary" : "replica";
}

KvNode::KvNode(sim::World& world, std::string_view path, std::string_view dataCentre, KvNodeConfig config,
               KvRole role, telemetry::MetricsRegistry* metrics)
    : m_world(world),
      m_path(path),
      m_component(world.components().mustAdd(path, "kv-node", dataCentre, this)),
      m_config(config),
      m_role(role),
      m_store(world.clock(), config.store),
      m_queue(world, m_component, config.service, metrics, "kv")
{
    m_store.setEnforceBudget(role == KvRole::Primary && config.store.enforceBudget);
    m_store.setEvictionListener([this](std::string_view key) {
        if (m_role != KvRole::Primary || !m_writeLog)
            return;
        m_evictEffect.op = KvOp::Del;
        m_evictEffect.key.assign(key);
        m_writeLog(m_evictEffect, 0, 0.0);
    });
    if (metrics) {
        m_hits = &metrics->counter("kv.hits", m_path);
        m_misses = &metrics->counter("kv.misses", m_path);
        m_writes = &metrics->counter("kv.writes", m_path);
        m_evictions = &metrics->counter("kv.evictions", m_path);
        m_expired = &metrics->counter("kv.expired", m_path);
        m_memoryGauge = &metrics->gauge("kv.memory_bytes", m_path);
        m_keysGauge = &metrics->gauge("kv.keys", m_path);
    }
}

void KvNode::setRole(KvRole role)
{
    m_role = role;
    // A replica ignores maxmemory and follows the primary's evictions (Redis default).
    m_store.setEnforceBudget(role == KvRole::Primary && m_config.store.enforceBudget);
    updateGauges();
}

void KvNode::serve(double weight, const KvRequest* request, KvReply* reply, ServiceQueue::Done done)
{
    m_queue.submit(
        weight,
        [this, request, reply, weight](bool&) -> sim::Nanos { return execute(*request, *reply, weight); },
        std::move(done));
}

sim::Nanos KvNode::execute(const KvRequest& request, KvReply& reply, double weight)
{
    const bool write = isWrite(request.op);
    if (write && m_role == KvRole::Replica) {
        reply.clear();
        reply.status = KvStatus::ReadOnly;
        return m_config.cost.base;
    }
    m_store.execute(request, reply);
    const KvWork& work = m_store.lastWork();
    const bool hit = reply.status == KvStatus::Ok;
    if (!write) {
        if (hit && m_hits)
            m_hits->add(weight);
        else if (reply.status == KvStatus::NotFound && m_misses)
            m_misses->add(weight);
    } else if (hit && m_writes) {
        m_writes->add(weight);
    }
    if (work.evicted && m_evictions)
        m_evictions->add(static_cast<double>(work.evicted));
    if (work.expired && m_expired)
        m_expired->add(static_cast<double>(work.expired));
    if (m_keyObserver)
        m_keyObserver(request.key, weight, hit);
    if (write && hit && m_role == KvRole::Primary)
        logEffect(request, reply, weight);
    updateGauges();
    return m_config.cost.cost(work);
}

void KvNode::logEffect(const KvRequest& request, const KvReply& reply, double weight)
{
    if (!m_writeLog)
        return;
    m_effect.op = request.op == KvOp::Cas ? KvOp::Set : request.op;
    m_effect.key.assign(request.key);
    m_effect.field.assign(request.field);
    m_effect.value.assign(request.value);
    m_effect.integer = request.integer;
    m_effect.stop = request.stop;
    m_effect.score = request.score;
    m_effect.maxScore = request.maxScore;
    m_effect.reverse = request.reverse;
    m_effect.version = request.version;
    m_effect.ttl = 0;
    switch (request.op) {
    case KvOp::Set:
    case KvOp::Cas:
    case KvOp::SetIfNewer:
    case KvOp::Expire:
        // The deadline the primary computed, so the replica expires the key at the same instant.
        m_effect.expireAt = request.expireAt != 0 ? request.expireAt : m_store.deadline(request.ttl);
        break;
    default:
        m_effect.expireAt = 0;
        break;
    }
    m_writeLog(m_effect, reply.version, weight);
}

sim::Nanos KvNode::applyReplicated(const KvRequest& effect, std::uint64_t version)
{
    m_store.execute(effect, m_scratch);
    if (version != 0 && m_scratch.status == KvStatus::Ok)
        m_store.forceVersion(effect.key, version);
    const KvWork& work = m_store.lastWork();
    if (work.expired && m_expired)
        m_expired->add(static_cast<double>(work.expired));
    updateGauges();
    return m_config.cost.cost(work);
}

void KvNode::updateGauges()
{
    if (m_memoryGauge)
        m_memoryGauge->set(static_cast<double>(m_store.memoryBytes()));
    if (m_keysGauge)
        m_keysGauge->set(static_cast<double>(m_store.size()));
}

void KvNode::inspect(sim::StateWriter& out) const
{
    out.add("role", toString(m_role));
    out.add("keys", static_cast<std::uint64_t>(m_store.size()));
    out.add("memory_bytes", m_store.memoryBytes());
    out.add("max_memory_bytes", m_store.config().maxMemoryBytes);
    out.add("enforce_budget", m_store.config().enforceBudget);
    out.add("hits", m_store.hits());
    out.add("misses", m_store.misses());
    out.add("evictions", m_store.evictions());
    out.add("expirations", m_store.expirations());
    out.add("version_clock", m_store.versionClock());
    m_queue.inspect(out);
}

} // namespace livedeck::infra

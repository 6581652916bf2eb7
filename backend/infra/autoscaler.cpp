#include "backend/infra/autoscaler.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace livedeck::infra {

namespace {

// ceil() that ignores floating-point dust (2 × 1.5 computed as 3.0000000000000004).
int ceilReplicas(double x)
{
    return static_cast<int>(std::ceil(x - 1e-9));
}

} // namespace

Autoscaler::Autoscaler(sim::World& world, std::string_view path, ServiceQueue& queue, AutoscalerConfig config,
                       telemetry::MetricsRegistry* metrics)
    : m_world(world),
      m_path(path),
      m_queue(queue),
      m_config(config),
      m_component(world.components().mustAdd(path, "autoscaler", {}, this)),
      m_sampleKind(world.kind("autoscaler.sample")),
      m_syncKind(world.kind("autoscaler.sync")),
      m_readyKind(world.kind("autoscaler.pod_ready"))
{
    m_config.minReplicas = std::max(1, m_config.minReplicas);
    m_config.maxReplicas = std::max(m_config.minReplicas, m_config.maxReplicas);
    const int initial = std::clamp(m_config.initialReplicas > 0 ? m_config.initialReplicas : m_config.minReplicas,
                                   m_config.minReplicas, m_config.maxReplicas);
    for (int i = 0; i < initial; ++i)
        m_pods.push_back(Pod{m_nextPodId++, true, world.now()});
    m_ready = initial;
    m_lastRecommendation = initial;
    m_periodStart = world.now();
    if (metrics) {
        m_podsGauge = &metrics->gauge("autoscaler.pods", m_path);
        m_readyGauge = &metrics->gauge("autoscaler.ready", m_path);
        m_desiredGauge = &metrics->gauge("autoscaler.desired", m_path);
        m_utilGauge = &metrics->gauge("autoscaler.utilisation", m_path);
        m_scaleCounter = &metrics->counter("autoscaler.scale_events", m_path);
    }
    applyCapacity();
    updateGauges();
    m_world.after(m_config.sampleInterval, m_sampleKind, m_component, [this] { sample(); });
    m_world.after(m_config.syncPeriod, m_syncKind, m_component, [this] { sync(); });
}

void Autoscaler::setBounds(int minReplicas, int maxReplicas)
{
    m_config.minReplicas = std::max(1, minReplicas);
    m_config.maxReplicas = std::max(m_config.minReplicas, maxReplicas);
}

void Autoscaler::sample()
{
    m_busySum += m_queue.inflight();
    m_capacitySum += m_queue.config().concurrency;
    ++m_samples;
    m_world.after(m_config.sampleInterval, m_sampleKind, m_component, [this] { sample(); });
}

void Autoscaler::sync()
{
    const double utilisation = m_capacitySum > 0 ? m_busySum / m_capacitySum
                                                 : m_queue.inflight() / std::max(1.0, m_queue.config().concurrency);
    m_busySum = m_capacitySum = 0.0;
    m_samples = 0;
    m_lastUtilisation = utilisation;
    const int current = pods();
    const int recommendation = recommend(utilisation);
    m_periodStart = m_world.now();
    m_lastRecommendation = recommendation;
    int desired = stabilise(current, recommendation);
    desired = rateLimit(current, desired);
    if (desired != current)
        scaleTo(desired, utilisation);
    updateGauges();
    m_world.after(m_config.syncPeriod, m_syncKind, m_component, [this] { sync(); });
}

int Autoscaler::recommend(double utilisation) const
{
    const int n = pods();
    // Pods with a full period of metrics; the others (starting, or ready only since the
    // period began) are set aside, like the HPA's unready pods.
    int ready = 0;
    for (const Pod& p : m_pods)
        ready += p.ready && p.readyAt <= m_periodStart ? 1 : 0;
    if (ready == 0)
        return n;
    const double ratio = utilisation / m_config.targetUtilisation;
    if (std::abs(ratio - 1.0) <= m_config.tolerance)
        return n;
    if (ratio > 1.0 && ready < n) {
        // Scaling up while pods are set aside: they count as idle, so capacity already
        // on its way is not asked for twice.
        const double spread = utilisation * ready / n / m_config.targetUtilisation;
        if (spread < 1.0 || std::abs(spread - 1.0) <= m_config.tolerance)
            return n;
        return std::max(n, ceilReplicas(spread * n));
    }
    const int rec = ceilReplicas(ratio * ready);
    if ((ratio < 1.0 && rec > n) || (ratio > 1.0 && rec < n))
        return n;
    return rec;
}

int Autoscaler::stabilise(int current, int recommendation)
{
    const sim::Nanos now = m_world.now();
    int up = recommendation;
    int down = recommendation;
    for (const Recommendation& r : m_recommendations) {
        if (r.time > now - m_config.scaleUpStabilisation)
            up = std::min(up, r.replicas);
        if (r.time > now - m_config.scaleDownStabilisation)
            down = std::max(down, r.replicas);
    }
    m_recommendations.push_back(Recommendation{now, recommendation});
    const sim::Nanos keep = std::max(m_config.scaleUpStabilisation, m_config.scaleDownStabilisation);
    while (!m_recommendations.empty() && m_recommendations.front().time <= now - keep)
        m_recommendations.pop_front();
    int stabilised = current;
    if (stabilised < up)
        stabilised = up;
    if (stabilised > down)
        stabilised = down;
    return stabilised;
}

int Autoscaler::rateLimit(int current, int desired) const
{
    const sim::Nanos now = m_world.now();
    if (desired > current) {
        int added = 0;
        for (const auto& [time, delta] : m_changes) {
            if (time > now - m_config.scaleUpPeriod && delta > 0)
                added += delta;
        }
        const int start = current - added;
        int limit = std::max(ceilReplicas(start * (1.0 + m_config.scaleUpPercent / 100.0)),
                             start + m_config.scaleUpPods);
        limit = std::max(limit, current); // no further growth until the period has passed
        desired = std::min(desired, limit);
    } else if (desired < current) {
        int removed = 0;
        for (const auto& [time, delta] : m_changes) {
            if (time > now - m_config.scaleDownPeriod && delta < 0)
                removed -= delta;
        }
        const int start = current + removed;
        int limit = ceilReplicas(start * (1.0 - m_config.scaleDownPercent / 100.0));
        limit = std::min(limit, current);
        desired = std::max(desired, limit);
    }
    return std::clamp(desired, m_config.minReplicas, m_config.maxReplicas);
}

void Autoscaler::scaleTo(int replicas, double utilisation)
{
    const sim::Nanos now = m_world.now();
    const int from = pods();
    if (replicas > from) {
        for (int i = from; i < replicas; ++i) {
            const std::uint64_t id = m_nextPodId++;
            m_pods.push_back(Pod{id, false, now + m_config.podStartupDelay});
            m_world.at(now + m_config.podStartupDelay, m_readyKind, m_component, [this, id] { podReady(id); });
        }
    } else {
        int toRemove = from - replicas;
        // Starting pods go first (newest first), then the newest ready ones.
        for (int pass = 0; pass < 2 && toRemove > 0; ++pass) {
            for (std::size_t i = m_pods.size(); i-- > 0 && toRemove > 0;) {
                if (m_pods[i].ready != (pass == 1))
                    continue;
                if (m_pods[i].ready)
                    --m_ready;
                m_pods.erase(m_pods.begin() + static_cast<std::ptrdiff_t>(i));
                --toRemove;
            }
        }
        assert(toRemove == 0);
    }
    assert(pods() == replicas);
    m_changes.emplace_back(now, replicas - from);
    const sim::Nanos keep = std::max(m_config.scaleUpPeriod, m_config.scaleDownPeriod);
    while (!m_changes.empty() && m_changes.front().first <= now - keep)
        m_changes.pop_front();
    m_history.push_back(ScaleRecord{now, from, replicas, utilisation});
    if (m_scaleCounter)
        m_scaleCounter->add(1.0);
    m_world.events().raise("autoscaler.scale", m_component, v1::SEVERITY_INFO,
                           sim::strCat(m_path, ": ", from, " → ", replicas, " pods at ",
                                       sim::strFormat("%.0f", utilisation * 100.0), " % CPU (target ",
                                       sim::strFormat("%.0f", m_config.targetUtilisation * 100.0), " %)"),
                           {{"from", sim::strCat(from)},
                            {"to", sim::strCat(replicas)},
                            {"utilisation", sim::strFormat("%.4f", utilisation)}});
    applyCapacity();
}

void Autoscaler::podReady(std::uint64_t id)
{
    for (Pod& p : m_pods) {
        if (p.id == id && !p.ready) {
            p.ready = true;
            p.readyAt = m_world.now();
            ++m_ready;
            applyCapacity();
            updateGauges();
            return;
        }
    }
    // Removed before it became ready.
}

void Autoscaler::applyCapacity()
{
    m_queue.setConcurrency(std::max(1, m_ready) * m_config.podCapacity);
}

void Autoscaler::updateGauges()
{
    if (m_podsGauge)
        m_podsGauge->set(pods());
    if (m_readyGauge)
        m_readyGauge->set(m_ready);
    if (m_desiredGauge)
        m_desiredGauge->set(m_lastRecommendation);
    if (m_utilGauge)
        m_utilGauge->set(m_lastUtilisation);
}

void Autoscaler::inspect(sim::StateWriter& out) const
{
    out.add("pods", pods());
    out.add("ready", m_ready);
    out.add("starting", startingPods());
    out.add("min_replicas", m_config.minReplicas);
    out.add("max_replicas", m_config.maxReplicas);
    out.add("target_utilisation", m_config.targetUtilisation);
    out.add("utilisation", m_lastUtilisation);
    out.add("recommendation", m_lastRecommendation);
    out.add("capacity", m_queue.config().concurrency);
    out.add("pod_capacity", m_config.podCapacity);
    out.add("scale_events", static_cast<std::uint64_t>(m_history.size()));
}

} // namespace livedeck::infra

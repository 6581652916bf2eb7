#include "backend/gifts/order_autoscaler.h"

#include <algorithm>
#include <cmath>

namespace livedeck::gifts {

OrderAutoscaler::OrderAutoscaler(sim::World& world, const AutoscaleConfig& config, OrderService& service,
                                 telemetry::Telemetry& telemetry)
    : m_world(world),
      m_config(config),
      m_service(service),
      m_path(sim::strCat(service.path(), "/hpa")),
      m_component(world.components().mustAdd(m_path, "autoscaler", {}, this)),
      m_desired(service.pods()),
      m_sampleKind(world.kind("gifts.hpa.sample")),
      m_syncKind(world.kind("gifts.hpa.sync")),
      m_readyKind(world.kind("gifts.hpa.pod_ready")),
      m_cpuGauge(telemetry.metrics().gauge("gifts.order_service.cpu", service.path())),
      m_desiredGauge(telemetry.metrics().gauge("gifts.order_service.desired_pods", service.path()))
{
    m_desiredGauge.set(m_desired);
}

void OrderAutoscaler::start()
{
    m_world.after(m_config.sampleInterval, m_sampleKind, m_component, [this] { sample(); });
    m_world.after(m_config.syncPeriod, m_syncKind, m_component, [this] { sync(); });
}

void OrderAutoscaler::setMinPods(int pods)
{
    m_config.minPods = std::max(1, pods);
    m_config.maxPods = std::max(m_config.maxPods, m_config.minPods);
    if (m_service.pods() + m_starting < m_config.minPods) {
        m_service.setPods(m_config.minPods - m_starting);
        m_desired = m_config.minPods;
        m_desiredGauge.set(m_desired);
    }
}

void OrderAutoscaler::sample()
{
    const infra::ServiceQueue& q = m_service.queue();
    const double capacity = q.config().concurrency;
    const double u = std::min(2.0, (q.inflight() + q.queued()) / std::max(1.0, capacity));
    m_sampleSum += u;
    ++m_samples;
    m_cpuGauge.set(u);
    m_world.after(m_config.sampleInterval, m_sampleKind, m_component, [this] { sample(); });
}

void OrderAutoscaler::sync()
{
    m_world.after(m_config.syncPeriod, m_syncKind, m_component, [this] { sync(); });
    const double u = m_samples > 0 ? m_sampleSum / m_samples : 0.0;
    m_sampleSum = 0.0;
    m_samples = 0;
    m_lastUtilization = u;
    if (!m_enabled)
        return;
    const int current = m_service.pods() + m_starting;
    const double ratio = u / m_config.targetUtilization;
    int recommendation = current;
    if (std::abs(ratio - 1.0) > m_config.tolerance)
        recommendation = static_cast<int>(std::ceil(current * ratio));
    recommendation = std::clamp(recommendation, m_config.minPods, m_config.maxPods);
    const sim::Nanos now = m_world.now();
    m_recommendations.emplace_back(now, recommendation);
    while (!m_recommendations.empty() && m_recommendations.front().first < now - m_config.scaleDownStabilization)
        m_recommendations.pop_front();
    int desired = recommendation;
    if (recommendation < current) {
        // Scale-down stabilisation: the highest recommendation of the window.
        for (const auto& [t, r] : m_recommendations)
            desired = std::max(desired, r);
        desired = std::min(desired, current);
    }
    scaleTo(desired, u);
}

void OrderAutoscaler::scaleTo(int desired, double utilization)
{
    const int current = m_service.pods() + m_starting;
    m_desired = desired;
    m_desiredGauge.set(desired);
    if (desired == current)
        return;
    m_world.events().raise("gifts.hpa.scale", m_component, v1::SEVERITY_INFO,
                           sim::strCat(m_service.path(), ": ", current, " → ", desired, " pods (CPU ",
                                       static_cast<int>(utilization * 100), " % of requests, target ",
                                       static_cast<int>(m_config.targetUtilization * 100), " %)"),
                           {{"from", std::to_string(current)},
                            {"to", std::to_string(desired)},
                            {"utilization", std::to_string(utilization)}});
    if (desired > current) {
        ++m_scaleUps;
        const int add = desired - current;
        m_starting += add;
        m_world.after(m_config.podStartup, m_readyKind, m_component, [this, add] {
            m_starting -= add;
            m_service.setPods(m_service.pods() + add);
        });
    } else {
        ++m_scaleDowns;
        // Pods still starting are not cancelled; ready pods are removed at once.
        m_service.setPods(std::max(1, desired - m_starting));
    }
}

void OrderAutoscaler::inspect(sim::StateWriter& out) const
{
    out.add("enabled", m_enabled);
    out.add("pods", m_service.pods());
    out.add("starting", m_starting);
    out.add("desired", m_desired);
    out.add("utilization", m_lastUtilization);
    out.add("min_pods", m_config.minPods);
    out.add("max_pods", m_config.maxPods);
    out.add("scale_ups", m_scaleUps);
    out.add("scale_downs", m_scaleDowns);
}

} // namespace livedeck::gifts

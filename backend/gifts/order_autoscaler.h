// OrderAutoscaler: horizontal pod autoscaling of one region's order deployment on CPU
// (docs/GIFTS.md "Surges: horizontal pod autoscaling (HPA-style, on CPU)"). Component
// "<region>/gifts/order/hpa" (kind "autoscaler").
//
// The Kubernetes HPA algorithm on virtual time:
// - CPU utilisation is sampled every `sampleInterval`: (busy + queued handler threads) /
//   (pods × threads per pod), capped at 2 — a pod's CPU use may exceed its request up to
//   its limit, so a saturated deployment reads above 100 %.
// - Every `syncPeriod` (15 s, --horizontal-pod-autoscaler-sync-period) the mean of the
//   samples gives desired = ceil(current × utilisation / target) (target 60 %), unless
//   |utilisation / target − 1| <= tolerance (0.1); clamped to [minPods, maxPods].
// - Scale-down is stabilised: the desired count is the largest recommendation of the last
//   `scaleDownStabilization` (300 s). Scale-up is at once, but new pods serve only after
//   `podStartup` (20 s: image pull, JVM warm-up — ours).
// A "gifts.hpa.scale" event (INFO) records each change. Gauges gifts.order_service.cpu
// (utilisation, 0..2) and gifts.order_service.desired_pods on the deployment's path.
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/gifts_config.h"
#include "backend/gifts/order_service.h"

#include <deque>

namespace livedeck::gifts {

class OrderAutoscaler final : public sim::Inspectable {
public:
    OrderAutoscaler(sim::World& world, const AutoscaleConfig& config, OrderService& service,
                    telemetry::Telemetry& telemetry);
    OrderAutoscaler(const OrderAutoscaler&) = delete;
    OrderAutoscaler& operator=(const OrderAutoscaler&) = delete;

    void start();
    void setEnabled(bool enabled) { m_enabled = enabled; }
    bool enabled() const { return m_enabled; }
    // Raises the floor (an operator pre-scaling for an event); pods start at once.
    void setMinPods(int pods);

    int desired() const { return m_desired; }
    int starting() const { return m_starting; }
    double lastUtilization() const { return m_lastUtilization; }
    std::uint64_t scaleUps() const { return m_scaleUps; }
    std::uint64_t scaleDowns() const { return m_scaleDowns; }

    void inspect(sim::StateWriter& out) const override;

private:
    void sample();
    void sync();
    void scaleTo(int pods, double utilization);

    sim::World& m_world;
    AutoscaleConfig m_config;
    OrderService& m_service;
    std::string m_path;
    sim::ComponentId m_component;
    bool m_enabled = true;
    double m_sampleSum = 0.0;
    int m_samples = 0;
    double m_lastUtilization = 0.0;
    int m_desired = 0;
    int m_starting = 0; // pods ordered and not yet serving
    std::deque<std::pair<sim::Nanos, int>> m_recommendations;
    std::uint64_t m_scaleUps = 0;
    std::uint64_t m_scaleDowns = 0;
    sim::EventKindId m_sampleKind;
    sim::EventKindId m_syncKind;
    sim::EventKindId m_readyKind;
    telemetry::Gauge& m_cpuGauge;
    telemetry::Gauge& m_desiredGauge;
};

} // namespace livedeck::gifts

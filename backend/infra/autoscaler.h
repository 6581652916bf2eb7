// Autoscaler: a Kubernetes HorizontalPodAutoscaler stand-in on CPU utilisation (docs/GIFTS.md
// "horizontal pod autoscaling (HPA-style, on CPU)"). It owns a deployment's pods and
// drives the capacity of the service's ServiceQueue (ready pods × podCapacity, through
// setConcurrency); the queue is the service's and outlives nothing here.
//
// Measurement: every sampleInterval (250 ms) the queue's in-service weight and its
// concurrency are sampled; at each sync the utilisation of the period is Σ busy / Σ
// capacity over its samples: the CPU utilisation of the ready pods relative to their
// capacity (metrics-server reports a windowed CPU rate; sampling the busy workers is
// its discrete counterpart). A saturated queue reads 100 %.
//
// Control loop, every syncPeriod (15 s, --horizontal-pod-autoscaler-sync-period),
// following the HPA controller:
// - ratio = utilisation / target; within tolerance (0.1) of 1 → keep the replicas.
// - desired = ceil(measured × ratio), where measured pods are those ready for the whole
//   period (the HPA sets aside pods without complete metrics: not ready, or only just
//   ready). Scaling up with pods set aside, they count as 0 % busy (desired =
//   ceil(ratio' × pods) with ratio' the average over all pods), and nothing changes
//   when that flips the direction; scaling down, they are ignored.
// - Stabilisation: the recommendation is recorded; scale-up takes the minimum over
//   the scale-up window (default 0 s: the current one), scale-down the maximum over
//   the scale-down window (300 s, --horizontal-pod-autoscaler-downscale-stabilization),
//   so a drop in load shrinks the deployment only after 5 minutes of low
//   recommendations.
// - Rate limits (the HPA's default behaviour): in any 15 s period, scale up by at most
//   max(100 % of the replicas at the period's start, 4 pods); scale down by up to
//   100 %. Then clamped to [minReplicas, maxReplicas].
// Pods added start at once and become ready (capacity counts) after podStartupDelay;
// removed pods go at once, starting ones (newest) first, then the newest ready ones;
// work already in service finishes (the queue lets in-flight jobs complete).
// Defaults: target 80 % (kubectl autoscale's default --cpu-percent); minReplicas 2 and
// maxReplicas 20 (HPA requires maxReplicas; two pods keep a service up through one pod
// loss); podStartupDelay 30 s (scheduling, image from a warm cache, process start and a
// first passing readiness probe; Kubernetes has no default).
//
// Checked against the Kubernetes HPA documentation (desired = ceil(current × current /
// target), tolerance 0.1, sync period 15 s, scale-down stabilisation 300 s, scale-up
// none, default policies +100 % or +4 pods per 15 s, selectPolicy Max, −100 % per 15 s).
// Where this one differs:
// - Utilisation is the busy share of the ready pods' capacity, so it cannot exceed
//   100 % (a pod is a fixed number of workers). A real pod's CPU can pass its request
//   (up to its limit), so a real HPA can read 200 % and more than double in one step;
//   here one sync grows the deployment by at most ×1/target (×1.25 at 80 %), plus the
//   ceil(). A saturated service therefore scales out over several periods.
// - Metrics are sampled every 250 ms and averaged over the sync period (metrics-server
//   reports a rate over its own window); every ready pod reports (no missing metrics).
// - A pod counts as measured once it has been ready for a whole period; the HPA's
//   --horizontal-pod-autoscaler-cpu-initialization-period (5 min) and
//   --initial-readiness-delay (30 s) are not modelled (pods have no start-up CPU burst).
// - One tolerance for both directions (per-direction tolerance is alpha in 1.33).
// - The API reference's field comment says the default scale-up policy period is 60 s;
//   the HPA docs' default-behaviour example and the controller use 15 s, as here.
// - Pods do not fail one by one: faults act on the service's ServiceQueue (a latency
//   fault lengthens service, raises the busy share and so scales out; down rejects all).
//
// Events: "autoscaler.scale" (info) into the EventLog with from/to/utilisation.
// Metrics (component = the autoscaler's path): autoscaler.pods, autoscaler.ready,
// autoscaler.desired, autoscaler.utilisation gauges; autoscaler.scale_events counter.
// Single-threaded (the world's thread); scheduled events hold a pointer to it.
#pragma once

#include "backend/infra/service_queue.h"

#include <deque>
#include <string>
#include <vector>

namespace livedeck::infra {

struct AutoscalerConfig {
    int minReplicas = 2;
    int maxReplicas = 20;
    int initialReplicas = 0;               // 0 = minReplicas; all ready at start
    double podCapacity = 100.0;            // real requests one pod serves at once
    double targetUtilisation = 0.8;
    double tolerance = 0.1;                // --horizontal-pod-autoscaler-tolerance
    sim::Nanos syncPeriod = 15 * sim::kSecond;
    sim::Nanos sampleInterval = 250 * sim::kMillisecond;
    sim::Nanos scaleUpStabilisation = 0;   // behavior.scaleUp.stabilizationWindowSeconds
    sim::Nanos scaleDownStabilisation = 300 * sim::kSecond;
    double scaleUpPercent = 100.0;         // behavior.scaleUp policies (selectPolicy Max)
    int scaleUpPods = 4;
    sim::Nanos scaleUpPeriod = 15 * sim::kSecond;
    double scaleDownPercent = 100.0;       // behavior.scaleDown policy
    sim::Nanos scaleDownPeriod = 15 * sim::kSecond;
    sim::Nanos podStartupDelay = 30 * sim::kSecond;
};

struct ScaleRecord {
    sim::Nanos time = 0;
    int from = 0;
    int to = 0;
    double utilisation = 0.0;
};

class Autoscaler final : public sim::Inspectable {
public:
    Autoscaler(sim::World& world, std::string_view path, ServiceQueue& queue, AutoscalerConfig config = {},
               telemetry::MetricsRegistry* metrics = nullptr);
    Autoscaler(const Autoscaler&) = delete;
    Autoscaler& operator=(const Autoscaler&) = delete;

    int pods() const { return static_cast<int>(m_pods.size()); } // the spec's replicas
    int readyPods() const { return m_ready; }
    int startingPods() const { return pods() - m_ready; }
    int lastRecommendation() const { return m_lastRecommendation; }
    double lastUtilisation() const { return m_lastUtilisation; }
    const std::vector<ScaleRecord>& history() const { return m_history; }
    const AutoscalerConfig& config() const { return m_config; }
    sim::ComponentId component() const { return m_component; }
    // Changes the bounds (an operator action); the next sync respects them.
    void setBounds(int minReplicas, int maxReplicas);

    void inspect(sim::StateWriter& out) const override;

private:
    struct Pod {
        std::uint64_t id = 0;
        bool ready = false;
        sim::Nanos readyAt = 0;
    };
    struct Recommendation {
        sim::Nanos time;
        int replicas;
    };

    void sample();
    void sync();
    int recommend(double utilisation) const;
    int stabilise(int current, int recommendation);
    int rateLimit(int current, int desired) const;
    void scaleTo(int replicas, double utilisation);
    void podReady(std::uint64_t id);
    void applyCapacity();
    void updateGauges();

    sim::World& m_world;
    std::string m_path;
    ServiceQueue& m_queue;
    AutoscalerConfig m_config;
    sim::ComponentId m_component;
    std::vector<Pod> m_pods; // creation order
    int m_ready = 0;
    std::uint64_t m_nextPodId = 1;
    double m_busySum = 0.0;     // in-service weight, summed over this period's samples
    double m_capacitySum = 0.0; // concurrency, summed over the same samples
    int m_samples = 0;
    sim::Nanos m_periodStart = 0; // the previous sync
    double m_lastUtilisation = 0.0;
    int m_lastRecommendation = 0;
    std::deque<Recommendation> m_recommendations;
    std::deque<std::pair<sim::Nanos, int>> m_changes; // (time, delta) for the rate limits
    std::vector<ScaleRecord> m_history;
    sim::EventKindId m_sampleKind;
    sim::EventKindId m_syncKind;
    sim::EventKindId m_readyKind;
    telemetry::Gauge* m_podsGauge = nullptr;
    telemetry::Gauge* m_readyGauge = nullptr;
    telemetry::Gauge* m_desiredGauge = nullptr;
    telemetry::Gauge* m_utilGauge = nullptr;
    telemetry::Counter* m_scaleCounter = nullptr;
};

} // namespace livedeck::infra

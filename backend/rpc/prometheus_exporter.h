// PrometheusExporter: serves the hosted world's metrics in the Prometheus text format
// (prometheus-cpp's pull Exposer) so Grafana can sit beside the console
// (`livedeckd --metrics 127.0.0.1:9464`, path /metrics).
//
// It reads the same Snapshot stream as every other client (a 1 Hz host subscription,
// without inspector state), so what Prometheus sees is what the console sees. Names:
// `livedeck_` + the series name with '.' and '-' as '_'; labels: `component` (the
// component path) plus the series' own labels. Counter series give two families:
// `<name>_total` (running total, a Prometheus counter) and `<name>_per_second` (the
// per-second rate of the last rollup, a gauge); gauges stay gauges; histogram
// quantiles are one gauge family `<name>` with a `quantile` label (0.5, 0.9, 0.99,
// 0.999). Also: livedeck_sim_time_seconds, livedeck_events_executed_total,
// livedeck_breaker_state{path,state} (1 for the breaker's current state), and
// livedeck_faults_active.
// Thread: Collect() runs on the exposer's HTTP threads; the host notifies nothing.
#pragma once

#include "backend/host/world_host.h"

#include <absl/status/statusor.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace prometheus {
class Exposer;
}

namespace livedeck::rpc {

class SnapshotCollectable final : public prometheus::Collectable {
public:
    explicit SnapshotCollectable(host::WorldHost& host);
    std::vector<prometheus::MetricFamily> Collect() const override;

    // The conversion on its own (tests): families for one snapshot with these defs.
    static std::vector<prometheus::MetricFamily> convert(const v1::Snapshot& snapshot, const std::vector<v1::SeriesDef>& defs);
    static std::string metricName(const std::string& seriesName);

private:
    mutable std::mutex m_mutex;
    mutable host::Subscription m_sub;
    mutable std::vector<v1::SeriesDef> m_defs; // by id
    mutable std::shared_ptr<const v1::Snapshot> m_latest;
};

class PrometheusExporter {
public:
    PrometheusExporter(host::WorldHost& host);
    ~PrometheusExporter();
    // Binds "host:port" (port 0: any free port); the bound port.
    absl::StatusOr<int> start(const std::string& listen);
    void stop();

private:
    host::WorldHost& m_host;
    std::shared_ptr<SnapshotCollectable> m_collectable;
    std::unique_ptr<prometheus::Exposer> m_exposer;
};

} // namespace livedeck::rpc

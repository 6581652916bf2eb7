// PrometheusExporter: serves the hosted world's metrics in the Prometheus text format
// (prometheus-cpp's pull Exposer) so Grafana can sit beside the console
// (`livedeckd --metrics 127.0.0.1:9464`, path /metrics).
//
// It reads the same Snapshot stream as every other client (a 1 Hz host subscription,
// without inspector state), so what Prometheus sees is what the console sees. Names:
// `livedeck_` + the series name with '.' and '-' as '_'; labels: `component` (the
// component path) plus the series' own labels. Counter series give two families:
// `<name>_total` (running total, a Prometheus counter) and `<name>_per_second` (the
// per-second rate of the last rollup, a gauge); gauges stay gauges (one named in
// milliseconds, `…_ms`, becomes `…_seconds` in seconds); latency
// histograms are Prometheus histograms in seconds, `<name>_seconds` (_bucket, _sum,
// _count), built from everything the histogram recorded since the run started
// (MetricsRegistry::cumulativeHistogram, read on the host thread at each scrape);
// unitless histograms keep their name and unit. The renames are listed in docs/API.md
// ("Prometheus metrics"). Also: livedeck_sim_time_seconds,
// livedeck_events_executed_total, livedeck_breaker_state{path,state} (1 for the
// breaker's current state), and livedeck_faults_active.
// Bucket bounds: a recorded value counts in the first bound at or above the upper
// edge of its histogram bucket (backend/telemetry/histogram.h: at most 1/64 above
// the value), so a bound's count never includes a value above the bound.
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

// One histogram metric's cumulative state, copied off the host thread.
struct HistogramExport {
    std::string name;      // series name, "gifts.catalog.latency"
    std::string component;
    std::string labels;    // "k=v,k2=v2"
    std::string unit;      // "ms", "s", "us" (recorded in ns, exported in seconds) or ""
    telemetry::Histogram histogram;
};

class SnapshotCollectable final : public prometheus::Collectable {
public:
    explicit SnapshotCollectable(host::WorldHost& host);
    std::vector<prometheus::MetricFamily> Collect() const override;

    // The conversion on its own (tests): families for one snapshot with these defs and
    // these cumulative histograms. Histogram quantile series of the snapshot are not
    // exported (the histograms are).
    static std::vector<prometheus::MetricFamily> convert(const v1::Snapshot& snapshot, const std::vector<v1::SeriesDef>& defs,
                                                         const std::vector<HistogramExport>& histograms = {});
    static std::string metricName(const std::string& seriesName);
    // The upper bounds of exported latency histograms, in seconds (+Inf implied).
    static const std::vector<double>& latencyBoundsSeconds();
    // The run's histograms now (host thread; empty if the host does not answer in time).
    static std::vector<HistogramExport> histogramsOf(host::WorldHost& host);

private:
    host::WorldHost& m_host;
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

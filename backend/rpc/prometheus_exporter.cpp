#include "backend/rpc/prometheus_exporter.h"

#include "backend/sim/strings.h"

#include <prometheus/client_metric.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_type.h>

#include <chrono>
#include <cmath>
#include <future>
#include <limits>
#include <map>
#include <string_view>
#include <stdexcept>

namespace livedeck::rpc {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::string sanitize(const std::string& s)
{
    std::string out = s;
    for (char& c : out) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
        if (!ok)
            c = '_';
    }
    if (!out.empty() && out[0] >= '0' && out[0] <= '9')
        out.insert(out.begin(), '_');
    return out;
}

std::vector<ClientMetric::Label> labelsOf(const v1::SeriesDef& def)
{
    std::vector<ClientMetric::Label> labels;
    if (!def.component().empty())
        labels.push_back({"component", def.component()});
    std::size_t pos = 0;
    const std::string& text = def.labels();
    while (pos < text.size()) {
        std::size_t comma = text.find(',', pos);
        if (comma == std::string::npos)
            comma = text.size();
        const std::string pair = text.substr(pos, comma - pos);
        const std::size_t eq = pair.find('=');
        if (eq != std::string::npos && eq > 0)
            labels.push_back({sanitize(pair.substr(0, eq)), pair.substr(eq + 1)});
        pos = comma + 1;
    }
    return labels;
}

std::vector<ClientMetric::Label> labelsOf(const std::string& component, const std::string& labels)
{
    v1::SeriesDef def;
    def.set_component(component);
    def.set_labels(labels);
    return labelsOf(def);
}

// Nanoseconds per exported unit step: recorded values are nanoseconds; "ms", "s" and
// "us" histograms are exported in seconds, unitless ones as recorded.
double exportScale(const std::string& unit)
{
    return unit == "ms" || unit == "s" || unit == "us" ? 1e-9 : 1.0;
}

// Cumulative bucket counts of `h` at `bounds` (exported units) plus +Inf. A histogram
// bucket counts at the first bound >= its upper edge (its largest value), so no bound
// counts a value above it. Counts are weighted (real-equivalent) and rounded.
ClientMetric::Histogram toPrometheus(const telemetry::Histogram& h, double scale, const std::vector<double>& bounds)
{
    ClientMetric::Histogram out;
    const auto rounded = [](double w) { return static_cast<std::uint64_t>(std::llround(std::max(0.0, w))); };
    std::vector<double> perBound(bounds.size() + 1, 0.0);
    double total = 0.0;
    for (std::size_t i = 0; i < h.bucketCount(); ++i) {
        const double w = h.bucketWeight(i);
        if (!(w > 0.0))
            continue;
        total += w;
        const double largest = static_cast<double>(telemetry::Histogram::bucketHigh(i) - 1) * scale;
        std::size_t b = 0;
        while (b < bounds.size() && bounds[b] < largest)
            ++b;
        perBound[b] += w;
    }
    double running = 0.0;
    for (std::size_t b = 0; b < bounds.size(); ++b) {
        running += perBound[b];
        out.bucket.push_back({rounded(running), bounds[b]});
    }
    out.bucket.push_back({rounded(total), std::numeric_limits<double>::infinity()});
    out.sample_count = rounded(total);
    out.sample_sum = h.sum() * scale;
    return out;
}

bool endsWith(const std::string& s, std::string_view suffix)
{
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const char* breakerStateName(v1::BreakerStateKind k)
{
    switch (k) {
    case v1::BREAKER_CLOSED: return "closed";
    case v1::BREAKER_OPEN: return "open";
    case v1::BREAKER_HALF_OPEN: return "half_open";
    case v1::BREAKER_FORCED_OPEN: return "forced_open";
    case v1::BREAKER_DISABLED: return "disabled";
    case v1::BREAKER_METRICS_ONLY: return "metrics_only";
    default: return "unknown";
    }
}

} // namespace

std::string SnapshotCollectable::metricName(const std::string& seriesName) { return "livedeck_" + sanitize(seriesName); }

const std::vector<double>& SnapshotCollectable::latencyBoundsSeconds()
{
    static const std::vector<double> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0, 30.0, 60.0};
    return bounds;
}

std::vector<HistogramExport> SnapshotCollectable::histogramsOf(host::WorldHost& host)
{
    auto future = host.query([](host::HostedRun& run) {
        std::vector<HistogramExport> out;
        const telemetry::MetricsRegistry& metrics = run.telemetry().metrics();
        for (std::size_t i = 0; i < metrics.metrics().size(); ++i) {
            if (const telemetry::Histogram* h = metrics.cumulativeHistogram(i)) {
                const telemetry::MetricInfo& info = metrics.metrics()[i];
                out.push_back(HistogramExport{info.name, info.component, info.labels, info.unit, *h});
            }
        }
        return out;
    });
    // The host answers between events (within a slice, ~2 ms); a stopped host never does.
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
        return {};
    try {
        return future.get();
    } catch (const std::exception&) {
        return {};
    }
}

SnapshotCollectable::SnapshotCollectable(host::WorldHost& host) : m_host(host)
{
    host::SubscribeOptions options;
    options.rateHz = 1.0; // Prometheus scrapes every 15 s by default; rollups are per second
    options.includeComponents = false;
    m_sub = host.subscribe(options);
}

std::vector<MetricFamily> SnapshotCollectable::convert(const v1::Snapshot& snap, const std::vector<v1::SeriesDef>& defs,
                                                       const std::vector<HistogramExport>& histograms)
{
    std::map<std::string, MetricFamily> families; // by name: deterministic output order
    const auto family = [&families](const std::string& name, MetricType type, const std::string& help) -> MetricFamily& {
        MetricFamily& f = families[name];
        if (f.name.empty()) {
            f.name = name;
            f.type = type;
            f.help = help;
        }
        return f;
    };
    const int n = std::min(snap.sample_ids_size(), snap.sample_values_size());
    for (int i = 0; i < n; ++i) {
        const std::uint32_t id = snap.sample_ids(i);
        if (id >= defs.size() || defs[id].name().empty())
            continue;
        const v1::SeriesDef& def = defs[id];
        const double value = snap.sample_values(i);
        const std::string base = metricName(def.name());
        const std::string help = def.unit().empty() ? def.name() : sim::strCat(def.name(), " (", def.unit(), ")");
        ClientMetric m;
        m.label = labelsOf(def);
        switch (def.type()) {
        case v1::METRIC_TYPE_COUNTER_TOTAL:
            m.counter.value = value;
            family(base + "_total", MetricType::Counter, help).metric.push_back(std::move(m));
            break;
        case v1::METRIC_TYPE_COUNTER:
            m.gauge.value = value;
            family(base + "_per_second", MetricType::Gauge, help + ", per second").metric.push_back(std::move(m));
            break;
        case v1::METRIC_TYPE_GAUGE:
            // Base units and whole unit words (promtool): a gauge named in milliseconds
            // ("…lag_ms") is exported in seconds; "…_s" and "…_per_sec" are spelled out.
            if (endsWith(base, "_ms")) {
                m.gauge.value = value / 1000.0;
                family(base.substr(0, base.size() - 3) + "_seconds", MetricType::Gauge, def.name() + " (in seconds)")
                    .metric.push_back(std::move(m));
            } else if (endsWith(base, "_s")) {
                m.gauge.value = value;
                family(base.substr(0, base.size() - 2) + "_seconds", MetricType::Gauge, help).metric.push_back(std::move(m));
            } else if (endsWith(base, "_per_sec")) {
                m.gauge.value = value;
                family(base + "ond", MetricType::Gauge, help).metric.push_back(std::move(m));
            } else {
                m.gauge.value = value;
                family(base, MetricType::Gauge, help).metric.push_back(std::move(m));
            }
            break;
        default:
            break; // histogram quantiles: exported as the histograms below
        }
    }
    for (const HistogramExport& h : histograms) {
        const double scale = exportScale(h.unit);
        const bool seconds = scale != 1.0;
        const std::string name = metricName(h.name) + (seconds ? "_seconds" : "");
        const std::string help = seconds ? h.name + " (seconds, since the run started)" : h.name + " (since the run started)";
        ClientMetric m;
        m.label = labelsOf(h.component, h.labels);
        static const std::vector<double> unitless{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
        m.histogram = toPrometheus(h.histogram, scale, seconds ? latencyBoundsSeconds() : unitless);
        family(name, MetricType::Histogram, help).metric.push_back(std::move(m));
    }
    {
        ClientMetric m;
        m.gauge.value = static_cast<double>(snap.sim_time_ns()) / 1e9;
        family("livedeck_sim_time_seconds", MetricType::Gauge, "simulated time of the world").metric.push_back(m);
    }
    {
        ClientMetric m;
        m.counter.value = static_cast<double>(snap.events_executed());
        family("livedeck_events_executed_total", MetricType::Counter, "scheduler events executed").metric.push_back(m);
    }
    for (const v1::BreakerState& b : snap.breakers()) {
        ClientMetric m;
        m.label = {{"path", b.path()}, {"state", breakerStateName(b.state())}};
        m.gauge.value = 1.0;
        family("livedeck_breaker_state", MetricType::Gauge, "circuit breaker state (1 = current)").metric.push_back(std::move(m));
    }
    {
        int active = 0;
        for (const v1::FaultSpec& f : snap.faults())
            active += f.active() ? 1 : 0;
        ClientMetric m;
        m.gauge.value = active;
        family("livedeck_faults_active", MetricType::Gauge, "faults in force").metric.push_back(m);
    }
    std::vector<MetricFamily> out;
    out.reserve(families.size());
    for (auto& [name, f] : families)
        out.push_back(std::move(f));
    return out;
}

std::vector<MetricFamily> SnapshotCollectable::Collect() const
{
    std::lock_guard lock(m_mutex);
    if (auto snap = m_sub.takeSnapshot()) {
        for (const v1::SeriesDef& def : snap->series_defs()) {
            if (def.id() >= m_defs.size())
                m_defs.resize(def.id() + 1);
            m_defs[def.id()] = def;
        }
        m_latest = std::move(snap);
    }
    if (!m_latest)
        return {};
    return convert(*m_latest, m_defs, histogramsOf(m_host));
}

PrometheusExporter::PrometheusExporter(host::WorldHost& host) : m_host(host) {}

PrometheusExporter::~PrometheusExporter() { stop(); }

absl::StatusOr<int> PrometheusExporter::start(const std::string& listen)
{
    try {
        m_exposer = std::make_unique<prometheus::Exposer>(listen, 2);
    } catch (const std::exception& e) {
        return absl::UnavailableError(sim::strCat("cannot serve metrics on ", listen, ": ", e.what()));
    }
    m_collectable = std::make_shared<SnapshotCollectable>(m_host);
    m_exposer->RegisterCollectable(m_collectable);
    const std::vector<int> ports = m_exposer->GetListeningPorts();
    return ports.empty() ? 0 : ports.front();
}

void PrometheusExporter::stop()
{
    m_exposer.reset();
    m_collectable.reset();
}

} // namespace livedeck::rpc

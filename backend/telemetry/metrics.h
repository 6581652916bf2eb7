// MetricsRegistry: counters, gauges and histograms keyed by (name, component path,
// labels). Engines take references once (at construction) and update them on the hot
// path without lookups. Weighted: a counter adds the weight of each discrete request,
// so rates are real-equivalent (docs/ARCHITECTURE.md, property 3).
//
// Per-second rollups on virtual time (Telemetry schedules them): each rollup turns
// counters into per-second rates, reads gauges, and takes p50/p90/p99/p999 of each
// histogram's last interval, then resets the interval (after merging it into the
// histogram's cumulative copy, which Prometheus histograms export). Each rolled-up value belongs
// to a series with a stable id (registration order), described by v1::SeriesDef.
// Single-threaded (the world's thread).
#pragma once

#include "backend/sim/strings.h"
#include "backend/sim/time.h"
#include "backend/telemetry/histogram.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::telemetry {

class Counter {
public:
    void add(double weight = 1.0) { m_total += weight; }
    double total() const { return m_total; }

private:
    double m_total = 0.0;
};

class Gauge {
public:
    void set(double value) { m_value = value; }
    void add(double delta) { m_value += delta; }
    double value() const { return m_value; }

private:
    double m_value = 0.0;
};

// One rolled-up value of one series.
struct Sample {
    std::uint32_t series = 0;
    double value = 0.0;
};

enum class MetricKind { Counter, Gauge, Histogram };

struct MetricInfo {
    MetricKind kind;
    std::string name;
    std::string component;
    std::string labels; // "k=v,k2=v2", sorted by key
    std::string unit;   // histograms: unit of the rolled-up quantiles ("ms")
    std::uint32_t firstSeries = 0; // counters: rate, total; gauges: value; histograms: p50, p90, p99, p999
};

class MetricsRegistry {
public:
    // Histogram values are recorded in nanoseconds and rolled up in `unit` (default
    // "ms": divided by 1e6); pass "" for unitless histograms (rolled up as recorded).
    Counter& counter(std::string_view name, std::string_view component = {}, std::string_view labels = {});
    Gauge& gauge(std::string_view name, std::string_view component = {}, std::string_view labels = {});
    Histogram& histogram(std::string_view name, std::string_view component = {}, std::string_view labels = {},
                         std::string_view unit = "ms");

    // Lookups (tests, drill expectations); nullptr when absent.
    const Counter* findCounter(std::string_view name, std::string_view component = {}, std::string_view labels = {}) const;
    const Gauge* findGauge(std::string_view name, std::string_view component = {}, std::string_view labels = {}) const;
    const Histogram* findHistogram(std::string_view name, std::string_view component = {}, std::string_view labels = {}) const;

    // Rolls up the interval that ends at `now` (length `interval`), appending one sample
    // per series to `out`, and starts the next interval.
    void rollup(sim::Nanos interval, std::vector<Sample>& out);

    const std::vector<MetricInfo>& metrics() const { return m_infos; }
    // Everything histogram metrics()[info] recorded up to the last rollup (the intervals
    // merged); nullptr when that metric is not a histogram or has seen no rollup yet.
    const Histogram* cumulativeHistogram(std::size_t info) const;
    std::uint32_t seriesCount() const { return m_nextSeries; }
    // Definitions of series with id >= firstId, in id order.
    void seriesDefs(std::uint32_t firstId, std::vector<v1::SeriesDef>& out) const;
    // The series id of (name, component, labels, type); -1 when absent.
    std::int64_t seriesId(std::string_view name, std::string_view component, std::string_view labels,
                          v1::MetricType type) const;

private:
    struct Entry {
        std::size_t info;
        void* object;
    };
    static std::string key(std::string_view name, std::string_view component, std::string_view labels);
    Entry* find(std::string_view k);
    const Entry* find(std::string_view k) const;

    std::deque<Counter> m_counters;
    std::deque<Gauge> m_gauges;
    std::deque<Histogram> m_histograms;
    std::vector<MetricInfo> m_infos;
    std::vector<void*> m_objects;              // parallel to m_infos
    std::vector<double> m_lastTotals;          // counters: total at the previous rollup, by info index
    std::vector<Histogram> m_cumulative;       // histograms: intervals merged, by info index
    absl::flat_hash_map<std::string, Entry, sim::StringHash, sim::StringEq> m_byKey;
    std::uint32_t m_nextSeries = 0;
};

} // namespace livedeck::telemetry

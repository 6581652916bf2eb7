#include "backend/telemetry/metrics.h"

namespace livedeck::telemetry {
namespace {

constexpr int seriesPer(MetricKind k)
{
    return k == MetricKind::Counter ? 2 : k == MetricKind::Gauge ? 1 : 4;
}

} // namespace

std::string MetricsRegistry::key(std::string_view name, std::string_view component, std::string_view labels)
{
    return sim::strCat(name, '\x1f', component, '\x1f', labels);
}

MetricsRegistry::Entry* MetricsRegistry::find(std::string_view k)
{
    const auto it = m_byKey.find(k);
    return it == m_byKey.end() ? nullptr : &it->second;
}

const MetricsRegistry::Entry* MetricsRegistry::find(std::string_view k) const
{
    const auto it = m_byKey.find(k);
    return it == m_byKey.end() ? nullptr : &it->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view component, std::string_view labels)
{
    const std::string k = key(name, component, labels);
    if (Entry* e = find(k); e && m_infos[e->info].kind == MetricKind::Counter)
        return *static_cast<Counter*>(e->object);
    Counter& c = m_counters.emplace_back();
    m_infos.push_back(MetricInfo{MetricKind::Counter, std::string(name), std::string(component), std::string(labels), "1/s", m_nextSeries});
    m_objects.push_back(&c);
    m_lastTotals.push_back(0.0);
    m_nextSeries += seriesPer(MetricKind::Counter);
    m_byKey.insert_or_assign(k, Entry{m_infos.size() - 1, &c});
    return c;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view component, std::string_view labels)
{
    const std::string k = key(name, component, labels);
    if (Entry* e = find(k); e && m_infos[e->info].kind == MetricKind::Gauge)
        return *static_cast<Gauge*>(e->object);
    Gauge& g = m_gauges.emplace_back();
    m_infos.push_back(MetricInfo{MetricKind::Gauge, std::string(name), std::string(component), std::string(labels), "", m_nextSeries});
    m_objects.push_back(&g);
    m_lastTotals.push_back(0.0);
    m_nextSeries += seriesPer(MetricKind::Gauge);
    m_byKey.insert_or_assign(k, Entry{m_infos.size() - 1, &g});
    return g;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view component, std::string_view labels,
                                      std::string_view unit)
{
    const std::string k = key(name, component, labels);
    if (Entry* e = find(k); e && m_infos[e->info].kind == MetricKind::Histogram)
        return *static_cast<Histogram*>(e->object);
    Histogram& h = m_histograms.emplace_back();
    m_infos.push_back(MetricInfo{MetricKind::Histogram, std::string(name), std::string(component), std::string(labels), std::string(unit), m_nextSeries});
    m_objects.push_back(&h);
    m_lastTotals.push_back(0.0);
    m_nextSeries += seriesPer(MetricKind::Histogram);
    m_byKey.insert_or_assign(k, Entry{m_infos.size() - 1, &h});
    return h;
}

const Counter* MetricsRegistry::findCounter(std::string_view name, std::string_view component, std::string_view labels) const
{
    const Entry* e = find(key(name, component, labels));
    return e && m_infos[e->info].kind == MetricKind::Counter ? static_cast<const Counter*>(e->object) : nullptr;
}

const Gauge* MetricsRegistry::findGauge(std::string_view name, std::string_view component, std::string_view labels) const
{
    const Entry* e = find(key(name, component, labels));
    return e && m_infos[e->info].kind == MetricKind::Gauge ? static_cast<const Gauge*>(e->object) : nullptr;
}

const Histogram* MetricsRegistry::findHistogram(std::string_view name, std::string_view component, std::string_view labels) const
{
    const Entry* e = find(key(name, component, labels));
    return e && m_infos[e->info].kind == MetricKind::Histogram ? static_cast<const Histogram*>(e->object) : nullptr;
}

void MetricsRegistry::rollup(sim::Nanos interval, std::vector<Sample>& out)
{
    const double seconds = interval > 0 ? sim::toSeconds(interval) : 1.0;
    if (m_cumulative.size() < m_infos.size())
        m_cumulative.resize(m_infos.size());
    for (std::size_t i = 0; i < m_infos.size(); ++i) {
        const MetricInfo& info = m_infos[i];
        switch (info.kind) {
        case MetricKind::Counter: {
            const double total = static_cast<Counter*>(m_objects[i])->total();
            out.push_back(Sample{info.firstSeries, (total - m_lastTotals[i]) / seconds});
            out.push_back(Sample{info.firstSeries + 1, total});
            m_lastTotals[i] = total;
            break;
        }
        case MetricKind::Gauge:
            out.push_back(Sample{info.firstSeries, static_cast<Gauge*>(m_objects[i])->value()});
            break;
        case MetricKind::Histogram: {
            auto* h = static_cast<Histogram*>(m_objects[i]);
            const double scale = info.unit == "ms" ? 1e-6 : info.unit == "s" ? 1e-9 : info.unit == "us" ? 1e-3 : 1.0;
            out.push_back(Sample{info.firstSeries, h->quantile(0.50) * scale});
            out.push_back(Sample{info.firstSeries + 1, h->quantile(0.90) * scale});
            out.push_back(Sample{info.firstSeries + 2, h->quantile(0.99) * scale});
            out.push_back(Sample{info.firstSeries + 3, h->quantile(0.999) * scale});
            m_cumulative[i].merge(*h);
            h->reset();
            break;
        }
        }
    }
}

const Histogram* MetricsRegistry::cumulativeHistogram(std::size_t info) const
{
    if (info >= m_infos.size() || info >= m_cumulative.size() || m_infos[info].kind != MetricKind::Histogram)
        return nullptr;
    return &m_cumulative[info];
}

void MetricsRegistry::seriesDefs(std::uint32_t firstId, std::vector<v1::SeriesDef>& out) const
{
    for (const MetricInfo& info : m_infos) {
        const int n = seriesPer(info.kind);
        for (int j = 0; j < n; ++j) {
            const std::uint32_t id = info.firstSeries + static_cast<std::uint32_t>(j);
            if (id < firstId)
                continue;
            v1::SeriesDef d;
            d.set_id(id);
            d.set_name(info.name);
            d.set_component(info.component);
            d.set_labels(info.labels);
            switch (info.kind) {
            case MetricKind::Counter:
                d.set_type(j == 0 ? v1::METRIC_TYPE_COUNTER : v1::METRIC_TYPE_COUNTER_TOTAL);
                d.set_unit(j == 0 ? "1/s" : "1");
                break;
            case MetricKind::Gauge:
                d.set_type(v1::METRIC_TYPE_GAUGE);
                break;
            case MetricKind::Histogram:
                d.set_type(j == 0 ? v1::METRIC_TYPE_HISTOGRAM_P50
                               : j == 1 ? v1::METRIC_TYPE_HISTOGRAM_P90
                               : j == 2 ? v1::METRIC_TYPE_HISTOGRAM_P99
                                        : v1::METRIC_TYPE_HISTOGRAM_P999);
                d.set_unit(info.unit);
                break;
            }
            out.push_back(std::move(d));
        }
    }
}

std::int64_t MetricsRegistry::seriesId(std::string_view name, std::string_view component, std::string_view labels,
                                       v1::MetricType type) const
{
    const Entry* e = find(key(name, component, labels));
    if (!e)
        return -1;
    const MetricInfo& info = m_infos[e->info];
    int offset = -1;
    switch (info.kind) {
    case MetricKind::Counter:
        offset = type == v1::METRIC_TYPE_COUNTER ? 0 : type == v1::METRIC_TYPE_COUNTER_TOTAL ? 1 : -1;
        break;
    case MetricKind::Gauge:
        offset = type == v1::METRIC_TYPE_GAUGE ? 0 : -1;
        break;
    case MetricKind::Histogram:
        offset = type == v1::METRIC_TYPE_HISTOGRAM_P50 ? 0
            : type == v1::METRIC_TYPE_HISTOGRAM_P90    ? 1
            : type == v1::METRIC_TYPE_HISTOGRAM_P99    ? 2
            : type == v1::METRIC_TYPE_HISTOGRAM_P999   ? 3
                                                       : -1;
        break;
    }
    return offset < 0 ? -1 : static_cast<std::int64_t>(info.firstSeries) + offset;
}

} // namespace livedeck::telemetry

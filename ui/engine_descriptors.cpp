#include "ui/engine_descriptors.h"

#include "ui/format.h"
#include "ui/series_catalog.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace livedeck::ui {
namespace {

bool describes(const std::string& described, std::string_view series)
{
    if (described.size() >= 2 && described.compare(described.size() - 2, 2, ".*") == 0)
        return series.substr(0, described.size() - 1) == std::string_view(described).substr(0, described.size() - 1);
    return described == series;
}

} // namespace

QString legendName(std::string_view series, const v1::Topology& topology)
{
    for (const v1::EngineDescriptor& e : topology.engines()) {
        const std::string& n = e.name();
        if (!n.empty() && series.size() > n.size() + 1 && series.substr(0, n.size()) == n && series[n.size()] == '.') {
            series.remove_prefix(n.size() + 1);
            break;
        }
    }
    return QString::fromUtf8(series.data(), static_cast<qsizetype>(series.size()));
}

int headlineRank(const v1::Topology& topology, std::string_view chart, std::string_view series)
{
    int rank = 0;
    for (const v1::EngineDescriptor& e : topology.engines()) {
        for (const v1::ChartHeadline& c : e.charts()) {
            if (c.chart() != chart)
                continue;
            for (const std::string& s : c.series()) {
                if (s == series)
                    return rank;
                ++rank;
            }
        }
    }
    return -1;
}

v1::MetricRole metricRole(const v1::Topology& topology, std::string_view series)
{
    for (const v1::EngineDescriptor& e : topology.engines()) {
        for (const v1::MetricDescriptor& m : e.metrics()) {
            if (describes(m.name(), series))
                return m.role();
        }
    }
    return v1::METRIC_ROLE_UNSPECIFIED;
}

const v1::ComponentKindDescriptor* componentKind(const v1::Topology& topology, std::string_view kind)
{
    for (const v1::EngineDescriptor& e : topology.engines()) {
        for (const v1::ComponentKindDescriptor& k : e.component_kinds()) {
            if (k.kind() == kind)
                return &k;
        }
    }
    return nullptr;
}

std::vector<std::string> kindsWithView(const v1::Topology& topology, std::string_view view)
{
    std::vector<std::string> kinds;
    for (const v1::EngineDescriptor& e : topology.engines()) {
        for (const v1::ComponentKindDescriptor& k : e.component_kinds()) {
            if (k.view() == view)
                kinds.push_back(k.kind());
        }
    }
    return kinds;
}

const v1::EngineDescriptor* engineNamed(const v1::Topology& topology, std::string_view name)
{
    for (const v1::EngineDescriptor& e : topology.engines()) {
        if (e.name() == name)
            return &e;
    }
    return nullptr;
}

std::vector<v1::RegionHealth> regionHealthFor(const v1::Snapshot& snapshot, std::string_view engine)
{
    std::vector<v1::RegionHealth> out;
    std::map<std::string, std::size_t, std::less<>> index;
    for (const v1::RegionHealth& h : snapshot.regions()) {
        if (!engine.empty() && h.engine() != engine)
            continue;
        auto [it, fresh] = index.emplace(h.region(), out.size());
        if (fresh) {
            out.push_back(h);
            if (engine.empty())
                out.back().clear_engine();
            continue;
        }
        v1::RegionHealth& m = out[it->second];
        m.set_up(m.up() && h.up());
        m.set_availability(std::min(m.availability(), h.availability()));
        m.set_p99_ms(std::max(m.p99_ms(), h.p99_ms()));
        m.set_error_rate(std::max(m.error_rate(), h.error_rate()));
        m.set_rps(m.rps() + h.rps());
        m.set_probes_sent(m.probes_sent() + h.probes_sent());
        m.set_probes_answered(m.probes_answered() + h.probes_answered());
        for (const std::string& from : h.unreachable_from()) {
            if (std::find(m.unreachable_from().begin(), m.unreachable_from().end(), from) == m.unreachable_from().end())
                m.add_unreachable_from(from);
        }
    }
    for (v1::RegionHealth& m : out)
        std::sort(m.mutable_unreachable_from()->begin(), m.mutable_unreachable_from()->end());
    return out;
}

std::vector<std::string> regionHealthEngines(const v1::Snapshot& snapshot)
{
    std::vector<std::string> engines;
    for (const v1::RegionHealth& h : snapshot.regions()) {
        if (!h.engine().empty() && std::find(engines.begin(), engines.end(), h.engine()) == engines.end())
            engines.push_back(h.engine());
    }
    return engines;
}

double tileValue(const v1::KpiTile& t, const SeriesCatalog& catalog)
{
    switch (t.aggregate()) {
    case v1::AGGREGATE_RATIO: {
        const double num = catalog.aggregate(t.series(), t.type(), Aggregate::Sum);
        const double den = catalog.aggregate(t.denominator_series(), t.type(), Aggregate::Sum);
        if (!std::isnan(num) && den > 0)
            return num / den;
        if (!std::isnan(num) && num == 0)
            return 0.0; // nothing failed and nothing placed: no share yet, but nothing wrong
        return std::numeric_limits<double>::quiet_NaN();
    }
    case v1::AGGREGATE_MEAN:
        return catalog.aggregate(t.series(), t.type(), Aggregate::Mean);
    case v1::AGGREGATE_MIN:
        return catalog.aggregate(t.series(), t.type(), Aggregate::Min);
    case v1::AGGREGATE_MAX:
        return catalog.aggregate(t.series(), t.type(), Aggregate::Max);
    default:
        return catalog.aggregate(t.series(), t.type(), Aggregate::Sum);
    }
}

double tileScaled(const v1::KpiTile& tile, double value)
{
    return value * (tile.scale() != 0.0 ? tile.scale() : 1.0);
}

int tileGrade(const v1::KpiTile& tile, double v)
{
    if (tile.good() == 0.0 && tile.warn() == 0.0)
        return 0;
    if (tile.higher_is_better())
        return v >= tile.good() ? 0 : v >= tile.warn() ? 1 : 2;
    return v <= tile.good() ? 0 : v <= tile.warn() ? 1 : 2;
}

QString tileText(const v1::KpiTile& tile, double v)
{
    if (std::isnan(v))
        return QStringLiteral("—");
    const QString unit = QString::fromStdString(tile.unit());
    if (unit == QLatin1String("/s") || unit == QLatin1String("1/s"))
        return formatRate(v);
    if (unit == QLatin1String("ms") && tile.decimals() == 0)
        return formatMillis(v);
    const QString number = std::fabs(v) >= 1e4 ? formatCompact(v) : QString::number(v, 'f', std::clamp(tile.decimals(), 0, 9));
    return unit.isEmpty() ? number : number + QLatin1Char(' ') + unit;
}

} // namespace livedeck::ui

#include "ui/series_catalog.h"

#include <algorithm>
#include <cmath>

namespace livedeck::ui {

QString SeriesInfo::displayName() const
{
    QString text = QString::fromStdString(name);
    if (!labels.empty())
        text += QLatin1Char('{') + QString::fromStdString(labels) + QLatin1Char('}');
    if (!component.empty())
        text += QStringLiteral(" @ ") + QString::fromStdString(component);
    return text;
}

void SeriesCatalog::clear()
{
    m_series.clear();
    m_latest.clear();
    m_latestIds.clear();
    m_byName.clear();
    m_known = 0;
    m_latestCount = 0;
    ++m_generation;
}

void SeriesCatalog::add(const v1::SeriesDef& def)
{
    const std::uint32_t id = def.id();
    if (id >= m_series.size()) {
        m_series.resize(static_cast<std::size_t>(id) + 1);
        m_latest.resize(static_cast<std::size_t>(id) + 1, kAbsent);
    }
    SeriesInfo& info = m_series[id];
    if (info.known) {
        if (info.name == def.name() && info.component == def.component() && info.labels == def.labels() &&
            info.type == def.type() && info.unit == def.unit())
            return;
        auto it = m_byName.find(info.name);
        if (it != m_byName.end())
            std::erase(it->second[info.type], id);
    } else {
        ++m_known;
    }
    info.id = id;
    info.known = true;
    info.name = def.name();
    info.component = def.component();
    info.labels = def.labels();
    info.type = (def.type() >= 0 && def.type() < kTypes) ? def.type() : v1::METRIC_TYPE_UNSPECIFIED;
    info.unit = def.unit();
    auto& ids = m_byName[info.name][info.type];
    ids.insert(std::lower_bound(ids.begin(), ids.end(), id), id);
    ++m_generation;
}

void SeriesCatalog::apply(const v1::Snapshot& snapshot)
{
    for (const v1::SeriesDef& def : snapshot.series_defs())
        add(def);
    for (std::uint32_t id : m_latestIds)
        m_latest[id] = kAbsent;
    m_latestIds.clear();
    const int n = std::min(snapshot.sample_ids_size(), snapshot.sample_values_size());
    for (int i = 0; i < n; ++i) {
        const std::uint32_t id = snapshot.sample_ids(i);
        if (id >= m_latest.size()) {
            // A sample before its def (should not happen): keep it so a late def finds it.
            m_series.resize(static_cast<std::size_t>(id) + 1);
            m_latest.resize(static_cast<std::size_t>(id) + 1, kAbsent);
        }
        m_latest[id] = snapshot.sample_values(i);
        m_latestIds.push_back(id);
    }
    m_latestCount = static_cast<std::size_t>(n);
}

const SeriesInfo* SeriesCatalog::find(std::uint32_t id) const
{
    if (id >= m_series.size() || !m_series[id].known)
        return nullptr;
    return &m_series[id];
}

const std::vector<std::uint32_t>& SeriesCatalog::idsNamed(std::string_view name, v1::MetricType type) const
{
    static const std::vector<std::uint32_t> kNone;
    const auto it = m_byName.find(name);
    if (it == m_byName.end() || type < 0 || type >= kTypes)
        return kNone;
    return it->second[type];
}

std::int64_t SeriesCatalog::findId(std::string_view name, std::string_view component, v1::MetricType type,
                                   std::string_view labels) const
{
    for (std::uint32_t id : idsNamed(name, type)) {
        const SeriesInfo& s = m_series[id];
        if (s.component == component && s.labels == labels)
            return id;
    }
    return -1;
}

double SeriesCatalog::latest(std::uint32_t id) const
{
    return id < m_latest.size() ? m_latest[id] : kAbsent;
}

double SeriesCatalog::aggregate(std::string_view name, v1::MetricType type, Aggregate how) const
{
    double acc = 0.0;
    int count = 0;
    for (std::uint32_t id : idsNamed(name, type)) {
        const double v = m_latest[id];
        if (std::isnan(v))
            continue;
        if (count == 0) {
            acc = v;
        } else {
            switch (how) {
            case Aggregate::Sum:
            case Aggregate::Mean:
                acc += v;
                break;
            case Aggregate::Max:
                acc = std::max(acc, v);
                break;
            case Aggregate::Min:
                acc = std::min(acc, v);
                break;
            }
        }
        ++count;
    }
    if (count == 0)
        return kAbsent;
    return how == Aggregate::Mean ? acc / count : acc;
}

} // namespace livedeck::ui

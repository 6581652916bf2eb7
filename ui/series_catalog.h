// SeriesCatalog: the console's copy of a run's metric catalogue. Snapshots declare each
// series once (Snapshot.series_defs) and then carry only packed (id, value) samples;
// the catalogue accumulates the declarations and resolves a sample id to its name,
// component, labels, type and unit. It also keeps the values of the latest snapshot
// applied, indexed by id (NaN where the snapshot had no sample), so dashboards read
// "gifts.orders.placed summed over components" without scanning the sample list.
//
// Contract: GUI thread (no locking). clear() on a run reset: ids belong to one run.
// A def with an id seen before replaces the old one. Lookups by name return ids in id
// order. generation() changes whenever a series is added, so callers may cache
// resolved ids and re-resolve only then.
#pragma once

#include "livedeck/v1/cluster.pb.h"

#include <QString>

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::ui {

struct SeriesInfo {
    std::uint32_t id = 0;
    bool known = false;
    std::string name;      // "gifts.orders.placed"
    std::string component; // "sh-a/gifts/order-svc", may be empty
    std::string labels;    // "tab=privileged"
    v1::MetricType type = v1::METRIC_TYPE_UNSPECIFIED;
    std::string unit;
    QString displayName() const; // "gifts.orders.placed{tab=privileged} @ sh-a/gifts/order-svc"
};

enum class Aggregate { Sum, Mean, Max, Min };

class SeriesCatalog {
public:
    static constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();

    void clear();
    void add(const v1::SeriesDef& def);
    // Adds the snapshot's series defs, then takes its samples as the latest values.
    void apply(const v1::Snapshot& snapshot);

    std::size_t size() const { return m_known; }
    std::uint64_t generation() const { return m_generation; }
    // nullptr when the id was never declared.
    const SeriesInfo* find(std::uint32_t id) const;
    // Every declared series, indexed by id (holes have known == false).
    const std::vector<SeriesInfo>& all() const { return m_series; }
    // Ids of the series with this name and type (any component, any labels), id order.
    const std::vector<std::uint32_t>& idsNamed(std::string_view name, v1::MetricType type) const;
    // The id of one exact series; -1 when absent.
    std::int64_t findId(std::string_view name, std::string_view component, v1::MetricType type,
                        std::string_view labels = {}) const;

    // Latest value of a series (NaN when the last snapshot had no sample for it).
    double latest(std::uint32_t id) const;
    // Aggregate of the latest values of every series with this name and type; NaN when
    // none has a value.
    double aggregate(std::string_view name, v1::MetricType type, Aggregate how) const;
    // Number of samples in the latest snapshot.
    std::size_t latestSampleCount() const { return m_latestCount; }

private:
    std::vector<SeriesInfo> m_series;        // by id
    std::vector<double> m_latest;            // by id
    std::vector<std::uint32_t> m_latestIds;  // ids set by the latest snapshot (to reset cheaply)
    static constexpr int kTypes = v1::MetricType_ARRAYSIZE;
    std::map<std::string, std::array<std::vector<std::uint32_t>, kTypes>, std::less<>> m_byName;
    std::size_t m_known = 0;
    std::size_t m_latestCount = 0;
    std::uint64_t m_generation = 0;
};

} // namespace livedeck::ui

// ChartsPanel: the time-series dashboards (Qt Charts) — request rates, errors,
// latency quantiles (p50/p99/p999), region availability / p99 / requests, breaker
// states and shard load over simulated time, every chart marked with fault start/end
// (fault.on / fault.off events). Each chart is a TimeChart fed by a ChartFeed that
// reads one snapshot: metric series by type and name (resolved through the
// SeriesCatalog once per catalogue change, not per snapshot) or the structured
// lists (RegionHealth, BreakerState, ShardLoad). Points are per simulated second
// (the rollup interval); one replace() per line per UI tick.
// GUI thread.
#pragma once

#include "ui/dashboard_panel.h"
#include "ui/time_chart.h"

#include <QWidget>

#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QComboBox;
class QGridLayout;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;
class QuantileFeed;

// Reads one snapshot into one chart.
class ChartFeed {
public:
    virtual ~ChartFeed() = default;
    virtual void reset(TimeChart& /*chart*/) {}
    virtual void apply(const v1::Snapshot& snapshot, const SeriesCatalog& catalog, TimeChart& chart, double t) = 0;
};

class ChartsPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit ChartsPanel(DashboardHub* hub, QWidget* parent = nullptr);
    ~ChartsPanel() override;

    void resetRun() override;
    void applyTopology(const v1::Topology& topology) override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;
    void applyEvents(const std::vector<v1::Event>& events) override;
    void refreshView() override;

    int chartCount() const { return static_cast<int>(m_charts.size()); }
    TimeChart* chart(int i) const { return m_charts[static_cast<std::size_t>(i)].chart; }
    TimeChart* chartTitled(const QString& title) const;
    void setWindowSeconds(double seconds);
    // The histogram the latency chart follows ("" = the worst of all).
    void setLatencyFocus(const QString& name);

    // Simulated second a snapshot's samples belong to (the rollup interval is 1 s).
    static double pointTime(std::int64_t simTimeNs);

private:
    struct Entry {
        TimeChart* chart = nullptr;
        std::unique_ptr<ChartFeed> feed;
    };
    TimeChart* add(const QString& title, const QString& unit, std::unique_ptr<ChartFeed> feed);
    void updateLatencyChoices(const SeriesCatalog& catalog);

    DashboardHub* m_hub;
    v1::Topology m_engines; // the run's engine descriptors (headlines, roles, legend names)
    QGridLayout* m_grid = nullptr;
    QComboBox* m_latencyFocus = nullptr;
    QuantileFeed* m_quantileFeed = nullptr;
    std::vector<Entry> m_charts;
    std::uint64_t m_catalogGeneration = ~0ULL;
    double m_now = 0.0;
    bool m_dirty = false;
};

} // namespace livedeck::ui

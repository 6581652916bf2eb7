// OverviewPanel: the figures an operator reads first — each engine's KPI tiles as its
// descriptor gives them (v1::KpiTile in Topology.engines: series, type, aggregate or
// ratio, unit, scale, decimals, good/warn thresholds, target text; one group box per
// tile group; "—" when a series is absent), cluster summary (regions up, breakers
// open, shard skew, active faults) from the snapshot's structured lists, the
// simulated clock with its calendar time, speed gauges from HostState (events per
// wall second, simulated seconds per wall second) and the drill's progress.
// GUI thread.
#pragma once

#include "ui/dashboard_panel.h"
#include "ui/shard_table.h"

#include <QWidget>

#include <string>
#include <vector>

QT_BEGIN_NAMESPACE
class QLabel;
class QProgressBar;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;
class GaugeWidget;
class KpiTile;

class OverviewPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit OverviewPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applyTopology(const v1::Topology& topology) override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;

    // The engines' tiles, in descriptor order (engines in topology order).
    int engineTileCount() const { return static_cast<int>(m_engineTiles.size()); }
    KpiTile* engineTile(int i) const { return m_engineTiles[static_cast<std::size_t>(i)].tile; }
    // A tile by its descriptor id ("gifts.availability"); nullptr when absent.
    KpiTile* engineTile(const QString& id) const;
    QStringList engineGroupTitles() const;
    KpiTile* regionsTile() const { return m_regions; }
    KpiTile* breakersTile() const { return m_breakers; }
    KpiTile* skewTile() const { return m_skew; }
    KpiTile* faultsTile() const { return m_faults; }
    QString clockText() const;
    // Compact (a laptop screen): the speed gauges and the drill box give way (the status
    // bar shows the speed, the Drill dock the progress) and tiles are only as wide as
    // their text.
    void setCompact(bool compact);
    bool compact() const { return m_compact; }
    // Marks the clock and run state as stale (`detail`: "STALE · silent for 3.0 s").
    void setStale(bool stale, const QString& detail);
    bool stale() const { return m_stale; }
    QString runStateText() const;

private:
    void applyDrill(const v1::Snapshot& snapshot);
    void rebuildEngineTiles(const v1::Topology& topology);

    struct EngineTile {
        v1::KpiTile descriptor;
        KpiTile* tile = nullptr;
    };

    DashboardHub* m_hub;
    QWidget* m_engineArea;
    QLabel* m_noEngineTiles;
    std::vector<QWidget*> m_engineGroups;
    std::vector<EngineTile> m_engineTiles;
    std::string m_engineTileKey; // the tile ids the groups were built for
    KpiTile* m_regions;
    KpiTile* m_breakers;
    KpiTile* m_skew;
    KpiTile* m_faults;
    QLabel* m_clock;
    QLabel* m_calendar;
    QLabel* m_runState;
    GaugeWidget* m_eventsGauge;
    GaugeWidget* m_speedGauge;
    QLabel* m_drillTitle;
    QProgressBar* m_drillProgress;
    QLabel* m_drillDetail;
    ShardTable m_shards;
    bool m_stale = false;
    bool m_compact = false;
    bool m_stackedEngines = false; // several engines' tiles: one dense row each
    QWidget* m_gaugeBox = nullptr;
    QWidget* m_drillBox = nullptr;
    QString m_staleDetail;
    int m_topologyRegions = 0;
    int m_utcOffsetMinutes = 0;
};

} // namespace livedeck::ui

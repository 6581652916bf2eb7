// OverviewPanel: the figures an operator reads first — gift KPIs from metric series by
// name (gifts.orders.placed, gifts.panel.availability, gifts.settlement.lag,
// gifts.errors; "—" when a series is absent), cluster summary (regions up, breakers
// open, shard skew, active faults) from the snapshot's structured lists, the
// simulated clock with its calendar time, speed gauges from HostState (events per
// wall second, simulated seconds per wall second) and the drill's progress.
// GUI thread.
#pragma once

#include "ui/dashboard_panel.h"
#include "ui/shard_table.h"

#include <QWidget>

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
    // Metric names the KPI tiles read (the gift engine's series).
    static constexpr const char* kOrdersSeries = "gifts.orders.placed";
    static constexpr const char* kAvailabilitySeries = "gifts.panel.availability";
    static constexpr const char* kSettlementLagSeries = "gifts.settlement.lag";
    static constexpr const char* kErrorsSeries = "gifts.errors";

    explicit OverviewPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applyTopology(const v1::Topology& topology) override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;

    KpiTile* ordersTile() const { return m_orders; }
    KpiTile* availabilityTile() const { return m_availability; }
    KpiTile* settlementTile() const { return m_settlement; }
    KpiTile* errorsTile() const { return m_errors; }
    KpiTile* regionsTile() const { return m_regions; }
    KpiTile* breakersTile() const { return m_breakers; }
    KpiTile* skewTile() const { return m_skew; }
    KpiTile* faultsTile() const { return m_faults; }
    QString clockText() const;

private:
    void applyDrill(const v1::Snapshot& snapshot);

    DashboardHub* m_hub;
    KpiTile* m_orders;
    KpiTile* m_availability;
    KpiTile* m_settlement;
    KpiTile* m_errors;
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
    int m_topologyRegions = 0;
    int m_utcOffsetMinutes = 0;
};

} // namespace livedeck::ui

// RegionPanel: the region-health dashboard — measure selector (availability / p99 /
// errors), engine selector (one engine's probes or all), legend, and the RegionMap. Clicking a region opens its charts
// (availability, p99, error rate, requests over time); right-click offers a fault on
// the region (down, partition, latency…) or the inspector. GUI thread.
#pragma once

#include "ui/dashboard_panel.h"

#include <QDialog>
#include <QPointer>
#include <QStringList>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
QT_END_NAMESPACE

namespace livedeck::ui {

class DashboardHub;
class RegionMap;
class TimeChart;
struct RegionHistory;

class RegionDetailDialog final : public QDialog {
    Q_OBJECT
public:
    RegionDetailDialog(const QString& region, QWidget* parent = nullptr);
    QString region() const { return m_region; }
    void refresh(const RegionHistory& history, std::int64_t nowNs);
    TimeChart* chart(int i) const { return m_charts[i]; }

private:
    QString m_region;
    TimeChart* m_charts[4] = {};
};

class RegionPanel final : public QWidget, public DashboardPanel {
    Q_OBJECT
public:
    explicit RegionPanel(DashboardHub* hub, QWidget* parent = nullptr);

    void resetRun() override;
    void applyTopology(const v1::Topology& topology) override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;
    void refreshView() override;

    RegionMap* map() const { return m_map; }
    // Whose probes the map shows ("" = all engines); the choices offered (first "").
    void setEngine(const QString& engine);
    QStringList engineChoices() const;
    RegionDetailDialog* openDetail(const QString& region);

private:
    DashboardHub* m_hub;
    void syncEngines();

    QComboBox* m_measure;
    QComboBox* m_engine;
    QLabel* m_status;
    RegionMap* m_map;
    QPointer<RegionDetailDialog> m_detail;
    bool m_dirty = false;
};

} // namespace livedeck::ui

// DashboardHub: connects one ClusterSource to every dashboard. It keeps the run's
// SeriesCatalog, topology and latest snapshot, fans each delivery out to the panels'
// apply*() at once (models and ring buffers stay exact), and repaints on a UI tick:
// refreshView() of the panels that received something, at most once per tick
// (50 ms: 20 Hz, the snapshot rate of docs/ARCHITECTURE.md "Host and threads"). It also carries the
// console's cross-panel gestures: select a component, ask for a fault dialog, show a
// moment of simulated time.
//
// Thread: GUI thread. Panels are not owned (they are widgets in the window's tree)
// and must outlive the hub or be removed.
#pragma once

#include "ui/cluster_source.h"
#include "ui/dashboard_panel.h"
#include "ui/series_catalog.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <vector>

namespace livedeck::ui {

class DashboardHub final : public QObject {
    Q_OBJECT
public:
    static constexpr int kDefaultTickMs = 50;

    explicit DashboardHub(QObject* parent = nullptr);

    // Connects to a source (not owned; nullptr detaches) and resets the dashboards.
    void setSource(ClusterSource* source);
    ClusterSource* source() const { return m_source; }

    void addPanel(DashboardPanel* panel);
    void removePanel(DashboardPanel* panel);

    // Direct feeds (the source's signals land here; tests and benchmarks call them).
    void resetRun(const QString& runId = {});
    void applyTopology(TopologyPtr topology);
    void applySnapshot(SnapshotPtr snapshot);
    void applyEvents(EventBatch events);
    // Repaints what changed now (the timer calls it every tick).
    void tick();
    void setTickInterval(int ms) { m_timer.setInterval(ms); }

    const SeriesCatalog& catalog() const { return m_catalog; }
    const v1::Topology& topology() const { return *m_topology; }
    const SnapshotPtr& latestSnapshot() const { return m_latest; }
    // Simulated time of the latest snapshot (0 before one arrived).
    std::int64_t simTimeNs() const { return m_latest ? m_latest->sim_time_ns() : 0; }
    int utcOffsetMinutes() const { return m_topology->calendar_utc_offset_minutes(); }
    std::uint64_t snapshotsApplied() const { return m_snapshotsApplied; }
    std::uint64_t ticksPainted() const { return m_ticksPainted; }

    // Cross-panel gestures.
    void selectComponent(const QString& path) { emit componentSelected(path); }
    void requestFault(const QString& target) { emit faultRequested(target); }
    void showTime(std::int64_t simTimeNs) { emit timeSelected(simTimeNs); }
    void requestRegionDetail(const QString& region) { emit regionDetailRequested(region); }

signals:
    // After a tick has refreshed the panels (their repaint follows in the event loop).
    void ticked();
    void snapshotApplied(livedeck::ui::SnapshotPtr snapshot);
    void topologyApplied();
    void runWasReset();
    void componentSelected(const QString& path);
    void faultRequested(const QString& target);
    void timeSelected(qint64 simTimeNs);
    void regionDetailRequested(const QString& region);

private:
    QPointer<ClusterSource> m_source;
    std::vector<QMetaObject::Connection> m_connections;
    std::vector<DashboardPanel*> m_panels;
    SeriesCatalog m_catalog;
    TopologyPtr m_topology;
    SnapshotPtr m_latest;
    QTimer m_timer;
    bool m_dirty = false;
    std::uint64_t m_snapshotsApplied = 0;
    std::uint64_t m_ticksPainted = 0;
};

} // namespace livedeck::ui

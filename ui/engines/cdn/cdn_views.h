// The CDN engine's console views (docs/CDN.md "Console"), each a dock offered while a
// CDN runs (ui/engine_views.h):
// - CDN caches: per cache node, hit ratio by requests and by bytes (last second and the
//   run), load, disk queues and read time, requests waiting on collapsed fetches.
// - CDN health: control's verdict per cache node (legacy: the scheduler's) — state, the
//   reason it tripped, last check, ejections, what changes next and the time left.
// - CDN slots: slot × node heatmap of one region's live slot table (a gateway's), each
//   cell the slot's load on that node ÷ the slot threshold.
// - CDN recovery: per cache node that failed, fault → detected → out of the table →
//   every gateway routing around it (legacy: no client left on it) → back, and when
//   the clients were served again (the engine's recovery p99).
// - CDN slicing: per gateway (legacy: edge node) the prefetch window's occupancy, bytes
//   held out of order, read amplification; the hot VOD objects and live streams.
// Everything comes from Snapshot.components (the parts' inspect() state); a view parses
// the latest snapshot only when it is visible and something changed. GUI thread.
#pragma once

#include "ui/engine_views.h"
#include "ui/engines/cdn/cdn_state.h"

#include <QPointer>

#include <vector>

class QComboBox;
class QLabel;
class QTableWidget;

namespace livedeck::ui {

void appendCdnViews(std::vector<EngineView>& out);

namespace cdn {

// What the CDN views share: the topology's CDN parts, a region filter, and a refresh
// that runs only while the view can be seen.
class CdnPanel : public EngineViewPanel {
    Q_OBJECT
public:
    explicit CdnPanel(DashboardHub* hub, QWidget* parent = nullptr);
    void resetRun() override;
    void applyTopology(const v1::Topology& topology) override;
    void applySnapshot(const v1::Snapshot& snapshot, const SeriesCatalog& catalog) override;
    void refreshView() override;
    // Rebuilds from the hub's latest snapshot now, visible or not (tests, screenshots).
    void rebuildNow();
    QString regionFilter() const; // empty: every region
    void setRegionFilter(const QString& region);

protected:
    void showEvent(QShowEvent* event) override;
    virtual void rebuild(const v1::Snapshot& snapshot) = 0;
    virtual bool allRegionsAllowed() const { return true; }
    QComboBox* regionBox() const { return m_region; }
    const PartIndex& index() const { return m_index; }
    QLabel* m_summary = nullptr;

private:
    DashboardHub* m_hub;
    PartIndex m_index;
    QComboBox* m_region = nullptr;
    bool m_dirty = false;
};

class CacheTableView final : public CdnPanel {
    Q_OBJECT
public:
    explicit CacheTableView(DashboardHub* hub, QWidget* parent = nullptr);
    QTableWidget* table() const { return m_table; }

protected:
    void rebuild(const v1::Snapshot& snapshot) override;

private:
    QTableWidget* m_table;
};

class HealthTableView final : public CdnPanel {
    Q_OBJECT
public:
    explicit HealthTableView(DashboardHub* hub, QWidget* parent = nullptr);
    QTableWidget* table() const { return m_table; }

protected:
    void rebuild(const v1::Snapshot& snapshot) override;

private:
    QTableWidget* m_table;
};

class SlotHeatmap;
class SlotHeatmapView final : public CdnPanel {
    Q_OBJECT
public:
    explicit SlotHeatmapView(DashboardHub* hub, QWidget* parent = nullptr);
    SlotHeatmap* heatmap() const { return m_map; }

protected:
    void rebuild(const v1::Snapshot& snapshot) override;
    bool allRegionsAllowed() const override { return false; }

private:
    SlotHeatmap* m_map;
};

class RecoveryTimeline;
class RecoveryTimelineView final : public CdnPanel {
    Q_OBJECT
public:
    explicit RecoveryTimelineView(DashboardHub* hub, QWidget* parent = nullptr);
    RecoveryTimeline* timeline() const { return m_timeline; }

protected:
    void rebuild(const v1::Snapshot& snapshot) override;

private:
    RecoveryTimeline* m_timeline;
};

class SlicingView final : public CdnPanel {
    Q_OBJECT
public:
    explicit SlicingView(DashboardHub* hub, QWidget* parent = nullptr);
    QTableWidget* table() const { return m_table; }
    QTableWidget* hot() const { return m_hot; }

protected:
    void rebuild(const v1::Snapshot& snapshot) override;

private:
    QTableWidget* m_table;
    QTableWidget* m_hot;
};

// The heatmap widget: rows are the region's cache nodes, columns its busiest slots.
class SlotHeatmap final : public QWidget {
    Q_OBJECT
public:
    explicit SlotHeatmap(QWidget* parent = nullptr);
    struct Data {
        QString gateway;
        double threshold = 0.0;           // ≤ 0: infinite (no dispersal)
        std::vector<QString> nodes;       // row labels
        std::vector<SlotRow> columns;     // the busiest slots
        std::vector<bool> inTable;        // per node: in the gateway's routing table
    };
    void setData(Data data);
    const Data& data() const { return m_data; }
    // A cell's load ÷ threshold (NaN when the node does not serve the slot).
    double cell(int node, int column) const;
    QSize sizeHint() const override { return {900, 220}; }

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override; // tooltips

private:
    QRect cellRect(int node, int column) const;
    Data m_data;
};

class RecoveryTimeline final : public QWidget {
    Q_OBJECT
public:
    explicit RecoveryTimeline(QWidget* parent = nullptr);
    struct Row {
        QString node;
        double fault = -1, detected = -1, ejected = -1, routed = -1, restored = -1; // seconds, -1 = not yet
        QString reason;
    };
    struct Data {
        bool legacy = false;
        double now = 0.0;
        double failureAt = -1.0;  // the first hard failure
        double recoveryP99 = 0.0; // its clients served again after this (p99 of client groups)
        std::vector<Row> rows;
    };
    void setData(Data data);
    const Data& data() const { return m_data; }
    QSize sizeHint() const override { return {900, 200}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    Data m_data;
};

} // namespace cdn
} // namespace livedeck::ui

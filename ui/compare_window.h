// CompareWindow: two runs on one time axis (File → Compare recordings…). Each side is a
// ClusterSource (a ReplayCluster over a recording), read through the same livedeck.v1
// messages as every dashboard: its topology's engine descriptors say which charts and
// KPI tiles there are; its snapshots give the values.
//
// - Charts: one per chart headline the engines describe (throughput, errors, latency),
//   each headline series drawn twice in one colour — A solid, B dashed — with the
//   legend "A: …" / "B: …".
// - KPI table: every tile the engines describe, A's and B's value at the cursor and the
//   ratio B/A.
// - Events: both runs' events merged by time, each marked A or B.
// - One time cursor (slider, the arrow keys, a click on a chart or an event) moves both
//   sides: the charts draw it, the KPI table shows both runs' values at that simulated
//   second, the event list follows. The runs are aligned by simulated time.
// GUI thread.
#pragma once

#include "ui/cluster_source.h"
#include "ui/series_catalog.h"

#include <QWidget>

#include <array>
#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QLabel;
class QSlider;
class QTableWidget;
QT_END_NAMESPACE

namespace livedeck::ui {

class TimeChart;

class CompareWindow final : public QWidget {
    Q_OBJECT
public:
    // Opens both recordings; nullptr with `error` set (naming the file) when one cannot be read.
    static CompareWindow* open(const QString& pathA, const QString& pathB, QString* error, QWidget* parent = nullptr);
    // Two sources already made (tests); each is started and read to its end.
    CompareWindow(std::unique_ptr<ClusterSource> a, std::unique_ptr<ClusterSource> b, const QString& labelA,
                  const QString& labelB, QWidget* parent = nullptr);
    ~CompareWindow() override;

    void setCursorSeconds(double t);
    double cursorSeconds() const { return m_cursorS; }
    double endSeconds() const { return m_endS; }

    // What the window shows (tests, screenshots).
    int chartCount() const { return static_cast<int>(m_charts.size()); }
    TimeChart* chart(int i) const { return m_charts[static_cast<std::size_t>(i)].chart; }
    QTableWidget* kpiTable() const { return m_kpis; }
    QTableWidget* eventTable() const { return m_events; }

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    struct Side {
        std::unique_ptr<ClusterSource> source;
        QString label;
        TopologyPtr topology;
        SeriesCatalog catalog;                     // as of the last snapshot received
        std::vector<SnapshotPtr> pending;          // received before the charts were built
        std::vector<double> times;                 // snapshot times, seconds
        std::vector<std::vector<double>> kpis;     // per snapshot: each tile's raw value
        std::vector<v1::Event> events;
        double endS = 0.0;
    };
    struct ChartLine {
        std::string series;
        v1::MetricType type = v1::METRIC_TYPE_UNSPECIFIED;
        std::array<int, 2> line{-1, -1}; // A, B
    };
    struct Chart {
        std::string engine;
        std::string headline;
        TimeChart* chart = nullptr;
        std::vector<ChartLine> lines;
    };

    void connectSide(int side);
    // Draws one snapshot (whose catalogue the side has already applied).
    void onSnapshot(int side, const v1::Snapshot& snapshot);
    void buildFromDescriptors();
    void finishLoading();
    void fillEvents();
    void updateKpis();
    void selectEventNear(double t);

    std::array<Side, 2> m_sides;
    std::vector<v1::KpiTile> m_tiles;
    std::vector<Chart> m_charts;
    bool m_built = false;
    double m_cursorS = 0.0;
    double m_endS = 0.0;

    QLabel* m_header = nullptr;
    QLabel* m_cursorLabel = nullptr;
    QSlider* m_slider = nullptr;
    QTableWidget* m_kpis = nullptr;
    QTableWidget* m_events = nullptr;
    QWidget* m_chartArea = nullptr;
};

} // namespace livedeck::ui

// CompareWindow: two runs on one time axis (File → Compare…). Each side is a
// ClusterSource (a ReplayCluster over a recording), read through the same livedeck.v1
// messages as every dashboard: its topology's engine descriptors say which charts and
// KPI tiles there are; its snapshots give the values. The two runs are two recordings,
// or the current drill re-run in another mode of one of its engines at the same seed
// (ModeComparison below: both simulated in the background, then compared).
//
// - Charts: one per chart headline the engines describe (throughput, errors, latency),
//   each headline series drawn twice in one colour — A solid, B dashed — with the
//   legend "A: …" / "B: …".
// - KPI table: every tile the engines describe, A's and B's value at the cursor and the
//   ratio B/A.
// - Events: both runs' events merged by time, each marked A or B.
// - Shards and Regions tabs: each run's shard heatmap (one scale for both: the higher
//   run peak) and region map, shown A | B side by side, or only A, or only B (a switch).
// - One time cursor (slider, the arrow keys, a click on a chart or an event) moves both
//   sides: the charts draw it, the KPI table shows both runs' values at that simulated
//   second, the event list follows, the heatmaps and maps show each run's snapshot at
//   or before that second. The runs are aligned by simulated time.
// GUI thread.
#pragma once

#include "backend/drills/drill_spec.h"
#include "ui/cluster_source.h"
#include "ui/series_catalog.h"

#include <absl/status/statusor.h>

#include <QDialog>
#include <QWidget>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

QT_BEGIN_NAMESPACE
class QButtonGroup;
class QComboBox;
class QLabel;
class QListWidget;
class QSlider;
class QTabWidget;
class QTableWidget;
class QTemporaryDir;
class QTimer;
QT_END_NAMESPACE

namespace livedeck::drills {
class DrillRun;
}

namespace livedeck::ui {

class RegionMap;
class ShardHeatmap;
class TimeChart;

class CompareWindow final : public QWidget {
    Q_OBJECT
public:
    // What the Shards and Regions tabs show: both runs side by side, or one of them.
    enum class SideView { Both, A, B };

    // Opens both recordings; nullptr with `error` set (naming the file) when one cannot be read.
    static CompareWindow* open(const QString& pathA, const QString& pathB, QString* error, QWidget* parent = nullptr,
                               const QString& labelA = {}, const QString& labelB = {});
    // Two sources already made (tests); each is started and read to its end.
    CompareWindow(std::unique_ptr<ClusterSource> a, std::unique_ptr<ClusterSource> b, const QString& labelA,
                  const QString& labelB, QWidget* parent = nullptr);
    ~CompareWindow() override;

    // The window keeps `files` (the recordings it reads) until it is destroyed.
    void keepFiles(std::unique_ptr<QTemporaryDir> files);

    void setCursorSeconds(double t);
    double cursorSeconds() const { return m_cursorS; }
    double endSeconds() const { return m_endS; }

    // What the window shows (tests, screenshots).
    int chartCount() const { return static_cast<int>(m_charts.size()); }
    TimeChart* chart(int i) const { return m_charts[static_cast<std::size_t>(i)].chart; }
    QTableWidget* kpiTable() const { return m_kpis; }
    QTableWidget* eventTable() const { return m_events; }
    QTabWidget* tabs() const { return m_tabs; }
    ShardHeatmap* heatmap(int side) const { return m_sides[static_cast<std::size_t>(side)].heatmap; }
    RegionMap* regionMap(int side) const { return m_sides[static_cast<std::size_t>(side)].map; }
    // The snapshot the heatmap and map of a side show (the last at or before the cursor).
    SnapshotPtr shownSnapshot(int side) const;
    void setSideView(SideView view);
    SideView sideView() const { return m_sideView; }
    QString sideLabel(int side) const { return m_sides[static_cast<std::size_t>(side)].label; }

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
        std::vector<SnapshotPtr> snapshots;        // per snapshot time
        std::vector<v1::Event> events;
        double endS = 0.0;
        ShardHeatmap* heatmap = nullptr;
        RegionMap* map = nullptr;
        std::array<QWidget*, 2> columns{}; // by SideTab: the header and view of this run
        std::array<QLabel*, 2> headers{};
        std::ptrdiff_t shown = -1;                 // index of the snapshot the heatmap and map show
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
    enum class SideTab { Shards, Regions };
    // A tab of one view per run: the A | B switch, a "Colour by" selector, and per run a
    // header over the view `makeView(side)` makes.
    QWidget* buildSideTab(SideTab which, QComboBox* colourBy, const std::function<QWidget*(std::size_t)>& makeView);
    QWidget* buildShardTab();
    QWidget* buildRegionTab();
    QWidget* sideViewSwitch(QWidget* parent);
    void finishLoading();
    void fillEvents();
    void updateKpis();
    void updateSideViews();
    void updateSideHeaders(int side);
    void selectEventNear(double t);
    // Index of the side's last snapshot at or before t (the first when none is).
    std::ptrdiff_t snapshotIndexAt(int side, double t) const;

    std::unique_ptr<QTemporaryDir> m_files; // destroyed after the sources reading it
    std::array<Side, 2> m_sides;
    std::vector<v1::KpiTile> m_tiles;
    std::vector<Chart> m_charts;
    bool m_built = false;
    double m_cursorS = 0.0;
    double m_endS = 0.0;
    SideView m_sideView = SideView::Both;

    QLabel* m_header = nullptr;
    QLabel* m_cursorLabel = nullptr;
    QSlider* m_slider = nullptr;
    QTableWidget* m_kpis = nullptr;
    QTableWidget* m_events = nullptr;
    QWidget* m_chartArea = nullptr;
    QTabWidget* m_tabs = nullptr;
    QComboBox* m_shardMetric = nullptr;
    QComboBox* m_regionMeasure = nullptr;
    std::vector<QButtonGroup*> m_viewSwitches;
};

// ------------------------------------------------------------------ re-running in another mode

// The drill a console source runs or replays, with its seed.
struct DrillToCompare {
    drills::DrillSpec spec;
    std::uint64_t seed = 0;
};

// The drill of a replay (the recording's stored text and seed) or of an embedded drill
// run (its file or built-in name, read again, and its seed); an error saying why for a
// source that runs no drill.
absl::StatusOr<DrillToCompare> drillOf(const ClusterSource& source);

// One switch a drill's engines offer: the same drill with engine `engine`'s setting
// `setting` at `to` instead of `from` (the drill's value, or the engine's default when
// the drill sets none). Read from the engines' EngineFactory::modes(): nothing here
// knows an engine.
struct ModeSwitch {
    std::string engine;
    std::string setting;
    std::string from;
    std::string to;
    std::string description; // what the engine says the setting changes
    QString text() const;    // "Re-run this drill with messaging in mode upgraded (it runs legacy)"
};

// Every switch the drill's engines offer, in the drill's engine order.
std::vector<ModeSwitch> modeSwitches(const drills::DrillSpec& spec);
// Why a drill offers none (naming its engines); empty when it offers some.
QString noModeSwitchReason(const drills::DrillSpec& spec);
// The drill's text with engines.<engine>.<setting> set to `to`; the rest as written (a
// value already in the text is replaced in place, comments and positions kept).
absl::StatusOr<std::string> drillTextWith(const drills::DrillSpec& spec, const ModeSwitch& change);

// Simulates a drill twice at one seed — A as it is, B with a ModeSwitch — each run on a
// worker thread of its own, recorded to a temporary directory; then opens the
// CompareWindow over both recordings. Progress is the simulated time both runs reached;
// cancel() stops both at their next event (the recordings are dropped). GUI thread (the
// workers only run the worlds and report back through queued calls).
class ModeComparison final : public QObject {
    Q_OBJECT
public:
    ModeComparison(DrillToCompare drill, ModeSwitch change, QObject* parent = nullptr);
    ~ModeComparison() override; // cancels and waits for the workers

    // Builds both runs (a drill that does not build in the other mode is reported here,
    // "file:line:col: message") and starts simulating them.
    bool start(QString* error);
    void cancel();
    bool running() const { return m_running > 0; }
    bool cancelled() const { return m_cancel.load(); }
    double progress() const; // 0..1 over both runs
    QString labelA() const { return m_labels[0]; }
    QString labelB() const { return m_labels[1]; }
    // Once finished(true): a window over both recordings, which keeps their files.
    CompareWindow* openWindow(QString* error, QWidget* parent = nullptr);

    // File → Compare… with a mode switch: starts the runs under a progress dialog over
    // `parent` (its Cancel stops them) and opens the comparison when both ended. nullptr
    // and `error` when the runs cannot be built. The object deletes itself when done.
    static ModeComparison* runWithProgress(DrillToCompare drill, ModeSwitch change, QWidget* parent, QString* error);

signals:
    void progressed(double fraction);
    // Both runs ended (ok), one failed (the error), or cancel() stopped them.
    void finished(bool ok, const QString& error);
    // runWithProgress(): the window it opened.
    void windowOpened(livedeck::ui::CompareWindow* window);

private:
    struct Job {
        std::unique_ptr<drills::DrillRun> run;
        std::thread worker;
        std::atomic<double> fraction{0.0};
        std::string error;                   // set by the worker before it reports
        QString path;
    };
    void work(int side);
    void onJobEnded();

    DrillToCompare m_drill;
    ModeSwitch m_change;
    std::array<QString, 2> m_labels;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::array<Job, 2> m_jobs;
    std::atomic<bool> m_cancel{false};
    int m_running = 0;
    bool m_failed = false;
    QTimer* m_tick = nullptr;
};

// File → Compare…: what the console's current source can be compared with — two
// recordings, or the current drill re-run in another mode of one of its engines. A drill
// whose engines offer no mode switch (or a source that runs no drill) says so under the
// list instead of offering an entry.
class CompareChooser final : public QDialog {
    Q_OBJECT
public:
    explicit CompareChooser(const ClusterSource* source, QWidget* parent = nullptr);

    QListWidget* choices() const { return m_list; }
    QString note() const;
    // After exec(): -1 for two recordings, else the index into modeSwitches().
    int chosen() const;
    const std::vector<ModeSwitch>& modeSwitches() const { return m_switches; }
    // The current drill (valid when modeSwitches() is not empty).
    const DrillToCompare& drill() const { return m_drill; }

private:
    QListWidget* m_list = nullptr;
    QLabel* m_note = nullptr;
    DrillToCompare m_drill;
    std::vector<ModeSwitch> m_switches;
};

} // namespace livedeck::ui

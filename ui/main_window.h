// MainWindow: the console. Dashboards are dock widgets around the charts (Overview on
// top; regions, inspector and faults on the left; breakers and shards on the right;
// event log and developer panel below), their layout saved and restored with
// QSettings. Menus: File (open recording, live world, open drill, attach, quit), Run (play/pause, step,
// step to kind, run until, speed, load, operator actions), Faults, View (panels,
// reset layout), Help. Shortcuts: Space play/pause, S or F10 step, Ctrl+O open a
// recording, Ctrl+D open a drill file, Ctrl+I inject a fault, Ctrl+U run until, Ctrl+K step to kind, Ctrl+L
// live world, +/- speed, F1 help. The status bar shows the connection state, the
// simulated clock with its calendar time, and the speed (requested and measured).
// When the source goes stale a red banner under the toolbar names it and counts the
// silence, every panel is dimmed and the clocks are marked until data flow again.
// A replay toolbar with a time slider appears when the source can seek.
//
// Ownership: the window owns its panels and hub; setSource() takes a source (owned
// by the window from then on). GUI thread.
#pragma once

#include "ui/cluster_source.h"

#include <QMainWindow>
#include <QPointer>

#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QAction;
class QActionGroup;
class QComboBox;
class QDockWidget;
class QTabWidget;
class QLabel;
class QScrollArea;
class QSlider;
class QTimer;
class QToolBar;
QT_END_NAMESPACE

namespace livedeck::ui {

class AlertsPanel;
class CompareWindow;
class BreakerPanel;
class ChartsPanel;
class DashboardHub;
class DeveloperPanel;
class DrillPanel;
class EventLogPanel;
class FaultDialog;
class FaultsPanel;
class InspectorPanel;
class OverviewPanel;
class RegionPanel;
class ShardPanel;

struct MainWindowOptions {
    bool useSettings = true; // restore and save geometry and dock layout (QSettings)
    // A source set before the window's first frame starts once that frame is painted
    // (at the latest 1 s after it was set): the first paint of a fresh 1920×1080 window
    // is the console's longest GUI-thread stall, and a world started before it would run
    // (at "max": race) while the GUI cannot follow. The program sets it; tests driving a
    // window that is never shown keep sources starting at once.
    bool startSourceAfterFirstFrame = false;
    int firstFrameFallbackMs = 1000; // start anyway after this long without a frame
};

class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    using SourceFactory = std::function<std::unique_ptr<ClusterSource>()>;
    // Builds a source running a drill (a file path or a built-in drill's name).
    using DrillFactory = std::function<std::unique_ptr<ClusterSource>(const QString& fileOrName, QString* error)>;
    static constexpr double kSpeeds[] = {0.1, 0.5, 1, 2, 5, 10, 100, 1000, 0};

    explicit MainWindow(MainWindowOptions options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Replaces the data source (the window owns it) and starts it.
    void setSource(std::unique_ptr<ClusterSource> source);
    ClusterSource* source() const { return m_source.get(); }
    // How File → Live world builds an embedded world.
    void setLiveFactory(SourceFactory factory) { m_liveFactory = std::move(factory); }
    // Opens a recording for replay; false (and a message) when it cannot be read.
    bool openRecording(const QString& path, QString* error = nullptr);
    // File → Compare recordings…: a CompareWindow over two recordings (nullptr and
    // `error` when one cannot be read).
    CompareWindow* openComparison(const QString& pathA, const QString& pathB, QString* error = nullptr);
    void startLive();
    // How the Drill panel and File → Open drill build a drill run.
    void setDrillFactory(DrillFactory factory, const QStringList& builtinDrills = {}, const QString& current = {});
    // Replaces the source by a run of the drill; false (and a message) when it cannot be built.
    bool openDrill(const QString& fileOrName, QString* error = nullptr);
    // How File → Attach… and --attach build a remote source (RemoteCluster lives in
    // livedeck_ui_remote, which the program links): (HOST:PORT, token file or empty).
    using AttachFactory =
        std::function<std::unique_ptr<ClusterSource>(const QString& address, const QString& tokenFile, QString* error)>;
    void setAttachFactory(AttachFactory factory);
    // Replay only: re-runs the recorded drill and seed in an embedded world for exactly
    // as many events as the recorded snapshot at the cursor had run (same trace hash),
    // and pauses there (Run → Re-simulate to here, Ctrl+R); false and a message when the
    // source is not a drill recording.
    bool resimulateToCursor(QString* error = nullptr);
    // Replaces the source by a remote cluster; false (and a message) when it cannot be built.
    bool attach(const QString& address, const QString& tokenFile, QString* error = nullptr);

    DashboardHub* hub() const { return m_hub; }
    OverviewPanel* overview() const { return m_overview; }
    BreakerPanel* breakers() const { return m_breakers; }
    ShardPanel* shards() const { return m_shards; }
    RegionPanel* regions() const { return m_regions; }
    ChartsPanel* charts() const { return m_charts; }
    InspectorPanel* inspector() const { return m_inspector; }
    EventLogPanel* eventLog() const { return m_events; }
    FaultsPanel* faults() const { return m_faults; }
    DeveloperPanel* developer() const { return m_developer; }
    DrillPanel* drill() const { return m_drill; }
    AlertsPanel* alerts() const { return m_alerts; }
    QAction* playPauseAction() const { return m_playPause; }
    QAction* stepAction() const { return m_step; }
    QString statusConnectionText() const;
    QString statusClockText() const;
    QString statusSpeedText() const;
    // Stale data (the source stopped delivering): a red banner naming the source and how
    // long it has been silent, every panel dimmed, the clocks marked.
    bool staleShown() const;
    QString staleBannerText() const;
    bool panelsDimmed() const;

    // Opens the fault dialog targeting `target` (non-modal; injects on accept).
    FaultDialog* showFaultDialog(const QString& target);
    // Puts docks back where the default layout has them (by object name: "dock.overview",
    // "dock.regions", ...). Below 1600 × 1000 available pixels the side docks are tabbed
    // (compact layout).
    void applyDefaultLayout();
    bool compactLayout() const { return m_compactLayout; }
    // Sizes and moves the window so its frame lies within the screen's available area.
    void fitToScreen();
    // A dock by object name; an engine view's name ("dock.engine.cdn.caches") gives its
    // engine's dock. nullptr when unknown.
    QDockWidget* dock(const QString& objectName) const;
    // Raises the dock of the engine view named `objectName` (or holding `view`) and
    // selects the view's tab; returns that dock, nullptr when unknown.
    QDockWidget* showEngineView(const QString& objectName);
    QDockWidget* showEngineView(const QWidget* view);

    // Whether the current source has been started (see startSourceAfterFirstFrame).
    bool sourceStarted() const { return m_source && !m_startPending; }

protected:
    void closeEvent(QCloseEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void buildDocks();
    QRect availableScreenGeometry() const;
    static QScrollArea* scrolling(QWidget* panel, QWidget* parent);
    void buildActions();
    void buildStatusBar();
    void buildReplayBar();
    void buildStaleBanner();
    void setStale(bool stale);
    void updateStaleText();
    QDockWidget* addPanelDock(QWidget* panel, const QString& title, const QString& objectName, Qt::DockWidgetArea area,
                              const QString& tooltip);
    void updateCapabilities();
    void onSnapshot(const SnapshotPtr& snapshot);
    void onConnection(ConnectionState state, const QString& detail);
    void onCommandFinished(quint64 token, bool ok, const QString& message);
    void togglePlay();
    void changeSpeed(int delta);
    void setSpeedIndex(int index);
    void stepToKindDialog();
    void runUntilDialog();
    void setLoadDialog();
    void operatorActionDialog();
    void openRecordingDialog();
    void compareDialog();
    void attachDialog();
    void showHelp();
    void restoreSettings();
    void saveSettings();

    MainWindowOptions m_options;
    bool m_framePainted = false; // the window's first frame has been painted
    bool m_startPending = false; // the current source waits for that frame
    void startSource();
    DashboardHub* m_hub;
    std::unique_ptr<ClusterSource> m_source;
    SourceFactory m_liveFactory;
    DrillFactory m_drillFactory;
    AttachFactory m_attachFactory;
    QAction* m_attach = nullptr;
    QAction* m_resimulate = nullptr;
    std::vector<QMetaObject::Connection> m_sourceConnections;

    OverviewPanel* m_overview = nullptr;
    BreakerPanel* m_breakers = nullptr;
    ShardPanel* m_shards = nullptr;
    RegionPanel* m_regions = nullptr;
    ChartsPanel* m_charts = nullptr;
    InspectorPanel* m_inspector = nullptr;
    EventLogPanel* m_events = nullptr;
    FaultsPanel* m_faults = nullptr;
    DeveloperPanel* m_developer = nullptr;
    DrillPanel* m_drill = nullptr;
    AlertsPanel* m_alerts = nullptr;
    QList<QDockWidget*> m_docks;
    // Engine views (ui/engine_views.h): their docks, by the engine they belong to.
    // One dock per engine, its views as tabs (so the bottom area keeps one tab per engine).
    struct EngineDock {
        std::string engine;
        QDockWidget* dock = nullptr;
        QTabWidget* tabs = nullptr;
        std::vector<std::pair<QString, QWidget*>> views; // view object name → its tab page
        bool offered = false; // the run's topology describes the engine
    };
    std::vector<EngineDock> m_engineDocks;
    void updateEngineDocks();
    QByteArray m_defaultState;
    bool m_compactLayout = false;
    bool m_shownOnce = false;

    QAction* m_openRecording = nullptr;
    QAction* m_live = nullptr;
    QAction* m_openDrill = nullptr;
    QAction* m_playPause = nullptr;
    QAction* m_step = nullptr;
    QAction* m_stepKind = nullptr;
    QAction* m_runUntil = nullptr;
    QAction* m_faster = nullptr;
    QAction* m_slower = nullptr;
    QAction* m_injectFault = nullptr;
    QAction* m_clearFaults = nullptr;
    QAction* m_setLoad = nullptr;
    QAction* m_operatorAction = nullptr;
    QActionGroup* m_speedGroup = nullptr;
    QComboBox* m_speedCombo = nullptr;
    QToolBar* m_replayBar = nullptr;
    QSlider* m_replaySlider = nullptr;
    QLabel* m_replayLabel = nullptr;
    QTimer* m_seekTimer = nullptr;
    bool m_sliderFromSnapshot = false;

    QToolBar* m_staleBar = nullptr;
    QLabel* m_staleLabel = nullptr;
    QTimer* m_staleTicker = nullptr;
    bool m_stale = false;

    QLabel* m_connection = nullptr;
    QLabel* m_clock = nullptr;
    QLabel* m_speed = nullptr;
    QLabel* m_rate = nullptr;

    bool m_paused = true;
    int m_speedIndex = 2; // ×1
    std::vector<std::uint64_t> m_faultTokens;
    QStringList m_eventKinds;
};

} // namespace livedeck::ui

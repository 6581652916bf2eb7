#include "ui/main_window.h"

#include "ui/alerts_panel.h"
#include "ui/breaker_panel.h"
#include "ui/charts_panel.h"
#include "ui/compare_window.h"
#include "ui/command_dialogs.h"
#include "ui/dashboard_hub.h"
#include "ui/developer_panel.h"
#include "ui/drill_source.h"
#include "ui/drill_panel.h"
#include "ui/engine_descriptors.h"
#include "ui/engine_views.h"
#include "ui/event_log_panel.h"
#include "ui/fault_dialog.h"
#include "ui/faults_panel.h"
#include "ui/format.h"
#include "ui/inspector_panel.h"
#include "ui/logging.h"
#include "ui/overview_panel.h"
#include "ui/paint_util.h"
#include "ui/region_panel.h"
#include "ui/replay_cluster.h"
#include "ui/shard_panel.h"

#include <QAction>
#include <QFileInfo>
#include <QGuiApplication>
#include <QScreen>
#include <QScrollArea>
#include <QTabWidget>
#include <QWindow>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGraphicsOpacityEffect>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QStatusBar>
#include <QTextBrowser>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace livedeck::ui {
namespace {

constexpr int kSpeedCount = static_cast<int>(std::size(MainWindow::kSpeeds));

QAction* makeAction(QObject* parent, const QString& text, const QString& tip, const QList<QKeySequence>& keys = {})
{
    auto* a = new QAction(text, parent);
    a->setToolTip(keys.isEmpty() ? tip : tip + QStringLiteral(" (") + keys.front().toString(QKeySequence::NativeText) + QLatin1Char(')'));
    a->setStatusTip(tip);
    if (!keys.isEmpty())
        a->setShortcuts(keys);
    return a;
}

} // namespace

MainWindow::MainWindow(MainWindowOptions options, QWidget* parent) : QMainWindow(parent), m_options(options), m_hub(new DashboardHub(this))
{
    setWindowTitle(tr("livedeck"));
    setObjectName(QStringLiteral("livedeckMainWindow"));
    setDockNestingEnabled(true);
    setCorner(Qt::TopLeftCorner, Qt::TopDockWidgetArea);
    setCorner(Qt::TopRightCorner, Qt::TopDockWidgetArea);
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    buildDocks();
    buildActions();
    buildStatusBar();
    buildReplayBar();
    buildStaleBanner();
    connect(m_hub, &DashboardHub::snapshotApplied, this, &MainWindow::onSnapshot);
    connect(m_hub, &DashboardHub::faultRequested, this, [this](const QString& target) { showFaultDialog(target); });
    connect(m_hub, &DashboardHub::timeSelected, this, [this](qint64 t) {
        statusBar()->showMessage(tr("Selected time %1 (%2)").arg(formatSimTime(t), formatSimSeconds(t)), 5000);
    });
    connect(m_faults, &FaultsPanel::injectRequested, this, [this] { showFaultDialog(QString()); });
    m_developer->attachSource(nullptr);
    fitToScreen();
    m_defaultState = saveState();
    if (m_options.useSettings)
        restoreSettings();
    fitToScreen(); // a saved geometry from a larger screen must not hang off this one
    updateCapabilities();
}

MainWindow::~MainWindow()
{
    m_hub->setSource(nullptr);
    m_developer->attachSource(nullptr);
    if (m_source)
        m_source->stop();
}

QScrollArea* MainWindow::scrolling(QWidget* panel, QWidget* parent)
{
    auto* scroll = new QScrollArea(parent);
    scroll->setObjectName(QStringLiteral("scroll.") + QString::fromLatin1(panel->metaObject()->className()));
    scroll->setWidget(panel);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    return scroll;
}

QDockWidget* MainWindow::addPanelDock(QWidget* panel, const QString& title, const QString& objectName, Qt::DockWidgetArea area,
                                      const QString& tooltip)
{
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(objectName);
    // In a scroll area: a dock smaller than its panel's minimum scrolls instead of
    // pushing the window past the screen (the minimum sizes add up across docks).
    dock->setWidget(scrolling(panel, dock));
    dock->setToolTip(tooltip);
    dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(area, dock);
    m_docks.push_back(dock);
    return dock;
}

void MainWindow::buildDocks()
{
    m_charts = new ChartsPanel(m_hub, this);
    m_charts->setToolTip(QString());
    setCentralWidget(scrolling(m_charts, this));
    m_overview = new OverviewPanel(m_hub);
    m_regions = new RegionPanel(m_hub);
    m_inspector = new InspectorPanel(m_hub);
    m_faults = new FaultsPanel(m_hub);
    m_breakers = new BreakerPanel(m_hub);
    m_shards = new ShardPanel(m_hub);
    m_events = new EventLogPanel(m_hub);
    m_developer = new DeveloperPanel(m_hub);
    m_drill = new DrillPanel(m_hub);
    m_alerts = new AlertsPanel(m_hub);
    addPanelDock(m_overview, tr("Overview"), QStringLiteral("dock.overview"), Qt::TopDockWidgetArea,
                 tr("Key figures, the simulated clock, speed and drill progress"));
    addPanelDock(m_regions, tr("Regions"), QStringLiteral("dock.regions"), Qt::LeftDockWidgetArea,
                 tr("Region health map: click a region for its charts"));
    addPanelDock(m_inspector, tr("Inspector"), QStringLiteral("dock.inspector"), Qt::LeftDockWidgetArea,
                 tr("Live state of every component"));
    addPanelDock(m_faults, tr("Faults"), QStringLiteral("dock.faults"), Qt::LeftDockWidgetArea, tr("Faults in force; inject and clear"));
    addPanelDock(m_breakers, tr("Circuit breakers"), QStringLiteral("dock.breakers"), Qt::RightDockWidgetArea,
                 tr("Every circuit breaker, coloured by state"));
    addPanelDock(m_shards, tr("Shard load"), QStringLiteral("dock.shards"), Qt::RightDockWidgetArea,
                 tr("Shard × month-partition heatmap and skew"));
    addPanelDock(m_events, tr("Event log"), QStringLiteral("dock.events"), Qt::BottomDockWidgetArea, tr("Events of the run"));
    addPanelDock(m_developer, tr("Developer"), QStringLiteral("dock.developer"), Qt::BottomDockWidgetArea,
                 tr("Event queue, step, step to kind, run until"));
    QDockWidget* drillDock = addPanelDock(m_drill, tr("Drill"), QStringLiteral("dock.drill"), Qt::BottomDockWidgetArea,
                                          tr("The drill: fault timeline, expectations, report; blind mode for trainers"));
    QDockWidget* alertsDock = addPanelDock(m_alerts, tr("Alerts"), QStringLiteral("dock.alerts"), Qt::BottomDockWidgetArea,
                                           tr("Alerts to acknowledge and the engines' review queues"));
    connect(m_alerts, &AlertsPanel::unacknowledgedChanged, alertsDock, [alertsDock](int n) {
        alertsDock->setWindowTitle(n > 0 ? tr("Alerts (%1)").arg(n) : tr("Alerts"));
    });
    connect(m_drill, &DrillPanel::drillRequested, this, [this](const QString& fileOrName) {
        QString error;
        if (!openDrill(fileOrName, &error))
            QMessageBox::warning(this, tr("Cannot open drill"), error);
    });
    Q_UNUSED(drillDock);
    for (DashboardPanel* p : std::initializer_list<DashboardPanel*>{m_overview, m_charts, m_regions, m_inspector, m_faults,
                                                                  m_breakers, m_shards, m_events, m_developer, m_drill,
                                                                  m_alerts})
        m_hub->addPanel(p);
    for (EngineView& v : engineViews()) {
        auto group = std::find_if(m_engineDocks.begin(), m_engineDocks.end(),
                                  [&v](const EngineDock& e) { return e.engine == v.engine; });
        if (group == m_engineDocks.end()) {
            EngineDock e;
            e.engine = v.engine;
            e.dock = new QDockWidget(QString::fromStdString(v.engine), this);
            e.dock->setObjectName(QStringLiteral("dock.engine.") + QString::fromStdString(v.engine));
            e.dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                                QDockWidget::DockWidgetFloatable);
            e.tabs = new QTabWidget(e.dock);
            e.tabs->setObjectName(e.dock->objectName() + QStringLiteral(".tabs"));
            e.tabs->setDocumentMode(true);
            e.dock->setWidget(e.tabs);
            e.dock->toggleViewAction()->setVisible(false); // until a run of its engine
            addDockWidget(Qt::BottomDockWidgetArea, e.dock);
            m_docks.push_back(e.dock);
            m_engineDocks.push_back(std::move(e));
            group = std::prev(m_engineDocks.end());
        }
        EngineViewPanel* panel = v.make(m_hub);
        QScrollArea* page = scrolling(panel, group->tabs);
        const int tab = group->tabs->addTab(page, v.title);
        group->tabs->setTabToolTip(tab, v.tooltip);
        group->views.emplace_back(v.objectName, page);
        m_hub->addPanel(panel);
    }
    connect(m_hub, &DashboardHub::topologyApplied, this, &MainWindow::updateEngineDocks);
    applyDefaultLayout();
}

void MainWindow::updateEngineDocks()
{
    // A view is offered while its engine runs; a newly offered one shows once, so an
    // operator who closed it keeps it closed for the rest of the run.
    const v1::Topology& t = m_hub->topology();
    for (EngineDock& e : m_engineDocks) {
        const v1::EngineDescriptor* d = engineNamed(t, e.engine);
        const bool present = d != nullptr;
        if (d && !d->title().empty())
            e.dock->setWindowTitle(QString::fromStdString(d->title()));
        e.dock->toggleViewAction()->setVisible(present);
        if (present && !e.offered)
            e.dock->show();
        else if (!present)
            e.dock->hide();
        e.offered = present;
    }
    // The Overview grows to show every engine's row of tiles (several engines stack);
    // measured once the rebuilt tiles have been laid out.
    QTimer::singleShot(0, this, [this] {
        QDockWidget* overview = dock(QStringLiteral("dock.overview"));
        if (!overview || overview->isFloating() || !overview->isVisible())
            return;
        const int chrome = overview->height() - overview->widget()->height(); // title bar, margins
        const int need = m_overview->sizeHint().height() + chrome + 4;
        if (overview->height() < need && need < height() / 3)
            resizeDocks({overview}, {need}, Qt::Vertical);
    });
}

QDockWidget* MainWindow::dock(const QString& objectName) const
{
    for (QDockWidget* d : m_docks) {
        if (d->objectName() == objectName)
            return d;
    }
    for (const EngineDock& e : m_engineDocks) {
        for (const auto& [name, page] : e.views) {
            if (name == objectName)
                return e.dock;
        }
    }
    return nullptr;
}

QDockWidget* MainWindow::showEngineView(const QString& objectName)
{
    for (EngineDock& e : m_engineDocks) {
        for (const auto& [name, page] : e.views) {
            if (name != objectName)
                continue;
            e.dock->show();
            e.dock->raise();
            e.tabs->setCurrentWidget(page);
            return e.dock;
        }
    }
    return nullptr;
}

QDockWidget* MainWindow::showEngineView(const QWidget* view)
{
    for (EngineDock& e : m_engineDocks) {
        for (const auto& [name, page] : e.views) {
            if (page == view || page->isAncestorOf(view))
                return showEngineView(name);
        }
    }
    return nullptr;
}

QRect MainWindow::availableScreenGeometry() const
{
    const QScreen* s = screen();
    if (!s)
        s = QGuiApplication::primaryScreen();
    return s ? s->availableGeometry() : QRect(0, 0, 1920, 1080);
}

void MainWindow::applyDefaultLayout()
{
    // Docks by name, so adding a dock never reshuffles the others.
    QDockWidget* overview = dock(QStringLiteral("dock.overview"));
    QDockWidget* regions = dock(QStringLiteral("dock.regions"));
    QDockWidget* inspector = dock(QStringLiteral("dock.inspector"));
    QDockWidget* faults = dock(QStringLiteral("dock.faults"));
    QDockWidget* breakers = dock(QStringLiteral("dock.breakers"));
    QDockWidget* shards = dock(QStringLiteral("dock.shards"));
    QDockWidget* events = dock(QStringLiteral("dock.events"));
    QDockWidget* developer = dock(QStringLiteral("dock.developer"));
    QDockWidget* drill = dock(QStringLiteral("dock.drill"));
    QDockWidget* alerts = dock(QStringLiteral("dock.alerts"));
    for (QDockWidget* d : m_docks) {
        d->setFloating(false);
        d->show();
    }
    for (EngineDock& e : m_engineDocks) {
        addDockWidget(Qt::BottomDockWidgetArea, e.dock);
        e.dock->setVisible(e.offered);
    }
    const QRect avail = availableScreenGeometry();
    // Compact below 1600 × 1000 available pixels (a 1366 × 768 laptop): the side docks
    // become one tab stack each, so every panel still has room to be read.
    m_compactLayout = avail.width() < 1600 || avail.height() < 1000;
    m_overview->setCompact(m_compactLayout);
    addDockWidget(Qt::TopDockWidgetArea, overview);
    addDockWidget(Qt::LeftDockWidgetArea, regions);
    addDockWidget(Qt::LeftDockWidgetArea, inspector);
    tabifyDockWidget(inspector, faults);
    addDockWidget(Qt::RightDockWidgetArea, breakers);
    addDockWidget(Qt::RightDockWidgetArea, shards);
    if (m_compactLayout) {
        tabifyDockWidget(regions, inspector);
        tabifyDockWidget(regions, faults);
        tabifyDockWidget(breakers, shards);
    }
    addDockWidget(Qt::BottomDockWidgetArea, events);
    tabifyDockWidget(events, drill);
    tabifyDockWidget(events, alerts);
    tabifyDockWidget(events, developer);
    for (EngineDock& e : m_engineDocks)
        tabifyDockWidget(events, e.dock);
    if (m_compactLayout) {
        regions->raise();
        breakers->raise();
    } else {
        inspector->raise();
    }
    drill->raise();
    const int side = m_compactLayout ? std::max(280, avail.width() / 5) : 460;
    resizeDocks({regions, breakers}, {side, m_compactLayout ? side : 600}, Qt::Horizontal);
    resizeDocks({overview, events}, m_compactLayout ? QList<int>{190, 150} : QList<int>{230, 220}, Qt::Vertical);
    if (!m_compactLayout)
        resizeDocks({regions, inspector, breakers, shards}, {380, 300, 420, 300}, Qt::Vertical);
}

void MainWindow::fitToScreen()
{
    const QRect avail = availableScreenGeometry();
    // The frame the window system adds (known once the native window exists).
    const QMargins frame = windowHandle() ? windowHandle()->frameMargins() : QMargins();
    const QSize room(avail.width() - frame.left() - frame.right(), avail.height() - frame.top() - frame.bottom());
    // The whole available area: a console of many dashboards wants the room.
    resize(room.expandedTo(minimumSizeHint()).boundedTo(room));
    QRect g = frameGeometry();
    if (!avail.contains(g)) {
        g.moveLeft(std::clamp(g.left(), avail.left(), std::max(avail.left(), avail.right() - g.width() + 1)));
        g.moveTop(std::clamp(g.top(), avail.top(), std::max(avail.top(), avail.bottom() - g.height() + 1)));
        move(g.topLeft());
    }
}

void MainWindow::buildActions()
{
    // File
    QMenu* file = menuBar()->addMenu(tr("&File"));
    m_openRecording = makeAction(this, tr("&Open recording…"), tr("Replay a run recording (.ldrec)"), {QKeySequence::Open});
    connect(m_openRecording, &QAction::triggered, this, &MainWindow::openRecordingDialog);
    file->addAction(m_openRecording);
    QAction* compare = makeAction(this, tr("&Compare…"),
                                  tr("Two runs on one time axis — two recordings, or this drill re-run in another mode "
                                     "of one of its engines: charts overlaid, KPIs side by side, events merged"),
                                  {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O)});
    connect(compare, &QAction::triggered, this, &MainWindow::compareDialog);
    file->addAction(compare);
    m_live = makeAction(this, tr("&Live world"), tr("Start a fresh embedded world"), {QKeySequence(Qt::CTRL | Qt::Key_L)});
    connect(m_live, &QAction::triggered, this, &MainWindow::startLive);
    file->addAction(m_live);
    m_openDrill = makeAction(this, tr("Open &drill…"), tr("Run a drill file (YAML)"), {QKeySequence(Qt::CTRL | Qt::Key_D)});
    connect(m_openDrill, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open drill"), QString(), tr("Drill files (*.yaml *.yml);;All files (*)"));
        QString error;
        if (!path.isEmpty() && !openDrill(path, &error))
            QMessageBox::warning(this, tr("Cannot open drill"), error);
    });
    file->addAction(m_openDrill);
    m_attach = makeAction(this, tr("&Attach…"), tr("Attach to a remote cluster (a livedeckd node) over gRPC"),
                          {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A)});
    connect(m_attach, &QAction::triggered, this, &MainWindow::attachDialog);
    m_attach->setEnabled(false); // until the program gives an attach factory
    file->addAction(m_attach);
    file->addSeparator();
    QAction* quit = makeAction(this, tr("&Quit"), tr("Close livedeck"), {QKeySequence::Quit});
    connect(quit, &QAction::triggered, this, &QWidget::close);
    file->addAction(quit);

    // Run
    QMenu* run = menuBar()->addMenu(tr("&Run"));
    m_playPause = makeAction(this, tr("&Play / pause"), tr("Run or pause the world"), {QKeySequence(Qt::Key_Space)});
    connect(m_playPause, &QAction::triggered, this, &MainWindow::togglePlay);
    m_step = makeAction(this, tr("&Step"), tr("Pause and run exactly one event"), {QKeySequence(Qt::Key_S), QKeySequence(Qt::Key_F10)});
    connect(m_step, &QAction::triggered, this, [this] {
        if (m_source)
            m_source->step(1);
    });
    m_stepKind = makeAction(this, tr("Step to &kind…"), tr("Run to the next event of a kind, then pause"),
                            {QKeySequence(Qt::CTRL | Qt::Key_K)});
    connect(m_stepKind, &QAction::triggered, this, &MainWindow::stepToKindDialog);
    m_runUntil = makeAction(this, tr("Run &until…"), tr("Run to a simulated time, then pause"), {QKeySequence(Qt::CTRL | Qt::Key_U)});
    connect(m_runUntil, &QAction::triggered, this, &MainWindow::runUntilDialog);
    m_faster = makeAction(this, tr("&Faster"), tr("Next speed step"), {QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal)});
    connect(m_faster, &QAction::triggered, this, [this] { changeSpeed(+1); });
    m_slower = makeAction(this, tr("S&lower"), tr("Previous speed step"), {QKeySequence(Qt::Key_Minus)});
    connect(m_slower, &QAction::triggered, this, [this] { changeSpeed(-1); });
    run->addAction(m_playPause);
    run->addAction(m_step);
    run->addAction(m_stepKind);
    run->addAction(m_runUntil);
    m_resimulate = makeAction(this, tr("&Re-simulate to here"),
                              tr("Re-run the recorded drill with its seed in an embedded world and pause exactly "
                                 "where the snapshot shown at the replay cursor was taken (same event count and trace "
                                 "hash): a live state there, to step and inspect"),
                              {QKeySequence(Qt::CTRL | Qt::Key_R)});
    connect(m_resimulate, &QAction::triggered, this, [this] {
        QString error;
        if (!resimulateToCursor(&error))
            QMessageBox::warning(this, tr("Cannot re-simulate"), error);
    });
    run->addAction(m_resimulate);
    run->addSeparator();
    QMenu* speed = run->addMenu(tr("S&peed"));
    m_speedGroup = new QActionGroup(this);
    for (int i = 0; i < kSpeedCount; ++i) {
        QAction* a = speed->addAction(formatSpeed(kSpeeds[i]));
        a->setCheckable(true);
        a->setChecked(i == m_speedIndex);
        a->setToolTip(kSpeeds[i] > 0 ? tr("%1 simulated seconds per wall second").arg(kSpeeds[i]) : tr("As fast as possible"));
        m_speedGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, i] { setSpeedIndex(i); });
    }
    run->addAction(m_faster);
    run->addAction(m_slower);
    run->addSeparator();
    m_setLoad = makeAction(this, tr("Set &load…"), tr("Change an engine's load profile or multiplier"));
    connect(m_setLoad, &QAction::triggered, this, &MainWindow::setLoadDialog);
    m_operatorAction = makeAction(this, tr("&Operator action…"), tr("An action the run's engines declare (shed load, drain a region, …)"));
    connect(m_operatorAction, &QAction::triggered, this, &MainWindow::operatorActionDialog);
    run->addAction(m_setLoad);
    run->addAction(m_operatorAction);

    // Faults
    QMenu* faults = menuBar()->addMenu(tr("F&aults"));
    m_injectFault = makeAction(this, tr("&Inject fault…"), tr("Inject a fault from the vocabulary"), {QKeySequence(Qt::CTRL | Qt::Key_I)});
    connect(m_injectFault, &QAction::triggered, this, [this] { showFaultDialog(m_inspector->selectedPath()); });
    m_clearFaults = makeAction(this, tr("&Clear all faults"), tr("Clear every fault in force"));
    connect(m_clearFaults, &QAction::triggered, this, [this] { m_faults->clearAll(); });
    faults->addAction(m_injectFault);
    faults->addAction(m_clearFaults);

    // View
    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* d : m_docks)
        view->addAction(d->toggleViewAction());
    view->addSeparator();
    QAction* reset = makeAction(this, tr("&Reset layout"), tr("Put every panel back in its default place"));
    connect(reset, &QAction::triggered, this, [this] {
        restoreState(m_defaultState);
        applyDefaultLayout();
        fitToScreen();
    });
    view->addAction(reset);

    // Help
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* helpAction = makeAction(this, tr("&Help"), tr("Panels, shortcuts and the data source contract"), {QKeySequence::HelpContents});
    connect(helpAction, &QAction::triggered, this, &MainWindow::showHelp);
    help->addAction(helpAction);
    QAction* about = makeAction(this, tr("&About livedeck"), tr("Version and licence"));
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About livedeck"),
                           tr("<b>livedeck</b> %1<br>Control console for a live-streaming backend.<br>GPL-3.0-or-later.")
                               .arg(QApplication::applicationVersion()));
    });
    help->addAction(about);

    // Toolbar
    QToolBar* bar = new FlatToolBar(tr("Run"), this);
    addToolBar(bar);
    bar->setObjectName(QStringLiteral("toolbar.run"));
    bar->addAction(m_playPause);
    bar->addAction(m_step);
    bar->addAction(m_stepKind);
    bar->addAction(m_runUntil);
    bar->addSeparator();
    bar->addWidget(new QLabel(tr(" Speed "), bar));
    m_speedCombo = new QComboBox(bar);
    for (int i = 0; i < kSpeedCount; ++i)
        m_speedCombo->addItem(formatSpeed(kSpeeds[i]));
    m_speedCombo->setCurrentIndex(m_speedIndex);
    m_speedCombo->setToolTip(tr("Simulated seconds per wall second (+ / - to change)"));
    connect(m_speedCombo, &QComboBox::activated, this, &MainWindow::setSpeedIndex);
    bar->addWidget(m_speedCombo);
    bar->addSeparator();
    bar->addAction(m_injectFault);
    bar->addAction(m_openRecording);
}

void MainWindow::buildStatusBar()
{
    m_connection = new QLabel(this);
    m_connection->setToolTip(tr("Where the data come from and whether they are fresh"));
    m_clock = new QLabel(this);
    m_clock->setToolTip(tr("Simulated time and its calendar time"));
    m_speed = new QLabel(this);
    m_speed->setToolTip(tr("Requested speed, measured simulated seconds per wall second"));
    m_rate = new QLabel(this);
    m_rate->setToolTip(tr("Scheduler events per wall second"));
    QFont mono = m_clock->font();
    mono.setStyleHint(QFont::Monospace);
    mono.setFamily(QStringLiteral("monospace"));
    m_clock->setFont(mono);
    statusBar()->addPermanentWidget(m_connection);
    statusBar()->addPermanentWidget(m_clock);
    statusBar()->addPermanentWidget(m_speed);
    statusBar()->addPermanentWidget(m_rate);
    onConnection(ConnectionState::Disconnected, {});
}

void MainWindow::buildReplayBar()
{
    m_replayBar = new FlatToolBar(tr("Replay"), this);
    m_replayBar->setObjectName(QStringLiteral("toolbar.replay"));
    m_replayBar->addWidget(new QLabel(tr(" Replay "), m_replayBar));
    m_replaySlider = new QSlider(Qt::Horizontal, m_replayBar);
    m_replaySlider->setToolTip(tr("Drag to move through the recording; the dashboards follow"));
    m_replaySlider->setMinimumWidth(500);
    m_replayBar->addWidget(m_replaySlider);
    m_replayLabel = new QLabel(m_replayBar);
    m_replayBar->addWidget(m_replayLabel);
    m_replayBar->addAction(m_resimulate);
    addToolBar(Qt::BottomToolBarArea, m_replayBar);
    m_replayBar->hide();
    m_seekTimer = new QTimer(this);
    m_seekTimer->setSingleShot(true);
    m_seekTimer->setInterval(30);
    connect(m_seekTimer, &QTimer::timeout, this, [this] {
        if (m_source && m_source->can(ClusterSource::Seek))
            m_source->seek(static_cast<std::int64_t>(m_replaySlider->value()) * 1'000'000);
    });
    connect(m_replaySlider, &QSlider::valueChanged, this, [this](int ms) {
        m_replayLabel->setText(QStringLiteral("  ") + formatSimTime(static_cast<std::int64_t>(ms) * 1'000'000) + QStringLiteral("  "));
        if (!m_sliderFromSnapshot)
            m_seekTimer->start();
    });
}

void MainWindow::setSource(std::unique_ptr<ClusterSource> source)
{
    for (const auto& c : m_sourceConnections)
        disconnect(c);
    m_sourceConnections.clear();
    m_hub->setSource(nullptr);
    m_developer->attachSource(nullptr);
    if (m_source)
        m_source->stop();
    m_source = std::move(source);
    m_faultTokens.clear();
    setStale(false);
    if (!m_source) {
        updateCapabilities();
        return;
    }
    m_source->setParent(nullptr);
    m_hub->setSource(m_source.get());
    m_developer->attachSource(m_source.get());
    m_sourceConnections.push_back(connect(m_source.get(), &ClusterSource::connectionStateChanged, this, &MainWindow::onConnection));
    // A remote source learns its role (operator or viewer) when it attaches.
    m_sourceConnections.push_back(
        connect(m_source.get(), &ClusterSource::connectionStateChanged, this, [this] { updateCapabilities(); }));
    m_sourceConnections.push_back(connect(m_source.get(), &ClusterSource::commandFinished, this, &MainWindow::onCommandFinished));
    m_sourceConnections.push_back(connect(m_source.get(), &ClusterSource::eventKindsReady, this,
                                          [this](const QStringList& kinds) { m_eventKinds = kinds; }));
    m_sourceConnections.push_back(connect(m_source.get(), &ClusterSource::timeRangeChanged, this, [this](qint64 first, qint64 last) {
        QSignalBlocker block(m_replaySlider);
        m_replaySlider->setRange(static_cast<int>(first / 1'000'000), static_cast<int>(last / 1'000'000));
    }));
    updateCapabilities();
    const SourceInfo info = m_source->info();
    setWindowTitle(tr("livedeck — %1%2").arg(info.kind, info.location.isEmpty() ? QString() : QStringLiteral(" ") + info.location));
    m_startPending = false;
    if (m_options.startSourceAfterFirstFrame && !m_framePainted) {
        m_startPending = true;
        QTimer::singleShot(m_options.firstFrameFallbackMs, this, [this, source = m_source.get()] {
            if (m_startPending && m_source.get() == source)
                startSource(); // never painted (minimised, no screen): start anyway
        });
        return;
    }
    startSource();
}

void MainWindow::startSource()
{
    m_startPending = false;
    m_source->start();
    onConnection(m_source->connectionState(), m_source->connectionDetail());
    if (m_source->can(ClusterSource::EventKinds))
        m_source->requestEventKinds();
}

void MainWindow::showEvent(QShowEvent* event)
{
    QMainWindow::showEvent(event);
    if (!m_shownOnce) {
        m_shownOnce = true;
        fitToScreen(); // now with the frame the window system adds
    }
}

void MainWindow::paintEvent(QPaintEvent* event)
{
    QMainWindow::paintEvent(event);
    if (m_framePainted)
        return;
    m_framePainted = true;
    if (m_startPending) // after this frame has reached the screen
        QTimer::singleShot(0, this, [this] {
            if (m_startPending && m_source)
                startSource();
        });
}

void MainWindow::updateCapabilities()
{
    const auto can = [this](ClusterSource::Capability c) { return m_source && m_source->can(c); };
    for (QAction* a : {m_playPause, m_step, m_stepKind, m_runUntil, m_faster, m_slower})
        a->setEnabled(can(ClusterSource::Pacing));
    for (QAction* a : m_speedGroup->actions())
        a->setEnabled(can(ClusterSource::Pacing));
    m_speedCombo->setEnabled(can(ClusterSource::Pacing));
    m_injectFault->setEnabled(can(ClusterSource::Faults));
    m_clearFaults->setEnabled(can(ClusterSource::Faults));
    m_setLoad->setEnabled(can(ClusterSource::Load));
    m_operatorAction->setEnabled(can(ClusterSource::OperatorActions));
    m_live->setEnabled(static_cast<bool>(m_liveFactory));
    m_openDrill->setEnabled(static_cast<bool>(m_drillFactory));
    m_faults->setActionsEnabled(can(ClusterSource::Faults));
    m_replayBar->setVisible(can(ClusterSource::Seek));
    {
        const auto* replay = qobject_cast<const ReplayCluster*>(m_source.get());
        m_resimulate->setEnabled(replay && !replay->metadata().drillText.empty());
    }
    if (can(ClusterSource::Seek)) {
        QSignalBlocker block(m_replaySlider);
        m_replaySlider->setRange(static_cast<int>(m_source->timeRangeStart() / 1'000'000),
                                 static_cast<int>(m_source->timeRangeEnd() / 1'000'000));
    }
}

bool MainWindow::openRecording(const QString& path, QString* error)
{
    QString why;
    auto replay = ReplayCluster::open(path, &why);
    if (!replay) {
        qCWarning(lcWindow) << "cannot open recording" << path << ":" << why;
        if (error)
            *error = why;
        return false;
    }
    setSource(std::move(replay));
    return true;
}

void MainWindow::openRecordingDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open recording"), QString(),
                                                      tr("Run recordings (*.ldrec *.sqlite *.db);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!openRecording(path, &error))
        QMessageBox::warning(this, tr("Cannot open recording"), error);
}

void MainWindow::compareDialog()
{
    CompareChooser chooser(m_source.get(), this);
    if (chooser.exec() != QDialog::Accepted)
        return;
    if (const int i = chooser.chosen(); i >= 0) {
        QString error;
        if (!ModeComparison::runWithProgress(chooser.drill(), chooser.modeSwitches()[static_cast<std::size_t>(i)], this, &error))
            QMessageBox::warning(this, tr("Cannot compare"), error);
        return;
    }
    const QString filter = tr("Run recordings (*.ldrec *.sqlite *.db);;All files (*)");
    const QString a = QFileDialog::getOpenFileName(this, tr("Compare: recording A (solid)"), QString(), filter);
    if (a.isEmpty())
        return;
    const QString b = QFileDialog::getOpenFileName(this, tr("Compare: recording B (dashed)"), QFileInfo(a).absolutePath(), filter);
    if (b.isEmpty())
        return;
    QString error;
    if (!openComparison(a, b, &error))
        QMessageBox::warning(this, tr("Cannot compare"), error);
}

CompareWindow* MainWindow::openComparison(const QString& pathA, const QString& pathB, QString* error)
{
    CompareWindow* w = CompareWindow::open(pathA, pathB, error, this);
    if (!w)
        return nullptr;
    w->resize(std::min(1600, screen() ? screen()->availableGeometry().width() : 1600),
              std::min(1000, screen() ? screen()->availableGeometry().height() : 1000));
    w->show();
    return w;
}

bool MainWindow::resimulateToCursor(QString* error)
{
    const auto* replay = qobject_cast<const ReplayCluster*>(m_source.get());
    if (!replay || replay->metadata().drillText.empty()) {
        if (error)
            *error = tr("re-simulating needs a recording of a drill (it stores the drill's text and seed)");
        return false;
    }
    const telemetry::RecordingMetadata& meta = replay->metadata();
    const std::int64_t target = std::max<std::int64_t>(replay->cursor(), 0);
    // The exact point: as many events as the recorded snapshot shown at the cursor had
    // executed (a time alone would also run the events after it at the same instant).
    const std::uint64_t events = replay->currentSnapshot() ? replay->currentSnapshot()->events_executed() : 0;
    EmbeddedOptions options;
    options.speed = 0.0;        // as fast as possible up to the cursor
    options.startPaused = true; // the run-until below moves it
    QString why;
    const QString name = QString::fromStdString(meta.drillName.empty() ? std::string("recorded drill") : meta.drillName);
    std::unique_ptr<EmbeddedCluster> cluster =
        makeDrillClusterFromText(QString::fromStdString(meta.drillText), name, meta.seed, options, &why);
    if (!cluster) {
        if (error)
            *error = tr("the recorded drill does not build: %1").arg(why);
        return false;
    }
    qCInfo(lcWindow) << "re-simulating" << name << "seed" << meta.seed << "to" << target << "ns";
    setSource(std::move(cluster));
    if (events > 0)
        m_source->step(events);
    else
        m_source->runUntil(target);
    statusBar()->showMessage(tr("Re-simulating %1 (seed %2) to %3…").arg(name).arg(meta.seed).arg(formatSimTime(target)),
                             8000);
    return true;
}

void MainWindow::setAttachFactory(AttachFactory factory)
{
    m_attachFactory = std::move(factory);
    m_attach->setEnabled(static_cast<bool>(m_attachFactory));
}

bool MainWindow::attach(const QString& address, const QString& tokenFile, QString* error)
{
    QString why = tr("this console was built without gRPC: it cannot attach to a remote cluster");
    std::unique_ptr<ClusterSource> remote = m_attachFactory ? m_attachFactory(address, tokenFile, &why) : nullptr;
    if (!remote) {
        qCWarning(lcWindow) << "cannot attach to" << address << ":" << why;
        if (error)
            *error = why;
        return false;
    }
    setSource(std::move(remote));
    return true;
}

void MainWindow::attachDialog()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Attach to a cluster"));
    auto* form = new QFormLayout;
    QSettings settings;
    auto* address = new QLineEdit(settings.value(QStringLiteral("attach/address"), QStringLiteral("127.0.0.1:7400")).toString());
    address->setToolTip(tr("HOST:PORT of a livedeckd node (it listens on 127.0.0.1:7400 by default)"));
    auto* tokenFile = new QLineEdit(settings.value(QStringLiteral("attach/tokenFile")).toString());
    tokenFile->setPlaceholderText(tr("none (a loopback node needs no token)"));
    tokenFile->setToolTip(tr("A file whose first line is the bearer token ('<token> [<role> <name>]'); "
                             "an operator's token may change the cluster, a viewer's only watch"));
    auto* browse = new QPushButton(tr("Browse…"));
    connect(browse, &QPushButton::clicked, &dialog, [&dialog, tokenFile] {
        const QString f = QFileDialog::getOpenFileName(&dialog, tr("Token file"));
        if (!f.isEmpty())
            tokenFile->setText(f);
    });
    auto* tokenRow = new QHBoxLayout;
    tokenRow->addWidget(tokenFile, 1);
    tokenRow->addWidget(browse);
    form->addRow(tr("Node address:"), address);
    form->addRow(tr("Token file:"), tokenRow);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Attach"));
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(&dialog);
    layout->addLayout(form);
    layout->addWidget(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return;
    settings.setValue(QStringLiteral("attach/address"), address->text().trimmed());
    settings.setValue(QStringLiteral("attach/tokenFile"), tokenFile->text().trimmed());
    QString error;
    if (!attach(address->text().trimmed(), tokenFile->text().trimmed(), &error))
        QMessageBox::warning(this, tr("Cannot attach"), error);
}

void MainWindow::setDrillFactory(DrillFactory factory, const QStringList& builtinDrills, const QString& current)
{
    m_drillFactory = std::move(factory);
    m_drill->setBuiltinDrills(builtinDrills, current);
    updateCapabilities();
}

bool MainWindow::openDrill(const QString& fileOrName, QString* error)
{
    QString why = tr("this console cannot run drills");
    std::unique_ptr<ClusterSource> source = m_drillFactory ? m_drillFactory(fileOrName, &why) : nullptr;
    if (!source) {
        qCWarning(lcWindow) << "cannot open drill" << fileOrName << ":" << why;
        if (error)
            *error = why;
        return false;
    }
    setSource(std::move(source));
    return true;
}

void MainWindow::startLive()
{
    if (m_liveFactory)
        setSource(m_liveFactory());
}

void MainWindow::onSnapshot(const SnapshotPtr& s)
{
    const int offset = m_hub->utcOffsetMinutes();
    m_clock->setText(QStringLiteral(" %1 · %2 ").arg(formatSimTime(s->sim_time_ns()), formatCalendar(s->calendar_unix_ms(), offset)));
    const v1::HostState& h = s->host();
    m_paused = h.paused();
    m_speed->setText(tr(" speed %1 · measured ×%2 %3 ")
                         .arg(formatSpeed(h.speed()), formatCompact(h.sim_per_wall()), h.paused() ? tr("· paused") : QString()));
    m_rate->setText(tr(" %1 events/s ").arg(formatCompact(h.events_per_sec())));
    m_playPause->setText(m_paused ? tr("&Play") : tr("&Pause"));
    // Keep the speed choice in step with what the source reports.
    for (int i = 0; i < kSpeedCount; ++i) {
        const bool match = kSpeeds[i] <= 0 ? !(h.speed() > 0) : std::fabs(kSpeeds[i] - h.speed()) < 1e-9;
        if (match && i != m_speedIndex) {
            m_speedIndex = i;
            m_speedCombo->setCurrentIndex(i);
            m_speedGroup->actions()[i]->setChecked(true);
        }
    }
    if (m_replayBar->isVisible() && !m_replaySlider->isSliderDown() && !m_seekTimer->isActive()) {
        m_sliderFromSnapshot = true;
        const auto* replay = qobject_cast<ReplayCluster*>(m_source.get());
        m_replaySlider->setValue(static_cast<int>((replay ? replay->cursor() : s->sim_time_ns()) / 1'000'000));
        m_sliderFromSnapshot = false;
    }
}

void MainWindow::buildStaleBanner()
{
    m_staleBar = new QToolBar(tr("Stale data"), this);
    m_staleBar->setObjectName(QStringLiteral("toolbar.stale"));
    m_staleBar->setMovable(false);
    m_staleBar->setFloatable(false);
    m_staleBar->toggleViewAction()->setVisible(false);
    m_staleLabel = new QLabel(m_staleBar);
    m_staleLabel->setObjectName(QStringLiteral("staleBanner"));
    m_staleLabel->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_staleLabel->setStyleSheet(QStringLiteral("QLabel { background: #c0141c; color: white; font-weight: bold; padding: 6px 10px; }"));
    m_staleBar->addWidget(m_staleLabel);
    addToolBarBreak(Qt::TopToolBarArea);
    addToolBar(Qt::TopToolBarArea, m_staleBar);
    m_staleBar->hide();
    m_staleTicker = new QTimer(this);
    m_staleTicker->setInterval(250);
    connect(m_staleTicker, &QTimer::timeout, this, &MainWindow::updateStaleText);
}

void MainWindow::setStale(bool stale)
{
    if (stale == m_stale)
        return;
    m_stale = stale;
    m_staleBar->setVisible(stale);
    // Every dashboard dimmed: the values are the last ones received, not the present.
    QList<QWidget*> panels{centralWidget()};
    for (QDockWidget* d : m_docks)
        panels.push_back(d->widget());
    for (QWidget* w : panels) {
        if (stale) {
            auto* dim = new QGraphicsOpacityEffect(w);
            dim->setOpacity(0.4);
            w->setGraphicsEffect(dim);
        } else {
            w->setGraphicsEffect(nullptr);
        }
    }
    if (stale)
        m_staleTicker->start();
    else
        m_staleTicker->stop();
    updateStaleText();
}

void MainWindow::updateStaleText()
{
    if (!m_stale) {
        m_overview->setStale(false, {});
        m_clock->setStyleSheet(QString());
        return;
    }
    const qint64 silent = m_source ? m_source->silentForMs() : -1;
    const QString source = m_source ? m_source->displayName() : tr("the source");
    const QString how = silent >= 0 ? tr("for %1 s").arg(static_cast<double>(silent) / 1000.0, 0, 'f', 1) : tr("for a while");
    m_staleLabel->setText(tr("⚠ STALE — no data from %1 %2. Every panel shows the last values received (simulated %3); "
                             "reconnecting…")
                              .arg(source, how, formatSimTime(m_hub->simTimeNs())));
    m_overview->setStale(true, tr("STALE · silent %1").arg(how));
    m_clock->setStyleSheet(QStringLiteral("QLabel { color: white; background: #c0141c; font-weight: bold; }"));
}

bool MainWindow::staleShown() const
{
    return m_stale && !m_staleBar->isHidden();
}

QString MainWindow::staleBannerText() const
{
    return !m_staleBar->isHidden() ? m_staleLabel->text() : QString();
}

bool MainWindow::panelsDimmed() const
{
    if (!centralWidget()->graphicsEffect())
        return false;
    for (QDockWidget* d : m_docks) {
        if (!d->widget()->graphicsEffect())
            return false;
    }
    return true;
}

void MainWindow::onConnection(ConnectionState state, const QString& detail)
{
    setStale(state == ConnectionState::Stale);
    QString colour = QStringLiteral("#50545c");
    switch (state) {
    case ConnectionState::Live:
        colour = QStringLiteral("#1e7a34");
        break;
    case ConnectionState::Stale:
    case ConnectionState::Connecting:
        colour = QStringLiteral("#a86200");
        break;
    case ConnectionState::Failed:
        colour = QStringLiteral("#c0141c");
        break;
    case ConnectionState::Replay:
        colour = QStringLiteral("#2f5fb8");
        break;
    case ConnectionState::Disconnected:
        break;
    }
    m_connection->setText(QStringLiteral(" <b style='color:%1'>● %2</b> ").arg(colour, connectionStateName(state)));
    m_connection->setToolTip(detail.isEmpty() ? connectionStateName(state) : detail);
}

void MainWindow::onCommandFinished(quint64 token, bool ok, const QString& message)
{
    statusBar()->showMessage(message, ok ? 3000 : 8000);
    const auto it = std::find(m_faultTokens.begin(), m_faultTokens.end(), token);
    if (it != m_faultTokens.end()) {
        m_faultTokens.erase(it);
        m_faults->showStatus(message, ok);
    }
    if (!ok)
        qCInfo(lcWindow) << "command refused:" << message;
}

void MainWindow::togglePlay()
{
    if (!m_source)
        return;
    if (m_paused)
        m_source->resume();
    else
        m_source->pause();
    m_paused = !m_paused;
    m_playPause->setText(m_paused ? tr("&Play") : tr("&Pause"));
}

void MainWindow::setSpeedIndex(int index)
{
    if (index < 0 || index >= kSpeedCount)
        return;
    m_speedIndex = index;
    m_speedCombo->setCurrentIndex(index);
    m_speedGroup->actions()[index]->setChecked(true);
    if (m_source)
        m_source->setSpeed(kSpeeds[index]);
}

void MainWindow::changeSpeed(int delta)
{
    setSpeedIndex(std::clamp(m_speedIndex + delta, 0, kSpeedCount - 1));
}

void MainWindow::stepToKindDialog()
{
    if (!m_source)
        return;
    bool ok = false;
    QStringList kinds = m_eventKinds;
    if (kinds.isEmpty())
        kinds = {QStringLiteral("fault.on"), QStringLiteral("fault.off")};
    const QString kind = QInputDialog::getItem(this, tr("Step to kind"), tr("Run to the next event of kind:"), kinds,
                                               std::max<qsizetype>(0, kinds.indexOf(QStringLiteral("fault.on"))), true, &ok);
    if (ok && !kind.isEmpty())
        m_source->stepToKind(kind);
}

void MainWindow::runUntilDialog()
{
    if (!m_source)
        return;
    bool ok = false;
    const double now = static_cast<double>(m_hub->simTimeNs()) / 1e9;
    const double t = QInputDialog::getDouble(this, tr("Run until"), tr("Simulated time (s):"), now + 10.0, 0.0, 1e9, 3, &ok);
    if (ok)
        m_source->runUntil(static_cast<std::int64_t>(t * 1e9));
}

void MainWindow::setLoadDialog()
{
    if (!m_source)
        return;
    LoadDialog d(m_hub->topology(), this);
    if (d.exec() == QDialog::Accepted)
        m_source->setLoad(d.engine(), d.profile(), d.multiplier());
}

void MainWindow::operatorActionDialog()
{
    if (!m_source)
        return;
    ActionDialog d(m_hub->topology(), m_inspector->selectedPath(), this);
    if (d.exec() != QDialog::Accepted || !d.action())
        return;
    const v1::ActionDescriptor action = *d.action();
    const QString target = d.target();
    const double value = d.value();
    if (!m_source)
        return;
    if (ActionDialog::needsConfirmation(action, m_source->info().kind)) {
        const QString where = m_source->info().location;
        const auto answer = QMessageBox::question(
            this, tr("Change the remote cluster?"),
            tr("<b>%1</b>%2%3 changes the cluster at <b>%4</b> for everyone attached to it.<br>%5<br><br>Send it?")
                .arg(QString::fromStdString(action.name()), target.isEmpty() ? QString() : QStringLiteral(" ") + target,
                     action.takes_value() ? QStringLiteral(" = %1").arg(value) : QString(), where,
                     QString::fromStdString(action.description()).toHtmlEscaped()),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes)
            return;
    }
    m_source->operatorAction(QString::fromStdString(action.name()), target, value);
}

FaultDialog* MainWindow::showFaultDialog(const QString& target)
{
    if (!m_source || !m_source->can(ClusterSource::Faults)) {
        statusBar()->showMessage(tr("This source cannot change faults (a recording)."), 5000);
        return nullptr;
    }
    QStringList paths;
    const v1::Topology& t = m_hub->topology();
    for (const v1::Region& r : t.regions())
        paths.push_back(QString::fromStdString(r.name()));
    for (const v1::Component& c : t.components())
        paths.push_back(QString::fromStdString(c.path()));
    auto* dialog = new FaultDialog(target, paths, m_hub->simTimeNs(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (!m_source)
            return;
        const v1::FaultSpec spec = dialog->spec();
        qCInfo(lcFaults) << "injecting" << faultKindName(spec.kind()) << "on" << QString::fromStdString(spec.target());
        m_faultTokens.push_back(m_source->injectFault(spec));
        m_faults->showStatus(tr("injecting %1 on %2 …").arg(faultKindName(spec.kind()), QString::fromStdString(spec.target())), true);
    });
    dialog->open();
    return dialog;
}

void MainWindow::showHelp()
{
    auto* d = new QDialog(this);
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->setWindowTitle(tr("livedeck help"));
    auto* layout = new QVBoxLayout(d);
    auto* text = new QTextBrowser(d);
    text->setOpenExternalLinks(false);
    text->setHtml(tr(
        "<h2>livedeck</h2>"
        "<p>A console for the live-streaming backend emulator: an embedded world, a recording, or (later) a remote cluster, "
        "all through the same dashboards.</p>"
        "<h3>Shortcuts</h3><table cellpadding='3'>"
        "<tr><td><b>Space</b></td><td>play / pause</td></tr>"
        "<tr><td><b>S</b>, <b>F10</b></td><td>step one event (pauses first)</td></tr>"
        "<tr><td><b>Ctrl+K</b></td><td>step to the next event of a kind</td></tr>"
        "<tr><td><b>Ctrl+U</b></td><td>run until a simulated time</td></tr>"
        "<tr><td><b>+</b> / <b>-</b></td><td>faster / slower (×0.1 … ×1000, max)</td></tr>"
        "<tr><td><b>Ctrl+I</b></td><td>inject a fault (right-click any component, too)</td></tr>"
        "<tr><td><b>Ctrl+O</b></td><td>open a recording for replay</td></tr>"
        "<tr><td><b>Ctrl+L</b></td><td>start a fresh live world</td></tr>"
        "<tr><td><b>Ctrl+D</b></td><td>open a drill file</td></tr>"
        "<tr><td><b>F1</b></td><td>this help</td></tr></table>"
        "<h3>Panels</h3><ul>"
        "<li><b>Overview</b>: each engine's KPI tiles as the engine describes them (— when the run has no such series), "
        "cluster summary, clock, speed gauges, drill progress.</li>"
        "<li><b>Charts</b>: rates, errors, latency p50/p99/p999, region health, breakers, shard load; red lines mark fault starts.</li>"
        "<li><b>Circuit breakers</b>: one tile per breaker — green closed, amber half-open, red open, purple forced open, "
        "grey disabled, blue metrics-only; click for history.</li>"
        "<li><b>Shard load</b>: shard × month heatmap of QPS, rows or p99; the triangle marks each cluster's hottest shard.</li>"
        "<li><b>Regions</b>: map of regions and links; dark crossed discs are down, dashed red links with ✕ are partitioned.</li>"
        "<li><b>Inspector</b>: every component's live state. <b>Event log</b>: filter by kind, path, text; "
        "click selects the component; <i>Copy seed + time</i> gives what a replay needs.</li>"
        "<li><b>Faults</b>: faults in force, inject and clear. <b>Developer</b>: the event queue, step, step to kind, run until, "
        "break on an event kind/component, jump to an invariant violation.</li>"
        "<li><b>Drill</b>: open a built-in drill or a file, play/pause/step/speed, the fault timeline, live expectations, the final "
        "report; <i>blind mode</i> hides timeline and expectations until the end.</li>"
        "<li><b>Alerts</b>: alert and violation events and breakers opening, to acknowledge; an engine's review queue "
        "(a component kind whose descriptor names the alerts view).</li>"
        "</ul><p>Panels are docks: drag them anywhere; View → Reset layout puts them back.</p>"));
    layout->addWidget(text);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, d);
    connect(buttons, &QDialogButtonBox::rejected, d, &QDialog::reject);
    layout->addWidget(buttons);
    d->resize(640, 560);
    d->show();
}

QString MainWindow::statusConnectionText() const
{
    return m_connection->text();
}

QString MainWindow::statusClockText() const
{
    return m_clock->text();
}

QString MainWindow::statusSpeedText() const
{
    return m_speed->text();
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    const QByteArray geometry = settings.value(QStringLiteral("window/geometry")).toByteArray();
    const QByteArray state = settings.value(QStringLiteral("window/state")).toByteArray();
    if (!geometry.isEmpty())
        restoreGeometry(geometry);
    if (!state.isEmpty() && !restoreState(state))
        qCInfo(lcWindow) << "saved layout not applicable; using the default";
}

void MainWindow::saveSettings()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_options.useSettings)
        saveSettings();
    QMainWindow::closeEvent(event);
}

} // namespace livedeck::ui

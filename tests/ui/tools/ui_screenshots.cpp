// ui_screenshots: grabs the real console offscreen — the main window at 1920×1080 and
// each dashboard — running a built-in drill in an embedded world (the program's own
// drill source, the built-in engines) paused at a named simulated time, then the shard
// panel once the run has ended. Usage:
//   ui_screenshots <output dir> [--drill NAME] [--at SECONDS]
//   ui_screenshots <output dir> --compare A.sqlite B.sqlite --name NAME [--at SECONDS] [--tab N]
//   ui_screenshots <output dir> --rerun DRILL --name NAME [--at SECONDS] [--tab N]
// (the second form: File → Compare… over two recordings; the third: File → Compare…
// re-running a built-in drill in its first other mode (ui::modeSwitches) at its seed;
// both 1600×1000, the cursor at --at or half-way, the tab N on screen (0 charts, 1
// shards A | B, 2 regions A | B), saved as NAME.png).
// (defaults: the gala drill at 8 s, two seconds after the midnight countdown).
// Without QT_QPA_PLATFORM it uses the offscreen platform with a 1920×1080 screen.
// Also writes two stress views from the scripted fixture (breakers_200.png,
// shards_1000.png: 200 breakers, 1 000 shards), which no drill has.
#include "app/common/builtin_engines.h"
#include "backend/drills/builtin_drills.h"
#include "tests/ui/fixtures/gala_scenario.h"
#include "ui/alerts_panel.h"
#include "ui/breaker_panel.h"
#include "ui/charts_panel.h"
#include "ui/compare_window.h"
#include "ui/dashboard_hub.h"
#include "ui/developer_panel.h"
#include "ui/drill_panel.h"
#include "ui/drill_source.h"
#include "ui/event_log_panel.h"
#include "ui/faults_panel.h"
#include "ui/format.h"
#include "ui/inspector_panel.h"
#include "ui/main_window.h"
#include "ui/overview_panel.h"
#include "ui/region_panel.h"
#include "ui/shard_panel.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QStyleFactory>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>
#include <QTreeView>

using namespace livedeck;

namespace {

void settle()
{
    for (int i = 0; i < 5; ++i)
        QApplication::processEvents();
}

bool save(QWidget* w, const QDir& dir, const QString& name)
{
    settle();
    const QString path = dir.filePath(name);
    const bool ok = w->grab().save(path);
    QTextStream(stdout) << (ok ? "wrote " : "FAILED ") << path << " (" << w->width() << "x" << w->height() << ")\n";
    return ok;
}

void raiseDockOf(QWidget* panel)
{
    for (QWidget* w = panel; w; w = w->parentWidget()) {
        if (auto* d = qobject_cast<QDockWidget*>(w)) {
            d->raise();
            return;
        }
    }
}

// Runs the window's source to `ns` of simulated time and waits for that snapshot.
bool runTo(ui::MainWindow& window, std::int64_t ns)
{
    window.source()->runUntil(ns);
    QElapsedTimer waited;
    waited.start();
    while (window.hub()->simTimeNs() < ns) {
        if (waited.elapsed() > 300'000)
            return false;
        QApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    for (int i = 0; i < 10; ++i) { // the paused state's last snapshots
        QApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
    window.hub()->tick();
    settle();
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    QTemporaryDir tmp;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        const QString cfg = tmp.filePath(QStringLiteral("screen.json"));
        QFile f(cfg);
        if (f.open(QIODevice::WriteOnly))
            f.write(R"({ "windowFrameMargins": false, "screens": [ { "name": "screen", "x": 0, "y": 0,)"
                    R"( "width": 1920, "height": 1080, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1 } ] })");
        f.close();
        qputenv("QT_QPA_PLATFORM", QByteArray("offscreen:configfile=") + cfg.toLocal8Bit());
    }
    app::installBuiltinEngines();
    QApplication application(argc, argv);
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QStringList args = QApplication::arguments().mid(1);
    if (args.isEmpty() || args.front().startsWith(QLatin1String("--"))) {
        QTextStream(stderr) << "usage: ui_screenshots <output dir> [--drill NAME] [--at SECONDS]\n";
        return 2;
    }
    QDir dir(args.takeFirst());
    dir.mkpath(QStringLiteral("."));
    QString drill = QStringLiteral("gala");
    double at = 8.0;
    bool atGiven = false;
    QStringList compare;
    QString rerun;
    int tab = 0;
    QString name = QStringLiteral("compare");
    for (int i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--drill")) {
            drill = args[i + 1];
        } else if (args[i] == QLatin1String("--at")) {
            at = args[i + 1].toDouble();
            atGiven = true;
        } else if (args[i] == QLatin1String("--compare") && i + 2 < args.size()) {
            compare = {args[i + 1], args[i + 2]};
            ++i;
        } else if (args[i] == QLatin1String("--name")) {
            name = args[i + 1];
        } else if (args[i] == QLatin1String("--rerun")) {
            rerun = args[i + 1];
        } else if (args[i] == QLatin1String("--tab")) {
            tab = args[i + 1].toInt();
        }
    }
    if (!compare.isEmpty() || !rerun.isEmpty()) {
        QString error;
        std::unique_ptr<ui::CompareWindow> w;
        if (!rerun.isEmpty()) {
            auto spec = drills::resolveDrill(rerun.toStdString());
            const std::vector<ui::ModeSwitch> switches = spec.ok() ? ui::modeSwitches(*spec) : std::vector<ui::ModeSwitch>{};
            if (switches.empty()) {
                QTextStream(stderr) << "cannot re-run " << rerun << ": "
                                    << (spec.ok() ? ui::noModeSwitchReason(*spec)
                                                  : QString::fromStdString(std::string(spec.status().message())))
                                    << "\n";
                return 1;
            }
            ui::ModeComparison runs(ui::DrillToCompare{*spec, spec->seed}, switches.front());
            bool ok = false;
            QEventLoop loop;
            QObject::connect(&runs, &ui::ModeComparison::finished, &loop, [&](bool done, const QString& why) {
                ok = done;
                error = why;
                loop.quit();
            });
            if (runs.start(&error)) {
                loop.exec();
                if (ok)
                    w.reset(runs.openWindow(&error));
            }
        } else {
            w.reset(ui::CompareWindow::open(compare[0], compare[1], &error));
        }
        if (!w) {
            QTextStream(stderr) << "cannot compare: " << error << "\n";
            return 1;
        }
        w->resize(1600, 1000);
        w->show();
        w->tabs()->setCurrentIndex(tab);
        w->setCursorSeconds(atGiven ? at : w->endSeconds() / 2);
        settle();
        const QString path = dir.filePath(name + QStringLiteral(".png"));
        if (!w->grab().save(path)) {
            QTextStream(stderr) << "cannot write " << path << "\n";
            return 1;
        }
        QTextStream(stdout) << path << "\n";
        return 0;
    }
    bool ok = true;

    ui::MainWindow window(ui::MainWindowOptions{false});
    window.setDrillFactory(
        [](const QString& fileOrName, QString* error) -> std::unique_ptr<ui::ClusterSource> {
            ui::EmbeddedOptions options;
            options.speed = 0.0; // as fast as possible up to the named time
            options.startPaused = true;
            return ui::makeDrillCluster(fileOrName, std::nullopt, options, error);
        },
        ui::builtinDrillNames(), drill);
    window.show();
    settle();
    QString error;
    if (!window.openDrill(drill, &error)) {
        QTextStream(stderr) << "cannot open drill " << drill << ": " << error << "\n";
        return 1;
    }
    const auto atNs = static_cast<std::int64_t>(at * 1e9);
    if (!runTo(window, atNs)) {
        QTextStream(stderr) << "the drill did not reach " << at << " s\n";
        return 1;
    }
    QTextStream(stdout) << "drill " << drill << " paused at " << ui::formatSimTime(window.hub()->simTimeNs()) << "\n";
    window.inspector()->selectPath(QStringLiteral("sh-a"));
    window.inspector()->view()->expandToDepth(1);
    window.hub()->tick();
    settle();
    ok &= save(&window, dir, QStringLiteral("main_window.png"));
    ok &= save(window.overview(), dir, QStringLiteral("overview.png"));
    ok &= save(window.charts(), dir, QStringLiteral("charts.png"));
    for (QWidget* panel : std::initializer_list<QWidget*>{window.breakers(), window.regions(), window.inspector(), window.drill(),
                                                           window.alerts(), window.eventLog(), window.faults(), window.developer(),
                                                           window.shards()})
        raiseDockOf(panel);
    settle();
    ok &= save(window.breakers(), dir, QStringLiteral("breakers.png"));
    ok &= save(window.shards(), dir, QStringLiteral("shards.png"));
    ok &= save(window.regions(), dir, QStringLiteral("regions.png"));
    ok &= save(window.inspector(), dir, QStringLiteral("inspector.png"));
    ok &= save(window.drill(), dir, QStringLiteral("drill.png"));
    ok &= save(window.alerts(), dir, QStringLiteral("alerts.png"));
    ok &= save(window.eventLog(), dir, QStringLiteral("event_log.png"));
    ok &= save(window.faults(), dir, QStringLiteral("faults.png"));
    ok &= save(window.developer(), dir, QStringLiteral("developer.png"));
    if (auto* detail = window.regions()->openDetail(QStringLiteral("sh-a"))) {
        ok &= save(detail, dir, QStringLiteral("region_detail.png"));
        detail->close();
    }

    // The run's end: load stopped, the heatmap keeps the run's peak as its scale.
    const std::int64_t end = window.hub()->latestSnapshot() && window.hub()->latestSnapshot()->has_drill()
                                 ? window.hub()->latestSnapshot()->drill().duration_ns()
                                 : 0;
    if (end > atNs && runTo(window, end)) {
        QTextStream(stdout) << "drill " << drill << " at its end " << ui::formatSimTime(window.hub()->simTimeNs()) << "\n";
        raiseDockOf(window.shards());
        ok &= save(window.shards(), dir, QStringLiteral("shards_end.png"));
        raiseDockOf(window.drill());
        ok &= save(window.drill(), dir, QStringLiteral("drill_end.png"));
    }
    window.setSource(nullptr);

    // Stress views from the scripted fixture: 200 breakers, 1 000 shards (10 × 100).
    {
        ui::fixtures::ScenarioOptions big;
        big.breakers = 200;
        big.shardClusters = 10;
        big.shardsPerCluster = 100;
        ui::fixtures::GalaScenario stress(big);
        ui::DashboardHub hub;
        ui::BreakerPanel breakers(&hub);
        ui::ShardPanel shards(&hub);
        hub.addPanel(&breakers);
        hub.addPanel(&shards);
        breakers.resize(1100, 900);
        shards.resize(1100, 700);
        breakers.show();
        shards.show();
        hub.resetRun();
        hub.applyTopology(stress.topology());
        for (int t = 0; t <= 600; ++t)
            hub.applySnapshot(stress.snapshotAt(t, t == 0));
        hub.tick();
        ok &= save(&breakers, dir, QStringLiteral("breakers_200.png"));
        ok &= save(&shards, dir, QStringLiteral("shards_1000.png"));
    }
    return ok ? 0 : 1;
}

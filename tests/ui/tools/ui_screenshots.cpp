// ui_screenshots: renders the console offscreen with the scripted gala scenario
// (tests/ui/fixtures) at simulated second 600 — gz down, sh-a ↔ gz partitioned, two
// earlier faults over — and writes PNGs: the whole main window at 1920×1080, each
// dashboard, the detail dialogs, the fault dialog, and stress views (200 breakers,
// 1 000 shards). Usage: ui_screenshots <output dir> [second]
#include "tests/ui/fixtures/gala_scenario.h"
#include "tests/ui/fixtures/scripted_cluster.h"
#include "ui/alerts_panel.h"
#include "ui/breaker_board.h"
#include "ui/breaker_panel.h"
#include "ui/charts_panel.h"
#include "ui/dashboard_hub.h"
#include "ui/developer_panel.h"
#include "ui/drill_panel.h"
#include "ui/event_log_panel.h"
#include "ui/fault_dialog.h"
#include "ui/faults_panel.h"
#include "ui/inspector_panel.h"
#include "ui/main_window.h"
#include "ui/overview_panel.h"
#include "ui/region_panel.h"
#include "ui/shard_panel.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QStyleFactory>
#include <QTextStream>
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

void feed(ui::DashboardHub& hub, const ui::fixtures::GalaScenario& scenario, int until)
{
    hub.resetRun();
    hub.applyTopology(scenario.topology());
    for (int t = 0; t <= until; ++t) {
        auto events = scenario.eventsBetween(t - 1, t);
        if (!events.empty())
            hub.applyEvents(std::make_shared<const std::vector<v1::Event>>(std::move(events)));
        hub.applySnapshot(scenario.snapshotAt(t, t == 0));
    }
    hub.tick();
}

QDockWidget* dockOf(QWidget* panel)
{
    for (QWidget* w = panel; w; w = w->parentWidget()) {
        if (auto* d = qobject_cast<QDockWidget*>(w))
            return d;
    }
    return nullptr;
}

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    if (argc < 2) {
        QTextStream(stderr) << "usage: ui_screenshots <output dir> [second]\n";
        return 2;
    }
    QDir dir(QString::fromLocal8Bit(argv[1]));
    dir.mkpath(QStringLiteral("."));
    const int second = argc > 2 ? QString::fromLocal8Bit(argv[2]).toInt() : 600;
    bool ok = true;

    ui::fixtures::GalaScenario scenario;
    ui::MainWindow window(ui::MainWindowOptions{false});
    window.resize(1920, 1080);
    window.show();
    window.applyDefaultLayout();
    settle();
    window.setDrillFactory([](const QString&, QString* error) {
        *error = QStringLiteral("screenshots only");
        return std::unique_ptr<ui::ClusterSource>();
    }, {QStringLiteral("gala"), QStringLiteral("synthetic-chaos")}, QStringLiteral("gala"));
    auto source = std::make_unique<ui::fixtures::ScriptedCluster>();
    auto* scripted = source.get();
    window.setSource(std::move(source));
    scripted->playTo(second);
    settle();
    window.hub()->tick();
    window.inspector()->selectPath(QStringLiteral("sh-a/gifts/order-svc"));
    window.inspector()->view()->expandToDepth(1);
    window.hub()->tick();
    window.resize(1920, 1080); // content arriving may have grown it
    window.applyDefaultLayout();
    settle();
    if (qEnvironmentVariableIsSet("LIVEDECK_SIZES"))
        for (QDockWidget* d : window.findChildren<QDockWidget*>())
            QTextStream(stdout) << d->objectName() << " min " << d->minimumSizeHint().width() << "x" << d->minimumSizeHint().height()
                                << " now " << d->width() << "x" << d->height() << "\n";
    if (qEnvironmentVariableIsSet("LIVEDECK_SIZES"))
        QTextStream(stdout) << "window min " << window.minimumSizeHint().width() << " central min "
                            << window.charts()->minimumSizeHint().width() << " size " << window.width() << "\n";
    ok &= save(&window, dir, QStringLiteral("main_window.png"));

    ok &= save(window.overview(), dir, QStringLiteral("overview.png"));
    ok &= save(window.charts(), dir, QStringLiteral("charts.png"));
    ok &= save(window.breakers(), dir, QStringLiteral("breakers.png"));
    ok &= save(window.shards(), dir, QStringLiteral("shards.png"));
    ok &= save(window.regions(), dir, QStringLiteral("regions.png"));
    ok &= save(window.inspector(), dir, QStringLiteral("inspector.png"));
    if (QDockWidget* d = dockOf(window.drill()))
        d->raise();
    ok &= save(window.drill(), dir, QStringLiteral("drill.png"));
    if (QDockWidget* d = dockOf(window.alerts()))
        d->raise();
    ok &= save(window.alerts(), dir, QStringLiteral("alerts.png"));
    if (QDockWidget* d = dockOf(window.eventLog()))
        d->raise();
    ok &= save(window.eventLog(), dir, QStringLiteral("event_log.png"));
    if (QDockWidget* d = dockOf(window.faults()))
        d->raise();
    ok &= save(window.faults(), dir, QStringLiteral("faults.png"));
    if (QDockWidget* d = dockOf(window.developer()))
        d->raise();
    ok &= save(window.developer(), dir, QStringLiteral("developer.png"));

    if (auto* detail = window.breakers()->openDetail(QString::fromStdString(scenario.breakerPath(0)))) {
        ok &= save(detail, dir, QStringLiteral("breaker_detail.png"));
        detail->close();
    }
    if (auto* detail = window.regions()->openDetail(QStringLiteral("sh-a"))) {
        ok &= save(detail, dir, QStringLiteral("region_detail.png"));
        detail->close();
    }
    window.setSource(nullptr);
    {
        // The fault dialog as opened from a right-click on a region.
        QStringList paths;
        const auto topology = scenario.topology();
        for (const auto& c : topology->components())
            paths.push_back(QString::fromStdString(c.path()));
        ui::FaultDialog dialog(QStringLiteral("sh-b"), paths, static_cast<std::int64_t>(second) * 1'000'000'000);
        dialog.setKind(v1::FAULT_PARTITION);
        dialog.setParamText(QStringLiteral("peer"), QStringLiteral("gz"));
        dialog.show();
        ok &= save(&dialog, dir, QStringLiteral("fault_dialog.png"));
    }

    // Stress views: 200 breakers, 1 000 shards (10 clusters × 100).
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
        feed(hub, stress, second);
        ok &= save(&breakers, dir, QStringLiteral("breakers_200.png"));
        ok &= save(&shards, dir, QStringLiteral("shards_1000.png"));
    }
    return ok ? 0 : 1;
}

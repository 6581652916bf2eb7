// Console plugins (plugins/console_host/console_plugins.h): refused by metadata without
// loading (wrong IID, another API), an initialize() that fails is an error state, and
// the slo-burn example docks its board and room view, receives snapshots through the
// DashboardHub, pages on a burning SLO and shows a selected danmaku room; Help → Plugins
// lists every plugin and the status bar points there when one did not load.
#include "plugins/console_host/console_plugins.h"
#include "tests/common/multi_test.h"

#include <QDialog>
#include <QDockWidget>
#include <QLabel>
#include <QMainWindow>
#include <QMenuBar>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <iterator>

namespace {

using namespace livedeck;

bool mapped(const std::string& libraryName)
{
    std::ifstream maps("/proc/self/maps");
    const std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
    return text.find(libraryName) != std::string::npos;
}

const plugins::PluginRecord* record(const std::vector<plugins::PluginRecord>& records, const std::string& id)
{
    for (const auto& r : records) {
        if (r.id == id)
            return &r;
    }
    return nullptr;
}

std::shared_ptr<v1::Topology> topology()
{
    auto t = std::make_shared<v1::Topology>();
    t->set_run_id("test-run");
    v1::EngineDescriptor* gifts = t->add_engines();
    gifts->set_name("gifts");
    v1::KpiTile* tile = gifts->add_tiles();
    tile->set_id("gifts.availability");
    tile->set_title("Panel availability");
    tile->set_series("gifts.panel.availability");
    tile->set_type(v1::METRIC_TYPE_GAUGE);
    tile->set_aggregate(v1::AGGREGATE_MEAN);
    tile->set_unit("%");
    tile->set_scale(100.0);
    tile->set_higher_is_better(true);
    tile->set_good(99.99);
    tile->set_warn(99.9);
    v1::KpiTile* plain = gifts->add_tiles(); // no threshold: no SLO
    plain->set_id("gifts.orders");
    plain->set_series("gifts.orders.placed");
    plain->set_type(v1::METRIC_TYPE_COUNTER);
    v1::EngineDescriptor* danmaku = t->add_engines();
    danmaku->set_name("danmaku");
    danmaku->set_plugin_id("danmaku");
    v1::ComponentKindDescriptor* kind = danmaku->add_component_kinds();
    kind->set_kind("danmaku-room");
    kind->set_view("danmaku.room");
    v1::Component* room = t->add_components();
    room->set_path("sh-a/danmaku/room-0");
    room->set_kind("danmaku-room");
    return t;
}

ui::SnapshotPtr snapshot(std::int64_t simSec, double availability)
{
    auto s = std::make_shared<v1::Snapshot>();
    s->set_run_id("test-run");
    s->set_seq(static_cast<std::uint64_t>(simSec) + 1);
    s->set_sim_time_ns(simSec * 1'000'000'000);
    if (simSec == 0) {
        v1::SeriesDef* d = s->add_series_defs();
        d->set_id(1);
        d->set_name("gifts.panel.availability");
        d->set_type(v1::METRIC_TYPE_GAUGE);
    }
    s->add_sample_ids(1);
    s->add_sample_values(availability);
    s->mutable_drill()->set_duration_ns(60'000'000'000);
    v1::ComponentState* c = s->add_components();
    c->set_path("sh-a/danmaku/room-0");
    for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"viewers", "2000"}, {"accepted", "904"}, {"deliveries_in_flight", "4000"}, {"lost", "0"}}) {
        v1::KeyValue* kv = c->add_state();
        kv->set_key(k);
        kv->set_value(v);
    }
    return s;
}

} // namespace

class TstConsolePlugins : public QObject {
    Q_OBJECT

private slots:
    void badPluginsAndTheBoard()
    {
        QTemporaryDir state;
        ui::DashboardHub hub;
        consoleplugins::ConsolePlugins console(hub);
        plugins::PluginHostOptions o;
        const std::string bad = LIVEDECK_TEST_BAD_CONSOLE_PLUGINS;
        o.pluginDirs = {bad + "/wrong-iid", bad + "/api-mismatch", bad + "/init-fails",
                        std::string(LIVEDECK_TEST_PLUGIN_BUILD_DIR) + "/slo-burn",
                        std::string(LIVEDECK_TEST_PLUGIN_BUILD_DIR) + "/danmaku"};
        o.useEnvironment = o.useUserDir = o.useInstalledDirs = false;
        o.stateDir = state.path().toStdString();
        const auto& records = console.load(o);
        const std::string list = plugins::formatPluginList(records);
        QCOMPARE(records.size(), std::size_t(4)); // the engine plugin's library is not a console plugin's

        const plugins::PluginRecord* iid = record(records, "tstplugc_wrong_iid");
        QVERIFY2(iid, list.c_str());
        QCOMPARE(plugins::toString(iid->state), "refused");
        QVERIFY2(iid->error.find("plugin interface 'org.example.OtherPlugin/1'") != std::string::npos, iid->error.c_str());
        QVERIFY(!mapped("libtstplugc_wrong_iid.so"));

        const plugins::PluginRecord* api = record(records, "tstplugc_api_mismatch");
        QVERIFY2(api, list.c_str());
        QCOMPARE(plugins::toString(api->state), "refused");
        QVERIFY2(api->error.find("built for console plugin API 999") != std::string::npos, api->error.c_str());
        QVERIFY(!mapped("libtstplugc_api_mismatch.so"));

        const plugins::PluginRecord* init = record(records, "tstplugc_init_fails");
        QVERIFY2(init, list.c_str());
        QCOMPARE(plugins::toString(init->state), "refused");
        QVERIFY2(init->error.find("the test console plugin fails on purpose") != std::string::npos, init->error.c_str());

        const plugins::PluginRecord* slo = record(records, "slo-burn");
        QVERIFY2(slo, list.c_str());
        QCOMPARE(plugins::toString(slo->state), "loaded");
        QCOMPARE(slo->sha256.size(), std::size_t(64));

        // Docked beside the built-in panels.
        QMainWindow window;
        console.dock(window);
        auto* boardDock = window.findChild<QDockWidget*>(QStringLiteral("plugin.slo-burn.board"));
        auto* roomDock = window.findChild<QDockWidget*>(QStringLiteral("plugin.danmaku.room"));
        QVERIFY(boardDock);
        QVERIFY(roomDock);
        QCOMPARE(window.dockWidgetArea(boardDock), Qt::RightDockWidgetArea);

        // Snapshots through the hub: 90 % availability against 99.99 % burns at 1000×.
        hub.resetRun(QStringLiteral("test-run"));
        hub.applyTopology(topology());
        for (int t = 0; t <= 20; ++t)
            hub.applySnapshot(snapshot(t, 0.9));
        hub.tick();
        auto* table = boardDock->widget()->findChild<QTableWidget*>();
        QVERIFY(table);
        QCOMPARE(table->rowCount(), 1); // the tile without a threshold has no SLO
        QCOMPARE(table->item(0, 1)->text(), QStringLiteral("Panel availability"));
        QCOMPARE(table->item(0, 3)->text(), QStringLiteral("1000.0×"));
        QVERIFY(table->item(0, 3)->background().style() != Qt::NoBrush); // the page fires
        auto* header = boardDock->widget()->findChild<QLabel*>();
        QVERIFY2(header->text().contains(QStringLiteral("page 10.0 s / 0.83 s at 14.4×")), qPrintable(header->text()));

        // Recovery: at 100 % the short windows stop burning and the page clears.
        for (int t = 21; t <= 23; ++t)
            hub.applySnapshot(snapshot(t, 1.0));
        hub.tick();
        QCOMPARE(table->item(0, 4)->text(), QStringLiteral("0.00×"));
        QVERIFY(table->item(0, 3)->background().style() == Qt::NoBrush);

        // Selecting a danmaku room shows it in the plugin's inspector view.
        hub.selectComponent(QStringLiteral("sh-a/danmaku/room-0"));
        auto* summary = roomDock->widget()->findChild<QLabel*>();
        QVERIFY(summary);
        QVERIFY2(summary->text().contains(QStringLiteral("2000 viewers, 904 comments accepted, 2.0 behind per viewer")),
                 qPrintable(summary->text()));

        // Help → Plugins: the table lists every record.
        std::unique_ptr<QWidget> pluginTable(consoleplugins::createPluginTable(records));
        QCOMPARE(static_cast<QTableWidget*>(pluginTable.get())->rowCount(), 4);
        console.shutdown();
    }

    void helpPluginsViewAndStatus()
    {
        QTemporaryDir state;
        ui::DashboardHub hub;
        consoleplugins::ConsolePlugins console(hub);
        plugins::PluginHostOptions o;
        const std::string bad = LIVEDECK_TEST_BAD_CONSOLE_PLUGINS;
        o.pluginDirs = {bad + "/init-fails", std::string(LIVEDECK_TEST_PLUGIN_BUILD_DIR) + "/slo-burn"};
        o.useEnvironment = o.useUserDir = o.useInstalledDirs = false;
        o.stateDir = state.path().toStdString();
        console.load(o);

        QMainWindow window;
        window.menuBar()->addMenu(QStringLiteral("&Help"));
        QAction* action = consoleplugins::installPluginsView(window, [&console] { return console.records(); });
        QVERIFY(action);
        // Into the existing Help menu, not a second one.
        int helpMenus = 0;
        for (QAction* a : window.menuBar()->actions())
            helpMenus += a->menu() && a->text() == QStringLiteral("&Help") ? 1 : 0;
        QCOMPARE(helpMenus, 1);
        QCOMPARE(action->text(), QStringLiteral("&Plugins…"));
        // The broken plugin is announced at start and explained.
        const QString status = window.statusBar()->currentMessage();
        QVERIFY2(status.startsWith(QStringLiteral("1 plugin not loaded (tstplugc_init_fails: ")), qPrintable(status));
        QVERIFY2(status.endsWith(QStringLiteral("see Help → Plugins")), qPrintable(status));

        action->trigger();
        auto* dialog = window.findChild<QDialog*>(QStringLiteral("livedeck.plugins.dialog"));
        QVERIFY(dialog);
        auto* table = dialog->findChild<QTableWidget*>(QStringLiteral("pluginTable"));
        QVERIFY(table);
        QCOMPARE(table->rowCount(), 2);
        QStringList states;
        for (int r = 0; r < table->rowCount(); ++r)
            states << table->item(r, 0)->text() + QLatin1Char('=') + table->item(r, 3)->text();
        states.sort();
        QCOMPARE(states, (QStringList{QStringLiteral("slo-burn=loaded"), QStringLiteral("tstplugc_init_fails=refused")}));
        // Opening it again replaces the dialog.
        action->trigger();
        QCOMPARE(window.findChildren<QDialog*>(QStringLiteral("livedeck.plugins.dialog")).size(), 1);

        // All fine: no status message.
        QMainWindow quiet;
        consoleplugins::installPluginsView(quiet, [] { return std::vector<plugins::PluginRecord>{}; });
        QVERIFY(quiet.statusBar()->currentMessage().isEmpty());
        QCOMPARE(quiet.menuBar()->actions().size(), 1); // Help, created
        console.shutdown();
    }
};

LIVEDECK_TEST_CLASS(TstConsolePlugins)
#include "tst_console_plugins.moc"

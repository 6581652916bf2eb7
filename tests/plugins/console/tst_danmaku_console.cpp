// The danmaku drill in the console's embedded run (ui::makeDrillCluster, the engine
// plugin loaded into the process's engines as the console does): it finishes with the
// same trace hash as a headless DrillRun of the same file and seed.
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_report.h"
#include "backend/drills/drill_run.h"
#include "backend/plugins/plugin_host.h"
#include "tests/common/multi_test.h"
#include "ui/drill_source.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

class TstDanmakuConsole : public QObject {
    Q_OBJECT

private slots:
    void embeddedRunHasTheHeadlessTraceHash()
    {
        using namespace livedeck;
        QTemporaryDir state;
        plugins::PluginHostOptions o;
        o.pluginDirs = {std::string(LIVEDECK_TEST_PLUGIN_BUILD_DIR) + "/danmaku"};
        o.useEnvironment = o.useUserDir = o.useInstalledDirs = false;
        o.stateDir = state.path().toStdString();
        plugins::installPlugins(o);
        QVERIFY(engine::processEngines().find("danmaku"));

        auto spec = drills::loadDrillFile(LIVEDECK_TEST_DANMAKU_DRILL);
        QVERIFY2(spec.ok(), std::string(spec.status().message()).c_str());
        auto headless = drills::DrillRun::create(*spec);
        QVERIFY(headless.ok());
        (*headless)->runToEnd();
        const std::string expected = drills::hashText((*headless)->report().traceHash);

        ui::EmbeddedOptions options;
        options.speed = 0.0; // as fast as possible
        QString error;
        auto cluster = ui::makeDrillCluster(QStringLiteral(LIVEDECK_TEST_DANMAKU_DRILL), std::nullopt, options, &error);
        QVERIFY2(cluster, qPrintable(error));
        ui::DrillStatePtr last;
        connect(cluster.get(), &ui::ClusterSource::drillStateChanged, this,
                [&last](const ui::DrillStatePtr& d) { last = d; });
        cluster->start();
        QTRY_VERIFY_WITH_TIMEOUT(last && last->phase() == v1::DRILL_FINISHED && !last->report_json().empty(), 120'000);
        const std::string report = last->report_json();
        QVERIFY2(report.find("\"trace_hash\": \"" + expected + "\"") != std::string::npos, report.c_str());
        QVERIFY(report.find("\"id\": \"danmaku\"") != std::string::npos);
    }
};

LIVEDECK_TEST_CLASS(TstDanmakuConsole)
#include "tst_danmaku_console.moc"

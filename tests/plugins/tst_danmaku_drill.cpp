// The danmaku example plugin end to end: its drill (beside the gift engine) loads only
// with the plugin, runs to the same trace hash twice, passes, and records the plugin in
// the run's topology; the legacy client (resume: latest) loses comments across the
// gateway fault, which the invariant catches.
#include "app/common/builtin_engines.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/plugins/plugin_host.h"
#include "backend/plugins/sha256.h"
#include "backend/telemetry/recording_reader.h"
#include "tests/common/multi_test.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <iterator>

namespace {

using namespace livedeck;

std::string drillText()
{
    std::ifstream in(LIVEDECK_TEST_DANMAKU_DRILL);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Built-in engines plus the danmaku plugin, once for this test program.
engine::EngineRegistry& withDanmaku()
{
    static engine::EngineRegistry registry;
    static plugins::PluginRecord record;
    if (registry.empty()) {
        app::registerBuiltinEngines(registry);
        QTemporaryDir state;
        plugins::PluginHostOptions o;
        o.pluginDirs = {std::string(LIVEDECK_TEST_PLUGIN_BUILD_DIR) + "/danmaku"};
        o.useEnvironment = o.useUserDir = o.useInstalledDirs = false;
        o.stateDir = state.path().toStdString();
        record = plugins::loadEnginePlugins(o, registry).at(0);
    }
    return registry;
}

drills::DrillReport run(const std::string& text, v1::Topology* topology = nullptr)
{
    auto spec = drills::loadDrill(text, "danmaku-gala.yaml", withDanmaku());
    if (!spec.ok())
        qFatal("%s", std::string(spec.status().message()).c_str());
    auto r = drills::DrillRun::create(*spec);
    if (!r.ok())
        qFatal("%s", std::string(r.status().message()).c_str());
    (*r)->runToEnd();
    if (topology)
        (*r)->world().topologyToProto(*topology);
    return (*r)->report();
}

const drills::InvariantResult* invariant(const drills::DrillReport& report, const std::string& name)
{
    for (const auto& i : report.invariants) {
        if (i.name == name)
            return &i;
    }
    return nullptr;
}

} // namespace

class TstDanmakuDrill : public QObject {
    Q_OBJECT

private slots:
    void unknownEngineWithoutThePlugin()
    {
        engine::EngineRegistry builtins;
        app::registerBuiltinEngines(builtins);
        auto spec = drills::loadDrillFile(LIVEDECK_TEST_DANMAKU_DRILL, builtins);
        QVERIFY(!spec.ok());
        const std::string message(spec.status().message());
        // "<file>:16:3: unknown engine 'danmaku': expected one of ..."
        const std::string where = std::string(LIVEDECK_TEST_DANMAKU_DRILL) + ":16:3: unknown engine 'danmaku'";
        QVERIFY2(message.find(where) == 0, message.c_str());
    }

    void sameTraceTwiceAndPasses()
    {
        v1::Topology topology;
        const drills::DrillReport a = run(drillText(), &topology);
        const drills::DrillReport b = run(drillText());
        qInfo("%s", a.summary().c_str());
        QCOMPARE(a.traceHash, b.traceHash);
        QVERIFY(a.traceHash != 0);
        QVERIFY2(a.passed(), a.summary().c_str());
        const drills::InvariantResult* once = invariant(a, "danmaku.exactly-once");
        QVERIFY(once);
        QVERIFY(once->passed);
        // The plugin is in the run's topology (and so in its recording).
        QCOMPARE(topology.plugins_size(), 1);
        QCOMPARE(topology.plugins(0).id(), std::string("danmaku"));
        QCOMPARE(topology.plugins(0).version(), std::string("0.1.0"));
        QCOMPARE(topology.plugins(0).file_sha256(), withDanmaku().origin("danmaku")->fileSha256);
        // ...and in the drill report, text and JSON.
        QCOMPARE(a.plugins.size(), std::size_t(1));
        QCOMPARE(a.plugins[0].id, std::string("danmaku"));
        QCOMPARE(a.plugins[0].fileSha256, topology.plugins(0).file_sha256());
        QVERIFY(a.summary().find("plugin       danmaku 0.1.0  sha256 " + a.plugins[0].fileSha256) != std::string::npos);
        QVERIFY(a.toJson(false).find("\"file_sha256\": \"" + a.plugins[0].fileSha256 + "\"") != std::string::npos);
        bool described = false;
        for (const v1::EngineDescriptor& d : topology.engines())
            described = described || (d.name() == "danmaku" && d.plugin_id() == "danmaku");
        QVERIFY(described);
    }

    void recordingNamesThePlugin()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("danmaku.sqlite")).toStdString();
        {
            auto spec = drills::loadDrill(drillText(), "danmaku-gala.yaml", withDanmaku());
            QVERIFY(spec.ok());
            auto r = drills::DrillRun::create(*spec);
            QVERIFY(r.ok());
            QVERIFY((*r)->startRecording(path).ok());
            (*r)->runToEnd();
            QVERIFY((*r)->recordingStatus().ok());
        }
        auto reader = telemetry::RecordingReader::open(path);
        QVERIFY2(reader.ok(), std::string(reader.status().message()).c_str());
        auto topology = (*reader)->topology();
        QVERIFY(topology.ok());
        QCOMPARE(topology->plugins_size(), 1);
        QCOMPARE(topology->plugins(0).id(), std::string("danmaku"));
        QCOMPARE(topology->plugins(0).file_sha256(), withDanmaku().origin("danmaku")->fileSha256);
    }

    void moderationOutageOpensTheBreaker()
    {
        // Moderation down from 2 s to 5 s: the plugin's breaker (the host's, through the
        // SDK) opens on the failures and refuses comments at once; after the outage its
        // probes pass and comments flow again. No accepted comment is lost.
        std::string text = drillText();
        const auto at = text.find("expectations:");
        QVERIFY(at != std::string::npos);
        text.insert(at, "  - name: moderation-down\n    at: 2s\n    for: 3s\n    kind: down\n"
                        "    target: sh-a/danmaku/moderation\n");
        auto spec = drills::loadDrill(text, "danmaku-gala.yaml", withDanmaku());
        QVERIFY2(spec.ok(), std::string(spec.status().message()).c_str());
        auto r = drills::DrillRun::create(*spec);
        QVERIFY(r.ok());
        int opened = 0;
        int closed = 0;
        (*r)->world().events().subscribe([&](const v1::Event& e) {
            if (e.kind() == "breaker.transition" && e.component() == "sh-a/danmaku/moderation-breaker") {
                opened += e.message().find("-> OPEN") != std::string::npos;
                closed += e.message().find("-> CLOSED") != std::string::npos;
            }
        });
        (*r)->runToEnd();
        const telemetry::Counter* refused =
            (*r)->telemetry().metrics().findCounter("danmaku.rejected.moderation_unavailable", "danmaku");
        QVERIFY(refused);
        qInfo("moderation outage: %.0f comments refused, breaker opened %d, closed %d", refused->total(), opened, closed);
        QVERIFY(refused->total() > 0);
        QVERIFY2(opened >= 1, "the breaker never opened");
        QVERIFY2(closed >= 1, "the breaker never closed again");
        const drills::DrillReport report = (*r)->report();
        const drills::InvariantResult* once = invariant(report, "danmaku.exactly-once");
        QVERIFY(once);
        QVERIFY2(once->passed, once->detail.c_str());
    }

    void legacyResumeLosesComments()
    {
        std::string text = drillText();
        const auto at = text.find("resume: offset");
        QVERIFY(at != std::string::npos);
        text.replace(at, 14, "resume: latest");
        const drills::DrillReport report = run(text);
        const drills::InvariantResult* once = invariant(report, "danmaku.exactly-once");
        QVERIFY(once);
        qInfo("legacy resume: %s", once->detail.c_str());
        QVERIFY2(!once->passed, once->detail.c_str());
        QVERIFY2(once->detail.find("lost") != std::string::npos, once->detail.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstDanmakuDrill)
#include "tst_danmaku_drill.moc"

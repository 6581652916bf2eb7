// The SDK's infrastructure and resilience factories from a plugin: the sdk_probe test
// plugin (tests/plugins/sdk_probe) writes and reads a SQL row on a shard, sets and reads
// KV and Raft KV keys (through an elected leader), publishes and consumes MQ records
// with committed offsets, opens a breaker with failed reads while its KV pair is down
// and drives the limiters. Each part's outcome is an invariant of the drill run; the
// run gives the same trace hash twice. Without the drill's fault the breaker never
// opens, and its invariant says so.
#include "app/common/builtin_engines.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/plugins/plugin_host.h"
#include "tests/common/multi_test.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <iterator>

namespace {

using namespace livedeck;

std::string probeDrill()
{
    std::ifstream in(LIVEDECK_TEST_SDK_PROBE_DRILL);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

engine::EngineRegistry& withProbe()
{
    static engine::EngineRegistry registry;
    if (registry.empty()) {
        app::registerBuiltinEngines(registry);
        QTemporaryDir state;
        plugins::PluginHostOptions o;
        o.pluginDirs = {LIVEDECK_TEST_SDK_PROBE_DIR};
        o.useEnvironment = o.useUserDir = o.useInstalledDirs = false;
        o.stateDir = state.path().toStdString();
        const auto records = plugins::loadEnginePlugins(o, registry);
        if (records.size() != 1 || records[0].state != plugins::PluginState::Loaded)
            qFatal("the sdk_probe plugin did not load: %s", records.empty() ? "none found" : records[0].error.c_str());
    }
    return registry;
}

drills::DrillReport run(const std::string& text)
{
    auto spec = drills::loadDrill(text, "sdk-probe.yaml", withProbe());
    if (!spec.ok())
        qFatal("%s", std::string(spec.status().message()).c_str());
    auto r = drills::DrillRun::create(*spec);
    if (!r.ok())
        qFatal("%s", std::string(r.status().message()).c_str());
    (*r)->runToEnd();
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

class TstSdkFactories : public QObject {
    Q_OBJECT

private slots:
    void everyFactoryWorksFromAPlugin()
    {
        const drills::DrillReport a = run(probeDrill());
        qInfo("%s", a.summary().c_str());
        for (const char* name : {"sdk.sql", "sdk.kv", "sdk.raft", "sdk.mq", "sdk.breaker", "sdk.limiters", "sdk.refusals"}) {
            const drills::InvariantResult* i = invariant(a, name);
            QVERIFY2(i, name);
            qInfo("%s: %s", name, i->detail.c_str());
            QVERIFY2(i->passed, (std::string(name) + ": " + i->detail).c_str());
        }
        QVERIFY(invariant(a, "sdk.sql")->detail.find("read back") != std::string::npos);
        QVERIFY(invariant(a, "sdk.raft")->detail.find("leader ") == 0);
        QVERIFY(invariant(a, "sdk.mq")->detail.find("10 consumed") != std::string::npos);
        QVERIFY(a.passed());
        // Deterministic: the same drill and seed, the same trace.
        const drills::DrillReport b = run(probeDrill());
        QCOMPARE(a.traceHash, b.traceHash);
        QVERIFY(a.traceHash != 0);
        QCOMPARE(invariant(a, "sdk.breaker")->detail, invariant(b, "sdk.breaker")->detail);
    }

    void breakerStaysClosedWithoutFailures()
    {
        std::string text = probeDrill();
        const auto at = text.find("faults:");
        QVERIFY(at != std::string::npos);
        text.erase(at, text.find("invariants:") - at);
        const drills::DrillReport report = run(text);
        const drills::InvariantResult* breaker = invariant(report, "sdk.breaker");
        QVERIFY(breaker);
        QVERIFY2(!breaker->passed, breaker->detail.c_str());
        QVERIFY2(breaker->detail.find("never opened") == 0, breaker->detail.c_str());
        // The other parts do not depend on the fault.
        QVERIFY(invariant(report, "sdk.sql")->passed);
        QVERIFY(invariant(report, "sdk.mq")->passed);
    }
};

LIVEDECK_TEST_CLASS(TstSdkFactories)
#include "tst_sdk_factories.moc"

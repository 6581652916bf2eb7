// The CDN's built-in drills in process: each plain cdn-* drill passes, each sabotage twin
// fails (the mechanism it switches off is what the drill tests), and a drill run twice at
// one seed gives one trace. CDN_DRILL=<name> runs one drill and prints its summary.
#include "tests/common/multi_test.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/sim/strings.h"
#include "tests/common/engines.h"

#include <QTest>

#include <cstdio>
#include <cstdlib>

using namespace livedeck;
using namespace livedeck::drills;

namespace {

DrillReport runBuiltin(const std::string& name)
{
    const BuiltinDrill* d = findBuiltinDrill(name);
    if (!d)
        return {};
    auto spec = loadDrill(d->text, d->fileName);
    if (!spec.ok())
        qFatal("%s", std::string(spec.status().message()).c_str());
    auto run = DrillRun::create(*spec);
    if (!run.ok())
        qFatal("%s", std::string(run.status().message()).c_str());
    (*run)->runToEnd();
    return (*run)->report();
}

} // namespace

class TstCdnDrills : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { LIVEDECK_REQUIRE_ENGINE("cdn"); }

    void drills_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("twin");
        const char* only = std::getenv("CDN_DRILL");
        for (const BuiltinDrill& d : builtinDrills()) {
            if (d.name.rfind("cdn-", 0) != 0 || (only && d.name != only))
                continue;
            QTest::newRow(d.name.c_str()) << QString::fromStdString(d.name) << !d.sabotageOf.empty();
        }
    }
    void drills()
    {
        QFETCH(QString, name);
        QFETCH(bool, twin);
        const DrillReport r = runBuiltin(name.toStdString());
        if (std::getenv("CDN_DRILL"))
            std::printf("%s\n", r.summary().c_str());
        QVERIFY2(r.passed() == !twin, r.verdictLine().c_str());
    }

    // Bad input: an unknown key, a window < 1 → file:line:col naming the key.
    void badInput_data()
    {
        QTest::addColumn<QString>("section");
        QTest::addColumn<QString>("where");
        QTest::newRow("window 0") << "    window: 0\n" << "bad.yaml:7:13";
        QTest::newRow("unknown key") << "    windw: 2\n" << "bad.yaml:7:5";
        QTest::newRow("unknown sabotage") << "    sabotage: [no-such]\n" << "bad.yaml:7:16";
        QTest::newRow("bad mode") << "    mode: sideways\n" << "bad.yaml:7:11";
    }
    void badInput()
    {
        QFETCH(QString, section);
        QFETCH(QString, where);
        const std::string text = "name: bad\ndescription: bad input\nseed: 1\nduration: 2s\nengines:\n  cdn:\n"
                                 + section.toStdString() + "expectations:\n  - {name: x, metric: cdn.error_share, expect: \"< 1\"}\n";
        auto spec = loadDrill(text, "bad.yaml");
        QVERIFY(!spec.ok());
        const std::string msg(spec.status().message());
        QVERIFY2(msg.find(where.toStdString()) != std::string::npos, msg.c_str());
    }

    // Legacy recovery moves with the scheduler's knobs (docs/CDN.md "Legacy recovery
    // sweep"): cdn-recovery-legacy's setting (report interval R 60 s, K 3, plan period
    // P 300 s, DNS TTL 600 s, fidelity 20) at one seed — the same report, plan and
    // resolver phases, drawn as fractions of each period — with one knob changed at a
    // time. A longer TTL, report interval or plan period makes the p99 recovery of the
    // failed node's clients longer, a shorter one shorter. The plan period is swept at a
    // 60 s TTL: at 600 s the resolvers' expiry, not the plan, is what the clients wait for.
    void legacyRecoverySweep()
    {
        struct Knobs {
            int report, plan, ttl;
        };
        auto recovery = [](Knobs k) {
            const int duration = 60 + 5 * k.report + k.plan + k.ttl + 200;
            const std::string text = sim::strCat(
                "name: legacy-sweep\ndescription: legacy recovery sweep\nseed: 1\nduration: ", duration,
                "s\nengines:\n  cdn:\n    mode: legacy\n    fidelity: 20\n    client_groups: 32\n"
                "    warm_requests: 20000\n    report_interval: ",
                k.report, "s\n    plan_period: ", k.plan, "s\n    dns_ttl: ", k.ttl,
                "s\nfaults:\n  - {name: cache-down, at: 60s, kind: down, target: sh-a/cdn/edge-3}\n"
                "expectations:\n  - {name: recovery, metric: cdn.recovery_p99_s, stat: last, expect: \">= 0\"}\n");
            auto spec = loadDrill(text, "legacy-sweep.yaml");
            if (!spec.ok())
                qFatal("%s", std::string(spec.status().message()).c_str());
            auto run = DrillRun::create(*spec);
            if (!run.ok())
                qFatal("%s", std::string(run.status().message()).c_str());
            (*run)->runToEnd();
            const DrillReport r = (*run)->report();
            const double v = r.expectations.empty() || !r.expectations.front().observed ? -1.0 : *r.expectations.front().observed;
            std::printf("legacy recovery p99, report %d s, plan %d s, TTL %d s: %.1f s\n", k.report, k.plan, k.ttl, v);
            return v;
        };
        const double base = recovery({60, 300, 600});
        QVERIFY2(base > 15 * 60.0 && base < 25 * 60.0, "the write-up's 15-25 min");
        QVERIFY(recovery({60, 300, 300}) < base - 60.0);  // shorter TTL
        QVERIFY(recovery({60, 300, 1200}) > base + 20.0); // longer TTL
        QVERIFY(recovery({180, 300, 600}) > base + 20.0); // longer report interval (detection after K x R)
        QVERIFY(recovery({60, 100, 60}) < recovery({60, 300, 60}) - 60.0); // plan period
    }

    void sameSeedSameTrace()
    {
        const DrillReport a = runBuiltin("cdn-node-loss");
        const DrillReport b = runBuiltin("cdn-node-loss");
        QVERIFY(a.traceHash != 0);
        QCOMPARE(a.traceHash, b.traceHash);
        QCOMPARE(a.stateDigest, b.stateDigest);
    }
};

LIVEDECK_TEST_CLASS(TstCdnDrills)
#include "tst_cdn_drills.moc"

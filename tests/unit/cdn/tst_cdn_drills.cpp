// The CDN's built-in drills in process: each plain cdn-* drill passes, each sabotage twin
// fails (the mechanism it switches off is what the drill tests), and a drill run twice at
// one seed gives one trace. CDN_DRILL=<name> runs one drill and prints its summary.
#include "tests/common/multi_test.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
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

// Determinism across processes: two `drill run` processes with one seed give the same
// trace hash and the same report (apart from the wall-clock fields); different seeds
// differ; a recording verifies by re-simulation in a third process.
#include "tests/common/multi_test.h"

#include "tests/integration/drill_cli_util.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;

namespace {

QJsonObject runReport(const QString& drill, const QString& seed, const QString& path, const QStringList& extra = {})
{
    QStringList args{QStringLiteral("drill"), QStringLiteral("run"), drill, QStringLiteral("--seed"), seed,
                     QStringLiteral("--report"), path, QStringLiteral("-q")};
    args += extra;
    const test::CtlResult r = test::runCtl(args);
    if (r.crashed || (r.exitCode != 0 && r.exitCode != 1))
        qWarning("%s", qPrintable(r.err));
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    o.remove(QStringLiteral("wall_seconds"));
    o.remove(QStringLiteral("speedup"));
    return o;
}

// The drill both tests use: the gala when the gift engine is built in, else the
// synthetic chaos drill (random faults: seeds really differ).
QString drillName()
{
    const drills::BuiltinDrill* gala = drills::findBuiltinDrill("gala");
    return gala && test::runnable(*gala) ? QStringLiteral("gala") : QStringLiteral("synthetic-chaos");
}

} // namespace

class TstDrillCliDeterminism : public QObject {
    Q_OBJECT

private slots:
    void sameSeedTwoProcesses()
    {
        QTemporaryDir dir;
        const QJsonObject a = runReport(drillName(), QStringLiteral("11"), dir.filePath(QStringLiteral("a.json")));
        const QJsonObject b = runReport(drillName(), QStringLiteral("11"), dir.filePath(QStringLiteral("b.json")));
        QVERIFY(!a.isEmpty());
        QCOMPARE(a.value(QStringLiteral("seed")).toInt(), 11);
        QCOMPARE(a.value(QStringLiteral("trace_hash")).toString(), b.value(QStringLiteral("trace_hash")).toString());
        QCOMPARE(a, b);
    }

    void differentSeedsDiffer()
    {
        QTemporaryDir dir;
        const QJsonObject a = runReport(drillName(), QStringLiteral("1"), dir.filePath(QStringLiteral("a.json")));
        const QJsonObject b = runReport(drillName(), QStringLiteral("2"), dir.filePath(QStringLiteral("b.json")));
        QVERIFY(!a.isEmpty() && !b.isEmpty());
        QVERIFY(a.value(QStringLiteral("trace_hash")).toString() != b.value(QStringLiteral("trace_hash")).toString());
    }

    void recordThenVerify()
    {
        QTemporaryDir dir;
        const QString rec = dir.filePath(QStringLiteral("run.sqlite"));
        const QJsonObject a = runReport(drillName(), QStringLiteral("5"), dir.filePath(QStringLiteral("a.json")),
                                        {QStringLiteral("--record"), rec, QStringLiteral("--until"), QStringLiteral("8s")});
        QVERIFY(!a.isEmpty());
        QCOMPARE(a.value(QStringLiteral("sim_seconds")).toDouble(), 8.0);
        const test::CtlResult v = test::runCtl({QStringLiteral("drill"), QStringLiteral("verify"), rec});
        QVERIFY2(v.exitCode == 0, qPrintable(v.out + v.err));
        QVERIFY(v.out.contains(QStringLiteral("MATCH")));
        QVERIFY(v.out.contains(a.value(QStringLiteral("trace_hash")).toString()));
        // Not a recording: bad input.
        const test::CtlResult bad =
            test::runCtl({QStringLiteral("drill"), QStringLiteral("verify"), dir.filePath(QStringLiteral("a.json"))});
        QCOMPARE(bad.exitCode, 2);
    }
};

LIVEDECK_TEST_CLASS(TstDrillCliDeterminism)
#include "tst_drill_cli_determinism.moc"

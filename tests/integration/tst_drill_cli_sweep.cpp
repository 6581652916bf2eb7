// `livedeckctl drill sweep`: 20 seeds of the gala sweep drill (random faults on the gift
// system) break no invariant — one verdict line per seed; and a sweep that does fail
// lists its failing seeds, each of which reproduces with `drill run --seed`.
#include "tests/common/multi_test.h"

#include "tests/integration/drill_cli_util.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;

class TstDrillCliSweep : public QObject {
    Q_OBJECT

private slots:
    void twentySeedsNoViolation()
    {
        const drills::BuiltinDrill* d = drills::findBuiltinDrill("gala-sweep");
        const QString drill = d && test::runnable(*d) ? QStringLiteral("gala-sweep") : QStringLiteral("synthetic-chaos");
        const test::CtlResult r = test::runCtl({QStringLiteral("drill"), QStringLiteral("sweep"), drill, QStringLiteral("--seeds"),
                                                QStringLiteral("1..20"), QStringLiteral("--invariants-only")},
                                               600'000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QCOMPARE(r.out.count(QRegularExpression(QStringLiteral("^seed \\d+ "), QRegularExpression::MultilineOption)), 20);
        QVERIFY(r.out.contains(QStringLiteral("20 seed(s), none failed")));
        // Seeds drew different faults.
        QCOMPARE(r.out.count(QStringLiteral("trace 0x")), 20);
    }

    void failingSeedsReproduce()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("strict.yaml"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("name: strict\nduration: 20s\nengines: {synthetic: {services_per_region: 2, send_interval: 10ms}}\n"
                "random_faults:\n  - kinds: [down]\n    targets: [sh-a, sh-b, gz]\n    rate: 3/min\n    length: 2s..4s\n"
                "expectations:\n  - name: untouched\n    metric: synthetic.send_success\n    stat: min\n    expect: \">= 0.999\"\n");
        f.close();
        const test::CtlResult r = test::runCtl(
            {QStringLiteral("drill"), QStringLiteral("sweep"), path, QStringLiteral("--seeds"), QStringLiteral("1..8")});
        QCOMPARE(r.exitCode, 1);
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("failed:((?: \\d+)+)")).match(r.out);
        QVERIFY2(m.hasMatch(), qPrintable(r.out));
        const QString seed = m.captured(1).trimmed().split(QLatin1Char(' ')).constFirst();
        QVERIFY(r.out.contains(QStringLiteral("reproduce with: livedeckctl drill run ")));
        const QRegularExpressionMatch line =
            QRegularExpression(QStringLiteral("^seed %1 .*trace (0x[0-9a-f]+)").arg(seed), QRegularExpression::MultilineOption)
                .match(r.out);
        QVERIFY(line.hasMatch());
        const test::CtlResult again = test::runCtl(
            {QStringLiteral("drill"), QStringLiteral("run"), path, QStringLiteral("--seed"), seed, QStringLiteral("-q")});
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.out.contains(line.captured(1)), qPrintable(again.out));
    }
};

LIVEDECK_TEST_CLASS(TstDrillCliSweep)
#include "tst_drill_cli_sweep.moc"

// `livedeckctl drill sweep --swarm` as a process (docs/DRILLS.md, "Swarm testing"): the
// output with --jobs 1 and --jobs 2 is the same bytes; the cross-region gala's seed 11
// holds since the catalog hedges its cross-region KV reads, and in the twin without the
// hedge (no-kv-hedge) the same seed breaks the panel invariant and shrinks to one sh-a/sh-b
// partition, written as a drill that `drill run` fails the same way; the checked-in
// shrunk drill holds, its no-kv-hedge twin fails; the shrunk drill of gala-sweep's seed
// 504 (sh-b down with panel requests in flight) holds since the panel fix; swarm-only
// options without --swarm are bad usage.
#include "tests/common/multi_test.h"
#include "tests/ctl/ctl_test_util.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;
using namespace livedeck::test;

class TstCtlSwarm : public QObject {
    Q_OBJECT

private slots:
    void jobsOneAndTwoPrintTheSame()
    {
        const QStringList base = words({"drill", "sweep", "gala-sweep", "--swarm", "--seeds", "1..6", "--no-shrink"});
        const CtlRun one = runCtlProgram(base + words({"--jobs", "1"}));
        const CtlRun two = runCtlProgram(base + words({"--jobs", "2"}));
        if (one.err.contains(QStringLiteral("unknown engine")))
            QSKIP("this build has no gift engine");
        QCOMPARE(one.exitCode, two.exitCode);
        QCOMPARE(one.out, two.out);
        QVERIFY2(one.out.contains(QStringLiteral("coverage: ")), qPrintable(one.out));
        QVERIFY(one.out.contains(QStringLiteral("drew: ")));
    }

    void crossRegionSeedHoldsWithTheHedge()
    {
        const CtlRun r = runCtlProgram(words({"drill", "sweep"}) << ctlDrill("gala-swarm-cross-region.yaml")
                                               << words({"--swarm", "--seeds", "11", "--no-shrink"}));
        if (r.err.contains(QStringLiteral("unknown engine")))
            QSKIP("this build has no gift engine");
        QVERIFY2(r.out.contains(QStringLiteral("partition@sh-a")), qPrintable(r.out)); // the same draw as the twin's
        QVERIFY2(r.out.contains(QStringLiteral("sweep: 1 seed(s), none failed")), qPrintable(r.out));
        QCOMPARE(r.exitCode, 0);
    }

    void crossRegionSeedWithoutHedgeShrinksToOnePartition()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const CtlRun r = runCtlProgram(words({"drill", "sweep"}) << ctlDrill("gifts-swarm-cross-region-no-kv-hedge.yaml")
                                               << words({"--swarm", "--seeds", "11", "--shrink-dir"}) << dir.path());
        if (r.err.contains(QStringLiteral("unknown engine")))
            QSKIP("this build has no gift engine");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.contains(QStringLiteral("seed 11 shrunk from 6 to 1 fault(s) breaking gifts.panel_general_tab")),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("partition sh-a 2.461s..5.173s")), qPrintable(r.out));
        const QString repro = dir.filePath(QStringLiteral("gifts-swarm-cross-region-no-kv-hedge-swarm-11.yaml"));
        QVERIFY(QFile::exists(repro));
        const CtlRun run = runCtlProgram(words({"drill", "run"}) << repro << QStringLiteral("-q"));
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains(QStringLiteral("FAIL  gifts.panel_general_tab")), qPrintable(run.out));
    }

    void shrunkPanelDrillHolds()
    {
        const CtlRun r = runCtlProgram(words({"drill", "run"}) << ctlDrill("gifts-panel-cross-region-partition.yaml")
                                                     << QStringLiteral("-q"));
        if (r.err.contains(QStringLiteral("unknown engine")))
            QSKIP("this build has no gift engine");
        for (const char* inv : {"gifts.double_charge", "gifts.settled_twice", "gifts.paid_unsettled",
                                "gifts.settled_and_refunded", "gifts.settled_without_charge", "gifts.paid_order_lost",
                                "gifts.panel_general_tab"})
            QVERIFY2(r.out.contains(QStringLiteral("PASS  ") + QLatin1String(inv)), qPrintable(r.out));
        QVERIFY2(r.exitCode == 0, qPrintable(r.out));
    }

    void shrunkPanelDrillFailsWithoutHedge()
    {
        const CtlRun r = runCtlProgram(words({"drill", "run"})
                                       << ctlDrill("gifts-panel-cross-region-partition-no-kv-hedge.yaml")
                                       << QStringLiteral("-q"));
        if (r.err.contains(QStringLiteral("unknown engine")))
            QSKIP("this build has no gift engine");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.contains(QStringLiteral("FAIL  gifts.panel_general_tab")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("without the general tab after 250.1 ms")), qPrintable(r.out));
        // Only the panel's invariant breaks: the partition harms nothing else.
        QVERIFY2(r.out.contains(QStringLiteral("PASS  gifts.double_charge")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("PASS  gifts.paid_order_lost")), qPrintable(r.out));
    }

    void shrunkRegionDownDrillHolds()
    {
        const CtlRun r = runCtlProgram(words({"drill", "run"}) << ctlDrill("gala-sweep-region-down-in-flight.yaml")
                                                               << QStringLiteral("-q"));
        if (r.err.contains(QStringLiteral("unknown engine")))
            QSKIP("this build has no gift engine");
        QVERIFY2(r.out.contains(QStringLiteral("PASS  gifts.panel_general_tab")), qPrintable(r.out));
        QVERIFY2(r.exitCode == 0, qPrintable(r.out));
    }

    void swarmOptionsNeedSwarm()
    {
        for (const char* option : {"--no-shrink", "--require-coverage"}) {
            const CtlRun r = runCtlProgram(words({"drill", "sweep", "synthetic-chaos", "--seeds", "1", option}));
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains(QStringLiteral("goes with --swarm")), qPrintable(r.err));
        }
    }
};

LIVEDECK_TEST_CLASS(TstCtlSwarm)
#include "tst_ctl_swarm.moc"

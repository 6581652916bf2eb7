// Sweeps across machines (docs/DRILLS.md): `drill sweep --shard I/N --out PART.json` in
// N livedeckctl processes at once, then `drill sweep-merge`, must print byte for byte
// what one `drill sweep` over the whole range prints, with its exit code, and its JSON
// must equal the single sweep's part (the shards with --jobs 2, the single sweep with 1). The drill is the synthetic chaos drill written to a
// temporary directory with a stricter delivery expectation, so that some seeds fail and
// some pass. Parts that are not one sweep's (a shard missing or twice, another drill
// text, another range, not a part at all) are refused with exit 2, as are bad --shard
// values.
#include "tests/common/multi_test.h"
#include "tests/ctl/ctl_test_util.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using namespace livedeck;

namespace {

// Random latency, partitions and outages; delivery must average >= `threshold`.
QByteArray chaosDrill(const char* threshold)
{
    return QByteArray(
               "name: shard-chaos\n"
               "seed: 1\n"
               "duration: 30s\n"
               "engines:\n"
               "  synthetic:\n"
               "    services_per_region: 3\n"
               "    send_interval: 10ms\n"
               "random_faults:\n"
               "  - name: chaos\n"
               "    kinds: [latency, down, partition]\n"
               "    targets: [\"*/synthetic/svc/*\"]\n"
               "    rate: 6/min\n"
               "    length: 2s..15s\n"
               "    max_active: 3\n"
               "    params:\n"
               "      latency: {add_ms: 5..200}\n"
               "      partition: {peer: [sh-a, sh-b, gz]}\n"
               "  - name: regions\n"
               "    kinds: [down]\n"
               "    targets: [sh-a, sh-b, gz]\n"
               "    mean_gap: 20s\n"
               "    length: 5s..10s\n"
               "    from: 10s\n"
               "    max_active: 1\n"
               "expectations:\n"
               "  - name: mostly delivered\n"
               "    metric: synthetic.send_success\n"
               "    stat: mean\n"
               "    expect: \">= ")
        + threshold + "\"\ninvariants: all\n";
}

bool writeText(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QByteArray readText(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Runs `count` shards of `args` (a `drill sweep` command line) at the same time, each
// writing dir/part-I.json; returns the parts' paths, or an empty list on a failure.
QStringList runShards(const QStringList& args, int count, const QString& dir)
{
    std::vector<std::unique_ptr<QProcess>> running;
    QStringList parts;
    for (int i = 0; i < count; ++i) {
        const QString part = dir + QStringLiteral("/part-%1.json").arg(i);
        parts << part;
        auto p = std::make_unique<QProcess>();
        p->start(QStringLiteral(LIVEDECK_CTL_PATH),
                 args + QStringList{QStringLiteral("--shard"), QStringLiteral("%1/%2").arg(i).arg(count), QStringLiteral("--out"), part});
        if (!p->waitForStarted(10'000))
            return {};
        running.push_back(std::move(p));
    }
    bool ok = true;
    for (auto& p : running) {
        p->waitForFinished(300'000);
        if (p->exitStatus() != QProcess::NormalExit || p->exitCode() != 0) {
            qWarning("shard failed: %s", p->readAllStandardError().constData());
            ok = false;
        }
    }
    return ok ? parts : QStringList{};
}

} // namespace

class TstCtlSweepShards : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_drill;
    QString m_other;

    QStringList sweepArgs(const QString& drill, const char* seeds) const
    {
        return {QStringLiteral("drill"), QStringLiteral("sweep"), drill, QStringLiteral("--seeds"), QString::fromLatin1(seeds),
                QStringLiteral("--until"), QStringLiteral("25s")};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_drill = m_dir.filePath(QStringLiteral("chaos.yaml"));
        m_other = m_dir.filePath(QStringLiteral("chaos-other.yaml"));
        QVERIFY(writeText(m_drill, chaosDrill("0.88")));
        QVERIFY(writeText(m_other, chaosDrill("0.87"))); // another text: another sweep
    }

    void threeShardsMergeToTheSingleSweep()
    {
        const QString whole = m_dir.filePath(QStringLiteral("whole.json"));
        const test::CtlRun single = test::runCtlProgram(sweepArgs(m_drill, "1..14") + QStringList{QStringLiteral("--out"), whole});
        QCOMPARE(single.exitCode, 1);
        // Both verdicts occur, so the merge has to interleave failing and passing seeds.
        QVERIFY2(single.out.contains(QStringLiteral("  FAIL  ")) && single.out.contains(QStringLiteral("  PASS  ")),
                 qPrintable(single.out));
        QVERIFY(single.out.contains(QStringLiteral("reproduce with: livedeckctl drill run ") + m_drill));

        const QString dir = m_dir.filePath(QStringLiteral("three"));
        QVERIFY(QDir().mkpath(dir));
        // The shards run their seeds on two threads each; the single sweep on one.
        const QStringList parts = runShards(sweepArgs(m_drill, "1..14") + QStringList{QStringLiteral("--jobs"), QStringLiteral("2")}, 3, dir);
        QCOMPARE(parts.size(), 3);

        // Shard 1 of 3 holds the seeds whose index in 1..14 is 1 modulo 3.
        const QJsonObject part1 = QJsonDocument::fromJson(readText(parts[1])).object();
        QCOMPARE(part1.value(QStringLiteral("shard")).toObject().value(QStringLiteral("index")).toInt(), 1);
        QCOMPARE(part1.value(QStringLiteral("shard")).toObject().value(QStringLiteral("count")).toInt(), 3);
        QList<int> seeds;
        for (const QJsonValue& r : part1.value(QStringLiteral("results")).toArray())
            seeds << r.toObject().value(QStringLiteral("seed")).toInt();
        QCOMPARE(seeds, (QList<int>{2, 5, 8, 11, 14}));
        QCOMPARE(part1.value(QStringLiteral("drill_sha256")).toString().size(), 64);

        // Given in any order.
        const test::CtlRun merged = test::runCtlProgram(
            QStringList{QStringLiteral("drill"), QStringLiteral("sweep-merge"), parts[2], parts[0], parts[1]});
        QCOMPARE(merged.err, QString());
        QCOMPARE(merged.out, single.out);
        QCOMPARE(merged.exitCode, single.exitCode);

        const test::CtlRun json = test::runCtlProgram(
            QStringList{QStringLiteral("drill"), QStringLiteral("sweep-merge"), QStringLiteral("--json"), parts[0], parts[1], parts[2]});
        QCOMPARE(json.exitCode, 1);
        QCOMPARE(json.out.toUtf8(), readText(whole));
    }

    // More shards than seeds (empty slices), and a passing sweep: exit 0 like the single one.
    void aPassingSweepMergesToExitZero()
    {
        const QStringList args = sweepArgs(m_drill, "5..7") + QStringList{QStringLiteral("--invariants-only")};
        const test::CtlRun single = test::runCtlProgram(args);
        QCOMPARE(single.exitCode, 0);
        QVERIFY2(single.out.endsWith(QStringLiteral("sweep: 3 seed(s), none failed\n")), qPrintable(single.out));
        const QString dir = m_dir.filePath(QStringLiteral("five"));
        QVERIFY(QDir().mkpath(dir));
        const QStringList parts = runShards(args, 5, dir);
        QCOMPARE(parts.size(), 5);
        const test::CtlRun merged = test::runCtlProgram(QStringList{QStringLiteral("drill"), QStringLiteral("sweep-merge")} + parts);
        QCOMPARE(merged.out, single.out);
        QCOMPARE(merged.exitCode, 0);
    }

    void partsOfAnotherSweepAreRefused()
    {
        const QString dir = m_dir.filePath(QStringLiteral("bad"));
        QVERIFY(QDir().mkpath(dir));
        const QStringList parts = runShards(sweepArgs(m_drill, "1..6"), 3, dir);
        QCOMPARE(parts.size(), 3);
        const QString otherDir = m_dir.filePath(QStringLiteral("other"));
        QVERIFY(QDir().mkpath(otherDir));
        const QStringList others = runShards(sweepArgs(m_other, "1..6"), 3, otherDir);
        QCOMPARE(others.size(), 3);
        const QString rangeDir = m_dir.filePath(QStringLiteral("range"));
        QVERIFY(QDir().mkpath(rangeDir));
        const QStringList ranges = runShards(sweepArgs(m_drill, "1..7"), 3, rangeDir);
        QCOMPARE(ranges.size(), 3);
        const QString notAPart = m_dir.filePath(QStringLiteral("not-a-part.json"));
        QVERIFY(writeText(notAPart, "{\"format\": \"something else\"}\n"));

        struct Case {
            const char* name;
            QStringList files;
            QString message;
        };
        const std::vector<Case> cases = {
            {"missing shard", {parts[0], parts[2]}, QStringLiteral("shard(s) 1/3 missing")},
            {"mixed drills", {parts[0], others[1], parts[2]}, QStringLiteral("drill text sha256")},
            {"another range", {parts[0], parts[1], ranges[2]}, QStringLiteral("seed range 1..7")},
            {"shard twice", {parts[0], parts[1], parts[1], parts[2]}, QStringLiteral("shard 1/3 given twice")},
            {"not a part", {parts[0], notAPart}, QStringLiteral("not a sweep part")},
            {"no such file", {parts[0], m_dir.filePath(QStringLiteral("absent.json"))}, QStringLiteral("absent.json")},
        };
        for (const Case& c : cases) {
            const test::CtlRun r = test::runCtlProgram(QStringList{QStringLiteral("drill"), QStringLiteral("sweep-merge")} + c.files);
            QVERIFY2(r.exitCode == 2, c.name);
            QVERIFY2(r.out.isEmpty(), c.name);
            QVERIFY2(r.err.contains(c.message), qPrintable(QString::fromLatin1(c.name) + QStringLiteral(": ") + r.err));
        }
        // Every part given: accepted.
        QCOMPARE(test::runCtlProgram(QStringList{QStringLiteral("drill"), QStringLiteral("sweep-merge")} + parts).err, QString());
    }

    void badShardsAreUsageErrors()
    {
        const QString out = m_dir.filePath(QStringLiteral("x.json"));
        for (const char* shard : {"3/3", "1/0", "a/3", "1", "-1/3"}) {
            const test::CtlRun r = test::runCtlProgram(sweepArgs(m_drill, "1..3")
                                                       + QStringList{QStringLiteral("--shard"), QString::fromLatin1(shard),
                                                                     QStringLiteral("--out"), out});
            QVERIFY2(r.exitCode == 2, shard);
            QVERIFY2(r.err.contains(QStringLiteral("--shard")), qPrintable(r.err));
        }
        const test::CtlRun noOut = test::runCtlProgram(sweepArgs(m_drill, "1..3") + QStringList{QStringLiteral("--shard"), QStringLiteral("0/2")});
        QCOMPARE(noOut.exitCode, 2);
        QVERIFY2(noOut.err.contains(QStringLiteral("--out")), qPrintable(noOut.err));
        QVERIFY(!QFile::exists(out));
    }
};

LIVEDECK_TEST_CLASS(TstCtlSweepShards)
#include "tst_ctl_sweep_shards.moc"

// `livedeckctl drill compare` (backend/drills/drill_compare.h) on real recordings:
// - a run recorded twice at one seed compares with ratio 1 on every series and no
//   divergence (exit 0);
// - two seeds of the synthetic chaos drill diverge, and the event the program names is
//   the first one where the two runs' (time, kind, component) sequences part — found
//   here independently, by stepping both runs in this process side by side;
// - one seed with an operator action applied in B only (the gift engine's drain-region
//   at 10 s): the traces agree through the second before the action and part in the
//   second after it, at the same event index on both sides;
// - --metrics filters, and a file that is not a recording is bad input (exit 2).
#include "tests/common/engines.h"
#include "tests/common/multi_test.h"
#include "tests/ctl/ctl_test_util.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/sim/world.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace livedeck;

namespace {

QJsonObject parse(const test::CtlRun& r)
{
    const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8());
    return doc.object();
}

// Records `drill` at `seed` until `until` into `path`; extra arguments appended.
bool record(const QString& drill, const char* seed, const char* until, const QString& path,
            const QStringList& extra = {})
{
    QStringList args{QStringLiteral("drill"), QStringLiteral("run"), drill, QStringLiteral("--seed"),
                     QString::fromUtf8(seed), QStringLiteral("--until"), QString::fromUtf8(until),
                     QStringLiteral("--record"), path, QStringLiteral("--quiet")};
    args << extra;
    const test::CtlRun r = test::runCtlProgram(args);
    if (r.crashed || (r.exitCode != 0 && r.exitCode != 1)) {
        qWarning("%s", qPrintable(r.err));
        return false;
    }
    return QFile::exists(path);
}

struct Step {
    sim::Nanos time = 0;
    std::string kind;
    std::string component;
};

} // namespace

class TstCtlCompare : public QObject {
    Q_OBJECT

private slots:
    void sameSeedIsIdentical()
    {
        QTemporaryDir dir;
        const QString a = dir.filePath(QStringLiteral("a.sqlite"));
        const QString b = dir.filePath(QStringLiteral("b.sqlite"));
        QVERIFY(record(QStringLiteral("synthetic-chaos"), "4", "6s", a));
        QVERIFY(record(QStringLiteral("synthetic-chaos"), "4", "6s", b));
        const test::CtlRun r = test::runCtlProgram({"drill", "compare", qPrintable(a), qPrintable(b), "--json"});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject o = parse(r);
        QVERIFY(o[QLatin1String("divergence")].toObject()[QLatin1String("comparable")].toBool());
        QVERIFY(!o[QLatin1String("divergence")].toObject()[QLatin1String("diverged")].toBool());
        const QJsonArray metrics = o[QLatin1String("metrics")].toArray();
        QVERIFY(metrics.size() > 5);
        int withRatio = 0;
        for (const QJsonValue& v : metrics) {
            const QJsonObject m = v.toObject();
            QVERIFY2(!m[QLatin1String("a")].isNull() && !m[QLatin1String("b")].isNull(), qPrintable(m[QLatin1String("name")].toString()));
            QCOMPARE(m[QLatin1String("a")].toObject()[QLatin1String("mean")].toDouble(), m[QLatin1String("b")].toObject()[QLatin1String("mean")].toDouble());
            QCOMPARE(m[QLatin1String("a")].toObject()[QLatin1String("p99")].toDouble(), m[QLatin1String("b")].toObject()[QLatin1String("p99")].toDouble());
            if (!m[QLatin1String("ratio")].isNull()) {
                QCOMPARE(m[QLatin1String("ratio")].toDouble(), 1.0);
                ++withRatio;
            }
        }
        QVERIFY(withRatio > 0);

        const test::CtlRun text = test::runCtlProgram({"drill", "compare", qPrintable(a), qPrintable(b)});
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains(QLatin1String("identical: no divergence")), qPrintable(text.out));

        // --metrics narrows the table to matching names.
        const test::CtlRun only =
            test::runCtlProgram({"drill", "compare", qPrintable(a), qPrintable(b), "--json", "--metrics", "synthetic.sent"});
        const QJsonArray sent = parse(only)[QLatin1String("metrics")].toArray();
        QVERIFY(!sent.isEmpty());
        for (const QJsonValue& v : sent)
            QVERIFY(v.toObject()[QLatin1String("name")].toString().contains(QLatin1String("synthetic.sent")));
        QVERIFY(sent.size() < metrics.size());
    }

    void twoSeedsDivergeAtTheFirstDifferingEvent()
    {
        QTemporaryDir dir;
        const QString a = dir.filePath(QStringLiteral("s1.sqlite"));
        const QString b = dir.filePath(QStringLiteral("s2.sqlite"));
        QVERIFY(record(QStringLiteral("synthetic-chaos"), "1", "8s", a));
        QVERIFY(record(QStringLiteral("synthetic-chaos"), "2", "8s", b));
        const test::CtlRun r = test::runCtlProgram({"drill", "compare", qPrintable(a), qPrintable(b), "--json"});
        QCOMPARE(r.exitCode, 1);
        const QJsonObject d = parse(r)[QLatin1String("divergence")].toObject();
        QVERIFY(d[QLatin1String("diverged")].toBool());
        QVERIFY(d[QLatin1String("seeds_differ")].toBool());
        QVERIFY(d[QLatin1String("event_located")].toBool());
        const QJsonObject ea = d[QLatin1String("a")].toObject();
        const QJsonObject eb = d[QLatin1String("b")].toObject();

        // The same two runs, stepped side by side here.
        const drills::BuiltinDrill* drill = drills::findBuiltinDrill("synthetic-chaos");
        QVERIFY(drill);
        auto spec = drills::loadDrill(drill->text, drill->fileName);
        QVERIFY(spec.ok());
        std::unique_ptr<drills::DrillRun> runs[2];
        Step last[2];
        for (int i = 0; i < 2; ++i) {
            drills::DrillRunOptions options;
            options.seed = i == 0 ? 1 : 2;
            options.stopAt = sim::fromSeconds(8);
            auto run = drills::DrillRun::create(*spec, options);
            QVERIFY(run.ok());
            runs[i] = std::move(*run);
            sim::World& w = runs[i]->world();
            w.setAfterEventHook([&w, &step = last[i]](const sim::EventMeta& m) {
                step.time = m.time;
                step.kind = w.kindName(m.kind);
                step.component = m.component == sim::kNoComponent ? std::string() : w.components().get(m.component).path;
            });
        }
        std::uint64_t index = 0;
        bool parted = false;
        for (; index < 50'000'000; ++index) {
            const bool stepA = runs[0]->world().scheduler().step();
            const bool stepB = runs[1]->world().scheduler().step();
            QVERIFY(stepA && stepB);
            if (last[0].time != last[1].time || last[0].kind != last[1].kind || last[0].component != last[1].component) {
                parted = true;
                break;
            }
        }
        QVERIFY(parted);
        QCOMPARE(static_cast<std::uint64_t>(ea[QLatin1String("index")].toDouble()), index);
        QCOMPARE(static_cast<std::uint64_t>(eb[QLatin1String("index")].toDouble()), index);
        QCOMPARE(ea[QLatin1String("kind")].toString().toStdString(), last[0].kind);
        QCOMPARE(eb[QLatin1String("kind")].toString().toStdString(), last[1].kind);
        QCOMPARE(ea[QLatin1String("component")].toString().toStdString(), last[0].component);
        QCOMPARE(static_cast<sim::Nanos>(ea[QLatin1String("t_ns")].toDouble()), last[0].time);
        QCOMPARE(static_cast<sim::Nanos>(eb[QLatin1String("t_ns")].toDouble()), last[1].time);
    }

    void anActionPartsTheTracesInItsSecond()
    {
        LIVEDECK_REQUIRE_ENGINE("gifts");
        QTemporaryDir dir;
        const QString a = dir.filePath(QStringLiteral("plain.sqlite"));
        const QString b = dir.filePath(QStringLiteral("drained.sqlite"));
        QVERIFY(record(test::ctlDrill("ctl-actions.yaml"), "3", "13s", a));
        QVERIFY(record(test::ctlDrill("ctl-actions.yaml"), "3", "13s", b,
                       {QStringLiteral("--action"), QStringLiteral("10s:drain-region:sh-a")}));
        const test::CtlRun r = test::runCtlProgram({"drill", "compare", qPrintable(a), qPrintable(b), "--json"});
        QCOMPARE(r.exitCode, 1);
        const QJsonObject o = parse(r);
        const QJsonObject d = o[QLatin1String("divergence")].toObject();
        QVERIFY(d[QLatin1String("diverged")].toBool());
        QVERIFY(!d[QLatin1String("seeds_differ")].toBool());
        const double lastEqual = d[QLatin1String("last_equal_s")].toDouble();
        const double firstDifferent = d[QLatin1String("first_different_s")].toDouble();
        QVERIFY2(lastEqual >= 9.0 && lastEqual <= 10.0, qPrintable(QString::number(lastEqual)));
        QVERIFY2(firstDifferent > lastEqual && firstDifferent <= 11.0, qPrintable(QString::number(firstDifferent)));
        QVERIFY(d[QLatin1String("event_located")].toBool());
        const QJsonObject ea = d[QLatin1String("a")].toObject();
        const QJsonObject eb = d[QLatin1String("b")].toObject();
        QCOMPARE(ea[QLatin1String("index")].toDouble(), eb[QLatin1String("index")].toDouble());
        const double t = ea[QLatin1String("t_ns")].toDouble() / 1e9;
        QVERIFY2(t >= 10.0 && t <= firstDifferent, qPrintable(QString::number(t)));
        QVERIFY(ea[QLatin1String("trace_hash")].toString() != eb[QLatin1String("trace_hash")].toString());

        // The drained region's orders differ; the means before the action do not.
        const test::CtlRun before = test::runCtlProgram(
            {"drill", "compare", qPrintable(a), qPrintable(b), "--json", "--metrics", "gifts.orders.placed", "--to", "9s"});
        for (const QJsonValue& v : parse(before)[QLatin1String("metrics")].toArray()) {
            const QJsonObject m = v.toObject();
            if (!m[QLatin1String("ratio")].isNull())
                QCOMPARE(m[QLatin1String("ratio")].toDouble(), 1.0);
        }
    }

    void notARecordingIsBadInput()
    {
        QTemporaryDir dir;
        const QString junk = dir.filePath(QStringLiteral("junk.sqlite"));
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a database at all");
        f.close();
        const test::CtlRun r = test::runCtlProgram({"drill", "compare", qPrintable(junk), qPrintable(junk)});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QLatin1String("junk.sqlite")), qPrintable(r.err));
        const test::CtlRun usage = test::runCtlProgram({"drill", "compare", qPrintable(junk)});
        QCOMPARE(usage.exitCode, 2);
    }
};

LIVEDECK_TEST_CLASS(TstCtlCompare)
#include "tst_ctl_compare.moc"

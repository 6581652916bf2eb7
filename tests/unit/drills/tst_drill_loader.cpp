// DrillLoader and DrillRun::create on bad input: every broken drill gives one message
// "file:line:col: message" at the offending node, saying what was expected — unknown
// keys, bad durations, unknown fault kinds, targets, engines, metrics, time anchors.
// A good drill loads with every field where the file put it.
#include "tests/common/multi_test.h"

#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/duration.h"

#include <QTest>

using namespace livedeck;
using namespace livedeck::drills;

namespace {

const char* const kHeader = "name: t\nduration: 10s\nengines:\n  synthetic: {}\n";

std::string withHeader(const char* rest)
{
    return std::string(kHeader) + rest;
}

extern const char* const kGoodDrill; // at the end: moc does not read raw string literals

} // namespace

class TstDrillLoader : public QObject {
    Q_OBJECT

private slots:
    void brokenFiles_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("where"); // "line:col"
        QTest::addColumn<QString>("says");
        const auto row = [](const char* name, const std::string& text, const char* where, const char* says) {
            QTest::newRow(name) << QString::fromStdString(text) << QString::fromLatin1(where) << QString::fromUtf8(says);
        };
        row("empty", "", "1:1", "the drill file is empty");
        row("not a map", "- a\n- b\n", "1:1", "a drill file is a map");
        row("bad yaml", "name: [unclosed\n", "2:1", "not valid YAML");
        row("unknown top key", "name: t\nduraton: 10s\n", "2:1", "unknown key 'duraton'");
        row("missing duration", "name: t\nengines: {synthetic: {}}\n", "1:1", "needs 'duration'");
        row("bad duration unit", "name: t\nduration: 10 parsecs\nengines: {synthetic: {}}\n", "2:11",
            "expected a duration such as 250ms");
        row("bare number duration", "name: t\nduration: 10\nengines: {synthetic: {}}\n", "2:11", "expected a duration");
        row("unknown engine", "name: t\nduration: 10s\nengines:\n  warp: {}\n", "4:3", "unknown engine 'warp': expected one of");
        row("engine key", withHeader("").replace(withHeader("").find("{}"), 2, "{speed: 3}"), "4:15",
            "unknown key 'speed'");
        row("unknown fault kind", withHeader("faults:\n  - at: 1s\n    kind: meteor\n    target: gz\n"), "7:11",
            "latency");
        row("fault after end", withHeader("faults:\n  - at: 20s\n    kind: down\n    target: gz\n"), "6:9",
            "after the drill's end");
        row("for and until", withHeader("faults:\n  - at: 1s\n    for: 2s\n    until: 5s\n    kind: down\n    target: gz\n"),
            "8:5", "not both");
        row("bad fault param", withHeader("faults:\n  - at: 1s\n    kind: latency\n    target: gz\n    params: {speed: 3}\n"),
            "9:14", "unknown fault parameter 'speed'");
        row("param out of range",
            withHeader("faults:\n  - at: 1s\n    kind: error-rate\n    target: gz\n    params: {rate: 7}\n"), "9:13", "rate");
        row("partition without peer", withHeader("faults:\n  - at: 1s\n    kind: partition\n    target: gz\n"), "7:11",
            "peer");
        row("unknown metric", withHeader("expectations:\n  - name: x\n    metric: synthetic.nope\n    expect: '> 1'\n"),
            "7:13", "unknown metric 'synthetic.nope'");
        row("bad condition", withHeader("expectations:\n  - name: x\n    metric: synthetic.sent\n    expect: 'about 3'\n"),
            "8:13", "expectation.expect");
        row("unknown anchor",
            withHeader("expectations:\n  - name: x\n    metric: synthetic.sent\n    expect: '> 1'\n    from: outage.end\n"),
            "9:11", "no fault is named 'outage'");
        row("metric and event",
            withHeader("expectations:\n  - name: x\n    metric: synthetic.sent\n    event: a.b\n    expect: '> 1'\n"), "6:5",
            "one of them");
        row("within without after",
            withHeader("expectations:\n  - name: x\n    event: synthetic.alert.on\n    within: 5s\n"), "6:5", "needs 'after'");
        row("unknown invariant", withHeader("invariants: [synthetic.magic]\n"), "5:14", "unknown invariant 'synthetic.magic'");
        row("random without rate", withHeader("random_faults:\n  - kinds: [down]\n    targets: [gz]\n"), "6:5",
            "'rate' (e.g. 6/min) or 'mean_gap'");
        row("random bad rate", withHeader("random_faults:\n  - kinds: [down]\n    targets: [gz]\n    rate: lots\n"), "8:11",
            "expected faults per time such as 6/min");
        row("load on synthetic", withHeader("load:\n  - at: 0s\n    engine: synthetic\n    profile: gala\n"), "7:13",
            "takes no load phases");
        row("duplicate key", "name: t\nname: u\nduration: 1s\nengines: {synthetic: {}}\n", "2:1", "duplicate key 'name'");
        row("bad start date", withHeader("start: 2026-02-30T10:00\n"), "5:8", "no such date");
        row("unknown region in link",
            "name: t\nduration: 1s\nengines: {synthetic: {}}\ntopology:\n  regions: [{name: a}]\n  links: [{between: [a, b]}]\n",
            "6:25", "unknown region 'b'");
    }
    void brokenFiles()
    {
        QFETCH(QString, text);
        QFETCH(QString, where);
        QFETCH(QString, says);
        const auto spec = loadDrill(text.toStdString(), "bad.yaml");
        QVERIFY(!spec.ok());
        QCOMPARE(spec.status().code(), absl::StatusCode::kInvalidArgument);
        const QString message = QString::fromStdString(std::string(spec.status().message()));
        QVERIFY2(message.startsWith(QStringLiteral("bad.yaml:") + where + QStringLiteral(": ")), qPrintable(message));
        QVERIFY2(message.contains(says), qPrintable(message));
    }

    // Errors only the built world can find keep the file position too.
    void unknownTargets_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("says");
        QTest::newRow("fault target") << QString::fromStdString(withHeader("faults:\n  - at: 1s\n    kind: down\n    target: mars/x\n"))
                                      << QStringLiteral("8:13") << QStringLiteral("'mars/x' matches no component");
        QTest::newRow("partition peer")
            << QString::fromStdString(withHeader("faults:\n  - at: 1s\n    kind: partition\n    target: gz\n    params: {peer: moon}\n"))
            << QStringLiteral("9:20") << QStringLiteral("fault.params.peer: 'moon'");
        QTest::newRow("random target")
            << QString::fromStdString(withHeader("random_faults:\n  - kinds: [down]\n    targets: [gz, 'x/*/y']\n    rate: 1/min\n"))
            << QStringLiteral("7:19") << QStringLiteral("random_faults.targets: 'x/*/y'");
        QTest::newRow("expectation component")
            << QString::fromStdString(
                   withHeader("expectations:\n  - name: x\n    event: synthetic.alert.on\n    component: nowhere\n    never: true\n"))
            << QStringLiteral("8:16") << QStringLiteral("expectation.component: 'nowhere'");
    }
    void unknownTargets()
    {
        QFETCH(QString, text);
        QFETCH(QString, where);
        QFETCH(QString, says);
        const auto spec = loadDrill(text.toStdString(), "bad.yaml");
        QVERIFY2(spec.ok(), spec.ok() ? "" : std::string(spec.status().message()).c_str());
        const auto run = DrillRun::create(*spec);
        QVERIFY(!run.ok());
        const QString message = QString::fromStdString(std::string(run.status().message()));
        QVERIFY2(message.startsWith(QStringLiteral("bad.yaml:") + where + QStringLiteral(": ")), qPrintable(message));
        QVERIFY2(message.contains(says), qPrintable(message));
    }

    void goodDrill()
    {
        const std::string text = kGoodDrill;
        const auto spec = loadDrill(text, "good.yaml");
        QVERIFY2(spec.ok(), spec.ok() ? "" : std::string(spec.status().message()).c_str());
        QCOMPARE(spec->name, std::string("good"));
        QCOMPARE(spec->seed, std::uint64_t(42));
        QCOMPARE(spec->duration, 90 * sim::kSecond);
        QCOMPARE(spec->description, std::string("first line\nsecond line\n"));
        QCOMPARE(spec->faults.size(), std::size_t(1));
        QCOMPARE(spec->faults[0].end, 15 * sim::kSecond);
        QCOMPARE(spec->faults[0].kind, v1::FAULT_PARTITION);
        QCOMPARE(spec->randomFaults.size(), std::size_t(1));
        QCOMPARE(spec->randomFaults[0].ratePerMinute, 2.0);
        QCOMPARE(spec->randomFaults[0].minLength, sim::kSecond);
        QCOMPARE(spec->halts.size(), std::size_t(1));
        QCOMPARE(spec->halts[0].sustain, 3 * sim::kSecond);
        QCOMPARE(spec->expectations.size(), std::size_t(1));
        QCOMPARE(spec->expectations[0].weight, 2.0);
        QCOMPARE(spec->expectations[0].metric.from.base, TimeRef::Base::FaultEnd);
        QCOMPARE(spec->expectations[0].metric.from.offset, 2 * sim::kSecond);
        QVERIFY(!spec->allInvariants);
        QCOMPARE(spec->text, text);
        QVERIFY(DrillRun::create(*spec).ok());
    }

    void durations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qlonglong>("nanos"); // -1: refused
        QTest::newRow("ms") << QStringLiteral("250ms") << qlonglong(250 * sim::kMillisecond);
        QTest::newRow("fraction") << QStringLiteral("1.5s") << qlonglong(1500 * sim::kMillisecond);
        QTest::newRow("compound") << QStringLiteral("1h30m") << qlonglong(90 * sim::kMinute);
        QTest::newRow("us") << QStringLiteral("500us") << qlonglong(500 * sim::kMicrosecond);
        QTest::newRow("bare") << QStringLiteral("5") << qlonglong(-1);
        QTest::newRow("wrong order") << QStringLiteral("5s1m") << qlonglong(-1);
        QTest::newRow("unit") << QStringLiteral("5d") << qlonglong(-1);
        QTest::newRow("negative") << QStringLiteral("-5s") << qlonglong(-1);
        QTest::newRow("huge") << QStringLiteral("9999999h") << qlonglong(-1);
    }
    void durations()
    {
        QFETCH(QString, text);
        QFETCH(qlonglong, nanos);
        const auto d = parseDuration(text.toStdString());
        if (nanos < 0) {
            QVERIFY(!d.ok());
            QVERIFY(std::string(d.status().message()).find("expected a duration") != std::string::npos);
        } else {
            QVERIFY(d.ok());
            QCOMPARE(qlonglong(*d), nanos);
            QCOMPARE(parseDuration(formatDuration(*d)).value(), *d);
        }
    }
};

LIVEDECK_TEST_CLASS(TstDrillLoader)

namespace {
const char* const kGoodDrill = R"(name: good
description: |
  first line
  second line
seed: 42
duration: 1m30s
start: 2026-12-31T23:50:00+08:00
engines:
  synthetic: {services_per_region: 2, alert: {below: 0.8, for: 2s}}
faults:
  - name: cut
    at: 10s
    for: 5s
    kind: partition
    target: sh-a
    params: {peer: gz, one_way: true}
random_faults:
  - name: rf
    kinds: [latency]
    targets: ["*/synthetic/svc/*"]
    rate: 2/min
    length: 1s..3s
    params: {latency: {add_ms: 10..20}}
halt:
  - metric: synthetic.send_success
    when: "< 0.1"
    for: 3s
expectations:
  - name: ok
    metric: synthetic.send_success
    stat: min
    expect: ">= 0.5"
    from: cut.end + 2s
    weight: 2
invariants: [synthetic.conservation]
)";
} // namespace

#include "tst_drill_loader.moc"

// HeadlessRunner (the engine of `livedeckctl demo`) and SyntheticRun: a hosted run
// gives the same trace hash and state digest as the same run stepped directly, the
// same seed gives the same summary at any pace, metrics follow the workload, and the
// formatted lines carry what the CLI promises.
#include "tests/common/multi_test.h"

#include "backend/host/headless_runner.h"
#include "backend/host/manual_wall_clock.h"
#include "backend/host/synthetic_run.h"
#include "tests/unit/host/host_test_util.h"

#include <QTest>

using namespace livedeck;
using namespace livedeck::host;
using host::test::lightConfig;

class TstHeadlessRunner : public QObject {
    Q_OBJECT

private slots:
    void hostedRunMatchesDirectRun_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::newRow("seed 1") << quint64(1);
        QTest::newRow("seed 42") << quint64(42);
    }
    void hostedRunMatchesDirectRun()
    {
        QFETCH(quint64, seed);
        SyntheticRunConfig config;
        config.seed = seed;
        config.duration = 2 * sim::kSecond;

        ManualWallClock clock;
        HeadlessRunner runner(clock, HeadlessOptions{});
        std::vector<std::string> lines;
        const HeadlessResult r = runner.run(std::make_unique<SyntheticRun>(config),
                                            [&](const std::string& line) { lines.push_back(line); });
        QVERIFY(r.finished);
        QCOMPARE(r.simTime, 2 * sim::kSecond);
        QCOMPARE(r.runId, "synthetic-" + std::to_string(seed));
        QCOMPARE(r.seed, static_cast<std::uint64_t>(seed));
        QVERIFY(!lines.empty());                     // at least the final report
        QVERIFY(lines.back().find("sim      2.000 s") != std::string::npos);

        SyntheticRun direct(config);
        direct.world().scheduler().runUntil(config.duration);
        QCOMPARE(r.events, direct.world().scheduler().executed());
        QCOMPARE(r.traceHash, direct.world().traceHash());
        QCOMPARE(r.stateDigest, direct.world().stateDigest());
        QCOMPARE(r.commands, direct.world().commandLog().size());
        QVERIFY(r.commands > 0); // the workload's faults are recorded commands
    }

    void differentSeedsDiffer()
    {
        ManualWallClock clock;
        HeadlessRunner runner(clock, HeadlessOptions{});
        const auto a = runner.run(std::make_unique<SyntheticRun>(lightConfig(1, sim::kSecond)));
        const auto b = runner.run(std::make_unique<SyntheticRun>(lightConfig(2, sim::kSecond)));
        const auto a2 = runner.run(std::make_unique<SyntheticRun>(lightConfig(1, sim::kSecond)));
        QVERIFY(a.traceHash != b.traceHash);
        QCOMPARE(a.traceHash, a2.traceHash);
        QCOMPARE(a.stateDigest, a2.stateDigest);
    }

    void syntheticMetricsFollowTheWorkload()
    {
        SyntheticRun run(lightConfig(3));
        run.world().scheduler().runUntil(2 * sim::kSecond + 1);
        const auto& m = run.telemetry().metrics();
        const telemetry::Counter* sent = m.findCounter("synthetic.sent", "world/synthetic");
        QVERIFY(sent);
        // Synced every 100 ms of simulated time: at most one interval behind.
        QVERIFY(sent->total() <= static_cast<double>(run.workload().sent()));
        QVERIFY(sent->total() > 0.8 * static_cast<double>(run.workload().sent()));
        const telemetry::Gauge* active = m.findGauge("synthetic.faults_active", "world/synthetic");
        QVERIFY(active);
        QVERIFY(active->value() >= 0);
        // The rollup turned the counter into a per-second rate.
        const std::int64_t rateId = m.seriesId("synthetic.sent", "world/synthetic", "", v1::METRIC_TYPE_COUNTER);
        QVERIFY(rateId >= 0);
        QVERIFY(run.telemetry().lastValue(rateId) > 10.0); // ~60 sends per simulated second
        QVERIFY(!run.finished());
        QCOMPARE(run.endTime(), sim::kNever);
    }

    void formatting()
    {
        QCOMPARE(HeadlessRunner::formatSpeed(0), std::string("max"));
        QCOMPARE(HeadlessRunner::formatSpeed(-1), std::string("max"));
        QCOMPARE(HeadlessRunner::formatSpeed(2.5), std::string("×2.5"));
        QCOMPARE(HeadlessRunner::formatHash(0xabcULL), std::string("0x0000000000000abc"));

        v1::Snapshot s;
        s.set_sim_time_ns(12 * sim::kSecond + 500 * sim::kMillisecond);
        s.set_events_executed(4242);
        s.set_trace_hash(0x1234);
        s.mutable_host()->set_sim_per_wall(9.5);
        s.mutable_host()->set_speed(10);
        s.mutable_host()->set_events_per_sec(2.5e6);
        s.add_faults()->set_active(true);
        s.add_faults()->set_active(false);
        s.add_faults()->set_active(true);
        const std::string line = HeadlessRunner::formatProgress(s, sim::Calendar());
        QVERIFY2(line.find("12.500 s") != std::string::npos, line.c_str());
        QVERIFY2(line.find("2026-12-31 23:50:12.500") != std::string::npos, line.c_str());
        QVERIFY2(line.find("×9.5 (asked ×10)") != std::string::npos, line.c_str());
        QVERIFY2(line.find("2.50 M ev/s") != std::string::npos, line.c_str());
        QVERIFY2(line.find("faults 2") != std::string::npos, line.c_str());
        QVERIFY2(line.find("0x0000000000001234") != std::string::npos, line.c_str());
        s.mutable_host()->set_paused(true);
        const std::string paused = HeadlessRunner::formatProgress(s, sim::Calendar());
        QVERIFY2(paused.find("speed paused (asked ×10)") != std::string::npos, paused.c_str());

        HeadlessResult r;
        r.runId = "demo-7";
        r.seed = 7;
        r.events = 1000;
        r.simTime = 10 * sim::kSecond;
        r.wallNs = 2 * sim::kSecond;
        r.traceHash = 0xfeed;
        r.stateDigest = 0xbeef;
        r.finished = true;
        const std::string summary = HeadlessRunner::formatSummary(r);
        QVERIFY2(summary.find("demo-7 (seed 7)") != std::string::npos, summary.c_str());
        QVERIFY2(summary.find("10.000 s") != std::string::npos, summary.c_str());
        QVERIFY2(summary.find("×5 real time") != std::string::npos, summary.c_str());
        QVERIFY2(summary.find("0x000000000000feed") != std::string::npos, summary.c_str());
        QVERIFY2(summary.find("0x000000000000beef") != std::string::npos, summary.c_str());
        QVERIFY2(summary.find("events       1000") != std::string::npos, summary.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstHeadlessRunner)
#include "tst_headless_runner.moc"

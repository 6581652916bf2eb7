// WorldHost: pacing at × k on a manual wall clock, pause/step, step to the next event
// of a kind, run until a time, command ordering (also from several threads), max
// speed, the end of a run, speed clamping, queries, replacing the run and stop().
// The host thread is real; every wait on it is bounded (QTRY_*), the wall clock only
// moves when the test moves it.
#include "tests/common/multi_test.h"

#include "backend/host/manual_wall_clock.h"
#include "backend/host/world_host.h"
#include "tests/unit/host/host_test_util.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

using namespace livedeck;
using namespace livedeck::host;
using host::test::isReady;
using host::test::kWaitMs;
using host::test::latencyFault;
using host::test::lightRun;
using host::test::text;

namespace {

// What the same run does when stepped directly on this thread: the executed count and
// time right after the `count`-th event of `kind` (optionally of components matching
// `component`).
struct Expected {
    std::uint64_t executed = 0;
    sim::Nanos time = 0;
};

Expected directStepToKind(std::unique_ptr<SyntheticRun> run, const std::string& kind, const std::string& component,
                          int count)
{
    sim::World& w = run->world();
    std::vector<sim::ComponentId> ids;
    if (!component.empty())
        ids = w.components().matching(component);
    sim::EventMeta meta;
    while (w.scheduler().peek(meta)) {
        const bool match = w.kindName(meta.kind) == kind &&
                           (ids.empty() || std::find(ids.begin(), ids.end(), meta.component) != ids.end());
        w.scheduler().step();
        if (match && --count == 0)
            return {w.scheduler().executed(), w.now()};
    }
    return {};
}

// A run that records what the host tells it and reports a drill state.
class RecordingRun final : public HostedRun {
public:
    explicit RecordingRun(std::unique_ptr<SyntheticRun> inner) : m_inner(std::move(inner)) {}
    sim::World& world() override { return m_inner->world(); }
    const sim::World& world() const override { return m_inner->world(); }
    telemetry::Telemetry& telemetry() override { return m_inner->telemetry(); }
    const telemetry::Telemetry& telemetry() const override { return m_inner->telemetry(); }
    bool fillDrillState(v1::DrillState& out) const override
    {
        out.set_name("recording");
        out.set_sim_time_ns(m_inner->world().now());
        out.set_phase(v1::DRILL_RUNNING);
        return true;
    }
    void onCommandApplied(const v1::AppliedCommand& applied) override { m_applied.push_back(applied); }
    std::vector<v1::AppliedCommand> m_applied;

private:
    std::unique_ptr<SyntheticRun> m_inner;
};

} // namespace

class TstWorldHost : public QObject {
    Q_OBJECT

private slots:
    void startsPausedAndStaysPutWhilePaused()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(host.status().iterations > 0 && clock.waiters() == 1, kWaitMs);
        clock.advance(5 * sim::kSecond);
        // Paused with nobody to publish to, the host sleeps until told something; a
        // query is one more pass through its loop.
        QCOMPARE(host.query([](HostedRun& r) { return r.world().now(); }).get(), sim::Nanos{0});
        const HostStatus s = host.status();
        QVERIFY(s.paused);
        QCOMPARE(s.simTime, sim::Nanos{0});
        QCOMPARE(s.eventsExecuted, std::uint64_t{0});
        QCOMPARE(s.speed, 1.0);
        QVERIFY(s.threadRunning);
    }

    void pacingAtSpeed_data()
    {
        QTest::addColumn<double>("speed");
        QTest::addColumn<int>("wallSteps"); // the 1 s of wall time is given in this many steps
        QTest::newRow("x0.1") << 0.1 << 1;
        QTest::newRow("x1-in-10-steps") << 1.0 << 10;
        QTest::newRow("x10") << 10.0 << 1;
        QTest::newRow("x10-in-4-steps") << 10.0 << 4;
        QTest::newRow("x1000") << 1000.0 << 1;
    }
    void pacingAtSpeed()
    {
        QFETCH(double, speed);
        QFETCH(int, wallSteps);
        ManualWallClock clock(123 * sim::kSecond); // any origin
        WorldHost host(lightRun(), clock);
        auto speedSet = host.setSpeed(speed);
        auto resumed = host.resume();
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(resumed), kWaitMs);
        QVERIFY(speedSet.get().ok());
        QVERIFY(resumed.get().ok());
        QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
        QCOMPARE(host.status().simTime, sim::Nanos{0}); // no wall time passed, no simulated time either

        const sim::Nanos step = sim::kSecond / wallSteps;
        for (int i = 1; i <= wallSteps; ++i) {
            clock.advance(step);
            const auto expected = static_cast<sim::Nanos>(static_cast<double>(i * step) * speed);
            QTRY_COMPARE_WITH_TIMEOUT(host.status().simTime, expected, kWaitMs);
        }
        // Caught up: the host waits for the wall clock and the world stays where it is.
        QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
        const HostStatus s = host.status();
        QCOMPARE(s.simTime, static_cast<sim::Nanos>(speed * 1e9));
        QVERIFY(!s.paused);
        QVERIFY(s.eventsExecuted > 0);
        // Measured over the last wall second: exactly k simulated seconds per wall second.
        QVERIFY2(std::abs(s.simPerWall - speed) <= 1e-6 * speed, qPrintable(QString::number(s.simPerWall)));
        QVERIFY(s.eventsPerSec > 0);
    }

    void catchUpIsBounded()
    {
        // A wall-clock jump of 5 s at × 2 owes at most maxCatchUpWall (1 s): 2 s simulated.
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        host.setSpeed(2.0);
        auto resumed = host.resume();
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(resumed) && clock.waiters() == 1, kWaitMs);
        clock.advance(5 * sim::kSecond);
        QTRY_COMPARE_WITH_TIMEOUT(host.status().simTime, 2 * sim::kSecond, kWaitMs);
        clock.advance(sim::kSecond / 2);
        QTRY_COMPARE_WITH_TIMEOUT(host.status().simTime, 3 * sim::kSecond, kWaitMs);
    }

    void maxSpeedRunsWithoutWallTime()
    {
        ManualWallClock clock;
        WorldHost host(std::make_unique<SyntheticRun>(), clock); // the full default workload
        host.setSpeed(0);
        auto reached = host.runUntil(2 * sim::kSecond);
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(reached), kWaitMs);
        const absl::Status st = reached.get();
        QVERIFY2(st.ok(), text(st));
        const HostStatus s = host.status();
        QCOMPARE(s.simTime, 2 * sim::kSecond);
        QVERIFY(s.paused);
        QCOMPARE(s.speed, 0.0);
        // Same events as the run stepped directly: hosting changes nothing.
        SyntheticRun direct;
        direct.world().scheduler().runUntil(2 * sim::kSecond);
        QCOMPARE(s.eventsExecuted, direct.world().scheduler().executed());
        QVERIFY(s.eventsExecuted > 100'000);
        host.stop();
        QCOMPARE(host.run().world().traceHash(), direct.world().traceHash());
    }

    void pauseThenStep_data()
    {
        QTest::addColumn<int>("events");
        QTest::newRow("1") << 1;
        QTest::newRow("7") << 7;
        QTest::newRow("40000 (several slices)") << 40'000;
    }
    void pauseThenStep()
    {
        QFETCH(int, events);
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        std::atomic<int> notified{0};
        SubscribeOptions so;
        so.includeComponents = false;
        Subscription sub = host.subscribe(so, [&] { ++notified; });
        host.setSpeed(10);
        auto resumed = host.resume();
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(resumed), kWaitMs); // pacing is anchored where resume applies
        clock.advance(sim::kSecond);
        QTRY_COMPARE_WITH_TIMEOUT(host.status().simTime, 10 * sim::kSecond, kWaitMs);
        auto paused = host.pause();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(paused), kWaitMs);
        QVERIFY(paused.get().ok());
        QTRY_VERIFY_WITH_TIMEOUT(sub.latestSnapshot() && sub.latestSnapshot()->host().paused(), kWaitMs);
        const std::uint64_t before = host.status().eventsExecuted;
        const std::uint64_t seqBefore = sub.latestSnapshot()->seq();
        const auto upcoming = host.query([](HostedRun& r) { return r.world().scheduler().upcoming(1); }).get();
        QCOMPARE(upcoming.size(), std::size_t{1});

        clock.advance(sim::kSecond); // paused: wall time does not move the world
        const int notifiedBefore = notified.load();
        auto stepped = host.step(static_cast<std::uint64_t>(events));
        QTRY_VERIFY_WITH_TIMEOUT(isReady(stepped), kWaitMs);
        const absl::Status st = stepped.get();
        QVERIFY2(st.ok(), text(st));
        HostStatus s = host.status();
        QCOMPARE(s.eventsExecuted, before + static_cast<std::uint64_t>(events));
        QVERIFY(s.paused);
        if (events == 1)
            QCOMPARE(s.simTime, upcoming.front().time);
        // A snapshot went out right after the step.
        QTRY_VERIFY_WITH_TIMEOUT(notified.load() > notifiedBefore, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(sub.latestSnapshot()->seq() > seqBefore, kWaitMs);
        QCOMPARE(sub.latestSnapshot()->events_executed(), before + static_cast<std::uint64_t>(events));
        QVERIFY(sub.latestSnapshot()->host().paused());
        // Still paused afterwards.
        clock.advance(sim::kSecond);
        QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
        QCOMPARE(host.status().eventsExecuted, before + static_cast<std::uint64_t>(events));
    }

    void stepToKind_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("component");
        QTest::addColumn<int>("count");
        QTest::addColumn<qint64>("exactTime"); // -1: not known in advance
        QTest::newRow("rollup") << QStringLiteral("telemetry.rollup") << QString() << 1 << qint64(sim::kSecond);
        QTest::newRow("3rd metrics sync") << QStringLiteral("synthetic.metrics") << QString() << 3
                                          << qint64(300 * sim::kMillisecond);
        QTest::newRow("fault event") << QStringLiteral("synthetic.fault") << QString() << 1 << qint64(-1);
        QTest::newRow("fault.on") << QStringLiteral("fault.on") << QString() << 2 << qint64(-1);
        QTest::newRow("deliver to one service") << QStringLiteral("synthetic.deliver")
                                                << QStringLiteral("sh-b/synthetic/svc/1") << 4 << qint64(-1);
        QTest::newRow("send from a region") << QStringLiteral("synthetic.send") << QStringLiteral("gz") << 3 << qint64(-1);
    }
    void stepToKind()
    {
        QFETCH(QString, kind);
        QFETCH(QString, component);
        QFETCH(int, count);
        QFETCH(qint64, exactTime);
        const Expected expected = directStepToKind(lightRun(), kind.toStdString(), component.toStdString(), count);
        QVERIFY(expected.executed > 0);
        if (exactTime >= 0)
            QCOMPARE(expected.time, sim::Nanos{exactTime});

        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        SubscribeOptions so;
        so.includeComponents = false;
        Subscription sub = host.subscribe(so);
        auto stepped = host.stepToKind(kind.toStdString(), component.toStdString(), static_cast<std::uint64_t>(count));
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(stepped), kWaitMs);
        const absl::Status st = stepped.get();
        QVERIFY2(st.ok(), text(st));
        // Stops right AFTER the matching event: it is the last one executed.
        const HostStatus s = host.status();
        QCOMPARE(s.eventsExecuted, expected.executed);
        QCOMPARE(s.simTime, expected.time);
        QVERIFY(s.paused);
        QVERIFY(!s.stepping);
        QTRY_VERIFY_WITH_TIMEOUT(sub.latestSnapshot() && sub.latestSnapshot()->events_executed() == expected.executed,
                                 kWaitMs);
        // The same step again makes progress (never stuck on the event just run).
        auto again = host.stepToKind(kind.toStdString(), component.toStdString());
        QTRY_VERIFY_WITH_TIMEOUT(isReady(again), kWaitMs);
        QVERIFY(again.get().ok());
        QVERIFY(host.status().eventsExecuted > expected.executed);
    }

    void stepToKindRejectsUnknownNames()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        auto badKind = host.stepToKind("synthetic.nope");
        auto badComponent = host.stepToKind("synthetic.send", "mars/synthetic");
        auto componentWithoutKind = host.submit([] {
            v1::Command c;
            c.mutable_step()->set_until_component("sh-a");
            return c;
        }());
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(componentWithoutKind), kWaitMs);
        const absl::Status k = badKind.get();
        QCOMPARE(k.code(), absl::StatusCode::kNotFound);
        QVERIFY2(k.message().find("synthetic.send") != std::string::npos, text(k)); // lists the known kinds
        QCOMPARE(badComponent.get().code(), absl::StatusCode::kNotFound);
        QCOMPARE(componentWithoutKind.get().code(), absl::StatusCode::kInvalidArgument);
        QCOMPARE(host.status().eventsExecuted, std::uint64_t{0});
    }

    void runUntil_data()
    {
        QTest::addColumn<double>("speed");
        QTest::newRow("x10") << 10.0;
        QTest::newRow("max") << 0.0;
    }
    void runUntil()
    {
        QFETCH(double, speed);
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        host.setSpeed(speed);
        const sim::Nanos until = 2'500'000'123; // not on any event
        auto reached = host.runUntil(until);    // from paused: resumes
        host.start();
        if (speed > 0) {
            QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
            QVERIFY(!isReady(reached));
            QVERIFY(!host.status().paused);
            QCOMPARE(host.status().runUntil, until);
            clock.advance(sim::kSecond); // asks for 10 s; stops at 2.5 s
        }
        QTRY_VERIFY_WITH_TIMEOUT(isReady(reached), kWaitMs);
        const absl::Status st = reached.get();
        QVERIFY2(st.ok(), text(st));
        HostStatus s = host.status();
        QCOMPARE(s.simTime, until);
        QVERIFY(s.paused);
        QCOMPARE(s.runUntil, sim::kNever);
        const std::uint64_t executed = s.eventsExecuted;
        clock.advance(sim::kSecond);
        QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
        QCOMPARE(host.status().eventsExecuted, executed);

        auto past = host.runUntil(sim::kSecond);
        QTRY_VERIFY_WITH_TIMEOUT(isReady(past), kWaitMs);
        QCOMPARE(past.get().code(), absl::StatusCode::kInvalidArgument);
    }

    void runUntilIsSupersededByPause()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        auto reached = host.runUntil(100 * sim::kSecond);
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
        auto paused = host.pause();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(reached) && isReady(paused), kWaitMs);
        QCOMPARE(reached.get().code(), absl::StatusCode::kCancelled);
        QVERIFY(paused.get().ok());
        QVERIFY(host.status().paused);
    }

    void commandsApplyInSubmissionOrder()
    {
        ManualWallClock clock;
        auto run = std::make_unique<RecordingRun>(lightRun());
        RecordingRun* recording = run.get();
        WorldHost host(std::move(run), clock);
        // Queued before the host starts, all at once: faults interleaved with steps.
        std::vector<std::future<absl::Status>> done;
        const char* targets[] = {"sh-a/synthetic/svc/0", "sh-b/synthetic/svc/1", "gz", "sh-a", "gz/synthetic/svc/0"};
        for (int i = 0; i < 5; ++i) {
            done.push_back(host.submit(latencyFault(targets[i], 1.0 + i, "test")));
            done.push_back(host.step(5));
        }
        v1::Command clear;
        clear.set_issuer("test");
        clear.mutable_clear_fault()->set_fault_id(999'999); // unknown: recorded with its error
        done.push_back(host.submit(clear));
        host.start();
        for (auto& f : done) {
            QTRY_VERIFY_WITH_TIMEOUT(isReady(f), kWaitMs);
        }
        for (std::size_t i = 0; i + 1 < done.size(); ++i) {
            const absl::Status st = done[i].get();
            QVERIFY2(st.ok(), text(st));
        }
        QCOMPARE(done.back().get().code(), absl::StatusCode::kNotFound);

        const auto log = host.query([](HostedRun& r) { return r.world().commandLog(); }).get();
        std::vector<v1::AppliedCommand> mine;
        for (const auto& a : log) {
            if (a.command().issuer() == "test")
                mine.push_back(a);
        }
        QCOMPARE(mine.size(), std::size_t{6});
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(mine[static_cast<std::size_t>(i)].command().inject_fault().fault().target(), std::string(targets[i]));
            QCOMPARE(mine[static_cast<std::size_t>(i)].after_event(), std::uint64_t(5 * i)); // each after the step before it
            QCOMPARE(mine[static_cast<std::size_t>(i)].result(), std::string("ok"));
        }
        QVERIFY(mine[5].command().has_clear_fault());
        QCOMPARE(mine[5].after_event(), std::uint64_t{25});
        for (std::size_t i = 1; i < mine.size(); ++i)
            QVERIFY(mine[i].command().id() > mine[i - 1].command().id()); // host-assigned ids follow the order
        // The run's hook saw exactly the host's world commands, in order.
        host.stop();
        QCOMPARE(recording->m_applied.size(), std::size_t{6});
        for (std::size_t i = 0; i < 6; ++i)
            QCOMPARE(recording->m_applied[i].command().id(), mine[i].command().id());
    }

    void commandsFromThreadsKeepEachThreadsOrder()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        host.setSpeed(0);
        host.resume(); // the world runs flat out while commands arrive
        host.start();
        constexpr int kThreads = 4;
        constexpr int kPerThread = 25;
        std::vector<std::thread> threads;
        std::vector<std::vector<std::future<absl::Status>>> done(kThreads);
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kPerThread; ++i)
                    done[static_cast<std::size_t>(t)].push_back(
                        host.submit(latencyFault("sh-a", 1.0 + i, "thread-" + std::to_string(t))));
            });
        }
        for (auto& th : threads)
            th.join();
        for (auto& v : done) {
            for (auto& f : v) {
                QTRY_VERIFY_WITH_TIMEOUT(isReady(f), kWaitMs);
                QVERIFY(f.get().ok());
            }
        }
        QVERIFY(host.pause().get().ok());
        const auto log = host.query([](HostedRun& r) { return r.world().commandLog(); }).get();
        std::vector<double> last(kThreads, 0.0);
        std::vector<std::uint64_t> lastAfter(kThreads, 0);
        int seen = 0;
        for (const auto& a : log) {
            const std::string& issuer = a.command().issuer();
            if (issuer.rfind("thread-", 0) != 0)
                continue;
            const int t = std::stoi(issuer.substr(7));
            const double v = a.command().inject_fault().fault().params(0).value();
            QVERIFY(v > last[static_cast<std::size_t>(t)]);                 // this thread's order
            QVERIFY(a.after_event() >= lastAfter[static_cast<std::size_t>(t)]); // applied at advancing points
            last[static_cast<std::size_t>(t)] = v;
            lastAfter[static_cast<std::size_t>(t)] = a.after_event();
            ++seen;
        }
        QCOMPARE(seen, kThreads * kPerThread);
    }

    void finishedRunStopsAtItsEnd()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(1, 3 * sim::kSecond), clock);
        SubscribeOptions so;
        so.includeComponents = false;
        Subscription sub = host.subscribe(so);
        host.setSpeed(0);
        auto reached = host.runUntil(10 * sim::kSecond); // beyond the end
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(reached), kWaitMs);
        QCOMPARE(reached.get().code(), absl::StatusCode::kFailedPrecondition);
        HostStatus s = host.status();
        QVERIFY(s.finished);
        QVERIFY(s.paused);
        QCOMPARE(s.simTime, 3 * sim::kSecond);
        QTRY_VERIFY_WITH_TIMEOUT(sub.latestSnapshot() && sub.latestSnapshot()->sim_time_ns() == 3 * sim::kSecond,
                                 kWaitMs);
        auto resumed = host.resume();
        auto stepped = host.step();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(stepped), kWaitMs);
        QCOMPARE(resumed.get().code(), absl::StatusCode::kFailedPrecondition);
        QCOMPARE(stepped.get().code(), absl::StatusCode::kFailedPrecondition);
        QCOMPARE(host.status().eventsExecuted, s.eventsExecuted);
    }

    void speedIsClampedAndValidated_data()
    {
        QTest::addColumn<double>("asked");
        QTest::addColumn<double>("used");
        QTest::addColumn<bool>("ok");
        QTest::newRow("x0.1") << 0.1 << 0.1 << true;
        QTest::newRow("x1000") << 1000.0 << 1000.0 << true;
        QTest::newRow("too fast") << 1e9 << WorldHost::kMaxSpeed << true;
        QTest::newRow("too slow") << 1e-9 << WorldHost::kMinSpeed << true;
        QTest::newRow("zero = max") << 0.0 << 0.0 << true;
        QTest::newRow("negative = max") << -3.0 << 0.0 << true;
        QTest::newRow("nan") << std::numeric_limits<double>::quiet_NaN() << 1.0 << false;
    }
    void speedIsClampedAndValidated()
    {
        QFETCH(double, asked);
        QFETCH(double, used);
        QFETCH(bool, ok);
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        SubscribeOptions so;
        so.includeComponents = false;
        Subscription sub = host.subscribe(so);
        host.start();
        auto f = host.setSpeed(asked);
        QTRY_VERIFY_WITH_TIMEOUT(isReady(f), kWaitMs);
        QCOMPARE(f.get().ok(), ok);
        QCOMPARE(host.status().speed, used);
        // The requested speed reaches subscribers (at their next tick).
        clock.advance(sim::kSecond);
        QTRY_VERIFY_WITH_TIMEOUT(sub.latestSnapshot() && sub.latestSnapshot()->host().speed() == used, kWaitMs);
    }

    void worldCommandErrorsComeBack()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        host.start();
        auto none = host.submit(v1::Command{});
        v1::Command load;
        load.mutable_set_load()->set_engine("gifts");
        auto unhandled = host.submit(load);
        auto badTarget = host.submit(latencyFault("mars/x", 1, "test"));
        QTRY_VERIFY_WITH_TIMEOUT(isReady(badTarget), kWaitMs);
        QCOMPARE(none.get().code(), absl::StatusCode::kInvalidArgument);
        QCOMPARE(unhandled.get().code(), absl::StatusCode::kUnimplemented);
        const absl::Status bad = badTarget.get();
        QVERIFY(!bad.ok());
        QVERIFY2(bad.message().find("mars") != std::string::npos, text(bad));
    }

    void queriesRunOnTheHostThread()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        host.start();
        const auto thread = host.query([](HostedRun&) { return std::this_thread::get_id(); }).get();
        QVERIFY(thread != std::this_thread::get_id());
        const auto upcoming = host.query([](HostedRun& r) { return r.world().scheduler().upcoming(5); }).get();
        QCOMPARE(upcoming.size(), std::size_t{5});
        for (std::size_t i = 1; i < upcoming.size(); ++i)
            QVERIFY(upcoming[i - 1].time <= upcoming[i].time);
        const auto topology = host.query([](HostedRun& r) {
                                      v1::Topology t;
                                      r.world().topologyToProto(t);
                                      return t;
                                  }).get();
        QCOMPARE(topology.run_id(), std::string("synthetic-1"));
        QVERIFY(topology.regions_size() >= 2);
        std::uint64_t seenExecuted = 1;
        host.post([&](HostedRun& r) { seenExecuted = r.world().scheduler().executed(); }).get();
        QCOMPARE(seenExecuted, std::uint64_t{0});
        auto throws = host.query([](HostedRun&) -> int { throw std::runtime_error("boom"); });
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, throws.get());
    }

    void drillStateReachesSnapshots()
    {
        ManualWallClock clock;
        WorldHost host(std::make_unique<RecordingRun>(lightRun()), clock);
        Subscription sub = host.subscribe({});
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(sub.latestSnapshot() != nullptr, kWaitMs);
        QVERIFY(sub.latestSnapshot()->has_drill());
        QCOMPARE(sub.latestSnapshot()->drill().name(), std::string("recording"));

        ManualWallClock clock2;
        WorldHost plain(lightRun(), clock2);
        Subscription sub2 = plain.subscribe({});
        plain.start();
        QTRY_VERIFY_WITH_TIMEOUT(sub2.latestSnapshot() != nullptr, kWaitMs);
        QVERIFY(!sub2.latestSnapshot()->has_drill());
    }

    void replaceRunStartsOver()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(1), clock);
        SubscribeOptions so;
        so.includeComponents = false;
        Subscription sub = host.subscribe(so);
        host.setSpeed(0);
        auto reached = host.runUntil(2 * sim::kSecond);
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(reached), kWaitMs);
        QVERIFY(sub.takeSnapshot() != nullptr);
        auto running = host.runUntil(1'000'000 * sim::kSecond); // far: still running when replaced
        auto replaced = host.replaceRun(lightRun(2));
        QTRY_VERIFY_WITH_TIMEOUT(isReady(replaced), kWaitMs);
        replaced.get();
        QCOMPARE(running.get().code(), absl::StatusCode::kCancelled);
        QTRY_VERIFY_WITH_TIMEOUT(sub.latestSnapshot() && sub.latestSnapshot()->run_id() == "synthetic-2", kWaitMs);
        const auto snapshot = sub.takeSnapshot();
        QVERIFY(snapshot);
        QCOMPARE(snapshot->sim_time_ns(), sim::Nanos{0});
        QVERIFY(snapshot->host().paused());
        // Every series of the new run is described again, from id 0.
        QVERIFY(snapshot->series_defs_size() > 0);
        QCOMPARE(snapshot->series_defs(0).id(), 0u);
        for (int i = 0; i < snapshot->series_defs_size(); ++i)
            QCOMPARE(snapshot->series_defs(i).id(), static_cast<std::uint32_t>(i));
        const HostStatus s = host.status();
        QCOMPARE(s.runGeneration, std::uint64_t{1});
        QCOMPARE(s.runId, std::string("synthetic-2"));
        QCOMPARE(s.eventsExecuted, std::uint64_t{0});
    }

    void afterRunDestroyedFollowsEachRunsEnd()
    {
        ManualWallClock clock;
        HostOptions options;
        std::atomic<int> calls{0};
        std::atomic<bool> onHostThread{false};
        std::thread::id callerThread;
        options.afterRunDestroyed = [&] {
            calls.fetch_add(1);
            onHostThread.store(std::this_thread::get_id() != callerThread);
        };
        callerThread = std::this_thread::get_id();
        auto host = std::make_unique<WorldHost>(lightRun(1), clock, options);
        host->start();
        QCOMPARE(calls.load(), 0);
        auto replaced = host->replaceRun(lightRun(2));
        QTRY_VERIFY_WITH_TIMEOUT(isReady(replaced), kWaitMs);
        replaced.get();
        QCOMPARE(calls.load(), 1); // before the replace resolved
        QVERIFY(onHostThread.load());
        host->stop();
        QCOMPARE(calls.load(), 1); // stopping keeps the run
        host.reset();
        QCOMPARE(calls.load(), 2);
        QVERIFY(!onHostThread.load()); // the host's own end: on the destroying thread
    }

    void stopCancelsWhatIsPending()
    {
        ManualWallClock clock;
        auto host = std::make_unique<WorldHost>(lightRun(), clock);
        auto reached = host->runUntil(100 * sim::kSecond); // × 1 on a clock that never moves
        host->start();
        QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
        host->stop();
        QVERIFY(!host->isRunning());
        QVERIFY(isReady(reached));
        QCOMPARE(reached.get().code(), absl::StatusCode::kCancelled);
        auto late = host->pause(); // queued for a later start()
        QVERIFY(!isReady(late));
        host.reset(); // destroying the host resolves it
        QVERIFY(isReady(late));
        QCOMPARE(late.get().code(), absl::StatusCode::kCancelled);
    }

    void restartContinuesTheSameWorld()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        host.setSpeed(0);
        auto first = host.runUntil(sim::kSecond);
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(first), kWaitMs);
        host.stop();
        QCOMPARE(host.run().world().now(), sim::kSecond);
        auto second = host.runUntil(2 * sim::kSecond);
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(second), kWaitMs);
        QVERIFY(second.get().ok());
        QCOMPARE(host.status().simTime, 2 * sim::kSecond);
    }
};

LIVEDECK_TEST_CLASS(TstWorldHost)
#include "tst_world_host.moc"

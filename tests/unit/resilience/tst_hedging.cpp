// Hedged requests on the scheduler with scripted latencies: who wins, when the backup
// goes out, cancellation of the loser, the p95 delay estimate, the hedge budget in a
// brownout, and the tail-latency gain against the extra load it costs.
#include "backend/resilience/hedging.h"
#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"
#include "backend/telemetry/histogram.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <vector>

using namespace livedeck;
using resilience::HedgeConfig;
using resilience::HedgedCalls;
using resilience::HedgePolicy;

namespace {

using Calls = HedgedCalls<int>;

// Attempts answer after a latency chosen per attempt; cancel hooks cancel the answer
// event (or, with cancelWorks = false, do nothing so the loser answers late).
struct Harness {
    sim::Scheduler scheduler;
    HedgePolicy policy;
    Calls calls;
    std::vector<sim::Nanos> primaryLatency;
    std::vector<sim::Nanos> backupLatency;
    bool cancelWorks = true;
    int cancels = 0;
    int attemptsSent[2] = {0, 0};

    explicit Harness(HedgeConfig config) : policy(scheduler, config), calls(scheduler, policy) {}

    Calls::Cancel send(std::size_t call, int attempt, Calls::AttemptDone done)
    {
        ++attemptsSent[attempt];
        const sim::Nanos latency = attempt == 0 ? primaryLatency[call] : backupLatency[call];
        const auto value = static_cast<int>(call * 10 + static_cast<std::size_t>(attempt));
        const sim::EventHandle h = scheduler.scheduleAfter(latency, 0, 0, [done, value] { done(value); });
        return [this, h] {
            ++cancels;
            if (cancelWorks)
                scheduler.cancel(h);
        };
    }
};

constexpr sim::Nanos ms(std::int64_t n)
{
    return n * sim::kMillisecond;
}

} // namespace

class TstHedging : public QObject {
    Q_OBJECT

private slots:
    void scripted_data()
    {
        QTest::addColumn<qint64>("primaryMs");
        QTest::addColumn<qint64>("backupMs");
        QTest::addColumn<int>("winner");
        QTest::addColumn<bool>("hedged");
        QTest::addColumn<qint64>("latencyMs");
        // Fixed hedge delay 10 ms.
        QTest::newRow("primary answers first, no backup") << qint64{5} << qint64{1} << 0 << false << qint64{5};
        QTest::newRow("slow primary, backup wins") << qint64{50} << qint64{5} << 1 << true << qint64{15};
        QTest::newRow("both slow, primary still first") << qint64{30} << qint64{25} << 0 << true << qint64{30};
        // The timer was queued before the primary's answer: at the same instant the
        // backup goes out first, then the primary wins and the backup is cancelled.
        QTest::newRow("primary at exactly the delay") << qint64{10} << qint64{1} << 0 << true << qint64{10};
        QTest::newRow("backup ties the primary") << qint64{20} << qint64{10} << 0 << true << qint64{20};
    }

    void scripted()
    {
        QFETCH(qint64, primaryMs);
        QFETCH(qint64, backupMs);
        QFETCH(int, winner);
        QFETCH(bool, hedged);
        QFETCH(qint64, latencyMs);
        for (const bool cancelWorks : {true, false}) {
            HedgeConfig config;
            config.fixedDelay = ms(10);
            Harness h(config);
            h.cancelWorks = cancelWorks;
            h.primaryLatency = {ms(primaryMs)};
            h.backupLatency = {ms(backupMs)};
            int value = -1;
            Calls::Outcome outcome;
            int answers = 0;
            h.calls.call([&h](int attempt, Calls::AttemptDone done) { return h.send(0, attempt, done); },
                         [&](const int& v, const Calls::Outcome& o) {
                             value = v;
                             outcome = o;
                             ++answers;
                         });
            h.scheduler.runUntil(sim::kSecond);
            QCOMPARE(answers, 1);
            QCOMPARE(value, winner);
            QCOMPARE(outcome.winner, winner);
            QCOMPARE(outcome.hedged, hedged);
            QCOMPARE(outcome.latency, ms(latencyMs));
            const auto& s = h.policy.stats();
            QCOMPARE(s.calls, std::uint64_t{1});
            QCOMPARE(s.hedges, std::uint64_t{hedged ? 1u : 0u});
            QCOMPARE(h.attemptsSent[1], hedged ? 1 : 0);
            QCOMPARE(s.primaryWins, std::uint64_t{winner == 0 ? 1u : 0u});
            QCOMPARE(s.backupWins, std::uint64_t{winner == 1 ? 1u : 0u});
            // The loser (if there was one) was cancelled through its hook; if the hook
            // could not stop it, its late answer is counted and ignored.
            QCOMPARE(h.cancels, hedged ? 1 : 0);
            QCOMPARE(s.cancelled, std::uint64_t{hedged ? 1u : 0u});
            QCOMPARE(s.lateAnswers, std::uint64_t{(hedged && !cancelWorks) ? 1u : 0u});
            QCOMPARE(h.calls.inFlight(), std::size_t{0});
            QVERIFY(h.scheduler.empty());
        }
    }

    void synchronousAnswerNeedsNoTimer()
    {
        sim::Scheduler scheduler;
        HedgePolicy policy(scheduler, HedgeConfig{});
        Calls calls(scheduler, policy);
        int value = 0;
        calls.call(
            [](int attempt, Calls::AttemptDone done) -> Calls::Cancel {
                done(100 + attempt); // a local answer, e.g. from a cache
                return {};
            },
            [&](const int& v, const Calls::Outcome& o) {
                value = v;
                QVERIFY(!o.hedged);
            });
        QCOMPARE(value, 100);
        QVERIFY(scheduler.empty()); // the hedge timer was cancelled
        QCOMPARE(calls.inFlight(), std::size_t{0});
    }

    void initialDelayUntilEnoughSamples()
    {
        sim::ManualClock clock;
        HedgeConfig config;
        config.initialDelay = ms(42);
        config.minSamples = 10;
        HedgePolicy policy(clock, config);
        QCOMPARE(policy.hedgeDelay(), ms(42));
        for (int i = 0; i < 9; ++i)
            policy.recordLatency(ms(5));
        QCOMPARE(policy.hedgeDelay(), ms(42));
        policy.recordLatency(ms(5));
        QVERIFY(std::abs(policy.hedgeDelay() - ms(5)) <= ms(5) / 64);
        // Two windows of silence: the samples age out and the initial delay returns.
        clock.advance(2 * config.latencyWindow);
        QCOMPARE(policy.hedgeDelay(), ms(42));
    }

    // The Tail at Scale default: hedge at the observed p95, so about 5 % of calls hedge.
    void adaptiveDelayIsObservedP95()
    {
        HedgeConfig config;
        config.maxHedgeRatio = 1.0; // no budget limit here
        Harness h(config);
        sim::RandomStream rng(8);
        constexpr std::size_t kCalls = 20'000;
        for (std::size_t i = 0; i < kCalls; ++i) {
            h.primaryLatency.push_back(ms(1) + static_cast<sim::Nanos>(rng.uniformInt(ms(99))));
            h.backupLatency.push_back(ms(1) + static_cast<sim::Nanos>(rng.uniformInt(ms(99))));
        }
        for (std::size_t i = 0; i < kCalls; ++i) {
            h.scheduler.scheduleAt(static_cast<sim::Nanos>(i) * ms(2), 0, 0, [&h, i] {
                h.calls.call([&h, i](int attempt, Calls::AttemptDone done) { return h.send(i, attempt, done); },
                             [](const int&, const Calls::Outcome&) {});
            });
        }
        h.scheduler.runUntil(ms(2) * kCalls + sim::kSecond);
        const double delayMs = sim::toMillis(h.policy.hedgeDelay());
        const double rate = h.policy.stats().hedgeRate();
        qInfo("hedge delay %.1f ms, hedge rate %.3f", delayMs, rate);
        // Uniform 1–100 ms: p95 ≈ 95 ms (the estimate sees censored primaries as lower bounds).
        QVERIFY(delayMs > 88.0 && delayMs < 99.0);
        QVERIFY(rate > 0.03 && rate < 0.08);
        QCOMPARE(h.policy.stats().primaryWins + h.policy.stats().backupWins, std::uint64_t{kCalls});
    }

    // Brownout: every primary is slow. Without a budget every call would hedge; the
    // budget holds hedges to 5 % of calls.
    void budgetCapsHedgesInBrownout()
    {
        HedgeConfig config;
        config.fixedDelay = ms(10);
        config.minHedgesPerSec = 0.0;
        Harness h(config);
        constexpr std::size_t kCalls = 10'000; // 100 s at 100 calls/s
        h.primaryLatency.assign(kCalls, ms(200));
        h.backupLatency.assign(kCalls, ms(200));
        for (std::size_t i = 0; i < kCalls; ++i) {
            h.scheduler.scheduleAt(static_cast<sim::Nanos>(i) * ms(10), 0, 0, [&h, i] {
                h.calls.call([&h, i](int attempt, Calls::AttemptDone done) { return h.send(i, attempt, done); },
                             [](const int&, const Calls::Outcome&) {});
            });
        }
        h.scheduler.runUntil(200 * sim::kSecond);
        const auto& s = h.policy.stats();
        qInfo("hedges %llu, denied %llu", static_cast<unsigned long long>(s.hedges),
              static_cast<unsigned long long>(s.hedgesDenied));
        QVERIFY(s.hedges <= kCalls * 5 / 100 + 1);
        QVERIFY(s.hedges >= kCalls * 4 / 100); // the budget is used, not starved
        QCOMPARE(s.hedges + s.hedgesDenied, std::uint64_t{kCalls});
        QCOMPARE(static_cast<std::uint64_t>(h.attemptsSent[1]), s.hedges);
    }

    // The point of hedging: 8 % stragglers (100 ms instead of 5 ms) dominate p99;
    // hedging at the p95 cuts p99 to about delay + 5 ms for ~8 % extra requests
    // (both attempts straggle for 0.64 % of calls, below the 1 % p99 cut).
    void hedgingCutsTheTail()
    {
        auto run = [](bool hedge) {
            HedgeConfig config;
            config.fixedDelay = hedge ? ms(10) : 10 * sim::kSecond;
            config.maxHedgeRatio = 0.15;
            Harness h(config);
            sim::RandomStream rng(12);
            constexpr std::size_t kCalls = 20'000;
            for (std::size_t i = 0; i < kCalls; ++i) {
                h.primaryLatency.push_back(rng.bernoulli(0.08) ? ms(100) : ms(5));
                h.backupLatency.push_back(rng.bernoulli(0.08) ? ms(100) : ms(5));
            }
            telemetry::Histogram latency;
            for (std::size_t i = 0; i < kCalls; ++i) {
                h.scheduler.scheduleAt(static_cast<sim::Nanos>(i) * ms(1), 0, 0, [&h, &latency, i] {
                    h.calls.call([&h, i](int attempt, Calls::AttemptDone done) { return h.send(i, attempt, done); },
                                 [&latency](const int&, const Calls::Outcome& o) { latency.record(o.latency); });
                });
            }
            h.scheduler.runUntil(100 * sim::kSecond);
            return std::pair{latency.quantile(0.99), h.policy.stats().hedgeRate()};
        };
        const auto [plainP99, plainRate] = run(false);
        const auto [hedgedP99, hedgedRate] = run(true);
        qInfo("p99 %.1f ms without hedging, %.1f ms with (hedge rate %.3f)", plainP99 / 1e6, hedgedP99 / 1e6, hedgedRate);
        QCOMPARE(plainRate, 0.0);
        QVERIFY(plainP99 >= static_cast<double>(ms(99)));
        QVERIFY(hedgedP99 <= static_cast<double>(ms(16)));
        QVERIFY(hedgedRate > 0.06 && hedgedRate < 0.10);
    }
};

LIVEDECK_TEST_CLASS(TstHedging)
#include "tst_hedging.moc"

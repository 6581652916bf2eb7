// RetryBudget and RetryingCalls: the retry ratio holds under sustained failure (in
// total and in every window), transient failures are all retried, the per-second
// floor, window expiry, weights, backoff ceilings and jitter, and the attempt loop.
#include "backend/resilience/retry_budget.h"
#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <cmath>
#include <vector>

using namespace livedeck;
using resilience::RetryBudget;
using resilience::RetryBudgetConfig;
using resilience::RetryingCalls;
using resilience::RetryOutcome;

namespace {

constexpr sim::Nanos ms(std::int64_t n)
{
    return n * sim::kMillisecond;
}

using Calls = RetryingCalls<int>;

// A backend that fails (retryably) with probability failP, answering after 5 ms.
struct Backend {
    sim::Scheduler& scheduler;
    sim::RandomStream rng;
    double failP;
    std::uint64_t attempts = 0;

    void attempt(Calls::AttemptDone done)
    {
        ++attempts;
        const bool fail = rng.bernoulli(failP);
        scheduler.scheduleAfter(ms(5), 0, 0, [done, fail] { done(fail ? -1 : 1, fail); });
    }
};

} // namespace

class TstRetryBudget : public QObject {
    Q_OBJECT

private slots:
    void ratioHeldUnderSustainedFailure_data()
    {
        QTest::addColumn<double>("ratio");
        QTest::addColumn<double>("minPerSec");
        QTest::addColumn<double>("callsPerSec");
        QTest::newRow("default 10 %") << 0.1 << 1.0 << 100.0;
        QTest::newRow("20 %, no floor") << 0.2 << 0.0 << 100.0;
        QTest::newRow("5 %, busy client") << 0.05 << 1.0 << 1000.0;
        QTest::newRow("quiet client: the floor dominates") << 0.1 << 1.0 << 2.0;
    }

    void ratioHeldUnderSustainedFailure()
    {
        QFETCH(double, ratio);
        QFETCH(double, minPerSec);
        QFETCH(double, callsPerSec);
        sim::Scheduler scheduler;
        RetryBudgetConfig config;
        config.ratio = ratio;
        config.minRetriesPerSec = minPerSec;
        RetryBudget budget(scheduler, config);
        Calls calls(scheduler, budget, sim::RandomStream(1), 3);
        Backend backend{scheduler, sim::RandomStream(2), 1.0};
        std::uint64_t exhausted = 0, answered = 0;
        const sim::Nanos gap = static_cast<sim::Nanos>(1e9 / callsPerSec);
        const sim::Nanos duration = 60 * sim::kSecond;
        double worstWindowExcess = -1e9;
        // Calls arrive at a steady rate; each second the window is checked.
        struct Driver {
            sim::Scheduler& scheduler;
            Calls& calls;
            Backend& backend;
            std::uint64_t& exhausted;
            std::uint64_t& answered;
            void call()
            {
                calls.call([this](int, Calls::AttemptDone done) { backend.attempt(done); },
                           [this](const int& v, const RetryOutcome& o) {
                               QCOMPARE(v, -1);
                               QVERIFY(o.gaveUp);
                               exhausted += o.budgetExhausted ? 1 : 0;
                               ++answered;
                           });
            }
        } driver{scheduler, calls, backend, exhausted, answered};
        std::uint64_t sent = 0;
        for (sim::Nanos t = 0; t < duration; t += gap, ++sent)
            scheduler.scheduleAt(t, 0, 0, [&driver] { driver.call(); });
        for (sim::Nanos t = sim::kSecond; t <= duration; t += sim::kSecond) {
            scheduler.scheduleAt(t, 0, 0, [&] {
                const double allowed = ratio * budget.windowRequests() + minPerSec * 10.0;
                worstWindowExcess = std::max(worstWindowExcess, budget.windowRetries() - allowed);
            });
        }
        scheduler.runUntil(duration + sim::kSecond);

        QCOMPARE(answered, sent);
        const double retries = budget.stats().retries;
        const double bound = ratio * static_cast<double>(sent) + minPerSec * (sim::toSeconds(duration) + 10.0);
        qInfo("calls %llu, retries %.0f (%.3f of calls), bound %.0f, budget-exhausted calls %llu",
              static_cast<unsigned long long>(sent), retries, retries / static_cast<double>(sent), bound,
              static_cast<unsigned long long>(exhausted));
        QVERIFY(retries <= bound);
        QVERIFY(retries >= 0.8 * std::min(bound, 2.0 * static_cast<double>(sent))); // the budget is used
        // In every window: the budget is checked when a retry is granted; as the window
        // slides, a retry can outlive the request it was granted against by up to one
        // bucket (1 s), so allow one bucket's worth.
        QVERIFY(worstWindowExcess <= ratio * callsPerSec + minPerSec + 1.0);
        QCOMPARE(static_cast<double>(backend.attempts), static_cast<double>(sent) + retries);
        QVERIFY(exhausted > 0);
    }

    void transientFailuresAreRetried()
    {
        sim::Scheduler scheduler;
        RetryBudget budget(scheduler);
        Calls calls(scheduler, budget, sim::RandomStream(1), 3);
        Backend backend{scheduler, sim::RandomStream(3), 0.05};
        int ok = 0, failed = 0, exhausted = 0;
        std::vector<int> attemptsHistogram(4, 0);
        for (int i = 0; i < 10'000; ++i) {
            scheduler.scheduleAt(i * ms(10), 0, 0, [&] {
                calls.call([&](int, Calls::AttemptDone done) { backend.attempt(done); },
                           [&](const int& v, const RetryOutcome& o) {
                               (v == 1 ? ok : failed) += 1;
                               exhausted += o.budgetExhausted ? 1 : 0;
                               ++attemptsHistogram[static_cast<std::size_t>(o.attempts)];
                           });
            });
        }
        scheduler.runUntil(200 * sim::kSecond);
        QCOMPARE(ok + failed, 10'000);
        QCOMPARE(exhausted, 0); // 5 % failures fit in a 10 % budget
        QVERIFY(failed <= 10);  // three failures in a row: 0.0125 %
        QVERIFY(attemptsHistogram[2] > 400 && attemptsHistogram[2] < 600);
        QCOMPARE(budget.stats().denied, 0.0);
        QCOMPARE(calls.inFlight(), std::size_t{0});
    }

    void floorAndWindowExpiry()
    {
        sim::ManualClock clock;
        RetryBudgetConfig config; // 10 %, 1/s floor over 10 s: 10 retries with no traffic
        RetryBudget budget(clock, config);
        int granted = 0;
        while (budget.tryRetry())
            ++granted;
        QCOMPARE(granted, 10);
        QCOMPARE(budget.stats().denied, 1.0);
        // 100 requests add 10 more.
        for (int i = 0; i < 100; ++i)
            budget.recordRequest();
        granted = 0;
        while (budget.tryRetry())
            ++granted;
        QCOMPARE(granted, 10);
        // Once the window has passed, everything is forgotten.
        clock.advance(config.window + sim::kSecond);
        QCOMPARE(budget.windowRequests(), 0.0);
        QCOMPARE(budget.windowRetries(), 0.0);
        QVERIFY(std::abs(budget.available() - 10.0) < 1e-9);
    }

    void weightedCounts()
    {
        sim::ManualClock clock;
        RetryBudgetConfig config;
        config.minRetriesPerSec = 0.0;
        RetryBudget budget(clock, config);
        budget.recordRequest(1000.0); // one discrete request standing for 1000
        QVERIFY(budget.tryRetry(60.0));
        QVERIFY(budget.tryRetry(40.0));
        QVERIFY(!budget.tryRetry(1.0));
        QCOMPARE(budget.stats().retries, 100.0);
    }

    void backoffCeilings_data()
    {
        QTest::addColumn<int>("retry");
        QTest::addColumn<qint64>("ceilingMs");
        QTest::newRow("first") << 1 << qint64{10};
        QTest::newRow("second") << 2 << qint64{20};
        QTest::newRow("third") << 3 << qint64{40};
        QTest::newRow("fifth") << 5 << qint64{160};
        QTest::newRow("capped") << 6 << qint64{200};
        QTest::newRow("far") << 40 << qint64{200};
    }

    void backoffCeilings()
    {
        QFETCH(int, retry);
        QFETCH(qint64, ceilingMs);
        sim::ManualClock clock;
        RetryBudget budget(clock);
        QCOMPARE(budget.backoffCeiling(retry), ms(ceilingMs));
        // Full jitter: uniform in [0, ceiling]; mean ≈ ceiling / 2; reproducible.
        sim::RandomStream a(5), b(5);
        double sum = 0.0;
        constexpr int kDraws = 20'000;
        for (int i = 0; i < kDraws; ++i) {
            const sim::Nanos d = budget.backoff(retry, a);
            QCOMPARE(d, budget.backoff(retry, b));
            QVERIFY(d >= 0 && d <= ms(ceilingMs));
            sum += static_cast<double>(d);
        }
        const double mean = sum / kDraws;
        QVERIFY(std::abs(mean - static_cast<double>(ms(ceilingMs)) / 2) < 0.02 * static_cast<double>(ms(ceilingMs)));
    }

    // The attempt loop: attempt numbers, backoff between attempts, non-retryable
    // failures end the call, stale answers are ignored.
    void attemptLoop()
    {
        sim::Scheduler scheduler;
        RetryBudget budget(scheduler);
        Calls calls(scheduler, budget, sim::RandomStream(9), 4);
        std::vector<std::pair<int, sim::Nanos>> started;
        // Fails retryably twice, then succeeds.
        RetryOutcome outcome;
        int value = 0;
        calls.call(
            [&](int n, Calls::AttemptDone done) {
                started.emplace_back(n, scheduler.now());
                scheduler.scheduleAfter(ms(1), 0, 0, [done, n] { done(n, n < 2); });
            },
            [&](const int& v, const RetryOutcome& o) {
                value = v;
                outcome = o;
            });
        scheduler.runUntil(sim::kSecond);
        QCOMPARE(value, 2);
        QCOMPARE(outcome.attempts, 3);
        QVERIFY(!outcome.gaveUp && !outcome.budgetExhausted);
        QCOMPARE(started.size(), std::size_t{3});
        for (int n = 0; n < 3; ++n)
            QCOMPARE(started[static_cast<std::size_t>(n)].first, n);
        // Attempt n+1 starts after attempt n answered (1 ms) plus a backoff within its ceiling.
        for (std::size_t n = 1; n < 3; ++n) {
            const sim::Nanos gap = started[n].second - started[n - 1].second - ms(1);
            QVERIFY(gap >= 0 && gap <= budget.backoffCeiling(static_cast<int>(n)));
        }

        // A non-retryable failure ends at once; a second answer is ignored.
        int answers = 0;
        calls.call(
            [&](int, Calls::AttemptDone done) {
                done(-7, false);
                done(-8, true);
            },
            [&](const int& v, const RetryOutcome& o) {
                ++answers;
                QCOMPARE(v, -7);
                QCOMPARE(o.attempts, 1);
                QVERIFY(!o.gaveUp);
            });
        QCOMPARE(answers, 1);
        QCOMPARE(calls.inFlight(), std::size_t{0});
        QCOMPARE(calls.retries(), std::uint64_t{2});
    }
};

LIVEDECK_TEST_CLASS(TstRetryBudget)
#include "tst_retry_budget.moc"

// AdaptiveThrottle: the SRE book's probability formula, the observed rejection
// frequency against it, the two-minute window, and the closed loop: against a backend
// that accepts C per second, about K·C per second still reach it.
#include "backend/resilience/adaptive_throttle.h"
#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <cmath>

using namespace livedeck;
using resilience::AdaptiveThrottle;
using resilience::AdaptiveThrottleConfig;

class TstAdaptiveThrottle : public QObject {
    Q_OBJECT

private slots:
    void formula_data()
    {
        QTest::addColumn<double>("requests");
        QTest::addColumn<double>("accepts");
        QTest::addColumn<double>("k");
        QTest::addColumn<double>("expected"); // max(0, (requests − k·accepts) / (requests + 1)), by hand
        QTest::newRow("idle") << 0.0 << 0.0 << 2.0 << 0.0;
        QTest::newRow("healthy") << 1000.0 << 1000.0 << 2.0 << 0.0;
        QTest::newRow("half accepted, K=2") << 1000.0 << 500.0 << 2.0 << 0.0;
        QTest::newRow("40 % accepted, K=2") << 1000.0 << 400.0 << 2.0 << 200.0 / 1001.0;
        QTest::newRow("none accepted") << 100.0 << 0.0 << 2.0 << 100.0 / 101.0;
        QTest::newRow("one request, none accepted") << 1.0 << 0.0 << 2.0 << 0.5;
        QTest::newRow("K=1.1") << 1000.0 << 500.0 << 1.1 << 450.0 / 1001.0;
        QTest::newRow("weighted counts") << 250'000.0 << 50'000.0 << 2.0 << 150'000.0 / 250'001.0;
    }

    void formula()
    {
        QFETCH(double, requests);
        QFETCH(double, accepts);
        QFETCH(double, k);
        QFETCH(double, expected);
        QCOMPARE(AdaptiveThrottle::probability(requests, accepts, k), expected);

        // The same through the throttle's own window.
        sim::ManualClock clock;
        AdaptiveThrottleConfig config;
        config.k = k;
        AdaptiveThrottle throttle(clock, sim::RandomStream(1), config);
        if (requests > 0.0)
            throttle.allow(requests); // one discrete request of that weight (p was 0)
        if (accepts > 0.0)
            throttle.recordAccept(accepts);
        QCOMPARE(throttle.windowRequests(), requests);
        QCOMPARE(throttle.windowAccepts(), accepts);
        QVERIFY(std::abs(throttle.rejectProbability() - expected) < 1e-12);
    }

    // Local rejections happen with the formula's probability.
    void rejectionFrequencyMatchesProbability_data()
    {
        QTest::addColumn<double>("accepts");
        QTest::newRow("p≈0.80") << 100.0;
        QTest::newRow("p≈0.60") << 200.0;
        QTest::newRow("p≈0.20") << 400.0;
        QTest::newRow("p=0") << 600.0;
    }

    void rejectionFrequencyMatchesProbability()
    {
        QFETCH(double, accepts);
        sim::ManualClock clock;
        AdaptiveThrottle throttle(clock, sim::RandomStream(17));
        throttle.allow(1000.0);
        throttle.recordAccept(accepts);
        const double p = throttle.rejectProbability();
        constexpr int kTrials = 40'000;
        int rejected = 0;
        for (int i = 0; i < kTrials; ++i)
            rejected += throttle.allow(1e-9) ? 0 : 1; // negligible weight: p stays put
        const double freq = static_cast<double>(rejected) / kTrials;
        const double sigma = std::sqrt(p * (1 - p) / kTrials);
        qInfo("p %.4f observed %.4f", p, freq);
        QVERIFY(std::abs(freq - p) <= 4 * sigma + 1e-12);
        QVERIFY(std::abs(throttle.stats().rejectedLocally - rejected * 1e-9) < 1e-9);
    }

    void windowForgets()
    {
        sim::ManualClock clock;
        AdaptiveThrottle throttle(clock, sim::RandomStream(2));
        for (int i = 0; i < 100; ++i) {
            clock.advance(100 * sim::kMillisecond);
            throttle.allow(); // the backend accepts nothing
        }
        QVERIFY(throttle.rejectProbability() > 0.9);
        clock.advance(2 * sim::kMinute);
        QCOMPARE(throttle.windowRequests(), 0.0);
        QCOMPARE(throttle.rejectProbability(), 0.0);
        QVERIFY(throttle.allow());
    }

    // Closed loop: the application wants 1000 req/s; the backend accepts at most C per
    // second and rejects the rest. In steady state requests − K·accepts ≈ p·requests,
    // so (1 − p)·requests ≈ K·C reach the backend (SRE book: "K times" the accepts).
    void closedLoopSendsKTimesCapacity_data()
    {
        QTest::addColumn<double>("k");
        QTest::addColumn<double>("capacity");
        QTest::newRow("K=2, 100/s") << 2.0 << 100.0;
        QTest::newRow("K=2, 300/s") << 2.0 << 300.0;
        QTest::newRow("K=1.1, 200/s") << 1.1 << 200.0;
    }

    void closedLoopSendsKTimesCapacity()
    {
        QFETCH(double, k);
        QFETCH(double, capacity);
        sim::ManualClock clock;
        AdaptiveThrottleConfig config;
        config.k = k;
        AdaptiveThrottle throttle(clock, sim::RandomStream(31), config);
        // The backend admits up to `capacity` per second (a token bucket refilled continuously).
        double tokens = capacity;
        double sentLastMinute = 0.0, acceptedLastMinute = 0.0;
        const sim::Nanos gap = sim::kMillisecond; // 1000 req/s wanted
        const sim::Nanos end = 6 * sim::kMinute;
        for (sim::Nanos t = gap; t <= end; t += gap) {
            clock.set(t);
            tokens = std::min(capacity, tokens + capacity * sim::toSeconds(gap));
            if (!throttle.allow())
                continue;
            const bool counted = t > end - sim::kMinute;
            sentLastMinute += counted ? 1 : 0;
            if (tokens >= 1.0) {
                tokens -= 1.0;
                throttle.recordAccept();
                acceptedLastMinute += counted ? 1 : 0;
            }
        }
        const double sentPerSec = sentLastMinute / 60.0;
        qInfo("sent %.0f/s, accepted %.0f/s (K·C = %.0f/s)", sentPerSec, acceptedLastMinute / 60.0, k * capacity);
        QVERIFY(std::abs(sentPerSec - k * capacity) < 0.1 * k * capacity);
        QVERIFY(std::abs(acceptedLastMinute / 60.0 - capacity) < 0.05 * capacity);
    }

    // After a total outage the book's formula recovers slowly: about one request per
    // window gets through, and accepts grow K-fold per window. A cap on p (Envoy's
    // admission control) keeps a share of traffic flowing and recovers within a window.
    void recoveryAfterOutage_data()
    {
        QTest::addColumn<double>("cap");
        QTest::addColumn<double>("pAfterOneMinute");  // at least
        QTest::addColumn<double>("pAfterTwentyMinutes"); // at most
        QTest::newRow("book: no cap") << 1.0 << 0.99 << 0.05;
        QTest::newRow("capped at 0.8") << 0.8 << 0.0 << 0.0;
    }

    void recoveryAfterOutage()
    {
        QFETCH(double, cap);
        QFETCH(double, pAfterOneMinute);
        QFETCH(double, pAfterTwentyMinutes);
        sim::ManualClock clock;
        AdaptiveThrottleConfig config;
        config.maxRejectProbability = cap;
        AdaptiveThrottle throttle(clock, sim::RandomStream(3), config);
        for (int i = 0; i < 60'000; ++i) { // one minute at 1000 req/s, nothing accepted
            clock.advance(sim::kMillisecond);
            throttle.allow();
        }
        QVERIFY(throttle.rejectProbability() >= std::min(cap, 0.99));
        double pAt1 = -1.0, halfTime = -1.0;
        for (int i = 1; i <= 20 * 60'000; ++i) { // twenty minutes of a healthy backend
            clock.advance(sim::kMillisecond);
            if (throttle.allow())
                throttle.recordAccept();
            if (i == 60'000)
                pAt1 = throttle.rejectProbability();
            if (halfTime < 0 && throttle.rejectProbability() < 0.5)
                halfTime = i / 1000.0;
        }
        const double pAt20 = throttle.rejectProbability();
        qInfo("p one minute after recovery %.5f, below 0.5 after %.0f s, after twenty minutes %.5f", pAt1, halfTime,
              pAt20);
        QVERIFY(pAt1 >= pAfterOneMinute);
        QVERIFY(pAt20 <= pAfterTwentyMinutes);
        if (cap < 1.0) // with the cap, p falls below 0.5 about when the outage leaves the window
            QVERIFY(halfTime > 0 && halfTime < 150.0);
        else // the book: many minutes (about 16 at this rate)
            QVERIFY(halfTime > 300.0 && halfTime < 1200.0);
    }
};

LIVEDECK_TEST_CLASS(TstAdaptiveThrottle)
#include "tst_adaptive_throttle.moc"

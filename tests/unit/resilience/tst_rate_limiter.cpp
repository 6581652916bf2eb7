// Rate limiters: the token bucket (rate, burst, weights, debt for requests heavier than
// the burst, time to the next token) and the sliding-window counter (Cloudflare's
// weighted previous + current estimate, point by point and under random traffic).
#include "tests/common/multi_test.h"

#include "backend/resilience/sliding_window_limiter.h"
#include "backend/resilience/token_bucket.h"
#include "backend/sim/random.h"
#include "backend/telemetry/metrics.h"

#include <QTest>

#include <cmath>

using namespace livedeck;
using resilience::SlidingWindowLimiter;
using resilience::TokenBucket;

class TstRateLimiter : public QObject {
    Q_OBJECT

private slots:
    // ---------------------------------------------------------------- token bucket

    void bucketScript_data()
    {
        QTest::addColumn<double>("rate");
        QTest::addColumn<double>("burst");
        // steps: "<advance ms>:<weight>:<expected 1/0>" separated by spaces
        QTest::addColumn<QString>("steps");
        QTest::newRow("burst then nothing") << 10.0 << 5.0 << "0:1:1 0:1:1 0:1:1 0:1:1 0:1:1 0:1:0";
        QTest::newRow("refills at the rate") << 10.0 << 5.0 << "0:5:1 0:1:0 99:1:0 1:1:1 0:1:0 100:1:1";
        QTest::newRow("refill caps at the burst") << 10.0 << 5.0 << "0:5:1 10000:5:1 0:1:0";
        QTest::newRow("weights take several tokens") << 10.0 << 5.0 << "0:3:1 0:3:0 0:2:1 200:2:1 0:1:0";
        QTest::newRow("weight equal to burst") << 1.0 << 5.0 << "0:5:1 4999:5:0 1:5:1";
        QTest::newRow("heavier than burst passes only from full") << 10.0 << 5.0 << "0:1:1 0:20:0 100:20:1 0:1:0 1599:1:0 1:1:1";
        QTest::newRow("fractional weights") << 2.0 << 1.0 << "0:0.5:1 0:0.5:1 0:0.5:0 250:0.5:1";
    }

    void bucketScript()
    {
        QFETCH(double, rate);
        QFETCH(double, burst);
        QFETCH(QString, steps);
        sim::ManualClock clock(123);
        TokenBucket b(rate, burst, clock);
        int i = 0;
        for (const QString& step : steps.split(QLatin1Char(' '))) {
            const QStringList p = step.split(QLatin1Char(':'));
            clock.advance(p[0].toLongLong() * sim::kMillisecond);
            const bool expected = p[2] == QLatin1String("1");
            QVERIFY2(b.tryAcquire(p[1].toDouble()) == expected, qPrintable(QStringLiteral("step %1: %2").arg(i).arg(step)));
            ++i;
        }
    }

    void bucketTimeUntilAvailable()
    {
        sim::ManualClock clock;
        TokenBucket b(10.0, 5.0, clock);
        QCOMPARE(b.timeUntilAvailable(1), sim::Nanos(0));
        QVERIFY(b.tryAcquire(5));
        QCOMPARE(b.timeUntilAvailable(1), 100 * sim::kMillisecond);
        QCOMPARE(b.timeUntilAvailable(3), 300 * sim::kMillisecond);
        QCOMPARE(b.timeUntilAvailable(50), 500 * sim::kMillisecond); // heavier than burst: wait for full
        clock.advance(300 * sim::kMillisecond - 1);
        QVERIFY(!b.tryAcquire(3));
        clock.advance(1);
        QVERIFY(b.tryAcquire(3));
    }

    void bucketTimeUntilAvailableProperty()
    {
        // Random traffic: waiting exactly timeUntilAvailable(w) always makes w pass, and
        // one nanosecond less never does.
        sim::RandomStream rng(7);
        sim::ManualClock clock;
        TokenBucket b(37.0, 9.0, clock);
        for (int i = 0; i < 2000; ++i) {
            const double w = 0.25 + rng.uniform(0.0, 12.0);
            const sim::Nanos t = b.timeUntilAvailable(w);
            if (t > 0) {
                clock.advance(t - 1);
                QVERIFY(b.timeUntilAvailable(w) > 0);
                clock.advance(1);
            }
            QCOMPARE(b.timeUntilAvailable(w), sim::Nanos(0));
            QVERIFY(b.tryAcquire(w));
            clock.advance(rng.uniformInt(50) * sim::kMillisecond);
        }
    }

    void bucketLongRunRate_data()
    {
        QTest::addColumn<double>("weight");
        QTest::newRow("weight 1") << 1.0;
        QTest::newRow("weight 7") << 7.0;
        QTest::newRow("weight 50 (> burst)") << 50.0;
    }

    void bucketLongRunRate()
    {
        // Offered far above the rate for 10 s: admitted weight = rate * 10 s + burst,
        // within one request; weights heavier than the burst cannot break the rate.
        QFETCH(double, weight);
        sim::ManualClock clock;
        const double rate = 100.0;
        const double burst = 10.0;
        TokenBucket b(rate, burst, clock);
        for (int ms = 0; ms < 10'000; ++ms) {
            for (int k = 0; k < 5; ++k)
                b.tryAcquire(weight);
            clock.advance(sim::kMillisecond);
        }
        const double bound = rate * 10.0 + burst;
        QVERIFY2(b.acquired() <= bound + weight, qPrintable(QString::number(b.acquired())));
        QVERIFY2(b.acquired() >= bound - 2 * weight - burst, qPrintable(QString::number(b.acquired())));
        QVERIFY(b.rejected() > 0);
    }

    void bucketRateChangeKeepsTokens()
    {
        sim::ManualClock clock;
        TokenBucket b(10.0, 10.0, clock);
        QVERIFY(b.tryAcquire(10));
        clock.advance(500 * sim::kMillisecond); // 5 tokens earned at the old rate
        b.setRate(100.0);
        QCOMPARE(b.available(), 5.0);
        clock.advance(20 * sim::kMillisecond); // 2 more at the new rate
        QCOMPARE(b.available(), 7.0);
        b.setBurst(4.0);
        QCOMPARE(b.available(), 4.0);
        QVERIFY(!TokenBucket::validate(0.0, 1.0).ok());
        QVERIFY(!TokenBucket::validate(1.0, -1.0).ok());
    }

    void bucketCountsIntoMetrics()
    {
        sim::ManualClock clock;
        telemetry::MetricsRegistry metrics;
        TokenBucket b(1.0, 2.0, clock);
        b.attachMetrics(metrics, "sh-a/gifts/gateway/0");
        b.tryAcquire(2);
        b.tryAcquire(3);
        QCOMPARE(metrics.findCounter("resilience.token_bucket.acquired", "sh-a/gifts/gateway/0")->total(), 2.0);
        QCOMPARE(metrics.findCounter("resilience.token_bucket.rejected", "sh-a/gifts/gateway/0")->total(), 3.0);
    }

    // ---------------------------------------------------------------- sliding window

    void windowEstimate_data()
    {
        QTest::addColumn<double>("previous");   // admitted in the previous fixed window
        QTest::addColumn<double>("current");    // admitted so far in this one
        QTest::addColumn<qint64>("progressMs"); // into the current 1 s window
        QTest::addColumn<double>("estimate");
        QTest::newRow("start of window: all of the previous") << 80.0 << 0.0 << qint64(0) << 80.0;
        QTest::newRow("quarter in") << 80.0 << 10.0 << qint64(250) << 70.0;
        QTest::newRow("half way") << 80.0 << 30.0 << qint64(500) << 70.0;
        QTest::newRow("nearly through") << 80.0 << 0.0 << qint64(999) << 80.0 * 0.001;
        QTest::newRow("no previous") << 0.0 << 42.0 << qint64(600) << 42.0;
    }

    void windowEstimate()
    {
        QFETCH(double, previous);
        QFETCH(double, current);
        QFETCH(qint64, progressMs);
        QFETCH(double, estimate);
        sim::ManualClock clock(5 * sim::kSecond + 300 * sim::kMillisecond); // inside window 5
        SlidingWindowLimiter lim(sim::kSecond, 100.0, clock);
        if (previous > 0)
            QVERIFY(lim.tryAcquire(previous));
        clock.set(6 * sim::kSecond + progressMs * sim::kMillisecond); // into window 6
        if (current > 0)
            QVERIFY(lim.tryAcquire(current));
        QVERIFY(std::abs(lim.estimate() - estimate) < 1e-9);
        // Admits exactly what fits under the limit.
        const double room = 100.0 - estimate;
        if (room >= 1.0) {
            QVERIFY(lim.tryAcquire(std::floor(room)));
            QVERIFY(!lim.tryAcquire(1.0 + (room - std::floor(room))));
        }
    }

    void windowScript_data()
    {
        QTest::addColumn<QString>("steps"); // "<absolute ms>:<weight>:<1/0>"
        // Limit 10 per 1 s window.
        QTest::newRow("fills, then refuses") << "0:10:1 500:1:0 999:1:0";
        QTest::newRow("boundary burst is still seen") << "999:10:1 1000:1:0 1100:2:0 1100:1:1 1500:4:1 1500:1:0";
        QTest::newRow("two windows later everything is forgotten") << "100:10:1 2000:10:1 2000:1:0";
        QTest::newRow("rejected requests are not counted") << "0:6:1 10:5:0 10:5:0 20:4:1 30:1:0";
        QTest::newRow("heavier than the limit waits for an empty estimate") << "0:1:1 10:30:0 2000:30:1 2500:1:0 4000:1:1";
    }

    void windowScript()
    {
        QFETCH(QString, steps);
        sim::ManualClock clock;
        SlidingWindowLimiter lim(sim::kSecond, 10.0, clock);
        for (const QString& step : steps.split(QLatin1Char(' '))) {
            const QStringList p = step.split(QLatin1Char(':'));
            clock.set(p[0].toLongLong() * sim::kMillisecond);
            QVERIFY2(lim.tryAcquire(p[1].toDouble()) == (p[2] == QLatin1String("1")), qPrintable(step));
        }
    }

    void windowTimeUntilAvailableProperty()
    {
        sim::RandomStream rng(11);
        sim::ManualClock clock(sim::kSecond / 3);
        SlidingWindowLimiter lim(sim::kSecond, 50.0, clock);
        for (int i = 0; i < 2000; ++i) {
            const double w = i % 97 == 0 ? 80.0 : 0.5 + rng.uniform(0.0, 15.0); // now and then > limit
            const sim::Nanos t = lim.timeUntilAvailable(w);
            QVERIFY(t >= 0);
            if (t > 0) {
                clock.advance(t - 1);
                QVERIFY2(!lim.tryAcquire(w), qPrintable(QStringLiteral("i=%1 w=%2 t=%3").arg(i).arg(w).arg(t)));
                clock.advance(1);
            }
            QVERIFY2(lim.tryAcquire(w), qPrintable(QStringLiteral("i=%1 w=%2 t=%3").arg(i).arg(w).arg(t)));
            clock.advance(rng.uniformInt(30) * sim::kMillisecond);
        }
    }

    void windowLongRunRate()
    {
        // Offered 5x the limit for 20 s, evenly: the admitted rate stays at the limit
        // (the estimate is exact for evenly spread traffic), within one window's worth.
        sim::ManualClock clock;
        SlidingWindowLimiter lim(sim::kSecond, 100.0, clock);
        for (int ms = 0; ms < 20'000; ++ms) {
            lim.tryAcquire(0.5);
            clock.advance(sim::kMillisecond);
        }
        QVERIFY2(lim.acquired() <= 100.0 * 20 + 100.0, qPrintable(QString::number(lim.acquired())));
        QVERIFY2(lim.acquired() >= 100.0 * 20 - 100.0, qPrintable(QString::number(lim.acquired())));
        QVERIFY(!SlidingWindowLimiter::validate(0, 1.0).ok());
        QVERIFY(!SlidingWindowLimiter::validate(sim::kSecond, 0.0).ok());
    }
};

LIVEDECK_TEST_CLASS(TstRateLimiter)
#include "tst_rate_limiter.moc"

// The gift panel's breaker settings (backend/gifts/panel.h giftPanelBreakerDefaults(),
// docs/GIFTS.md "Panel"): the 50 ms budget as the slow-call duration and the per-user
// timeout, failure rate "exceeds 50 %" over at least 20 calls, several probes.
#include "backend/gifts/panel.h"

#include "tests/common/multi_test.h" // after the backend headers (Qt's `emit` macro)

#include <QTest>

using namespace livedeck;
using resilience::BreakerState;
using resilience::CircuitBreaker;
using resilience::CircuitBreakerConfig;
using resilience::Permit;

class TstPanelBreaker : public QObject {
    Q_OBJECT

private slots:
    void panelTimeout()
    {
        QCOMPARE(gifts::kGiftPanelTimeout, 50 * sim::kMillisecond);
        const gifts::PanelConfig panel;
        QCOMPARE(panel.perUserTimeout, gifts::kGiftPanelTimeout);
        QCOMPARE(panel.breaker.slowCallDuration, gifts::kGiftPanelTimeout);
        QVERIFY(panel.validate().ok());
    }

    void breakerDefaults_data()
    {
        QTest::addColumn<int>("failures");
        QTest::addColumn<bool>("timeouts");
        QTest::addColumn<int>("expected");
        // 20 calls (the minimum): 10 failed is exactly 50 % and does not exceed it.
        QTest::newRow("10 of 20 errors: stays closed") << 10 << false << int(BreakerState::Closed);
        QTest::newRow("11 of 20 errors: opens") << 11 << false << int(BreakerState::Open);
        QTest::newRow("10 of 20 timeouts: stays closed") << 10 << true << int(BreakerState::Closed);
        QTest::newRow("11 of 20 timeouts: opens") << 11 << true << int(BreakerState::Open);
        QTest::newRow("19 errors, below the minimum") << 19 << false << int(BreakerState::Closed);
    }

    void breakerDefaults()
    {
        QFETCH(int, failures);
        QFETCH(bool, timeouts);
        QFETCH(int, expected);
        const CircuitBreakerConfig c = gifts::giftPanelBreakerDefaults();
        QCOMPARE(c.slowCallDuration, 50 * sim::kMillisecond);
        QCOMPARE(c.failureRateThreshold, 0.5);
        QCOMPARE(c.comparison, resilience::ThresholdComparison::StrictlyAbove);
        QVERIFY(c.permittedCallsInHalfOpen > 1);
        QVERIFY(c.automaticTransitionFromOpenToHalfOpen);
        QVERIFY(c.validate().ok());

        sim::ManualClock clock;
        CircuitBreaker cb("sh-a/gifts/panel/privileged", c, clock);
        const int total = failures == 19 ? 19 : 20;
        for (int i = 0; i < total; ++i) {
            const Permit p = cb.tryAcquire();
            QVERIFY(p);
            if (i < failures) {
                if (timeouts)
                    cb.onTimeout(p);
                else
                    cb.onError(p, 10 * sim::kMillisecond);
            } else {
                cb.onSuccess(p, 50 * sim::kMillisecond); // exactly the budget: not slow
            }
        }
        QCOMPARE(int(cb.state()), expected);
    }

    // The panel's breaker keeps the thresholds and narrows the window to 1 s.
    void panelWindow()
    {
        const CircuitBreakerConfig base = gifts::giftPanelBreakerDefaults();
        const CircuitBreakerConfig panel = gifts::PanelConfig::defaultBreaker();
        QCOMPARE(panel.windowDuration, sim::kSecond);
        QCOMPARE(panel.failureRateThreshold, base.failureRateThreshold);
        QCOMPARE(panel.slowCallDuration, base.slowCallDuration);
        QCOMPARE(panel.minimumNumberOfCalls, base.minimumNumberOfCalls);
    }
};

LIVEDECK_TEST_CLASS(TstPanelBreaker)
#include "tst_panel_breaker.moc"

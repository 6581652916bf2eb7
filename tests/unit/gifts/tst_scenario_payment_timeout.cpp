// Scenario gifts-payment-timeout: payments answer after the 250 ms deadline; the 2 s
// re-check finds the charges, late charges reach the audit and the refund queue. Twin
// gifts-payment-timeout-no-recheck: no re-check, no audit, charged orders neither
// settled nor refunded.
#include "tests/unit/gifts/drill_check.h"
#include "tests/common/multi_test.h"

using namespace livedeck::gifts::test;

class TstScenarioPaymentTimeout : public QObject {
    Q_OBJECT

    livedeck::drills::DrillReport m_plain;
    livedeck::drills::DrillReport m_twin;

private slots:
    void initTestCase()
    {
        m_plain = runBuiltinDrill("gifts-payment-timeout");
        m_twin = runBuiltinDrill("gifts-payment-timeout-no-recheck");
        QCOMPARE(m_twin.sabotageOf, std::string("gifts-payment-timeout"));
    }

    void mechanismHolds() { LIVEDECK_VERIFY_REPORT(m_plain.passed(), m_plain); }

    void twinShowsTheFailure()
    {
        LIVEDECK_VERIFY_REPORT(!m_twin.passed(), m_twin);
        const auto found = observed(m_twin, "re-checks found paid orders");
        QVERIFY(found);
        QCOMPARE(*found, 0.0);
        QVERIFY(!expectationPassed(m_twin, "late charges reached the refund queue")); // no audit
        // Charged orders neither settled nor refunded: the end-of-run scan finds them.
        QVERIFY(!expectationPassed(m_twin, "every charge settled or refunded"));
        const std::string why =
            invariantsOutside(m_twin, {"gifts.paid_unsettled", "drill.no-violations"}, {"gifts.paid_unsettled"});
        QVERIFY2(why.empty(), why.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioPaymentTimeout)
#include "tst_scenario_payment_timeout.moc"

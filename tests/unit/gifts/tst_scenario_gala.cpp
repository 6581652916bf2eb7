// Scenario gala (resources/drills/gala.yaml): the ramp into the countdown across
// 31 Dec -> 1 Jan, orders served, both month partitions filled, invariants hold. Twin
// gala-no-autoscale: no HPA and no pre-scale, the countdown overloads the order pods.
#include "tests/unit/gifts/drill_check.h"
#include "tests/common/multi_test.h"

using namespace livedeck::gifts::test;

class TstScenarioGala : public QObject {
    Q_OBJECT

    livedeck::drills::DrillReport m_plain;
    livedeck::drills::DrillReport m_twin;

private slots:
    void initTestCase()
    {
        m_plain = runBuiltinDrill("gala");
        m_twin = runBuiltinDrill("gala-no-autoscale");
        QCOMPARE(m_twin.sabotageOf, std::string("gala"));
    }

    void mechanismHolds() { LIVEDECK_VERIFY_REPORT(m_plain.passed(), m_plain); }

    void twinShowsTheFailure()
    {
        LIVEDECK_VERIFY_REPORT(!m_twin.passed(), m_twin);
        // The countdown overloads the order pods: a quarter of the orders go unanswered.
        const auto served = observed(m_twin, "orders served through the countdown");
        QVERIFY(served);
        LIVEDECK_VERIFY_REPORT(*served < 0.75, m_twin);
        QVERIFY(!expectationPassed(m_twin, "countdown second served"));
        // Overload loses no money: every invariant still holds.
        const std::string why = invariantsOutside(m_twin, {});
        QVERIFY2(why.empty(), why.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioGala)
#include "tst_scenario_gala.moc"

// Scenario gifts-quota-unreachable: the quota server goes down; entries fall back to
// their local share of the rate and orders keep flowing. Twin gifts-quota-fail-closed:
// the entries refuse everything and orders are shed.
#include "tests/unit/gifts/drill_check.h"
#include "tests/common/multi_test.h"

using namespace livedeck::gifts::test;

class TstScenarioQuota : public QObject {
    Q_OBJECT

    livedeck::drills::DrillReport m_plain;
    livedeck::drills::DrillReport m_twin;

private slots:
    void initTestCase()
    {
        m_plain = runBuiltinDrill("gifts-quota-unreachable");
        m_twin = runBuiltinDrill("gifts-quota-fail-closed");
        QCOMPARE(m_twin.sabotageOf, std::string("gifts-quota-unreachable"));
    }

    void mechanismHolds() { LIVEDECK_VERIFY_REPORT(m_plain.passed(), m_plain); }

    void twinShowsTheFailure()
    {
        LIVEDECK_VERIFY_REPORT(!m_twin.passed(), m_twin);
        const auto shed = observed(m_twin, "almost nothing shed");
        QVERIFY(shed);
        LIVEDECK_VERIFY_REPORT(*shed > 0.3, m_twin);
        const std::string why = invariantsOutside(m_twin, {});
        QVERIFY2(why.empty(), why.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioQuota)
#include "tst_scenario_quota.moc"

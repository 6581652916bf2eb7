// Scenario gifts-poison-message: one unparseable order event goes to the DLQ after 3
// attempts, the rest keep flowing, the missing-settlement alert fires and the repair
// settles the order. Twin gifts-poison-message-no-dlq: the partition blocks.
#include "tests/unit/gifts/drill_check.h"
#include "tests/common/multi_test.h"

using namespace livedeck::gifts::test;

class TstScenarioPoison : public QObject {
    Q_OBJECT

    livedeck::drills::DrillReport m_plain;
    livedeck::drills::DrillReport m_twin;

private slots:
    void initTestCase()
    {
        m_plain = runBuiltinDrill("gifts-poison-message");
        m_twin = runBuiltinDrill("gifts-poison-message-no-dlq");
        QCOMPARE(m_twin.sabotageOf, std::string("gifts-poison-message"));
    }

    void mechanismHolds() { LIVEDECK_VERIFY_REPORT(m_plain.passed(), m_plain); }

    void twinShowsTheFailure()
    {
        LIVEDECK_VERIFY_REPORT(!m_twin.passed(), m_twin);
        const auto dead = observed(m_twin, "the poison message was dead-lettered");
        QVERIFY(dead);
        QCOMPARE(*dead, 0.0);
        // The blocked partition holds more than the poison event itself.
        const auto unsettled = observed(m_twin, "nothing left unsettled");
        QVERIFY(unsettled);
        LIVEDECK_VERIFY_REPORT(*unsettled > 1.0, m_twin);
        const std::string why = invariantsOutside(m_twin, {"gifts.paid_unsettled", "drill.no-violations"});
        QVERIFY2(why.empty(), why.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioPoison)
#include "tst_scenario_poison.moc"

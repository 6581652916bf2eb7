// Scenario gifts-mq-duplicates: the brokers duplicate 30 % of the order events and the
// idempotent settlement consumer absorbs them. Twin
// gifts-mq-duplicates-not-idempotent: without the unique index orders settle twice.
#include "tests/unit/gifts/drill_check.h"
#include "tests/common/multi_test.h"

using namespace livedeck::gifts::test;

class TstScenarioDuplicates : public QObject {
    Q_OBJECT

    livedeck::drills::DrillReport m_plain;
    livedeck::drills::DrillReport m_twin;

private slots:
    void initTestCase()
    {
        m_plain = runBuiltinDrill("gifts-mq-duplicates");
        m_twin = runBuiltinDrill("gifts-mq-duplicates-not-idempotent");
        QCOMPARE(m_twin.sabotageOf, std::string("gifts-mq-duplicates"));
    }

    void mechanismHolds() { LIVEDECK_VERIFY_REPORT(m_plain.passed(), m_plain); }

    void twinShowsTheFailure()
    {
        LIVEDECK_VERIFY_REPORT(!m_twin.passed(), m_twin);
        QVERIFY(expectationPassed(m_twin, "duplicates were delivered"));
        const auto twice = observed(m_twin, "no order settled twice");
        QVERIFY(twice);
        LIVEDECK_VERIFY_REPORT(*twice > 0.0, m_twin);
        const std::string why = invariantsOutside(
            m_twin, {"gifts.settled_twice", "gifts.paid_unsettled", "drill.no-violations"}, {"gifts.settled_twice"});
        QVERIFY2(why.empty(), why.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioDuplicates)
#include "tst_scenario_duplicates.moc"

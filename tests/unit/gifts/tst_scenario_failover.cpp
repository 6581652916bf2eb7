// Scenario "order-db-failover" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioFailover : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("order-db-failover", false);
        QVERIFY2(failure.empty(), failure.c_str());
    }
    void twinShowsTheFailure()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("order-db-failover", true);
        QVERIFY2(failure.empty(), failure.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioFailover)
#include "tst_scenario_failover.moc"

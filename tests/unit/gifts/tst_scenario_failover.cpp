// Scenario "order-db-failover" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioFailover : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds() { LIVEDECK_CHECK_SCENARIO("order-db-failover", false); }
    void twinShowsTheFailure() { LIVEDECK_CHECK_SCENARIO("order-db-failover", true); }
};

LIVEDECK_TEST_CLASS(TstScenarioFailover)
#include "tst_scenario_failover.moc"

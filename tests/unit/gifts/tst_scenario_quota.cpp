// Scenario "quota-unreachable" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioQuota : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds() { LIVEDECK_CHECK_SCENARIO("quota-unreachable", false); }
    void twinShowsTheFailure() { LIVEDECK_CHECK_SCENARIO("quota-unreachable", true); }
};

LIVEDECK_TEST_CLASS(TstScenarioQuota)
#include "tst_scenario_quota.moc"

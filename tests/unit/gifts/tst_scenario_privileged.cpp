// Scenario "privileged-slowdown" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioPrivileged : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds() { LIVEDECK_CHECK_SCENARIO("privileged-slowdown", false); }
    void twinShowsTheFailure() { LIVEDECK_CHECK_SCENARIO("privileged-slowdown", true); }
};

LIVEDECK_TEST_CLASS(TstScenarioPrivileged)
#include "tst_scenario_privileged.moc"

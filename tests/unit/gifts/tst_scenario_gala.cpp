// Scenario "gala-peak" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioGala : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds() { LIVEDECK_CHECK_SCENARIO("gala-peak", false); }
    void twinShowsTheFailure() { LIVEDECK_CHECK_SCENARIO("gala-peak", true); }
};

LIVEDECK_TEST_CLASS(TstScenarioGala)
#include "tst_scenario_gala.moc"

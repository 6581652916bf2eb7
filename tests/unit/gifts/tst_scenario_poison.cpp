// Scenario "poison-message" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioPoison : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds() { LIVEDECK_CHECK_SCENARIO("poison-message", false); }
    void twinShowsTheFailure() { LIVEDECK_CHECK_SCENARIO("poison-message", true); }
};

LIVEDECK_TEST_CLASS(TstScenarioPoison)
#include "tst_scenario_poison.moc"

// Scenario "region-down" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioRegionDown : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds() { LIVEDECK_CHECK_SCENARIO("region-down", false); }
    void twinShowsTheFailure() { LIVEDECK_CHECK_SCENARIO("region-down", true); }
};

LIVEDECK_TEST_CLASS(TstScenarioRegionDown)
#include "tst_scenario_region_down.moc"

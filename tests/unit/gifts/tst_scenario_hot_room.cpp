// Scenario "hot-room" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioHotRoom : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds() { LIVEDECK_CHECK_SCENARIO("hot-room", false); }
    void twinShowsTheFailure() { LIVEDECK_CHECK_SCENARIO("hot-room", true); }
};

LIVEDECK_TEST_CLASS(TstScenarioHotRoom)
#include "tst_scenario_hot_room.moc"

// Scenario "mq-duplicates" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioDuplicates : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds() { LIVEDECK_CHECK_SCENARIO("mq-duplicates", false); }
    void twinShowsTheFailure() { LIVEDECK_CHECK_SCENARIO("mq-duplicates", true); }
};

LIVEDECK_TEST_CLASS(TstScenarioDuplicates)
#include "tst_scenario_duplicates.moc"

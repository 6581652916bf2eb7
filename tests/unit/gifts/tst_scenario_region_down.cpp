// Scenario "region-down" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioRegionDown : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("region-down", false);
        QVERIFY2(failure.empty(), failure.c_str());
    }
    void twinShowsTheFailure()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("region-down", true);
        QVERIFY2(failure.empty(), failure.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioRegionDown)
#include "tst_scenario_region_down.moc"

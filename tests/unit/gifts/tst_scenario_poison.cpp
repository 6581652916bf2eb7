// Scenario "poison-message" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioPoison : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("poison-message", false);
        QVERIFY2(failure.empty(), failure.c_str());
    }
    void twinShowsTheFailure()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("poison-message", true);
        QVERIFY2(failure.empty(), failure.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioPoison)
#include "tst_scenario_poison.moc"

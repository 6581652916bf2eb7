// Scenario "gala-peak" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioGala : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("gala-peak", false);
        QVERIFY2(failure.empty(), failure.c_str());
    }
    void twinShowsTheFailure()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("gala-peak", true);
        QVERIFY2(failure.empty(), failure.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioGala)
#include "tst_scenario_gala.moc"

// Scenario "privileged-slowdown" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioPrivileged : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("privileged-slowdown", false);
        QVERIFY2(failure.empty(), failure.c_str());
    }
    void twinShowsTheFailure()
    {
        const std::string failure = ::livedeck::gifts::test::scenarioFailure("privileged-slowdown", true);
        QVERIFY2(failure.empty(), failure.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioPrivileged)
#include "tst_scenario_privileged.moc"

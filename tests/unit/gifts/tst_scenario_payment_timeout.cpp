// Scenario "payment-timeout" and its sabotaged twin (backend/gifts/scenarios.h), reduced scale.
#include "tests/unit/gifts/scenario_check.h"
#include "tests/common/multi_test.h"

class TstScenarioPaymentTimeout : public QObject {
    Q_OBJECT

private slots:
    void mechanismHolds() { LIVEDECK_CHECK_SCENARIO("payment-timeout", false); }
    void twinShowsTheFailure() { LIVEDECK_CHECK_SCENARIO("payment-timeout", true); }
};

LIVEDECK_TEST_CLASS(TstScenarioPaymentTimeout)
#include "tst_scenario_payment_timeout.moc"

// The slo-burn plugin's burn-rate core (plugins/slo_burn/burn_rate.h): the SRE
// workbook's windows and factors, scaling to a drill, burn rates as time-weighted error
// shares over the budget, and alerts that need both windows.
#include "burn_rate.h"
#include "tests/common/multi_test.h"

#include <QtTest>

class TstBurnRate : public QObject {
    Q_OBJECT

private slots:
    void workbookWindows()
    {
        const auto rules = sloburn::workbookRules();
        QCOMPARE(rules.size(), std::size_t(2));
        QCOMPARE(rules[0].severity, std::string("page"));
        QCOMPARE(rules[0].longWindowSec, 3600.0);
        QCOMPARE(rules[0].shortWindowSec, 300.0);
        QCOMPARE(rules[0].burnRate, 14.4);
        QCOMPARE(rules[1].longWindowSec, 6 * 3600.0);
        QCOMPARE(rules[1].shortWindowSec, 1800.0);
        QCOMPARE(rules[1].burnRate, 6.0);
        // A 60 s drill: the 6 h window spans it.
        const auto scaled = sloburn::workbookRules(sloburn::scaleFor(60.0));
        QCOMPARE(scaled[1].longWindowSec, 60.0);
        QCOMPARE(scaled[0].longWindowSec, 10.0);
        QCOMPARE(scaled[1].shortWindowSec, 5.0);
        QVERIFY(qAbs(scaled[0].shortWindowSec - 60.0 / 72.0) < 1e-12);
        QCOMPARE(sloburn::scaleFor(0.0), 1.0);
    }

    void burnRateIsErrorShareOverBudget()
    {
        sloburn::BurnRateTracker t(0.999, sloburn::workbookRules(sloburn::scaleFor(60.0)));
        for (int i = 0; i <= 60; ++i)
            t.observe(i, 0.001); // exactly the budget
        QVERIFY(qAbs(t.burnRate(10.0) - 1.0) < 1e-9);
        QVERIFY(qAbs(t.budgetLeft()) < 1e-9);
        for (const auto& a : t.evaluate())
            QVERIFY(!a.firing);
    }

    void sustainedErrorsPageAndTicket()
    {
        sloburn::BurnRateTracker t(0.999, sloburn::workbookRules(sloburn::scaleFor(60.0)));
        for (int i = 0; i <= 60; ++i)
            t.observe(i, 0.02); // 20× the budget
        const auto a = t.evaluate();
        QVERIFY(a[0].firing);
        QVERIFY(a[1].firing);
        QVERIFY(qAbs(a[0].longBurn - 20.0) < 1e-9);
        QVERIFY(t.budgetLeft() < 0.0);
    }

    void aShortBlipDoesNotPage()
    {
        // 59 s clean, then 1 s at 100 % errors against a 99 % objective: the short window
        // burns at 100×, the long one (10 s, 1 s of it bad) at 10×, under the page's 14.4×.
        sloburn::BurnRateTracker t(0.99, sloburn::workbookRules(sloburn::scaleFor(60.0)));
        for (int i = 0; i < 59; ++i)
            t.observe(i, 0.0);
        t.observe(59, 1.0);
        t.observe(60, 1.0);
        const auto a = t.evaluate();
        QVERIFY(a[0].shortBurn > 14.4);  // the last 0.83 s were all bad
        QVERIFY(qAbs(a[0].longBurn - 10.0) < 1e-9); // 1 s of 10 s bad = 10 % / 1 %
        QVERIFY(!a[0].firing);
        // Once the errors last, the page fires.
        t.observe(61, 1.0);
        QVERIFY(t.evaluate()[0].firing);
        // ...and clears when they stop, though the long window still remembers them.
        for (int i = 62; i < 64; ++i)
            t.observe(i, 0.0);
        const auto after = t.evaluate();
        QVERIFY(after[0].longBurn > 14.4);
        QVERIFY(!after[0].firing);
    }

    void oversamplingChangesNothing()
    {
        sloburn::BurnRateTracker a(0.99, sloburn::workbookRules(sloburn::scaleFor(60.0)));
        sloburn::BurnRateTracker b(0.99, sloburn::workbookRules(sloburn::scaleFor(60.0)));
        for (int i = 0; i < 30; ++i) {
            const double bad = (i % 7) / 20.0;
            a.observe(i, bad);
            for (int k = 0; k < 20; ++k)
                b.observe(i + k / 20.0, bad); // 20 snapshots per rollup, the same value
        }
        a.observe(30, 0.0);
        b.observe(30, 0.0);
        QVERIFY(qAbs(a.burnRate(10.0) - b.burnRate(10.0)) < 1e-9);
        QVERIFY(qAbs(a.budgetLeft() - b.budgetLeft()) < 1e-9);
    }
};

LIVEDECK_TEST_CLASS(TstBurnRate)
#include "tst_burn_rate.moc"

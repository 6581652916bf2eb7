// Scenario gifts-privileged-slowdown: the privileged-gift service slows past the
// panel's 50 ms; its breaker opens within 2 s, refuses calls, the general tab stays
// available, the breaker closes again. Twin gifts-privileged-slowdown-no-breaker: the
// breaker never opens, every panel request waits for the slow service and the general
// tab misses its budget. Also: the same drill with the slowdown in sh-b.
#include "tests/unit/gifts/drill_check.h"
#include "tests/common/multi_test.h"

using namespace livedeck::gifts::test;

class TstScenarioPrivileged : public QObject {
    Q_OBJECT

    livedeck::drills::DrillReport m_plain;
    livedeck::drills::DrillReport m_twin;

private slots:
    void initTestCase()
    {
        m_plain = runBuiltinDrill("gifts-privileged-slowdown");
        m_twin = runBuiltinDrill("gifts-privileged-slowdown-no-breaker");
        QCOMPARE(m_twin.sabotageOf, std::string("gifts-privileged-slowdown"));
    }

    void mechanismHolds() { LIVEDECK_VERIFY_REPORT(m_plain.passed(), m_plain); }

    void twinShowsTheFailure()
    {
        LIVEDECK_VERIFY_REPORT(!m_twin.passed(), m_twin);
        QVERIFY(!expectationPassed(m_twin, "privileged breaker opens within 2 s"));
        const auto refused = observed(m_twin, "the open breaker refuses privileged calls");
        QVERIFY(refused);
        QCOMPARE(*refused, 0.0); // a disabled breaker refuses nothing
        const auto timeouts = observed(m_twin, "privileged calls time out during the slowdown");
        QVERIFY(timeouts && *timeouts > 0.0); // the slow service keeps being called
        const auto during = observed(m_twin, "general tab stays available during the slowdown");
        QVERIFY(during);
        LIVEDECK_VERIFY_REPORT(*during < 0.9, m_twin);
        const std::string why = invariantsOutside(m_twin, {});
        QVERIFY2(why.empty(), why.c_str());
    }

    // Where the mechanism acts: the breaker keeps the general tab available, and the
    // open breaker refuses more calls than time out.
    void twinsDiffer()
    {
        const auto a = observed(m_plain, "general tab stays available during the slowdown");
        const auto b = observed(m_twin, "general tab stays available during the slowdown");
        QVERIFY(a && b);
        QVERIFY2(*a > *b + 0.1, qPrintable(QStringLiteral("%1 vs %2").arg(*a).arg(*b)));
        const auto refused = observed(m_plain, "the open breaker refuses privileged calls");
        const auto timeouts = observed(m_plain, "privileged calls time out during the slowdown");
        QVERIFY(refused && timeouts);
        QVERIFY2(*refused > *timeouts, qPrintable(QStringLiteral("%1 vs %2").arg(*refused).arg(*timeouts)));
    }

    // The slowdown placed in sh-b: the same expectations hold on sh-b's panel.
    void otherRegion()
    {
        std::string text = builtinDrillText("gifts-privileged-slowdown");
        for (std::size_t at = text.find("sh-a/"); at != std::string::npos; at = text.find("sh-a/", at))
            text.replace(at, 5, "sh-b/");
        QVERIFY(text.find("sh-a/") == std::string::npos);
        const auto r = runDrillText(text, "gifts-privileged-slowdown-sh-b.yaml");
        QVERIFY2(r.ok(), r.ok() ? "" : std::string(r.status().message()).c_str());
        LIVEDECK_VERIFY_REPORT(r->passed(), *r);
        bool sawShB = false;
        for (const livedeck::drills::FaultRecord& f : r->faults)
            sawShB = sawShB || f.target == "sh-b/gifts/privileged";
        QVERIFY(sawShB);
    }
};

LIVEDECK_TEST_CLASS(TstScenarioPrivileged)
#include "tst_scenario_privileged.moc"

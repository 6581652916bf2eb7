// Scenario gifts-hot-room-gateway: half of sh-a's room entries go to one room; the
// gateway detects the hot room and answers its panel from memory, the KV sees a trickle.
// Twin gifts-hot-room-gateway-no-cache: the gateway cache, the hot-key local cache and
// singleflight off — the room is still detected, but every entry reads the KV.
#include "tests/unit/gifts/drill_check.h"
#include "tests/common/multi_test.h"

using namespace livedeck::gifts::test;

class TstScenarioGateway : public QObject {
    Q_OBJECT

    livedeck::drills::DrillReport m_plain;
    livedeck::drills::DrillReport m_twin;

private slots:
    void initTestCase()
    {
        m_plain = runBuiltinDrill("gifts-hot-room-gateway");
        m_twin = runBuiltinDrill("gifts-hot-room-gateway-no-cache");
        QCOMPARE(m_twin.sabotageOf, std::string("gifts-hot-room-gateway"));
    }

    void mechanismHolds() { LIVEDECK_VERIFY_REPORT(m_plain.passed(), m_plain); }

    void twinShowsTheFailure()
    {
        LIVEDECK_VERIFY_REPORT(!m_twin.passed(), m_twin);
        QVERIFY(expectationPassed(m_twin, "the gateway detects the hot room")); // detection is not the cache
        const auto hits = observed(m_twin, "the gateway answers the hot room from memory");
        QVERIFY(hits);
        QCOMPARE(*hits, 0.0);
        const auto share = observed(m_twin, "KV reads stay a minority of lookups");
        QVERIFY(share);
        LIVEDECK_VERIFY_REPORT(*share > 0.9, m_twin);
        const std::string why = invariantsOutside(m_twin, {});
        QVERIFY2(why.empty(), why.c_str());
    }

    // The KV reads differ by an order of magnitude.
    void twinsDiffer()
    {
        const auto a = observed(m_plain, "KV reads stay a minority of lookups");
        const auto b = observed(m_twin, "KV reads stay a minority of lookups");
        QVERIFY(a && b);
        qInfo("KV reads / lookups: %.4f with the defences, %.4f without", *a, *b);
        QVERIFY2(*b > 1.5 * *a, qPrintable(QStringLiteral("%1 vs %2").arg(*a).arg(*b)));
    }
};

LIVEDECK_TEST_CLASS(TstScenarioGateway)
#include "tst_scenario_gateway.moc"

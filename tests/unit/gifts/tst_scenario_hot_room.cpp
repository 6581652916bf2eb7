// Scenario gifts-hot-room: 80 % of the sends go to one product; hot-key detection,
// the in-process cache and singleflight keep the KV reads a minority of the lookups.
// Twin gifts-hot-room-no-cache: with all three off nearly every lookup reads the KV.
#include "tests/unit/gifts/drill_check.h"
#include "tests/common/multi_test.h"

using namespace livedeck::gifts::test;

class TstScenarioHotRoom : public QObject {
    Q_OBJECT

    livedeck::drills::DrillReport m_plain;
    livedeck::drills::DrillReport m_twin;

private slots:
    void initTestCase()
    {
        m_plain = runBuiltinDrill("gifts-hot-room");
        m_twin = runBuiltinDrill("gifts-hot-room-no-cache");
        QCOMPARE(m_twin.sabotageOf, std::string("gifts-hot-room"));
    }

    void mechanismHolds() { LIVEDECK_VERIFY_REPORT(m_plain.passed(), m_plain); }

    void twinShowsTheFailure()
    {
        LIVEDECK_VERIFY_REPORT(!m_twin.passed(), m_twin);
        const auto share = observed(m_twin, "KV reads stay a minority of lookups");
        QVERIFY(share);
        LIVEDECK_VERIFY_REPORT(*share > 0.9, m_twin);
        const std::string why = invariantsOutside(m_twin, {});
        QVERIFY2(why.empty(), why.c_str());
    }
};

LIVEDECK_TEST_CLASS(TstScenarioHotRoom)
#include "tst_scenario_hot_room.moc"

#include "backend/gifts/scenarios_panel.h"
#include "tests/common/multi_test.h"

#include <QStringList>

using namespace livedeck;
using namespace livedeck::gifts;

namespace {

QString describe(const PanelScenarioResult& r)
{
    QStringList lines;
    lines << QString::fromStdString(r.verdict.summary);
    for (const std::string& f : r.verdict.failures)
        lines << QString::fromStdString(f);
    return lines.join(QStringLiteral("\n  "));
}

} // namespace

class TstScenarioPanel : public QObject {
    Q_OBJECT

private slots:
    // Each scenario and its sabotaged twin pass their own effect check.
    void scenarioEffects_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<bool>("sabotaged");
        QTest::newRow("privileged-slowdown") << QStringLiteral("privileged-slowdown") << false;
        QTest::newRow("privileged-slowdown-sabotaged") << QStringLiteral("privileged-slowdown") << true;
        QTest::newRow("hot-room") << QStringLiteral("hot-room") << false;
        QTest::newRow("hot-room-sabotaged") << QStringLiteral("hot-room") << true;
    }
    void scenarioEffects()
    {
        QFETCH(QString, scenario);
        QFETCH(bool, sabotaged);
        const PanelScenario s = scenario == QStringLiteral("hot-room") ? hotRoomScenario(sabotaged)
                                                                       : privilegedSlowdownScenario(sabotaged);
        QCOMPARE(s.sabotaged, sabotaged);
        QVERIFY(!s.faults.empty());
        const PanelScenarioResult r = runPanelScenario(s);
        qInfo("%s", qPrintable(describe(r)));
        QVERIFY2(r.verdict.passed, qPrintable(describe(r)));
    }

    // The twins differ where the mechanism acts: the breaker keeps the general tab
    // available; the hot-room defences keep the hot room's reads off the KV.
    void twinsDiffer()
    {
        const PanelScenario slow = privilegedSlowdownScenario(false);
        const PanelScenarioResult a = runPanelScenario(slow);
        const PanelScenarioResult b = runPanelScenario(privilegedSlowdownScenario(true));
        const double duringA = a.observation.availabilityBetween(slow.faultStart + sim::kSecond, slow.faultEnd);
        const double duringB = b.observation.availabilityBetween(slow.faultStart + sim::kSecond, slow.faultEnd);
        QVERIFY2(duringA > duringB + 0.1, qPrintable(QStringLiteral("%1 vs %2").arg(duringA).arg(duringB)));
        // The check of one scenario fails on its twin's observation.
        QVERIFY(!checkPrivilegedSlowdown(slow, b.observation).passed);

        const PanelScenario hot = hotRoomScenario(false);
        const PanelScenarioResult c = runPanelScenario(hot);
        const PanelScenarioResult d = runPanelScenario(hotRoomScenario(true));
        const double readsC = c.observation.keyKvReadsBetween(hot.faultStart, hot.duration);
        const double readsD = d.observation.keyKvReadsBetween(hot.faultStart, hot.duration);
        QVERIFY2(readsD > 10.0 * readsC, qPrintable(QStringLiteral("%1 vs %2").arg(readsD).arg(readsC)));
        QVERIFY(!checkHotRoom(hot, d.observation).passed);
    }

    // The slowdown can be placed in the other region; the fault target follows.
    void regionParameter()
    {
        const PanelScenario s = privilegedSlowdownScenario(false, "sh-b");
        QCOMPARE(QString::fromStdString(s.faults.front().target()), QStringLiteral("sh-b/gifts/privileged"));
        const PanelScenarioResult r = runPanelScenario(s);
        QVERIFY2(r.verdict.passed, qPrintable(describe(r)));
        QCOMPARE(QString::fromStdString(r.observation.region), QStringLiteral("sh-b"));
    }
};

LIVEDECK_TEST_CLASS(TstScenarioPanel)
#include "tst_scenario_panel.moc"

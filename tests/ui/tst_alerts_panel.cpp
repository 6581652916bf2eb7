// Alerts and audit: alert-severity events become alerts (repeats fold into one row),
// a breaker entering open raises one, acknowledging clears the "new" count and hides
// the row, the review queue (a component whose kind's descriptor has the view hint
// "alerts.review-queue", whatever its path) lists its entries; the
// developer panel's breakpoint pauses the source on a matching event and "jump to
// violation" selects the violation's component and time.
#include "tests/common/multi_test.h"
#include "tests/ui/fixtures/scripted_cluster.h"
#include "ui/alerts_panel.h"
#include "ui/dashboard_hub.h"
#include "ui/developer_panel.h"

#include <QSignalSpy>
#include <QTest>

using namespace livedeck;

namespace {

v1::Event makeEvent(std::uint64_t seq, double seconds, const char* kind, const char* component, v1::Severity sev)
{
    v1::Event e;
    e.set_seq(seq);
    e.set_sim_time_ns(static_cast<std::int64_t>(seconds * 1e9));
    e.set_kind(kind);
    e.set_component(component);
    e.set_severity(sev);
    e.set_message(std::string(kind) + " message");
    return e;
}

std::shared_ptr<v1::Snapshot> breakerSnapshot(double seconds, v1::BreakerStateKind state, bool withRefunds)
{
    auto s = std::make_shared<v1::Snapshot>();
    s->set_sim_time_ns(static_cast<std::int64_t>(seconds * 1e9));
    auto* b = s->add_breakers();
    b->set_path("sh-a/gifts/privileged-svc/breaker");
    b->set_state(state);
    b->set_failure_rate(0.62);
    b->set_slow_call_rate(-1);
    if (withRefunds) {
        auto* c = s->add_components();
        c->set_path("testeng/checks/pending");
        auto kv = [c](const char* k, const char* v) {
            auto* x = c->add_state();
            x->set_key(k);
            x->set_value(v);
        };
        kv("queued", "2");
        kv("refunded", "5");
        kv("order/1001", "charged, order failed; uid 7 seq 3; amount 600");
        kv("order/1002", "paid, no charge; uid 9 seq 1; amount 100");
    }
    return s;
}

} // namespace

class TstAlertsPanel : public QObject {
    Q_OBJECT
private slots:
    void alertsFoldAcknowledgeAndAudit()
    {
        ui::DashboardHub hub;
        ui::AlertsPanel panel(&hub);
        hub.addPanel(&panel);
        panel.resize(900, 500);
        panel.show();
        QSignalSpy unacked(&panel, &ui::AlertsPanel::unacknowledgedChanged);
        {
            // A test-only engine whose "pending-checks" kind is shown as the review queue.
            auto topology = std::make_shared<v1::Topology>();
            v1::EngineDescriptor& e = *topology->add_engines();
            e.set_name("testeng");
            v1::ComponentKindDescriptor& k = *e.add_component_kinds();
            k.set_kind("pending-checks");
            k.set_description("charges waiting for a check");
            k.add_headline_keys("queued");
            k.add_headline_keys("refunded");
            k.set_view(ui::AlertsPanel::kReviewQueueView);
            v1::Component& c = *topology->add_components();
            c.set_path("testeng/checks/pending");
            c.set_kind("pending-checks");
            hub.applyTopology(topology);
        }
        hub.applyEvents(std::make_shared<const std::vector<v1::Event>>(std::vector<v1::Event>{
            makeEvent(1, 1, "alert.slow_sql", "sh-b/gifts/order-db/3", v1::SEVERITY_ALERT),
            makeEvent(2, 2, "breaker.transition", "sh-a/x", v1::SEVERITY_WARNING), // not an alert
            makeEvent(3, 3, "alert.slow_sql", "sh-b/gifts/order-db/3", v1::SEVERITY_ALERT), // folds
            makeEvent(4, 4, "invariant.no_double_settle", "gifts/invariants", v1::SEVERITY_VIOLATION)}));
        hub.applySnapshot(breakerSnapshot(5, v1::BREAKER_CLOSED, false));
        hub.applySnapshot(breakerSnapshot(6, v1::BREAKER_OPEN, true));
        hub.applySnapshot(breakerSnapshot(7, v1::BREAKER_OPEN, true)); // still open: no second alert
        hub.tick();
        ui::AlertModel* m = panel.model();
        QCOMPARE(m->rowCount(), 3);
        QCOMPARE(m->alert(0).count, 2);
        QCOMPARE(m->alert(0).lastNs, 3'000'000'000LL);
        QCOMPARE(m->alert(2).kind, QStringLiteral("breaker.open"));
        QVERIFY(m->alert(2).message.contains(QStringLiteral("62")));
        QCOMPARE(m->unacknowledged(), 3);
        QCOMPARE(unacked.last().at(0).toInt(), 3);

        m->acknowledge(0);
        hub.tick();
        QCOMPARE(m->unacknowledged(), 2);
        QCOMPARE(panel.visibleAlerts(), 2); // acknowledged rows are hidden
        // A repeat after acknowledging is a new alert.
        hub.applyEvents(std::make_shared<const std::vector<v1::Event>>(
            std::vector<v1::Event>{makeEvent(9, 9, "alert.slow_sql", "sh-b/gifts/order-db/3", v1::SEVERITY_ALERT)}));
        QCOMPARE(m->rowCount(), 4);
        m->acknowledgeAll();
        hub.tick();
        QCOMPARE(m->unacknowledged(), 0);
        QCOMPARE(panel.visibleAlerts(), 0);
        QCOMPARE(unacked.last().at(0).toInt(), 0);

        QCOMPARE(panel.refundRows(), 2);
        QVERIFY2(panel.refundSummary().contains(QStringLiteral("queued 2 · refunded 5")), qPrintable(panel.refundSummary()));
        QVERIFY2(panel.refundSummary().contains(QStringLiteral("charges waiting for a check")), qPrintable(panel.refundSummary()));
    }

    void breakpointPausesAndJumpFindsViolation_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("target");
        QTest::addColumn<bool>("hits");
        QTest::newRow("family") << QStringLiteral("invariant.*") << QString() << true;
        QTest::newRow("exact") << QStringLiteral("alert.slow_sql") << QStringLiteral("sh-b/gifts") << true;
        QTest::newRow("wildcard segment") << QStringLiteral("alert.slow_sql") << QStringLiteral("*/gifts/order-db") << true;
        QTest::newRow("other component") << QStringLiteral("alert.slow_sql") << QStringLiteral("sh-a") << false;
        QTest::newRow("other kind") << QStringLiteral("fault.on") << QString() << false;
    }
    void breakpointPausesAndJumpFindsViolation()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, target);
        QFETCH(bool, hits);
        ui::fixtures::ScriptedCluster source;
        ui::DashboardHub hub;
        ui::DeveloperPanel panel(&hub);
        hub.addPanel(&panel);
        hub.setSource(&source);
        panel.attachSource(&source);
        source.start();
        panel.setBreakpoint(pattern, target, true);
        QSignalSpy selected(&hub, &ui::DashboardHub::componentSelected);
        hub.applyEvents(std::make_shared<const std::vector<v1::Event>>(std::vector<v1::Event>{
            makeEvent(1, 1, "alert.slow_sql", "sh-b/gifts/order-db/3", v1::SEVERITY_ALERT),
            makeEvent(2, 2, "invariant.no_double_settle", "gifts/invariants", v1::SEVERITY_VIOLATION)}));
        int pauses = 0;
        for (const v1::Command& c : source.commands())
            pauses += c.has_pause() ? 1 : 0;
        QCOMPARE(pauses, hits ? 1 : 0);
        QCOMPARE(panel.breakpointHits(), hits ? 1ULL : 0ULL);
        QCOMPARE(panel.violationCount(), 1);
        selected.clear();
        QSignalSpy time(&hub, &ui::DashboardHub::timeSelected);
        QVERIFY(panel.jumpToViolation());
        QCOMPARE(selected.last().at(0).toString(), QStringLiteral("gifts/invariants"));
        QCOMPARE(time.last().at(0).toLongLong(), 2'000'000'000LL);
        hub.setSource(nullptr);
        panel.attachSource(nullptr);
    }
};

LIVEDECK_TEST_CLASS(TstAlertsPanel)
#include "tst_alerts_panel.moc"

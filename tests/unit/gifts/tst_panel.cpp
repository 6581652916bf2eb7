#include "backend/gifts/panel_rig.h"
#include "livedeck/v1/cluster.pb.h"
#include "tests/common/multi_test.h"

#include <set>

using namespace livedeck;
using namespace livedeck::gifts;

namespace {

v1::FaultSpec fault(v1::FaultKind kind, const std::string& target, sim::Nanos start, sim::Nanos end,
                    std::initializer_list<std::pair<const char*, double>> params = {})
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(target);
    f.set_start_ns(start);
    f.set_end_ns(end);
    for (const auto& [n, v] : params) {
        auto* p = f.add_params();
        p->set_name(n);
        p->set_value(v);
    }
    return f;
}

} // namespace

class TstPanel : public QObject {
    Q_OBJECT

private slots:
    // Normal gala-peak load: the general tab is always served within budget, the
    // per-user tabs are answered, the gala room is served by the gateway.
    void availabilityStaysOneUnderNormalLoad()
    {
        PanelRig rig(PanelRigConfig{});
        std::uint64_t answers = 0;
        std::uint64_t withoutGeneral = 0;
        rig.panel().setServedObserver([&](bool general, Uid, RoomId, int, sim::Nanos) {
            ++answers;
            withoutGeneral += general ? 0 : 1;
        });
        const int shA = rig.region("sh-a");
        PanelProbe probe(rig.world(), rig.panel(), rig.catalog(), "sh-a");
        rig.start();
        rig.runUntil(6 * sim::kSecond);
        const PanelObservation& o = probe.finish();
        QVERIFY(answers > 10'000);
        QCOMPARE(withoutGeneral, std::uint64_t{0});
        QCOMPARE(o.minAvailability(sim::kSecond, 6 * sim::kSecond), 1.0);
        QCOMPARE(rig.panel().availability(), 1.0);
        const PanelTotals& t = rig.panel().totals(shA);
        QVERIFY(t.answers > 0.0);
        QCOMPARE(t.withinBudget, t.answers);
        QCOMPARE(t.rejected, 0.0);
        // Per-user tabs answered (only hot-room answers skip them).
        const double called = t.answers - t.gatewayHits;
        QVERIFY(t.tab(PerUserTab::Privileged, TabOutcome::Ok) > 0.99 * called);
        QVERIFY(t.tab(PerUserTab::Custom, TabOutcome::Ok) > 0.99 * called);
        // The gala room (35 % of entries) is hot: the gateway answers it from memory.
        QVERIFY(rig.panel().gateway(shA)->isHot(1));
        QVERIFY(t.gatewayHits > 0.25 * t.answers);
        QVERIFY(rig.panel().breaker(shA, PerUserTab::Privileged)->state() == resilience::BreakerState::Closed);
        // Weighted counts: the requests metric equals the real entries generated.
        QVERIFY(std::abs(rig.panel().totals().requests - rig.load().realEntries()) < 1e-6 * rig.load().realEntries());
        // The gauge the console reads.
        const telemetry::Gauge* g = rig.telemetry().metrics().findGauge("gifts.panel.availability", "");
        QVERIFY(g);
        QCOMPARE(g->value(), 1.0);
    }

    // Error-rate fault on the privileged service: calls fail fast, the breaker opens
    // (failure rate > 50 %), the tab is empty while the general tab is still served;
    // when the fault ends the breaker closes again.
    void errorRateOpensBreakerAndItCloses_data()
    {
        QTest::addColumn<double>("rate");
        QTest::addColumn<bool>("opens");
        QTest::newRow("90 % errors") << 0.9 << true;
        QTest::newRow("60 % errors") << 0.6 << true;
        QTest::newRow("30 % errors") << 0.3 << false; // below the 50 % threshold
    }
    void errorRateOpensBreakerAndItCloses()
    {
        QFETCH(double, rate);
        QFETCH(bool, opens);
        PanelRig rig(PanelRigConfig{});
        const int shA = rig.region("sh-a");
        const int shB = rig.region("sh-b");
        rig.inject({fault(v1::FAULT_ERROR_RATE, "sh-a/gifts/privileged", 2 * sim::kSecond, 8 * sim::kSecond,
                          {{"rate", rate}})});
        PanelProbe probe(rig.world(), rig.panel(), rig.catalog(), "sh-a");
        rig.start();
        rig.runUntil(16 * sim::kSecond);
        const PanelObservation& o = probe.finish();
        QCOMPARE(o.breakerOpened(), opens);
        const PanelTotals& t = rig.panel().totals(shA);
        QVERIFY(t.tab(PerUserTab::Privileged, TabOutcome::Error) > 0.0);
        if (opens) {
            QVERIFY(o.firstOpen() >= 2 * sim::kSecond && o.firstOpen() < 3 * sim::kSecond);
            QVERIFY(t.tab(PerUserTab::Privileged, TabOutcome::BreakerOpen) > 0.0);
            QVERIFY(o.lastClose() >= 8 * sim::kSecond);
            QVERIFY(rig.world().events().count("breaker.transition") >= 3); // open, half-open, closed
        } else {
            QCOMPARE(t.tab(PerUserTab::Privileged, TabOutcome::BreakerOpen), 0.0);
        }
        QVERIFY(o.finalBreaker == resilience::BreakerState::Closed);
        // The custom tab and the other region are not affected.
        QCOMPARE(t.tab(PerUserTab::Custom, TabOutcome::Error), 0.0);
        QCOMPARE(rig.panel().breaker(shB, PerUserTab::Privileged)->stats().transitions, std::uint64_t{0});
        // The general tab never depended on it.
        QCOMPARE(t.generalFailed, 0.0);
        QCOMPARE(o.availabilityBetween(0, 16 * sim::kSecond), 1.0);
    }

    // A slow privileged service (every call beyond 50 ms): the timeout empties the tab,
    // the breaker opens; with the breaker disabled the panel workers wait the full
    // 50 ms for every request, the pool fills and the general tab misses its budget.
    void slowdownWithAndWithoutBreaker()
    {
        double during[2] = {};
        double p99[2] = {};
        for (int disabled = 0; disabled < 2; ++disabled) {
            PanelRigConfig c;
            c.panel.breakerEnabled = disabled == 0;
            PanelRig rig(c);
            const int shA = rig.region("sh-a");
            rig.inject({fault(v1::FAULT_LATENCY, "sh-a/gifts/privileged", 2 * sim::kSecond, 8 * sim::kSecond,
                              {{"add_ms", 100.0}})});
            PanelProbe probe(rig.world(), rig.panel(), rig.catalog(), "sh-a");
            rig.start();
            rig.runUntil(8 * sim::kSecond);
            const PanelObservation& o = probe.finish();
            during[disabled] = o.availabilityBetween(3 * sim::kSecond, 8 * sim::kSecond);
            const telemetry::Histogram* h =
                rig.telemetry().metrics().findHistogram("gifts.panel.latency", rig.world().components().get(
                                                                                     rig.panel().component(shA)).path);
            QVERIFY(h);
            p99[disabled] = h->quantile(0.99);
            const PanelTotals& t = rig.panel().totals(shA);
            if (disabled == 0) {
                QVERIFY(o.breakerOpened());
                QVERIFY(t.tab(PerUserTab::Privileged, TabOutcome::BreakerOpen)
                        > 5.0 * t.tab(PerUserTab::Privileged, TabOutcome::Timeout));
                QVERIFY(during[0] > 0.999);
            } else {
                QVERIFY(!o.breakerOpened());
                QVERIFY(rig.panel().breaker(shA, PerUserTab::Privileged)->state() == resilience::BreakerState::Disabled);
                QVERIFY(t.tab(PerUserTab::Privileged, TabOutcome::Timeout) > 0.0);
                QVERIFY(t.rejected > 0.0); // the panel server's pool overflowed
            }
        }
        QVERIFY2(during[1] < 0.9, qPrintable(QStringLiteral("availability without the breaker %1").arg(during[1])));
        QVERIFY(during[1] < during[0] - 0.1);
        QVERIFY(p99[1] > p99[0]);
    }

    // The breakers are in every snapshot, with their component paths.
    void breakersInSnapshot()
    {
        PanelRig rig(PanelRigConfig{});
        rig.panel().breaker(rig.region("sh-b"), PerUserTab::Custom)->transitionToForcedOpen("test");
        v1::Snapshot snap;
        rig.panel().contribute(snap);
        std::set<std::string> paths;
        bool forced = false;
        for (const v1::BreakerState& b : snap.breakers()) {
            paths.insert(b.path());
            if (b.path() == "sh-b/gifts/panel/breaker/custom")
                forced = b.state() == v1::BREAKER_FORCED_OPEN;
        }
        QCOMPARE(paths.size(), std::size_t{6}); // 3 regions × 2 tabs
        QVERIFY(paths.count("sh-a/gifts/panel/breaker/privileged"));
        QVERIFY(forced);
        // Registered with the telemetry: a built snapshot carries them too.
        v1::Snapshot built;
        rig.telemetry().buildSnapshot(built, {});
        QVERIFY(built.breakers_size() >= 6);
    }

    // The panel server down: nothing is answered in that region (availability drops,
    // the entries are unavailable, not answers without a general tab); the other region
    // is unaffected and the region recovers when the fault ends.
    void panelServerDown()
    {
        PanelRigConfig c;
        c.panel.hotRoomCache = false;
        PanelRig rig(c);
        rig.inject({fault(v1::FAULT_DOWN, "sh-a/gifts/panel", 2 * sim::kSecond, 4 * sim::kSecond)});
        std::uint64_t servedWithoutGeneral = 0;
        std::uint64_t unavailable = 0;
        rig.panel().setServedObserver([&](bool general, Uid, RoomId, int, sim::Nanos) {
            servedWithoutGeneral += general ? 0 : 1;
        });
        rig.panel().setAnswerObserver([&](const PanelAnswer& a) {
            unavailable += a.unavailable ? 1 : 0;
            QVERIFY(!a.unavailable || !a.generalTab);
        });
        PanelProbe probe(rig.world(), rig.panel(), rig.catalog(), "sh-a");
        rig.start();
        rig.runUntil(6 * sim::kSecond);
        const PanelObservation& o = probe.finish();
        QVERIFY(unavailable > 1'000);
        QCOMPARE(servedWithoutGeneral, std::uint64_t{0}); // a down panel answers nothing at all
        QVERIFY(o.minAvailability(2 * sim::kSecond, 4500 * sim::kMillisecond) < 0.05);
        QCOMPARE(o.availabilityBetween(5 * sim::kSecond, 6 * sim::kSecond), 1.0);
        QCOMPARE(rig.panel().availability(rig.region("sh-b")), 1.0);
    }

    // Same seed, same run.
    void deterministic()
    {
        std::uint64_t hash[2] = {};
        for (int i = 0; i < 2; ++i) {
            PanelRigConfig c;
            c.seed = 7;
            PanelRig rig(c);
            v1::FaultSpec slow;
            slow.set_kind(v1::FAULT_LATENCY);
            slow.set_target("sh-a/gifts/privileged");
            slow.set_start_ns(3 * sim::kSecond);
            slow.set_end_ns(9 * sim::kSecond);
            v1::FaultParam* p = slow.add_params();
            p->set_name("add_ms");
            p->set_value(100.0);
            rig.inject({slow});
            rig.start();
            rig.runUntil(5 * sim::kSecond);
            hash[i] = rig.world().traceHash();
            QVERIFY(rig.panel().totals().answers > 0.0);
        }
        QCOMPARE(hash[0], hash[1]);
    }
};

LIVEDECK_TEST_CLASS(TstPanel)
#include "tst_panel.moc"

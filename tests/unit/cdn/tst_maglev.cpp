#include "backend/cdn/health_checker.h"
#include "backend/cdn/l4_balancer.h"
#include "backend/cdn/maglev.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <algorithm>

using namespace livedeck;
using namespace livedeck::cdn;
using namespace livedeck::sim;

namespace {

std::vector<std::string> names(int n, const char* prefix = "l7-")
{
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i)
        out.push_back(prefix + std::to_string(i));
    return out;
}

v1::FaultSpec downFault(const std::string& target, Nanos start, Nanos end)
{
    v1::FaultSpec f;
    f.set_kind(v1::FAULT_DOWN);
    f.set_target(target);
    f.set_start_ns(start);
    f.set_end_ns(end);
    return f;
}

} // namespace

class TstMaglev : public QObject {
    Q_OBJECT
private slots:
    void tableIsBalanced()
    {
        auto t = MaglevTable::build(names(100));
        QVERIFY(t.ok());
        const auto counts = t->entriesPerBackend();
        const auto [mn, mx] = std::minmax_element(counts.begin(), counts.end());
        // Equal weights: backends take turns, so holdings differ by at most one slot.
        QCOMPARE(*mn, 655u);
        QCOMPARE(*mx, 656u);
        for (std::uint16_t e : t->entries())
            QVERIFY(e < 100);
    }

    void refusesBadInput()
    {
        QVERIFY(!MaglevTable::build(names(3), {}, 65'536).ok()); // not prime
        QVERIFY(!MaglevTable::build(names(20), {}, 17).ok());    // more backends than slots
        QVERIFY(!MaglevTable::build(names(3), {1.0, 0.0, 1.0}).ok());
        auto empty = MaglevTable::build({});
        QVERIFY(empty.ok());
        QCOMPARE(empty->lookup(42), MaglevTable::kEmpty);
    }

    void removalMovesLittleBesidesTheLeaver()
    {
        const auto all = names(20);
        auto before = MaglevTable::build(all);
        std::vector<std::string> without = all;
        without.erase(without.begin() + 7);
        auto after = MaglevTable::build(without);
        QVERIFY(before.ok() && after.ok());
        std::uint32_t kept = 0, others = 0;
        for (std::uint32_t s = 0; s < before->size(); ++s) {
            const std::string& was = all[before->entries()[s]];
            const std::string& now = without[after->entries()[s]];
            QVERIFY(now != "l7-7");
            if (was == "l7-7")
                continue;
            ++others;
            if (was == now)
                ++kept;
        }
        const double moved = 1.0 - static_cast<double>(kept) / others;
        qInfo("slots of staying backends that moved: %.2f %%", moved * 100);
        QVERIFY(moved < 0.05);
    }

    void weightsShareTheTable()
    {
        auto t = MaglevTable::build(names(4), {1.0, 2.0, 1.0, 4.0});
        QVERIFY(t.ok());
        const auto c = t->entriesPerBackend();
        QVERIFY(std::abs(static_cast<double>(c[1]) / c[0] - 2.0) < 0.02);
        QVERIFY(std::abs(static_cast<double>(c[3]) / c[0] - 4.0) < 0.04);
    }

    void flowKeepsBackendUnlessItLeaves()
    {
        L4Balancer lb(names(10));
        lb.setInService(9, false); // starts with 9 in service
        RandomStream rng(5);
        std::vector<std::uint64_t> flows(20'000);
        std::vector<int> first(flows.size());
        for (std::size_t i = 0; i < flows.size(); ++i) {
            flows[i] = rng.next();
            first[i] = lb.route(flows[i]);
            QVERIFY(first[i] >= 0 && first[i] < 9);
        }
        // A backend joins: the table changes, but established flows stay put.
        lb.setInService(9, true);
        for (std::size_t i = 0; i < flows.size(); ++i)
            QCOMPARE(lb.route(flows[i]), first[i]);
        // A backend leaves: only its flows move, to backends in service.
        lb.setInService(3, false);
        int moved = 0;
        for (std::size_t i = 0; i < flows.size(); ++i) {
            const int b = lb.route(flows[i]);
            QVERIFY(b != 3);
            if (first[i] == 3)
                ++moved;
            else
                QCOMPARE(b, first[i]);
        }
        QCOMPARE(lb.reroutedFlows(), static_cast<std::uint64_t>(moved));
        QVERIFY(moved > 0);
    }

    void withoutConnectionTableFlowsMoveOnJoin()
    {
        // The sabotaged twin: no connection table, so a join re-hashes established flows.
        L4Config cfg;
        cfg.connectionTable = false;
        L4Balancer lb(names(10), cfg);
        lb.setInService(9, false);
        RandomStream rng(5);
        std::vector<std::uint64_t> flows(20'000);
        std::vector<int> first(flows.size());
        for (std::size_t i = 0; i < flows.size(); ++i)
            first[i] = lb.route(flows[i] = rng.next());
        lb.setInService(9, true);
        int changed = 0;
        for (std::size_t i = 0; i < flows.size(); ++i)
            changed += lb.route(flows[i]) != first[i];
        QVERIFY(changed > 1'000); // ~1/10 of the flows go to the newcomer
    }

    void healthChecksTripAfterFallAndRecoverAfterRise()
    {
        World w;
        const ComponentId checker = w.components().mustAdd("sh-a/cdn/l4/0", "cdn-l4");
        std::vector<ComponentId> l7;
        for (int i = 0; i < 4; ++i)
            l7.push_back(w.components().mustAdd("sh-a/cdn/l7/" + std::to_string(i), "cdn-l7"));
        L4Balancer lb(names(4));
        HealthChecker hc(w, checker, HealthCheckConfig{});
        for (ComponentId c : l7)
            hc.addTarget(c);
        std::vector<std::pair<Nanos, bool>> changes;
        std::string reason;
        hc.setListener([&](int target, bool healthy, const std::string& why) {
            QCOMPARE(target, 2);
            changes.emplace_back(w.now(), healthy);
            reason = why;
            lb.setInService(target, healthy);
        });
        hc.start();
        QVERIFY(w.faults().inject(downFault("sh-a/cdn/l7/2", 10 * kSecond, 30 * kSecond)).ok());
        w.scheduler().runUntil(60 * kSecond);
        QCOMPARE(changes.size(), std::size_t{2});
        // Down detected after `fall` failed probes: 3 intervals, each result after the 500 ms timeout.
        const Nanos detect = changes[0].first - 10 * kSecond;
        QVERIFY2(detect >= 2 * kSecond + 500 * kMillisecond && detect <= 3 * kSecond + 500 * kMillisecond,
                 qPrintable(QString::number(toMillis(detect))));
        QVERIFY(!changes[0].second);
        QCOMPARE(reason, std::string("recovered"));
        QCOMPARE(hc.target(2).trippedReason, std::string("destination down"));
        // Back after `rise` good probes.
        const Nanos back = changes[1].first - 30 * kSecond;
        QVERIFY(back >= 1 * kSecond && back <= 2 * kSecond + 10 * kMillisecond);
        QVERIFY(changes[1].second);
        for (int t : {0, 1, 3})
            QCOMPARE(hc.target(t).transitions, std::uint64_t{0});
    }

    void hysteresisIgnoresShortBursts()
    {
        World w;
        const ComponentId checker = w.components().mustAdd("sh-a/cdn/l4/0", "cdn-l4");
        const ComponentId target = w.components().mustAdd("sh-a/cdn/l7/0", "cdn-l7");
        HealthChecker hc(w, checker, HealthCheckConfig{});
        hc.addTarget(target);
        int probe = 0;
        // Fails probes 5-6 (two in a row: below fall = 3), then 20-22 (three: trips).
        hc.setAppCheck([&](int) {
            ++probe;
            const bool bad = (probe >= 5 && probe <= 6) || (probe >= 20 && probe <= 22);
            return ProbeVerdict{!bad, bad ? "overloaded" : ""};
        });
        int trips = 0;
        hc.setListener([&](int, bool healthy, const std::string&) { trips += healthy ? 0 : 1; });
        hc.start();
        w.scheduler().runUntil(15 * kSecond);
        QCOMPARE(trips, 0);
        QCOMPARE(hc.target(0).failures, std::uint64_t{2});
        w.scheduler().runUntil(30 * kSecond);
        QCOMPARE(trips, 1);
        QCOMPARE(hc.target(0).trippedReason, std::string("overloaded"));
        QVERIFY(hc.healthy(0)); // recovered after rise
    }
};

LIVEDECK_TEST_CLASS(TstMaglev)
#include "tst_maglev.moc"

#include "tests/unit/gifts/engine_rig.h"
// Qt after the backend headers (Qt's `emit` macro).
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::gifts;
using livedeck::gifts::test::EngineRig;

namespace {

const v1::Event* lastEvent(const sim::World& world, std::string_view kind)
{
    const v1::Event* found = nullptr;
    for (const v1::Event& e : world.events().recent())
        if (e.kind() == kind)
            found = &e;
    return found;
}

std::string field(const v1::Event& e, std::string_view name)
{
    for (const auto& f : e.fields())
        if (f.key() == name)
            return f.value();
    return {};
}

const InvariantResult* find(const std::vector<InvariantResult>& results, std::string_view name)
{
    for (const InvariantResult& r : results)
        if (r.name == name)
            return &r;
    return nullptr;
}

ChargeRequest charge(OrderId order, Uid uid, std::uint64_t seq)
{
    ChargeRequest c;
    c.order = order;
    c.key = IdempotencyKey{uid, seq};
    c.amountCents = 100;
    c.region = 0;
    c.partition = 202612;
    c.shard = static_cast<std::uint32_t>(uid % 10);
    return c;
}

} // namespace

class TstInvariants : public QObject {
    Q_OBJECT

private slots:
    void doubleChargeIsAViolationWithDetail()
    {
        EngineRig rig;
        rig.e().ledger().charge(charge(900001, 77, 5));
        QCOMPARE(rig.world.events().count("invariant.double_charge"), std::uint64_t(0));
        rig.e().ledger().charge(charge(900002, 77, 5));
        QCOMPARE(rig.world.events().count("invariant.double_charge"), std::uint64_t(1));
        const v1::Event* e = lastEvent(rig.world, "invariant.double_charge");
        QVERIFY(e != nullptr);
        QVERIFY(e->severity() == v1::SEVERITY_VIOLATION);
        QCOMPARE(field(*e, "uid"), std::string("77"));
        QCOMPARE(field(*e, "client_seq"), std::string("5"));
        QCOMPARE(field(*e, "first_order"), std::string("900001"));
        QCOMPARE(field(*e, "order"), std::string("900002"));
        const auto status = rig.e().invariantStatus();
        QVERIFY(!find(status, "gifts.double_charge")->passed);
        QVERIFY(find(status, "gifts.settled_twice")->passed);
        QVERIFY(!rig.e().invariantsHold());
    }

    // A charge with neither a settlement nor a refund breaks paid_unsettled at the end;
    // one on the refund queue (the audit's way) does not.
    void chargedMustBeSettledOrRefunded_data()
    {
        QTest::addColumn<bool>("queued");
        QTest::newRow("neither") << false;
        QTest::newRow("on the refund queue") << true;
    }
    void chargedMustBeSettledOrRefunded()
    {
        QFETCH(bool, queued);
        EngineRig rig;
        rig.e().ledger().charge(charge(910001, 88, 1));
        if (queued) {
            RefundItem item;
            item.order = 910001;
            item.key = IdempotencyKey{88, 1};
            item.amountCents = 100;
            item.reason = "charged, order failed";
            QVERIFY(rig.e().refunds().enqueue(item));
        }
        rig.runFor(1 * sim::kSecond);
        const auto results = rig.e().checkInvariants();
        const InvariantResult* r = find(results, "gifts.paid_unsettled");
        QVERIFY(r != nullptr);
        QCOMPARE(r->passed, queued);
        QCOMPARE(rig.world.events().count("invariant.paid_unsettled"), queued ? std::uint64_t(0) : std::uint64_t(1));
        if (!queued)
            QCOMPARE(field(*lastEvent(rig.world, "invariant.paid_unsettled"), "order"), std::string("910001"));
    }

    void panelWithoutGeneralTabIsAViolation()
    {
        EngineRig rig;
        rig.e().invariants().onPanelServed(true, 1, 2, 0, 10 * sim::kMillisecond);
        QCOMPARE(rig.world.events().count("invariant.panel_general_tab"), std::uint64_t(0));
        rig.e().invariants().onPanelServed(false, 1, 2, 0, 10 * sim::kMillisecond);
        QCOMPARE(rig.world.events().count("invariant.panel_general_tab"), std::uint64_t(1));
        QVERIFY(!find(rig.e().invariantStatus(), "gifts.panel_general_tab")->passed);
    }

    // Violations are counted in a gauge at each telemetry rollup (continuous check).
    void violationsGaugeFollowsRollups()
    {
        EngineRig rig;
        rig.e().ledger().charge(charge(920001, 99, 1));
        rig.e().ledger().charge(charge(920002, 99, 1));
        rig.runFor(1100 * sim::kMillisecond);
        const telemetry::Gauge* g = rig.telemetry.metrics().findGauge("gifts.invariants.violations");
        QVERIFY(g != nullptr);
        QCOMPARE(g->value(), 1.0);
    }
};

LIVEDECK_TEST_CLASS(TstInvariants)
#include "tst_invariants.moc"

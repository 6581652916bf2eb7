#include "tests/common/fault_specs.h"
#include "tests/unit/gifts/engine_rig.h"
// Qt after the backend headers (Qt's `emit` macro).
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::gifts;
using livedeck::gifts::test::EngineRig;

namespace {

v1::FaultSpec latency(const char* target, double addMs, sim::Nanos start, sim::Nanos end)
{
    return livedeck::test::latencySpec(target, addMs, start, end);
}

sim::Calendar secondsBeforeNewYear(int seconds)
{
    const sim::Calendar c = sim::Calendar::fromCivil(sim::CivilTime{2027, 1, 1, 0, 0, 0, 0},
                                                     sim::Calendar::kDefaultUtcOffsetMinutes);
    return sim::Calendar(c.startUnixMs() - seconds * 1000, sim::Calendar::kDefaultUtcOffsetMinutes);
}

} // namespace

class TstOrders : public QObject {
    Q_OBJECT

private slots:
    void orderIsPaidAndSettled()
    {
        EngineRig rig;
        rig.runFor(500 * sim::kMillisecond); // leader elected, quota leased
        rig.e().sendGift(EngineRig::gift(1001, 1, rig.region("sh-a"), 10.0));
        rig.runFor(3 * sim::kSecond);
        const OrderClient::Totals& t = rig.e().client().totals();
        QCOMPARE(t.discreteFinished, std::uint64_t(1));
        QCOMPARE(t.paid, 10.0);
        QCOMPARE(rig.chargesFor(1001, 1), 1);
        std::map<OrderId, int> rows;
        rig.e().settlementDb().countByOrder(rows);
        QCOMPARE(rows.size(), std::size_t(1));
        QCOMPARE(rows.begin()->second, 1);
        QCOMPARE(rig.e().watchdog().unsettled(), std::size_t(0));
    }

    // The same idempotency key sent twice at once (a client retry racing its original):
    // the Raft order lock and the unique key charge it once; without them it is charged twice.
    void sameKeyChargedOnce_data()
    {
        QTest::addColumn<bool>("sabotage");
        QTest::newRow("lock + unique key") << false;
        QTest::newRow("no idempotency key") << true;
    }
    void sameKeyChargedOnce()
    {
        QFETCH(bool, sabotage);
        GiftsConfig c;
        c.sabotage.noIdempotencyKey = sabotage;
        EngineRig rig(c);
        rig.runFor(500 * sim::kMillisecond);
        for (std::uint64_t seq = 1; seq <= 20; ++seq) {
            rig.e().sendGift(EngineRig::gift(2000 + seq, seq, rig.region("sh-a")));
            rig.e().sendGift(EngineRig::gift(2000 + seq, seq, rig.region("sh-b")));
        }
        rig.runFor(5 * sim::kSecond);
        int doubles = 0;
        for (std::uint64_t seq = 1; seq <= 20; ++seq) {
            const int n = rig.chargesFor(2000 + seq, seq);
            QVERIFY(n >= 1);
            if (n > 1)
                ++doubles;
        }
        if (sabotage) {
            QVERIFY(doubles > 0);
            QVERIFY(rig.world.events().count("invariant.double_charge") > 0);
        } else {
            QCOMPARE(doubles, 0);
            QCOMPARE(rig.world.events().count("invariant.double_charge"), std::uint64_t(0));
        }
    }

    // Shard by UID (uid % 10), month partition of the calendar: 31 Dec, then 1 Jan.
    void shardAndMonthPartition()
    {
        EngineRig rig(GiftsConfig{}, secondsBeforeNewYear(2));
        rig.runFor(500 * sim::kMillisecond);
        for (Uid uid = 3000; uid < 3010; ++uid)
            rig.e().sendGift(EngineRig::gift(uid, 1, rig.region("sh-a")));
        rig.runFor(2 * sim::kSecond); // past midnight
        for (Uid uid = 3000; uid < 3010; ++uid)
            rig.e().sendGift(EngineRig::gift(uid, 2, rig.region("sh-b")));
        rig.runFor(2 * sim::kSecond);
        QCOMPARE(rig.e().ledger().charges().size(), std::size_t(20));
        for (const Charge& ch : rig.e().ledger().charges()) {
            QCOMPARE(ch.shard, static_cast<std::uint32_t>(ch.key.uid % 10));
            QCOMPARE(ch.partition, ch.key.clientSeq == 1 ? 202612 : 202701);
        }
        std::map<OrderId, OrderStatus> statuses;
        rig.e().orderStore().scanStatuses(statuses);
        QCOMPARE(statuses.size(), std::size_t(20));
        for (const auto& [id, status] : statuses)
            QVERIFY(status == OrderStatus::Paid);
    }

    // Payment slower than the 250 ms deadline: the caller hears pending, the order is
    // re-checked 2 s later at the primary and found paid.
    void paymentTimeoutIsRecheckedAfterTwoSeconds()
    {
        EngineRig rig;
        (void)rig.world.faults().inject(latency("sh-a/gifts/payment", 400, 0, 0));
        (void)rig.world.faults().inject(latency("sh-b/gifts/payment", 400, 0, 0));
        (void)rig.world.faults().inject(latency("gz/gifts/payment", 400, 0, 0));
        rig.runFor(500 * sim::kMillisecond);
        const sim::Nanos sent = rig.world.now();
        // uid 4000 is in UID cluster 0, homed in sh-a.
        rig.e().sendGift(EngineRig::gift(4000, 1, rig.region("sh-a")));
        rig.runFor(1 * sim::kSecond);
        const OrderService::Stats& st = rig.e().orderService(rig.region("sh-a"))->stats();
        QCOMPARE(rig.e().client().totals().pending, 1.0);
        QCOMPARE(st.rechecks, std::uint64_t(1));
        QCOMPARE(st.recheckPaid, std::uint64_t(0));
        rig.world.scheduler().runUntil(sent + 2 * sim::kSecond);
        QCOMPARE(st.recheckPaid, std::uint64_t(0)); // not before 2 s
        rig.runFor(1 * sim::kSecond);
        QCOMPARE(st.recheckPaid, std::uint64_t(1));
        QCOMPARE(rig.chargesFor(4000, 1), 1);
        rig.runFor(3 * sim::kSecond);
        QCOMPARE(rig.e().watchdog().unsettled(), std::size_t(0));
    }

    // A charge that lands after the re-check decided "unpaid": the audit finds the
    // mismatch and queues the order for refund verification.
    void lateChargeGoesToAuditAndRefundQueue()
    {
        GiftsConfig c;
        c.audit.interval = 1 * sim::kSecond;
        c.audit.delay = 5 * sim::kSecond;
        c.audit.maxPending = 8 * sim::kSecond;
        EngineRig rig(c);
        for (const char* r : {"sh-a/gifts/payment", "sh-b/gifts/payment", "gz/gifts/payment"})
            (void)rig.world.faults().inject(latency(r, 3000, 0, 0));
        rig.runFor(500 * sim::kMillisecond);
        rig.e().sendGift(EngineRig::gift(5000, 1, rig.region("sh-a")));
        rig.runFor(15 * sim::kSecond);
        QCOMPARE(rig.chargesFor(5000, 1), 1);
        QCOMPARE(rig.e().orderService(rig.region("sh-a"))->stats().recheckFailed, std::uint64_t(1));
        QCOMPARE(rig.e().refunds().size(), std::size_t(1));
        QCOMPARE(rig.e().refunds().items().front().key.uid, Uid(5000));
        QVERIFY(rig.e().audit().mismatches() >= 1);
        const OrderId order = rig.e().refunds().items().front().order;
        QVERIFY(rig.e().ledger().charged(order));
        QCOMPARE(rig.e().verifyRefunds(), std::size_t(1));
        QVERIFY(!rig.e().ledger().charged(order));
        for (const InvariantResult& r : rig.e().checkInvariants())
            QVERIFY2(r.passed, qPrintable(QString::fromStdString(r.name + ": " + r.detail)));
    }

    // The quota server's global limit sheds what is above it (weighted): 40 sends of
    // weight 200 over 2 s (4 000 real/s) against a 1 000/s limit. The entry was idle
    // for 2 s, so it holds no lease at first (an idle client asks for nothing): its
    // first send is shed and asks for a top-up; later ones spend the granted share.
    void quotaLimitsEntry()
    {
        GiftsConfig c;
        c.quota.limitPerSec = 1'000.0;
        EngineRig rig(c);
        rig.runFor(2 * sim::kSecond);
        for (int i = 0; i < 40; ++i) {
            rig.e().sendGift(EngineRig::gift(6000 + static_cast<Uid>(i), 1, rig.region("sh-a"), 200.0));
            rig.runFor(50 * sim::kMillisecond);
        }
        rig.runFor(3 * sim::kSecond);
        const OrderClient::Totals& t = rig.e().client().totals();
        QVERIFY(t.shed > 0.0);
        QVERIFY(t.paid > 0.0);
        QVERIFY(t.paid <= 3'000.0); // 2 s of sends at 1 000/s, with half a second's slack
        QVERIFY(t.shed >= 4'000.0);  // at least half of the 8 000 real orders
    }
};

LIVEDECK_TEST_CLASS(TstOrders)
#include "tst_orders.moc"

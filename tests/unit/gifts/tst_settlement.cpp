#include "tests/unit/gifts/engine_rig.h"
// Qt after the backend headers (Qt's `emit` macro).
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::gifts;
using livedeck::gifts::test::EngineRig;

class TstSettlement : public QObject {
    Q_OBJECT

private:
    static void placeOrders(EngineRig& rig, Uid base, int count)
    {
        for (int i = 0; i < count; ++i)
            rig.e().sendGift(EngineRig::gift(base + static_cast<Uid>(i), 1,
                                             rig.region(i % 2 == 0 ? "sh-a" : "sh-b")));
    }

private slots:
    // A re-published order event (a duplicate) reaches the consumer again: the unique
    // index absorbs it; without it the order is settled twice.
    void duplicateEventIsAbsorbed_data()
    {
        QTest::addColumn<bool>("idempotent");
        QTest::newRow("unique index") << true;
        QTest::newRow("not idempotent") << false;
    }
    void duplicateEventIsAbsorbed()
    {
        QFETCH(bool, idempotent);
        GiftsConfig c;
        c.sabotage.consumerNotIdempotent = !idempotent;
        EngineRig rig(c);
        rig.runFor(500 * sim::kMillisecond);
        placeOrders(rig, 100, 6);
        rig.runFor(3 * sim::kSecond);
        QCOMPARE(rig.e().ledger().charges().size(), std::size_t(6));
        const Charge first = rig.e().ledger().charges().front();
        PaidOrder p;
        p.order = first.order;
        p.key = first.key;
        p.amountCents = first.amountCents;
        p.region = first.region;
        p.partition = first.partition;
        p.paidAt = first.time;
        rig.e().orderService(first.region)->republish(p);
        rig.e().orderService(first.region)->republish(p);
        rig.runFor(3 * sim::kSecond);
        std::map<OrderId, int> rows;
        rig.e().settlementDb().countByOrder(rows);
        QCOMPARE(rows.size(), std::size_t(6));
        QCOMPARE(rows[first.order], idempotent ? 1 : 3);
        rig.e().invariants().scanSettlements();
        QCOMPARE(rig.e().invariants().report().settledTwice, idempotent ? std::uint64_t(0) : std::uint64_t(1));
        QCOMPARE(rig.world.events().count("invariant.settled_twice"), idempotent ? std::uint64_t(0) : std::uint64_t(1));
    }

    // A poison order event goes to the DLQ after 3 attempts; the orders after it settle.
    void poisonGoesToDeadLetterQueue()
    {
        GiftsConfig c;
        c.settlement.missingDelay = 3 * sim::kSecond;
        EngineRig rig(c);
        rig.runFor(500 * sim::kMillisecond);
        rig.e().injectPoison("sh-a", 1);
        placeOrders(rig, 200, 10);
        rig.runFor(3 * sim::kSecond);
        QCOMPARE(rig.e().deadLettered(), std::uint64_t(1));
        const SettlementConsumer* sha = rig.e().settlement(rig.region("sh-a"));
        QVERIFY(sha->stats().poisonRetries >= 2);
        // The poisoned order's settlement is missing: the alert fires and the repair
        // re-publishes a good event, which settles it.
        QVERIFY(rig.e().watchdog().unsettled() <= 1);
        rig.runFor(6 * sim::kSecond);
        QVERIFY(rig.world.events().count("alert.settlement_missing") >= 1);
        QCOMPARE(rig.e().watchdog().unsettled(), std::size_t(0));
        std::map<OrderId, int> rows;
        rig.e().settlementDb().countByOrder(rows);
        QCOMPARE(rows.size(), std::size_t(10));
    }

    // Manual commit: a consumer stopped mid-stream loses nothing; the missing alert
    // fires while it is stopped, and after it restarts everything settles once.
    void stoppedConsumerRaisesMissingAlert()
    {
        GiftsConfig c;
        c.settlement.missingDelay = 2 * sim::kSecond;
        c.settlement.repairMissing = false;
        EngineRig rig(c);
        rig.runFor(500 * sim::kMillisecond);
        rig.e().settlement(rig.region("sh-a"))->stop();
        for (int i = 0; i < 8; ++i)
            rig.e().sendGift(EngineRig::gift(300 + static_cast<Uid>(i), 1, rig.region("sh-a")));
        rig.runFor(5 * sim::kSecond);
        QCOMPARE(rig.e().ledger().charges().size(), std::size_t(8));
        QVERIFY(rig.e().watchdog().unsettled() > 0);
        QVERIFY(rig.world.events().count("alert.settlement_missing") >= 1);
        QVERIFY(rig.e().watchdog().lagSeconds() >= 2.0);
        rig.e().settlement(rig.region("sh-a"))->start();
        rig.runFor(5 * sim::kSecond);
        QCOMPARE(rig.e().watchdog().unsettled(), std::size_t(0));
        std::map<OrderId, int> rows;
        rig.e().settlementDb().countByOrder(rows);
        QCOMPARE(rows.size(), std::size_t(8));
        for (const auto& [order, n] : rows)
            QCOMPARE(n, 1);
    }

    // The standby in gz follows sh-a's mirrored topic and settles only when sh-a is drained.
    void standbyTakesOverWhenDrained()
    {
        GiftsConfig c;
        c.settlement.repairMissing = false;
        EngineRig rig(c);
        rig.runFor(500 * sim::kMillisecond);
        const int sha = rig.region("sh-a");
        rig.e().settlement(sha)->stop();
        for (int i = 0; i < 6; ++i)
            rig.e().sendGift(EngineRig::gift(400 + static_cast<Uid>(i), 1, sha));
        rig.runFor(4 * sim::kSecond);
        SettlementConsumer* standby = rig.e().standbyFor(sha);
        QVERIFY(standby != nullptr);
        QCOMPARE(standby->stats().takenOver, std::uint64_t(0));
        QVERIFY(rig.e().watchdog().unsettled() > 0);
        QVERIFY(rig.e().multiActive().drain("sh-a", "test").ok());
        rig.runFor(5 * sim::kSecond);
        QVERIFY(standby->active());
        QVERIFY(standby->stats().takenOver > 0);
        QCOMPARE(rig.e().watchdog().unsettled(), std::size_t(0));
    }
};

LIVEDECK_TEST_CLASS(TstSettlement)
#include "tst_settlement.moc"

// Deadline: remaining budget, expiry, children bounded by the parent, detached budgets
// for the order path (docs/GIFTS.md: 250 ms default, order timeout set apart), and
// propagation as a relative budget.
#include "tests/common/multi_test.h"

#include "backend/resilience/deadline.h"

#include <QTest>

using namespace livedeck;
using resilience::Deadline;

class TstDeadline : public QObject {
    Q_OBJECT

private slots:
    void specDefaults()
    {
        QCOMPARE(resilience::kDefaultCrossServiceTimeout, 250 * sim::kMillisecond);
        sim::ManualClock clock(sim::kSecond);
        const Deadline d = Deadline::crossService(clock);
        QCOMPARE(d.expiresAt(), sim::kSecond + 250 * sim::kMillisecond);
        QCOMPARE(d.remaining(clock), 250 * sim::kMillisecond);
    }

    void remainingAndExpiry_data()
    {
        QTest::addColumn<qint64>("budgetMs");
        QTest::addColumn<qint64>("elapsedMs");
        QTest::addColumn<qint64>("remainingMs");
        QTest::addColumn<bool>("expired");
        QTest::newRow("fresh") << qint64(250) << qint64(0) << qint64(250) << false;
        QTest::newRow("half spent") << qint64(250) << qint64(125) << qint64(125) << false;
        QTest::newRow("one ms left") << qint64(250) << qint64(249) << qint64(1) << false;
        QTest::newRow("exactly at the deadline") << qint64(250) << qint64(250) << qint64(0) << true;
        QTest::newRow("past it: remaining clamps at 0") << qint64(250) << qint64(400) << qint64(0) << true;
        QTest::newRow("zero budget") << qint64(0) << qint64(0) << qint64(0) << true;
        QTest::newRow("negative budget") << qint64(-5) << qint64(0) << qint64(0) << true;
    }

    void remainingAndExpiry()
    {
        QFETCH(qint64, budgetMs);
        QFETCH(qint64, elapsedMs);
        QFETCH(qint64, remainingMs);
        QFETCH(bool, expired);
        sim::ManualClock clock(7 * sim::kSecond);
        const Deadline d = Deadline::after(clock, budgetMs * sim::kMillisecond);
        clock.advance(elapsedMs * sim::kMillisecond);
        QCOMPARE(d.remaining(clock), remainingMs * sim::kMillisecond);
        QCOMPARE(d.expired(clock), expired);
    }

    void childIsBoundedByParent_data()
    {
        QTest::addColumn<qint64>("parentMs");
        QTest::addColumn<qint64>("spentMs");
        QTest::addColumn<qint64>("childBudgetMs");
        QTest::addColumn<qint64>("childRemainingMs");
        // A 250 ms request that spent 200 ms can give a 250 ms downstream call only 50 ms.
        QTest::newRow("parent tighter") << qint64(250) << qint64(200) << qint64(250) << qint64(50);
        QTest::newRow("child tighter") << qint64(250) << qint64(10) << qint64(50) << qint64(50);
        QTest::newRow("equal") << qint64(250) << qint64(50) << qint64(200) << qint64(200);
        QTest::newRow("parent already expired") << qint64(250) << qint64(300) << qint64(100) << qint64(0);
    }

    void childIsBoundedByParent()
    {
        QFETCH(qint64, parentMs);
        QFETCH(qint64, spentMs);
        QFETCH(qint64, childBudgetMs);
        QFETCH(qint64, childRemainingMs);
        sim::ManualClock clock;
        const Deadline parent = Deadline::after(clock, parentMs * sim::kMillisecond);
        clock.advance(spentMs * sim::kMillisecond);
        const Deadline child = parent.child(clock, childBudgetMs * sim::kMillisecond);
        QCOMPARE(child.remaining(clock), childRemainingMs * sim::kMillisecond);
        QVERIFY(child.expiresAt() <= parent.expiresAt());
        QVERIFY(!child.isDetached());
        // A grandchild never outlives the chain either.
        const Deadline grandchild = child.child(clock, sim::kHour);
        QCOMPARE(grandchild.expiresAt(), child.expiresAt());
    }

    void detachedOutlivesParent()
    {
        // The order path: the gift request's 250 ms is nearly spent, but the order's
        // database work runs under its own (longer) timeout, set apart from the default.
        sim::ManualClock clock;
        const Deadline request = Deadline::crossService(clock);
        clock.advance(240 * sim::kMillisecond);
        const sim::Nanos orderDbTimeout = 800 * sim::kMillisecond;
        const Deadline db = request.detached(clock, orderDbTimeout);
        QVERIFY(db.isDetached());
        QCOMPARE(db.remaining(clock), orderDbTimeout);
        QVERIFY(db.expiresAt() > request.expiresAt());
        clock.advance(20 * sim::kMillisecond);
        QVERIFY(request.expired(clock));
        QVERIFY(!db.expired(clock));
        // Calls made on behalf of the detached work are bounded by it, and stay detached.
        const Deadline query = db.child(clock, 5 * sim::kSecond);
        QCOMPARE(query.expiresAt(), db.expiresAt());
        QVERIFY(query.isDetached());
    }

    void infinite()
    {
        sim::ManualClock clock(5);
        const Deadline none;
        QVERIFY(none.isInfinite());
        QCOMPARE(none.remaining(clock), sim::kNever);
        QVERIFY(!none.expired(clock));
        clock.advance(sim::kHour * 1000);
        QVERIFY(!none.expired(clock));
        QCOMPARE(none.child(clock, 100).remaining(clock), sim::Nanos(100));
        // A huge budget saturates instead of overflowing.
        QVERIFY(Deadline::after(clock, sim::kNever - 1).isInfinite());
        QCOMPARE(none.earliest(Deadline::at(99)).expiresAt(), sim::Nanos(99));
    }

    void propagatesAsRelativeBudget()
    {
        // Caller and callee clocks disagree (clock skew): the relative budget survives it.
        sim::ManualClock caller(10 * sim::kSecond);
        sim::ManualClock callee(10 * sim::kSecond + 3 * sim::kSecond); // 3 s ahead
        const Deadline d = Deadline::after(caller, 250 * sim::kMillisecond);
        caller.advance(30 * sim::kMillisecond);
        const sim::Nanos wire = d.toWire(caller);
        QCOMPARE(wire, 220 * sim::kMillisecond);
        const Deadline there = Deadline::fromWire(callee, wire);
        QCOMPARE(there.remaining(callee), 220 * sim::kMillisecond);
        QCOMPARE(there.expiresAt(), callee.now() + 220 * sim::kMillisecond);
        QVERIFY(Deadline::fromWire(callee, Deadline().toWire(caller)).isInfinite());
    }
};

LIVEDECK_TEST_CLASS(TstDeadline)
#include "tst_deadline.moc"

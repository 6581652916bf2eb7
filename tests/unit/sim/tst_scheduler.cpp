#include "backend/sim/scheduler.h"
#include "tests/common/multi_test.h"

#include <vector>

using namespace livedeck::sim;

class TstScheduler : public QObject {
    Q_OBJECT
private slots:
    void ordersByTime_data()
    {
        QTest::addColumn<QList<qint64>>("times");
        QTest::newRow("ascending") << QList<qint64>{1, 2, 3, 4};
        QTest::newRow("descending") << QList<qint64>{40, 30, 20, 10};
        QTest::newRow("mixed") << QList<qint64>{5, 1, 9, 3, 7, 2, 8};
        QTest::newRow("zero") << QList<qint64>{0, 0, 1};
    }
    void ordersByTime()
    {
        QFETCH(QList<qint64>, times);
        Scheduler s;
        std::vector<qint64> ran;
        for (qint64 t : times)
            s.scheduleAt(t, 1, 0, [&ran, &s] { ran.push_back(s.now()); });
        QCOMPARE(s.pendingCount(), static_cast<std::size_t>(times.size()));
        while (s.step()) {
        }
        QList<qint64> sorted = times;
        std::sort(sorted.begin(), sorted.end());
        QCOMPARE(ran.size(), static_cast<std::size_t>(sorted.size()));
        for (int i = 0; i < sorted.size(); ++i)
            QCOMPARE(ran[static_cast<std::size_t>(i)], sorted[i]);
        QCOMPARE(s.executed(), static_cast<std::uint64_t>(times.size()));
    }

    void sameTimeIsFifo()
    {
        Scheduler s;
        std::vector<int> order;
        for (int i = 0; i < 1000; ++i)
            s.scheduleAt(42, 1, 0, [&order, i] { order.push_back(i); });
        s.runUntil(42);
        QCOMPARE(order.size(), std::size_t{1000});
        for (int i = 0; i < 1000; ++i)
            QCOMPARE(order[static_cast<std::size_t>(i)], i);
    }

    void sameTimeFifoIncludesEventsScheduledWhileRunning()
    {
        Scheduler s;
        std::vector<int> order;
        s.scheduleAt(10, 1, 0, [&] {
            order.push_back(1);
            s.scheduleAfter(0, 1, 0, [&] { order.push_back(3); });
        });
        s.scheduleAt(10, 1, 0, [&] { order.push_back(2); });
        s.runUntil(100);
        QCOMPARE(order, (std::vector<int>{1, 2, 3}));
    }

    void cancel()
    {
        Scheduler s;
        int ran = 0;
        EventHandle a = s.scheduleAt(5, 1, 0, [&] { ran += 1; });
        EventHandle b = s.scheduleAt(6, 1, 0, [&] { ran += 10; });
        QVERIFY(s.isPending(a));
        QVERIFY(s.cancel(a));
        QVERIFY(!s.isPending(a));
        QVERIFY(!s.cancel(a)); // second cancel is a no-op
        QCOMPARE(s.pendingCount(), std::size_t{1});
        s.runUntil(100);
        QCOMPARE(ran, 10);
        QVERIFY(!s.cancel(b)); // already ran
        QVERIFY(!s.isPending(EventHandle{}));
    }

    void cancelledSlotReuseDoesNotConfuseHandles()
    {
        Scheduler s;
        int ran = 0;
        EventHandle a = s.scheduleAt(5, 1, 0, [&] { ran += 1; });
        QVERIFY(s.cancel(a));
        EventHandle b = s.scheduleAt(7, 1, 0, [&] { ran += 2; }); // reuses a's slot
        QCOMPARE(b.slot, a.slot);
        QVERIFY(!s.isPending(a));
        QVERIFY(!s.cancel(a));
        QVERIFY(s.isPending(b));
        s.runUntil(10);
        QCOMPARE(ran, 2);
    }

    void massCancelCompacts()
    {
        Scheduler s;
        std::vector<EventHandle> handles;
        int ran = 0;
        for (int i = 0; i < 20000; ++i)
            handles.push_back(s.scheduleAt(1000 + i, 1, 0, [&] { ++ran; }));
        for (int i = 0; i < 20000; ++i) {
            if (i % 10 != 0)
                QVERIFY(s.cancel(handles[static_cast<std::size_t>(i)]));
        }
        QCOMPARE(s.pendingCount(), std::size_t{2000});
        s.runUntil(kNever - 1);
        QCOMPARE(ran, 2000);
    }

    void runUntilStopsAndMovesClock()
    {
        Scheduler s;
        int ran = 0;
        for (int t : {10, 20, 30, 40})
            s.scheduleAt(t, 1, 0, [&] { ++ran; });
        QCOMPARE(s.runUntil(25), std::uint64_t{2});
        QCOMPARE(ran, 2);
        QCOMPARE(s.now(), Nanos{25});
        QCOMPARE(s.nextTime(), Nanos{30});
        QCOMPARE(s.runUntil(30), std::uint64_t{1}); // inclusive bound
        QCOMPARE(s.now(), Nanos{30});
        QCOMPARE(s.runEvents(5), std::uint64_t{1});
        QCOMPARE(s.now(), Nanos{40});
        QVERIFY(!s.step());
    }

    void pastTimeRunsNow()
    {
        Scheduler s;
        s.runUntil(100);
        Nanos at = -1;
        s.scheduleAt(50, 1, 0, [&] { at = s.now(); });
        s.step();
        QCOMPARE(at, Nanos{100});
    }

    void upcomingAndPeekShowMetadata()
    {
        Scheduler s;
        s.scheduleAt(30, 7, 3, [] {});
        s.scheduleAt(10, 5, 1, [] {});
        EventHandle c = s.scheduleAt(20, 6, 2, [] {});
        s.cancel(c);
        EventMeta m;
        QVERIFY(s.peek(m));
        QCOMPARE(m.kind, EventKindId{5});
        QCOMPARE(m.component, ComponentId{1});
        const auto next = s.upcoming(10);
        QCOMPARE(next.size(), std::size_t{2});
        QCOMPARE(next[0].time, Nanos{10});
        QCOMPARE(next[1].time, Nanos{30});
        QCOMPARE(next[1].kind, EventKindId{7});
    }

    void observerSeesEveryEvent()
    {
        struct Counter : EventObserver {
            int n = 0;
            Nanos last = -1;
            void beforeEvent(const EventMeta& m) override
            {
                ++n;
                last = m.time;
            }
        } obs;
        Scheduler s;
        s.setObserver(&obs);
        for (int i = 0; i < 10; ++i)
            s.scheduleAt(i * 3, 1, 0, [] {});
        s.runUntil(1000);
        QCOMPARE(obs.n, 10);
        QCOMPARE(obs.last, Nanos{27});
    }

    // A barrier runs before any later event, may arm events between, and is not an
    // event: the clock, executed() and the observer do not see it.
    void barrierRunsBeforeLaterEvents()
    {
        struct Times : EventObserver {
            std::vector<Nanos> times;
            void beforeEvent(const EventMeta& m) override { times.push_back(m.time); }
        } obs;
        Scheduler s;
        s.setObserver(&obs);
        std::vector<int> order;
        Nanos nowInBarrier = -1;
        s.scheduleAt(10, 1, 0, [&] {
            order.push_back(10);
            s.beforeTime(40, [&] {
                nowInBarrier = s.now();
                order.push_back(-40);
                s.scheduleAt(45, 2, 0, [&] { order.push_back(45); });
            });
        });
        s.scheduleAt(50, 1, 0, [&] { order.push_back(50); });
        s.scheduleAt(100, 1, 0, [&] { order.push_back(100); });
        QVERIFY(s.step());
        QCOMPARE(s.pendingCount(), std::size_t{2}); // two events; the barrier is not one
        QVERIFY(!s.empty());
        QCOMPARE(s.nextTime(), Nanos{45});           // looking runs the barrier
        QCOMPARE(nowInBarrier, Nanos{10});
        QCOMPARE(s.now(), Nanos{10});
        s.runUntil(1000);
        QCOMPARE(order, (std::vector<int>{10, -40, 45, 50, 100}));
        QCOMPARE(s.executed(), std::uint64_t{4});
        QCOMPARE(obs.times, (std::vector<Nanos>{10, 45, 50, 100}));
    }

    // Same time: after the events queued before it, before those queued after it.
    void barrierKeepsInsertionOrderAtItsTime()
    {
        Scheduler s;
        std::vector<int> order;
        s.scheduleAt(50, 1, 0, [&] { order.push_back(1); });
        s.beforeTime(50, [&] {
            order.push_back(0);
            s.scheduleAt(50, 1, 0, [&] { order.push_back(3); });
        });
        s.scheduleAt(50, 1, 0, [&] { order.push_back(2); });
        s.runUntil(50);
        QCOMPARE(order, (std::vector<int>{1, 0, 2, 3}));
    }

    void barrierCanBeCancelledAndIsNotUpcoming()
    {
        Scheduler s;
        bool ran = false;
        const EventHandle b = s.beforeTime(20, [&] { ran = true; });
        s.scheduleAt(30, 1, 0, [] {});
        QVERIFY(s.isPending(b));
        QCOMPARE(s.pendingCount(), std::size_t{1});
        const std::vector<EventMeta> next = s.upcoming(10);
        QCOMPARE(next.size(), std::size_t{1});
        QCOMPARE(next[0].time, Nanos{30});
        QVERIFY(s.cancel(b));
        QVERIFY(!s.isPending(b));
        QCOMPARE(s.pendingCount(), std::size_t{1});
        s.runUntil(100);
        QVERIFY(!ran);
    }

    // Alone in the queue, or before a bound runUntil stops at: it still runs when the
    // queue is looked at, and what it arms runs at its own time.
    void barrierAloneOrPastTheBound()
    {
        Scheduler s;
        std::vector<Nanos> ran;
        s.beforeTime(40, [&] { s.scheduleAt(45, 1, 0, [&] { ran.push_back(s.now()); }); });
        s.scheduleAt(60, 1, 0, [&] { ran.push_back(s.now()); });
        QCOMPARE(s.runUntil(20), std::uint64_t{0});
        QCOMPARE(s.now(), Nanos{20});
        QCOMPARE(s.runUntil(100), std::uint64_t{2});
        QCOMPARE(ran, (std::vector<Nanos>{45, 60}));

        Scheduler alone;
        bool armedRan = false;
        alone.beforeTime(5, [&] { alone.scheduleAt(7, 1, 0, [&] { armedRan = true; }); });
        QVERIFY(!alone.empty());
        QCOMPARE(alone.pendingCount(), std::size_t{0});
        QVERIFY(alone.step());
        QVERIFY(armedRan);
        QCOMPARE(alone.now(), Nanos{7});
        alone.beforeTime(9, [] {});
        QVERIFY(!alone.step()); // it ran; nothing to step
        QVERIFY(alone.empty());
    }

    void runUntilBoundedRespectsLimit()
    {
        Scheduler s;
        for (int i = 0; i < 100; ++i)
            s.scheduleAt(5, 1, 0, [] {});
        QCOMPARE(s.runUntilBounded(10, 30), std::uint64_t{30});
        QCOMPARE(s.pendingCount(), std::size_t{70});
        QCOMPARE(s.now(), Nanos{5});
    }
};

LIVEDECK_TEST_CLASS(TstScheduler)
#include "tst_scheduler.moc"

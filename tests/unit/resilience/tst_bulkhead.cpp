// Bulkhead: admit / queue / reject, FIFO hand-over on release, queue timeouts on
// virtual time (each waiter exactly maxWait after it queued), no queue jumping,
// re-entrant waiters, and the concurrency bound under random load.
#include "backend/resilience/bulkhead.h"
#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <vector>

using namespace livedeck;
using resilience::Bulkhead;
using resilience::BulkheadConfig;
using Admission = Bulkhead::Admission;

namespace {

constexpr sim::Nanos ms(std::int64_t n)
{
    return n * sim::kMillisecond;
}

struct Outcome {
    int id;
    bool admitted;
    sim::Nanos at;
};

} // namespace

class TstBulkhead : public QObject {
    Q_OBJECT

private slots:
    void admitQueueReject_data()
    {
        QTest::addColumn<int>("maxConcurrent");
        QTest::addColumn<int>("maxQueue");
        QTest::addColumn<int>("callers");
        QTest::addColumn<int>("admitted");
        QTest::addColumn<int>("queued");
        QTest::newRow("room for all") << 4 << 2 << 3 << 3 << 0;
        QTest::newRow("two wait") << 2 << 2 << 4 << 2 << 2;
        QTest::newRow("queue overflows") << 2 << 2 << 7 << 2 << 2;
        QTest::newRow("no queue") << 3 << 0 << 5 << 3 << 0;
        QTest::newRow("one at a time") << 1 << 100 << 50 << 1 << 49;
    }

    void admitQueueReject()
    {
        QFETCH(int, maxConcurrent);
        QFETCH(int, maxQueue);
        QFETCH(int, callers);
        QFETCH(int, admitted);
        QFETCH(int, queued);
        sim::Scheduler scheduler;
        Bulkhead bulkhead(scheduler, BulkheadConfig{static_cast<std::uint32_t>(maxConcurrent),
                                                    static_cast<std::uint32_t>(maxQueue), ms(50)});
        int a = 0, q = 0, r = 0;
        for (int i = 0; i < callers; ++i) {
            switch (bulkhead.acquire([](bool) {})) {
            case Admission::Admitted: ++a; break;
            case Admission::Queued: ++q; break;
            case Admission::Rejected: ++r; break;
            }
        }
        QCOMPARE(a, admitted);
        QCOMPARE(q, queued);
        QCOMPARE(r, callers - admitted - queued);
        QCOMPARE(bulkhead.inFlight(), static_cast<std::uint32_t>(admitted));
        QCOMPARE(bulkhead.queued(), static_cast<std::uint32_t>(queued));
        QCOMPARE(bulkhead.stats().rejected, static_cast<std::uint64_t>(r));
    }

    // Releases hand permits to waiters in arrival order; the rest time out exactly
    // maxWait after they queued, one by one.
    void fifoHandOverAndTimeouts()
    {
        sim::Scheduler scheduler;
        Bulkhead bulkhead(scheduler, BulkheadConfig{1, 10, ms(50)});
        std::vector<Outcome> outcomes;
        QCOMPARE(bulkhead.acquire([](bool) {}), Admission::Admitted);
        // Waiters 1..5 queue at 0, 5, 10, 15, 20 ms.
        for (int id = 1; id <= 5; ++id) {
            scheduler.scheduleAt(ms(5) * (id - 1), 0, 0, [&, id] {
                QCOMPARE(bulkhead.acquire([&, id](bool ok) { outcomes.push_back({id, ok, scheduler.now()}); }),
                         Admission::Queued);
            });
        }
        // The holder releases at 30 ms; waiter 1 runs until 52 ms, then releases.
        scheduler.scheduleAt(ms(30), 0, 0, [&] { bulkhead.release(); });
        scheduler.scheduleAt(ms(52), 0, 0, [&] { bulkhead.release(); });
        scheduler.runUntil(sim::kSecond);

        // 1 admitted at 30; 2 (queued at 5) times out at 55 — after 52, where it was
        // admitted instead; 3 (10) times out at 60 with the permit held by 2; 4 at 65, 5 at 70.
        const std::vector<Outcome> expected{
            {1, true, ms(30)}, {2, true, ms(52)}, {3, false, ms(60)}, {4, false, ms(65)}, {5, false, ms(70)}};
        QCOMPARE(outcomes.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(outcomes[i].id, expected[i].id);
            QCOMPARE(outcomes[i].admitted, expected[i].admitted);
            QCOMPARE(outcomes[i].at, expected[i].at);
        }
        const auto& s = bulkhead.stats();
        QCOMPARE(s.admittedFromQueue, std::uint64_t{2});
        QCOMPARE(s.timedOut, std::uint64_t{3});
        QCOMPARE(s.totalQueueWait, ms(30) + ms(47));
        QCOMPARE(bulkhead.queued(), std::uint32_t{0});
        QCOMPARE(bulkhead.inFlight(), std::uint32_t{1});
        QVERIFY(scheduler.empty()); // no timer left behind
    }

    void noWaitLimit()
    {
        sim::Scheduler scheduler;
        Bulkhead bulkhead(scheduler, BulkheadConfig{1, 4, sim::kNever});
        bulkhead.acquire([](bool) {});
        bool admitted = false;
        QCOMPARE(bulkhead.acquire([&](bool ok) { admitted = ok; }), Admission::Queued);
        QVERIFY(scheduler.empty()); // no timer
        scheduler.runUntil(sim::kHour);
        bulkhead.release();
        QVERIFY(admitted);
    }

    void tryAcquireDoesNotJumpTheQueue()
    {
        sim::Scheduler scheduler;
        Bulkhead bulkhead(scheduler, BulkheadConfig{1, 4, ms(50)});
        QVERIFY(bulkhead.tryAcquire());
        QVERIFY(!bulkhead.tryAcquire());
        int admittedWaiter = 0;
        bulkhead.acquire([&](bool ok) {
            admittedWaiter += ok ? 1 : 0;
            // Still holding the handed-over permit: nobody else gets in.
            QVERIFY(!bulkhead.tryAcquire());
        });
        bulkhead.release();
        QCOMPARE(admittedWaiter, 1);
        QCOMPARE(bulkhead.inFlight(), std::uint32_t{1});
    }

    // A waiter that finishes at once releases inside its callback; the chain goes on.
    void reentrantRelease()
    {
        sim::Scheduler scheduler;
        Bulkhead bulkhead(scheduler, BulkheadConfig{1, 8, ms(50)});
        bulkhead.acquire([](bool) {});
        std::vector<int> order;
        for (int id = 0; id < 5; ++id) {
            bulkhead.acquire([&, id](bool ok) {
                QVERIFY(ok);
                order.push_back(id);
                bulkhead.release();
            });
        }
        bulkhead.release();
        QCOMPARE(order, (std::vector<int>{0, 1, 2, 3, 4}));
        QCOMPARE(bulkhead.inFlight(), std::uint32_t{0});
        QCOMPARE(bulkhead.queued(), std::uint32_t{0});
        QVERIFY(bulkhead.tryAcquire());
    }

    // Random arrivals and service times: the bound holds at every instant, every
    // queued caller hears back exactly once, within maxWait, in arrival order.
    void boundHoldsUnderRandomLoad()
    {
        struct Sim {
            sim::Scheduler scheduler;
            Bulkhead bulkhead{scheduler, BulkheadConfig{8, 16, ms(5)}};
            sim::RandomStream rng{4};
            std::uint32_t maxSeen = 0;
            std::uint64_t answers = 0, queuedCount = 0, done = 0;
            std::uint64_t lastAdmittedSeq = 0;
            std::uint64_t nextSeq = 1;
            bool fifo = true;

            void serve()
            {
                maxSeen = std::max(maxSeen, bulkhead.inFlight());
                const auto service = static_cast<sim::Nanos>(rng.exponential(static_cast<double>(ms(4))));
                scheduler.scheduleAfter(service, 0, 0, [this] {
                    ++done;
                    bulkhead.release();
                });
            }
            void arrive()
            {
                const std::uint64_t seq = nextSeq++;
                const sim::Nanos at = scheduler.now();
                const auto a = bulkhead.acquire([this, seq, at](bool ok) {
                    ++answers;
                    if (scheduler.now() - at > ms(5))
                        fifo = false;
                    if (ok) {
                        fifo = fifo && seq > lastAdmittedSeq;
                        lastAdmittedSeq = seq;
                        serve();
                    }
                });
                if (a == Admission::Queued)
                    ++queuedCount;
                if (a == Admission::Admitted)
                    serve();
            }
        } s;
        // ~2.5 k/s against 8 slots × 250/s = 2 k/s: overloaded, so all paths are taken.
        sim::Nanos t = 0;
        for (int i = 0; i < 50'000; ++i) {
            t += static_cast<sim::Nanos>(s.rng.exponential(static_cast<double>(ms(1)) / 2.5));
            s.scheduler.scheduleAt(t, 0, 0, [&s] { s.arrive(); });
        }
        s.scheduler.runUntil(t + sim::kSecond);
        const auto& st = s.bulkhead.stats();
        QVERIFY(s.maxSeen <= 8);
        QCOMPARE(st.peakInFlight, std::uint32_t{8});
        QVERIFY(st.peakQueued <= 16);
        QCOMPARE(s.answers, s.queuedCount);
        QVERIFY(s.fifo);
        QVERIFY(st.rejected > 0 && st.timedOut > 0 && st.admittedFromQueue > 0);
        QCOMPARE(st.admittedAtOnce + st.admittedFromQueue, s.done);
        QCOMPARE(st.admittedAtOnce + st.admittedFromQueue + st.rejected + st.timedOut, std::uint64_t{50'000});
        QCOMPARE(s.bulkhead.inFlight(), std::uint32_t{0});
    }
};

LIVEDECK_TEST_CLASS(TstBulkhead)
#include "tst_bulkhead.moc"

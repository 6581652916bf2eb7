// ManualWallClock and WakeSignal: waits end when the clock passes the deadline or the
// signal is notified (even a notify that came before the wait), never on real time.
#include "tests/common/multi_test.h"

#include "backend/host/manual_wall_clock.h"
#include "tests/unit/host/host_test_util.h"

#include <QTest>

#include <atomic>
#include <thread>

using namespace livedeck;
using livedeck::host::ManualWallClock;
using livedeck::host::WakeSignal;
using livedeck::host::test::kWaitMs;

class TstManualWallClock : public QObject {
    Q_OBJECT

private slots:
    void movesOnlyForward()
    {
        ManualWallClock c(100);
        QCOMPARE(c.now(), sim::Nanos{100});
        c.advance(50);
        QCOMPARE(c.now(), sim::Nanos{150});
        c.set(120); // backwards: ignored
        QCOMPARE(c.now(), sim::Nanos{150});
        c.set(1000);
        QCOMPARE(c.now(), sim::Nanos{1000});
        c.advance(-5);
        QCOMPARE(c.now(), sim::Nanos{1000});
    }

    void waitEndsAtTheDeadline()
    {
        ManualWallClock c;
        WakeSignal signal;
        std::atomic<bool> done{false};
        std::thread t([&] {
            c.waitUntil(sim::kSecond, signal);
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(c.waiters() == 1, kWaitMs);
        c.advance(sim::kSecond / 2);
        QTRY_VERIFY_WITH_TIMEOUT(c.waiters() == 1, kWaitMs); // woke, re-checked, still waiting
        QVERIFY(!done);
        c.advance(sim::kSecond / 2);
        QTRY_VERIFY_WITH_TIMEOUT(done.load(), kWaitMs);
        t.join();
        QCOMPARE(c.waiters(), 0);
    }

    void waitEndsOnNotify()
    {
        ManualWallClock c;
        WakeSignal signal;
        std::atomic<bool> done{false};
        std::thread t([&] {
            c.waitUntil(sim::kNever, signal);
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(c.waiters() == 1, kWaitMs);
        c.advance(sim::kHour);
        QTRY_VERIFY_WITH_TIMEOUT(c.waiters() == 1, kWaitMs);
        QVERIFY(!done);
        signal.notify();
        QTRY_VERIFY_WITH_TIMEOUT(done.load(), kWaitMs);
        t.join();
    }

    void earlierNotifyIsNotLost()
    {
        ManualWallClock c;
        WakeSignal signal;
        signal.notify();
        c.waitUntil(sim::kNever, signal); // returns at once: the notify is pending
        c.waitUntil(sim::kNever, signal); // still pending: only consume() clears it
        signal.consume();
        QVERIFY(!signal.pendingLocked());
        c.waitUntil(0, signal); // deadline already reached
    }
};

LIVEDECK_TEST_CLASS(TstManualWallClock)
#include "tst_manual_wall_clock.moc"

// Snapshot publishing of the WorldHost: a slow subscriber never slows the world (its
// one-slot mailbox keeps the latest snapshot, counts the dropped ones and keeps their
// series defs), snapshots are shared between subscribers, the wall-clock rate, events
// with a bounded buffer and resume by seq, and close() stopping notifications.
#include "tests/common/multi_test.h"

#include "backend/host/manual_wall_clock.h"
#include "backend/host/world_host.h"
#include "tests/unit/host/host_test_util.h"

#include <QTest>

#include <atomic>
#include <set>
#include <vector>

using namespace livedeck;
using namespace livedeck::host;
using host::test::isReady;
using host::test::kWaitMs;
using host::test::lightRun;

namespace {

void checkDefsContiguous(const v1::Snapshot& s, std::uint32_t count)
{
    QCOMPARE(static_cast<std::uint32_t>(s.series_defs_size()), count);
    for (int i = 0; i < s.series_defs_size(); ++i)
        QCOMPARE(s.series_defs(i).id(), static_cast<std::uint32_t>(i));
}

} // namespace

class TstSnapshotPublishing : public QObject {
    Q_OBJECT

private slots:
    void slowSubscriberDoesNotSlowTheWorld()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        SubscribeOptions so;
        so.rateHz = 20;
        so.includeComponents = true;
        std::atomic<int> slowNotified{0};
        Subscription slow = host.subscribe(so, [&] { ++slowNotified; }); // never takes anything
        std::vector<Subscription::SnapshotPtr> taken;
        std::mutex takenMutex;
        Subscription fast = host.subscribe(so);
        host.setSpeed(10);
        auto resumed = host.resume();
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(resumed) && fast.hasUntakenSnapshot(), kWaitMs);
        taken.push_back(fast.takeSnapshot()); // the one every subscriber gets on joining

        constexpr int kTicks = 40; // 2 s of wall time in 50 ms ticks → 20 s simulated at × 10
        std::uint32_t extraSeries = 0;
        for (int i = 1; i <= kTicks; ++i) {
            if (i % 8 == 0) {
                // New series appear between ticks (an engine registering metrics late).
                host.query([i](HostedRun& r) { r.telemetry().metrics().gauge("test.late", "", "i=" + std::to_string(i)); })
                    .get();
                ++extraSeries;
            }
            clock.advance(50 * sim::kMillisecond);
            const sim::Nanos expected = static_cast<sim::Nanos>(static_cast<double>(i * 50 * sim::kMillisecond) * 10.0);
            QTRY_COMPARE_WITH_TIMEOUT(host.status().simTime, expected, kWaitMs);
            QTRY_VERIFY_WITH_TIMEOUT(fast.latestSnapshot() && fast.latestSnapshot()->sim_time_ns() == expected, kWaitMs);
            if (auto s = fast.takeSnapshot())
                taken.push_back(std::move(s));
        }
        // The world kept its pace: exactly 20 simulated seconds for 2 wall seconds.
        const HostStatus status = host.status();
        QCOMPARE(status.simTime, 20 * sim::kSecond);
        QVERIFY(status.iterations < 40 * kTicks); // bounded work per tick, nothing spun waiting
        QVERIFY(slowNotified.load() >= kTicks);

        // The slow one: a single untaken snapshot (the latest), the others dropped.
        QVERIFY(slow.hasUntakenSnapshot());
        const std::uint64_t delivered = slow.deliveredSnapshots();
        QVERIFY(delivered >= static_cast<std::uint64_t>(kTicks));
        QCOMPARE(slow.droppedSnapshots(), delivered - 1);
        QVERIFY(slow.carriedSeriesDefs() > 0);
        const auto latest = slow.takeSnapshot();
        QVERIFY(latest);
        QCOMPARE(latest->sim_time_ns(), 20 * sim::kSecond);
        QCOMPARE(latest->seq(), fast.latestSnapshot()->seq());
        QVERIFY(latest->components_size() > 0);
        // Merged: it describes every series, the dropped snapshots' ones included.
        const std::uint32_t seriesCount = host.query([](HostedRun& r) { return r.telemetry().metrics().seriesCount(); }).get();
        QVERIFY(extraSeries > 0);
        checkDefsContiguous(*latest, seriesCount);
        QVERIFY(!slow.takeSnapshot()); // one slot: nothing else was kept
        QCOMPARE(slow.carriedSeriesDefs(), std::size_t{0});

        // The fast one saw each series exactly once across what it took.
        std::set<std::uint32_t> ids;
        for (const auto& s : taken) {
            for (const auto& d : s->series_defs())
                QVERIFY(ids.insert(d.id()).second);
        }
        QCOMPARE(static_cast<std::uint32_t>(ids.size()), seriesCount);
        QCOMPARE(fast.droppedSnapshots(), std::uint64_t{0});
    }

    void snapshotsAreSharedAndStamped()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(7), clock);
        SubscribeOptions with;
        SubscribeOptions without;
        without.includeComponents = false;
        Subscription a = host.subscribe(with);
        Subscription b = host.subscribe(with);
        Subscription c = host.subscribe(without);
        host.setSpeed(0);
        auto reached = host.runUntil(sim::kSecond + 1);
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(reached), kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(a.latestSnapshot() && a.latestSnapshot()->sim_time_ns() == sim::kSecond + 1, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(b.latestSnapshot() && c.latestSnapshot() &&
                                     b.latestSnapshot()->seq() == a.latestSnapshot()->seq() &&
                                     c.latestSnapshot()->seq() == a.latestSnapshot()->seq(),
                                 kWaitMs);
        // One build per state and variant, shared by the subscribers that want it.
        QCOMPARE(a.latestSnapshot().get(), b.latestSnapshot().get());
        QVERIFY(a.latestSnapshot().get() != c.latestSnapshot().get());
        const auto s = a.takeSnapshot();
        QCOMPARE(s->run_id(), std::string("synthetic-7"));
        QCOMPARE(s->sim_time_ns(), sim::kSecond + 1);
        QVERIFY(s->components_size() > 0);
        QCOMPARE(c.takeSnapshot()->components_size(), 0);
        QVERIFY(s->host().paused());
        QCOMPARE(s->host().speed(), 0.0);
        QVERIFY(s->sample_ids_size() > 0); // the 1 s rollup ran
        QCOMPARE(s->events_executed(), host.status().eventsExecuted);
        QVERIFY(s->host().pending_events() > 0);
    }

    void firstSnapshotDescribesEverySeries()
    {
        // A subscriber that joins late still learns the series defined before it came.
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        Subscription early = host.subscribe({});
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(early.latestSnapshot() != nullptr, kWaitMs);
        host.query([](HostedRun& r) { r.telemetry().metrics().counter("test.more"); }).get();
        auto stepped = host.step(3);
        QTRY_VERIFY_WITH_TIMEOUT(isReady(stepped), kWaitMs);
        Subscription late = host.subscribe({});
        QTRY_VERIFY_WITH_TIMEOUT(late.latestSnapshot() != nullptr, kWaitMs);
        const std::uint32_t count = host.query([](HostedRun& r) { return r.telemetry().metrics().seriesCount(); }).get();
        checkDefsContiguous(*late.takeSnapshot(), count);
    }

    void rateFollowsTheWallClock_data()
    {
        QTest::addColumn<double>("rateHz");
        QTest::addColumn<int>("expected"); // deliveries in 1 s of wall time, after the first
        QTest::newRow("1 Hz") << 1.0 << 1;
        QTest::newRow("4 Hz") << 4.0 << 4;
        QTest::newRow("20 Hz") << 20.0 << 20;
    }
    void rateFollowsTheWallClock()
    {
        QFETCH(double, rateHz);
        QFETCH(int, expected);
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        SubscribeOptions so;
        so.rateHz = rateHz;
        so.includeComponents = false;
        Subscription sub = host.subscribe(so);
        host.setSpeed(1);
        auto resumed = host.resume();
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(resumed) && sub.deliveredSnapshots() == 1 && clock.waiters() == 1, kWaitMs);
        // 1 s of wall time in 50 ms steps (the host's idle wake-up: it moves the clock at
        // least that often): the world changes every step, deliveries follow the rate.
        for (int i = 1; i <= 20; ++i) {
            clock.advance(50 * sim::kMillisecond);
            QTRY_COMPARE_WITH_TIMEOUT(host.status().simTime, i * 50 * sim::kMillisecond, kWaitMs);
            QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
        }
        QCOMPARE(sub.deliveredSnapshots(), static_cast<std::uint64_t>(1 + expected));
    }

    void pausedWorldPublishesOnlyChanges()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        SubscribeOptions so;
        so.includeComponents = false;
        Subscription sub = host.subscribe(so);
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(sub.deliveredSnapshots() == 1 && clock.waiters() == 1, kWaitMs);
        for (int i = 0; i < 10; ++i) {
            clock.advance(100 * sim::kMillisecond);
            QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
        }
        QCOMPARE(sub.deliveredSnapshots(), std::uint64_t{1}); // nothing changed, nothing sent
        auto injected = host.submit(host::test::latencyFault("sh-a", 5, "test"));
        QTRY_VERIFY_WITH_TIMEOUT(isReady(injected), kWaitMs);
        clock.advance(100 * sim::kMillisecond);
        QTRY_COMPARE_WITH_TIMEOUT(sub.deliveredSnapshots(), std::uint64_t{2}, kWaitMs);
    }

    void eventsAreDeliveredInOrder()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        SubscribeOptions all;
        all.includeComponents = false;
        all.includeEvents = true;
        all.eventsAfterSeq = 0; // from the first event of the run
        SubscribeOptions small = all;
        small.eventCapacity = 3;
        Subscription a = host.subscribe(all);
        Subscription b = host.subscribe(small);
        host.setSpeed(0);
        auto reached = host.runUntil(5 * sim::kSecond);
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(reached), kWaitMs);
        const std::uint64_t lastSeq = host.query([](HostedRun& r) { return r.world().events().lastSeq(); }).get();
        QVERIFY(lastSeq > 5); // fault.on / fault.off of the synthetic faults
        QTRY_VERIFY_WITH_TIMEOUT(a.latestSnapshot() && a.latestSnapshot()->last_event_seq() == lastSeq, kWaitMs);
        std::vector<v1::Event> events;
        QCOMPARE(a.takeEvents(events), static_cast<std::size_t>(lastSeq));
        for (std::size_t i = 0; i < events.size(); ++i)
            QCOMPARE(events[i].seq(), static_cast<std::uint64_t>(i + 1));
        QCOMPARE(a.droppedEvents(), std::uint64_t{0});
        QCOMPARE(a.takeEvents(events), std::size_t{0});

        std::vector<v1::Event> few;
        QCOMPARE(b.takeEvents(few), std::size_t{3}); // only the newest three
        QCOMPARE(few.back().seq(), lastSeq);
        QCOMPARE(few.front().seq(), lastSeq - 2);
        QCOMPARE(b.droppedEvents(), lastSeq - 3);

        // Resume after a known seq (a reconnecting client).
        SubscribeOptions resume = all;
        resume.eventsAfterSeq = lastSeq - 2;
        Subscription c = host.subscribe(resume);
        QTRY_VERIFY_WITH_TIMEOUT(c.latestSnapshot() != nullptr, kWaitMs);
        std::vector<v1::Event> resumed;
        QCOMPARE(c.takeEvents(resumed), std::size_t{2});
        QCOMPARE(resumed.front().seq(), lastSeq - 1);
        // Default: only what is raised after subscribing.
        SubscribeOptions fresh = all;
        fresh.eventsAfterSeq.reset();
        Subscription d = host.subscribe(fresh);
        QTRY_VERIFY_WITH_TIMEOUT(d.latestSnapshot() != nullptr, kWaitMs);
        std::vector<v1::Event> none;
        QCOMPARE(d.takeEvents(none), std::size_t{0});
    }

    void closeStopsNotifications()
    {
        ManualWallClock clock;
        WorldHost host(lightRun(), clock);
        std::atomic<int> notified{0};
        SubscribeOptions so;
        so.includeComponents = false;
        Subscription sub = host.subscribe(so, [&] { ++notified; });
        host.setSpeed(10);
        auto resumed = host.resume();
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(isReady(resumed), kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(notified.load() == 1, kWaitMs);
        sub.close();
        const int atClose = notified.load();
        for (int i = 0; i < 5; ++i) {
            clock.advance(100 * sim::kMillisecond);
            QTRY_COMPARE_WITH_TIMEOUT(host.status().simTime, (i + 1) * sim::kSecond, kWaitMs);
        }
        QCOMPARE(notified.load(), atClose);
        {
            Subscription scoped = host.subscribe(so, [&] { ++notified; });
            QTRY_VERIFY_WITH_TIMEOUT(notified.load() == atClose + 1, kWaitMs);
        } // destroyed: closed
        clock.advance(100 * sim::kMillisecond);
        QTRY_COMPARE_WITH_TIMEOUT(host.status().simTime, 6 * sim::kSecond, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(clock.waiters() == 1, kWaitMs);
        QCOMPARE(notified.load(), atClose + 1);
    }
};

LIVEDECK_TEST_CLASS(TstSnapshotPublishing)
#include "tst_snapshot_publishing.moc"

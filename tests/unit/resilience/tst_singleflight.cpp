// Singleflight: sharing of one in-flight fetch among interleaved callers on the
// scheduler, the `shared` flag, no caching after completion, forget(), re-entrant
// callbacks, synchronous completion and a randomized consistency check.
#include "backend/resilience/singleflight.h"
#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <string>
#include <vector>

using namespace livedeck;
using resilience::Singleflight;

namespace {

// One key, value = ordinal of the fetch that produced it.
struct Harness {
    sim::Scheduler scheduler;
    Singleflight<int, int> flight;
    int fetchesStarted = 0;
    sim::Nanos latency = 10;
    std::vector<int> values;
    std::vector<bool> shared;
    std::vector<sim::Nanos> answeredAt;

    void callAt(sim::Nanos t, int caller)
    {
        scheduler.scheduleAt(t, 0, 0, [this, caller] {
            flight.call(
                7,
                [this](Singleflight<int, int>::Completion done) {
                    const int ordinal = ++fetchesStarted;
                    scheduler.scheduleAfter(latency, 0, 0, [done, ordinal] { done(ordinal); });
                },
                [this, caller](const int& value, bool isShared) {
                    values[static_cast<std::size_t>(caller)] = value;
                    shared[static_cast<std::size_t>(caller)] = isShared;
                    answeredAt[static_cast<std::size_t>(caller)] = scheduler.now();
                });
        });
    }
};

} // namespace

class TstSingleflight : public QObject {
    Q_OBJECT

private slots:
    void sharing_data()
    {
        QTest::addColumn<QList<qint64>>("arrivals");
        QTest::addColumn<QList<int>>("expectedValues");
        QTest::addColumn<QList<bool>>("expectedShared");
        QTest::addColumn<int>("expectedFetches");

        QTest::newRow("one caller") << QList<qint64>{0} << QList<int>{1} << QList<bool>{false} << 1;
        QTest::newRow("three at once") << QList<qint64>{0, 0, 0} << QList<int>{1, 1, 1}
                                       << QList<bool>{true, true, true} << 1;
        QTest::newRow("joiners during the fetch") << QList<qint64>{0, 3, 9} << QList<int>{1, 1, 1}
                                                  << QList<bool>{true, true, true} << 1;
        QTest::newRow("sequential: result not cached") << QList<qint64>{0, 20, 40} << QList<int>{1, 2, 3}
                                                       << QList<bool>{false, false, false} << 3;
        QTest::newRow("two overlapping flights") << QList<qint64>{0, 5, 15, 16, 40} << QList<int>{1, 1, 2, 2, 3}
                                                 << QList<bool>{true, true, true, true, false} << 3;
        // A caller scheduled for the completion instant, queued before the completion
        // event, still joins (same-time events are FIFO).
        QTest::newRow("joins at the completion instant") << QList<qint64>{0, 10} << QList<int>{1, 1}
                                                         << QList<bool>{true, true} << 1;
        QTest::newRow("right after completion") << QList<qint64>{0, 11} << QList<int>{1, 2}
                                                << QList<bool>{false, false} << 2;
    }

    void sharing()
    {
        QFETCH(QList<qint64>, arrivals);
        QFETCH(QList<int>, expectedValues);
        QFETCH(QList<bool>, expectedShared);
        QFETCH(int, expectedFetches);

        Harness h;
        const auto n = static_cast<std::size_t>(arrivals.size());
        h.values.assign(n, 0);
        h.shared.assign(n, false);
        h.answeredAt.assign(n, -1);
        for (int i = 0; i < arrivals.size(); ++i)
            h.callAt(arrivals[i], i);
        h.scheduler.runUntil(sim::kSecond);

        QCOMPARE(h.fetchesStarted, expectedFetches);
        for (int i = 0; i < arrivals.size(); ++i) {
            QCOMPARE(h.values[static_cast<std::size_t>(i)], expectedValues[i]);
            QCOMPARE(static_cast<bool>(h.shared[static_cast<std::size_t>(i)]), expectedShared[i]);
            // Every caller is answered when its flight completes: fetch start + latency.
            QVERIFY(h.answeredAt[static_cast<std::size_t>(i)] >= arrivals[i]);
            QVERIFY(h.answeredAt[static_cast<std::size_t>(i)] <= arrivals[i] + h.latency);
        }
        const auto& s = h.flight.stats();
        QCOMPARE(s.calls, static_cast<std::uint64_t>(arrivals.size()));
        QCOMPARE(s.fetches, static_cast<std::uint64_t>(expectedFetches));
        QCOMPARE(s.sharedJoins, static_cast<std::uint64_t>(arrivals.size() - expectedFetches));
        QCOMPARE(s.completions, static_cast<std::uint64_t>(expectedFetches));
        QCOMPARE(h.flight.flightsInFlight(), std::size_t{0});
        QVERIFY(!h.flight.inFlight(7));
    }

    void callbacksRunInJoinOrder()
    {
        sim::Scheduler scheduler;
        Singleflight<std::string, std::string> flight;
        std::vector<int> order;
        Singleflight<std::string, std::string>::Completion* pending = nullptr;
        std::vector<Singleflight<std::string, std::string>::Completion> completions;
        for (int i = 0; i < 5; ++i) {
            const bool leader = flight.call(
                std::string("room/1234567890/panel"),
                [&](Singleflight<std::string, std::string>::Completion done) { completions.push_back(done); },
                [&order, i](const std::string& value, bool shared) {
                    QCOMPARE(value, std::string("panel-v1"));
                    QVERIFY(shared);
                    order.push_back(i);
                });
            QCOMPARE(leader, i == 0);
        }
        QCOMPARE(completions.size(), std::size_t{1});
        QCOMPARE(flight.waiters("room/1234567890/panel"), std::size_t{5});
        pending = &completions[0];
        QVERIFY((*pending)(std::string("panel-v1")));
        QCOMPARE(order, (std::vector<int>{0, 1, 2, 3, 4}));
        // A second completion of the same flight is ignored.
        QVERIFY(!(*pending)(std::string("panel-v2")));
        QCOMPARE(order.size(), std::size_t{5});
    }

    void forgetStartsAFreshFetch()
    {
        Singleflight<int, int> flight;
        std::vector<Singleflight<int, int>::Completion> completions;
        auto fetch = [&](Singleflight<int, int>::Completion done) { completions.push_back(done); };
        int aValue = 0, bValue = 0, cValue = 0;
        bool aShared = true, bShared = false, cShared = false;
        flight.call(1, fetch, [&](const int& v, bool s) { aValue = v; aShared = s; });
        QVERIFY(flight.forget(1));
        QVERIFY(!flight.forget(1)); // nothing indexed any more
        QVERIFY(!flight.inFlight(1));
        QCOMPARE(flight.flightsInFlight(), std::size_t{1}); // still running for caller A
        flight.call(1, fetch, [&](const int& v, bool s) { bValue = v; bShared = s; });
        flight.call(1, fetch, [&](const int& v, bool s) { cValue = v; cShared = s; });
        QCOMPARE(completions.size(), std::size_t{2});
        QCOMPARE(flight.flightsInFlight(), std::size_t{2});

        // The forgotten flight completes last-started-first here; each answers its own callers.
        QVERIFY(completions[1](200));
        QCOMPARE(bValue, 200);
        QCOMPARE(cValue, 200);
        QVERIFY(bShared && cShared);
        QCOMPARE(aValue, 0);
        QVERIFY(completions[0](100));
        QCOMPARE(aValue, 100);
        QVERIFY(!aShared);
        QCOMPARE(flight.stats().forgets, std::uint64_t{1});
        QCOMPARE(flight.stats().fetches, std::uint64_t{2});
        QCOMPARE(flight.flightsInFlight(), std::size_t{0});
    }

    void forgottenFlightDoesNotUnindexTheNewOne()
    {
        Singleflight<int, int> flight;
        std::vector<Singleflight<int, int>::Completion> completions;
        auto fetch = [&](Singleflight<int, int>::Completion done) { completions.push_back(done); };
        flight.call(1, fetch, [](const int&, bool) {});
        flight.forget(1);
        flight.call(1, fetch, [](const int&, bool) {});
        completions[0](1); // the old flight completes first
        QVERIFY(flight.inFlight(1));
        int joined = 0;
        QVERIFY(!flight.call(1, fetch, [&](const int& v, bool) { joined = v; }));
        completions[1](2);
        QCOMPARE(joined, 2);
    }

    void synchronousCompletion()
    {
        Singleflight<int, int> flight;
        int value = 0;
        bool shared = true;
        const bool leader = flight.call(
            3, [](Singleflight<int, int>::Completion done) { QVERIFY(done(42)); },
            [&](const int& v, bool s) { value = v; shared = s; });
        QVERIFY(leader);
        QCOMPARE(value, 42);
        QVERIFY(!shared);
        QVERIFY(!flight.inFlight(3));
        QCOMPARE(flight.flightsInFlight(), std::size_t{0});
    }

    void reentrantCallbackStartsNewFlight()
    {
        Singleflight<int, int> flight;
        std::vector<Singleflight<int, int>::Completion> completions;
        auto fetch = [&](Singleflight<int, int>::Completion done) { completions.push_back(done); };
        int second = 0;
        flight.call(5, fetch, [&](const int&, bool) {
            // Called during delivery: the finished flight is gone, so this one leads.
            QVERIFY(flight.call(5, fetch, [&](const int& v, bool) { second = v; }));
        });
        flight.call(5, fetch, [](const int&, bool) {});
        QCOMPARE(completions.size(), std::size_t{1});
        completions[0](1);
        QCOMPARE(completions.size(), std::size_t{2});
        QVERIFY(flight.inFlight(5));
        completions[1](2);
        QCOMPARE(second, 2);
        QCOMPARE(flight.stats().fetches, std::uint64_t{2});
    }

    // Many keys, random arrivals and latencies: every caller is answered exactly once,
    // by a fetch that started no later than the call and finished no earlier.
    void randomizedConsistency()
    {
        struct Fetch {
            sim::Nanos started;
            sim::Nanos finished = -1;
        };
        struct Call {
            sim::Nanos at = 0;
            int value = -1;
            int answers = 0;
            bool shared = false;
        };
        struct World {
            sim::Scheduler scheduler;
            Singleflight<int, int> flight;
            sim::RandomStream rng{99};
            std::vector<Fetch> fetches;
            std::vector<Call> calls;

            void call(std::size_t i, int key)
            {
                flight.call(
                    key,
                    [this](Singleflight<int, int>::Completion done) {
                        const int id = static_cast<int>(fetches.size());
                        fetches.push_back(Fetch{scheduler.now()});
                        const auto latency = static_cast<sim::Nanos>(1 + rng.uniformInt(5'000));
                        scheduler.scheduleAfter(latency, 0, 0, [this, done, id] {
                            fetches[static_cast<std::size_t>(id)].finished = scheduler.now();
                            done(id);
                        });
                    },
                    [this, i](const int& v, bool shared) {
                        calls[i].value = v;
                        calls[i].shared = shared;
                        ++calls[i].answers;
                    });
            }
        } w;
        w.calls.resize(20'000);
        for (std::size_t i = 0; i < w.calls.size(); ++i) {
            w.calls[i].at = static_cast<sim::Nanos>(w.rng.uniformInt(1'000'000));
            const int key = static_cast<int>(w.rng.uniformInt(50));
            w.scheduler.scheduleAt(w.calls[i].at, 0, 0, [&w, i, key] { w.call(i, key); });
        }
        w.scheduler.runUntil(sim::kSecond);
        std::uint64_t sharedAnswers = 0;
        for (const Call& c : w.calls) {
            QCOMPARE(c.answers, 1);
            const Fetch& f = w.fetches[static_cast<std::size_t>(c.value)];
            QVERIFY(f.started <= c.at);
            QVERIFY(f.finished >= c.at);
            sharedAnswers += c.shared ? 1 : 0;
        }
        const auto& s = w.flight.stats();
        QCOMPARE(s.calls, static_cast<std::uint64_t>(w.calls.size()));
        QCOMPARE(s.fetches, static_cast<std::uint64_t>(w.fetches.size()));
        QCOMPARE(s.fetches + s.sharedJoins, s.calls);
        QVERIFY(s.sharedJoins > s.calls / 4); // 50 keys, 2.5 ms mean latency: plenty of sharing
        QVERIFY(sharedAnswers >= s.sharedJoins);
        QCOMPARE(w.flight.flightsInFlight(), std::size_t{0});
    }
};

LIVEDECK_TEST_CLASS(TstSingleflight)
#include "tst_singleflight.moc"

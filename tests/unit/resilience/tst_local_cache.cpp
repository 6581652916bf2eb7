// LocalCache: TTL on the world's clock, LRU eviction at capacity, counters, a
// randomized comparison against a simple reference model, and the hot-key path:
// detector → local cache in front of a slow store, with singleflight on misses.
#include "backend/resilience/hot_key_detector.h"
#include "backend/resilience/local_cache.h"
#include "backend/resilience/singleflight.h"
#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <list>
#include <map>
#include <string>

using namespace livedeck;
using resilience::LocalCache;
using resilience::LocalCacheConfig;

class TstLocalCache : public QObject {
    Q_OBJECT

private slots:
    void ttl_data()
    {
        QTest::addColumn<qint64>("ttlMs");
        QTest::addColumn<qint64>("readAtMs");
        QTest::addColumn<bool>("hit");
        QTest::newRow("fresh") << qint64{1000} << qint64{0} << true;
        QTest::newRow("just before expiry") << qint64{1000} << qint64{999} << true;
        QTest::newRow("at expiry") << qint64{1000} << qint64{1000} << false;
        QTest::newRow("after expiry") << qint64{1000} << qint64{5000} << false;
        QTest::newRow("short ttl") << qint64{10} << qint64{11} << false;
    }

    void ttl()
    {
        QFETCH(qint64, ttlMs);
        QFETCH(qint64, readAtMs);
        QFETCH(bool, hit);
        sim::ManualClock clock(1000 * sim::kSecond);
        LocalCache<int, int> cache(clock, LocalCacheConfig{8, ttlMs * sim::kMillisecond});
        cache.put(1, 11);
        clock.advance(readAtMs * sim::kMillisecond);
        const int* v = cache.get(1);
        QCOMPARE(v != nullptr, hit);
        if (hit)
            QCOMPARE(*v, 11);
        QCOMPARE(cache.stats().hits, std::uint64_t{hit ? 1u : 0u});
        QCOMPARE(cache.stats().misses, std::uint64_t{hit ? 0u : 1u});
        QCOMPARE(cache.stats().expired, std::uint64_t{hit ? 0u : 1u});
        QCOMPARE(cache.size(), std::size_t{hit ? 1u : 0u}); // an expired entry is dropped when looked up
    }

    void perPutTtlAndRefresh()
    {
        sim::ManualClock clock;
        LocalCache<int, int> cache(clock, LocalCacheConfig{8, sim::kSecond});
        cache.put(1, 1, 100 * sim::kMillisecond);
        cache.put(2, 2);
        clock.advance(200 * sim::kMillisecond);
        QVERIFY(cache.get(1) == nullptr);
        QVERIFY(cache.get(2) != nullptr);
        clock.advance(700 * sim::kMillisecond); // 900 ms
        cache.put(2, 20);                       // refresh: value and expiry
        clock.advance(500 * sim::kMillisecond); // 1.4 s: past the first expiry
        QCOMPARE(*cache.get(2), 20);
        QVERIFY(cache.peek(2) != nullptr);
        clock.advance(500 * sim::kMillisecond); // 1.9 s: past the refreshed one
        QVERIFY(cache.peek(2) == nullptr);
        QCOMPARE(cache.stats().puts, std::uint64_t{3});
        QCOMPARE(cache.stats().evictions, std::uint64_t{0});
    }

    void lruEviction()
    {
        sim::ManualClock clock;
        LocalCache<std::string, int> cache(clock, LocalCacheConfig{3, sim::kMinute});
        cache.put("a", 1);
        cache.put("b", 2);
        cache.put("c", 3);
        QVERIFY(cache.get("a") != nullptr); // a is now most recent: b is the LRU
        cache.put("d", 4);
        QCOMPARE(cache.size(), std::size_t{3});
        QVERIFY(cache.peek("b") == nullptr);
        QCOMPARE(cache.keysByRecency(), (std::vector<std::string>{"d", "a", "c"}));
        QCOMPARE(cache.stats().evictions, std::uint64_t{1});
        // peek does not refresh: c stays the LRU and goes next.
        QVERIFY(cache.peek("c") != nullptr);
        cache.put("e", 5);
        QVERIFY(cache.peek("c") == nullptr);
        QCOMPARE(cache.keysByRecency(), (std::vector<std::string>{"e", "d", "a"}));
    }

    void expiredVictimCountsAsExpiry()
    {
        sim::ManualClock clock;
        LocalCache<int, int> cache(clock, LocalCacheConfig{2, sim::kSecond});
        cache.put(1, 1, 10 * sim::kMillisecond);
        cache.put(2, 2);
        clock.advance(20 * sim::kMillisecond);
        cache.put(3, 3); // LRU is 1, already expired
        QCOMPARE(cache.stats().expired, std::uint64_t{1});
        QCOMPARE(cache.stats().evictions, std::uint64_t{0});
        QVERIFY(cache.peek(2) && cache.peek(3));
    }

    void purgeEraseClear()
    {
        sim::ManualClock clock;
        LocalCache<int, int> cache(clock, LocalCacheConfig{100, sim::kSecond});
        for (int i = 0; i < 100; ++i)
            cache.put(i, i, (i % 2 == 0 ? 1 : 3) * sim::kSecond);
        clock.advance(2 * sim::kSecond);
        QCOMPARE(cache.purgeExpired(), std::size_t{50});
        QCOMPARE(cache.size(), std::size_t{50});
        QVERIFY(cache.erase(1));
        QVERIFY(!cache.erase(1));
        QVERIFY(!cache.erase(2)); // purged
        cache.clear();
        QCOMPARE(cache.size(), std::size_t{0});
        // The pool is whole again: a full refill evicts nothing.
        for (int i = 0; i < 100; ++i)
            cache.put(1000 + i, i);
        QCOMPARE(cache.size(), std::size_t{100});
        QCOMPARE(cache.stats().evictions, std::uint64_t{0});
        QCOMPARE(*cache.get(1099), 99);
    }

    // Random operations against a straightforward model (list + map).
    void matchesReferenceModel()
    {
        sim::ManualClock clock;
        constexpr std::size_t kCapacity = 16;
        LocalCache<int, int> cache(clock, LocalCacheConfig{kCapacity, 50 * sim::kMillisecond});
        struct ModelEntry {
            int value;
            sim::Nanos expiresAt;
        };
        std::list<int> order; // most recent first
        std::map<int, ModelEntry> model;
        auto touch = [&](int key) {
            order.remove(key);
            order.push_front(key);
        };
        auto drop = [&](int key) {
            order.remove(key);
            model.erase(key);
        };
        sim::RandomStream rng(3);
        for (int step = 0; step < 20'000; ++step) {
            clock.advance(static_cast<sim::Nanos>(rng.uniformInt(5 * sim::kMillisecond)));
            const int key = static_cast<int>(rng.uniformInt(40));
            const auto op = rng.uniformInt(10);
            if (op < 5) {
                const int* got = cache.get(key);
                const auto it = model.find(key);
                const bool live = it != model.end() && it->second.expiresAt > clock.now();
                QCOMPARE(got != nullptr, live);
                if (live) {
                    QCOMPARE(*got, it->second.value);
                    touch(key);
                } else if (it != model.end()) {
                    drop(key);
                }
            } else if (op < 9) {
                const int value = step;
                const sim::Nanos ttl = static_cast<sim::Nanos>(1 + rng.uniformInt(100)) * sim::kMillisecond;
                cache.put(key, value, ttl);
                if (!model.count(key) && model.size() == kCapacity)
                    drop(order.back());
                model[key] = ModelEntry{value, clock.now() + ttl};
                touch(key);
            } else {
                QCOMPARE(cache.erase(key), model.count(key) == 1);
                if (model.count(key))
                    drop(key);
            }
            QCOMPARE(cache.size(), model.size());
        }
        std::vector<int> expected(order.begin(), order.end());
        QCOMPARE(cache.keysByRecency(), expected);
    }

    // The hot-key path the issue describes: requests go to a slow store through
    // singleflight; keys the detector reports hot are kept in the local cache, which
    // then serves them. The store sees far fewer requests for hot keys.
    void servesHotKeys()
    {
        struct Front {
            sim::Scheduler scheduler;
            resilience::HotKeyDetector detector{scheduler, [] {
                                                    resilience::HotKeyConfig c;
                                                    c.hotShare = 0.02;
                                                    c.halfLife = sim::kSecond;
                                                    return c;
                                                }()};
            LocalCache<std::uint64_t, std::uint64_t> cache{scheduler, LocalCacheConfig{64, 200 * sim::kMillisecond}};
            resilience::Singleflight<std::uint64_t, std::uint64_t> flight;
            std::uint64_t storeReads = 0;
            std::uint64_t storeReadsForTop = 0;
            std::uint64_t requestsForTop = 0;
            std::uint64_t answered = 0;

            void request(std::uint64_t key)
            {
                detector.observe(key);
                if (key <= 3)
                    ++requestsForTop;
                if (cache.get(key)) {
                    ++answered;
                    return;
                }
                flight.call(
                    key,
                    [this, key](resilience::Singleflight<std::uint64_t, std::uint64_t>::Completion done) {
                        ++storeReads;
                        if (key <= 3)
                            ++storeReadsForTop;
                        scheduler.scheduleAfter(2 * sim::kMillisecond, 0, 0, [done, key] { done(key * 10); });
                    },
                    [this, key](const std::uint64_t&, bool) {
                        ++answered;
                        if (detector.isHot(key))
                            cache.put(key, key * 10);
                    });
            }
        } front;
        sim::ZipfDistribution zipf(100'000, 1.1);
        sim::RandomStream rng(21);
        constexpr int kRequests = 200'000; // 10 s at 20 k/s
        for (int i = 0; i < kRequests; ++i) {
            const std::uint64_t key = zipf(rng);
            front.scheduler.scheduleAt(static_cast<sim::Nanos>(i) * 50 * sim::kMicrosecond, 0, 0,
                                       [&front, key] { front.request(key); });
        }
        front.scheduler.runUntil(11 * sim::kSecond);
        QCOMPARE(front.answered, static_cast<std::uint64_t>(kRequests));
        // The three heaviest ranks (≈ 20 % of traffic) are hot; with a 200 ms TTL and
        // singleflight on refills, the store sees about one read per key per TTL.
        QVERIFY(front.detector.isHot(1) && front.detector.isHot(2) && front.detector.isHot(3));
        qInfo("top-3 requests %llu, store reads for them %llu; cache hit ratio %.3f",
              static_cast<unsigned long long>(front.requestsForTop),
              static_cast<unsigned long long>(front.storeReadsForTop), front.cache.stats().hitRatio());
        QVERIFY(front.storeReadsForTop < front.requestsForTop / 100);
        QVERIFY(front.storeReadsForTop >= 3 * 40); // refreshed about every 200 ms over ~10 s
        QVERIFY(front.cache.size() <= front.cache.capacity());
        QVERIFY(front.cache.stats().expired > 0);
    }
};

LIVEDECK_TEST_CLASS(TstLocalCache)
#include "tst_local_cache.moc"

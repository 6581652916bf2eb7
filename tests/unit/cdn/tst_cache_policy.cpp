#include "backend/cdn/cache_policy.h"
#include "backend/cdn/key_index.h"
#include "backend/cdn/lru_cache.h"
#include "backend/cdn/s3fifo_cache.h"
#include "backend/cdn/sieve_cache.h"
#include "backend/sim/random.h"
#include "tests/common/multi_test.h"

#include <map>

using namespace livedeck;
using namespace livedeck::cdn;
using namespace livedeck::sim;

Q_DECLARE_METATYPE(livedeck::cdn::CachePolicyKind)

namespace {

// Miss ratio of a policy on a Zipf trace (same seed → the same trace for every policy).
double zipfMissRatio(CachePolicyKind kind, std::uint64_t objects, double exponent, std::uint64_t cacheObjects,
                     int requests, std::uint64_t seed)
{
    auto cache = makeCachePolicy(kind, cacheObjects * kSliceBytes);
    ZipfDistribution zipf(objects, exponent);
    RandomStream rng(seed);
    int misses = 0;
    for (int i = 0; i < requests; ++i)
        misses += cache->access(zipf(rng), kSliceBytes) ? 0 : 1;
    return static_cast<double>(misses) / requests;
}

} // namespace

class TstCachePolicy : public QObject {
    Q_OBJECT
private slots:
    void bytesNeverExceedCapacity_data()
    {
        QTest::addColumn<CachePolicyKind>("kind");
        QTest::newRow("lru") << CachePolicyKind::Lru;
        QTest::newRow("sieve") << CachePolicyKind::Sieve;
        QTest::newRow("s3-fifo") << CachePolicyKind::S3Fifo;
    }
    void bytesNeverExceedCapacity()
    {
        QFETCH(CachePolicyKind, kind);
        auto cache = makeCachePolicy(kind, 10'000'000);
        QCOMPARE(cache->kind(), kind);
        RandomStream rng(3);
        ZipfDistribution zipf(20'000, 0.8);
        std::map<CacheKey, std::uint64_t> mirror; // what the cache should hold
        std::vector<CacheKey> evicted;
        for (int i = 0; i < 100'000; ++i) {
            const CacheKey k = zipf(rng);
            const std::uint64_t size = 1'000 + (k * 7919) % 200'000; // a stable size per key
            evicted.clear();
            const bool hit = cache->lookup(k);
            QCOMPARE(hit, mirror.count(k) == 1);
            if (!hit && cache->insert(k, size, &evicted))
                mirror[k] = size;
            for (CacheKey e : evicted) {
                QVERIFY(mirror.erase(e) == 1);
                QVERIFY(!cache->contains(e));
            }
            QVERIFY(cache->usedBytes() <= cache->capacityBytes());
        }
        std::uint64_t bytes = 0;
        for (const auto& [k, s] : mirror)
            bytes += s;
        QCOMPARE(cache->usedBytes(), bytes);
        QCOMPARE(cache->objects(), static_cast<std::uint64_t>(mirror.size()));
        QVERIFY(cache->evictions() > 0);
        QVERIFY(!cache->insert(999'999'999, 20'000'000, nullptr)); // larger than the cache
        const CacheKey some = mirror.begin()->first;
        QVERIFY(cache->erase(some));
        QVERIFY(!cache->contains(some));
    }

    void lruEvictsLeastRecentlyUsed()
    {
        LruCache c(3);
        for (CacheKey k : {1, 2, 3})
            QVERIFY(c.insert(k, 1, nullptr));
        QVERIFY(c.lookup(1));
        std::vector<CacheKey> ev;
        QVERIFY(c.insert(4, 1, &ev));
        QCOMPARE(ev, std::vector<CacheKey>{2});
        QCOMPARE(c.order(), (std::vector<CacheKey>{4, 1, 3}));
    }

    void sieveHandSkipsVisitedAndStays()
    {
        SieveCache c(3);
        for (CacheKey k : {1, 2, 3})
            QVERIFY(c.insert(k, 1, nullptr));
        QVERIFY(c.lookup(1)); // visited
        std::vector<CacheKey> ev;
        QVERIFY(c.insert(4, 1, &ev)); // hand: 1 visited → cleared, 2 evicted
        QCOMPARE(ev, std::vector<CacheKey>{2});
        QVERIFY(c.contains(1));
        ev.clear();
        QVERIFY(c.insert(5, 1, &ev)); // the hand stayed past 2: next is 3 (not 1 again)
        QCOMPARE(ev, std::vector<CacheKey>{3});
        ev.clear();
        QVERIFY(c.insert(6, 1, &ev)); // then 4 (newer than 3); 1 was cleared but passed over
        QCOMPARE(ev, std::vector<CacheKey>{4});
    }

    void s3fifoDemotesOneHitWondersQuickly()
    {
        // A hot set that keeps being read, and a scan of keys read once.
        S3FifoCache s3(100);
        LruCache lru(100);
        for (int round = 0; round < 200; ++round) {
            for (CacheKey hot = 1; hot <= 50; ++hot) {
                s3.access(hot, 1);
                lru.access(hot, 1);
            }
            for (int j = 0; j < 120; ++j) {
                const CacheKey scan = 1'000'000 + static_cast<CacheKey>(round) * 1'000 + j;
                s3.access(scan, 1);
                lru.access(scan, 1);
            }
        }
        int s3Hot = 0, lruHot = 0;
        for (CacheKey hot = 1; hot <= 50; ++hot) {
            s3Hot += s3.contains(hot);
            lruHot += lru.contains(hot);
        }
        QCOMPARE(s3Hot, 50);  // the scan passed through the small queue
        QCOMPARE(lruHot, 0);  // the scan flushed LRU
        QVERIFY(s3.mainBytes() >= 50); // the hot set lives in the main queue
    }

    void s3fifoGhostHitGoesToMain()
    {
        S3FifoCache c(10);
        QVERIFY(c.insert(1, 1, nullptr));
        for (CacheKey k = 2; k <= 12; ++k)
            c.access(k, 1);
        QVERIFY(!c.contains(1));
        QVERIFY(c.inGhost(1));
        QVERIFY(c.insert(1, 1, nullptr));
        QCOMPARE(c.ghostHits(), std::uint64_t{1});
        QVERIFY(!c.inGhost(1));
        QVERIFY(c.mainBytes() >= 1);
    }

    void modernPoliciesMissLessThanLruOnZipf_data()
    {
        QTest::addColumn<double>("cacheShare");
        QTest::newRow("1 %") << 0.01;
        QTest::newRow("10 %") << 0.10;
    }
    void modernPoliciesMissLessThanLruOnZipf()
    {
        QFETCH(double, cacheShare);
        const std::uint64_t objects = 100'000;
        const auto cacheObjects = static_cast<std::uint64_t>(cacheShare * objects);
        const double lru = zipfMissRatio(CachePolicyKind::Lru, objects, 0.9, cacheObjects, 1'000'000, 42);
        const double sieve = zipfMissRatio(CachePolicyKind::Sieve, objects, 0.9, cacheObjects, 1'000'000, 42);
        const double s3 = zipfMissRatio(CachePolicyKind::S3Fifo, objects, 0.9, cacheObjects, 1'000'000, 42);
        qInfo("Zipf-0.9, %llu objects, cache %.0f %%: miss ratio LRU %.4f, SIEVE %.4f, S3-FIFO %.4f",
              static_cast<unsigned long long>(objects), cacheShare * 100, lru, sieve, s3);
        QVERIFY(sieve < lru);
        QVERIFY(s3 < lru);
    }

    void keyIndexAgreesWithAMap()
    {
        KeyIndex index;
        std::map<std::uint64_t, std::uint32_t> mirror;
        RandomStream rng(17);
        for (int step = 0; step < 300'000; ++step) {
            // Keys from a small range so inserts, hits and erases all happen, plus a
            // stride that collides in the low bits.
            const std::uint64_t key = rng.uniformInt(5'000) * (step % 3 == 0 ? 1 : 1ull << 32);
            const int op = static_cast<int>(rng.uniformInt(3));
            auto it = mirror.find(key);
            QCOMPARE(index.find(key), it == mirror.end() ? KeyIndex::kNone : it->second);
            if (op == 0 && it == mirror.end()) {
                const auto value = static_cast<std::uint32_t>(step);
                index.insert(key, value);
                mirror[key] = value;
            } else if (op == 1) {
                QCOMPARE(index.erase(key), it != mirror.end());
                if (it != mirror.end())
                    mirror.erase(it);
            }
            QCOMPARE(index.size(), mirror.size());
        }
        for (const auto& [k, v] : mirror)
            QCOMPARE(index.find(k), v);
    }

    void parsesNames()
    {
        CachePolicyKind k = CachePolicyKind::Lru;
        QVERIFY(parseCachePolicy("s3-fifo", k));
        QCOMPARE(k, CachePolicyKind::S3Fifo);
        QVERIFY(parseCachePolicy("sieve", k));
        QCOMPARE(k, CachePolicyKind::Sieve);
        QVERIFY(!parseCachePolicy("arc", k));
    }
};

LIVEDECK_TEST_CLASS(TstCachePolicy)
#include "tst_cache_policy.moc"

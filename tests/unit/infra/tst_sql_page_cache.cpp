// The SQL shards' buffer-pool model: a bounded SQLite page cache (memdb VFS) whose
// misses SQLite counts and the cost model charges — a working set larger than the
// cache reads pages and is slower than one that fits, the default unbounded cache
// never misses, slow-disk faults multiply the cost, the same seed gives the same
// misses, and replicas stay separate databases that replicate and re-provision.
#include "tests/common/multi_test.h"
#include "tests/unit/infra/tst_sql_support.h"

#include <QTest>

#include <numeric>

using namespace livedeck;
using namespace livedeck::infra;
using namespace livedeck::infra::test;

namespace {

constexpr std::int64_t kRows = 20'000;

SqlClusterConfig cacheConfig(std::int64_t pages, std::vector<std::string> placement = {"sh-a1"})
{
    SqlClusterConfig c = ordersConfig(1, std::move(placement));
    c.pageCache.pages = pages;
    c.pageCache.pageSizeBytes = pages > 0 ? 1024 : 0;
    return c;
}

// Loads kRows orders straight into one instance's database (test set-up, no virtual time).
void loadOrders(SqlInstance& inst)
{
    SqlBatch b;
    b.reserve(static_cast<std::size_t>(kRows), static_cast<std::size_t>(kRows) * 3);
    for (std::int64_t i = 0; i < kRows; ++i)
        b.add(kInsertOrder, {i, i % 977, i * 3});
    SqlStats stats;
    SqlConnection::WriteOutcome out;
    if (!inst.connection().runBatch(b, stats, out).ok() || out.changes == 0)
        qFatal("loading orders failed");
}

struct Run {
    std::vector<std::uint64_t> misses; // per query
    std::vector<sim::Nanos> latencies;
    double meanLatencyNs = 0.0;
    std::uint64_t totalMisses = 0;
    std::uint64_t trace = 0;
};

// `queries` point reads by primary key, one every 10 ms (no queueing), over the first
// `workingSet` order ids in a scattered order.
Run pointReads(SqlClusterConfig config, std::int64_t workingSet, int queries, std::uint64_t seed = 1,
               double slowDisk = 1.0)
{
    SqlFixture f(std::move(config), seed);
    loadOrders(f.cluster->shard(0).primary());
    if (slowDisk > 1.0) {
        v1::FaultSpec slow;
        slow.set_kind(v1::FAULT_SLOW_DISK);
        slow.set_target("sh-a/gifts/order-db/0");
        auto* p = slow.add_params();
        p->set_name("multiply");
        p->set_value(slowDisk);
        if (!f.world.faults().inject(slow).ok())
            qFatal("cannot inject slow disk");
        f.world.scheduler().runUntil(f.world.now());
    }
    Run run;
    for (int q = 0; q < queries; ++q) {
        const std::int64_t id = (static_cast<std::int64_t>(q) * 7'919) % workingSet;
        SqlResult r = f.read(0, Consistency::Strong, "SELECT amount FROM orders WHERE order_id = ?", {id});
        if (!r.ok() || r.rowCount() != 1 || sqlInt(r.at(0, 0)) != id * 3)
            qFatal("point read of %lld failed", static_cast<long long>(id));
        run.misses.push_back(r.stats.pageMisses);
        run.latencies.push_back(r.latency);
        f.runFor(10 * sim::kMillisecond);
    }
    run.totalMisses = std::accumulate(run.misses.begin(), run.misses.end(), std::uint64_t{0});
    run.meanLatencyNs = static_cast<double>(std::accumulate(run.latencies.begin(), run.latencies.end(), sim::Nanos{0}))
        / static_cast<double>(queries);
    run.trace = f.world.traceHash();
    return run;
}

} // namespace

class TstSqlPageCache : public QObject {
    Q_OBJECT

private slots:
    void workingSetLargerThanCacheMissesAndIsSlower()
    {
        // 20 000 rows of ~12 bytes on 1 KiB pages: ~300 leaf pages; the cache holds 64.
        const Run cold = pointReads(cacheConfig(64), kRows, 400);
        const Run warm = pointReads(cacheConfig(64), 100, 400);
        // Almost every scattered lookup over the whole table reads its leaf page.
        QVERIFY2(cold.totalMisses >= 300, qPrintable(QString::number(cold.totalMisses)));
        // A working set of 100 rows sits in a few pages: misses only while warming.
        QVERIFY2(warm.totalMisses <= 10, qPrintable(QString::number(warm.totalMisses)));
        QCOMPARE(std::accumulate(warm.misses.begin() + 50, warm.misses.end(), std::uint64_t{0}), std::uint64_t{0});
        // Each miss costs a page read (150 µs): the cold run is several times slower.
        QVERIFY2(cold.meanLatencyNs > 2.0 * warm.meanLatencyNs,
                 qPrintable(QStringLiteral("cold %1 ns, warm %2 ns").arg(cold.meanLatencyNs).arg(warm.meanLatencyNs)));
    }

    void cacheThatHoldsTheTableStopsMissing()
    {
        // The same scattered reads with a cache larger than the table (the load left
        // every page cached) never read a page; with 64 pages they keep missing.
        const Run big = pointReads(cacheConfig(4'096), kRows, 400);
        const Run small = pointReads(cacheConfig(64), kRows, 400);
        QCOMPARE(big.totalMisses, std::uint64_t{0});
        QVERIFY(small.totalMisses > 300);
        QVERIFY(small.meanLatencyNs > 2.0 * big.meanLatencyNs);
    }

    void defaultUnboundedCacheNeverMisses()
    {
        SqlClusterConfig c = ordersConfig(1, {"sh-a1"});
        QCOMPARE(c.pageCache.pages, std::int64_t{0});
        const Run run = pointReads(c, kRows, 200);
        QCOMPARE(run.totalMisses, std::uint64_t{0});
        SqlFixture f(ordersConfig(1, {"sh-a1"}));
        QVERIFY(!f.cluster->shard(0).primary().connection().countsPages());
        QCOMPARE(f.cluster->shard(0).primary().connection().location(), std::string(":memory:"));
        // The same reads with a bounded cache cost more: misses are what differ.
        const Run bounded = pointReads(cacheConfig(64), kRows, 200);
        QVERIFY(bounded.meanLatencyNs > run.meanLatencyNs);
    }

    void sameSeedSameMisses()
    {
        const Run a = pointReads(cacheConfig(64), kRows, 300, 7);
        const Run b = pointReads(cacheConfig(64), kRows, 300, 7);
        QCOMPARE(a.misses, b.misses);
        QCOMPARE(a.latencies, b.latencies);
        QCOMPARE(a.trace, b.trace);
        const Run c = pointReads(cacheConfig(64), kRows, 300, 8);
        QCOMPARE(a.misses, c.misses); // misses depend on the statements, not on the noise
        QVERIFY(a.latencies != c.latencies);
    }

    void slowDiskMultipliesPageReads()
    {
        SqlClusterConfig c = cacheConfig(64);
        c.service.noiseSigma = 0.0;
        const Run normal = pointReads(c, kRows, 200);
        const Run slow = pointReads(c, kRows, 200, 1, 10.0);
        QCOMPARE(slow.misses, normal.misses);
        QVERIFY2(slow.meanLatencyNs > 5.0 * normal.meanLatencyNs,
                 qPrintable(QStringLiteral("slow %1 ns, normal %2 ns").arg(slow.meanLatencyNs).arg(normal.meanLatencyNs)));
    }

    void missesAreChargedAtThePageReadCost()
    {
        SqlClusterConfig c = cacheConfig(64);
        c.service.noiseSigma = 0.0;
        c.cost.pageReadNs = 0;
        const Run free = pointReads(c, kRows, 200);
        c.cost.pageReadNs = 1 * sim::kMillisecond;
        const Run costly = pointReads(c, kRows, 200);
        QCOMPARE(costly.misses, free.misses);
        // Without noise the difference is exactly misses × the page-read cost.
        const double extra = costly.meanLatencyNs - free.meanLatencyNs;
        const double expected = static_cast<double>(free.totalMisses) * 1e6 / 200.0;
        QVERIFY2(std::abs(extra - expected) < 1e3, qPrintable(QStringLiteral("%1 vs %2").arg(extra).arg(expected)));
    }

    void writesMissToo()
    {
        // Index maintenance on a table larger than the cache reads index pages: the
        // inserts of scattered keys miss, and a second secondary index misses more.
        auto insertMisses = [](const char* extraIndexes) {
            SqlClusterConfig c = cacheConfig(32);
            c.schema.push_back(extraIndexes);
            SqlFixture f(c);
            loadOrders(f.cluster->shard(0).primary());
            std::uint64_t misses = 0;
            for (std::int64_t i = 0; i < 200; ++i) {
                const std::int64_t id = kRows + (i * 7'919) % 100'000;
                SqlResult r = f.insertOrder(0, id, (i * 104'729) % 1'000'003, (i * 15'485'863) % 999'983);
                if (!r.ok())
                    qFatal("insert failed");
                misses += r.stats.pageMisses;
            }
            return misses;
        };
        const std::uint64_t one = insertMisses("CREATE INDEX orders_uid ON orders(uid)");
        const std::uint64_t two =
            insertMisses("CREATE INDEX orders_uid ON orders(uid); CREATE INDEX orders_amount ON orders(amount)");
        QVERIFY(one > 0);
        QVERIFY2(two > one, qPrintable(QStringLiteral("%1 vs %2").arg(two).arg(one)));
    }

    void instancesAreSeparateDatabasesThatReplicate()
    {
        SqlFixture f(cacheConfig(64, {"sh-a1", "sh-b1"}));
        SqlShard& shard = f.cluster->shard(0);
        QVERIFY(shard.primary().connection().countsPages());
        for (std::int64_t i = 0; i < 50; ++i)
            QVERIFY(f.insertOrder(0, i, i, i).ok());
        f.runFor(1 * sim::kSecond);
        QCOMPARE(f.countOn(shard.instance(1)), std::int64_t{50});
        // A row written straight into the primary's database is not on the replica:
        // each instance has its own private memdb database.
        loadOrders(shard.primary());
        QCOMPARE(f.countOn(shard.primary()), std::int64_t{kRows});
        QCOMPARE(f.countOn(shard.instance(1)), std::int64_t{50});
        // Re-provisioning copies the whole database into the bounded one.
        QVERIFY(shard.instance(1).connection().copyFrom(shard.primary().connection()).ok());
        QCOMPARE(f.countOn(shard.instance(1)), std::int64_t{kRows});
        QCOMPARE(shard.instance(1).connection().rows("orders"), std::int64_t{kRows});
        // The inspector shows the buffer pool.
        sim::StateWriter w;
        shard.primary().inspect(w);
        bool sawRatio = false;
        for (const auto& [key, value] : w.entries())
            sawRatio = sawRatio || key == "page_hit_ratio";
        QVERIFY(sawRatio);
    }

    void badPageCacheRefused_data()
    {
        QTest::addColumn<qint64>("pages");
        QTest::addColumn<int>("pageSize");
        QTest::addColumn<QString>("message");
        QTest::newRow("negative pages") << qint64(-5) << 0 << QStringLiteral("page cache of -5 pages");
        QTest::newRow("page size not a power of two") << qint64(64) << 1000 << QStringLiteral("page size of 1000 bytes");
        QTest::newRow("page size too large") << qint64(64) << 131072 << QStringLiteral("page size of 131072 bytes");
    }
    void badPageCacheRefused()
    {
        QFETCH(qint64, pages);
        QFETCH(int, pageSize);
        QFETCH(QString, message);
        sim::World world;
        SqlClusterConfig c = ordersConfig(1, {"sh-a1"});
        c.pageCache.pages = pages;
        c.pageCache.pageSizeBytes = pageSize;
        auto cluster = SqlCluster::create(world, c);
        QVERIFY(!cluster.ok());
        QCOMPARE(cluster.status().code(), absl::StatusCode::kInvalidArgument);
        QVERIFY2(QString::fromStdString(std::string(cluster.status().message())).contains(message),
                 std::string(cluster.status().message()).c_str());
    }
};

LIVEDECK_TEST_CLASS(TstSqlPageCache)
#include "tst_sql_page_cache.moc"

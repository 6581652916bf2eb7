// SqlCluster end to end on virtual time: idempotent writes, cost from SQLite's
// counters and the slow-query log, overload through the ServiceQueue, weak vs strong
// reads under replication lag, the shard heatmap and determinism.
#include "tests/common/multi_test.h"
#include "tests/unit/infra/tst_sql_support.h"

#include <sqlite3.h>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace livedeck;
using namespace livedeck::infra;
using namespace livedeck::infra::test;

namespace {

// Loads `rows` rows into `big` straight into SQLite (test setup, no virtual time).
void loadBigTable(SqlInstance& inst, std::int64_t rows)
{
    auto& c = inst.connection();
    if (!c.exec("CREATE TABLE big (id INTEGER PRIMARY KEY, uid INTEGER NOT NULL, amount INTEGER NOT NULL)").ok())
        qFatal("create big failed");
    SqlBatch b;
    b.reserve(static_cast<std::size_t>(rows), static_cast<std::size_t>(rows) * 3);
    for (std::int64_t i = 0; i < rows; ++i)
        b.add("INSERT INTO big VALUES (?, ?, ?)", {i, (i * 7919) % rows, i % 1000});
    SqlStats stats;
    SqlConnection::WriteOutcome out;
    if (!c.runBatch(b, stats, out).ok())
        qFatal("load big failed");
}

struct Script {
    std::vector<std::int64_t> latencies;
    std::vector<std::uint64_t> positions;
    std::uint64_t trace = 0;
    std::uint64_t digest = 0;
};

// A small scripted run: writes and reads from two regions, a latency fault.
Script runScript(std::uint64_t seed)
{
    SqlFixture f(ordersConfig(2), seed);
    const sim::ComponentId clientA = f.world.components().mustAdd("sh-a/gifts/client", "test");
    const sim::ComponentId clientB = f.world.components().mustAdd("sh-b/gifts/client", "test");
    Script s;
    auto record = [&s](SqlResult& r) {
        s.latencies.push_back(r.ok() ? r.latency : -1);
        s.positions.push_back(r.position);
    };
    for (int i = 0; i < 40; ++i) {
        const std::uint32_t shard = static_cast<std::uint32_t>(i % 2);
        auto b = std::make_shared<SqlBatch>();
        b->add(kInsertOrder, {std::int64_t{i}, std::int64_t{i % 2}, std::int64_t{i * 10}}, i);
        f.cluster->write(shard, b, SqlCall{i % 3 ? clientA : clientB, 5.0, 0}, record);
        f.cluster->read(shard, i % 2 ? Consistency::Weak : Consistency::Strong,
                        SqlQuery{"SELECT COUNT(*) FROM orders WHERE uid = ?", {std::int64_t{i % 2}}},
                        SqlCall{clientB, 1.0, 0}, record);
        if (i == 20)
            f.inject(v1::FAULT_LATENCY, "sh-a/gifts/order-db/1", {}, 3.0);
        f.runFor(2 * sim::kMillisecond);
    }
    f.runFor(1 * sim::kSecond);
    s.trace = f.world.traceHash();
    s.digest = f.world.stateDigest();
    return s;
}

} // namespace

class TstSqlCluster : public QObject {
    Q_OBJECT

private slots:
    void createValidatesConfiguration_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<int>("code");
        QTest::newRow("unknown data centre") << 0 << int(absl::StatusCode::kInvalidArgument);
        QTest::newRow("bad schema") << 1 << int(absl::StatusCode::kInvalidArgument);
        QTest::newRow("partition DDL without {table}") << 2 << int(absl::StatusCode::kInvalidArgument);
        QTest::newRow("no shards") << 3 << int(absl::StatusCode::kInvalidArgument);
        QTest::newRow("duplicate name") << 4 << int(absl::StatusCode::kAlreadyExists);
    }
    void createValidatesConfiguration()
    {
        QFETCH(int, which);
        QFETCH(int, code);
        sim::World world;
        SqlClusterConfig c = ordersConfig();
        switch (which) {
        case 0: c.placement = {"sh-a1", "mars1"}; break;
        case 1: c.schema = {"CREATE TABLE broken ("}; break;
        case 2: c.partitions = {{"orders_m", "CREATE TABLE x (a INTEGER)"}}; break;
        case 3: c.shards = 0; break;
        case 4: QVERIFY(SqlCluster::create(world, ordersConfig()).ok()); break;
        }
        const std::size_t before = world.components().size();
        auto cluster = SqlCluster::create(world, c);
        QVERIFY(!cluster.ok());
        QCOMPARE(int(cluster.status().code()), code);
        QCOMPARE(world.components().size(), before); // nothing registered on failure
    }

    void componentsAreNamedByPlace()
    {
        SqlFixture f(ordersConfig(2, {"sh-a1", "sh-b1", "sh-b1", "gz1"}));
        const auto& comps = f.world.components();
        for (const char* path : {"gifts/order-db", "gifts/order-db/0", "gifts/order-db/1", "sh-a/gifts/order-db/0",
                                 "sh-b/gifts/order-db/0", "sh-b/gifts/order-db/0.1", "gz/gifts/order-db/1"}) {
            QVERIFY2(comps.find(path), path);
        }
        QCOMPARE(comps.find("sh-a/gifts/order-db/1")->kind, std::string("sql-instance"));
        QCOMPARE(f.cluster->shard(1).primary().path(), std::string("sh-a/gifts/order-db/1"));
        QCOMPARE(comps.find("gz/gifts/order-db/1")->region, f.world.topology().regionIndex("gz"));
        // Inspector state is there for instances and shards.
        sim::StateWriter w;
        comps.find("sh-b/gifts/order-db/0")->inspectable->inspect(w);
        QCOMPARE(w.entries().front().second, std::string("replica"));
    }

    void idempotentWritesThroughTheCluster()
    {
        SqlFixture f(ordersConfig());
        SqlResult first = f.insertOrder(0, 42, 7, 100);
        QVERIFY(first.ok());
        QCOMPARE(first.changes, std::int64_t{1});
        QCOMPARE(first.position, std::uint64_t{1});
        SqlResult again = f.insertOrder(0, 42, 7, 100);
        QVERIFY(again.ok());
        QCOMPARE(again.changes, std::int64_t{0});
        QCOMPARE(again.position, std::uint64_t{0}); // nothing changed, nothing logged
        QCOMPARE(f.cluster->shard(0).binlog().size(), std::size_t{1});

        auto plain = std::make_shared<SqlBatch>();
        plain->add("INSERT INTO orders (order_id, uid, amount) VALUES (?, ?, ?)",
                   {std::int64_t{42}, std::int64_t{7}, std::int64_t{100}});
        SqlResult dup = f.write(0, plain);
        QCOMPARE(dup.status.code(), absl::StatusCode::kAlreadyExists);

        // The replica got the one logged write.
        f.runFor(100 * sim::kMillisecond);
        QCOMPARE(f.countOn(f.cluster->shard(0).instance(1)), std::int64_t{1});
    }

    void missingIndexIsSlowAndLogged()
    {
        SqlClusterConfig c = ordersConfig(1, {"sh-a1"});
        SqlFixture f(c);
        SqlShard& shard = f.cluster->shard(0);
        loadBigTable(shard.primary(), 200'000);
        const std::string sql = "SELECT SUM(amount) FROM big WHERE uid = ?";

        SqlResult scan = f.read(0, Consistency::Strong, sql, {std::int64_t{4242}});
        QVERIFY(scan.ok());
        QVERIFY(scan.stats.fullScanSteps >= 199'999);
        QVERIFY2(scan.execution > f.cluster->slowLog().config().threshold,
                 qPrintable(QString::number(sim::toMillis(scan.execution))));
        QCOMPARE(f.cluster->slowLog().total(), std::uint64_t{1});
        QCOMPARE(f.cluster->slowLog().entries().back().sql, sql);
        QCOMPARE(f.world.events().count("alert.slow_sql"), std::uint64_t{1});
        const v1::Event& alert = f.world.events().recent().back();
        QCOMPARE(alert.kind(), std::string("alert.slow_sql"));
        QCOMPARE(alert.severity(), v1::SEVERITY_ALERT);
        QCOMPARE(alert.component(), std::string("sh-a/gifts/order-db/0"));
        QCOMPARE(alert.fields(0).value(), sql);

        // A second slow run within the alert interval is logged but not alerted again.
        SqlResult scan2 = f.read(0, Consistency::Strong, sql, {std::int64_t{77}});
        QVERIFY(scan2.ok());
        QCOMPARE(f.cluster->slowLog().total(), std::uint64_t{2});
        QCOMPARE(f.world.events().count("alert.slow_sql"), std::uint64_t{1});

        // The same query with a usable index: no scan, far cheaper, not logged.
        QVERIFY(shard.applyDdl("CREATE INDEX big_uid ON big(uid)").ok());
        SqlResult indexed = f.read(0, Consistency::Strong, sql, {std::int64_t{4242}});
        QVERIFY(indexed.ok());
        QCOMPARE(indexed.at(0, 0), scan.at(0, 0));
        QCOMPARE(indexed.stats.fullScanSteps, std::uint64_t{0});
        QVERIFY(indexed.execution * 100 < scan.execution);
        QVERIFY(indexed.stats.vmSteps * 100 < scan.stats.vmSteps);
        QCOMPARE(f.cluster->slowLog().total(), std::uint64_t{2});
    }

    void overloadRaisesLatencyThenRejects()
    {
        SqlClusterConfig c = ordersConfig(1, {"sh-a1"});
        c.service.concurrency = 4;
        c.service.maxQueue = 8;
        c.service.noiseSigma = 0.0;
        SqlFixture f(c);
        QVERIFY(f.insertOrder(0, 1, 1, 1).ok());
        std::vector<SqlResult> results(20);
        int done = 0;
        for (int i = 0; i < 20; ++i) {
            f.cluster->read(0, Consistency::Strong, SqlQuery{"SELECT amount FROM orders WHERE order_id = ?", {std::int64_t{1}}},
                            SqlCall{}, [&results, &done, i](SqlResult& r) {
                                results[static_cast<std::size_t>(i)] = std::move(r);
                                ++done;
                            });
        }
        f.runUntil([&] { return done == 20; });
        int rejected = 0;
        sim::Nanos previous = 0;
        for (int i = 0; i < 20; ++i) {
            const SqlResult& r = results[static_cast<std::size_t>(i)];
            if (i < 12) {
                QVERIFY2(r.ok(), qPrintable(QString::fromStdString(std::string(r.status.message()))));
                QVERIFY(r.latency >= previous); // waits grow with the queue
                previous = r.latency;
            } else {
                QCOMPARE(r.status.code(), absl::StatusCode::kResourceExhausted);
                ++rejected;
            }
        }
        QCOMPARE(rejected, 8);
        // Three waves of four: the last served waited two service times.
        QVERIFY(results[11].latency >= 3 * results[0].latency - 10);
        QCOMPARE(results[0].latency, results[0].execution);
        const auto* rejects = f.telemetry.metrics().findCounter("sql.rejected", "sh-a/gifts/order-db/0");
        QVERIFY(rejects);
        QCOMPARE(rejects->total(), 8.0);
    }

    void weakReadsSeeLagStrongReadsDoNot()
    {
        SqlClusterConfig c = ordersConfig(1, {"sh-a1", "sh-b1"});
        c.applyDelay = 50 * sim::kMillisecond;
        SqlFixture f(c);
        const sim::ComponentId clientB = f.world.components().mustAdd("sh-b/gifts/order-svc", "test");
        const SqlCall fromB{clientB, 1.0, 0};
        QVERIFY(f.insertOrder(0, 1, 7, 100, fromB).ok());

        SqlResult weak = f.read(0, Consistency::Weak, "SELECT COUNT(*) FROM orders", {}, fromB);
        QVERIFY(weak.ok());
        QCOMPARE(weak.servedBy, f.cluster->shard(0).instance(1).id()); // the local replica
        QCOMPARE(sqlInt(weak.at(0, 0)), std::int64_t{0});                // stale
        QCOMPARE(weak.position, std::uint64_t{0});

        SqlResult strong = f.read(0, Consistency::Strong, "SELECT COUNT(*) FROM orders", {}, fromB);
        QVERIFY(strong.ok());
        QCOMPARE(strong.servedBy, f.cluster->shard(0).primary().id());
        QCOMPARE(sqlInt(strong.at(0, 0)), std::int64_t{1});
        QVERIFY(strong.latency >= 2 * sim::kMillisecond); // the round trip to sh-a
        QVERIFY(weak.latency < strong.latency);

        f.runFor(60 * sim::kMillisecond);
        weak = f.read(0, Consistency::Weak, "SELECT COUNT(*) FROM orders", {}, fromB);
        QCOMPARE(sqlInt(weak.at(0, 0)), std::int64_t{1});
        QCOMPARE(weak.position, std::uint64_t{1});

        // A replica-lag fault adds to the delay.
        f.inject(v1::FAULT_REPLICA_LAG, "sh-b/gifts/order-db/0", {}, 500.0);
        QVERIFY(f.insertOrder(0, 2, 7, 100, fromB).ok());
        f.runFor(300 * sim::kMillisecond);
        weak = f.read(0, Consistency::Weak, "SELECT COUNT(*) FROM orders", {}, fromB);
        QCOMPARE(sqlInt(weak.at(0, 0)), std::int64_t{1});
        QVERIFY(f.cluster->shard(0).instance(1).applyLag() >= 300 * sim::kMillisecond);
        const auto* behind = f.telemetry.metrics().findGauge("sql.replication.behind", "sh-b/gifts/order-db/0");
        QVERIFY(behind);
        QCOMPARE(behind->value(), 1.0);
        f.runFor(300 * sim::kMillisecond);
        weak = f.read(0, Consistency::Weak, "SELECT COUNT(*) FROM orders", {}, fromB);
        QCOMPARE(sqlInt(weak.at(0, 0)), std::int64_t{2});
        QCOMPARE(behind->value(), 0.0);

        // Weak reads from a region without a replica go to the primary.
        const sim::ComponentId clientGz = f.world.components().mustAdd("gz/gifts/order-svc", "test");
        SqlResult far = f.read(0, Consistency::Weak, "SELECT COUNT(*) FROM orders", {}, SqlCall{clientGz, 1.0, 0});
        QCOMPARE(far.servedBy, f.cluster->shard(0).primary().id());
        QVERIFY(far.latency >= 60 * sim::kMillisecond);
    }

    void faultsReachInstances()
    {
        SqlClusterConfig c = ordersConfig(1, {"sh-a1"});
        c.service.noiseSigma = 0.0;
        SqlFixture f(c);
        const auto down = f.inject(v1::FAULT_DOWN, "sh-a/gifts/order-db/0");
        SqlResult r = f.insertOrder(0, 1, 1, 1);
        QCOMPARE(r.status.code(), absl::StatusCode::kUnavailable);
        f.clear(down);
        QVERIFY(f.insertOrder(0, 1, 1, 1).ok());

        SqlResult fast = f.read(0, Consistency::Strong, "SELECT * FROM orders");
        v1::FaultSpec slow;
        slow.set_kind(v1::FAULT_SLOW_DISK);
        slow.set_target("sh-a/gifts/order-db");
        auto* p = slow.add_params();
        p->set_name("multiply");
        p->set_value(50.0);
        QVERIFY(f.world.faults().inject(slow).ok());
        f.world.scheduler().runUntil(f.world.now());
        SqlResult slowed = f.read(0, Consistency::Strong, "SELECT * FROM orders");
        QVERIFY(slowed.execution > 10 * fast.execution);

        // An injected error fails the reply after the work: the write committed anyway
        // (an ambiguous commit the caller must re-check, as after a lost reply).
        v1::FaultSpec errors;
        errors.set_kind(v1::FAULT_ERROR_RATE);
        errors.set_target("sh-a/gifts/order-db/0");
        auto* rate = errors.add_params();
        rate->set_name("rate");
        rate->set_value(1.0);
        QVERIFY(f.world.faults().inject(errors).ok());
        f.world.scheduler().runUntil(f.world.now());
        SqlResult failed = f.insertOrder(0, 2, 1, 1);
        QCOMPARE(failed.status.code(), absl::StatusCode::kUnavailable);
        QCOMPARE(failed.position, std::uint64_t{2});
        QVERIFY(f.cluster->shard(0).binlog().find(2));
        QVERIFY(!f.cluster->shard(0).binlog().find(2)->acknowledged);
        QCOMPARE(f.countOn(f.cluster->shard(0).primary()), std::int64_t{2});
    }

    void filesOnRequest()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        SqlClusterConfig c = ordersConfig(1, {"sh-a1", "sh-b1"});
        c.storageDir = dir.path().toStdString();
        {
            SqlFixture f(c);
            QVERIFY(f.insertOrder(0, 1, 7, 100).ok());
            f.runFor(100 * sim::kMillisecond);
            QCOMPARE(f.countOn(f.cluster->shard(0).instance(1)), std::int64_t{1});
            QCOMPARE(f.cluster->shard(0).primary().connection().location(),
                     c.storageDir + "/sh-a_gifts_order-db_0.db");
        }
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("sh-a_gifts_order-db_0.db"))));
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("sh-b_gifts_order-db_0.db"))));
        // A run starts from empty databases: leftovers are refused.
        sim::World world;
        auto again = SqlCluster::create(world, c);
        QCOMPARE(again.status().code(), absl::StatusCode::kFailedPrecondition);
    }

    void shardLoadCountsWeightedStatements()
    {
        SqlFixture f(ordersConfig(2));
        // 100 reads of weight 10 on shard 1 during the first simulated second.
        int done = 0;
        for (int i = 0; i < 100; ++i) {
            f.cluster->read(1, Consistency::Strong, SqlQuery{"SELECT COUNT(*) FROM orders", {}}, SqlCall{sim::kNoComponent, 10.0, 0},
                            [&done](SqlResult&) { ++done; });
            f.runFor(5 * sim::kMillisecond);
        }
        f.runUntil([&] { return done == 100; });
        f.world.scheduler().runUntil(1500 * sim::kMillisecond);
        v1::Snapshot snapshot;
        f.cluster->contribute(snapshot);
        QCOMPARE(snapshot.shards_size(), 2);
        const v1::ShardLoad& l = snapshot.shards(1);
        QCOMPARE(l.shard(), 1u);
        QCOMPARE(l.qps(), 1000.0);
        QVERIFY(l.p99_ms() > 0.0);
        QCOMPARE(snapshot.shards(0).qps(), 0.0);
        // Two seconds later it has cooled down.
        f.world.scheduler().runUntil(3500 * sim::kMillisecond);
        v1::Snapshot later;
        f.cluster->contribute(later);
        QCOMPARE(later.shards(1).qps(), 0.0);
    }

    void sameSeedSameRun()
    {
        const Script a = runScript(7);
        const Script b = runScript(7);
        const Script c = runScript(8);
        QCOMPARE(a.latencies.size(), std::size_t{80});
        QCOMPARE(a.latencies, b.latencies);
        QCOMPARE(a.positions, b.positions);
        QCOMPARE(a.trace, b.trace);
        QCOMPARE(a.digest, b.digest);
        QVERIFY(a.latencies != c.latencies); // the noise is drawn from the seed
        QVERIFY(a.trace != c.trace);
    }
};

LIVEDECK_TEST_CLASS(TstSqlCluster)
#include "tst_sql_cluster.moc"

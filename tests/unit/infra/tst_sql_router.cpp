// ShardRouter and SqlCluster routing: uid % N, the legacy uid % 1000 / 100 scheme,
// month partitions on the world's calendar across New Year's Eve.
#include "tests/common/multi_test.h"
#include "tests/unit/infra/tst_sql_support.h"

#include <QTest>

#include <map>

using namespace livedeck;
using namespace livedeck::infra;
using namespace livedeck::infra::test;

class TstSqlRouter : public QObject {
    Q_OBJECT

private slots:
    void moduloRouting_data()
    {
        QTest::addColumn<quint32>("shards");
        QTest::addColumn<quint64>("uid");
        QTest::addColumn<quint32>("shard");
        QTest::newRow("10 shards, 0") << 10u << quint64(0) << 0u;
        QTest::newRow("10 shards, 123456789") << 10u << quint64(123456789) << 9u;
        QTest::newRow("10 shards, 20") << 10u << quint64(20) << 0u;
        QTest::newRow("7 shards, 100") << 7u << quint64(100) << 2u;
        QTest::newRow("1 shard") << 1u << quint64(987654321) << 0u;
    }
    void moduloRouting()
    {
        QFETCH(quint32, shards);
        QFETCH(quint64, uid);
        QFETCH(quint32, shard);
        const sim::Calendar calendar;
        const ShardRouter router(shards, ShardRouter::modulo(shards), calendar);
        QCOMPARE(router.shardOf(uid), shard);
        const ShardRouter byDefault(shards, {}, calendar);
        QCOMPARE(byDefault.shardOf(uid), shard);
    }

    void legacyMessagingScheme_data()
    {
        QTest::addColumn<quint64>("uid");
        QTest::addColumn<quint32>("shard");
        QTest::newRow("123456") << quint64(123456) << 4u;
        QTest::newRow("999") << quint64(999) << 9u;
        QTest::newRow("1000") << quint64(1000) << 0u;
        QTest::newRow("100") << quint64(100) << 1u;
        QTest::newRow("2099") << quint64(2099) << 0u;
    }
    void legacyMessagingScheme()
    {
        QFETCH(quint64, uid);
        QFETCH(quint32, shard);
        const sim::Calendar calendar;
        const ShardRouter router(10, ShardRouter::legacyMessaging(), calendar);
        QCOMPARE(router.shardOf(uid), shard);
    }

    void legacySchemeSkewsBlockAllocatedIds()
    {
        // Ids handed out in blocks of 100 (a common allocator pattern) all land on one
        // legacy shard per block, while uid % 10 spreads every block evenly.
        const sim::Calendar calendar;
        const ShardRouter legacy(10, ShardRouter::legacyMessaging(), calendar);
        const ShardRouter modulo(10, {}, calendar);
        std::map<std::uint32_t, int> legacyCount;
        std::map<std::uint32_t, int> moduloCount;
        for (std::uint64_t uid = 5'000'000; uid < 5'000'100; ++uid) {
            ++legacyCount[legacy.shardOf(uid)];
            ++moduloCount[modulo.shardOf(uid)];
        }
        QCOMPARE(legacyCount.size(), std::size_t{1});
        QCOMPARE(moduloCount.size(), std::size_t{10});
    }

    void partitionTableNames()
    {
        QCOMPARE(ShardRouter::tableName("orders", 202612), std::string("orders_202612"));
        QCOMPARE(ShardRouter::partitionOfTable("orders_202701", "orders"), 202701);
        QCOMPARE(ShardRouter::partitionOfTable("orders", "orders"), 0);
        QCOMPARE(ShardRouter::partitionOfTable("orders_2027x1", "orders"), 0);
        QCOMPARE(ShardRouter::partitionOfTable("refunds_202701", "orders"), 0);
    }

    void monthPartitionsAcrossNewYear()
    {
        // The default calendar starts 2026-12-31 23:50 (UTC+8): ten minutes to New Year.
        SqlFixture f(ordersConfig(4));
        auto first = f.cluster->route(1001, "orders_m");
        QVERIFY(first.ok());
        QCOMPARE(first->shard, 1u);
        QCOMPARE(first->partition, 202612);
        QCOMPARE(first->table, std::string("orders_m_202612"));

        f.runFor(9 * sim::kMinute + 59 * sim::kSecond); // 23:59:59
        auto stillDecember = f.cluster->route(1002, "orders_m");
        QVERIFY(stillDecember.ok());
        QCOMPARE(stillDecember->partition, 202612);

        f.runFor(2 * sim::kSecond); // 00:00:01 on 1 January 2027
        auto january = f.cluster->route(1003, "orders_m");
        QVERIFY(january.ok());
        QCOMPARE(january->shard, 3u);
        QCOMPARE(january->partition, 202701);
        QCOMPARE(january->table, std::string("orders_m_202701"));
        QCOMPARE(f.cluster->partitions(), (std::set<int>{202612, 202701}));
        QCOMPARE(f.world.events().count("sql.partition.created"), std::uint64_t{2});

        // Both month tables exist on every instance of every shard and take writes.
        for (std::uint32_t s = 0; s < f.cluster->shardCount(); ++s) {
            for (std::size_t i = 0; i < f.cluster->shard(s).instanceCount(); ++i) {
                SqlResult r;
                SqlStats stats;
                QVERIFY(f.cluster->shard(s).instance(i).connection().runQuery(
                    "SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('orders_m_202612', 'orders_m_202701')", {}, true,
                    r, stats).ok());
                QCOMPARE(sqlInt(r.at(0, 0)), std::int64_t{2});
            }
        }
        auto dec = std::make_shared<SqlBatch>();
        dec->add(sim::strCat("INSERT INTO ", first->table, " VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
                 {std::int64_t{1}, std::int64_t{1001}, std::int64_t{5}}, 1);
        auto jan = std::make_shared<SqlBatch>();
        jan->add(sim::strCat("INSERT INTO ", january->table, " VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
                 {std::int64_t{2}, std::int64_t{1001}, std::int64_t{5}}, 2);
        jan->add(sim::strCat("INSERT INTO ", january->table, " VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
                 {std::int64_t{3}, std::int64_t{1001}, std::int64_t{5}}, 3);
        QVERIFY(f.write(1, dec, SqlCall{sim::kNoComponent, 1.0, first->partition}).ok());
        QVERIFY(f.write(1, jan, SqlCall{sim::kNoComponent, 1.0, january->partition}).ok());

        // The heatmap sees rows per month partition of shard 1.
        v1::Snapshot snapshot;
        f.cluster->contribute(snapshot);
        std::map<std::string, std::uint64_t> rows;
        for (const v1::ShardLoad& l : snapshot.shards()) {
            QCOMPARE(l.cluster(), std::string("gifts/order-db"));
            QCOMPARE(l.region(), std::string("sh-a"));
            if (l.shard() == 1)
                rows[l.partition()] = l.rows();
        }
        QCOMPARE(rows["202612"], std::uint64_t{1});
        QCOMPARE(rows["202701"], std::uint64_t{2});
    }

    void unpartitionedFamilyRoutesToItsTable()
    {
        SqlFixture f(ordersConfig(10));
        auto r = f.cluster->route(123456789, "orders");
        QVERIFY(r.ok());
        QCOMPARE(r->shard, 9u);
        QCOMPARE(r->partition, 0);
        QCOMPARE(r->table, std::string("orders"));
        QVERIFY(f.cluster->partitions().empty());
    }
};

LIVEDECK_TEST_CLASS(TstSqlRouter)
#include "tst_sql_router.moc"

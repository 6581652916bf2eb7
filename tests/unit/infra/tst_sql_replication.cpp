// Replication, failover and binlog subscriptions of the SQL cluster: what async and
// semi-sync lose when the primary dies, semi-sync's timeout fallback, the old
// primary rejoining, and ordered binlog delivery with positions.
#include "tests/common/multi_test.h"
#include "tests/unit/infra/tst_sql_support.h"

#include <QTest>

#include <set>

using namespace livedeck;
using namespace livedeck::infra;
using namespace livedeck::infra::test;

namespace {

constexpr const char* kPrimary = "sh-a/gifts/order-db/0";
constexpr const char* kReplica = "sh-b/gifts/order-db/0";

bool hasOrder(SqlFixture& f, SqlInstance& inst, std::int64_t id)
{
    return f.countOn(inst, sim::strCat(" WHERE order_id = ", id)) == 1;
}

} // namespace

class TstSqlReplication : public QObject {
    Q_OBJECT

private slots:
    void asyncCrashLosesExactlyTheUnshippedWrites()
    {
        SqlFixture f(ordersConfig(1, {"sh-a1", "sh-b1"}, ReplicationMode::Async));
        SqlShard& shard = f.cluster->shard(0);
        for (std::int64_t id = 1; id <= 5; ++id)
            QVERIFY(f.insertOrder(0, id, 7, 100).ok());
        f.runFor(100 * sim::kMillisecond);
        QCOMPARE(f.countOn(shard.instance(1)), std::int64_t{5});

        // Cut the replica off: async still acknowledges every write at once.
        const auto partition = f.inject(v1::FAULT_PARTITION, kPrimary, kReplica);
        for (std::int64_t id = 6; id <= 8; ++id) {
            SqlResult r = f.insertOrder(0, id, 7, 100);
            QVERIFY(r.ok());
            QCOMPARE(r.position, std::uint64_t(id));
        }
        const sim::Nanos crashAt = f.world.now();
        const auto down = f.inject(v1::FAULT_DOWN, kPrimary);
        f.runFor(5 * sim::kSecond);

        QCOMPARE(shard.failovers().size(), std::size_t{1});
        const FailoverReport& rep = shard.failovers().front();
        QCOMPARE(rep.oldPrimary, std::string(kPrimary));
        QCOMPARE(rep.newPrimary, std::string(kReplica));
        QCOMPARE(rep.time, crashAt + f.cluster->config().failoverDetection);
        QCOMPARE(rep.promotedPosition, std::uint64_t{5});
        QCOMPARE(rep.oldLastPosition, std::uint64_t{8});
        QCOMPARE(rep.lostEntries, std::uint64_t{3});
        QCOMPARE(rep.lostAcknowledged, std::uint64_t{3});
        QCOMPARE(rep.lost.size(), std::size_t{3});
        for (std::size_t k = 0; k < 3; ++k) {
            QCOMPARE(rep.lost[k].key, std::int64_t(6 + k));
            QCOMPARE(rep.lost[k].position, std::uint64_t(6 + k));
            QVERIFY(rep.lost[k].acknowledged);
        }
        QCOMPARE(shard.primary().path(), std::string(kReplica));
        QCOMPARE(f.world.events().count("sql.failover"), std::uint64_t{1});
        const v1::Event* event = nullptr;
        for (const v1::Event& e : f.world.events().recent())
            if (e.kind() == "sql.failover")
                event = &e;
        QVERIFY(event);
        QCOMPARE(event->severity(), v1::SEVERITY_ALERT);
        bool sawKeys = false;
        for (const auto& kv : event->fields())
            sawKeys |= kv.key() == "lost_keys" && kv.value() == "6,7,8";
        QVERIFY(sawKeys);

        // The new primary serves the surviving writes and takes new ones; positions
        // are never reused.
        SqlResult count = f.read(0, Consistency::Strong, "SELECT COUNT(*) FROM orders");
        QCOMPARE(sqlInt(count.at(0, 0)), std::int64_t{5});
        SqlResult next = f.insertOrder(0, 9, 7, 100);
        QVERIFY(next.ok());
        QCOMPARE(next.position, std::uint64_t{9});

        // The old primary comes back, is re-provisioned and drops its lost writes.
        f.clear(down);
        f.clear(partition);
        f.runFor(2 * sim::kSecond);
        QCOMPARE(f.world.events().count("sql.rejoin"), std::uint64_t{1});
        SqlInstance& old = shard.instance(0);
        QVERIFY(!old.isPrimary());
        QVERIFY(!old.state().needsResync);
        QCOMPARE(f.countOn(old), std::int64_t{6});
        for (std::int64_t id : {6, 7, 8})
            QVERIFY(!hasOrder(f, old, id));
        QVERIFY(hasOrder(f, old, 9));
        // … and replicates from the new primary.
        QVERIFY(f.insertOrder(0, 10, 7, 100).ok());
        f.runFor(100 * sim::kMillisecond);
        QVERIFY(hasOrder(f, old, 10));
    }

    void whatEachModeLosesInACrash_data()
    {
        QTest::addColumn<bool>("semiSync");
        QTest::newRow("async") << false;
        QTest::newRow("semi-sync") << true;
    }
    void whatEachModeLosesInACrash()
    {
        QFETCH(bool, semiSync);
        SqlFixture f(ordersConfig(1, {"sh-a1", "sh-b1"}, semiSync ? ReplicationMode::SemiSync : ReplicationMode::Async));
        SqlShard& shard = f.cluster->shard(0);
        std::set<std::int64_t> acked;
        // A write every 250 µs; the primary dies at 50.9 ms, mid-stream.
        for (std::int64_t k = 0; k <= 203; ++k) {
            f.world.scheduler().runUntil(k * 250 * sim::kMicrosecond);
            auto b = std::make_shared<SqlBatch>();
            b->add(kInsertOrder, {k + 1, std::int64_t{7}, std::int64_t{100}}, k + 1);
            const std::int64_t key = k + 1;
            f.cluster->write(0, std::move(b), SqlCall{}, [&acked, key](SqlResult& r) {
                if (r.ok())
                    acked.insert(key);
            });
        }
        f.world.scheduler().runUntil(50'900 * sim::kMicrosecond);
        f.inject(v1::FAULT_DOWN, kPrimary);
        f.runFor(5 * sim::kSecond);

        QCOMPARE(shard.failovers().size(), std::size_t{1});
        const FailoverReport& rep = shard.failovers().front();
        SqlInstance& promoted = shard.primary();
        QCOMPARE(promoted.path(), std::string(kReplica));
        // Every committed write is either on the new primary or in the report.
        QCOMPARE(std::uint64_t(f.countOn(promoted)) + rep.lostEntries, rep.oldLastPosition);
        QVERIFY(rep.lostEntries > 0);
        for (const LostWrite& w : rep.lost) {
            QCOMPARE(w.acknowledged, acked.contains(w.key));
            QVERIFY(!hasOrder(f, promoted, w.key));
        }
        std::uint64_t ackedLost = 0;
        for (std::int64_t key : acked)
            ackedLost += hasOrder(f, promoted, key) ? 0 : 1;
        QCOMPARE(ackedLost, rep.lostAcknowledged);
        if (semiSync)
            QCOMPARE(rep.lostAcknowledged, std::uint64_t{0});
        else
            QVERIFY(rep.lostAcknowledged > 0);
        QVERIFY(acked.size() > 150);
    }

    void semiSyncFallsBackToAsyncAfterTimeout()
    {
        SqlFixture f(ordersConfig(1, {"sh-a1", "sh-b1"}, ReplicationMode::SemiSync));
        SqlShard& shard = f.cluster->shard(0);
        SqlResult first = f.insertOrder(0, 1, 7, 100);
        QVERIFY(first.ok());
        QVERIFY(first.latency >= 2 * sim::kMillisecond); // waited for the replica's ack (a round trip)
        QVERIFY(first.latency > first.execution);

        const auto partition = f.inject(v1::FAULT_PARTITION, kPrimary, kReplica);
        SqlResult waited = f.insertOrder(0, 2, 7, 100);
        QVERIFY(waited.ok());
        QVERIFY(waited.latency >= f.cluster->config().semiSyncTimeout);
        QVERIFY(waited.latency < f.cluster->config().semiSyncTimeout + 10 * sim::kMillisecond);
        QCOMPARE(f.world.events().count("sql.semisync.off"), std::uint64_t{1});
        QVERIFY(!shard.replication().semiSyncOn());

        SqlResult async = f.insertOrder(0, 3, 7, 100);
        QVERIFY(async.ok());
        QCOMPARE(async.latency, async.execution); // acknowledged at once

        f.clear(partition);
        f.runFor(3 * sim::kSecond);
        QCOMPARE(f.world.events().count("sql.semisync.on"), std::uint64_t{1});
        QVERIFY(shard.replication().semiSyncOn());
        QCOMPARE(f.countOn(shard.instance(1)), std::int64_t{3});
        SqlResult again = f.insertOrder(0, 4, 7, 100);
        QVERIFY(again.ok());
        QVERIFY(again.latency >= 2 * sim::kMillisecond);
    }

    void semiSyncWaitersFailWhenThePrimaryFailsOver()
    {
        SqlClusterConfig c = ordersConfig(1, {"sh-a1", "sh-b1"}, ReplicationMode::SemiSync);
        SqlFixture f(c);
        const auto partition = f.inject(v1::FAULT_PARTITION, kPrimary, kReplica);
        SqlResult result;
        bool done = false;
        auto b = std::make_shared<SqlBatch>();
        b->add(kInsertOrder, {std::int64_t{1}, std::int64_t{7}, std::int64_t{100}}, 1);
        f.cluster->write(0, b, SqlCall{}, [&](SqlResult& r) {
            result = std::move(r);
            done = true;
        });
        f.runFor(1 * sim::kSecond);
        QVERIFY(!done); // still waiting for an ack
        auto rep = f.cluster->failover(0, "drill");
        QVERIFY(rep.ok());
        f.runUntil([&] { return done; });
        QCOMPARE(result.status.code(), absl::StatusCode::kUnavailable);
        QCOMPARE(rep->lostEntries, std::uint64_t{1});
        QCOMPARE(rep->lostAcknowledged, std::uint64_t{0});
        f.clear(partition);
        f.runFor(2 * sim::kSecond);
        QCOMPARE(f.countOn(f.cluster->shard(0).instance(0)), std::int64_t{0}); // re-provisioned
    }

    // A write commits at the end of its least service time (statements × statementNs),
    // and never before a write that started before it on the same primary: only then
    // is it in the binlog, in the order the batches ran. Its reply never comes before
    // its commit.
    void writesCommitInOrderAtTheirLeastCost()
    {
        SqlClusterConfig config = ordersConfig(1, {"sh-a1", "sh-b1"}, ReplicationMode::Async);
        config.service.noiseSigma = 0.0;
        SqlFixture f(config);
        SqlShard& shard = f.cluster->shard(0);
        const sim::Nanos t0 = f.world.now();
        const sim::Nanos statement = config.cost.statementNs;
        std::vector<SqlResult> results(3);
        std::vector<bool> done(3, false);
        auto submit = [&](std::size_t k, std::shared_ptr<SqlBatch> b) {
            f.cluster->write(0, std::move(b), {}, [&, k](SqlResult& r) {
                results[k] = std::move(r);
                done[k] = true;
            });
        };
        auto three = std::make_shared<SqlBatch>();
        for (std::int64_t id = 1; id <= 3; ++id)
            three->add(kInsertOrder, {id, 7, 100}, id);
        submit(0, three); // least cost 3 statements
        auto one = std::make_shared<SqlBatch>();
        one->add(kInsertOrder, {std::int64_t{4}, 7, 100}, 4);
        submit(1, one); // least cost 1 statement, but commits after the first
        auto none = std::make_shared<SqlBatch>();
        none->add("UPDATE orders SET amount = 1 WHERE order_id = ?", {std::int64_t{999}}, 999);
        submit(2, none); // changes nothing: no binlog entry

        // The batches ran (in order) on the primary; none has committed yet.
        QCOMPARE(f.countOn(shard.primary()), std::int64_t{4});
        QCOMPARE(shard.binlog().lastPosition(), std::uint64_t{0});
        f.world.scheduler().runUntil(t0 + 3 * statement - 1);
        QCOMPARE(shard.binlog().lastPosition(), std::uint64_t{0});
        f.world.scheduler().runUntil(t0 + 3 * statement);
        QCOMPARE(shard.binlog().lastPosition(), std::uint64_t{2});
        for (std::uint64_t position : {1, 2}) {
            const BinlogEntry* e = shard.binlog().find(position);
            QVERIFY(e);
            QCOMPARE(e->commitTime, t0 + 3 * statement);
        }
        std::vector<std::int64_t> keys;
        shard.binlog().find(1)->batch->keys(keys);
        QCOMPARE(keys, (std::vector<std::int64_t>{1, 2, 3}));
        f.runUntil([&] { return done[0] && done[1] && done[2]; });
        QCOMPARE(results[0].position, std::uint64_t{1});
        QCOMPARE(results[1].position, std::uint64_t{2});
        QCOMPARE(results[2].position, std::uint64_t{0});
        QCOMPARE(results[2].changes, std::int64_t{0});
        for (const SqlResult& r : results)
            QVERIFY2(r.ok(), std::string(r.status.message()).c_str());
        // The no-op's own cost (one statement, no commit) is under the first batch's
        // least cost: it is answered at the commit it waited for.
        QVERIFY(config.cost.costNs(results[2].stats) < 3 * statement);
        QCOMPARE(results[2].latency, 3 * statement);
        // The others are answered after their full cost, which includes the commit.
        QCOMPARE(results[1].latency, config.cost.costNs(results[1].stats));
        QVERIFY(results[1].latency > 3 * statement);
    }

    // A write that ran on the primary but had not committed when the shard failed
    // over is aborted: it is in no binlog, the new primary does not have it, and the
    // old primary, which ran it, is re-provisioned.
    void failoverAbortsWritesThatHadNotCommitted()
    {
        SqlFixture f(ordersConfig(1, {"sh-a1", "sh-b1"}, ReplicationMode::Async));
        SqlShard& shard = f.cluster->shard(0);
        QVERIFY(f.insertOrder(0, 1, 7, 100).ok());
        f.runFor(100 * sim::kMillisecond);
        QCOMPARE(f.countOn(shard.instance(1)), std::int64_t{1});

        SqlResult result;
        bool done = false;
        auto b = std::make_shared<SqlBatch>();
        b->add(kInsertOrder, {std::int64_t{2}, 7, 100}, 2);
        f.cluster->write(0, std::move(b), {}, [&](SqlResult& r) {
            result = std::move(r);
            done = true;
        });
        QCOMPARE(f.countOn(shard.instance(0)), std::int64_t{2}); // ran, not committed
        auto report = shard.failover("drill");
        QVERIFY(report.ok());
        QCOMPARE(report->promotedPosition, std::uint64_t{1});
        QCOMPARE(report->lostEntries, std::uint64_t{0});
        // The old primary is up: it is re-provisioned at once, without the write.
        QCOMPARE(f.world.events().count("sql.rejoin"), std::uint64_t{1});
        QVERIFY(!shard.instance(0).state().needsResync);
        QVERIFY(!hasOrder(f, shard.instance(0), 2));
        f.runUntil([&] { return done; });
        QCOMPARE(result.status.code(), absl::StatusCode::kAborted);
        QCOMPARE(result.position, std::uint64_t{0});
        QCOMPARE(shard.binlog().lastPosition(), std::uint64_t{1});
        QCOMPARE(f.countOn(shard.instance(1)), std::int64_t{1});

        // It was not applied: sent again, it commits on the new primary.
        QVERIFY(f.insertOrder(0, 2, 7, 100).ok());
        f.runFor(100 * sim::kMillisecond);
        QVERIFY(hasOrder(f, shard.instance(0), 2));
    }

    void failoverNeedsALiveReplica()
    {
        SqlFixture f(ordersConfig(1, {"sh-a1", "sh-b1"}));
        f.inject(v1::FAULT_DOWN, kReplica);
        auto rep = f.cluster->failover(0, "drill");
        QCOMPARE(rep.status().code(), absl::StatusCode::kFailedPrecondition);
        QCOMPARE(f.world.events().count("sql.failover.failed"), std::uint64_t{1});
        QCOMPARE(f.cluster->shard(0).primary().path(), std::string(kPrimary));
    }

    void binlogSubscriptionDeliversInOrder()
    {
        SqlFixture f(ordersConfig(1, {"sh-a1", "sh-b1"}));
        std::vector<std::pair<std::uint64_t, std::int64_t>> got;
        auto sub = f.cluster->subscribe(0, 0, sim::kNoComponent, [&got](const BinlogEntry& e) {
            std::vector<std::int64_t> keys;
            e.batch->keys(keys);
            got.emplace_back(e.position, keys.empty() ? 0 : keys.front());
        });
        QVERIFY(sub.ok());
        for (std::int64_t id = 100; id < 110; ++id)
            QVERIFY(f.insertOrder(0, id, 7, 1).ok());
        QCOMPARE(f.insertOrder(0, 105, 7, 1).changes, std::int64_t{0}); // duplicate: not logged
        auto batch = std::make_shared<SqlBatch>();
        for (std::int64_t id = 200; id < 203; ++id)
            batch->add(kInsertOrder, {id, std::int64_t{7}, std::int64_t{1}}, id);
        QVERIFY(f.write(0, batch).ok());
        f.runFor(10 * sim::kMillisecond);
        QCOMPARE(got.size(), std::size_t{11});
        for (std::size_t i = 0; i < got.size(); ++i) {
            QCOMPARE(got[i].first, std::uint64_t(i + 1));
            QCOMPARE(got[i].second, i < 10 ? std::int64_t(100 + i) : std::int64_t{200});
        }

        // A late subscriber replays from a position.
        std::vector<std::uint64_t> late;
        QVERIFY(f.cluster->subscribe(0, 5, sim::kNoComponent, [&late](const BinlogEntry& e) { late.push_back(e.position); }).ok());
        f.runFor(1 * sim::kMillisecond);
        QCOMPARE(late, (std::vector<std::uint64_t>{5, 6, 7, 8, 9, 10, 11}));

        // A subscriber far away sees each entry a link latency after its commit.
        const sim::ComponentId far = f.world.components().mustAdd("gz/messaging/binlog-sync", "test");
        std::vector<sim::Nanos> delays;
        QVERIFY(f.cluster->subscribe(0, 0, far, [&delays, &f](const BinlogEntry& e) {
            delays.push_back(f.world.now() - e.commitTime);
        }).ok());
        QVERIFY(f.insertOrder(0, 300, 7, 1).ok());
        f.runFor(100 * sim::kMillisecond);
        QCOMPARE(delays.size(), std::size_t{1});
        QCOMPARE(delays.front(), 30 * sim::kMillisecond);

        // Across a (clean) failover positions keep increasing on the new primary.
        f.runFor(1 * sim::kSecond);
        auto rep = f.cluster->failover(0, "switchover drill");
        QVERIFY(rep.ok());
        QCOMPARE(rep->lostEntries, std::uint64_t{0});
        QVERIFY(f.insertOrder(0, 400, 7, 1).ok());
        f.runFor(10 * sim::kMillisecond);
        QCOMPARE(got.back(), (std::pair<std::uint64_t, std::int64_t>{13, 400}));
        for (std::size_t i = 1; i < got.size(); ++i)
            QVERIFY(got[i].first > got[i - 1].first);

        // Unsubscribed: nothing more.
        f.cluster->unsubscribe(0, *sub);
        const std::size_t before = got.size();
        QVERIFY(f.insertOrder(0, 401, 7, 1).ok());
        f.runFor(10 * sim::kMillisecond);
        QCOMPARE(got.size(), before);
        // The old primary follows the new one.
        f.runFor(100 * sim::kMillisecond);
        QVERIFY(hasOrder(f, f.cluster->shard(0).instance(0), 401));
    }

    void subscriptionBeforeRetentionIsRefused()
    {
        SqlClusterConfig c = ordersConfig(1, {"sh-a1"});
        c.binlogRetentionBytes = 1; // keep only the newest entry
        SqlFixture f(c);
        for (std::int64_t id = 1; id <= 3; ++id)
            QVERIFY(f.insertOrder(0, id, 7, 1).ok());
        QCOMPARE(f.cluster->shard(0).binlog().size(), std::size_t{1});
        auto sub = f.cluster->subscribe(0, 1, sim::kNoComponent, [](const BinlogEntry&) {});
        QCOMPARE(sub.status().code(), absl::StatusCode::kOutOfRange);
        QVERIFY(f.cluster->subscribe(0, 3, sim::kNoComponent, [](const BinlogEntry&) {}).ok());
    }

    void replicaBeyondRetentionIsReprovisioned()
    {
        SqlClusterConfig c = ordersConfig(1, {"sh-a1", "sh-b1"});
        c.binlogRetentionBytes = 2'000; // a handful of entries
        SqlFixture f(c);
        const auto down = f.inject(v1::FAULT_DOWN, kReplica);
        for (std::int64_t id = 1; id <= 50; ++id)
            QVERIFY(f.insertOrder(0, id, 7, 1).ok());
        QVERIFY(f.cluster->shard(0).binlog().purgedThrough() > 0);
        f.clear(down);
        f.runFor(2 * sim::kSecond);
        QCOMPARE(f.countOn(f.cluster->shard(0).instance(1)), std::int64_t{50});
        QCOMPARE(f.cluster->shard(0).instance(1).state().resyncs, std::uint64_t{1});
        QVERIFY(f.insertOrder(0, 51, 7, 1).ok());
        f.runFor(100 * sim::kMillisecond);
        QCOMPARE(f.countOn(f.cluster->shard(0).instance(1)), std::int64_t{51});
    }
};

LIVEDECK_TEST_CLASS(TstSqlReplication)
#include "tst_sql_replication.moc"

// SqlConnection: real SQL on SQLite, unique-index idempotency, counters, row counts.
#include "backend/infra/sql_connection.h"
#include "backend/infra/sql_cost_model.h"
#include "backend/infra/sql_memory.h"
#include "tests/common/multi_test.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTest>

#include <sqlite3.h>

#include <cstring>
#include <thread>
#include <vector>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

std::unique_ptr<SqlConnection> openWithOrders()
{
    auto c = SqlConnection::open(":memory:");
    if (!c.ok())
        qFatal("open failed");
    const auto st = (*c)->exec("CREATE TABLE orders (order_id INTEGER NOT NULL, uid INTEGER NOT NULL, amount INTEGER NOT NULL);"
                               "CREATE UNIQUE INDEX orders_id ON orders(order_id);");
    if (!st.ok())
        qFatal("schema failed");
    return std::move(*c);
}

absl::Status insert(SqlConnection& c, const char* sql, std::int64_t id, SqlConnection::WriteOutcome& out,
                    SqlStats* statsOut = nullptr)
{
    SqlBatch b;
    b.add(sql, {id, std::int64_t{7}, std::int64_t{100}});
    SqlStats stats;
    const auto st = c.runBatch(b, stats, out);
    if (statsOut)
        *statsOut = stats;
    return st;
}

constexpr const char* kIdempotent = "INSERT INTO orders VALUES (?, ?, ?) ON CONFLICT (order_id) DO NOTHING";
constexpr const char* kPlain = "INSERT INTO orders VALUES (?, ?, ?)";

} // namespace

class TstSqlConnection : public QObject {
    Q_OBJECT

private slots:
    void idempotentInsert_data()
    {
        QTest::addColumn<QList<qlonglong>>("ids");
        QTest::addColumn<QList<qlonglong>>("changes");
        QTest::newRow("fresh then duplicate") << QList<qlonglong>{1, 1} << QList<qlonglong>{1, 0};
        QTest::newRow("two fresh") << QList<qlonglong>{1, 2} << QList<qlonglong>{1, 1};
        QTest::newRow("retry storm") << QList<qlonglong>{5, 5, 5, 6, 5} << QList<qlonglong>{1, 0, 0, 1, 0};
    }
    void idempotentInsert()
    {
        QFETCH(QList<qlonglong>, ids);
        QFETCH(QList<qlonglong>, changes);
        auto c = openWithOrders();
        for (int i = 0; i < ids.size(); ++i) {
            SqlConnection::WriteOutcome out;
            QVERIFY(insert(*c, kIdempotent, ids[i], out).ok());
            QCOMPARE(out.changes, changes[i]);
        }
        qlonglong distinct = 0;
        for (qlonglong n : changes)
            distinct += n;
        QCOMPARE(c->rows("orders"), distinct);
    }

    void plainDuplicateFailsAndRollsBack()
    {
        auto c = openWithOrders();
        SqlConnection::WriteOutcome out;
        QVERIFY(insert(*c, kPlain, 1, out).ok());
        // A batch whose second statement violates the unique index: the whole batch rolls back.
        SqlBatch b;
        b.add(kPlain, {std::int64_t{2}, std::int64_t{7}, std::int64_t{1}});
        b.add(kPlain, {std::int64_t{1}, std::int64_t{7}, std::int64_t{1}});
        SqlStats stats;
        const auto st = c->runBatch(b, stats, out);
        QCOMPARE(st.code(), absl::StatusCode::kAlreadyExists);
        QCOMPARE(out.changes, std::int64_t{0});
        QCOMPARE(c->rows("orders"), std::int64_t{1}); // the hook's count was restored
        SqlResult r;
        QVERIFY(c->runQuery("SELECT COUNT(*) FROM orders", {}, true, r, stats).ok());
        QCOMPARE(sqlInt(r.at(0, 0)), std::int64_t{1});
    }

    void rowCountsFollowInsertsAndDeletes()
    {
        auto c = openWithOrders();
        SqlBatch b;
        for (std::int64_t i = 0; i < 10; ++i)
            b.add(kPlain, {i, i % 3, std::int64_t{1}});
        b.add("DELETE FROM orders WHERE uid = ?", {std::int64_t{0}}); // 0, 3, 6, 9
        SqlStats stats;
        SqlConnection::WriteOutcome out;
        QVERIFY(c->runBatch(b, stats, out).ok());
        QCOMPARE(out.changes, std::int64_t{14});
        QCOMPARE(c->rows("orders"), std::int64_t{6});
        QVERIFY(c->recountRows().ok());
        QCOMPARE(c->rows("orders"), std::int64_t{6});
    }

    void countersShowFullScans()
    {
        auto c = openWithOrders();
        SqlBatch b;
        for (std::int64_t i = 0; i < 5000; ++i)
            b.add(kPlain, {i, i, i});
        SqlStats stats;
        SqlConnection::WriteOutcome out;
        QVERIFY(c->runBatch(b, stats, out).ok());

        const std::vector<SqlValue> key{std::int64_t{4321}};
        SqlStats byIndex;
        SqlResult r1;
        QVERIFY(c->runQuery("SELECT amount FROM orders WHERE order_id = ?", key, true, r1, byIndex).ok());
        SqlStats byScan;
        SqlResult r2;
        QVERIFY(c->runQuery("SELECT amount FROM orders WHERE uid = ?", key, true, r2, byScan).ok());
        QCOMPARE(sqlInt(r1.at(0, 0)), std::int64_t{4321});
        QCOMPARE(sqlInt(r2.at(0, 0)), std::int64_t{4321});
        QCOMPARE(byIndex.fullScanSteps, std::uint64_t{0});
        QVERIFY2(byScan.fullScanSteps >= 4999, qPrintable(QString::number(byScan.fullScanSteps)));
        QVERIFY(byScan.vmSteps > 50 * byIndex.vmSteps);
        const SqlCostModel cost;
        QVERIFY(cost.costNs(byScan) > 20 * cost.costNs(byIndex));

        SqlStats sorted;
        SqlResult r3;
        QVERIFY(c->runQuery("SELECT order_id FROM orders ORDER BY amount DESC LIMIT 3", {}, true, r3, sorted).ok());
        QCOMPARE(sorted.sorts, std::uint64_t{1});
        QCOMPARE(r3.rowCount(), std::size_t{3});
        QCOMPARE(sqlInt(r3.at(0, 0)), std::int64_t{4999});
    }

    void readsRefuseWritesAndBadParameters()
    {
        auto c = openWithOrders();
        SqlResult r;
        SqlStats stats;
        auto st = c->runQuery("DELETE FROM orders", {}, true, r, stats);
        QCOMPARE(st.code(), absl::StatusCode::kInvalidArgument);
        st = c->runQuery("SELECT * FROM orders WHERE order_id = ?", {}, true, r, stats);
        QCOMPARE(st.code(), absl::StatusCode::kInvalidArgument);
        st = c->runQuery("SELECT * FROM no_such_table", {}, true, r, stats);
        QCOMPARE(st.code(), absl::StatusCode::kInvalidArgument);
        QVERIFY(QString::fromStdString(std::string(st.message())).contains(QStringLiteral("no_such_table")));
    }

    void preparedStatementsAreCached()
    {
        auto c = openWithOrders();
        const std::size_t before = c->cachedStatements();
        for (std::int64_t i = 0; i < 50; ++i) {
            SqlConnection::WriteOutcome out;
            QVERIFY(insert(*c, kIdempotent, i, out).ok());
        }
        QCOMPARE(c->cachedStatements(), before + 1);
    }

    void copyFromReplacesTheDatabase()
    {
        auto a = openWithOrders();
        auto b = openWithOrders();
        for (std::int64_t i = 0; i < 20; ++i) {
            SqlConnection::WriteOutcome out;
            QVERIFY(insert(*a, kPlain, i, out).ok());
        }
        SqlConnection::WriteOutcome out;
        QVERIFY(insert(*b, kPlain, 999, out).ok());
        QVERIFY(b->copyFrom(*a).ok());
        QCOMPARE(b->rows("orders"), std::int64_t{20});
        SqlResult r;
        SqlStats stats;
        QVERIFY(b->runQuery("SELECT COUNT(*) FROM orders WHERE order_id = 999", {}, true, r, stats).ok());
        QCOMPARE(sqlInt(r.at(0, 0)), std::int64_t{0});
        // Cached statements still work on the copied schema.
        QVERIFY(insert(*b, kIdempotent, 1000, out).ok());
        QCOMPARE(out.changes, std::int64_t{1});
    }

    // A replica's database without a rollback journal: the same work is charged, a failed
    // batch keeps what ran (no ROLLBACK without a journal) and copyFrom repairs it; turned
    // back on (a promotion), a failed batch rolls back again.
    void rollbackJournalOffKeepsTheWorkAndNeedsACopy()
    {
        SqlPageCache bounded{.pages = 8, .pageSizeBytes = 1024};
        auto open = [&] {
            auto c = SqlConnection::open(":memory:", bounded);
            if (!c.ok() || !(*c)->exec("CREATE TABLE orders (order_id INTEGER NOT NULL, uid INTEGER NOT NULL,"
                                       " amount INTEGER NOT NULL); CREATE UNIQUE INDEX orders_id ON orders(order_id);")
                                 .ok())
                qFatal("open failed");
            return std::move(*c);
        };
        auto journaled = open();
        auto bare = open();
        QVERIFY(bare->rollbackJournal());
        QVERIFY(bare->setRollbackJournal(false).ok());
        QVERIFY(!bare->rollbackJournal());
        auto mode = [](SqlConnection& c) {
            SqlResult r;
            SqlStats stats;
            if (!c.runQuery("PRAGMA journal_mode", {}, false, r, stats).ok())
                return std::string("?");
            return std::get<std::string>(r.at(0, 0));
        };
        QCOMPARE(QString::fromStdString(mode(*bare)), QStringLiteral("off"));
        QCOMPARE(QString::fromStdString(mode(*journaled)), QStringLiteral("memory"));
        // Same batches, each in its own transaction: same statements, VM steps and page
        // misses either way.
        for (std::int64_t i = 0; i < 400; ++i) {
            SqlBatch b;
            b.add(kPlain, {i, i % 7, std::int64_t{100}});
            b.add("UPDATE orders SET amount = amount + 1 WHERE uid = ?", {i % 7});
            SqlStats sa, sb;
            SqlConnection::WriteOutcome oa, ob;
            QVERIFY(journaled->runBatch(b, sa, oa).ok());
            QVERIFY(bare->runBatch(b, sb, ob).ok());
            QCOMPARE(sb.vmSteps, sa.vmSteps);
            QCOMPARE(sb.pageMisses, sa.pageMisses);
            QCOMPARE(ob.changes, oa.changes);
        }
        QVERIFY(journaled->pageMisses() > 0);
        QCOMPARE(bare->pageMisses(), journaled->pageMisses());
        // A batch that fails on its second statement: the journaled database rolls the
        // first back, the bare one keeps it and says so by failing.
        SqlBatch bad;
        bad.add(kPlain, {std::int64_t{1000}, std::int64_t{1}, std::int64_t{1}});
        bad.add(kPlain, {std::int64_t{5}, std::int64_t{1}, std::int64_t{1}});
        SqlStats stats;
        SqlConnection::WriteOutcome out;
        QCOMPARE(journaled->runBatch(bad, stats, out).code(), absl::StatusCode::kAlreadyExists);
        QCOMPARE(bare->runBatch(bad, stats, out).code(), absl::StatusCode::kAlreadyExists);
        auto count1000 = [](SqlConnection& c) {
            SqlResult r;
            SqlStats st;
            if (!c.runQuery("SELECT COUNT(*) FROM orders WHERE order_id = 1000", {}, true, r, st).ok())
                return std::int64_t{-1};
            return sqlInt(r.at(0, 0));
        };
        QCOMPARE(count1000(*journaled), std::int64_t{0});
        QCOMPARE(count1000(*bare), std::int64_t{1});
        // Re-provisioned from the journaled one it agrees again; promoted, it rolls back.
        QVERIFY(bare->copyFrom(*journaled).ok());
        QCOMPARE(count1000(*bare), std::int64_t{0});
        QCOMPARE(bare->rows("orders"), std::int64_t{400});
        QVERIFY(bare->setRollbackJournal(true).ok());
        QCOMPARE(QString::fromStdString(mode(*bare)), QStringLiteral("memory"));
        QCOMPARE(bare->runBatch(bad, stats, out).code(), absl::StatusCode::kAlreadyExists);
        QCOMPARE(count1000(*bare), std::int64_t{0});
        QCOMPARE(bare->rows("orders"), std::int64_t{400});
    }

    void rollbackJournalStaysOnAFile()
    {
        const QString path = QDir::temp().filePath(QStringLiteral("livedeck-journal-%1.sqlite").arg(QCoreApplication::applicationPid()));
        QFile::remove(path);
        {
            auto c = SqlConnection::open(path.toStdString());
            QVERIFY(c.ok());
            QCOMPARE((*c)->setRollbackJournal(false).code(), absl::StatusCode::kFailedPrecondition);
            QVERIFY((*c)->rollbackJournal());
        }
        QFile::remove(path);
        QFile::remove(path + QStringLiteral("-wal"));
        QFile::remove(path + QStringLiteral("-shm"));
    }
    void failedGroupRestoresRowCounts()
    {
        // A replica's group (applyGrouped) rolls back as a whole: the update hook's row
        // counts go back to where the group opened, and match SQLite's own count.
        auto c = openWithOrders();
        SqlConnection::WriteOutcome out;
        QVERIFY(insert(*c, kPlain, 1, out).ok());
        for (std::int64_t id : {2, 3}) {
            SqlBatch b;
            b.add(kPlain, {id, std::int64_t{7}, std::int64_t{100}});
            SqlStats stats;
            QVERIFY(c->applyGrouped(b, stats, out).ok());
        }
        QCOMPARE(c->groupEntries(), 2);
        QCOMPARE(c->rows("orders"), std::int64_t{3});
        SqlBatch bad;
        bad.add(kPlain, {std::int64_t{4}, std::int64_t{7}, std::int64_t{100}});
        bad.add(kPlain, {std::int64_t{2}, std::int64_t{7}, std::int64_t{100}}); // duplicate: fails
        SqlStats stats;
        QVERIFY(!c->applyGrouped(bad, stats, out).ok());
        QCOMPARE(c->groupEntries(), 0);
        QCOMPARE(c->rows("orders"), std::int64_t{1});
        QVERIFY(insert(*c, kPlain, 5, out).ok());
        QCOMPARE(c->rows("orders"), std::int64_t{2});
        SqlResult r;
        QVERIFY(c->runQuery("SELECT COUNT(*) FROM orders", {}, true, r, stats).ok());
        QCOMPARE(std::get<std::int64_t>(r.values.at(0)), std::int64_t{2});
    }

    // A replica that counts page misses groups its applies too: each batch is charged the
    // misses of its own statements, and the group's batches add up to the connection's
    // count. A cold row's page is a miss for the batch that reads it, and not again for
    // the next batch of the open group.
    void groupedAppliesChargeTheirOwnMisses()
    {
        auto c = SqlConnection::open(":memory:", SqlPageCache{.pages = 8, .pageSizeBytes = 1024});
        QVERIFY(c.ok());
        SqlConnection& db = **c;
        QVERIFY(db.exec("CREATE TABLE orders (order_id INTEGER NOT NULL, uid INTEGER NOT NULL,"
                        " amount INTEGER NOT NULL); CREATE UNIQUE INDEX orders_id ON orders(order_id);")
                    .ok());
        QVERIFY(db.setRollbackJournal(false).ok());
        SqlConnection::WriteOutcome out;
        for (std::int64_t i = 0; i < 600; ++i) {
            SqlBatch b;
            b.add(kPlain, {i, i % 7, std::int64_t{100}});
            SqlStats st;
            QVERIFY(db.runBatch(b, st, out).ok());
        }
        const std::uint64_t before = db.pageMisses();
        auto touch = [&](std::int64_t id) {
            SqlBatch b;
            b.add("UPDATE orders SET amount = amount + 1 WHERE order_id = ?", {id});
            SqlStats st;
            if (!db.applyGrouped(b, st, out).ok())
                qFatal("grouped apply failed");
            return st.pageMisses;
        };
        const std::uint64_t cold = touch(3); // the table's first rows: long evicted
        QVERIFY(cold > 0);
        QCOMPARE(db.groupEntries(), 1);
        QCOMPARE(touch(3), std::uint64_t{0}); // its pages are in the cache now
        QCOMPARE(db.groupEntries(), 2);
        std::uint64_t charged = cold;
        for (std::int64_t id = 0; id < 600; id += 37)
            charged += touch(id);
        QVERIFY(db.commitGroup().ok());
        QCOMPARE(db.groupEntries(), 0);
        QCOMPARE(db.pageMisses() - before, charged);
        SqlResult r;
        SqlStats st;
        QVERIFY(db.runQuery("SELECT SUM(amount) FROM orders", {}, true, r, st).ok());
        QCOMPARE(std::get<std::int64_t>(r.values.at(0)), std::int64_t{600 * 100 + 2 + 17});
    }

    void sqliteAllocatesFromKeptBlocks()
    {
        // Installed before main, so every SQLite allocation in the process is ours.
        QVERIFY(sql_memory::installed());

        // Size, rounding, realloc keeping the content.
        void* p = sqlite3_malloc(100);
        QVERIFY(p != nullptr);
        QCOMPARE(sqlite3_msize(p), sqlite3_uint64{112});
        std::memset(p, 0x5a, 100);
        p = sqlite3_realloc(p, 3000); // beyond the kept sizes
        QVERIFY(p != nullptr);
        QVERIFY(sqlite3_msize(p) >= 3000);
        QCOMPARE(static_cast<unsigned char*>(p)[99], static_cast<unsigned char>(0x5a));
        p = sqlite3_realloc(p, 40);
        QCOMPARE(static_cast<unsigned char*>(p)[39], static_cast<unsigned char>(0x5a));
        sqlite3_free(p);

        // A freed block is taken back by the next allocation of its size on this thread.
        const sql_memory::ThreadCounters before = sql_memory::threadCounters();
        void* a = sqlite3_malloc(1000);
        sqlite3_free(a);
        void* b = sqlite3_malloc(1000);
        QCOMPARE(b, a);
        sqlite3_free(b);
        const sql_memory::ThreadCounters after = sql_memory::threadCounters();
        QVERIFY(after.reused >= before.reused + 1);

        // A thread keeps a bounded number of blocks per size: the rest go back to the system.
        {
            std::vector<void*> many;
            for (int i = 0; i < 4000; ++i)
                many.push_back(sqlite3_malloc(1000));
            const std::uint64_t keptBefore = sql_memory::threadCounters().kept;
            for (void* m : many)
                sqlite3_free(m);
            const std::uint64_t keptNow = sql_memory::threadCounters().kept - keptBefore;
            QVERIFY2(keptNow >= 64 && keptNow <= sql_memory::kKeptBytesPerClass / 1008,
                     qPrintable(QString::number(keptNow)));
        }

        // A block allocated on one thread may be freed on another, and the other way.
        void* fromThere = nullptr;
        void* fromHere = sqlite3_malloc(64);
        std::thread t([&] {
            fromThere = sqlite3_malloc(64);
            sqlite3_free(fromHere);
        });
        t.join();
        QVERIFY(fromThere != nullptr);
        sqlite3_free(fromThere);

        // A bounded page cache with a rollback journal: the second identical batch
        // reuses the first one's blocks, and SQL gives the same answer.
        auto c = SqlConnection::open(":memory:", SqlPageCache{.pages = 8});
        QVERIFY(c.ok());
        QVERIFY((*c)->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL);").ok());
        for (int round = 0; round < 2; ++round) {
            const sql_memory::ThreadCounters start = sql_memory::threadCounters();
            SqlBatch batch;
            for (int i = 0; i < 200; ++i)
                batch.add("INSERT INTO t (k, v) VALUES (?, ?)",
                          {std::int64_t{round * 1000 + i}, std::string(300, static_cast<char>('a' + i % 26))});
            SqlStats stats;
            SqlConnection::WriteOutcome out;
            QVERIFY((*c)->runBatch(batch, stats, out).ok());
            const sql_memory::ThreadCounters end = sql_memory::threadCounters();
            if (round == 1)
                QVERIFY2(end.reused - start.reused > end.fresh - start.fresh,
                         qPrintable(QStringLiteral("reused %1, fresh %2").arg(end.reused - start.reused).arg(end.fresh - start.fresh)));
        }
        SqlResult r;
        SqlStats stats;
        QVERIFY((*c)->runQuery("SELECT COUNT(*), SUM(LENGTH(v)) FROM t", {}, true, r, stats).ok());
        QCOMPARE(r.values.size(), std::size_t{2});
        QCOMPARE(std::get<std::int64_t>(r.values[0]), std::int64_t{400});
        QCOMPARE(std::get<std::int64_t>(r.values[1]), std::int64_t{400 * 300});
    }
};

LIVEDECK_TEST_CLASS(TstSqlConnection)
#include "tst_sql_connection.moc"

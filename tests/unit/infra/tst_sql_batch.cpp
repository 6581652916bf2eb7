// SqlBatch's statements and the interned SQL texts they refer to.
#include "backend/infra/sql_batch.h"
#include "backend/infra/sql_connection.h"
#include "backend/sim/strings.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <cstring>
#include <string>
#include <thread>

using namespace livedeck;
using namespace livedeck::infra;

class TstSqlBatch : public QObject {
    Q_OBJECT
private slots:
    // Every batch that adds a statement refers to the one interned copy of its text,
    // whether the caller passed a literal or a string it built.
    void batchesShareTheInternedText()
    {
        constexpr const char* kInsert = "INSERT INTO t_batch_share (a, b) VALUES (?1, ?2)";
        SqlBatch a;
        a.add(kInsert, {std::int64_t{1}, std::int64_t{2}});
        SqlBatch b;
        const std::string built = std::string("INSERT INTO t_batch_share (a, b) ") + "VALUES (?1, ?2)";
        b.add(built, {std::int64_t{3}, std::int64_t{4}});
        QCOMPARE(a.texts().size(), std::size_t{1});
        QCOMPARE(b.texts().size(), std::size_t{1});
        QVERIFY(a.texts()[0] == b.texts()[0]);
        QVERIFY(a.texts()[0]->interned);
        QCOMPARE(a.texts()[0]->text, std::string(kInsert));
        QCOMPARE(a.texts()[0]->hash, sim::StringHash{}(std::string_view(kInsert)));
        QCOMPARE(std::string(b.sql(b.steps()[0])), built);
    }

    // A batch lists each distinct statement once, in the order they joined it.
    void repeatedStatementsShareAnIndex()
    {
        SqlBatch batch;
        batch.add("INSERT INTO t_rep VALUES (?1)", {std::int64_t{1}});
        batch.add("DELETE FROM t_rep WHERE a = ?1", {std::int64_t{2}});
        batch.add("INSERT INTO t_rep VALUES (?1)", {std::int64_t{3}});
        QCOMPARE(batch.texts().size(), std::size_t{2});
        QCOMPARE(batch.steps()[0].sql, std::uint32_t{0});
        QCOMPARE(batch.steps()[1].sql, std::uint32_t{1});
        QCOMPARE(batch.steps()[2].sql, std::uint32_t{0});
        QCOMPARE(std::string(batch.sql(batch.steps()[2])), std::string("INSERT INTO t_rep VALUES (?1)"));
    }

    // A buffer reused for another statement is not mistaken for the first (the
    // per-thread cache goes by address, and checks the content).
    void aReusedBufferGetsItsOwnText()
    {
        char buffer[64];
        std::strcpy(buffer, "SELECT a FROM t_reuse WHERE a = 1");
        const SqlText* first = internSql(buffer);
        std::strcpy(buffer, "SELECT a FROM t_reuse WHERE a = 2");
        const SqlText* second = internSql(buffer);
        QVERIFY(first && second);
        QVERIFY(first != second);
        QCOMPARE(first->text, std::string("SELECT a FROM t_reuse WHERE a = 1"));
        QCOMPARE(second->text, std::string("SELECT a FROM t_reuse WHERE a = 2"));
        std::strcpy(buffer, "SELECT a FROM t_reuse WHERE a = 1");
        QVERIFY(internSql(buffer) == first);
    }

    // Threads that intern the same text get the same copy.
    void threadsShareTexts()
    {
        const SqlText* seen[2] = {nullptr, nullptr};
        std::thread t0([&] { seen[0] = internSql(std::string("UPDATE t_threads SET a = ?1")); });
        std::thread t1([&] { seen[1] = internSql(std::string("UPDATE t_threads SET a = ?1")); });
        t0.join();
        t1.join();
        QVERIFY(seen[0] && seen[0] == seen[1]);
        QVERIFY(internSql("UPDATE t_threads SET a = ?1") == seen[0]);
    }

    // The binlog's retention weighs a batch as before interning: each distinct text once,
    // its parameters, its steps.
    void bytesWeighTheTextOnce()
    {
        const std::string sql = "INSERT INTO t_bytes VALUES (?1)";
        SqlBatch batch;
        batch.add(sql, {std::int64_t{1}});
        batch.add(sql, {std::string("four")});
        const std::size_t expected = sql.size() + sizeof(std::string) + 2 * sizeof(SqlValue) + 4 + 2 * sizeof(SqlBatch::Step);
        QCOMPARE(batch.bytes(), expected);
    }

    // Past the table's bound, a batch keeps its own copy of a new text; it runs as any
    // other, and texts interned before stay shared. (Last: the table stays full for
    // the rest of this process, which only sends later new texts down the same path.)
    void pastTheBoundABatchKeepsItsOwnCopy()
    {
        const SqlText* early = internSql("CREATE TABLE t_bound (a INTEGER)");
        QVERIFY(early);
        std::size_t added = 0;
        while (internSql(sim::strCat("SELECT ", added, " AS filler")) != nullptr) {
            ++added;
            QVERIFY(added <= kMaxInternedSql);
        }
        QVERIFY(internSql("CREATE TABLE t_bound (a INTEGER)") == early);

        auto c = SqlConnection::open(":memory:");
        QVERIFY(c.ok());
        QVERIFY((*c)->exec(early->text).ok());
        for (std::int64_t round = 0; round < 2; ++round) {
            SqlBatch batch;
            batch.add("INSERT INTO t_bound (a) VALUES (?1)", {round});
            batch.add("INSERT INTO t_bound (a) VALUES (?1)", {round + 10});
            QCOMPARE(batch.texts().size(), std::size_t{1});
            QVERIFY(!batch.texts()[0]->interned);
            const SqlBatch copy = batch; // the copy shares the batch's own text
            QVERIFY(copy.texts()[0] == batch.texts()[0]);
            SqlStats stats;
            SqlConnection::WriteOutcome out;
            QVERIFY(((*c)->runBatch(copy, stats, out)).ok());
        }
        SqlResult r;
        SqlStats stats;
        QVERIFY((*c)->runQuery("SELECT COUNT(*), SUM(a) FROM t_bound", {}, true, r, stats).ok());
        QCOMPARE(std::get<std::int64_t>(r.values[0]), std::int64_t{4});
        QCOMPARE(std::get<std::int64_t>(r.values[1]), std::int64_t{0 + 10 + 1 + 11});
    }
};

LIVEDECK_TEST_CLASS(TstSqlBatch)
#include "tst_sql_batch.moc"

// Binlog: ordered positions, lookups across failover gaps, truncation, retention.
#include "backend/infra/binlog.h"
#include "tests/common/multi_test.h"

#include <QTest>

using namespace livedeck;
using namespace livedeck::infra;

namespace {
std::shared_ptr<const SqlBatch> batchOf(std::int64_t key)
{
    auto b = std::make_shared<SqlBatch>();
    b->add("INSERT INTO t VALUES (?)", {key}, key);
    return b;
}
} // namespace

class TstSqlBinlog : public QObject {
    Q_OBJECT

private slots:
    void lookupsAcrossAGap()
    {
        Binlog log;
        for (std::uint64_t p = 1; p <= 5; ++p)
            log.append(p, static_cast<sim::Nanos>(p), 1, 1, batchOf(static_cast<std::int64_t>(p)));
        // A failover truncates after 3; the next writes continue after 5.
        const auto removed = log.truncateAfter(3);
        QCOMPARE(removed.size(), std::size_t{2});
        QCOMPARE(removed.front().position, std::uint64_t{4});
        QCOMPARE(log.lastPosition(), std::uint64_t{3});
        log.append(6, 6, 2, 1, batchOf(6));
        log.append(7, 7, 2, 1, batchOf(7));
        QCOMPARE(log.lastPosition(), std::uint64_t{7});
        QVERIFY(log.find(4) == nullptr);
        QVERIFY(log.find(5) == nullptr);
        QCOMPARE(log.find(6)->epoch, std::uint32_t{2});
        QCOMPARE(log.next(3)->position, std::uint64_t{6});
        QCOMPARE(log.next(4)->position, std::uint64_t{6});
        QCOMPARE(log.next(0)->position, std::uint64_t{1});
        QCOMPARE(log.next(1)->position, std::uint64_t{2});
        QVERIFY(log.next(7) == nullptr);
    }

    void retentionPurgesTheOldest()
    {
        const std::size_t one = sizeof(BinlogEntry) + batchOf(1)->bytes();
        Binlog log(3 * one);
        for (std::uint64_t p = 1; p <= 10; ++p)
            log.append(p, 0, 1, 1, batchOf(static_cast<std::int64_t>(p)));
        QCOMPARE(log.size(), std::size_t{3});
        QCOMPARE(log.firstPosition(), std::uint64_t{8});
        QCOMPARE(log.purgedThrough(), std::uint64_t{7});
        QCOMPARE(log.purged(), std::uint64_t{7});
        QCOMPARE(log.bytes(), 3 * one);
        QVERIFY(log.find(7) == nullptr);
        QCOMPARE(log.next(2)->position, std::uint64_t{8});
    }
};

LIVEDECK_TEST_CLASS(TstSqlBinlog)
#include "tst_sql_binlog.moc"

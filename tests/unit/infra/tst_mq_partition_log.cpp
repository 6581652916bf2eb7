#include "backend/infra/mq_partition_log.h"
#include "backend/infra/mq_record.h"
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::infra;

namespace {

MqRecord record(std::string value, sim::Nanos appendTime, double weight = 1.0, sim::Nanos visibleAt = -1)
{
    MqRecord r;
    r.value = std::move(value);
    r.appendTime = appendTime;
    r.visibleAt = visibleAt < 0 ? appendTime : visibleAt;
    r.weight = weight;
    return r;
}

} // namespace

class TstMqPartitionLog : public QObject {
    Q_OBJECT
private slots:
    void appendAssignsDenseOffsets()
    {
        MqPartitionLog log;
        for (int i = 0; i < 5; ++i)
            QCOMPARE(log.append(record("v" + std::to_string(i), 0)), std::int64_t(i));
        QCOMPARE(log.logStart(), std::int64_t(0));
        QCOMPARE(log.logEnd(), std::int64_t(5));
        QCOMPARE(log.at(3)->value, std::string("v3"));
        QCOMPARE(log.at(3)->offset, std::int64_t(3));
        QVERIFY(log.at(5) == nullptr);
        QVERIFY(log.at(-1) == nullptr);
    }

    void delayedRecordHoldsBackTheHighWatermark()
    {
        MqPartitionLog log;
        log.append(record("a", 0));
        log.append(record("b", 0, 1.0, 100)); // visible at t = 100
        log.append(record("c", 0));
        QCOMPARE(log.highWatermark(0), std::int64_t(1)); // "c" waits behind "b": order is kept
        QCOMPARE(log.peekHighWatermark(99), std::int64_t(1));
        QCOMPARE(log.highWatermark(100), std::int64_t(3));
    }

    void weightedPositions()
    {
        MqPartitionLog log;
        log.append(record("a", 0, 1.0));
        log.append(record("b", 0, 2.0));
        log.append(record("c", 0, 3.0));
        QCOMPARE(log.weightBetween(0, 3), 6.0);
        QCOMPARE(log.weightBetween(1, 3), 5.0);
        QCOMPARE(log.weightBetween(2, 2), 0.0);
        QCOMPARE(log.weightBetween(0, 99), 6.0);
        QCOMPARE(log.appendedWeight(), 6.0);
    }

    void retentionByTime_data()
    {
        QTest::addColumn<qint64>("cutoff");
        QTest::addColumn<qint64>("expectedStart");
        QTest::newRow("nothing old") << qint64(0) << qint64(0);
        QTest::newRow("first three") << qint64(25) << qint64(3);
        QTest::newRow("all") << qint64(1000) << qint64(10);
    }
    void retentionByTime()
    {
        QFETCH(qint64, cutoff);
        QFETCH(qint64, expectedStart);
        MqPartitionLog log;
        for (int i = 0; i < 10; ++i)
            log.append(record("x", i * 10, 2.0));
        const MqTrimResult r = log.trimOlderThan(1000, cutoff);
        QCOMPARE(log.logStart(), std::int64_t(expectedStart));
        QCOMPARE(r.records, std::int64_t(expectedStart));
        QCOMPARE(r.weight, 2.0 * static_cast<double>(expectedStart));
        QCOMPARE(log.logEnd(), std::int64_t(10)); // offsets are never reused
        QVERIFY(log.at(expectedStart - 1) == nullptr);
        QCOMPARE(log.weightBetween(expectedStart, 10), 2.0 * static_cast<double>(10 - expectedStart));
    }

    void retentionBySizeCountsWeightedBytes()
    {
        MqPartitionLog log;
        for (int i = 0; i < 10; ++i)
            log.append(record(std::string(80, 'x'), 0, 10.0)); // 100 bytes each, weight 10
        QCOMPARE(log.weightedBytes(), 10 * 100 * 10.0);
        log.trimToWeightedBytes(0, 3'500.0); // keeps 3 records (3,000 weighted bytes)
        QCOMPARE(log.logStart(), std::int64_t(7));
        QCOMPARE(log.weightedBytes(), 3 * 100 * 10.0);
    }

    void retentionStopsAtTheHighWatermark()
    {
        MqPartitionLog log;
        log.append(record("a", 0));
        log.append(record("b", 0, 1.0, 1'000)); // not visible before t = 1000
        log.append(record("c", 0));
        log.trimOlderThan(500, 400);
        QCOMPARE(log.logStart(), std::int64_t(1)); // "b" is not readable yet: it stays
        log.trimOlderThan(1'000, 400);
        QCOMPARE(log.logStart(), std::int64_t(3));
    }

    void headersAndBytes()
    {
        MqHeaders h;
        setHeader(h, "region", "sh-a");
        setHeader(h, "trace", "t1");
        setHeader(h, "region", "gz");
        QCOMPARE(h.size(), std::size_t(2));
        QCOMPARE(*findHeader(h, "region"), std::string("gz"));
        QCOMPARE(h[0].key, std::string("region")); // replaced in place: order kept
        QVERIFY(findHeader(h, "absent") == nullptr);
        MqMessage m;
        m.key = "k";
        m.value = "vvv";
        m.headers = h;
        QCOMPARE(m.bytes(), std::int64_t(1 + 3 + 6 + 2 + 5 + 2) + kRecordOverheadBytes);
    }
};

LIVEDECK_TEST_CLASS(TstMqPartitionLog)
#include "tst_mq_partition_log.moc"

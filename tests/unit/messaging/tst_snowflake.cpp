// Snowflake ids: the layout's fields round-trip, ids strictly increase and are time
// ordered, the per-worker sequence resets (or counts on) per millisecond, at most 4 096
// ids a millisecond, and a clock that goes back is refused until it has caught up.
#include "backend/messaging/snowflake.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <set>

using namespace livedeck;
using namespace livedeck::messaging;

namespace {

constexpr std::int64_t kT0 = 1'798'732'200'000; // 2026-12-31 23:50 +08:00 (sim::Calendar's default start)

SnowflakeGenerator make(std::uint32_t dc, std::uint32_t worker, SnowflakeSequence seq = SnowflakeSequence::ResetEachMillisecond)
{
    SnowflakeConfig c;
    c.datacentre = dc;
    c.worker = worker;
    c.sequence = seq;
    auto g = SnowflakeGenerator::create(c);
    if (!g.ok())
        qFatal("cannot create generator");
    return *g;
}

} // namespace

class TstSnowflake : public QObject {
    Q_OBJECT
private slots:
    void fieldsRoundTrip_data()
    {
        QTest::addColumn<uint>("dc");
        QTest::addColumn<uint>("worker");
        QTest::newRow("0/0") << 0u << 0u;
        QTest::newRow("3/17") << 3u << 17u;
        QTest::newRow("31/31") << 31u << 31u;
    }
    void fieldsRoundTrip()
    {
        QFETCH(uint, dc);
        QFETCH(uint, worker);
        SnowflakeGenerator g = make(dc, worker);
        for (int i = 0; i < 5; ++i) {
            const std::uint64_t id = *g.next(kT0 + 7);
            QCOMPARE(SnowflakeGenerator::unixMs(id, g.config().epochUnixMs), kT0 + 7);
            QCOMPARE(SnowflakeGenerator::datacentre(id), dc);
            QCOMPARE(SnowflakeGenerator::worker(id), worker);
            QCOMPARE(SnowflakeGenerator::sequence(id), std::uint32_t(i));
        }
    }

    void idsAreTimeOrderedAndUnique()
    {
        SnowflakeGenerator g = make(1, 2);
        std::set<std::uint64_t> seen;
        std::uint64_t last = 0;
        std::int64_t t = kT0;
        for (int i = 0; i < 20'000; ++i) {
            t += (i % 7 == 0) ? 1 : 0; // several ids per millisecond, then the next one
            const auto id = g.next(t);
            QVERIFY(id.ok());
            QVERIFY(*id > last);
            QVERIFY(SnowflakeGenerator::unixMs(*id, g.config().epochUnixMs) == t);
            last = *id;
            seen.insert(*id);
        }
        QCOMPARE(seen.size(), std::size_t{20'000});
        QCOMPARE(g.issued(), std::uint64_t{20'000});
        // Two workers at the same instant never collide.
        SnowflakeGenerator a = make(0, 1);
        SnowflakeGenerator b = make(0, 2);
        QVERIFY(*a.next(kT0) != *b.next(kT0));
    }

    void sequenceModes()
    {
        // One id per millisecond: Twitter's sequence is always 0, the continuous one counts.
        SnowflakeGenerator reset = make(0, 0, SnowflakeSequence::ResetEachMillisecond);
        SnowflakeGenerator cont = make(0, 0, SnowflakeSequence::Continuous);
        for (int i = 0; i < 10; ++i) {
            QCOMPARE(SnowflakeGenerator::sequence(*reset.next(kT0 + i)), 0u);
            QCOMPARE(SnowflakeGenerator::sequence(*cont.next(kT0 + i)), std::uint32_t(i));
        }
    }

    void atMost4096IdsPerMillisecond_data()
    {
        QTest::addColumn<int>("mode");
        QTest::newRow("reset each ms") << int(SnowflakeSequence::ResetEachMillisecond);
        QTest::newRow("continuous") << int(SnowflakeSequence::Continuous);
    }
    void atMost4096IdsPerMillisecond()
    {
        QFETCH(int, mode);
        SnowflakeGenerator g = make(0, 0, SnowflakeSequence(mode));
        (void)g.next(kT0 - 1); // continuous: start mid-range
        std::set<std::uint64_t> ids;
        for (int i = 0; i < 4'096; ++i)
            QVERIFY(ids.insert(*g.next(kT0)).second);
        const auto refused = g.next(kT0);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.status().code(), absl::StatusCode::kResourceExhausted);
        QCOMPARE(g.lastRefusal(), SnowflakeGenerator::Refusal::SequenceExhausted);
        QCOMPARE(g.refusedExhausted(), std::uint64_t{1});
        QVERIFY(g.next(kT0 + 1).ok()); // the next millisecond issues again
    }

    void clockGoingBackIsRefusedUntilItCatchesUp()
    {
        SnowflakeGenerator g = make(0, 5);
        const std::uint64_t before = *g.next(kT0 + 100);
        // A clock-skew fault puts the worker's clock 30 ms back.
        for (std::int64_t t = kT0 + 70; t < kT0 + 100; ++t) {
            const auto id = g.next(t);
            QVERIFY(!id.ok());
            QCOMPARE(id.status().code(), absl::StatusCode::kFailedPrecondition);
            QVERIFY2(std::string(id.status().message()).find("backwards by") != std::string::npos,
                     std::string(id.status().message()).c_str());
        }
        QCOMPARE(g.refusedBackwards(), std::uint64_t{30});
        QCOMPARE(g.issued(), std::uint64_t{1});
        // Back at the last millisecond: the sequence continues; later: new ids.
        const std::uint64_t same = *g.next(kT0 + 100);
        QVERIFY(same > before);
        QVERIFY(*g.next(kT0 + 101) > same);
    }

    void badConfigAndRange()
    {
        SnowflakeConfig c;
        c.worker = 32;
        QCOMPARE(SnowflakeGenerator::create(c).status().code(), absl::StatusCode::kInvalidArgument);
        c.worker = 0;
        c.datacentre = 40;
        QCOMPARE(SnowflakeGenerator::create(c).status().code(), absl::StatusCode::kInvalidArgument);
        SnowflakeGenerator g = make(0, 0);
        QCOMPARE(g.next(g.config().epochUnixMs - 1).status().code(), absl::StatusCode::kOutOfRange);
    }
};

LIVEDECK_TEST_CLASS(TstSnowflake)
#include "tst_snowflake.moc"

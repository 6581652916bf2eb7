#include "backend/cdn/back_origin.h"
#include "backend/cdn/slice_module.h"
#include "tests/common/multi_test.h"
#include "tests/unit/cdn/cdn_rig.h"

#include <cmath>

using namespace livedeck;
using namespace livedeck::cdn;
using namespace livedeck::sim;

namespace {

constexpr std::uint64_t kS = kSliceBytes;
constexpr double kBw = kOriginConnBytesPerSec; // the path, shared by both sub-requests

struct OriginRig {
    World world;
    Origin origin;
    BackOrigin backOrigin;
    OriginRig(Nanos oneWay, Nanos ttfb, double linkBps, double connBps)
        : world(cdntest::worldWithOrigin(oneWay)),
          origin(world, "bj/cdn/origin", OriginConfig{ttfb}),
          backOrigin(world, "sh-a/cdn/back-origin/0", origin, BackOriginConfig{8, connBps, linkBps, 2 * kSecond})
    {
    }
    SliceResult run(std::uint64_t objectBytes, int window, ObjectId id = 7)
    {
        origin.put(id, objectBytes);
        SliceModule m(world, backOrigin, SliceConfig{kS, window, 0.0, true, true});
        return cdntest::runRequest(world, m, ClientRange{id, 0, std::nullopt, true});
    }
};

Nanos transfer(std::uint64_t bytes, double bps)
{
    return static_cast<Nanos>(std::ceil(static_cast<double>(bytes) / bps * 1e9));
}

// Request time with window 2 relative to window 1 on a cold back-origin range.
double gain(Nanos oneWay, Nanos ttfb, double linkBps, double connBps, std::uint64_t bytes)
{
    OriginRig a(oneWay, ttfb, linkBps, connBps);
    const SliceResult w1 = a.run(bytes, 1);
    OriginRig b(oneWay, ttfb, linkBps, connBps);
    const SliceResult w2 = b.run(bytes, 2);
    if (!w1.completed || !w2.completed)
        return -1.0;
    return 1.0 - static_cast<double>(w2.duration()) / static_cast<double>(w1.duration());
}

} // namespace

class TstSliceModule : public QObject {
    Q_OBJECT
private slots:
    void windowOneIsNginxSequentialTimeline()
    {
        OriginRig rig(30 * kMillisecond, 5 * kMillisecond, kBw, kBw);
        const std::uint64_t bytes = 8 * kS + kS / 2; // a short last slice
        const SliceResult r = rig.run(bytes, 1);
        QVERIFY2(r.completed, r.reason.c_str());
        QCOMPARE(r.subrequests.size(), std::size_t{9});
        QCOMPARE(r.maxInFlight, 1);
        QCOMPARE(r.maxHeldBytes, std::uint64_t{0});
        // nginx: the next sub-request is created exactly when the previous slice is delivered.
        for (std::size_t i = 1; i < r.subrequests.size(); ++i)
            QCOMPARE(r.subrequests[i].created, r.subrequests[i - 1].delivered);
        // Each slice: one-way 30 ms + origin 5 ms + 30 ms back, then its bytes at 12.5 MB/s.
        Nanos expected = 0;
        for (std::size_t i = 0; i < 9; ++i) {
            const std::uint64_t len = i < 8 ? kS : kS / 2;
            expected += 65 * kMillisecond + transfer(len, kBw);
            QCOMPARE(r.subrequests[i].delivered, expected);
        }
        QCOMPARE(r.duration(), expected);
        QVERIFY(verifyBody(7, 1, 0, r.body).ok);
        QCOMPARE(r.bytesDelivered, bytes);
    }

    void windowTwoCutsBackOriginRequestTime_data()
    {
        QTest::addColumn<int>("mib");
        QTest::newRow("8 MiB") << 8;
        QTest::newRow("12 MiB") << 12;
        QTest::newRow("16 MiB") << 16;
    }
    void windowTwoCutsBackOriginRequestTime()
    {
        QFETCH(int, mib);
        // ~60 ms origin RTT, a shared path of 12.5 MB/s: the write-up's conditions.
        const double g = gain(kOriginRtt / 2, kOriginTtfb, kBw, kBw, static_cast<std::uint64_t>(mib) * kS);
        qInfo("window 2 vs 1, %d MiB at 60 ms RTT: %.1f %% lower", mib, g * 100.0);
        QVERIFY2(g >= 0.30 && g <= 0.50, qPrintable(QString::number(g)));
        OriginRig rig(kOriginRtt / 2, kOriginTtfb, kBw, kBw);
        const SliceResult r = rig.run(static_cast<std::uint64_t>(mib) * kS, 2);
        QCOMPARE(r.maxInFlight, 2);
        QVERIFY(r.maxHeldBytes <= kS);
        QVERIFY(verifyBody(7, 1, 0, r.body).ok);
    }

    void gainVanishesAsOriginLatencyGoesToZero()
    {
        // Shared bottleneck: with no latency to hide, two sub-requests only split the link.
        double previous = 1.0;
        const std::uint64_t bytes = 8 * kS;
        const Nanos X = transfer(kS, kBw);
        for (Nanos oneWay : {30 * kMillisecond, 15 * kMillisecond, 5 * kMillisecond, 1 * kMillisecond, Nanos{0}}) {
            const double g = gain(oneWay, 0, kBw, kBw, bytes);
            const double L = static_cast<double>(2 * oneWay);
            const double bound = 7.0 / 8.0 * std::min(L, static_cast<double>(X)) / (L + static_cast<double>(X));
            qInfo("one-way %.0f ms: gain %.2f %% (pipeline bound %.2f %%)", toMillis(oneWay), g * 100, bound * 100);
            QVERIFY(g <= previous + 1e-9);
            QVERIFY2(g <= bound + 0.01, "more than a 2-wide pipeline allows");
            previous = g;
        }
        QVERIFY(previous < 0.005);
    }

    void neverBetterThanTwoWide()
    {
        // Independent connections (no shared link): at zero latency two slices move at
        // once, the most a 2-wide window can give: request time at least half.
        for (Nanos oneWay : {Nanos{0}, 2 * kMillisecond, 30 * kMillisecond, 100 * kMillisecond}) {
            const double g = gain(oneWay, 0, 0.0, kBw, 8 * kS);
            QVERIFY2(g > 0.0 && g <= 0.5 + 1e-9, qPrintable(QString::number(g)));
        }
    }

    void heldBytesBoundedByWindow_data()
    {
        QTest::addColumn<int>("window");
        QTest::newRow("2") << 2;
        QTest::newRow("3") << 3;
        QTest::newRow("4") << 4;
    }
    void heldBytesBoundedByWindow()
    {
        QFETCH(int, window);
        World w;
        Origin origin(w, "sh-a/cdn/origin", {});
        origin.put(1, 12 * kS);
        // Even slices are slow, odd ones fast: later slices finish first and must wait.
        cdntest::ScriptedSource src(
            w, origin, [](std::uint64_t) { return 1 * kMillisecond; },
            [](std::uint64_t first) { return (first / kS) % 2 == 0 ? 50 * kMillisecond : 2 * kMillisecond; });
        SliceModule m(w, src, SliceConfig{kS, window, 0.0, true, true});
        const SliceResult r = cdntest::runRequest(w, m, ClientRange{1, 0, std::nullopt, true});
        QVERIFY(r.completed);
        QCOMPARE(r.maxInFlight, window);
        QVERIFY(r.maxHeldBytes > 0);
        QVERIFY(r.maxHeldBytes <= static_cast<std::uint64_t>(window - 1) * kS);
        QVERIFY(verifyBody(1, 1, 0, r.body).ok);
        for (std::size_t i = 1; i < r.subrequests.size(); ++i)
            QVERIFY(r.subrequests[i].delivered >= r.subrequests[i - 1].delivered);
    }

    void sendingOnCompletionReordersAndFailsTheDigest()
    {
        World w;
        Origin origin(w, "sh-a/cdn/origin", {});
        origin.put(1, 6 * kS);
        auto slowEven = [](std::uint64_t first) { return (first / kS) % 2 == 0 ? 50 * kMillisecond : 2 * kMillisecond; };
        cdntest::ScriptedSource src(w, origin, [](std::uint64_t) { return 1 * kMillisecond; }, slowEven);
        SliceModule ordered(w, src, SliceConfig{kS, 2, 0.0, true, true});
        const SliceResult good = cdntest::runRequest(w, ordered, ClientRange{1, 0, std::nullopt, true});
        QVERIFY(verifyBody(1, 1, 0, good.body).ok);
        SliceModule twin(w, src, SliceConfig{kS, 2, 0.0, false, true});
        const SliceResult bad = cdntest::runRequest(w, twin, ClientRange{1, 0, std::nullopt, true});
        QCOMPARE(bad.bytesDelivered, good.bytesDelivered);
        const DigestCheck check = verifyBody(1, 1, 0, bad.body);
        QVERIFY(!check.ok);
        QCOMPARE(check.badOffset, std::uint64_t{0});
    }

    void etagChangeMidRequestAborts()
    {
        OriginRig rig(30 * kMillisecond, 5 * kMillisecond, kBw, kBw);
        rig.origin.put(9, 8 * kS);
        rig.world.at(400 * kMillisecond, rig.world.kind("test.update"), 0, [&] { rig.origin.update(9, 2); });
        SliceModule m(rig.world, rig.backOrigin, SliceConfig{kS, 2, 0.0, true, true});
        const SliceResult r = cdntest::runRequest(rig.world, m, ClientRange{9, 0, std::nullopt, true});
        QVERIFY(!r.completed);
        QCOMPARE(r.failure, SliceFailure::EtagChanged);
        QVERIFY(r.bytesDelivered > 0 && r.bytesDelivered < 8 * kS);
        QVERIFY(verifyBody(9, 1, 0, r.body).ok); // the prefix is all version 1
        for (const Extent& e : r.body)
            QCOMPARE(e.version, Version{1});
        QCOMPARE(m.stats().aborted, std::uint64_t{1});

        // The twin without the ETag check splices two versions; the client's digest catches it.
        OriginRig twinRig(30 * kMillisecond, 5 * kMillisecond, kBw, kBw);
        twinRig.origin.put(9, 8 * kS);
        twinRig.world.at(400 * kMillisecond, twinRig.world.kind("test.update"), 0, [&] { twinRig.origin.update(9, 2); });
        SliceModule twin(twinRig.world, twinRig.backOrigin, SliceConfig{kS, 2, 0.0, true, false});
        const SliceResult spliced = cdntest::runRequest(twinRig.world, twin, ClientRange{9, 0, std::nullopt, true});
        QVERIFY(spliced.completed);
        QVERIFY(!verifyBody(9, 1, 0, spliced.body).ok);
    }

    void rangeOutsideObjectIs416()
    {
        World w;
        Origin origin(w, "sh-a/cdn/origin", {});
        origin.put(3, kS + kS / 2);
        cdntest::ScriptedSource src(w, origin, [](std::uint64_t) { return kMillisecond; }, [](std::uint64_t) { return kMillisecond; });
        SliceModule m(w, src, SliceConfig{kS, 2, 0.0, true, true});
        // Past the end, in a slice that does not exist.
        SliceResult r = cdntest::runRequest(w, m, ClientRange{3, 5 * kS, std::nullopt, true});
        QCOMPARE(r.status, kHttpRangeNotSatisfiable);
        QCOMPARE(r.failure, SliceFailure::RangeNotSatisfiable);
        // Past the end, inside the last (short) slice: the slice exists, the range does not.
        r = cdntest::runRequest(w, m, ClientRange{3, kS + kS * 3 / 4, std::nullopt, true});
        QCOMPARE(r.status, kHttpRangeNotSatisfiable);
        QCOMPARE(m.stats().rangeNotSatisfiable, std::uint64_t{2});
        QCOMPARE(r.bytesDelivered, std::uint64_t{0});
        // A range whose end lies past the object is clamped (RFC 9110), not refused.
        r = cdntest::runRequest(w, m, ClientRange{3, kS / 2, 10 * kS, true});
        QVERIFY(r.completed);
        QCOMPARE(r.status, kHttpPartial);
        QCOMPARE(r.rangeLast, kS + kS / 2 - 1);
        QCOMPARE(r.bytesDelivered, kS);
        QVERIFY(verifyBody(3, 1, kS / 2, r.body).ok);
        // Read amplification: the first slice is fetched whole for half of it.
        QCOMPARE(r.bytesFetched, kS + kS / 2);
    }

    void badConfigIsRefused()
    {
        QVERIFY(!validate(SliceConfig{kS, 0, 0.0, true, true}).ok());
        QVERIFY(!validate(SliceConfig{0, 2, 0.0, true, true}).ok());
        QVERIFY(validate(SliceConfig{kS, 1, 0.0, true, true}).ok());
    }

    void upstreamErrorFailsWithReason()
    {
        OriginRig rig(30 * kMillisecond, 5 * kMillisecond, kBw, kBw);
        // Object 99 is not at the origin: 404 on the first slice, nothing delivered.
        SliceModule m(rig.world, rig.backOrigin, SliceConfig{kS, 2, 0.0, true, true});
        const SliceResult r = cdntest::runRequest(rig.world, m, ClientRange{99, 0, std::nullopt, true});
        QVERIFY(!r.completed);
        QCOMPARE(r.failure, SliceFailure::NotPartial);
        QVERIFY(!r.reason.empty());
        QCOMPARE(r.bytesDelivered, std::uint64_t{0});
    }
};

LIVEDECK_TEST_CLASS(TstSliceModule)
#include "tst_slice_module.moc"

#include "backend/cdn/shared_link.h"
#include "tests/common/multi_test.h"

#include <cmath>

using namespace livedeck;
using namespace livedeck::cdn;
using namespace livedeck::sim;

class TstSharedLink : public QObject {
    Q_OBJECT
private slots:
    void aloneAFlowGetsItsCap()
    {
        World w;
        SharedLink link(w, 0, 100e6, 10e6);
        Nanos done = -1;
        link.start(10'000'000, 1.0, [&] { done = w.now(); });
        w.scheduler().runUntil(10 * kSecond);
        QCOMPARE(done, 1 * kSecond);
        QCOMPARE(link.bytesMoved(), std::uint64_t{10'000'000});
    }

    void flowsShareTheLinkMaxMinFairly()
    {
        // Link 12 MB/s; one flow capped at 4 (a slowed connection: cap 8 / slow 2), one at 8:
        // the slow one keeps 4, the other gets the remaining 8 (its cap).
        World w;
        SharedLink link(w, 0, 12e6, 8e6);
        Nanos slowDone = -1, fastDone = -1;
        link.start(4'000'000, 2.0, [&] { slowDone = w.now(); });
        link.start(16'000'000, 1.0, [&] { fastDone = w.now(); });
        w.scheduler().runUntil(10 * kSecond);
        QCOMPARE(slowDone, 1 * kSecond); // 4 MB at 4 MB/s
        // The fast flow: 8 MB in the first second at 8 MB/s (its cap), then alone at 8 MB/s.
        QCOMPARE(fastDone, 2 * kSecond);
    }

    void aJoiningFlowSlowsTheFirst()
    {
        // Link 10 MB/s, no per-flow cap: 10 MB alone would take 1 s; a second flow joining
        // at 0.5 s halves its rate, so it ends at 1.5 s, and the newcomer (5 MB) too.
        World w;
        SharedLink link(w, 0, 10e6, 0.0);
        Nanos first = -1, second = -1;
        link.start(10'000'000, 1.0, [&] { first = w.now(); });
        w.at(500 * kMillisecond, w.kind("test.join"), 0, [&] { link.start(5'000'000, 1.0, [&] { second = w.now(); }); });
        w.scheduler().runUntil(10 * kSecond);
        QVERIFY(std::abs(first - 1'500 * kMillisecond) <= 2);
        QVERIFY(std::abs(second - 1'500 * kMillisecond) <= 2);
        QCOMPARE(link.active(), std::size_t{0});
    }
};

LIVEDECK_TEST_CLASS(TstSharedLink)
#include "tst_shared_link.moc"

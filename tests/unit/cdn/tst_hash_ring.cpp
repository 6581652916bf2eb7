#include "backend/cdn/hash_ring.h"
#include "backend/cdn/slot_table.h"
#include "backend/sim/random.h"
#include "tests/common/multi_test.h"

#include <algorithm>
#include <map>

using namespace livedeck;
using namespace livedeck::cdn;
using namespace livedeck::sim;

namespace {

HashRing ringOf(int nodes, int vnodes = kRingVnodes)
{
    HashRing r(vnodes);
    for (int i = 0; i < nodes; ++i)
        r.addNode("cache-" + std::to_string(i));
    return r;
}

std::vector<std::uint64_t> keys(std::size_t n)
{
    std::vector<std::uint64_t> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(hashKey("vod/" + std::to_string(i) + "/chunk/0"));
    return out;
}

} // namespace

class TstHashRing : public QObject {
    Q_OBJECT
private slots:
    void lookupMatchesBruteForce()
    {
        HashRing r = ringOf(8, 20);
        // The ring by hand: every (name, j) point, first clockwise owner.
        std::map<std::uint64_t, int> points;
        for (int n = 0; n < 8; ++n)
            for (int j = 0; j < 20; ++j)
                points.emplace(hashKey("cache-" + std::to_string(n), static_cast<std::uint64_t>(j) + 1), n);
        for (std::uint64_t k : keys(20'000)) {
            auto it = points.lower_bound(k);
            const int expected = it == points.end() ? points.begin()->second : it->second;
            QCOMPARE(r.lookup(k), expected);
        }
    }

    void removingANodeMovesOnlyItsKeys()
    {
        HashRing r = ringOf(16);
        const auto ks = keys(100'000);
        std::vector<int> before;
        for (std::uint64_t k : ks)
            before.push_back(r.lookup(k));
        const std::uint64_t gen = r.generation();
        QVERIFY(r.removeNode("cache-5"));
        QVERIFY(r.generation() != gen);
        int moved = 0;
        for (std::size_t i = 0; i < ks.size(); ++i) {
            const int now = r.lookup(ks[i]);
            QVERIFY(now != 5);
            if (before[i] == 5)
                ++moved;
            else
                QCOMPARE(now, before[i]);
        }
        QVERIFY(moved > 100'000 / 16 / 2 && moved < 100'000 / 16 * 2);
        QCOMPARE(r.addNode("cache-5"), 5); // same stable index
        for (std::size_t i = 0; i < ks.size(); ++i)
            QCOMPARE(r.lookup(ks[i]), before[i]);
    }

    void virtualNodesSpreadKeys()
    {
        HashRing r = ringOf(64);
        std::vector<int> count(64, 0);
        const auto ks = keys(640'000);
        for (std::uint64_t k : ks)
            ++count[static_cast<std::size_t>(r.lookup(k))];
        const auto [mn, mx] = std::minmax_element(count.begin(), count.end());
        qInfo("64 nodes x 160 vnodes: keys per node min %d max %d (mean 10000)", *mn, *mx);
        QVERIFY(*mx < 13'500 && *mn > 6'500);
    }

    void ownersAreDistinctAndStartWithTheOwner()
    {
        HashRing r = ringOf(10);
        std::vector<int> out;
        for (std::uint64_t k : keys(1'000)) {
            r.owners(k, 4, out);
            QCOMPARE(out.size(), std::size_t{4});
            QCOMPARE(out[0], r.lookup(k));
            std::vector<int> sorted = out;
            std::sort(sorted.begin(), sorted.end());
            QVERIFY(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
        }
        r.owners(keys(1)[0], 50, out);
        QCOMPARE(out.size(), std::size_t{10});
    }

    void boundedLoadNeverExceedsTheCap()
    {
        HashRing r = ringOf(64);
        BoundedLoad bl(r, 1.25);
        // Skewed demand: Zipf-0.9 over 1 000 hot chunks, each request held open.
        ZipfDistribution zipf(1'000, 0.9);
        RandomStream rng(11);
        std::vector<int> placed;
        for (int i = 0; i < 50'000; ++i) {
            const std::uint64_t key = hashKey("vod/" + std::to_string(zipf(rng)));
            const double cap = bl.cap();
            const int node = bl.acquire(key);
            placed.push_back(node);
            QVERIFY(bl.load(node) <= cap);
            if (i % 5'000 == 4'999) {
                double mx = 0.0;
                for (int n = 0; n < 64; ++n)
                    mx = std::max(mx, bl.load(n));
                QVERIFY(mx <= std::ceil(1.25 * bl.totalLoad() / 64.0));
            }
        }
        QVERIFY(bl.spilled() > 0); // the hot chunks did not fit on their owners
        // Without bounds the hottest owner would carry far more than the cap.
        std::vector<int> plain(64, 0);
        zipf = ZipfDistribution(1'000, 0.9);
        RandomStream rng2(11);
        for (int i = 0; i < 50'000; ++i)
            ++plain[static_cast<std::size_t>(r.lookup(hashKey("vod/" + std::to_string(zipf(rng2)))))];
        QVERIFY(*std::max_element(plain.begin(), plain.end()) > bl.cap());
        for (int node : placed)
            bl.release(node);
        QCOMPARE(bl.totalLoad(), 0.0);
    }

    void slotsDisperseExcessLoad()
    {
        HashRing r = ringOf(16);
        LiveSlotTable table(r, SlotConfig{1'024, 1'000.0, 0.8});
        const std::uint64_t stream = hashKey("live/gala");
        const std::uint32_t s = table.slotOf(stream);
        table.setLoad(s, 800.0);
        QCOMPARE(table.width(s), 1);
        const std::vector<int> one = table.members(s);
        table.setLoad(s, 3'500.0);
        QCOMPARE(table.width(s), 4);
        const std::vector<int> four = table.members(s);
        QCOMPARE(four.size(), std::size_t{4});
        QCOMPARE(four[0], one[0]); // widening appends the next owners
        // Viewers spread over the set: no member far above the threshold.
        std::map<int, int> perNode;
        for (int v = 0; v < 3'500; ++v)
            ++perNode[table.nodeFor(stream, hashU64(static_cast<std::uint64_t>(v), 99))];
        QCOMPARE(perNode.size(), std::size_t{4});
        for (const auto& [node, n] : perNode)
            QVERIFY2(n < 1'100, qPrintable(QString::number(n)));
        // Hysteresis: just below 4 × threshold the set stays; it shrinks only with headroom.
        table.setLoad(s, 2'900.0);
        QCOMPARE(table.width(s), 4);
        table.setLoad(s, 2'300.0); // <= 0.8 × 3 × 1000
        QCOMPARE(table.width(s), 3);
        table.setLoad(s, 100.0);
        QCOMPARE(table.width(s), 1);
        // Pre-heating widens ahead of the crossing.
        table.preheat(s, 5'000.0);
        QCOMPARE(table.width(s), 5);
    }

    void infiniteThresholdKeepsOneNode()
    {
        // The sabotaged twin: the hot slot is never dispersed.
        HashRing r = ringOf(16);
        LiveSlotTable table(r, SlotConfig{1'024, std::numeric_limits<double>::infinity(), 0.8});
        const std::uint32_t s = table.slotOf(hashKey("live/gala"));
        table.setLoad(s, 1e6);
        QCOMPARE(table.width(s), 1);
        const auto loads = table.nodeLoads();
        QCOMPARE(static_cast<int>(std::count_if(loads.begin(), loads.end(), [](double x) { return x > 0; })), 1);
        QCOMPARE(*std::max_element(loads.begin(), loads.end()), 1e6);
    }
};

LIVEDECK_TEST_CLASS(TstHashRing)
#include "tst_hash_ring.moc"

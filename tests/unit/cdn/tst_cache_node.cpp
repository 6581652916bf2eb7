#include "backend/cdn/back_origin.h"
#include "backend/cdn/cache_node.h"
#include "backend/cdn/slice_module.h"
#include "tests/common/multi_test.h"
#include "tests/unit/cdn/cdn_rig.h"

#include <cmath>

using namespace livedeck;
using namespace livedeck::cdn;
using namespace livedeck::sim;

namespace {

constexpr std::uint64_t kS = kSliceBytes;

struct NodeRig {
    World world;
    Origin origin;
    BackOrigin backOrigin;
    CacheNode node;
    ComponentId gateway;
    NodeRig(CacheNodeConfig cfg, std::string_view originPath = "bj/cdn/origin")
        : world(cdntest::worldWithOrigin(30 * kMillisecond)),
          origin(world, originPath, OriginConfig{5 * kMillisecond}),
          backOrigin(world, "sh-a/cdn/back-origin/0", origin, BackOriginConfig{8, 12.5e6, 125e6, 2 * kSecond}),
          node(world, "sh-a/cdn/cache/0", cfg, backOrigin),
          gateway(world.components().mustAdd("sh-a/cdn/gateway/0", "cdn-gateway"))
    {
        origin.put(1, 64 * kS);
    }
    struct Got {
        SliceHeader header;
        SliceReply reply;
        Nanos asked = -1;
        Nanos headerAt = -1;
        Nanos doneAt = -1;
    };
    // Fetches slice `index` of object 1 at time `at`; the result fills in as the world runs.
    std::shared_ptr<Got> fetchAt(Nanos at, std::uint64_t index)
    {
        auto got = std::make_shared<Got>();
        world.at(at, world.kind("test.fetch"), 0, [this, got, index]() {
            got->asked = world.now();
            node.fetch(SliceFetch{1, index * kS, index * kS + kS - 1, gateway},
                       [this, got](const SliceHeader& h) {
                           QVERIFY(got->headerAt < 0);
                           got->header = h;
                           got->headerAt = world.now();
                       },
                       [this, got](const SliceReply& r) {
                           QVERIFY(got->headerAt >= 0); // header first
                           got->reply = r;
                           got->doneAt = world.now();
                       });
        });
        return got;
    }
    void runAll() { world.scheduler().runUntil(world.now() + 60 * kSecond); }
};

CacheNodeConfig quietConfig(CachePolicyKind policy = CachePolicyKind::S3Fifo, std::uint64_t capacity = 1024 * kS)
{
    CacheNodeConfig c;
    c.capacityBytes = capacity;
    c.policy = policy;
    c.disk.noiseSigma = 0.0;
    return c;
}

Nanos quietDisk()
{
    return kDiskSeek + static_cast<Nanos>(static_cast<double>(kS) / kDiskBytesPerSec * 1e9);
}

} // namespace

class TstCacheNode : public QObject {
    Q_OBJECT
private slots:
    void collapsedForwardingFetchesOnce()
    {
        NodeRig rig(quietConfig());
        std::vector<std::shared_ptr<NodeRig::Got>> got;
        for (int i = 0; i < 50; ++i)
            got.push_back(rig.fetchAt(0, 3));
        for (int i = 0; i < 20; ++i) // join after the header arrived, before the body is done
            got.push_back(rig.fetchAt(70 * kMillisecond, 3));
        rig.runAll();
        QCOMPARE(rig.node.stats().upstreamFetches, std::uint64_t{1});
        QCOMPARE(rig.origin.requests(), std::uint64_t{1});
        QCOMPARE(rig.node.stats().maxFetchesPerKey, 1);
        QCOMPARE(rig.node.stats().collapsed, std::uint64_t{69});
        for (const auto& g : got) {
            QCOMPARE(g->reply.header.status, kHttpPartial);
            QVERIFY(verifyBody(1, 1, 3 * kS, g->reply.body).ok);
        }
        QCOMPARE(rig.node.inFlightFetches(), std::size_t{0});
        QVERIFY(rig.node.cached(1, 3 * kS));
    }

    void withoutCollapsingEveryMissFetches()
    {
        // The sabotaged twin: an origin stampede.
        CacheNodeConfig cfg = quietConfig();
        cfg.collapsedForwarding = false;
        NodeRig rig(cfg);
        for (int i = 0; i < 50; ++i)
            rig.fetchAt(0, 3);
        rig.runAll();
        QCOMPARE(rig.node.stats().upstreamFetches, std::uint64_t{50});
        QCOMPARE(rig.origin.requests(), std::uint64_t{50});
        QCOMPARE(rig.node.stats().maxFetchesPerKey, 50);
    }

    void missCostsOriginRoundTripAndTransfer()
    {
        NodeRig rig(quietConfig());
        auto g = rig.fetchAt(0, 0);
        rig.runAll();
        // gateway→node 0.1 ms, node→origin 30 ms, origin 5 ms, back 30 ms, node→gateway 0.1 ms.
        QCOMPARE(g->headerAt, 65 * kMillisecond + 200 * kMicrosecond);
        const Nanos transfer = static_cast<Nanos>(std::ceil(static_cast<double>(kS) / 12.5e6 * 1e9));
        QCOMPARE(g->doneAt, g->headerAt + transfer);

        // The same fetch with the origin in a near region (sh-b, 1 ms + up to 0.2 ms jitter away).
        NodeRig near(quietConfig(), "sh-b/cdn/origin");
        auto n = near.fetchAt(0, 0);
        near.runAll();
        QVERIFY(n->headerAt >= 7 * kMillisecond && n->headerAt <= 8 * kMillisecond);
    }

    void hitCostsDiskServiceTime()
    {
        NodeRig rig(quietConfig());
        rig.fetchAt(0, 0);
        auto hit = rig.fetchAt(1 * kSecond, 0);
        rig.runAll();
        QCOMPARE(rig.node.stats().hits, std::uint64_t{1});
        const Nanos disk = rig.node.disks()[0]->serviceTime(kS);
        QCOMPARE(disk, 4 * kMillisecond + static_cast<Nanos>(static_cast<double>(kS) / 200e6 * 1e9));
        QCOMPARE(hit->headerAt - hit->asked, disk + 200 * kMicrosecond);
        QVERIFY(verifyBody(1, 1, 0, hit->reply.body).ok);
    }

    void slowDiskFaultSlowsHits()
    {
        NodeRig rig(quietConfig());
        rig.fetchAt(0, 0);
        v1::FaultSpec f;
        f.set_kind(v1::FAULT_SLOW_DISK);
        f.set_target("sh-a/cdn/cache/0/disk-0");
        f.set_start_ns(500 * kMillisecond);
        auto* p = f.add_params();
        p->set_name("multiply");
        p->set_value(5.0);
        QVERIFY(rig.world.faults().inject(f).ok());
        auto hit = rig.fetchAt(1 * kSecond, 0);
        rig.runAll();
        const Nanos disk = rig.node.disks()[0]->serviceTime(kS);
        QCOMPARE(hit->headerAt - hit->asked, 5 * disk + 200 * kMicrosecond);
    }

    void oneDiskQueuesReads()
    {
        NodeRig rig(quietConfig());
        for (std::uint64_t i = 0; i < 10; ++i)
            rig.fetchAt(0, i);
        std::vector<std::shared_ptr<NodeRig::Got>> hits;
        for (std::uint64_t i = 0; i < 10; ++i)
            hits.push_back(rig.fetchAt(2 * kSecond, i));
        rig.runAll();
        const Nanos disk = rig.node.disks()[0]->serviceTime(kS);
        Nanos last = 0;
        for (const auto& h : hits)
            last = std::max(last, h->headerAt - h->asked);
        QCOMPARE(last, 10 * disk + 200 * kMicrosecond);
    }

    void evictionReallyEvicts()
    {
        NodeRig rig(quietConfig(CachePolicyKind::Lru, 4 * kS));
        for (std::uint64_t i = 0; i < 8; ++i)
            rig.fetchAt(static_cast<Nanos>(i) * kSecond, i);
        rig.runAll();
        QCOMPARE(rig.node.policy().objects(), std::uint64_t{4});
        QVERIFY(!rig.node.cached(1, 0));
        QVERIFY(rig.node.cached(1, 7 * kS));
        const std::uint64_t before = rig.node.stats().upstreamFetches;
        rig.fetchAt(rig.world.now() + kSecond, 0);
        rig.runAll();
        QCOMPARE(rig.node.stats().upstreamFetches, before + 1);
    }

    void downNodeAnswers503()
    {
        NodeRig rig(quietConfig());
        v1::FaultSpec f;
        f.set_kind(v1::FAULT_DOWN);
        f.set_target("sh-a/cdn/cache/0");
        QVERIFY(rig.world.faults().inject(f).ok());
        rig.world.scheduler().runUntil(1);
        auto g = rig.fetchAt(10 * kMillisecond, 0);
        rig.runAll();
        QCOMPARE(g->header.status, kHttpUnavailable);
        QVERIFY(!g->header.reason.empty());
        QCOMPARE(rig.origin.requests(), std::uint64_t{0});
    }

    void prefetchGainOnHitsIsSmall()
    {
        // On disk hits the window only hides the next slice's disk read behind the client's
        // transfer: a few per cent, against ~40 % on back-origin ranges.
        Nanos time[2];
        for (int w = 1; w <= 2; ++w) {
            NodeRig rig(quietConfig());
            for (std::uint64_t i = 0; i < 8; ++i)
                rig.fetchAt(0, i);
            rig.runAll();
            SliceModule m(rig.world, rig.node, SliceConfig{kS, w, 12.5e6, true, true}, rig.gateway);
            const SliceResult r = cdntest::runRequest(rig.world, m, ClientRange{1, 0, 8 * kS - 1, true});
            QVERIFY(r.completed);
            QCOMPARE(rig.node.stats().hits, std::uint64_t{8});
            QVERIFY(verifyBody(1, 1, 0, r.body).ok);
            time[w - 1] = r.duration();
        }
        const double gain = 1.0 - static_cast<double>(time[1]) / static_cast<double>(time[0]);
        qInfo("window 2 vs 1 on cache hits (8 MiB, 12.5 MB/s client): %.1f %% lower", gain * 100);
        QVERIFY(gain > 0.01 && gain < 0.10);
        // The pipeline's prediction: (N − 1)/N × L/(L + X), L = disk read + 0.2 ms, X = client transfer.
        const double L = toMillis(quietDisk() + 200 * kMicrosecond);
        const double X = static_cast<double>(kS) / 12.5e6 * 1e3;
        QVERIFY(std::abs(gain - 7.0 / 8.0 * L / (L + X)) < 0.002);
    }
};

LIVEDECK_TEST_CLASS(TstCacheNode)
#include "tst_cache_node.moc"

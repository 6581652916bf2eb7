#include "backend/gifts/gifts_engine.h"
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::gifts;

namespace {

// A small steady run: ~60 discrete orders and ~100 panel requests per simulated second.
GiftsConfig smallConfig()
{
    GiftsConfig c;
    c.load = LoadProfile::steady();
    c.loadGenerator.minDiscreteGiftsPerSec = 60.0;
    c.loadGenerator.maxGiftWeight = 1e9;
    c.loadGenerator.minDiscreteEntriesPerSec = 100.0;
    c.loadGenerator.maxEntryWeight = 1e9;
    return c;
}

struct Rig {
    sim::World world;
    telemetry::Telemetry telemetry{world};
    std::unique_ptr<GiftsEngine> engine;
    explicit Rig(GiftsConfig c, std::uint64_t seed = 7)
        : world([seed] {
              sim::WorldConfig w;
              w.seed = seed;
              return w;
          }())
    {
        engine = std::make_unique<GiftsEngine>(world, telemetry, std::move(c));
    }
    ~Rig() { engine.reset(); }
};

} // namespace

class TstGiftsEngine : public QObject {
    Q_OBJECT

private slots:
    void invalidConfigIsRefused_data()
    {
        QTest::addColumn<int>("which");
        QTest::newRow("no serving region") << 0;
        QTest::newRow("unknown standby") << 1;
        QTest::newRow("zero pods") << 2;
        QTest::newRow("more products than the catalogue") << 3;
    }
    void invalidConfigIsRefused()
    {
        QFETCH(int, which);
        GiftsConfig c = smallConfig();
        switch (which) {
        case 0:
            c.multiActive.serving.clear();
            break;
        case 1:
            c.multiActive.standby = "mars";
            break;
        case 2:
            c.orders.initialPods = 0;
            break;
        default:
            c.loadGenerator.products = c.catalog.table.products + 1;
            break;
        }
        sim::World world;
        telemetry::Telemetry telemetry(world);
        const auto engine = GiftsEngine::create(world, telemetry, c);
        QVERIFY(!engine.ok());
        QVERIFY(!engine.status().message().empty());
    }

    void ordersFlowAndSettle()
    {
        Rig rig(smallConfig());
        GiftsEngine& e = *rig.engine;
        e.start();
        rig.world.scheduler().runUntil(4 * sim::kSecond);
        e.stopLoad();
        rig.world.scheduler().runUntil(10 * sim::kSecond);
        const OrderClient::Totals& t = e.client().totals();
        qInfo("placed %.0f paid %.0f failed %.0f pending %.0f shed %.0f errors %.0f retries %.0f (discrete %llu)",
              t.placed, t.paid, t.failed, t.pending, t.shed, t.errors, t.retries,
              static_cast<unsigned long long>(t.discretePlaced));
        QVERIFY(t.discretePlaced > 150);
        QCOMPARE(t.discreteFinished, t.discretePlaced);
        QVERIFY(t.paid > 0.95 * t.placed);
        QCOMPARE(e.watchdog().unsettled(), std::size_t(0));
        QVERIFY(e.settledRecords() > 0);
        // Both serving regions took orders, the standby took none of the users.
        QVERIFY(e.client().regionTotals(e.regionIndex("sh-a")).placed > 0);
        QVERIFY(e.client().regionTotals(e.regionIndex("sh-b")).placed > 0);
        QCOMPARE(e.client().regionTotals(e.regionIndex("gz")).placed, 0.0);
        const auto results = e.checkInvariants();
        QVERIFY(results.size() >= 7);
        for (const InvariantResult& r : results)
            QVERIFY2(r.passed, qPrintable(QString::fromStdString(r.name + ": " + r.detail)));
        QCOMPARE(rig.world.events().count("invariant.double_charge"), std::uint64_t(0));
        // The console's overview metrics exist.
        const auto& m = rig.telemetry.metrics();
        QVERIFY(m.findCounter("gifts.orders.placed") != nullptr);
        QVERIFY(m.findCounter("gifts.orders.placed")->total() > 0.0);
        QVERIFY(m.findCounter("gifts.errors") != nullptr);
        QVERIFY(m.findGauge("gifts.settlement.lag") != nullptr);
    }

    void snapshotHasBreakersShardsAndRegions()
    {
        Rig rig(smallConfig());
        rig.engine->start();
        rig.world.scheduler().runUntil(3 * sim::kSecond);
        v1::Snapshot snap;
        rig.telemetry.buildSnapshot(snap, telemetry::SnapshotOptions{false, false, 0});
        int payment = 0;
        for (const auto& b : snap.breakers())
            if (b.path().find("/gifts/order/breaker/payment") != std::string::npos)
                ++payment;
        QCOMPARE(payment, 3);
        QCOMPARE(snap.regions_size(), 3);
        for (const auto& r : snap.regions()) {
            QVERIFY(r.up());
            if (r.region() != "gz") {
                QVERIFY(r.rps() > 0.0);
                QVERIFY(r.availability() > 0.9);
            }
        }
        // The order DB's 10 shards report their month partitions.
        int orderShards = 0;
        for (const auto& s : snap.shards())
            if (s.cluster() == "gifts/order-db")
                ++orderShards;
        QVERIFY(orderShards >= 10);
    }

    void loadChangesAtATime()
    {
        Rig rig(smallConfig());
        GiftsEngine& e = *rig.engine;
        e.scheduleMultiplier(2 * sim::kSecond, 3.0);
        LoadProfile storm = LoadProfile::roomStorm(3 * sim::kSecond);
        e.scheduleProfile(2500 * sim::kMillisecond, storm);
        e.start();
        rig.world.scheduler().runUntil(1900 * sim::kMillisecond);
        const double before = e.load().realGifts();
        QCOMPARE(e.load().profile().multiplier, 1.0);
        rig.world.scheduler().runUntil(2400 * sim::kMillisecond);
        QCOMPARE(e.load().profile().multiplier, 3.0);
        rig.world.scheduler().runUntil(2600 * sim::kMillisecond);
        QCOMPARE(e.load().profile().name, std::string("room-storm"));
        QVERIFY(e.load().realGifts() > before);
    }

    void crossRegionModeUsesSharedBroker()
    {
        GiftsConfig c = smallConfig();
        c.multiActive.mode = MultiActiveMode::CrossRegion;
        Rig rig(c);
        GiftsEngine& e = *rig.engine;
        e.start();
        rig.world.scheduler().runUntil(3 * sim::kSecond);
        e.stopLoad();
        rig.world.scheduler().runUntil(8 * sim::kSecond);
        const int shb = e.regionIndex("sh-b");
        // sh-b's order service publishes to the shared sh-a broker: its own stays empty.
        QCOMPARE(e.settlement(shb)->stats().settled, std::uint64_t(0));
        QVERIFY(e.mode() == MultiActiveMode::CrossRegion);
        QCOMPARE(e.watchdog().unsettled(), std::size_t(0));
        for (const InvariantResult& r : e.checkInvariants())
            QVERIFY2(r.passed, qPrintable(QString::fromStdString(r.name + ": " + r.detail)));
        // Switch back: local-first.
        e.setMode(MultiActiveMode::LocalFirst);
        QVERIFY(e.mode() == MultiActiveMode::LocalFirst);
        QVERIFY(e.config().multiActive.mode == MultiActiveMode::LocalFirst);
    }

    void sameSeedSameRun()
    {
        std::uint64_t hashes[2];
        for (int i = 0; i < 2; ++i) {
            Rig rig(smallConfig(), 11);
            rig.engine->start();
            rig.world.scheduler().runUntil(2 * sim::kSecond);
            hashes[i] = rig.world.stateDigest();
        }
        QCOMPARE(hashes[0], hashes[1]);
    }
};

LIVEDECK_TEST_CLASS(TstGiftsEngine)
#include "tst_gifts_engine.moc"

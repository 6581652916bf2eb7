#include "backend/gifts/panel_rig.h"
#include "livedeck/v1/cluster.pb.h"
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::gifts;

namespace {

v1::FaultSpec fault(v1::FaultKind kind, const std::string& target, sim::Nanos start, sim::Nanos end)
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(target);
    f.set_start_ns(start);
    f.set_end_ns(end);
    return f;
}

v1::FaultSpec partition(const std::string& a, const std::string& b, sim::Nanos start, sim::Nanos end)
{
    v1::FaultSpec f = fault(v1::FAULT_PARTITION, a, start, end);
    v1::FaultParam* p = f.add_params();
    p->set_name("peer");
    p->set_text(b);
    return f;
}

double total(const telemetry::MetricsRegistry& m, std::string_view name)
{
    const telemetry::Counter* c = m.findCounter(name);
    return c ? c->total() : -1.0;
}

} // namespace

class TstCatalog : public QObject {
    Q_OBJECT

private slots:
    // getProduct: the table's price and kind, answered from a later event, exactly once;
    // an unknown product fails.
    void getProductAnswersFromTheTable()
    {
        sim::World world;
        telemetry::Telemetry tel(world);
        ProductCatalog catalog(world, tel, CatalogConfig{});
        const sim::ComponentId caller = world.components().mustAdd("sh-a/gifts/order", "test");
        const Product& p = catalog.table().products()[41];
        world.scheduler().runUntil(100 * sim::kMillisecond); // the warming writes land
        int calls = 0;
        ProductLookup got;
        catalog.getProduct(caller, 0, p.id, 10.0, [&](const ProductLookup& l) {
            ++calls;
            got = l;
        });
        QCOMPARE(calls, 0); // never synchronous
        int unknownCalls = 0;
        bool unknownOk = true;
        catalog.getProduct(caller, 0, 999'999, 1.0, [&](const ProductLookup& l) {
            ++unknownCalls;
            unknownOk = l.ok;
        });
        world.scheduler().runUntil(2 * sim::kSecond);
        QCOMPARE(calls, 1);
        QVERIFY(got.ok);
        QCOMPARE(got.product, p.id);
        QCOMPARE(got.priceCents, p.priceCents);
        QVERIFY(got.kind == p.kind);
        QVERIFY(got.latency > 0);
        QCOMPARE(unknownCalls, 1);
        QVERIFY(!unknownOk);
        // Weighted: the lookup counted 10 real requests at the KV.
        QCOMPARE(catalog.regionStats(0).kvReads, 10.0);
        QCOMPARE(catalog.regionStats(0).kvHits, 10.0); // the KV starts warm
    }

    // A cold KV: the first read misses, loads from the catalogue and writes back; the
    // second read hits.
    void coldKvLoadsAndWritesBack()
    {
        sim::World world;
        telemetry::Telemetry tel(world);
        CatalogConfig c;
        c.warmKv = false;
        ProductCatalog catalog(world, tel, c);
        const sim::ComponentId caller = world.components().mustAdd("sh-b/gifts/order", "test");
        const int shB = 1;
        GeneralTab first;
        GeneralTab second;
        catalog.getGeneralTab(caller, shB, 12345, 1.0, [&](const GeneralTab& t) { first = t; });
        world.scheduler().runUntil(sim::kSecond);
        catalog.getGeneralTab(caller, shB, 12345, 1.0, [&](const GeneralTab& t) { second = t; });
        world.scheduler().runUntil(2 * sim::kSecond);
        QVERIFY(first.ok);
        QVERIFY(first.source == TabSource::Catalogue);
        QVERIFY(second.ok);
        QVERIFY(second.source == TabSource::Kv);
        QCOMPARE(first.checksum, second.checksum);
        QCOMPARE(first.products, catalog.table().config().generalTabSize);
        QCOMPARE(catalog.regionStats(shB).loads, 1.0);
        QCOMPARE(catalog.service(shB)->loads(), std::uint64_t{1});
    }

    // Singleflight on vs off at the gala peak with the other defences off, while the
    // KV (or, with a cold KV, the catalogue) is slow: lookups that arrive while a fetch
    // of their key is in flight join it and never reach the KV / the catalogue DB.
    void singleflightSavesKvAndDbRequests_data()
    {
        QTest::addColumn<bool>("warm");
        QTest::addColumn<QString>("slowPath");
        QTest::newRow("warm KV, slow KV: KV reads") << true << QStringLiteral("sh-a/gifts/redis");
        QTest::newRow("cold KV, slow catalogue: loads") << false << QStringLiteral("sh-a/gifts/catalog");
    }
    void singleflightSavesKvAndDbRequests()
    {
        QFETCH(bool, warm);
        QFETCH(QString, slowPath);
        double kvReads[2] = {};
        double loads[2] = {};
        double shared[2] = {};
        double failed[2] = {};
        for (int on = 0; on < 2; ++on) {
            PanelRigConfig c;
            c.panel.hotRoomCache = false;
            c.catalog.hotKeyLocalCache = false;
            c.catalog.singleflight = on == 1;
            c.catalog.warmKv = warm;
            PanelRig rig(c);
            v1::FaultSpec slow = fault(v1::FAULT_LATENCY, slowPath.toStdString(), 0, 0);
            auto* p = slow.add_params();
            p->set_name("add_ms");
            p->set_value(5.0);
            rig.inject({slow});
            rig.start();
            rig.runUntil(3 * sim::kSecond);
            const CatalogKeyStats s = rig.catalog().regionStats(rig.region("sh-a"));
            kvReads[on] = s.kvReads;
            loads[on] = s.loads;
            shared[on] = s.shared;
            failed[on] = rig.panel().totals().generalFailed;
            QVERIFY(s.lookups > 0.0);
            QVERIFY(std::abs(s.lookups - s.kvReads - s.shared) < 1e-6 * s.lookups); // every lookup reads or joins
        }
        QCOMPARE(shared[0], 0.0);
        QVERIFY(shared[1] > 0.0);
        qInfo("KV reads off %.0f on %.0f; catalogue loads off %.0f on %.0f; general tabs failed off %.0f on %.0f",
              kvReads[0], kvReads[1], loads[0], loads[1], failed[0], failed[1]);
        QCOMPARE(failed[1], 0.0); // with singleflight the slow backend still serves every tab
        if (warm) {
            // Without it every lookup reads the KV, which then overflows and the tabs fail.
            QVERIFY(kvReads[1] < 0.8 * (kvReads[1] + shared[1]));
            QVERIFY(failed[0] > 0.0);
        } else
            QVERIFY(loads[0] > 1.5 * loads[1]);
    }

    // One data centre's KV down: local-first keeps the damage in that region, cross-region
    // spreads it to the other's callers; the general tab stays available either way
    // (catalogue fallback).
    void kvDownLocalFirstVsCrossRegion_data()
    {
        QTest::addColumn<bool>("localFirst");
        QTest::newRow("local-first") << true;
        QTest::newRow("cross-region") << false;
    }
    void kvDownLocalFirstVsCrossRegion()
    {
        QFETCH(bool, localFirst);
        PanelRigConfig c;
        c.catalog.mode = localFirst ? MultiActiveMode::LocalFirst : MultiActiveMode::CrossRegion;
        PanelRig rig(c);
        rig.inject({fault(v1::FAULT_DOWN, "sh-a/gifts/redis", sim::kSecond, 3 * sim::kSecond)});
        const int shA = rig.region("sh-a");
        const int shB = rig.region("sh-b");
        rig.start();
        rig.runUntil(4 * sim::kSecond);
        const CatalogKeyStats a = rig.catalog().regionStats(shA);
        const CatalogKeyStats b = rig.catalog().regionStats(shB);
        QVERIFY(a.kvErrors > 0.0);
        QVERIFY(a.loads > 0.0); // fell back to the catalogue
        if (localFirst)
            QCOMPARE(b.kvErrors, 0.0);
        else
            QVERIFY(b.kvErrors > 0.0);
        QCOMPARE(rig.panel().totals().generalFailed, 0.0);
        QVERIFY(rig.panel().totals(shA).withinBudget > 0.999 * rig.panel().totals(shA).answers);
    }

    // Cross-region mode, sh-a partitioned from sh-b: a read sent across the partition
    // never answers before the KV client timeout (250 ms), the panel's whole general-tab
    // budget. With the hedge a read not answered after 50 ms asks the other pair, and the
    // pair that lost is skipped for a second: every panel gets its general tab, and the
    // hedges are a small share of the reads. Without it (kvHedging = false) panels answer
    // without the general tab.
    void crossRegionPartitionIsHedged_data()
    {
        QTest::addColumn<bool>("hedging");
        QTest::newRow("hedged") << true;
        QTest::newRow("one pair per read") << false;
    }
    void crossRegionPartitionIsHedged()
    {
        QFETCH(bool, hedging);
        PanelRigConfig c;
        c.catalog.mode = MultiActiveMode::CrossRegion;
        c.catalog.kvHedging = hedging;
        PanelRig rig(c);
        rig.inject({partition("sh-a", "sh-b", sim::kSecond, 4 * sim::kSecond)});
        rig.start();
        rig.runUntil(5 * sim::kSecond);
        const telemetry::MetricsRegistry& m = rig.telemetry().metrics();
        const double reads = total(m, "gifts.catalog.kv_reads");
        const double hedges = total(m, "gifts.catalog.kv_hedges");
        const double wins = total(m, "gifts.catalog.kv_hedge_wins");
        QVERIFY(reads > 0.0);
        if (!hedging) {
            QCOMPARE(hedges, 0.0);
            QVERIFY2(rig.panel().totals().generalFailed > 0.0, "the partition should cost general tabs unhedged");
            return;
        }
        QCOMPARE(rig.panel().totals().generalFailed, 0.0);
        QVERIFY(wins > 0.0);
        QVERIFY(wins <= hedges);
        QVERIFY2(hedges < 0.05 * reads, qPrintable(QStringLiteral("hedges %1 of %2 reads").arg(hedges).arg(reads)));
        QVERIFY(total(m, "gifts.catalog.kv_avoids") > 0.0);
    }

    // A healthy cross-region run never waits 50 ms for a KV read: no hedges.
    void healthyCrossRegionDoesNotHedge()
    {
        PanelRigConfig c;
        c.catalog.mode = MultiActiveMode::CrossRegion;
        PanelRig rig(c);
        rig.start();
        rig.runUntil(3 * sim::kSecond);
        const telemetry::MetricsRegistry& m = rig.telemetry().metrics();
        QVERIFY(total(m, "gifts.catalog.kv_reads") > 0.0);
        QCOMPARE(total(m, "gifts.catalog.kv_hedges"), 0.0);
        QCOMPARE(rig.panel().totals().generalFailed, 0.0);
    }

    // setMode switches where the reads go.
    void setModeMovesReads()
    {
        PanelRig rig(PanelRigConfig{});
        infra::KvPair* pairB = rig.catalog().kvPairOfRegion(rig.region("sh-b"));
        QVERIFY(pairB);
        rig.start();
        rig.runUntil(sim::kSecond);
        const double bBefore = rig.catalog().regionStats(rig.region("sh-a")).kvReads;
        QVERIFY(bBefore > 0.0);
        rig.catalog().setMode(MultiActiveMode::CrossRegion);
        QVERIFY(rig.catalog().mode() == MultiActiveMode::CrossRegion);
        rig.inject({fault(v1::FAULT_DOWN, "sh-b/gifts/redis", rig.world().now(), 0)});
        rig.runUntil(2 * sim::kSecond);
        // In cross-region mode sh-a's callers read sh-b's (down) pair too.
        QVERIFY(rig.catalog().regionStats(rig.region("sh-a")).kvErrors > 0.0);
    }
};

LIVEDECK_TEST_CLASS(TstCatalog)
#include "tst_catalog.moc"

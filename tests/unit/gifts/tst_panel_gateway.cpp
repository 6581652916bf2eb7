#include "backend/gifts/gateway.h"
#include "backend/gifts/panel_rig.h"
#include "livedeck/v1/cluster.pb.h"
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::gifts;

class TstPanelGateway : public QObject {
    Q_OBJECT

private:
    // Drives `rooms` entries per millisecond for `ms` milliseconds: room `hot` gets
    // `hotShare` of them, the rest spread over 1 000 rooms.
    static void drive(sim::World& world, PanelGateway& gw, double weight, RoomId hot, double hotShare, int ms,
                      std::uint64_t& served)
    {
        sim::RandomStream rng = world.stream("test/rooms");
        const sim::EventKindId kind = world.kind("test.entries");
        const sim::Nanos until = world.now() + ms * sim::kMillisecond;
        for (sim::Nanos t = world.now(); t < until; t += sim::kMillisecond) {
            world.at(t, kind, gw.component(), [&, hot, hotShare, weight]() mutable {
                for (int i = 0; i < 10; ++i) {
                    const RoomId room = rng.bernoulli(hotShare) ? hot : static_cast<RoomId>(1000 + rng.uniformInt(1000));
                    if (const GeneralTab* t = gw.lookup(room, weight)) {
                        QVERIFY(t->source == TabSource::GatewayCache);
                        QCOMPARE(t->room, room);
                        ++served;
                    } else {
                        GeneralTab built;
                        built.ok = true;
                        built.room = room;
                        built.products = 40;
                        built.source = TabSource::Kv;
                        gw.store(room, built);
                    }
                }
            });
        }
        world.scheduler().runUntil(until);
    }

private slots:
    // Weighted detection: 10 000 real entries/ms (10 M/s), 30 % to one room → it turns
    // hot, its panel is cached and served; cold rooms never are. When its traffic stops
    // it cools down and leaves the cache.
    void hotRoomServedFromMemoryAndCools_data()
    {
        QTest::addColumn<bool>("enabled");
        QTest::newRow("cache on") << true;
        QTest::newRow("cache off (sabotage)") << false;
    }
    void hotRoomServedFromMemoryAndCools()
    {
        QFETCH(bool, enabled);
        sim::World world;
        telemetry::MetricsRegistry metrics;
        PanelGateway gw(world, metrics, "sh-a/gifts/gateway", GatewayConfig{}, enabled);
        std::uint64_t served = 0;
        drive(world, gw, 1'000.0, 42, 0.3, 2'000, served);
        QVERIFY(gw.isHot(42));
        QVERIFY(!gw.isHot(1500));
        QCOMPARE(gw.hotRooms(), 1u);
        QCOMPARE(world.events().count("gifts.hot_room"), std::uint64_t{1});
        if (enabled) {
            QVERIFY(served > 4'000); // ~6 000 hot entries, all but the first few from memory
            QVERIFY(gw.cacheHits() > 0.6 * 0.3 * gw.entries());
        } else {
            QCOMPARE(served, std::uint64_t{0});
            QCOMPARE(gw.cacheHits(), 0.0);
        }
        // Room 42's traffic stops: it cools down and is not served any more.
        drive(world, gw, 1'000.0, 42, 0.0, 20'000, served);
        QVERIFY(!gw.isHot(42));
        QCOMPARE(world.events().count("gifts.hot_room_cooled"), std::uint64_t{1});
        QVERIFY(gw.lookup(42, 1.0) == nullptr);
    }

    // Weights matter: the same discrete stream at weight 1 is 10 K entries/s, below the
    // 20 K real entries/s the detector needs before it calls anything hot.
    void lightTrafficIsNeverHot()
    {
        sim::World world;
        telemetry::MetricsRegistry metrics;
        PanelGateway gw(world, metrics, "sh-a/gifts/gateway", GatewayConfig{}, true);
        std::uint64_t served = 0;
        drive(world, gw, 1.0, 42, 0.3, 2'000, served);
        QVERIFY(!gw.isHot(42));
        QCOMPARE(served, std::uint64_t{0});
    }

    // In the panel: a hot-key fault on the region's load makes room 7 hot; the gateway
    // serves it and the KV sees a trickle of reads for its tab. With the cache off the
    // panel servers take every entry (the catalogue's local cache still shields the KV).
    void panelHotRoomFault_data()
    {
        QTest::addColumn<bool>("gateway");
        QTest::newRow("gateway cache on") << true;
        QTest::newRow("gateway cache off") << false;
    }
    void panelHotRoomFault()
    {
        QFETCH(bool, gateway);
        // From 2 s, half of sh-a's room entries go to room 7.
        PanelRigConfig c;
        c.panel.hotRoomCache = gateway;
        PanelRig rig(c);
        v1::FaultSpec hot;
        hot.set_kind(v1::FAULT_HOT_KEY);
        hot.set_target("sh-a/gifts/load");
        hot.set_start_ns(2 * sim::kSecond);
        v1::FaultParam* share = hot.add_params();
        share->set_name("share");
        share->set_value(0.5);
        v1::FaultParam* room = hot.add_params();
        room->set_name("key");
        room->set_text("room:7");
        rig.inject({hot});
        const int shA = rig.region("sh-a");
        const std::uint32_t key = rig.catalog().table().roomKey(7);
        PanelProbe probe(rig.world(), rig.panel(), rig.catalog(), "sh-a", key);
        rig.start();
        rig.runUntil(8 * sim::kSecond);
        const PanelObservation& o = probe.finish();
        QVERIFY(rig.panel().gateway(shA)->isHot(7));
        QVERIFY(!rig.panel().gateway(rig.region("sh-b"))->isHot(7)); // the fault is sh-a's only
        const double lookups = o.keyLookupsBetween(4 * sim::kSecond, 8 * sim::kSecond);
        const double reads = o.keyKvReadsBetween(4 * sim::kSecond, 8 * sim::kSecond);
        const double gatewayHits = o.totals.gatewayHits;
        if (gateway) {
            QVERIFY(gatewayHits > 0.5 * o.totals.answers); // room 7 (50 %) plus the gala room
            QVERIFY(lookups < 0.01 * gatewayHits);       // the catalogue sees a refill per second
        } else {
            QCOMPARE(gatewayHits, 0.0);
            QVERIFY(lookups > 100'000.0);                // every entry of room 7 reaches the catalogue...
            QVERIFY(reads < 0.05 * lookups);             // ...whose hot-key local cache shields the KV
            QVERIFY(rig.catalog().isHotKey(rig.panel().component(shA), key));
        }
        QCOMPARE(o.totals.generalFailed, 0.0);
    }
};

LIVEDECK_TEST_CLASS(TstPanelGateway)
#include "tst_panel_gateway.moc"

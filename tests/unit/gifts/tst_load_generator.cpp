#include "backend/gifts/load_generator.h"
#include "backend/telemetry/telemetry.h"
#include "tests/common/multi_test.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace livedeck;
using namespace livedeck::gifts;

namespace {

struct CountingSink : GiftTrafficSink {
    const sim::World* world = nullptr;
    sim::Nanos windowFrom = 0;
    sim::Nanos windowTo = sim::kNever;
    double windowGiftWeight = 0;
    double windowEntryWeight = 0;
    std::uint64_t windowGifts = 0;
    std::uint64_t windowEntries = 0;
    std::uint64_t entries = 0;
    std::uint64_t gifts = 0;
    double entryWeight = 0;
    double giftWeight = 0;
    std::map<int, double> giftWeightByRegion;
    std::map<RoomId, std::uint64_t> entriesByRoom;
    std::uint64_t combos = 0;
    std::uint64_t comboFollowUps = 0;
    std::map<std::pair<Uid, std::uint64_t>, int> keys;
    std::vector<GiftSend> sends;
    bool keepSends = false;
    void roomEntry(const RoomEntry& e) override
    {
        ++entries;
        entryWeight += e.weight;
        if (world && world->now() >= windowFrom && world->now() < windowTo) {
            windowEntryWeight += e.weight;
            ++windowEntries;
        }
        ++entriesByRoom[e.room];
    }
    void sendGift(const GiftSend& g) override
    {
        ++gifts;
        giftWeight += g.weight;
        if (world && world->now() >= windowFrom && world->now() < windowTo) {
            windowGiftWeight += g.weight;
            ++windowGifts;
        }
        giftWeightByRegion[g.region] += g.weight;
        if (g.kind == GiftKind::Combo)
            (g.comboIndex == 0 ? combos : comboFollowUps) += 1;
        ++keys[{g.uid, g.clientSeq}];
        if (keepSends)
            sends.push_back(g);
    }
};

v1::FaultSpec fault(v1::FaultKind kind, const std::string& target, std::initializer_list<std::pair<const char*, double>> params,
                    const std::string& key = {})
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(target);
    for (const auto& [n, v] : params) {
        auto* p = f.add_params();
        p->set_name(n);
        p->set_value(v);
    }
    if (!key.empty()) {
        auto* p = f.add_params();
        p->set_name("key");
        p->set_text(key);
    }
    return f;
}

} // namespace

class TstLoadGenerator : public QObject {
    Q_OBJECT
private slots:
    void profilesFollowTheirShape()
    {
        const LoadProfile gala = LoadProfile::gala();
        QCOMPARE(gala.at(0).viewers, 150e6);
        QCOMPARE(gala.at(10 * sim::kMinute).viewers, 330e6);
        QVERIFY(gala.at(5 * sim::kMinute).viewers > 200e6 && gala.at(5 * sim::kMinute).viewers < 280e6);
        // countdown spike: x4 on gift sends around 00:00
        QCOMPARE(gala.at(10 * sim::kMinute).giftsPerSec, 330e6 * 0.0005 * 4);
        QCOMPARE(gala.at(12 * sim::kMinute).giftsPerSec, 330e6 * 0.0005);
        const LoadProfile storm = LoadProfile::roomStorm(60 * sim::kSecond);
        QCOMPARE(storm.at(70 * sim::kSecond).roomEntriesPerSec, 10 * storm.at(10 * sim::kSecond).roomEntriesPerSec);
        QVERIFY(LoadProfile::named("gala").ok());
        QVERIFY(!LoadProfile::named("picnic").ok());
    }

    void galaPeakMeetsTheFidelityFloor()
    {
        sim::World world;
        telemetry::Telemetry tel(world);
        CountingSink sink;
        sink.world = &world;
        sink.windowFrom = 5 * sim::kSecond; // combos started before the window end inside it
        sink.windowTo = 7 * sim::kSecond;
        LoadProfile gala = LoadProfile::gala(0); // at the peak from the start
        gala.countdownTail = sim::kMinute;       // and in the countdown spike throughout
        LoadGenerator gen(world, tel.metrics(), gala, {}, sink);
        gen.start();
        world.scheduler().runUntil(7 * sim::kSecond);
        // per simulated second
        const double orders = static_cast<double>(sink.windowGifts) / 2.0;
        const double panel = static_cast<double>(sink.windowEntries) / 2.0;
        QVERIFY2(orders >= 2000, qPrintable(QString::number(orders)));
        QVERIFY2(panel >= 5000, qPrintable(QString::number(panel)));
        // real-equivalent rates match the profile (330 M viewers, x4 countdown)
        const LoadRates peak = gala.at(0);
        const double giftRate = sink.windowGiftWeight / 2.0;
        const double entryRate = sink.windowEntryWeight / 2.0;
        QVERIFY2(std::abs(giftRate - peak.giftsPerSec) / peak.giftsPerSec < 0.05, qPrintable(QString::number(giftRate)));
        QVERIFY2(std::abs(entryRate - peak.roomEntriesPerSec) / peak.roomEntriesPerSec < 0.05, qPrintable(QString::number(entryRate)));
        QCOMPARE(gen.discreteGifts(), sink.gifts);
    }

    void steadyEveningKeepsTheFloorWithSmallerWeights()
    {
        sim::World world;
        telemetry::Telemetry tel(world);
        CountingSink sink;
        sink.world = &world;
        sink.windowFrom = 5 * sim::kSecond; // after the longest combo run (a combo's order comes at its end)
        sink.windowTo = 6 * sim::kSecond;
        LoadGenerator gen(world, tel.metrics(), LoadProfile::steady(), {}, sink);
        gen.start();
        world.scheduler().runUntil(6 * sim::kSecond);
        QVERIFY2(sink.windowGifts >= 1800, qPrintable(QString::number(sink.windowGifts)));
        // 30 K/s real over >= 2 K discrete
        QVERIFY(sink.windowGiftWeight / static_cast<double>(sink.windowGifts) < 20);
    }

    void galaRoomHoldsItsShare()
    {
        sim::World world;
        telemetry::Telemetry tel(world);
        CountingSink sink;
        LoadGenerator gen(world, tel.metrics(), LoadProfile::steady(), {}, sink);
        gen.start();
        world.scheduler().runUntil(2 * sim::kSecond);
        const double share = static_cast<double>(sink.entriesByRoom[1]) / static_cast<double>(sink.entries);
        QVERIFY2(share > 0.35 && share < 0.45, qPrintable(QString::number(share))); // 35 % + Zipf rank 1
        QVERIFY(sink.entriesByRoom.size() > 500);
    }

    void trafficFollowsClusterHomes()
    {
        sim::World world;
        telemetry::Telemetry tel(world);
        CountingSink sink;
        LoadGenerator gen(world, tel.metrics(), LoadProfile::steady(), {}, sink);
        gen.start();
        world.scheduler().runUntil(sim::kSecond);
        QVERIFY(sink.giftWeightByRegion[0] > 0 && sink.giftWeightByRegion[1] > 0);
        QCOMPARE(sink.giftWeightByRegion.count(2), std::size_t{0}); // gz serves nobody by default
        for (Uid uid : {Uid{1}, Uid{2}, Uid{77}})
            QCOMPARE(gen.homeOf(uid), static_cast<int>((uid % 100) % 2));
        // drain sh-a: every cluster to sh-b
        gen.setClusterHomes(std::vector<int>(100, 1));
        sink.giftWeightByRegion.clear();
        world.scheduler().runUntil(2 * sim::kSecond);
        QCOMPARE(sink.giftWeightByRegion.count(0), std::size_t{0});
        QVERIFY(sink.giftWeightByRegion[1] > 0);
    }

    void loadSpikeFaultRaisesOneRegion()
    {
        sim::World world;
        telemetry::Telemetry tel(world);
        CountingSink sink;
        LoadGenerator gen(world, tel.metrics(), LoadProfile::steady(), {}, sink);
        QVERIFY(world.faults().inject(fault(v1::FAULT_LOAD_SPIKE, "sh-a/gifts/load", {{"multiply", 3.0}})).ok());
        gen.start();
        world.scheduler().runUntil(2 * sim::kSecond);
        const double ratio = sink.giftWeightByRegion[0] / sink.giftWeightByRegion[1];
        QVERIFY2(ratio > 2.7 && ratio < 3.3, qPrintable(QString::number(ratio)));
    }

    void hotKeyFaultConcentratesTraffic()
    {
        sim::World world;
        telemetry::Telemetry tel(world);
        CountingSink sink;
        LoadGenerator gen(world, tel.metrics(), LoadProfile::steady(), {}, sink);
        QVERIFY(world.faults().inject(fault(v1::FAULT_HOT_KEY, "*/gifts/load", {{"share", 0.5}}, "room:42")).ok());
        gen.start();
        world.scheduler().runUntil(sim::kSecond);
        const double share = static_cast<double>(sink.entriesByRoom[42]) / static_cast<double>(sink.entries);
        QVERIFY2(share > 0.45, qPrintable(QString::number(share)));
    }

    void combosAndUniqueKeys()
    {
        sim::World world;
        telemetry::Telemetry tel(world);
        CountingSink sink;
        sink.keepSends = true;
        LoadGenerator gen(world, tel.metrics(), LoadProfile::steady(), {}, sink);
        gen.start();
        world.scheduler().runUntil(3 * sim::kSecond);
        QVERIFY(sink.combos > 0);
        QCOMPARE(sink.comboFollowUps, std::uint64_t{0}); // a combo is one order
        for (const auto& [key, n] : sink.keys)
            QCOMPARE(n, 1); // every send has its own idempotency key
        std::uint64_t kinds[4] = {};
        std::uint32_t longest = 0;
        for (const GiftSend& g : sink.sends) {
            ++kinds[static_cast<int>(g.kind)];
            if (g.kind == GiftKind::Combo) {
                QVERIFY(g.quantity >= gen.config().comboMin && g.quantity <= gen.config().comboMax);
                longest = std::max(longest, g.quantity);
            } else {
                QCOMPARE(g.quantity, std::uint32_t{1});
            }
        }
        for (auto k : kinds)
            QVERIFY(k > 0);
        QVERIFY(longest > gen.config().comboMin);
    }

    // A combo as one order carries the same real traffic as its gifts sent one by one:
    // the real-equivalent gift rate (the weight every limiter counts) is the profile's
    // either way, with about a fifth of the discrete orders.
    void comboAsOneOrderKeepsTheRealRate()
    {
        auto run = [](bool oneOrder, double& realPerSec, double& ordersPerSec, std::uint64_t& followUps) {
            sim::World world;
            telemetry::Telemetry tel(world);
            CountingSink sink;
            sink.world = &world;
            sink.windowFrom = 5 * sim::kSecond;
            sink.windowTo = 7 * sim::kSecond;
            LoadProfile gala = LoadProfile::gala(0);
            gala.countdownTail = sim::kMinute;
            LoadGeneratorConfig config;
            config.comboAsOneOrder = oneOrder;
            LoadGenerator gen(world, tel.metrics(), gala, config, sink);
            gen.start();
            world.scheduler().runUntil(7 * sim::kSecond);
            realPerSec = sink.windowGiftWeight / 2.0;
            ordersPerSec = static_cast<double>(sink.windowGifts) / 2.0;
            followUps = sink.comboFollowUps;
        };
        double realOne = 0, ordersOne = 0, realExpanded = 0, ordersExpanded = 0;
        std::uint64_t followOne = 0, followExpanded = 0;
        run(true, realOne, ordersOne, followOne);
        run(false, realExpanded, ordersExpanded, followExpanded);
        QCOMPARE(followOne, std::uint64_t{0});
        QVERIFY(followExpanded > 0);
        QVERIFY2(std::abs(realOne - realExpanded) / realExpanded < 0.05,
                 qPrintable(QStringLiteral("%1 vs %2").arg(realOne).arg(realExpanded)));
        QVERIFY2(ordersOne >= 2000 && ordersExpanded > 4 * ordersOne,
                 qPrintable(QStringLiteral("%1 vs %2").arg(ordersOne).arg(ordersExpanded)));
    }

    void deterministic()
    {
        auto run = [](std::uint64_t seed) {
            sim::WorldConfig cfg;
            cfg.seed = seed;
            sim::World world(std::move(cfg));
            telemetry::Telemetry tel(world);
            CountingSink sink;
            LoadGenerator gen(world, tel.metrics(), LoadProfile::gala(), {}, sink);
            gen.start();
            world.scheduler().runUntil(sim::kSecond);
            return world.traceHash();
        };
        QCOMPARE(run(5), run(5));
        QVERIFY(run(5) != run(6));
    }
};

LIVEDECK_TEST_CLASS(TstLoadGenerator)
#include "tst_load_generator.moc"

// LoadGenerator: weighted viewer traffic for the gift system (docs/ARCHITECTURE.md, property 3).
//
// Each discrete request stands for `weight` real ones, so the 330-million-viewer peak
// runs on one core while every discrete request is still checked for correctness.
// Fidelity floor: at least minDiscreteGiftsPerSec discrete orders and
// minDiscreteEntriesPerSec discrete panel requests per simulated second whenever the
// real rate is that high; above maxGiftWeight / maxEntryWeight real requests per
// discrete one the discrete rate rises instead. weight = real rate / discrete rate, and
// every limiter, breaker and detector downstream counts by weight.
//
// Users are partitioned into UID clusters (uid % clusters), each homed in one region
// by the engine (setClusterHomes): docs/GIFTS.md "UID clusters are isolated so that one bad
// cluster hurts few users". Each region with users has its own arrival processes
// (Poisson, rate re-evaluated at every arrival from the LoadProfile), so traffic lands
// where its users live and a drained region's clusters move with their traffic.
// Rooms follow Zipf popularity with the gala room (room 1) holding galaRoomShare of
// all entries and sends; products follow Zipf too. Gift mix: single, combo, blind box,
// treasure chest. A combo (comboMin..comboMax gifts of one product, clicked comboSpacing
// apart) is one discrete order placed when the run ends, whose quantity is its gifts:
// one lock, one payment, one settlement row; its weight
// counts the real gift sends it stands for, like any other send's, so every limiter and
// counter sees the same real rate. With comboAsOneOrder off it is a run of sends
// comboSpacing apart, one order each (weight / length each), five times the orders for
// the same real traffic (docs/BENCHMARKS.md, "gifts — gala peak").
//
// Faults consulted on "<region>/gifts/load" (registered per region):
//   load-spike (multiply)  → that region's rates × multiply (more discrete requests);
//   hot-key (share, key)   → share of that region's requests go to key "room:N" or
//                            "product:N" (default: the gala room).
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/gift_types.h"
#include "backend/gifts/load_profile.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <cstdint>
#include <vector>

namespace livedeck::gifts {

class GiftTrafficSink {
public:
    virtual ~GiftTrafficSink() = default;
    virtual void roomEntry(const RoomEntry& entry) = 0;
    virtual void sendGift(const GiftSend& send) = 0;
};

struct LoadGeneratorConfig {
    double minDiscreteEntriesPerSec = 5'000.0; // fidelity floor (panel requests)
    double maxEntryWeight = 1'000.0;
    double minDiscreteGiftsPerSec = 2'000.0;   // fidelity floor (orders)
    double maxGiftWeight = 300.0;
    std::uint64_t rooms = 100'000;
    double roomZipfExponent = 1.1;
    double galaRoomShare = 0.35;               // of all entries and sends
    std::uint64_t users = 200'000'000;
    std::uint32_t clusters = 100;              // UID clusters (uid % clusters)
    std::uint32_t products = 200;
    double productZipfExponent = 1.2;
    double comboShare = 0.25;
    double blindBoxShare = 0.10;
    double chestShare = 0.05;
    std::uint32_t comboMin = 5;
    std::uint32_t comboMax = 30;
    bool comboAsOneOrder = true;
    sim::Nanos comboSpacing = 150 * sim::kMillisecond; // between a combo's sends when expanded
};

class LoadGenerator final : public sim::Inspectable {
public:
    LoadGenerator(sim::World& world, telemetry::MetricsRegistry& metrics, LoadProfile profile,
                  LoadGeneratorConfig config, GiftTrafficSink& sink);

    // Home region (index into the topology's regions) of every UID cluster; by default
    // clusters alternate over the first two regions.
    void setClusterHomes(std::vector<int> homes);
    const std::vector<int>& clusterHomes() const { return m_homes; }
    int homeOf(Uid uid) const { return m_homes[uid % m_config.clusters]; }

    void start();
    void stop();
    bool running() const { return m_running; }

    void setProfile(LoadProfile profile);
    void setMultiplier(double multiplier);
    const LoadProfile& profile() const { return m_profile; }
    const LoadGeneratorConfig& config() const { return m_config; }

    // Totals so far: discrete requests and the real requests they stand for.
    std::uint64_t discreteEntries() const { return m_discreteEntries; }
    std::uint64_t discreteGifts() const { return m_discreteGifts; }
    double realEntries() const { return m_realEntries; }
    double realGifts() const { return m_realGifts; }

    void inspect(sim::StateWriter& out) const override;

private:
    enum class Stream : std::uint8_t { Entries, Gifts };
    struct RegionState {
        sim::ComponentId component = sim::kNoComponent;
        std::string path;
        std::vector<std::uint32_t> clusters; // clusters homed here
        sim::RandomStream rng;
        sim::EventHandle next[2];
    };
    void scheduleNext(std::size_t region, Stream stream);
    void arrive(std::size_t region, Stream stream);
    // Real and discrete rate of one region's stream now.
    void rates(std::size_t region, Stream stream, double& real, double& discrete) const;
    Uid drawUid(RegionState& r);
    RoomId drawRoom(RegionState& r, const sim::FaultEffect& hot);
    ProductId drawProduct(RegionState& r, const sim::FaultEffect& hot);
    void comboOrder(const GiftSend& send, sim::Nanos runLength);
    void comboStep(GiftSend send, std::uint32_t remaining);
    void rebuildClusterLists();

    sim::World& m_world;
    LoadProfile m_profile;
    LoadGeneratorConfig m_config;
    GiftTrafficSink& m_sink;
    sim::ZipfDistribution m_rooms;
    sim::ZipfDistribution m_products;
    std::vector<int> m_homes;
    std::vector<RegionState> m_regions;
    sim::EventKindId m_entryKind;
    sim::EventKindId m_giftKind;
    sim::EventKindId m_comboKind;
    bool m_running = false;
    std::uint64_t m_nextClientSeq = 1;
    std::uint64_t m_discreteEntries = 0;
    std::uint64_t m_discreteGifts = 0;
    double m_realEntries = 0.0;
    double m_realGifts = 0.0;
    telemetry::Counter& m_entriesCounter;
    telemetry::Counter& m_giftsCounter;
    telemetry::Counter& m_discreteGiftsCounter;
    telemetry::Counter& m_discreteEntriesCounter;
    telemetry::Gauge& m_viewersGauge;
};

} // namespace livedeck::gifts

// RegionProber: an engine's own measurement of region health, as a health checker sees
// it. Every `interval`, from each region (the region's own component) a probe goes to
// every region's front (a component the engine names: its gateway, entry or load
// balancer) over the emulated network; at the front the engine may judge itself
// (`healthy`: a drained or overloaded front refuses); the answer travels back. A probe
// not answered within `timeout` failed. A region is "up" when any region's probe was
// answered in the last completed round; the regions whose probes failed are the ones it
// is "unreachable from" — so a region cut off from gz by a partition reads up,
// unreachable from gz, while a region that is down reads down.
//
// The engine fills its v1::RegionHealth rows with fill() (engine, up, unreachable_from,
// probe counts) and adds its own request figures (availability, p99, rps).
// Thread: the world's thread. Deterministic: probes are world events in region order.
#pragma once

#include "backend/sim/world.h"
#include "livedeck/v1/cluster.pb.h"

#include <functional>
#include <string>
#include <vector>

namespace livedeck::engine {

class RegionProber {
public:
    struct Config {
        sim::Nanos interval = sim::kSecond;
        sim::Nanos timeout = 500 * sim::kMillisecond;
    };
    // `fronts[r]`: the component probes to region r go to (kNoComponent: r has no front
    // of this engine and is left out). `healthy(r)`, when given, is asked at the front
    // when a probe arrives.
    RegionProber(sim::World& world, std::string engine, std::vector<sim::ComponentId> fronts, Config config,
                 std::function<bool(int region)> healthy = {});
    RegionProber(const RegionProber&) = delete;
    RegionProber& operator=(const RegionProber&) = delete;

    // Schedules the first round `interval` from now.
    void start();

    struct View {
        int sent = 0;
        int answered = 0;
        std::vector<int> unreachableFrom; // region indices whose probes failed
        bool probed = false;              // a round has completed
        bool up() const { return !probed || answered > 0; }
    };
    // The last completed round for region `region`.
    const View& view(int region) const { return m_views[static_cast<std::size_t>(region)]; }
    bool hasFront(int region) const;
    // Sets engine, up, unreachable_from, probes_sent and probes_answered.
    void fill(v1::RegionHealth& health, int region) const;

private:
    void round();
    void probe(int from, int to, std::uint64_t roundNo);

    sim::World& m_world;
    std::string m_engine;
    std::vector<sim::ComponentId> m_fronts;
    std::vector<sim::ComponentId> m_sources; // each region's own component
    Config m_config;
    std::function<bool(int)> m_healthy;
    sim::EventKindId m_roundKind;
    sim::EventKindId m_probeKind;
    std::uint64_t m_round = 0;
    // The round in progress: per target region, per source region, answered?
    std::vector<std::vector<char>> m_answered;
    std::vector<View> m_views;
};

} // namespace livedeck::engine

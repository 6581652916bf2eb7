// Telemetry: one per world. Owns the MetricsRegistry, runs the per-second rollups on
// virtual time (a scheduler event every second of simulated time), keeps the last
// rollup, and builds livedeck.v1.Snapshot messages from the world, the metrics and
// every registered SnapshotContributor (breakers, shards, regions, engines...).
// Rollup listeners (the run recorder, drill expectations) see every rollup.
// Single-threaded (the world's thread).
#pragma once

#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"
#include "livedeck/v1/cluster.pb.h"

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace livedeck::telemetry {

// An empty snapshot on an arena of its own (google::protobuf::Arena), which the returned
// pointer owns. A snapshot with components is some ten thousand small messages and
// strings: on the arena they come from a few large blocks and go with it at once,
// instead of a heap allocation and a free each. `startBlock` sizes the first block (the
// previous snapshot's arenaBytes() makes it the only one).
std::shared_ptr<v1::Snapshot> newArenaSnapshot(std::size_t startBlock = 0);
// The bytes a snapshot's arena holds (0 for one on the heap).
std::size_t arenaBytes(const v1::Snapshot& snapshot);

// Anything that adds its own part to a snapshot (breaker states, shard loads, region
// health, component state). Called on the world's thread while a snapshot is built.
class SnapshotContributor {
public:
    virtual ~SnapshotContributor() = default;
    virtual void contribute(v1::Snapshot& snapshot) const = 0;
};

struct SnapshotOptions {
    bool includeComponents = true;   // inspector key/value state of every component
    bool includeSeriesDefs = true;   // series defined since the previous snapshot
    std::uint32_t seriesDefsFrom = 0; // first series id to describe
};

class Telemetry {
public:
    static constexpr sim::Nanos kRollupInterval = sim::kSecond;
    using RollupListener = std::function<void(sim::Nanos time, const std::vector<Sample>& samples)>;

    explicit Telemetry(sim::World& world);
    Telemetry(const Telemetry&) = delete;
    Telemetry& operator=(const Telemetry&) = delete;

    MetricsRegistry& metrics() { return m_metrics; }
    const MetricsRegistry& metrics() const { return m_metrics; }
    sim::World& world() { return m_world; }

    // Schedules the per-second rollups (first one at now + 1 s).
    void start();
    void addContributor(const SnapshotContributor* contributor);
    void removeContributor(const SnapshotContributor* contributor);
    // Returns a token for removeRollupListener(). Listeners run in the order added. A
    // listener may remove itself (or another) while it runs; one added while a rollup
    // runs sees the rollups after it.
    int addRollupListener(RollupListener listener);
    void removeRollupListener(int token);

    // Values of the last completed rollup (empty before the first).
    const std::vector<Sample>& lastRollup() const { return m_lastRollup; }
    sim::Nanos lastRollupTime() const { return m_lastRollupTime; }
    // Last rolled-up value of a series; `fallback` when absent.
    double lastValue(std::int64_t seriesId, double fallback = 0.0) const;

    // Fills a snapshot: time, calendar, events executed, trace hash, samples of the
    // last rollup, series defs, contributors' parts, active faults, components' state.
    void buildSnapshot(v1::Snapshot& out, const SnapshotOptions& options = {}) const;

private:
    void rollup();
    void linksToProto(v1::Snapshot& out) const;

    sim::World& m_world;
    MetricsRegistry m_metrics;
    std::vector<const SnapshotContributor*> m_contributors;
    struct ListenerSlot {
        int token = 0;
        RollupListener listener;
        bool removed = false; // erased once no rollup is running
    };
    std::vector<ListenerSlot> m_listeners;
    std::vector<ListenerSlot> m_addedInRollup; // joins after the current rollup
    int m_nextListenerToken = 1;
    bool m_inRollup = false;
    std::vector<Sample> m_lastRollup;
    std::vector<sim::LinkCarried> m_carried; // what each link carried in the last rollup interval
    std::vector<double> m_lastBySeries;
    sim::Nanos m_lastRollupTime = 0;
    sim::EventKindId m_rollupKind;
    bool m_started = false;
};

} // namespace livedeck::telemetry

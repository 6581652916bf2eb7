// MultiActive: the gift system's multi-active arrangement (docs/GIFTS.md "Multi-active"):
// which regions serve users, which one stands by, the mode switch, and the global
// traffic manager (GSLB) that moves a dead region's users. Component "gifts/multi-active"
// (kind "multi-active"); probe components "<region>/gifts/gslb" (kind "gslb-probe").
//
// - Serving regions (sh-a, sh-b) each hold a share of the UID clusters (the load
//   generator's homes); the standby region (gz) holds replicas and standby capacity.
// - Mode: CrossRegion (today: calls may reach another data centre's Redis/DB/MQ) or
//   LocalFirst (the next phase: prefer local resources). setMode() tells the engine
//   (listeners), which switches discovery, the catalogue, the order services' MQ
//   producer and the settlement consumers.
// - GSLB: every `probeInterval` a probe in each region checks each serving region's
//   order entry over world.network() (down endpoints, partitions). A serving region that
//   a majority of the live probing regions cannot reach for `downAfter` is drained: its
//   UID clusters move to the other serving regions (LoadGenerator::setClusterHomes) and
//   listeners hear "region down" (standby settlement takes over its mirrored events,
//   standby capacity is switched on). After `restoreAfter` of successful probes it is
//   restored. With a minority view (a partition between sh-a and sh-b while gz still
//   reaches both) nothing moves. Operators drain/restore by hand as well (drain-region,
//   restore); a manual drain stays until restored.
// Events: "gifts.region.drain" (ALERT), "gifts.region.restore" (INFO), "gifts.mode".
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/gifts_config.h"
#include "backend/gifts/load_generator.h"

#include <absl/status/status.h>

#include <functional>
#include <string>
#include <vector>

namespace livedeck::gifts {

class MultiActive final : public sim::Inspectable {
public:
    using RegionListener = std::function<void(int region, bool drained)>;
    using ModeListener = std::function<void(MultiActiveMode mode)>;

    // `entries`: the order-entry component of each region (kNoComponent where none).
    MultiActive(sim::World& world, const MultiActiveConfig& config, LoadGenerator& load,
                std::vector<sim::ComponentId> entries, telemetry::MetricsRegistry& metrics);
    MultiActive(const MultiActive&) = delete;
    MultiActive& operator=(const MultiActive&) = delete;

    void start();
    void addRegionListener(RegionListener listener) { m_regionListeners.push_back(std::move(listener)); }
    void addModeListener(ModeListener listener) { m_modeListeners.push_back(std::move(listener)); }

    void setMode(MultiActiveMode mode);
    MultiActiveMode mode() const { return m_mode; }
    // GSLB automatic drains on/off (sabotage "no region drain" turns them off).
    void setAutoDrain(bool enabled) { m_autoDrain = enabled; }

    absl::Status drain(std::string_view region, std::string_view reason = "operator");
    absl::Status restore(std::string_view region);
    void restoreAll();

    const std::vector<int>& serving() const { return m_serving; }
    int standby() const { return m_standby; }
    bool isServing(int region) const;
    bool drained(int region) const;
    // A serving region that is not drained, preferring `near` (-1 when none).
    int liveServing(int near = -1) const;
    std::uint64_t drains() const { return m_drains; }

    void inspect(sim::StateWriter& out) const override;

private:
    struct RegionState {
        sim::ComponentId probe = sim::kNoComponent;
        sim::ComponentId entry = sim::kNoComponent;
        bool serving = false;
        bool autoDrained = false;
        bool manualDrained = false;
        int failures = 0;   // consecutive probe rounds with a majority failing
        int successes = 0;  // consecutive rounds with a majority reaching it
    };
    void probeRound();
    void apply(int region, bool wasDrained, std::string_view reason);
    void recomputeHomes();

    sim::World& m_world;
    MultiActiveConfig m_config;
    LoadGenerator& m_load;
    sim::ComponentId m_component;
    std::vector<RegionState> m_regions;
    std::vector<int> m_serving;
    int m_standby = -1;
    std::vector<int> m_originalHomes;
    MultiActiveMode m_mode;
    bool m_autoDrain = true;
    std::uint64_t m_drains = 0;
    std::vector<RegionListener> m_regionListeners;
    std::vector<ModeListener> m_modeListeners;
    sim::EventKindId m_probeKind;
    std::vector<telemetry::Gauge*> m_drainedGauges;
};

} // namespace livedeck::gifts

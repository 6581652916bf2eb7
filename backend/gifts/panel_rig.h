// A stand-alone gift panel for the panel's unit tests and benchmarks (the scenarios
// themselves are drill files: resources/drills/gifts-*.yaml, docs/DRILLS.md).
//
// Parts
// - PanelRig: a stand-alone run (World, Telemetry, ProductCatalog, GiftPanel and the
//   LoadGenerator, room entries only). Faults go in with inject() (v1::FaultSpec with
//   start/end).
// - PanelProbe: watches a running GiftPanel + ProductCatalog (its own, or a
//   GiftsEngine's) and samples once per `interval` of simulated time: availability,
//   breaker states, per-tab outcomes, KV reads of one key, gateway hits. It records the
//   breaker transitions it sees from the EventLog ("breaker.transition" on the panel's
//   breaker components).
//
// Scale: the defaults run the gala at its peak with ~2 500 discrete entries per second.
// Single-threaded (the world's thread). A probe and a rig must outlive their world's
// pending events (destroy them after the run).
#pragma once

#include "backend/gifts/catalog.h"
#include "backend/gifts/load_generator.h"
#include "backend/gifts/load_profile.h"
#include "backend/gifts/panel.h"
#include "backend/telemetry/telemetry.h"

#include <memory>
#include <string>
#include <vector>

namespace livedeck::gifts {

// The gala at its peak (330 M viewers from t = 0), gift sends flat (the panel's load).
LoadProfile galaPeak();

// One sample of a probe.
struct PanelSample {
    sim::Nanos time = 0;
    double availability = 1.0;       // the region's gauge (last whole second)
    double answers = 0.0;            // weighted, cumulative
    double withinBudget = 0.0;       // weighted, cumulative
    double privilegedOk = 0.0;       // weighted, cumulative
    double privilegedEmpty = 0.0;    // timeouts + errors + breaker refusals, cumulative
    double breakerRefused = 0.0;     // weighted, cumulative
    double gatewayHits = 0.0;        // weighted, cumulative
    double keyKvReads = 0.0;         // KV reads of the watched key by the region's callers
    double keyLookups = 0.0;
    double kvReads = 0.0;            // all KV reads of the region's callers
    resilience::BreakerState breaker = resilience::BreakerState::Closed; // privileged
};

struct PanelObservation {
    std::string region;
    std::vector<PanelSample> samples;
    std::vector<std::pair<sim::Nanos, std::string>> breakerTransitions; // (time, "CLOSED->OPEN")
    std::uint64_t hotRoomEvents = 0;
    resilience::BreakerState finalBreaker = resilience::BreakerState::Closed;
    PanelTotals totals;              // the region's, at the end

    // Weighted share of answers within budget between two times (from samples).
    double availabilityBetween(sim::Nanos from, sim::Nanos to) const;
    double minAvailability(sim::Nanos from, sim::Nanos to) const; // of the per-second gauge
    double keyKvReadsBetween(sim::Nanos from, sim::Nanos to) const;
    double keyLookupsBetween(sim::Nanos from, sim::Nanos to) const;
    bool breakerOpened() const;
    sim::Nanos firstOpen() const;    // kNever when never
    sim::Nanos lastClose() const;    // kNever when never closed after opening
};

class PanelProbe {
public:
    // Watches `region` (a topology region name); `watchedKey` is a CatalogTable key
    // (kNoKey: none). Starts sampling at once.
    PanelProbe(sim::World& world, GiftPanel& panel, ProductCatalog& catalog, std::string_view region,
               std::uint32_t watchedKey = CatalogTable::kNoKey, sim::Nanos interval = 250 * sim::kMillisecond);
    ~PanelProbe();
    PanelProbe(const PanelProbe&) = delete;
    PanelProbe& operator=(const PanelProbe&) = delete;

    // Takes a last sample and returns everything seen.
    const PanelObservation& finish();
    const PanelObservation& observation() const { return m_obs; }

private:
    void sample();

    sim::World& m_world;
    GiftPanel& m_panel;
    ProductCatalog& m_catalog;
    int m_region = 0;
    std::uint32_t m_key;
    sim::Nanos m_interval;
    int m_subscription = 0;
    PanelObservation m_obs;
    sim::EventKindId m_kind;
    bool m_finished = false;
};

// A stand-alone panel world.
struct PanelRigConfig {
    std::uint64_t seed = 1;
    CatalogConfig catalog;
    PanelConfig panel;
    LoadProfile load = galaPeak();
    LoadGeneratorConfig loadGenerator = reducedLoad();

    // ~2 500 discrete entries/s, no gift sends worth mentioning (the panel's tests).
    static LoadGeneratorConfig reducedLoad();
};

class PanelRig final : public GiftTrafficSink {
public:
    explicit PanelRig(PanelRigConfig config);
    ~PanelRig() override;

    sim::World& world() { return *m_world; }
    telemetry::Telemetry& telemetry() { return *m_telemetry; }
    ProductCatalog& catalog() { return *m_catalog; }
    GiftPanel& panel() { return *m_panel; }
    LoadGenerator& load() { return *m_load; }
    int region(std::string_view name) const; // topology index, -1 when unknown

    // Injects faults (aborts on an invalid one: a test's faults are code).
    void inject(const std::vector<v1::FaultSpec>& faults);
    void start();                    // starts the load
    void runUntil(sim::Nanos time);

    void roomEntry(const RoomEntry& entry) override;
    void sendGift(const GiftSend&) override {}

private:
    PanelRigConfig m_config;
    std::unique_ptr<sim::World> m_world;
    std::unique_ptr<telemetry::Telemetry> m_telemetry;
    std::unique_ptr<ProductCatalog> m_catalog;
    std::unique_ptr<GiftPanel> m_panel;
    std::unique_ptr<LoadGenerator> m_load;
};

} // namespace livedeck::gifts

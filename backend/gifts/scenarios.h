// Gift-engine scenarios (issue 5): each is an engine config + load profile + timed faults
// (v1::FaultSpec with start/end) + timed actions + a duration + the effect that must
// show, and each has a sabotaged twin that turns the mechanism off and shows the failure
// it prevents. Programmatic now; the drills turn them into drill files.
//
//   gala-peak           ramp into the countdown across 31 Dec → 1 Jan: orders paid,
//                       both month partitions fill, invariants hold. Twin: no HPA and
//                       no operator pre-scale → the countdown overloads the order pods.
//   privileged-slowdown the privileged-gift service slows past the panel's 50 ms: its
//                       breaker opens and closes again, the general tab stays served.
//                       Twin: breaker disabled → it never opens, the slow service keeps
//                       being called (its queue piles up).
//   order-db-failover   the order DB's sh-a primaries die under load: failover to the
//                       sh-b replicas, zero acknowledged paid orders lost (semi-sync).
//                       Twin: async replication → paid orders lost.
//   mq-duplicates       the brokers duplicate 30 % of order events: the idempotent
//                       consumer absorbs them. Twin: no unique index → settled twice.
//   hot-room            most traffic goes to one room and product: hot-key detection,
//                       the local cache and singleflight keep the KV reads low. Twin:
//                       singleflight and the local caches off → the KV pair overloads.
//   region-down         sh-a goes down: the GSLB drains it, sh-b serves its users, the
//                       standby settles sh-a's mirrored events. Twin: no drain → sh-a's
//                       users keep failing.
//   payment-timeout     payment answers slower than the 250 ms deadline (and some far
//                       slower): re-check after 2 s finds the charge, late charges reach
//                       the audit and the refund queue. Twin: no re-check, no audit →
//                       charged orders neither settled nor refunded.
//   poison-message      one unparseable order event: to the DLQ after 3 attempts, the rest
//                       keep flowing, the missing-settlement alert fires and the repair
//                       settles the order. Twin: no DLQ → the partition blocks.
//   quota-unreachable   the quota server goes down: entries fall back to their local rate
//                       and orders keep flowing. Twin: fail closed → orders are shed.
//
// Scale: ScenarioOptions::scale multiplies the load generator's discrete fidelity floor
// (1 = the 2 000 orders / 5 000 panel requests per simulated second); the real
// rates stay, each discrete request weighs more. Tests run at small scale.
// Single-threaded; a ScenarioRun owns its World.
#pragma once

#include "backend/gifts/gifts_engine.h"
#include "backend/sim/world.h"
#include "backend/telemetry/telemetry.h"

#include <absl/status/statusor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::gifts {

struct EffectResult {
    bool holds = false;
    std::string detail; // what was measured, in words
};

// An operator or scenario action at a simulated time (poison, mode switch, load change).
struct ScenarioStep {
    sim::Nanos at = 0;
    std::string what;
    std::function<void(GiftsEngine&)> run;
};

struct Scenario {
    std::string name;
    std::string description;
    bool twin = false;                // the sabotaged twin
    sim::Calendar calendar;           // when the run starts (month partitions)
    GiftsConfig config;
    std::vector<v1::FaultSpec> faults;
    std::vector<ScenarioStep> steps;
    sim::Nanos duration = 10 * sim::kSecond; // load runs this long
    sim::Nanos drain = 10 * sim::kSecond;    // then no new load: re-checks, audit, repairs finish
    // The effect that must show (for a twin: the failure the mechanism prevents).
    std::function<EffectResult(GiftsEngine&)> effect;
    // Invariants a twin is expected to break (names as in InvariantResult); empty: all hold.
    std::vector<std::string> expectedViolations;
};

struct ScenarioOptions {
    double scale = 1.0;      // discrete-request scale (see header)
    std::uint64_t seed = 1;
};

// Names of the nine scenarios, in the order above.
std::vector<std::string> scenarioNames();
absl::StatusOr<Scenario> makeScenario(std::string_view name, bool twin, const ScenarioOptions& options = {});

struct ScenarioOutcome {
    EffectResult effect;
    std::vector<InvariantResult> invariants;
    bool invariantsAsExpected = false; // all hold (normal) / exactly the expected ones break (twin)
    std::vector<std::string> violations; // the first violation events, for the report
    double simSeconds = 0.0;
    std::uint64_t events = 0;
    bool passed() const { return effect.holds && invariantsAsExpected; }
    std::string summary() const;
};

// One scenario run: its own world, telemetry and engine.
class ScenarioRun {
public:
    ScenarioRun(Scenario scenario, const ScenarioOptions& options = {});
    ~ScenarioRun();

    // Injects the faults, schedules the steps, starts the engine.
    absl::Status start();
    // Runs the load for the scenario's duration (or until `until`, if earlier).
    void runLoad(sim::Nanos until = sim::kNever);
    // Stops the load, drains, checks invariants and the effect.
    ScenarioOutcome finish();
    // start + runLoad + finish.
    ScenarioOutcome run();

    sim::World& world() { return *m_world; }
    telemetry::Telemetry& telemetry() { return *m_telemetry; }
    GiftsEngine& engine() { return *m_engine; }
    const Scenario& scenario() const { return m_scenario; }

private:
    Scenario m_scenario;
    std::unique_ptr<sim::World> m_world;
    std::unique_ptr<telemetry::Telemetry> m_telemetry;
    std::unique_ptr<GiftsEngine> m_engine;
};

} // namespace livedeck::gifts

// Engines in drills: an EngineFactory knows how to read an engine's section of a drill
// file and how to build the engine into a world; an EngineRegistry maps engine names
// ("synthetic", "gifts", ...) to factories. DrillLoader validates `engines.<name>` and
// `load:` entries with the factory they name; DrillRun builds the engines and drives
// them (load phases, invariant checks).
//
// Contract for a factory (one per engine; stateless, shared, any thread):
// - parseSettings()/parseLoad() read yaml-cpp nodes with the strict readers of
//   yaml_reader.h and throw DrillError at the offending node (the loader turns it
//   into "file:line:col: message"). They return immutable settings shared by runs.
// - metrics(): every metric name the engine registers (a trailing ".*" offers a family);
//   halts and expectations may only name these. invariants(): names it can check.
// - build(): creates the engine's components on the world's thread before the run
//   starts (register components, metrics, event handlers). A Status error is reported
//   at the engine section's position. The engine lives as long as the run.
// Contract for a DrillEngine (the world's thread only):
// - start() runs once, after every engine was built and the drill's faults scheduled,
//   at simulated time 0.
// - applyLoad() runs at each load phase's time (a world event), in file order.
// - checkInvariants() runs at every telemetry rollup; it appends one InvariantCheck per
//   invariant it checks (passed or not). It must only read. finalInvariants() runs once
//   at the drill's end instead (it may run the engine's end-of-run scan).
//
// Adding an engine: implement the two classes, register the factory in
// builtin_engines.cpp (the gift engine's hook is there), document its section in
// docs/DRILLS.md.
#pragma once

#include "backend/drills/drill_spec.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"
#include "backend/telemetry/telemetry.h"

#include <absl/status/statusor.h>
#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::drills {

// An engine's parsed section or load parameters; each factory defines its own subclass.
class EngineSettings {
public:
    virtual ~EngineSettings() = default;
};

struct MetricOffer {
    std::string name;         // "synthetic.sent"; "gifts.orders.*" offers a family
    telemetry::MetricKind kind = telemetry::MetricKind::Gauge;
    std::string unit;         // "1/s", "ratio", "ms"
    std::string description;
};

struct InvariantOffer {
    std::string name;         // "synthetic.conservation"
    std::string description;
};

struct InvariantCheck {
    std::string name;
    bool passed = true;
    std::string detail;       // what was compared; on failure, what broke (ids, times)
};

class DrillEngine {
public:
    virtual ~DrillEngine() = default;
    virtual void start() = 0;
    virtual absl::Status applyLoad(const LoadPhase& phase) = 0;
    virtual void checkInvariants(std::vector<InvariantCheck>& out) = 0;
    // The last check, when the run ends (its verdicts are final). May do the engine's
    // end-of-run work (a full scan); the default is checkInvariants().
    virtual void finalInvariants(std::vector<InvariantCheck>& out) { checkInvariants(out); }
    // An operator's SetLoad command (console, CLI, gRPC) while the drill runs: switch to
    // `profile` (empty: keep it) and scale by `multiplier` (0: unchanged). The default
    // refuses (the engine takes no load changes).
    virtual absl::Status setLoad(const std::string& profile, double multiplier);
};

class EngineFactory {
public:
    virtual ~EngineFactory() = default;

    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0;
    virtual std::vector<MetricOffer> metrics() const = 0;
    virtual std::vector<InvariantOffer> invariants() const = 0;
    // Load profiles the engine accepts in `load:` (empty: it takes no load phases).
    virtual std::vector<std::string> loadProfiles() const { return {}; }

    // `engines.<name>`: the node may be null (an empty section: all defaults).
    virtual std::shared_ptr<const EngineSettings> parseSettings(const YAML::Node& node) const = 0;
    // One `load:` entry for this engine: the profile name (already checked against
    // loadProfiles()) and the entry's `params` node (may be undefined). The default
    // refuses parameters.
    virtual std::shared_ptr<const EngineSettings> parseLoad(const std::string& profile, const YAML::Node& params) const;

    virtual absl::StatusOr<std::unique_ptr<DrillEngine>> build(sim::World& world, telemetry::Telemetry& telemetry,
                                                               const EngineSettings& settings) const = 0;

    // True when `metricName` is one of metrics() (or in one of its families).
    bool offersMetric(std::string_view metricName, telemetry::MetricKind* kind = nullptr) const;
};

class EngineRegistry {
public:
    // Adds a factory; a second factory with the same name replaces the first.
    void add(std::shared_ptr<const EngineFactory> factory);
    const EngineFactory* find(std::string_view name) const;
    const std::vector<std::shared_ptr<const EngineFactory>>& all() const { return m_factories; }
    std::string names() const; // "gifts, synthetic"

private:
    std::vector<std::shared_ptr<const EngineFactory>> m_factories; // sorted by name
};

// The engines compiled into this build (synthetic; gifts when its library is there).
const EngineRegistry& builtinEngines();

} // namespace livedeck::drills

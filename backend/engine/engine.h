// The engine contract: what every engine (built in, or loaded from a plugin) implements
// so that drills, the host, the node and the console can run it and show it without
// naming it. An EngineFactory reads the engine's section of a drill file, describes the
// engine as data (descriptor.h: metrics, KPI tiles, chart headlines, load profiles,
// operator actions, component kinds, figures) and builds an Engine into a world. An
// EngineRegistry maps engine names ("gifts", "messaging", "cdn", ...) to factories; the
// programs fill one at their composition point (app/common/builtin_engines.h), plugins
// add theirs, and a plugin may not replace an engine that is already registered.
//
// Contract for a factory (one per engine; stateless, shared, any thread):
// - parseSettings()/parseLoad() read yaml-cpp nodes with the strict readers of
//   yaml_reader.h and throw DrillError at the offending node (drill loaders turn it
//   into "file:line:col: message"). They return immutable settings shared by runs.
// - describe(): the engine's descriptor (v1::EngineDescriptor). Halts, expectations and
//   figures may only name metrics it describes (a trailing ".*" describes a family);
//   invariants it lists are the ones it checks; actions it lists are the only operator
//   actions routed to it.
// - build(): creates the engine's components on the world's thread before the run
//   starts (register components, metrics, event handlers). Engines of one run share the
//   world and its SharedResources (shared.h): infrastructure named alike is one object.
//   A Status error is reported at the engine section's position. The engine lives as
//   long as the run and is destroyed before the world.
// Contract for an Engine (the world's thread only):
// - start() runs once, after every engine was built and the drill's faults scheduled,
//   at simulated time 0, in the drill's engine order.
// - applyLoad() runs at each load phase's time (a world event), in file order.
// - setLoad() is an operator's Set-load command; applyAction() an operator action the
//   engine's descriptor declares (shed-load, drain-region, restore, ...). Both are
//   applied as recorded world commands, so replays see them at the same point.
// - checkInvariants() runs at every telemetry rollup; it appends one InvariantCheck per
//   invariant it checks (passed or not). It must only read. finalInvariants() runs once
//   at the drill's end instead (it may run the engine's end-of-run scan).
#pragma once

#include "backend/sim/time.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"
#include "backend/telemetry/telemetry.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livedeck::engine {

class SharedResources;

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
    v1::MetricRole role = v1::METRIC_ROLE_UNSPECIFIED;
};

// Safety invariants (the default) must hold at every check: a failure is latched at once.
// A liveness invariant says what must eventually happen ("every charge is settled or
// refunded"): while faults are in force it may not hold yet, so only its final check,
// at the drill's end after the recovery tail, gives its verdict (docs/DRILLS.md,
// "Invariants").
struct InvariantOffer {
    std::string name;         // "synthetic.conservation"
    std::string description;
    bool liveness = false;
};

struct InvariantCheck {
    std::string name;
    bool passed = true;
    std::string detail;       // what was compared; on failure, what broke (ids, times)
};

// One load phase or Set-load for an engine: from now on run `profile` scaled by
// `multiplier`, with the profile's parsed parameters (may be null).
struct LoadRequest {
    std::string profile;
    double multiplier = 1.0;
    std::shared_ptr<const EngineSettings> params;
};

// ------------------------------------------------------------------ fault surface
// Where a swarm (docs/DRILLS.md, "Swarm testing") may put faults on an engine and what
// the engine's design promises to survive. An engine describes it from the components
// its build() registered, so every path is concrete.

// A fault target (a component path or a path prefix such as a region) and the fault
// kinds that act there. A partition target's other side is another target of the same
// engine that lists partition too.
struct FaultTarget {
    std::string path;
    std::vector<v1::FaultKind> kinds;
};

// A promise of the design: among `members` (component paths), the largest group that is
// up (no down fault matches it) and whose members reach each other (no partition
// between any two) keeps at least `need` members at every instant — e.g. a Raft
// majority (need 3 of 5), or a shard's primary or its semi-sync replica (need 1 of 2).
// Down faults on a prefix (a region) take down every member under it. A swarm never
// draws a fault set that breaks a rule.
struct FaultBudgetRule {
    std::string name;
    std::vector<std::string> members;
    int need = 1;
    std::string why;          // what in the design makes the promise
};

// The promise of a Raft group: a majority of its members (need = n / 2 + 1).
inline FaultBudgetRule raftMajorityRule(std::string name, std::vector<std::string> members, std::string why)
{
    const int need = static_cast<int>(members.size() / 2 + 1);
    return FaultBudgetRule{std::move(name), std::move(members), need, std::move(why)};
}

struct FaultSurface {
    std::vector<FaultTarget> targets;
    std::vector<FaultBudgetRule> budget;
};

// A setting of the engine's drill section that picks one of the engine's designs — a
// write-up's before and after (`engines.<engine>.<setting>: <value>`, e.g. mode: legacy
// or upgraded). The console re-runs a drill with another value at the same seed and
// compares the two runs (docs/UI.md, "Comparing two runs"). parseSettings() accepts every
// listed value on its own.
struct ModeOffer {
    std::string setting;              // "mode"
    std::string description;          // what the values change
    std::vector<std::string> values;  // every accepted value
    std::string defaultValue;         // what a drill that sets none runs (one of values)
};

// An operator action routed to an engine that declares it.
struct ActionRequest {
    std::string action;       // "drain-region"
    std::string target;       // a region, a component path, or an engine-defined name
    double value = 0.0;       // the action's value when it takes one
};

// What an engine is built with: the run's world, telemetry and shared resources.
struct EngineContext {
    sim::World& world;
    telemetry::Telemetry& telemetry;
    SharedResources& shared;
};

class Engine {
public:
    virtual ~Engine() = default;
    virtual void start() = 0;
    virtual absl::Status applyLoad(const LoadRequest& load) = 0;
    virtual void checkInvariants(std::vector<InvariantCheck>& out) = 0;
    // The last check, when the run ends (its verdicts are final). May do the engine's
    // end-of-run work (a full scan); the default is checkInvariants().
    virtual void finalInvariants(std::vector<InvariantCheck>& out) { checkInvariants(out); }
    // An operator's SetLoad: switch to `profile` (empty: keep it) and scale by
    // `multiplier` (0: unchanged). The default refuses (the engine takes no load changes).
    virtual absl::Status setLoad(const std::string& profile, double multiplier);
    // An operator action of the engine's descriptor. InvalidArgument for a bad target or
    // value. The default answers Unimplemented (an engine that declares actions must
    // implement them: a test checks every declared action acts).
    virtual absl::Status applyAction(const ActionRequest& action);
};

class EngineFactory {
public:
    virtual ~EngineFactory() = default;

    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0;
    // The engine as data. The default describes only name, description, metrics(),
    // invariants() and loadProfiles(); engines override it to add tiles, charts,
    // actions, component kinds and figures (descriptor.h has builders).
    virtual v1::EngineDescriptor describe() const;
    virtual std::vector<MetricOffer> metrics() const = 0;
    virtual std::vector<InvariantOffer> invariants() const = 0;
    // Load profiles the engine accepts in `load:` (empty: it takes no load phases).
    virtual std::vector<std::string> loadProfiles() const { return {}; }
    // The settings that switch between the engine's designs (empty: it has one design).
    virtual std::vector<ModeOffer> modes() const { return {}; }

    // `engines.<name>`: the node may be null (an empty section: all defaults).
    virtual std::shared_ptr<const EngineSettings> parseSettings(const YAML::Node& node) const = 0;
    // One `load:` entry for this engine: the profile name (already checked against
    // loadProfiles()) and the entry's `params` node (may be undefined). The default
    // refuses parameters.
    virtual std::shared_ptr<const EngineSettings> parseLoad(const std::string& profile, const YAML::Node& params) const;

    virtual absl::StatusOr<std::unique_ptr<Engine>> build(EngineContext& context, const EngineSettings& settings) const = 0;

    // Where faults act on an engine built with `settings` into `world` (called after
    // build(), before the run starts) and its fault budget. The default offers none: a
    // swarm then puts no faults on the engine and says so.
    virtual FaultSurface faultSurface(const EngineSettings& settings, const sim::World& world) const;

    // True when `metricName` is one of metrics() (or in one of its families).
    bool offersMetric(std::string_view metricName, telemetry::MetricKind* kind = nullptr) const;
};

// Where a registered engine comes from (reports and recordings name plugin engines).
struct EngineOrigin {
    std::string pluginId;     // empty: built in
    std::string pluginVersion;
    std::string fileSha256;
};

class EngineRegistry {
public:
    // Adds a factory. A second factory with a name already registered is refused
    // (AlreadyExists naming where the first came from): a plugin may not replace an engine.
    absl::Status add(std::shared_ptr<const EngineFactory> factory, EngineOrigin origin = {});
    const EngineFactory* find(std::string_view name) const;
    const EngineOrigin* origin(std::string_view name) const;
    std::vector<const EngineFactory*> all() const;
    std::string names() const; // "gifts, synthetic"
    bool empty() const { return m_entries.empty(); }

private:
    struct Entry {
        std::shared_ptr<const EngineFactory> factory;
        EngineOrigin origin;
    };
    std::vector<Entry> m_entries; // sorted by name
};

// The metrics a registry holds, once per name, in registration order — how an adapter
// lists what an engine built with its defaults registers (EngineFactory::metrics()).
std::vector<MetricOffer> registeredMetrics(const telemetry::MetricsRegistry& metrics, std::string_view description);

// What an engine offers drills by name: its metrics and its invariants.
struct EngineOffers {
    std::vector<MetricOffer> metrics;
    std::vector<InvariantOffer> invariants;
};

// Builds an engine once in a world of its own to list what it registers: `build` makes
// the engine in the given world (its telemetry and shared resources) and returns its
// invariant offers; the metrics are what the registry then holds (registeredMetrics,
// each described as `metricDescription`). An engine that cannot be built offers
// nothing. How an adapter fills EngineFactory::metrics() and invariants().
using EngineBuildProbe = std::function<absl::StatusOr<std::vector<InvariantOffer>>(
    sim::World& world, telemetry::Telemetry& telemetry, SharedResources& shared)>;
EngineOffers probeEngineOffers(std::string_view metricDescription, const EngineBuildProbe& build);

// True when `action` is among the descriptor's actions.
bool declaresAction(const v1::EngineDescriptor& descriptor, std::string_view action);

} // namespace livedeck::engine

namespace livedeck::engine {

// The engines this process offers: filled once at program start by the composition
// point (app/common/builtin_engines.h: the built-in engines) and by plugin loading,
// before any run is loaded; read-only afterwards. A function-local object, not a global
// constructor. Drill loading reads it by default.
EngineRegistry& processEngines();

} // namespace livedeck::engine

// DrillSpec: a drill file as a value (docs/DRILLS.md is the reference of the file
// format). Produced by the loader (drill_loader.h), consumed by DrillRun. Everything a
// later check may complain about keeps the source position of its node, so errors
// found only once the world is built (unknown fault targets) still point into the file.
//
// Times in a drill are simulated nanoseconds from the drill's start. A TimeRef is a
// point that may depend on the run: "30s", "end", "end - 10s", "outage.start + 5s",
// "outage.end" (the named scheduled fault's actual start or end).
// Value type; copyable; no yaml-cpp nodes inside (engine sections are parsed by their
// factories into EngineSettings).
#pragma once

#include "backend/drills/drill_error.h"
#include "backend/sim/calendar.h"
#include "backend/sim/time.h"
#include "backend/sim/topology.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livedeck::engine {
class EngineFactory;
class EngineSettings;
} // namespace livedeck::engine

namespace livedeck::drills {

// ------------------------------------------------------------------ conditions

enum class CompareOp { Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual };
std::string_view toString(CompareOp op);

// "<op> <number>", e.g. ">= 0.9999", "< 250", "== 0".
struct Condition {
    CompareOp op = CompareOp::GreaterEqual;
    double value = 0.0;
    bool test(double observed) const;
    std::string text() const;
    static absl::StatusOr<Condition> parse(std::string_view text);
};

// ------------------------------------------------------------------ time references

struct TimeRef {
    enum class Base { Start, End, FaultStart, FaultEnd };
    Base base = Base::Start;
    sim::Nanos offset = 0;
    std::string fault; // FaultStart / FaultEnd: the scheduled fault's name
    SourcePos pos;

    static TimeRef at(sim::Nanos t) { return TimeRef{Base::Start, t, {}, {}}; }
    static TimeRef end() { return TimeRef{Base::End, 0, {}, {}}; }
    std::string text() const;
    // "30s", "end", "end - 10s", "NAME.start", "NAME.end + 5s".
    static absl::StatusOr<TimeRef> parse(std::string_view text);
};

// ------------------------------------------------------------------ engines and load

struct EngineEntry {
    std::string name;
    SourcePos pos;
    const EngineFactory* factory = nullptr;
    std::shared_ptr<const EngineSettings> settings;
};

// One entry of `load:`: from `at` on, the engine runs `profile` scaled by `multiplier`.
struct LoadPhase {
    sim::Nanos at = 0;
    std::string engine;
    std::string profile;
    double multiplier = 1.0;
    std::shared_ptr<const EngineSettings> params; // the engine's parsed `params`, may be null
    SourcePos pos;
};

// ------------------------------------------------------------------ faults

// One fault on the timeline (from `faults:`).
struct ScheduledFault {
    std::string name;       // may be empty; unique when given
    SourcePos pos;
    SourcePos targetPos;
    SourcePos peerPos;      // position of params.peer, when given
    sim::Nanos at = 0;
    sim::Nanos end = sim::kNever; // kNever: in force until the drill ends
    v1::FaultKind kind = v1::FAULT_KIND_UNSPECIFIED;
    std::string target;
    std::vector<v1::FaultParam> params;
};

// How one parameter of a random fault is drawn: a number uniform in [lo, hi], or one
// of `choices` (texts such as a partition's peer; numbers are allowed as choices too).
struct RandomParam {
    std::string name;
    double lo = 0.0;
    double hi = 0.0;
    std::vector<std::string> choices; // non-empty: pick one uniformly
    SourcePos pos;
};

struct RandomParamSet {
    v1::FaultKind kind = v1::FAULT_KIND_UNSPECIFIED;
    std::vector<RandomParam> params;
};

// One entry of `random_faults:` — a seeded sweep in the spirit of FoundationDB's and
// TigerBeetle's simulators: faults arrive as a Poisson process of `ratePerMinute`
// between `from` and `until`, each of a kind drawn from `kinds`, on a target drawn from
// `targets`, lasting a duration uniform in [minLength, maxLength], with parameters
// drawn from `params` (or the kind's defaults), at most `maxActive` at once.
struct RandomFaultSet {
    std::string name;
    SourcePos pos;
    std::vector<v1::FaultKind> kinds;
    std::vector<std::string> targets;
    std::vector<SourcePos> targetPos;
    double ratePerMinute = 0.0;
    sim::Nanos minLength = sim::kSecond;
    sim::Nanos maxLength = sim::kSecond;
    sim::Nanos from = 0;
    sim::Nanos until = sim::kNever; // kNever: the drill's end
    int maxActive = 0;              // 0: no limit
    std::vector<RandomParamSet> params; // per kind, explicit entries only
};

// `swarm:` — how `drill sweep --swarm` draws a seed's faults over every engine's fault
// surface (docs/DRILLS.md, "Swarm testing"). Every key is optional.
struct SwarmSpec {
    sim::Nanos faultsUntil = -1;   // every fault ends by then (the rest is the recovery tail); -1: half the duration
    int minFaults = 2;             // faults per seed, drawn uniformly in [minFaults, maxFaults]
    int maxFaults = 6;
    sim::Nanos minLength = sim::kSecond;
    sim::Nanos maxLength = 4 * sim::kSecond;
    SourcePos pos;
};

// ------------------------------------------------------------------ metrics, halts, expectations

enum class SeriesStat { Mean, Min, Max, First, Last, Sum };
enum class SeriesCombine { Sum, Mean, Min, Max };
std::string_view toString(SeriesStat stat);
std::string_view toString(SeriesCombine combine);
// "rate", "total", "value", "p50", "p90", "p99", "p999"
std::string_view metricTypeName(v1::MetricType type);

// Which rolled-up series a check reads: by name, component (a fault-style target:
// prefix by segment, '*' = one segment; empty = any), labels ("k=v,k2=v2": each pair
// must be among the series' labels; empty = any) and type. Several matching series
// are combined at each rollup by `combine`.
struct MetricSelector {
    std::string name;
    std::string component;
    std::string labels;
    v1::MetricType type = v1::METRIC_TYPE_UNSPECIFIED;
    SeriesCombine combine = SeriesCombine::Sum;
    SourcePos namePos;
    SourcePos componentPos;
    std::string text() const; // "synthetic.sent rate (world/synthetic)"
};

// Stop the run when `metric` satisfies `when` at `sustain` worth of consecutive
// rollups (one rollup when sustain is 0), not before `after`.
struct HaltCondition {
    std::string name;
    SourcePos pos;
    MetricSelector metric;
    Condition when;
    sim::Nanos sustain = 0;
    sim::Nanos after = 0;
};

struct MetricExpectationSpec {
    MetricSelector metric;
    SeriesStat stat = SeriesStat::Mean;
    Condition expect;
    TimeRef from = TimeRef::at(0);
    TimeRef to = TimeRef::end();
};

struct EventExpectationSpec {
    enum class Mode { Within, Never, Count };
    Mode mode = Mode::Within;
    std::string kind;      // exact, or "prefix.*"
    std::string component; // fault-style target; empty = any
    SourcePos componentPos;
    std::vector<std::pair<std::string, std::string>> fields; // each must be present with this value
    // Within: an event within `within` after `after`.
    TimeRef after;
    sim::Nanos within = 0;
    // Never / Count: over [from, to].
    TimeRef from = TimeRef::at(0);
    TimeRef to = TimeRef::end();
    Condition count;
};

struct ExpectationSpec {
    std::string name;
    SourcePos pos;
    double weight = 1.0;
    bool isMetric = true;
    MetricExpectationSpec metric;
    EventExpectationSpec event;
    std::string expectedText() const; // ">= 0.99 (min, 0s..outage.start)"
};

// ------------------------------------------------------------------ the drill

struct DrillSpec {
    std::string fileName; // for messages ("resources/drills/x.yaml", "builtin:x")
    std::string text;     // the file as loaded, verbatim (recordings store it)

    std::string name;
    std::string description;
    std::string sabotageOf; // a sabotage twin names the drill whose mechanism it switches off
    std::uint64_t seed = 1;
    sim::Nanos duration = 0;
    sim::Topology topology = sim::Topology::defaults();
    sim::Calendar calendar;

    std::vector<EngineEntry> engines;
    std::vector<LoadPhase> load;
    std::vector<ScheduledFault> faults;
    std::vector<RandomFaultSet> randomFaults;
    SwarmSpec swarm;
    std::vector<HaltCondition> halts;
    std::vector<ExpectationSpec> expectations;
    // Invariants to check; empty with allInvariants = every invariant the engines offer.
    std::vector<std::pair<std::string, SourcePos>> invariants;
    bool allInvariants = true;
    double invariantWeight = 1.0;

    const ScheduledFault* findFault(std::string_view faultName) const;
    // The end of a swarm's faults: swarm.faultsUntil, or half the duration.
    sim::Nanos swarmFaultsUntil() const { return swarm.faultsUntil >= 0 ? swarm.faultsUntil : duration / 2; }
    bool isSabotageTwin() const { return !sabotageOf.empty(); }
};

} // namespace livedeck::drills

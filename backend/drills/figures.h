// Figures as data: the write-ups' figures an engine reproduces (v1::FigureDescriptor in
// its descriptor, docs/DRILLS.md "Figures"), measured by running drills.
//
// For each figure of each engine in a registry: each value (a, and b unless the check is
// a bound) runs its drill — a built-in drill's name or a drill file's path — to the end
// with DrillRun::runToEnd at the drill's own seed, and reads a statistic of one series:
// the metric (with the component filter and metric type) combined over its matching
// series at each telemetry rollup as drill expectations combine them (SeriesMatcher:
// sum), then mean / min / max / last / p99 (nearest rank) of those per-second values
// over the window (from, to] (drill time refs: "10s", "end - 5s", "NAME.start";
// empty: the whole run). Then the check:
//   RATIO      value_b / value_a within [ratio_min, ratio_max]
//   BOUND      value_a <op> bound  (op: >=, <=, >, <)
//   DIRECTION  value_b better than value_a (higher when higher_is_better, else lower)
// `quick` measures quick_a / quick_b instead where the figure declares them (<= 30 s of
// wall time each, for the test suite).
//
// Runs go on `jobs` threads, each on its own world; results do not depend on the job
// count (each run is deterministic; results come back sorted by figure id, then engine).
// A value that cannot be measured (its drill does not load, no series matches, the
// window is empty) fails its figure with the reason in `error`.
#pragma once

#include "backend/drills/engine.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/status/statusor.h>

#include <optional>
#include <string>
#include <vector>

namespace livedeck::drills {

struct FigureRunOptions {
    std::string engine;   // only this engine's figures; empty: every engine's
    bool quick = false;
    int jobs = 1;         // threads, >= 1
    const EngineRegistry* engines = nullptr; // null: processEngines()
};

struct FigureMeasurement {
    v1::FigureValue source; // what was measured
    std::string drill;    // as named by the figure
    std::uint64_t seed = 0;
    std::optional<double> value;
    std::size_t samples = 0;  // per-second values in the window
    std::string error;        // why there is no value
};

struct FigureResult {
    std::string engine;
    v1::FigureDescriptor figure;
    FigureMeasurement a;
    std::optional<FigureMeasurement> b; // absent for a bound
    std::optional<double> ratio;        // b / a when both are measured and a != 0
    bool pass = false;
    std::string error;                  // a measurement error (then pass is false)
};

// "ratio b/a in [1.8, 2.2]", "a >= 0.9999", "b higher than a".
std::string figureCheckText(const v1::FigureDescriptor& figure);

// InvalidArgument when `engine` names no registered engine, or jobs < 1.
absl::StatusOr<std::vector<FigureResult>> runFigures(const FigureRunOptions& options);

// Measures one value (exposed for tests).
FigureMeasurement measureFigureValue(const v1::FigureValue& value, const EngineRegistry& engines);

// One JSON object per figure: id, engine, description, value_a, value_b, ratio,
// writeup_value, writeup_ratio, check, pass, error (and the drills and seeds).
std::string figuresJson(const std::vector<FigureResult>& results);
// The readable form: one block per figure, then a verdict line.
std::string figuresText(const std::vector<FigureResult>& results);
// docs/FIGURES.md: a summary table (figure, both values, measured and write-up ratio,
// check beside verdict), then per figure what each value measures and the commands that
// reproduce it. `command` is the command line that produced the results; `quick` whether
// they are the quick variants.
std::string figuresMarkdown(const std::vector<FigureResult>& results, const std::string& command, bool quick);

} // namespace livedeck::drills

// Seed sweeps: one drill run per seed over a range, each a fresh DrillRun run to its
// end on the calling thread (no host, no wall clock): with the file's random faults,
// every seed draws a different but reproducible fault set. A failing seed reproduces
// exactly with `livedeckctl drill run FILE --seed N` (same drill, seed and stop time ⇒
// same trace hash, DESIGN.md property 1).
//
// Verdict of a seed: the drill's verdict (expectations and invariants), or with
// `invariantsOnly` just its invariants — random faults may legitimately break an SLO
// but must never break an invariant.
#pragma once

#include "backend/drills/drill_run.h"

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace livedeck::drills {

struct SweepOptions {
    std::uint64_t firstSeed = 1;
    std::uint64_t lastSeed = 20;   // inclusive
    sim::Nanos stopAt = sim::kNever;
    bool invariantsOnly = false;
};

struct SweepSeed {
    std::uint64_t seed = 0;
    bool passed = false;
    DrillReport report;
};

struct SweepResult {
    std::vector<SweepSeed> seeds;
    std::vector<std::uint64_t> failingSeeds; // ascending
};

// `onSeed` sees each seed's result as soon as it is known (the verdict line).
// Errors: the drill's build errors (same message as drill run), InvalidArgument for an
// empty range.
absl::StatusOr<SweepResult> sweepDrill(const DrillSpec& spec, const SweepOptions& options,
                                       const std::function<void(const SweepSeed&)>& onSeed = {});

// "A..B" (inclusive, A <= B) or a single seed "A".
absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> parseSeedRange(std::string_view text);

// "seed 17  PASS  score 100.0  trace 0x…  events …" — one verdict line.
std::string sweepLine(const SweepSeed& seed, bool invariantsOnly);

} // namespace livedeck::drills

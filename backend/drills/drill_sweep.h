// Seed sweeps: one drill run per seed over a range, each a fresh DrillRun run to its
// end on the calling thread (no host, no wall clock): with the file's random faults,
// every seed draws a different but reproducible fault set. A failing seed reproduces
// exactly with `livedeckctl drill run FILE --seed N` (same drill, seed and stop time ⇒
// same trace hash, DESIGN.md property 1).
//
// Verdict of a seed: the drill's verdict (expectations and invariants), or with
// `invariantsOnly` just its invariants — random faults may legitimately break an SLO
// but must never break an invariant.
//
// Sharding (docs/DRILLS.md, "Sweeps across machines"): shard I of N runs the seeds whose
// index in the range (seed - firstSeed) is I modulo N, and writes a part (sweepPartJson)
// holding its verdict lines, the shard identity, the drill text's SHA-256 and the seed
// range. mergeSweepParts checks that the parts are one sweep's, shards 0..N-1 each once,
// and rebuilds the whole sweep; sweepTail prints its end exactly as a single sweep does.
#pragma once

#include "backend/drills/drill_run.h"

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livedeck::drills {

// Slice `index` of `count`: the seeds whose index in the range is `index` modulo `count`.
struct SweepShard {
    std::uint64_t index = 0;
    std::uint64_t count = 1;
    bool holds(std::uint64_t firstSeed, std::uint64_t seed) const { return (seed - firstSeed) % count == index; }
};

struct SweepOptions {
    std::uint64_t firstSeed = 1;
    std::uint64_t lastSeed = 20;   // inclusive
    sim::Nanos stopAt = sim::kNever;
    bool invariantsOnly = false;
    SweepShard shard; // runs only this slice of the range (default: all of it)
    int jobs = 1;     // seeds run in parallel on this many threads; results do not depend on it
    // Swarm testing (random_faults.h, docs/DRILLS.md "Swarm testing"): each seed draws
    // its faults over the engines' fault surfaces; a seed fails only when an invariant
    // (every invariant the engines offer) breaks.
    bool swarm = false;
};

struct SweepSeed {
    std::uint64_t seed = 0;
    bool passed = false;
    DrillReport report;
    std::vector<DrawnFault> swarmFaults; // swarm: the faults the seed drew
};

struct SweepResult {
    std::vector<SweepSeed> seeds;
    std::vector<std::uint64_t> failingSeeds; // ascending
    SwarmVocabulary vocabulary;              // swarm: the fault surfaces (the same for every seed)
};

// `onSeed` sees each seed's result in seed order, as soon as it and every seed before it
// are known (the verdict line); with jobs > 1 it is called from the sweep's threads,
// one call at a time.
// Errors: the drill's build errors (same message as drill run), InvalidArgument for an
// empty range.
absl::StatusOr<SweepResult> sweepDrill(const DrillSpec& spec, const SweepOptions& options,
                                       const std::function<void(const SweepSeed&)>& onSeed = {});

// ------------------------------------------------------------------ swarm coverage and shrinking

// How often a swarm sweep drew each (fault kind, target) pair of its vocabulary.
struct SwarmCoverage {
    std::vector<std::pair<v1::FaultKind, std::string>> pairs; // SwarmVocabulary::pairs()
    std::vector<std::uint64_t> drawn;                          // per pair
    std::vector<std::string> silentEngines;
    std::size_t uncovered() const;
};
SwarmCoverage swarmCoverage(const SweepResult& result);
// "coverage: 41 of 42 (kind, target) pairs drawn" then one line per pair
// ("  12  mq-delay  sh-a/gifts/mq") and the uncovered ones ("uncovered: ...").
std::string swarmCoverageText(const SwarmCoverage& coverage);

struct ShrinkResult {
    std::uint64_t seed = 0;
    std::string invariant;          // the invariant the shrunk fault set still breaks
    std::vector<DrawnFault> drawn;  // the seed's faults as drawn
    std::vector<DrawnFault> faults; // the smallest subset found that still breaks it (1-minimal)
    int runs = 0;                   // drill runs the shrinking took
    DrillReport report;             // of the run with `faults`
};

// Shrinks a failing swarm seed by delta debugging (Zeller's ddmin) over its drawn
// faults: re-runs the same deterministic world (same seed and stop time) with subsets
// of them until no chunk and no single fault can be removed while `invariant` still
// breaks. `invariant`: the first engine invariant that failed (drill.no-violations
// when only it did). FailedPrecondition when `failing` broke no invariant.
absl::StatusOr<ShrinkResult> shrinkSwarmSeed(const DrillSpec& spec, const SweepSeed& failing, sim::Nanos stopAt);

// A drill file that reproduces a shrunk seed with `livedeckctl drill run FILE`: the
// drill's text with its seed set, its faults replaced by the shrunk ones as scheduled
// faults, and no random faults, swarm, expectations or invariant selection (every
// invariant is checked). `source` names the drill as given to the sweep.
std::string swarmReproducer(const DrillSpec& spec, const ShrinkResult& shrunk, const std::string& source,
                            const std::string& until);

// "A..B" (inclusive, A <= B) or a single seed "A".
absl::StatusOr<std::pair<std::uint64_t, std::uint64_t>> parseSeedRange(std::string_view text);

// "seed 17  PASS  score 100.0  trace 0x…  events …" — one verdict line.
std::string sweepLine(const SweepSeed& seed, bool invariantsOnly);

// "I/N" with N >= 1 and I < N.
absl::StatusOr<SweepShard> parseShard(std::string_view text);

// ------------------------------------------------------------------ parts of a sweep

struct SweepPartSeed {
    std::uint64_t seed = 0;
    bool passed = false;
    std::string line; // sweepLine()
};

struct SweepPart {
    std::string drill;       // FILE|NAME as given to the sweep (the reproduce line names it)
    std::string drillName;   // the drill's `name`
    std::string drillSha256; // of the drill text (DrillSpec::text), lowercase hex
    std::uint64_t firstSeed = 0;
    std::uint64_t lastSeed = 0;
    std::string until;       // --until as given; empty: the drill's duration
    sim::Nanos stopAt = sim::kNever;
    bool invariantsOnly = false;
    bool swarm = false;
    SweepShard shard;
    std::vector<SweepPartSeed> seeds; // ascending: exactly the shard's seeds of the range
};

// The part of a (sharded) sweep: `result` from sweepDrill with `options`; `drill`,
// `until` and `drillSha256` as described in SweepPart.
SweepPart makeSweepPart(const DrillSpec& spec, const std::string& drill, const std::string& drillSha256,
                        const std::string& until, const SweepOptions& options, const SweepResult& result);

// The part as a JSON document (format "livedeck-sweep-part/1"; docs/DRILLS.md).
std::string sweepPartJson(const SweepPart& part);

// Reads a part written by sweepPartJson. Errors name `fileName`.
absl::StatusOr<SweepPart> parseSweepPart(std::string_view text, const std::string& fileName);

// The whole sweep (shard 0/1) from its parts. InvalidArgument, naming the file, when
// the parts are not one sweep's: another drill text, seed range, stop time or verdict
// mode; a shard count that differs, a shard given twice or missing; a part whose
// seeds are not its shard's. `fileNames[i]` names `parts[i]`.
absl::StatusOr<SweepPart> mergeSweepParts(const std::vector<SweepPart>& parts,
                                          const std::vector<std::string>& fileNames);

// What a sweep prints after its verdict lines: "sweep: N seed(s), none failed" or the
// failing seeds and "reproduce with: livedeckctl drill run FILE --seed S [--until T]".
std::string sweepTail(const SweepPart& whole);
bool sweepPassed(const SweepPart& whole);

} // namespace livedeck::drills

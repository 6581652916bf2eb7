// Random fault sweeps: turns one `random_faults:` entry (RandomFaultSet) into concrete
// faults for one seed, in the spirit of FoundationDB's and TigerBeetle's simulators —
// every seed a different but reproducible fault set.
//
// All draws come from the world's stream "drill/random-faults/<set name>", so each set
// draws independently of the others and of every component. Arrivals are a Poisson
// process (exponential gaps of mean 60 s / rate-per-minute) over [from, until); for
// each arrival, in this order: kind (uniform over `kinds`), target (uniform over the
// expanded target list), length (uniform integer nanoseconds in [min, max]), then each
// parameter (uniform in its range or over its choices). An arrival that would exceed
// `max_active` faults of the set in force is dropped after its draws, so dropping
// never shifts later draws. Targets with '*' expand to every matching component (in
// registration order); others stand for themselves (a region, a prefix).
//
// Parameters a set does not give take these defaults (ours, chosen to be noticeable
// without being total): latency add_ms 10..100; error-rate rate 0.1..0.5;
// slow-disk multiply 2..10; replica-lag add_ms 100..2000; mq-duplicate rate 0.05..0.3;
// mq-delay add_ms 100..2000; mq-loss rate 0.01..0.1; clock-skew add_ms -500..500;
// hot-key share 0.2..0.8; load-spike multiply 1.5..4; partition peer: another of the
// set's targets, both ways. Pure function of (set, seed, components).
#pragma once

#include "backend/drills/drill_spec.h"
#include "backend/drills/engine.h"
#include "backend/sim/world.h"

#include <string>
#include <vector>

namespace livedeck::drills {

struct DrawnFault {
    std::string name; // "<set>#<n>", n from 1 in time order
    v1::FaultSpec spec; // kind, target, params, start_ns, end_ns, origin "random:<set>"
};

// The expanded target list of a set (see above), in draw order.
std::vector<std::string> expandTargets(const RandomFaultSet& set, const sim::ComponentRegistry& components);

std::vector<DrawnFault> drawRandomFaults(const RandomFaultSet& set, const sim::World& world);

// ------------------------------------------------------------------ swarm testing
//
// A swarm draws each seed's faults over the fault surfaces of every engine of the drill
// (EngineFactory::faultSurface) — in the spirit of swarm testing (Groce et al., 2012):
// each seed first picks a random subset of the fault kinds the engines offer (each kind
// in with probability 1/2, at least one), then draws swarm.faults faults among them. All
// draws come from the world's stream "drill/swarm", in this order: the kind subset (one
// Bernoulli draw per offered kind, in kind order; if none came up, one uniform pick), the
// fault count, then per fault: kind (uniform over the subset), target (uniform over the
// targets offering the kind), start (whole milliseconds, uniform so that a fault of the
// shortest length still ends by faults_until), length (whole milliseconds in
// swarm.length, cut at faults_until), parameters (the defaults above, rounded to three
// decimals), and for a partition its peer (uniform over the other partition targets
// that do not contain it or lie in it). A fault that would break an engine's fault
// budget is dropped after its draws. Kept faults are ordered by start (then draw order)
// and named "swarm#1", "swarm#2", ... in that order; their origin is "swarm".

struct SwarmTarget {
    std::string engine;
    std::string path;
    std::vector<v1::FaultKind> kinds;
};

struct SwarmBudgetRule {
    std::string engine;
    FaultBudgetRule rule;
};

struct SwarmVocabulary {
    std::vector<SwarmTarget> targets;      // in engine order, then each surface's order
    std::vector<SwarmBudgetRule> budget;
    std::vector<std::string> silentEngines; // engines that offer no fault surface
    // Every (kind, path) pair the swarm may draw, in target order then kind order.
    std::vector<std::pair<v1::FaultKind, std::string>> pairs() const;
};

std::vector<DrawnFault> drawSwarmFaults(const SwarmSpec& swarm, sim::Nanos faultsUntil, const SwarmVocabulary& vocabulary,
                                        const sim::World& world);

// True when no budget rule breaks at any instant under `faults` (each with start_ns and
// end_ns > start). `broken` (optional) names the first rule that breaks and when.
bool withinFaultBudget(const std::vector<v1::FaultSpec>& faults, const SwarmVocabulary& vocabulary,
                       std::string* broken = nullptr);

} // namespace livedeck::drills

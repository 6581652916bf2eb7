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

} // namespace livedeck::drills

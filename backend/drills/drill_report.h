// DrillReport: the result of one drill run — what `livedeckctl drill run --report`
// writes as JSON and prints as a readable summary, what sweeps print one line of, and
// what the console shows when a drill finishes (v1::DrillState.report_json).
//
// JSON fields (docs/DRILLS.md "Report"): drill, description, sabotage_of, seed, build,
// sim_seconds, wall_seconds, speedup, events, trace_hash, state_digest, passed, score,
// halted, halt_reason, stopped_early, calendar_start, expectations [{name, kind, passed,
// observed, observed_text, expected, weight}], invariants [{name, passed, detail,
// failed_at_s}], faults_applied [{name, origin, kind, target, params, start_s, end_s,
// started_s, ended_s, error}]. Hashes are "0x" + 16 hex digits. Everything except
// wall_seconds and speedup (wall-clock measurements, 0 until the caller sets wallNs) is
// a pure function of (drill text, seed, stop time): two processes give the same bytes.
#pragma once

#include "backend/sim/time.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace livedeck::drills {

struct ExpectationResult {
    std::string name;
    std::string kind;             // "metric" or "event"
    bool passed = false;
    bool final = false;           // the verdict can no longer change
    std::optional<double> observed; // the aggregated value, delay (s) or count; none when nothing was observed
    std::string observedText;     // "min 0.9987 over 20 samples", "synthetic.alert.on 1.3s after outage.start"
    std::string expected;         // "min of synthetic.send_success value over (0s, outage.start] >= 0.99"
    double weight = 1.0;
};

struct InvariantResult {
    std::string name;
    bool passed = true;
    std::string detail;
    sim::Nanos failedAt = -1;     // simulated time of the first failure, -1 when it held
    double weight = 1.0;
};

struct FaultRecord {
    std::string name;             // the drill's name for it; random faults: "<set>#<n>"
    std::string origin;           // "drill" or "random:<set>"
    std::string kind;
    std::string target;
    std::string params;           // "add_ms=50 peer=gz"
    sim::Nanos start = 0;         // as scheduled
    sim::Nanos end = -1;          // as scheduled; -1: until the end
    sim::Nanos startedAt = -1;    // as it happened; -1: never started
    sim::Nanos endedAt = -1;      // -1: still in force at the end (or never started)
    std::string error;            // the world refused it (empty when injected)
};

struct DrillReport {
    std::string drill;
    std::string description;
    std::string sabotageOf;
    std::string fileName;
    std::uint64_t seed = 0;
    std::string build;
    sim::Nanos simNs = 0;
    sim::Nanos durationNs = 0;
    sim::Nanos wallNs = 0;        // set by whoever ran it on a wall clock (0: unknown)
    std::uint64_t events = 0;
    std::uint64_t traceHash = 0;
    std::uint64_t stateDigest = 0;
    std::string calendarStart;    // "2026-12-31 23:50:00.000"
    bool halted = false;
    std::string haltReason;
    bool stoppedEarly = false;    // --until ended it before its duration
    double score = 0.0;           // 0..100
    std::vector<ExpectationResult> expectations;
    std::vector<InvariantResult> invariants;
    std::vector<FaultRecord> faults;
    // Engine plugins the run's engines came from (docs/PLUGINS.md): id, version, file SHA-256.
    struct Plugin {
        std::string id;
        std::string version;
        std::string fileSha256;
    };
    std::vector<Plugin> plugins;

    bool expectationsPassed() const;
    bool invariantsPassed() const;
    bool passed() const { return expectationsPassed() && invariantsPassed(); }

    // Pretty JSON (2-space indent), with or without the wall-clock fields.
    std::string toJson(bool includeWall = true) const;
    // A multi-line summary for people.
    std::string summary() const;
    // One line: "PASS  score 100.0  trace 0x…  events 123  sim 60s  [failed: a; b]".
    std::string verdictLine(bool invariantsOnly = false) const;
    // Names of what failed, "expectation 'x' (observed …); invariant 'y' (…)".
    std::string failures(bool invariantsOnly = false) const;
};

std::string hashText(std::uint64_t hash); // "0x0123456789abcdef"

} // namespace livedeck::drills

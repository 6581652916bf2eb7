// Comparing two run recordings (`livedeckctl drill compare A.sqlite B.sqlite`): per
// recorded series, A's and B's mean, p50 and p99 over the run (or a window) and the
// ratio B/A; and, when both recordings ran the same drill text, where their traces part.
//
// Divergence is found in two steps. Every recorded snapshot (one per simulated second
// by default) stores the running trace hash, so the first second whose hashes differ
// is read from the files. Then both runs are re-simulated (replayRecording()) up to
// that second, each event's running hash and (time, kind, component) kept from the
// last second the hashes agreed, and the first event where they differ is named: its
// index, both sides' events, and — when those events are alike — the event before it,
// whose handler mixed different content into the trace. Two recordings of one drill
// and seed compare with ratio 1 and no divergence. At two seeds the running hashes
// differ from the start (the seed is mixed in first), so the first event where the two
// runs' (time, kind, component) sequences part is named instead.
#pragma once

#include "backend/sim/time.h"

#include <absl/status/statusor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace livedeck::drills {

struct CompareOptions {
    std::string metrics;          // glob on the series name ("gifts.*"); no * ? [: substring; empty: all
    sim::Nanos from = 0;          // window over the samples, inclusive
    sim::Nanos to = sim::kNever;
    bool locateEvent = true;      // re-simulate to name the first differing event
};

struct SeriesStats {
    std::size_t samples = 0;      // finite samples in the window
    double mean = 0.0;
    double p50 = 0.0;
    double p99 = 0.0;
};

struct MetricComparison {
    std::string name;
    std::string component;
    std::string labels;
    std::string type;             // "counter", "p99", ...
    std::string unit;
    std::optional<SeriesStats> a; // absent when that recording has no such series
    std::optional<SeriesStats> b;
    std::optional<double> ratio;  // b.mean / a.mean when both exist and a.mean != 0
};

struct TraceEvent {
    std::uint64_t index = 0;      // events executed before it (0-based position in the run)
    sim::Nanos time = 0;
    std::string kind;
    std::string component;
    std::uint64_t traceHash = 0;  // running hash once this event's (time, kind, component) is mixed in
};

struct Divergence {
    bool comparable = false;      // same drill text: traces can be compared
    bool diverged = false;
    bool seedsDiffer = false;     // the hashes part at once; the event streams are compared
    // The last snapshot both agree on and the first where they differ (-1: none; a
    // divergence after the last common snapshot is reported at the run's end).
    sim::Nanos lastEqualNs = -1;
    sim::Nanos firstDifferentNs = -1;
    bool eventLocated = false;
    std::optional<TraceEvent> a;  // the first event whose running hash differs
    std::optional<TraceEvent> b;
    // When a and b are the same event (time, kind, component), the content that differs
    // was mixed in by the event before them (this one, in A).
    std::optional<TraceEvent> cause;
    std::string note;             // why an event could not be located, when it could not
};

struct RecordingSide {
    std::string path;
    std::string drill;
    std::uint64_t seed = 0;
    std::string buildId;
    sim::Nanos endNs = 0;
    std::uint64_t finalTraceHash = 0;
};

struct CompareResult {
    RecordingSide a;
    RecordingSide b;
    sim::Nanos from = 0;
    sim::Nanos to = sim::kNever;
    std::vector<MetricComparison> metrics; // A's series order, then B-only series
    Divergence divergence;

    std::string text() const;  // a table, then the divergence
    std::string json() const;
};

// Errors: either file cannot be read or is not a recording (naming the file); a
// recording whose drill text no longer loads when an event has to be located.
absl::StatusOr<CompareResult> compareRecordings(const std::string& pathA, const std::string& pathB,
                                                const CompareOptions& options = {});

} // namespace livedeck::drills

// Runs a DrillRun in a host::WorldHost without a UI — `livedeckctl drill run`. Progress
// lines (simulated time, speed ratio, events/s, the verdicts so far) are built from the
// snapshots the host publishes at `progressHz` of wall time, like HeadlessRunner's;
// the returned report carries the wall time measured on the injected clock.
//
// Contract: blocks the calling thread until the drill finalized (its end, a halt, or
// the --until stop). The report is the DrillRun's, so it is identical to runToEnd()'s
// for the same drill, seed and stop time (the trace does not depend on pacing).
#pragma once

#include "backend/drills/drill_run.h"
#include "backend/host/wall_clock.h"
#include "backend/host/world_host.h"

#include <functional>
#include <memory>
#include <string>

namespace livedeck::drills {

struct HeadlessDrillOptions {
    double speed = 0.0;      // <= 0: as fast as possible; else simulated seconds per wall second
    double progressHz = 1.0; // progress lines per wall second
    host::HostOptions host;
};

struct HeadlessDrillResult {
    DrillReport report;
    absl::Status recording; // the recorder's first error (OK when not recording)
};

using DrillProgressSink = std::function<void(const std::string& line)>;

HeadlessDrillResult runDrillHeadless(std::unique_ptr<DrillRun> run, host::WallClock& clock,
                                     const HeadlessDrillOptions& options, const DrillProgressSink& progress = {});

// "sim 12.000 s / 60 s  ×35.2  1.2 M ev/s  events 42  faults 1  expectations 3/4 ok  invariants ok"
std::string formatDrillProgress(const v1::Snapshot& snapshot);

} // namespace livedeck::drills

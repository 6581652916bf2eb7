// Operator actions on a local drill run (`livedeckctl drill run DRILL --action
// AT:NAME:TARGET[:VALUE]`): each is submitted to the run's WorldHost as a recorded
// world command (v1::OperatorAction) when the world reaches simulated time AT (the host
// runs until AT, applies the command, goes on), so a recording of the run replays it at
// the same point and `drill verify` matches. DrillRun routes each action to the engines
// whose descriptors declare it (docs/DRILLS.md, docs/API.md).
#pragma once

#include "backend/drills/headless_drill.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/status/status.h>

#include <string>
#include <string_view>
#include <vector>

namespace livedeck::ctl {

struct ScheduledAction {
    sim::Nanos at = 0;
    v1::OperatorAction action;
    std::string text; // as given on the command line
    bool hasValue = false;
};

// "10s:drain-region:sh-a", "30s:shed-load:*:500". Returns false with `error` set.
bool parseActionSpec(std::string_view text, ScheduledAction& out, std::string& error);

// Checks the actions against the run before it starts: each AT within the run's stop
// time, each NAME declared by one of its engines (InvalidArgument naming the declared ones).
absl::Status checkActions(const drills::DrillRun& run, const std::vector<ScheduledAction>& actions);

struct ActionLog {
    absl::Status status;            // the first action the run refused (bad target or value)
    std::vector<std::string> lines; // "10 s  drain-region sh-a: applied"
};

// runDrillHeadless with the actions applied at their times (in time order, ties in the
// given order). On a refused action the run stops there: the result's report is the run
// so far and `log.status` says why.
drills::HeadlessDrillResult runDrillWithActions(std::unique_ptr<drills::DrillRun> run, host::WallClock& clock,
                                                const drills::HeadlessDrillOptions& options,
                                                std::vector<ScheduledAction> actions, ActionLog& log,
                                                const drills::DrillProgressSink& progress = {});

} // namespace livedeck::ctl

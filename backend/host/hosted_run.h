// HostedRun: what a WorldHost runs — one world with its telemetry, plus whatever the
// program built on it (engines, a drill, a synthetic workload). The host owns it and
// touches it only on its own thread; everything here is called there.
//
// Contract:
// - world() and telemetry() live as long as the run; the run is fully built (events
//   scheduled, telemetry started) before it is handed to the host.
// - endTime(): the host never runs the world past it (a drill's duration); kNever = open.
// - finished(): true when the run has nothing more to do (a drill that halted or
//   reached its end); the host then pauses and refuses to resume or step.
// - fillDrillState(): fills the snapshot's drill part; false = no drill (left empty).
// - onCommandApplied(): sees every command the host applied to the world, with the
//   point it was applied at (recorders write it down so a replay applies it there).
#pragma once

#include "backend/sim/world.h"
#include "backend/telemetry/telemetry.h"
#include "livedeck/v1/cluster.pb.h"

namespace livedeck::host {

class HostedRun {
public:
    virtual ~HostedRun() = default;

    virtual sim::World& world() = 0;
    virtual const sim::World& world() const = 0;
    virtual telemetry::Telemetry& telemetry() = 0;
    virtual const telemetry::Telemetry& telemetry() const = 0;

    virtual sim::Nanos endTime() const { return sim::kNever; }
    virtual bool finished() const { return false; }
    virtual bool fillDrillState(v1::DrillState& /*out*/) const { return false; }
    virtual void onCommandApplied(const v1::AppliedCommand& /*applied*/) {}
};

} // namespace livedeck::host

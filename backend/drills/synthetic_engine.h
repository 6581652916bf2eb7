// The `synthetic` drill engine: sim::SyntheticWorkload (services in every region
// messaging each other over the emulated network) plus what a drill needs around it —
// telemetry, a delivery alert and a conservation invariant. Not a model of any
// production system: it exercises the drill machinery (faults, halts, expectations,
// sweeps, recordings) with a world that is cheap to run, until and besides the engines.
//
// Section `engines.synthetic` (all optional; docs/DRILLS.md):
//   services_per_region  1..64, default 4 (ours: 12 services in the default topology)
//   send_interval        mean time between one service's sends, >= 10us, default 5ms
//                        (ours: 2 400 sends/s in the default topology, ~0.1 s of wall
//                        time per simulated minute)
//   chaos                the workload's own random faults (sim::SyntheticWorkload's fault
//                        process, as in `livedeckctl demo`), default off: a drill's faults
//                        come from the drill
//   alert                {below: ratio, for: duration} or off; default below 0.9 for 1s
//                        (ours). The delivery alert raises "synthetic.alert.on" when the
//                        share of sends the network accepted over the last second stays
//                        below `below` for `for`, and "synthetic.alert.off" when it stays
//                        at or above it for `for`. `alert: off` is the sabotage switch.
// Metrics (component "world/synthetic"), updated every 100 ms of simulated time:
//   counters synthetic.sent, .delivered, .failed, .faults_injected; gauges
//   synthetic.send_success (ratio over the last second; 1 with no sends),
//   synthetic.in_flight, synthetic.faults_active, synthetic.alert (0/1).
// Invariant synthetic.conservation: sent = delivered + failed + in flight, where in
// flight is counted independently as the delivery events pending in the scheduler.
// No load phases: the send rate is fixed for the run (send_interval).
#pragma once

#include "backend/drills/engine.h"

#include <memory>

namespace livedeck::drills {

std::shared_ptr<const EngineFactory> makeSyntheticEngineFactory();

} // namespace livedeck::drills

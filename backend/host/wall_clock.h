// WallClock: the program's wall clock, injected into the world host (docs/ARCHITECTURE.md
// "Time and randomness are injected"). The backend never reads a clock of its own:
// programs pass a steady-clock implementation (app/), tests a ManualWallClock they
// move by hand, so pacing is testable without sleeping.
//
// Contract:
// - now() is monotonic, in nanoseconds from an arbitrary origin; any thread.
// - waitUntil() blocks the calling thread until now() >= deadlineNs or the signal is
//   pending (WakeSignal::notify). It may return early (spuriously); callers re-check.
//   deadlineNs == sim::kNever waits for the signal only. It never consumes the signal.
#pragma once

#include "backend/host/wake_signal.h"
#include "backend/sim/time.h"

namespace livedeck::host {

class WallClock {
public:
    virtual ~WallClock() = default;
    virtual sim::Nanos now() const = 0;
    virtual void waitUntil(sim::Nanos deadlineNs, WakeSignal& signal) = 0;
};

} // namespace livedeck::host

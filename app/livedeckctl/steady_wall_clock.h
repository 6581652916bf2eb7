// SteadyWallClock: the program's WallClock for the world host — std::chrono's
// steady clock (monotonic), nanoseconds since construction. This is the one place
// livedeckctl reads the wall clock; backend/ never does (DESIGN.md property 1).
// Thread-safe: now() and waitUntil() may be called from any thread.
#pragma once

#include "backend/host/wall_clock.h"

#include <chrono>

namespace livedeck::ctl {

class SteadyWallClock final : public host::WallClock {
public:
    SteadyWallClock() : m_origin(std::chrono::steady_clock::now()) {}

    sim::Nanos now() const override;
    void waitUntil(sim::Nanos deadlineNs, host::WakeSignal& signal) override;

private:
    std::chrono::steady_clock::time_point m_origin;
};

} // namespace livedeck::ctl

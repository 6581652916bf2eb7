// SteadyWallClock: the programs' wall clock for the world host (std::chrono::steady_clock
// from construction). The backend never reads a clock itself; programs inject this one.
// Thread-safe: now() and waitUntil() may be called from any thread.
#pragma once

#include "backend/host/wall_clock.h"

#include <chrono>

namespace livedeck::app {

class SteadyWallClock final : public host::WallClock {
public:
    SteadyWallClock() : m_origin(std::chrono::steady_clock::now()) {}

    sim::Nanos now() const override;
    void waitUntil(sim::Nanos deadlineNs, host::WakeSignal& signal) override;

private:
    const std::chrono::steady_clock::time_point m_origin;
};

} // namespace livedeck::app

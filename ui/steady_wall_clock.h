// SteadyWallClock: the console's WallClock for its embedded world host — std::chrono's
// steady clock (monotonic), nanoseconds since construction. The backend never reads a
// clock of its own (docs/ARCHITECTURE.md, property 1); the program injects this one.
// Thread-safe: now() and waitUntil() may be called from any thread.
#pragma once

#include "backend/host/wall_clock.h"

#include <chrono>

namespace livedeck::ui {

class SteadyWallClock final : public host::WallClock {
public:
    SteadyWallClock() : m_origin(std::chrono::steady_clock::now()) {}

    sim::Nanos now() const override;
    void waitUntil(sim::Nanos deadlineNs, host::WakeSignal& signal) override;

private:
    std::chrono::steady_clock::time_point m_origin;
};

} // namespace livedeck::ui

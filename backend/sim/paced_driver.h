// PacedDriver: runs a scheduler against a wall clock that the caller supplies (the
// backend never reads one). Modes: paused; real time × k (k = speed, simulated
// seconds per wall second); as fast as possible (speed <= 0). advance() is called
// repeatedly by the host's thread with the current wall time and a bound on events,
// so the caller stays responsive to commands between calls.
#pragma once

#include "backend/sim/scheduler.h"

namespace livedeck::sim {

class PacedDriver {
public:
    explicit PacedDriver(Scheduler& scheduler) : m_scheduler(scheduler) {}

    // Speed changes re-anchor the pacing at the current wall and simulated times.
    void setSpeed(double factor, Nanos wallNow);
    double speed() const { return m_speed; }
    bool isMax() const { return m_speed <= 0.0; }

    void pause() { m_paused = true; }
    void resume(Nanos wallNow);
    bool paused() const { return m_paused; }

    // Runs what the wall clock allows: up to maxEvents events with time <= target.
    // When every due event ran, the clock is moved to the target time. Returns events run.
    std::uint64_t advance(Nanos wallNow, std::uint64_t maxEvents);
    // The simulated time the wall clock asks for now (kNever at max speed).
    Nanos target(Nanos wallNow) const;
    // How far behind the wall clock the world is (0 when keeping up).
    Nanos lag(Nanos wallNow) const;

private:
    Scheduler& m_scheduler;
    double m_speed = 1.0;
    bool m_paused = true;
    Nanos m_anchorWall = 0;
    Nanos m_anchorSim = 0;
};

} // namespace livedeck::sim

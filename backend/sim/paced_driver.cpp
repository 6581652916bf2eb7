#include "backend/sim/paced_driver.h"

#include <algorithm>

namespace livedeck::sim {

void PacedDriver::setSpeed(double factor, Nanos wallNow)
{
    m_speed = factor;
    m_anchorWall = wallNow;
    m_anchorSim = m_scheduler.now();
}

void PacedDriver::resume(Nanos wallNow)
{
    m_paused = false;
    m_anchorWall = wallNow;
    m_anchorSim = m_scheduler.now();
}

Nanos PacedDriver::target(Nanos wallNow) const
{
    if (isMax())
        return kNever;
    const double elapsed = static_cast<double>(wallNow - m_anchorWall) * m_speed;
    return m_anchorSim + static_cast<Nanos>(elapsed);
}

Nanos PacedDriver::lag(Nanos wallNow) const
{
    if (m_paused || isMax())
        return 0;
    return std::max<Nanos>(0, target(wallNow) - m_scheduler.now());
}

std::uint64_t PacedDriver::advance(Nanos wallNow, std::uint64_t maxEvents)
{
    if (m_paused)
        return 0;
    if (isMax())
        return m_scheduler.runEvents(maxEvents);
    const Nanos t = target(wallNow);
    const std::uint64_t ran = m_scheduler.runUntilBounded(t, maxEvents);
    if (ran < maxEvents && t > m_scheduler.now())
        m_scheduler.runUntil(t); // nothing left before t: move the clock to t
    return ran;
}

} // namespace livedeck::sim

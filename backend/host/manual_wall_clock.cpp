#include "backend/host/manual_wall_clock.h"

#include <algorithm>

namespace livedeck::host {

void ManualWallClock::waitUntil(sim::Nanos deadlineNs, WakeSignal& signal)
{
    {
        std::lock_guard lock(m_mutex);
        m_waiting.push_back(&signal);
    }
    {
        std::unique_lock lock(signal.mutex());
        signal.condition().wait(lock, [&] { return signal.pendingLocked() || now() >= deadlineNs; });
    }
    std::lock_guard lock(m_mutex);
    m_waiting.erase(std::find(m_waiting.begin(), m_waiting.end(), &signal));
}

void ManualWallClock::set(sim::Nanos wallNs)
{
    sim::Nanos current = m_now.load(std::memory_order_acquire);
    while (wallNs > current && !m_now.compare_exchange_weak(current, wallNs, std::memory_order_acq_rel)) {
    }
    wakeAll();
}

void ManualWallClock::advance(sim::Nanos deltaNs)
{
    if (deltaNs > 0)
        m_now.fetch_add(deltaNs, std::memory_order_acq_rel);
    wakeAll();
}

int ManualWallClock::waiters() const
{
    std::lock_guard lock(m_mutex);
    return static_cast<int>(m_waiting.size());
}

void ManualWallClock::wakeAll()
{
    std::lock_guard lock(m_mutex);
    for (WakeSignal* s : m_waiting)
        s->poke();
}

} // namespace livedeck::host

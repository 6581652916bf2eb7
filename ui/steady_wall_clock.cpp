#include "ui/steady_wall_clock.h"

namespace livedeck::ui {

sim::Nanos SteadyWallClock::now() const
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - m_origin).count();
}

void SteadyWallClock::waitUntil(sim::Nanos deadlineNs, host::WakeSignal& signal)
{
    std::unique_lock lock(signal.mutex());
    const auto pending = [&] { return signal.pendingLocked(); };
    if (deadlineNs == sim::kNever) {
        signal.condition().wait(lock, pending);
        return;
    }
    // Far deadlines are cut to an hour (the host re-checks after an early return),
    // which also keeps the time point from overflowing.
    const sim::Nanos limit = now() + sim::kHour;
    const sim::Nanos deadline = deadlineNs < limit ? deadlineNs : limit;
    signal.condition().wait_until(lock, m_origin + std::chrono::nanoseconds(deadline), pending);
}

} // namespace livedeck::ui

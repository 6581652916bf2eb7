#include "backend/resilience/bulkhead.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace livedeck::resilience {

Bulkhead::Bulkhead(sim::Scheduler& scheduler, BulkheadConfig config, sim::EventKindId timerKind,
                   sim::ComponentId component)
    : m_scheduler(scheduler), m_config(config), m_timerKind(timerKind), m_component(component),
      m_ring(config.maxQueue)
{
    assert(config.maxConcurrent > 0);
    assert(config.maxWait > 0);
}

Bulkhead::~Bulkhead()
{
    m_scheduler.cancel(m_timer);
}

bool Bulkhead::tryAcquire()
{
    // Waiters come first: a free permit with a non-empty queue only exists transiently.
    if (m_inFlight >= m_config.maxConcurrent || m_count > 0)
        return false;
    ++m_inFlight;
    ++m_stats.admittedAtOnce;
    m_stats.peakInFlight = std::max(m_stats.peakInFlight, m_inFlight);
    return true;
}

Bulkhead::Admission Bulkhead::acquire(Waiter waiter)
{
    if (tryAcquire())
        return Admission::Admitted;
    if (m_count >= m_config.maxQueue) {
        ++m_stats.rejected;
        return Admission::Rejected;
    }
    const std::uint32_t tail = (m_head + m_count) % m_config.maxQueue;
    m_ring[tail].waiter = std::move(waiter);
    m_ring[tail].enqueuedAt = m_scheduler.now();
    ++m_count;
    m_stats.peakQueued = std::max(m_stats.peakQueued, m_count);
    if (m_count == 1)
        armTimer();
    return Admission::Queued;
}

void Bulkhead::popHead()
{
    assert(m_count > 0);
    head().waiter.reset();
    m_head = (m_head + 1) % m_config.maxQueue;
    --m_count;
}

void Bulkhead::release()
{
    assert(m_inFlight > 0 && "release() without a permit");
    if (m_count == 0) {
        --m_inFlight;
        return;
    }
    // Hand the permit to the oldest waiter (m_inFlight unchanged).
    Waiter waiter = std::move(head().waiter);
    m_stats.totalQueueWait += m_scheduler.now() - head().enqueuedAt;
    ++m_stats.admittedFromQueue;
    popHead();
    m_scheduler.cancel(m_timer);
    m_timer = {};
    armTimer();
    waiter(true); // may call acquire()/release() again: state is consistent here
}

void Bulkhead::armTimer()
{
    if (m_count == 0 || m_config.maxWait == sim::kNever || m_scheduler.isPending(m_timer))
        return;
    m_timer = m_scheduler.scheduleAt(head().enqueuedAt + m_config.maxWait, m_timerKind, m_component,
                                     [this] { onTimer(); });
}

void Bulkhead::onTimer()
{
    m_timer = {};
    const sim::Nanos now = m_scheduler.now();
    while (m_count > 0 && head().enqueuedAt + m_config.maxWait <= now) {
        Waiter waiter = std::move(head().waiter);
        popHead();
        ++m_stats.timedOut;
        waiter(false);
    }
    armTimer();
}

} // namespace livedeck::resilience

#include "backend/host/rate_meter.h"

#include <cassert>

namespace livedeck::host {

RateMeter::RateMeter(sim::Nanos window, sim::Nanos sampleEvery) : m_window(window), m_sampleEvery(sampleEvery)
{
    assert(window > 0 && sampleEvery > 0);
    assert(window / sampleEvery + 2 < static_cast<sim::Nanos>(kCapacity));
}

void RateMeter::reset()
{
    m_head = 0;
    m_size = 0;
    m_simPerWall = 0.0;
    m_eventsPerSec = 0.0;
}

void RateMeter::record(sim::Nanos wallNs, sim::Nanos simNs, std::uint64_t events)
{
    const Point now{wallNs, simNs, events};
    // Forget points older than the window, keeping one just outside it as a fallback.
    while (m_size > 1 && at(1).wall <= wallNs - m_window) {
        m_head = (m_head + 1) % kCapacity;
        --m_size;
    }
    // The base: the oldest point within the window, else the one just outside it.
    const Point* base = nullptr;
    for (std::size_t i = 0; i < m_size; ++i) {
        const Point& p = at(i);
        if (p.wall >= wallNs)
            break;
        if (p.wall >= wallNs - m_window || i + 1 == m_size || at(i + 1).wall >= wallNs) {
            base = &p;
            break;
        }
    }
    if (base) {
        const double wall = static_cast<double>(wallNs - base->wall);
        m_simPerWall = static_cast<double>(simNs - base->sim) / wall;
        m_eventsPerSec = static_cast<double>(events - base->events) * 1e9 / wall;
    }
    if (m_size == 0 || wallNs - at(m_size - 1).wall >= m_sampleEvery) {
        if (m_size == kCapacity) {
            m_head = (m_head + 1) % kCapacity;
            --m_size;
        }
        m_ring[(m_head + m_size) % kCapacity] = now;
        ++m_size;
    }
}

} // namespace livedeck::host

#include "backend/resilience/adaptive_throttle.h"

#include <algorithm>

namespace livedeck::resilience {

AdaptiveThrottle::AdaptiveThrottle(const sim::Clock& clock, sim::RandomStream rng, AdaptiveThrottleConfig config)
    : m_clock(clock), m_rng(rng), m_config(config), m_window(config.window, config.buckets)
{
    assert(config.k > 0.0 && config.maxRejectProbability >= 0.0 && config.maxRejectProbability <= 1.0);
}

double AdaptiveThrottle::probability(double requests, double accepts, double k)
{
    return std::max(0.0, (requests - k * accepts) / (requests + 1.0));
}

double AdaptiveThrottle::rejectProbability()
{
    const sim::Nanos now = m_clock.now();
    return std::min(m_config.maxRejectProbability,
                    probability(m_window.total(now, kRequests), m_window.total(now, kAccepts), m_config.k));
}

bool AdaptiveThrottle::allow(double weight)
{
    const double p = rejectProbability();
    m_window.add(m_clock.now(), kRequests, weight);
    m_stats.requests += weight;
    if (p > 0.0 && m_rng.uniform01() < p) {
        m_stats.rejectedLocally += weight;
        return false;
    }
    return true;
}

void AdaptiveThrottle::recordAccept(double weight)
{
    m_window.add(m_clock.now(), kAccepts, weight);
    m_stats.accepts += weight;
}

double AdaptiveThrottle::windowRequests()
{
    return m_window.total(m_clock.now(), kRequests);
}

double AdaptiveThrottle::windowAccepts()
{
    return m_window.total(m_clock.now(), kAccepts);
}

} // namespace livedeck::resilience

#include "backend/resilience/hedging.h"

#include <algorithm>
#include <cmath>

namespace livedeck::resilience {
namespace {
constexpr std::uint32_t kRefreshEvery = 64; // samples between p95 recomputations
} // namespace

HedgePolicy::HedgePolicy(const sim::Clock& clock, HedgeConfig config)
    : m_clock(clock), m_config(config), m_windowEnd(clock.now() + config.latencyWindow),
      m_delay(config.fixedDelay > 0 ? config.fixedDelay : config.initialDelay),
      m_budget(config.budgetWindow, config.budgetBuckets)
{
    assert(config.latencyWindow > 0 && config.delayQuantile > 0.0 && config.delayQuantile < 1.0);
    assert(config.maxHedgeRatio >= 0.0 && config.minHedgesPerSec >= 0.0);
}

void HedgePolicy::rotate(sim::Nanos now)
{
    if (now < m_windowEnd)
        return;
    // Two or more windows passed: the older data is stale as a whole.
    if (now >= m_windowEnd + m_config.latencyWindow)
        m_previous.reset();
    else
        std::swap(m_previous, m_current);
    m_current.reset();
    const sim::Nanos periods = (now - m_windowEnd) / m_config.latencyWindow + 1;
    m_windowEnd += periods * m_config.latencyWindow;
    refreshDelay();
}

void HedgePolicy::refreshDelay()
{
    m_sinceRefresh = 0;
    if (m_config.fixedDelay > 0)
        return;
    if (m_previous.count() + m_current.count() < static_cast<double>(m_config.minSamples)) {
        m_delay = m_config.initialDelay;
        return;
    }
    m_scratch.reset();
    m_scratch.merge(m_previous);
    m_scratch.merge(m_current);
    m_delay = std::max<sim::Nanos>(1, static_cast<sim::Nanos>(std::llround(m_scratch.quantile(m_config.delayQuantile))));
}

sim::Nanos HedgePolicy::hedgeDelay()
{
    rotate(m_clock.now());
    return m_delay;
}

void HedgePolicy::recordLatency(sim::Nanos latency)
{
    rotate(m_clock.now());
    m_current.record(latency);
    if (++m_sinceRefresh >= kRefreshEvery
        || m_previous.count() + m_current.count() == static_cast<double>(m_config.minSamples))
        refreshDelay();
}

void HedgePolicy::onCall()
{
    m_budget.add(m_clock.now(), kCalls, 1.0);
}

bool HedgePolicy::tryHedge()
{
    const sim::Nanos now = m_clock.now();
    const double allowed = m_config.maxHedgeRatio * m_budget.total(now, kCalls)
        + m_config.minHedgesPerSec * sim::toSeconds(m_budget.window());
    if (m_budget.total(now, kHedges) + 1.0 > allowed)
        return false;
    m_budget.add(now, kHedges, 1.0);
    return true;
}

} // namespace livedeck::resilience

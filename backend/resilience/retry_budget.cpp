#include "backend/resilience/retry_budget.h"

#include <algorithm>
#include <cmath>

namespace livedeck::resilience {

RetryBudget::RetryBudget(const sim::Clock& clock, RetryBudgetConfig config)
    : m_clock(clock), m_config(config), m_window(config.window, config.buckets)
{
    assert(config.ratio >= 0.0 && config.minRetriesPerSec >= 0.0);
    assert(config.initialBackoff >= 0 && config.maxBackoff >= config.initialBackoff && config.backoffMultiplier >= 1.0);
}

void RetryBudget::recordRequest(double weight)
{
    m_window.add(m_clock.now(), kRequests, weight);
    m_stats.requests += weight;
}

double RetryBudget::available()
{
    const sim::Nanos now = m_clock.now();
    const double allowed = m_config.ratio * m_window.total(now, kRequests)
        + m_config.minRetriesPerSec * sim::toSeconds(m_window.window());
    return allowed - m_window.total(now, kRetries);
}

bool RetryBudget::tryRetry(double weight)
{
    if (available() < weight) {
        m_stats.denied += weight;
        return false;
    }
    m_window.add(m_clock.now(), kRetries, weight);
    m_stats.retries += weight;
    return true;
}

double RetryBudget::windowRequests()
{
    return m_window.total(m_clock.now(), kRequests);
}

double RetryBudget::windowRetries()
{
    return m_window.total(m_clock.now(), kRetries);
}

sim::Nanos RetryBudget::backoffCeiling(int retry) const
{
    if (retry < 1)
        retry = 1;
    const double ceiling = static_cast<double>(m_config.initialBackoff) * std::pow(m_config.backoffMultiplier, retry - 1);
    return static_cast<sim::Nanos>(std::min(ceiling, static_cast<double>(m_config.maxBackoff)));
}

sim::Nanos RetryBudget::backoff(int retry, sim::RandomStream& rng) const
{
    const sim::Nanos ceiling = backoffCeiling(retry);
    if (ceiling <= 0)
        return 0;
    return rng.uniformRange(0, ceiling);
}

} // namespace livedeck::resilience

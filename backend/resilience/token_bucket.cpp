#include "backend/resilience/token_bucket.h"

#include "backend/sim/strings.h"
#include "backend/telemetry/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace livedeck::resilience {

absl::Status TokenBucket::validate(double ratePerSec, double burst)
{
    if (!(ratePerSec > 0.0) || !std::isfinite(ratePerSec))
        return absl::InvalidArgumentError(sim::strFormat("token bucket rate %g/s must be a positive number", ratePerSec));
    if (!(burst > 0.0) || !std::isfinite(burst))
        return absl::InvalidArgumentError(sim::strFormat("token bucket burst %g must be a positive number", burst));
    return absl::OkStatus();
}

TokenBucket::TokenBucket(double ratePerSec, double burst, const sim::Clock& clock)
    : m_clock(clock), m_ratePerNs(ratePerSec / 1e9), m_burst(burst), m_tokens(burst), m_last(clock.now())
{
    if (auto st = validate(ratePerSec, burst); !st.ok()) {
        std::fprintf(stderr, "livedeck: %s\n", std::string(st.message()).c_str());
        std::abort();
    }
}

double TokenBucket::available() const
{
    const sim::Nanos now = m_clock.now();
    double tokens = m_tokens;
    if (now > m_last)
        tokens = std::min(m_burst, tokens + static_cast<double>(now - m_last) * m_ratePerNs);
    return tokens;
}

sim::Nanos TokenBucket::timeUntilAvailable(double weight) const
{
    const double need = std::min(weight, m_burst);
    const double tokens = available();
    const double deficit = need - tokens;
    if (deficit <= 0.0)
        return 0;
    auto t = static_cast<sim::Nanos>(std::ceil(deficit / m_ratePerNs));
    // Guard the rounding: after t the refill must cover the deficit.
    while (tokens + static_cast<double>(t) * m_ratePerNs < need)
        ++t;
    return t;
}

void TokenBucket::setRate(double ratePerSec)
{
    if (auto st = validate(ratePerSec, m_burst); !st.ok())
        return;
    refill();
    m_ratePerNs = ratePerSec / 1e9;
}

void TokenBucket::setBurst(double burst)
{
    if (auto st = validate(ratePerSec(), burst); !st.ok())
        return;
    refill();
    m_burst = burst;
    if (m_tokens > m_burst)
        m_tokens = m_burst;
}

void TokenBucket::reset()
{
    m_tokens = m_burst;
    m_last = m_clock.now();
}

void TokenBucket::countAcquired(double weight)
{
    m_acquiredCounter->add(weight);
}

void TokenBucket::countRejected(double weight)
{
    m_rejectedCounter->add(weight);
}

void TokenBucket::attachMetrics(telemetry::MetricsRegistry& metrics, std::string_view component, std::string_view prefix)
{
    m_acquiredCounter = &metrics.counter(sim::strCat(prefix, ".acquired"), component);
    m_rejectedCounter = &metrics.counter(sim::strCat(prefix, ".rejected"), component);
}

void TokenBucket::inspect(sim::StateWriter& out) const
{
    out.add("rate_per_sec", ratePerSec());
    out.add("burst", m_burst);
    out.add("tokens", available());
    out.add("acquired", m_acquired);
    out.add("rejected", m_rejected);
}

} // namespace livedeck::resilience

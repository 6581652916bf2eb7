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

double TokenBucket::tokensAt(sim::Nanos t) const
{
    // The same arithmetic as refill(), so predictions match what tryAcquire decides.
    double tokens = m_tokens;
    if (t > m_last) {
        tokens += static_cast<double>(t - m_last) * m_ratePerNs;
        if (tokens > m_burst)
            tokens = m_burst;
    }
    return tokens;
}

double TokenBucket::available() const
{
    return tokensAt(m_clock.now());
}

sim::Nanos TokenBucket::timeUntilAvailable(double weight) const
{
    const sim::Nanos now = m_clock.now();
    if (fits(tokensAt(now), weight))
        return 0;
    const double need = std::min(weight, m_burst);
    const double deficit = need - kEpsilon - tokensAt(now);
    sim::Nanos t = now + std::max<sim::Nanos>(1, static_cast<sim::Nanos>(std::ceil(deficit / m_ratePerNs)));
    // The estimate may be off by rounding: settle on the first nanosecond that fits.
    while (t - 1 > now && fits(tokensAt(t - 1), weight))
        --t;
    while (!fits(tokensAt(t), weight))
        ++t;
    return t - now;
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

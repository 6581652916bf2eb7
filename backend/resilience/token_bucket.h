// TokenBucket: a rate limiter of `ratePerSec` tokens per second with up to `burst`
// tokens saved up, on the world's clock (docs/GIFTS.md: gift feeding surges are rate limited;
// the quota client's local fallback rate is one of these).
//
// Contract:
// - Time from a sim::Clock; tokens refill continuously and lazily on each call
//   (tokens = min(burst, tokens + elapsed * rate)); no timers, no allocation.
//   Single-threaded (the world's thread).
// - Weighted (docs/ARCHITECTURE.md, property 3): tryAcquire(weight) takes `weight` tokens, so a
//   discrete request that stands for 1000 real ones costs 1000 tokens. A request
//   heavier than the whole burst could never pass a strict bucket and weights would
//   hollow the limiter out; such a request passes when the bucket is full and leaves
//   it in debt (tokens < 0), which the refill pays back before anything else passes:
//   the long-run rate still holds.
// - timeUntilAvailable(weight): how long until tryAcquire(weight) would succeed with
//   no other traffic (0 = now); callers use it to schedule a retry or a Retry-After.
//
// Compared with the public counterparts: Envoy's local rate limit filter refills
// `tokens_per_fill` every `fill_interval` (discrete fills; max_tokens = burst); ours
// refills continuously, which is Envoy's limit as fill_interval → 0. Guava's
// SmoothBursty RateLimiter lets any request through and makes the *next* one pay
// (unbounded debt); ours allows debt only for requests heavier than the burst and only
// from a full bucket, so ordinary requests are never admitted on credit.
#pragma once

#include "backend/sim/components.h"
#include "backend/sim/time.h"

#include <absl/status/status.h>

#include <string_view>

namespace livedeck::telemetry {
class Counter;
class MetricsRegistry;
}

namespace livedeck::resilience {

class TokenBucket final : public sim::Inspectable {
public:
    // Starts full. ratePerSec > 0, burst > 0 (checked by validate(); the constructor
    // aborts on invalid numbers: a wiring bug).
    TokenBucket(double ratePerSec, double burst, const sim::Clock& clock);
    static absl::Status validate(double ratePerSec, double burst);

    // Tolerance of the token comparison: refills are floating-point sums, and a request
    // must not miss its token by a rounding error (1e-9 tokens: negligible over-admission).
    static constexpr double kEpsilon = 1e-9;

    bool tryAcquire(double weight = 1.0)
    {
        refill();
        if (fits(m_tokens, weight)) {
            m_tokens -= weight;
            m_acquired += weight;
            if (m_acquiredCounter)
                countAcquired(weight);
            return true;
        }
        m_rejected += weight;
        if (m_rejectedCounter)
            countRejected(weight);
        return false;
    }
    // Time until tryAcquire(weight) would pass; 0 when it would now.
    sim::Nanos timeUntilAvailable(double weight = 1.0) const;
    // Tokens available now (negative while in debt).
    double available() const;

    // Changing the rate or burst keeps the tokens earned so far (clamped to the burst).
    void setRate(double ratePerSec);
    void setBurst(double burst);
    // Refill to full.
    void reset();

    double ratePerSec() const { return m_ratePerNs * 1e9; }
    double burst() const { return m_burst; }
    double acquired() const { return m_acquired; } // weighted
    double rejected() const { return m_rejected; } // weighted

    // Optional weighted counters <prefix>.acquired / .rejected under `component`.
    void attachMetrics(telemetry::MetricsRegistry& metrics, std::string_view component,
                       std::string_view prefix = "resilience.token_bucket");
    void inspect(sim::StateWriter& out) const override;

private:
    bool fits(double tokens, double weight) const
    {
        return tokens + kEpsilon >= weight || (weight > m_burst && tokens + kEpsilon >= m_burst);
    }
    double tokensAt(sim::Nanos t) const;
    void refill()
    {
        const sim::Nanos now = m_clock.now();
        if (now > m_last) {
            m_tokens += static_cast<double>(now - m_last) * m_ratePerNs;
            if (m_tokens > m_burst)
                m_tokens = m_burst;
            m_last = now;
        }
    }
    void countAcquired(double weight);
    void countRejected(double weight);

    const sim::Clock& m_clock;
    double m_ratePerNs;
    double m_burst;
    double m_tokens;
    sim::Nanos m_last;
    double m_acquired = 0.0;
    double m_rejected = 0.0;
    telemetry::Counter* m_acquiredCounter = nullptr;
    telemetry::Counter* m_rejectedCounter = nullptr;
};

} // namespace livedeck::resilience

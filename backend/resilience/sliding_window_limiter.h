// SlidingWindowLimiter: at most `limit` (weighted) requests in any `window`, estimated
// with the sliding-window counter Cloudflare describes for its rate limiting: two fixed
// windows' counters, the previous one weighted by how much of it still overlaps the
// sliding window:
//     estimate(now) = previous * (1 - progress) + current,  progress = (now - start) / window
// A request of weight w passes when estimate + w <= limit, and then adds w to current.
//
// Contract: time from a sim::Clock, fixed windows aligned at multiples of `window`
// from time 0 (so every limiter with the same window agrees on the boundaries); O(1)
// per call, two counters, no allocation, no timers. Single-threaded.
// - Weighted (docs/ARCHITECTURE.md, property 3): counts add weights. A request heavier than the
//   whole limit passes only when the estimate is 0 and then blocks the limiter until it
//   has slid out, so the long-run rate holds without weights hollowing it out.
// - Only admitted weight is counted: a client above the limit still gets the limit's
//   worth through (a limiter, not a ban).
// - The estimate assumes the previous window's requests were spread evenly; Cloudflare
//   measured the error small for real traffic. tests/unit/resilience/tst_rate_limiter
//   checks the formula point by point and the worst case (a burst at the boundary).
//
// Compared with the public counterparts: Cloudflare keeps counting blocked requests and
// then blocks the client for a mitigation period; ours counts admitted weight only (no
// ban). Sentinel's flow rule uses a LeapArray of `sampleCount` buckets over
// `intervalMs` (default 2 buckets over 1 s) and sums the buckets still in the
// interval, without interpolation; ours interpolates the previous window instead, with
// two counters.
#pragma once

#include "backend/sim/components.h"
#include "backend/sim/time.h"

#include <absl/status/status.h>

#include <cstdint>
#include <string_view>

namespace livedeck::telemetry {
class Counter;
class MetricsRegistry;
}

namespace livedeck::resilience {

class SlidingWindowLimiter final : public sim::Inspectable {
public:
    // window > 0, limit > 0 (the constructor aborts otherwise: a wiring bug).
    SlidingWindowLimiter(sim::Nanos window, double limit, const sim::Clock& clock);
    static absl::Status validate(sim::Nanos window, double limit);

    // Tolerance of the limit comparison (floating-point interpolation).
    static constexpr double kEpsilon = 1e-9;

    bool tryAcquire(double weight = 1.0);
    // The weighted estimate of the last `window` at now.
    double estimate() const;
    // Time until tryAcquire(weight) would pass with no other traffic; 0 = now.
    sim::Nanos timeUntilAvailable(double weight = 1.0) const;

    double limit() const { return m_limit; }
    sim::Nanos window() const { return m_window; }
    double previousCount() const;
    double currentCount() const;
    double acquired() const { return m_acquired; }
    double rejected() const { return m_rejected; }

    void attachMetrics(telemetry::MetricsRegistry& metrics, std::string_view component,
                       std::string_view prefix = "resilience.sliding_window");
    void inspect(sim::StateWriter& out) const override;

private:
    struct View {
        std::int64_t index;
        double previous;
        double current;
        double progress;
    };
    View viewAt(sim::Nanos now) const;
    bool fits(const View& v, double weight) const;

    const sim::Clock& m_clock;
    sim::Nanos m_window;
    double m_invWindow;
    double m_limit;
    std::int64_t m_index = 0; // fixed window holding `m_current`
    double m_previous = 0.0;
    double m_current = 0.0;
    double m_acquired = 0.0;
    double m_rejected = 0.0;
    telemetry::Counter* m_acquiredCounter = nullptr;
    telemetry::Counter* m_rejectedCounter = nullptr;
};

} // namespace livedeck::resilience

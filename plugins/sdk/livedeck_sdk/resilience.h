// Resilience parts an engine plugin obtains from the host (Infra, infra.h) instead of
// writing its own: a circuit breaker, a sliding-window limiter, a token bucket and a
// concurrency limiter (bulkhead). The host implements them with its own resilience
// library (docs/PLUGINS.md "Infrastructure and resilience"), on the world's clock and
// scheduler; the caller owns what it obtains. Single-threaded (the world's thread).
#pragma once

#include "livedeck_sdk/world.h"

#include <cstdint>
#include <functional>

namespace livedeck::sdk {

// ------------------------------------------------------------------ circuit breaker
enum class BreakerState { Closed, Open, HalfOpen, ForcedOpen, Disabled, MetricsOnly };

// A count-based sliding window of the last `windowSize` calls: the breaker opens when,
// over at least `minimumCalls` (weighted) calls, the failure rate (errors and timeouts)
// or the slow-call rate reaches its threshold; after `waitInOpen` it lets
// `permittedInHalfOpen` probes through and closes when they pass.
struct BreakerConfig {
    std::uint32_t windowSize = 100;
    double failureRateThreshold = 0.5;  // fraction 0..1, trips at or above
    double slowCallRateThreshold = 1.0; // fraction 0..1
    Nanos slowCallDuration = 60 * kSecond;
    double minimumCalls = 100;
    Nanos waitInOpen = 60 * kSecond;
    double permittedInHalfOpen = 10;
};

// Permission for one call of `weight`; every granted permit ends in exactly one of
// onSuccess / onError / onTimeout / release.
struct BreakerPermit {
    bool granted = false;
    std::uint32_t epoch = 0;
    double weight = 1.0;
    explicit operator bool() const { return granted; }
};

// Transitions are raised as "breaker.transition" events on the breaker's component and
// counted as resilience.breaker.permitted/.rejected/.failed/.slow under it.
class CircuitBreaker {
public:
    virtual ~CircuitBreaker() = default;
    virtual BreakerPermit tryAcquire(double weight = 1.0) = 0;
    virtual void onSuccess(const BreakerPermit& permit, Nanos duration) = 0;
    virtual void onError(const BreakerPermit& permit, Nanos duration) = 0;
    virtual void onTimeout(const BreakerPermit& permit) = 0;
    virtual void release(const BreakerPermit& permit) = 0;
    virtual BreakerState state() const = 0;
    virtual double failureRate() const = 0; // -1 below the minimum number of calls
    virtual std::uint64_t transitions() const = 0;
    virtual ComponentId component() const = 0;
};

// ------------------------------------------------------------------ limiters
// A token bucket: `ratePerSec` tokens a second, up to `burst`.
class RateLimiter {
public:
    virtual ~RateLimiter() = default;
    virtual bool tryAcquire(double weight = 1.0) = 0;
    virtual Nanos timeUntilAvailable(double weight = 1.0) = 0;
};

// At most `limit` (weighted) requests in any `window` (a sliding-window counter).
class WindowLimiter {
public:
    virtual ~WindowLimiter() = default;
    virtual bool tryAcquire(double weight = 1.0) = 0;
    virtual double estimate() const = 0;
    virtual Nanos timeUntilAvailable(double weight = 1.0) const = 0;
};

// A bulkhead: at most `maxConcurrent` holders; up to `maxQueue` callers wait FIFO for at
// most `maxWait`, the rest are rejected.
struct ConcurrencyConfig {
    std::uint32_t maxConcurrent = 25;
    std::uint32_t maxQueue = 100;
    Nanos maxWait = 50 * kMillisecond;
};
enum class Admission { Admitted, Queued, Rejected };

class ConcurrencyLimiter {
public:
    virtual ~ConcurrencyLimiter() = default;
    // Admitted: the caller holds a permit now (`waiter` is not called). Queued: `waiter`
    // runs once later, true = admitted (holding a permit), false = timed out. Rejected:
    // `waiter` is not called.
    virtual Admission acquire(std::function<void(bool admitted)> waiter) = 0;
    virtual bool tryAcquire() = 0;
    // Every holder releases exactly once; the permit goes to the oldest waiter.
    virtual void release() = 0;
    virtual std::uint32_t inFlight() const = 0;
    virtual std::uint32_t queued() const = 0;
};

} // namespace livedeck::sdk

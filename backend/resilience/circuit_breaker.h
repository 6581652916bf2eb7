// CircuitBreaker: a call-outcome state machine on the world's clock: a call path that
// fails (or slows) past a threshold "opens a circuit breaker for a period".
//
// States CLOSED, OPEN, HALF_OPEN (the automatic ones) and FORCED_OPEN, DISABLED,
// METRICS_ONLY (set by an operator). Count-based or time-based sliding window;
// failure-rate and slow-call-rate thresholds; a minimum number of calls before any rate
// is computed; a wait in OPEN; N permitted probes in HALF_OPEN; optional automatic
// OPEN → HALF_OPEN on a scheduler timer. Every transition goes to a
// BreakerTransitionSink with its reason and the window's figures (WorldBreakerEvents
// raises them as "breaker.transition" events).
//
// Contract:
// - Time comes from the sim::Clock passed in (a sim::ManualClock in tests); durations
//   are sim::Nanos. Single-threaded (the world's thread). The clock (and the scheduler,
//   when timers are enabled) must outlive the breaker.
// - A call: `Permit p = cb.tryAcquire(weight); if (p) { ...; cb.onSuccess(p, d); }`.
//   Every granted permit must end in exactly one of onSuccess / onError / onTimeout /
//   release. An outcome whose permit was granted before the last state change is
//   ignored (counted in stats().staleOutcomes): a slow call admitted while CLOSED
//   cannot masquerade as a HALF_OPEN probe.
// - Weighted (docs/ARCHITECTURE.md, property 3): a discrete call stands for `weight` real calls.
//   The count window holds the last `windowSize` discrete calls, each with its weight;
//   rates are weighted (failedWeight / totalWeight); minimumNumberOfCalls and
//   permittedCallsInHalfOpen compare weighted sums (a probe of weight 1000 satisfies a
//   10-probe half-open on its own: it IS 1000 real calls). With weight 1 everything
//   below is exactly the unweighted behaviour.
// - Hot path: tryAcquire/onSuccess/onError do not allocate (ring buffer for the count
//   window, bucket ring for the time window, both sized at construction) and do not
//   divide (a rate is compared as failed >= threshold * calls); only state transitions
//   build strings. Benchmark: BM_Breaker_ProtectedCall vs
//   BM_Breaker_Unprotected in tests/bench/resilience/bench_breaker.cpp.
//
// Compared with the public counterparts (looked up in their documentation):
// - Resilience4j CircuitBreakerConfig: failureRateThreshold and slowCallRateThreshold
//   trip "when equal or greater than the threshold"; slowCallDurationThreshold counts a
//   call as slow when its duration is strictly greater; minimumNumberOfCalls (default
//   100); permittedNumberOfCallsInHalfOpenState (default 10);
//   waitDurationInOpenState (60 s); automaticTransitionFromOpenToHalfOpenEnabled
//   (false); COUNT_BASED / TIME_BASED windows (a time window of N one-second buckets);
//   rates are -1 below the minimum; METRICS_ONLY records but never transitions.
//   Ours: the same states and knobs, but (1) the comparison is a configuration field
//   (ThresholdComparison) instead of fixed at-or-above, (2) thresholds are fractions
//   0..1 (Resilience4j: percent), (3) the time window has a configurable bucket count
//   and duration instead of N whole seconds, (4) counts are weighted (above), (5) a
//   timed-out call is recorded as failed AND slow (Resilience4j only sees the
//   TimeoutException as an error, and its duration as whatever elapsed), (6) outcomes
//   are tied to permits, so stale outcomes after a transition are ignored, (7) we do
//   not clamp minimumNumberOfCalls to the count window size (with weights the window's
//   weighted total can exceed its discrete size), and (8) no exponential wait
//   interval function: the OPEN wait is fixed.
// - Sentinel DegradeRule (1.8): trips when the ratio is strictly greater than the
//   threshold ("exceeds"), with a special case for a 100 % slow-ratio threshold (trips
//   at 100 %); statIntervalMs window (default 1 s), minRequestAmount (default 5),
//   timeWindow seconds in OPEN, and a HALF_OPEN that lets exactly one probe through.
//   Ours reproduces it with comparison = StrictlyAbove (including the 100 % case),
//   a time window of statIntervalMs, and permittedCallsInHalfOpen = 1.
//
// Defaults: Config{} carries Resilience4j's defaults except the thresholds'
// comparison (explicit) and the half-open wait bound. Engines configure their own
// breakers from these fields (the gift panel's: docs/GIFTS.md "Panel").
#pragma once

#include "backend/sim/components.h"
#include "backend/sim/scheduler.h"
#include "backend/sim/time.h"

#include <absl/status/status.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::sim {
class World;
}
namespace livedeck::telemetry {
class Counter;
class MetricsRegistry;
}
namespace livedeck::v1 {
class BreakerState;
}

namespace livedeck::resilience {

class CircuitBreaker;

enum class BreakerState : std::uint8_t { Closed, Open, HalfOpen, ForcedOpen, Disabled, MetricsOnly };
const char* breakerStateName(BreakerState state); // "CLOSED", "OPEN", ...

// How a rate is compared with its threshold.
enum class ThresholdComparison : std::uint8_t {
    AtOrAbove,     // rate >= threshold trips (Resilience4j)
    StrictlyAbove, // rate > threshold trips (Sentinel; "exceeds 50 %" in docs/GIFTS.md);
                   // a threshold of 1.0 trips at 1.0, as Sentinel's slow-ratio rule does
};

enum class SlidingWindowType : std::uint8_t { CountBased, TimeBased };

struct CircuitBreakerConfig {
    SlidingWindowType windowType = SlidingWindowType::CountBased;
    // Count window: the last `windowSize` discrete calls (Resilience4j default 100).
    std::uint32_t windowSize = 100;
    // Time window: `windowDuration` in `windowBuckets` equal buckets (Resilience4j: N
    // seconds in N one-second buckets; default 100 s there; ours 10 s in 10 buckets).
    sim::Nanos windowDuration = 10 * sim::kSecond;
    std::uint32_t windowBuckets = 10;

    ThresholdComparison comparison = ThresholdComparison::AtOrAbove;
    double failureRateThreshold = 0.5;           // fraction; Resilience4j default 50 %
    double slowCallRateThreshold = 1.0;          // fraction; Resilience4j default 100 %
    sim::Nanos slowCallDuration = 60 * sim::kSecond; // slow when duration > this (Resilience4j 60 s)
    double minimumNumberOfCalls = 100;           // weighted; Resilience4j default 100

    sim::Nanos waitDurationInOpen = 60 * sim::kSecond; // Resilience4j default 60 s
    double permittedCallsInHalfOpen = 10;        // weighted; Resilience4j default 10 (Sentinel: 1)
    // HALF_OPEN → OPEN when the probes have not all completed after this long; 0 = wait
    // for ever (Resilience4j maxWaitDurationInHalfOpenState, default 0).
    sim::Nanos maxWaitInHalfOpen = 0;
    // OPEN → HALF_OPEN on a timer instead of on the first call after the wait; needs
    // enableTimers() (Resilience4j automaticTransitionFromOpenToHalfOpenEnabled, false).
    bool automaticTransitionFromOpenToHalfOpen = false;

    absl::Status validate() const;
};

// Granted (or not) permission for one discrete call of `weight`.
struct Permit {
    bool granted = false;
    std::uint32_t epoch = 0; // state epoch the permit belongs to
    double weight = 1.0;
    explicit operator bool() const { return granted; }
};

// Weighted figures of the window being evaluated (the sliding window in CLOSED,
// METRICS_ONLY and OPEN; the probes in HALF_OPEN).
struct BreakerFigures {
    double calls = 0.0;      // weighted calls recorded
    double failed = 0.0;     // weighted failed (errors and timeouts)
    double slow = 0.0;       // weighted slow (duration > slowCallDuration, and timeouts)
    double failureRate = -1; // failed / calls, -1 below the minimum
    double slowCallRate = -1;
};

struct BreakerTransition {
    BreakerState from = BreakerState::Closed;
    BreakerState to = BreakerState::Closed;
    std::string reason;    // "failure rate 0.6 >= threshold 0.5 over 20 calls", ...
    BreakerFigures figures; // at the moment of the transition
    sim::Nanos time = 0;
};

// Receives every transition (and threshold crossings in METRICS_ONLY).
class BreakerTransitionSink {
public:
    virtual ~BreakerTransitionSink() = default;
    virtual void onTransition(const CircuitBreaker& breaker, const BreakerTransition& transition) = 0;
    // METRICS_ONLY: a threshold was crossed (edge-triggered) but the state stays.
    virtual void onThresholdExceeded(const CircuitBreaker& /*breaker*/, const BreakerTransition& /*what*/) {}
};

struct BreakerStats {
    double permitted = 0.0;     // weighted
    double rejected = 0.0;      // weighted (v1::BreakerState.not_permitted)
    std::uint64_t rejectedCalls = 0; // discrete
    double succeeded = 0.0;
    double failed = 0.0;        // errors + timeouts
    double slow = 0.0;
    double timedOut = 0.0;
    std::uint64_t staleOutcomes = 0; // outcomes of permits from an earlier state
    std::uint64_t transitions = 0;
};

class CircuitBreaker final : public sim::Inspectable {
public:
    // `name` is the breaker's component path ("sh-a/gifts/panel/privileged-breaker").
    // `sink` may be null. Aborts on an invalid config (a wiring bug): call
    // config.validate() first for configs from users.
    CircuitBreaker(std::string name, CircuitBreakerConfig config, const sim::Clock& clock,
                   BreakerTransitionSink* sink = nullptr);
    ~CircuitBreaker() override;
    CircuitBreaker(const CircuitBreaker&) = delete;
    CircuitBreaker& operator=(const CircuitBreaker&) = delete;

    // Timers for automatic OPEN → HALF_OPEN (and the half-open wait bound). Events are
    // scheduled with `kind` and `component` so the world's trace shows them.
    void enableTimers(sim::Scheduler& scheduler, sim::EventKindId kind, sim::ComponentId component);
    // Optional weighted counters: <prefix>.permitted/.rejected/.failed/.slow under
    // `component` (e.g. "resilience.breaker"). The registry must outlive the breaker.
    void attachMetrics(telemetry::MetricsRegistry& metrics, std::string_view component,
                       std::string_view prefix = "resilience.breaker");

    // --- the protected call (hot path) ---
    Permit tryAcquire(double weight = 1.0)
    {
        if (m_state == BreakerState::Closed || m_state == BreakerState::MetricsOnly
            || m_state == BreakerState::Disabled) {
            m_stats.permitted += weight;
            if (m_counters.permitted)
                bumpPermitted(weight);
            return Permit{true, m_epoch, weight};
        }
        return acquireSlow(weight);
    }
    void onSuccess(const Permit& permit, sim::Nanos duration)
    {
        record(permit, false, duration > m_config.slowCallDuration, false);
    }
    void onError(const Permit& permit, sim::Nanos duration)
    {
        record(permit, true, duration > m_config.slowCallDuration, false);
    }
    // The call hit its deadline: recorded as failed and slow.
    void onTimeout(const Permit& permit) { record(permit, true, true, true); }
    // The permit was granted but the call was not made (a HALF_OPEN probe slot is freed).
    void release(const Permit& permit);

    // --- state ---
    BreakerState state() const { return m_state; }
    sim::Nanos stateSince() const { return m_stateSince; }
    // When an OPEN breaker will admit probes (kNever in other states).
    sim::Nanos openUntil() const { return m_state == BreakerState::Open ? m_openUntil : sim::kNever; }
    double failureRate() const { return figures().failureRate; }
    double slowCallRate() const { return figures().slowCallRate; }
    BreakerFigures figures() const;
    const BreakerStats& stats() const { return m_stats; }
    const std::string& name() const { return m_name; }
    const CircuitBreakerConfig& config() const { return m_config; }
    std::uint32_t epoch() const { return m_epoch; }

    // --- operator transitions (Resilience4j's transitionTo*State) ---
    // Each returns false when already in that state. The reason goes to the sink.
    bool transitionToClosed(std::string_view reason = "operator");
    bool transitionToOpen(std::string_view reason = "operator");
    bool transitionToHalfOpen(std::string_view reason = "operator");
    bool transitionToForcedOpen(std::string_view reason = "operator");
    bool transitionToDisabled(std::string_view reason = "operator");
    bool transitionToMetricsOnly(std::string_view reason = "operator");
    // Back to CLOSED with an empty window and zeroed stats (a transition event is raised
    // when the state was not CLOSED).
    void reset();

    // Snapshot part for the dashboards.
    void toProto(v1::BreakerState& out) const;
    void inspect(sim::StateWriter& out) const override;

private:
    struct CountSlot {
        double weight;
        bool failed;
        bool slow;
    };
    struct Bucket {
        std::int64_t epoch;
        double calls;
        double failed;
        double slow;
    };
    struct Counters {
        telemetry::Counter* permitted = nullptr;
        telemetry::Counter* rejected = nullptr;
        telemetry::Counter* failed = nullptr;
        telemetry::Counter* slow = nullptr;
    };

    Permit acquireSlow(double weight);
    void record(const Permit& permit, bool failed, bool slow, bool timedOut);
    void recordCount(double weight, bool failed, bool slow);
    void recordTime(double weight, bool failed, bool slow);
    void recordProbe(double weight, bool failed, bool slow);
    void countOutcome(double weight, bool failed, bool slow);
    void rollTo(sim::Nanos now);
    void recomputeTimeTotals();
    void recomputeCountTotals();
    void clearWindow();
    void evaluateWindow();
    void evaluateProbes();
    // part / total against threshold, compared as part vs threshold * total (no division
    // on the hot path; the rates shown are part / total).
    bool exceeds(double part, double total, double threshold) const
    {
        if (m_config.comparison == ThresholdComparison::AtOrAbove)
            return part >= threshold * total;
        return threshold >= 1.0 ? part >= total : part > threshold * total;
    }
    // Which threshold trips for these figures (rates defined); nullptr when none.
    const char* tripReason(const BreakerFigures& f, double& rate, double& threshold) const;
    BreakerFigures windowFigures(sim::Nanos now) const;
    BreakerFigures probeFigures() const;
    void transition(BreakerState to, std::string reason);
    void scheduleTimer(sim::Nanos at);
    void cancelTimer();
    void onTimer();
    void bumpPermitted(double weight);

    std::string m_name;
    CircuitBreakerConfig m_config;
    const sim::Clock& m_clock;
    BreakerTransitionSink* m_sink;

    BreakerState m_state = BreakerState::Closed;
    std::uint32_t m_epoch = 1;
    sim::Nanos m_stateSince = 0;
    sim::Nanos m_openUntil = 0;
    sim::Nanos m_halfOpenUntil = sim::kNever;
    bool m_metricsOnlyExceeded = false;

    // Sliding window (both kinds keep running totals of the live slots/buckets).
    double m_calls = 0.0;
    double m_failed = 0.0;
    double m_slow = 0.0;
    std::vector<CountSlot> m_slots; // count window ring
    std::uint32_t m_head = 0;       // next slot to write
    std::uint32_t m_filled = 0;
    std::uint32_t m_slotCount = 0;
    std::uint32_t m_laps = 0;
    std::vector<Bucket> m_buckets;  // time window ring, index = epoch % buckets
    sim::Nanos m_bucketNs = 0;
    std::int64_t m_currentEpoch = 0;
    std::size_t m_currentBucket = 0; // m_currentEpoch % buckets
    sim::Nanos m_bucketEnd = 0;     // end of the current bucket; rolling needed at/after it

    // HALF_OPEN probes.
    double m_probeAdmitted = 0.0;
    double m_probeCompleted = 0.0;
    double m_probeFailed = 0.0;
    double m_probeSlow = 0.0;
    std::uint32_t m_probesInFlight = 0;

    BreakerStats m_stats;
    Counters m_counters;

    sim::Scheduler* m_scheduler = nullptr;
    sim::EventKindId m_timerKind = 0;
    sim::ComponentId m_timerComponent = sim::kNoComponent;
    sim::EventHandle m_timer;
};

// ---------------------------------------------------------------- hot path, inline

inline void CircuitBreaker::record(const Permit& permit, bool failed, bool slow, bool timedOut)
{
    if (!permit.granted)
        return;
    if (permit.epoch != m_epoch) {
        ++m_stats.staleOutcomes;
        return;
    }
    const double w = permit.weight;
    if (failed)
        m_stats.failed += w;
    else
        m_stats.succeeded += w;
    if (slow)
        m_stats.slow += w;
    if (timedOut)
        m_stats.timedOut += w;
    if (m_counters.failed)
        countOutcome(w, failed, slow);
    if (m_state == BreakerState::Closed || m_state == BreakerState::MetricsOnly) {
        if (m_slotCount != 0)
            recordCount(w, failed, slow);
        else
            recordTime(w, failed, slow);
        if (m_calls >= m_config.minimumNumberOfCalls
            && (exceeds(m_failed, m_calls, m_config.failureRateThreshold)
                || exceeds(m_slow, m_calls, m_config.slowCallRateThreshold)))
            evaluateWindow();
        else
            m_metricsOnlyExceeded = false;
    } else if (m_state == BreakerState::HalfOpen) {
        recordProbe(w, failed, slow);
    }
    // OPEN, FORCED_OPEN, DISABLED: nothing is recorded.
}

inline void CircuitBreaker::recordCount(double weight, bool failed, bool slow)
{
    CountSlot& s = m_slots[m_head];
    if (m_filled == m_slotCount) {
        m_calls -= s.weight;
        m_failed -= s.failed ? s.weight : 0.0;
        m_slow -= s.slow ? s.weight : 0.0;
    } else {
        ++m_filled;
    }
    s = CountSlot{weight, failed, slow};
    m_calls += weight;
    m_failed += failed ? weight : 0.0;
    m_slow += slow ? weight : 0.0;
    if (++m_head == m_slotCount) {
        m_head = 0;
        if (++m_laps % 16 == 0)
            recomputeCountTotals(); // now and then: no drift with fractional weights
    }
}

inline void CircuitBreaker::recordTime(double weight, bool failed, bool slow)
{
    const sim::Nanos now = m_clock.now();
    if (now >= m_bucketEnd)
        rollTo(now);
    Bucket& b = m_buckets[m_currentBucket];
    b.calls += weight;
    m_calls += weight;
    if (failed) {
        b.failed += weight;
        m_failed += weight;
    }
    if (slow) {
        b.slow += weight;
        m_slow += weight;
    }
}

// Raises every transition into a world's EventLog as "breaker.transition" (and METRICS_ONLY
// threshold crossings as "breaker.threshold") for one component, with fields from, to,
// reason, failure_rate, slow_call_rate, calls. OPEN / FORCED_OPEN are warnings, the rest
// info. The world must outlive the adapter.
class WorldBreakerEvents final : public BreakerTransitionSink {
public:
    static constexpr std::string_view kTransitionKind = "breaker.transition";
    static constexpr std::string_view kThresholdKind = "breaker.threshold";

    WorldBreakerEvents(sim::World& world, sim::ComponentId component) : m_world(world), m_component(component) {}
    void onTransition(const CircuitBreaker& breaker, const BreakerTransition& transition) override;
    void onThresholdExceeded(const CircuitBreaker& breaker, const BreakerTransition& what) override;

private:
    sim::World& m_world;
    sim::ComponentId m_component;
};

} // namespace livedeck::resilience

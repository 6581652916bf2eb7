#include "backend/resilience/circuit_breaker.h"

#include "backend/sim/strings.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"
#include "livedeck/v1/cluster.pb.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace livedeck::resilience {

namespace {

constexpr std::int64_t kEmptyEpoch = std::numeric_limits<std::int64_t>::min() / 2;

[[noreturn]] void configBug(const std::string& name, const absl::Status& status)
{
    std::fprintf(stderr, "livedeck: circuit breaker '%s': %s\n", name.c_str(), std::string(status.message()).c_str());
    std::abort();
}

v1::BreakerStateKind toProtoState(BreakerState s)
{
    switch (s) {
    case BreakerState::Closed:
        return v1::BREAKER_CLOSED;
    case BreakerState::Open:
        return v1::BREAKER_OPEN;
    case BreakerState::HalfOpen:
        return v1::BREAKER_HALF_OPEN;
    case BreakerState::ForcedOpen:
        return v1::BREAKER_FORCED_OPEN;
    case BreakerState::Disabled:
        return v1::BREAKER_DISABLED;
    case BreakerState::MetricsOnly:
        return v1::BREAKER_METRICS_ONLY;
    }
    return v1::BREAKER_STATE_UNSPECIFIED;
}

std::string rateText(double rate)
{
    return rate < 0 ? std::string("-1") : sim::strFormat("%.4g", rate);
}

} // namespace

const char* breakerStateName(BreakerState state)
{
    switch (state) {
    case BreakerState::Closed:
        return "CLOSED";
    case BreakerState::Open:
        return "OPEN";
    case BreakerState::HalfOpen:
        return "HALF_OPEN";
    case BreakerState::ForcedOpen:
        return "FORCED_OPEN";
    case BreakerState::Disabled:
        return "DISABLED";
    case BreakerState::MetricsOnly:
        return "METRICS_ONLY";
    }
    return "?";
}

// ------------------------------------------------------------------ config

absl::Status CircuitBreakerConfig::validate() const
{
    if (windowType == SlidingWindowType::CountBased && windowSize < 1)
        return absl::InvalidArgumentError("windowSize must be at least 1 call for a count-based window");
    if (windowType == SlidingWindowType::TimeBased) {
        if (windowBuckets < 1)
            return absl::InvalidArgumentError("windowBuckets must be at least 1 for a time-based window");
        if (windowDuration < static_cast<sim::Nanos>(windowBuckets) || windowDuration % windowBuckets != 0)
            return absl::InvalidArgumentError(sim::strFormat(
                "windowDuration (%lld ns) must be a positive multiple of windowBuckets (%u)",
                static_cast<long long>(windowDuration), windowBuckets));
    }
    if (!(failureRateThreshold > 0.0 && failureRateThreshold <= 1.0))
        return absl::InvalidArgumentError(sim::strFormat("failureRateThreshold %g must be in (0, 1]", failureRateThreshold));
    if (!(slowCallRateThreshold > 0.0 && slowCallRateThreshold <= 1.0))
        return absl::InvalidArgumentError(sim::strFormat("slowCallRateThreshold %g must be in (0, 1]", slowCallRateThreshold));
    if (slowCallDuration < 0)
        return absl::InvalidArgumentError("slowCallDuration must not be negative");
    if (!(minimumNumberOfCalls > 0.0))
        return absl::InvalidArgumentError("minimumNumberOfCalls must be > 0");
    if (waitDurationInOpen < 0)
        return absl::InvalidArgumentError("waitDurationInOpen must not be negative");
    if (!(permittedCallsInHalfOpen > 0.0))
        return absl::InvalidArgumentError("permittedCallsInHalfOpen must be > 0");
    if (maxWaitInHalfOpen < 0)
        return absl::InvalidArgumentError("maxWaitInHalfOpen must not be negative (0 = no bound)");
    return absl::OkStatus();
}

// ------------------------------------------------------------------ breaker

CircuitBreaker::CircuitBreaker(std::string name, CircuitBreakerConfig config, const sim::Clock& clock,
                               BreakerTransitionSink* sink)
    : m_name(std::move(name)), m_config(config), m_clock(clock), m_sink(sink)
{
    if (auto st = m_config.validate(); !st.ok())
        configBug(m_name, st);
    const sim::Nanos now = m_clock.now();
    m_stateSince = now;
    if (m_config.windowType == SlidingWindowType::CountBased) {
        m_slots.assign(m_config.windowSize, CountSlot{0.0, false, false});
        m_slotCount = m_config.windowSize;
    } else {
        m_bucketNs = m_config.windowDuration / m_config.windowBuckets;
        m_buckets.assign(m_config.windowBuckets, Bucket{kEmptyEpoch, 0.0, 0.0, 0.0});
        m_currentEpoch = now / m_bucketNs;
        m_currentBucket = static_cast<std::size_t>(m_currentEpoch % m_config.windowBuckets);
        m_buckets[m_currentBucket].epoch = m_currentEpoch;
        m_bucketEnd = (m_currentEpoch + 1) * m_bucketNs;
    }
}

CircuitBreaker::~CircuitBreaker()
{
    cancelTimer();
}

void CircuitBreaker::enableTimers(sim::Scheduler& scheduler, sim::EventKindId kind, sim::ComponentId component)
{
    cancelTimer();
    m_scheduler = &scheduler;
    m_timerKind = kind;
    m_timerComponent = component;
    if (m_state == BreakerState::Open && m_config.automaticTransitionFromOpenToHalfOpen)
        scheduleTimer(m_openUntil);
    else if (m_state == BreakerState::HalfOpen && m_halfOpenUntil != sim::kNever)
        scheduleTimer(m_halfOpenUntil);
}

void CircuitBreaker::attachMetrics(telemetry::MetricsRegistry& metrics, std::string_view component,
                                   std::string_view prefix)
{
    m_counters.permitted = &metrics.counter(sim::strCat(prefix, ".permitted"), component);
    m_counters.rejected = &metrics.counter(sim::strCat(prefix, ".rejected"), component);
    m_counters.failed = &metrics.counter(sim::strCat(prefix, ".failed"), component);
    m_counters.slow = &metrics.counter(sim::strCat(prefix, ".slow"), component);
}

void CircuitBreaker::bumpPermitted(double weight)
{
    m_counters.permitted->add(weight);
}

Permit CircuitBreaker::acquireSlow(double weight)
{
    const sim::Nanos now = m_clock.now();
    if (m_state == BreakerState::Open && now >= m_openUntil)
        transition(BreakerState::HalfOpen,
                   sim::strFormat("wait of %.3f s in OPEN elapsed", sim::toSeconds(m_config.waitDurationInOpen)));
    if (m_state == BreakerState::HalfOpen && now >= m_halfOpenUntil)
        transition(BreakerState::Open, sim::strFormat("probes did not complete within %.3f s in HALF_OPEN",
                                                      sim::toSeconds(m_config.maxWaitInHalfOpen)));
    if (m_state == BreakerState::HalfOpen && m_probeAdmitted < m_config.permittedCallsInHalfOpen) {
        m_probeAdmitted += weight;
        ++m_probesInFlight;
        m_stats.permitted += weight;
        if (m_counters.permitted)
            m_counters.permitted->add(weight);
        return Permit{true, m_epoch, weight};
    }
    if (m_state == BreakerState::Closed || m_state == BreakerState::MetricsOnly || m_state == BreakerState::Disabled)
        return tryAcquire(weight); // a transition above cannot lead here, but keep the states total
    m_stats.rejected += weight;
    ++m_stats.rejectedCalls;
    if (m_counters.rejected)
        m_counters.rejected->add(weight);
    return Permit{false, m_epoch, weight};
}

void CircuitBreaker::countOutcome(double weight, bool failed, bool slow)
{
    if (failed)
        m_counters.failed->add(weight);
    if (slow)
        m_counters.slow->add(weight);
}

void CircuitBreaker::release(const Permit& permit)
{
    if (!permit.granted || permit.epoch != m_epoch)
        return;
    m_stats.permitted -= permit.weight;
    if (m_state == BreakerState::HalfOpen && m_probesInFlight > 0) {
        --m_probesInFlight;
        m_probeAdmitted -= permit.weight;
        if (m_probeAdmitted < 0)
            m_probeAdmitted = 0;
        evaluateProbes();
    }
}

void CircuitBreaker::rollTo(sim::Nanos now)
{
    const std::int64_t epoch = now / m_bucketNs;
    const std::int64_t buckets = m_config.windowBuckets;
    if (epoch <= m_currentEpoch)
        return;
    const std::int64_t steps = epoch - m_currentEpoch;
    if (steps >= buckets) {
        for (Bucket& b : m_buckets)
            b = Bucket{kEmptyEpoch, 0.0, 0.0, 0.0};
    } else {
        for (std::int64_t e = m_currentEpoch + 1; e <= epoch; ++e)
            m_buckets[static_cast<std::size_t>(e % buckets)] = Bucket{kEmptyEpoch, 0.0, 0.0, 0.0};
    }
    m_currentEpoch = epoch;
    m_currentBucket = static_cast<std::size_t>(epoch % buckets);
    m_buckets[m_currentBucket].epoch = epoch;
    m_bucketEnd = (epoch + 1) * m_bucketNs;
    recomputeTimeTotals();
}

void CircuitBreaker::recomputeTimeTotals()
{
    m_calls = m_failed = m_slow = 0.0;
    for (const Bucket& b : m_buckets) {
        m_calls += b.calls;
        m_failed += b.failed;
        m_slow += b.slow;
    }
}

void CircuitBreaker::recomputeCountTotals()
{
    m_calls = m_failed = m_slow = 0.0;
    for (std::uint32_t i = 0; i < m_filled; ++i) {
        const CountSlot& s = m_slots[i];
        m_calls += s.weight;
        if (s.failed)
            m_failed += s.weight;
        if (s.slow)
            m_slow += s.weight;
    }
}

void CircuitBreaker::clearWindow()
{
    m_calls = m_failed = m_slow = 0.0;
    m_head = 0;
    m_filled = 0;
    for (CountSlot& s : m_slots)
        s = CountSlot{0.0, false, false};
    if (!m_buckets.empty()) {
        for (Bucket& b : m_buckets)
            b = Bucket{kEmptyEpoch, 0.0, 0.0, 0.0};
        const sim::Nanos now = m_clock.now();
        m_currentEpoch = now / m_bucketNs;
        m_currentBucket = static_cast<std::size_t>(m_currentEpoch % m_config.windowBuckets);
        m_buckets[m_currentBucket].epoch = m_currentEpoch;
        m_bucketEnd = (m_currentEpoch + 1) * m_bucketNs;
    }
}

const char* CircuitBreaker::tripReason(const BreakerFigures& f, double& rate, double& threshold) const
{
    if (f.failureRate < 0 || f.calls <= 0)
        return nullptr;
    if (exceeds(f.failed, f.calls, m_config.failureRateThreshold)) {
        rate = f.failureRate;
        threshold = m_config.failureRateThreshold;
        return "failure rate";
    }
    if (exceeds(f.slow, f.calls, m_config.slowCallRateThreshold)) {
        rate = f.slowCallRate;
        threshold = m_config.slowCallRateThreshold;
        return "slow-call rate";
    }
    return nullptr;
}

void CircuitBreaker::evaluateWindow()
{
    if (m_state == BreakerState::MetricsOnly && m_metricsOnlyExceeded)
        return; // edge-triggered: already reported
    BreakerFigures f;
    f.calls = m_calls;
    f.failed = m_failed;
    f.slow = m_slow;
    f.failureRate = m_failed / m_calls;
    f.slowCallRate = m_slow / m_calls;
    double rate = 0;
    double threshold = 0;
    const char* what = tripReason(f, rate, threshold);
    if (!what) {
        m_metricsOnlyExceeded = false;
        return;
    }
    const char* cmp = m_config.comparison == ThresholdComparison::AtOrAbove ? ">=" : ">";
    std::string reason = sim::strFormat("%s %.4g %s threshold %.4g over %.6g calls", what, rate, cmp, threshold, f.calls);
    if (m_state == BreakerState::Closed) {
        transition(BreakerState::Open, std::move(reason));
    } else if (m_state == BreakerState::MetricsOnly && !m_metricsOnlyExceeded) {
        m_metricsOnlyExceeded = true;
        if (m_sink) {
            BreakerTransition t{m_state, m_state, std::move(reason), f, m_clock.now()};
            m_sink->onThresholdExceeded(*this, t);
        }
    }
}

void CircuitBreaker::recordProbe(double weight, bool failed, bool slow)
{
    if (m_probesInFlight > 0)
        --m_probesInFlight;
    m_probeCompleted += weight;
    if (failed)
        m_probeFailed += weight;
    if (slow)
        m_probeSlow += weight;
    evaluateProbes();
}

void CircuitBreaker::evaluateProbes()
{
    if (m_state != BreakerState::HalfOpen || m_probesInFlight != 0
        || m_probeAdmitted < m_config.permittedCallsInHalfOpen)
        return;
    const BreakerFigures f = probeFigures();
    double rate = 0;
    double threshold = 0;
    const char* cmp = m_config.comparison == ThresholdComparison::AtOrAbove ? ">=" : ">";
    if (const char* what = tripReason(f, rate, threshold)) {
        transition(BreakerState::Open,
                   sim::strFormat("probe %s %.4g %s threshold %.4g over %.6g calls", what, rate, cmp, threshold, f.calls));
    } else {
        transition(BreakerState::Closed, sim::strFormat("probes passed: failure rate %.4g, slow-call rate %.4g over %.6g calls",
                                                        f.failureRate, f.slowCallRate, f.calls));
    }
}

BreakerFigures CircuitBreaker::windowFigures(sim::Nanos now) const
{
    BreakerFigures f;
    if (m_config.windowType == SlidingWindowType::CountBased) {
        f.calls = m_calls;
        f.failed = m_failed;
        f.slow = m_slow;
    } else {
        const std::int64_t epoch = now / m_bucketNs;
        const std::int64_t oldest = epoch - static_cast<std::int64_t>(m_config.windowBuckets);
        for (const Bucket& b : m_buckets) {
            if (b.epoch > oldest && b.epoch <= epoch) {
                f.calls += b.calls;
                f.failed += b.failed;
                f.slow += b.slow;
            }
        }
    }
    if (f.calls >= m_config.minimumNumberOfCalls && f.calls > 0) {
        f.failureRate = f.failed / f.calls;
        f.slowCallRate = f.slow / f.calls;
    }
    return f;
}

BreakerFigures CircuitBreaker::probeFigures() const
{
    BreakerFigures f;
    f.calls = m_probeCompleted;
    f.failed = m_probeFailed;
    f.slow = m_probeSlow;
    if (m_probeCompleted > 0 && m_probeCompleted >= m_config.permittedCallsInHalfOpen) {
        f.failureRate = m_probeFailed / m_probeCompleted;
        f.slowCallRate = m_probeSlow / m_probeCompleted;
    }
    return f;
}

BreakerFigures CircuitBreaker::figures() const
{
    if (m_state == BreakerState::HalfOpen)
        return probeFigures();
    return windowFigures(m_clock.now());
}

void CircuitBreaker::transition(BreakerState to, std::string reason)
{
    const BreakerState from = m_state;
    const BreakerFigures figuresBefore = figures();
    const sim::Nanos now = m_clock.now();
    cancelTimer();
    m_state = to;
    ++m_epoch;
    m_stateSince = now;
    ++m_stats.transitions;
    m_halfOpenUntil = sim::kNever;
    switch (to) {
    case BreakerState::Closed:
    case BreakerState::MetricsOnly:
        clearWindow();
        m_metricsOnlyExceeded = false;
        break;
    case BreakerState::Open:
        m_openUntil = now + m_config.waitDurationInOpen;
        if (m_config.automaticTransitionFromOpenToHalfOpen)
            scheduleTimer(m_openUntil);
        break;
    case BreakerState::HalfOpen:
        m_probeAdmitted = m_probeCompleted = m_probeFailed = m_probeSlow = 0.0;
        m_probesInFlight = 0;
        if (m_config.maxWaitInHalfOpen > 0) {
            m_halfOpenUntil = now + m_config.maxWaitInHalfOpen;
            scheduleTimer(m_halfOpenUntil);
        }
        break;
    case BreakerState::ForcedOpen:
    case BreakerState::Disabled:
        break;
    }
    if (m_sink) {
        BreakerTransition t{from, to, std::move(reason), figuresBefore, now};
        m_sink->onTransition(*this, t);
    }
}

void CircuitBreaker::scheduleTimer(sim::Nanos at)
{
    if (!m_scheduler)
        return;
    cancelTimer();
    m_timer = m_scheduler->scheduleAt(at, m_timerKind, m_timerComponent, [this] { onTimer(); });
}

void CircuitBreaker::cancelTimer()
{
    if (m_scheduler && m_timer.valid())
        m_scheduler->cancel(m_timer);
    m_timer = sim::EventHandle{};
}

void CircuitBreaker::onTimer()
{
    m_timer = sim::EventHandle{};
    const sim::Nanos now = m_clock.now();
    if (m_state == BreakerState::Open && now >= m_openUntil) {
        transition(BreakerState::HalfOpen, sim::strFormat("automatic: wait of %.3f s in OPEN elapsed",
                                                          sim::toSeconds(m_config.waitDurationInOpen)));
    } else if (m_state == BreakerState::HalfOpen && now >= m_halfOpenUntil) {
        transition(BreakerState::Open, sim::strFormat("probes did not complete within %.3f s in HALF_OPEN",
                                                      sim::toSeconds(m_config.maxWaitInHalfOpen)));
    }
}

bool CircuitBreaker::transitionToClosed(std::string_view reason)
{
    if (m_state == BreakerState::Closed)
        return false;
    transition(BreakerState::Closed, std::string(reason));
    return true;
}

bool CircuitBreaker::transitionToOpen(std::string_view reason)
{
    if (m_state == BreakerState::Open)
        return false;
    transition(BreakerState::Open, std::string(reason));
    return true;
}

bool CircuitBreaker::transitionToHalfOpen(std::string_view reason)
{
    if (m_state == BreakerState::HalfOpen)
        return false;
    transition(BreakerState::HalfOpen, std::string(reason));
    return true;
}

bool CircuitBreaker::transitionToForcedOpen(std::string_view reason)
{
    if (m_state == BreakerState::ForcedOpen)
        return false;
    transition(BreakerState::ForcedOpen, std::string(reason));
    return true;
}

bool CircuitBreaker::transitionToDisabled(std::string_view reason)
{
    if (m_state == BreakerState::Disabled)
        return false;
    transition(BreakerState::Disabled, std::string(reason));
    return true;
}

bool CircuitBreaker::transitionToMetricsOnly(std::string_view reason)
{
    if (m_state == BreakerState::MetricsOnly)
        return false;
    transition(BreakerState::MetricsOnly, std::string(reason));
    return true;
}

void CircuitBreaker::reset()
{
    if (m_state != BreakerState::Closed) {
        transition(BreakerState::Closed, "reset");
    } else {
        ++m_epoch;
        clearWindow();
        m_stateSince = m_clock.now();
    }
    m_stats = BreakerStats{};
}

void CircuitBreaker::toProto(v1::BreakerState& out) const
{
    const BreakerFigures f = figures();
    out.set_path(m_name);
    out.set_state(toProtoState(m_state));
    out.set_failure_rate(f.failureRate);
    out.set_slow_call_rate(f.slowCallRate);
    out.set_window_calls(static_cast<std::uint64_t>(std::llround(f.calls)));
    out.set_not_permitted(static_cast<std::uint64_t>(std::llround(m_stats.rejected)));
    out.set_state_since_ns(m_stateSince);
}

void CircuitBreaker::inspect(sim::StateWriter& out) const
{
    const BreakerFigures f = figures();
    out.add("state", breakerStateName(m_state));
    out.add("state_since_ns", static_cast<std::int64_t>(m_stateSince));
    out.add("failure_rate", f.failureRate);
    out.add("slow_call_rate", f.slowCallRate);
    out.add("window_calls", f.calls);
    out.add("window_failed", f.failed);
    out.add("window_slow", f.slow);
    out.add("comparison", m_config.comparison == ThresholdComparison::AtOrAbove ? "at-or-above" : "strictly-above");
    out.add("failure_rate_threshold", m_config.failureRateThreshold);
    out.add("slow_call_rate_threshold", m_config.slowCallRateThreshold);
    out.add("slow_call_ms", sim::toMillis(m_config.slowCallDuration));
    out.add("minimum_calls", m_config.minimumNumberOfCalls);
    if (m_state == BreakerState::Open)
        out.add("open_until_ns", static_cast<std::int64_t>(m_openUntil));
    if (m_state == BreakerState::HalfOpen) {
        out.add("probes_admitted", m_probeAdmitted);
        out.add("probes_in_flight", static_cast<std::uint64_t>(m_probesInFlight));
    }
    out.add("permitted", m_stats.permitted);
    out.add("rejected", m_stats.rejected);
    out.add("failed", m_stats.failed);
    out.add("slow", m_stats.slow);
    out.add("timed_out", m_stats.timedOut);
    out.add("transitions", m_stats.transitions);
}

// ------------------------------------------------------------------ world adapter

namespace {

std::vector<sim::EventLog::Field> transitionFields(const BreakerTransition& t)
{
    return {
        {"from", breakerStateName(t.from)},
        {"to", breakerStateName(t.to)},
        {"reason", t.reason},
        {"failure_rate", rateText(t.figures.failureRate)},
        {"slow_call_rate", rateText(t.figures.slowCallRate)},
        {"calls", sim::strFormat("%.6g", t.figures.calls)},
    };
}

} // namespace

void WorldBreakerEvents::onTransition(const CircuitBreaker& breaker, const BreakerTransition& t)
{
    const bool bad = t.to == BreakerState::Open || t.to == BreakerState::ForcedOpen;
    m_world.events().raise(kTransitionKind, m_component, bad ? v1::SEVERITY_WARNING : v1::SEVERITY_INFO,
                           sim::strCat(breaker.name(), ": ", breakerStateName(t.from), " -> ", breakerStateName(t.to),
                                       " (", t.reason, ")"),
                           transitionFields(t));
}

void WorldBreakerEvents::onThresholdExceeded(const CircuitBreaker& breaker, const BreakerTransition& t)
{
    m_world.events().raise(kThresholdKind, m_component, v1::SEVERITY_WARNING,
                           sim::strCat(breaker.name(), ": METRICS_ONLY, would open (", t.reason, ")"),
                           transitionFields(t));
}

} // namespace livedeck::resilience

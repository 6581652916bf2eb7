// RetryBudget: caps retries at a share of recent requests (default 10 % extra load:
// the bound), plus a small floor per second so quiet clients can still retry,
// and computes capped exponential backoff with full jitter from a seeded stream.
// RetryingCalls<Value> drives an asynchronous operation through attempts on the
// scheduler with that budget and backoff.
//
// Contract: simulated time from a sim::Clock; weighted counts (one discrete request may
// stand for many real ones, docs/ARCHITECTURE.md, property 3); single-threaded (the world's
// thread); no allocation per request once constructed (pooled call slots grow only
// with the number of calls in flight).
//
// Public counterparts and where this one differs:
// - Finagle's RetryBudget (ttl 10 s, minRetriesPerSec 10, percentCanRetry 0.2 by
//   default; blog "Retry Budgets", 2016) is a token bucket whose deposits expire after
//   the ttl. Ours keeps the same shape — retries ≤ ratio · requests over a window plus
//   a per-second floor — but counts both in a bucketed sliding window
//   (WindowedSums), so the budget is an exact windowed ratio that tests can check,
//   and the defaults follow the issue (10 %, not 20 %) with a floor of 1/s (not
//   10/s): a simulated client issues far fewer discrete requests than a real one.
// - gRPC's retry throttling (maxTokens, tokenRatio; retries only while tokens >
//   maxTokens/2) counts failures, not requests; a ratio of requests is what the
//   issue asks to hold, so we do not use it.
// - Backoff: gRPC's formula random(0, min(initial · multiplier^(n−1), max)) ("full
//   jitter"). Defaults 10 ms × 2 capped at 200 ms so that a retry still fits inside
//   the 250 ms cross-service timeout (docs/GIFTS.md).
#pragma once

#include "backend/resilience/slot_pool.h"
#include "backend/sim/inline_callback.h"
#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"
#include "backend/sim/time.h"

#include <array>
#include <cassert>
#include <cstdint>
#include <utility>
#include <vector>

namespace livedeck::resilience {

// Sums of `Fields` weighted quantities over a sliding window of `buckets` equal
// buckets on simulated time. The window covers the current (partial) bucket and the
// buckets-1 before it. Totals are recomputed from the buckets whenever a bucket
// retires, so floating-point drift never accumulates. Used by RetryBudget,
// AdaptiveThrottle and HedgePolicy.
template <std::size_t Fields>
class WindowedSums {
public:
    WindowedSums(sim::Nanos window, std::uint32_t buckets)
        : m_buckets(buckets == 0 ? 1 : buckets), m_width(window / (buckets == 0 ? 1 : buckets))
    {
        assert(window > 0 && m_width > 0);
        for (auto& b : m_buckets)
            b.fill(0.0);
        m_totals.fill(0.0);
    }

    void add(sim::Nanos now, std::size_t field, double value)
    {
        advance(now);
        m_buckets[slot(m_current)][field] += value;
        m_totals[field] += value;
    }
    double total(sim::Nanos now, std::size_t field)
    {
        advance(now);
        return m_totals[field] > 0.0 ? m_totals[field] : 0.0;
    }
    // Retires buckets that fell out of the window at `now`.
    void advance(sim::Nanos now)
    {
        const std::int64_t index = now / m_width;
        if (index <= m_current)
            return;
        const auto n = static_cast<std::int64_t>(m_buckets.size());
        const std::int64_t from = std::max(m_current + 1, index - n + 1);
        for (std::int64_t i = from; i <= index; ++i)
            m_buckets[slot(i)].fill(0.0);
        if (index - m_current >= n) {
            for (auto& b : m_buckets)
                b.fill(0.0);
        }
        m_current = index;
        m_totals.fill(0.0);
        for (const auto& b : m_buckets) {
            for (std::size_t f = 0; f < Fields; ++f)
                m_totals[f] += b[f];
        }
    }
    void reset()
    {
        for (auto& b : m_buckets)
            b.fill(0.0);
        m_totals.fill(0.0);
    }
    sim::Nanos window() const { return m_width * static_cast<sim::Nanos>(m_buckets.size()); }
    sim::Nanos bucketWidth() const { return m_width; }

private:
    std::size_t slot(std::int64_t index) const
    {
        return static_cast<std::size_t>(index % static_cast<std::int64_t>(m_buckets.size()));
    }

    std::vector<std::array<double, Fields>> m_buckets;
    std::array<double, Fields> m_totals{};
    sim::Nanos m_width;
    std::int64_t m_current = 0;
};

struct RetryBudgetConfig {
    double ratio = 0.10;              // retries ≤ 10 % of requests in the window (issue)
    double minRetriesPerSec = 1.0;    // floor for quiet clients (Finagle's idea; 1/s, see header)
    sim::Nanos window = 10 * sim::kSecond; // Finagle's default ttl
    std::uint32_t buckets = 10;       // 1 s buckets
    sim::Nanos initialBackoff = 10 * sim::kMillisecond;
    double backoffMultiplier = 2.0;
    sim::Nanos maxBackoff = 200 * sim::kMillisecond; // < 250 ms cross-service timeout (docs/GIFTS.md)
};

class RetryBudget {
public:
    struct Stats {
        double requests = 0.0;     // originals recorded (weighted, all time)
        double retries = 0.0;      // retries granted
        double denied = 0.0;       // retries refused by the budget
    };

    RetryBudget(const sim::Clock& clock, RetryBudgetConfig config = {});

    // An original (first-attempt) request was sent.
    void recordRequest(double weight = 1.0);
    // Asks to retry once; true (and the retry is counted) when the budget allows it.
    bool tryRetry(double weight = 1.0);
    // Retries that may still be granted in the current window (may be fractional).
    double available();
    // Requests and retries counted in the current window.
    double windowRequests();
    double windowRetries();

    // Delay before retry number `retry` (1 = the first retry): uniform in
    // [0, min(initial · multiplier^(retry−1), max)] ("full jitter").
    sim::Nanos backoff(int retry, sim::RandomStream& rng) const;
    // The cap of that draw (no jitter), for tests and displays.
    sim::Nanos backoffCeiling(int retry) const;

    const Stats& stats() const { return m_stats; }
    const RetryBudgetConfig& config() const { return m_config; }

private:
    enum Field : std::size_t { kRequests = 0, kRetries = 1 };

    const sim::Clock& m_clock;
    RetryBudgetConfig m_config;
    WindowedSums<2> m_window;
    Stats m_stats;
};

struct RetryOutcome {
    int attempts = 0;             // attempts made (1 = no retry)
    bool budgetExhausted = false; // a retry was wanted but the budget refused it
    bool gaveUp = false;          // the last answer was a retryable failure
};

// Runs an asynchronous operation with retries. `attempt(n, done)` starts attempt n
// (0 = the original) and must eventually call done(value, retryable) exactly once;
// when `retryable` is true and attempts and budget remain, the next attempt starts
// after a jittered backoff. `callback(value, outcome)` receives the final answer.
// Call state lives in pooled slots: no allocation per call in steady state.
template <class Value, std::size_t AttemptBytes = 48, std::size_t CallbackBytes = 48>
class RetryingCalls {
public:
    class AttemptDone {
    public:
        void operator()(Value value, bool retryable) const
        {
            m_owner->onAttemptDone(m_slot, m_generation, std::move(value), retryable);
        }

    private:
        friend class RetryingCalls;
        AttemptDone(RetryingCalls* owner, std::uint32_t slot, std::uint32_t generation)
            : m_owner(owner), m_slot(slot), m_generation(generation)
        {
        }
        RetryingCalls* m_owner;
        std::uint32_t m_slot;
        std::uint32_t m_generation;
    };
    using Attempt = sim::InlineFunction<void(int, AttemptDone), AttemptBytes>;
    using Callback = sim::InlineFunction<void(const Value&, const RetryOutcome&), CallbackBytes>;

    // maxAttempts: gRPC caps a retry policy's maxAttempts at 5; 3 keeps a retried call
    // within about one 250 ms timeout with the default backoff.
    RetryingCalls(sim::Scheduler& scheduler, RetryBudget& budget, sim::RandomStream rng, int maxAttempts = 3,
                  double weight = 1.0, sim::EventKindId timerKind = 0, sim::ComponentId component = sim::kNoComponent)
        : m_scheduler(scheduler), m_budget(budget), m_rng(rng), m_maxAttempts(maxAttempts), m_weight(weight),
          m_timerKind(timerKind), m_component(component)
    {
        assert(maxAttempts >= 1);
    }
    RetryingCalls(const RetryingCalls&) = delete;
    RetryingCalls& operator=(const RetryingCalls&) = delete;

    void call(Attempt attempt, Callback callback)
    {
        const std::uint32_t s = m_slots.acquire();
        Slot& slot = m_slots[s];
        slot.attempt = std::move(attempt);
        slot.callback = std::move(callback);
        slot.serial = ++m_serial;
        slot.attempts = 1;
        slot.budgetExhausted = false;
        m_budget.recordRequest(m_weight);
        ++m_calls;
        start(s);
    }

    std::size_t inFlight() const { return m_slots.liveCount(); }
    std::uint64_t calls() const { return m_calls; }
    std::uint64_t retries() const { return m_retries; }

private:
    struct Slot {
        Attempt attempt;
        Callback callback;
        std::uint64_t serial = 0;     // which call holds the slot (the pool's generation: which attempt may answer)
        int attempts = 0;
        bool budgetExhausted = false;
    };

    void freeSlot(std::uint32_t s)
    {
        m_slots[s].attempt.reset();
        m_slots.release(s);
    }
    void start(std::uint32_t s)
    {
        // The attempt may answer synchronously, which can finish the call and free or
        // reuse the slot (and grow m_slots): run it from a local and put it back only
        // if the same call is still waiting on it.
        Attempt attempt = std::move(m_slots[s].attempt);
        const std::uint64_t serial = m_slots[s].serial;
        const AttemptDone done(this, s, m_slots.generation(s));
        attempt(m_slots[s].attempts - 1, done);
        Slot& slot = m_slots[s];
        if (m_slots.live(s) && slot.serial == serial)
            slot.attempt = std::move(attempt);
    }
    void onAttemptDone(std::uint32_t s, std::uint32_t generation, Value value, bool retryable)
    {
        if (!m_slots.current(s, generation))
            return; // a second answer to a finished attempt
        Slot& slot = m_slots[s];
        if (retryable && slot.attempts < m_maxAttempts) {
            if (m_budget.tryRetry(m_weight)) {
                const sim::Nanos delay = m_budget.backoff(slot.attempts, m_rng);
                ++slot.attempts;
                m_slots.bumpGeneration(s); // answers to the old attempt are now stale
                ++m_retries;
                const std::uint32_t gen = m_slots.generation(s);
                m_scheduler.scheduleAfter(delay, m_timerKind, m_component, [this, s, gen] {
                    if (m_slots.current(s, gen))
                        start(s);
                });
                return;
            }
            slot.budgetExhausted = true;
        }
        RetryOutcome outcome;
        outcome.attempts = slot.attempts;
        outcome.budgetExhausted = slot.budgetExhausted;
        outcome.gaveUp = retryable;
        Callback callback = std::move(slot.callback);
        freeSlot(s);
        callback(value, outcome);
    }

    sim::Scheduler& m_scheduler;
    RetryBudget& m_budget;
    sim::RandomStream m_rng;
    int m_maxAttempts;
    double m_weight;
    sim::EventKindId m_timerKind;
    sim::ComponentId m_component;
    SlotPool<Slot> m_slots;
    std::uint64_t m_serial = 0;
    std::uint64_t m_calls = 0;
    std::uint64_t m_retries = 0;
};

} // namespace livedeck::resilience

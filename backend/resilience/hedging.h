// Hedged requests ("The Tail at Scale", Dean & Barroso, CACM 2013): send the request
// to one replica; if no answer has come after the hedge delay, send a backup to
// another; the first answer wins and the other attempt is cancelled. HedgePolicy holds
// what is shared by all calls of one class (the delay estimator, the hedge budget,
// the counters); HedgedCalls<Value> runs the calls on the scheduler.
//
// Contract: simulated time (sim::Scheduler: one timer event per call, cancelled when
// the primary answers first); single-threaded; call state in pooled slots and inline
// callables, so no allocation per call in steady state. send(attempt, done) starts
// attempt 0 (primary) or 1 (backup) — route the backup to a different replica — and
// returns a cancel hook; the attempt calls done(value) once. Any answer counts, error
// or not: wrap attempts in RetryingCalls if errors should be retried instead.
//
// The paper and where we differ:
// - Delay. The paper defers the backup "until the first request has been outstanding
//   for more than the 95th-percentile expected latency for this class of requests",
//   which limits extra load to about 5 %. Default here: the observed p95 of recent
//   attempt latencies, from a telemetry::Histogram over the last one to two 10 s
//   windows, recomputed every 64 samples and at each window turn; a fixed delay can
//   be configured instead. Until 50 samples are seen the delay is 50 ms (a fifth of
//   the 250 ms cross-service timeout, docs/GIFTS.md).
// - Censoring. When the backup wins, the primary's true latency is unknown; we record
//   the time it had been outstanding (a lower bound), so the estimate does not forget
//   slow primaries. A cancelled backup is not recorded (it was cut off arbitrarily).
// - Budget. The paper relies on the p95 delay alone to bound load; under a brownout
//   every request is slow and that bound fails (the delay adapts late). We also cap
//   hedges at 5 % of calls over a 10 s window (plus 1 hedge/s so quiet clients can
//   hedge at all) — the cap gRPC's hedging gets from its retry throttle.
// - Cancellation. The paper's "tied requests" cancel across servers when one starts
//   executing; we cancel the loser only when the winner answers (the caller's cancel
//   hook decides what cancelling means: dropping a queued request, ignoring a reply).
// - Two attempts at most (gRPC hedging allows maxAttempts up to 5); the issue asks for
//   one backup.
#pragma once

#include "backend/resilience/slot_pool.h"
#include "backend/resilience/retry_budget.h"
#include "backend/sim/inline_callback.h"
#include "backend/sim/scheduler.h"
#include "backend/sim/time.h"
#include "backend/telemetry/histogram.h"

#include <cassert>
#include <cstdint>
#include <utility>
#include <vector>

namespace livedeck::resilience {

struct HedgeConfig {
    sim::Nanos fixedDelay = 0;                          // > 0: always hedge after this delay
    double delayQuantile = 0.95;                        // The Tail at Scale
    sim::Nanos initialDelay = 50 * sim::kMillisecond;   // until minSamples are seen (see header)
    std::uint32_t minSamples = 50;
    sim::Nanos latencyWindow = 10 * sim::kSecond;
    double maxHedgeRatio = 0.05;                        // hedges ≤ 5 % of calls (≈ 1 − quantile)
    double minHedgesPerSec = 1.0;
    sim::Nanos budgetWindow = 10 * sim::kSecond;
    std::uint32_t budgetBuckets = 10;
};

struct HedgeStats {
    std::uint64_t calls = 0;
    std::uint64_t hedges = 0;         // backups sent: the extra load
    std::uint64_t hedgesDenied = 0;   // delay passed but the budget refused the backup
    std::uint64_t primaryWins = 0;
    std::uint64_t backupWins = 0;
    std::uint64_t cancelled = 0;      // losers cancelled through their hook
    std::uint64_t lateAnswers = 0;    // answers arriving after the call finished
    double hedgeRate() const { return calls > 0 ? static_cast<double>(hedges) / static_cast<double>(calls) : 0.0; }
};

class HedgePolicy {
public:
    HedgePolicy(const sim::Clock& clock, HedgeConfig config = {});

    // The delay after which a backup is sent, as of now.
    sim::Nanos hedgeDelay();
    // One observed attempt latency (or a lower bound of one, see header).
    void recordLatency(sim::Nanos latency);
    // Budget: counts a call; asks for one backup (true = send it, counted).
    void onCall();
    bool tryHedge();

    HedgeStats& stats() { return m_stats; }
    const HedgeStats& stats() const { return m_stats; }
    const HedgeConfig& config() const { return m_config; }
    double samplesInEstimate() const { return m_previous.count() + m_current.count(); }

private:
    enum Field : std::size_t { kCalls = 0, kHedges = 1 };

    void rotate(sim::Nanos now);
    void refreshDelay();

    const sim::Clock& m_clock;
    HedgeConfig m_config;
    telemetry::Histogram m_current;
    telemetry::Histogram m_previous;
    telemetry::Histogram m_scratch;
    sim::Nanos m_windowEnd;
    sim::Nanos m_delay;
    std::uint32_t m_sinceRefresh = 0;
    WindowedSums<2> m_budget;
    HedgeStats m_stats;
};

template <class Value, std::size_t SendBytes = 48, std::size_t CallbackBytes = 48>
class HedgedCalls {
public:
    struct Outcome {
        int winner = 0;          // 0 = primary, 1 = backup
        bool hedged = false;     // a backup was sent
        sim::Nanos latency = 0;  // call start to first answer
    };

    class AttemptDone {
    public:
        void operator()(Value value) const { m_owner->onAnswer(m_slot, m_generation, m_attempt, std::move(value)); }

    private:
        friend class HedgedCalls;
        AttemptDone(HedgedCalls* owner, std::uint32_t slot, std::uint32_t generation, int attempt)
            : m_owner(owner), m_slot(slot), m_generation(generation), m_attempt(attempt)
        {
        }
        HedgedCalls* m_owner;
        std::uint32_t m_slot;
        std::uint32_t m_generation;
        int m_attempt;
    };
    using Cancel = sim::InlineCallback<32>;
    using Send = sim::InlineFunction<Cancel(int attempt, AttemptDone done), SendBytes>;
    using Callback = sim::InlineFunction<void(const Value&, const Outcome&), CallbackBytes>;

    HedgedCalls(sim::Scheduler& scheduler, HedgePolicy& policy, sim::EventKindId timerKind = 0,
                sim::ComponentId component = sim::kNoComponent)
        : m_scheduler(scheduler), m_policy(policy), m_timerKind(timerKind), m_component(component)
    {
    }
    ~HedgedCalls()
    {
        for (std::uint32_t s = 0; s < m_slots.size(); ++s) {
            if (m_slots.live(s))
                m_scheduler.cancel(m_slots[s].timer);
        }
    }
    HedgedCalls(const HedgedCalls&) = delete;
    HedgedCalls& operator=(const HedgedCalls&) = delete;

    void call(Send send, Callback callback)
    {
        const std::uint32_t s = m_slots.acquire();
        Slot& slot = m_slots[s];
        slot.send = std::move(send);
        slot.callback = std::move(callback);
        slot.start = m_scheduler.now();
        slot.sentAt[0] = slot.start;
        slot.sentAt[1] = 0;
        slot.hedged = false;
        m_policy.onCall();
        ++m_policy.stats().calls;
        const std::uint32_t gen = m_slots.generation(s);
        slot.timer = m_scheduler.scheduleAfter(m_policy.hedgeDelay(), m_timerKind, m_component,
                                               [this, s, gen] { onTimer(s, gen); });
        sendAttempt(s, 0);
    }

    std::size_t inFlight() const { return m_slots.liveCount(); }

private:
    struct Slot {
        Send send;
        Callback callback;
        Cancel cancel[2];
        sim::EventHandle timer;
        sim::Nanos start = 0;
        sim::Nanos sentAt[2] = {0, 0};
        bool hedged = false;
    };

    void freeSlot(std::uint32_t s)
    {
        Slot& slot = m_slots[s];
        slot.send.reset();
        slot.cancel[0].reset();
        slot.cancel[1].reset();
        slot.timer = {};
        m_slots.release(s);
    }
    bool current(std::uint32_t s, std::uint32_t generation) const { return m_slots.current(s, generation); }

    void sendAttempt(std::uint32_t s, int attempt)
    {
        // The attempt may answer synchronously (finishing the call, freeing or reusing
        // the slot, growing m_slots): run send from a local and keep nothing across it.
        const std::uint32_t gen = m_slots.generation(s);
        Send send = std::move(m_slots[s].send);
        Cancel cancel = send(attempt, AttemptDone(this, s, gen, attempt));
        if (!current(s, gen))
            return; // finished during send: the returned hook is not needed
        Slot& slot = m_slots[s];
        slot.cancel[attempt] = std::move(cancel);
        if (attempt == 0)
            slot.send = std::move(send); // kept for the backup
    }

    void onTimer(std::uint32_t s, std::uint32_t generation)
    {
        if (!current(s, generation))
            return;
        Slot& slot = m_slots[s];
        slot.timer = {};
        if (!m_policy.tryHedge()) {
            ++m_policy.stats().hedgesDenied;
            return;
        }
        ++m_policy.stats().hedges;
        slot.hedged = true;
        slot.sentAt[1] = m_scheduler.now();
        sendAttempt(s, 1);
    }

    void onAnswer(std::uint32_t s, std::uint32_t generation, int attempt, Value value)
    {
        if (!current(s, generation)) {
            ++m_policy.stats().lateAnswers;
            return;
        }
        Slot& slot = m_slots[s];
        const sim::Nanos now = m_scheduler.now();
        HedgeStats& stats = m_policy.stats();
        m_policy.recordLatency(now - slot.sentAt[attempt]);
        if (attempt == 0) {
            ++stats.primaryWins;
        } else {
            ++stats.backupWins;
            m_policy.recordLatency(now - slot.sentAt[0]); // the primary's lower bound
        }
        m_scheduler.cancel(slot.timer);
        Outcome outcome;
        outcome.winner = attempt;
        outcome.hedged = slot.hedged;
        outcome.latency = now - slot.start;
        Callback callback = std::move(slot.callback);
        Cancel loser = std::move(slot.cancel[1 - attempt]); // empty when never sent
        freeSlot(s);
        if (loser) {
            ++stats.cancelled;
            loser();
        }
        callback(value, outcome);
    }

    sim::Scheduler& m_scheduler;
    HedgePolicy& m_policy;
    sim::EventKindId m_timerKind;
    sim::ComponentId m_component;
    SlotPool<Slot> m_slots;
};

} // namespace livedeck::resilience

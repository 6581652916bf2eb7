// Bulkhead: at most `maxConcurrent` operations hold a permit at once; further callers
// wait in a bounded FIFO queue for at most `maxWait` of simulated time, and callers
// beyond the queue are rejected at once. release() hands the permit straight to the
// oldest waiter.
//
// Contract: asynchronous (the world is a single-threaded discrete-event simulation,
// nothing blocks): acquire() answers Admitted (the caller holds a permit now; its
// waiter is not called), Queued (the waiter is called exactly once later: true =
// admitted and holding a permit, false = timed out) or Rejected (the waiter is not
// called). Every holder of a permit calls release() exactly once. The queue is a ring
// sized at construction and the waiters are inline callables: no allocation per
// request. All waiters share one maxWait, so they expire in FIFO order and one
// scheduler event (for the oldest waiter) is enough.
//
// Unweighted by choice: a permit stands for one discrete in-flight operation (one
// worker, one connection of the simulated service), whatever weight that operation
// carries in rate accounting; an engine that models N real requests per discrete one
// sets maxConcurrent in discrete units. Weighted permits would also bring
// head-of-line blocking (a heavy waiter holding up light ones) that a FIFO bulkhead
// is meant to avoid.
//
// Public counterpart: Resilience4j's SemaphoreBulkhead (maxConcurrentCalls 25,
// maxWaitDuration 0 by default) blocks the calling thread for up to maxWaitDuration,
// with as many waiters as there are callers; its ThreadPoolBulkhead bounds the queue
// (queueCapacity 100) but has no wait limit. Ours combines both: 25 concurrent and a
// 100-entry queue (their defaults), FIFO admission, and a 50 ms wait cap (a fifth of
// the 250 ms cross-service timeout, docs/GIFTS.md) so a queued call still has time to run;
// nothing blocks — a queued caller is called back.
#pragma once

#include "backend/sim/inline_callback.h"
#include "backend/sim/scheduler.h"
#include "backend/sim/time.h"

#include <cstdint>
#include <vector>

namespace livedeck::resilience {

struct BulkheadConfig {
    std::uint32_t maxConcurrent = 25;                 // Resilience4j default
    std::uint32_t maxQueue = 100;                     // Resilience4j ThreadPoolBulkhead default
    sim::Nanos maxWait = 50 * sim::kMillisecond;      // see header; sim::kNever = no limit
};

class Bulkhead {
public:
    static constexpr std::size_t kWaiterBytes = 48;
    using Waiter = sim::InlineFunction<void(bool admitted), kWaiterBytes>;

    enum class Admission { Admitted, Queued, Rejected };

    struct Stats {
        std::uint64_t admittedAtOnce = 0;
        std::uint64_t admittedFromQueue = 0;
        std::uint64_t rejected = 0;
        std::uint64_t timedOut = 0;
        std::uint32_t peakInFlight = 0;
        std::uint32_t peakQueued = 0;
        sim::Nanos totalQueueWait = 0; // summed over waiters admitted from the queue
    };

    Bulkhead(sim::Scheduler& scheduler, BulkheadConfig config = {}, sim::EventKindId timerKind = 0,
             sim::ComponentId component = sim::kNoComponent);
    ~Bulkhead();
    Bulkhead(const Bulkhead&) = delete;
    Bulkhead& operator=(const Bulkhead&) = delete;

    Admission acquire(Waiter waiter);
    // Admits without queueing: true when a permit was free.
    bool tryAcquire();
    void release();

    std::uint32_t inFlight() const { return m_inFlight; }
    std::uint32_t queued() const { return m_count; }
    const Stats& stats() const { return m_stats; }
    const BulkheadConfig& config() const { return m_config; }

private:
    struct Entry {
        Waiter waiter;
        sim::Nanos enqueuedAt = 0;
    };

    Entry& head() { return m_ring[m_head]; }
    void popHead();
    void armTimer();
    void onTimer();

    sim::Scheduler& m_scheduler;
    BulkheadConfig m_config;
    sim::EventKindId m_timerKind;
    sim::ComponentId m_component;
    std::vector<Entry> m_ring;
    std::uint32_t m_head = 0;
    std::uint32_t m_count = 0;
    std::uint32_t m_inFlight = 0;
    sim::EventHandle m_timer;
    Stats m_stats;
};

} // namespace livedeck::resilience

// Scheduler: the world's one event queue on virtual time (docs/ARCHITECTURE.md, property 1).
//
// Contract:
// - Events run in (time, insertion order): same-time events are FIFO.
// - The clock moves only when an event runs (or runUntil reaches its bound).
// - Single-threaded; callers on other threads go through the host's command queue.
// - No heap allocation per event in steady state: callbacks live inline
//   (InlineCallback<48>, one cache line) in pooled slots recycled through a free list (LIFO, so a new
//   event reuses the slot just freed, which is in cache); the queue itself moves only
//   16-byte entries (time, seq|slot) between bucket vectors that keep their capacity.
//   Growth allocates, steady state does not (BM_Scheduler_Livedeck).
// - Why a radix heap: simulated time never goes backwards, so keys are monotone —
//   the case radix heaps are made for (Ahuja, Mehlhorn, Orlin, Tarjan 1990). This one
//   uses 8-bit digits: an entry sits in bucket (level, digit) where level is the
//   highest byte in which its time differs from the current minimum, so over its life
//   it moves at most 8 times (typically 2–3), always sequentially. Push is O(1); the
//   first non-empty bucket is found through per-level bitmaps. The "zero" bucket
//   holds the entries due at the current minimum time in insertion order (seq),
//   which gives same-time FIFO.
// - Every event carries a kind and a component id, so observers can hash the trace,
//   stop on "next event of kind K", and show the pending queue.
#pragma once

#include "backend/sim/inline_callback.h"
#include "backend/sim/time.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace livedeck::sim {

using EventKindId = std::uint32_t;
using ComponentId = std::uint32_t;
inline constexpr ComponentId kNoComponent = 0; // id 0 is the world itself

struct EventMeta {
    Nanos time = 0;
    std::uint64_t seq = 0; // insertion order, unique per scheduler
    EventKindId kind = 0;
    ComponentId component = kNoComponent;
};

// Refers to one scheduled event; stays safe to use after the event ran or was cancelled.
struct EventHandle {
    std::uint64_t seq = 0;
    std::uint32_t slot = 0;
    bool valid() const { return seq != 0; }
};

// Called before each event runs (trace hashing, breakpoints, statistics).
class EventObserver {
public:
    virtual ~EventObserver() = default;
    virtual void beforeEvent(const EventMeta& meta) = 0;
};

class Scheduler final : public Clock {
public:
    static constexpr std::size_t kCallbackBytes = 48;
    using Callback = InlineCallback<kCallbackBytes>;

    Scheduler();
    ~Scheduler() override;
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    Nanos now() const override { return m_now; }

    // Schedules at an absolute time; a time in the past runs at now() (after what is
    // already queued for now()).
    EventHandle scheduleAt(Nanos time, EventKindId kind, ComponentId component, Callback callback);
    EventHandle scheduleAfter(Nanos delay, EventKindId kind, ComponentId component, Callback callback)
    {
        return scheduleAt(m_now + (delay > 0 ? delay : 0), kind, component, std::move(callback));
    }

    // A barrier: `callback` runs before any event at or after `time` runs. It waits in
    // the queue like an event (time, then insertion order) and runs when it reaches the
    // front, but it is not an event: it does not move the clock, is not counted in
    // executed(), is not shown to the observer (so the trace does not see it) and is
    // skipped by peek(), nextTime(), upcoming() and pendingCount(). Its callback may
    // schedule events at or after `time`. It runs when the queue is next looked at (a
    // step, a peek), with now() at the last event's time: for work that must be done
    // by a time, whose result decides when an event runs (SqlReplication settles an
    // apply run on the world's helper thread). cancel() and isPending() take its handle.
    EventHandle beforeTime(Nanos time, Callback callback);

    // Cancels a pending event. Returns false when it already ran or was cancelled.
    bool cancel(EventHandle handle);
    bool isPending(EventHandle handle) const;

    // Pending events (barriers not counted); empty() is false while a barrier waits.
    std::size_t pendingCount() const { return m_live - m_barriers; }
    bool empty() const { return m_live == 0; }
    // Time of the next live event, or kNever.
    Nanos nextTime();
    // Metadata of the next live event; false when the queue is empty.
    bool peek(EventMeta& out);
    // Up to `limit` next events in execution order (copies; O(n log n), for inspection).
    std::vector<EventMeta> upcoming(std::size_t limit) const;

    // Runs exactly one event. Returns false when nothing is pending.
    bool step();
    // Runs every event with time <= t, then sets now() to t (if t is later). Returns events run.
    std::uint64_t runUntil(Nanos t);
    // Runs up to n events. Returns events run.
    std::uint64_t runEvents(std::uint64_t n);
    // Runs events with time <= t, at most maxEvents of them; does not move the clock to t.
    std::uint64_t runUntilBounded(Nanos t, std::uint64_t maxEvents);

    std::uint64_t executed() const { return m_executed; }
    void setObserver(EventObserver* observer) { m_observer = observer; }

private:
    // Slots are split in two arrays so running an event touches one cache line of
    // callback and 16 bytes of a dense metadata array (which stays in L2 at 100k
    // pending): a 96-byte slot straddled two lines and missed on both.
    struct alignas(64) CallbackSlot {
        Callback callback;
    };
    struct SlotMeta {
        std::uint64_t seq = 0; // 0: the slot is free
        EventKindId kind = 0;  // while free: the next free slot index + 1
        ComponentId component = kNoComponent;
    };
    // Queue entry: time, then (seq << 24 | slot) — ordering by key gives same-time FIFO.
    struct Entry {
        Nanos time;
        std::uint64_t key;
    };
    static constexpr std::uint32_t kSlotBits = 24;
    static constexpr std::uint64_t kSlotMask = (1u << kSlotBits) - 1;
    static constexpr std::uint32_t kChunkBits = 12;
    static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
    static constexpr int kDigitBits = 8;
    static constexpr int kDigits = 1 << kDigitBits;
    static constexpr int kLevels = 64 / kDigitBits;
    static constexpr int kBuckets = kLevels * kDigits;

    CallbackSlot& cbAt(std::uint32_t index) { return m_cbChunks[index >> kChunkBits][index & (kChunkSize - 1)]; }
    SlotMeta& metaAt(std::uint32_t index) { return m_metaChunks[index >> kChunkBits][index & (kChunkSize - 1)]; }
    const SlotMeta& metaAt(std::uint32_t index) const
    {
        return m_metaChunks[index >> kChunkBits][index & (kChunkSize - 1)];
    }
    static std::uint32_t slotOf(const Entry& e) { return static_cast<std::uint32_t>(e.key & kSlotMask); }
    bool isLive(const Entry& e) const
    {
        return metaAt(slotOf(e)).seq == (e.key >> kSlotBits);
    }
    std::uint32_t allocSlot();
    void freeSlot(std::uint32_t index);
    // -1 for the zero bucket, else level * kDigits + digit.
    int bucketFor(Nanos time) const;
    void place(Entry e);
    void push(Entry e);
    // Makes the zero bucket non-empty (if anything is queued); false when the queue is empty.
    bool refill();
    // Drops cancelled entries at the front; returns the front live entry or nullptr.
    const Entry* front();
    void rebuild(Nanos newLast);
    void dropCancelled();
    void runFront();
    void runBarrier();
    // SlotMeta::kind of a barrier (no event kind has this id).
    static constexpr EventKindId kBarrierKind = ~EventKindId{0};

    std::vector<Entry> m_zero;                  // due at m_last, in seq order
    std::size_t m_head0 = 0;                    // m_zero is consumed from this index
    std::vector<std::vector<Entry>> m_buckets = std::vector<std::vector<Entry>>(kBuckets);
    std::uint64_t m_bits[kLevels][kDigits / 64] = {}; // non-empty buckets
    std::size_t m_queued = 0;  // entries in all buckets (live and cancelled)
    Nanos m_last = 0;          // the radix heap's current minimum
    std::vector<std::unique_ptr<CallbackSlot[]>> m_cbChunks;
    std::vector<std::unique_ptr<SlotMeta[]>> m_metaChunks;
    std::uint32_t m_freeHead = 0; // 0 = empty list; slot indices stored +1
    std::uint32_t m_slotCount = 0;
    std::size_t m_live = 0;     // pending events and barriers
    std::size_t m_barriers = 0; // of which barriers
    std::uint64_t m_nextSeq = 1;
    std::uint64_t m_executed = 0;
    Nanos m_now = 0;
    EventObserver* m_observer = nullptr;
};

} // namespace livedeck::sim

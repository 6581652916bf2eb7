#include "backend/sim/scheduler.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <cassert>
#include <stdexcept>

namespace livedeck::sim {

Scheduler::Scheduler() = default;

Scheduler::~Scheduler() = default;

std::uint32_t Scheduler::allocSlot()
{
    if (m_freeHead != 0) {
        const std::uint32_t index = m_freeHead - 1;
        m_freeHead = metaAt(index).kind;
        return index;
    }
    const std::uint32_t index = m_slotCount++;
    if (index > kSlotMask)
        throw std::length_error("scheduler: more than 16M pending events");
    if ((index >> kChunkBits) >= m_cbChunks.size()) {
        m_cbChunks.push_back(std::make_unique<CallbackSlot[]>(kChunkSize));
        m_metaChunks.push_back(std::make_unique<SlotMeta[]>(kChunkSize));
    }
    return index;
}

void Scheduler::freeSlot(std::uint32_t index)
{
    SlotMeta& m = metaAt(index);
    m.seq = 0;
    m.kind = m_freeHead;
    m_freeHead = index + 1;
}

int Scheduler::bucketFor(Nanos time) const
{
    const auto t = static_cast<std::uint64_t>(time);
    const std::uint64_t diff = t ^ static_cast<std::uint64_t>(m_last);
    if (diff == 0)
        return -1;
    const int level = (63 - std::countl_zero(diff)) / kDigitBits;
    const auto digit = static_cast<int>((t >> (level * kDigitBits)) & (kDigits - 1));
    return level * kDigits + digit;
}

void Scheduler::place(Entry e)
{
    const int b = bucketFor(e.time);
    if (b < 0) {
        m_zero.push_back(e);
        return;
    }
    m_buckets[static_cast<std::size_t>(b)].push_back(e);
    m_bits[b / kDigits][(b % kDigits) / 64] |= std::uint64_t{1} << (b % 64);
}

void Scheduler::push(Entry e)
{
    if (e.time < m_last)
        rebuild(e.time); // only after a peek moved the minimum past now (rare)
    place(e);
    ++m_queued;
}

void Scheduler::rebuild(Nanos newLast)
{
    std::vector<Entry> all(m_zero.begin() + static_cast<std::ptrdiff_t>(m_head0), m_zero.end());
    m_zero.clear();
    m_head0 = 0;
    for (auto& v : m_buckets) {
        all.insert(all.end(), v.begin(), v.end());
        v.clear();
    }
    std::memset(m_bits, 0, sizeof m_bits);
    m_last = newLast;
    std::sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
    for (const Entry& e : all)
        place(e);
}

bool Scheduler::refill()
{
    if (m_head0 < m_zero.size())
        return true;
    m_zero.clear();
    m_head0 = 0;
    int b = -1;
    for (int level = 0; level < kLevels && b < 0; ++level) {
        for (int w = 0; w < kDigits / 64; ++w) {
            if (m_bits[level][w] != 0) {
                b = level * kDigits + w * 64 + std::countr_zero(m_bits[level][w]);
                break;
            }
        }
    }
    if (b < 0)
        return false;
    m_bits[b / kDigits][(b % kDigits) / 64] &= ~(std::uint64_t{1} << (b % 64));
    std::vector<Entry>& src = m_buckets[static_cast<std::size_t>(b)];
    Nanos minTime = src.front().time;
    for (const Entry& e : src)
        minTime = std::min(minTime, e.time);
    m_last = minTime;
    // Hide the payloads' cache misses: entries leaving levels 1-2 run within the next
    // few thousand events, so their slots are fetched into L2 now (levels 0-1: into L1).
    const int level = b / kDigits;
    for (const Entry& e : src) {
        if (level <= 1) {
            __builtin_prefetch(&cbAt(slotOf(e)), 0, 3);
            __builtin_prefetch(&metaAt(slotOf(e)), 0, 3);
        } else if (level == 2) {
            __builtin_prefetch(&cbAt(slotOf(e)), 0, 1);
            __builtin_prefetch(&metaAt(slotOf(e)), 0, 1);
        }
        place(e); // always to a lower level, or to the zero bucket
    }
    src.clear();
    const auto byKey = [](const Entry& x, const Entry& y) { return x.key < y.key; };
    // Entries of one time can arrive here out of order; seq restores FIFO.
    if (m_zero.size() > 1 && !std::is_sorted(m_zero.begin(), m_zero.end(), byKey))
        std::sort(m_zero.begin(), m_zero.end(), byKey);
    return true;
}

const Scheduler::Entry* Scheduler::front()
{
    while (refill()) {
        const Entry& e = m_zero[m_head0];
        if (!isLive(e)) {
            ++m_head0; // cancelled
            --m_queued;
        } else if (metaAt(slotOf(e)).kind == kBarrierKind) {
            runBarrier(); // may schedule events at or after its time: look again
        } else {
            return &e;
        }
    }
    return nullptr;
}

EventHandle Scheduler::beforeTime(Nanos time, Callback callback)
{
    ++m_barriers;
    return scheduleAt(time, kBarrierKind, kNoComponent, std::move(callback));
}

void Scheduler::runBarrier()
{
    const Entry top = m_zero[m_head0];
    ++m_head0;
    --m_queued;
    const std::uint32_t index = slotOf(top);
    metaAt(index).seq = 0; // as runFront: not pending while it runs
    --m_live;
    --m_barriers;
    Callback& callback = cbAt(index).callback;
    callback();
    callback.reset();
    freeSlot(index);
}

EventHandle Scheduler::scheduleAt(Nanos time, EventKindId kind, ComponentId component, Callback callback)
{
    if (time < m_now)
        time = m_now;
    const std::uint32_t index = allocSlot();
    const std::uint64_t seq = m_nextSeq++;
    cbAt(index).callback = std::move(callback);
    metaAt(index) = SlotMeta{seq, kind, component};
    ++m_live;
    push(Entry{time, (seq << kSlotBits) | index});
    return EventHandle{seq, index};
}

bool Scheduler::isPending(EventHandle handle) const
{
    if (!handle.valid() || handle.slot >= m_slotCount)
        return false;
    return metaAt(handle.slot).seq == handle.seq;
}

bool Scheduler::cancel(EventHandle handle)
{
    if (!isPending(handle))
        return false;
    if (metaAt(handle.slot).kind == kBarrierKind)
        --m_barriers;
    cbAt(handle.slot).callback.reset();
    freeSlot(handle.slot);
    --m_live;
    // The queue entry stays and is skipped when it surfaces; drop them in bulk when
    // cancelled entries dominate.
    if (m_queued > 4096 && m_queued > 4 * m_live)
        dropCancelled();
    return true;
}

void Scheduler::dropCancelled()
{
    const auto compact = [this](std::vector<Entry>& v, std::size_t from) {
        std::size_t out = 0;
        for (std::size_t i = from; i < v.size(); ++i) {
            if (isLive(v[i]))
                v[out++] = v[i];
        }
        v.resize(out);
    };
    compact(m_zero, m_head0);
    m_head0 = 0;
    for (std::size_t b = 0; b < m_buckets.size(); ++b) {
        if (m_buckets[b].empty())
            continue;
        compact(m_buckets[b], 0);
        if (m_buckets[b].empty())
            m_bits[b / kDigits][(b % kDigits) / 64] &= ~(std::uint64_t{1} << (b % 64));
    }
    m_queued = m_live;
}

Nanos Scheduler::nextTime()
{
    const Entry* e = front();
    return e ? e->time : kNever;
}

bool Scheduler::peek(EventMeta& out)
{
    const Entry* e = front();
    if (!e)
        return false;
    const SlotMeta& m = metaAt(slotOf(*e));
    out = EventMeta{e->time, m.seq, m.kind, m.component};
    return true;
}

std::vector<EventMeta> Scheduler::upcoming(std::size_t limit) const
{
    std::vector<EventMeta> out;
    out.reserve(m_live);
    const auto collect = [&](const Entry& e) {
        const SlotMeta& m = metaAt(slotOf(e));
        if (isLive(e) && m.kind != kBarrierKind) {
            out.push_back(EventMeta{e.time, m.seq, m.kind, m.component});
        }
    };
    for (std::size_t i = m_head0; i < m_zero.size(); ++i)
        collect(m_zero[i]);
    for (const std::vector<Entry>& v : m_buckets) {
        for (const Entry& e : v)
            collect(e);
    }
    const auto byOrder = [](const EventMeta& a, const EventMeta& b) {
        return a.time < b.time || (a.time == b.time && a.seq < b.seq);
    };
    if (out.size() > limit) {
        std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(limit), out.end(), byOrder);
        out.resize(limit);
    } else {
        std::sort(out.begin(), out.end(), byOrder);
    }
    return out;
}

void Scheduler::runFront()
{
    const Entry top = m_zero[m_head0];
    ++m_head0;
    --m_queued;
    if (m_head0 < m_zero.size())
        __builtin_prefetch(&cbAt(slotOf(m_zero[m_head0]))); // the next event's payload
    const std::uint32_t index = slotOf(top);
    SlotMeta& m = metaAt(index);
    const EventMeta meta{top.time, m.seq, m.kind, m.component};
    // The callback runs in place (no copy of its capture): the slot is marked not
    // pending first, so the callback cannot cancel itself, and goes back on the free
    // list only after it returned, so the events it schedules take other slots.
    m.seq = 0;
    --m_live;
    assert(meta.time >= m_now);
    m_now = meta.time;
    ++m_executed;
    if (m_observer)
        m_observer->beforeEvent(meta);
    Callback& callback = cbAt(index).callback;
    callback();
    callback.reset();
    freeSlot(index);
}

bool Scheduler::step()
{
    if (!front())
        return false;
    runFront();
    return true;
}

std::uint64_t Scheduler::runUntil(Nanos t)
{
    std::uint64_t n = 0;
    for (;;) {
        const Entry* e = front();
        if (!e || e->time > t)
            break;
        runFront();
        ++n;
    }
    if (t > m_now && t != kNever)
        m_now = t;
    return n;
}

std::uint64_t Scheduler::runUntilBounded(Nanos t, std::uint64_t maxEvents)
{
    std::uint64_t n = 0;
    while (n < maxEvents) {
        const Entry* e = front();
        if (!e || e->time > t)
            break;
        runFront();
        ++n;
    }
    return n;
}

std::uint64_t Scheduler::runEvents(std::uint64_t count)
{
    std::uint64_t n = 0;
    while (n < count && step())
        ++n;
    return n;
}

} // namespace livedeck::sim

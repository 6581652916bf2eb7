#include "backend/sim/scheduler.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace livedeck::sim {
namespace {

inline bool less(const auto& a, const auto& b)
{
    return a.time < b.time || (a.time == b.time && a.key < b.key);
}

} // namespace

Scheduler::Scheduler()
{
    m_heap.reserve(1024);
}

Scheduler::~Scheduler() = default;

std::uint32_t Scheduler::allocSlot()
{
    if (m_freeHead != 0) {
        const std::uint32_t index = m_freeHead - 1;
        m_freeHead = slot(index).nextFree;
        return index;
    }
    const std::uint32_t index = m_slotCount++;
    if (index > kSlotMask)
        throw std::length_error("scheduler: more than 16M pending events");
    if ((index >> kChunkBits) >= m_chunks.size())
        m_chunks.push_back(std::make_unique<Slot[]>(kChunkSize));
    return index;
}

void Scheduler::freeSlot(std::uint32_t index)
{
    Slot& s = slot(index);
    s.live = false;
    s.nextFree = m_freeHead;
    m_freeHead = index + 1;
}

void Scheduler::push(Entry e)
{
    // 4-ary heap sift-up.
    std::size_t i = m_heap.size();
    m_heap.push_back(e);
    Entry* h = m_heap.data();
    while (i > 0) {
        const std::size_t parent = (i - 1) >> 2;
        if (!less(e, h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

void Scheduler::popTop()
{
    Entry* h = m_heap.data();
    const std::size_t n = m_heap.size() - 1;
    const Entry last = h[n];
    m_heap.pop_back();
    if (n == 0)
        return;
    std::size_t i = 0;
    for (;;) {
        const std::size_t first = (i << 2) + 1;
        if (first >= n)
            break;
        std::size_t best = first;
        const std::size_t end = std::min(first + 4, n);
        for (std::size_t c = first + 1; c < end; ++c) {
            if (less(h[c], h[best]))
                best = c;
        }
        if (!less(h[best], last))
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = last;
}

EventHandle Scheduler::scheduleAt(Nanos time, EventKindId kind, ComponentId component, Callback callback)
{
    if (time < m_now)
        time = m_now;
    const std::uint32_t index = allocSlot();
    Slot& s = slot(index);
    const std::uint64_t seq = m_nextSeq++;
    s.callback = std::move(callback);
    s.meta = EventMeta{time, seq, kind, component};
    s.live = true;
    ++m_live;
    push(Entry{time, (seq << kSlotBits) | index});
    return EventHandle{seq, index};
}

bool Scheduler::isPending(EventHandle handle) const
{
    if (!handle.valid() || handle.slot >= m_slotCount)
        return false;
    const Slot& s = slot(handle.slot);
    return s.live && s.meta.seq == handle.seq;
}

bool Scheduler::cancel(EventHandle handle)
{
    if (!isPending(handle))
        return false;
    Slot& s = slot(handle.slot);
    s.callback.reset();
    freeSlot(handle.slot);
    --m_live;
    // The heap entry stays and is skipped when it surfaces; compact if stale ones dominate.
    if (m_heap.size() > 4096 && m_heap.size() > 4 * m_live)
        compact();
    return true;
}

void Scheduler::compact()
{
    std::erase_if(m_heap, [this](const Entry& e) {
        const Slot& s = slot(static_cast<std::uint32_t>(e.key & kSlotMask));
        return !(s.live && s.meta.seq == (e.key >> kSlotBits));
    });
    std::vector<Entry> entries; // rebuild the 4-ary heap from the live entries
    entries.swap(m_heap);
    m_heap.reserve(entries.size());
    for (const Entry& e : entries)
        push(e);
}

void Scheduler::dropStaleTop()
{
    while (!m_heap.empty()) {
        const Entry& top = m_heap.front();
        const Slot& s = slot(static_cast<std::uint32_t>(top.key & kSlotMask));
        if (s.live && s.meta.seq == (top.key >> kSlotBits))
            return;
        popTop();
    }
}

Nanos Scheduler::nextTime()
{
    dropStaleTop();
    return m_heap.empty() ? kNever : m_heap.front().time;
}

bool Scheduler::peek(EventMeta& out)
{
    dropStaleTop();
    if (m_heap.empty())
        return false;
    out = slot(static_cast<std::uint32_t>(m_heap.front().key & kSlotMask)).meta;
    return true;
}

std::vector<EventMeta> Scheduler::upcoming(std::size_t limit) const
{
    std::vector<EventMeta> out;
    out.reserve(m_live);
    for (const Entry& e : m_heap) {
        const Slot& s = slot(static_cast<std::uint32_t>(e.key & kSlotMask));
        if (s.live && s.meta.seq == (e.key >> kSlotBits))
            out.push_back(s.meta);
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

bool Scheduler::runTop()
{
    const Entry top = m_heap.front();
    popTop();
    const auto index = static_cast<std::uint32_t>(top.key & kSlotMask);
    Slot& s = slot(index);
    // Move the callback out and free the slot first: the callback may schedule events
    // that reuse this very slot.
    Callback callback = std::move(s.callback);
    const EventMeta meta = s.meta;
    freeSlot(index);
    --m_live;
    assert(meta.time >= m_now);
    m_now = meta.time;
    ++m_executed;
    if (m_observer)
        m_observer->beforeEvent(meta);
    callback();
    return true;
}

bool Scheduler::step()
{
    dropStaleTop();
    if (m_heap.empty())
        return false;
    return runTop();
}

std::uint64_t Scheduler::runUntil(Nanos t)
{
    std::uint64_t n = 0;
    for (;;) {
        dropStaleTop();
        if (m_heap.empty() || m_heap.front().time > t)
            break;
        runTop();
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
        dropStaleTop();
        if (m_heap.empty() || m_heap.front().time > t)
            break;
        runTop();
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

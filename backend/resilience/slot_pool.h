// SlotPool<T>: pooled call state for the resilience parts that hand out completion
// handles (hedged calls, retries under a budget, singleflight flights). A slot is
// acquired per call and released when the call ends; released slots are reused through
// a free list, so steady state allocates nothing. Each slot carries a generation that
// release() bumps (and callers may bump for a new attempt): a handle remembers
// (slot, generation) and current() tells whether it still speaks for a live call, so a
// late or second answer is ignored.
//
// Not thread-safe (the world's thread). References into the pool are invalidated by
// acquire() (the slots live in a vector that may grow).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace livedeck::resilience {

template <class T>
class SlotPool {
public:
    static constexpr std::uint32_t kNil = 0xFFFFFFFFu;

    // A live slot (its value as the last release left it; its generation unchanged).
    std::uint32_t acquire()
    {
        std::uint32_t s;
        if (m_freeHead != kNil) {
            s = m_freeHead;
            m_freeHead = m_entries[s].nextFree;
        } else {
            s = static_cast<std::uint32_t>(m_entries.size());
            m_entries.emplace_back();
        }
        m_entries[s].live = true;
        m_entries[s].nextFree = kNil;
        ++m_live;
        return s;
    }
    // Ends the slot's call: not live, generation bumped, back on the free list.
    void release(std::uint32_t s)
    {
        Entry& e = m_entries[s];
        e.live = false;
        ++e.generation;
        e.nextFree = m_freeHead;
        m_freeHead = s;
        --m_live;
    }

    T& operator[](std::uint32_t s) { return m_entries[s].value; }
    const T& operator[](std::uint32_t s) const { return m_entries[s].value; }
    std::uint32_t generation(std::uint32_t s) const { return m_entries[s].generation; }
    // A new attempt of the same call: handles of the old attempt stop being current.
    std::uint32_t bumpGeneration(std::uint32_t s) { return ++m_entries[s].generation; }
    bool live(std::uint32_t s) const { return s < m_entries.size() && m_entries[s].live; }
    bool current(std::uint32_t s, std::uint32_t generation) const
    {
        return live(s) && m_entries[s].generation == generation;
    }
    std::size_t liveCount() const { return m_live; }
    std::size_t size() const { return m_entries.size(); }

private:
    struct Entry {
        T value{};
        std::uint32_t generation = 1;
        std::uint32_t nextFree = kNil;
        bool live = false;
    };
    std::vector<Entry> m_entries;
    std::uint32_t m_freeHead = kNil;
    std::size_t m_live = 0;
};

} // namespace livedeck::resilience

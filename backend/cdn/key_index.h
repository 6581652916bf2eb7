// KeyIndex: an open-addressing hash index from 64-bit keys to 32-bit values, for the
// cache policies' hot path (docs/BENCHMARKS.md, "cdn"). Linear probing over 16-byte
// slots that hold the key and value inline, so a lookup usually touches one cache line
// (a Swiss table touches its control bytes and then the slot); at most half full;
// deletion by backward shift, so no tombstones build up under constant churn.
// Value 0xFFFFFFFF marks an empty slot and cannot be stored. Never iterated.
#pragma once

#include <cstdint>
#include <vector>

namespace livedeck::cdn {

class KeyIndex {
public:
    static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

    KeyIndex() { m_slots.assign(16, Slot{}); m_mask = 15; }

    std::uint32_t find(std::uint64_t key) const
    {
        for (std::size_t i = home(key);; i = (i + 1) & m_mask) {
            const Slot& s = m_slots[i];
            if (s.value == kNone)
                return kNone;
            if (s.key == key)
                return s.value;
        }
    }
    // Inserts a key that is not present.
    void insert(std::uint64_t key, std::uint32_t value)
    {
        if ((m_size + 1) * 2 > m_slots.size())
            grow();
        place(key, value);
        ++m_size;
    }
    bool erase(std::uint64_t key)
    {
        std::size_t i = home(key);
        while (true) {
            const Slot& s = m_slots[i];
            if (s.value == kNone)
                return false;
            if (s.key == key)
                break;
            i = (i + 1) & m_mask;
        }
        // Backward shift: pull later entries of the cluster into the hole when their home
        // lies at or before it (cyclically), so every key stays reachable from its home.
        std::size_t j = i;
        while (true) {
            j = (j + 1) & m_mask;
            const Slot& s = m_slots[j];
            if (s.value == kNone)
                break;
            const std::size_t k = home(s.key);
            const bool movable = i <= j ? (k <= i || k > j) : (k <= i && k > j);
            if (movable) {
                m_slots[i] = s;
                i = j;
            }
        }
        m_slots[i] = Slot{};
        --m_size;
        return true;
    }
    std::size_t size() const { return m_size; }

private:
    struct Slot {
        std::uint64_t key = 0;
        std::uint32_t value = kNone;
    };
    std::size_t home(std::uint64_t key) const
    {
        // Fibonacci hashing on a mixed key: consecutive keys land far apart.
        std::uint64_t h = key ^ (key >> 31);
        h *= 0x9E3779B97F4A7C15ull;
        return static_cast<std::size_t>(h >> m_shift) & m_mask;
    }
    void place(std::uint64_t key, std::uint32_t value)
    {
        std::size_t i = home(key);
        while (m_slots[i].value != kNone)
            i = (i + 1) & m_mask;
        m_slots[i] = Slot{key, value};
    }
    void grow()
    {
        std::vector<Slot> old;
        old.swap(m_slots);
        m_slots.assign(old.size() * 2, Slot{});
        m_mask = m_slots.size() - 1;
        m_shift = 64 - bitsOf(m_slots.size());
        for (const Slot& s : old)
            if (s.value != kNone)
                place(s.key, s.value);
    }
    static int bitsOf(std::size_t n)
    {
        int b = 0;
        while ((std::size_t{1} << b) < n)
            ++b;
        return b;
    }

    std::vector<Slot> m_slots;
    std::size_t m_mask = 15;
    int m_shift = 60;
    std::size_t m_size = 0;
};

} // namespace livedeck::cdn

// RingBuffer<T>: fixed-capacity FIFO that overwrites its oldest element — the storage
// behind every chart and sparkline (docs/UI.md, rendering rules: keep your own ring buffer and
// hand the chart one replace() per UI tick). No allocation after construction.
// Index 0 is the oldest element. Single-threaded.
#pragma once

#include <cassert>
#include <cstddef>
#include <vector>

namespace livedeck::ui {

template <class T>
class RingBuffer {
public:
    explicit RingBuffer(std::size_t capacity = 0) : m_data(capacity) {}

    std::size_t capacity() const { return m_data.size(); }
    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    void clear()
    {
        m_head = 0;
        m_size = 0;
    }
    void push(const T& value)
    {
        assert(!m_data.empty());
        const std::size_t slot = (m_head + m_size) % m_data.size();
        m_data[slot] = value;
        if (m_size < m_data.size())
            ++m_size;
        else
            m_head = (m_head + 1) % m_data.size();
    }
    const T& operator[](std::size_t i) const
    {
        assert(i < m_size);
        return m_data[(m_head + i) % m_data.size()];
    }
    T& operator[](std::size_t i)
    {
        assert(i < m_size);
        return m_data[(m_head + i) % m_data.size()];
    }
    const T& back() const { return (*this)[m_size - 1]; }
    T& back() { return (*this)[m_size - 1]; }
    const T& front() const { return (*this)[0]; }

    // First index whose element is not less than `key` under `less(element, key)`.
    template <class K, class Less>
    std::size_t lowerBound(const K& key, Less less) const
    {
        std::size_t lo = 0;
        std::size_t hi = m_size;
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            if (less((*this)[mid], key))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

private:
    std::vector<T> m_data;
    std::size_t m_head = 0;
    std::size_t m_size = 0;
};

} // namespace livedeck::ui

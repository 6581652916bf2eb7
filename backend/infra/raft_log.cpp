#include "backend/infra/raft_log.h"

#include <algorithm>

namespace livedeck::infra {

std::uint64_t RaftLog::term(std::uint64_t index) const
{
    LIVEDECK_RAFT_ASSERT(hasTerm(index));
    if (index == m_baseIndex)
        return m_baseTerm;
    return m_entries[index - m_baseIndex - 1].term;
}

const RaftEntry& RaftLog::at(std::uint64_t index) const
{
    LIVEDECK_RAFT_ASSERT(index > m_baseIndex && index <= lastIndex());
    return m_entries[index - m_baseIndex - 1];
}

void RaftLog::append(RaftEntry entry)
{
    LIVEDECK_RAFT_ASSERT(entry.term >= lastTerm());
    m_entries.push_back(std::move(entry));
}

void RaftLog::truncateAfter(std::uint64_t index)
{
    LIVEDECK_RAFT_ASSERT(index >= m_baseIndex);
    if (index >= lastIndex())
        return;
    m_entries.erase(m_entries.begin() + static_cast<std::ptrdiff_t>(index - m_baseIndex), m_entries.end());
}

void RaftLog::compactTo(std::uint64_t index)
{
    if (index <= m_baseIndex)
        return;
    LIVEDECK_RAFT_ASSERT(index <= lastIndex());
    const std::uint64_t t = term(index);
    m_entries.erase(m_entries.begin(), m_entries.begin() + static_cast<std::ptrdiff_t>(index - m_baseIndex));
    m_baseIndex = index;
    m_baseTerm = t;
}

void RaftLog::resetTo(std::uint64_t index, std::uint64_t term)
{
    m_entries.clear();
    m_baseIndex = index;
    m_baseTerm = term;
}

std::uint64_t RaftLog::firstIndexOfTerm(std::uint64_t t, std::uint64_t upTo) const
{
    upTo = std::min(upTo, lastIndex());
    if (upTo <= m_baseIndex)
        return 0;
    // Terms are non-decreasing: the first entry with term >= t.
    const auto end = m_entries.begin() + static_cast<std::ptrdiff_t>(upTo - m_baseIndex);
    const auto it = std::lower_bound(m_entries.begin(), end, t,
                                     [](const RaftEntry& e, std::uint64_t v) { return e.term < v; });
    if (it == end || it->term != t)
        return 0;
    return m_baseIndex + 1 + static_cast<std::uint64_t>(it - m_entries.begin());
}

std::uint64_t RaftLog::lastIndexOfTerm(std::uint64_t t) const
{
    // The first entry with term > t, then one back.
    const auto it = std::upper_bound(m_entries.begin(), m_entries.end(), t,
                                     [](std::uint64_t v, const RaftEntry& e) { return v < e.term; });
    if (it == m_entries.begin())
        return 0;
    const auto prev = it - 1;
    if (prev->term != t)
        return 0;
    return m_baseIndex + 1 + static_cast<std::uint64_t>(prev - m_entries.begin());
}

} // namespace livedeck::infra

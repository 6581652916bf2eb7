// RaftLog: one node's replicated log (part of its persistent state, Raft Figure 2).
//
// Indices start at 1. A prefix may have been compacted into a snapshot: the log then
// remembers the index and term of the last compacted entry (its "base") so the
// AppendEntries consistency check still works at the boundary. Terms never decrease
// along the log, which makes the term lookups used for conflict hints binary searches.
//
// Contract: entries in (base, lastIndex] are held; term(i) is defined for i in
// [base, lastIndex] (term(0) = 0). Truncation below the commit index is the caller's
// bug and is asserted by the node. Single-threaded.
#pragma once

#include "backend/infra/raft_types.h"

#include <cstdint>
#include <deque>

namespace livedeck::infra {

class RaftLog {
public:
    std::uint64_t baseIndex() const { return m_baseIndex; }
    std::uint64_t baseTerm() const { return m_baseTerm; }
    std::uint64_t firstIndex() const { return m_baseIndex + 1; }
    std::uint64_t lastIndex() const { return m_baseIndex + m_entries.size(); }
    std::uint64_t lastTerm() const { return m_entries.empty() ? m_baseTerm : m_entries.back().term; }
    std::size_t size() const { return m_entries.size(); }

    // True when the term of `index` is known (index in [base, lastIndex]).
    bool hasTerm(std::uint64_t index) const { return index >= m_baseIndex && index <= lastIndex(); }
    std::uint64_t term(std::uint64_t index) const;
    const RaftEntry& at(std::uint64_t index) const;

    void append(RaftEntry entry);
    // Removes every entry after `index` (index >= base).
    void truncateAfter(std::uint64_t index);
    // Drops entries up to and including `index` (which must be held or be the base).
    void compactTo(std::uint64_t index);
    // Discards everything; the log continues after (index, term) (InstallSnapshot).
    void resetTo(std::uint64_t index, std::uint64_t term);

    // Raft §5.4.1: a log ending in (lastTerm, lastIndex) is at least as up to date as this one.
    bool isUpToDate(std::uint64_t otherLastIndex, std::uint64_t otherLastTerm) const
    {
        return otherLastTerm > lastTerm() || (otherLastTerm == lastTerm() && otherLastIndex >= lastIndex());
    }
    // First held index whose term is `term` (searching (base, upTo]); 0 when none.
    std::uint64_t firstIndexOfTerm(std::uint64_t term, std::uint64_t upTo) const;
    // Last held index whose term is `term`; 0 when none.
    std::uint64_t lastIndexOfTerm(std::uint64_t term) const;

private:
    std::deque<RaftEntry> m_entries;
    std::uint64_t m_baseIndex = 0;
    std::uint64_t m_baseTerm = 0;
};

} // namespace livedeck::infra

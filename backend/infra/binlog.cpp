#include "backend/infra/binlog.h"

#include <algorithm>
#include <cassert>

namespace livedeck::infra {

namespace {
std::size_t entryBytes(const BinlogEntry& e)
{
    return sizeof(BinlogEntry) + (e.batch ? e.batch->bytes() : 0);
}
} // namespace

const BinlogEntry& Binlog::append(std::uint64_t position, sim::Nanos commitTime, std::uint32_t epoch,
                                  std::int64_t changes, std::shared_ptr<const SqlBatch> batch)
{
    assert(position > m_lastPosition && "binlog positions must increase");
    assert(m_entries.empty() || position > m_entries.back().position);
    m_entries.push_back(BinlogEntry{position, commitTime, epoch, changes, false, std::move(batch)});
    m_lastPosition = position;
    m_bytes += entryBytes(m_entries.back());
    while (m_bytes > m_retentionBytes && m_entries.size() > 1) {
        m_bytes -= entryBytes(m_entries.front());
        m_purgedThrough = m_entries.front().position;
        ++m_purgedEntries;
        m_entries.pop_front();
    }
    return m_entries.back();
}

std::size_t Binlog::indexAfter(std::uint64_t position) const
{
    // Positions are dense within a timeline: try the direct offset first.
    if (!m_entries.empty()) {
        const std::uint64_t first = m_entries.front().position;
        if (position < first)
            return 0;
        if (position >= m_entries.back().position)
            return m_entries.size(); // nothing after it: a caught-up reader, the usual case
        const std::uint64_t offset = position - first + 1;
        if (offset < m_entries.size() && m_entries[offset].position == position + 1
            && m_entries[offset - 1].position == position)
            return offset;
    }
    auto it = std::upper_bound(m_entries.begin(), m_entries.end(), position,
                               [](std::uint64_t p, const BinlogEntry& e) { return p < e.position; });
    return static_cast<std::size_t>(it - m_entries.begin());
}

const BinlogEntry* Binlog::next(std::uint64_t after) const
{
    const std::size_t i = indexAfter(after);
    return i < m_entries.size() ? &m_entries[i] : nullptr;
}

const BinlogEntry* Binlog::find(std::uint64_t position) const
{
    if (position == 0)
        return nullptr;
    const std::size_t i = indexAfter(position - 1);
    return i < m_entries.size() && m_entries[i].position == position ? &m_entries[i] : nullptr;
}

BinlogEntry* Binlog::find(std::uint64_t position)
{
    return const_cast<BinlogEntry*>(static_cast<const Binlog*>(this)->find(position));
}

std::vector<BinlogEntry> Binlog::truncateAfter(std::uint64_t position)
{
    std::vector<BinlogEntry> removed;
    const std::size_t i = indexAfter(position);
    for (std::size_t k = i; k < m_entries.size(); ++k) {
        m_bytes -= entryBytes(m_entries[k]);
        removed.push_back(std::move(m_entries[k]));
    }
    m_entries.erase(m_entries.begin() + static_cast<std::ptrdiff_t>(i), m_entries.end());
    if (position < m_lastPosition)
        m_lastPosition = position;
    return removed;
}

} // namespace livedeck::infra

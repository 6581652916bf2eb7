#include "backend/infra/mq_partition_log.h"

#include <algorithm>
#include <cassert>

namespace livedeck::infra {

std::int64_t MqPartitionLog::append(MqRecord record)
{
    assert(record.visibleAt >= record.appendTime && "a record cannot be visible before it is appended");
    assert(record.weight > 0.0 && "a record stands for at least some real messages");
    record.offset = logEnd();
    const double weight = record.weight;
    m_weightedBytes += static_cast<double>(record.bytes()) * weight;
    m_entries.push_back(Entry{std::move(record), m_cumEnd});
    m_cumEnd += weight;
    return m_entries.back().record.offset;
}

std::int64_t MqPartitionLog::highWatermark(sim::Nanos now)
{
    m_highWatermark = std::max(m_highWatermark, m_start);
    const std::int64_t end = logEnd();
    while (m_highWatermark < end && m_entries[static_cast<std::size_t>(m_highWatermark - m_start)].record.visibleAt <= now)
        ++m_highWatermark;
    return m_highWatermark;
}

std::int64_t MqPartitionLog::peekHighWatermark(sim::Nanos now) const
{
    std::int64_t hw = std::max(m_highWatermark, m_start);
    const std::int64_t end = logEnd();
    while (hw < end && m_entries[static_cast<std::size_t>(hw - m_start)].record.visibleAt <= now)
        ++hw;
    return hw;
}

const MqRecord* MqPartitionLog::at(std::int64_t offset) const
{
    if (offset < m_start || offset >= logEnd())
        return nullptr;
    return &m_entries[static_cast<std::size_t>(offset - m_start)].record;
}

double MqPartitionLog::cumAt(std::int64_t offset) const
{
    if (offset >= logEnd())
        return m_cumEnd;
    if (offset <= m_start)
        return m_entries.empty() ? m_cumEnd : m_entries.front().cumBefore;
    return m_entries[static_cast<std::size_t>(offset - m_start)].cumBefore;
}

double MqPartitionLog::weightBetween(std::int64_t from, std::int64_t to) const
{
    if (to <= from)
        return 0.0;
    return cumAt(to) - cumAt(from);
}

MqTrimResult MqPartitionLog::popFront(MqTrimResult acc)
{
    const Entry& e = m_entries.front();
    acc.records += 1;
    acc.weight += e.record.weight;
    m_weightedBytes -= static_cast<double>(e.record.bytes()) * e.record.weight;
    m_entries.pop_front();
    ++m_start;
    if (m_entries.empty())
        m_weightedBytes = 0.0; // no drift from summing and subtracting doubles
    return acc;
}

MqTrimResult MqPartitionLog::trimOlderThan(sim::Nanos now, sim::Nanos cutoff)
{
    highWatermark(now);
    MqTrimResult r;
    while (!m_entries.empty() && m_start < m_highWatermark && m_entries.front().record.appendTime < cutoff)
        r = popFront(r);
    return r;
}

MqTrimResult MqPartitionLog::trimToWeightedBytes(sim::Nanos now, double maxWeightedBytes)
{
    highWatermark(now);
    MqTrimResult r;
    while (!m_entries.empty() && m_start < m_highWatermark && m_weightedBytes > maxWeightedBytes)
        r = popFront(r);
    return r;
}

} // namespace livedeck::infra

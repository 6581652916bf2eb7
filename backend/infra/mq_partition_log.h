// MqPartitionLog: the append-only log of one topic partition.
//
// Contract:
// - Offsets are dense and start at 0; append() assigns the next one (the log end
//   offset). Records before the log start offset have been deleted by retention.
// - High watermark: consumers read only below it. It is the first offset whose record
//   is not yet visible (visibleAt > now), so a record held back by an mq-delay fault
//   holds back everything after it in its partition — the way a Kafka record becomes
//   readable only once the in-sync replicas have it — and per-partition order is kept.
// - Retention deletes from the front, record by record (Kafka deletes whole segments;
//   here a segment is one record), never at or beyond the high watermark: by time
//   (append time older than a cutoff) and by size (weighted bytes: a record of weight w
//   stands for w real records of its size).
// - Weighted positions: weightBetween(a, b) is the summed weight of offsets [a, b), in
//   O(1) (prefix sums), so a consumer group's lag in real messages is cheap.
// Single-threaded (the world's thread). Records live in a deque: appending and
// trimming keep references to the other records valid.
#pragma once

#include "backend/infra/mq_record.h"

#include <cstdint>
#include <deque>

namespace livedeck::infra {

struct MqTrimResult {
    std::int64_t records = 0;
    double weight = 0.0;
};

class MqPartitionLog {
public:
    std::int64_t logStart() const { return m_start; }
    std::int64_t logEnd() const { return m_start + static_cast<std::int64_t>(m_entries.size()); }
    std::int64_t size() const { return static_cast<std::int64_t>(m_entries.size()); }
    bool empty() const { return m_entries.empty(); }

    // Appends; sets record.offset and returns it.
    std::int64_t append(MqRecord record);
    // Offsets below this are visible at `now` (advances lazily; never moves back).
    std::int64_t highWatermark(sim::Nanos now);
    // The same without moving the lazy cursor (inspection).
    std::int64_t peekHighWatermark(sim::Nanos now) const;
    // The record at `offset`, or nullptr when it is outside [logStart, logEnd).
    const MqRecord* at(std::int64_t offset) const;

    // Summed weight of the records in [from, to), clamped to the log.
    double weightBetween(std::int64_t from, std::int64_t to) const;
    double appendedWeight() const { return m_cumEnd; }
    double weightedBytes() const { return m_weightedBytes; }

    // Retention at `now`: deletes records appended before `cutoff`, or while the log
    // holds more than `maxWeightedBytes`; never at or beyond the high watermark.
    MqTrimResult trimOlderThan(sim::Nanos now, sim::Nanos cutoff);
    MqTrimResult trimToWeightedBytes(sim::Nanos now, double maxWeightedBytes);

private:
    struct Entry {
        MqRecord record;
        double cumBefore; // summed weight of every record appended before this one
    };
    double cumAt(std::int64_t offset) const;
    MqTrimResult popFront(MqTrimResult acc);

    std::deque<Entry> m_entries;
    std::int64_t m_start = 0;
    std::int64_t m_highWatermark = 0;
    double m_cumEnd = 0.0;
    double m_weightedBytes = 0.0;
};

} // namespace livedeck::infra

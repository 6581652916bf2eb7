// MqSequenceTracker: how a consumer detects lost and duplicated records.
//
// Every record carries its producer id and a sequence per (producer, topic, partition)
// starting at 0 (MqProducer). The tracker remembers, per such stream, the highest
// sequence seen and the sequences skipped below it. A record whose sequence was seen
// already is a duplicate (mq-duplicate fault, non-idempotent retries, redelivery after a
// rebalance); a skipped sequence that arrives later fills its gap (a retry overtaken by
// later records); a gap still open after a grace period is a lost record (mq-loss
// fault): the signal behind the "settlement data missing" alert (docs/GIFTS.md).
// Limits: a producer re-created under the same path starts again at sequence 0 and
// would read as duplicates (Kafka solves this with producer epochs); trailing loss (the
// last records of a stream) shows no gap until a later record arrives.
// Single-threaded; ordered containers only, so reports are deterministic.
#pragma once

#include "backend/infra/mq_record.h"
#include "backend/sim/time.h"

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace livedeck::infra {

class MqSequenceTracker {
public:
    enum class Verdict : std::uint8_t {
        New,         // first time this sequence is seen
        Duplicate,   // seen before
        Unsequenced, // no producer sequence (appended directly): not tracked
    };
    struct Gap {
        std::uint64_t producerId = 0;
        std::string topic;
        int partition = 0;
        std::int64_t sequence = 0;
        sim::Nanos noticedAt = 0; // when a later sequence revealed it
    };

    Verdict observe(const MqConsumerRecord& record, sim::Nanos now);

    std::uint64_t duplicates() const { return m_duplicates; }
    std::uint64_t lateArrivals() const { return m_late; }
    // Sequences still missing (gaps noticed and not filled).
    std::int64_t missing() const { return m_missing; }
    // Missing sequences noticed at or before now - grace: treat them as lost.
    std::vector<Gap> lost(sim::Nanos now, sim::Nanos grace) const;

private:
    using Key = std::tuple<std::uint64_t, std::string, int>;
    struct Stream {
        std::int64_t highest = -1;
        std::map<std::int64_t, sim::Nanos> gaps; // sequence → noticed at
    };
    std::map<Key, Stream, std::less<>> m_streams;
    std::uint64_t m_duplicates = 0;
    std::uint64_t m_late = 0;
    std::int64_t m_missing = 0;
};

} // namespace livedeck::infra

// MqRecord: one record of the message queue (the Kafka stand-in), and what a producer
// sends (MqMessage) and a consumer receives (MqConsumerRecord).
//
// Contract:
// - A record is immutable once appended: offset, key, value, ordered headers (e.g.
//   "region" added by the cross-region mirror, "dlq.*" added by the dead-letter helper),
//   the producer's create time and the broker's append time (simulated ns), the time it
//   becomes visible to consumers (later than the append time under an mq-delay fault),
//   the producer id and per-partition sequence (consumers detect loss and duplicates
//   with them, see MqSequenceTracker) and its weight: a discrete record stands for
//   `weight` real messages (docs/ARCHITECTURE.md, property 3) and carries it end to end.
// - An empty key is Kafka's null key (sticky/round-robin partitioning); a non-empty key
//   is hashed to a partition (MqProducer::partitionFor).
// - Sizes: bytes() counts key + value + headers + kRecordOverheadBytes, the fixed cost
//   the broker's service-time model and size retention charge per record.
#pragma once

#include "backend/sim/time.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::infra {

// 20 bytes: Kafka's per-record overhead in a v2 record batch (varint lengths, deltas,
// attributes) for small records, rounded.
inline constexpr std::int64_t kRecordOverheadBytes = 20;

// Header keys used across the project.
inline constexpr std::string_view kRegionHeader = "region";              // set by MqMirror
inline constexpr std::string_view kDlqTopicHeader = "dlq.topic";         // set by MqDeadLetter
inline constexpr std::string_view kDlqPartitionHeader = "dlq.partition";
inline constexpr std::string_view kDlqOffsetHeader = "dlq.offset";
inline constexpr std::string_view kDlqReasonHeader = "dlq.reason";
inline constexpr std::string_view kMirrorPartitionHeader = "mirror.partition"; // source partition
inline constexpr std::string_view kMirrorOffsetHeader = "mirror.offset";       // source offset

struct MqHeader {
    std::string key;
    std::string value;
    bool operator==(const MqHeader&) const = default;
};

using MqHeaders = std::vector<MqHeader>;

// The first header named `key`, or nullptr.
const std::string* findHeader(const MqHeaders& headers, std::string_view key);
// Sets `key` (replacing the first existing header of that name) or appends it.
void setHeader(MqHeaders& headers, std::string_view key, std::string_view value);

// What a producer sends.
struct MqMessage {
    std::string key;     // empty = null key
    std::string value;
    MqHeaders headers;
    double weight = 1.0; // real messages this discrete message stands for

    std::int64_t bytes() const;
};

// What the log stores.
struct MqRecord {
    std::int64_t offset = -1;
    std::string key;
    std::string value;
    MqHeaders headers;
    sim::Nanos timestamp = 0;   // producer create time
    sim::Nanos appendTime = 0;  // broker append time (retention by time uses it)
    sim::Nanos visibleAt = 0;   // consumers see it from this time on (mq-delay fault)
    std::uint64_t producerId = 0;
    std::int64_t sequence = -1; // per (producer, topic, partition), from 0; -1 = none
    double weight = 1.0;

    std::int64_t bytes() const;
    const std::string* header(std::string_view name) const { return findHeader(headers, name); }
};

// What a consumer receives: the record with its topic and partition. `topic` views the
// broker's topic name, which lives as long as the broker.
struct MqConsumerRecord {
    std::string_view topic;
    int partition = 0;
    MqRecord record;
};

} // namespace livedeck::infra

// The message queue's wire protocol: what clients (MqProducer, MqConsumer, MqMirror)
// hand the broker, and what comes back.
//
// Contract:
// - A client sends a request over the network (world.network().send from its own
//   component to the broker's); when it arrives, the client calls MqBroker::produce /
//   fetch / groupRequest with an *exchange*: a client-owned struct holding the request
//   and, for fetch and group requests, room for the reply. The exchange must stay valid
//   and unchanged until the broker calls `done` (exactly once).
// - `done` runs when the response reaches the client over the network, or at once with
//   `lost = true` when the response will never arrive (partition, client down): then
//   the client may only release the exchange; it learns of the failure by its own
//   request timeout, as a real client would.
// - Topic names in replies (std::string_view) view the broker's MqTopic names, which
//   live as long as the broker.
#pragma once

#include "backend/infra/mq_record.h"
#include "backend/sim/inline_callback.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::infra {

enum class MqError : std::uint8_t {
    Ok,
    Timeout,             // no response within the client's request timeout
    Down,                // the broker is down
    Rejected,            // the broker's queue is full (overload)
    BrokerError,         // error-rate fault: the request failed after the broker did its work
    UnknownTopic,
    UnknownPartition,
    UnknownMember,       // the group does not know the member (expired or never joined)
    RebalanceInProgress, // the member's generation is stale: it must adopt the new assignment
    NotOwner,            // offset commit for a partition the member no longer owns (Kafka's ILLEGAL_GENERATION)
    NotMember,           // the consumer has not joined its group yet
    Crashed,             // the consumer process is crashed
};

const char* toString(MqError error);
// Errors a producer retries (the request may or may not have been appended).
bool isRetriable(MqError error);

struct MqResponse {
    MqError error = MqError::Ok;
    bool lost = false;            // the response never reaches the client
    std::int64_t baseOffset = -1; // produce: offset of the first record
    std::uint64_t generation = 0; // fetch/group: the group's generation
};

using MqResponseFn = sim::InlineFunction<void(const MqResponse&), 48>;

// Where a consumer starts when it has no committed offset or its position fell out of
// the log (retention): Kafka's auto.offset.reset.
enum class MqOffsetReset : std::uint8_t { Earliest, Latest };
const char* toString(MqOffsetReset reset);

// Partition assignment strategy (Kafka's RangeAssignor / RoundRobinAssignor).
enum class MqAssignor : std::uint8_t { Range, RoundRobin };
const char* toString(MqAssignor assignor);

struct MqProduceExchange {
    std::string topic;
    int partition = 0;
    std::vector<MqMessage> messages;
    std::uint64_t producerId = 0;
    std::int64_t firstSequence = -1; // sequence of messages[0]; the rest follow
    sim::Nanos timestamp = 0;        // producer create time
};

// One partition of a member's assignment, as the coordinator hands it out.
struct MqAssignedPartition {
    std::string_view topic;
    int partition = 0;
    std::int64_t committed = -1;    // -1: nothing committed yet
    std::uint64_t ownerSince = 0;   // generation since which the member owns it without a break
};

struct MqFetchPartition {
    std::string_view topic;
    int partition = 0;
    std::int64_t position = -1; // next offset to read; -1: reset per the policy
    std::int64_t next = -1;     // reply: position after this fetch
};

struct MqFetchExchange {
    std::string group;
    std::string memberId;
    std::uint64_t generation = 0;
    int maxRecords = 500;
    MqOffsetReset reset = MqOffsetReset::Earliest;
    std::vector<MqFetchPartition> partitions; // filled in this order
    // reply
    std::vector<MqConsumerRecord> records;
    std::vector<MqAssignedPartition> assignment; // when error == RebalanceInProgress
    double weight = 0.0;                         // summed weight of `records`
};

struct MqOffsetCommit {
    std::string_view topic;
    int partition = 0;
    std::int64_t offset = 0; // next offset to consume (last processed + 1), as in Kafka
};

enum class MqGroupOp : std::uint8_t { Join, Heartbeat, Leave, Commit };

struct MqGroupExchange {
    MqGroupOp op = MqGroupOp::Heartbeat;
    std::string group;
    std::string memberId;
    std::vector<std::string> topics;  // join: subscription
    sim::Nanos sessionTimeout = 0;    // join
    MqAssignor assignor = MqAssignor::Range;
    std::uint64_t generation = 0;     // heartbeat: the member's; commit: the batch's
    std::vector<MqOffsetCommit> commits;
    // reply (join, and heartbeat with RebalanceInProgress)
    std::vector<MqAssignedPartition> assignment;
};

} // namespace livedeck::infra

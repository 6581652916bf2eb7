// MqConsumerGroup: the group coordinator's state for one consumer group on a broker —
// members, generation, partition assignment, committed offsets and lag.
//
// Contract:
// - Members join with a subscription (topics), a session timeout and an assignor.
//   Every join of a new member, leave, expiry (no heartbeat, poll or commit within the
//   session timeout, on virtual time) or creation of a subscribed topic is a
//   rebalance: the generation goes up and the partitions of the subscribed topics are
//   reassigned at once, deterministically: members in member-id order, partitions in
//   (topic name, partition) order, with the leader's assignor (the longest-standing
//   member's, as Kafka's group leader is the first to join). Every partition of every
//   subscribed topic goes to exactly one member subscribed to its topic.
// - Members adopt the new assignment on their next heartbeat or fetch (the coordinator
//   answers RebalanceInProgress with it); fetches with a stale generation get no records.
//   A member that keeps a partition across rebalances keeps its position (Kafka's
//   cooperative protocol); a partition that changes hands starts at its committed offset.
// - Offset commits are manual. A commit is accepted only when the member owns the
//   partition now and has owned it without a break since the generation the committed
//   records were fetched in; otherwise it is refused (NotOwner, Kafka's ILLEGAL_GENERATION)
//   and the records are redelivered to the new owner: at-least-once, never a commit
//   beyond what a current owner processed.
// - Lag per partition = log end offset − max(committed, log start), as gauges on the
//   broker's path: mq.consumer_lag (weighted: real messages) and mq.consumer_lag_offsets
//   (records), labels group/partition/topic; mq.group_lag sums a group's weighted lag.
// Owned by its MqBroker; single-threaded (the world's thread).
#pragma once

#include "backend/infra/mq_protocol.h"
#include "backend/sim/components.h"
#include "backend/sim/scheduler.h"
#include "backend/telemetry/metrics.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livedeck::infra {

class MqBroker;
class MqTopic;

class MqConsumerGroup {
public:
    // Members' subscriptions (in member order) and topics (name order, with partition
    // counts) → owner member index of each (topic, partition), flattened in topic then
    // partition order; -1 when no member subscribes to the topic.
    static std::vector<int> assign(MqAssignor assignor, const std::vector<std::vector<std::string>>& subscriptions,
                                   const std::vector<std::pair<std::string, int>>& topics);

    MqConsumerGroup(MqBroker& broker, std::string name, telemetry::MetricsRegistry* metrics);
    MqConsumerGroup(const MqConsumerGroup&) = delete;
    MqConsumerGroup& operator=(const MqConsumerGroup&) = delete;

    const std::string& name() const { return m_name; }
    std::uint64_t generation() const { return m_generation; }
    std::uint64_t rebalances() const { return m_rebalances; }

    // Requests, served by the broker. Each refreshes the member's session.
    MqError join(std::string_view memberId, const std::vector<std::string>& topics, sim::Nanos sessionTimeout,
                 MqAssignor assignor, std::vector<MqAssignedPartition>& assignment);
    // Heartbeat and fetch check: Ok when the member is current; RebalanceInProgress
    // (with the new assignment) when its generation is stale; UnknownMember otherwise.
    MqError check(std::string_view memberId, std::uint64_t generation, std::vector<MqAssignedPartition>& assignment);
    MqError leave(std::string_view memberId);
    // All or nothing: every offset must pass the ownership check.
    MqError commit(std::string_view memberId, std::uint64_t fetchedGeneration, const std::vector<MqOffsetCommit>& offsets);

    // Broker notifications.
    void onTopicCreated(MqTopic& topic);
    void updateLag(int groupTopic, int partition);

    // Queries (tests, inspector, drills).
    std::vector<std::string> members() const;
    std::vector<std::pair<std::string, int>> assignmentOf(std::string_view memberId) const;
    std::int64_t committed(std::string_view topic, int partition) const; // -1: none
    std::string owner(std::string_view topic, int partition) const;       // member id or ""
    double lag(std::string_view topic, int partition) const;              // weighted
    std::int64_t lagOffsets(std::string_view topic, int partition) const;
    double totalLag() const { return m_totalLag; }
    void inspect(sim::StateWriter& out) const;

private:
    struct Member {
        std::string id;
        std::uint64_t serial = 0; // unique per join, never reused
        std::vector<std::string> topics; // sorted
        sim::Nanos sessionTimeout = 0;
        sim::Nanos lastSeen = 0;
        MqAssignor assignor = MqAssignor::Range;
        std::vector<std::pair<int, int>> assigned; // (group topic, partition)
    };
    struct Part {
        std::int64_t committed = -1;
        std::uint64_t owner = 0;      // member serial, 0 = none
        std::uint64_t ownerSince = 0; // generation
        double lag = 0.0;
        telemetry::Gauge* lagGauge = nullptr;
        telemetry::Gauge* lagOffsetsGauge = nullptr;
    };
    struct GroupTopic {
        std::string name;
        MqTopic* topic = nullptr; // null until the broker has the topic
        std::vector<Part> parts;
    };

    Member* findMember(std::string_view id);
    const Member* findMember(std::string_view id) const;
    int topicIndex(std::string_view name) const;
    int ensureTopic(std::string_view name);
    void attach(int groupTopic, MqTopic& topic);
    void rebalance(std::string_view reason);
    void fill(const Member& member, std::vector<MqAssignedPartition>& out) const;
    void touch(Member& member);
    void scheduleExpiry(std::uint64_t serial, sim::Nanos at);
    void checkExpiry(std::uint64_t serial);
    const Part* part(std::string_view topic, int partition) const;

    MqBroker& m_broker;
    std::string m_name;
    telemetry::MetricsRegistry* m_metrics;
    telemetry::Gauge* m_totalLagGauge = nullptr;
    sim::EventKindId m_expiryKind;
    std::vector<Member> m_members; // sorted by id
    std::vector<GroupTopic> m_topics; // in the order first seen: indices are stable (topic watchers keep them)
    std::uint64_t m_generation = 0;
    std::uint64_t m_nextSerial = 1;
    std::uint64_t m_rebalances = 0;
    double m_totalLag = 0.0;
};

} // namespace livedeck::infra

// MqConsumer: a member of a consumer group on one MqBroker — joins, heartbeats, polls
// batches from its assigned partitions and commits offsets manually.
//
// Contract:
// - Registered as its own component (kind "mq-consumer") at a path the owner chooses
//   ("sh-a/gifts/settlement/0"). Every request crosses world.network() and the broker's
//   ServiceQueue. Its member id is "<path>#<incarnation>"; a restart is a new member.
// - Positions (next offset to fetch per assigned partition) live in the consumer, as
//   in a Kafka client; committed offsets live in the group on the broker. poll() fetches
//   up to maxRecords from the assigned partitions starting at the positions (partitions
//   taken in a rotating order for fairness) and advances them; commit(batch) commits,
//   per partition, the offset after the batch's last record. A partition that changes
//   hands starts at its committed offset on the new owner, so what was polled but not
//   committed is redelivered: at-least-once. Handlers must be idempotent.
// - Rebalances (mq_consumer_group.h) are adopted on the next heartbeat or poll; a poll
//   that crosses a rebalance returns no records. A commit for a partition lost in a
//   rebalance is refused (NotOwner) and its records go to the new owner again.
// - Crash: crash(), or a down fault on the consumer's path (noticed at the next
//   heartbeat or loop tick; its network traffic stops at once). A crash loses the
//   positions, the batch in hand and the outstanding poll (its callback never runs:
//   the process that waited is gone); no leave is sent, so the group reassigns the
//   partitions after the session timeout. A fault-crash restarts by itself when the
//   fault clears (as a supervisor restarts a pod); crash() waits for restart().
// - The poll loop (runLoop) polls, hands each non-empty batch to the handler with an
//   MqAck, and after ack.commit() commits the batch (asynchronously) and polls again at
//   once; after an empty poll or an error it waits `pollInterval`. ack.retry() skips
//   the commit and rewinds to the batch's first offsets, so the batch comes again.
// - Metrics on the consumer's path: mq.consumer.records (weighted), .commits,
//   .commit_rejected, .rebalances, .crashes counters.
// Defaults: session timeout 10 s (Kafka's default before 3.0; KIP-735 made it 45 s —
// 10 s keeps failover drills short), heartbeat 3 s (heartbeat.interval.ms), max.poll.
// records 500, RangeAssignor (Kafka's defaults); offset reset earliest (Kafka's default
// is latest; settlement must not skip records); 1 s request timeout (assumed; Kafka's
// request.timeout.ms is 30 s); 100 ms between empty polls (assumed).
// Single-threaded (the world's thread); the broker and the world outlive it, and it outlives
// the world's pending events (they hold pointers to it), like every component.
#pragma once

#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_protocol.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livedeck::infra {

struct MqConsumerConfig {
    sim::Nanos sessionTimeout = 10 * sim::kSecond;
    sim::Nanos heartbeatInterval = 3 * sim::kSecond;
    sim::Nanos requestTimeout = 1 * sim::kSecond;
    sim::Nanos pollInterval = 100 * sim::kMillisecond;
    int maxPollRecords = 500;
    MqOffsetReset reset = MqOffsetReset::Earliest;
    MqAssignor assignor = MqAssignor::Range;
};

// What one poll returned. Valid until the next poll completes.
struct MqBatch {
    std::uint64_t generation = 0; // the group generation it was fetched in
    std::vector<MqConsumerRecord> records;
    bool empty() const { return records.empty(); }
    // Per partition, the offset after its last record in this batch (what commit sends).
    std::vector<MqOffsetCommit> nextOffsets() const;
};

class MqConsumer;

// Handed to a loop handler with each batch: call commit() or retry() once, when done.
class MqAck {
public:
    MqAck(MqConsumer* consumer, std::uint64_t token) : m_consumer(consumer), m_token(token) {}
    void commit() const;
    void retry() const;

private:
    MqConsumer* m_consumer;
    std::uint64_t m_token;
};

class MqConsumer final : public sim::Inspectable {
public:
    enum class State : std::uint8_t { Idle, Joining, Member, Crashed, Closed };
    using PollCallback = sim::InlineFunction<void(MqError error, const MqBatch& batch), 48>;
    using CommitCallback = sim::InlineFunction<void(MqError error), 48>;
    using Handler = std::function<void(const MqBatch& batch, MqAck ack)>;

    MqConsumer(sim::World& world, MqBroker& broker, std::string_view path, std::string_view group,
               std::vector<std::string> topics, MqConsumerConfig config = {},
               telemetry::MetricsRegistry* metrics = nullptr, std::string_view dataCentre = {});
    MqConsumer(const MqConsumer&) = delete;
    MqConsumer& operator=(const MqConsumer&) = delete;

    // Joins the group and starts heartbeating.
    void start();
    // One poll at a time; the callback runs later, never inside this call.
    void poll(int maxRecords, PollCallback callback);
    void commit(const MqBatch& batch, CommitCallback callback = {});
    void commitOffsets(std::vector<MqOffsetCommit> offsets, std::uint64_t generation, CommitCallback callback = {});
    // Moves every position back to the committed offset (uncommitted records come again).
    void seekToCommitted();
    void close();
    void crash();
    void restart();

    void runLoop(Handler handler, int maxRecords = -1);
    void stopLoop();

    State state() const { return m_state; }
    static const char* toString(State state);
    bool isMember() const { return m_state == State::Member; }
    const std::string& memberId() const { return m_memberId; }
    const std::string& path() const { return m_path; }
    sim::ComponentId component() const { return m_component; }
    std::uint64_t generation() const { return m_generation; }
    std::vector<std::pair<std::string, int>> assignment() const;
    std::int64_t position(std::string_view topic, int partition) const; // -1: unknown / not owned

    std::uint64_t received() const { return m_receivedCount; }
    std::uint64_t commitsOk() const { return m_commitsOk; }
    std::uint64_t commitsRejected() const { return m_commitsRejected; }
    std::uint64_t crashes() const { return m_crashCount; }

    void inspect(sim::StateWriter& out) const override;

private:
    friend class MqAck;
    struct Owned {
        std::string_view topic;
        int partition = 0;
        std::int64_t position = -1;
        std::int64_t committed = -1;
        std::uint64_t ownerSince = 0;
    };
    struct FetchSlot {
        MqFetchExchange exchange;
        bool held = false;
    };
    struct GroupSlot {
        MqGroupExchange exchange;
        bool held = false;
        bool active = false;
        std::uint64_t token = 0;
        sim::EventHandle timeout;
        CommitCallback callback;
    };

    bool checkDown();
    void heartbeatTick();
    void sendJoin();
    void sendHeartbeat();
    std::uint32_t groupSlot();
    void sendGroup(std::uint32_t slot);
    void onGroupResponse(std::uint32_t slot, std::uint64_t token, const MqResponse& response);
    void onGroupTimeout(std::uint32_t slot, std::uint64_t token);
    void handleGroupResult(std::uint32_t slot, MqError error, std::uint64_t generation);
    void adopt(std::uint64_t generation, const std::vector<MqAssignedPartition>& assignment);
    void lostMembership();
    Owned* owned(std::string_view topic, int partition);
    void onFetch(std::uint32_t slot, std::uint64_t token, const MqResponse& response);
    void finishPoll(MqError error);
    void failPollLater(MqError error);
    void scheduleLoopTick(sim::Nanos delay);
    void loopTick();
    void onLoopBatch(MqError error, const MqBatch& batch);
    void ack(std::uint64_t token, bool commit);

    sim::World& m_world;
    MqBroker& m_broker;
    std::string m_path;
    std::string m_group;
    std::vector<std::string> m_topics;
    MqConsumerConfig m_config;
    sim::ComponentId m_component;
    sim::EventKindId m_heartbeatKind;
    sim::EventKindId m_requestKind;
    sim::EventKindId m_timeoutKind;
    sim::EventKindId m_loopKind;

    State m_state = State::Idle;
    bool m_crashedByFault = false;
    std::uint64_t m_incarnation = 0;
    std::string m_memberId;
    std::uint64_t m_generation = 0;
    std::vector<Owned> m_assignment;
    std::size_t m_rotation = 0;
    bool m_heartbeating = false;
    bool m_joinInFlight = false;
    sim::Nanos m_joinSentAt = 0;

    // poll
    std::deque<FetchSlot> m_fetchSlots;
    bool m_pollActive = false;
    std::uint64_t m_pollToken = 0;
    sim::EventHandle m_pollTimeout;
    PollCallback m_pollCallback;
    MqBatch m_batch;

    // group requests
    std::deque<GroupSlot> m_groupSlots;
    std::uint64_t m_requestSeq = 0;

    // loop
    Handler m_handler;
    int m_loopMaxRecords = 0;
    bool m_looping = false;
    bool m_processing = false;
    std::uint64_t m_ackToken = 0;
    sim::EventHandle m_loopTick;

    std::uint64_t m_receivedCount = 0;
    std::uint64_t m_commitsOk = 0;
    std::uint64_t m_commitsRejected = 0;
    std::uint64_t m_crashCount = 0;
    telemetry::Counter* m_records = nullptr;
    telemetry::Counter* m_commits = nullptr;
    telemetry::Counter* m_commitRejects = nullptr;
    telemetry::Counter* m_rebalances = nullptr;
    telemetry::Counter* m_crashes = nullptr;
};

} // namespace livedeck::infra

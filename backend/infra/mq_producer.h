// MqProducer: a client that sends records to one MqBroker, asynchronously, with acks.
//
// Contract:
// - Registered as its own component (kind "mq-producer") at a path the owner chooses,
//   usually under the owning service ("sh-a/gifts/order/0/mq"), so faults on the
//   service (down, partition) cover it. Requests cross world.network() both ways and
//   queue in the broker's ServiceQueue.
// - Partitioning (client side, as in Kafka): a non-empty key goes to
//   XXH64(key, seed 0) mod partitions (sim::hashPath; Kafka uses murmur2 — any stable
//   hash keeps one key in one partition); an empty (null) key goes round-robin per
//   topic. Partition counts come from the broker's metadata (cached client-side, not
//   network-modelled).
// - Each record carries the producer id (XXH64 of the producer's path) and a sequence
//   per (topic, partition) from 0, so consumers can detect loss and duplicates.
// - Result: the callback runs once per send, with the base offset on success. No
//   answer within `requestTimeout` → Timeout; retriable errors (timeout, down,
//   overload, broker error) are retried up to `retries` times after `retryBackoff`.
//   Retries are not idempotent: a request that reached the broker but whose answer was
//   lost is appended again (a duplicate), as with Kafka's enable.idempotence=false.
//   With `ordered`, one request per partition is in flight at a time (Kafka's
//   max.in.flight.requests.per.connection=1), so retries cannot reorder a partition.
// - An mq-loss fault acks records the broker never appended (mq_broker.h): the producer
//   cannot tell; the weight it reports acked includes them.
// - Metrics on the producer's path (weighted): mq.producer.sent / .acked / .failed /
//   .retries counters and the mq.producer.latency histogram (first send → result, ms).
// Defaults: 250 ms request timeout (docs/GIFTS.md: the default cross-service timeout; Kafka's
// request.timeout.ms is 30 s), 2 retries, 100 ms backoff (Kafka's retry.backoff.ms).
// Single-threaded (the world's thread); the broker and the world outlive it, and it outlives
// the world's pending events (they hold pointers to it), like every component.
#pragma once

#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_protocol.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::infra {

struct MqProducerConfig {
    sim::Nanos requestTimeout = 250 * sim::kMillisecond;
    int retries = 2;
    sim::Nanos retryBackoff = 100 * sim::kMillisecond;
    bool ordered = false;
};

struct MqProduceResult {
    MqError error = MqError::Ok;
    std::string_view topic;       // valid during the callback
    int partition = -1;
    std::int64_t baseOffset = -1; // offset of the first record on success
    int records = 0;
    double weight = 0.0;          // summed weight of the records
    int attempts = 0;
    sim::Nanos latency = 0;       // first send → result
    // The request's messages, valid during the callback (a caller that sends them again
    // after a failure copies them then, instead of keeping a copy of every request).
    std::span<const MqMessage> messages;
};

class MqProducer final : public sim::Inspectable {
public:
    using Callback = sim::InlineFunction<void(const MqProduceResult&), 48>;

    MqProducer(sim::World& world, MqBroker& broker, std::string_view path, MqProducerConfig config = {},
               telemetry::MetricsRegistry* metrics = nullptr, std::string_view dataCentre = {});
    MqProducer(const MqProducer&) = delete;
    MqProducer& operator=(const MqProducer&) = delete;

    // Partitions by key and sends one record.
    void send(std::string_view topic, MqMessage message, Callback callback = {});
    void send(std::string_view topic, std::string_view key, std::string_view value, double weight = 1.0,
              Callback callback = {});
    // Sends records to one partition in one request: appended contiguously, in order.
    void sendBatch(std::string_view topic, int partition, std::vector<MqMessage> messages, Callback callback = {});

    // The partition `key` goes to, or -1 when the topic is unknown.
    int partitionFor(std::string_view topic, std::string_view key);
    static int partitionForKey(std::string_view key, int partitions);

    const std::string& path() const { return m_path; }
    sim::ComponentId component() const { return m_component; }
    std::uint64_t producerId() const { return m_producerId; }
    MqBroker& broker() { return m_broker; }
    std::uint64_t inflight() const { return m_inflight; }
    std::uint64_t sent() const { return m_sentCount; }
    std::uint64_t acked() const { return m_ackedCount; }
    std::uint64_t failed() const { return m_failedCount; }
    std::uint64_t retried() const { return m_retriedCount; }

    void inspect(sim::StateWriter& out) const override;

private:
    struct Slot {
        MqProduceExchange exchange;
        Callback callback;
        int attempt = 0;      // attempts started
        int held = 0;         // attempts the broker still holds (the exchange must stay)
        bool active = false;  // waiting for a final result
        bool awaiting = false; // the current attempt may still answer
        bool free = false;     // on the free list
        sim::EventHandle timeout;
        sim::Nanos firstSent = 0;
        double weight = 0.0;
    };
    struct PartitionState {
        std::int64_t nextSequence = 0;
        bool busy = false;              // ordered mode: a request is in flight
        std::deque<std::uint32_t> waiting;
    };
    struct TopicState {
        std::vector<PartitionState> partitions;
        std::uint64_t roundRobin = 0;
    };

    TopicState* topicState(std::string_view topic);
    std::uint32_t allocSlot();
    void enqueue(std::uint32_t slot, TopicState* state);
    void startAttempt(std::uint32_t slot);
    void arrive(std::uint32_t slot, int attempt);
    void onResponse(std::uint32_t slot, int attempt, const MqResponse& response);
    void onTimeout(std::uint32_t slot, int attempt);
    void handleResult(std::uint32_t slot, MqError error, std::int64_t baseOffset);
    void complete(std::uint32_t slot, MqError error, std::int64_t baseOffset);
    void maybeFree(std::uint32_t slot);

    sim::World& m_world;
    MqBroker& m_broker;
    std::string m_path;
    MqProducerConfig m_config;
    sim::ComponentId m_component;
    std::uint64_t m_producerId;
    sim::EventKindId m_sendKind;
    sim::EventKindId m_timeoutKind;
    sim::EventKindId m_retryKind;
    absl::flat_hash_map<std::string, TopicState, sim::StringHash, sim::StringEq> m_topics;
    std::deque<Slot> m_slots; // a deque: references stay valid while it grows
    std::vector<std::uint32_t> m_freeSlots;
    std::uint64_t m_inflight = 0;
    std::uint64_t m_sentCount = 0;
    std::uint64_t m_ackedCount = 0;
    std::uint64_t m_failedCount = 0;
    std::uint64_t m_retriedCount = 0;
    telemetry::Counter* m_sent = nullptr;
    telemetry::Counter* m_acked = nullptr;
    telemetry::Counter* m_failed = nullptr;
    telemetry::Counter* m_retries = nullptr;
    telemetry::Histogram* m_latency = nullptr;
};

} // namespace livedeck::infra

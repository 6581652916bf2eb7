// MqBroker: one region's message-queue cluster (the Kafka stand-in), a component such
// as "sh-a/gifts/mq" (kind "mq-broker"). It holds the topics (partitioned append-only
// logs) and is the coordinator of its consumer groups.
//
// Contract:
// - Requests (produce, fetch, group ops: see mq_protocol.h) go through one ServiceQueue
//   (service_queue.h): concurrency limit with queueing in real requests, so overload
//   raises latency and then rejects; per-request cost from the work done (bytes
//   appended, records and bytes read) times lognormal noise; faults down / latency /
//   error-rate. A produce weighs the summed weight of its records (capacity is in real
//   requests); a fetch or group request weighs 1. Responses travel back to the client
//   over world.network(); a down broker does not answer at all (the network drops what
//   is sent to a down component), so its clients see timeouts.
// - MQ faults, consulted per produced record on the topic's path (a fault on the
//   broker's path covers all its topics):
//     mq-loss rate p:      the record is NOT appended, yet the producer gets a success
//                          ack with the offset the record would have had (as when a
//                          leader acks with acks=1 and loses the record in an unclean
//                          failover; that offset is then taken by the next record).
//                          Consumers detect it by the gap in the producer's sequence
//                          (MqSequenceTracker); the settlement alert depends on it.
//     mq-duplicate rate p: the record is appended twice in a row (same producer id and
//                          sequence), as a producer retry without idempotence does.
//     mq-delay add_ms:     the record becomes visible to consumers add_ms after its
//                          append; it holds back its partition's high watermark, so
//                          the records after it wait too (order is kept).
//   An error-rate fault fails a produce after the append (Kafka's
//   NOT_ENOUGH_REPLICAS_AFTER_APPEND): the producer's retry then duplicates the record.
// - Topics are auto-created on first produce or metadata lookup (Kafka's
//   auto.create.topics.enable, default true) with the default topic config
//   (num.partitions = 1). Retention runs every 5 min of virtual time (Kafka's
//   log.retention.check.interval.ms) and on enforceRetention().
// - Metrics on the broker's path: the ServiceQueue's mq.requests/.rejected/.errors/
//   .latency/.queue/.inflight, and weighted counters mq.produced, mq.duplicated,
//   mq.lost, mq.delayed, mq.consumed (records delivered to consumers), mq.retained_out
//   (deleted by retention), mq.offset_resets (records skipped by consumers whose
//   position fell behind the log start); lag gauges: see mq_consumer_group.h.
// - Cost model defaults (assumed, not from the write-ups): 100 µs per produce plus
//   2 ns per byte (append + replication), 100 µs per fetch plus 1 µs per record and
//   1 ns per byte, 50 µs per group operation; concurrency 2,000 real requests.
// Single-threaded (the world's thread). The broker must outlive its clients and every
// scheduled event of the world.
#pragma once

#include "backend/infra/mq_consumer_group.h"
#include "backend/infra/mq_protocol.h"
#include "backend/infra/mq_topic.h"
#include "backend/infra/service_queue.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <absl/container/flat_hash_map.h>
#include <absl/status/statusor.h>

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::infra {

struct MqCostModel {
    sim::Nanos produceBase = 100 * sim::kMicrosecond;
    double produceNsPerByte = 2.0;
    sim::Nanos fetchBase = 100 * sim::kMicrosecond;
    sim::Nanos fetchPerRecord = 1 * sim::kMicrosecond;
    double fetchNsPerByte = 1.0;
    sim::Nanos groupOp = 50 * sim::kMicrosecond;
};

struct MqBrokerConfig {
    ServiceConfig service{2'000.0, 20'000.0, 1 * sim::kSecond, 0.25, false};
    MqTopicConfig defaultTopic;   // auto-created topics
    bool autoCreateTopics = true;
    sim::Nanos retentionCheckInterval = 5 * sim::kMinute; // <= 0: only enforceRetention()
    MqCostModel cost;
};

class MqBroker final : public sim::Inspectable {
public:
    MqBroker(sim::World& world, std::string_view path, MqBrokerConfig config = {},
             telemetry::MetricsRegistry* metrics = nullptr, std::string_view dataCentre = {});
    ~MqBroker() override;
    MqBroker(const MqBroker&) = delete;
    MqBroker& operator=(const MqBroker&) = delete;

    sim::World& world() { return m_world; }
    const std::string& path() const { return m_path; }
    sim::ComponentId component() const { return m_component; }
    // The region this broker serves: the first segment of its path ("sh-a").
    std::string_view region() const { return m_region; }
    const MqBrokerConfig& config() const { return m_config; }
    ServiceQueue& service() { return m_service; }
    telemetry::MetricsRegistry* metrics() const { return m_metrics; }

    // Topics. Names may not contain '/' or '*'. Creating an existing topic with the same
    // partition count returns it; with another count is an error.
    absl::StatusOr<MqTopic*> createTopic(std::string_view name, MqTopicConfig config);
    absl::StatusOr<MqTopic*> createTopic(std::string_view name, int partitions);
    MqTopic* findTopic(std::string_view name);
    const MqTopic* findTopic(std::string_view name) const;
    const std::vector<std::unique_ptr<MqTopic>>& topics() const { return m_topics; }
    // Metadata lookup (clients cache it; not network-modelled): partition count, or -1
    // when the topic is unknown and cannot be auto-created.
    int partitionsFor(std::string_view topic);

    // Consumer groups (created on first use).
    MqConsumerGroup& group(std::string_view name);
    MqConsumerGroup* findGroup(std::string_view name);
    const std::vector<std::unique_ptr<MqConsumerGroup>>& groups() const { return m_groups; }

    // Requests, called when they arrive from `client` (see mq_protocol.h).
    void produce(sim::ComponentId client, const MqProduceExchange& exchange, MqResponseFn done);
    void fetch(sim::ComponentId client, MqFetchExchange& exchange, MqResponseFn done);
    void groupRequest(sim::ComponentId client, MqGroupExchange& exchange, MqResponseFn done);

    // Direct append without service time, network or faults (setup, tests, benchmarks).
    std::int64_t appendDirect(std::string_view topic, int partition, MqMessage message);
    // Applies retention to every topic now.
    MqTrimResult enforceRetention();

    // Weighted totals (also exported as counters).
    double produced() const { return m_producedTotal; }
    double duplicated() const { return m_duplicatedTotal; }
    double lost() const { return m_lostTotal; }
    double delayed() const { return m_delayedTotal; }
    double consumed() const { return m_consumedTotal; }

    void inspect(sim::StateWriter& out) const override;

private:
    enum class Op : std::uint8_t { Produce, Fetch, Group };
    struct Pending {
        Op op = Op::Produce;
        sim::ComponentId client = sim::kNoComponent;
        const MqProduceExchange* produce = nullptr;
        MqFetchExchange* fetch = nullptr;
        MqGroupExchange* group = nullptr;
        MqResponseFn done;
        MqResponse response;
    };

    std::uint32_t allocPending();
    void submit(std::uint32_t slot, double weight);
    sim::Nanos start(std::uint32_t slot);
    sim::Nanos startProduce(Pending& p);
    sim::Nanos startFetch(Pending& p);
    sim::Nanos startGroup(Pending& p);
    void finish(std::uint32_t slot, ServiceOutcome outcome);
    void deliver(std::uint32_t slot);
    void appendRecords(MqTopic& topic, int partition, const MqProduceExchange& exchange, MqResponse& response);
    void notifyAppend(MqTopic& topic, int partition);
    void scheduleRetention();
    MqTopic* topicForProduce(std::string_view name);

    sim::World& m_world;
    std::string m_path;
    std::string m_region;
    MqBrokerConfig m_config;
    telemetry::MetricsRegistry* m_metrics;
    sim::ComponentId m_component;
    ServiceQueue m_service;
    sim::RandomStream m_faultRng;
    sim::EventKindId m_responseKind;
    sim::EventKindId m_retentionKind;
    std::vector<std::unique_ptr<MqTopic>> m_topics; // creation order
    absl::flat_hash_map<std::string, MqTopic*, sim::StringHash, sim::StringEq> m_topicsByName;
    std::vector<std::unique_ptr<MqConsumerGroup>> m_groups; // creation order
    absl::flat_hash_map<std::string, MqConsumerGroup*, sim::StringHash, sim::StringEq> m_groupsByName;
    std::deque<Pending> m_pending; // a deque: references stay valid while it grows
    std::vector<std::uint32_t> m_freePending;

    double m_producedTotal = 0.0;
    double m_duplicatedTotal = 0.0;
    double m_lostTotal = 0.0;
    double m_delayedTotal = 0.0;
    double m_consumedTotal = 0.0;
    telemetry::Counter* m_produced = nullptr;
    telemetry::Counter* m_duplicated = nullptr;
    telemetry::Counter* m_lost = nullptr;
    telemetry::Counter* m_delayed = nullptr;
    telemetry::Counter* m_consumed = nullptr;
    telemetry::Counter* m_retainedOut = nullptr;
    telemetry::Counter* m_offsetResets = nullptr;
};

} // namespace livedeck::infra

// MqMirror: cross-region replication of one topic (a MirrorMaker stand-in, docs/GIFTS.md:
// "cross-region consumption through a mirror that tags each message with its region").
//
// Contract:
// - Copies topic t of the source broker (region r) into topic "r.t" on the target
//   broker, created with the same partition count: source partition p goes to target
//   partition p, in order, and every copy carries the header region=r (kept when the
//   record already has one) plus mirror.partition / mirror.offset (its source position),
//   so consumers of the target region can filter by region.
// - Mechanism: a consumer in group "mirror.<target region>" on the source broker and a
//   producer to the target broker, both components under the mirror's path (usually in
//   the target region, as MirrorMaker runs next to its target). One cycle: poll a batch,
//   send each partition's records as one ordered batch request, and only when every
//   batch is acked commit the source offsets; then poll again at once.
// - Failure (a partition between the regions, the target down, a source rebalance):
//   the cycle's uncommitted records are rewound to the committed offsets and the mirror
//   retries after `retryBackoff`. It therefore resumes from its own committed position
//   when the link heals: nothing is lost, and batches acked by the target but not yet
//   committed at the source are copied again (duplicates, detectable by
//   mirror.partition/mirror.offset or the producer sequence). Per-partition order of
//   first copies is kept; a re-copy repeats an older range after newer records.
// - Metrics on the mirror's path: mq.mirror.copied (weighted), mq.mirror.cycles,
//   mq.mirror.failures counters; lag: the source broker's mq.consumer_lag of its group.
// Defaults: 500 records per cycle (Kafka's max.poll.records), 100 ms between empty polls,
// 1 s retry backoff, 1 s request timeouts (cross-region round trips are ~60 ms to gz).
// Single-threaded (the world's thread); both brokers and the world outlive it, and it outlives
// the world's pending events (they hold pointers to it), like every component.
#pragma once

#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_producer.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::infra {

struct MqMirrorConfig {
    int maxRecords = 500;
    sim::Nanos pollInterval = 100 * sim::kMillisecond;
    sim::Nanos retryBackoff = 1 * sim::kSecond;
    sim::Nanos requestTimeout = 1 * sim::kSecond;
    sim::Nanos sessionTimeout = 10 * sim::kSecond;
};

class MqMirror final : public sim::Inspectable {
public:
    MqMirror(sim::World& world, MqBroker& source, MqBroker& target, std::string_view topic, std::string_view path,
             MqMirrorConfig config = {}, telemetry::MetricsRegistry* metrics = nullptr);
    MqMirror(const MqMirror&) = delete;
    MqMirror& operator=(const MqMirror&) = delete;

    void start();
    void stop();

    static std::string targetTopicFor(std::string_view sourceRegion, std::string_view topic); // "r.t"
    const std::string& sourceTopic() const { return m_sourceTopic; }
    const std::string& targetTopic() const { return m_targetTopic; }
    const std::string& group() const { return m_group; }
    MqConsumer& consumer() { return m_consumer; }
    MqProducer& producer() { return m_producer; }

    std::uint64_t copied() const { return m_copied; }
    std::uint64_t cycles() const { return m_cycleCount; }
    std::uint64_t failures() const { return m_failureCount; }
    bool stalled() const { return m_stalled; }

    void inspect(sim::StateWriter& out) const override;

private:
    void scheduleTick(sim::Nanos delay);
    void tick();
    void onBatch(MqError error, const MqBatch& batch);
    void onProduced(std::uint64_t cycle, const MqProduceResult& result);
    void finishCycle();

    sim::World& m_world;
    MqBroker& m_source;
    MqBroker& m_target;
    std::string m_path;
    std::string m_sourceTopic;
    std::string m_targetTopic;
    std::string m_group;
    MqMirrorConfig m_config;
    sim::ComponentId m_component;
    MqConsumer m_consumer;
    MqProducer m_producer;
    int m_targetPartitions = 1;
    sim::EventKindId m_tickKind;
    sim::EventHandle m_tick;

    bool m_running = false;
    bool m_busy = false;
    bool m_stalled = false;
    std::uint64_t m_cycle = 0;
    int m_outstanding = 0;
    bool m_cycleFailed = false;
    std::uint64_t m_cycleGeneration = 0;
    std::vector<MqOffsetCommit> m_cycleOffsets;
    std::vector<std::vector<MqMessage>> m_byPartition;

    std::uint64_t m_copied = 0;
    std::uint64_t m_cycleCount = 0;
    std::uint64_t m_failureCount = 0;
    telemetry::Counter* m_copiedCounter = nullptr;
    telemetry::Counter* m_cyclesCounter = nullptr;
    telemetry::Counter* m_failuresCounter = nullptr;
};

} // namespace livedeck::infra

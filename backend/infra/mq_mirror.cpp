#include "backend/infra/mq_mirror.h"

#include <cassert>

namespace livedeck::infra {

namespace {
MqConsumerConfig consumerConfig(const MqMirrorConfig& c)
{
    MqConsumerConfig out;
    out.sessionTimeout = c.sessionTimeout;
    out.requestTimeout = c.requestTimeout;
    out.pollInterval = c.pollInterval;
    out.maxPollRecords = c.maxRecords;
    out.reset = MqOffsetReset::Earliest;
    return out;
}

MqProducerConfig producerConfig(const MqMirrorConfig& c)
{
    MqProducerConfig out;
    out.requestTimeout = c.requestTimeout;
    out.ordered = true;
    return out;
}
} // namespace

std::string MqMirror::targetTopicFor(std::string_view sourceRegion, std::string_view topic)
{
    return sim::strCat(sourceRegion, ".", topic);
}

MqMirror::MqMirror(sim::World& world, MqBroker& source, MqBroker& target, std::string_view topic, std::string_view path,
                   MqMirrorConfig config, telemetry::MetricsRegistry* metrics)
    : m_world(world),
      m_source(source),
      m_target(target),
      m_path(path),
      m_sourceTopic(topic),
      m_targetTopic(targetTopicFor(source.region(), topic)),
      m_group(sim::strCat("mirror.", target.region())),
      m_config(config),
      m_component(world.components().mustAdd(path, "mq-mirror", {}, this)),
      m_consumer(world, source, sim::strCat(path, "/consumer"), m_group, {m_sourceTopic}, consumerConfig(config), metrics),
      m_producer(world, target, sim::strCat(path, "/producer"), producerConfig(config), metrics),
      m_tickKind(world.kind("mq.mirror.tick"))
{
    MqTopicConfig topicConfig = target.config().defaultTopic;
    const int partitions = source.partitionsFor(m_sourceTopic);
    assert(partitions > 0 && "the mirrored topic must exist on the source broker (or be auto-creatable)");
    if (const MqTopic* src = source.findTopic(m_sourceTopic))
        topicConfig = src->config();
    topicConfig.partitions = partitions;
    auto created = target.createTopic(m_targetTopic, topicConfig);
    const MqTopic* dst = created.ok() ? *created : target.findTopic(m_targetTopic);
    assert(dst && "the mirror's target topic name is valid");
    m_targetPartitions = dst ? dst->partitionCount() : 1;
    m_byPartition.resize(static_cast<std::size_t>(partitions));
    if (metrics) {
        m_copiedCounter = &metrics->counter("mq.mirror.copied", m_path);
        m_cyclesCounter = &metrics->counter("mq.mirror.cycles", m_path);
        m_failuresCounter = &metrics->counter("mq.mirror.failures", m_path);
    }
}

void MqMirror::start()
{
    if (m_running)
        return;
    m_running = true;
    m_consumer.start();
    scheduleTick(0);
}

void MqMirror::stop()
{
    m_running = false;
    m_world.scheduler().cancel(m_tick);
    m_consumer.close();
}

void MqMirror::scheduleTick(sim::Nanos delay)
{
    m_world.scheduler().cancel(m_tick);
    m_tick = m_world.after(delay, m_tickKind, m_component, [this] { tick(); });
}

void MqMirror::tick()
{
    if (!m_running || m_busy)
        return;
    if (!m_consumer.isMember()) {
        scheduleTick(m_config.pollInterval);
        return;
    }
    m_busy = true;
    m_consumer.poll(m_config.maxRecords, [this](MqError error, const MqBatch& batch) { onBatch(error, batch); });
}

void MqMirror::onBatch(MqError error, const MqBatch& batch)
{
    if (!m_running) {
        m_busy = false;
        return;
    }
    if (error != MqError::Ok || batch.empty()) {
        m_busy = false;
        m_stalled = error == MqError::Timeout || error == MqError::Down || error == MqError::Rejected;
        scheduleTick(error == MqError::Ok ? m_config.pollInterval : m_config.retryBackoff);
        return;
    }
    // Group by source partition, keeping order.
    for (auto& v : m_byPartition)
        v.clear();
    const std::string_view region = m_source.region();
    for (const MqConsumerRecord& r : batch.records) {
        assert(r.partition >= 0 && r.partition < static_cast<int>(m_byPartition.size()));
        MqMessage m;
        m.key = r.record.key;
        m.value = r.record.value;
        m.headers = r.record.headers;
        m.weight = r.record.weight;
        if (!findHeader(m.headers, kRegionHeader))
            m.headers.push_back(MqHeader{std::string(kRegionHeader), std::string(region)});
        setHeader(m.headers, kMirrorPartitionHeader, sim::strCat(r.partition));
        setHeader(m.headers, kMirrorOffsetHeader, sim::strCat(r.record.offset));
        m_byPartition[static_cast<std::size_t>(r.partition)].push_back(std::move(m));
    }
    const std::uint64_t cycle = ++m_cycle;
    m_cycleFailed = false;
    m_cycleGeneration = batch.generation;
    m_cycleOffsets = batch.nextOffsets();
    m_outstanding = 0;
    for (auto& v : m_byPartition)
        m_outstanding += v.empty() ? 0 : 1;
    for (std::size_t p = 0; p < m_byPartition.size(); ++p) {
        if (m_byPartition[p].empty())
            continue;
        const int targetPartition = static_cast<int>(p) % m_targetPartitions;
        m_producer.sendBatch(m_targetTopic, targetPartition, std::move(m_byPartition[p]),
                             [this, cycle](const MqProduceResult& r) { onProduced(cycle, r); });
        m_byPartition[p] = {};
    }
}

void MqMirror::onProduced(std::uint64_t cycle, const MqProduceResult& result)
{
    if (cycle != m_cycle)
        return;
    if (result.error != MqError::Ok) {
        m_cycleFailed = true;
    } else {
        m_copied += static_cast<std::uint64_t>(result.records);
        if (m_copiedCounter)
            m_copiedCounter->add(result.weight);
    }
    if (--m_outstanding > 0)
        return;
    finishCycle();
}

void MqMirror::finishCycle()
{
    m_busy = false;
    ++m_cycleCount;
    if (m_cyclesCounter)
        m_cyclesCounter->add(1.0);
    if (!m_running)
        return;
    if (m_cycleFailed) {
        // Rewind to what the source has committed: the whole cycle is copied again.
        ++m_failureCount;
        if (m_failuresCounter)
            m_failuresCounter->add(1.0);
        m_stalled = true;
        m_consumer.seekToCommitted();
        scheduleTick(m_config.retryBackoff);
        return;
    }
    m_stalled = false;
    m_consumer.commitOffsets(std::move(m_cycleOffsets), m_cycleGeneration);
    m_cycleOffsets = {};
    scheduleTick(0);
}

void MqMirror::inspect(sim::StateWriter& out) const
{
    out.add("source", sim::strCat(m_source.path(), "/", m_sourceTopic));
    out.add("target", sim::strCat(m_target.path(), "/", m_targetTopic));
    out.add("running", m_running);
    out.add("stalled", m_stalled);
    out.add("copied", m_copied);
    out.add("cycles", m_cycleCount);
    out.add("failures", m_failureCount);
}

} // namespace livedeck::infra

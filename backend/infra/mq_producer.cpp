#include "backend/infra/mq_producer.h"

#include <cassert>

namespace livedeck::infra {

MqProducer::MqProducer(sim::World& world, MqBroker& broker, std::string_view path, MqProducerConfig config,
                       telemetry::MetricsRegistry* metrics, std::string_view dataCentre)
    : m_world(world),
      m_broker(broker),
      m_path(path),
      m_config(config),
      m_component(world.components().mustAdd(path, "mq-producer", dataCentre, this)),
      m_producerId(sim::hashPath(path)),
      m_sendKind(world.kind("mq.produce.send")),
      m_timeoutKind(world.kind("mq.produce.timeout")),
      m_retryKind(world.kind("mq.produce.retry"))
{
    if (metrics) {
        m_sent = &metrics->counter("mq.producer.sent", m_path);
        m_acked = &metrics->counter("mq.producer.acked", m_path);
        m_failed = &metrics->counter("mq.producer.failed", m_path);
        m_retries = &metrics->counter("mq.producer.retries", m_path);
        m_latency = &metrics->histogram("mq.producer.latency", m_path);
    }
}

int MqProducer::partitionForKey(std::string_view key, int partitions)
{
    assert(partitions > 0);
    return static_cast<int>(sim::hashPath(key) % static_cast<std::uint64_t>(partitions));
}

MqProducer::TopicState* MqProducer::topicState(std::string_view topic)
{
    const auto it = m_topics.find(topic);
    if (it != m_topics.end())
        return &it->second;
    const int partitions = m_broker.partitionsFor(topic);
    if (partitions <= 0)
        return nullptr;
    TopicState state;
    state.partitions.resize(static_cast<std::size_t>(partitions));
    return &m_topics.emplace(std::string(topic), std::move(state)).first->second;
}

int MqProducer::partitionFor(std::string_view topic, std::string_view key)
{
    TopicState* state = topicState(topic);
    if (!state)
        return -1;
    const int n = static_cast<int>(state->partitions.size());
    if (!key.empty())
        return partitionForKey(key, n);
    return static_cast<int>(state->roundRobin++ % static_cast<std::uint64_t>(n));
}

std::uint32_t MqProducer::allocSlot()
{
    std::uint32_t slot;
    if (!m_freeSlots.empty()) {
        slot = m_freeSlots.back();
        m_freeSlots.pop_back();
    } else {
        m_slots.emplace_back();
        slot = static_cast<std::uint32_t>(m_slots.size() - 1);
    }
    Slot& s = m_slots[slot];
    s.free = false;
    s.attempt = 0;
    s.held = 0;
    s.active = true;
    s.awaiting = false;
    s.timeout = {};
    s.firstSent = m_world.now();
    s.weight = 0.0;
    s.exchange.messages.clear();
    return slot;
}

void MqProducer::send(std::string_view topic, MqMessage message, Callback callback)
{
    const int partition = partitionFor(topic, message.key);
    const std::uint32_t slot = allocSlot();
    Slot& s = m_slots[slot];
    s.exchange.topic.assign(topic);
    s.exchange.partition = partition;
    s.exchange.messages.push_back(std::move(message));
    s.callback = std::move(callback);
    enqueue(slot, partition >= 0 ? topicState(topic) : nullptr);
}

void MqProducer::send(std::string_view topic, std::string_view key, std::string_view value, double weight,
                      Callback callback)
{
    MqMessage m;
    m.key.assign(key);
    m.value.assign(value);
    m.weight = weight;
    send(topic, std::move(m), std::move(callback));
}

void MqProducer::sendBatch(std::string_view topic, int partition, std::vector<MqMessage> messages, Callback callback)
{
    TopicState* state = topicState(topic);
    const std::uint32_t slot = allocSlot();
    Slot& s = m_slots[slot];
    s.exchange.topic.assign(topic);
    s.exchange.partition = partition;
    s.exchange.messages.swap(messages);
    s.callback = std::move(callback);
    const bool valid = state && partition >= 0 && partition < static_cast<int>(state->partitions.size());
    enqueue(slot, valid ? state : nullptr);
}

void MqProducer::enqueue(std::uint32_t slot, TopicState* state)
{
    Slot& s = m_slots[slot];
    ++m_inflight;
    for (const MqMessage& m : s.exchange.messages)
        s.weight += m.weight;
    m_sentCount += s.exchange.messages.size();
    if (m_sent)
        m_sent->add(s.weight);
    s.exchange.producerId = m_producerId;
    s.exchange.timestamp = m_world.now();
    if (!state) {
        // Unknown topic (no auto-create) or partition: fail without a request, but
        // never inside the caller's call.
        const MqError error = s.exchange.partition < 0 && m_broker.partitionsFor(s.exchange.topic) < 0
            ? MqError::UnknownTopic
            : MqError::UnknownPartition;
        m_world.after(0, m_retryKind, m_component, [this, slot, error] { complete(slot, error, -1); });
        return;
    }
    PartitionState& ps = state->partitions[static_cast<std::size_t>(s.exchange.partition)];
    s.exchange.firstSequence = ps.nextSequence;
    ps.nextSequence += static_cast<std::int64_t>(s.exchange.messages.size());
    if (m_config.ordered) {
        if (ps.busy) {
            ps.waiting.push_back(slot);
            return;
        }
        ps.busy = true;
    }
    startAttempt(slot);
}

void MqProducer::startAttempt(std::uint32_t slot)
{
    Slot& s = m_slots[slot];
    assert(s.active);
    const int attempt = ++s.attempt;
    s.awaiting = true;
    s.timeout = m_world.after(m_config.requestTimeout, m_timeoutKind, m_component,
                              [this, slot, attempt] { onTimeout(slot, attempt); });
    const sim::Delivery d = m_world.network().send(m_component, m_broker.component());
    if (!d.delivered())
        return; // the request never arrives: the timeout answers
    ++s.held;
    m_world.after(d.latency, m_sendKind, m_component, [this, slot, attempt] { arrive(slot, attempt); });
}

void MqProducer::arrive(std::uint32_t slot, int attempt)
{
    m_broker.produce(m_component, m_slots[slot].exchange,
                     [this, slot, attempt](const MqResponse& r) { onResponse(slot, attempt, r); });
}

void MqProducer::onResponse(std::uint32_t slot, int attempt, const MqResponse& response)
{
    Slot& s = m_slots[slot];
    assert(s.held > 0);
    --s.held;
    if (!response.lost && s.active && s.awaiting && attempt == s.attempt) {
        m_world.scheduler().cancel(s.timeout);
        handleResult(slot, response.error, response.baseOffset);
    }
    maybeFree(slot);
}

void MqProducer::onTimeout(std::uint32_t slot, int attempt)
{
    Slot& s = m_slots[slot];
    if (s.active && s.awaiting && attempt == s.attempt)
        handleResult(slot, MqError::Timeout, -1);
}

void MqProducer::handleResult(std::uint32_t slot, MqError error, std::int64_t baseOffset)
{
    Slot& s = m_slots[slot];
    s.awaiting = false;
    if (error != MqError::Ok && isRetriable(error) && s.attempt <= m_config.retries) {
        ++m_retriedCount;
        if (m_retries)
            m_retries->add(s.weight);
        const int attempt = s.attempt;
        m_world.after(m_config.retryBackoff, m_retryKind, m_component, [this, slot, attempt] {
            Slot& again = m_slots[slot];
            if (again.active && !again.awaiting && again.attempt == attempt)
                startAttempt(slot);
        });
        return;
    }
    complete(slot, error, baseOffset);
}

void MqProducer::complete(std::uint32_t slot, MqError error, std::int64_t baseOffset)
{
    Slot& s = m_slots[slot];
    assert(s.active);
    s.active = false;
    s.awaiting = false;
    --m_inflight;
    const sim::Nanos latency = m_world.now() - s.firstSent;
    if (error == MqError::Ok) {
        m_ackedCount += s.exchange.messages.size();
        if (m_acked) {
            m_acked->add(s.weight);
            m_latency->record(latency, s.weight);
        }
    } else {
        m_failedCount += s.exchange.messages.size();
        if (m_failed)
            m_failed->add(s.weight);
    }
    // Ordered mode: the partition's next request may go.
    if (m_config.ordered && s.exchange.partition >= 0) {
        if (TopicState* state = topicState(s.exchange.topic);
            state && s.exchange.partition < static_cast<int>(state->partitions.size())) {
            PartitionState& ps = state->partitions[static_cast<std::size_t>(s.exchange.partition)];
            if (ps.busy && !ps.waiting.empty()) {
                const std::uint32_t next = ps.waiting.front();
                ps.waiting.pop_front();
                startAttempt(next);
            } else {
                ps.busy = false;
            }
        }
    }
    Callback callback = std::move(s.callback);
    MqProduceResult result;
    result.error = error;
    result.topic = s.exchange.topic;
    result.partition = s.exchange.partition;
    result.baseOffset = error == MqError::Ok ? baseOffset : -1;
    result.records = static_cast<int>(s.exchange.messages.size());
    result.weight = s.weight;
    result.attempts = s.attempt;
    result.latency = latency;
    result.messages = s.exchange.messages;
    if (callback)
        callback(result);
    maybeFree(slot);
}

void MqProducer::maybeFree(std::uint32_t slot)
{
    Slot& s = m_slots[slot];
    if (!s.active && s.held == 0 && !s.free) { // no timeout, arrival or retry of this slot is pending
        s.free = true;
        m_freeSlots.push_back(slot);
    }
}

void MqProducer::inspect(sim::StateWriter& out) const
{
    out.add("inflight", m_inflight);
    out.add("sent", m_sentCount);
    out.add("acked", m_ackedCount);
    out.add("failed", m_failedCount);
    out.add("retried", m_retriedCount);
}

} // namespace livedeck::infra

#include "backend/infra/mq_broker.h"

#include <algorithm>
#include <cassert>

namespace livedeck::infra {

namespace {
std::string_view firstSegment(std::string_view path)
{
    return path.substr(0, path.find('/'));
}
} // namespace

MqBroker::MqBroker(sim::World& world, std::string_view path, MqBrokerConfig config,
                   telemetry::MetricsRegistry* metrics, std::string_view dataCentre)
    : m_world(world),
      m_path(path),
      m_region(firstSegment(path)),
      m_config(config),
      m_metrics(metrics),
      m_component(world.components().mustAdd(path, "mq-broker", dataCentre, this)),
      m_service(world, m_component, config.service, metrics, "mq"),
      m_faultRng(world.stream(sim::strCat(m_path, "#mq-faults"))),
      m_responseKind(world.kind("mq.response")),
      m_retentionKind(world.kind("mq.retention"))
{
    if (metrics) {
        m_produced = &metrics->counter("mq.produced", m_path);
        m_duplicated = &metrics->counter("mq.duplicated", m_path);
        m_lost = &metrics->counter("mq.lost", m_path);
        m_delayed = &metrics->counter("mq.delayed", m_path);
        m_consumed = &metrics->counter("mq.consumed", m_path);
        m_retainedOut = &metrics->counter("mq.retained_out", m_path);
        m_offsetResets = &metrics->counter("mq.offset_resets", m_path);
    }
    scheduleRetention();
}

MqBroker::~MqBroker() = default;

// ---------------------------------------------------------------- topics and groups

absl::StatusOr<MqTopic*> MqBroker::createTopic(std::string_view name, MqTopicConfig config)
{
    if (name.empty() || name.find_first_of("/*") != std::string_view::npos)
        return absl::InvalidArgumentError(
            sim::strCat("topic name '", name, "' is invalid: use a non-empty name without '/' or '*', such as settlement"));
    if (config.partitions <= 0)
        return absl::InvalidArgumentError(sim::strCat("topic '", name, "' needs at least one partition, got ", config.partitions));
    if (MqTopic* existing = findTopic(name)) {
        if (existing->partitionCount() != config.partitions)
            return absl::AlreadyExistsError(sim::strCat("topic '", name, "' already exists on ", m_path, " with ",
                                                        existing->partitionCount(), " partitions, not ", config.partitions));
        return existing;
    }
    const std::string path = sim::strCat(m_path, "/", name);
    const sim::ComponentInfo& self = m_world.components().get(m_component);
    const std::string_view dataCentre = self.dataCentre >= 0
        ? std::string_view(m_world.topology().dataCentres()[static_cast<std::size_t>(self.dataCentre)].name)
        : std::string_view();
    auto id = m_world.components().add(path, "mq-topic", dataCentre);
    if (!id.ok())
        return id.status();
    auto topic = std::make_unique<MqTopic>(std::string(name), path, *id, config, m_world.clock());
    m_world.components().setInspectable(*id, topic.get());
    MqTopic* raw = topic.get();
    m_topics.push_back(std::move(topic));
    m_topicsByName.emplace(raw->name(), raw);
    for (const auto& g : m_groups)
        g->onTopicCreated(*raw);
    return raw;
}

absl::StatusOr<MqTopic*> MqBroker::createTopic(std::string_view name, int partitions)
{
    MqTopicConfig config = m_config.defaultTopic;
    config.partitions = partitions;
    return createTopic(name, config);
}

MqTopic* MqBroker::findTopic(std::string_view name)
{
    const auto it = m_topicsByName.find(name);
    return it == m_topicsByName.end() ? nullptr : it->second;
}

const MqTopic* MqBroker::findTopic(std::string_view name) const
{
    const auto it = m_topicsByName.find(name);
    return it == m_topicsByName.end() ? nullptr : it->second;
}

MqTopic* MqBroker::topicForProduce(std::string_view name)
{
    if (MqTopic* t = findTopic(name))
        return t;
    if (!m_config.autoCreateTopics)
        return nullptr;
    auto created = createTopic(name, m_config.defaultTopic);
    return created.ok() ? *created : nullptr;
}

int MqBroker::partitionsFor(std::string_view topic)
{
    const MqTopic* t = topicForProduce(topic);
    return t ? t->partitionCount() : -1;
}

MqConsumerGroup& MqBroker::group(std::string_view name)
{
    if (MqConsumerGroup* g = findGroup(name))
        return *g;
    m_groups.push_back(std::make_unique<MqConsumerGroup>(*this, std::string(name), m_metrics));
    MqConsumerGroup* raw = m_groups.back().get();
    m_groupsByName.emplace(raw->name(), raw);
    return *raw;
}

MqConsumerGroup* MqBroker::findGroup(std::string_view name)
{
    const auto it = m_groupsByName.find(name);
    return it == m_groupsByName.end() ? nullptr : it->second;
}

// ---------------------------------------------------------------- requests

std::uint32_t MqBroker::allocPending()
{
    if (!m_freePending.empty()) {
        const std::uint32_t slot = m_freePending.back();
        m_freePending.pop_back();
        return slot;
    }
    m_pending.emplace_back();
    return static_cast<std::uint32_t>(m_pending.size() - 1);
}

void MqBroker::produce(sim::ComponentId client, const MqProduceExchange& exchange, MqResponseFn done)
{
    const std::uint32_t slot = allocPending();
    Pending& p = m_pending[slot];
    p.op = Op::Produce;
    p.client = client;
    p.produce = &exchange;
    p.done = std::move(done);
    p.response = MqResponse{};
    double weight = 0.0;
    for (const MqMessage& m : exchange.messages)
        weight += m.weight;
    submit(slot, std::max(weight, 1e-9));
}

void MqBroker::fetch(sim::ComponentId client, MqFetchExchange& exchange, MqResponseFn done)
{
    const std::uint32_t slot = allocPending();
    Pending& p = m_pending[slot];
    p.op = Op::Fetch;
    p.client = client;
    p.fetch = &exchange;
    p.done = std::move(done);
    p.response = MqResponse{};
    exchange.records.clear();
    exchange.assignment.clear();
    exchange.weight = 0.0;
    submit(slot, 1.0);
}

void MqBroker::groupRequest(sim::ComponentId client, MqGroupExchange& exchange, MqResponseFn done)
{
    const std::uint32_t slot = allocPending();
    Pending& p = m_pending[slot];
    p.op = Op::Group;
    p.client = client;
    p.group = &exchange;
    p.done = std::move(done);
    p.response = MqResponse{};
    exchange.assignment.clear();
    submit(slot, 1.0);
}

void MqBroker::submit(std::uint32_t slot, double weight)
{
    m_service.submit(
        weight,
        [this, slot](bool& failed) {
            (void)failed;
            return start(slot);
        },
        [this, slot](ServiceOutcome outcome, sim::Nanos) { finish(slot, outcome); });
}

sim::Nanos MqBroker::start(std::uint32_t slot)
{
    Pending& p = m_pending[slot];
    switch (p.op) {
    case Op::Produce:
        return startProduce(p);
    case Op::Fetch:
        return startFetch(p);
    case Op::Group:
        return startGroup(p);
    }
    return 0;
}

sim::Nanos MqBroker::startProduce(Pending& p)
{
    const MqProduceExchange& ex = *p.produce;
    std::int64_t bytes = 0;
    for (const MqMessage& m : ex.messages)
        bytes += m.bytes();
    const sim::Nanos cost = m_config.cost.produceBase
        + static_cast<sim::Nanos>(static_cast<double>(bytes) * m_config.cost.produceNsPerByte);
    MqTopic* topic = topicForProduce(ex.topic);
    if (!topic) {
        p.response.error = MqError::UnknownTopic;
        return cost;
    }
    if (ex.partition < 0 || ex.partition >= topic->partitionCount()) {
        p.response.error = MqError::UnknownPartition;
        return cost;
    }
    appendRecords(*topic, ex.partition, ex, p.response);
    return cost;
}

void MqBroker::appendRecords(MqTopic& topic, int partition, const MqProduceExchange& ex, MqResponse& response)
{
    MqPartitionLog& log = topic.partition(partition);
    const sim::Nanos now = m_world.now();
    const sim::FaultRegistry& faults = m_world.faults();
    const double lossRate = faults.anyActive(v1::FAULT_MQ_LOSS) ? faults.effect(v1::FAULT_MQ_LOSS, topic.path()).rate : 0.0;
    const double dupRate =
        faults.anyActive(v1::FAULT_MQ_DUPLICATE) ? faults.effect(v1::FAULT_MQ_DUPLICATE, topic.path()).rate : 0.0;
    const sim::Nanos delay = faults.anyActive(v1::FAULT_MQ_DELAY)
        ? sim::fromMillis(faults.effect(v1::FAULT_MQ_DELAY, topic.path()).addMs)
        : 0;
    response.baseOffset = log.logEnd();
    std::int64_t sequence = ex.firstSequence;
    double produced = 0.0;
    double lost = 0.0;
    double duplicated = 0.0;
    double delayed = 0.0;
    for (const MqMessage& m : ex.messages) {
        const std::int64_t seq = sequence;
        if (sequence >= 0)
            ++sequence;
        if (lossRate > 0.0 && m_faultRng.bernoulli(lossRate)) {
            lost += m.weight; // acknowledged below like the others, never appended
            continue;
        }
        MqRecord r;
        r.key = m.key;
        r.value = m.value;
        r.headers = m.headers;
        r.timestamp = ex.timestamp;
        r.appendTime = now;
        r.visibleAt = now + std::max<sim::Nanos>(delay, 0);
        r.producerId = ex.producerId;
        r.sequence = seq;
        r.weight = m.weight;
        const bool duplicate = dupRate > 0.0 && m_faultRng.bernoulli(dupRate);
        if (duplicate) {
            log.append(r);
            duplicated += m.weight;
            produced += m.weight;
        }
        log.append(std::move(r));
        produced += m.weight;
        if (delay > 0)
            delayed += m.weight * (duplicate ? 2.0 : 1.0);
    }
    m_producedTotal += produced;
    m_lostTotal += lost;
    m_duplicatedTotal += duplicated;
    m_delayedTotal += delayed;
    if (m_produced) {
        m_produced->add(produced);
        m_lost->add(lost);
        m_duplicated->add(duplicated);
        m_delayed->add(delayed);
    }
    notifyAppend(topic, partition);
}

void MqBroker::notifyAppend(MqTopic& topic, int partition)
{
    for (const auto& [group, groupTopic] : topic.watchers())
        group->updateLag(groupTopic, partition);
}

sim::Nanos MqBroker::startFetch(Pending& p)
{
    MqFetchExchange& ex = *p.fetch;
    const MqCostModel& cost = m_config.cost;
    MqConsumerGroup* g = findGroup(ex.group);
    if (!g) {
        p.response.error = MqError::UnknownMember;
        return cost.groupOp;
    }
    p.response.error = g->check(ex.memberId, ex.generation, ex.assignment);
    p.response.generation = g->generation();
    if (p.response.error != MqError::Ok)
        return cost.groupOp;

    const sim::Nanos now = m_world.now();
    int remaining = std::max(ex.maxRecords, 0);
    std::int64_t bytes = 0;
    std::int64_t read = 0;
    for (MqFetchPartition& fp : ex.partitions) {
        fp.next = fp.position;
        MqTopic* topic = findTopic(fp.topic);
        if (!topic || fp.partition < 0 || fp.partition >= topic->partitionCount())
            continue;
        MqPartitionLog& log = topic->partition(fp.partition);
        const std::int64_t hw = log.highWatermark(now);
        std::int64_t pos = fp.position;
        if (pos < 0) {
            pos = ex.reset == MqOffsetReset::Earliest ? log.logStart() : log.logEnd();
        } else if (pos < log.logStart() || pos > log.logEnd()) {
            // Out of range (retention deleted what this consumer had not read yet).
            const std::int64_t target = ex.reset == MqOffsetReset::Earliest ? log.logStart() : log.logEnd();
            const std::int64_t skipped = pos < log.logStart() ? target - pos : 0;
            if (m_offsetResets)
                m_offsetResets->add(static_cast<double>(skipped));
            m_world.events().raise("mq.offset_reset", topic->component(), v1::SEVERITY_WARNING,
                                   sim::strCat("group ", ex.group, " position ", pos, " of ", topic->name(), "/",
                                               fp.partition, " is outside the log [", log.logStart(), ", ",
                                               log.logEnd(), "): reset to ", toString(ex.reset), " (", target, ")"),
                                   {{"group", ex.group}, {"skipped", sim::strCat(skipped)}});
            pos = target;
        }
        const std::int64_t n = std::min<std::int64_t>(remaining, std::max<std::int64_t>(hw - pos, 0));
        for (std::int64_t o = pos; o < pos + n; ++o) {
            const MqRecord* r = log.at(o);
            assert(r && "offsets below the high watermark are in the log");
            ex.records.push_back(MqConsumerRecord{topic->name(), fp.partition, *r});
            ex.weight += r->weight;
            bytes += r->bytes();
        }
        fp.next = pos + n;
        read += n;
        remaining -= static_cast<int>(n);
    }
    return cost.fetchBase + read * cost.fetchPerRecord
        + static_cast<sim::Nanos>(static_cast<double>(bytes) * cost.fetchNsPerByte);
}

sim::Nanos MqBroker::startGroup(Pending& p)
{
    MqGroupExchange& ex = *p.group;
    const sim::Nanos cost = m_config.cost.groupOp;
    if (ex.op == MqGroupOp::Join) {
        MqConsumerGroup& g = group(ex.group);
        p.response.error = g.join(ex.memberId, ex.topics, ex.sessionTimeout, ex.assignor, ex.assignment);
        p.response.generation = g.generation();
        return cost;
    }
    MqConsumerGroup* g = findGroup(ex.group);
    if (!g) {
        p.response.error = MqError::UnknownMember;
        return cost;
    }
    switch (ex.op) {
    case MqGroupOp::Heartbeat:
        p.response.error = g->check(ex.memberId, ex.generation, ex.assignment);
        break;
    case MqGroupOp::Leave:
        p.response.error = g->leave(ex.memberId);
        break;
    case MqGroupOp::Commit:
        p.response.error = g->commit(ex.memberId, ex.generation, ex.commits);
        break;
    case MqGroupOp::Join:
        break;
    }
    p.response.generation = g->generation();
    return cost;
}

void MqBroker::finish(std::uint32_t slot, ServiceOutcome outcome)
{
    Pending& p = m_pending[slot];
    switch (outcome) {
    case ServiceOutcome::Ok:
        break;
    case ServiceOutcome::Rejected:
        p.response.error = MqError::Rejected;
        break;
    case ServiceOutcome::Down:
        p.response.error = MqError::Down;
        break;
    case ServiceOutcome::Error:
        p.response.error = MqError::BrokerError;
        break;
    }
    const sim::Delivery d = m_world.network().send(m_component, p.client);
    if (!d.delivered()) {
        p.response.lost = true;
        deliver(slot);
        return;
    }
    m_world.after(d.latency, m_responseKind, m_component, [this, slot] { deliver(slot); });
}

void MqBroker::deliver(std::uint32_t slot)
{
    Pending& p = m_pending[slot];
    if (p.op == Op::Fetch && !p.response.lost && p.response.error == MqError::Ok) {
        m_consumedTotal += p.fetch->weight;
        if (m_consumed)
            m_consumed->add(p.fetch->weight);
    }
    MqResponseFn done = std::move(p.done);
    const MqResponse response = p.response;
    p.produce = nullptr;
    p.fetch = nullptr;
    p.group = nullptr;
    m_freePending.push_back(slot);
    done(response);
}

// ---------------------------------------------------------------- direct access, retention

std::int64_t MqBroker::appendDirect(std::string_view topicName, int partition, MqMessage message)
{
    MqTopic* topic = topicForProduce(topicName);
    assert(topic && partition >= 0 && partition < topic->partitionCount());
    const sim::Nanos now = m_world.now();
    MqRecord r;
    r.key = std::move(message.key);
    r.value = std::move(message.value);
    r.headers = std::move(message.headers);
    r.timestamp = now;
    r.appendTime = now;
    r.visibleAt = now;
    r.weight = message.weight;
    const double weight = r.weight;
    const std::int64_t offset = topic->partition(partition).append(std::move(r));
    m_producedTotal += weight;
    if (m_produced)
        m_produced->add(weight);
    notifyAppend(*topic, partition);
    return offset;
}

MqTrimResult MqBroker::enforceRetention()
{
    MqTrimResult total;
    const sim::Nanos now = m_world.now();
    for (const auto& topic : m_topics) {
        const MqTrimResult r = topic->enforceRetention(now);
        if (r.records == 0)
            continue;
        total.records += r.records;
        total.weight += r.weight;
        for (int p = 0; p < topic->partitionCount(); ++p)
            notifyAppend(*topic, p);
    }
    if (m_retainedOut)
        m_retainedOut->add(total.weight);
    return total;
}

void MqBroker::scheduleRetention()
{
    if (m_config.retentionCheckInterval <= 0)
        return;
    m_world.after(m_config.retentionCheckInterval, m_retentionKind, m_component, [this] {
        enforceRetention();
        scheduleRetention();
    });
}

void MqBroker::inspect(sim::StateWriter& out) const
{
    m_service.inspect(out);
    out.add("topics", static_cast<std::int64_t>(m_topics.size()));
    out.add("groups", static_cast<std::int64_t>(m_groups.size()));
    out.add("produced", m_producedTotal);
    out.add("consumed", m_consumedTotal);
    out.add("duplicated", m_duplicatedTotal);
    out.add("lost", m_lostTotal);
    out.add("delayed", m_delayedTotal);
    for (const auto& g : m_groups)
        g->inspect(out);
}

} // namespace livedeck::infra

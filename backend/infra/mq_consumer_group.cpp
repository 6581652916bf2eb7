#include "backend/infra/mq_consumer_group.h"

#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_topic.h"

#include <algorithm>
#include <cassert>

namespace livedeck::infra {

namespace {
bool subscribes(const std::vector<std::string>& sortedTopics, std::string_view topic)
{
    return std::binary_search(sortedTopics.begin(), sortedTopics.end(), topic,
                              [](std::string_view a, std::string_view b) { return a < b; });
}
} // namespace

std::vector<int> MqConsumerGroup::assign(MqAssignor assignor, const std::vector<std::vector<std::string>>& subscriptions,
                                         const std::vector<std::pair<std::string, int>>& topics)
{
    std::size_t total = 0;
    for (const auto& t : topics)
        total += static_cast<std::size_t>(std::max(t.second, 0));
    std::vector<int> owners(total, -1);
    const int members = static_cast<int>(subscriptions.size());
    if (members == 0)
        return owners;
    if (assignor == MqAssignor::Range) {
        // Kafka's RangeAssignor: per topic, contiguous ranges; the first (n mod k)
        // subscribed members take one partition more.
        std::size_t base = 0;
        std::vector<int> subscribed;
        for (const auto& [name, partitions] : topics) {
            subscribed.clear();
            for (int m = 0; m < members; ++m) {
                if (subscribes(subscriptions[static_cast<std::size_t>(m)], name))
                    subscribed.push_back(m);
            }
            const int k = static_cast<int>(subscribed.size());
            if (k > 0) {
                const int per = partitions / k;
                const int extra = partitions % k;
                int p = 0;
                for (int j = 0; j < k; ++j) {
                    const int count = per + (j < extra ? 1 : 0);
                    for (int c = 0; c < count; ++c)
                        owners[base + static_cast<std::size_t>(p++)] = subscribed[static_cast<std::size_t>(j)];
                }
                assert(p == partitions);
            }
            base += static_cast<std::size_t>(std::max(partitions, 0));
        }
        return owners;
    }
    // Kafka's RoundRobinAssignor: every (topic, partition) in order, handed to the next
    // member (circularly) that subscribes to its topic.
    int next = 0;
    std::size_t flat = 0;
    for (const auto& [name, partitions] : topics) {
        for (int p = 0; p < partitions; ++p, ++flat) {
            for (int tries = 0; tries < members; ++tries) {
                const int candidate = (next + tries) % members;
                if (subscribes(subscriptions[static_cast<std::size_t>(candidate)], name)) {
                    owners[flat] = candidate;
                    next = (candidate + 1) % members;
                    break;
                }
            }
        }
    }
    return owners;
}

MqConsumerGroup::MqConsumerGroup(MqBroker& broker, std::string name, telemetry::MetricsRegistry* metrics)
    : m_broker(broker),
      m_name(std::move(name)),
      m_metrics(metrics),
      m_expiryKind(broker.world().kind("mq.group.session"))
{
    if (m_metrics)
        m_totalLagGauge = &m_metrics->gauge("mq.group_lag", broker.path(), sim::strCat("group=", m_name));
}

MqConsumerGroup::Member* MqConsumerGroup::findMember(std::string_view id)
{
    for (Member& m : m_members) {
        if (m.id == id)
            return &m;
    }
    return nullptr;
}

const MqConsumerGroup::Member* MqConsumerGroup::findMember(std::string_view id) const
{
    for (const Member& m : m_members) {
        if (m.id == id)
            return &m;
    }
    return nullptr;
}

int MqConsumerGroup::topicIndex(std::string_view name) const
{
    for (std::size_t i = 0; i < m_topics.size(); ++i) {
        if (m_topics[i].name == name)
            return static_cast<int>(i);
    }
    return -1;
}

int MqConsumerGroup::ensureTopic(std::string_view name)
{
    int idx = topicIndex(name);
    if (idx >= 0)
        return idx;
    m_topics.push_back(GroupTopic{std::string(name), nullptr, {}});
    idx = static_cast<int>(m_topics.size() - 1);
    if (MqTopic* topic = m_broker.findTopic(name))
        attach(idx, *topic);
    return idx;
}

void MqConsumerGroup::attach(int groupTopic, MqTopic& topic)
{
    GroupTopic& gt = m_topics[static_cast<std::size_t>(groupTopic)];
    assert(!gt.topic);
    gt.topic = &topic;
    gt.parts.resize(static_cast<std::size_t>(topic.partitionCount()));
    if (m_metrics) {
        for (int p = 0; p < topic.partitionCount(); ++p) {
            const std::string labels = sim::strCat("group=", m_name, ",partition=", p, ",topic=", topic.name());
            Part& part = gt.parts[static_cast<std::size_t>(p)];
            part.lagGauge = &m_metrics->gauge("mq.consumer_lag", m_broker.path(), labels);
            part.lagOffsetsGauge = &m_metrics->gauge("mq.consumer_lag_offsets", m_broker.path(), labels);
        }
    }
    topic.addWatcher(this, groupTopic);
    for (int p = 0; p < topic.partitionCount(); ++p)
        updateLag(groupTopic, p);
}

void MqConsumerGroup::onTopicCreated(MqTopic& topic)
{
    const int idx = topicIndex(topic.name());
    if (idx < 0 || m_topics[static_cast<std::size_t>(idx)].topic)
        return;
    attach(idx, topic);
    for (const Member& m : m_members) {
        if (subscribes(m.topics, topic.name())) {
            rebalance(sim::strCat("topic ", topic.name(), " created"));
            return;
        }
    }
}

void MqConsumerGroup::touch(Member& member)
{
    member.lastSeen = m_broker.world().now();
}

void MqConsumerGroup::scheduleExpiry(std::uint64_t serial, sim::Nanos at)
{
    m_broker.world().at(at, m_expiryKind, m_broker.component(), [this, serial] { checkExpiry(serial); });
}

void MqConsumerGroup::checkExpiry(std::uint64_t serial)
{
    const auto it = std::find_if(m_members.begin(), m_members.end(), [serial](const Member& m) { return m.serial == serial; });
    if (it == m_members.end())
        return; // left or expired already
    const sim::Nanos deadline = it->lastSeen + it->sessionTimeout;
    if (deadline > m_broker.world().now()) {
        scheduleExpiry(serial, deadline);
        return;
    }
    const std::string id = it->id;
    m_members.erase(it);
    m_broker.world().events().raise("mq.member_expired", m_broker.component(), v1::SEVERITY_WARNING,
                                    sim::strCat("consumer ", id, " of group ", m_name,
                                                " missed its session timeout: its partitions are reassigned"),
                                    {{"group", m_name}, {"member", id}});
    rebalance(sim::strCat(id, " expired"));
}

MqError MqConsumerGroup::join(std::string_view memberId, const std::vector<std::string>& topics, sim::Nanos sessionTimeout,
                              MqAssignor assignor, std::vector<MqAssignedPartition>& assignment)
{
    std::vector<std::string> sorted = topics;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    for (const std::string& t : sorted)
        ensureTopic(t);
    Member* m = findMember(memberId);
    if (!m) {
        Member fresh;
        fresh.id = std::string(memberId);
        fresh.serial = m_nextSerial++;
        fresh.topics = std::move(sorted);
        fresh.sessionTimeout = std::max<sim::Nanos>(sessionTimeout, sim::kMillisecond);
        fresh.assignor = assignor;
        fresh.lastSeen = m_broker.world().now();
        const auto pos = std::lower_bound(m_members.begin(), m_members.end(), fresh.id,
                                          [](const Member& a, const std::string& id) { return a.id < id; });
        const std::uint64_t serial = fresh.serial;
        const sim::Nanos deadline = fresh.lastSeen + fresh.sessionTimeout;
        m_members.insert(pos, std::move(fresh));
        scheduleExpiry(serial, deadline);
        rebalance(sim::strCat(memberId, " joined"));
    } else {
        touch(*m);
        m->sessionTimeout = std::max<sim::Nanos>(sessionTimeout, sim::kMillisecond);
        if (m->topics != sorted) {
            m->topics = std::move(sorted);
            rebalance(sim::strCat(memberId, " changed its subscription"));
        }
    }
    fill(*findMember(memberId), assignment);
    return MqError::Ok;
}

MqError MqConsumerGroup::check(std::string_view memberId, std::uint64_t generation,
                               std::vector<MqAssignedPartition>& assignment)
{
    Member* m = findMember(memberId);
    if (!m)
        return MqError::UnknownMember;
    touch(*m);
    if (generation != m_generation) {
        fill(*m, assignment);
        return MqError::RebalanceInProgress;
    }
    return MqError::Ok;
}

MqError MqConsumerGroup::leave(std::string_view memberId)
{
    const auto it = std::find_if(m_members.begin(), m_members.end(), [memberId](const Member& m) { return m.id == memberId; });
    if (it == m_members.end())
        return MqError::UnknownMember;
    m_members.erase(it);
    rebalance(sim::strCat(memberId, " left"));
    return MqError::Ok;
}

MqError MqConsumerGroup::commit(std::string_view memberId, std::uint64_t fetchedGeneration,
                                const std::vector<MqOffsetCommit>& offsets)
{
    Member* m = findMember(memberId);
    if (!m)
        return MqError::UnknownMember;
    touch(*m);
    for (const MqOffsetCommit& c : offsets) {
        const int idx = topicIndex(c.topic);
        if (idx < 0)
            return MqError::NotOwner;
        const GroupTopic& gt = m_topics[static_cast<std::size_t>(idx)];
        if (c.partition < 0 || c.partition >= static_cast<int>(gt.parts.size()))
            return MqError::NotOwner;
        const Part& part = gt.parts[static_cast<std::size_t>(c.partition)];
        if (part.owner != m->serial || part.ownerSince > fetchedGeneration)
            return MqError::NotOwner;
    }
    for (const MqOffsetCommit& c : offsets) {
        assert(c.offset >= 0 && "a committed offset is the next offset to consume");
        const int idx = topicIndex(c.topic);
        m_topics[static_cast<std::size_t>(idx)].parts[static_cast<std::size_t>(c.partition)].committed = c.offset;
        updateLag(idx, c.partition);
    }
    return MqError::Ok;
}

void MqConsumerGroup::rebalance(std::string_view reason)
{
    ++m_generation;
    ++m_rebalances;
    // Subscribed topics the broker has, in name order.
    std::vector<int> order;
    for (std::size_t i = 0; i < m_topics.size(); ++i) {
        if (!m_topics[i].topic)
            continue;
        for (const Member& m : m_members) {
            if (subscribes(m.topics, m_topics[i].name)) {
                order.push_back(static_cast<int>(i));
                break;
            }
        }
    }
    std::sort(order.begin(), order.end(), [this](int a, int b) {
        return m_topics[static_cast<std::size_t>(a)].name < m_topics[static_cast<std::size_t>(b)].name;
    });
    std::vector<std::vector<std::string>> subscriptions;
    subscriptions.reserve(m_members.size());
    const Member* leader = nullptr;
    for (const Member& m : m_members) {
        subscriptions.push_back(m.topics);
        if (!leader || m.serial < leader->serial)
            leader = &m;
    }
    std::vector<std::pair<std::string, int>> topics;
    for (int idx : order) {
        const GroupTopic& gt = m_topics[static_cast<std::size_t>(idx)];
        topics.emplace_back(gt.name, static_cast<int>(gt.parts.size()));
    }
    const std::vector<int> owners = assign(leader ? leader->assignor : MqAssignor::Range, subscriptions, topics);

    for (Member& m : m_members)
        m.assigned.clear();
    std::vector<char> subscribed(m_topics.size(), 0);
    for (int idx : order)
        subscribed[static_cast<std::size_t>(idx)] = 1;
    for (std::size_t i = 0; i < m_topics.size(); ++i) {
        if (subscribed[i])
            continue;
        for (Part& part : m_topics[i].parts) { // nobody subscribes any more
            if (part.owner != 0) {
                part.owner = 0;
                part.ownerSince = m_generation;
            }
        }
    }
    std::size_t flat = 0;
    for (int idx : order) {
        GroupTopic& gt = m_topics[static_cast<std::size_t>(idx)];
        for (std::size_t p = 0; p < gt.parts.size(); ++p, ++flat) {
            const int owner = owners[flat];
            Part& part = gt.parts[p];
            const std::uint64_t serial = owner >= 0 ? m_members[static_cast<std::size_t>(owner)].serial : 0;
            if (serial != part.owner) {
                part.owner = serial;
                part.ownerSince = m_generation;
            }
            if (owner >= 0)
                m_members[static_cast<std::size_t>(owner)].assigned.emplace_back(idx, static_cast<int>(p));
        }
    }
    m_broker.world().events().raise("mq.rebalance", m_broker.component(), v1::SEVERITY_INFO,
                                    sim::strCat("group ", m_name, " rebalanced to generation ", m_generation, " (",
                                                reason, "): ", m_members.size(), " members"),
                                    {{"group", m_name}, {"generation", sim::strCat(m_generation)},
                                     {"members", sim::strCat(m_members.size())}});
}

void MqConsumerGroup::fill(const Member& member, std::vector<MqAssignedPartition>& out) const
{
    out.clear();
    for (const auto& [idx, p] : member.assigned) {
        const GroupTopic& gt = m_topics[static_cast<std::size_t>(idx)];
        const Part& part = gt.parts[static_cast<std::size_t>(p)];
        out.push_back(MqAssignedPartition{gt.topic->name(), p, part.committed, part.ownerSince});
    }
}

void MqConsumerGroup::updateLag(int groupTopic, int partition)
{
    GroupTopic& gt = m_topics[static_cast<std::size_t>(groupTopic)];
    if (!gt.topic)
        return;
    Part& part = gt.parts[static_cast<std::size_t>(partition)];
    const MqPartitionLog& log = gt.topic->partition(partition);
    const std::int64_t from = std::max(part.committed, log.logStart());
    const double lag = log.weightBetween(from, log.logEnd());
    if (part.lagGauge) {
        part.lagGauge->set(lag);
        part.lagOffsetsGauge->set(static_cast<double>(std::max<std::int64_t>(log.logEnd() - from, 0)));
    }
    m_totalLag += lag - part.lag;
    part.lag = lag;
    if (m_totalLagGauge)
        m_totalLagGauge->set(m_totalLag);
}

const MqConsumerGroup::Part* MqConsumerGroup::part(std::string_view topic, int partition) const
{
    const int idx = topicIndex(topic);
    if (idx < 0)
        return nullptr;
    const GroupTopic& gt = m_topics[static_cast<std::size_t>(idx)];
    if (partition < 0 || partition >= static_cast<int>(gt.parts.size()))
        return nullptr;
    return &gt.parts[static_cast<std::size_t>(partition)];
}

std::vector<std::string> MqConsumerGroup::members() const
{
    std::vector<std::string> out;
    for (const Member& m : m_members)
        out.push_back(m.id);
    return out;
}

std::vector<std::pair<std::string, int>> MqConsumerGroup::assignmentOf(std::string_view memberId) const
{
    std::vector<std::pair<std::string, int>> out;
    if (const Member* m = findMember(memberId)) {
        for (const auto& [idx, p] : m->assigned)
            out.emplace_back(m_topics[static_cast<std::size_t>(idx)].name, p);
    }
    return out;
}

std::int64_t MqConsumerGroup::committed(std::string_view topic, int partition) const
{
    const Part* p = part(topic, partition);
    return p ? p->committed : -1;
}

std::string MqConsumerGroup::owner(std::string_view topic, int partition) const
{
    const Part* p = part(topic, partition);
    if (!p || p->owner == 0)
        return {};
    for (const Member& m : m_members) {
        if (m.serial == p->owner)
            return m.id;
    }
    return {};
}

double MqConsumerGroup::lag(std::string_view topic, int partition) const
{
    const Part* p = part(topic, partition);
    return p ? p->lag : 0.0;
}

std::int64_t MqConsumerGroup::lagOffsets(std::string_view topic, int partition) const
{
    const int idx = topicIndex(topic);
    const Part* p = part(topic, partition);
    if (!p || !m_topics[static_cast<std::size_t>(idx)].topic)
        return 0;
    const MqPartitionLog& log = m_topics[static_cast<std::size_t>(idx)].topic->partition(partition);
    return std::max<std::int64_t>(log.logEnd() - std::max(p->committed, log.logStart()), 0);
}

void MqConsumerGroup::inspect(sim::StateWriter& out) const
{
    out.add(sim::strCat("group.", m_name),
            sim::strCat("generation=", m_generation, " members=", m_members.size(), " lag=", m_totalLag));
}

} // namespace livedeck::infra

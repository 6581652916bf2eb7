#include "backend/infra/mq_topic.h"

#include "backend/sim/strings.h"

#include <cassert>

namespace livedeck::infra {

MqTopic::MqTopic(std::string name, std::string path, sim::ComponentId component, MqTopicConfig config,
                 const sim::Clock& clock)
    : m_name(std::move(name)),
      m_path(std::move(path)),
      m_component(component),
      m_config(config),
      m_clock(clock),
      m_partitions(static_cast<std::size_t>(config.partitions))
{
    assert(config.partitions > 0);
}

MqTrimResult MqTopic::enforceRetention(sim::Nanos now)
{
    MqTrimResult total;
    for (MqPartitionLog& log : m_partitions) {
        if (m_config.retentionTime > 0) {
            const MqTrimResult r = log.trimOlderThan(now, now - m_config.retentionTime);
            total.records += r.records;
            total.weight += r.weight;
        }
        if (m_config.retentionBytes >= 0.0) {
            const MqTrimResult r = log.trimToWeightedBytes(now, m_config.retentionBytes);
            total.records += r.records;
            total.weight += r.weight;
        }
    }
    return total;
}

void MqTopic::addWatcher(MqConsumerGroup* group, int groupTopicIndex)
{
    m_watchers.emplace_back(group, groupTopicIndex);
}

void MqTopic::inspect(sim::StateWriter& out) const
{
    out.add("partitions", partitionCount());
    out.add("retention_s", sim::toSeconds(m_config.retentionTime));
    std::int64_t records = 0;
    for (int p = 0; p < partitionCount(); ++p) {
        const MqPartitionLog& log = partition(p);
        records += log.size();
        const std::int64_t hw = log.peekHighWatermark(m_clock.now());
        out.add(sim::strCat("p", p), sim::strCat("start=", log.logStart(), " hw=", hw, " end=", log.logEnd()));
    }
    out.add("records", records);
}

} // namespace livedeck::infra

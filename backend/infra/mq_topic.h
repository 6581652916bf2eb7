// MqTopic: one topic of a broker — its partitions (append-only logs) and retention
// settings. Registered as a component under the broker ("sh-a/gifts/mq/settlement",
// kind "mq-topic"), so a fault can target one topic (mq-loss on that path) or the whole
// broker (its path is a prefix of every topic's path), and the inspector shows each
// partition's log start, high watermark and end.
//
// Defaults: 168 h time retention (Kafka's log.retention.hours); no size limit
// (Kafka's retention.bytes = -1), which is per partition, in weighted bytes.
// Owned by its MqBroker; single-threaded (the world's thread).
#pragma once

#include "backend/infra/mq_partition_log.h"
#include "backend/sim/components.h"
#include "backend/sim/time.h"

#include <string>
#include <utility>
#include <vector>

namespace livedeck::infra {

class MqConsumerGroup;

struct MqTopicConfig {
    int partitions = 1;
    sim::Nanos retentionTime = 168 * sim::kHour; // <= 0: no time limit
    double retentionBytes = -1.0;                // per partition, weighted; < 0: no size limit
};

class MqTopic final : public sim::Inspectable {
public:
    MqTopic(std::string name, std::string path, sim::ComponentId component, MqTopicConfig config,
            const sim::Clock& clock);

    const std::string& name() const { return m_name; }
    const std::string& path() const { return m_path; }
    sim::ComponentId component() const { return m_component; }
    const MqTopicConfig& config() const { return m_config; }
    int partitionCount() const { return static_cast<int>(m_partitions.size()); }
    MqPartitionLog& partition(int p) { return m_partitions[static_cast<std::size_t>(p)]; }
    const MqPartitionLog& partition(int p) const { return m_partitions[static_cast<std::size_t>(p)]; }

    // Applies retention at `now` to every partition.
    MqTrimResult enforceRetention(sim::Nanos now);

    // Consumer groups that track this topic's lag (told about appends and trims).
    void addWatcher(MqConsumerGroup* group, int groupTopicIndex);
    const std::vector<std::pair<MqConsumerGroup*, int>>& watchers() const { return m_watchers; }

    void inspect(sim::StateWriter& out) const override;

private:
    std::string m_name;
    std::string m_path;
    sim::ComponentId m_component;
    MqTopicConfig m_config;
    const sim::Clock& m_clock;
    std::vector<MqPartitionLog> m_partitions;
    std::vector<std::pair<MqConsumerGroup*, int>> m_watchers;
};

} // namespace livedeck::infra

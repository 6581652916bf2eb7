#include "backend/infra/raft_cluster.h"

#include "backend/sim/strings.h"

namespace livedeck::infra {

RaftClusterConfig RaftClusterConfig::fiveNodes()
{
    RaftClusterConfig c;
    c.regions = {"sh-a", "sh-b", "gz", "sh-a", "sh-b"};
    return c;
}

RaftCluster::RaftCluster(sim::World& world, RaftClusterConfig config, telemetry::MetricsRegistry* metrics)
    : m_world(world), m_config(std::move(config)), m_metrics(metrics), m_transport(world)
{
    LIVEDECK_RAFT_ASSERT(!m_config.regions.empty());
    LIVEDECK_RAFT_ASSERT(m_config.raft.electionTimeoutMin > 0
                         && m_config.raft.electionTimeoutMax > m_config.raft.electionTimeoutMin);
    LIVEDECK_RAFT_ASSERT(m_config.raft.heartbeatInterval > 0 && m_config.raft.maxBatch > 0);
    if (m_metrics) {
        const std::string labels = sim::strCat("cluster=", m_config.name);
        m_commitsCounter = &m_metrics->counter("raft.commits", {}, labels);
        m_electionsCounter = &m_metrics->counter("raft.elections", {}, labels);
        m_leaderChangesCounter = &m_metrics->counter("raft.leader_changes", {}, labels);
        m_termGauge = &m_metrics->gauge("raft.term", {}, labels);
        m_commitGauge = &m_metrics->gauge("raft.commit_index", {}, labels);
    }
    for (std::size_t i = 0; i < m_config.regions.size(); ++i) {
        const std::string path = sim::strCat(m_config.regions[i], "/infra/", m_config.name, "/", i);
        const sim::ComponentId id = m_world.components().mustAdd(path, "raft-node");
        m_components.push_back(id);
        m_preferred.push_back(!m_config.affinity.region.empty() && m_config.regions[i] == m_config.affinity.region);
    }
    for (std::size_t i = 0; i < m_components.size(); ++i) {
        m_nodes.push_back(std::make_unique<RaftNode>(*this, static_cast<int>(i), m_components[i]));
        m_world.components().setInspectable(m_components[i], m_nodes.back().get());
    }
    m_alive = std::make_shared<Alive>(Alive{this});
    std::shared_ptr<Alive> alive = m_alive;
    m_world.faults().addListener([alive](const sim::Fault& fault, bool) {
        if (alive->cluster && fault.kind == v1::FAULT_DOWN)
            alive->cluster->syncFaults();
    });
    for (auto& n : m_nodes) {
        if (!m_world.faults().isDown(n->path()))
            n->start();
    }
}

RaftCluster::~RaftCluster()
{
    m_alive->cluster = nullptr;
    for (sim::ComponentId id : m_components)
        m_world.components().setInspectable(id, nullptr);
}

int RaftCluster::indexOf(sim::ComponentId component) const
{
    for (std::size_t i = 0; i < m_components.size(); ++i) {
        if (m_components[i] == component)
            return static_cast<int>(i);
    }
    return -1;
}

int RaftCluster::leader() const
{
    int best = -1;
    for (const auto& n : m_nodes) {
        if (n->isLeader() && (best < 0 || n->term() > m_nodes[static_cast<std::size_t>(best)]->term()))
            best = n->index();
    }
    return best;
}

std::uint64_t RaftCluster::maxTerm() const
{
    std::uint64_t t = 0;
    for (const auto& n : m_nodes)
        t = std::max(t, n->term());
    return t;
}

void RaftCluster::syncFaults()
{
    for (auto& n : m_nodes) {
        const bool down = m_world.faults().isDown(n->path());
        if (down && !n->crashed())
            n->crash();
        else if (!down && n->crashed())
            n->restart();
    }
}

void RaftCluster::noteElectionStarted(int, std::uint64_t term)
{
    ++m_elections;
    if (m_electionsCounter)
        m_electionsCounter->add();
    if (m_termGauge && static_cast<double>(term) > m_termGauge->value())
        m_termGauge->set(static_cast<double>(term));
}

void RaftCluster::noteLeader(int node, std::uint64_t term)
{
    const auto [it, inserted] = m_leadersByTerm.emplace(term, node);
    if (!inserted && it->second != node) {
        ++m_violations;
        m_world.events().raise("raft.violation", m_components[static_cast<std::size_t>(node)], v1::SEVERITY_VIOLATION,
                               sim::strCat("two leaders in term ", term, ": ",
                                           m_nodes[static_cast<std::size_t>(it->second)]->path(), " and ",
                                           m_nodes[static_cast<std::size_t>(node)]->path()),
                               {{"term", sim::strCat(term)}, {"seed", sim::strCat(m_world.seed())}});
    }
    if (node != m_lastLeader) {
        ++m_leaderChanges;
        if (m_leaderChangesCounter)
            m_leaderChangesCounter->add();
        m_lastLeader = node;
    }
    if (m_termGauge && static_cast<double>(term) > m_termGauge->value())
        m_termGauge->set(static_cast<double>(term));
}

void RaftCluster::noteCommitted(int node, std::uint64_t index, std::uint64_t term)
{
    if (index <= m_committed)
        return;
    if (m_commitsCounter)
        m_commitsCounter->add(static_cast<double>(index - m_committed));
    m_committed = index;
    if (m_commitGauge)
        m_commitGauge->set(static_cast<double>(index));
    const std::uint64_t rec[3] = {static_cast<std::uint64_t>(node), index, term};
    m_world.trace().mixBytes(rec, sizeof rec);
}

} // namespace livedeck::infra

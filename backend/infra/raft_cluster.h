// RaftCluster: one Raft KV group (Taishan stand-in, docs/GIFTS.md) placed across the world's
// regions — by default three nodes "sh-a/infra/taishan/0", "sh-b/infra/taishan/1",
// "gz/infra/taishan/2" (one per region of the default topology, so any single region
// can fail and a majority survives; with five nodes the extra two go to sh-a and sh-b).
//
// Owns the nodes and the transport between them and their clients. Crashes come from
// the fault registry: a node whose path is down (a "down" fault on it, its region...)
// crashes at the fault's activation — volatile state lost — and restarts when no
// down fault covers it any more, with its persistent state (term, vote, log,
// snapshot) intact.
//
// Also keeps the record used to check election safety: the leader of every term seen
// (leadersByTerm); a second leader in one term is a broken invariant, counted and
// raised as a "raft.violation" event (it never happens; tests assert it).
//
// Leader affinity (opt-in, RaftClusterConfig::affinity; off by default): the nodes of
// one region are preferred leaders — TiKV's leader placement by label (PD's leader
// scheduling, docs/MESSAGING.md), etcd's leadership transfer. A leader outside that
// region hands its role to a preferred follower that answers it and is caught up
// (RaftNode: TimeoutNow); a preferred node that is down or lagging leaves
// leadership where it is.
//
// Metrics (optional registry; labels "cluster=<name>"): raft.commits (entries
// committed, cluster-wide), raft.elections (elections started), raft.leader_changes,
// raft.term and raft.commit_index gauges. Single-threaded (the world's thread).
#pragma once

#include "backend/infra/raft_node.h"
#include "backend/infra/raft_transport.h"
#include "backend/infra/raft_types.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::infra {

// Where the group wants its leader. Off while `region` is empty. Sources:
// - maxLogLag 128: TiKV raftstore's leader-transfer-max-log-lag (a transfer to a
//   follower more than 128 entries behind the leader's last index is refused: it would
//   block writes while the follower catches up);
// - the transfer itself is etcd raft's (MsgTransferLeader / MsgTimeoutNow): the leader
//   stops taking writes, brings the target's log to its last index, sends it
//   TimeoutNow; the target campaigns at once (no pre-vote) and voters set aside their
//   leader lease for that vote; the attempt is abandoned after an election timeout
//   (electionTimeoutMin) and writes resume;
// - retryAfter 1 s (ours): a leader whose transfer was abandoned waits this long
//   before it tries again, so a target that keeps failing does not keep blocking writes;
// - contactWithin 100 ms (ours, two heartbeat intervals): a target must have answered
//   the leader this recently — a node that is down or cut off is never chosen.
struct RaftLeaderAffinity {
    std::string region; // preferred leaders: the nodes placed in this region; "" = off
    std::uint64_t maxLogLag = 128;
    sim::Nanos retryAfter = sim::kSecond;
    sim::Nanos contactWithin = 100 * sim::kMillisecond;
};

struct RaftClusterConfig {
    std::string name = "taishan";
    // One node per entry, placed in that region: node i is "<regions[i]>/infra/<name>/<i>".
    std::vector<std::string> regions = {"sh-a", "sh-b", "gz"};
    RaftConfig raft;
    RaftLeaderAffinity affinity;

    // The default topology's five-node layout: two in each Shanghai region, one in gz.
    static RaftClusterConfig fiveNodes();
};

class RaftCluster {
public:
    RaftCluster(sim::World& world, RaftClusterConfig config = {}, telemetry::MetricsRegistry* metrics = nullptr);
    ~RaftCluster();
    RaftCluster(const RaftCluster&) = delete;
    RaftCluster& operator=(const RaftCluster&) = delete;

    sim::World& world() { return m_world; }
    const RaftClusterConfig& config() const { return m_config; }
    const RaftConfig& raftConfig() const { return m_config.raft; }
    RaftTransport& transport() { return m_transport; }
    telemetry::MetricsRegistry* metrics() { return m_metrics; }

    std::size_t size() const { return m_nodes.size(); }
    int majority() const { return static_cast<int>(m_nodes.size() / 2 + 1); }
    RaftNode& node(std::size_t i) { return *m_nodes[i]; }
    const RaftNode& node(std::size_t i) const { return *m_nodes[i]; }
    // Node index of a component, -1 when it is not a node of this cluster.
    int indexOf(sim::ComponentId component) const;

    // Leader affinity: on, and whether node `i` is a preferred leader.
    bool affinityOn() const { return !m_config.affinity.region.empty(); }
    bool preferredLeader(int i) const { return m_preferred[static_cast<std::size_t>(i)] != 0; }
    const RaftLeaderAffinity& affinity() const { return m_config.affinity; }
    // Leadership transfers started (TimeoutNow sent) and completed (the target won).
    std::uint64_t transfersStarted() const { return m_transfersStarted; }
    std::uint64_t transfersCompleted() const { return m_transfersCompleted; }

    // The node that is leader in the highest term among live nodes, -1 when none.
    int leader() const;
    std::uint64_t maxTerm() const;
    // Highest commit index any node has reached.
    std::uint64_t committed() const { return m_committed; }
    std::uint64_t elections() const { return m_elections; }
    std::uint64_t leaderChanges() const { return m_leaderChanges; }
    const std::map<std::uint64_t, int>& leadersByTerm() const { return m_leadersByTerm; }
    std::uint64_t safetyViolations() const { return m_violations; }
    std::uint64_t nextClientId() { return m_nextClientId++; }

    // Crashes / restarts nodes to match the fault registry (called on every down fault
    // change; safe to call any time).
    void syncFaults();

    // Called by nodes.
    void noteElectionStarted(int node, std::uint64_t term);
    void noteLeader(int node, std::uint64_t term);
    void noteCommitted(int node, std::uint64_t index, std::uint64_t term);
    void noteTransferStarted() { ++m_transfersStarted; }
    void noteTransferCompleted() { ++m_transfersCompleted; }

private:
    struct Alive {
        RaftCluster* cluster;
    };

    sim::World& m_world;
    RaftClusterConfig m_config;
    telemetry::MetricsRegistry* m_metrics;
    RaftTransport m_transport;
    std::vector<std::unique_ptr<RaftNode>> m_nodes;
    std::vector<sim::ComponentId> m_components;
    std::vector<char> m_preferred; // per node: placed in the affinity region
    std::uint64_t m_transfersStarted = 0;
    std::uint64_t m_transfersCompleted = 0;
    std::shared_ptr<Alive> m_alive; // the fault listener outlives us; it checks this
    std::map<std::uint64_t, int> m_leadersByTerm;
    std::uint64_t m_committed = 0;
    std::uint64_t m_elections = 0;
    std::uint64_t m_leaderChanges = 0;
    std::uint64_t m_violations = 0;
    std::uint64_t m_nextClientId = 1;
    int m_lastLeader = -1;
    telemetry::Counter* m_commitsCounter = nullptr;
    telemetry::Counter* m_electionsCounter = nullptr;
    telemetry::Counter* m_leaderChangesCounter = nullptr;
    telemetry::Gauge* m_termGauge = nullptr;
    telemetry::Gauge* m_commitGauge = nullptr;
};

} // namespace livedeck::infra

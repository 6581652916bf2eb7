// RaftNode: one server of a Raft group (Ongaro & Ousterhout, "In Search of an
// Understandable Consensus Algorithm", extended version, Figure 2), a component of the
// world such as "sh-b/infra/taishan/1".
//
// What it implements:
// - Persistent state: currentTerm, votedFor, the log (RaftLog) and the latest
//   snapshot. "Persisted" means kept in memory across a crash; everything else
//   (role, commitIndex, lastApplied, the state machine, leader bookkeeping, pending
//   client requests) is lost when the node goes down and rebuilt on restart from the
//   snapshot and the log.
// - Elections with randomized timeouts on the world's scheduler (draws from the
//   node's own stream), RequestVote with the up-to-date log check (§5.4.1), and
//   pre-vote (dissertation §9.6) so a node coming back from a partition cannot disrupt
//   a healthy leader; a node that heard from a leader within the minimum election
//   timeout ignores votes (dissertation §4.2.3).
// - Log replication with the prevLogIndex/prevLogTerm consistency check, conflict
//   truncation and the conflict-term hint for fast backtracking; one AppendEntries in
//   flight per follower (batches of up to maxBatch entries), resent when unanswered.
// - Commit only of entries of the leader's own term counted on a majority (§5.4.2); a
//   new leader appends a no-op to commit its term (§8).
// - Heartbeats every heartbeatInterval; check-quorum: a leader that has not heard from
//   a majority for quorumStaleAfter refuses new writes (NoQuorum), and after an
//   election timeout without a majority it steps down — so a partition's minority
//   side refuses writes.
// - Linearizable reads by ReadIndex (dissertation §6.4): the leader records its commit
//   index (once an entry of its term has committed), confirms it is still leader by a
//   heartbeat round acknowledged by a majority, waits until it has applied that
//   index, then answers from its state machine. Reads never enter the log. Rounds are
//   coalesced: at most one is outstanding; reads arriving meanwhile share the next.
// - Follower reads (a client request marked followerRead, RaftReadMode::Random): a
//   follower that knows a leader sends it a ReadIndex request; the leader treats it as
//   a read of its own (commit index of its term, confirmed by a majority round) and
//   answers the index instead of a value; the follower answers its client from its own
//   state machine once it has applied that index (TiKV/etcd follower read). A leader
//   that loses its role answers NotLeader, which the follower passes on. Follower reads
//   whose read index has not come back within two maximum election timeouts are
//   dropped (their clients have long timed out).
// - Snapshots: after snapshotThreshold applied entries the node copies its state
//   machine and compacts its log (keeping snapshotTrailing entries); a follower that
//   is too far behind receives the snapshot (InstallSnapshot).
// - With RaftConfig::serviceModel, client requests are served through a ServiceQueue
//   (component = the node, metrics raft.requests/.rejected/.errors/.latency/.queue/
//   .inflight): a request is handled when its service completes (RaftConfig's cost
//   model), so overload queues and then turns requests away (Unavailable, definite);
//   latency, slow-disk and error-rate faults on the node's path apply to every request.
//   Requests in the queue or in service when the node crashes die with it (their
//   clients time out). Without it (the default) requests are handled on arrival.
// - Lease time: every entry carries its leader's clock (world time plus any clock-skew
//   fault on the leader) when proposed; the state machine's time is the largest such
//   timestamp applied (RaftKvStore).
//
// - Leadership transfer (etcd raft's, dissertation §3.10), driven by the cluster's leader
//   affinity (RaftLeaderAffinity, off by default): on each heartbeat tick, and whenever a
//   preferred follower acknowledges entries, a leader outside the preferred region looks
//   for a preferred follower that answered within contactWithin, has acknowledged an
//   entry of this term and is at most maxLogLag entries behind. It then stops taking writes (Unavailable: the client retries),
//   replicates to the target until its log matches the leader's last index and sends it
//   TimeoutNow; the target campaigns at once (no pre-vote) with a RequestVote marked
//   leaderTransfer, which voters — the old leader included — consider despite their
//   leader lease. The old leader steps down on the higher term. Election safety is
//   Raft's own: the target still needs a majority of votes for an up-to-date log. A
//   transfer not completed within electionTimeoutMin is abandoned (writes resume) and
//   retried after retryAfter.
//
// Events: "raft.leader" (elected), "raft.step_down" (a leader lost its role: higher
// term or no quorum), "raft.transfer" (a leader starts handing its role to a preferred
// node), "raft.transfer_abandoned", "raft.crash" / "raft.restart". Single-threaded (the world's
// thread). Owned by RaftCluster.
#pragma once

#include "backend/infra/raft_kv_store.h"
#include "backend/infra/raft_log.h"
#include "backend/infra/raft_transport.h"
#include "backend/infra/service_queue.h"
#include "backend/sim/world.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::infra {

class RaftCluster;

class RaftNode final : public RaftEndpoint, public sim::Inspectable {
public:
    RaftNode(RaftCluster& cluster, int index, sim::ComponentId component);
    ~RaftNode() override;
    RaftNode(const RaftNode&) = delete;
    RaftNode& operator=(const RaftNode&) = delete;

    int index() const { return m_index; }
    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }

    RaftRole role() const { return m_role; }
    bool isLeader() const { return !m_crashed && m_role == RaftRole::Leader; }
    std::uint64_t term() const { return m_term; }
    int votedFor() const { return m_votedFor; }
    int leaderHint() const { return m_leader; }
    std::uint64_t commitIndex() const { return m_commit; }
    std::uint64_t lastApplied() const { return m_applied; }
    const RaftLog& log() const { return m_log; }
    const RaftKvStore& store() const { return m_store; }
    const RaftSnapshot* snapshot() const { return m_snapshot.get(); }
    bool crashed() const { return m_crashed; }
    std::size_t pendingWrites() const { return m_writes.size(); }
    std::size_t pendingReads() const { return m_reads.size(); }
    std::uint64_t snapshotsTaken() const { return m_snapshotsTaken; }
    std::uint64_t snapshotsInstalled() const { return m_snapshotsInstalled; }
    std::uint64_t noQuorumRefusals() const { return m_noQuorumRefusals; }
    std::size_t pendingFollowerReads() const { return m_followerReads.size(); }
    std::uint64_t followerReadsServed() const { return m_followerReadsServed; }
    // Follower reads whose read index arrived before this node had applied it (they waited).
    std::uint64_t followerReadsWaited() const { return m_followerReadsWaited; }
    std::uint64_t readIndexesServed() const { return m_readIndexesServed; } // as leader, for followers
    // Leadership transfer: the node this leader is handing its role to (-1 = none), and
    // the writes it turned away meanwhile.
    int transferTarget() const { return m_transferTarget; }
    std::uint64_t transferRefusals() const { return m_transferRefusals; }
    const ServiceQueue* service() const { return m_service.get(); } // null without serviceModel

    void inspect(sim::StateWriter& out) const override;
    void receive(RaftMessage& message) override;

    // Lifecycle, driven by RaftCluster from the fault registry.
    void start();
    void crash();
    void restart();

private:
    struct Peer {
        std::uint64_t next = 1;
        std::uint64_t match = 0;
        bool inflight = false;       // an AppendEntries / InstallSnapshot awaits its answer
        sim::Nanos sentAt = 0;
        std::uint64_t sendId = 0;    // of the outstanding message
        sim::Nanos lastContact = 0;  // last reply of the current term
        std::uint64_t ackedRound = 0;
    };
    struct PendingWrite {
        std::uint64_t index;
        sim::ComponentId client;
        std::uint64_t requestId;
        std::uint32_t attempt;
    };
    // A client request from its arrival until its service completes.
    struct Intake {
        sim::ComponentId client = sim::kNoComponent;
        std::uint64_t requestId = 0;
        std::uint32_t attempt = 0;
        RaftOp op = RaftOp::Noop;
        std::string key;                            // reads
        std::shared_ptr<const RaftCommand> command; // writes
        std::uint64_t incarnation = 0;              // the node's, when it arrived
        bool followerRead = false;                  // a read any replica may serve
    };
    struct PendingRead {
        std::uint64_t readIndex; // 0 until an entry of this term has committed
        std::uint64_t round;
        sim::ComponentId client;
        std::uint64_t requestId;
        std::uint32_t attempt;
        RaftOp op;
        std::string key;
        bool forwarded = false; // a follower's ReadIndex request: answer the index, not a value
    };
    // A read this follower serves once the leader's read index is applied here.
    struct FollowerRead {
        std::uint64_t id = 0;        // our ReadIndex request's id
        std::uint64_t readIndex = 0; // 0 until the leader answered
        sim::Nanos asked = 0;
        sim::ComponentId client = sim::kNoComponent;
        std::uint64_t requestId = 0;
        std::uint32_t attempt = 0;
        RaftOp op = RaftOp::Get;
        std::string key;
    };

    // Roles
    void becomeFollower(std::uint64_t term, int leader, const char* reason = "saw a higher term");
    void becomePreCandidate();
    void becomeCandidate(bool transfer = false);
    void becomeLeader();
    void stepDown(const char* reason);
    void failPending();
    void acceptLeader(std::uint64_t term, int leader);
    void noteLeader(int leader);
    bool inLeaderLease() const;
    bool hasQuorumContact(sim::Nanos window) const;
    bool recordVote(int from);

    // Timers
    void drawElectionTimeout();
    void armElectionTimer();
    void onElectionTimer(std::uint64_t incarnation);
    void onHeartbeatTick(std::uint64_t incarnation);

    // Messages
    void handlePreVote(const RaftMessage& m, int from);
    void handlePreVoteReply(const RaftMessage& m, int from);
    void handleRequestVote(const RaftMessage& m, int from);
    void handleRequestVoteReply(const RaftMessage& m, int from);
    void handleAppendEntries(const RaftMessage& m, int from);
    void handleAppendEntriesReply(const RaftMessage& m, int from);
    void handleHeartbeat(const RaftMessage& m, int from);
    void handleHeartbeatReply(const RaftMessage& m, int from);
    void handleInstallSnapshot(const RaftMessage& m, int from);
    void handleInstallSnapshotReply(const RaftMessage& m, int from);
    void admitClientRequest(const RaftMessage& m);
    sim::Nanos requestCost(std::uint32_t slot) const;
    void serveClientRequest(std::uint32_t slot, ServiceOutcome outcome);
    void handleClientRequest(Intake& m);
    void queueRead(PendingRead read);
    void startFollowerRead(Intake& m);
    void handleReadIndex(const RaftMessage& m, int from);
    void handleReadIndexReply(const RaftMessage& m);
    void serveFollowerReads();
    void replyReadIndex(sim::ComponentId follower, std::uint64_t id, RaftStatus status, std::uint64_t index);
    void broadcastVote(RaftMsgType type, std::uint64_t term, bool transfer = false);

    // Leadership transfer (leader affinity)
    void checkLeaderAffinity();
    void maybeTransferTo(int peer);
    void sendTimeoutNow();
    void endTransfer();
    void handleTimeoutNow(const RaftMessage& m, int from);

    // Leader replication
    void replicateTo(int peer);
    void sendHeartbeat(int peer);
    void replicateAll();
    void advanceCommit();
    void startRound();
    bool roundAcked(std::uint64_t round) const;
    void processReads();
    sim::Nanos leaderClock() const;

    // Commit and apply
    void commitTo(std::uint64_t index);
    void applyCommitted();
    void maybeSnapshot();
    void replyToClient(sim::ComponentId client, std::uint64_t requestId, std::uint32_t attempt, RaftOp op,
                       const RaftResult& result, bool followerRead = false);
    void replyStatus(sim::ComponentId client, std::uint64_t requestId, std::uint32_t attempt, RaftOp op,
                     RaftStatus status, int hint);

    RaftCluster& m_cluster;
    sim::World& m_world;
    RaftTransport& m_transport;
    const RaftConfig& m_config;
    const int m_index;
    const sim::ComponentId m_component;
    const std::string m_path;
    sim::RandomStream m_rng;
    sim::EventKindId m_electionKind;
    sim::EventKindId m_heartbeatKind;

    // Persistent state (survives crashes)
    std::uint64_t m_term = 0;
    int m_votedFor = -1;
    RaftLog m_log;
    std::shared_ptr<const RaftSnapshot> m_snapshot;

    // Volatile state
    bool m_crashed = true; // until start()
    std::uint64_t m_incarnation = 0;
    RaftRole m_role = RaftRole::Follower;
    int m_leader = -1;
    std::uint64_t m_commit = 0;
    std::uint64_t m_applied = 0;
    RaftKvStore m_store;
    sim::Nanos m_electionTimeout = 0;
    sim::Nanos m_electionDeadline = sim::kNever;
    sim::Nanos m_electionTimerAt = sim::kNever;
    sim::EventHandle m_electionTimer;
    sim::EventHandle m_heartbeatTimer;
    sim::Nanos m_lastLeaderContact = 0;
    std::vector<char> m_votes;
    int m_voteCount = 0;

    // Leader state
    std::vector<Peer> m_peers;
    sim::Nanos m_leaderSince = 0;
    std::uint64_t m_round = 0;
    bool m_roundOutstanding = false;
    bool m_roundWanted = false;
    std::deque<PendingWrite> m_writes;
    std::deque<PendingRead> m_reads;
    // Follower reads (any role; volatile).
    std::deque<FollowerRead> m_followerReads;
    std::uint64_t m_nextFollowerRead = 1;
    std::uint64_t m_followerReadsServed = 0;
    std::uint64_t m_followerReadsWaited = 0;
    std::uint64_t m_readIndexesServed = 0;
    std::vector<std::uint64_t> m_matchScratch;
    // Leadership transfer (leader state, volatile).
    std::uint64_t m_termStart = 0;      // index of this leader's no-op
    int m_transferTarget = -1;
    bool m_timeoutNowSent = false;
    sim::Nanos m_transferDeadline = 0;
    sim::Nanos m_transferRetryAt = 0;
    std::uint64_t m_transferRefusals = 0;
    bool m_campaignByTransfer = false;  // candidate: campaigning because of TimeoutNow

    // Client requests in the service queue (slots reused: no allocation per request).
    std::unique_ptr<ServiceQueue> m_service;
    std::vector<Intake> m_intake;
    std::vector<std::uint32_t> m_freeIntake;

    std::uint64_t m_snapshotsTaken = 0;
    std::uint64_t m_snapshotsInstalled = 0;
    std::uint64_t m_noQuorumRefusals = 0;
};

} // namespace livedeck::infra

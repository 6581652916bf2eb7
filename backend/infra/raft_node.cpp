#include "backend/infra/raft_node.h"

#include "backend/infra/raft_cluster.h"
#include "backend/sim/strings.h"

#include <algorithm>

namespace livedeck::infra {

RaftNode::RaftNode(RaftCluster& cluster, int index, sim::ComponentId component)
    : m_cluster(cluster),
      m_world(cluster.world()),
      m_transport(cluster.transport()),
      m_config(cluster.raftConfig()),
      m_index(index),
      m_component(component),
      m_path(cluster.world().components().get(component).path),
      m_rng(cluster.world().stream(sim::strCat(m_path, "#raft"))),
      m_electionKind(cluster.world().kind("raft.election_timer")),
      m_heartbeatKind(cluster.world().kind("raft.heartbeat"))
{
    if (m_config.serviceModel) {
        m_service = std::make_unique<ServiceQueue>(
            cluster.world(), component,
            ServiceConfig{m_config.serviceConcurrency, m_config.serviceMaxQueue, m_config.serviceMaxWait,
                          m_config.serviceNoiseSigma, true},
            cluster.metrics(), "raft");
    }
    m_transport.attach(m_component, this);
}

RaftNode::~RaftNode()
{
    m_world.scheduler().cancel(m_electionTimer);
    m_world.scheduler().cancel(m_heartbeatTimer);
    m_transport.detach(m_component);
}

// ---------------------------------------------------------------- lifecycle

void RaftNode::start()
{
    LIVEDECK_RAFT_ASSERT(m_crashed);
    m_crashed = false;
    ++m_incarnation;
    // Volatile state is rebuilt from what was persisted: the snapshot, then the log
    // entries after it are re-applied as the leader tells us they are committed.
    if (m_snapshot) {
        m_store = m_snapshot->state;
        m_commit = m_applied = m_snapshot->index;
    } else {
        m_store = RaftKvStore{};
        m_commit = m_applied = 0;
    }
    LIVEDECK_RAFT_ASSERT(m_applied >= m_log.baseIndex());
    m_role = RaftRole::Follower;
    m_leader = -1;
    m_votes.assign(m_cluster.size(), 0);
    m_voteCount = 0;
    m_peers.assign(m_cluster.size(), Peer{});
    drawElectionTimeout();
    armElectionTimer();
}

void RaftNode::crash()
{
    if (m_crashed)
        return;
    m_world.events().raise("raft.crash", m_component, v1::SEVERITY_WARNING,
                           sim::strCat(m_path, " crashed as ", toString(m_role), " in term ", m_term),
                           {{"term", sim::strCat(m_term)}, {"role", toString(m_role)}});
    m_crashed = true;
    ++m_incarnation;
    m_world.scheduler().cancel(m_electionTimer);
    m_world.scheduler().cancel(m_heartbeatTimer);
    m_electionTimer = {};
    m_heartbeatTimer = {};
    m_electionTimerAt = sim::kNever;
    m_electionDeadline = sim::kNever;
    // Requests in progress die with the process: their clients time out and retry.
    m_writes.clear();
    m_reads.clear();
    m_followerReads.clear();
    m_role = RaftRole::Follower;
    m_leader = -1;
    m_store = RaftKvStore{};
    m_commit = m_applied = 0;
    m_roundOutstanding = m_roundWanted = false;
}

void RaftNode::restart()
{
    if (!m_crashed)
        return;
    start();
    m_world.events().raise("raft.restart", m_component, v1::SEVERITY_INFO,
                           sim::strCat(m_path, " restarted in term ", m_term, " with ", m_log.lastIndex(),
                                       " log entries"),
                           {{"term", sim::strCat(m_term)}, {"last_index", sim::strCat(m_log.lastIndex())}});
}

// ---------------------------------------------------------------- timers

void RaftNode::drawElectionTimeout()
{
    m_electionTimeout = m_rng.uniformRange(m_config.electionTimeoutMin, m_config.electionTimeoutMax - 1);
}

void RaftNode::armElectionTimer()
{
    const sim::Nanos now = m_world.now();
    m_electionDeadline = now + m_electionTimeout;
    if (m_world.scheduler().isPending(m_electionTimer)) {
        if (m_electionTimerAt <= m_electionDeadline)
            return; // fires first, sees the later deadline and re-arms itself
        m_world.scheduler().cancel(m_electionTimer);
    }
    const std::uint64_t inc = m_incarnation;
    m_electionTimerAt = m_electionDeadline;
    m_electionTimer = m_world.at(m_electionDeadline, m_electionKind, m_component, [this, inc] { onElectionTimer(inc); });
}

void RaftNode::onElectionTimer(std::uint64_t incarnation)
{
    if (incarnation != m_incarnation || m_crashed)
        return;
    m_electionTimer = {};
    m_electionTimerAt = sim::kNever;
    if (m_role == RaftRole::Leader)
        return;
    const sim::Nanos now = m_world.now();
    if (now < m_electionDeadline) {
        const std::uint64_t inc = m_incarnation;
        m_electionTimerAt = m_electionDeadline;
        m_electionTimer = m_world.at(m_electionDeadline, m_electionKind, m_component, [this, inc] { onElectionTimer(inc); });
        return;
    }
    if (m_config.preVote)
        becomePreCandidate();
    else
        becomeCandidate();
}

void RaftNode::onHeartbeatTick(std::uint64_t incarnation)
{
    if (incarnation != m_incarnation || m_crashed || m_role != RaftRole::Leader)
        return;
    m_heartbeatTimer = {};
    const sim::Nanos now = m_world.now();
    if (m_config.checkQuorum && now - m_leaderSince >= m_config.electionTimeoutMin
        && !hasQuorumContact(m_config.electionTimeoutMin)) {
        stepDown("no contact with a majority for an election timeout (check-quorum)");
        return;
    }
    if (m_cluster.affinityOn())
        checkLeaderAffinity();
    for (std::size_t i = 0; i < m_peers.size(); ++i) {
        if (static_cast<int>(i) == m_index)
            continue;
        Peer& p = m_peers[i];
        if (p.inflight && now - p.sentAt >= m_config.resendAfter)
            p.inflight = false; // presumed lost: resend
        if (!p.inflight && (p.next <= m_log.lastIndex() || p.match < m_log.lastIndex()))
            replicateTo(static_cast<int>(i));
        sendHeartbeat(static_cast<int>(i));
    }
    const std::uint64_t inc = m_incarnation;
    m_heartbeatTimer = m_world.after(m_config.heartbeatInterval, m_heartbeatKind, m_component,
                                     [this, inc] { onHeartbeatTick(inc); });
}

// ---------------------------------------------------------------- roles

void RaftNode::becomeFollower(std::uint64_t term, int leader, const char* reason)
{
    LIVEDECK_RAFT_ASSERT(term >= m_term);
    if (m_role == RaftRole::Leader) {
        m_world.events().raise("raft.step_down", m_component, v1::SEVERITY_WARNING,
                               sim::strCat(m_path, " stepped down in term ", m_term, ": ", reason),
                               {{"term", sim::strCat(m_term)}, {"new_term", sim::strCat(term)}, {"reason", reason}});
    }
    if (term > m_term) {
        m_term = term;
        m_votedFor = -1;
    }
    if (m_role == RaftRole::Leader) {
        m_world.scheduler().cancel(m_heartbeatTimer);
        m_heartbeatTimer = {};
        failPending();
        m_transferTarget = -1;
        m_timeoutNowSent = false;
    }
    m_campaignByTransfer = false;
    const bool wasFollower = m_role == RaftRole::Follower;
    m_role = RaftRole::Follower;
    m_leader = leader;
    if (!wasFollower)
        drawElectionTimeout();
    armElectionTimer();
}

void RaftNode::stepDown(const char* reason)
{
    LIVEDECK_RAFT_ASSERT(m_role == RaftRole::Leader);
    becomeFollower(m_term, -1, reason);
}

void RaftNode::failPending()
{
    // Entries not yet applied may still commit under a later leader: their outcome is
    // unknown (Interrupted), and clients retry with the same sequence number.
    while (!m_writes.empty()) {
        const PendingWrite w = m_writes.front();
        m_writes.pop_front();
        replyStatus(w.client, w.requestId, w.attempt, RaftOp::Noop, RaftStatus::Interrupted, -1);
    }
    // Reads have no effect: refusing them is definite.
    while (!m_reads.empty()) {
        const PendingRead& r = m_reads.front();
        if (r.forwarded)
            replyReadIndex(r.client, r.requestId, RaftStatus::NotLeader, 0);
        else
            replyStatus(r.client, r.requestId, r.attempt, r.op, RaftStatus::NotLeader, -1);
        m_reads.pop_front();
    }
    m_roundOutstanding = m_roundWanted = false;
}

void RaftNode::becomePreCandidate()
{
    m_campaignByTransfer = false;
    m_role = RaftRole::PreCandidate;
    m_leader = -1;
    std::fill(m_votes.begin(), m_votes.end(), 0);
    m_voteCount = 0;
    drawElectionTimeout();
    armElectionTimer();
    if (recordVote(m_index)) {
        becomeCandidate();
        return;
    }
    broadcastVote(RaftMsgType::PreVote, m_term + 1);
}

void RaftNode::becomeCandidate(bool transfer)
{
    ++m_term;
    m_votedFor = m_index;
    m_role = RaftRole::Candidate;
    m_campaignByTransfer = transfer;
    m_leader = -1;
    std::fill(m_votes.begin(), m_votes.end(), 0);
    m_voteCount = 0;
    m_cluster.noteElectionStarted(m_index, m_term);
    drawElectionTimeout();
    armElectionTimer();
    if (recordVote(m_index)) {
        becomeLeader();
        return;
    }
    broadcastVote(RaftMsgType::RequestVote, m_term, transfer);
}

void RaftNode::broadcastVote(RaftMsgType type, std::uint64_t term, bool transfer)
{
    for (std::size_t i = 0; i < m_cluster.size(); ++i) {
        if (static_cast<int>(i) == m_index)
            continue;
        RaftMessage& m = m_transport.create(type, m_component, m_cluster.node(i).component());
        m.term = term;
        m.lastLogIndex = m_log.lastIndex();
        m.lastLogTerm = m_log.lastTerm();
        m.leaderTransfer = transfer;
        m_transport.send(m);
    }
}

bool RaftNode::recordVote(int from)
{
    if (!m_votes[static_cast<std::size_t>(from)]) {
        m_votes[static_cast<std::size_t>(from)] = 1;
        ++m_voteCount;
    }
    return m_voteCount >= m_cluster.majority();
}

void RaftNode::becomeLeader()
{
    LIVEDECK_RAFT_ASSERT(m_role == RaftRole::Candidate && m_votedFor == m_index);
    m_role = RaftRole::Leader;
    m_leader = m_index;
    m_world.scheduler().cancel(m_electionTimer);
    m_electionTimer = {};
    m_electionTimerAt = sim::kNever;
    m_electionDeadline = sim::kNever;
    const sim::Nanos now = m_world.now();
    m_leaderSince = now;
    for (Peer& p : m_peers) {
        p = Peer{};
        p.next = m_log.lastIndex() + 1;
        p.lastContact = now; // grace: check-quorum counts from the election
    }
    m_roundOutstanding = m_roundWanted = false;
    m_transferTarget = -1;
    m_timeoutNowSent = false;
    m_transferRetryAt = 0;
    if (m_campaignByTransfer) {
        m_campaignByTransfer = false;
        m_cluster.noteTransferCompleted();
    }
    m_cluster.noteLeader(m_index, m_term);
    m_world.events().raise("raft.leader", m_component, v1::SEVERITY_INFO,
                           sim::strCat(m_path, " elected leader for term ", m_term),
                           {{"term", sim::strCat(m_term)}, {"node", m_path}});
    // §8: a no-op of the new term, so the leader learns what is committed and can
    // serve reads.
    m_log.append(RaftEntry{m_term, leaderClock(), nullptr});
    m_termStart = m_log.lastIndex();
    replicateAll();
    for (std::size_t i = 0; i < m_peers.size(); ++i) {
        if (static_cast<int>(i) != m_index)
            sendHeartbeat(static_cast<int>(i));
    }
    advanceCommit();
    const std::uint64_t inc = m_incarnation;
    m_heartbeatTimer = m_world.after(m_config.heartbeatInterval, m_heartbeatKind, m_component,
                                     [this, inc] { onHeartbeatTick(inc); });
}

void RaftNode::acceptLeader(std::uint64_t term, int leader)
{
    // Election safety: a leader never hears from another leader of its own term.
    LIVEDECK_RAFT_ASSERT(term > m_term || m_role != RaftRole::Leader);
    if (term > m_term || m_role != RaftRole::Follower)
        becomeFollower(term, leader);
    noteLeader(leader);
}

void RaftNode::noteLeader(int leader)
{
    LIVEDECK_RAFT_ASSERT(m_role == RaftRole::Follower);
    // Election safety: at most one leader per term.
    LIVEDECK_RAFT_ASSERT(m_leader < 0 || m_leader == leader);
    m_leader = leader;
    m_lastLeaderContact = m_world.now();
    armElectionTimer();
}

bool RaftNode::inLeaderLease() const
{
    if (!m_config.checkQuorum)
        return false;
    if (m_role == RaftRole::Leader)
        return hasQuorumContact(m_config.electionTimeoutMin);
    return m_role == RaftRole::Follower && m_leader >= 0
        && m_world.now() - m_lastLeaderContact < m_config.electionTimeoutMin;
}

bool RaftNode::hasQuorumContact(sim::Nanos window) const
{
    const sim::Nanos now = m_world.now();
    int count = 1;
    for (std::size_t i = 0; i < m_peers.size(); ++i) {
        if (static_cast<int>(i) != m_index && now - m_peers[i].lastContact < window)
            ++count;
    }
    return count >= m_cluster.majority();
}

sim::Nanos RaftNode::leaderClock() const
{
    sim::Nanos t = m_world.now();
    if (m_world.faults().anyActive(v1::FAULT_CLOCK_SKEW))
        t += sim::fromMillis(m_world.faults().effect(v1::FAULT_CLOCK_SKEW, m_path).addMs);
    return t;
}

// ---------------------------------------------------------------- messages

void RaftNode::receive(RaftMessage& m)
{
    if (m_crashed)
        return;
    if (m.type == RaftMsgType::ClientRequest) {
        admitClientRequest(m);
        return;
    }
    const int from = m_cluster.indexOf(m.from);
    if (from < 0 || from == m_index)
        return;
    switch (m.type) {
    case RaftMsgType::PreVote:
        handlePreVote(m, from);
        break;
    case RaftMsgType::PreVoteReply:
        handlePreVoteReply(m, from);
        break;
    case RaftMsgType::RequestVote:
        handleRequestVote(m, from);
        break;
    case RaftMsgType::RequestVoteReply:
        handleRequestVoteReply(m, from);
        break;
    case RaftMsgType::AppendEntries:
        handleAppendEntries(m, from);
        break;
    case RaftMsgType::AppendEntriesReply:
        handleAppendEntriesReply(m, from);
        break;
    case RaftMsgType::Heartbeat:
        handleHeartbeat(m, from);
        break;
    case RaftMsgType::HeartbeatReply:
        handleHeartbeatReply(m, from);
        break;
    case RaftMsgType::InstallSnapshot:
        handleInstallSnapshot(m, from);
        break;
    case RaftMsgType::InstallSnapshotReply:
        handleInstallSnapshotReply(m, from);
        break;
    case RaftMsgType::ReadIndex:
        handleReadIndex(m, from);
        break;
    case RaftMsgType::ReadIndexReply:
        handleReadIndexReply(m);
        break;
    case RaftMsgType::TimeoutNow:
        handleTimeoutNow(m, from);
        break;
    case RaftMsgType::ClientRequest:
    case RaftMsgType::ClientReply:
        break;
    }
}

void RaftNode::handlePreVote(const RaftMessage& m, int)
{
    // The pre-vote term is hypothetical: it never changes ours.
    const bool grant = m.term > m_term && m_log.isUpToDate(m.lastLogIndex, m.lastLogTerm) && !inLeaderLease();
    RaftMessage& r = m_transport.create(RaftMsgType::PreVoteReply, m_component, m.from);
    r.term = grant ? m.term : m_term;
    r.granted = grant;
    m_transport.send(r);
}

void RaftNode::handlePreVoteReply(const RaftMessage& m, int from)
{
    if (!m.granted && m.term > m_term) {
        becomeFollower(m.term, -1);
        return;
    }
    if (m_role != RaftRole::PreCandidate || !m.granted || m.term != m_term + 1)
        return;
    if (recordVote(from))
        becomeCandidate();
}

void RaftNode::handleRequestVote(const RaftMessage& m, int from)
{
    if (m.term > m_term) {
        // Dissertation §4.2.3: a current leader exists; ignore the disruption — unless
        // that leader itself asked this candidate to campaign (leadership transfer).
        if (inLeaderLease() && !m.leaderTransfer)
            return;
        becomeFollower(m.term, -1, m.leaderTransfer ? "leadership transferred" : "saw a higher term");
    }
    const bool grant = m.term == m_term && (m_votedFor < 0 || m_votedFor == from)
        && m_log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
    if (grant) {
        LIVEDECK_RAFT_ASSERT(m_role != RaftRole::Leader && m_role != RaftRole::Candidate);
        m_votedFor = from;
        if (m_role == RaftRole::PreCandidate)
            becomeFollower(m_term, -1);
        else
            armElectionTimer();
    }
    RaftMessage& r = m_transport.create(RaftMsgType::RequestVoteReply, m_component, m.from);
    r.term = m_term;
    r.granted = grant;
    m_transport.send(r);
}

void RaftNode::handleRequestVoteReply(const RaftMessage& m, int from)
{
    if (m.term > m_term) {
        becomeFollower(m.term, -1);
        return;
    }
    if (m_role != RaftRole::Candidate || m.term != m_term || !m.granted)
        return;
    if (recordVote(from))
        becomeLeader();
}

void RaftNode::handleAppendEntries(const RaftMessage& m, int from)
{
    RaftMessage& r = m_transport.create(RaftMsgType::AppendEntriesReply, m_component, m.from);
    r.sendId = m.sendId;
    r.round = m.round;
    r.prevLogIndex = m.prevLogIndex;
    if (m.term < m_term) {
        r.term = m_term;
        m_transport.send(r);
        return;
    }
    acceptLeader(m.term, from);
    r.term = m_term;

    const std::uint64_t prev = m.prevLogIndex;
    const std::uint64_t base = m_log.baseIndex();
    if (prev > m_log.lastIndex()) {
        r.success = false;
        r.conflictIndex = m_log.lastIndex() + 1;
        r.conflictTerm = 0;
        m_transport.send(r);
        return;
    }
    if (prev >= base && m_log.term(prev) != m.prevLogTerm) {
        // Entries up to the base are committed, so they always match (Log Matching).
        LIVEDECK_RAFT_ASSERT(prev > base && prev > m_commit);
        r.success = false;
        r.conflictTerm = m_log.term(prev);
        const std::uint64_t first = m_log.firstIndexOfTerm(r.conflictTerm, prev);
        r.conflictIndex = first ? first : base + 1;
        m_transport.send(r);
        return;
    }
    std::uint64_t index = prev;
    for (const RaftEntry& e : m.entries) {
        ++index;
        if (index <= base)
            continue; // compacted: committed, matches
        if (index <= m_log.lastIndex()) {
            if (m_log.term(index) == e.term)
                continue;
            // §5.3: a conflicting entry and all that follow it are removed.
            LIVEDECK_RAFT_ASSERT(index > m_commit);
            m_log.truncateAfter(index - 1);
        }
        m_log.append(e);
    }
    const std::uint64_t lastNew = prev + m.entries.size();
    if (m.leaderCommit > m_commit) {
        const std::uint64_t c = std::min(m.leaderCommit, lastNew);
        if (c > m_commit)
            commitTo(c);
    }
    r.success = true;
    r.matchIndex = lastNew;
    m_transport.send(r);
}

void RaftNode::handleAppendEntriesReply(const RaftMessage& m, int from)
{
    if (m.term > m_term) {
        becomeFollower(m.term, -1);
        return;
    }
    if (m_role != RaftRole::Leader || m.term != m_term)
        return;
    Peer& p = m_peers[static_cast<std::size_t>(from)];
    p.lastContact = m_world.now();
    p.ackedRound = std::max(p.ackedRound, m.round);
    const bool current = m.sendId == p.sendId;
    if (current)
        p.inflight = false;
    if (m.success) {
        LIVEDECK_RAFT_ASSERT(m.matchIndex <= m_log.lastIndex());
        p.match = std::max(p.match, m.matchIndex);
        p.next = std::max(p.next, p.match + 1);
        advanceCommit();
    } else if (current) {
        std::uint64_t next = m.conflictIndex;
        if (m.conflictTerm != 0) {
            const std::uint64_t last = m_log.lastIndexOfTerm(m.conflictTerm);
            if (last)
                next = last + 1;
        }
        next = std::min(next, m.prevLogIndex);
        p.next = std::max(next, p.match + 1);
    }
    if (m_role != RaftRole::Leader)
        return;
    if (from == m_transferTarget && !m_timeoutNowSent && p.match == m_log.lastIndex())
        sendTimeoutNow();
    else if (m.success && m_transferTarget < 0 && m_cluster.affinityOn() && m_cluster.preferredLeader(from))
        maybeTransferTo(from); // its lag is smallest right after it answers
    if (!p.inflight && (p.next <= m_log.lastIndex() || (!m.success && current)))
        replicateTo(from);
    processReads();
}

void RaftNode::handleHeartbeat(const RaftMessage& m, int from)
{
    RaftMessage& r = m_transport.create(RaftMsgType::HeartbeatReply, m_component, m.from);
    r.round = m.round;
    if (m.term < m_term) {
        r.term = m_term;
        m_transport.send(r);
        return;
    }
    acceptLeader(m.term, from);
    r.term = m_term;
    // The leader sends min(commit, what it knows we match), so our log agrees up to it.
    if (m.leaderCommit > m_commit) {
        const std::uint64_t c = std::min(m.leaderCommit, m_log.lastIndex());
        if (c > m_commit)
            commitTo(c);
    }
    m_transport.send(r);
}

void RaftNode::handleHeartbeatReply(const RaftMessage& m, int from)
{
    if (m.term > m_term) {
        becomeFollower(m.term, -1);
        return;
    }
    if (m_role != RaftRole::Leader || m.term != m_term)
        return;
    Peer& p = m_peers[static_cast<std::size_t>(from)];
    p.lastContact = m_world.now();
    p.ackedRound = std::max(p.ackedRound, m.round);
    if (!p.inflight && (p.next <= m_log.lastIndex() || p.match < m_log.lastIndex()))
        replicateTo(from);
    processReads();
}

void RaftNode::handleInstallSnapshot(const RaftMessage& m, int from)
{
    RaftMessage& r = m_transport.create(RaftMsgType::InstallSnapshotReply, m_component, m.from);
    r.sendId = m.sendId;
    r.round = m.round;
    if (m.term < m_term) {
        r.term = m_term;
        m_transport.send(r);
        return;
    }
    acceptLeader(m.term, from);
    r.term = m_term;
    const std::shared_ptr<const RaftSnapshot>& s = m.snapshot;
    LIVEDECK_RAFT_ASSERT(s != nullptr);
    if (s->index > m_commit) {
        if (m_log.hasTerm(s->index) && m_log.term(s->index) == s->term)
            m_log.compactTo(s->index); // keep what follows: it may still be useful
        else
            m_log.resetTo(s->index, s->term);
        m_snapshot = s;
        m_store = s->state;
        m_commit = m_applied = s->index;
        ++m_snapshotsInstalled;
        m_cluster.noteCommitted(m_index, m_commit, s->term);
        serveFollowerReads();
    }
    r.success = true;
    r.matchIndex = s->index;
    m_transport.send(r);
}

void RaftNode::handleInstallSnapshotReply(const RaftMessage& m, int from)
{
    if (m.term > m_term) {
        becomeFollower(m.term, -1);
        return;
    }
    if (m_role != RaftRole::Leader || m.term != m_term)
        return;
    Peer& p = m_peers[static_cast<std::size_t>(from)];
    p.lastContact = m_world.now();
    p.ackedRound = std::max(p.ackedRound, m.round);
    if (m.sendId == p.sendId)
        p.inflight = false;
    p.match = std::max(p.match, m.matchIndex);
    p.next = std::max(p.next, p.match + 1);
    advanceCommit();
    if (m_role == RaftRole::Leader && !p.inflight && p.next <= m_log.lastIndex())
        replicateTo(from);
}

// ---------------------------------------------------------------- clients

void RaftNode::admitClientRequest(const RaftMessage& m)
{
    if (!m_service) {
        Intake in{m.from, m.requestId, m.attempt, m.op, m.key, m.command, m_incarnation, m.followerRead};
        handleClientRequest(in);
        return;
    }
    std::uint32_t slot;
    if (!m_freeIntake.empty()) {
        slot = m_freeIntake.back();
        m_freeIntake.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(m_intake.size());
        m_intake.emplace_back();
    }
    Intake& in = m_intake[slot];
    in.client = m.from;
    in.requestId = m.requestId;
    in.attempt = m.attempt;
    in.op = m.op;
    in.key = m.key;
    in.command = m.command;
    in.incarnation = m_incarnation;
    in.followerRead = m.followerRead;
    m_service->submit(
        1.0, [this, slot](bool&) -> sim::Nanos { return requestCost(slot); },
        [this, slot](ServiceOutcome outcome, sim::Nanos) { serveClientRequest(slot, outcome); });
}

sim::Nanos RaftNode::requestCost(std::uint32_t slot) const
{
    const Intake& in = m_intake[slot];
    if (isRead(in.op))
        return m_config.readCost + static_cast<sim::Nanos>(m_config.costPerByteNs * static_cast<double>(in.key.size()));
    const std::size_t bytes = in.command ? in.command->key.size() + in.command->value.size() : 0;
    return m_config.writeCost + static_cast<sim::Nanos>(m_config.costPerByteNs * static_cast<double>(bytes));
}

void RaftNode::serveClientRequest(std::uint32_t slot, ServiceOutcome outcome)
{
    Intake& in = m_intake[slot];
    if (!m_crashed && in.incarnation == m_incarnation) {
        switch (outcome) {
        case ServiceOutcome::Ok:
            handleClientRequest(in);
            break;
        case ServiceOutcome::Rejected:
        case ServiceOutcome::Error:
            replyStatus(in.client, in.requestId, in.attempt, in.op, RaftStatus::Unavailable, m_leader);
            break;
        case ServiceOutcome::Down:
            break; // a down node answers nothing (it crashes on the same fault)
        }
    }
    in.key.clear();
    in.command.reset();
    m_freeIntake.push_back(slot);
}

void RaftNode::handleClientRequest(Intake& m)
{
    if (m_role != RaftRole::Leader) {
        if (isRead(m.op) && m.followerRead && m_leader >= 0 && m_leader != m_index) {
            startFollowerRead(m);
            return;
        }
        replyStatus(m.client, m.requestId, m.attempt, m.op, RaftStatus::NotLeader, m_leader);
        return;
    }
    if (isRead(m.op)) {
        queueRead(PendingRead{0, 0, m.client, m.requestId, m.attempt, m.op, std::move(m.key)});
        return;
    }
    LIVEDECK_RAFT_ASSERT(m.command != nullptr);
    if (m_transferTarget >= 0) {
        // Handing leadership over: the log must stop growing so the target can match it.
        ++m_transferRefusals;
        replyStatus(m.client, m.requestId, m.attempt, m.op, RaftStatus::Unavailable, m_index);
        return;
    }
    if (m_config.checkQuorum && !hasQuorumContact(m_config.quorumStaleAfter)) {
        ++m_noQuorumRefusals;
        replyStatus(m.client, m.requestId, m.attempt, m.op, RaftStatus::NoQuorum, m_index);
        return;
    }
    m_log.append(RaftEntry{m_term, leaderClock(), m.command});
    m_writes.push_back(PendingWrite{m_log.lastIndex(), m.client, m.requestId, m.attempt});
    replicateAll();
    advanceCommit();
}

void RaftNode::queueRead(PendingRead rd)
{
    if (m_log.term(m_commit) == m_term)
        rd.readIndex = m_commit;
    if (!m_roundOutstanding) {
        startRound();
        rd.round = m_round;
    } else {
        rd.round = m_round + 1;
        m_roundWanted = true;
    }
    m_reads.push_back(std::move(rd));
    processReads();
}

// ---------------------------------------------------------------- follower reads

void RaftNode::startFollowerRead(Intake& m)
{
    const sim::Nanos now = m_world.now();
    // Drop reads whose index never came back (lost message, leader gone): their
    // clients have timed out long ago.
    const sim::Nanos stale = 2 * m_config.electionTimeoutMax;
    while (!m_followerReads.empty() && now - m_followerReads.front().asked > stale)
        m_followerReads.pop_front();
    FollowerRead fr;
    fr.id = m_nextFollowerRead++;
    fr.asked = now;
    fr.client = m.client;
    fr.requestId = m.requestId;
    fr.attempt = m.attempt;
    fr.op = m.op;
    fr.key = std::move(m.key);
    m_followerReads.push_back(std::move(fr));
    RaftMessage& q = m_transport.create(RaftMsgType::ReadIndex, m_component,
                                        m_cluster.node(static_cast<std::size_t>(m_leader)).component());
    q.term = m_term;
    q.requestId = m_followerReads.back().id;
    m_transport.send(q);
}

void RaftNode::handleReadIndex(const RaftMessage& m, int /*from*/)
{
    if (m.term > m_term)
        becomeFollower(m.term, -1);
    if (m_role != RaftRole::Leader) {
        replyReadIndex(m.from, m.requestId, RaftStatus::NotLeader, 0);
        return;
    }
    PendingRead rd{0, 0, m.from, m.requestId, 0, RaftOp::Get, {}};
    rd.forwarded = true;
    queueRead(std::move(rd));
}

void RaftNode::replyReadIndex(sim::ComponentId follower, std::uint64_t id, RaftStatus status, std::uint64_t index)
{
    RaftMessage& r = m_transport.create(RaftMsgType::ReadIndexReply, m_component, follower);
    r.term = m_term;
    r.requestId = id;
    r.result.status = status;
    r.result.index = index;
    r.result.leaderHint = status == RaftStatus::Ok ? m_index : m_leader;
    m_transport.send(r);
}

void RaftNode::handleReadIndexReply(const RaftMessage& m)
{
    const auto it = std::find_if(m_followerReads.begin(), m_followerReads.end(),
                                 [&](const FollowerRead& fr) { return fr.id == m.requestId; });
    if (it == m_followerReads.end() || it->readIndex != 0)
        return; // dropped, or a duplicate answer
    if (m.result.status != RaftStatus::Ok) {
        // The node we asked is no longer leader: a definite refusal, the client retries.
        replyStatus(it->client, it->requestId, it->attempt, it->op, RaftStatus::NotLeader, m.result.leaderHint);
        m_followerReads.erase(it);
        return;
    }
    LIVEDECK_RAFT_ASSERT(m.result.index > 0);
    it->readIndex = m.result.index;
    if (m_applied < it->readIndex)
        ++m_followerReadsWaited;
    serveFollowerReads();
}

void RaftNode::serveFollowerReads()
{
    if (m_followerReads.empty())
        return;
    RaftResult result;
    for (auto it = m_followerReads.begin(); it != m_followerReads.end();) {
        if (it->readIndex == 0 || m_applied < it->readIndex) {
            ++it;
            continue;
        }
        result.clear();
        if (it->op == RaftOp::GetLock)
            m_store.readLock(it->key, result);
        else
            m_store.read(it->key, result);
        result.index = it->readIndex;
        replyToClient(it->client, it->requestId, it->attempt, it->op, result, true);
        ++m_followerReadsServed;
        it = m_followerReads.erase(it);
    }
}

void RaftNode::replyStatus(sim::ComponentId client, std::uint64_t requestId, std::uint32_t attempt, RaftOp op,
                           RaftStatus status, int hint)
{
    RaftMessage& r = m_transport.create(RaftMsgType::ClientReply, m_component, client);
    r.requestId = requestId;
    r.attempt = attempt;
    r.op = op;
    r.term = m_term;
    r.result.status = status;
    r.result.leaderHint = hint;
    m_transport.send(r);
}

void RaftNode::replyToClient(sim::ComponentId client, std::uint64_t requestId, std::uint32_t attempt, RaftOp op,
                             const RaftResult& result, bool followerRead)
{
    RaftMessage& r = m_transport.create(RaftMsgType::ClientReply, m_component, client);
    r.requestId = requestId;
    r.attempt = attempt;
    r.op = op;
    r.term = m_term;
    r.followerRead = followerRead;
    r.result = result;
    r.result.leaderHint = followerRead ? m_leader : m_index;
    m_transport.send(r);
}

// ---------------------------------------------------------------- leader replication

void RaftNode::replicateAll()
{
    for (std::size_t i = 0; i < m_peers.size(); ++i) {
        if (static_cast<int>(i) != m_index && !m_peers[i].inflight)
            replicateTo(static_cast<int>(i));
    }
}

void RaftNode::replicateTo(int peer)
{
    Peer& p = m_peers[static_cast<std::size_t>(peer)];
    const sim::ComponentId to = m_cluster.node(static_cast<std::size_t>(peer)).component();
    p.inflight = true;
    p.sentAt = m_world.now();
    ++p.sendId;
    if (p.next < m_log.firstIndex()) {
        // The entries it needs are compacted: send the snapshot.
        LIVEDECK_RAFT_ASSERT(m_snapshot && m_snapshot->index >= m_log.baseIndex());
        RaftMessage& m = m_transport.create(RaftMsgType::InstallSnapshot, m_component, to);
        m.term = m_term;
        m.sendId = p.sendId;
        m.round = m_round;
        m.snapshot = m_snapshot;
        m_transport.send(m);
        return;
    }
    RaftMessage& m = m_transport.create(RaftMsgType::AppendEntries, m_component, to);
    m.term = m_term;
    m.sendId = p.sendId;
    m.round = m_round;
    m.prevLogIndex = p.next - 1;
    m.prevLogTerm = m_log.term(m.prevLogIndex);
    m.leaderCommit = m_commit;
    const std::uint64_t last = std::min(m_log.lastIndex(), m.prevLogIndex + m_config.maxBatch);
    for (std::uint64_t i = p.next; i <= last; ++i)
        m.entries.push_back(m_log.at(i));
    m_transport.send(m);
}

void RaftNode::sendHeartbeat(int peer)
{
    const Peer& p = m_peers[static_cast<std::size_t>(peer)];
    RaftMessage& m = m_transport.create(RaftMsgType::Heartbeat, m_component,
                                        m_cluster.node(static_cast<std::size_t>(peer)).component());
    m.term = m_term;
    m.round = m_round;
    m.leaderCommit = std::min(m_commit, p.match);
    m_transport.send(m);
}

void RaftNode::advanceCommit()
{
    if (m_role != RaftRole::Leader)
        return;
    m_matchScratch.clear();
    for (std::size_t i = 0; i < m_peers.size(); ++i)
        m_matchScratch.push_back(static_cast<int>(i) == m_index ? m_log.lastIndex() : m_peers[i].match);
    const auto k = static_cast<std::ptrdiff_t>(m_cluster.majority() - 1);
    std::nth_element(m_matchScratch.begin(), m_matchScratch.begin() + k, m_matchScratch.end(), std::greater<>());
    const std::uint64_t n = m_matchScratch[static_cast<std::size_t>(k)];
    // §5.4.2: only entries of the current term are committed by counting replicas.
    if (n > m_commit && m_log.term(n) == m_term)
        commitTo(n);
}

void RaftNode::startRound()
{
    ++m_round;
    m_roundOutstanding = true;
    for (std::size_t i = 0; i < m_peers.size(); ++i) {
        if (static_cast<int>(i) != m_index)
            sendHeartbeat(static_cast<int>(i));
    }
}

bool RaftNode::roundAcked(std::uint64_t round) const
{
    int count = 1;
    for (std::size_t i = 0; i < m_peers.size(); ++i) {
        if (static_cast<int>(i) != m_index && m_peers[i].ackedRound >= round)
            ++count;
    }
    return count >= m_cluster.majority();
}

void RaftNode::processReads()
{
    if (m_role != RaftRole::Leader)
        return;
    if (m_roundOutstanding && roundAcked(m_round)) {
        m_roundOutstanding = false;
        if (m_roundWanted) {
            m_roundWanted = false;
            startRound();
        }
    }
    const bool committedInTerm = m_log.term(m_commit) == m_term;
    RaftResult result;
    while (!m_reads.empty()) {
        PendingRead& rd = m_reads.front();
        if (rd.readIndex == 0) {
            if (!committedInTerm)
                break;
            rd.readIndex = m_commit;
        }
        if (!roundAcked(rd.round) || m_applied < rd.readIndex)
            break;
        if (rd.forwarded) {
            replyReadIndex(rd.client, rd.requestId, RaftStatus::Ok, rd.readIndex);
            ++m_readIndexesServed;
            m_reads.pop_front();
            continue;
        }
        result.clear();
        if (rd.op == RaftOp::GetLock)
            m_store.readLock(rd.key, result);
        else
            m_store.read(rd.key, result);
        result.index = rd.readIndex;
        replyToClient(rd.client, rd.requestId, rd.attempt, rd.op, result);
        m_reads.pop_front();
    }
}

// ---------------------------------------------------------------- leadership transfer

void RaftNode::checkLeaderAffinity()
{
    const sim::Nanos now = m_world.now();
    if (m_transferTarget >= 0) {
        if (now >= m_transferDeadline) {
            const std::string& target = m_cluster.node(static_cast<std::size_t>(m_transferTarget)).path();
            m_world.events().raise("raft.transfer_abandoned", m_component, v1::SEVERITY_WARNING,
                                   sim::strCat(m_path, " kept leadership in term ", m_term, ": ", target,
                                               " did not take it within an election timeout"),
                                   {{"term", sim::strCat(m_term)}, {"target", target}});
            endTransfer();
            m_transferRetryAt = now + m_cluster.affinity().retryAfter;
        }
        return;
    }
    if (m_cluster.preferredLeader(m_index) || now < m_transferRetryAt)
        return;
    // The preferred follower furthest along that is answering and has acknowledged an
    // entry of this term (lowest index on ties).
    int best = -1;
    for (std::size_t i = 0; i < m_peers.size(); ++i) {
        const int peer = static_cast<int>(i);
        if (peer == m_index || !m_cluster.preferredLeader(peer))
            continue;
        if (best < 0 || m_peers[i].match > m_peers[static_cast<std::size_t>(best)].match)
            best = peer;
    }
    if (best >= 0)
        maybeTransferTo(best);
}

void RaftNode::maybeTransferTo(int peer)
{
    const sim::Nanos now = m_world.now();
    if (m_transferTarget >= 0 || now < m_transferRetryAt || m_cluster.preferredLeader(m_index))
        return;
    const RaftLeaderAffinity& aff = m_cluster.affinity();
    const Peer& p = m_peers[static_cast<std::size_t>(peer)];
    if (now - p.lastContact > aff.contactWithin || p.match < m_termStart)
        return; // not answering, or nothing of this term acknowledged yet
    const std::uint64_t lag = m_log.lastIndex() - p.match;
    if (lag > aff.maxLogLag)
        return; // still catching up: looked at again on its next answer
    const int best = peer;
    m_transferTarget = best;
    m_timeoutNowSent = false;
    m_transferDeadline = now + m_config.electionTimeoutMin;
    const std::string& target = m_cluster.node(static_cast<std::size_t>(best)).path();
    m_world.events().raise("raft.transfer", m_component, v1::SEVERITY_INFO,
                           sim::strCat(m_path, " hands leadership of term ", m_term, " to preferred ", target, " (",
                                       lag, " entries behind)"),
                           {{"term", sim::strCat(m_term)}, {"target", target}, {"lag", sim::strCat(lag)}});
    if (p.match == m_log.lastIndex())
        sendTimeoutNow();
    else if (!p.inflight)
        replicateTo(best);
}

void RaftNode::sendTimeoutNow()
{
    LIVEDECK_RAFT_ASSERT(m_role == RaftRole::Leader && m_transferTarget >= 0);
    m_timeoutNowSent = true;
    m_cluster.noteTransferStarted();
    RaftMessage& m = m_transport.create(RaftMsgType::TimeoutNow, m_component,
                                        m_cluster.node(static_cast<std::size_t>(m_transferTarget)).component());
    m.term = m_term;
    m.lastLogIndex = m_log.lastIndex();
    m_transport.send(m);
}

void RaftNode::endTransfer()
{
    m_transferTarget = -1;
    m_timeoutNowSent = false;
}

void RaftNode::handleTimeoutNow(const RaftMessage& m, int from)
{
    // Only the current leader of our term may tell us to campaign; a stale one is ignored.
    if (m.term != m_term || m_role != RaftRole::Follower || m_leader != from)
        return;
    // The leader sent this once our log matched its last index; if an entry is still on
    // its way, the votes' up-to-date check decides.
    becomeCandidate(true);
}

// ---------------------------------------------------------------- commit and apply

void RaftNode::commitTo(std::uint64_t index)
{
    LIVEDECK_RAFT_ASSERT(index > m_commit && index <= m_log.lastIndex());
    m_commit = index;
    m_cluster.noteCommitted(m_index, index, m_log.term(index));
    applyCommitted();
    processReads();
}

void RaftNode::applyCommitted()
{
    while (m_applied < m_commit) {
        const std::uint64_t index = m_applied + 1;
        const RaftEntry& e = m_log.at(index);
        const RaftResult r = m_store.apply(index, e);
        m_applied = index;
        if (m_role != RaftRole::Leader)
            continue;
        while (!m_writes.empty() && m_writes.front().index <= index) {
            const PendingWrite w = m_writes.front();
            m_writes.pop_front();
            LIVEDECK_RAFT_ASSERT(w.index == index && e.command != nullptr);
            replyToClient(w.client, w.requestId, w.attempt, e.command->op, r);
        }
    }
    serveFollowerReads();
    maybeSnapshot();
}

void RaftNode::maybeSnapshot()
{
    const std::uint64_t snapIndex = m_snapshot ? m_snapshot->index : 0;
    if (m_applied - snapIndex < m_config.snapshotThreshold)
        return;
    auto s = std::make_shared<RaftSnapshot>();
    s->index = m_applied;
    s->term = m_log.term(m_applied);
    s->state = m_store;
    m_snapshot = std::move(s);
    ++m_snapshotsTaken;
    if (m_applied > m_config.snapshotTrailing)
        m_log.compactTo(m_applied - m_config.snapshotTrailing);
}

// ---------------------------------------------------------------- inspection

void RaftNode::inspect(sim::StateWriter& out) const
{
    out.add("role", m_crashed ? "down" : toString(m_role));
    out.add("term", m_term);
    out.add("voted_for", m_votedFor);
    out.add("leader", m_leader >= 0 ? m_cluster.node(static_cast<std::size_t>(m_leader)).path() : std::string("none"));
    out.add("commit_index", m_commit);
    out.add("last_applied", m_applied);
    out.add("log_first", m_log.firstIndex());
    out.add("log_last", m_log.lastIndex());
    out.add("snapshot_index", m_snapshot ? m_snapshot->index : std::uint64_t{0});
    out.add("keys", static_cast<std::uint64_t>(m_store.keyCount()));
    out.add("locks", static_cast<std::uint64_t>(m_store.lockCount()));
    out.add("pending_writes", static_cast<std::uint64_t>(m_writes.size()));
    out.add("pending_reads", static_cast<std::uint64_t>(m_reads.size()));
    out.add("no_quorum_refusals", m_noQuorumRefusals);
    out.add("pending_follower_reads", static_cast<std::uint64_t>(m_followerReads.size()));
    out.add("follower_reads_served", m_followerReadsServed);
    out.add("follower_reads_waited", m_followerReadsWaited);
    out.add("read_indexes_served", m_readIndexesServed);
    if (m_cluster.affinityOn()) {
        out.add("preferred_leader", m_cluster.preferredLeader(m_index));
        out.add("transfer_target", m_transferTarget >= 0
                                       ? m_cluster.node(static_cast<std::size_t>(m_transferTarget)).path()
                                       : std::string("none"));
        out.add("transfer_refusals", m_transferRefusals);
    }
    if (m_service) {
        out.add("requests_queued", m_service->queued());
        out.add("requests_in_service", m_service->inflight());
    }
    out.add("snapshots_taken", m_snapshotsTaken);
    out.add("snapshots_installed", m_snapshotsInstalled);
}

} // namespace livedeck::infra

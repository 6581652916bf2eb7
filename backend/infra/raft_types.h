// Raft KV vocabulary (Taishan stand-in, docs/GIFTS.md "Strong consistency (locks etc.) uses a
// Raft-based KV store"): the replicated commands (RaftCommand), what they answer
// (RaftResult), log entries, the wire messages between nodes and clients, and the
// tuning knobs (RaftConfig) with the source of each default.
//
// Contract: plain values. Commands are immutable once proposed and shared between the
// logs of all nodes through shared_ptr<const RaftCommand> (the bytes a real node would
// copy off the wire; sharing is safe because nobody mutates them). Times are
// sim::Nanos on the world's clock. Single-threaded (the world's thread).
#pragma once

#include "backend/sim/scheduler.h"
#include "backend/sim/time.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

// Invariants of the protocol are checked in every build type (a broken one is a bug
// that must stop the run, with the seed to replay it, not a silently wrong answer).
#define LIVEDECK_RAFT_ASSERT(cond)                                                                    \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            std::fprintf(stderr, "raft invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__);   \
            std::abort();                                                                             \
        }                                                                                             \
    } while (false)

namespace livedeck::infra {

enum class RaftRole : std::uint8_t { Follower, PreCandidate, Candidate, Leader };
const char* toString(RaftRole role);

// Client operations. Get and GetLock are linearizable reads served through ReadIndex
// and never enter the log; the others are replicated commands.
enum class RaftOp : std::uint8_t {
    Noop,        // appended by a new leader to commit its term (Raft §8)
    Put,
    Cas,         // compare-and-set on expected version and/or expected value
    Del,
    LockAcquire, // lease lock; grants a fencing token
    LockRenew,
    LockRelease,
    PutIfToken,  // write guarded by a fencing token
    SetIfNewer,  // write only when the given stamp (the caller's version) is above the key's
    Get,         // read
    GetLock,     // read of a lock's state
};
const char* toString(RaftOp op);
inline bool isRead(RaftOp op) { return op == RaftOp::Get || op == RaftOp::GetLock; }

enum class RaftStatus : std::uint8_t {
    Ok,
    Refused,     // the state machine said no (cas mismatch, lock held, stale token...); see refusal
    NotLeader,   // definite: no node that was asked took the request (no leader reachable)
    NoQuorum,    // definite: the leader has lost contact with a majority and refused the write
    Timeout,     // no definite answer before the deadline; a write may or may not have taken effect
    Interrupted, // node → client only: the leader lost leadership before the entry committed
                 // (outcome unknown); the client retries with the same sequence number
    Unavailable, // definite: the node turned the request away before handling it (its
                 // request queue was full or the wait too long, or an injected error, or
                 // a write reached a leader that is handing its role over)
};
const char* toString(RaftStatus status);

enum class RaftRefusal : std::uint8_t {
    None,
    VersionMismatch, // cas: the key's version differs from the expected one
    ValueMismatch,   // cas: the key's value differs from (or lacks) the expected one
    LockHeld,        // acquire: another owner holds an unexpired lease
    NotHolder,       // renew/release/putIfToken: the lock is not held with that token by that owner
    StaleToken,      // renew/release/putIfToken: a newer token has been issued since
    LeaseExpired,    // renew: the lease ran out before the renewal applied
    NotNewer,        // setIfNewer: the key's stamp is equal or greater (a duplicate or an older record)
};
const char* toString(RaftRefusal refusal);

// One replicated command. clientId/seq identify it for exactly-once application (Raft
// dissertation §6.3): a retried command is answered from the session's cached result.
struct RaftCommand {
    RaftOp op = RaftOp::Noop;
    std::string key;             // key, or the lock name for lock operations
    std::string value;           // value to write
    std::string expectedValue;   // cas: required current value (when hasExpectedValue)
    bool hasExpectedValue = false;
    std::int64_t expectedVersion = -1; // cas: required current version; 0 = absent, -1 = any
    std::string owner;           // lock owner
    std::string lock;            // putIfToken: the lock whose token guards the write
    std::uint64_t token = 0;     // fencing token presented (renew, release, putIfToken)
    std::uint64_t stamp = 0;     // setIfNewer: the caller's version of the value (> 0)
    sim::Nanos lease = 0;        // acquire/renew: lease length
    std::uint64_t clientId = 0;  // 0 = no session (no deduplication)
    std::uint64_t seq = 0;       // per-client sequence number, from 1
    std::uint64_t firstUnacked = 0; // every seq below this has been answered to the client
};

struct RaftResult {
    RaftStatus status = RaftStatus::Ok;
    RaftRefusal refusal = RaftRefusal::None;
    bool found = false;          // read/del/cas: the key (or lock) existed
    std::string value;           // read: the value; refused cas: the current value
    std::uint64_t version = 0;   // the key's version (log index of its last write); 0 = absent
    std::uint64_t stamp = 0;     // the key's stamp: the highest setIfNewer version it took (0 = none)
    std::uint64_t token = 0;     // lock: the fencing token (granted, or the holder's when refused)
    sim::Nanos leaseExpiry = 0;  // lock: state-machine time at which the lease ends
    std::string holder;          // lock: current owner
    std::uint64_t index = 0;     // write: log index it applied at; read: the read index
    int leaderHint = -1;         // node → client: index of the node believed to lead, -1 unknown

    void clear()
    {
        status = RaftStatus::Ok;
        refusal = RaftRefusal::None;
        found = false;
        value.clear();
        version = 0;
        stamp = 0;
        token = 0;
        leaseExpiry = 0;
        holder.clear();
        index = 0;
        leaderHint = -1;
    }
};

// A log entry. `timestamp` is the leader's clock when it appended the entry; the state
// machine's time (lease expiry) is the largest timestamp applied so far.
struct RaftEntry {
    std::uint64_t term = 0;
    sim::Nanos timestamp = 0;
    std::shared_ptr<const RaftCommand> command; // null for Noop
};

struct RaftSnapshot;

enum class RaftMsgType : std::uint8_t {
    PreVote,
    PreVoteReply,
    RequestVote,
    RequestVoteReply,
    AppendEntries,
    AppendEntriesReply,
    Heartbeat,
    HeartbeatReply,
    InstallSnapshot,
    InstallSnapshotReply,
    ClientRequest,
    ClientReply,
    ReadIndex,      // follower → leader: the read index for follower reads (requestId = the follower's)
    ReadIndexReply, // leader → follower: result.index = the read index, or status NotLeader
    TimeoutNow,     // leader → its chosen successor: campaign now (leadership transfer, dissertation §3.10)
};
const char* toString(RaftMsgType type);

// One message on the emulated network. Pooled by RaftTransport and reused: reset()
// keeps the capacity of the entry vector and strings.
struct RaftMessage {
    RaftMsgType type = RaftMsgType::AppendEntries;
    sim::ComponentId from = sim::kNoComponent;
    sim::ComponentId to = sim::kNoComponent;
    std::uint64_t term = 0;
    // PreVote / RequestVote
    std::uint64_t lastLogIndex = 0;
    std::uint64_t lastLogTerm = 0;
    bool granted = false;
    bool leaderTransfer = false;      // RequestVote of a node told to campaign by its leader (TimeoutNow)
    // AppendEntries / Heartbeat (+ replies)
    std::uint64_t prevLogIndex = 0;
    std::uint64_t prevLogTerm = 0;
    std::uint64_t leaderCommit = 0;
    std::vector<RaftEntry> entries;
    std::uint64_t round = 0;          // leader's ReadIndex round when sent; echoed in replies
    std::uint64_t sendId = 0;         // identifies the AppendEntries a reply answers
    bool success = false;
    std::uint64_t matchIndex = 0;     // success: last index known to match the leader's log
    std::uint64_t conflictIndex = 0;  // rejection: where the leader should retry from
    std::uint64_t conflictTerm = 0;   // rejection: term of the conflicting entry (0 = log too short)
    // InstallSnapshot
    std::shared_ptr<const RaftSnapshot> snapshot;
    // Client request / reply
    bool followerRead = false;        // a read any node may serve (RaftReadMode::Random)
    std::uint64_t requestId = 0;
    std::uint32_t attempt = 0;
    RaftOp op = RaftOp::Noop;
    std::string key;                  // reads
    std::shared_ptr<const RaftCommand> command; // writes
    RaftResult result;
    std::uint32_t slot = 0;           // RaftTransport's pool slot (bookkeeping)

    void reset()
    {
        term = lastLogIndex = lastLogTerm = 0;
        granted = success = leaderTransfer = false;
        prevLogIndex = prevLogTerm = leaderCommit = round = sendId = matchIndex = conflictIndex = conflictTerm = 0;
        entries.clear();
        snapshot.reset();
        followerRead = false;
        requestId = 0;
        attempt = 0;
        op = RaftOp::Noop;
        key.clear();
        command.reset();
        result.clear();
    }
};

// Timing and sizing of one Raft group. Defaults fit the default topology (sh-a and
// sh-b ~1 ms apart, gz ~30 ms from both with 3 ms jitter, topology.h): the longest
// round trip is ~66 ms, so
// - heartbeats every 50 ms reach every follower several times per election timeout;
// - election timeouts are drawn uniformly from [300, 600) ms: the paper's 150–300 ms
//   (Ongaro & Ousterhout §9.3) doubled so that broadcast time (≤ 66 ms) stays an order
//   of magnitude below them, and wide enough that split votes are rare;
// - a leader that has not heard from a majority for 150 ms (≈ 2 gz round trips +
//   one heartbeat) refuses new writes with NoQuorum, and steps down after an election
//   timeout (300 ms) without majority contact (check-quorum).
struct RaftConfig {
    sim::Nanos heartbeatInterval = 50 * sim::kMillisecond;
    sim::Nanos electionTimeoutMin = 300 * sim::kMillisecond;
    sim::Nanos electionTimeoutMax = 600 * sim::kMillisecond;
    bool preVote = true;     // dissertation §9.6: a rejoining node does not disrupt the leader
    bool checkQuorum = true; // dissertation §6.2: a leader cut off from a majority steps down
    sim::Nanos quorumStaleAfter = 150 * sim::kMillisecond; // refuse writes (NoQuorum) beyond this
    sim::Nanos resendAfter = 150 * sim::kMillisecond;      // an unanswered AppendEntries is resent
    std::uint32_t maxBatch = 1024;              // entries per AppendEntries
    std::uint64_t snapshotThreshold = 16'384;   // applied entries past the last snapshot that trigger one
    std::uint64_t snapshotTrailing = 1'024;     // entries kept behind a snapshot for slow followers

    // Service-time model of a node's client requests (ServiceQueue, prefix "raft"),
    // when `serviceModel` is on (off by default for now: the engines' scenarios were
    // tuned without it; with it off a request is handled on arrival, at no cost):
    // every request, reads included, is served by one of `serviceConcurrency` workers
    // (8: one per core of an 8-core KV node) before the node handles it; queued beyond
    // `serviceMaxQueue` or waiting past `serviceMaxWait` it is turned away
    // (Unavailable). Cost per request: a base (reads 20 µs: lookup and reply; writes
    // 40 µs: decode, append to the log, its share of the group fsync) plus 2 ns per
    // byte of key and value, × lognormal noise (sigma 0.25). Assumed figures, not from
    // the write-ups: they give one node ~200 K writes/s of CPU, the order of a
    // production Raft KV node. The queue is disk-bound: slow-disk faults apply.
    bool serviceModel = false;
    double serviceConcurrency = 8.0;
    double serviceMaxQueue = 4'096.0;
    sim::Nanos serviceMaxWait = 200 * sim::kMillisecond;
    sim::Nanos readCost = 20 * sim::kMicrosecond;
    sim::Nanos writeCost = 40 * sim::kMicrosecond;
    double costPerByteNs = 2.0;
    double serviceNoiseSigma = 0.25;
};

} // namespace livedeck::infra

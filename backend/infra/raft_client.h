// RaftClient: the asynchronous client of a RaftCluster (Taishan stand-in), a component
// of the world (e.g. "sh-a/gifts/order/0"): its requests and the answers travel over
// the emulated network, so partitions and region faults apply to it as well.
//
// Contract:
// - Every call returns at once; `done` runs exactly once, on the world's thread, with
//   a RaftResult whose status is Ok, Refused (the state machine said no; see
//   `refusal`), NotLeader / NoQuorum / Unavailable (definite: the operation did not
//   take effect; Unavailable = the leader's request queue turned it away), or
//   Timeout (no definite answer within the deadline: a write may or may not have taken
//   effect). `done` is not called if the client is destroyed first.
// - Leader finding: the first request goes to the nearest node (lowest base
//   latency); a "not leader" answer carries the node's leader hint and the request is
//   re-sent there at once; without a hint the next node is tried after retryBackoff.
//   An attempt unanswered after attemptTimeout is re-sent to the next node.
// - Writes carry (clientId, seq) and the lowest unanswered seq: a write re-sent after
//   a lost answer or a leader change is applied at most once (the state machine's
//   session returns the first result), so retries keep operations linearizable.
// - Reads are linearizable. RaftReadMode::Leader (default): the leader serves them by
//   ReadIndex. RaftReadMode::Random (Taishan's "RANDOM read mode", TiDB's follower
//   read): each read goes first to a node drawn uniformly from the client's own stream;
//   a follower asks the leader for a read index (one ReadIndex round: the leader's
//   commit index, confirmed by a majority heartbeat round), waits until it has applied
//   that index and answers from its own state machine — as fresh as a leader read,
//   with the read load spread over every replica. A follower that knows no leader
//   answers NotLeader and the read is retried as usual.
// - setIfNewer(stamp): a write that takes effect only when `stamp` (the caller's
//   version, e.g. a row's modification-time version) is greater than the key's stamp;
//   otherwise Refused with NotNewer and the key's current value, version and stamp.
// Defaults: timeout 250 ms — docs/GIFTS.md default cross-service timeout; attempt timeout
// 100 ms — above the slowest commit round trip of the default topology (a gz leader
// needs ~66 ms to reach sh-a/sh-b and back); backoff 10 ms.
// Single-threaded (the world's thread).
#pragma once

#include "backend/infra/raft_transport.h"
#include "backend/infra/raft_types.h"
#include "backend/sim/inline_callback.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <absl/container/btree_set.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::infra {

class RaftCluster;

enum class RaftReadMode : std::uint8_t {
    Leader, // reads at the leader (ReadIndex)
    Random, // reads at a random replica (follower ReadIndex)
};
const char* toString(RaftReadMode mode);

struct RaftClientConfig {
    sim::Nanos timeout = 250 * sim::kMillisecond;
    sim::Nanos attemptTimeout = 100 * sim::kMillisecond;
    sim::Nanos retryBackoff = 10 * sim::kMillisecond;
    RaftReadMode readMode = RaftReadMode::Leader;
};

using RaftCallback = sim::InlineFunction<void(const RaftResult&), 64>;

class RaftClient final : public RaftEndpoint, public sim::Inspectable {
public:
    // `path` names the client's component; it is registered (kind "raft-client") unless
    // it already exists (then the client speaks for that component).
    RaftClient(RaftCluster& cluster, std::string_view path, RaftClientConfig config = {});
    ~RaftClient() override;
    RaftClient(const RaftClient&) = delete;
    RaftClient& operator=(const RaftClient&) = delete;

    // `timeout` 0 = the configured default.
    void get(std::string_view key, RaftCallback done, sim::Nanos timeout = 0);
    void put(std::string_view key, std::string_view value, RaftCallback done, sim::Nanos timeout = 0);
    // expectedVersion: 0 = the key must be absent.
    void cas(std::string_view key, std::uint64_t expectedVersion, std::string_view value, RaftCallback done,
             sim::Nanos timeout = 0);
    void casValue(std::string_view key, std::string_view expectedValue, std::string_view value, RaftCallback done,
                  sim::Nanos timeout = 0);
    void del(std::string_view key, RaftCallback done, sim::Nanos timeout = 0);
    // stamp > 0: written only when greater than the key's stamp (Refused NotNewer otherwise).
    void setIfNewer(std::string_view key, std::string_view value, std::uint64_t stamp, RaftCallback done,
                    sim::Nanos timeout = 0);

    // Locks: `result.token` is the fencing token, `result.leaseExpiry` the state
    // machine's lease end. Refused with LockHeld while another owner's lease runs.
    void acquireLock(std::string_view lock, std::string_view owner, sim::Nanos lease, RaftCallback done,
                     sim::Nanos timeout = 0);
    void renewLock(std::string_view lock, std::string_view owner, std::uint64_t token, sim::Nanos lease,
                   RaftCallback done, sim::Nanos timeout = 0);
    void releaseLock(std::string_view lock, std::string_view owner, std::uint64_t token, RaftCallback done,
                     sim::Nanos timeout = 0);
    void getLock(std::string_view lock, RaftCallback done, sim::Nanos timeout = 0);
    // Write guarded by a fencing token: refused (StaleToken) once a newer token exists.
    void putIfToken(std::string_view key, std::string_view value, std::string_view lock, std::uint64_t token,
                    RaftCallback done, sim::Nanos timeout = 0);

    // Any replicated command (clientId/seq/firstUnacked are filled in here).
    void submit(RaftCommand command, RaftCallback done, sim::Nanos timeout = 0);

    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }
    std::uint64_t clientId() const { return m_clientId; }
    int leaderGuess() const { return m_leaderGuess; }
    std::size_t inflight() const { return m_live; }
    std::uint64_t completed(RaftStatus status) const { return m_completed[static_cast<std::size_t>(status)]; }
    std::uint64_t attempts() const { return m_attempts; }
    const RaftClientConfig& config() const { return m_config; }

    void receive(RaftMessage& message) override;
    void inspect(sim::StateWriter& out) const override;

private:
    static constexpr std::size_t kStatusCount = 7;
    struct Op {
        bool live = false;
        std::uint32_t gen = 0;
        RaftOp op = RaftOp::Noop;
        std::string key;                            // reads
        std::shared_ptr<const RaftCommand> command; // writes
        RaftCallback done;
        sim::Nanos started = 0;
        sim::Nanos deadline = 0;
        sim::EventHandle timer;
        int target = 0;
        std::uint32_t attempt = 0;
        bool awaiting = false;      // an attempt is out, no answer yet
        bool maybeApplied = false;  // some attempt may have been appended
        bool definite = false;      // a definite refusal was received
        RaftStatus lastDefinite = RaftStatus::NotLeader;
    };

    std::uint32_t allocOp();
    void startRead(RaftOp op, std::string_view key, RaftCallback done, sim::Nanos timeout);
    void startOp(std::uint32_t slot, sim::Nanos timeout);
    void sendAttempt(std::uint32_t slot);
    void waitThenRetry(std::uint32_t slot, sim::Nanos delay);
    void armTimer(std::uint32_t slot, sim::Nanos at);
    void onTimer(std::uint32_t slot, std::uint32_t gen);
    void finish(std::uint32_t slot, const RaftResult& result);
    void finishStatus(std::uint32_t slot, RaftStatus status);
    int nextNode(int node) const;
    std::uint64_t firstUnacked(std::uint64_t candidate) const;

    RaftCluster& m_cluster;
    sim::World& m_world;
    RaftTransport& m_transport;
    RaftClientConfig m_config;
    sim::ComponentId m_component;
    std::string m_path;
    std::uint64_t m_clientId;
    sim::EventKindId m_timerKind;
    sim::RandomStream m_readRng; // RaftReadMode::Random: the replica of each read
    bool m_ownsComponent = false;
    int m_leaderGuess = 0;
    std::uint64_t m_nextSeq = 1;
    absl::btree_set<std::uint64_t> m_unacked; // sequences of the writes in flight, lowest first
    std::vector<Op> m_ops;
    std::vector<std::uint32_t> m_free;
    std::size_t m_live = 0;
    std::uint64_t m_attempts = 0;
    std::uint64_t m_completed[kStatusCount] = {};
    telemetry::Histogram* m_latency = nullptr;
    telemetry::Counter* m_okCounter = nullptr;
    telemetry::Counter* m_refusedCounter = nullptr;
    telemetry::Counter* m_failedCounter = nullptr;
};

} // namespace livedeck::infra

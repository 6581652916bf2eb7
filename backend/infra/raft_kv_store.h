// RaftKvStore: the replicated state machine of the Raft KV (Taishan stand-in, docs/GIFTS.md).
// Every node applies the same committed commands in log order and so holds the same
// store; reads are served from the leader's store once ReadIndex has confirmed them.
//
// Contents:
// - keys → (value, version, stamp). A key's version is the log index of its last write,
//   so versions grow monotonically and 0 means "absent". cas checks an expected version
//   and/or an expected value. The stamp is a version the caller chose (e.g. the
//   modification-time version of a database row synced from its binlog):
//   setIfNewer(stamp) writes only when the stamp is greater than the key's, so a
//   duplicate (equal) or an older record is refused (NotNewer) and the stamp never goes
//   down; other writes leave the stamp as it is; a deleted key forgets it.
// - locks with leases and fencing tokens. A grant's token is the log index of the
//   acquire entry: unique and increasing for every lock (later grants sit later in the
//   log). Time is the state machine's own: the largest leader timestamp applied so far
//   (each entry carries the timestamp its leader proposed it with), so every replica
//   decides lease expiry identically, and time never runs backwards across leader
//   changes. A holder whose lease ran out keeps its token valid for fenced writes until
//   someone else is granted the lock (then its token is stale) or it releases;
//   a released lock's record is removed, so a fenced write with its token is refused.
// - client sessions for exactly-once writes (Raft dissertation §6.3): per client, the
//   results of commands not yet acknowledged; a retried command gets the cached result.
//   Sessions are never expired (one per RaftClient object, small).
//
// Contract: deterministic (the keys and the lock table are hash maps, looked up by key on
// every command and iterated only in name order, by digest(); sessions in an ordered map),
// copyable (snapshots are copies).
// Single-threaded.
#pragma once

#include "backend/infra/raft_types.h"
#include "backend/sim/strings.h"

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace livedeck::infra {

struct RaftKvValue {
    std::string value;
    std::uint64_t version = 0;
    std::uint64_t stamp = 0; // the highest setIfNewer stamp taken (0 = none)
};

struct RaftLockState {
    std::string owner;
    std::uint64_t token = 0;    // the current grant's token (the acquire's log index)
    sim::Nanos expiry = 0;      // state-machine time at which the lease ends
};

class RaftKvStore {
public:
    // Applies the committed entry at `index`. Noop entries only advance the clock.
    // Returns the command's result (cached for retried commands).
    RaftResult apply(std::uint64_t index, const RaftEntry& entry);

    // Linearizable reads (the caller guarantees the store is at least at the read index).
    void read(std::string_view key, RaftResult& out) const;
    void readLock(std::string_view name, RaftResult& out) const;

    const RaftKvValue* find(std::string_view key) const;
    const RaftLockState* findLock(std::string_view name) const;
    sim::Nanos time() const { return m_time; }
    std::uint64_t appliedIndex() const { return m_appliedIndex; }
    std::size_t keyCount() const { return m_data.size(); }
    std::size_t lockCount() const { return m_locks.size(); }
    std::size_t sessionCount() const { return m_sessions.size(); }
    // A hash of the whole state (keys, locks, sessions, time) for replica comparison.
    std::uint64_t digest() const;

private:
    struct Session {
        std::uint64_t lowWater = 0; // every seq below has been acknowledged by the client
        absl::btree_map<std::uint64_t, RaftResult> results; // by seq; mostly appended at the end, trimmed at the front
    };
    void execute(std::uint64_t index, const RaftCommand& c, RaftResult& r);

    // A hash index: a write or a read finds its key by one hash probe instead of a tree
    // walk of string compares. Nothing iterates it but digest(), which sorts the keys.
    absl::flat_hash_map<std::string, RaftKvValue, sim::StringHash, sim::StringEq> m_data;
    absl::flat_hash_map<std::string, RaftLockState, sim::StringHash, sim::StringEq> m_locks;
    std::map<std::uint64_t, Session> m_sessions;
    sim::Nanos m_time = 0;
    std::uint64_t m_appliedIndex = 0;
};

// A snapshot: the store as of `index` (whose term is `term`). Immutable once taken;
// shared between the node that took it and the followers it is installed on.
struct RaftSnapshot {
    std::uint64_t index = 0;
    std::uint64_t term = 0;
    RaftKvStore state;
};

} // namespace livedeck::infra

// KvStore: the data of one Redis stand-in node (docs/GIFTS.md): strings with TTL, the hash
// and sorted-set subset the engines use, INCRBY, DEL, a version per key with
// compare-and-set, memory accounting and eviction at a budget.
//
// Contract
// - Time: TTLs are absolute sim::Nanos deadlines on the given clock (deadline() turns
//   a TTL into one). A key is expired from the instant now >= expireAt. Every command
//   first removes all keys expired by now (exact, through an expiry index ordered by
//   (deadline, creation sequence)); Redis expires lazily on access plus a sampled
//   active cycle, so it may hold dead keys a while: ours never counts dead keys.
// - Versions: every successful write gives the key a new version, strictly greater than
//   any version the store has handed out (a store-wide version clock), so a deleted and
//   re-created key never repeats an old version (no ABA for compare-and-set).
//   compareAndSet(expected) writes only when the stored version equals `expected`
//   (0 = the key must be absent). setIfNewer(version) writes only when `version` is
//   greater than the stored one and stores that version: the messaging binlog sync
//   uses a modification time as the version, so duplicates and reordered records are
//   refused (docs/MESSAGING.md). A deleted or evicted key forgets its version (it is a cache).
//   hsetIfNewer(field, version) does the same for one field of a hash (a conversation
//   list kept as one hash per user, a field per peer): the field carries a stamp, the
//   highest version written to it, which a plain HSET / HINCRBY leaves alone and HDEL
//   removes; the stamp is accounted as Redis would hold it from a Lua script (a
//   companion field "v:<field>" with a 20-digit value).
// - Memory: approximate bytes per entry, modelled on Redis 7's non-compact encodings:
//   key: kKeyOverhead + key length (dictEntry, robj, sds header); a TTL adds
//   kTtlOverhead (entry in the expires dict); a string adds kStringOverhead + length;
//   a hash field adds kHashFieldOverhead + field + value (dictEntry + two sds); a
//   sorted-set member adds kZsetMemberOverhead + member (skiplist node at the mean
//   1.33 levels + dict entry + sds). Listpack compaction of small hashes/sets is not
//   modelled, so small collections are over-counted.
// - Eviction: allkeys-lru with an exact LRU list (every read or write touches the key).
//   Redis's maxmemory-policy default is noeviction; for a cache whose popularity
//   follows a power law Redis recommends allkeys-lru, and approximates it by sampling
//   maxmemory-samples (5) keys; ours evicts the exact least-recently-used key, so runs
//   are deterministic. Redis evicts before running a command while used > maxmemory,
//   so a command can leave it above the limit; ours evicts after each write until
//   memoryBytes() <= budget (never evicting the key just written) and refuses with
//   OutOfMemory a write whose entry alone would exceed the budget: the store is never
//   over budget between commands (asserted).
// - Sorted sets are ordered by (score, member) like Redis (members compared bytewise),
//   with O(log n) rank queries (an order-statistics tree, as Redis's skiplist spans).
//   HGETALL returns fields in name order (Redis returns hash order).
// - Each command records the work it did (bytes moved, elements visited, keys evicted)
//   in lastWork(): the served node turns it into service time.
// Single-threaded (the world's thread). Iteration is over ordered structures only.
#pragma once

#include "backend/infra/kv_types.h"
#include "backend/sim/strings.h"
#include "backend/sim/time.h"

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace livedeck::infra {

struct KvStoreConfig {
    // 0 = unlimited. 256 MiB: a per-data-centre cache of the engines' hot data; the
    // engines size it (Redis's own default maxmemory is 0 = unlimited on 64-bit).
    std::uint64_t maxMemoryBytes = 256ull << 20;
    // false on a replica: Redis replicas ignore maxmemory (replica-ignore-maxmemory yes)
    // and take the primary's evictions as DELs through replication.
    bool enforceBudget = true;
};

// What one command cost in work, for the service-time model.
struct KvWork {
    std::uint64_t bytes = 0;    // key + value bytes read or written
    std::uint64_t elements = 0; // collection elements visited or returned
    std::uint64_t evicted = 0;  // keys evicted to get under budget
    std::uint64_t expired = 0;  // expired keys removed
};

class KvStore {
public:
    static constexpr std::uint64_t kKeyOverhead = 64;
    static constexpr std::uint64_t kTtlOverhead = 32;
    static constexpr std::uint64_t kStringOverhead = 16;
    static constexpr std::uint64_t kHashFieldOverhead = 48;
    static constexpr std::uint64_t kZsetMemberOverhead = 64;

    // Called for each key evicted (not for expiries): the primary propagates a DEL.
    using EvictionListener = std::function<void(std::string_view key)>;

    explicit KvStore(const sim::Clock& clock, KvStoreConfig config = {});
    ~KvStore();
    KvStore(const KvStore&) = delete;
    KvStore& operator=(const KvStore&) = delete;

    // An absolute deadline `ttl` from now; ttl <= 0 means none (kNever).
    sim::Nanos deadline(sim::Nanos ttl) const;

    // Runs one command (the dispatcher the served node uses); fills `out` and returns
    // its status. Relative TTLs in the request are taken from now. Every command
    // clears `out` first.
    KvStatus execute(const KvRequest& request, KvReply& out);

    // Strings
    KvStatus get(std::string_view key, KvReply& out);
    KvStatus exists(std::string_view key, KvReply& out);
    KvStatus set(std::string_view key, std::string_view value, sim::Nanos expireAt, KvReply& out);
    KvStatus del(std::string_view key, KvReply& out);
    KvStatus incrBy(std::string_view key, std::int64_t delta, KvReply& out); // keeps the TTL, like INCRBY
    KvStatus expire(std::string_view key, sim::Nanos expireAt, KvReply& out); // kNever = PERSIST
    KvStatus ttl(std::string_view key, KvReply& out);
    // Versions
    KvStatus compareAndSet(std::string_view key, std::uint64_t expectedVersion, std::string_view value,
                           sim::Nanos expireAt, KvReply& out);
    KvStatus setIfNewer(std::string_view key, std::string_view value, std::uint64_t version, sim::Nanos expireAt,
                        KvReply& out);
    // Ok: out.integer = 1 if the field is new, out.version = the key's version.
    // VersionConflict (version <= the field's stamp): out.version = the stamp, out.value
    // = the field's current value. The key keeps its TTL.
    KvStatus hsetIfNewer(std::string_view key, std::string_view field, std::string_view value, std::uint64_t version,
                         KvReply& out);
    // Hashes
    KvStatus hset(std::string_view key, std::string_view field, std::string_view value, KvReply& out);
    KvStatus hget(std::string_view key, std::string_view field, KvReply& out);
    KvStatus hdel(std::string_view key, std::string_view field, KvReply& out);
    KvStatus hgetall(std::string_view key, KvReply& out);
    KvStatus hincrBy(std::string_view key, std::string_view field, std::int64_t delta, KvReply& out);
    KvStatus hlen(std::string_view key, KvReply& out);
    // Sorted sets
    KvStatus zadd(std::string_view key, std::string_view member, double score, KvReply& out);
    KvStatus zincrBy(std::string_view key, std::string_view member, double delta, KvReply& out);
    KvStatus zrem(std::string_view key, std::string_view member, KvReply& out);
    KvStatus zscore(std::string_view key, std::string_view member, KvReply& out);
    KvStatus zrank(std::string_view key, std::string_view member, bool reverse, KvReply& out);
    // Members by rank, inclusive, negative indices from the end (ZRANGE / ZREVRANGE).
    KvStatus zrange(std::string_view key, std::int64_t start, std::int64_t stop, bool reverse, KvReply& out);
    // Members with min <= score <= max in order, at most `limit` (0 = all).
    KvStatus zrangeByScore(std::string_view key, double min, double max, std::int64_t limit, KvReply& out);
    KvStatus zcard(std::string_view key, KvReply& out);

    // Replication support: gives an existing key the primary's version.
    void forceVersion(std::string_view key, std::uint64_t version);
    // Replaces this store's data by a copy of `other`'s (full resynchronisation),
    // keeping other's LRU order, TTLs and versions. Returns the bytes copied.
    std::uint64_t copyFrom(const KvStore& other);
    void clear();

    void setEnforceBudget(bool enforce);
    void setMaxMemory(std::uint64_t bytes);
    void setEvictionListener(EvictionListener listener) { m_evictionListener = std::move(listener); }

    // State
    std::uint64_t version(std::string_view key);  // 0 when absent (expires first)
    // A hash field's stamp (hsetIfNewer); 0 when absent or never stamped.
    std::uint64_t fieldStamp(std::string_view key, std::string_view field);
    std::size_t size() const { return m_entries.size(); }
    std::uint64_t memoryBytes() const { return m_memory; }
    const KvStoreConfig& config() const { return m_config; }
    const KvWork& lastWork() const { return m_work; }
    std::uint64_t hits() const { return m_hits; }
    std::uint64_t misses() const { return m_misses; }
    std::uint64_t evictions() const { return m_evictions; }
    std::uint64_t expirations() const { return m_expirations; }
    std::uint64_t versionClock() const { return m_versionClock; }
    // Keys from least to most recently used (tests, inspection of small stores).
    std::vector<std::string> keysByRecency() const;

private:
    struct Entry;
    struct HashValue;
    struct ZSetValue;
    using Map = absl::node_hash_map<std::string, Entry, sim::StringHash, sim::StringEq>;

    void begin(KvReply& out); // clears the reply, then beginCommand()
    void beginCommand();
    void purgeExpired();
    Entry* find(std::string_view key);         // touches the LRU on a hit
    Entry* findRead(std::string_view key, KvReply& out, KvType type, KvStatus& status);
    // Finds or creates a key of `type` for a write; status WrongType when it holds another.
    Entry* findWrite(std::string_view key, KvType type, KvStatus& status, bool& created);
    Entry& create(std::string_view key, KvType type);
    void erase(Entry& e);
    void setExpiry(Entry& e, sim::Nanos expireAt);
    void resize(Entry& e, std::uint64_t bytes);
    std::uint64_t baseBytes(const Entry& e) const;
    bool wouldFit(std::uint64_t entryBytes) const;
    void bumpVersion(Entry& e);
    void afterWrite(Entry& e, KvReply& out);
    void evictToBudget(const Entry* pinned);
    void lruUnlink(Entry& e);
    void lruPushFront(Entry& e);
    void checkInvariants() const;

    const sim::Clock& m_clock;
    KvStoreConfig m_config;
    Map m_entries;
    // (deadline, seq) → entry. A B-tree: every write with a TTL moves its key in this
    // index, and a B-tree's few wide nodes cost fewer cache misses and allocations than
    // a red-black tree's node per key; the order (and so what expires when) is the same.
    absl::btree_map<std::pair<sim::Nanos, std::uint64_t>, Entry*> m_expiry;
    Entry* m_lruHead = nullptr; // most recently used
    Entry* m_lruTail = nullptr; // least recently used
    std::uint64_t m_memory = 0;
    std::uint64_t m_nextSeq = 1;
    std::uint64_t m_versionClock = 0;
    KvWork m_work;
    std::uint64_t m_hits = 0;
    std::uint64_t m_misses = 0;
    std::uint64_t m_evictions = 0;
    std::uint64_t m_expirations = 0;
    EvictionListener m_evictionListener;
};

} // namespace livedeck::infra

// Infrastructure and resilience parts an engine plugin obtains from the host (Infra)
// instead of writing its own: the host's service-time model (a server with concurrency,
// a bounded queue, fault effects and lognormal noise), SQL shards on SQLite (the MySQL
// stand-in), a Redis-style KV pair, a Raft KV group, a message-queue broker with
// producers and consumer groups, and the resilience parts of resilience.h. The host
// builds them with its own libraries over the run's world, so faults, the emulated
// network, metrics and the inspector apply as to a built-in engine's parts
// (docs/PLUGINS.md "Infrastructure and resilience"). The caller owns what it obtains
// and keeps it for the run; callbacks run on the world's thread, always from a later
// event than the call, at most once (not after the object is destroyed).
#pragma once

#include "livedeck_sdk/resilience.h"
#include "livedeck_sdk/world.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace livedeck::sdk {

enum class ServiceOutcome { Ok, Rejected, Down, Error };

struct ServiceConfig {
    double concurrency = 1'000.0;          // real requests served at once
    double maxQueue = 10'000.0;            // real requests waiting at most
    Nanos maxQueueWait = kSecond;          // a job waiting longer is rejected when picked up
    double noiseSigma = 0.25;              // lognormal sigma of the service-time noise
};

// A server on virtual time. submit(): when a worker picks the job up, `work` runs and
// returns its cost in ns (the host applies noise and faults); `done` runs once with the
// outcome and the latency (wait + service).
class ServiceQueue {
public:
    virtual ~ServiceQueue() = default;
    virtual void submit(double weight, std::function<Nanos()> work,
                        std::function<void(ServiceOutcome, Nanos latency)> done) = 0;
    virtual double queued() const = 0;
    virtual double inflight() const = 0;
};

// ------------------------------------------------------------------ SQL shards
// One bound parameter or result cell: NULL, INTEGER, REAL or TEXT.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

struct SqlStatement {
    std::string sql; // `?` placeholders; deterministic (times and ids as parameters)
    std::vector<SqlValue> params;
};

enum class SqlStatus {
    Ok,
    AlreadyExists,      // unique or primary-key violation
    InvalidArgument,    // bad SQL or parameters, a shard out of range
    FailedPrecondition, // another constraint, a write on a read-only instance
    Unavailable,        // instance down or unreachable, injected error, primary lost
    Overloaded,         // queue full or waited too long
    Aborted,            // committed, then discarded by a failover
    Error,              // anything else (see `error`)
};

struct SqlReply {
    SqlStatus status = SqlStatus::Ok;
    std::string error;       // the host's message when not Ok
    std::uint32_t columns = 0;
    std::vector<SqlValue> values; // rows x columns, row-major
    std::int64_t changes = 0;     // rows changed by a write
    std::int64_t lastInsertRowid = 0;
    std::uint64_t position = 0;   // binlog position written (writes) or applied (reads)
    ComponentId servedBy = kNoComponent;
    Nanos latency = 0;            // network + queue + execution as the caller sees it

    bool ok() const { return status == SqlStatus::Ok; }
    std::size_t rowCount() const { return columns ? values.size() / columns : 0; }
    const SqlValue& at(std::size_t row, std::size_t column) const { return values[row * columns + column]; }
};
using SqlCallback = std::function<void(const SqlReply&)>;

enum class SqlConsistency {
    Strong, // the shard's primary
    Weak,   // a replica in the caller's region (the primary when there is none); may be stale
};

struct SqlShardsConfig {
    // The cluster's component path ("danmaku/comment-db"); its shard instances are
    // "<region>/<name>/<shard>".
    std::string name;
    std::uint32_t shards = 4;
    // Data centres of each shard's instances, the first holding the primary; empty =
    // the host's default (a primary in sh-a1, a replica in sh-b1).
    std::vector<std::string> placement;
    // DDL run on every instance at start.
    std::vector<std::string> schema;
    bool semiSync = false;   // acknowledged once a replica received the write
    bool autoFailover = true; // a down primary is replaced by a replica
};

class SqlShards {
public:
    virtual ~SqlShards() = default;
    virtual std::uint32_t shardCount() const = 0;
    virtual std::uint32_t shardOf(std::uint64_t key) const = 0; // key % shards
    // One transaction on the shard's primary (statements in order, all or nothing).
    virtual void write(std::uint32_t shard, std::vector<SqlStatement> transaction, ComponentId from, double weight,
                       SqlCallback done) = 0;
    virtual void read(std::uint32_t shard, SqlConsistency consistency, SqlStatement query, ComponentId from,
                      double weight, SqlCallback done) = 0;
    // Promotes a replica of `shard` now; returns an error text ("" on success).
    virtual std::string failover(std::uint32_t shard) = 0;
    virtual ComponentId component() const = 0;
};

// ------------------------------------------------------------------ KV (Redis-style)
enum class KvStatus {
    Ok,
    NotFound,
    WrongType,
    NotInteger,
    VersionConflict, // compare-and-set refused
    OutOfMemory,
    ReadOnly,
    Rejected,    // the node's queue refused it (overload)
    Unavailable, // the node is down
    Timeout,     // no answer within the client timeout (a write may have been applied)
    Error,       // error-rate fault
};

struct KvReply {
    KvStatus status = KvStatus::Ok;
    std::string value;        // GET
    std::int64_t integer = 0; // INCRBY result; DEL 0|1
    std::uint64_t version = 0; // the key's version after the command (0 = absent)
    Nanos latency = 0;
    bool fromReplica = false;
    bool ok() const { return status == KvStatus::Ok; }
};
using KvCallback = std::function<void(const KvReply&)>;

struct KvConfig {
    // The pair's component path ("sh-a/danmaku/cache"); the nodes are <path>/primary and
    // <path>/replica, the failover sentinel <path>/sentinel.
    std::string path;
    std::string dataCentre;   // empty: the first data centre of the path's region
    std::uint64_t maxMemoryBytes = 64ull << 20; // allkeys-lru beyond this
    Nanos clientTimeout = 250 * kMillisecond;
    bool readFromReplica = true; // reads go to the replica while it is in sync
};

// A primary/replica pair with asynchronous replication and a sentinel that fails over.
class KvCache {
public:
    virtual ~KvCache() = default;
    virtual void get(ComponentId from, std::string_view key, double weight, KvCallback done) = 0;
    // ttl <= 0: no expiry.
    virtual void set(ComponentId from, std::string_view key, std::string_view value, Nanos ttl, double weight,
                     KvCallback done) = 0;
    virtual void del(ComponentId from, std::string_view key, double weight, KvCallback done) = 0;
    virtual void incrBy(ComponentId from, std::string_view key, std::int64_t delta, double weight,
                        KvCallback done) = 0;
    // Writes when the key's version equals `expectedVersion` (0: the key must be absent).
    virtual void compareAndSet(ComponentId from, std::string_view key, std::uint64_t expectedVersion,
                               std::string_view value, Nanos ttl, double weight, KvCallback done) = 0;
    virtual std::uint64_t lostWrites() const = 0; // acknowledged writes a failover lost
    virtual std::uint64_t failovers() const = 0;
    virtual ComponentId component() const = 0;
};

// ------------------------------------------------------------------ Raft KV
enum class RaftStatus {
    Ok,
    Refused,     // the state machine said no (cas mismatch)
    NotLeader,   // no leader reachable: not applied
    NoQuorum,    // the leader lost its majority: not applied
    Timeout,     // no definite answer: a write may or may not have been applied
    Unavailable, // the node turned the request away: not applied
};

struct RaftReply {
    RaftStatus status = RaftStatus::Ok;
    bool found = false;        // reads, del, cas: the key existed
    std::string value;         // read: the value; refused cas: the current value
    std::uint64_t version = 0; // the key's version (log index of its last write); 0 = absent
    std::uint64_t index = 0;   // write: the log index applied at; read: the read index
    bool ok() const { return status == RaftStatus::Ok; }
};
using RaftCallback = std::function<void(const RaftReply&)>;

struct RaftKvConfig {
    // Nodes are "<regions[i]>/infra/<name>/<i>".
    std::string name;
    std::vector<std::string> regions; // empty: one node in each region of the topology
    // The client's component ("sh-a/danmaku/config"); registered unless it exists.
    std::string clientPath;
    Nanos timeout = 250 * kMillisecond;
};

// A Raft group with a linearizable KV state machine and its client; writes are applied
// at most once across retries and leader changes.
class RaftKv {
public:
    virtual ~RaftKv() = default;
    virtual void get(std::string_view key, RaftCallback done) = 0;
    virtual void put(std::string_view key, std::string_view value, RaftCallback done) = 0;
    virtual void cas(std::string_view key, std::uint64_t expectedVersion, std::string_view value,
                     RaftCallback done) = 0;
    virtual void del(std::string_view key, RaftCallback done) = 0;
    virtual std::string leader() const = 0; // the leading node's path, "" when none
    virtual std::uint64_t term() const = 0;
    virtual std::uint64_t committed() const = 0;
    virtual std::size_t nodes() const = 0;
};

// ------------------------------------------------------------------ message queue
enum class MqStatus {
    Ok,
    Timeout,
    Down,
    Rejected,
    BrokerError,
    UnknownTopic,
    UnknownPartition,
    UnknownMember,
    RebalanceInProgress,
    NotOwner, // a commit for a partition the consumer no longer owns
    NotMember,
    Crashed,
};

struct MqRecord {
    std::string topic;
    int partition = 0;
    std::int64_t offset = -1;
    std::string key;
    std::string value;
    double weight = 1.0;
};

struct MqSendResult {
    MqStatus status = MqStatus::Ok;
    int partition = -1;
    std::int64_t offset = -1;
    Nanos latency = 0;
};

class MqProducer {
public:
    virtual ~MqProducer() = default;
    // A non-empty key always goes to the same partition; retried on transport errors.
    virtual void send(std::string_view topic, std::string_view key, std::string_view value, double weight,
                      std::function<void(const MqSendResult&)> done) = 0;
    virtual ComponentId component() const = 0;
};

// A member of a consumer group: partitions are assigned by the broker; offsets are
// committed manually (at-least-once).
class MqConsumer {
public:
    virtual ~MqConsumer() = default;
    virtual void start() = 0; // joins the group
    // One poll at a time: up to `maxRecords` from the assigned partitions.
    virtual void poll(int maxRecords, std::function<void(MqStatus, const std::vector<MqRecord>&)> done) = 0;
    // Commits what the last poll returned (per partition, the offset after its last record).
    virtual void commit(std::function<void(MqStatus)> done) = 0;
    virtual bool isMember() const = 0;
    virtual std::int64_t position(std::string_view topic, int partition) const = 0; // -1: not owned
    virtual ComponentId component() const = 0;
};

// One region's broker (component kind "mq-broker"); topics are partitioned logs. The
// broker outlives the producers and consumers it hands out.
class MqBroker {
public:
    virtual ~MqBroker() = default;
    // Creates a topic (an existing one with the same partition count is kept); "" on success.
    virtual std::string createTopic(std::string_view name, int partitions) = 0;
    // Null with `error` set when the path is taken or malformed.
    virtual std::unique_ptr<MqProducer> producer(std::string_view path, std::string* error) = 0;
    virtual std::unique_ptr<MqConsumer> consumer(std::string_view path, std::string_view group,
                                                 std::vector<std::string> topics, std::string* error) = 0;
    // The group's committed offset of a partition (-1: none) and its lag (records).
    virtual std::int64_t committed(std::string_view group, std::string_view topic, int partition) const = 0;
    virtual std::int64_t lag(std::string_view group, std::string_view topic, int partition) const = 0;
    virtual std::int64_t endOffset(std::string_view topic, int partition) const = 0; // -1: unknown
    virtual ComponentId component() const = 0;
};

class Infra {
public:
    virtual ~Infra() = default;
    // `component` is the server the queue stands for (its faults apply); metrics are
    // <metricPrefix>.requests/.rejected/.errors/.latency/.queue/.inflight.
    virtual std::unique_ptr<ServiceQueue> serviceQueue(ComponentId component, const ServiceConfig& config,
                                                       std::string_view metricPrefix) = 0;
    // Each factory below returns null and sets `error` when the configuration is
    // invalid or a component path it would register is taken or malformed.
    virtual std::unique_ptr<SqlShards> sqlShards(const SqlShardsConfig& config, std::string* error) = 0;
    virtual std::unique_ptr<KvCache> kvCache(const KvConfig& config, std::string* error) = 0;
    virtual std::unique_ptr<RaftKv> raftKv(const RaftKvConfig& config, std::string* error) = 0;
    // `path` is the broker's component ("sh-a/danmaku/mq").
    virtual std::unique_ptr<MqBroker> mqBroker(std::string_view path, std::string* error) = 0;

    // Resilience (resilience.h). `path` names the breaker's component.
    virtual std::unique_ptr<CircuitBreaker> circuitBreaker(std::string_view path, const BreakerConfig& config,
                                                           std::string* error) = 0;
    // Null when ratePerSec or burst is not positive.
    virtual std::unique_ptr<RateLimiter> rateLimiter(double ratePerSec, double burst) = 0;
    // Null when window or limit is not positive.
    virtual std::unique_ptr<WindowLimiter> windowLimiter(Nanos window, double limit) = 0;
    // Timers run as events on `component` (kNoComponent: none).
    virtual std::unique_ptr<ConcurrencyLimiter> concurrencyLimiter(const ConcurrencyConfig& config,
                                                                   ComponentId component, std::string* error) = 0;
};

} // namespace livedeck::sdk

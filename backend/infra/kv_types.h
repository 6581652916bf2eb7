// KV cache vocabulary: the commands a KvStore executes (KvRequest), what they answer
// (KvReply) and the status codes shared by the store, the served node and the client
// path of a KvPair (Redis stand-in, docs/GIFTS.md "Redis: a primary/replica pair per data
// centre").
//
// Contract: plain values, no behaviour beyond classification. A KvReply is reused by
// the client path's call slots (clear() keeps string/vector capacity), so a request in
// steady state does not allocate for its reply unless it returns ranges.
// Times are sim::Nanos on the world's clock.
#pragma once

#include "backend/sim/time.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace livedeck::infra {

enum class KvType : std::uint8_t { String, Hash, SortedSet };

enum class KvStatus : std::uint8_t {
    Ok,
    NotFound,        // the key (or hash field / sorted-set member) is absent: a miss
    WrongType,       // the key holds another type (Redis WRONGTYPE)
    NotInteger,      // INCRBY/HINCRBY on a value that is not a 64-bit integer, overflow, NaN score
    VersionConflict, // compare-and-set refused: the stored version differs / is not older
    OutOfMemory,     // the entry alone would exceed the memory budget (Redis OOM)
    ReadOnly,        // a write reached a replica (Redis READONLY)
    Rejected,        // the node's queue refused the request (overload)
    Unavailable,     // the node is down: connection refused
    Timeout,         // no answer within the client timeout (partition, loss, slowness)
    Error,           // the node failed the request (error-rate fault)
};

const char* toString(KvStatus status);
// True for statuses produced by the transport or the server's health rather than by
// the data (the caller may retry elsewhere or fall back).
bool isTransportError(KvStatus status);

enum class KvOp : std::uint8_t {
    Get,
    Exists,
    Set,
    Del,
    IncrBy,
    Expire,
    Ttl,
    HSet,
    HGet,
    HDel,
    HGetAll,
    HIncrBy,
    HLen,
    ZAdd,
    ZIncrBy,
    ZRem,
    ZScore,
    ZRank,
    ZRange,
    ZRangeByScore,
    ZCard,
    Cas,        // compare-and-set on the key's version
    SetIfNewer, // set when the given version is newer than the stored one
    HSetIfNewer, // set a hash field when the given version is newer than the field's stamp
};

const char* toString(KvOp op);
bool isWrite(KvOp op);

struct KvRequest {
    KvOp op = KvOp::Get;
    std::string key;
    std::string field;         // hash field or sorted-set member
    std::string value;
    std::int64_t integer = 0;  // INCRBY/HINCRBY delta; ZRANGE start; ZRANGEBYSCORE limit (0 = none)
    std::int64_t stop = -1;    // ZRANGE stop (inclusive, negative counts from the end)
    double score = 0.0;        // ZADD score; ZINCRBY delta; ZRANGEBYSCORE min
    double maxScore = 0.0;     // ZRANGEBYSCORE max
    bool reverse = false;      // ZRANGE/ZRANK: highest score first
    std::uint64_t version = 0; // CAS: expected version (0 = key must be absent); (H)SETIFNEWER: the version
    sim::Nanos ttl = 0;        // SET/CAS/SETIFNEWER/EXPIRE: time to live (0 = none)
    sim::Nanos expireAt = 0;   // absolute expiry; overrides ttl when non-zero (replication)
};

struct ScoredMember {
    std::string member;
    double score = 0.0;
};

struct KvReply {
    KvStatus status = KvStatus::Ok;
    std::string value;         // GET, HGET
    std::int64_t integer = 0;  // INCRBY/HINCRBY result; DEL/HDEL/ZREM/ZADD/HSET/EXISTS/EXPIRE 0|1;
                               // HLEN/ZCARD; ZRANK; TTL in ns (-1 no TTL, -2 no key)
    double score = 0.0;        // ZSCORE, ZINCRBY
    std::uint64_t version = 0; // the key's version after the command (0 = absent)
    std::vector<std::pair<std::string, std::string>> fields; // HGETALL, by field name
    std::vector<ScoredMember> members;                       // ZRANGE / ZRANGEBYSCORE
    // Filled by the client path of a KvPair:
    sim::Nanos latency = 0;    // from the call to the answer
    bool fromReplica = false;  // served by the replica (read/write split)

    bool ok() const { return status == KvStatus::Ok; }
    void clear();
};

} // namespace livedeck::infra

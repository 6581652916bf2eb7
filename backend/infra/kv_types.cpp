#include "backend/infra/kv_types.h"

namespace livedeck::infra {

const char* toString(KvStatus status)
{
    switch (status) {
    case KvStatus::Ok:
        return "ok";
    case KvStatus::NotFound:
        return "not-found";
    case KvStatus::WrongType:
        return "wrong-type";
    case KvStatus::NotInteger:
        return "not-integer";
    case KvStatus::VersionConflict:
        return "version-conflict";
    case KvStatus::OutOfMemory:
        return "out-of-memory";
    case KvStatus::ReadOnly:
        return "read-only";
    case KvStatus::Rejected:
        return "rejected";
    case KvStatus::Unavailable:
        return "unavailable";
    case KvStatus::Timeout:
        return "timeout";
    case KvStatus::Error:
        return "error";
    }
    return "?";
}

bool isTransportError(KvStatus status)
{
    switch (status) {
    case KvStatus::ReadOnly:
    case KvStatus::Rejected:
    case KvStatus::Unavailable:
    case KvStatus::Timeout:
    case KvStatus::Error:
        return true;
    default:
        return false;
    }
}

const char* toString(KvOp op)
{
    switch (op) {
    case KvOp::Get:
        return "get";
    case KvOp::Exists:
        return "exists";
    case KvOp::Set:
        return "set";
    case KvOp::Del:
        return "del";
    case KvOp::IncrBy:
        return "incrby";
    case KvOp::Expire:
        return "expire";
    case KvOp::Ttl:
        return "ttl";
    case KvOp::HSet:
        return "hset";
    case KvOp::HGet:
        return "hget";
    case KvOp::HDel:
        return "hdel";
    case KvOp::HGetAll:
        return "hgetall";
    case KvOp::HIncrBy:
        return "hincrby";
    case KvOp::HLen:
        return "hlen";
    case KvOp::ZAdd:
        return "zadd";
    case KvOp::ZIncrBy:
        return "zincrby";
    case KvOp::ZRem:
        return "zrem";
    case KvOp::ZScore:
        return "zscore";
    case KvOp::ZRank:
        return "zrank";
    case KvOp::ZRange:
        return "zrange";
    case KvOp::ZRangeByScore:
        return "zrangebyscore";
    case KvOp::ZCard:
        return "zcard";
    case KvOp::Cas:
        return "cas";
    case KvOp::SetIfNewer:
        return "setifnewer";
    case KvOp::HSetIfNewer:
        return "hsetifnewer";
    }
    return "?";
}

bool isWrite(KvOp op)
{
    switch (op) {
    case KvOp::Set:
    case KvOp::Del:
    case KvOp::IncrBy:
    case KvOp::Expire:
    case KvOp::HSet:
    case KvOp::HDel:
    case KvOp::HIncrBy:
    case KvOp::ZAdd:
    case KvOp::ZIncrBy:
    case KvOp::ZRem:
    case KvOp::Cas:
    case KvOp::SetIfNewer:
    case KvOp::HSetIfNewer:
        return true;
    default:
        return false;
    }
}

void KvReply::clear()
{
    status = KvStatus::Ok;
    value.clear();
    integer = 0;
    score = 0.0;
    version = 0;
    fields.clear();
    members.clear();
    latency = 0;
    fromReplica = false;
}

} // namespace livedeck::infra

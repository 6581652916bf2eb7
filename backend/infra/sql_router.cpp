#include "backend/infra/sql_router.h"

#include "backend/sim/strings.h"

#include <cassert>

namespace livedeck::infra {

ShardRouter::KeyFunction ShardRouter::modulo(std::uint32_t shards)
{
    assert(shards > 0);
    return [shards](std::uint64_t key) { return static_cast<std::uint32_t>(key % shards); };
}

ShardRouter::KeyFunction ShardRouter::legacyMessaging()
{
    return [](std::uint64_t key) { return static_cast<std::uint32_t>(key % 1000 / 100); };
}

ShardRouter::ShardRouter(std::uint32_t shards, KeyFunction keyFunction, const sim::Calendar& calendar)
    : m_shards(shards), m_keyFunction(keyFunction ? std::move(keyFunction) : modulo(shards)), m_calendar(&calendar)
{
    assert(shards > 0);
}

std::uint32_t ShardRouter::shardOf(std::uint64_t key) const
{
    const std::uint32_t shard = m_keyFunction(key);
    assert(shard < m_shards && "key function returned a shard beyond the cluster");
    return shard < m_shards ? shard : shard % m_shards;
}

SqlRoute ShardRouter::route(std::uint64_t key, sim::Nanos time, std::string_view family) const
{
    SqlRoute r;
    r.shard = shardOf(key);
    r.partition = partitionOf(time);
    r.table = tableName(family, r.partition);
    return r;
}

std::string ShardRouter::tableName(std::string_view family, int partition)
{
    return sim::strCat(family, "_", partition);
}

int ShardRouter::partitionOfTable(std::string_view table, std::string_view family)
{
    if (table.size() != family.size() + 7 || table.substr(0, family.size()) != family || table[family.size()] != '_')
        return 0;
    int value = 0;
    for (char c : table.substr(family.size() + 1)) {
        if (c < '0' || c > '9')
            return 0;
        value = value * 10 + (c - '0');
    }
    return value;
}

} // namespace livedeck::infra

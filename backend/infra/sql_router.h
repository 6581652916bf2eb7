// ShardRouter: which shard and which month partition table a key goes to.
//
// - Pluggable key functions: modulo(n) = key % n (gifts' orders: "10 databases
//   sharded by UID", docs/GIFTS.md), legacyMessaging() = key % 1000 / 100 (messaging's old
//   conversation sharding, docs/MESSAGING.md — it sends most of the key space's structure to
//   ten buckets and reproduces the skew), or any function returning a shard < shards.
// - Month partitions from the world's calendar (sim::Calendar::monthKey, local date):
//   table "<family>_<yyyymm>", e.g. orders_202612 then orders_202701 across New Year.
// Pure (no world state); cheap to copy.
#pragma once

#include "backend/sim/calendar.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace livedeck::infra {

struct SqlRoute {
    std::uint32_t shard = 0;
    int partition = 0;   // yyyymm, 0 when the family is not partitioned
    std::string table;   // "orders_202612", or the family itself when not partitioned
};

class ShardRouter {
public:
    using KeyFunction = std::function<std::uint32_t(std::uint64_t key)>;

    static KeyFunction modulo(std::uint32_t shards);
    static KeyFunction legacyMessaging();

    // An empty key function means modulo(shards).
    ShardRouter(std::uint32_t shards, KeyFunction keyFunction, const sim::Calendar& calendar);

    std::uint32_t shards() const { return m_shards; }
    std::uint32_t shardOf(std::uint64_t key) const;
    int partitionOf(sim::Nanos time) const { return m_calendar->monthKey(time); }
    // Shard of `key`, partition of `time`, table "<family>_<yyyymm>".
    SqlRoute route(std::uint64_t key, sim::Nanos time, std::string_view family) const;

    static std::string tableName(std::string_view family, int partition);
    // The partition of a table named "<family>_<yyyymm>", or 0.
    static int partitionOfTable(std::string_view table, std::string_view family);

private:
    std::uint32_t m_shards;
    KeyFunction m_keyFunction;
    const sim::Calendar* m_calendar;
};

} // namespace livedeck::infra

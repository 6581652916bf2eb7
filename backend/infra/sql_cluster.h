// SqlCluster: the MySQL stand-in — N shards (SqlShard), each a primary and replicas
// on real SQLite databases, a ShardRouter, a slow-query log, failover on primary
// failure and the per-shard load for the console's shard heatmap.
//
// Contract:
// - create() validates the configuration (data centres, DDL on a scratch database,
//   storage) before it registers anything in the world, then builds every instance,
//   applies the schema, and registers "<cluster>" (kind sql-cluster) — see
//   SqlClusterConfig for the path scheme and defaults.
// - route(key, family) picks the shard (key function) and the month partition of
//   the world's calendar now, creating that month's partition tables on every
//   instance on first use (schema changes bypass replication, as ops run DDL on each
//   server); pass the route's partition in SqlCall for the heatmap.
// - Automatic failover: a fault listener arms each shard's detection when its
//   primary is down (SqlShard::onFaultsChanged).
// - With a Telemetry, registers metrics (sql.* by instance/shard path) and adds
//   itself as a SnapshotContributor (one v1::ShardLoad per shard and partition).
// Single-threaded (the world's thread). Must outlive every scheduled event of the
// world that refers to it (destroy it after the world stops running).
#pragma once

#include "backend/infra/slow_query_log.h"
#include "backend/infra/sql_config.h"
#include "backend/infra/sql_router.h"
#include "backend/infra/sql_shard.h"
#include "backend/telemetry/telemetry.h"

#include <absl/status/statusor.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace livedeck::infra {

class SqlCluster final : public telemetry::SnapshotContributor, public sim::Inspectable {
public:
    static absl::StatusOr<std::unique_ptr<SqlCluster>> create(sim::World& world, SqlClusterConfig config,
                                                              telemetry::Telemetry* telemetry = nullptr);
    ~SqlCluster() override;
    SqlCluster(const SqlCluster&) = delete;
    SqlCluster& operator=(const SqlCluster&) = delete;

    const SqlClusterConfig& config() const { return m_config; }
    const std::string& name() const { return m_config.name; }
    sim::ComponentId id() const { return m_id; }
    const ShardRouter& router() const { return m_router; }
    std::uint32_t shardCount() const { return static_cast<std::uint32_t>(m_shards.size()); }
    SqlShard& shard(std::uint32_t index) { return *m_shards[index]; }
    const SqlShard& shard(std::uint32_t index) const { return *m_shards[index]; }
    SlowQueryLog& slowLog() { return m_slowLog; }
    const SlowQueryLog& slowLog() const { return m_slowLog; }

    // Routing: the shard of `key`; with a family, also the partition table of now.
    std::uint32_t shardOf(std::uint64_t key) const { return m_router.shardOf(key); }
    absl::StatusOr<SqlRoute> route(std::uint64_t key, std::string_view family);
    // Creates the partition tables of one month (yyyymm) on every instance; idempotent.
    absl::Status ensurePartition(int partition);
    const std::set<int>& partitions() const { return m_partitions; }

    void write(std::uint32_t shard, std::shared_ptr<const SqlBatch> batch, const SqlCall& call, SqlCallback callback)
    {
        m_shards[shard]->write(std::move(batch), call, std::move(callback));
    }
    void read(std::uint32_t shard, Consistency consistency, SqlQuery query, const SqlCall& call, SqlCallback callback)
    {
        m_shards[shard]->read(consistency, std::move(query), call, std::move(callback));
    }
    absl::StatusOr<FailoverReport> failover(std::uint32_t shard, std::string_view reason = "operator")
    {
        return m_shards[shard]->failover(reason);
    }
    absl::StatusOr<std::uint64_t> subscribe(std::uint32_t shard, std::uint64_t fromPosition,
                                            sim::ComponentId subscriber, BinlogCallback callback)
    {
        return m_shards[shard]->subscribe(fromPosition, subscriber, std::move(callback));
    }
    void unsubscribe(std::uint32_t shard, std::uint64_t subscription) { m_shards[shard]->unsubscribe(subscription); }
    // Called after every failover of any shard.
    void addFailoverListener(FailoverListener listener) { m_failoverListeners.push_back(std::move(listener)); }

    void contribute(v1::Snapshot& snapshot) const override;
    void inspect(sim::StateWriter& out) const override;

private:
    SqlCluster(sim::World& world, SqlClusterConfig config, telemetry::Telemetry* telemetry,
               std::vector<std::vector<std::unique_ptr<SqlConnection>>> connections);

    sim::World& m_world;
    SqlClusterConfig m_config;
    telemetry::Telemetry* m_telemetry;
    ShardRouter m_router;
    sim::ComponentId m_id;
    SlowQueryLog m_slowLog;
    std::vector<std::unique_ptr<SqlShard>> m_shards;
    std::set<int> m_partitions;
    std::vector<FailoverListener> m_failoverListeners;
    std::shared_ptr<bool> m_alive; // the fault listener outlives the cluster
};

} // namespace livedeck::infra

// SqlClusterConfig: how one emulated MySQL cluster is built.
//
// Naming (component paths, docs/ARCHITECTURE.md, property 6):
//   "<cluster>"                   the cluster, e.g. "gifts/order-db" (kind sql-cluster)
//   "<cluster>/<shard>"           one shard's logical state, e.g. "gifts/order-db/3" (sql-shard)
//   "<region>/<cluster>/<shard>"  the shard's instance in that region, e.g. "sh-a/gifts/order-db/3"
//                                 (sql-instance); a second instance of the shard in the same
//                                 region is "<region>/<cluster>/<shard>.1", and so on.
// Paths name places, not roles: the primary is wherever the shard's primary currently
// is (initially the first placement). A fault on "sh-a/gifts/order-db/3" hits that one
// instance, on "*/gifts/order-db/3" every instance of shard 3, on "sh-a" the region.
//
// Defaults and their sources:
//   shards 10                  docs/GIFTS.md: orders live in 10 databases sharded by UID
//   placement sh-a1, sh-b1     primary in sh-a, a replica in the other data centre of the city
//   semiSyncTimeout 10 s       MySQL rpl_semi_sync_master_timeout default (10000 ms)
//   connectRetry 1 s           MySQL's MASTER_CONNECT_RETRY is 60 s; 1 s keeps drills short
//   failoverDetection 3 s      orchestrator-style detection: a few missed 1 s health checks
//   service: 32 concurrent, 4,096 queued, 1 s max wait — a 32-core database host
//            (statements run in parallel up to the core count, the rest queue in the
//            thread pool); disk-bound, so slow-disk faults apply.
//   pageCache 0 pages          unbounded: a plain in-memory database that never reads a
//                              page (the engines built before the buffer-pool model keep
//                              their costs). N > 0 models InnoDB's buffer pool with
//                              SQLite's own page cache: every instance holds at most N
//                              pages and each page it must read is charged
//                              cost.pageReadNs (× slow-disk faults), see SqlConnection.
#pragma once

#include "backend/infra/binlog.h"
#include "backend/infra/service_queue.h"
#include "backend/infra/slow_query_log.h"
#include "backend/infra/sql_connection.h"
#include "backend/infra/sql_cost_model.h"
#include "backend/infra/sql_router.h"

#include <string>
#include <vector>

namespace livedeck::infra {

enum class ReplicationMode : std::uint8_t {
    Async,    // acknowledged at once; a primary crash loses what was not yet shipped
    SemiSync, // acknowledged once ≥ 1 replica received it, or async after the timeout
};

const char* toString(ReplicationMode mode);

struct SqlClusterConfig;
// The path of a shard's instance at placement index `placement` (see the naming above);
// empty when the placement names an unknown data centre.
std::string sqlInstancePath(const sim::Topology& topology, const SqlClusterConfig& config, std::uint32_t shard,
                            std::size_t placement);

// A family of month partition tables: `ddl` is run with every "{table}" replaced by
// "<name>_<yyyymm>", e.g. "CREATE TABLE IF NOT EXISTS {table} (order_id INTEGER …)".
struct PartitionFamily {
    std::string name;
    std::string ddl;
};

inline ServiceConfig defaultSqlServiceConfig()
{
    ServiceConfig c;
    c.concurrency = 32.0;
    c.maxQueue = 4'096.0;
    c.maxQueueWait = 1 * sim::kSecond;
    c.noiseSigma = 0.25;
    c.diskBound = true;
    return c;
}

struct SqlClusterConfig {
    std::string name = "sql/main";
    std::uint32_t shards = 10;
    // Data centres of each shard's instances; the first holds the initial primary.
    std::vector<std::string> placement = {"sh-a1", "sh-b1"};
    // DDL applied to every instance at start (tables, unique indexes).
    std::vector<std::string> schema;
    // Month-partitioned table families, created on demand for each month routed to.
    std::vector<PartitionFamily> partitions;
    ShardRouter::KeyFunction shardKey; // empty = key % shards

    ReplicationMode replication = ReplicationMode::Async;
    sim::Nanos semiSyncTimeout = 10 * sim::kSecond;
    sim::Nanos applyDelay = 0; // extra delay before a replica applies what it received
    sim::Nanos connectRetry = 1 * sim::kSecond;
    bool autoFailover = true;
    sim::Nanos failoverDetection = 3 * sim::kSecond;

    ServiceConfig service = defaultSqlServiceConfig();
    SqlCostModel cost;
    SqlPageCache pageCache; // per instance; {0, 0} = unbounded, SQLite's default page size
    SlowQueryConfig slowQuery;
    std::size_t binlogRetentionBytes = Binlog::kDefaultRetentionBytes;
    // Empty: every instance is a private in-memory database. Otherwise each instance
    // is the file "<storageDir>/<path with '/' → '_'>.db".
    std::string storageDir;
};

} // namespace livedeck::infra

// SettlementDb: the settlement ledger of the gift system — an emulated MySQL cluster
// ("gifts/settlement-db", one shard, primary sh-a with replicas in sh-b and gz,
// semi-synchronous) holding one row per settled order:
//   settlements(seq INTEGER PRIMARY KEY, order_id, uid, amount, region, settled_at)
// With `uniqueIndex` (the default) order_id has a UNIQUE index and a settlement is
// INSERT … ON CONFLICT (order_id) DO NOTHING: a duplicate order event is absorbed by
// the database (docs/GIFTS.md: "consumers are idempotent (unique DB index …)"). Without it
// (sabotage "consumer not idempotent") the insert is plain and a duplicate settles twice.
//
// Contract: settle(orders) writes one transaction (one statement per order) with a 1 s
// timeout and answers exactly once, from a later event (TimedSql). The scans read the
// current primary's SQLite database directly, outside virtual time: they are the
// invariant checker's view, not part of the system.
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/order_service.h"
#include "backend/gifts/timed_sql.h"
#include "backend/telemetry/telemetry.h"

#include <absl/status/statusor.h>

#include <map>
#include <memory>
#include <span>
#include <vector>

namespace livedeck::gifts {

struct SettlementDbConfig {
    std::vector<std::string> placement = {"sh-a1", "sh-b1", "gz1"};
    infra::ReplicationMode replication = infra::ReplicationMode::SemiSync;
    sim::Nanos timeout = 1 * sim::kSecond; // as the order path's DB timeout
    bool uniqueIndex = true;
    std::string storageDir;
};

class SettlementDb {
public:
    using Done = TimedSql::Done;

    static absl::StatusOr<std::unique_ptr<SettlementDb>> create(sim::World& world, telemetry::Telemetry* telemetry,
                                                                SettlementDbConfig config);
    ~SettlementDb();

    void settle(std::span<const PaidOrder> orders, sim::ComponentId caller, Done done);

    // Rows with seq > afterSeq, as (seq, order_id), in seq order (checker).
    void scanSince(std::int64_t afterSeq, std::vector<std::pair<std::int64_t, OrderId>>& out) const;
    // Settlement rows per order (checker).
    void countByOrder(std::map<OrderId, int>& out) const;
    std::int64_t rows() const;

    bool uniqueIndex() const { return m_config.uniqueIndex; }
    infra::SqlCluster& cluster() { return *m_cluster; }
    const infra::SqlCluster& cluster() const { return *m_cluster; }
    std::uint64_t timeouts() const { return m_calls.timeouts(); }

private:
    SettlementDb(sim::World& world, std::unique_ptr<infra::SqlCluster> cluster, SettlementDbConfig config);

    sim::World& m_world;
    std::unique_ptr<infra::SqlCluster> m_cluster;
    SettlementDbConfig m_config;
    TimedSql m_calls;
    std::string m_insert;
};

} // namespace livedeck::gifts

// OrderStore: the order database of the gift system — an emulated MySQL cluster
// ("gifts/order-db", SqlCluster on SQLite) of 10 shards by UID, each table family
// partitioned by month (docs/GIFTS.md), and the statements the order path runs on it, each
// with a deadline.
//
// Tables (per shard):
//   orders_<yyyymm>   order_id PK, uid, client_seq, product, quantity, amount, status,
//                     lock_token (the Raft fencing token of the attempt that created it),
//                     region, created_at, updated_at (indexed: the audit's window)
//   payments_<yyyymm> order_id PK, uid, amount, paid_at — written by the payment
//                     service when the bank charged (the payment callback); the
//                     payment re-check reads it at the primary (strong read)
//   order_keys        (uid, client_seq) → order_id, month: the idempotency key. With
//                     `uniqueKey` its primary key is (uid, client_seq), so a second
//                     order for one key fails with AlreadyExists; it is not partitioned,
//                     so the key holds across the 31 Dec → 1 Jan partition change.
//                     Without (sabotage) it is a plain table with an ordinary index.
// Status values are OrderStatus as integers (created 0, paid 1, failed 2, refunding 3,
// refunded 4).
//
// Contract: every call returns at once and its callback runs exactly once, on the
// world's thread, from a later event: with the SqlResult, or with DeadlineExceeded
// when the database did not answer within the call's timeout (the write may still
// commit: an ambiguous outcome the order path resolves by its re-check). Writes carry
// the order id as the statement key, so a failover's FailoverReport names the orders it
// lost. Reads here are strong (the primary) unless stated.
// Single-threaded (the world's thread). Owns its SqlCluster; must outlive the world's
// scheduled events that refer to it.
#pragma once

#include "backend/gifts/gift_types.h"
#include "backend/gifts/gifts_config.h"
#include "backend/gifts/timed_sql.h"
#include "backend/infra/sql_cluster.h"
#include "backend/telemetry/telemetry.h"

#include <absl/status/statusor.h>

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace livedeck::gifts {

struct NewOrder {
    OrderId order = 0;
    IdempotencyKey key;
    ProductId product = 0;
    std::uint32_t quantity = 1;
    std::int64_t amountCents = 0;
    std::uint64_t lockToken = 0;
    int region = -1;
    int partition = 0;
    double weight = 1.0;
};

// Where an order lives: its shard (by UID) and month partition.
struct OrderPlace {
    OrderId order = 0;
    Uid uid = 0;
    int partition = 0;
};

class OrderStore {
public:
    using Done = TimedSql::Done;

    static absl::StatusOr<std::unique_ptr<OrderStore>> create(sim::World& world, telemetry::Telemetry* telemetry,
                                                              const OrderDbConfig& config, bool uniqueKey,
                                                              sim::Nanos timeout);
    ~OrderStore();
    OrderStore(const OrderStore&) = delete;
    OrderStore& operator=(const OrderStore&) = delete;

    infra::SqlCluster& cluster() { return *m_cluster; }
    const infra::SqlCluster& cluster() const { return *m_cluster; }
    std::uint32_t shardOf(Uid uid) const { return m_cluster->shardOf(uid); }
    // The month partition of now (creating its tables on first use).
    int partitionNow();
    sim::Nanos timeout() const { return m_timeout; }
    bool uniqueKey() const { return m_uniqueKey; }

    // INSERT the order (status created) and its idempotency key in one transaction.
    // AlreadyExists when the key exists (uniqueKey only).
    void insertOrder(const NewOrder& order, sim::ComponentId from, Done done);
    // UPDATE status to `to` where it is still `from`; result.changes says whether it did.
    void setStatus(const OrderPlace& place, OrderStatus from, OrderStatus to, sim::ComponentId caller, double weight,
                   Done done);
    // The payment callback: INSERT … ON CONFLICT DO NOTHING into payments.
    void insertPayment(const OrderPlace& place, std::int64_t amountCents, sim::ComponentId caller, double weight,
                       Done done);
    // Strong read of the payment row: one row (paid_at) when the bank's charge was recorded.
    void readPayment(const OrderPlace& place, sim::ComponentId caller, double weight, Done done);
    // Strong read of the key: rows (order_id, month).
    void readKey(const IdempotencyKey& key, sim::ComponentId caller, double weight, Done done);
    // Strong read of one order: rows (status).
    void readStatus(const OrderPlace& place, sim::ComponentId caller, double weight, Done done);
    // Strong read of many orders of one shard and partition: rows (order_id, status);
    // `orders.size()` <= kInBatch.
    void readStatuses(std::uint32_t shard, int partition, std::span<const OrderId> orders, sim::ComponentId caller,
                      double weight, Done done);
    static constexpr std::size_t kInBatch = 64;
    // Strong read of the orders of one shard and partition that became paid in
    // [from, to): rows (order_id, uid). Uses the index on updated_at.
    void readPaidBetween(std::uint32_t shard, int partition, sim::Nanos from, sim::Nanos to, sim::ComponentId caller,
                         Done done);

    // Straight from the current primary's database, outside virtual time (end-of-run
    // checks): status of every order of every partition, by order id.
    void scanStatuses(std::map<OrderId, OrderStatus>& out) const;

    std::uint64_t timeouts() const { return m_calls.timeouts(); }

private:
    struct PartitionSql {
        std::string insertOrder;
        std::string setStatus;
        std::string insertPayment;
        std::string readPayment;
        std::string readStatus;
        std::string readStatuses;
        std::string readPaidBetween;
    };
    OrderStore(sim::World& world, std::unique_ptr<infra::SqlCluster> cluster, bool uniqueKey, sim::Nanos timeout);
    const PartitionSql& sql(int partition);
    void write(std::uint32_t shard, std::shared_ptr<const infra::SqlBatch> batch, const infra::SqlCall& call,
               Done done);
    void read(std::uint32_t shard, infra::SqlQuery query, const infra::SqlCall& call, Done done);

    sim::World& m_world;
    std::unique_ptr<infra::SqlCluster> m_cluster;
    bool m_uniqueKey;
    sim::Nanos m_timeout;
    TimedSql m_calls;
    std::map<int, PartitionSql> m_sql;
    int m_lastPartition = 0;
    const PartitionSql* m_lastSql = nullptr;
};

// Classification of a SQL status for the order path.
bool isDuplicate(const absl::Status& status);  // AlreadyExists
bool isAmbiguous(const absl::Status& status);  // the write may have committed (deadline, lost reply, aborted)

} // namespace livedeck::gifts

#include "backend/gifts/order_store.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace livedeck::gifts {
namespace {

constexpr const char* kOrdersFamily = "orders";
constexpr const char* kPaymentsFamily = "payments";
constexpr const char* kOrdersDdl =
    "CREATE TABLE IF NOT EXISTS {table} (order_id INTEGER PRIMARY KEY, uid INTEGER NOT NULL, "
    "client_seq INTEGER NOT NULL, product INTEGER NOT NULL, quantity INTEGER NOT NULL, amount INTEGER NOT NULL, "
    "status INTEGER NOT NULL, lock_token INTEGER NOT NULL, region INTEGER NOT NULL, created_at INTEGER NOT NULL, "
    "updated_at INTEGER NOT NULL); CREATE INDEX IF NOT EXISTS {table}_updated ON {table}(updated_at)";
constexpr const char* kPaymentsDdl =
    "CREATE TABLE IF NOT EXISTS {table} (order_id INTEGER PRIMARY KEY, uid INTEGER NOT NULL, amount INTEGER NOT NULL, "
    "paid_at INTEGER NOT NULL)";
constexpr const char* kKeysUnique =
    "CREATE TABLE order_keys (uid INTEGER NOT NULL, client_seq INTEGER NOT NULL, order_id INTEGER NOT NULL, "
    "month INTEGER NOT NULL, PRIMARY KEY (uid, client_seq))";
constexpr const char* kKeysPlain =
    "CREATE TABLE order_keys (uid INTEGER NOT NULL, client_seq INTEGER NOT NULL, order_id INTEGER NOT NULL, "
    "month INTEGER NOT NULL); CREATE INDEX order_keys_key ON order_keys(uid, client_seq)";
constexpr const char* kInsertKey = "INSERT INTO order_keys (uid, client_seq, order_id, month) VALUES (?, ?, ?, ?)";
constexpr const char* kReadKey = "SELECT order_id, month FROM order_keys WHERE uid = ? AND client_seq = ?";

std::int64_t i64(std::uint64_t v)
{
    return static_cast<std::int64_t>(v);
}

} // namespace

bool isDuplicate(const absl::Status& status)
{
    return status.code() == absl::StatusCode::kAlreadyExists;
}

bool isAmbiguous(const absl::Status& status)
{
    return status.code() == absl::StatusCode::kDeadlineExceeded || status.code() == absl::StatusCode::kUnavailable;
}

absl::StatusOr<std::unique_ptr<OrderStore>> OrderStore::create(sim::World& world, telemetry::Telemetry* telemetry,
                                                               const OrderDbConfig& config, bool uniqueKey,
                                                               sim::Nanos timeout)
{
    infra::SqlClusterConfig c;
    c.name = "gifts/order-db";
    c.shards = config.shards;
    c.placement = config.placement;
    c.schema = {uniqueKey ? kKeysUnique : kKeysPlain};
    c.partitions = {{kOrdersFamily, kOrdersDdl}, {kPaymentsFamily, kPaymentsDdl}};
    c.replication = config.replication;
    c.failoverDetection = config.failoverDetection;
    c.storageDir = config.storageDir;
    auto cluster = infra::SqlCluster::create(world, std::move(c), telemetry);
    if (!cluster.ok())
        return cluster.status();
    return std::unique_ptr<OrderStore>(new OrderStore(world, std::move(*cluster), uniqueKey, timeout));
}

OrderStore::OrderStore(sim::World& world, std::unique_ptr<infra::SqlCluster> cluster, bool uniqueKey,
                       sim::Nanos timeout)
    : m_world(world),
      m_cluster(std::move(cluster)),
      m_uniqueKey(uniqueKey),
      m_timeout(timeout),
      m_calls(world, *m_cluster, timeout, "order-db")
{
}

OrderStore::~OrderStore() = default;

int OrderStore::partitionNow()
{
    const int p = m_cluster->router().partitionOf(m_world.now());
    if (p != m_lastPartition)
        sql(p);
    return p;
}

const OrderStore::PartitionSql& OrderStore::sql(int partition)
{
    if (partition == m_lastPartition && m_lastSql)
        return *m_lastSql;
    auto it = m_sql.find(partition);
    if (it == m_sql.end()) {
        const absl::Status st = m_cluster->ensurePartition(partition);
        if (!st.ok()) {
            std::fprintf(stderr, "gifts: cannot create partition %d: %s\n", partition, std::string(st.message()).c_str());
            std::abort();
        }
        const std::string orders = infra::ShardRouter::tableName(kOrdersFamily, partition);
        const std::string payments = infra::ShardRouter::tableName(kPaymentsFamily, partition);
        PartitionSql s;
        s.insertOrder = sim::strCat("INSERT INTO ", orders,
                                    " (order_id, uid, client_seq, product, quantity, amount, status, lock_token, region, "
                                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)");
        s.setStatus = sim::strCat("UPDATE ", orders, " SET status = ?, updated_at = ? WHERE order_id = ? AND status = ?");
        s.insertPayment = sim::strCat("INSERT INTO ", payments,
                                      " (order_id, uid, amount, paid_at) VALUES (?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING");
        s.readPayment = sim::strCat("SELECT paid_at FROM ", payments, " WHERE order_id = ?");
        s.readStatus = sim::strCat("SELECT status FROM ", orders, " WHERE order_id = ?");
        s.readPaidBetween = sim::strCat("SELECT order_id, uid FROM ", orders,
                                        " WHERE updated_at >= ? AND updated_at < ? AND status = 1");
        std::string in;
        for (std::size_t i = 0; i < kInBatch; ++i)
            in.append(i == 0 ? "?" : ", ?");
        s.readStatuses = sim::strCat("SELECT order_id, status FROM ", orders, " WHERE order_id IN (", in, ")");
        it = m_sql.emplace(partition, std::move(s)).first;
    }
    m_lastPartition = partition;
    m_lastSql = &it->second;
    return it->second;
}

void OrderStore::write(std::uint32_t shard, std::shared_ptr<const infra::SqlBatch> batch, const infra::SqlCall& call,
                       Done done)
{
    m_calls.write(shard, std::move(batch), call, std::move(done));
}

void OrderStore::read(std::uint32_t shard, infra::SqlQuery query, const infra::SqlCall& call, Done done)
{
    m_calls.read(shard, infra::Consistency::Strong, std::move(query), call, std::move(done));
}

void OrderStore::insertOrder(const NewOrder& o, sim::ComponentId from, Done done)
{
    const PartitionSql& s = sql(o.partition);
    auto batch = std::make_shared<infra::SqlBatch>();
    const auto id = i64(o.order);
    const auto now = static_cast<std::int64_t>(m_world.now());
    batch->add(kInsertKey, {i64(o.key.uid), i64(o.key.clientSeq), id, static_cast<std::int64_t>(o.partition)}, id);
    batch->add(s.insertOrder,
               {id, i64(o.key.uid), i64(o.key.clientSeq), static_cast<std::int64_t>(o.product),
                static_cast<std::int64_t>(o.quantity), o.amountCents, i64(o.lockToken),
                static_cast<std::int64_t>(o.region), now, now},
               id);
    infra::SqlCall call{from, o.weight, o.partition};
    write(shardOf(o.key.uid), std::move(batch), call, std::move(done));
}

void OrderStore::setStatus(const OrderPlace& place, OrderStatus from, OrderStatus to, sim::ComponentId caller,
                           double weight, Done done)
{
    const PartitionSql& s = sql(place.partition);
    auto batch = std::make_shared<infra::SqlBatch>();
    const auto id = i64(place.order);
    batch->add(s.setStatus,
               {static_cast<std::int64_t>(to), static_cast<std::int64_t>(m_world.now()), id,
                static_cast<std::int64_t>(from)},
               id);
    infra::SqlCall call{caller, weight, place.partition};
    write(shardOf(place.uid), std::move(batch), call, std::move(done));
}

void OrderStore::insertPayment(const OrderPlace& place, std::int64_t amountCents, sim::ComponentId caller,
                               double weight, Done done)
{
    const PartitionSql& s = sql(place.partition);
    auto batch = std::make_shared<infra::SqlBatch>();
    const auto id = i64(place.order);
    batch->add(s.insertPayment, {id, i64(place.uid), amountCents, static_cast<std::int64_t>(m_world.now())}, id);
    infra::SqlCall call{caller, weight, place.partition};
    write(shardOf(place.uid), std::move(batch), call, std::move(done));
}

void OrderStore::readPayment(const OrderPlace& place, sim::ComponentId caller, double weight, Done done)
{
    const PartitionSql& s = sql(place.partition);
    infra::SqlQuery q{s.readPayment, {i64(place.order)}};
    read(shardOf(place.uid), std::move(q), infra::SqlCall{caller, weight, place.partition}, std::move(done));
}

void OrderStore::readKey(const IdempotencyKey& key, sim::ComponentId caller, double weight, Done done)
{
    infra::SqlQuery q{kReadKey, {i64(key.uid), i64(key.clientSeq)}};
    read(shardOf(key.uid), std::move(q), infra::SqlCall{caller, weight, 0}, std::move(done));
}

void OrderStore::readStatus(const OrderPlace& place, sim::ComponentId caller, double weight, Done done)
{
    const PartitionSql& s = sql(place.partition);
    infra::SqlQuery q{s.readStatus, {i64(place.order)}};
    read(shardOf(place.uid), std::move(q), infra::SqlCall{caller, weight, place.partition}, std::move(done));
}

void OrderStore::readStatuses(std::uint32_t shard, int partition, std::span<const OrderId> orders,
                              sim::ComponentId caller, double weight, Done done)
{
    assert(!orders.empty() && orders.size() <= kInBatch);
    const PartitionSql& s = sql(partition);
    infra::SqlQuery q;
    q.sql = s.readStatuses;
    q.params.reserve(kInBatch);
    for (OrderId o : orders)
        q.params.emplace_back(i64(o));
    while (q.params.size() < kInBatch)
        q.params.emplace_back(std::int64_t{0}); // padding: no order has id 0
    read(shard, std::move(q), infra::SqlCall{caller, weight, partition}, std::move(done));
}

void OrderStore::readPaidBetween(std::uint32_t shard, int partition, sim::Nanos from, sim::Nanos to,
                                 sim::ComponentId caller, Done done)
{
    const PartitionSql& s = sql(partition);
    infra::SqlQuery q{s.readPaidBetween, {static_cast<std::int64_t>(from), static_cast<std::int64_t>(to)}};
    read(shard, std::move(q), infra::SqlCall{caller, 1.0, partition}, std::move(done));
}

void OrderStore::scanStatuses(std::map<OrderId, OrderStatus>& out) const
{
    for (std::uint32_t s = 0; s < m_cluster->shardCount(); ++s) {
        const infra::SqlShard& shard = m_cluster->shard(s);
        auto& conn = const_cast<infra::SqlConnection&>(shard.primary().connection());
        for (int p : m_cluster->partitions()) {
            infra::SqlResult r;
            infra::SqlStats stats;
            const std::string q =
                sim::strCat("SELECT order_id, status FROM ", infra::ShardRouter::tableName(kOrdersFamily, p));
            if (!conn.runQuery(q, {}, true, r, stats).ok())
                continue;
            for (std::size_t i = 0; i < r.rowCount(); ++i)
                out[static_cast<OrderId>(infra::sqlInt(r.at(i, 0)))] =
                    static_cast<OrderStatus>(infra::sqlInt(r.at(i, 1)));
        }
    }
}

} // namespace livedeck::gifts

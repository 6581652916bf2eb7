#include "backend/gifts/settlement_db.h"

namespace livedeck::gifts {
namespace {

constexpr const char* kTable =
    "CREATE TABLE settlements (seq INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, uid INTEGER NOT NULL, "
    "amount INTEGER NOT NULL, region INTEGER NOT NULL, settled_at INTEGER NOT NULL)";
constexpr const char* kUnique = "CREATE UNIQUE INDEX settlements_order ON settlements(order_id)";
constexpr const char* kPlainIndex = "CREATE INDEX settlements_order ON settlements(order_id)";
constexpr const char* kInsertUnique =
    "INSERT INTO settlements (order_id, uid, amount, region, settled_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (order_id) DO NOTHING";
constexpr const char* kInsertPlain =
    "INSERT INTO settlements (order_id, uid, amount, region, settled_at) VALUES (?, ?, ?, ?, ?)";

infra::SqlConnection& primaryConnection(const infra::SqlCluster& c)
{
    return const_cast<infra::SqlConnection&>(c.shard(0).primary().connection());
}

} // namespace

absl::StatusOr<std::unique_ptr<SettlementDb>> SettlementDb::create(sim::World& world, telemetry::Telemetry* telemetry,
                                                                   SettlementDbConfig config)
{
    infra::SqlClusterConfig c;
    c.name = "gifts/settlement-db";
    c.shards = 1;
    c.placement = config.placement;
    c.schema = {kTable, config.uniqueIndex ? kUnique : kPlainIndex};
    c.replication = config.replication;
    c.storageDir = config.storageDir;
    auto cluster = infra::SqlCluster::create(world, std::move(c), telemetry);
    if (!cluster.ok())
        return cluster.status();
    return std::unique_ptr<SettlementDb>(new SettlementDb(world, std::move(*cluster), std::move(config)));
}

SettlementDb::SettlementDb(sim::World& world, std::unique_ptr<infra::SqlCluster> cluster, SettlementDbConfig config)
    : m_world(world),
      m_cluster(std::move(cluster)),
      m_config(std::move(config)),
      m_calls(world, *m_cluster, m_config.timeout, "settlement-db"),
      m_insert(m_config.uniqueIndex ? kInsertUnique : kInsertPlain)
{
}

SettlementDb::~SettlementDb() = default;

void SettlementDb::settle(std::span<const PaidOrder> orders, sim::ComponentId caller, Done done)
{
    auto batch = std::make_shared<infra::SqlBatch>();
    batch->reserve(orders.size(), orders.size() * 5);
    double weight = 0.0;
    const auto now = static_cast<std::int64_t>(m_world.now());
    for (const PaidOrder& o : orders) {
        const auto id = static_cast<std::int64_t>(o.order);
        batch->add(m_insert,
                   {id, static_cast<std::int64_t>(o.key.uid), o.amountCents, static_cast<std::int64_t>(o.region), now},
                   id);
        weight += o.weight;
    }
    m_calls.write(0, std::move(batch), infra::SqlCall{caller, weight, 0}, std::move(done));
}

void SettlementDb::scanSince(std::int64_t afterSeq, std::vector<std::pair<std::int64_t, OrderId>>& out) const
{
    infra::SqlResult r;
    infra::SqlStats stats;
    const infra::SqlValue p[] = {afterSeq};
    if (!primaryConnection(*m_cluster)
             .runQuery("SELECT seq, order_id FROM settlements WHERE seq > ? ORDER BY seq", p, true, r, stats)
             .ok())
        return;
    for (std::size_t i = 0; i < r.rowCount(); ++i)
        out.emplace_back(infra::sqlInt(r.at(i, 0)), static_cast<OrderId>(infra::sqlInt(r.at(i, 1))));
}

void SettlementDb::countByOrder(std::map<OrderId, int>& out) const
{
    infra::SqlResult r;
    infra::SqlStats stats;
    if (!primaryConnection(*m_cluster)
             .runQuery("SELECT order_id, COUNT(*) FROM settlements GROUP BY order_id", {}, true, r, stats)
             .ok())
        return;
    for (std::size_t i = 0; i < r.rowCount(); ++i)
        out[static_cast<OrderId>(infra::sqlInt(r.at(i, 0)))] = static_cast<int>(infra::sqlInt(r.at(i, 1)));
}

std::int64_t SettlementDb::rows() const
{
    return primaryConnection(*m_cluster).rows("settlements");
}

} // namespace livedeck::gifts

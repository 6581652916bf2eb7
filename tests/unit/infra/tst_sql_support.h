// Helpers shared by the SQL cluster tests: a world with an order-table cluster,
// synchronous wrappers that drive virtual time until a call completes, and fault
// injection.
#pragma once

#include "backend/infra/sql_cluster.h"

#include <QTest>

#include <memory>
#include <optional>

namespace livedeck::infra::test {

inline constexpr const char* kOrdersDdl =
    "CREATE TABLE orders (order_id INTEGER PRIMARY KEY, uid INTEGER NOT NULL, amount INTEGER NOT NULL)";
inline constexpr const char* kInsertOrder =
    "INSERT INTO orders (order_id, uid, amount) VALUES (?, ?, ?) ON CONFLICT (order_id) DO NOTHING";

inline SqlClusterConfig ordersConfig(std::uint32_t shards = 1, std::vector<std::string> placement = {"sh-a1", "sh-b1"},
                                     ReplicationMode mode = ReplicationMode::Async)
{
    SqlClusterConfig c;
    c.name = "gifts/order-db";
    c.shards = shards;
    c.placement = std::move(placement);
    c.replication = mode;
    c.schema = {kOrdersDdl};
    c.partitions = {{"orders_m",
                     "CREATE TABLE IF NOT EXISTS {table} (order_id INTEGER NOT NULL, uid INTEGER NOT NULL, "
                     "amount INTEGER NOT NULL); CREATE UNIQUE INDEX IF NOT EXISTS {table}_order ON {table}(order_id)"}};
    return c;
}

struct SqlFixture {
    explicit SqlFixture(SqlClusterConfig config, std::uint64_t seed = 1)
        : world(sim::WorldConfig{seed, sim::Topology::defaults(), sim::Calendar(), "test"}), telemetry(world)
    {
        auto c = SqlCluster::create(world, std::move(config), &telemetry);
        if (!c.ok())
            qFatal("cannot create SQL cluster: %s", std::string(c.status().message()).c_str());
        cluster = std::move(*c);
    }

    // Runs events until `done` or nothing is left.
    template <class Pred>
    void runUntil(Pred done)
    {
        while (!done() && world.scheduler().step()) {
        }
    }
    void runFor(sim::Nanos d) { world.scheduler().runUntil(world.now() + d); }

    SqlResult write(std::uint32_t shard, std::shared_ptr<const SqlBatch> batch, SqlCall call = {})
    {
        SqlResult out;
        bool done = false;
        cluster->write(shard, std::move(batch), call, [&out, &done](SqlResult& r) {
            out = std::move(r);
            done = true;
        });
        runUntil([&] { return done; });
        return out;
    }
    SqlResult insertOrder(std::uint32_t shard, std::int64_t orderId, std::int64_t uid, std::int64_t amount,
                          SqlCall call = {})
    {
        auto b = std::make_shared<SqlBatch>();
        b->add(kInsertOrder, {orderId, uid, amount}, orderId);
        return write(shard, std::move(b), call);
    }
    SqlResult read(std::uint32_t shard, Consistency c, std::string sql, std::vector<SqlValue> params = {},
                   SqlCall call = {})
    {
        SqlResult out;
        bool done = false;
        cluster->read(shard, c, SqlQuery{std::move(sql), std::move(params)}, call, [&out, &done](SqlResult& r) {
            out = std::move(r);
            done = true;
        });
        runUntil([&] { return done; });
        return out;
    }
    // COUNT(*) of a table straight on one instance's database (no virtual time).
    std::int64_t countOn(SqlInstance& inst, const std::string& where = {})
    {
        SqlResult r;
        SqlStats stats;
        const auto st = inst.connection().runQuery(sim::strCat("SELECT COUNT(*) FROM orders", where), {}, true, r, stats);
        if (!st.ok() || r.rowCount() != 1)
            return -1;
        return sqlInt(r.at(0, 0));
    }

    std::uint64_t inject(v1::FaultKind kind, const std::string& target, const std::string& peer = {}, double addMs = 0.0)
    {
        v1::FaultSpec spec;
        spec.set_kind(kind);
        spec.set_target(target);
        if (!peer.empty()) {
            auto* p = spec.add_params();
            p->set_name("peer");
            p->set_text(peer);
        }
        if (addMs > 0.0) {
            auto* p = spec.add_params();
            p->set_name("add_ms");
            p->set_value(addMs);
        }
        auto id = world.faults().inject(spec);
        if (!id.ok())
            qFatal("cannot inject fault: %s", std::string(id.status().message()).c_str());
        world.scheduler().runUntil(world.now()); // activation is an event at now
        return *id;
    }
    void clear(std::uint64_t fault)
    {
        if (!world.faults().clear(fault).ok())
            qFatal("cannot clear fault");
        world.scheduler().runUntil(world.now());
    }

    sim::World world;
    telemetry::Telemetry telemetry;
    std::unique_ptr<SqlCluster> cluster;
};

} // namespace livedeck::infra::test

// SQL shard insert throughput (goal: >= 250 000 rows/s on one core for the
// idempotent path). Results and the command: docs/BENCHMARKS.md, "SQL shard".
//
// - BM_SqlShard_IdempotentInsert: the path engines use — SqlCluster::write of a
//   batched transaction of INSERT … ON CONFLICT (order_no) DO NOTHING on a unique
//   key, through the primary's ServiceQueue, the binlog and (with replicas) shipping
//   and applying on each replica, driven on the world's scheduler until the reply.
//   Args: rows per transaction, replicas, duplicate share in % (retried orders).
// - BM_SqlConnection_IdempotentBatch: the same batch on SqlConnection::runBatch alone
//   (no world): what the emulator adds on top of SQLite.
// - BM_SqlShard_RawInsert: baseline — plain INSERT of the same rows straight on the
//   shard primary's sqlite3 handle (prepared once, BEGIN/COMMIT per batch).
// items_per_second = rows per second.
#include "backend/infra/sql_cluster.h"

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <memory>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr const char* kSchema =
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, order_no INTEGER NOT NULL, uid INTEGER NOT NULL, "
    "amount INTEGER NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX orders_order_no ON orders(order_no);";
constexpr const char* kIdempotent =
    "INSERT INTO orders (order_no, uid, amount, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT (order_no) DO NOTHING";
constexpr const char* kRaw = "INSERT INTO orders (order_no, uid, amount, created_ms) VALUES (?, ?, ?, ?)";

struct Bench {
    explicit Bench(std::size_t replicas) : telemetry(world)
    {
        SqlClusterConfig c;
        c.name = "gifts/order-db";
        c.shards = 1;
        c.placement = {"sh-a1"};
        for (std::size_t i = 0; i < replicas; ++i)
            c.placement.push_back(i % 2 == 0 ? "sh-b1" : "sh-a1");
        c.schema = {kSchema};
        auto created = SqlCluster::create(world, std::move(c), &telemetry);
        if (!created.ok())
            std::abort();
        cluster = std::move(*created);
    }
    sim::World world;
    telemetry::Telemetry telemetry;
    std::unique_ptr<SqlCluster> cluster;
};

// Order numbers: fresh ones, except `dupPercent` rows of every 100 that repeat an
// order already inserted (a retried request the unique key absorbs).
std::int64_t orderNo(std::int64_t& next, std::int64_t i, std::int64_t dupPercent)
{
    if (i % 100 < dupPercent && next > 100)
        return next - 100;
    return next++;
}

std::shared_ptr<SqlBatch> makeBatch(std::int64_t rows, std::int64_t& next, std::int64_t dupPercent, std::int64_t nowMs)
{
    auto b = std::make_shared<SqlBatch>();
    b->reserve(static_cast<std::size_t>(rows), static_cast<std::size_t>(rows) * 4);
    for (std::int64_t i = 0; i < rows; ++i) {
        const std::int64_t no = orderNo(next, i, dupPercent);
        b->add(kIdempotent, {no, no % 100'000, std::int64_t{100}, nowMs}, no);
    }
    return b;
}

void BM_SqlShard_IdempotentInsert(benchmark::State& state)
{
    const std::int64_t rows = state.range(0);
    const auto replicas = static_cast<std::size_t>(state.range(1));
    const std::int64_t dupPercent = state.range(2);
    Bench bench(replicas);
    std::int64_t next = 1;
    std::int64_t changed = 0;
    std::int64_t failed = 0;
    for (auto _ : state) {
        auto batch = makeBatch(rows, next, dupPercent, bench.world.now() / sim::kMillisecond);
        bool done = false;
        bench.cluster->write(0, std::move(batch), SqlCall{}, [&done, &changed, &failed](SqlResult& r) {
            done = true;
            changed += r.changes;
            failed += r.ok() ? 0 : 1;
        });
        while (!done && bench.world.scheduler().step()) {
        }
    }
    // Let replicas finish applying (not timed) and check they kept up.
    bench.world.scheduler().runUntil(bench.world.now() + sim::kSecond);
    state.SetItemsProcessed(state.iterations() * rows);
    state.counters["changed_share"] = static_cast<double>(changed) / static_cast<double>(state.iterations() * rows);
    state.counters["failed"] = static_cast<double>(failed);
    state.counters["virtual_ms_per_txn"] =
        sim::toMillis(bench.world.now() - sim::kSecond) / static_cast<double>(state.iterations());
    if (replicas > 0)
        state.counters["replica_rows"] =
            static_cast<double>(bench.cluster->shard(0).instance(1).connection().rows("orders"));
}
BENCHMARK(BM_SqlShard_IdempotentInsert)
    ->ArgNames({"rows_per_txn", "replicas", "dup_pct"})
    ->Args({100, 0, 0})
    ->Args({1000, 0, 0})
    ->Args({100, 0, 10})
    ->Args({100, 1, 0});

void BM_SqlConnection_IdempotentBatch(benchmark::State& state)
{
    const std::int64_t rows = state.range(0);
    auto opened = SqlConnection::open(":memory:");
    if (!opened.ok() || !(*opened)->exec(kSchema).ok())
        std::abort();
    SqlConnection& c = **opened;
    std::int64_t next = 1;
    for (auto _ : state) {
        auto batch = makeBatch(rows, next, 0, 0);
        SqlStats stats;
        SqlConnection::WriteOutcome out;
        if (!c.runBatch(*batch, stats, out).ok())
            std::abort();
    }
    state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_SqlConnection_IdempotentBatch)->ArgNames({"rows_per_txn"})->Arg(100);

void BM_SqlShard_RawInsert(benchmark::State& state)
{
    const std::int64_t rows = state.range(0);
    Bench bench(0);
    sqlite3* db = bench.cluster->shard(0).primary().connection().handle();
    sqlite3_stmt* insert = nullptr;
    sqlite3_stmt* begin = nullptr;
    sqlite3_stmt* commit = nullptr;
    if (sqlite3_prepare_v2(db, kRaw, -1, &insert, nullptr) != SQLITE_OK
        || sqlite3_prepare_v2(db, "BEGIN", -1, &begin, nullptr) != SQLITE_OK
        || sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr) != SQLITE_OK)
        std::abort();
    std::int64_t next = 1;
    for (auto _ : state) {
        sqlite3_step(begin);
        sqlite3_reset(begin);
        for (std::int64_t i = 0; i < rows; ++i) {
            const std::int64_t no = next++;
            sqlite3_bind_int64(insert, 1, no);
            sqlite3_bind_int64(insert, 2, no % 100'000);
            sqlite3_bind_int64(insert, 3, 100);
            sqlite3_bind_int64(insert, 4, 0);
            if (sqlite3_step(insert) != SQLITE_DONE)
                std::abort();
            sqlite3_reset(insert);
        }
        sqlite3_step(commit);
        sqlite3_reset(commit);
    }
    sqlite3_finalize(insert);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_SqlShard_RawInsert)->ArgNames({"rows_per_txn"})->Arg(100)->Arg(1000);

} // namespace

// What the buffer-pool model costs in CPU (goal: page-miss accounting ≤ 1.5× a plain
// in-memory shard). Results and the command: docs/BENCHMARKS.md, "SQL page cache".
//
// BM_SqlShardPageCache: scattered point reads by primary key through SqlCluster::read
// (network, the primary's ServiceQueue, SQLite, the reply event), driven on the world's
// scheduler until each reply, on a 100 000-row table (4 KiB pages, ~700 pages).
//   cache=0      the default: a plain :memory: database, unbounded, no accounting
//   cache=4096   memdb VFS, a cache larger than the table: accounting, no misses
//   cache=64     memdb VFS, a cache of ~1/10 of the table: most reads miss a page
// items_per_second = queries; misses_per_query from SqlStats::pageMisses;
// virtual_us_per_query = the latency the cost model charged (simulated, not CPU).
//
// BM_PageCopyScattered: no SQLite, only what a page miss costs the machine: copying
// 4 KiB pages from scattered offsets of a buffer far larger than the last-level cache
// (as SQLite copies a missed page out of a shard's memdb image, the largest single
// cost in BM_MessagingGala's profile). Run beside a benchmark series, it shows one part
// of the machine's memory state (docs/BENCHMARKS.md: it moves far less than the series).
#include "backend/infra/sql_cluster.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <vector>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr std::int64_t kRows = 100'000;

void BM_SqlShardPageCache(benchmark::State& state)
{
    const std::int64_t pages = state.range(0);
    sim::World world;
    SqlClusterConfig c;
    c.name = "bench/conv-db";
    c.shards = 1;
    c.placement = {"sh-a1"};
    c.schema = {"CREATE TABLE conv (id INTEGER PRIMARY KEY, uid INTEGER NOT NULL, peer INTEGER NOT NULL, "
                "unread INTEGER NOT NULL)"};
    c.pageCache.pages = pages;
    auto created = SqlCluster::create(world, std::move(c));
    if (!created.ok())
        std::abort();
    std::unique_ptr<SqlCluster> cluster = std::move(*created);
    {
        SqlBatch load;
        load.reserve(static_cast<std::size_t>(kRows), static_cast<std::size_t>(kRows) * 4);
        for (std::int64_t i = 0; i < kRows; ++i)
            load.add("INSERT INTO conv VALUES (?, ?, ?, ?)", {i, i % 9'973, i % 7'919, i % 7});
        SqlStats stats;
        SqlConnection::WriteOutcome out;
        if (!cluster->shard(0).primary().connection().runBatch(load, stats, out).ok())
            std::abort();
    }
    std::int64_t q = 0;
    std::uint64_t misses = 0;
    sim::Nanos latency = 0;
    for (auto _ : state) {
        const std::int64_t id = (q++ * 7'919) % kRows;
        bool done = false;
        cluster->read(0, Consistency::Strong, SqlQuery{"SELECT unread FROM conv WHERE id = ?", {id}}, SqlCall{},
                      [&](SqlResult& r) {
                          done = true;
                          misses += r.stats.pageMisses;
                          latency += r.latency;
                          if (!r.ok() || r.rowCount() != 1)
                              std::abort();
                      });
        while (!done && world.scheduler().step()) {
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["misses_per_query"] = static_cast<double>(misses) / static_cast<double>(state.iterations());
    state.counters["virtual_us_per_query"] =
        static_cast<double>(latency) / 1e3 / static_cast<double>(state.iterations());
}
BENCHMARK(BM_SqlShardPageCache)->ArgNames({"cache"})->Arg(0)->Arg(4096)->Arg(64);

void BM_PageCopyScattered(benchmark::State& state)
{
    constexpr std::size_t kPage = 4096;
    const std::size_t pages = static_cast<std::size_t>(state.range(0)) << 20 >> 12; // MiB -> pages
    std::vector<unsigned char> image(pages * kPage); // zero-filled: every page touched once
    std::vector<unsigned char> cache(64 * kPage);
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    std::size_t slot = 0;
    for (auto _ : state) {
        x = x * 6364136223846793005ull + 1442695040888963407ull; // LCG: a fixed, seeded sequence
        const std::size_t page = static_cast<std::size_t>(x >> 33) % pages;
        std::memcpy(cache.data() + slot * kPage, image.data() + page * kPage, kPage);
        slot = (slot + 1) % 64;
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(cache.data());
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kPage));
}
BENCHMARK(BM_PageCopyScattered)->ArgNames({"image_mib"})->Arg(1024);

} // namespace

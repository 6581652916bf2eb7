// Snowflake ids and content routing (goal: ≥ 50 M ids/s on one core). Results and the
// command: docs/BENCHMARKS.md, "messaging".
//
// - BM_SnowflakeNext: SnowflakeGenerator::next (absl::StatusOr) for one worker whose
//   clock moves one millisecond every `per_ms` ids (4 000: near the 4 096 ceiling;
//   1: a quiet worker, a new millisecond every id).
// - BM_SnowflakeTryNext: the same through tryNext (no status object).
// - BM_ContentTableIndex: the hashed content-table index of an id (ContentTableRouter).
// items_per_second = ids.
#include "backend/messaging/content_router.h"
#include "backend/messaging/snowflake.h"

#include <benchmark/benchmark.h>

using namespace livedeck;
using namespace livedeck::messaging;

namespace {

constexpr std::int64_t kT0 = 1'798'732'200'000;

void BM_SnowflakeNext(benchmark::State& state)
{
    const std::int64_t perMs = state.range(0);
    SnowflakeGenerator g = *SnowflakeGenerator::create({});
    std::int64_t t = kT0;
    std::int64_t inMs = 0;
    std::uint64_t sink = 0;
    for (auto _ : state) {
        if (++inMs > perMs) {
            inMs = 1;
            ++t;
        }
        auto id = g.next(t);
        sink ^= *id;
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations());
    state.counters["refused"] = static_cast<double>(g.refusedExhausted() + g.refusedBackwards());
}
BENCHMARK(BM_SnowflakeNext)->ArgNames({"per_ms"})->Arg(4000)->Arg(1);

void BM_SnowflakeTryNext(benchmark::State& state)
{
    const std::int64_t perMs = state.range(0);
    SnowflakeGenerator g = *SnowflakeGenerator::create({});
    std::int64_t t = kT0;
    std::int64_t inMs = 0;
    std::uint64_t sink = 0;
    for (auto _ : state) {
        if (++inMs > perMs) {
            inMs = 1;
            ++t;
        }
        std::uint64_t id = 0;
        if (!g.tryNext(t, id))
            state.SkipWithError("refused");
        sink ^= id;
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SnowflakeTryNext)->ArgNames({"per_ms"})->Arg(4000)->Arg(1);

void BM_ContentTableIndex(benchmark::State& state)
{
    const ContentTableRouter router;
    SnowflakeGenerator g = *SnowflakeGenerator::create({});
    std::uint64_t id = *g.next(kT0);
    std::uint64_t sink = 0;
    for (auto _ : state) {
        sink += router.tableIndex(id);
        id += 1ull << SnowflakeGenerator::kTimestampShift;
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ContentTableIndex);

} // namespace

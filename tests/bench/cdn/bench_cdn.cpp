// bench_cdn: speed goals of the CDN engine's mechanisms (docs/BENCHMARKS.md, "cdn").
//   BM_CachePolicy_Zipf   one cache operation (lookup, and insert with eviction on a miss)
//                         on a Zipf-0.9 trace over 1 M objects, cache = 10 % of them: ≤ 40 ns
//   BM_RingLookup         key hashing + ring lookup, 64 nodes × 160 virtual nodes: ≤ 25 ns
//   BM_MaglevBuild        a 65 537-entry Maglev table for 100 backends: ≤ 1.5 ms
//   BM_MaglevLookup       one flow-hash lookup: ≤ 5 ns
#include "backend/cdn/cache_policy.h"
#include "backend/cdn/hash_ring.h"
#include "backend/cdn/maglev.h"
#include "backend/sim/random.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace livedeck;
using namespace livedeck::cdn;

namespace {

// The fastest repetition: on a shared machine it is the one least disturbed by others.
double minOf(const std::vector<double>& v)
{
    return *std::min_element(v.begin(), v.end());
}

constexpr std::uint64_t kObjects = 1'000'000;
constexpr std::size_t kTrace = 1u << 22; // 4 M requests, replayed

const std::vector<CacheKey>& zipfTrace()
{
    static const std::vector<CacheKey> trace = [] {
        std::vector<CacheKey> t(kTrace);
        sim::ZipfDistribution zipf(kObjects, 0.9);
        sim::RandomStream rng(2024);
        for (CacheKey& k : t)
            k = zipf(rng);
        return t;
    }();
    return trace;
}

void BM_CachePolicy_Zipf(benchmark::State& state)
{
    const auto kind = static_cast<CachePolicyKind>(state.range(0));
    const auto& trace = zipfTrace();
    auto cache = makeCachePolicy(kind, kObjects / 10 * kSliceBytes);
    for (CacheKey k : trace) // warm: the cache is full and evicting
        cache->access(k, kSliceBytes);
    std::size_t i = 0;
    std::uint64_t misses = 0;
    std::uint64_t ops = 0;
    for (auto _ : state) {
        misses += cache->access(trace[i], kSliceBytes) ? 0 : 1;
        ++ops;
        i = (i + 1) & (kTrace - 1);
    }
    state.counters["miss_ratio"] = static_cast<double>(misses) / static_cast<double>(ops);
    state.SetLabel(toString(kind));
}
BENCHMARK(BM_CachePolicy_Zipf)
    ->Arg(static_cast<int>(CachePolicyKind::Lru))
    ->Arg(static_cast<int>(CachePolicyKind::Sieve))
    ->Arg(static_cast<int>(CachePolicyKind::S3Fifo))
    ->ComputeStatistics("min", minOf);

void BM_RingLookup(benchmark::State& state)
{
    HashRing ring(kRingVnodes);
    for (int n = 0; n < 64; ++n)
        ring.addNode("sh-a/cdn/cache/" + std::to_string(n));
    std::vector<std::string> keys;
    sim::RandomStream rng(7);
    for (int i = 0; i < 65'536; ++i)
        keys.push_back("vod/" + std::to_string(rng.uniformInt(10'000'000)) + "/chunk/" + std::to_string(rng.uniformInt(64)));
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(ring.lookup(hashKey(keys[i])));
        i = (i + 1) & 65'535;
    }
    state.counters["points"] = static_cast<double>(ring.pointCount());
}
BENCHMARK(BM_RingLookup)->ComputeStatistics("min", minOf);

std::vector<std::string> backendNames(int n)
{
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i)
        out.push_back("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":80");
    return out;
}

void BM_MaglevBuild(benchmark::State& state)
{
    const auto names = backendNames(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        auto table = MaglevTable::build(names);
        benchmark::DoNotOptimize(table->entries().data());
    }
    state.SetLabel("65537 entries");
}
BENCHMARK(BM_MaglevBuild)->Arg(100)->Unit(benchmark::kMillisecond)->ComputeStatistics("min", minOf);

void BM_MaglevLookup(benchmark::State& state)
{
    const auto table = *MaglevTable::build(backendNames(100));
    std::vector<std::uint64_t> flows(65'536);
    sim::RandomStream rng(9);
    for (auto& f : flows)
        f = rng.next();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(table.lookup(flows[i]));
        i = (i + 1) & 65'535;
    }
}
BENCHMARK(BM_MaglevLookup)->ComputeStatistics("min", minOf);

} // namespace

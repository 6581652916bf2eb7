// Hot-key detection throughput on a Zipf stream.
// BM_HotKey_Update_Zipf/<keys>/<s×100>: HotKeyDetector::observe(id) with default
//   settings (HeavyKeeper 2 × 2048, top 32, 5 s half-life), the clock advancing 1 µs
//   per update so the decay steps and cool-down checks run as in a live world.
//   items_per_second = updates per second. Goal (issue): ≥ 20 M updates/s.
// BM_HotKey_Update_Zipf_Named: the same with string keys (XXH3 of the name per update).
// BM_HotKey_Update_Zipf_Weighted: weights 1–8 per update.
// BM_LocalCache_Get_Hit: LocalCache<uint64, uint64>::get on resident keys.
// The stream is drawn before timing (sim::ZipfDistribution, seeded).
#include "backend/resilience/hot_key_detector.h"
#include "backend/resilience/local_cache.h"
#include "backend/sim/random.h"
#include "backend/sim/strings.h"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

using namespace livedeck;

constexpr std::size_t kStream = 1 << 20; // power of two: index by mask

std::vector<std::uint64_t> zipfStream(std::uint64_t keys, double exponent)
{
    sim::ZipfDistribution zipf(keys, exponent);
    sim::RandomStream rng(2024);
    std::vector<std::uint64_t> out(kStream);
    for (auto& k : out)
        k = zipf(rng) * 0x9E3779B97F4A7C15ULL; // scrambled ids, as a KV front would hash them
    return out;
}

void BM_HotKey_Update_Zipf(benchmark::State& state)
{
    const auto keys = static_cast<std::uint64_t>(state.range(0));
    const double exponent = static_cast<double>(state.range(1)) / 100.0;
    const std::vector<std::uint64_t> stream = zipfStream(keys, exponent);
    sim::ManualClock clock;
    resilience::HotKeyDetector detector(clock);
    std::size_t i = 0;
    for (auto _ : state) {
        clock.advance(sim::kMicrosecond);
        detector.observe(stream[i++ & (kStream - 1)]);
    }
    benchmark::DoNotOptimize(detector.stats().updates);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["hot"] = static_cast<double>(detector.stats().hotEvents);
}
BENCHMARK(BM_HotKey_Update_Zipf)
    ->Args({1'000'000, 100})
    ->Args({1'000'000, 80})
    ->Args({1'000'000, 120})
    ->Args({10'000, 100});

void BM_HotKey_Update_Zipf_Named(benchmark::State& state)
{
    const std::vector<std::uint64_t> ids = zipfStream(1'000'000, 1.0);
    std::vector<std::string> names;
    names.reserve(1 << 16);
    for (std::size_t j = 0; j < (1 << 16); ++j)
        names.push_back(sim::strCat("room/", ids[j] % 1'000'000'007ULL, "/panel"));
    sim::ManualClock clock;
    resilience::HotKeyDetector detector(clock);
    std::size_t i = 0;
    for (auto _ : state) {
        clock.advance(sim::kMicrosecond);
        detector.observe(std::string_view(names[i++ & ((1 << 16) - 1)]));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_HotKey_Update_Zipf_Named);

void BM_HotKey_Update_Zipf_Weighted(benchmark::State& state)
{
    const std::vector<std::uint64_t> stream = zipfStream(1'000'000, 1.0);
    sim::ManualClock clock;
    resilience::HotKeyDetector detector(clock);
    std::size_t i = 0;
    for (auto _ : state) {
        clock.advance(sim::kMicrosecond);
        const std::uint64_t key = stream[i++ & (kStream - 1)];
        detector.observe(key, static_cast<double>(1 + (key >> 61)));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_HotKey_Update_Zipf_Weighted);

void BM_LocalCache_Get_Hit(benchmark::State& state)
{
    sim::ManualClock clock;
    resilience::LocalCache<std::uint64_t, std::uint64_t> cache(clock, resilience::LocalCacheConfig{1024, sim::kHour});
    for (std::uint64_t k = 0; k < 1024; ++k)
        cache.put(k * 0x9E3779B97F4A7C15ULL, k);
    std::uint64_t k = 0, sum = 0;
    for (auto _ : state) {
        const std::uint64_t* v = cache.get((k++ & 1023) * 0x9E3779B97F4A7C15ULL);
        sum += *v;
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LocalCache_Get_Hit);

} // namespace

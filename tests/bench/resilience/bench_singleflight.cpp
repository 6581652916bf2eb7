// Singleflight costs.
// BM_Singleflight_Join/<callers>: one flight, callers−1 joiners, then the completion
//   delivers to all; items_per_second = calls (lead + joins + their deliveries).
// BM_Singleflight_Lead: a call that starts a fetch and completes at once (no sharing):
//   index insert + erase, one waiter; items_per_second = calls.
// Neither allocates in steady state (pooled flights and waiters, inline callbacks).
#include "backend/resilience/singleflight.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <new>
#include <vector>

namespace {

using livedeck::resilience::Singleflight;
using Flight = Singleflight<std::uint64_t, std::uint64_t>;

void BM_Singleflight_Join(benchmark::State& state)
{
    const auto callers = static_cast<int>(state.range(0));
    Flight flight;
    Flight::Completion* pending = nullptr;
    alignas(Flight::Completion) unsigned char storage[sizeof(Flight::Completion)];
    std::uint64_t sum = 0, sharedCount = 0;
    std::uint64_t key = 0;
    for (auto _ : state) {
        ++key;
        for (int c = 0; c < callers; ++c) {
            flight.call(
                key, [&](Flight::Completion done) { pending = new (storage) Flight::Completion(done); },
                [&sum, &sharedCount](const std::uint64_t& v, bool shared) {
                    sum += v;
                    sharedCount += shared ? 1 : 0;
                });
        }
        (*pending)(key);
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * callers);
    state.counters["fetches"] = static_cast<double>(flight.stats().fetches);
    state.counters["joins"] = static_cast<double>(flight.stats().sharedJoins);
}
BENCHMARK(BM_Singleflight_Join)->Arg(2)->Arg(16)->Arg(256);

void BM_Singleflight_Lead(benchmark::State& state)
{
    Flight flight;
    std::uint64_t key = 0, sum = 0;
    for (auto _ : state) {
        ++key;
        flight.call(
            key & 1023, [&key](Flight::Completion done) { done(key); },
            [&sum](const std::uint64_t& v, bool) { sum += v; });
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Singleflight_Lead);

} // namespace

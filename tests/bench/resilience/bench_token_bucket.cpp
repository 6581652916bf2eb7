// Rate limiter acquire cost: the token bucket (lazy continuous refill) and the
// sliding-window counter, on a ManualClock moved 1 µs per call. Results and command:
// docs/BENCHMARKS.md.
#include "backend/resilience/sliding_window_limiter.h"
#include "backend/resilience/token_bucket.h"

#include <benchmark/benchmark.h>

using namespace livedeck;

namespace {

// 1 µs per call against 500 K tokens/s: about half the calls pass, so both the admit
// and the reject paths are taken.
void BM_TokenBucket_Acquire(benchmark::State& state)
{
    sim::ManualClock clock;
    resilience::TokenBucket bucket(500'000.0, 100.0, clock);
    std::uint64_t admitted = 0;
    for (auto _ : state) {
        clock.advance(sim::kMicrosecond);
        admitted += bucket.tryAcquire(1.0);
    }
    benchmark::DoNotOptimize(admitted);
    state.counters["admitted"] = benchmark::Counter(static_cast<double>(admitted) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_TokenBucket_Acquire);

void BM_SlidingWindow_Acquire(benchmark::State& state)
{
    sim::ManualClock clock;
    resilience::SlidingWindowLimiter limiter(sim::kSecond, 500'000.0, clock);
    std::uint64_t admitted = 0;
    for (auto _ : state) {
        clock.advance(sim::kMicrosecond);
        admitted += limiter.tryAcquire(1.0);
    }
    benchmark::DoNotOptimize(admitted);
    state.counters["admitted"] = benchmark::Counter(static_cast<double>(admitted) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_SlidingWindow_Acquire);

} // namespace

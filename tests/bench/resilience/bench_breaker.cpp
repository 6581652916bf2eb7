// Circuit breaker overhead: the same trivial work function called bare and through
// the breaker (tryAcquire + onSuccess/onError), in one binary and one run, so the
// difference is the breaker's cost per protected call. Goal: <= 20 ns per call on one
// thread (issue text). Results and command: docs/BENCHMARKS.md.
#include "backend/resilience/circuit_breaker.h"

#include <benchmark/benchmark.h>

#include <cstdint>

using namespace livedeck;

namespace {

// The protected "work": one LCG step (a few cycles, not optimisable away).
inline std::uint64_t work(std::uint64_t x)
{
    return x * 6364136223846793005ULL + 1442695040888963407ULL;
}

resilience::CircuitBreakerConfig benchConfig(bool timeBased)
{
    resilience::CircuitBreakerConfig c;
    c.windowType = timeBased ? resilience::SlidingWindowType::TimeBased : resilience::SlidingWindowType::CountBased;
    c.windowSize = 100;
    c.windowDuration = 10 * sim::kSecond;
    c.windowBuckets = 10;
    c.minimumNumberOfCalls = 100;
    c.failureRateThreshold = 0.5;
    c.slowCallRateThreshold = 1.0;
    c.slowCallDuration = 50 * sim::kMillisecond;
    return c;
}

void BM_Breaker_Unprotected(benchmark::State& state)
{
    sim::ManualClock clock;
    std::uint64_t x = 1;
    std::uint64_t failures = 0;
    for (auto _ : state) {
        clock.advance(sim::kMicrosecond); // the same harness work as the protected variant
        x = work(x);
        failures += (x >> 60) == 0; // 1 in 16 "fails"
        benchmark::DoNotOptimize(x);
    }
    benchmark::DoNotOptimize(failures);
}
BENCHMARK(BM_Breaker_Unprotected);

// range(0): 0 = count window, 1 = time window. One call in 16 fails (6 %), far below
// the threshold: the breaker stays CLOSED and evaluates its rates on every call.
void BM_Breaker_ProtectedCall(benchmark::State& state)
{
    sim::ManualClock clock;
    resilience::CircuitBreaker cb("bench/breaker", benchConfig(state.range(0) != 0), clock);
    std::uint64_t x = 1;
    for (auto _ : state) {
        clock.advance(sim::kMicrosecond);
        const resilience::Permit p = cb.tryAcquire();
        if (p) {
            x = work(x);
            benchmark::DoNotOptimize(x);
            if ((x >> 60) == 0)
                cb.onError(p, sim::kMillisecond);
            else
                cb.onSuccess(p, sim::kMillisecond);
        }
    }
    if (cb.state() != resilience::BreakerState::Closed)
        state.SkipWithError("breaker left CLOSED");
    state.SetLabel(state.range(0) != 0 ? "time window" : "count window");
}
BENCHMARK(BM_Breaker_ProtectedCall)->Arg(0)->Arg(1);

// The rejection path: an OPEN breaker answering "no" before its wait elapses.
void BM_Breaker_Rejected(benchmark::State& state)
{
    sim::ManualClock clock;
    resilience::CircuitBreakerConfig c = benchConfig(false);
    c.waitDurationInOpen = sim::kHour;
    resilience::CircuitBreaker cb("bench/breaker", c, clock);
    cb.transitionToOpen("bench");
    for (auto _ : state) {
        clock.advance(sim::kMicrosecond);
        const resilience::Permit p = cb.tryAcquire();
        benchmark::DoNotOptimize(p);
    }
}
BENCHMARK(BM_Breaker_Rejected);

} // namespace

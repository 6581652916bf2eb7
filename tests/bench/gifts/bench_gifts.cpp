// The gift engine's gala peak at default fidelity (the floor: 2 000 discrete
// orders and 5 000 discrete panel requests per simulated second, at least), one core, as
// fast as possible. Reports simulated seconds per wall second ("sim_x_realtime", the
// goal is >= 100) and scheduler events per second.
//
//   cmake --build build/dev --target bench_gifts
//   build/dev/tests/bench/gifts/bench_gifts --benchmark_min_time=1
//
// BM_GalaPeak/<seconds>: the gala-peak scenario's world and engine built outside the
// timing, then `seconds` of simulated time at the countdown peak timed (the ramp's last
// seconds into the ×4 countdown spike, across midnight).
#include "backend/gifts/scenarios.h"

#include <benchmark/benchmark.h>

using namespace livedeck;
using namespace livedeck::gifts;

namespace {

void BM_GalaPeak(benchmark::State& state)
{
    const sim::Nanos span = state.range(0) * sim::kSecond;
    double simSeconds = 0.0;
    double events = 0.0;
    double orders = 0.0;
    double panels = 0.0;
    for (auto _ : state) {
        state.PauseTiming();
        ScenarioOptions o;
        o.scale = 1.0;
        absl::StatusOr<Scenario> s = makeScenario("gala-peak", false, o);
        if (!s.ok()) {
            state.SkipWithError(std::string(s.status().message()).c_str());
            return;
        }
        auto run = std::make_unique<ScenarioRun>(std::move(*s), o);
        if (!run->start().ok()) {
            state.SkipWithError("scenario start failed");
            return;
        }
        // Warm-up: the first simulated second (elections, leases, caches).
        run->world().scheduler().runUntil(1 * sim::kSecond);
        const std::uint64_t e0 = run->world().scheduler().executed();
        const std::uint64_t o0 = run->engine().load().discreteGifts();
        const std::uint64_t p0 = run->engine().load().discreteEntries();
        state.ResumeTiming();
        run->world().scheduler().runUntil(1 * sim::kSecond + span);
        state.PauseTiming();
        simSeconds += static_cast<double>(span) / static_cast<double>(sim::kSecond);
        events += static_cast<double>(run->world().scheduler().executed() - e0);
        orders += static_cast<double>(run->engine().load().discreteGifts() - o0);
        panels += static_cast<double>(run->engine().load().discreteEntries() - p0);
        run.reset();
        state.ResumeTiming();
    }
    state.counters["sim_x_realtime"] = benchmark::Counter(simSeconds, benchmark::Counter::kIsRate);
    state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
    state.counters["orders_per_sim_s"] = benchmark::Counter(orders / std::max(1e-9, simSeconds));
    state.counters["panels_per_sim_s"] = benchmark::Counter(panels / std::max(1e-9, simSeconds));
}
BENCHMARK(BM_GalaPeak)->Arg(10)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

} // namespace

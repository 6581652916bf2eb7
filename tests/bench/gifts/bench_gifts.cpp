// The gift engine's gala peak at default fidelity (the gift engine's floor: 2 000
// discrete orders and 5 000 discrete panel requests per simulated second, at least), one
// core, as fast as possible. Reports simulated seconds per wall second ("sim_x_realtime",
// the goal is >= 5; docs/BENCHMARKS.md also gives it per CPU second) and scheduler events
// per second.
//
//   cmake --build build/dev --target bench_gifts
//   build/dev/tests/bench/gifts/bench_gifts --benchmark_min_time=1
//
// BM_GalaPeak/<seconds>: the built-in drill `gala` (resources/drills/gala.yaml) at
// discrete scale 1 instead of the file's reduced 0.05 — the drill's only change — loaded
// and built outside the timing (drills::DrillRun, as `livedeckctl drill run` runs it),
// its first simulated second run as warm-up, then `seconds` of simulated time timed:
// the ramp's last seconds into the x4 countdown spike, across midnight. Counters
// orders_per_sim_s and panels_per_sim_s read the engine's discrete-request counters
// (gifts.load.discrete_gifts, gifts.load.discrete_room_entries) over the timed span.
#include "app/common/builtin_engines.h"
#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <string>

using namespace livedeck;

namespace {

// The gala drill's text with the discrete scale set to `scale`; empty when the drill or
// its scale line is missing.
std::string galaAtScale(std::string_view scale)
{
    const drills::BuiltinDrill* d = drills::findBuiltinDrill("gala");
    if (!d)
        return {};
    std::string text(d->text);
    const std::string line = "    scale: 0.05\n";
    const std::size_t at = text.find(line);
    if (at == std::string::npos || text.find(line, at + 1) != std::string::npos)
        return {};
    text.replace(at, line.size(), std::string("    scale: ") + std::string(scale) + "\n");
    return text;
}

double counterTotal(const drills::DrillRun& run, std::string_view name)
{
    const telemetry::Counter* c = run.telemetry().metrics().findCounter(name);
    return c ? c->total() : 0.0;
}

void BM_GalaPeak(benchmark::State& state)
{
    app::installBuiltinEngines();
    const std::string text = galaAtScale("1");
    if (text.empty()) {
        state.SkipWithError("the built-in drill 'gala' (with its 'scale: 0.05' line) is missing");
        return;
    }
    const absl::StatusOr<drills::DrillSpec> spec = drills::loadDrill(text, "resources/drills/gala.yaml");
    if (!spec.ok()) {
        state.SkipWithError(std::string(spec.status().message()).c_str());
        return;
    }
    const sim::Nanos warmUp = 1 * sim::kSecond;
    const sim::Nanos span = state.range(0) * sim::kSecond;
    double simSeconds = 0.0;
    double events = 0.0;
    double orders = 0.0;
    double panels = 0.0;
    for (auto _ : state) {
        state.PauseTiming();
        absl::StatusOr<std::unique_ptr<drills::DrillRun>> run = drills::DrillRun::create(*spec);
        if (!run.ok()) {
            state.SkipWithError(std::string(run.status().message()).c_str());
            return;
        }
        sim::Scheduler& scheduler = (*run)->world().scheduler();
        // Warm-up: the first simulated second (elections, leases, caches).
        scheduler.runUntil(warmUp);
        const std::uint64_t e0 = scheduler.executed();
        const double o0 = counterTotal(**run, "gifts.load.discrete_gifts");
        const double p0 = counterTotal(**run, "gifts.load.discrete_room_entries");
        state.ResumeTiming();
        scheduler.runUntil(warmUp + span);
        state.PauseTiming();
        simSeconds += static_cast<double>(span) / static_cast<double>(sim::kSecond);
        events += static_cast<double>(scheduler.executed() - e0);
        orders += counterTotal(**run, "gifts.load.discrete_gifts") - o0;
        panels += counterTotal(**run, "gifts.load.discrete_room_entries") - p0;
        run->reset();
        state.ResumeTiming();
    }
    state.counters["sim_x_realtime"] = benchmark::Counter(simSeconds, benchmark::Counter::kIsRate);
    state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
    state.counters["orders_per_sim_s"] = benchmark::Counter(orders / std::max(1e-9, simSeconds));
    state.counters["panels_per_sim_s"] = benchmark::Counter(panels / std::max(1e-9, simSeconds));
}
BENCHMARK(BM_GalaPeak)->Arg(10)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

} // namespace

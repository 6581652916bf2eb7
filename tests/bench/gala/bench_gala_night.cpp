// BM_GalaNight: the built-in gala-night drill (docs/GALA.md) — gifts, messaging and the
// CDN coupled in one world at every engine's default fidelity — on one core. The drill's
// countdown is moved from 5 min to 20 s in (start 23:59:40, the ramp to the peak over
// those 20 s), so the timed seconds are the countdown's: 5 s of warm-up (Raft elections,
// pre-warm, consumer joins, the first gifts) happen before the timed loop, then each
// iteration simulates one more second, 40 in all (15 s before the countdown to 25 s
// after it: the gift spike ×4, messaging's greetings and campaign, the CDN's flash crowd
// at 2.2× the start's viewers). Counter sim_x_realtime = simulated seconds ÷ CPU seconds
// (goal ≥ 1.5); wall_x_realtime the same per wall second (the machine's other load
// shows there). BM_GalaNightUncoupled runs the same three engines with every `gala:`
// line removed — side by side in one world, each with its own Raft KV, Redis pairs and
// load, no notifications, no audience — so the difference is what the couplings cost.
// Results and the command: docs/BENCHMARKS.md, "gala night".
#include "app/common/builtin_engines.h"
#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace livedeck;

namespace {

std::string replaced(std::string text, const std::string& from, const std::string& to)
{
    const std::size_t at = text.find(from);
    if (at == std::string::npos) {
        std::fprintf(stderr, "bench_gala: '%s' not in gala-night\n", from.c_str());
        std::abort();
    }
    return text.replace(at, from.size(), to);
}

// The drill's text without its `gala:` lines (the engines uncoupled).
std::string uncoupled(const std::string& text)
{
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        end = end == std::string::npos ? text.size() : end + 1;
        const std::string line = text.substr(at, end - at);
        if (line.find("    gala: {") != 0)
            out += line;
        at = end;
    }
    return out;
}

void runGalaNight(benchmark::State& state, bool coupled)
{
    app::installBuiltinEngines();
    const drills::BuiltinDrill* d = drills::findBuiltinDrill("gala-night");
    if (!d)
        std::abort();
    std::string text(d->text);
    text = replaced(text, "start: 2026-12-31T23:55:00+08:00", "start: 2026-12-31T23:59:40+08:00");
    text = replaced(text, "peak_at: 5m", "peak_at: 20s");
    text = replaced(text, "countdown_at: 5m", "countdown_at: 20s");
    if (!coupled) {
        text = uncoupled(text);
        // The coupled drill's notification expectation names a coupled run's gauge.
        text = replaced(text, "metric: messaging.drill.notices_delivered", "metric: messaging.drill.hedges");
    }
    auto spec = drills::loadDrill(text, d->fileName);
    if (!spec.ok()) {
        std::fprintf(stderr, "%s\n", std::string(spec.status().message()).c_str());
        std::abort();
    }
    spec->faults.clear();
    auto run = drills::DrillRun::create(*spec);
    if (!run.ok()) {
        std::fprintf(stderr, "%s\n", std::string(run.status().message()).c_str());
        std::abort();
    }
    sim::Scheduler& s = (*run)->world().scheduler();
    auto until = [&s](sim::Nanos t) {
        while (s.nextTime() <= t && s.step()) {
        }
    };
    sim::Nanos t = 5 * sim::kSecond;
    until(t);
    double simSeconds = 0.0;
    const auto wall0 = std::chrono::steady_clock::now();
    for (auto _ : state) {
        t += sim::kSecond;
        until(t);
        simSeconds += 1.0;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    state.counters["sim_x_realtime"] = benchmark::Counter(simSeconds, benchmark::Counter::kIsRate);
    state.counters["wall_x_realtime"] = wall > 0.0 ? simSeconds / wall : 0.0;
    state.counters["events_per_sim_s"] = static_cast<double>(s.executed()) / sim::toSeconds(t);
}
void BM_GalaNight(benchmark::State& state) { runGalaNight(state, true); }
void BM_GalaNightUncoupled(benchmark::State& state) { runGalaNight(state, false); }
BENCHMARK(BM_GalaNight)->Iterations(40)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GalaNightUncoupled)->Iterations(40)->Unit(benchmark::kMillisecond);

} // namespace

// BM_CdnGala: the CDN engine in new mode on 3 regions × 16 cache nodes, the gala profile
// (live flash crowd plus VOD) at the default fidelity (2 000 client requests per
// simulated second), one core, as fast as possible. Reports simulated seconds per wall
// second ("sim_x_realtime"; goal ≥ 10, docs/BENCHMARKS.md "cdn") and the discrete
// client requests and slice sub-requests per simulated second (the fidelity floor).
#include "backend/cdn/cdn_engine.h"
#include "backend/engine/shared.h"
#include "backend/sim/world.h"
#include "backend/telemetry/telemetry.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <string>

namespace {

using namespace livedeck;

void BM_CdnGala(benchmark::State& state)
{
    const sim::Nanos warmUp = 2 * sim::kSecond;
    const sim::Nanos span = state.range(0) * sim::kSecond;
    double simSeconds = 0.0, events = 0.0, requests = 0.0, subrequests = 0.0;
    for (auto _ : state) {
        state.PauseTiming();
        sim::WorldConfig wc;
        wc.seed = 1;
        auto world = std::make_unique<sim::World>(wc);
        auto telemetry = std::make_unique<telemetry::Telemetry>(*world);
        auto shared = std::make_unique<engine::SharedResources>();
        cdn::CdnConfig c;
        c.mode = cdn::CdnMode::New;
        c.cachesPerRegion = 16;
        c.load = cdn::CdnLoad::forProfile(cdn::CdnProfile::Gala);
        auto engine = cdn::CdnEngine::create(*world, *telemetry, shared.get(), c);
        if (!engine.ok()) {
            state.SkipWithError(std::string(engine.status().message()).c_str());
            return;
        }
        (*engine)->start();
        sim::Scheduler& scheduler = world->scheduler();
        scheduler.runUntil(warmUp);
        const std::uint64_t e0 = scheduler.executed();
        const double r0 = static_cast<double>((*engine)->totals().discreteRequests);
        const double s0 = static_cast<double>((*engine)->totals().discreteSubrequests);
        state.ResumeTiming();
        scheduler.runUntil(warmUp + span);
        state.PauseTiming();
        simSeconds += static_cast<double>(span) / static_cast<double>(sim::kSecond);
        events += static_cast<double>(scheduler.executed() - e0);
        requests += static_cast<double>((*engine)->totals().discreteRequests) - r0;
        subrequests += static_cast<double>((*engine)->totals().discreteSubrequests) - s0;
        engine->reset();
        shared.reset();
        telemetry.reset();
        world.reset();
        state.ResumeTiming();
    }
    state.counters["sim_x_realtime"] = benchmark::Counter(simSeconds, benchmark::Counter::kIsRate);
    state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
    state.counters["requests_per_sim_s"] = benchmark::Counter(requests / std::max(1e-9, simSeconds));
    state.counters["subrequests_per_sim_s"] = benchmark::Counter(subrequests / std::max(1e-9, simSeconds));
}
BENCHMARK(BM_CdnGala)->Arg(10)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

} // namespace

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
// BM_GalaNightHelperThread is BM_GalaNight with the SQL replicas' applies and the
// primaries' writes on the world's helper thread (sim::Offload, as the console runs it
// with a core to spare): the same events; its sim_x_realtime is per wall second
// (UseRealTime), so run it with two cores (taskset -c 0,1), not one.
// BM_GalaSnapshot/N: the console's snapshot of that world at the countdown's peak (the
// samples, every contributor's part and every component's state), built on the world's
// thread as WorldHost builds one for the console's ticks: /0 on the heap, /1 on an arena
// of its own sized by the previous one (telemetry::newArenaSnapshot, what WorldHost
// uses). Each iteration builds one and drops it. Counters: components, kv (state
// entries), bytes (serialized).
// Results and the command: docs/BENCHMARKS.md, "gala night".
//
// LIVEDECK_BENCH_COSTS=1 in the environment adds a cost table on stderr after each
// benchmark: the wall time between one event's start and the next's (the event itself
// and the scheduler's pop of the next), summed per engine (a component's second path
// segment; "infra" is the infrastructure the engines share) and per (component with its
// numbers folded to '#', event kind), per simulated second of the timed span. Two clock
// reads per event make the run a few per cent slower; read the shares, not the speed.
// LIVEDECK_BENCH_ENGINES=cdn (a comma-separated list) runs BM_GalaNightUncoupled with only
// those engines of the drill (their expectations dropped): each engine alone at the gala's
// settings, to set against the three in one world.
#include "app/common/builtin_engines.h"
#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/sim/world.h"
#include "backend/telemetry/telemetry.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

// Where the timed span's wall time goes, event by event (LIVEDECK_BENCH_COSTS).
class CostTable {
public:
    explicit CostTable(sim::World& world) : m_world(world)
    {
        world.setAfterEventHook([this](const sim::EventMeta& meta) { onEvent(meta); });
    }
    ~CostTable() { m_world.setAfterEventHook(nullptr); }

    void print(const char* benchmark, double simSeconds)
    {
        onEvent(sim::EventMeta{}); // closes the last event
        struct Sum {
            double ns = 0;
            double events = 0;
        };
        std::map<std::string, Sum> byEngine;
        std::map<std::string, Sum> byRow;
        double total = 0;
        for (std::size_t c = 0; c < m_cells.size(); ++c) {
            const sim::ComponentInfo& info = m_world.components().get(static_cast<sim::ComponentId>(c));
            const std::string engine = info.engine.empty() ? std::string("(world)") : info.engine;
            const std::string path = folded(info.path);
            for (std::size_t k = 0; k < m_cells[c].size(); ++k) {
                const Cell& cell = m_cells[c][k];
                if (cell.events == 0)
                    continue;
                const double ns = static_cast<double>(cell.ns);
                const double n = static_cast<double>(cell.events);
                total += ns;
                byEngine[engine].ns += ns;
                byEngine[engine].events += n;
                Sum& row = byRow[path + "  " + m_world.kindName(static_cast<sim::EventKindId>(k))];
                row.ns += ns;
                row.events += n;
            }
        }
        auto sorted = [](const std::map<std::string, Sum>& m) {
            std::vector<std::pair<std::string, Sum>> v(m.begin(), m.end());
            std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.ns > b.second.ns; });
            return v;
        };
        std::fprintf(stderr, "\n%s: %.0f ms of wall time per simulated second, %.0f events\n", benchmark,
                     total / 1e6 / simSeconds, m_count / simSeconds);
        std::fprintf(stderr, "%-22s %8s %7s %10s %8s\n", "engine", "ms/sim s", "share", "events/s", "us/event");
        for (const auto& [name, sum] : sorted(byEngine))
            std::fprintf(stderr, "%-22s %8.1f %6.1f%% %10.0f %8.2f\n", name.c_str(), sum.ns / 1e6 / simSeconds,
                         100.0 * sum.ns / total, sum.events / simSeconds, sum.ns / 1e3 / sum.events);
        std::fprintf(stderr, "%8s %7s %10s %8s  %s\n", "ms/sim s", "share", "events/s", "us/event", "component  event kind");
        const auto rows = sorted(byRow);
        for (std::size_t i = 0; i < rows.size() && i < 40; ++i) {
            const Sum& sum = rows[i].second;
            std::fprintf(stderr, "%8.1f %6.1f%% %10.0f %8.2f  %s\n", sum.ns / 1e6 / simSeconds, 100.0 * sum.ns / total,
                         sum.events / simSeconds, sum.ns / 1e3 / sum.events, rows[i].first.c_str());
        }
        // The longest single events (kept longest first): a world at ×1 falls behind by at least that much.
        std::fprintf(stderr, "longest events (ms, simulated time, component, kind):\n");
        for (const Long& l : m_longest)
            std::fprintf(stderr, "%8.2f  %9.3f s  %s  %s\n", static_cast<double>(l.ns) / 1e6, sim::toSeconds(l.time),
                         m_world.components().get(l.component).path.c_str(), m_world.kindName(l.kind).c_str());
    }

private:
    static std::string folded(const std::string& path)
    {
        std::string out;
        for (std::size_t i = 0; i < path.size(); ++i) {
            if (std::isdigit(static_cast<unsigned char>(path[i]))) {
                while (i + 1 < path.size() && std::isdigit(static_cast<unsigned char>(path[i + 1])))
                    ++i;
                out += '#';
            } else {
                out += path[i];
            }
        }
        return out;
    }

    void onEvent(const sim::EventMeta& meta)
    {
        const auto now = std::chrono::steady_clock::now();
        if (m_started) {
            if (m_last.component >= m_cells.size())
                m_cells.resize(m_last.component + 1);
            std::vector<Cell>& row = m_cells[m_last.component];
            if (m_last.kind >= row.size())
                row.resize(m_last.kind + 1);
            Cell& cell = row[m_last.kind];
            const auto ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(now - m_lastAt).count());
            cell.ns += ns;
            if (m_longest.size() < kLongest || ns > m_longest.back().ns) {
                if (m_longest.size() == kLongest)
                    m_longest.pop_back();
                m_longest.push_back(Long{ns, m_last.time, m_last.component, m_last.kind});
                std::sort(m_longest.begin(), m_longest.end(), [](const Long& a, const Long& b) { return a.ns > b.ns; });
            }
            ++cell.events;
            ++m_count;
        }
        m_started = true;
        m_last = meta;
        m_lastAt = now;
    }

    struct Cell {
        std::uint64_t ns = 0;
        std::uint64_t events = 0;
    };

    struct Long {
        std::uint64_t ns;
        sim::Nanos time;
        sim::ComponentId component;
        sim::EventKindId kind;
    };
    static constexpr std::size_t kLongest = 12;

    sim::World& m_world;
    std::vector<Long> m_longest; // the kLongest longest events, longest first
    std::vector<std::vector<Cell>> m_cells; // [component][kind]
    std::uint64_t m_count = 0;
    bool m_started = false;
    sim::EventMeta m_last;
    std::chrono::steady_clock::time_point m_lastAt;
};

// The gala-night drill's text with its countdown 20 s in, and its file name.
std::pair<std::string, std::string> countdownDrill()
{
    app::installBuiltinEngines();
    const drills::BuiltinDrill* d = drills::findBuiltinDrill("gala-night");
    if (!d)
        std::abort();
    std::string text(d->text);
    text = replaced(text, "start: 2026-12-31T23:55:00+08:00", "start: 2026-12-31T23:59:40+08:00");
    text = replaced(text, "peak_at: 5m", "peak_at: 20s");
    text = replaced(text, "countdown_at: 5m", "countdown_at: 20s");
    return {std::move(text), std::string(d->fileName)};
}

void runGalaNight(benchmark::State& state, bool coupled, bool helperThread = false)
{
    auto [text, fileName] = countdownDrill();
    if (!coupled) {
        text = uncoupled(text);
        // The coupled drill's notification expectation names a coupled run's gauge.
        text = replaced(text, "metric: messaging.drill.notices_delivered", "metric: messaging.drill.hedges");
    }
    auto spec = drills::loadDrill(text, fileName);
    if (!spec.ok()) {
        std::fprintf(stderr, "%s\n", std::string(spec.status().message()).c_str());
        std::abort();
    }
    spec->faults.clear();
    if (const char* only = std::getenv("LIVEDECK_BENCH_ENGINES"); only && !coupled) {
        const std::string list = std::string(",") + only + ",";
        std::erase_if(spec->engines, [&](const drills::EngineEntry& e) {
            return list.find("," + e.name + ",") == std::string::npos;
        });
        if (spec->engines.empty()) {
            state.SkipWithError("LIVEDECK_BENCH_ENGINES names none of the drill's engines");
            return;
        }
        spec->expectations.clear();
    }
    drills::DrillRunOptions options;
    options.helperThread = helperThread;
    auto run = drills::DrillRun::create(*spec, options);
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
    std::unique_ptr<CostTable> costs;
    if (const char* on = std::getenv("LIVEDECK_BENCH_COSTS"); on && std::string(on) == "1")
        costs = std::make_unique<CostTable>((*run)->world());
    double simSeconds = 0.0;
    const auto wall0 = std::chrono::steady_clock::now();
    for (auto _ : state) {
        t += sim::kSecond;
        until(t);
        simSeconds += 1.0;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (costs)
        costs->print(coupled ? "BM_GalaNight" : "BM_GalaNightUncoupled", simSeconds);
    state.counters["sim_x_realtime"] = benchmark::Counter(simSeconds, benchmark::Counter::kIsRate);
    state.counters["wall_x_realtime"] = wall > 0.0 ? simSeconds / wall : 0.0;
    state.counters["events_per_sim_s"] = static_cast<double>(s.executed()) / sim::toSeconds(t);
    if (helperThread) {
        // Of the tasks posted, the share the helper ran (the rest the world ran itself,
        // having needed them before the helper reached them).
        const sim::Offload& o = (*run)->world().offload();
        const double all = static_cast<double>(o.ranOnHelper() + o.ranInPlace());
        state.counters["on_helper"] = all > 0 ? static_cast<double>(o.ranOnHelper()) / all : 0.0;
    }
}
void BM_GalaNight(benchmark::State& state) { runGalaNight(state, true); }
void BM_GalaNightUncoupled(benchmark::State& state) { runGalaNight(state, false); }
void BM_GalaNightHelperThread(benchmark::State& state) { runGalaNight(state, true, true); }
void BM_GalaSnapshot(benchmark::State& state)
{
    const auto [text, fileName] = countdownDrill();
    auto spec = drills::loadDrill(text, fileName);
    if (!spec.ok())
        std::abort();
    spec->faults.clear();
    auto run = drills::DrillRun::create(*spec, drills::DrillRunOptions{});
    if (!run.ok())
        std::abort();
    sim::Scheduler& s = (*run)->world().scheduler();
    while (s.nextTime() <= 21 * sim::kSecond && s.step()) {
    }
    const bool onArena = state.range(0) != 0;
    telemetry::SnapshotOptions options;
    options.includeComponents = true;
    // As WorldHost asks: only the series defined since the previous snapshot (none here).
    options.seriesDefsFrom = static_cast<std::uint32_t>((*run)->telemetry().metrics().seriesCount());
    std::size_t hint = 0;
    for (auto _ : state) {
        std::shared_ptr<v1::Snapshot> snapshot =
            onArena ? telemetry::newArenaSnapshot(hint) : std::make_shared<v1::Snapshot>();
        (*run)->telemetry().buildSnapshot(*snapshot, options);
        hint = telemetry::arenaBytes(*snapshot);
        benchmark::DoNotOptimize(snapshot.get());
    }
    v1::Snapshot last;
    (*run)->telemetry().buildSnapshot(last, options);
    std::size_t kv = 0;
    for (const v1::ComponentState& c : last.components())
        kv += static_cast<std::size_t>(c.state_size());
    state.counters["components"] = static_cast<double>(last.components_size());
    state.counters["kv"] = static_cast<double>(kv);
    state.counters["bytes"] = static_cast<double>(last.ByteSizeLong());
}
BENCHMARK(BM_GalaNight)->Iterations(40)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GalaNightUncoupled)->Iterations(40)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GalaNightHelperThread)->Iterations(40)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GalaSnapshot)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

} // namespace

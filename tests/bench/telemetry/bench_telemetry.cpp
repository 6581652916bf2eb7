// Telemetry benchmarks: histogram record cost (ns per record) and run-recorder write
// throughput (samples/s, events/s, and a whole per-second rollup with its snapshot).
// Figures and the command that produced them: docs/BENCHMARKS.md, "telemetry".
#include "backend/sim/random.h"
#include "backend/sim/world.h"
#include "backend/telemetry/histogram.h"
#include "backend/telemetry/recorder.h"
#include "backend/telemetry/telemetry.h"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace livedeck;

namespace {

std::vector<std::int64_t> latencies(std::size_t n)
{
    sim::RandomStream rng(12345);
    std::vector<std::int64_t> v(n);
    for (auto& x : v)
        x = static_cast<std::int64_t>(rng.lognormalMedianP99(2e6, 200e6)); // ns, heavy tail
    return v;
}

// A fresh file in the temp directory, removed (with its WAL) when done.
class TempFile {
public:
    explicit TempFile(const char* name)
        : m_path((std::filesystem::temp_directory_path() / (std::string("livedeck-bench-") + name + ".ldrec")).string())
    {
        clean();
    }
    ~TempFile() { clean(); }
    const std::string& path() const { return m_path; }

private:
    void clean()
    {
        std::error_code ec;
        for (const char* s : {"", "-wal", "-shm", "-journal"})
            std::filesystem::remove(m_path + s, ec);
    }
    std::string m_path;
};

std::unique_ptr<telemetry::RunRecorder> makeRecorder(const std::string& path)
{
    telemetry::RunInfo info;
    info.runId = "bench";
    auto r = telemetry::RunRecorder::create(path, info);
    if (!r.ok())
        std::abort();
    return std::move(*r);
}

} // namespace

static void BM_HistogramRecord(benchmark::State& state)
{
    const auto values = latencies(1 << 16);
    telemetry::Histogram h;
    std::size_t i = 0;
    for (auto _ : state) {
        h.record(values[i]);
        i = (i + 1) & (values.size() - 1);
    }
    benchmark::DoNotOptimize(h.count());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

static void BM_HistogramRecordWeighted(benchmark::State& state)
{
    const auto values = latencies(1 << 16);
    telemetry::Histogram h;
    std::size_t i = 0;
    for (auto _ : state) {
        h.record(values[i], 1000.0);
        i = (i + 1) & (values.size() - 1);
    }
    benchmark::DoNotOptimize(h.count());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecordWeighted);

// The four quantiles a rollup takes, on a warm histogram of 64 K values.
static void BM_HistogramRollupQuantiles(benchmark::State& state)
{
    telemetry::Histogram h;
    for (const auto v : latencies(1 << 16))
        h.record(v);
    for (auto _ : state) {
        benchmark::DoNotOptimize(h.quantile(0.5) + h.quantile(0.9) + h.quantile(0.99) + h.quantile(0.999));
    }
}
BENCHMARK(BM_HistogramRollupQuantiles);

// One rollup's worth of samples (Arg = series) per iteration, committed like a rollup.
static void BM_RecorderSamples(benchmark::State& state)
{
    const auto series = static_cast<std::uint32_t>(state.range(0));
    TempFile file("samples");
    auto recorder = makeRecorder(file.path());
    std::vector<telemetry::Sample> samples(series);
    sim::RandomStream rng(7);
    for (std::uint32_t i = 0; i < series; ++i)
        samples[i] = telemetry::Sample{i, rng.uniform(0, 1e4)};
    sim::Nanos t = 0;
    for (auto _ : state) {
        t += sim::kSecond;
        if (!recorder->recordSamples(t, samples).ok() || !recorder->flush().ok())
            state.SkipWithError("write failed");
    }
    state.SetItemsProcessed(state.iterations() * series);
    state.counters["samples_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations() * series), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RecorderSamples)->Arg(100)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMicrosecond);

// Events with three fields, committed every 1 000 (an event storm between rollups).
static void BM_RecorderEvents(benchmark::State& state)
{
    TempFile file("events");
    auto recorder = makeRecorder(file.path());
    v1::Event e;
    e.set_kind("breaker.transition");
    e.set_component("sh-a/gifts/panel/privileged-breaker");
    e.set_severity(v1::SEVERITY_WARNING);
    e.set_message("breaker closed -> open (failure rate 62 % > 50 %)");
    for (const auto& [k, v] : {std::pair{"from", "closed"}, std::pair{"to", "open"}, std::pair{"failure_rate", "0.62"}}) {
        auto* kv = e.add_fields();
        kv->set_key(k);
        kv->set_value(v);
    }
    std::uint64_t seq = 0;
    for (auto _ : state) {
        e.set_seq(++seq);
        e.set_sim_time_ns(static_cast<sim::Nanos>(seq) * sim::kMillisecond);
        if (!recorder->recordEvent(e).ok())
            state.SkipWithError("write failed");
        if (seq % 1000 == 0)
            (void)recorder->flush();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecorderEvents);

// A whole rollup with the recorder attached (Arg = counters, 2 series each): rollup,
// sample rows, a snapshot with components built and stored, and the commit.
static void BM_RecorderAttachedRollup(benchmark::State& state)
{
    const auto counters = static_cast<int>(state.range(0));
    TempFile file("attached");
    sim::World world;
    telemetry::Telemetry telemetry(world);
    for (int i = 0; i < counters; ++i)
        telemetry.metrics().counter("bench.requests", sim::strCat("sh-a/bench/svc/", i)).add(i);
    auto recorder = makeRecorder(file.path());
    if (!recorder->attach(world, telemetry).ok())
        std::abort();
    telemetry.start();
    for (auto _ : state)
        world.scheduler().runUntil(world.now() + sim::kSecond);
    state.SetItemsProcessed(state.iterations() * counters * 2);
    state.counters["samples_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * static_cast<std::int64_t>(counters) * 2), benchmark::Counter::kIsRate);
    if (!recorder->status().ok())
        state.SkipWithError("recording failed");
}
BENCHMARK(BM_RecorderAttachedRollup)->Arg(500)->Arg(5'000)->Unit(benchmark::kMicrosecond);

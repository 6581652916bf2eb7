// WorldHost costs: hosted max-speed throughput against the same run stepped directly
// (the host's slicing, queue checks and status updates), the round trip of a step
// command (submit → applied on the host thread → snapshot published → future ready),
// and the cost of publishing to many subscribers at once.
#include "backend/host/manual_wall_clock.h"
#include "backend/host/synthetic_run.h"
#include "backend/host/world_host.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>
#include <condition_variable>
#include <vector>

using namespace livedeck;
using namespace livedeck::host;

namespace {

// A real steady clock for the benchmarks (tests may read clocks; the backend never does).
class BenchSteadyClock final : public WallClock {
public:
    sim::Nanos now() const override
    {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - m_origin).count();
    }
    void waitUntil(sim::Nanos deadline, WakeSignal& signal) override
    {
        std::unique_lock lock(signal.mutex());
        const auto pending = [&] { return signal.pendingLocked(); };
        if (deadline == sim::kNever)
            signal.condition().wait(lock, pending);
        else
            signal.condition().wait_until(lock, m_origin + std::chrono::nanoseconds(std::min(deadline, now() + sim::kSecond)),
                                          pending);
    }

private:
    std::chrono::steady_clock::time_point m_origin = std::chrono::steady_clock::now();
};

constexpr sim::Nanos kSimSpan = sim::kSecond / 2;

// CPU time of the whole process (every thread): the host thread's work shows up here
// even though the benchmark's own thread only waits.
double processCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void BM_SyntheticDirect(benchmark::State& state)
{
    std::uint64_t events = 0;
    double cpu = 0;
    for (auto _ : state) {
        state.PauseTiming();
        SyntheticRun run;
        const double cpu0 = processCpuSeconds();
        state.ResumeTiming();
        run.world().scheduler().runUntil(kSimSpan);
        state.PauseTiming();
        cpu += processCpuSeconds() - cpu0;
        events += run.world().scheduler().executed();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(events));
    state.counters["cpu_ns/event"] = cpu * 1e9 / static_cast<double>(events);
}
BENCHMARK(BM_SyntheticDirect)->Unit(benchmark::kMillisecond)->UseRealTime();

// Same run in a WorldHost at max speed with `subscribers` 20 Hz subscribers (components
// included) on a steady clock: what the host's loop and publishing cost the world.
void BM_SyntheticHostedMax(benchmark::State& state)
{
    const int subscribers = static_cast<int>(state.range(0));
    BenchSteadyClock clock;
    std::uint64_t events = 0;
    std::uint64_t snapshots = 0;
    double cpu = 0;
    for (auto _ : state) {
        state.PauseTiming();
        WorldHost host(std::make_unique<SyntheticRun>(), clock);
        std::vector<Subscription> subs;
        for (int i = 0; i < subscribers; ++i)
            subs.push_back(host.subscribe({}));
        host.setSpeed(0);
        auto done = host.runUntil(kSimSpan);
        const double cpu0 = processCpuSeconds();
        state.ResumeTiming();
        host.start();
        if (!done.get().ok())
            state.SkipWithError("run until failed");
        state.PauseTiming();
        cpu += processCpuSeconds() - cpu0;
        const HostStatus s = host.status();
        events += s.eventsExecuted;
        snapshots += s.snapshotsBuilt;
        host.stop();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(events));
    state.counters["snapshots/run"] = static_cast<double>(snapshots) / static_cast<double>(state.iterations());
    state.counters["cpu_ns/event"] = cpu * 1e9 / static_cast<double>(events);
}
BENCHMARK(BM_SyntheticHostedMax)->Arg(0)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

// Submit a one-event step and wait until its snapshot reached the subscriber.
void BM_StepRoundTrip(benchmark::State& state)
{
    const bool components = state.range(0) != 0;
    ManualWallClock clock;
    WorldHost host(std::make_unique<SyntheticRun>(), clock);
    std::mutex mutex;
    std::condition_variable cv;
    std::uint64_t seen = 0;
    SubscribeOptions so;
    so.includeComponents = components;
    Subscription sub = host.subscribe(so, [&] {
        {
            std::lock_guard lock(mutex);
            ++seen;
        }
        cv.notify_one();
    });
    host.start();
    {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return seen >= 1; });
    }
    for (auto _ : state) {
        std::uint64_t before;
        {
            std::lock_guard lock(mutex);
            before = seen;
        }
        auto f = host.step(1);
        {
            std::unique_lock lock(mutex);
            cv.wait(lock, [&] { return seen > before; });
        }
        benchmark::DoNotOptimize(sub.takeSnapshot());
        if (!f.get().ok())
            state.SkipWithError("step failed");
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StepRoundTrip)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

// A publish tick to N subscribers: one snapshot build (components included) shared by
// all, plus N mailbox stores and notifications. Measured as step round trips with N
// subscribers.
void BM_PublishToSubscribers(benchmark::State& state)
{
    const int n = static_cast<int>(state.range(0));
    ManualWallClock clock;
    WorldHost host(std::make_unique<SyntheticRun>(), clock);
    std::vector<Subscription> subs;
    for (int i = 0; i < n; ++i)
        subs.push_back(host.subscribe({}));
    host.start();
    for (auto _ : state) {
        if (!host.step(1).get().ok())
            state.SkipWithError("step failed");
    }
    state.SetItemsProcessed(state.iterations() * n);
    state.counters["dropped(sub0)"] = static_cast<double>(subs.front().droppedSnapshots());
}
BENCHMARK(BM_PublishToSubscribers)->Arg(1)->Arg(16)->Arg(64)->Unit(benchmark::kMicrosecond)->UseRealTime();

} // namespace

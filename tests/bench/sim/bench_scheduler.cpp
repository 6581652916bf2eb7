// Scheduler throughput with a constant pending-queue size: every executed event
// schedules one successor at a random future time, so the queue stays at N.
// BM_Scheduler_Livedeck: livedeck::sim::Scheduler (4-ary heap, inline callbacks).
// BM_Scheduler_Baseline: std::priority_queue of (time, seq, std::function<void()>).
// items_per_second = events executed per second. Goal: Livedeck >= 3x
// Baseline at 100 000 pending.
#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"

#include <benchmark/benchmark.h>

#include <functional>
#include <queue>
#include <vector>

namespace {

using livedeck::sim::Nanos;
using livedeck::sim::RandomStream;
using livedeck::sim::Scheduler;

// Delays are pre-drawn so both variants pay the same (negligible) cost for them.
std::vector<Nanos> delays(std::size_t n)
{
    RandomStream r(7);
    std::vector<Nanos> out(n);
    for (auto& d : out)
        d = 1 + static_cast<Nanos>(r.uniformInt(1'000'000));
    return out;
}

struct Successor {
    Scheduler* s;
    const std::vector<Nanos>* d;
    std::size_t* i;
    std::uint64_t* sink;
    void operator()() const
    {
        *sink += 1;
        const Nanos delay = (*d)[(*i)++ & ((*d).size() - 1)];
        s->scheduleAfter(delay, 1, 0, Successor{s, d, i, sink});
    }
};

void BM_Scheduler_Livedeck(benchmark::State& state)
{
    const auto pending = static_cast<std::size_t>(state.range(0));
    const std::vector<Nanos> d = delays(1 << 16);
    Scheduler s;
    std::size_t i = 0;
    std::uint64_t sink = 0;
    for (std::size_t k = 0; k < pending; ++k)
        s.scheduleAt(d[k & (d.size() - 1)], 1, 0, Successor{&s, &d, &i, &sink});
    for (auto _ : state)
        s.step();
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["pending"] = static_cast<double>(s.pendingCount());
}

struct BaselineEvent {
    Nanos time;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const BaselineEvent& o) const { return time > o.time || (time == o.time && seq > o.seq); }
};

struct BaselineScheduler {
    std::priority_queue<BaselineEvent, std::vector<BaselineEvent>, std::greater<>> queue;
    Nanos now = 0;
    std::uint64_t seq = 0;
    void after(Nanos delay, std::function<void()> fn) { queue.push(BaselineEvent{now + delay, seq++, std::move(fn)}); }
    void step()
    {
        BaselineEvent e = std::move(const_cast<BaselineEvent&>(queue.top()));
        queue.pop();
        now = e.time;
        e.fn();
    }
};

void BM_Scheduler_Baseline(benchmark::State& state)
{
    const auto pending = static_cast<std::size_t>(state.range(0));
    const std::vector<Nanos> d = delays(1 << 16);
    BaselineScheduler s;
    std::size_t i = 0;
    std::uint64_t sink = 0;
    std::function<void()> successor;
    // Same capture as the livedeck variant (4 pointers): std::function heap-allocates it.
    struct Fn {
        BaselineScheduler* s;
        const std::vector<Nanos>* d;
        std::size_t* i;
        std::uint64_t* sink;
        void operator()() const
        {
            *sink += 1;
            const Nanos delay = (*d)[(*i)++ & ((*d).size() - 1)];
            s->after(delay, Fn{s, d, i, sink});
        }
    };
    for (std::size_t k = 0; k < pending; ++k)
        s.after(d[k & (d.size() - 1)], Fn{&s, &d, &i, &sink});
    for (auto _ : state)
        s.step();
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["pending"] = static_cast<double>(s.queue.size());
}

} // namespace

BENCHMARK(BM_Scheduler_Livedeck)->Arg(1000)->Arg(100000);
BENCHMARK(BM_Scheduler_Baseline)->Arg(1000)->Arg(100000);

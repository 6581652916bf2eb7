// Raft KV throughput (docs/BENCHMARKS.md, "Raft KV"): committed operations per
// simulated second and per wall-clock second.
//
// - BM_RaftPut: the default three-node cluster (sh-a, sh-b, gz) on the default
//   topology; one RaftClient in the leader's region keeps `inflight` puts outstanding
//   (a closed loop: each acknowledged put issues the next one) on 1 000 keys with
//   64-byte values. Every acknowledged put has been appended on a majority, committed
//   and applied by the leader's state machine; followers apply it as well. Each
//   iteration runs 100 ms of virtual time. Args: inflight, service model (RaftConfig::
//   serviceModel: each request also passes the node's ServiceQueue).
//   Counters: ops_per_sim_s = acknowledged puts / virtual seconds; items_per_second =
//   acknowledged puts per CPU second of the process (Google Benchmark's rate); the
//   wall rate is items over real time (reported beside it in the docs).
// - BM_RaftGet: the same with linearizable reads (ReadIndex: one heartbeat round per
//   batch of reads, no log entry).
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/sim/world.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr int kKeys = 1'000;

struct Loop {
    RaftClient* client = nullptr;
    const std::vector<std::string>* keys = nullptr;
    const std::string* value = nullptr;
    bool reads = false;
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    std::uint64_t next = 0;
    bool active = true;

    void issue()
    {
        if (!active)
            return;
        const std::string& key = (*keys)[next++ % kKeys];
        Loop* self = this;
        auto done = [self](const RaftResult& r) {
            if (r.status == RaftStatus::Ok)
                ++self->ok;
            else
                ++self->failed;
            self->issue();
        };
        if (reads)
            client->get(key, done);
        else
            client->put(key, *value, done);
    }
};

void run(benchmark::State& state, bool reads)
{
    const int inflight = static_cast<int>(state.range(0));
    sim::WorldConfig wc;
    wc.seed = 7;
    sim::World world(wc);
    RaftClusterConfig config;
    config.raft.serviceModel = state.range(1) != 0;
    RaftCluster cluster(world, config);
    while (cluster.leader() < 0 && world.now() < 5 * sim::kSecond)
        world.scheduler().runUntil(world.now() + 10 * sim::kMillisecond);
    if (cluster.leader() < 0) {
        state.SkipWithError("no leader");
        return;
    }
    const std::string& leaderPath = cluster.node(static_cast<std::size_t>(cluster.leader())).path();
    const std::string region = leaderPath.substr(0, leaderPath.find('/'));
    RaftClient client(cluster, region + "/bench/client", RaftClientConfig{2 * sim::kSecond, 200 * sim::kMillisecond,
                                                                        10 * sim::kMillisecond});
    std::vector<std::string> keys;
    for (int k = 0; k < kKeys; ++k)
        keys.push_back("order/" + std::to_string(k));
    const std::string value(64, 'v');
    Loop loop{&client, &keys, &value, reads};
    if (reads) {
        // Fill the keys first.
        Loop fill{&client, &keys, &value, false};
        for (int i = 0; i < 64; ++i)
            fill.issue();
        while (fill.ok < kKeys)
            world.scheduler().runUntil(world.now() + 10 * sim::kMillisecond);
        fill.active = false; // its outstanding puts finish without successors
        world.scheduler().runUntil(world.now() + 200 * sim::kMillisecond);
    }
    for (int i = 0; i < inflight; ++i)
        loop.issue();
    world.scheduler().runUntil(world.now() + 200 * sim::kMillisecond); // warm up
    const std::uint64_t ok0 = loop.ok;
    const std::uint64_t commits0 = cluster.committed();
    const std::uint64_t events0 = world.scheduler().executed();
    const sim::Nanos t0 = world.now();
    for (auto _ : state)
        world.scheduler().runUntil(world.now() + 100 * sim::kMillisecond);
    const double simSeconds = sim::toSeconds(world.now() - t0);
    const std::uint64_t ops = loop.ok - ok0;
    state.SetItemsProcessed(static_cast<std::int64_t>(ops));
    state.counters["ops_per_sim_s"] = static_cast<double>(ops) / simSeconds;
    state.counters["log_entries_per_sim_s"] = static_cast<double>(cluster.committed() - commits0) / simSeconds;
    state.counters["events_per_op"] = ops ? static_cast<double>(world.scheduler().executed() - events0) / ops : 0.0;
    state.counters["failed"] = static_cast<double>(loop.failed);
    state.SetLabel("leader in " + region);
}

} // namespace

static void BM_RaftPut(benchmark::State& state)
{
    run(state, false);
}
BENCHMARK(BM_RaftPut)->Args({1, 0})->Args({16, 0})->Args({256, 0})->Args({256, 1})->Unit(benchmark::kMillisecond);

static void BM_RaftGet(benchmark::State& state)
{
    run(state, true);
}
BENCHMARK(BM_RaftGet)->Args({1, 0})->Args({256, 0})->Unit(benchmark::kMillisecond);

// A conversation-list query through the Redis tier on the world (goal: ≥ 1 M/s of CPU for
// a Redis hit). Results and the command: docs/BENCHMARKS.md, "messaging".
//
// BM_ConversationListRedisHit: a BFF component in sh-a asks the sh-a Redis pair
// (KvPair: network, the node's ServiceQueue, the store) for one user's conversation
// list page (20 conversations, ~80-byte summaries) and the world runs until the reply.
// 10 000 users, read in a scattered order, all cached (a hit every time).
//   layout=0  a hash per user, a field per conversation written with hsetIfNewer (as
//             the binlog sync would), read with HGETALL
//   layout=1  the page as one serialized string per user, read with GET
// items_per_second = queries; virtual_us_per_query = simulated latency.
#include "backend/infra/kv_pair.h"
#include "backend/sim/world.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr int kUsers = 10'000;
constexpr int kPage = 20;

void BM_ConversationListRedisHit(benchmark::State& state)
{
    const bool onePage = state.range(0) == 1;
    sim::World world;
    const sim::ComponentId bff = world.components().mustAdd("sh-a/messaging/bff-single", "service");
    KvPairConfig config;
    config.node.store.maxMemoryBytes = 0; // everything fits: this measures the hit path
    KvPair pair(world, "sh-a/messaging/redis", "sh-a1", config, nullptr);
    std::vector<std::string> keys;
    const std::string summary(80, 's');
    for (int u = 0; u < kUsers; ++u) {
        keys.push_back("convs:" + std::to_string(1'000'000 + u));
        if (onePage) {
            std::string page;
            for (int p = 0; p < kPage; ++p)
                page += "peer:" + std::to_string(p) + "=" + summary + ";";
            pair.set(bff, keys.back(), page, 0, 1.0, [](const KvReply&) {});
        } else {
            for (int p = 0; p < kPage; ++p)
                pair.hsetIfNewer(bff, keys.back(), "peer:" + std::to_string(p), summary, 1, 1.0, [](const KvReply&) {});
        }
        world.scheduler().runUntil(world.now() + sim::kMillisecond);
    }
    world.scheduler().runUntil(world.now() + sim::kSecond);
    std::uint64_t q = 0;
    std::uint64_t misses = 0;
    sim::Nanos latency = 0;
    for (auto _ : state) {
        const std::string& key = keys[(q++ * 7'919) % kUsers];
        bool done = false;
        auto reply = [&](const KvReply& r) {
            done = true;
            latency += r.latency;
            misses += r.ok() && (onePage || r.fields.size() == kPage) ? 0 : 1;
        };
        if (onePage)
            pair.get(bff, key, 1.0, reply);
        else
            pair.hgetall(bff, key, 1.0, reply);
        while (!done && world.scheduler().step()) {
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["misses"] = static_cast<double>(misses);
    state.counters["virtual_us_per_query"] =
        static_cast<double>(latency) / 1e3 / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ConversationListRedisHit)->ArgNames({"layout"})->Arg(0)->Arg(1);

} // namespace

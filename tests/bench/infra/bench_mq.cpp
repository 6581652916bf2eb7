// Message-queue benchmarks (docs/BENCHMARKS.md, "Message queue"):
// - BM_MqProduceConsume: messages/s through the simulated world — producer → network →
//   broker ServiceQueue → partition log → consumer group poll loop → commit. Each
//   iteration produces a block of messages spread over virtual time and runs the world
//   until the consumers have received all of them; items/s = messages consumed per
//   wall-clock second.
// - BM_MqLogAppend / BM_MqLogRead: the raw partition log, no world.
#include "backend/infra/mq_broker.h"
#include "backend/infra/mq_consumer.h"
#include "backend/infra/mq_partition_log.h"
#include "backend/infra/mq_producer.h"
#include "backend/telemetry/metrics.h"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

constexpr int kKeys = 64;
const std::string& payload()
{
    static const std::string p(100, 'x');
    return p;
}

} // namespace

static void BM_MqProduceConsume(benchmark::State& state)
{
    const int partitions = static_cast<int>(state.range(0));
    const int consumers = static_cast<int>(state.range(1));
    constexpr int kBlock = 10'000;
    constexpr sim::Nanos kSpacing = 20 * sim::kMicrosecond; // 50 K messages/s of virtual time

    sim::World world(sim::WorldConfig{1, sim::Topology::defaults(), {}, "bench"});
    telemetry::MetricsRegistry metrics;
    MqBroker broker(world, "sh-a/gifts/mq", {}, &metrics);
    (void)broker.createTopic("settlement", partitions);
    MqProducer producer(world, broker, "sh-a/gifts/order/0/mq", {}, &metrics);
    std::vector<std::unique_ptr<MqConsumer>> group;
    std::uint64_t consumed = 0;
    for (int c = 0; c < consumers; ++c) {
        group.push_back(std::make_unique<MqConsumer>(world, broker, "sh-a/gifts/settlement/" + std::to_string(c),
                                                     "settle", std::vector<std::string>{"settlement"},
                                                     MqConsumerConfig{}, &metrics));
        group.back()->runLoop([&consumed](const MqBatch& batch, MqAck ack) {
            consumed += batch.records.size();
            ack.commit();
        });
    }
    std::vector<std::string> keys;
    for (int k = 0; k < kKeys; ++k)
        keys.push_back("room-" + std::to_string(k));
    world.scheduler().runUntil(5 * sim::kSecond); // joined and settled

    const sim::EventKindId kind = world.kind("bench.produce");
    std::uint64_t target = 0;
    for (auto _ : state) {
        const sim::Nanos start = world.now();
        const std::vector<std::string>* keyList = &keys;
        for (int i = 0; i < kBlock; ++i) {
            world.at(start + i * kSpacing, kind, producer.component(), [&producer, keyList, i] {
                producer.send("settlement", (*keyList)[static_cast<std::size_t>(i % kKeys)], payload());
            });
        }
        target += kBlock;
        while (consumed < target)
            world.scheduler().runUntil(world.now() + 10 * sim::kMillisecond);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(consumed));
    state.counters["sim_s"] = sim::toSeconds(world.now());
    state.counters["events"] = static_cast<double>(world.scheduler().executed());
}
BENCHMARK(BM_MqProduceConsume)->Args({1, 1})->Args({8, 2})->Unit(benchmark::kMillisecond);

static void BM_MqLogAppend(benchmark::State& state)
{
    MqPartitionLog log;
    std::int64_t n = 0;
    for (auto _ : state) {
        MqRecord r;
        r.key = "room-17";
        r.value = payload();
        r.appendTime = n;
        r.visibleAt = n;
        benchmark::DoNotOptimize(log.append(std::move(r)));
        if (++n % 100'000 == 0)
            log.trimToWeightedBytes(n, 1e6); // bounded memory, like retention
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MqLogAppend);

static void BM_MqLogRead(benchmark::State& state)
{
    const int batch = static_cast<int>(state.range(0));
    MqPartitionLog log;
    for (int i = 0; i < 100'000; ++i) {
        MqRecord r;
        r.key = "room-" + std::to_string(i % kKeys);
        r.value = payload();
        log.append(std::move(r));
    }
    std::vector<MqConsumerRecord> out;
    std::int64_t pos = 0;
    for (auto _ : state) {
        out.clear();
        const std::int64_t hw = log.highWatermark(0);
        for (int i = 0; i < batch; ++i) {
            if (pos >= hw)
                pos = 0;
            out.push_back(MqConsumerRecord{"settlement", 0, *log.at(pos++)});
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_MqLogRead)->Arg(500);

// The messaging engine end to end on the world, and its binlog sync path. Results and
// the commands: docs/BENCHMARKS.md, "messaging — the engine".
//
// BM_MessagingGala: the upgraded engine on the default topology (3 regions) under the
// New Year countdown profile at the default fidelity (scale 1: 2 000 one-to-one sends,
// 5 000 conversation queries, 1 000 bulk recipients and the binlog records they make per
// simulated second, each weighing real ÷ discrete): 60 000 real sends/s, 50 000
// queries/s, 10 000 group sends/s, 2 000 high-priority notifications/s and a 10 M-user
// campaign. Building and warming up (preload, Raft election, pre-warm, consumer joins,
// 2 s) happen before the timed loop; each iteration simulates one more second.
// Counter sim_x_realtime = simulated seconds ÷ CPU seconds (goal ≥ 4).
//
// BM_BinlogApply: the canal's path for one conversation-row change — row image in the
// mirror, a per-user record with its total version produced into the sync topic — then
// the MQ (broker service queue, fetch), a sync consumer and the set-if-newer apply into
// Redis; taishan=1 also applies into Taishan through Raft (set-if-newer on the Raft KV),
// taishan=0 leaves it out. Each iteration hands 1 000 entries (one row each, users in a
// scattered order) to the canal and runs the world until every record was applied or
// refused; building the entries (the primary's SQL batches) is left out of the timing.
// items_per_second = records per CPU second (goal ≥ 300 K).
#include "backend/messaging/conversation_schema.h"
#include "backend/messaging/messaging_engine.h"
#include "backend/sim/world.h"
#include "backend/telemetry/telemetry.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

using namespace livedeck;
using namespace livedeck::messaging;

namespace {

struct Rig {
    explicit Rig(MessagingConfig config)
        : world(sim::WorldConfig{1, sim::Topology::defaults(), sim::Calendar(), "bench"}), telemetry(world)
    {
        auto created = MessagingEngine::create(world, telemetry, std::move(config));
        if (!created.ok())
            std::abort();
        engine = std::move(*created);
        engine->start();
    }
    ~Rig() { engine.reset(); }
    void runUntil(sim::Nanos t)
    {
        while (world.scheduler().nextTime() <= t && world.scheduler().step()) {
        }
    }
    sim::World world;
    telemetry::Telemetry telemetry;
    std::unique_ptr<MessagingEngine> engine;
};

void BM_MessagingGala(benchmark::State& state)
{
    MessagingConfig c;
    c.mode = MessagingMode::Upgraded;
    c.scale = 1.0;
    c.sendsPerSec = 60'000.0;
    c.queriesPerSec = 50'000.0;
    c.groupSendsPerSec = 10'000.0;
    c.highPriorityPerSec = 2'000.0;
    c.campaignUsers = 10e6;
    Rig rig(c);
    sim::Nanos t = 2 * sim::kSecond;
    rig.runUntil(t);
    double simSeconds = 0.0;
    for (auto _ : state) {
        t += sim::kSecond;
        rig.runUntil(t);
        simSeconds += 1.0;
    }
    const auto& tot = rig.engine->totals();
    state.counters["sim_x_realtime"] = benchmark::Counter(simSeconds, benchmark::Counter::kIsRate);
    state.counters["discrete_sends"] = static_cast<double>(tot.discreteSends);
    state.counters["discrete_queries"] = static_cast<double>(tot.discreteQueries);
    state.counters["bulk_users_per_s"] = rig.engine->lastSecond().bulkUsersPerSec;
    state.counters["query_p99_ms"] = rig.engine->secondP99Ms();
}
BENCHMARK(BM_MessagingGala)->Unit(benchmark::kMillisecond)->Iterations(12);

void BM_BinlogApply(benchmark::State& state)
{
    MessagingConfig c;
    c.mode = MessagingMode::Upgraded;
    c.sendsPerSec = 0.0;
    c.queriesPerSec = 0.0;
    c.groupSendsPerSec = 0.0;
    c.sabotage.noTaishanTier = state.range(0) == 0;
    Rig rig(c);
    rig.runUntil(2 * sim::kSecond); // consumers joined, Raft elected
    const ConversationSchema schema(ConversationSchemaKind::Upgraded);
    const std::uint32_t users = rig.engine->userCount();
    std::int64_t key = 1;
    std::uint64_t position = 1;
    std::uint64_t records = 0;
    std::vector<infra::BinlogEntry> entries(1'000);
    for (auto _ : state) {
        // The entries as the primary's binlog hands them over (built outside the timing:
        // the SQL write is the primary's work, not the sync path's).
        state.PauseTiming();
        const double before = rig.engine->totals().syncApplied + rig.engine->totals().syncRefused;
        for (infra::BinlogEntry& e : entries) {
            auto batch = std::make_shared<infra::SqlBatch>();
            const auto owner = static_cast<std::int64_t>((key * 7'919) % users);
            const std::int64_t ms = rig.world.calendar().unixMs(rig.world.now());
            schema.addSend(*batch, ConversationUpdate{owner, (owner + 1) % users, MessageKind::OneToOne, key, ms, 1, ms});
            e = infra::BinlogEntry{};
            e.position = position++;
            e.commitTime = rig.world.now();
            e.changes = 1;
            e.acknowledged = true;
            e.batch = std::move(batch);
            ++key;
        }
        state.ResumeTiming();
        for (const infra::BinlogEntry& e : entries)
            rig.engine->canalEntry(0, e);
        records += 1'000;
        const double want = before + 1'000.0;
        sim::Nanos until = rig.world.now();
        const sim::Nanos deadline = until + 60 * sim::kSecond;
        while (rig.engine->totals().syncApplied + rig.engine->totals().syncRefused < want && until < deadline) {
            until += sim::kMillisecond;
            rig.runUntil(until);
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(records));
    state.counters["lag_p99_ms"] = rig.engine->syncLag().quantile(0.99) / 1e6;
    state.counters["refused"] = rig.engine->totals().syncRefused;
}
BENCHMARK(BM_BinlogApply)->ArgNames({"taishan"})->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

} // namespace

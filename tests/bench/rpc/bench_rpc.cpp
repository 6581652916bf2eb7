// Remote streaming over loopback gRPC :
// - BM_SnapshotStream/N: a node whose world carries N gauge series (changed every
//   100 ms of simulated time, world at max speed) streams snapshots at 60 Hz to one
//   client; items_per_second = metric samples received per wall second (each streamed
//   message batches one snapshot's N samples).
// - BM_EventLatency: wall time from a client's InjectFault call to the client reading
//   that fault's `fault.on` event on its event stream (world at real time): the command
//   path, the world applying it, the host's event delivery and the stream.
#include "app/common/steady_wall_clock.h"
#include "backend/host/lease_keeper.h"
#include "backend/host/synthetic_run.h"
#include "backend/host/world_host.h"
#include "backend/rpc/node_server.h"
#include "backend/sim/strings.h"

#include <benchmark/benchmark.h>
#include <grpcpp/create_channel.h>

#include <algorithm>
#include <chrono>
#include <thread>

using namespace livedeck;

namespace {

using SteadyClock = std::chrono::steady_clock;

host::SyntheticRunConfig lightConfig()
{
    host::SyntheticRunConfig c;
    c.seed = 1;
    c.workload.servicesPerRegion = 2;
    c.workload.meanInterSend = 100 * sim::kMillisecond;
    c.workload.meanFaultGap = 10 * sim::kSecond;
    c.workload.meanFaultLength = sim::kSecond;
    return c;
}

// A light synthetic world plus `series` gauges on as many components, changed every
// 100 ms of simulated time by a world event.
struct ManySeries {
    std::vector<telemetry::Gauge*> gauges;
    sim::World* world = nullptr;
    std::uint64_t tick = 0;
    void update()
    {
        ++tick;
        for (std::size_t i = 0; i < gauges.size(); ++i)
            gauges[i]->set(static_cast<double>((tick + i) % 1000));
        world->after(100 * sim::kMillisecond, world->kind("bench.update"), sim::kNoComponent, [this] { update(); });
    }
};

std::unique_ptr<host::SyntheticRun> manySeriesRun(std::size_t series, ManySeries& state)
{
    auto run = std::make_unique<host::SyntheticRun>(lightConfig());
    for (std::size_t i = 0; i < series; ++i) {
        state.gauges.push_back(&run->telemetry().metrics().gauge("bench.level", sim::strCat("sh-a/bench/c/", i)));
    }
    state.world = &run->world();
    run->world().after(0, run->world().kind("bench.update"), sim::kNoComponent, [&state] { state.update(); });
    return run;
}

void BM_SnapshotStream(benchmark::State& state)
{
    const auto series = static_cast<std::size_t>(state.range(0));
    app::SteadyWallClock clock;
    ManySeries many;
    host::HostOptions hostOptions;
    hostOptions.initialSpeed = 0.0; // as fast as possible
    host::WorldHost host(manySeriesRun(series, many), clock, hostOptions);
    host::LeaseKeeper leases(host, clock);
    host.start();
    host.resume().wait();
    rpc::NodeOptions options;
    options.listen = "127.0.0.1:0";
    rpc::NodeServer server(host, leases, options);
    const int port = server.start().value();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20); // the first snapshot describes every series
    auto stub = v1::ClusterService::NewStub(
        grpc::CreateCustomChannel(sim::strCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), args));
    double samples = 0;
    double messages = 0;
    double bytes = 0;
    double wall = 0;
    for (auto _ : state) {
        grpc::ClientContext ctx;
        v1::StreamSnapshotsRequest req;
        req.set_rate_hz(60);
        auto reader = stub->StreamSnapshots(&ctx, req);
        v1::SnapshotBatch batch;
        // Warm-up: the first snapshot carries every series definition.
        reader->Read(&batch);
        const auto start = SteadyClock::now();
        const auto end = start + std::chrono::seconds(3);
        while (SteadyClock::now() < end && reader->Read(&batch)) {
            for (const v1::Snapshot& s : batch.snapshots())
                samples += s.sample_values_size();
            messages += 1;
            bytes += static_cast<double>(batch.ByteSizeLong());
        }
        wall += std::chrono::duration<double>(SteadyClock::now() - start).count();
        ctx.TryCancel();
        reader->Finish();
    }
    state.SetIterationTime(wall / static_cast<double>(state.iterations()));
    state.SetItemsProcessed(static_cast<std::int64_t>(samples));
    state.counters["messages_per_s"] = messages / wall;
    state.counters["MB_per_s"] = bytes / wall / 1e6;
    state.counters["samples_per_message"] = messages > 0 ? samples / messages : 0;
    server.shutdown();
    leases.stop();
    host.stop();
}

void BM_EventLatency(benchmark::State& state)
{
    app::SteadyWallClock clock;
    host::WorldHost host(std::make_unique<host::SyntheticRun>(lightConfig()), clock);
    host::LeaseKeeper leases(host, clock);
    host.start();
    host.resume().wait();
    rpc::NodeOptions options;
    options.listen = "127.0.0.1:0";
    rpc::NodeServer server(host, leases, options);
    const int port = server.start().value();
    auto stub = v1::ClusterService::NewStub(
        grpc::CreateChannel(sim::strCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext streamCtx;
    auto events = stub->StreamEvents(&streamCtx, v1::StreamEventsRequest{});
    std::vector<double> ms;
    for (auto _ : state) {
        const auto t0 = SteadyClock::now();
        v1::InjectFaultRequest req;
        req.set_keep_after_disconnect(true);
        req.mutable_fault()->set_kind(v1::FAULT_LATENCY);
        req.mutable_fault()->set_target("sh-a/synthetic/svc/0");
        auto* p = req.mutable_fault()->add_params();
        p->set_name("add_ms");
        p->set_value(1);
        v1::InjectFaultResponse resp;
        grpc::ClientContext ctx;
        if (!stub->InjectFault(&ctx, req, &resp).ok()) {
            state.SkipWithError("InjectFault failed");
            break;
        }
        const std::string id = std::to_string(resp.fault_id());
        bool seen = false;
        v1::EventBatch batch;
        while (!seen && events->Read(&batch)) {
            for (const v1::Event& e : batch.events()) {
                if (e.kind() != "fault.on")
                    continue;
                for (const v1::KeyValue& kv : e.fields())
                    seen |= kv.key() == "fault_id" && kv.value() == id;
            }
        }
        const double elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
        state.SetIterationTime(elapsed);
        ms.push_back(elapsed * 1e3);
    }
    std::sort(ms.begin(), ms.end());
    if (!ms.empty()) {
        state.counters["p50_ms"] = ms[ms.size() / 2];
        state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
        state.counters["max_ms"] = ms.back();
    }
    streamCtx.TryCancel();
    events->Finish();
    server.shutdown();
    leases.stop();
    host.stop();
}

} // namespace

BENCHMARK(BM_SnapshotStream)->Arg(10'000)->Arg(100'000)->Arg(250'000)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EventLatency)->Iterations(50)->UseManualTime()->Unit(benchmark::kMillisecond);

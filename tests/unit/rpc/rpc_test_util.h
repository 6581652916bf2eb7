// A loopback node for the rpc tests: a light synthetic world on a WorldHost with the
// programs' steady wall clock, a LeaseKeeper and a NodeServer on 127.0.0.1:0 (port
// reuse off), plus a client stub. Real time with short intervals; waits are bounded.
#pragma once

#include "app/common/steady_wall_clock.h"
#include "backend/host/lease_keeper.h"
#include "backend/host/synthetic_run.h"
#include "backend/host/world_host.h"
#include "backend/rpc/node_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <memory>
#include <string>

namespace livedeck::rpc::test {

inline host::SyntheticRunConfig lightConfig(std::uint64_t seed = 1, std::string runId = {})
{
    host::SyntheticRunConfig c;
    c.seed = seed;
    c.runId = std::move(runId);
    c.workload.servicesPerRegion = 2;
    c.workload.meanInterSend = 100 * sim::kMillisecond;
    c.workload.meanFaultGap = 400 * sim::kMillisecond;
    c.workload.meanFaultLength = 300 * sim::kMillisecond;
    return c;
}

struct LoopbackNode {
    explicit LoopbackNode(NodeOptions options = {}, std::uint64_t seed = 1, bool paused = true, std::string runId = {})
        : LoopbackNode(std::make_unique<host::SyntheticRun>(lightConfig(seed, std::move(runId))), std::move(options), paused)
    {
    }
    LoopbackNode(std::unique_ptr<host::HostedRun> run, NodeOptions options, bool paused)
        : host(std::move(run), clock), leases(host, clock)
    {
        if (options.listen == "127.0.0.1:7400")
            options.listen = "127.0.0.1:0";
        options.service.heartbeatInterval = std::chrono::milliseconds(100);
        host.start();
        leases.start();
        if (!paused)
            host.resume().wait();
        server = std::make_unique<NodeServer>(host, leases, std::move(options));
        auto p = server->start();
        status = p.status();
        port = p.ok() ? *p : 0;
    }
    ~LoopbackNode()
    {
        server.reset();
        leases.stop();
        host.stop();
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port); }
    std::unique_ptr<v1::ClusterService::Stub> stub() const
    {
        return v1::ClusterService::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
    }

    app::SteadyWallClock clock;
    host::WorldHost host;
    host::LeaseKeeper leases;
    std::unique_ptr<NodeServer> server;
    absl::Status status;
    int port = 0;
};

// A client context with a deadline (every test call has one) and an optional token.
inline std::unique_ptr<grpc::ClientContext> context(const std::string& token = {}, int timeoutMs = 10'000)
{
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeoutMs));
    if (!token.empty())
        ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
}

} // namespace livedeck::rpc::test

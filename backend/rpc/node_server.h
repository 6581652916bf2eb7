// NodeServer: the gRPC server livedeckd runs — ClusterService, the standard health
// service (grpc.health.v1) and server reflection, on one address; optionally a second,
// plaintext address (`healthListen`) that serves grpc.health.v1 alone, for probes that
// speak neither TLS nor tokens (Kubernetes' gRPC probes, deploy/kubernetes/).
//
// Access policy (docs/API.md "Access"):
// - bound to loopback (127.0.0.1, ::1, localhost): tokens optional;
// - bound anywhere else: a token file is required, and TLS (cert + key) unless
//   `insecure` explicitly accepts bearer tokens in plaintext. start() refuses otherwise.
// Limits: 4 MiB per received message (requests are small; a drill file is ≤ 1 MiB),
// 64 MiB per sent message, SO_REUSEPORT off (a second node on the same port fails
// instead of sharing it). Port 0 binds a free port: boundPort() tells which.
// Thread: start()/shutdown() from one thread; the service runs on gRPC's threads.
#pragma once

#include "backend/rpc/cluster_service.h"

#include <absl/status/statusor.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server.h>

#include <memory>
#include <optional>
#include <string>

namespace livedeck::rpc {

struct NodeOptions {
    std::string listen = "127.0.0.1:7400"; // default address (issue 8)
    std::string tlsCertPem;                // both empty: plaintext
    std::string tlsKeyPem;
    bool insecure = false;                 // accept a plaintext token off loopback
    std::string healthListen;              // non-empty: plaintext grpc.health.v1 only, here
    ServiceOptions service;
};

// True for 127.0.0.0/8, [::1] and localhost addresses ("host:port").
bool isLoopbackAddress(const std::string& hostPort);

class NodeServer {
public:
    NodeServer(host::WorldHost& host, host::LeaseKeeper& leases, NodeOptions options);
    ~NodeServer();
    NodeServer(const NodeServer&) = delete;
    NodeServer& operator=(const NodeServer&) = delete;

    // Checks the access policy, binds and starts serving; the bound port.
    absl::StatusOr<int> start();
    // Ends streams, then stops the server (in-flight unary calls get `grace`).
    void shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(500));
    int boundPort() const { return m_port; }
    int healthPort() const { return m_healthPort; } // 0 without healthListen
    ClusterServiceImpl& service() { return *m_service; }

private:
    host::WorldHost& m_host;
    host::LeaseKeeper& m_leases;
    NodeOptions m_options;
    std::unique_ptr<ClusterServiceImpl> m_service;
    std::unique_ptr<grpc::Server> m_server;
    std::unique_ptr<grpc::Server> m_healthServer;
    // Answers UNIMPLEMENTED to every method but the health service's (gRPC wants a
    // service of its own on a server before it adds the default health service).
    grpc::CallbackGenericService m_healthFallback;
    int m_port = 0;
    int m_healthPort = 0;
};

} // namespace livedeck::rpc

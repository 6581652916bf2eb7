// livedeckctl's connection to a livedeckd node (--server HOST:PORT, --token-file,
// --tls-ca): the ClusterService stub, per-call contexts with a deadline and the bearer
// token, and how gRPC errors become exit codes. docs/API.md describes the API.
#pragma once

#include "app/livedeckctl/cli.h"
#include "livedeck/v1/service.grpc.pb.h"

#include <memory>
#include <string>

namespace livedeck::ctl {

constexpr int kCallTimeoutMs = 10'000;

struct NodeClient {
    std::string address;
    std::string token;
    std::unique_ptr<v1::ClusterService::Stub> stub;

    std::unique_ptr<grpc::ClientContext> ctx(int timeoutMs = kCallTimeoutMs) const;
};

// Connects per the global options; on a bad token or CA file prints why and returns
// false with `exitCode` 2.
bool connectNode(const Invocation& inv, NodeClient& client, int& exitCode);

// Prints "livedeckctl: <what>: <message> (<code>)"; UNAVAILABLE, INVALID_ARGUMENT,
// NOT_FOUND and DEADLINE_EXCEEDED give 2 (bad input or an unreachable node), others 1.
int reportRpcError(const char* what, const grpc::Status& status);

// "12.500 s"
std::string secondsText(std::int64_t ns);

} // namespace livedeck::ctl

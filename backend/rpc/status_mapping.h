// absl::Status → grpc::Status with the same code and message (the codes are the same
// canonical set), so a world's "invalid argument" reaches the client as INVALID_ARGUMENT.
#pragma once

#include <absl/status/status.h>
#include <grpcpp/support/status.h>

namespace livedeck::rpc {

grpc::Status toGrpc(const absl::Status& status);

} // namespace livedeck::rpc

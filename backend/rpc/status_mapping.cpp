#include "backend/rpc/status_mapping.h"

#include <string>

namespace livedeck::rpc {

grpc::Status toGrpc(const absl::Status& status)
{
    if (status.ok())
        return grpc::Status::OK;
    return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(status.code())), std::string(status.message()));
}

} // namespace livedeck::rpc

// The client side of a node's bearer tokens: a client's token file holds the token as
// the first word of its first line ("<token>" or "<token> <role> [<name>]", the node's own
// token-file format, backend/rpc/auth.h). livedeckctl --token-file and the console's
// --token-file / File → Attach… read it here.
#pragma once

#include <absl/status/statusor.h>

#include <string>

namespace livedeck::app {

// NotFound "cannot read the token file PATH" / InvalidArgument "the token file PATH has
// no token on its first line".
absl::StatusOr<std::string> readClientToken(const std::string& path);

} // namespace livedeck::app

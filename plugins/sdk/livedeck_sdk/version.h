// The engine-plugin SDK's version. LIVEDECK_SDK_API_VERSION is the one number a plugin
// and the host must agree on: the SDK's classes cross the library boundary as C++
// objects (vtables, std::string, std::function), so any change to these headers is a
// new API. tests/plugins checks the headers' SHA-256 against plugins/sdk/api.sha256 and
// fails until the version below is bumped (and the hash updated) with the change.
#pragma once

#define LIVEDECK_SDK_API_VERSION 2

namespace livedeck::sdk {
inline constexpr unsigned kApiVersion = LIVEDECK_SDK_API_VERSION;
} // namespace livedeck::sdk

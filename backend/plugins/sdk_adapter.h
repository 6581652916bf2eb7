// The host side of the engine-plugin SDK (plugins/sdk/livedeck_sdk): implementations of
// sdk::World, sdk::Metrics and sdk::Infra over a run's sim::World, telemetry and the
// infra/resilience libraries, and the adapter that turns an sdk::EngineFactory into an
// engine::EngineFactory (settings trees from YAML, descriptions into
// v1::EngineDescriptor, errors at file:line:col, the plugin's id, version and file hash
// into the run's topology).
#pragma once

#include "backend/engine/engine.h"
#include "livedeck_sdk/engine.h"

#include <yaml-cpp/yaml.h>

#include <memory>

namespace livedeck::plugins {

// A drill file's node as the SDK's settings tree (positions kept).
sdk::Node toSdkNode(const YAML::Node& node);
// The engine's description as the host's descriptor.
v1::EngineDescriptor toDescriptor(const sdk::EngineDescription& description, const std::string& pluginId);

// Wraps a plugin's factory; `origin` names the plugin (id, version, file SHA-256).
std::shared_ptr<const engine::EngineFactory> adaptEngineFactory(std::shared_ptr<const sdk::EngineFactory> factory,
                                                                engine::EngineOrigin origin);

} // namespace livedeck::plugins

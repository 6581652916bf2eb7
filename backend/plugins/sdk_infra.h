// The host's implementation of the engine-plugin SDK's sdk::Infra (plugins/sdk/
// livedeck_sdk/infra.h, resilience.h) over the real parts: the service queue, SQL shards
// (infra::SqlCluster on SQLite), the KV pair (infra::KvPair), a Raft KV group
// (infra::RaftCluster + RaftClient), an MQ broker with producers and consumer groups
// (infra::MqBroker, MqProducer, MqConsumer), and the resilience library's circuit
// breaker, token bucket, sliding-window limiter and bulkhead. Every factory checks the
// configuration and the component paths it would register first and answers an error
// instead of aborting, so a plugin's mistake is reported, not a crash.
#pragma once

#include "livedeck_sdk/infra.h"

#include <memory>

namespace livedeck::sim {
class World;
}
namespace livedeck::telemetry {
class Telemetry;
}

namespace livedeck::plugins {

// World and telemetry outlive the result and everything it hands out.
std::unique_ptr<sdk::Infra> makeHostInfra(sim::World& world, telemetry::Telemetry& telemetry);

} // namespace livedeck::plugins

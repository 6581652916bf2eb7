// The `messaging` drill engine: messaging::MessagingEngine (docs/MESSAGING.md) in a
// drill — its section of the drill file, load phases, timed actions, drill gauges and
// the engine's invariants.
//
// Section `engines.messaging` (all optional; docs/DRILLS.md "The messaging engine"):
//   mode          legacy | upgraded (default upgraded)
//   scale         discrete-request scale, 0.001..100, default 1: the fidelity floor of
//                 2 000 one-to-one sends and 5 000 conversation queries per simulated
//                 second × scale (real rates stay, each discrete request weighs more)
//   data_scale    users and page caches, 0.001..10, default 0.1 (2 000 users)
//   sends_per_sec, queries_per_sec   real-equivalent rates (defaults 20 000, 50 000)
//   load_start    when the load starts (default 1s: Raft elects, caches warm)
//   stop_load_at  no new requests from this time on
//   page_cache_pages  SQL page cache per instance before data_scale (default 320)
//   legacy_ttl    legacy cache-aside expiry (default 2s)
//   prewarm_share upgraded: share of the users the offline load puts in Redis (0.5)
//   sabotage      a list of switches: no-taishan-tier, seq-reload-from-persisted, …, no-replicas,
//                 no-covering-index, no-stored-counters (docs/DRILLS.md)
//   actions       timed: {at, lose_sequence_cache: true}, {at, flush_caches: true}
// `load:` entries: profile `evening` with params sends_per_sec, queries_per_sec, and a
// multiplier.
// Gauges (every simulated second, over that second): messaging.drill.query_mean_ms,
// messaging.drill.query_p99_ms, messaging.drill.redis_hit_ratio.
// Descriptor: KPI tiles (conversation query p99, sends/s, errors), chart headlines, the
// load profile with its parameters, the invariants, and the figure
// messaging.query-latency (legacy vs upgraded drill pair at the same seed).
#pragma once

#include "backend/engine/engine.h"

#include <memory>

namespace livedeck::messaging {

std::shared_ptr<const engine::EngineFactory> makeMessagingEngineFactory();

} // namespace livedeck::messaging

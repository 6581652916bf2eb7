// The `cdn` drill engine: cdn::CdnEngine (docs/CDN.md) in a drill — its section of the
// drill file, load phases, timed actions, the engine's gauges and invariants, and its
// descriptor (KPI tiles, charts, load profiles, operator actions, component kinds and
// the figures cdn.slice-prefetch, cdn.fault-recovery, cdn.utilisation.*).
//
// Section `engines.cdn` (all optional; every key in docs/DRILLS.md "The CDN engine").
// Unknown keys, a window < 1 and out-of-range values are file:line:col errors (exit 2).
// `load:` entries: profiles vod-evening, gala, hot-release with params
// requests_per_sec, live_share, hot_share, ramp, range_min_mib, range_max_mib,
// cold_share, and a multiplier.
#pragma once

#include "backend/engine/engine.h"

#include <memory>

namespace livedeck::cdn {

std::shared_ptr<const engine::EngineFactory> makeCdnEngineFactory();

} // namespace livedeck::cdn

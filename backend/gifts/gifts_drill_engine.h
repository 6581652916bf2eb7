// The `gifts` drill engine: gifts::GiftsEngine (the live gift system, docs/GIFTS.md) in a
// drill — its configuration from the drill file, load phases, timed operator actions,
// the engine's own metrics and invariants, plus drill gauges a trainer grades on.
//
// Section `engines.gifts` (all optional; docs/DRILLS.md "The gifts engine"):
//   mode            local-first (default, docs/GIFTS.md "next step") or cross-region
//   scale           discrete-request scale, 0.001..100, default 1 (docs/DRILLS.md: the
//                   fidelity floor of 2 000 orders and 5 000 panel requests per simulated
//                   second × scale; real rates stay, each discrete request weighs more)
//   profile         steady | gala | room-storm (gifts::LoadProfile), default gala
//   profile_params  the profile's numbers: start_viewers, peak_viewers, ramp_start,
//                   peak_at, countdown_at, countdown_factor, countdown_lead,
//                   countdown_tail, storm_factor, storm_at, storm_length,
//                   gifts_per_viewer_per_sec, entry_churn_per_sec
//   stop_load_at    no new load from this time on (the rest of the drill drains: re-checks,
//                   audit and settlement finish); the full end-of-run invariant scan runs
//                   at the drill's end only when the load was stopped
//   timers          settlement_missing, audit_interval, audit_delay, audit_max_pending,
//                   gslb_down_after, gslb_restore_after (durations; gifts_config.h defaults)
//   min_pods        order pods per serving region at start (the operator's pre-scale)
//   sabotage        a list of switches (gifts::Sabotage): consumer-not-idempotent,
//                   async-replication, no-idempotency-key, no-payment-recheck, no-audit,
//                   no-dead-letter, no-region-drain, quota-fail-closed, no-autoscale,
//                   no-breaker, no-singleflight, no-hot-key-cache, no-hot-room-cache
//   actions         timed operator actions: {at, poison: REGION, count: N},
//                   {at, min_pods: N}, {at, mode: cross-region|local-first},
//                   {at, stop_load: true}, {at, verify_refunds: true}
// `load:` entries: profile steady | gala | room-storm with `params` (the profile_params
// keys) and `multiplier` — the engine switches to that profile at the entry's time.
// Metrics: every metric the engine registers (found by building one engine with the
// defaults), plus gauges gifts.drill.* updated every 250 ms of simulated time (see
// metrics() for the list) computed from the engine's own counters and invariant report.
// Invariants: the engine's (gifts.double_charge, gifts.settled_twice, ...).
// Descriptor (describe()): KPI tiles (orders, panel availability against 99.99 %,
// settlement lag, errors), chart headlines, the load profiles with their parameters,
// operator actions shed-load (an entry's order limit), drain-region and restore
// (multi-active), component kinds, and the figure gifts.availability.
#pragma once

#include "backend/engine/engine.h"

#include <memory>

namespace livedeck::gifts {

std::shared_ptr<const engine::EngineFactory> makeGiftsEngineFactory();

} // namespace livedeck::gifts

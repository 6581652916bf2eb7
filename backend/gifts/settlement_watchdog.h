// SettlementWatchdog: the "settlement data is missing" alert (docs/GIFTS.md). Component
// "gifts/settlement-watchdog" (kind "settlement-watchdog").
//
// Contract:
// - onPaidRecorded(order) (from the order services: the paid status the order DB
//   acknowledged) starts a clock for the order; onSettled(order) (from the settlement
//   consumers: the settlement DB acknowledged its row) stops it.
// - Every `watchInterval` it looks at the paid orders still unsettled after `delay`
//   (SettlementConfig::missingDelay, 30 s by default, configurable): each one found for
//   the first time makes the check raise one "alert.settlement_missing" event
//   (SEVERITY_ALERT) naming how many orders are missing and the oldest (order id, uid,
//   key, paid at) — one aggregated alert per check, as an alert manager groups them.
// - With repair on (the default), each missing order's event is re-published (the
//   Repair callback: an order service of a region that is up sends it again); if it is
//   still missing after another `delay`, it is re-published again. A duplicate reaches
//   the idempotent consumer and is absorbed.
// - onPaidConfirmed(order) (from the audit's reconciliation) starts the clock for a paid
//   order no order service reported, unless its settlement was already seen.
// - gifts.settlement.lag (gauge, SECONDS): age of the oldest paid order without a
//   settlement; gifts.settlement.unsettled (gauge, real orders): weight still waiting;
//   gifts.settlement.missing (counter, weighted): orders found missing.
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/gifts_config.h"
#include "backend/gifts/order_service.h"
#include "backend/gifts/settlement_consumer.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <deque>
#include <functional>

namespace livedeck::gifts {

class SettlementWatchdog final : public OrderObserver, public SettlementSink, public sim::Inspectable {
public:
    using Repair = std::function<void(const PaidOrder& order)>;

    SettlementWatchdog(sim::World& world, const SettlementConfig& config, telemetry::Telemetry& telemetry);
    SettlementWatchdog(const SettlementWatchdog&) = delete;
    SettlementWatchdog& operator=(const SettlementWatchdog&) = delete;

    void start();
    void setRepair(Repair repair) { m_repair = std::move(repair); }

    void onPaidRecorded(const PaidOrder& order) override;
    void onSettled(const PaidOrder& order) override;
    // The audit found `order` paid in the order DB (its charge reconciled): watch it
    // unless its settlement was already seen. This catches a paid status whose order
    // service never reported it (the answer to its status write was lost when its
    // region died): without it nobody would re-publish that order's event. The clock
    // starts now (the time it was found), which keeps the watch list in time order.
    void onPaidConfirmed(PaidOrder order);

    std::size_t unsettled() const { return m_open.size(); }
    bool isUnsettled(OrderId order) const { return m_open.contains(order); }
    std::uint64_t missingFound() const { return m_missingFound; }
    std::uint64_t alerts() const { return m_alerts; }
    std::uint64_t repairs() const { return m_repairs; }
    // Seconds the oldest unsettled paid order has waited (0 when none).
    double lagSeconds() const;
    sim::ComponentId component() const { return m_component; }

    void inspect(sim::StateWriter& out) const override;

private:
    struct Entry {
        PaidOrder order;
        sim::Nanos nextCheck = 0;
        int alerts = 0;
    };
    void check();

    sim::World& m_world;
    SettlementConfig m_config;
    sim::ComponentId m_component;
    Repair m_repair;
    absl::flat_hash_map<OrderId, Entry> m_open;
    absl::flat_hash_set<OrderId> m_settled; // settlements seen (lookups only)
    std::uint64_t m_confirmedWatched = 0;   // paid orders the audit handed over
    std::deque<OrderId> m_order; // paid order ids in paid-at order (settled ones removed lazily)
    double m_unsettledWeight = 0.0;
    std::uint64_t m_missingFound = 0;
    std::uint64_t m_alerts = 0;
    std::uint64_t m_repairs = 0;
    std::uint64_t m_settledUnknown = 0; // settlements of orders never seen paid (e.g. after a restart)
    sim::EventKindId m_checkKind;
    telemetry::Gauge& m_lagGauge;
    telemetry::Gauge& m_unsettledGauge;
    telemetry::Counter& m_missingCounter;
};

} // namespace livedeck::gifts

// RefundQueue: orders the audit found with a paid/failed mismatch, waiting for manual
// refund verification (docs/GIFTS.md: "any paid/failed mismatch goes to an audit that queues
// the order for manual refund verification"). Component "gifts/audit/refund-queue"
// (kind "refund-queue"); the console shows its entries in the inspector and the size in
// gifts.audit.refund_queue (gauge, real orders: the weight of the queued entries).
//
// Contract: enqueue() is idempotent per order (a second mismatch report of the same order
// is ignored). verifyAll() is the operator's verification: every queued order whose
// money the bank still holds is refunded (PaymentLedger::refund) and leaves the queue;
// the ones without a charge (paid in the order DB, never charged) leave it as verified
// with nothing to refund. Entries keep their reason and times for the inspector.
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/payment_ledger.h"
#include "backend/telemetry/telemetry.h"

#include <absl/container/flat_hash_map.h>

#include <deque>
#include <string>

namespace livedeck::gifts {

struct RefundItem {
    OrderId order = 0;
    IdempotencyKey key;
    std::int64_t amountCents = 0;
    double weight = 1.0;
    int partition = 0;
    std::string reason;   // "charged, order failed", "charged, order missing", "paid, no charge", ...
    sim::Nanos chargedAt = 0;
    sim::Nanos queuedAt = 0;
};

class RefundQueue final : public sim::Inspectable {
public:
    RefundQueue(sim::World& world, telemetry::Telemetry& telemetry);
    RefundQueue(const RefundQueue&) = delete;
    RefundQueue& operator=(const RefundQueue&) = delete;

    // Returns false when the order is queued (or was refunded) already.
    bool enqueue(RefundItem item);
    bool contains(OrderId order) const { return m_known.contains(order); }
    // Refunds every queued order at the bank; returns how many were refunded.
    std::size_t verifyAll(PaymentLedger& ledger);

    const std::deque<RefundItem>& items() const { return m_items; }
    std::size_t size() const { return m_items.size(); }
    double weight() const { return m_weight; }
    std::uint64_t everQueued() const { return m_everQueued; }
    std::uint64_t refunded() const { return m_refunded; }
    sim::ComponentId component() const { return m_component; }

    void inspect(sim::StateWriter& out) const override;

private:
    sim::World& m_world;
    sim::ComponentId m_component;
    std::deque<RefundItem> m_items;
    absl::flat_hash_map<OrderId, bool> m_known; // queued or handled
    double m_weight = 0.0;
    std::uint64_t m_everQueued = 0;
    std::uint64_t m_refunded = 0;
    telemetry::Gauge& m_gauge;
    telemetry::Counter& m_queuedCounter;
};

} // namespace livedeck::gifts

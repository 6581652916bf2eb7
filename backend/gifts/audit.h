// Audit: the reconciliation of the bank's charges against the order DB (docs/GIFTS.md: "any
// paid/failed mismatch goes to an audit that queues the order for manual refund
// verification"). Component "gifts/audit" (kind "audit").
//
// Every `interval` (5 s) it reconciles, with strong reads at the shards' primaries:
// - charges → orders: every charge of the bank's ledger older than `delay` (15 s: past
//   the order path's re-check chain) is looked up in its shard and partition (batched,
//   64 ids per read). Paid: fine. Failed: mismatch "charged, order failed" (payment
//   succeeded after the 2 s re-check decided it had not). Still created, or missing:
//   looked at again on the next rounds, and a mismatch once the charge is older than
//   `maxPending` (60 s) ("charged, order stuck created" / "charged, order missing" — the
//   latter only when an order row was lost, e.g. an asynchronous failover). Every
//   charge found paid goes to the paid hook (the settlement watchdog), so a paid order
//   whose order service never reported it still gets its settlement.
// - orders → charges: every order that became paid in the window [last, now − delay)
//   (index on updated_at) must have a charge at the bank: otherwise "paid, no charge".
// A mismatch puts the order on the RefundQueue and moves its status to refunding. One
// "audit.mismatch" event (WARNING) per round names how many and the first one.
// Metrics: gifts.audit.checked (charges reconciled, weighted), gifts.audit.mismatches.
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/gifts_config.h"
#include "backend/gifts/order_store.h"
#include "backend/gifts/payment_ledger.h"
#include "backend/gifts/refund_queue.h"

#include <functional>
#include <map>
#include <vector>

namespace livedeck::gifts {

class Audit final : public sim::Inspectable {
public:
    Audit(sim::World& world, const AuditConfig& config, PaymentLedger& ledger, OrderStore& store, RefundQueue& refunds,
          telemetry::Telemetry& telemetry);
    Audit(const Audit&) = delete;
    Audit& operator=(const Audit&) = delete;

    void start();
    // Called for every charge whose order the reconciliation found paid (the engine
    // hands it to the settlement watchdog, which re-publishes a missing event).
    void setPaidHook(std::function<void(const Charge&)> hook) { m_paidHook = std::move(hook); }

    std::uint64_t rounds() const { return m_rounds; }
    std::uint64_t checked() const { return m_checked; }
    std::uint64_t mismatches() const { return m_mismatches; }
    std::size_t waiting() const { return m_waiting.size(); }
    sim::ComponentId component() const { return m_component; }

    void inspect(sim::StateWriter& out) const override;

private:
    struct Chunk {
        std::uint32_t shard = 0;
        int partition = 0;
        std::vector<std::uint32_t> charges; // indices into the ledger's charges
    };
    void round();
    void reconcileCharges();
    void chunkRead(std::uint64_t round, std::size_t chunk, infra::SqlResult& result);
    void reconcilePaid();
    void mismatch(const Charge* charge, OrderId order, Uid uid, int partition, OrderStatus from, bool hasRow,
                  std::string reason);
    void endOfRound();

    sim::World& m_world;
    std::function<void(const Charge&)> m_paidHook;
    AuditConfig m_config;
    PaymentLedger& m_ledger;
    OrderStore& m_store;
    RefundQueue& m_refunds;
    sim::ComponentId m_component;
    sim::EventKindId m_roundKind;
    std::size_t m_cursor = 0;                 // next ledger charge to look at
    std::vector<std::uint32_t> m_waiting;     // charges whose order was still created / missing
    std::vector<Chunk> m_chunks;              // this round's reads
    std::uint64_t m_round = 0;
    int m_outstanding = 0;
    sim::Nanos m_paidFrom = 0;                // orders → charges window start
    sim::Nanos m_paidTo = 0;
    bool m_paidReadFailed = false;
    std::uint64_t m_roundMismatches = 0;
    std::string m_firstMismatch;
    std::uint64_t m_rounds = 0;
    std::uint64_t m_checked = 0;
    std::uint64_t m_mismatches = 0;
    telemetry::Counter& m_checkedCounter;
    telemetry::Counter& m_mismatchCounter;
};

} // namespace livedeck::gifts

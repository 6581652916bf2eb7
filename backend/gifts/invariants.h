// InvariantChecker: what must hold through every gift drill (SPEC "What works means"),
// checked continuously and at the end of a run. Component "gifts/invariants".
//
// Invariants (EventLog kind "invariant.<name>", SEVERITY_VIOLATION, with the order id,
// uid, idempotency key and times that find the cause):
// - double_charge: no idempotency key (uid, client_seq) is charged twice. Continuous:
//   the bank's ledger reports every charge (ChargeObserver).
// - settled_twice: no order is settled more than once. Continuous: every second the
//   checker reads the settlement rows added since its last look (straight from the
//   settlement DB's primary, outside virtual time); at the end, a GROUP BY over all rows.
// - paid_unsettled (end): every charged order is settled exactly once or refunded through
//   the audit (in the refund queue, or refunded) — run it after the load stopped and
//   the system drained (re-checks, audit rounds, missing-settlement repairs).
// - settled_and_refunded (end): no order is both settled and refunded.
// - settled_without_charge (end): every settlement has a charge at the bank.
// - paid_order_lost: every paid status the order DB acknowledged survives. Continuous:
//   failover reports of the order DB name the acknowledged writes they lost; at the end,
//   the current primaries must still hold each such order as paid (or refunding).
// - panel_general_tab: the gift panel always returns the general tab (onPanelServed).
// Each invariant raises at most kMaxEventsPerInvariant events; the rest are counted.
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/order_service.h"
#include "backend/gifts/order_store.h"
#include "backend/gifts/payment_ledger.h"
#include "backend/gifts/refund_queue.h"
#include "backend/gifts/settlement_db.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include <string>
#include <vector>

namespace livedeck::gifts {

struct InvariantReport {
    std::uint64_t doubleCharges = 0;
    std::uint64_t settledTwice = 0;
    std::uint64_t paidUnsettled = 0;
    std::uint64_t settledAndRefunded = 0;
    std::uint64_t settledWithoutCharge = 0;
    std::uint64_t paidLost = 0;
    std::uint64_t panelWithoutGeneral = 0;
    // Context
    std::uint64_t charges = 0;
    std::uint64_t settledOrders = 0;
    std::uint64_t refundedOrders = 0;
    std::uint64_t paidAcknowledged = 0;
    std::uint64_t panelServed = 0;
    bool finalChecked = false;

    bool ok() const
    {
        return doubleCharges == 0 && settledTwice == 0 && paidUnsettled == 0 && settledAndRefunded == 0
            && settledWithoutCharge == 0 && paidLost == 0 && panelWithoutGeneral == 0;
    }
    std::string summary() const;
};

class InvariantChecker final : public ChargeObserver, public OrderObserver, public sim::Inspectable {
public:
    static constexpr int kMaxEventsPerInvariant = 50;
    static constexpr sim::Nanos kScanInterval = 1 * sim::kSecond;

    InvariantChecker(sim::World& world, PaymentLedger& ledger, OrderStore& orders, SettlementDb& settlements,
                     RefundQueue& refunds);
    InvariantChecker(const InvariantChecker&) = delete;
    InvariantChecker& operator=(const InvariantChecker&) = delete;

    void start();

    // Sources.
    void onCharge(const Charge& charge) override;
    void onPaidRecorded(const PaidOrder& order) override;
    void onOrderDbFailover(const infra::FailoverReport& report);
    // The panel's entry point: one panel answer, with or without the general tab.
    void onPanelServed(bool generalTab, Uid uid, RoomId room, int region, sim::Nanos latency);

    // Continuous settlement check now (also runs every second).
    void scanSettlements();
    // End of run: the full checks. Call after the load stopped and the system drained.
    const InvariantReport& finalCheck();
    const InvariantReport& report() const { return m_report; }
    // One status per invariant, for drills and snapshots.
    std::vector<v1::InvariantStatus> statuses() const;

    sim::ComponentId component() const { return m_component; }
    void inspect(sim::StateWriter& out) const override;

private:
    struct KeyHash {
        std::size_t operator()(const IdempotencyKey& k) const
        {
            return absl::Hash<std::pair<std::uint64_t, std::uint64_t>>()({k.uid, k.clientSeq});
        }
    };
    struct KeyCharges {
        OrderId first = 0;
        sim::Nanos firstAt = 0;
        std::uint32_t count = 0;
    };
    struct Acked {
        IdempotencyKey key;
        sim::Nanos paidAt = 0;
        bool lost = false;
    };
    void violation(std::string_view name, std::uint64_t& counter, std::string message,
                   std::vector<sim::EventLog::Field> fields);

    sim::World& m_world;
    PaymentLedger& m_ledger;
    OrderStore& m_orders;
    SettlementDb& m_settlements;
    RefundQueue& m_refunds;
    sim::ComponentId m_component;
    sim::EventKindId m_scanKind;
    absl::flat_hash_map<IdempotencyKey, KeyCharges, KeyHash> m_keys;
    absl::flat_hash_map<OrderId, Acked> m_acked;
    absl::flat_hash_map<OrderId, std::uint32_t> m_settleCounts;
    std::int64_t m_settleCursor = 0;
    bool m_rescan = false;
    std::vector<std::pair<std::int64_t, OrderId>> m_scratch;
    absl::flat_hash_map<std::string, int> m_eventsRaised; // per invariant name (lookup only)
    InvariantReport m_report;
};

} // namespace livedeck::gifts

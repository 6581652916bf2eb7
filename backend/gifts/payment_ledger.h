// PaymentLedger: the bank behind the gift system's payment service — the one party
// that knows the truth about money moved. Component "gifts/payment-ledger".
//
// Contract:
// - charge(order) moves money once per order id (the merchant order number, as a
//   payment provider deduplicates it): a second charge of the same order answers
//   AlreadyCharged and moves nothing. It does NOT deduplicate by the client's
//   idempotency key (uid, client_seq): two orders created for one key are two merchant
//   orders and are both charged. Preventing that is the order service's job (Raft
//   lock + unique key); the invariant checker watches every charge (ChargeObserver).
// - A charge is declined with probability `declineRate` (drawn from the ledger's own
//   stream); a declined order stays declined when asked again.
// - refund(order) returns a charge's money (manual refund after verification).
// - Charges are kept in time order (the reconciliation file the audit reads).
// Weighted: a discrete charge stands for `weight` real ones (docs/ARCHITECTURE.md, property 3).
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/gift_types.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <vector>

namespace livedeck::gifts {

struct Charge {
    OrderId order = 0;
    IdempotencyKey key;
    std::int64_t amountCents = 0;
    double weight = 1.0;
    int region = -1;      // region of the payment service that asked
    int partition = 0;    // the order's month partition (yyyymm)
    std::uint32_t shard = 0;
    sim::Nanos time = 0;
    bool refunded = false;
};

struct ChargeRequest {
    OrderId order = 0;
    IdempotencyKey key;
    std::int64_t amountCents = 0;
    double weight = 1.0;
    int region = -1;
    int partition = 0;
    std::uint32_t shard = 0;
};

class ChargeObserver {
public:
    virtual ~ChargeObserver() = default;
    virtual void onCharge(const Charge& charge) = 0;
    virtual void onRefund(const Charge& /*charge*/) {}
};

class PaymentLedger final : public sim::Inspectable {
public:
    enum class Result : std::uint8_t { Charged, AlreadyCharged, Declined };

    PaymentLedger(sim::World& world, double declineRate, telemetry::MetricsRegistry* metrics);
    PaymentLedger(const PaymentLedger&) = delete;
    PaymentLedger& operator=(const PaymentLedger&) = delete;

    Result charge(const ChargeRequest& request);
    // Whether the order has been charged (and not refunded); the payment query.
    bool charged(OrderId order) const;
    const Charge* find(OrderId order) const;
    // Returns the money of a charged order; false when there is nothing to refund.
    bool refund(OrderId order);

    const std::vector<Charge>& charges() const { return m_charges; }
    std::uint64_t declines() const { return m_declines; }
    double chargedWeight() const { return m_chargedWeight; }
    double refundedWeight() const { return m_refundedWeight; }
    void addObserver(ChargeObserver* observer) { m_observers.push_back(observer); }
    sim::ComponentId component() const { return m_component; }

    void inspect(sim::StateWriter& out) const override;

private:
    sim::World& m_world;
    sim::ComponentId m_component;
    double m_declineRate;
    sim::RandomStream m_rng;
    std::vector<Charge> m_charges;
    absl::flat_hash_map<OrderId, std::uint32_t> m_byOrder;     // index into m_charges
    absl::flat_hash_map<OrderId, bool> m_declined;
    std::vector<ChargeObserver*> m_observers;
    std::uint64_t m_declines = 0;
    std::uint64_t m_refunds = 0;
    double m_chargedWeight = 0.0;
    double m_refundedWeight = 0.0;
    telemetry::Counter* m_chargedCounter = nullptr;
    telemetry::Counter* m_declinedCounter = nullptr;
    telemetry::Counter* m_refundedCounter = nullptr;
};

} // namespace livedeck::gifts

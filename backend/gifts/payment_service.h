// PaymentService: one region's payment gateway in front of the bank (PaymentLedger).
// Component "<region>/gifts/payment" (kind "payment-service").
//
// Contract:
// - charge(caller, request, timeout, done): the request crosses world.network() from the
//   caller to the service, waits in its ServiceQueue (concurrency in real calls,
//   weighted), and after the service time the bank decides: Charged (also when the
//   order was charged before: the bank deduplicates by order id) or Declined. When the
//   bank charged, the service records the payment in the order DB (payments_<yyyymm>,
//   the payment callback; retried up to 3 times 200 ms apart) and answers over the
//   network. The caller's `done` runs exactly once, from a later event: with the answer,
//   with Unavailable (service or region down, refused after one round trip), Rejected
//   (overloaded), Error (error-rate fault: failed before the bank was asked), or Timeout
//   when no answer arrived within `timeout` — the bank may have charged anyway ("payment
//   succeeded but the response timed out", docs/GIFTS.md): a latency fault on the service
//   delays the charge and the answer past the caller's deadline.
// - The money moves at the end of the service time, so a slow gateway charges late: a
//   charge can land after the order path's 2 s re-check decided the order was unpaid,
//   which is the mismatch the audit exists for.
// Metrics on the component: gifts.payment.requests/.rejected/.errors/.latency (queue),
// gifts.payment.timeouts (weighted, callers' deadlines missed).
// Defaults: PaymentConfig (gifts_config.h). Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/gifts_config.h"
#include "backend/gifts/order_store.h"
#include "backend/gifts/payment_ledger.h"
#include "backend/infra/service_queue.h"

#include <string>
#include <vector>

namespace livedeck::gifts {

enum class PaymentOutcome : std::uint8_t { Charged, Declined, Timeout, Unavailable, Rejected, Error };
std::string_view toString(PaymentOutcome outcome);

struct PaymentReply {
    PaymentOutcome outcome = PaymentOutcome::Charged;
    sim::Nanos latency = 0;
};

class PaymentService final : public sim::Inspectable {
public:
    using Done = sim::InlineFunction<void(const PaymentReply& reply), 48>;

    PaymentService(sim::World& world, std::string_view region, const PaymentConfig& config, PaymentLedger& ledger,
                   OrderStore& store, telemetry::MetricsRegistry* metrics);
    PaymentService(const PaymentService&) = delete;
    PaymentService& operator=(const PaymentService&) = delete;

    void charge(sim::ComponentId caller, const ChargeRequest& request, sim::Nanos timeout, Done done);

    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }
    int region() const { return m_region; }
    infra::ServiceQueue& queue() { return m_queue; }
    std::uint64_t charges() const { return m_charges; }
    std::uint64_t timeouts() const { return m_timeouts; }
    std::uint64_t recordFailures() const { return m_recordFailures; }

    void inspect(sim::StateWriter& out) const override;

private:
    struct Call {
        std::uint32_t gen = 0;
        bool live = false;       // the caller still waits
        bool inService = false;  // the request still travels / is served (slot is held)
        ChargeRequest request;
        sim::ComponentId caller = sim::kNoComponent;
        sim::Nanos started = 0;
        Done done;
        sim::EventHandle timer;
    };

    std::uint32_t alloc();
    void release(std::uint32_t slot);
    void arrive(std::uint32_t slot);
    void served(std::uint32_t slot, infra::ServiceOutcome outcome);
    void reply(std::uint32_t slot, PaymentOutcome outcome);
    void answer(std::uint32_t slot, std::uint32_t gen, PaymentOutcome outcome);
    void record(const ChargeRequest& request, int attempt);

    sim::World& m_world;
    std::string m_path;
    int m_region;
    sim::ComponentId m_component;
    PaymentConfig m_config;
    PaymentLedger& m_ledger;
    OrderStore& m_store;
    infra::ServiceQueue m_queue;
    sim::EventKindId m_arriveKind;
    sim::EventKindId m_replyKind;
    sim::EventKindId m_timeoutKind;
    sim::EventKindId m_recordKind;
    std::vector<Call> m_calls;
    std::vector<std::uint32_t> m_free;
    std::uint64_t m_charges = 0;
    std::uint64_t m_declines = 0;
    std::uint64_t m_timeouts = 0;
    std::uint64_t m_recordFailures = 0;
    telemetry::Counter* m_timeoutCounter = nullptr;
};

} // namespace livedeck::gifts

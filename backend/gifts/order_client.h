// OrderClient: the viewers' apps sending gifts — the client side of the order path,
// driven by the engine for every GiftSend of the load generator. Component
// "gifts/clients" (kind "order-client").
//
// Contract:
// - send(g): one order with its idempotency key (uid, client_seq). Each attempt goes to
//   the entry of the user's home region at that moment (homeOf: a drained region's users
//   move) and waits at most `timeout` (the order path's client deadline, 1 s). A
//   retriable answer (error, unavailable, overloaded, timeout) is retried with the SAME
//   key, up to maxAttempts, after a full-jitter backoff, while the retry budget (≤ 10 %
//   of requests) allows — this is exactly where a double charge would happen without
//   the order path's idempotency. A reply to a superseded attempt is ignored.
// - Final outcomes (by weight): paid, failed (declined / not charged), pending (payment
//   unknown, being re-checked), shed (rate-limited), error (no definite answer after
//   the last attempt). Global metrics (component ""): gifts.orders.placed, .paid,
//   .failed, .pending, .shed, .retries, gifts.errors and gifts.order.latency (first send
//   → final answer, ms); the same per region on "<region>/gifts/order-entry".
// - Per region, the last whole simulated second: requests, served share, error share,
//   p99 — the region-health map (regionHealth()).
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/order_entry.h"
#include "backend/resilience/retry_budget.h"
#include "backend/telemetry/histogram.h"
#include "livedeck/v1/cluster.pb.h"

#include <functional>
#include <vector>

namespace livedeck::gifts {

class OrderClient final : public sim::Inspectable {
public:
    using HomeOf = std::function<int(Uid uid)>;

    OrderClient(sim::World& world, const GiftsConfig& config, std::vector<OrderEntry*> entriesByRegion, HomeOf homeOf,
                telemetry::Telemetry& telemetry);
    OrderClient(const OrderClient&) = delete;
    OrderClient& operator=(const OrderClient&) = delete;

    void send(const GiftSend& send);

    // Last whole second of one region (orders whose first attempt went there).
    struct RegionSecond {
        double requests = 0.0;  // real orders finished in that second
        double served = 0.0;    // paid, failed, pending
        double errors = 0.0;
        double shed = 0.0;
        double p99Ms = 0.0;
        double p50Ms = 0.0;
    };
    RegionSecond lastSecond(int region);

    struct Totals {
        double placed = 0.0;
        double paid = 0.0;
        double failed = 0.0;
        double pending = 0.0;
        double shed = 0.0;
        double errors = 0.0;
        double retries = 0.0;
        std::uint64_t discretePlaced = 0;
        std::uint64_t discreteFinished = 0;
    };
    const Totals& totals() const { return m_totals; }
    const Totals& regionTotals(int region) const { return m_regions[static_cast<std::size_t>(region)].totals; }
    std::size_t inflight() const { return m_inflight; }
    const resilience::RetryBudget& retryBudget() const { return m_budget; }
    sim::ComponentId component() const { return m_component; }

    void inspect(sim::StateWriter& out) const override;

private:
    struct Pending {
        std::uint32_t gen = 0;
        bool active = false;
        GiftSend send;
        int attempt = 0;
        int firstRegion = 0;
        sim::Nanos started = 0;
        sim::EventHandle timer;
    };
    struct RegionStats {
        std::int64_t second = -1;
        RegionSecond current;
        RegionSecond last;
        telemetry::Histogram latency; // current second
        Totals totals;
        telemetry::Counter* placed = nullptr;
        telemetry::Counter* paid = nullptr;
        telemetry::Counter* failed = nullptr;
        telemetry::Counter* errors = nullptr;
        telemetry::Histogram* latencyMetric = nullptr;
    };

    void attempt(std::uint32_t slot);
    void answered(std::uint32_t slot, std::uint32_t gen, int attempt, OrderAnswer answer);
    void finish(std::uint32_t slot, OrderAnswer answer);
    void roll(RegionStats& r, std::int64_t second);

    sim::World& m_world;
    ClientConfig m_config;
    sim::ComponentId m_component;
    std::vector<OrderEntry*> m_entries;
    HomeOf m_homeOf;
    resilience::RetryBudget m_budget;
    sim::RandomStream m_rng;
    sim::EventKindId m_timeoutKind;
    sim::EventKindId m_retryKind;
    std::vector<Pending> m_pending;
    std::vector<std::uint32_t> m_free;
    std::size_t m_inflight = 0;
    std::vector<RegionStats> m_regions;
    Totals m_totals;
    telemetry::Counter& m_placed;
    telemetry::Counter& m_paid;
    telemetry::Counter& m_failed;
    telemetry::Counter& m_pendingCounter;
    telemetry::Counter& m_shed;
    telemetry::Counter& m_errors;
    telemetry::Counter& m_retries;
    telemetry::Histogram& m_latency;
};

} // namespace livedeck::gifts

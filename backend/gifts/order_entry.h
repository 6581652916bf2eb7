// OrderEntry: one region's ingress for gift orders (the order API behind the region's
// load balancer). Component "<region>/gifts/order-entry" (kind "order-entry"), with its
// quota client "<region>/gifts/order-entry/quota".
//
// Contract: submit(request, done) answers exactly once, from a later event, after the
// client ↔ entry hop (kClientHop each way, ours: a viewer's path to the data centre):
// - Unavailable when the entry (or its region) is down, or no order service is
//   available to it;
// - RateLimited when the distributed rate limit (quota server, docs/GIFTS.md) or the
//   operator's shed-load limit refuses the request's weight;
// - otherwise the order service's answer: the request goes to an order service picked
//   by discovery (local region first in local-first mode, any region by weight in
//   cross-region mode) over world.network(); when the service or its reply is lost
//   nothing is answered here — the client's own deadline covers it.
// Outcomes are reported back to discovery (outlier ejection).
// Weighted: limiters count by the request's weight (docs/ARCHITECTURE.md, property 3).
// Single-threaded (the world's thread).
#pragma once

#include "backend/gifts/order_service.h"
#include "backend/resilience/quota_client.h"
#include "backend/resilience/token_bucket.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace livedeck::gifts {

// Finds an order service for a caller and hears how the call went.
class OrderDirectory {
public:
    virtual ~OrderDirectory() = default;
    virtual OrderService* pickOrder(sim::ComponentId caller, infra::InstanceId& instance) = 0;
    virtual void reportOrder(infra::InstanceId instance, bool ok) = 0;
};

class OrderEntry final : public sim::Inspectable {
public:
    using Done = sim::InlineFunction<void(const OrderReply& reply), 48>;
    static constexpr sim::Nanos kClientHop = 5 * sim::kMillisecond;

    // `quotaServer` may be null (no distributed rate limit).
    OrderEntry(sim::World& world, std::string_view region, const GiftsConfig& config,
               resilience::QuotaServer* quotaServer, OrderDirectory& directory, telemetry::Telemetry& telemetry);
    ~OrderEntry() override;
    OrderEntry(const OrderEntry&) = delete;
    OrderEntry& operator=(const OrderEntry&) = delete;

    void start();
    void submit(const OrderRequest& request, Done done);

    // Operator shed-load: at most `ratePerSec` real orders per second through this entry
    // (on top of the quota); <= 0 removes the limit.
    void setShedLimit(double ratePerSec);
    double shedLimit() const { return m_shed ? m_shed->ratePerSec() : 0.0; }

    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }
    int region() const { return m_region; }
    resilience::QuotaClient* quota() { return m_quota.get(); }
    const resilience::QuotaClient* quota() const { return m_quota.get(); }
    std::uint64_t rateLimited() const { return m_rateLimited; }
    std::uint64_t refused() const { return m_refused; }
    std::uint64_t forwarded() const { return m_forwarded; }

    void inspect(sim::StateWriter& out) const override;

private:
    void answerLater(sim::Nanos delay, OrderAnswer answer, Done done);

    sim::World& m_world;
    std::string m_path;
    int m_region;
    sim::ComponentId m_component;
    OrderDirectory& m_directory;
    std::unique_ptr<resilience::QuotaClient> m_quota;
    std::optional<resilience::TokenBucket> m_shed;
    sim::EventKindId m_answerKind;
    sim::EventKindId m_forwardKind;
    std::vector<Done> m_pending; // answers on their way, pooled
    std::vector<std::uint32_t> m_freePending;
    struct Forward {
        OrderRequest request;
        infra::InstanceId instance = 0;
        OrderService* service = nullptr;
    };
    std::vector<Forward> m_forwards; // parallel to m_pending while a request travels to its service
    std::uint64_t m_rateLimited = 0;
    std::uint64_t m_refused = 0;
    std::uint64_t m_forwarded = 0;
    telemetry::Counter* m_shedCounter = nullptr;
};

} // namespace livedeck::gifts

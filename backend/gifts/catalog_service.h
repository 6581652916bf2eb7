// CatalogService: one region's product/catalogue service (docs/GIFTS.md "product service"),
// what the KV cache falls back to on a miss. It answers a key of the CatalogTable with
// the value to cache, composing it from the table when a worker picks the request up.
//
// Contract
// - load(caller, key, weight, done): the request crosses world.network() from the
//   caller to the service and the answer crosses back; the service time comes from
//   the work done (CatalogCostModel × the ServiceQueue's noise and faults on the
//   service's path). `done` runs exactly once, always from a later scheduler event:
//   Ok with the value; Rejected/Error from the queue; Unavailable one round trip later
//   when the service (or the caller) is down; Timeout after `lostAfter` when the
//   request or the answer is lost (partition, loss). The value pointer is valid only
//   inside `done`.
// - Component "<region>/gifts/catalog" (kind "catalog-service"); ServiceQueue metrics
//   under the prefix "gifts.catalog_service" (requests, rejected, errors, latency,
//   queue, inflight).
// - Call slots are pooled; steady state does not allocate (composing a tab does, once
//   per load: loads are cache misses).
//
// Cost model (ours): 1 ms per query (an indexed read of the catalogue DB plus the
// service's own handling), 10 µs per product examined while composing, 2 ns per byte
// produced. Service defaults (ours): 500 real requests at once, 5 000 waiting, 200 ms
// longest wait — sized for misses, not for the full panel traffic (that is the KV
// cache's job). lostAfter 250 ms: docs/GIFTS.md default cross-service timeout.
// Single-threaded (the world's thread). Scheduled events hold a pointer to the service.
#pragma once

#include "backend/gifts/catalog_table.h"
#include "backend/infra/service_queue.h"
#include "backend/resilience/deadline.h"

#include <deque>
#include <string>
#include <vector>

namespace livedeck::gifts {

struct CatalogCostModel {
    sim::Nanos perQuery = 1 * sim::kMillisecond;
    sim::Nanos perProduct = 10 * sim::kMicrosecond;
    double perByteNs = 2.0;

    sim::Nanos cost(const CatalogWork& work) const
    {
        return perQuery + perProduct * work.scanned + static_cast<sim::Nanos>(perByteNs * work.bytes);
    }
};

// Outcome of one remote call, shared by the catalogue and the per-user services.
enum class CallStatus : std::uint8_t { Ok, Rejected, Error, Unavailable, Timeout };
const char* toString(CallStatus status);

infra::ServiceConfig defaultCatalogServiceConfig();

class CatalogService final : public sim::Inspectable {
public:
    struct Reply {
        CallStatus status = CallStatus::Ok;
        const std::string* value = nullptr; // Ok only
        sim::Nanos latency = 0;
        bool ok() const { return status == CallStatus::Ok; }
    };
    using Callback = sim::InlineFunction<void(const Reply&), 48>;

    CatalogService(sim::World& world, telemetry::MetricsRegistry* metrics, std::string_view path,
                   const CatalogTable& table, infra::ServiceConfig service = defaultCatalogServiceConfig(),
                   CatalogCostModel cost = {}, sim::Nanos lostAfter = resilience::kDefaultCrossServiceTimeout);
    CatalogService(const CatalogService&) = delete;
    CatalogService& operator=(const CatalogService&) = delete;

    void load(sim::ComponentId caller, std::uint32_t key, double weight, Callback done);

    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }
    infra::ServiceQueue& queue() { return m_queue; }
    const infra::ServiceQueue& queue() const { return m_queue; }
    std::uint64_t loads() const { return m_loads; }       // requests that reached a worker and succeeded
    double loadedWeight() const { return m_loadedWeight; }

    void inspect(sim::StateWriter& out) const override;

private:
    struct Call {
        Callback done;
        std::string value;
        sim::ComponentId caller = sim::kNoComponent;
        std::uint32_t key = 0;
        double weight = 1.0;
        sim::Nanos start = 0;
        CallStatus status = CallStatus::Ok;
    };
    std::uint32_t alloc();
    void arrive(std::uint32_t index);
    void served(std::uint32_t index, infra::ServiceOutcome outcome);
    void answer(std::uint32_t index, CallStatus status);

    sim::World& m_world;
    std::string m_path;
    sim::ComponentId m_component;
    const CatalogTable& m_table;
    CatalogCostModel m_cost;
    sim::Nanos m_lostAfter;
    infra::ServiceQueue m_queue;
    std::deque<Call> m_calls;
    std::vector<std::uint32_t> m_free;
    sim::EventKindId m_arriveKind;
    sim::EventKindId m_replyKind;
    std::uint64_t m_loads = 0;
    double m_loadedWeight = 0.0;
};

} // namespace livedeck::gifts

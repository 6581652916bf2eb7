// PerUserService: one region's per-user gift service behind a panel tab (docs/GIFTS.md "tabs:
// a general tab, plus privileged and custom tabs that depend on per-user services that
// can be unstable"): the privileged-gift service answers the gifts a viewer's level
// unlocks, the custom-gift service a viewer's personal gifts. Their instability comes
// from faults on their paths (latency, error rate, down), applied by their ServiceQueue
// and the network.
//
// Contract
// - call(caller, uid, weight, done): request and answer cross world.network(); the
//   service time is the work done (perCall + perItem × products examined) times the
//   queue's noise and faults. `done` runs exactly once, from a later scheduler event:
//   Ok with the viewer's items; Rejected/Error from the queue; Unavailable a round trip
//   later when down; Timeout `lostAfter` after the call when the request or answer is
//   lost. The service has no deadline of its own: a caller that gives up earlier (the
//   panel's 50 ms) ignores the late answer, and the work still occupies the service —
//   which is what piles load on a slow service when no breaker stops the calls.
// - Components "<region>/gifts/privileged" and "<region>/gifts/custom" (kind
//   "per-user-service"); ServiceQueue metrics under the prefix "gifts.<tab>_service".
// - Call slots pooled: steady state does not allocate.
//
// Defaults (ours): 2 ms per call (a user-profile lookup plus the rules for the tab),
// 20 µs per product examined; an asynchronous service: 20 000 real requests in flight
// at once (a gala-peak region's ~275 K entries/s held 2 ms need ~550; a slowdown to
// 60 ms still fits, so a slow service answers late instead of refusing — the case the
// panel's timeout and breaker exist for), 20 000 waiting, 1 s longest wait (the
// service keeps stale work: nothing tells it the caller left); lostAfter 250 ms
// (docs/GIFTS.md default cross-service timeout).
// Single-threaded (the world's thread). Scheduled events hold a pointer to the service.
#pragma once

#include "backend/gifts/catalog_service.h"

#include <deque>
#include <string>
#include <vector>

namespace livedeck::gifts {

enum class PerUserTab : std::uint8_t { Privileged, Custom };
inline constexpr int kPerUserTabs = 2;
const char* toString(PerUserTab tab);

struct PerUserServiceConfig {
    infra::ServiceConfig service = defaultService();
    sim::Nanos perCall = 2 * sim::kMillisecond;
    sim::Nanos perItem = 20 * sim::kMicrosecond;
    sim::Nanos lostAfter = resilience::kDefaultCrossServiceTimeout;

    static infra::ServiceConfig defaultService()
    {
        infra::ServiceConfig c;
        c.concurrency = 20'000.0;
        c.maxQueue = 20'000.0;
        c.maxQueueWait = 1 * sim::kSecond;
        return c;
    }
};

struct PerUserReply {
    CallStatus status = CallStatus::Ok;
    std::uint32_t items = 0;
    std::uint64_t checksum = 0;
    sim::Nanos latency = 0;
    bool ok() const { return status == CallStatus::Ok; }
};

class PerUserService final : public sim::Inspectable {
public:
    using Callback = sim::InlineFunction<void(const PerUserReply&), 32>;

    PerUserService(sim::World& world, telemetry::MetricsRegistry* metrics, std::string_view path, PerUserTab tab,
                   const CatalogTable& table, PerUserServiceConfig config = {});
    PerUserService(const PerUserService&) = delete;
    PerUserService& operator=(const PerUserService&) = delete;

    void call(sim::ComponentId caller, Uid uid, double weight, Callback done);

    PerUserTab tab() const { return m_tab; }
    sim::ComponentId component() const { return m_component; }
    const std::string& path() const { return m_path; }
    infra::ServiceQueue& queue() { return m_queue; }
    const infra::ServiceQueue& queue() const { return m_queue; }
    std::uint64_t calls() const { return m_callsTotal; }
    std::uint64_t served() const { return m_served; }

    void inspect(sim::StateWriter& out) const override;

private:
    struct Call {
        Callback done;
        sim::ComponentId caller = sim::kNoComponent;
        Uid uid = 0;
        double weight = 1.0;
        sim::Nanos start = 0;
        PerUserReply reply;
    };
    std::uint32_t alloc();
    void arrive(std::uint32_t index);
    void served(std::uint32_t index, infra::ServiceOutcome outcome);
    void answer(std::uint32_t index, CallStatus status);

    sim::World& m_world;
    std::string m_path;
    sim::ComponentId m_component;
    PerUserTab m_tab;
    const CatalogTable& m_table;
    PerUserServiceConfig m_config;
    infra::ServiceQueue m_queue;
    std::deque<Call> m_calls;
    std::vector<std::uint32_t> m_free;
    sim::EventKindId m_arriveKind;
    sim::EventKindId m_replyKind;
    std::uint64_t m_callsTotal = 0;
    std::uint64_t m_served = 0;
};

} // namespace livedeck::gifts

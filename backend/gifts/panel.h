// GiftPanel: the gift panel preloaded when a viewer enters a room (docs/GIFTS.md "Gift panel").
//
// Tabs: the general tab (the room's gifts, from the product/catalogue service through
// the KV cache: ProductCatalog::getGeneralTab, with its hot-key local cache and
// singleflight) and the privileged and custom tabs, which call per-user services
// (PerUserService "<region>/gifts/privileged" and "/custom") through a 50 ms timeout
// (no answer → empty tab) and a circuit breaker per region and tab (opens when the
// failure rate exceeds 50 %: PanelConfig::defaultBreaker()).
//
// One room entry, in the entry's region:
//   1. the region's gateway (PanelGateway) observes the room; a hot room with a cached
//      panel is answered from memory (general tab only) — done;
//   2. otherwise the request needs a worker of the region's panel server: a weighted
//      worker pool of `server.concurrency` real requests with a bounded FIFO queue
//      (`maxQueue` real requests, `maxWait`); a full queue or a wait past maxWait
//      refuses the request: an overload error (HTTP 503), not a panel — it counts against
//      availability and in gifts.panel.rejected, and the answer is `unavailable`, so the
//      invariant "the panel always returns the general tab" judges the panels the server
//      assembles, while refusals are the availability SLO's business;
//   3. the worker holds its slot while the three tabs are fetched in parallel, and
//      answers when all three are settled: the general tab (or after `generalTimeout`
//      without it) and each per-user tab (its answer, its 50 ms timeout, an error, or
//      at once when its breaker refuses the call). So a slow per-user service holds
//      panel workers for the whole 50 ms unless the breaker opens — the pool fills,
//      requests queue and the general tab misses its budget: what the breaker prevents.
//   4. the built general tab is offered to the gateway (kept while the room is hot).
//
// Metrics (component "<region>/gifts/panel" per region, and "" for all regions):
//   gifts.panel.requests (weighted counter, every room entry), gifts.panel.answers,
//   gifts.panel.availability (gauge 0..1: weighted share of the answers of the last
//   whole second whose general tab was served within `budget`; docs/GIFTS.md),
//   gifts.panel.latency (histogram, entry → answer), gifts.panel.general.{served,late,
//   failed}, gifts.panel.<tab>.{ok,timeout,error,breaker_open,skipped} for tab
//   privileged / custom, gifts.panel.gateway_hits, gifts.panel.rejected (pool refusals),
//   gifts.panel.inflight / .queued (gauges, weight units); breakers' counters under
//   "gifts.panel.breaker" on their components.
// Breakers: components "<region>/gifts/panel/breaker/<tab>", transitions are EventLog
//   events "breaker.transition"; GiftPanel is a telemetry::SnapshotContributor that
//   adds a v1::BreakerState for each (registered with the Telemetry it was given).
// Sabotage (scenario twins): breakerEnabled = false puts every panel breaker in
//   DISABLED (calls always go through); hotRoomCache = false stops the gateways serving
//   from memory. Singleflight / the hot-key local cache are CatalogConfig's switches.
// Counts by weight everywhere (docs/ARCHITECTURE.md, property 3): breakers, detectors, pool.
//
// Contract: onRoomEntry() never answers synchronously; the served observer (if any) is
// called exactly once per entry that reached a live gateway and panel server, from a
// later event, with whether the general tab was in the answer (an entry whose region's
// gateway or panel server is down, or that the server's pool refused, gets no panel at
// all: it counts against availability, and the answer observer sees it with
// `unavailable`). Single-threaded (the world's thread). Scheduled events hold a pointer
// to the panel: it lives as long as the world runs; the catalog outlives it. Request
// slots are pooled: steady state does not allocate.
//
// Defaults: 50 ms per-user timeout, breaker "exceeds 50 %" (docs/GIFTS.md); ours: budget
// 100 ms (twice the per-user timeout: a timed-out per-user tab still leaves the general
// tab in budget), general-tab timeout 250 ms (docs/GIFTS.md default cross-service timeout),
// panel server 6 000 real requests at once per region (a gala-peak region's ~275 K
// entries/s held ~5 ms each need ~1 400; held 50 ms they need ~14 000), 12 000 waiting,
// 100 ms longest wait, 100 µs of worker CPU per request.
#pragma once

#include "backend/gifts/catalog.h"
#include "backend/gifts/gateway.h"
#include "backend/gifts/per_user_service.h"
#include "backend/resilience/circuit_breaker.h"
#include "backend/telemetry/telemetry.h"

#include <absl/status/status.h>

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::gifts {

// docs/GIFTS.md (docs/GIFTS.md "Panel"): the privileged-gift (and custom) tab's call degrades
// after 50 ms without an answer — the panel's per-user timeout and its breaker's
// slow-call duration.
inline constexpr sim::Nanos kGiftPanelTimeout = 50 * sim::kMillisecond;

// The gift panel's per-user-service breaker as docs/GIFTS.md "Panel" describes it.
// From docs/GIFTS.md: slow-call duration kGiftPanelTimeout (the panel's answer budget) and
// failure rate "exceeds 50 %" (StrictlyAbove 0.5). Ours: slow-call rate also "exceeds
// 50 %" (a call slower than the budget degrades the tab just like a failure); time
// window 10 s in 10 buckets; minimum 20 calls; OPEN for 5 s; 5 probes in HALF_OPEN, at
// most 2 s; automatic OPEN → HALF_OPEN so the dashboard shows recovery without traffic.
// PanelConfig::defaultBreaker() narrows the window to 1 s.
resilience::CircuitBreakerConfig giftPanelBreakerDefaults();

struct PanelServerConfig {
    double concurrency = 6'000.0;               // real requests served at once (per region)
    double maxQueue = 12'000.0;                 // real requests waiting at most
    sim::Nanos maxWait = 100 * sim::kMillisecond;
    sim::Nanos perRequest = 100 * sim::kMicrosecond; // worker CPU to assemble an answer
};

struct PanelConfig {
    sim::Nanos perUserTimeout = kGiftPanelTimeout;                           // 50 ms, docs/GIFTS.md
    sim::Nanos budget = 100 * sim::kMillisecond;                             // ours (header)
    sim::Nanos generalTimeout = resilience::kDefaultCrossServiceTimeout;     // 250 ms, docs/GIFTS.md
    resilience::CircuitBreakerConfig breaker = defaultBreaker();
    bool breakerEnabled = true; // sabotage switch: false = breakers DISABLED
    bool hotRoomCache = true;   // sabotage switch: false = gateways never serve from memory
    bool customTab = true;      // false: no custom tab (no custom-service calls)
    PanelServerConfig server;
    GatewayConfig gateway;
    PerUserServiceConfig privileged;
    PerUserServiceConfig custom;

    absl::Status validate() const;
    // giftPanelBreakerDefaults() (50 ms slow call, "exceeds 50 %": docs/GIFTS.md)
    // with a 1 s time window in 10 buckets (Sentinel's default statIntervalMs) instead of
    // 10 s: at a region's panel rate a 10 s window lets a dead service hold the panel's
    // workers for seconds before the rate passes 50 %; 1 s still holds thousands of calls.
    static resilience::CircuitBreakerConfig defaultBreaker();
};

// How one per-user tab of one answer ended.
enum class TabOutcome : std::uint8_t { Ok, Timeout, Error, BreakerOpen, Skipped };
inline constexpr int kTabOutcomes = 5;
const char* toString(TabOutcome outcome);

// One panel answer (what the observer and the tests see).
struct PanelAnswer {
    Uid uid = 0;
    RoomId room = 0;
    int region = 0;
    double weight = 1.0;
    bool unavailable = false;   // the region's gateway or panel server was down, or the
                                // server's pool refused the request: no panel reached the
                                // viewer (the served observer is not called)
    bool generalTab = false;    // the general tab is in the answer
    bool withinBudget = false;  // ... and the answer came within the budget
    TabSource source = TabSource::None;
    std::uint32_t generalItems = 0;
    std::array<TabOutcome, kPerUserTabs> tabs{TabOutcome::Skipped, TabOutcome::Skipped};
    std::array<std::uint32_t, kPerUserTabs> tabItems{0, 0};
    sim::Nanos latency = 0;     // room entry → answer
};

// Weighted totals of one region (or all): for tests, drills and the inspector.
struct PanelTotals {
    double requests = 0.0;
    double answers = 0.0;
    double generalServed = 0.0;   // general tab in the answer
    double withinBudget = 0.0;    // ... within the budget
    double generalFailed = 0.0;   // answered without it
    double gatewayHits = 0.0;
    double rejected = 0.0;        // refused by the panel server's pool
    std::array<std::array<double, kTabOutcomes>, kPerUserTabs> tabs{};
    double tab(PerUserTab t, TabOutcome o) const
    {
        return tabs[static_cast<std::size_t>(t)][static_cast<std::size_t>(o)];
    }
};

class GiftPanel final : public sim::Inspectable, public telemetry::SnapshotContributor {
public:
    // Called once per answer: (general tab present, uid, room, region, latency).
    using ServedObserver = std::function<void(bool generalTab, Uid uid, RoomId room, int region, sim::Nanos latency)>;
    using AnswerObserver = std::function<void(const PanelAnswer& answer)>;

    GiftPanel(sim::World& world, telemetry::Telemetry& telemetry, ProductCatalog& catalog, PanelConfig config);
    ~GiftPanel() override;
    GiftPanel(const GiftPanel&) = delete;
    GiftPanel& operator=(const GiftPanel&) = delete;

    // Preloads the panel for that viewer (see header).
    void onRoomEntry(const RoomEntry& entry);

    void setServedObserver(ServedObserver observer) { m_servedObserver = std::move(observer); }
    void setAnswerObserver(AnswerObserver observer) { m_answerObserver = std::move(observer); }

    // Operator / scenario switches at run time.
    void setBreakersEnabled(bool enabled);
    void setHotRoomCache(bool enabled);

    const PanelConfig& config() const { return m_config; }
    // Per region (nullptr when the region has no panel).
    resilience::CircuitBreaker* breaker(int region, PerUserTab tab);
    PerUserService* service(int region, PerUserTab tab);
    PanelGateway* gateway(int region);
    sim::ComponentId component(int region) const; // "<region>/gifts/panel"
    const PanelTotals& totals(int region) const;
    const PanelTotals& totals() const { return m_all; }
    double availability(int region) const; // last whole second (1 before any answer)
    double availability() const { return m_allAvailability; }
    std::uint64_t inflightRequests() const { return m_live; }

    void contribute(v1::Snapshot& snapshot) const override;
    void inspect(sim::StateWriter& out) const override;

private:
    struct Metrics;
    struct Region;
    // One room entry being answered (pooled; `generation` tells a late timer or reply
    // from a reused slot apart).
    struct Request {
        PanelAnswer answer;
        sim::Nanos start = 0;
        sim::Nanos queuedAt = 0;
        sim::EventHandle generalTimer;
        std::array<sim::EventHandle, kPerUserTabs> tabTimers{};
        std::array<resilience::Permit, kPerUserTabs> permits{};
        std::array<bool, kPerUserTabs> tabDone{false, false};
        std::uint32_t generation = 0;
        bool generalDone = false;
        bool holdsSlot = false; // holds panel-server capacity (released at the answer)
        bool live = false;
    };

    Region* regionOf(int region);
    std::uint32_t alloc();
    void admit(Region& r, std::uint32_t index);
    void start(std::uint32_t index);
    void callTab(std::uint32_t index, PerUserTab tab);
    void onTab(std::uint32_t index, PerUserTab tab, std::uint32_t generation, const PerUserReply& reply);
    void onTabTimeout(std::uint32_t index, PerUserTab tab, std::uint32_t generation);
    void settleTab(std::uint32_t index, PerUserTab tab, TabOutcome outcome, std::uint32_t items);
    void onGeneral(std::uint32_t index, std::uint32_t generation, const GeneralTab& tab);
    void onGeneralTimeout(std::uint32_t index, std::uint32_t generation);
    void maybeAnswer(std::uint32_t index);
    void answer(std::uint32_t index);
    void releaseSlot(Region& r, double weight);
    void pump(Region& r);
    void expireQueue(Region& r);
    void tick();

    sim::World& m_world;
    telemetry::Telemetry& m_telemetry;
    ProductCatalog& m_catalog;
    PanelConfig m_config;
    std::vector<std::unique_ptr<Region>> m_regions; // by region index (null: no panel there)
    std::deque<Request> m_requests;
    std::vector<std::uint32_t> m_free;
    std::uint64_t m_live = 0;
    PanelTotals m_all;
    double m_allAvailability = 1.0;
    std::unique_ptr<Metrics> m_allMetrics;
    ServedObserver m_servedObserver;
    AnswerObserver m_answerObserver;
    sim::EventKindId m_entryKind;
    sim::EventKindId m_workKind;
    sim::EventKindId m_timeoutKind;
    sim::EventKindId m_tickKind;
    sim::EventKindId m_breakerKind;
};

} // namespace livedeck::gifts

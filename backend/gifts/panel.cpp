#include "backend/gifts/panel.h"

#include "livedeck/v1/cluster.pb.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace livedeck::gifts {

const char* toString(TabOutcome outcome)
{
    switch (outcome) {
    case TabOutcome::Ok:
        return "ok";
    case TabOutcome::Timeout:
        return "timeout";
    case TabOutcome::Error:
        return "error";
    case TabOutcome::BreakerOpen:
        return "breaker_open";
    case TabOutcome::Skipped:
        return "skipped";
    }
    return "?";
}

resilience::CircuitBreakerConfig giftPanelBreakerDefaults()
{
    resilience::CircuitBreakerConfig c;
    c.windowType = resilience::SlidingWindowType::TimeBased;
    c.windowDuration = 10 * sim::kSecond;
    c.windowBuckets = 10;
    c.comparison = resilience::ThresholdComparison::StrictlyAbove; // "exceeds 50 %": docs/GIFTS.md
    c.failureRateThreshold = 0.5;                                   // docs/GIFTS.md
    c.slowCallDuration = kGiftPanelTimeout;                         // docs/GIFTS.md: no answer within 50 ms
    c.slowCallRateThreshold = 0.5;                                  // ours
    c.minimumNumberOfCalls = 20;                                    // ours
    c.waitDurationInOpen = 5 * sim::kSecond;                        // ours
    c.permittedCallsInHalfOpen = 5;                                 // ours
    c.maxWaitInHalfOpen = 2 * sim::kSecond;                         // ours
    c.automaticTransitionFromOpenToHalfOpen = true;                 // ours
    return c;
}

resilience::CircuitBreakerConfig PanelConfig::defaultBreaker()
{
    resilience::CircuitBreakerConfig c = giftPanelBreakerDefaults();
    c.windowDuration = sim::kSecond;
    c.windowBuckets = 10;
    return c;
}

absl::Status PanelConfig::validate() const
{
    if (perUserTimeout <= 0 || budget <= 0 || generalTimeout <= 0)
        return absl::InvalidArgumentError("panel: perUserTimeout, budget and generalTimeout must be > 0");
    if (server.concurrency <= 0.0 || server.maxQueue < 0.0 || server.maxWait < 0 || server.perRequest < 0)
        return absl::InvalidArgumentError(
            "panel: the panel server needs concurrency > 0 and a non-negative queue, wait and per-request time");
    if (const absl::Status st = breaker.validate(); !st.ok())
        return absl::InvalidArgumentError(sim::strCat("panel: breaker: ", std::string(st.message())));
    if (gateway.cache.capacity == 0 || gateway.cache.ttl <= 0)
        return absl::InvalidArgumentError("panel: the gateway's hot-room cache needs a capacity and a TTL > 0");
    return absl::OkStatus();
}

// ------------------------------------------------------------------ parts

struct GiftPanel::Metrics {
    telemetry::Counter* requests = nullptr;
    telemetry::Counter* answers = nullptr;
    telemetry::Counter* generalServed = nullptr;
    telemetry::Counter* generalLate = nullptr;
    telemetry::Counter* generalFailed = nullptr;
    telemetry::Counter* gatewayHits = nullptr;
    telemetry::Counter* rejected = nullptr;
    std::array<std::array<telemetry::Counter*, kTabOutcomes>, kPerUserTabs> tabs{};
    telemetry::Gauge* availability = nullptr;
    telemetry::Gauge* inflight = nullptr;
    telemetry::Gauge* queued = nullptr;
    telemetry::Histogram* latency = nullptr;
    double secondAnswers = 0.0; // weighted answers in the current second
    double secondWithin = 0.0;  // ... with the general tab within budget

    void bind(telemetry::MetricsRegistry& r, std::string_view component)
    {
        requests = &r.counter("gifts.panel.requests", component);
        answers = &r.counter("gifts.panel.answers", component);
        generalServed = &r.counter("gifts.panel.general.served", component);
        generalLate = &r.counter("gifts.panel.general.late", component);
        generalFailed = &r.counter("gifts.panel.general.failed", component);
        gatewayHits = &r.counter("gifts.panel.gateway_hits", component);
        rejected = &r.counter("gifts.panel.rejected", component);
        for (int t = 0; t < kPerUserTabs; ++t)
            for (int o = 0; o < kTabOutcomes; ++o)
                tabs[static_cast<std::size_t>(t)][static_cast<std::size_t>(o)] =
                    &r.counter(sim::strCat("gifts.panel.", toString(static_cast<PerUserTab>(t)), ".",
                                           toString(static_cast<TabOutcome>(o))),
                               component);
        availability = &r.gauge("gifts.panel.availability", component);
        availability->set(1.0);
        inflight = &r.gauge("gifts.panel.inflight", component);
        queued = &r.gauge("gifts.panel.queued", component);
        latency = &r.histogram("gifts.panel.latency", component);
    }
};

struct GiftPanel::Region final : sim::Inspectable {
    const GiftPanel* owner = nullptr;
    int index = 0;
    std::string name;
    std::string path; // "<region>/gifts/panel"
    sim::ComponentId component = sim::kNoComponent;
    std::unique_ptr<PanelGateway> gateway;
    std::array<std::unique_ptr<PerUserService>, kPerUserTabs> services;
    std::array<sim::ComponentId, kPerUserTabs> breakerComponents{};
    std::array<std::unique_ptr<resilience::WorldBreakerEvents>, kPerUserTabs> breakerEvents;
    std::array<std::unique_ptr<resilience::CircuitBreaker>, kPerUserTabs> breakers;
    // The panel server's weighted worker pool.
    double inflight = 0.0;
    double queued = 0.0;
    std::deque<std::uint32_t> queue; // waiting requests, FIFO
    sim::EventHandle queueTimer;
    PanelTotals totals;
    double availability = 1.0;
    Metrics metrics;

    void inspect(sim::StateWriter& out) const override
    {
        out.add("requests", totals.requests);
        out.add("answers", totals.answers);
        out.add("availability", availability);
        out.add("general_within_budget", totals.withinBudget);
        out.add("general_failed", totals.generalFailed);
        out.add("gateway_hits", totals.gatewayHits);
        out.add("rejected", totals.rejected);
        out.add("inflight", inflight);
        out.add("queued", queued);
        out.add("concurrency", owner->m_config.server.concurrency);
        for (int t = 0; t < kPerUserTabs; ++t) {
            const auto tab = static_cast<PerUserTab>(t);
            out.add(sim::strCat(toString(tab), "_breaker"),
                    resilience::breakerStateName(breakers[static_cast<std::size_t>(t)]->state()));
            out.add(sim::strCat(toString(tab), "_ok"), totals.tab(tab, TabOutcome::Ok));
            out.add(sim::strCat(toString(tab), "_empty"),
                    totals.tab(tab, TabOutcome::Timeout) + totals.tab(tab, TabOutcome::Error)
                        + totals.tab(tab, TabOutcome::BreakerOpen));
        }
    }
};

// ------------------------------------------------------------------ construction

GiftPanel::GiftPanel(sim::World& world, telemetry::Telemetry& telemetry, ProductCatalog& catalog, PanelConfig config)
    : m_world(world),
      m_telemetry(telemetry),
      m_catalog(catalog),
      m_config(std::move(config)),
      m_allMetrics(std::make_unique<Metrics>()),
      m_entryKind(world.kind("gifts.panel.entry")),
      m_workKind(world.kind("gifts.panel.work")),
      m_timeoutKind(world.kind("gifts.panel.timeout")),
      m_tickKind(world.kind("gifts.panel.tick")),
      m_breakerKind(world.kind("gifts.panel.breaker"))
{
    if (const absl::Status st = m_config.validate(); !st.ok()) {
        std::fprintf(stderr, "livedeck: %s\n", std::string(st.message()).c_str());
        std::abort();
    }
    telemetry::MetricsRegistry& metrics = telemetry.metrics();
    const sim::Topology& topo = world.topology();
    m_regions.resize(topo.regions().size());
    for (int ri = 0; ri < static_cast<int>(topo.regions().size()); ++ri) {
        if (!catalog.service(ri))
            continue; // the catalogue (and so the panel) does not serve this region
        auto r = std::make_unique<Region>();
        r->owner = this;
        r->index = ri;
        r->name = topo.regions()[static_cast<std::size_t>(ri)].name;
        r->path = sim::strCat(r->name, "/gifts/panel");
        r->component = world.components().mustAdd(r->path, "gift-panel", {}, r.get());
        r->gateway = std::make_unique<PanelGateway>(world, metrics, sim::strCat(r->name, "/gifts/gateway"),
                                                    m_config.gateway, m_config.hotRoomCache);
        for (int t = 0; t < kPerUserTabs; ++t) {
            const auto tab = static_cast<PerUserTab>(t);
            const auto ti = static_cast<std::size_t>(t);
            r->services[ti] = std::make_unique<PerUserService>(
                world, &metrics, sim::strCat(r->name, "/gifts/", toString(tab)), tab, catalog.table(),
                tab == PerUserTab::Privileged ? m_config.privileged : m_config.custom);
            const std::string breakerPath = sim::strCat(r->path, "/breaker/", toString(tab));
            r->breakerComponents[ti] = world.components().mustAdd(breakerPath, "breaker");
            r->breakerEvents[ti] = std::make_unique<resilience::WorldBreakerEvents>(world, r->breakerComponents[ti]);
            r->breakers[ti] = std::make_unique<resilience::CircuitBreaker>(breakerPath, m_config.breaker,
                                                                           world.clock(), r->breakerEvents[ti].get());
            world.components().setInspectable(r->breakerComponents[ti], r->breakers[ti].get());
            r->breakers[ti]->enableTimers(world.scheduler(), m_breakerKind, r->breakerComponents[ti]);
            r->breakers[ti]->attachMetrics(metrics, breakerPath, "gifts.panel.breaker");
            if (!m_config.breakerEnabled)
                r->breakers[ti]->transitionToDisabled("sabotage: panel breakers disabled");
        }
        r->metrics.bind(metrics, r->path);
        catalog.registerClient(r->component, ri);
        m_regions[static_cast<std::size_t>(ri)] = std::move(r);
    }
    m_allMetrics->bind(metrics, {});
    telemetry.addContributor(this);
    m_world.after(sim::kSecond, m_tickKind, sim::kNoComponent, [this] { tick(); });
}

GiftPanel::~GiftPanel()
{
    m_telemetry.removeContributor(this);
}

GiftPanel::Region* GiftPanel::regionOf(int region)
{
    if (region >= 0 && static_cast<std::size_t>(region) < m_regions.size() && m_regions[static_cast<std::size_t>(region)])
        return m_regions[static_cast<std::size_t>(region)].get();
    return nullptr;
}

resilience::CircuitBreaker* GiftPanel::breaker(int region, PerUserTab tab)
{
    Region* r = regionOf(region);
    return r ? r->breakers[static_cast<std::size_t>(tab)].get() : nullptr;
}

PerUserService* GiftPanel::service(int region, PerUserTab tab)
{
    Region* r = regionOf(region);
    return r ? r->services[static_cast<std::size_t>(tab)].get() : nullptr;
}

PanelGateway* GiftPanel::gateway(int region)
{
    Region* r = regionOf(region);
    return r ? r->gateway.get() : nullptr;
}

sim::ComponentId GiftPanel::component(int region) const
{
    if (region >= 0 && static_cast<std::size_t>(region) < m_regions.size() && m_regions[static_cast<std::size_t>(region)])
        return m_regions[static_cast<std::size_t>(region)]->component;
    return sim::kNoComponent;
}

const PanelTotals& GiftPanel::totals(int region) const
{
    static const PanelTotals kNone;
    if (region >= 0 && static_cast<std::size_t>(region) < m_regions.size() && m_regions[static_cast<std::size_t>(region)])
        return m_regions[static_cast<std::size_t>(region)]->totals;
    return kNone;
}

double GiftPanel::availability(int region) const
{
    if (region >= 0 && static_cast<std::size_t>(region) < m_regions.size() && m_regions[static_cast<std::size_t>(region)])
        return m_regions[static_cast<std::size_t>(region)]->availability;
    return 1.0;
}

void GiftPanel::setBreakersEnabled(bool enabled)
{
    m_config.breakerEnabled = enabled;
    for (const auto& r : m_regions) {
        if (!r)
            continue;
        for (const auto& b : r->breakers) {
            if (enabled)
                b->transitionToClosed("breaker enabled again");
            else
                b->transitionToDisabled("sabotage: panel breakers disabled");
        }
    }
}

void GiftPanel::setHotRoomCache(bool enabled)
{
    m_config.hotRoomCache = enabled;
    for (const auto& r : m_regions)
        if (r)
            r->gateway->setEnabled(enabled);
}

// ------------------------------------------------------------------ requests

std::uint32_t GiftPanel::alloc()
{
    std::uint32_t i;
    if (!m_free.empty()) {
        i = m_free.back();
        m_free.pop_back();
    } else {
        m_requests.emplace_back();
        i = static_cast<std::uint32_t>(m_requests.size() - 1);
    }
    Request& q = m_requests[i];
    assert(!q.live);
    q.live = true;
    q.holdsSlot = false;
    q.generalDone = false;
    q.tabDone = {false, false};
    q.answer = PanelAnswer{};
    q.start = m_world.now();
    ++m_live;
    return i;
}

void GiftPanel::onRoomEntry(const RoomEntry& entry)
{
    Region* r = regionOf(entry.region);
    if (!r) {
        // A region without a panel: the entry is served by the first region that has one.
        for (const auto& candidate : m_regions)
            if (candidate) {
                r = candidate.get();
                break;
            }
    }
    assert(r);
    const double w = entry.weight;
    r->totals.requests += w;
    m_all.requests += w;
    r->metrics.requests->add(w);
    m_allMetrics->requests->add(w);

    const std::uint32_t index = alloc();
    Request& q = m_requests[index];
    q.answer.uid = entry.uid;
    q.answer.room = entry.room;
    q.answer.region = r->index;
    q.answer.weight = w;

    if (m_world.faults().anyActive(v1::FAULT_DOWN)
        && (m_world.faults().isDown(r->gateway->path()) || m_world.faults().isDown(r->path))) {
        // Nothing in the region answers: the viewer's client sees a failed request.
        q.answer.unavailable = true;
        q.generalDone = true;
        q.tabDone = {true, true};
        r->totals.rejected += w;
        m_all.rejected += w;
        r->metrics.rejected->add(w);
        m_allMetrics->rejected->add(w);
        const std::uint32_t gen = q.generation;
        m_world.after(0, m_entryKind, r->component, [this, index, gen] {
            if (m_requests[index].generation == gen)
                answer(index);
        });
        return;
    }
    if (const GeneralTab* cached = r->gateway->lookup(entry.room, w)) {
        // Hot room: the gateway answers from memory, general tab only.
        q.answer.generalTab = true;
        q.answer.source = TabSource::GatewayCache;
        q.answer.generalItems = cached->products;
        q.generalDone = true;
        q.tabDone = {true, true};
        r->totals.gatewayHits += w;
        m_all.gatewayHits += w;
        r->metrics.gatewayHits->add(w);
        m_allMetrics->gatewayHits->add(w);
        const std::uint32_t gen = q.generation;
        m_world.after(0, m_entryKind, r->gateway->component(), [this, index, gen] {
            if (m_requests[index].generation == gen)
                answer(index);
        });
        return;
    }
    admit(*r, index);
}

void GiftPanel::admit(Region& r, std::uint32_t index)
{
    Request& q = m_requests[index];
    const double w = q.answer.weight;
    const PanelServerConfig& s = m_config.server;
    const std::uint32_t gen = q.generation;
    if (r.queue.empty() && (r.inflight + w <= s.concurrency || r.inflight == 0.0)) {
        r.inflight += w;
        q.holdsSlot = true;
        m_world.after(s.perRequest, m_workKind, r.component, [this, index, gen] {
            if (m_requests[index].generation == gen)
                start(index);
        });
        return;
    }
    if (r.queued + w <= s.maxQueue) {
        q.queuedAt = m_world.now();
        r.queue.push_back(index);
        r.queued += w;
        if (!r.queueTimer.valid()) {
            Region* rp = &r;
            r.queueTimer = m_world.after(s.maxWait + 1, m_timeoutKind, r.component, [this, rp] {
                rp->queueTimer = {};
                pump(*rp);
            });
        }
        return;
    }
    // Queue full: refused at once (an overload error, not a panel: see panel.h).
    q.answer.unavailable = true;
    r.totals.rejected += w;
    m_all.rejected += w;
    r.metrics.rejected->add(w);
    m_allMetrics->rejected->add(w);
    q.generalDone = true;
    q.tabDone = {true, true};
    m_world.after(0, m_entryKind, r.component, [this, index, gen] {
        if (m_requests[index].generation == gen)
            answer(index);
    });
}

void GiftPanel::pump(Region& r)
{
    const PanelServerConfig& s = m_config.server;
    const sim::Nanos now = m_world.now();
    while (!r.queue.empty()) {
        const std::uint32_t index = r.queue.front();
        Request& q = m_requests[index];
        const double w = q.answer.weight;
        if (now - q.queuedAt > s.maxWait) {
            // Waited too long: refused (an overload error: the viewer gets no panel from
            // this request).
            q.answer.unavailable = true;
            r.queue.pop_front();
            r.queued -= w;
            r.totals.rejected += w;
            m_all.rejected += w;
            r.metrics.rejected->add(w);
            m_allMetrics->rejected->add(w);
            q.generalDone = true;
            q.tabDone = {true, true};
            answer(index);
            continue;
        }
        if (r.inflight + w > s.concurrency && r.inflight > 0.0)
            break;
        r.queue.pop_front();
        r.queued -= w;
        r.inflight += w;
        q.holdsSlot = true;
        const std::uint32_t gen = q.generation;
        m_world.after(s.perRequest, m_workKind, r.component, [this, index, gen] {
            if (m_requests[index].generation == gen)
                start(index);
        });
    }
    if (r.queued < 1e-9)
        r.queued = 0.0;
    if (!r.queue.empty() && !r.queueTimer.valid()) {
        const sim::Nanos due = m_requests[r.queue.front()].queuedAt + s.maxWait + 1;
        Region* rp = &r;
        r.queueTimer = m_world.at(std::max(due, now), m_timeoutKind, r.component, [this, rp] {
            rp->queueTimer = {};
            pump(*rp);
        });
    }
}

void GiftPanel::start(std::uint32_t index)
{
    Request& q = m_requests[index];
    Region& r = *m_regions[static_cast<std::size_t>(q.answer.region)];
    const std::uint32_t gen = q.generation;
    m_catalog.getGeneralTab(r.component, r.index, q.answer.room, q.answer.weight,
                            [this, index, gen](const GeneralTab& tab) { onGeneral(index, gen, tab); });
    // getGeneralTab answers from a later event, so the request is still here.
    m_requests[index].generalTimer = m_world.after(m_config.generalTimeout, m_timeoutKind, r.component,
                                                   [this, index, gen] { onGeneralTimeout(index, gen); });
    callTab(index, PerUserTab::Privileged);
    if (m_config.customTab)
        callTab(index, PerUserTab::Custom);
    else
        settleTab(index, PerUserTab::Custom, TabOutcome::Skipped, 0);
}

void GiftPanel::callTab(std::uint32_t index, PerUserTab tab)
{
    Request& q = m_requests[index];
    Region& r = *m_regions[static_cast<std::size_t>(q.answer.region)];
    const auto ti = static_cast<std::size_t>(tab);
    const resilience::Permit permit = r.breakers[ti]->tryAcquire(q.answer.weight);
    if (!permit) {
        settleTab(index, tab, TabOutcome::BreakerOpen, 0); // empty tab at once
        return;
    }
    q.permits[ti] = permit;
    const std::uint32_t gen = q.generation;
    r.services[ti]->call(r.component, q.answer.uid, q.answer.weight,
                         [this, index, tab, gen](const PerUserReply& reply) { onTab(index, tab, gen, reply); });
    m_requests[index].tabTimers[ti] = m_world.after(m_config.perUserTimeout, m_timeoutKind, r.component,
                                                    [this, index, tab, gen] { onTabTimeout(index, tab, gen); });
}

void GiftPanel::onTab(std::uint32_t index, PerUserTab tab, std::uint32_t generation, const PerUserReply& reply)
{
    Request& q = m_requests[index];
    const auto ti = static_cast<std::size_t>(tab);
    if (q.generation != generation || q.tabDone[ti])
        return; // answered after the 50 ms timeout: ignored (the breaker counted the timeout)
    m_world.scheduler().cancel(q.tabTimers[ti]);
    resilience::CircuitBreaker& b = *m_regions[static_cast<std::size_t>(q.answer.region)]->breakers[ti];
    if (reply.ok()) {
        b.onSuccess(q.permits[ti], reply.latency);
        settleTab(index, tab, TabOutcome::Ok, reply.items);
    } else {
        b.onError(q.permits[ti], reply.latency);
        settleTab(index, tab, TabOutcome::Error, 0);
    }
}

void GiftPanel::onTabTimeout(std::uint32_t index, PerUserTab tab, std::uint32_t generation)
{
    Request& q = m_requests[index];
    const auto ti = static_cast<std::size_t>(tab);
    if (q.generation != generation || q.tabDone[ti])
        return;
    m_regions[static_cast<std::size_t>(q.answer.region)]->breakers[ti]->onTimeout(q.permits[ti]);
    settleTab(index, tab, TabOutcome::Timeout, 0);
}

void GiftPanel::settleTab(std::uint32_t index, PerUserTab tab, TabOutcome outcome, std::uint32_t items)
{
    Request& q = m_requests[index];
    const auto ti = static_cast<std::size_t>(tab);
    q.tabDone[ti] = true;
    q.answer.tabs[ti] = outcome;
    q.answer.tabItems[ti] = items;
    maybeAnswer(index);
}

void GiftPanel::onGeneral(std::uint32_t index, std::uint32_t generation, const GeneralTab& tab)
{
    Request& q = m_requests[index];
    if (q.generation != generation || q.generalDone)
        return; // after the general-tab timeout
    m_world.scheduler().cancel(q.generalTimer);
    q.generalDone = true;
    q.answer.generalTab = tab.ok;
    q.answer.source = tab.source;
    q.answer.generalItems = tab.products;
    if (tab.ok)
        m_regions[static_cast<std::size_t>(q.answer.region)]->gateway->store(q.answer.room, tab);
    maybeAnswer(index);
}

void GiftPanel::onGeneralTimeout(std::uint32_t index, std::uint32_t generation)
{
    Request& q = m_requests[index];
    if (q.generation != generation || q.generalDone)
        return;
    q.generalDone = true;
    q.answer.generalTab = false;
    q.answer.source = TabSource::None;
    maybeAnswer(index);
}

void GiftPanel::maybeAnswer(std::uint32_t index)
{
    const Request& q = m_requests[index];
    if (q.generalDone && q.tabDone[0] && q.tabDone[1])
        answer(index);
}

void GiftPanel::answer(std::uint32_t index)
{
    Request& q = m_requests[index];
    assert(q.live);
    Region& r = *m_regions[static_cast<std::size_t>(q.answer.region)];
    if (!q.answer.unavailable && m_world.faults().anyActive(v1::FAULT_DOWN)
        && (m_world.faults().isDown(r.gateway->path()) || m_world.faults().isDown(r.path))) {
        // The region went down while the request was in flight: the answer never leaves
        // the dead server, and the viewer's client sees a failed request, as at entry.
        q.answer.unavailable = true;
        q.answer.generalTab = false;
        r.totals.rejected += q.answer.weight;
        m_all.rejected += q.answer.weight;
        r.metrics.rejected->add(q.answer.weight);
        m_allMetrics->rejected->add(q.answer.weight);
    }
    PanelAnswer a = q.answer;
    a.latency = m_world.now() - q.start;
    a.withinBudget = a.generalTab && a.latency <= m_config.budget;
    const double w = a.weight;
    const bool heldSlot = q.holdsSlot;

    // Free the slot first: observers and pump() may start new requests.
    ++q.generation;
    q.live = false;
    q.holdsSlot = false;
    m_free.push_back(index);
    --m_live;

    for (PanelTotals* t : {&r.totals, &m_all}) {
        t->answers += w;
        if (a.generalTab)
            t->generalServed += w;
        else
            t->generalFailed += w;
        if (a.withinBudget)
            t->withinBudget += w;
        for (int ti = 0; ti < kPerUserTabs; ++ti)
            t->tabs[static_cast<std::size_t>(ti)][static_cast<std::size_t>(a.tabs[static_cast<std::size_t>(ti)])] += w;
    }
    for (Metrics* m : {&r.metrics, m_allMetrics.get()}) {
        m->answers->add(w);
        if (a.generalTab)
            m->generalServed->add(w);
        else
            m->generalFailed->add(w);
        if (a.generalTab && !a.withinBudget)
            m->generalLate->add(w);
        for (int ti = 0; ti < kPerUserTabs; ++ti)
            m->tabs[static_cast<std::size_t>(ti)][static_cast<std::size_t>(a.tabs[static_cast<std::size_t>(ti)])]->add(w);
        m->latency->record(a.latency, w);
        m->secondAnswers += w;
        if (a.withinBudget)
            m->secondWithin += w;
    }

    if (heldSlot) {
        r.inflight -= w;
        if (r.inflight < 1e-9)
            r.inflight = 0.0;
        pump(r);
    }
    if (m_servedObserver && !a.unavailable)
        m_servedObserver(a.generalTab, a.uid, a.room, a.region, a.latency);
    if (m_answerObserver)
        m_answerObserver(a);
}

// ------------------------------------------------------------------ periodic

void GiftPanel::tick()
{
    auto roll = [](Metrics& m, double& availability) {
        if (m.secondAnswers > 0.0)
            availability = m.secondWithin / m.secondAnswers;
        m.availability->set(availability);
        m.secondAnswers = 0.0;
        m.secondWithin = 0.0;
    };
    for (const auto& r : m_regions) {
        if (!r)
            continue;
        r->gateway->poll();
        roll(r->metrics, r->availability);
        r->metrics.inflight->set(r->inflight);
        r->metrics.queued->set(r->queued);
    }
    roll(*m_allMetrics, m_allAvailability);
    m_world.after(sim::kSecond, m_tickKind, sim::kNoComponent, [this] { tick(); });
}

// ------------------------------------------------------------------ snapshots, inspection

void GiftPanel::contribute(v1::Snapshot& snapshot) const
{
    for (const auto& r : m_regions) {
        if (!r)
            continue;
        for (const auto& b : r->breakers)
            b->toProto(*snapshot.add_breakers());
    }
}

void GiftPanel::inspect(sim::StateWriter& out) const
{
    out.add("breakers_enabled", m_config.breakerEnabled);
    out.add("hot_room_cache", m_config.hotRoomCache);
    out.add("requests", m_all.requests);
    out.add("answers", m_all.answers);
    out.add("availability", m_allAvailability);
    out.add("inflight_requests", m_live);
}

} // namespace livedeck::gifts

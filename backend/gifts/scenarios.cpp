#include "backend/gifts/scenarios.h"

#include <algorithm>
#include <cassert>
#include <memory>

namespace livedeck::gifts {

namespace {

v1::FaultSpec fault(v1::FaultKind kind, std::string_view target, sim::Nanos start, sim::Nanos end)
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(std::string(target));
    f.set_start_ns(start);
    f.set_end_ns(end);
    f.set_origin("scenario");
    return f;
}

v1::FaultSpec param(v1::FaultSpec f, std::string_view name, double value, std::string_view text = {})
{
    v1::FaultParam& p = *f.add_params();
    p.set_name(std::string(name));
    p.set_value(value);
    if (!text.empty())
        p.set_text(std::string(text));
    return f;
}

// The calendar so that `before` of simulated time passes before midnight of New Year.
sim::Calendar beforeNewYear(sim::Nanos before)
{
    sim::CivilTime midnight{2027, 1, 1, 0, 0, 0, 0};
    const sim::Calendar c = sim::Calendar::fromCivil(midnight, sim::Calendar::kDefaultUtcOffsetMinutes);
    return sim::Calendar(c.startUnixMs() - before / sim::kMillisecond, sim::Calendar::kDefaultUtcOffsetMinutes);
}

// Base config at a discrete scale: the real rates are untouched, the discrete floor and
// the weight caps scale so each discrete request stands for more real ones.
GiftsConfig baseConfig(const ScenarioOptions& o)
{
    GiftsConfig c;
    const double s = std::clamp(o.scale, 1e-3, 100.0);
    c.loadGenerator.minDiscreteGiftsPerSec *= s;
    c.loadGenerator.minDiscreteEntriesPerSec *= s;
    c.loadGenerator.maxGiftWeight /= s;
    c.loadGenerator.maxEntryWeight /= s;
    // Short runs: the missing-settlement alert and the audit act within seconds.
    return c;
}

// A steady load at `viewers` (flat).
LoadProfile flat(double viewers)
{
    LoadProfile p = LoadProfile::steady();
    p.startViewers = viewers;
    p.peakViewers = viewers;
    return p;
}

// Short-run timing: settlement alert, audit and GSLB scaled to seconds (the defaults are
// tens of seconds, longer than a test scenario).
void shortTimers(GiftsConfig& c)
{
    c.settlement.missingDelay = 4 * sim::kSecond;
    c.audit.interval = 1 * sim::kSecond;
    c.audit.delay = 8 * sim::kSecond;
    c.audit.maxPending = 12 * sim::kSecond;
}

double share(double part, double whole)
{
    return whole > 0.0 ? part / whole : 0.0;
}

std::string pct(double v)
{
    return sim::strFormat("%.2f %%", v * 100.0);
}

Scenario galaPeak(bool twin, const ScenarioOptions& o)
{
    Scenario s;
    s.name = "gala-peak";
    s.description = "the gala's ramp into the countdown spike, across 31 Dec → 1 Jan";
    s.config = baseConfig(o);
    // The countdown at 6 s of simulated time, calendar midnight at the countdown.
    const sim::Nanos countdown = 6 * sim::kSecond;
    s.calendar = beforeNewYear(countdown);
    LoadProfile p = LoadProfile::gala(countdown);
    p.startViewers = 300e6;
    p.rampStart = 0;
    p.peakAt = countdown;
    p.countdownLead = 2 * sim::kSecond;
    p.countdownTail = 4 * sim::kSecond;
    s.config.load = p;
    s.duration = 12 * sim::kSecond;
    s.drain = 16 * sim::kSecond;
    shortTimers(s.config);
    if (!twin) {
        // The operator pre-scales the order pods for the countdown (the HPA's 15 s sync
        // and 20 s pod start-up cannot follow a ×4 spike that lasts a minute).
        s.steps.push_back(ScenarioStep{0, "pre-scale order pods for the countdown", [](GiftsEngine& e) {
                                           for (int r : e.multiActive().serving())
                                               e.autoscaler(r)->setMinPods(200);
                                       }});
    } else {
        s.config.sabotage.noAutoscale = true;
    }
    s.twin = twin;
    s.effect = [twin](GiftsEngine& e) {
        const OrderClient::Totals& t = e.client().totals();
        const double served = share(t.paid + t.failed + t.pending, t.placed);
        EffectResult r;
        // Both month partitions filled: the bank's charges name their order's partition.
        std::vector<int> months;
        for (const Charge& c : e.ledger().charges())
            if (std::find(months.begin(), months.end(), c.partition) == months.end())
                months.push_back(c.partition);
        const bool both = months.size() >= 2;
        std::uint64_t svcErrors = 0, overloaded = 0;
        int pods = 0;
        for (int rg : e.multiActive().serving()) {
            svcErrors += e.orderService(rg)->stats().errors;
            overloaded += e.orderService(rg)->queue().rejected();
            pods += e.orderService(rg)->pods();
        }
        r.detail = sim::strCat("order-service errors ", svcErrors, ", pod queue refusals ", overloaded, ", pods ", pods,
                               ", order DB timeouts ", e.orderStore().timeouts(), ", retries ",
                               static_cast<std::int64_t>(t.retries), "; ");
        r.detail += sim::strCat("placed ", static_cast<std::int64_t>(t.placed), " real (", t.discretePlaced,
                               " discrete), served ", pct(served), ", errors ", pct(share(t.errors, t.placed)),
                               ", shed ", pct(share(t.shed, t.placed)), ", month partitions ", months.size());
        r.holds = twin ? served < 0.75 : served >= 0.9 && both;
        return r;
    };
    return s;
}

Scenario privilegedSlowdown(bool twin, const ScenarioOptions& o)
{
    Scenario s;
    s.name = "privileged-slowdown";
    s.description = "the privileged-gift service of sh-a answers past the panel's 50 ms";
    s.config = baseConfig(o);
    s.config.load = flat(200e6);
    s.duration = 16 * sim::kSecond;
    s.drain = 2 * sim::kSecond;
    s.faults.push_back(
        param(fault(v1::FAULT_LATENCY, "sh-a/gifts/privileged", 2 * sim::kSecond, 7 * sim::kSecond), "add_ms", 200));
    if (twin)
        s.config.sabotage.noBreaker = true;
    s.twin = twin;
    s.effect = [twin](GiftsEngine& e) {
        const int sha = e.regionIndex("sh-a");
        const resilience::CircuitBreaker* b = e.panel().breaker(sha, PerUserTab::Privileged);
        const PanelTotals& t = e.panel().totals(sha);
        const double timeouts = t.tab(PerUserTab::Privileged, TabOutcome::Timeout);
        const double refused = t.tab(PerUserTab::Privileged, TabOutcome::BreakerOpen);
        const double general = share(t.generalServed, t.answers);
        EffectResult r;
        r.detail = sim::strCat("privileged breaker transitions ", b ? b->stats().transitions : 0, ", now ",
                               b ? resilience::breakerStateName(b->state()) : "none", "; privileged tab timeouts ",
                               static_cast<std::int64_t>(timeouts), ", refused by the breaker ",
                               static_cast<std::int64_t>(refused), " real; general tab served ", pct(general),
                               ", within budget ", pct(share(t.withinBudget, t.answers)));
        if (twin)
            r.holds = b && b->stats().transitions <= 1 && refused == 0.0 && timeouts > 0.0;
        else
            r.holds = b && b->stats().transitions >= 3 && b->state() == resilience::BreakerState::Closed
                && refused > 0.0 && general > 0.99;
        return r;
    };
    return s;
}

Scenario orderDbFailover(bool twin, const ScenarioOptions& o)
{
    Scenario s;
    s.name = "order-db-failover";
    s.description = "the order DB's sh-a primaries die under load: failover to the sh-b replicas";
    s.config = baseConfig(o);
    shortTimers(s.config);
    s.config.load = flat(200e6);
    s.duration = 10 * sim::kSecond;
    s.drain = 20 * sim::kSecond;
    // Replication falls behind (a busy replica), then every sh-a primary dies.
    // The sh-a primaries lose their replicas for 1.5 s (semi-sync commits wait; async ones
    // are acknowledged unreplicated), then die.
    v1::FaultSpec toB = fault(v1::FAULT_PARTITION, "sh-a/gifts/order-db", 3 * sim::kSecond, 0);
    s.faults.push_back(param(toB, "peer", 0.0, "sh-b/gifts/order-db"));
    s.faults.push_back(param(fault(v1::FAULT_PARTITION, "sh-a/gifts/order-db", 3 * sim::kSecond, 0), "peer", 0.0,
                             "gz/gifts/order-db"));
    s.faults.push_back(fault(v1::FAULT_DOWN, "sh-a/gifts/order-db", 4500 * sim::kMillisecond, 0));
    if (twin) {
        s.config.sabotage.asyncReplication = true;
        // The lost paid orders were settled (their events had left): the audit's refund of
        // a settled order is the second invariant the loss breaks.
        s.expectedViolations = {"gifts.paid_order_lost", "gifts.settled_and_refunded"};
    }
    s.twin = twin;
    s.effect = [twin](GiftsEngine& e) {
        infra::SqlCluster& db = e.orderStore().cluster();
        std::uint64_t failovers = 0;
        std::uint64_t lostAcked = 0;
        for (std::uint32_t i = 0; i < db.shardCount(); ++i)
            for (const infra::FailoverReport& f : db.shard(i).failovers()) {
                ++failovers;
                lostAcked += f.lostAcknowledged;
            }
        const InvariantReport& inv = e.invariants().report();
        EffectResult r;
        r.detail = sim::strCat("failovers ", failovers, ", acknowledged writes lost ", lostAcked,
                               ", paid orders lost ", inv.paidLost, " of ", inv.paidAcknowledged, " acknowledged paid");
        r.holds = failovers >= db.shardCount() && (twin ? inv.paidLost > 0 : inv.paidLost == 0 && lostAcked == 0);
        return r;
    };
    return s;
}

Scenario mqDuplicates(bool twin, const ScenarioOptions& o)
{
    Scenario s;
    s.name = "mq-duplicates";
    s.description = "the brokers duplicate 30 % of the order events";
    s.config = baseConfig(o);
    shortTimers(s.config);
    s.config.load = flat(150e6);
    s.duration = 8 * sim::kSecond;
    s.drain = 6 * sim::kSecond;
    s.faults.push_back(param(fault(v1::FAULT_MQ_DUPLICATE, "*/gifts/mq", 1 * sim::kSecond, 7 * sim::kSecond), "rate", 0.3));
    if (twin) {
        s.config.sabotage.consumerNotIdempotent = true;
        s.expectedViolations = {"gifts.settled_twice", "gifts.paid_unsettled"};
    }
    s.twin = twin;
    s.effect = [twin](GiftsEngine& e) {
        std::uint64_t dups = 0;
        for (const auto& c : e.consumers())
            dups += c->stats().duplicatesSeen;
        const InvariantReport& inv = e.invariants().report();
        EffectResult r;
        r.detail = sim::strCat("duplicate deliveries seen ", dups, ", orders settled twice ", inv.settledTwice,
                               ", settled orders ", inv.settledOrders);
        r.holds = dups > 0 && (twin ? inv.settledTwice > 0 : inv.settledTwice == 0 && inv.settledOrders > 0);
        return r;
    };
    return s;
}

Scenario hotRoom(bool twin, const ScenarioOptions& o)
{
    Scenario s;
    s.name = "hot-room";
    s.description = "most traffic goes to one room's hottest product";
    s.config = baseConfig(o);
    s.config.load = flat(200e6);
    s.duration = 8 * sim::kSecond;
    s.drain = 3 * sim::kSecond;
    s.faults.push_back(
        param(fault(v1::FAULT_HOT_KEY, "*/gifts/load", 1 * sim::kSecond, 0), "share", 0.8, "product:1"));
    if (twin) {
        s.config.sabotage.noSingleflight = true;
        s.config.sabotage.noHotKeyCache = true;
        s.config.sabotage.noHotRoomCache = true;
    }
    s.twin = twin;
    s.effect = [twin](GiftsEngine& e) {
        CatalogKeyStats total;
        for (int r : e.multiActive().serving()) {
            const CatalogKeyStats k = e.catalog().regionStats(r);
            total.lookups += k.lookups;
            total.kvReads += k.kvReads;
            total.kvErrors += k.kvErrors;
            total.localHits += k.localHits;
            total.shared += k.shared;
        }
        const double kvShare = share(total.kvReads, total.lookups);
        EffectResult r;
        r.detail = sim::strCat("lookups ", static_cast<std::int64_t>(total.lookups), " real, KV reads ",
                               pct(kvShare), ", local hits ", pct(share(total.localHits, total.lookups)),
                               ", shared flights ", pct(share(total.shared, total.lookups)), ", KV errors ",
                               pct(share(total.kvErrors, total.kvReads)));
        r.holds = twin ? kvShare > 0.9 : kvShare < 0.5 && share(total.kvErrors, total.kvReads) < 0.01;
        return r;
    };
    return s;
}

Scenario regionDown(bool twin, const ScenarioOptions& o)
{
    Scenario s;
    s.name = "region-down";
    s.description = "region sh-a goes down: its users move to sh-b";
    s.config = baseConfig(o);
    shortTimers(s.config);
    s.config.load = flat(120e6);
    s.duration = 14 * sim::kSecond;
    s.drain = 16 * sim::kSecond;
    s.faults.push_back(fault(v1::FAULT_DOWN, "sh-a", 3 * sim::kSecond, 0));
    if (twin) {
        s.config.sabotage.noRegionDrain = true;
        // Without a drain the missing-settlement repair re-publishes sh-a's paid orders
        // through sh-a itself, which is down: orders charged just before the outage
        // whose events had not been mirrored to gz stay unsettled.
        s.expectedViolations = {"gifts.paid_unsettled"};
    }
    s.twin = twin;
    // The last whole second of load, taken when the load stops.
    struct Last {
        OrderClient::RegionSecond a;
        OrderClient::RegionSecond b;
    };
    auto last = std::make_shared<Last>();
    s.steps.push_back(ScenarioStep{s.duration, "measure the last second of load", [last](GiftsEngine& e) {
                                       last->a = e.regionSecond(e.regionIndex("sh-a"));
                                       last->b = e.regionSecond(e.regionIndex("sh-b"));
                                   }});
    s.effect = [twin, last](GiftsEngine& e) {
        const int sha = e.regionIndex("sh-a");
        const OrderClient::RegionSecond& a = last->a;
        const OrderClient::RegionSecond& b = last->b;
        const double served = share(a.served + b.served, a.requests + b.requests);
        EffectResult r;
        r.detail = sim::strCat("drains ", e.multiActive().drains(), "; last second: sh-a ",
                               static_cast<std::int64_t>(a.requests), " req/s, sh-b ",
                               static_cast<std::int64_t>(b.requests), " req/s, served ", pct(served));
        r.holds = twin ? e.multiActive().drains() == 0 && served < 0.7
                       : e.multiActive().drained(sha) && b.requests > 0.0 && a.requests == 0.0 && served > 0.97;
        return r;
    };
    return s;
}

Scenario paymentTimeout(bool twin, const ScenarioOptions& o)
{
    Scenario s;
    s.name = "payment-timeout";
    s.description = "payment succeeds but answers after the 250 ms deadline";
    s.config = baseConfig(o);
    shortTimers(s.config);
    s.config.load = flat(100e6);
    s.duration = 6 * sim::kSecond;
    s.drain = 22 * sim::kSecond;
    // sh-a: answers 400 ms late (the 2 s re-check finds the charge); sh-b: charges land
    // after 3 s (the re-check found nothing: the audit catches the late charge).
    s.faults.push_back(param(fault(v1::FAULT_LATENCY, "sh-a/gifts/payment", 1 * sim::kSecond, 4 * sim::kSecond),
                             "add_ms", 400));
    s.faults.push_back(param(fault(v1::FAULT_LATENCY, "sh-b/gifts/payment", 1 * sim::kSecond, 2 * sim::kSecond),
                             "add_ms", 3000));
    if (twin) {
        s.config.sabotage.noPaymentRecheck = true;
        s.config.sabotage.noAudit = true;
        s.expectedViolations = {"gifts.paid_unsettled"};
    }
    s.twin = twin;
    s.effect = [twin](GiftsEngine& e) {
        std::uint64_t rechecks = 0, recheckPaid = 0, recheckFailed = 0;
        for (int r = 0; r < static_cast<int>(e.world().topology().regions().size()); ++r) {
            const OrderService::Stats& st = e.orderService(r)->stats();
            rechecks += st.rechecks;
            recheckPaid += st.recheckPaid;
            recheckFailed += st.recheckFailed;
        }
        const InvariantReport& inv = e.invariants().report();
        EffectResult r;
        r.detail = sim::strCat("re-checks ", rechecks, " (paid ", recheckPaid, ", failed ", recheckFailed,
                               "), audit mismatches ", e.audit().mismatches(), ", refund queue ",
                               e.refunds().everQueued(), ", charged but neither settled nor refunded ",
                               inv.paidUnsettled);
        r.holds = twin ? rechecks == 0 && inv.paidUnsettled > 0
                       : recheckPaid > 0 && recheckFailed > 0 && e.refunds().everQueued() > 0 && inv.paidUnsettled == 0;
        return r;
    };
    return s;
}

Scenario poisonMessage(bool twin, const ScenarioOptions& o)
{
    Scenario s;
    s.name = "poison-message";
    s.description = "one order event the settlement cannot parse";
    s.config = baseConfig(o);
    shortTimers(s.config);
    s.config.load = flat(80e6);
    s.duration = 8 * sim::kSecond;
    s.drain = 12 * sim::kSecond;
    // One poison event from each region's order service: which services take orders
    // depends on discovery (an instance with 5 consecutive errors while the Raft leader
    // is elected at start is ejected for 30 s, Envoy-style), so every region gets one.
    s.steps.push_back(ScenarioStep{2 * sim::kSecond, "publish one poison order event from each region",
                                   [](GiftsEngine& e) {
                                       for (const auto& region : e.world().topology().regions())
                                           e.injectPoison(region.name, 1);
                                   }});
    if (twin) {
        s.config.sabotage.noDeadLetter = true;
        s.expectedViolations = {"gifts.paid_unsettled"};
    }
    s.twin = twin;
    s.effect = [twin](GiftsEngine& e) {
        const std::uint64_t alerts = e.world().events().count("alert.settlement_missing");
        EffectResult r;
        std::uint64_t poisoned = 0;
        for (int rg = 0; rg < static_cast<int>(e.world().topology().regions().size()); ++rg)
            poisoned += e.orderService(rg)->stats().poisoned;
        r.detail = sim::strCat("poison events published ", poisoned, ", dead-lettered ", e.deadLettered(), ", settled records ", e.settledRecords(),
                               ", missing-settlement alerts ", alerts, ", still unsettled ", e.watchdog().unsettled());
        r.holds = twin ? poisoned >= 1 && e.deadLettered() == 0 && e.watchdog().unsettled() > 1
                       : poisoned >= 1 && e.deadLettered() == poisoned && alerts >= 1 && e.watchdog().unsettled() == 0;
        return r;
    };
    return s;
}

Scenario quotaUnreachable(bool twin, const ScenarioOptions& o)
{
    Scenario s;
    s.name = "quota-unreachable";
    s.description = "the quota server goes down: entries fall back to their local rate";
    s.config = baseConfig(o);
    s.config.load = flat(150e6);
    s.duration = 8 * sim::kSecond;
    s.drain = 3 * sim::kSecond;
    s.faults.push_back(fault(v1::FAULT_DOWN, "sh-a/gifts/quota", 2 * sim::kSecond, 0));
    if (twin)
        s.config.sabotage.quotaFailClosed = true;
    s.twin = twin;
    s.effect = [twin](GiftsEngine& e) {
        double allowed = 0.0, denied = 0.0;
        for (int r : e.multiActive().serving()) {
            const resilience::QuotaClient* q = e.entry(r)->quota();
            allowed += q->stats().allowedFallback;
            denied += q->stats().deniedFallback;
        }
        const OrderClient::Totals& t = e.client().totals();
        EffectResult r;
        r.detail = sim::strCat("fallback admitted ", static_cast<std::int64_t>(allowed), ", denied ",
                               static_cast<std::int64_t>(denied), " real; shed ", pct(share(t.shed, t.placed)),
                               ", paid ", pct(share(t.paid, t.placed)));
        r.holds = twin ? share(t.shed, t.placed) > 0.3 : allowed > 0.0 && share(t.shed, t.placed) < 0.03;
        return r;
    };
    return s;
}

} // namespace

std::vector<std::string> scenarioNames()
{
    return {"gala-peak",      "privileged-slowdown", "order-db-failover", "mq-duplicates",    "hot-room",
            "region-down",    "payment-timeout",     "poison-message",    "quota-unreachable"};
}

absl::StatusOr<Scenario> makeScenario(std::string_view name, bool twin, const ScenarioOptions& options)
{
    if (name == "gala-peak")
        return galaPeak(twin, options);
    if (name == "privileged-slowdown")
        return privilegedSlowdown(twin, options);
    if (name == "order-db-failover")
        return orderDbFailover(twin, options);
    if (name == "mq-duplicates")
        return mqDuplicates(twin, options);
    if (name == "hot-room")
        return hotRoom(twin, options);
    if (name == "region-down")
        return regionDown(twin, options);
    if (name == "payment-timeout")
        return paymentTimeout(twin, options);
    if (name == "poison-message")
        return poisonMessage(twin, options);
    if (name == "quota-unreachable")
        return quotaUnreachable(twin, options);
    std::string known;
    for (const std::string& n : scenarioNames())
        known.append(known.empty() ? "" : ", ").append(n);
    return absl::NotFoundError(sim::strCat("unknown gift scenario '", name, "' (known: ", known, ")"));
}

std::string ScenarioOutcome::summary() const
{
    std::string out = sim::strCat(effect.holds ? "effect holds: " : "effect MISSING: ", effect.detail,
                                  "; invariants ", invariantsAsExpected ? "as expected" : "NOT as expected", ":");
    for (const InvariantResult& i : invariants)
        out.append(sim::strCat(" ", i.name, "=", i.passed ? "ok" : i.detail));
    for (const std::string& v : violations)
        out.append(sim::strCat(" [", v, "]"));
    out.append(sim::strFormat(" (%.1f s simulated, %llu events)", simSeconds, static_cast<unsigned long long>(events)));
    return out;
}

ScenarioRun::ScenarioRun(Scenario scenario, const ScenarioOptions& options) : m_scenario(std::move(scenario))
{
    sim::WorldConfig wc;
    wc.seed = options.seed;
    wc.calendar = m_scenario.calendar;
    wc.runId = m_scenario.name;
    m_world = std::make_unique<sim::World>(wc);
    m_telemetry = std::make_unique<telemetry::Telemetry>(*m_world);
    m_engine = std::make_unique<GiftsEngine>(*m_world, *m_telemetry, m_scenario.config);
}

ScenarioRun::~ScenarioRun()
{
    // The engine's parts hold scheduled events of the world: destroy it first, then
    // the telemetry, then the world (members would go in the opposite order anyway).
    m_engine.reset();
    m_telemetry.reset();
    m_world.reset();
}

absl::Status ScenarioRun::start()
{
    for (const v1::FaultSpec& f : m_scenario.faults) {
        const absl::StatusOr<std::uint64_t> id = m_world->faults().inject(f);
        if (!id.ok())
            return absl::InvalidArgumentError(
                sim::strCat("scenario ", m_scenario.name, ": fault on ", f.target(), ": ", std::string(id.status().message())));
    }
    const sim::EventKindId kind = m_world->kind("gifts.scenario.step");
    for (std::size_t i = 0; i < m_scenario.steps.size(); ++i)
        m_world->at(m_scenario.steps[i].at, kind, m_engine->component(), [this, i] {
            m_scenario.steps[i].run(*m_engine);
        });
    m_engine->start();
    return absl::OkStatus();
}

void ScenarioRun::runLoad(sim::Nanos until)
{
    m_world->scheduler().runUntil(std::min(until, m_scenario.duration));
}

ScenarioOutcome ScenarioRun::finish()
{
    ScenarioOutcome out;
    if (m_world->now() < m_scenario.duration)
        m_world->scheduler().runUntil(m_scenario.duration);
    m_engine->stopLoad();
    m_world->scheduler().runUntil(m_scenario.duration + m_scenario.drain);
    out.invariants = m_engine->checkInvariants();
    out.effect = m_scenario.effect ? m_scenario.effect(*m_engine) : EffectResult{true, "no effect to check"};
    bool asExpected = true;
    for (const InvariantResult& i : out.invariants) {
        const bool expectedBreak = std::find(m_scenario.expectedViolations.begin(), m_scenario.expectedViolations.end(),
                                             i.name)
            != m_scenario.expectedViolations.end();
        if (!expectedBreak && !i.passed)
            asExpected = false;
    }
    // A twin must break at least one of the invariants it names (if it names any).
    if (!m_scenario.expectedViolations.empty()) {
        bool anyBroken = false;
        for (const InvariantResult& i : out.invariants)
            if (!i.passed)
                anyBroken = true;
        asExpected = asExpected && anyBroken;
    }
    out.invariantsAsExpected = asExpected;
    for (const v1::Event& ev : m_world->events().recent()) {
        if (ev.severity() != v1::SEVERITY_VIOLATION || out.violations.size() >= 3)
            continue;
        out.violations.push_back(sim::strCat(ev.kind(), ": ", ev.message()));
    }
    out.simSeconds = static_cast<double>(m_world->now()) / static_cast<double>(sim::kSecond);
    out.events = m_world->scheduler().executed();
    return out;
}

ScenarioOutcome ScenarioRun::run()
{
    if (const absl::Status s = start(); !s.ok()) {
        ScenarioOutcome out;
        out.effect = EffectResult{false, std::string(s.message())};
        return out;
    }
    runLoad();
    return finish();
}

} // namespace livedeck::gifts

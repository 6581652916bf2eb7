#include "backend/gifts/scenarios_panel.h"

#include "livedeck/v1/cluster.pb.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace livedeck::gifts {
namespace {

v1::FaultSpec makeFault(v1::FaultKind kind, std::string target, sim::Nanos start, sim::Nanos end)
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(std::move(target));
    f.set_start_ns(start);
    f.set_end_ns(end);
    f.set_origin("scenario");
    return f;
}

void addParam(v1::FaultSpec& f, std::string_view name, double value, std::string_view text = {})
{
    v1::FaultParam* p = f.add_params();
    p->set_name(std::string(name));
    if (text.empty())
        p->set_value(value);
    else
        p->set_text(std::string(text));
}

const char* stateName(resilience::BreakerState s)
{
    return resilience::breakerStateName(s);
}

} // namespace

LoadProfile galaPeak()
{
    LoadProfile p = LoadProfile::gala();
    p.name = "gala-peak";
    p.startViewers = p.peakViewers;
    p.rampStart = 0;
    p.peakAt = 0;
    p.countdownFactor = 1.0; // gift sends do not matter to the panel
    return p;
}

PanelScenario privilegedSlowdownScenario(bool sabotaged, std::string region)
{
    PanelScenario s;
    s.name = sabotaged ? "privileged-slowdown-sabotaged" : "privileged-slowdown";
    s.description = sabotaged
        ? "The privileged-gift service slows down (+100 ms) with the panel's breakers disabled: every panel "
          "request waits the full 50 ms for it, the panel servers fill and the general tab misses its budget."
        : "The privileged-gift service slows down (+100 ms): calls time out at 50 ms (empty tab), the breaker "
          "opens, the general tab stays available, and the breaker closes again after the slowdown.";
    s.sabotaged = sabotaged;
    s.region = region;
    s.load = galaPeak();
    s.loadGenerator = PanelRigConfig::reducedLoad();
    s.panel.breakerEnabled = !sabotaged;
    s.duration = 20 * sim::kSecond;
    s.faultStart = 3 * sim::kSecond;
    s.faultEnd = 9 * sim::kSecond;
    v1::FaultSpec f = makeFault(v1::FAULT_LATENCY, sim::strCat(region, "/gifts/privileged"), s.faultStart, s.faultEnd);
    addParam(f, "add_ms", 100.0);
    s.faults.push_back(std::move(f));
    return s;
}

PanelScenario hotRoomScenario(bool sabotaged, std::string region)
{
    PanelScenario s;
    s.name = sabotaged ? "hot-room-sabotaged" : "hot-room";
    s.description = sabotaged
        ? "Half of a region's room entries go to one room with the hot-room cache, the hot-key local cache and "
          "singleflight off: every entry of the room reads its tab from the KV."
        : "Half of a region's room entries go to one room: the gateway detects the hot room and serves its panel "
          "from memory, so the KV sees a trickle of reads for it.";
    s.sabotaged = sabotaged;
    s.region = region;
    s.hotRoom = 7;
    s.load = galaPeak();
    s.loadGenerator = PanelRigConfig::reducedLoad();
    s.panel.hotRoomCache = !sabotaged;
    s.catalog.hotKeyLocalCache = !sabotaged;
    s.catalog.singleflight = !sabotaged;
    s.duration = 12 * sim::kSecond;
    s.faultStart = 2 * sim::kSecond;
    s.faultEnd = s.duration;
    v1::FaultSpec f = makeFault(v1::FAULT_HOT_KEY, sim::strCat(region, "/gifts/load"), s.faultStart, 0);
    addParam(f, "share", 0.5);
    addParam(f, "key", 0.0, sim::strCat("room:", s.hotRoom));
    s.faults.push_back(std::move(f));
    return s;
}

// ------------------------------------------------------------------ observation

double PanelObservation::availabilityBetween(sim::Nanos from, sim::Nanos to) const
{
    const PanelSample* a = nullptr;
    const PanelSample* b = nullptr;
    for (const PanelSample& s : samples) {
        if (s.time <= from)
            a = &s;
        if (s.time <= to)
            b = &s;
    }
    if (!b)
        return 1.0;
    const double answers = b->answers - (a ? a->answers : 0.0);
    const double within = b->withinBudget - (a ? a->withinBudget : 0.0);
    return answers > 0.0 ? within / answers : 1.0;
}

double PanelObservation::minAvailability(sim::Nanos from, sim::Nanos to) const
{
    double m = 1.0;
    for (const PanelSample& s : samples)
        if (s.time >= from && s.time <= to)
            m = std::min(m, s.availability);
    return m;
}

double PanelObservation::keyKvReadsBetween(sim::Nanos from, sim::Nanos to) const
{
    double a = 0.0;
    double b = 0.0;
    for (const PanelSample& s : samples) {
        if (s.time <= from)
            a = s.keyKvReads;
        if (s.time <= to)
            b = s.keyKvReads;
    }
    return b - a;
}

double PanelObservation::keyLookupsBetween(sim::Nanos from, sim::Nanos to) const
{
    double a = 0.0;
    double b = 0.0;
    for (const PanelSample& s : samples) {
        if (s.time <= from)
            a = s.keyLookups;
        if (s.time <= to)
            b = s.keyLookups;
    }
    return b - a;
}

bool PanelObservation::breakerOpened() const
{
    return firstOpen() != sim::kNever;
}

sim::Nanos PanelObservation::firstOpen() const
{
    for (const auto& [t, what] : breakerTransitions)
        if (what.ends_with("->OPEN"))
            return t;
    return sim::kNever;
}

sim::Nanos PanelObservation::lastClose() const
{
    sim::Nanos close = sim::kNever;
    bool opened = false;
    for (const auto& [t, what] : breakerTransitions) {
        if (what.ends_with("->OPEN"))
            opened = true;
        if (opened && what.ends_with("->CLOSED"))
            close = t;
    }
    return close;
}

// ------------------------------------------------------------------ probe

PanelProbe::PanelProbe(sim::World& world, GiftPanel& panel, ProductCatalog& catalog, std::string_view region,
                       std::uint32_t watchedKey, sim::Nanos interval)
    : m_world(world),
      m_panel(panel),
      m_catalog(catalog),
      m_key(watchedKey),
      m_interval(interval),
      m_kind(world.kind("gifts.panel.probe"))
{
    m_obs.region = std::string(region);
    m_region = -1;
    const auto& regions = world.topology().regions();
    for (std::size_t i = 0; i < regions.size(); ++i)
        if (regions[i].name == region)
            m_region = static_cast<int>(i);
    if (m_region < 0 || !panel.breaker(m_region, PerUserTab::Privileged)) {
        std::fprintf(stderr, "livedeck: panel probe: region %s has no panel\n", std::string(region).c_str());
        std::abort();
    }
    const std::string breakerPath = panel.breaker(m_region, PerUserTab::Privileged)->name();
    m_subscription = world.events().subscribe([this, breakerPath](const v1::Event& e) {
        if (e.kind() == "breaker.transition" && e.component() == breakerPath) {
            std::string from;
            std::string to;
            for (const v1::KeyValue& kv : e.fields()) {
                if (kv.key() == "from")
                    from = kv.value();
                else if (kv.key() == "to")
                    to = kv.value();
            }
            m_obs.breakerTransitions.emplace_back(e.sim_time_ns(), sim::strCat(from, "->", to));
        } else if (e.kind() == "gifts.hot_room") {
            ++m_obs.hotRoomEvents;
        }
    });
    sample();
}

PanelProbe::~PanelProbe()
{
    m_world.events().unsubscribe(m_subscription);
}

void PanelProbe::sample()
{
    if (m_finished)
        return;
    PanelSample s;
    s.time = m_world.now();
    s.availability = m_panel.availability(m_region);
    const PanelTotals& t = m_panel.totals(m_region);
    s.answers = t.answers;
    s.withinBudget = t.withinBudget;
    s.privilegedOk = t.tab(PerUserTab::Privileged, TabOutcome::Ok);
    s.breakerRefused = t.tab(PerUserTab::Privileged, TabOutcome::BreakerOpen);
    s.privilegedEmpty = t.tab(PerUserTab::Privileged, TabOutcome::Timeout)
        + t.tab(PerUserTab::Privileged, TabOutcome::Error) + s.breakerRefused;
    s.gatewayHits = t.gatewayHits;
    if (m_key != CatalogTable::kNoKey) {
        const CatalogKeyStats& ks = m_catalog.keyStats(m_region, m_key);
        s.keyKvReads = ks.kvReads;
        s.keyLookups = ks.lookups;
    }
    s.kvReads = m_catalog.regionStats(m_region).kvReads;
    s.breaker = m_panel.breaker(m_region, PerUserTab::Privileged)->state();
    m_obs.samples.push_back(s);
    m_world.after(m_interval, m_kind, m_panel.component(m_region), [this] { sample(); });
}

const PanelObservation& PanelProbe::finish()
{
    if (!m_finished) {
        // One last sample at the current time (the periodic one may be up to an interval old).
        if (m_obs.samples.empty() || m_obs.samples.back().time != m_world.now()) {
            sample();
        }
        m_finished = true;
        m_obs.finalBreaker = m_panel.breaker(m_region, PerUserTab::Privileged)->state();
        m_obs.totals = m_panel.totals(m_region);
    }
    return m_obs;
}

// ------------------------------------------------------------------ checks

PanelVerdict checkPrivilegedSlowdown(const PanelScenario& sc, const PanelObservation& o)
{
    PanelVerdict v;
    const sim::Nanos during0 = sc.faultStart + sim::kSecond; // the breaker's first second is settling
    const double before = o.availabilityBetween(sim::kSecond, sc.faultStart);
    const double during = o.availabilityBetween(during0, sc.faultEnd);
    const double after = o.availabilityBetween(sc.faultEnd + 6 * sim::kSecond, sc.duration);
    const double minDuring = o.minAvailability(during0, sc.faultEnd);
    const PanelTotals& t = o.totals;
    const double refused = t.tab(PerUserTab::Privileged, TabOutcome::BreakerOpen);
    const double timeouts = t.tab(PerUserTab::Privileged, TabOutcome::Timeout);
    v.summary = sim::strFormat(
        "%s: availability before %.4f, during %.4f (min per second %.4f), after %.4f; privileged timeouts %.0f, "
        "refused by the breaker %.0f; breaker transitions %zu, first OPEN at %.2f s, last CLOSED at %.2f s, "
        "final %s",
        sc.name.c_str(), before, during, minDuring, after, timeouts, refused, o.breakerTransitions.size(),
        o.firstOpen() == sim::kNever ? -1.0 : sim::toSeconds(o.firstOpen()),
        o.lastClose() == sim::kNever ? -1.0 : sim::toSeconds(o.lastClose()), stateName(o.finalBreaker));
    auto fail = [&v](std::string line) {
        v.passed = false;
        v.failures.push_back(std::move(line));
    };
    if (before < 0.999)
        fail(sim::strFormat("panel availability before the slowdown %.4f < 0.999", before));
    if (!sc.sabotaged) {
        if (!o.breakerOpened() || o.firstOpen() < sc.faultStart || o.firstOpen() > sc.faultStart + 2 * sim::kSecond)
            fail(sim::strFormat("the privileged breaker did not open within 2 s of the slowdown (first OPEN %.2f s)",
                                o.firstOpen() == sim::kNever ? -1.0 : sim::toSeconds(o.firstOpen())));
        if (refused <= timeouts)
            fail(sim::strFormat("the open breaker refused %.0f calls, not more than the %.0f that timed out", refused,
                                timeouts));
        if (during < 0.99)
            fail(sim::strFormat("general tab availability during the slowdown %.4f < 0.99", during));
        if (o.lastClose() == sim::kNever || o.lastClose() < sc.faultEnd)
            fail("the breaker did not close again after the slowdown ended");
        if (o.finalBreaker != resilience::BreakerState::Closed)
            fail(sim::strCat("the breaker ends ", stateName(o.finalBreaker), ", not CLOSED"));
        if (after < 0.999)
            fail(sim::strFormat("availability after recovery %.4f < 0.999", after));
    } else {
        if (o.breakerOpened())
            fail("a disabled breaker opened");
        if (refused > 0.0)
            fail(sim::strFormat("a disabled breaker refused %.0f calls", refused));
        if (during > 0.9)
            fail(sim::strFormat("without the breaker the general tab stayed available (%.4f > 0.9): the sabotage "
                                "shows nothing",
                                during));
    }
    return v;
}

PanelVerdict checkHotRoom(const PanelScenario& sc, const PanelObservation& o)
{
    PanelVerdict v;
    const sim::Nanos from = sc.faultStart + 2 * sim::kSecond; // detection takes a moment
    const double lookups = o.keyLookupsBetween(from, sc.duration);
    const double kvReads = o.keyKvReadsBetween(from, sc.duration);
    double gatewayBefore = 0.0;
    for (const PanelSample& s : o.samples)
        if (s.time <= from)
            gatewayBefore = s.gatewayHits;
    const double gateway = o.totals.gatewayHits - gatewayBefore;
    const double availability = o.availabilityBetween(sim::kSecond, sc.duration);
    v.summary = sim::strFormat(
        "%s: hot-room events %llu, gateway hits %.0f, lookups of the room's tab at the catalogue %.0f, KV reads "
        "of it %.0f, availability %.4f",
        sc.name.c_str(), static_cast<unsigned long long>(o.hotRoomEvents), gateway, lookups, kvReads, availability);
    auto fail = [&v](std::string line) {
        v.passed = false;
        v.failures.push_back(std::move(line));
    };
    if (o.hotRoomEvents == 0)
        fail("no hot room was detected");
    if (availability < 0.999)
        fail(sim::strFormat("panel availability %.4f < 0.999", availability));
    if (!sc.sabotaged) {
        if (gateway <= 0.0)
            fail("the gateway served nothing from memory");
        if (kvReads > 0.05 * (gateway + lookups))
            fail(sim::strFormat("the KV saw %.0f reads of the hot room's tab, more than 5 %% of its %.0f entries",
                                kvReads, gateway + lookups));
    } else {
        if (gateway > 0.0)
            fail(sim::strFormat("the gateway served %.0f entries with its cache off", gateway));
        if (kvReads < 0.9 * lookups)
            fail(sim::strFormat("with every defence off the KV saw only %.0f of %.0f lookups", kvReads, lookups));
    }
    return v;
}

// ------------------------------------------------------------------ rig

LoadGeneratorConfig PanelRigConfig::reducedLoad()
{
    LoadGeneratorConfig c;
    c.minDiscreteEntriesPerSec = 2'500.0;
    c.maxEntryWeight = 1e9; // weights follow the rate: ~2 500 discrete entries/s at any load
    c.minDiscreteGiftsPerSec = 1.0;
    c.maxGiftWeight = 1e9;
    return c;
}

PanelRig::PanelRig(PanelRigConfig config) : m_config(std::move(config))
{
    sim::WorldConfig wc;
    wc.seed = m_config.seed;
    m_world = std::make_unique<sim::World>(wc);
    m_telemetry = std::make_unique<telemetry::Telemetry>(*m_world);
    m_catalog = std::make_unique<ProductCatalog>(*m_world, *m_telemetry, m_config.catalog);
    m_panel = std::make_unique<GiftPanel>(*m_world, *m_telemetry, *m_catalog, m_config.panel);
    m_load = std::make_unique<LoadGenerator>(*m_world, m_telemetry->metrics(), m_config.load, m_config.loadGenerator,
                                             *this);
}

namespace {
PanelRigConfig rigConfigOf(const PanelScenario& s, std::uint64_t seed)
{
    PanelRigConfig c;
    c.seed = seed;
    c.catalog = s.catalog;
    c.panel = s.panel;
    c.load = s.load;
    c.loadGenerator = s.loadGenerator;
    return c;
}
} // namespace

PanelRig::PanelRig(const PanelScenario& scenario, std::uint64_t seed) : PanelRig(rigConfigOf(scenario, seed))
{
    inject(scenario.faults);
}

PanelRig::~PanelRig() = default;

int PanelRig::region(std::string_view name) const
{
    const auto& regions = m_world->topology().regions();
    for (std::size_t i = 0; i < regions.size(); ++i)
        if (regions[i].name == name)
            return static_cast<int>(i);
    return -1;
}

void PanelRig::inject(const std::vector<v1::FaultSpec>& faults)
{
    for (const v1::FaultSpec& f : faults) {
        const auto id = m_world->faults().inject(f);
        if (!id.ok()) {
            std::fprintf(stderr, "livedeck: panel rig: fault on %s: %s\n", f.target().c_str(),
                         std::string(id.status().message()).c_str());
            std::abort();
        }
    }
}

void PanelRig::start()
{
    m_load->start();
}

void PanelRig::runUntil(sim::Nanos time)
{
    m_world->scheduler().runUntil(time);
}

void PanelRig::roomEntry(const RoomEntry& entry)
{
    m_panel->onRoomEntry(entry);
}

PanelScenarioResult runPanelScenario(const PanelScenario& scenario, std::uint64_t seed)
{
    PanelRig rig(scenario, seed);
    if (rig.region(scenario.region) < 0) {
        std::fprintf(stderr, "livedeck: panel scenario %s: no region %s\n", scenario.name.c_str(), scenario.region.c_str());
        std::abort();
    }
    const std::uint32_t key = scenario.hotRoom != 0 ? rig.catalog().table().roomKey(scenario.hotRoom)
                                                    : CatalogTable::kNoKey;
    PanelProbe probe(rig.world(), rig.panel(), rig.catalog(), scenario.region, key);
    rig.start();
    rig.runUntil(scenario.duration);
    PanelScenarioResult r;
    r.observation = probe.finish();
    r.verdict = scenario.hotRoom != 0 ? checkHotRoom(scenario, r.observation)
                                      : checkPrivilegedSlowdown(scenario, r.observation);
    rig.load().stop();
    return r;
}

} // namespace livedeck::gifts

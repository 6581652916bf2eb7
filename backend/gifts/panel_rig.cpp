#include "backend/gifts/panel_rig.h"

#include "livedeck/v1/cluster.pb.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace livedeck::gifts {

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

} // namespace livedeck::gifts

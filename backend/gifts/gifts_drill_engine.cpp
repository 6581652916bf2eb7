#include "backend/gifts/gifts_drill_engine.h"

#include "backend/engine/descriptor.h"
#include "backend/engine/yaml_reader.h"
#include "backend/gifts/gifts_engine.h"
#include "backend/sim/strings.h"

#include <algorithm>
#include <mutex>

namespace livedeck::gifts {
namespace {

using engine::ActionRequest;
using engine::Engine;
using engine::EngineContext;
using engine::EngineFactory;
using engine::EngineSettings;
using engine::InvariantCheck;
using engine::InvariantOffer;
using engine::LoadRequest;
using engine::MetricOffer;
using engine::YamlMap;
using engine::durationValue;
using engine::fail;
using engine::listOf;
using engine::posOf;
using engine::scalarText;

constexpr sim::Nanos kGaugeInterval = 250 * sim::kMillisecond;

// ------------------------------------------------------------------ settings

struct ProfileParams {
    // Each optional: only what the file gives overrides the named profile's value.
    std::vector<std::pair<std::string, double>> numbers;
    std::vector<std::pair<std::string, sim::Nanos>> times;
};

struct GiftsAction {
    sim::Nanos at = 0;
    enum class Kind { Poison, MinPods, Mode, StopLoad, VerifyRefunds } kind = Kind::Poison;
    std::string region;
    int count = 1;
    gifts::MultiActiveMode mode = gifts::MultiActiveMode::LocalFirst;
};

struct GiftsSettings final : EngineSettings {
    gifts::GiftsConfig config;
    double scale = 1.0;
    int minPods = 0; // 0: the config's
    sim::Nanos stopLoadAt = sim::kNever;
    std::vector<GiftsAction> actions;
    gifts::GiftsCoupling coupling; // `gala:` (docs/GALA.md); `shared` is set at build
};

struct GiftsLoad final : EngineSettings {
    gifts::LoadProfile profile;
};

struct SabotageSwitch {
    std::string_view name;
    bool gifts::Sabotage::*field;
    std::string_view what;
};
constexpr SabotageSwitch kSabotage[] = {
    {"consumer-not-idempotent", &gifts::Sabotage::consumerNotIdempotent, "settlement without its unique index"},
    {"async-replication", &gifts::Sabotage::asyncReplication, "order DB replicates asynchronously"},
    {"no-idempotency-key", &gifts::Sabotage::noIdempotencyKey, "no Raft order lock, no unique order key"},
    {"no-payment-recheck", &gifts::Sabotage::noPaymentRecheck, "a timed-out payment fails the order at once"},
    {"no-audit", &gifts::Sabotage::noAudit, "no reconciliation, no refund queue"},
    {"no-dead-letter", &gifts::Sabotage::noDeadLetter, "a poison message is retried for ever"},
    {"no-region-drain", &gifts::Sabotage::noRegionDrain, "the GSLB never moves a dead region's users"},
    {"quota-fail-closed", &gifts::Sabotage::quotaFailClosed, "quota clients refuse all when the server is gone"},
    {"no-autoscale", &gifts::Sabotage::noAutoscale, "order pods stay at their initial count"},
    {"no-breaker", &gifts::Sabotage::noBreaker, "every circuit breaker disabled"},
    {"no-singleflight", &gifts::Sabotage::noSingleflight, "every product lookup fetches on its own"},
    {"no-hot-key-cache", &gifts::Sabotage::noHotKeyCache, "hot keys not served from the in-process cache"},
    {"no-hot-room-cache", &gifts::Sabotage::noHotRoomCache, "hot rooms' panels not served from memory"},
    {"no-kv-hedge", &gifts::Sabotage::noKvHedge, "cross-region catalog KV reads ask one pair only"},
};

std::string sabotageNames()
{
    std::string s;
    for (const SabotageSwitch& sw : kSabotage)
        s += sim::strCat(s.empty() ? "" : ", ", sw.name);
    return s;
}

constexpr std::string_view kProfileNumberKeys[] = {"start_viewers", "peak_viewers", "countdown_factor", "storm_factor",
                                                    "gifts_per_viewer_per_sec", "entry_churn_per_sec"};
constexpr std::string_view kProfileTimeKeys[] = {"ramp_start",     "peak_at",  "countdown_at", "countdown_lead",
                                                  "countdown_tail", "storm_at", "storm_length"};

gifts::LoadProfile readProfile(const std::string& name, const YAML::Node& params, std::string_view what)
{
    auto named = gifts::LoadProfile::named(name);
    if (!named.ok())
        fail(params, sim::strCat(what, ": ", std::string(named.status().message())));
    gifts::LoadProfile p = *named;
    const YamlMap m(params, std::string(what),
                    {"start_viewers", "peak_viewers", "countdown_factor", "storm_factor", "gifts_per_viewer_per_sec",
                     "entry_churn_per_sec", "ramp_start", "peak_at", "countdown_at", "countdown_lead", "countdown_tail",
                     "storm_at", "storm_length"});
    p.startViewers = m.number("start_viewers", p.startViewers, 0.0, 5e9);
    p.peakViewers = m.number("peak_viewers", p.peakViewers, 0.0, 5e9);
    p.countdownFactor = m.number("countdown_factor", p.countdownFactor, 0.0, 1000.0);
    p.stormFactor = m.number("storm_factor", p.stormFactor, 0.0, 1000.0);
    p.giftsPerViewerPerSec = m.number("gifts_per_viewer_per_sec", p.giftsPerViewerPerSec, 0.0, 10.0);
    p.entryChurnPerSec = m.number("entry_churn_per_sec", p.entryChurnPerSec, 0.0, 10.0);
    p.rampStart = m.duration("ramp_start", p.rampStart);
    p.peakAt = m.duration("peak_at", p.peakAt);
    p.countdownAt = m.duration("countdown_at", p.countdownAt);
    p.countdownLead = m.duration("countdown_lead", p.countdownLead);
    p.countdownTail = m.duration("countdown_tail", p.countdownTail);
    p.stormAt = m.duration("storm_at", p.stormAt);
    p.stormLength = m.duration("storm_length", p.stormLength);
    if (m.has("peak_viewers") && !m.has("peak_at") && p.peakAt == 0 && p.peakViewers != p.startViewers)
        fail(m.get("peak_viewers"), sim::strCat(what, ": peak_viewers needs peak_at (when the ramp reaches it)"));
    return p;
}

gifts::MultiActiveMode readMode(const YAML::Node& node, std::string_view what)
{
    const std::string t = scalarText(node, what);
    if (t == "local-first")
        return gifts::MultiActiveMode::LocalFirst;
    if (t == "cross-region")
        return gifts::MultiActiveMode::CrossRegion;
    fail(node, sim::strCat(what, ": expected local-first or cross-region, got '", t, "'"));
}

// ------------------------------------------------------------------ the engine in a drill

class GiftsDrillEngine final : public Engine {
public:
    GiftsDrillEngine(sim::World& world, telemetry::Telemetry& telemetry, const GiftsSettings& settings,
                     std::unique_ptr<gifts::GiftsEngine> engine)
        : m_world(world),
          m_settings(settings),
          m_engine(std::move(engine)),
          m_tickKind(world.kind("gifts.drill.gauges")),
          m_actionKind(world.kind("gifts.drill.action"))
    {
        auto& m = telemetry.metrics();
        const std::string_view c = "gifts";
        for (const auto& entry : gaugeTable())
            m_gauges.push_back(&m.gauge(entry.first, c));
    }

    ~GiftsDrillEngine() override
    {
        // The engine's parts hold world events; it goes before the world (the run owns both).
        m_engine.reset();
    }

    void start() override
    {
        if (m_settings.minPods > 0) {
            for (int r : m_engine->multiActive().serving()) {
                if (gifts::OrderAutoscaler* a = m_engine->autoscaler(r))
                    a->setMinPods(m_settings.minPods);
            }
        }
        for (std::size_t i = 0; i < m_settings.actions.size(); ++i) {
            m_world.at(m_settings.actions[i].at, m_actionKind, m_engine->component(), [this, i] { act(m_settings.actions[i]); });
        }
        if (m_settings.stopLoadAt != sim::kNever)
            m_world.at(m_settings.stopLoadAt, m_actionKind, m_engine->component(), [this] { stopLoad(); });
        m_engine->start();
        m_world.after(kGaugeInterval, m_tickKind, m_engine->component(), [this] { tick(); });
    }

    absl::Status applyLoad(const LoadRequest& phase) override
    {
        const auto* load = dynamic_cast<const GiftsLoad*>(phase.params.get());
        if (!load)
            return absl::InvalidArgumentError("gifts: load phase without parsed parameters");
        m_engine->setProfile(load->profile);
        m_engine->setLoadMultiplier(phase.multiplier);
        return absl::OkStatus();
    }

    absl::Status setLoad(const std::string& profile, double multiplier) override
    {
        if (!profile.empty()) {
            auto p = gifts::LoadProfile::named(profile);
            if (!p.ok())
                return p.status();
            m_engine->setProfile(*p);
        }
        if (multiplier > 0.0)
            m_engine->setLoadMultiplier(multiplier);
        return absl::OkStatus();
    }

    absl::Status applyAction(const ActionRequest& a) override
    {
        const int region = m_world.topology().regionIndex(a.target);
        if (a.action == "drain-region" || a.action == "restore") {
            if (region < 0)
                return absl::InvalidArgumentError(sim::strCat(a.action, ": '", a.target, "' is not a region of this world"));
            return a.action == "drain-region" ? m_engine->multiActive().drain(a.target, "operator")
                                              : m_engine->multiActive().restore(a.target);
        }
        if (a.action == "shed-load") {
            // The target is a region (its entry) or "*" (every serving region's entry);
            // the value is the real orders per second the entry lets through (0 lifts it).
            if (a.value < 0.0)
                return absl::InvalidArgumentError("shed-load: the limit is orders per second, >= 0 (0 lifts the limit)");
            int changed = 0;
            for (int r : m_engine->multiActive().serving()) {
                if (a.target != "*" && r != region)
                    continue;
                if (gifts::OrderEntry* entry = m_engine->entry(r)) {
                    entry->setShedLimit(a.value);
                    ++changed;
                }
            }
            if (changed == 0)
                return absl::InvalidArgumentError(
                    sim::strCat("shed-load: '", a.target, "' is not a serving region of this world (or '*' for all)"));
            return absl::OkStatus();
        }
        return Engine::applyAction(a);
    }

    void checkInvariants(std::vector<InvariantCheck>& out) override
    {
        for (const gifts::InvariantResult& r : m_engine->invariantStatus())
            out.push_back(InvariantCheck{r.name, r.passed, r.detail});
    }

    void finalInvariants(std::vector<InvariantCheck>& out) override
    {
        if (!m_loadStopped) {
            // In-flight orders would look unsettled: keep the continuous checks' verdicts.
            for (const gifts::InvariantResult& r : m_engine->invariantStatus())
                out.push_back(InvariantCheck{r.name, r.passed,
                                             sim::strCat(r.detail, " (continuous checks only: the load was not stopped)")});
            return;
        }
        for (const gifts::InvariantResult& r : m_engine->checkInvariants())
            out.push_back(InvariantCheck{r.name, r.passed, r.detail});
        updateGauges();
    }

    // Name and what it reads, in the order metrics() offers them.
    using GaugeFn = double (*)(GiftsDrillEngine&);
    static const std::vector<std::pair<std::string, GaugeFn>>& gaugeTable();

private:
    void stopLoad()
    {
        m_engine->stopLoad();
        m_loadStopped = true;
    }

    void act(const GiftsAction& a)
    {
        switch (a.kind) {
        case GiftsAction::Kind::Poison:
            m_engine->injectPoison(a.region, a.count);
            break;
        case GiftsAction::Kind::MinPods:
            for (int r : m_engine->multiActive().serving()) {
                if (gifts::OrderAutoscaler* s = m_engine->autoscaler(r))
                    s->setMinPods(a.count);
            }
            break;
        case GiftsAction::Kind::Mode:
            m_engine->setMode(a.mode);
            break;
        case GiftsAction::Kind::StopLoad:
            stopLoad();
            break;
        case GiftsAction::Kind::VerifyRefunds:
            m_engine->verifyRefunds();
            break;
        }
    }

    void tick()
    {
        updateGauges();
        m_world.after(kGaugeInterval, m_tickKind, m_engine->component(), [this] { tick(); });
    }

    void updateGauges()
    {
        const auto& table = gaugeTable();
        for (std::size_t i = 0; i < table.size(); ++i)
            m_gauges[i]->set(table[i].second(*this));
    }

    sim::World& m_world;
    const GiftsSettings& m_settings;
    std::unique_ptr<gifts::GiftsEngine> m_engine;
    std::vector<telemetry::Gauge*> m_gauges;
    sim::EventKindId m_tickKind;
    sim::EventKindId m_actionKind;
    bool m_loadStopped = false;

    friend struct GaugeReaders;
};

struct GaugeReaders {
    static gifts::GiftsEngine& e(GiftsDrillEngine& d) { return *d.m_engine; }
    static const gifts::OrderClient::Totals& totals(GiftsDrillEngine& d) { return e(d).client().totals(); }
    static double ratio(double part, double whole) { return whole > 0.0 ? part / whole : 0.0; }
    static gifts::CatalogKeyStats catalog(GiftsDrillEngine& d)
    {
        gifts::CatalogKeyStats total;
        for (int r : e(d).multiActive().serving()) {
            const gifts::CatalogKeyStats k = e(d).catalog().regionStats(r);
            total.lookups += k.lookups;
            total.kvReads += k.kvReads;
            total.kvErrors += k.kvErrors;
            total.localHits += k.localHits;
            total.shared += k.shared;
        }
        return total;
    }
    template <class F>
    static double sumServices(GiftsDrillEngine& d, F f)
    {
        double sum = 0.0;
        const int n = static_cast<int>(e(d).world().topology().regions().size());
        for (int r = 0; r < n; ++r) {
            if (const gifts::OrderService* s = e(d).orderService(r))
                sum += f(s->stats());
        }
        return sum;
    }
    static double lastSecondServed(GiftsDrillEngine& d)
    {
        double served = 0.0;
        double requests = 0.0;
        for (int r : e(d).multiActive().serving()) {
            served += e(d).regionSecond(r).served;
            requests += e(d).regionSecond(r).requests;
        }
        return requests > 0.0 ? served / requests : 1.0;
    }
    static double failovers(GiftsDrillEngine& d, bool lostOnly)
    {
        infra::SqlCluster& db = e(d).orderStore().cluster();
        double n = 0.0;
        for (std::uint32_t i = 0; i < db.shardCount(); ++i) {
            for (const infra::FailoverReport& f : db.shard(i).failovers())
                n += lostOnly ? static_cast<double>(f.lostAcknowledged) : 1.0;
        }
        return n;
    }
    static double monthPartitions(GiftsDrillEngine& d)
    {
        std::vector<int> months;
        for (const gifts::Charge& c : e(d).ledger().charges()) {
            if (std::find(months.begin(), months.end(), c.partition) == months.end())
                months.push_back(c.partition);
        }
        return static_cast<double>(months.size());
    }
    static double fallbackAdmitted(GiftsDrillEngine& d)
    {
        double allowed = 0.0;
        for (int r : e(d).multiActive().serving()) {
            if (const gifts::OrderEntry* entry = e(d).entry(r); entry && entry->quota())
                allowed += entry->quota()->stats().allowedFallback;
        }
        return allowed;
    }
    static double consumers(GiftsDrillEngine& d, bool duplicates)
    {
        double n = 0.0;
        for (const auto& c : e(d).consumers())
            n += static_cast<double>(duplicates ? c->stats().duplicatesSeen : c->stats().deadLettered);
        return n;
    }
};

const std::vector<std::pair<std::string, GiftsDrillEngine::GaugeFn>>& GiftsDrillEngine::gaugeTable()
{
    using G = GaugeReaders;
    static const std::vector<std::pair<std::string, GaugeFn>> table = {
        {"gifts.drill.served", [](GiftsDrillEngine& d) {
             const auto& t = G::totals(d);
             return t.placed > 0.0 ? (t.paid + t.failed + t.pending) / t.placed : 1.0;
         }},
        {"gifts.drill.paid_share", [](GiftsDrillEngine& d) { return G::ratio(G::totals(d).paid, G::totals(d).placed); }},
        {"gifts.drill.shed_share", [](GiftsDrillEngine& d) { return G::ratio(G::totals(d).shed, G::totals(d).placed); }},
        {"gifts.drill.error_share", [](GiftsDrillEngine& d) { return G::ratio(G::totals(d).errors, G::totals(d).placed); }},
        {"gifts.drill.placed", [](GiftsDrillEngine& d) { return G::totals(d).placed; }},
        {"gifts.drill.last_second_served", [](GiftsDrillEngine& d) { return G::lastSecondServed(d); }},
        {"gifts.drill.month_partitions", [](GiftsDrillEngine& d) { return G::monthPartitions(d); }},
        {"gifts.drill.settled_records", [](GiftsDrillEngine& d) { return static_cast<double>(G::e(d).settledRecords()); }},
        {"gifts.drill.settled_twice",
         [](GiftsDrillEngine& d) { return static_cast<double>(G::e(d).invariants().report().settledTwice); }},
        {"gifts.drill.paid_lost", [](GiftsDrillEngine& d) { return static_cast<double>(G::e(d).invariants().report().paidLost); }},
        {"gifts.drill.paid_unsettled",
         [](GiftsDrillEngine& d) { return static_cast<double>(G::e(d).invariants().report().paidUnsettled); }},
        {"gifts.drill.duplicates_seen", [](GiftsDrillEngine& d) { return G::consumers(d, true); }},
        {"gifts.drill.dead_lettered", [](GiftsDrillEngine& d) { return G::consumers(d, false); }},
        {"gifts.drill.unsettled", [](GiftsDrillEngine& d) { return static_cast<double>(G::e(d).watchdog().unsettled()); }},
        {"gifts.drill.kv_read_share",
         [](GiftsDrillEngine& d) {
             const auto k = G::catalog(d);
             return G::ratio(k.kvReads, k.lookups);
         }},
        {"gifts.drill.kv_error_share",
         [](GiftsDrillEngine& d) {
             const auto k = G::catalog(d);
             return G::ratio(k.kvErrors, k.kvReads);
         }},
        {"gifts.drill.region_drains", [](GiftsDrillEngine& d) { return static_cast<double>(G::e(d).multiActive().drains()); }},
        {"gifts.drill.rechecks", [](GiftsDrillEngine& d) {
             return G::sumServices(d, [](const gifts::OrderService::Stats& s) { return static_cast<double>(s.rechecks); });
         }},
        {"gifts.drill.recheck_paid", [](GiftsDrillEngine& d) {
             return G::sumServices(d, [](const gifts::OrderService::Stats& s) { return static_cast<double>(s.recheckPaid); });
         }},
        {"gifts.drill.recheck_failed", [](GiftsDrillEngine& d) {
             return G::sumServices(d, [](const gifts::OrderService::Stats& s) { return static_cast<double>(s.recheckFailed); });
         }},
        {"gifts.drill.refunds_queued", [](GiftsDrillEngine& d) { return static_cast<double>(G::e(d).refunds().everQueued()); }},
        {"gifts.drill.db_failovers", [](GiftsDrillEngine& d) { return G::failovers(d, false); }},
        {"gifts.drill.db_lost_acknowledged", [](GiftsDrillEngine& d) { return G::failovers(d, true); }},
        {"gifts.drill.quota_fallback_admitted", [](GiftsDrillEngine& d) { return G::fallbackAdmitted(d); }},
    };
    return table;
}

// ------------------------------------------------------------------ the factory

// What one engine with the default configuration registers: the metric and invariant
// names a drill may use (built once per process; a few milliseconds).
const engine::EngineOffers& probe()
{
    static const engine::EngineOffers p = [] {
        engine::EngineOffers out = engine::probeEngineOffers(
            "gift engine metric",
            [](sim::World& world, telemetry::Telemetry& telemetry,
               engine::SharedResources&) -> absl::StatusOr<std::vector<InvariantOffer>> {
                auto engine = gifts::GiftsEngine::create(world, telemetry, gifts::GiftsConfig{});
                if (!engine.ok())
                    return engine.status();
                std::vector<InvariantOffer> invariants;
                for (const gifts::InvariantResult& r : (*engine)->invariantStatus())
                    // paid_unsettled speaks of what must eventually happen: judged at the end.
                    invariants.push_back(InvariantOffer{r.name, r.detail, r.name == "gifts.paid_unsettled"});
                return invariants;
            });
        if (out.metrics.empty())
            return out;
        for (const auto& [name, fn] : GiftsDrillEngine::gaugeTable()) {
            (void)fn;
            out.metrics.push_back(MetricOffer{name, telemetry::MetricKind::Gauge, "", "gift drill gauge (docs/DRILLS.md)"});
        }
        return out;
    }();
    return p;
}

class GiftsEngineFactory final : public EngineFactory {
public:
    std::string_view name() const override { return "gifts"; }
    std::string_view description() const override
    {
        return "the live gift system: panel, orders, payment, settlement, audit, multi-active regions (docs/GIFTS.md)";
    }
    std::vector<MetricOffer> metrics() const override { return probe().metrics; }
    std::vector<InvariantOffer> invariants() const override { return probe().invariants; }
    std::vector<std::string> loadProfiles() const override { return gifts::LoadProfile::names(); }
    std::vector<engine::ModeOffer> modes() const override
    {
        return {{"mode", "multi-active: each region prefers its own resources, or any region's by weight (docs/GIFTS.md)",
                 {std::string(gifts::toString(gifts::MultiActiveMode::LocalFirst)),
                  std::string(gifts::toString(gifts::MultiActiveMode::CrossRegion))},
                 std::string(gifts::toString(gifts::GiftsConfig{}.multiActive.mode))}};
    }

    std::shared_ptr<const EngineSettings> parseSettings(const YAML::Node& node) const override
    {
        auto s = std::make_shared<GiftsSettings>();
        const YamlMap m(node, "engines.gifts",
                        {"mode", "scale", "profile", "profile_params", "stop_load_at", "timers", "min_pods", "sabotage",
                         "actions", "gala"});
        gifts::GiftsConfig& c = s->config;
        if (m.has("mode"))
            c.multiActive.mode = readMode(m.get("mode"), "engines.gifts.mode");
        s->scale = m.number("scale", 1.0, 0.001, 100.0);
        c.loadGenerator.minDiscreteGiftsPerSec *= s->scale;
        c.loadGenerator.minDiscreteEntriesPerSec *= s->scale;
        c.loadGenerator.maxGiftWeight /= s->scale;
        c.loadGenerator.maxEntryWeight /= s->scale;
        const std::string profile = m.string("profile", "gala");
        c.load = readProfile(profile, m.get("profile_params"), "engines.gifts.profile_params");
        s->stopLoadAt = m.duration("stop_load_at", sim::kNever, 0, kMaxDurationForSettings);
        if (m.has("timers")) {
            const YamlMap t(m.get("timers"), "engines.gifts.timers",
                            {"settlement_missing", "audit_interval", "audit_delay", "audit_max_pending", "gslb_down_after",
                             "gslb_restore_after"});
            c.settlement.missingDelay = t.duration("settlement_missing", c.settlement.missingDelay, sim::kMillisecond);
            c.audit.interval = t.duration("audit_interval", c.audit.interval, sim::kMillisecond);
            c.audit.delay = t.duration("audit_delay", c.audit.delay, 0);
            c.audit.maxPending = t.duration("audit_max_pending", c.audit.maxPending, sim::kMillisecond);
            c.multiActive.downAfter = t.duration("gslb_down_after", c.multiActive.downAfter, sim::kMillisecond);
            c.multiActive.restoreAfter = t.duration("gslb_restore_after", c.multiActive.restoreAfter, sim::kMillisecond);
        }
        s->minPods = static_cast<int>(m.integer("min_pods", 0, 0, 10'000));
        for (const YAML::Node& n : listOf(m.get("sabotage"), "engines.gifts.sabotage")) {
            const std::string name = scalarText(n, "engines.gifts.sabotage");
            const SabotageSwitch* sw = nullptr;
            for (const SabotageSwitch& candidate : kSabotage) {
                if (candidate.name == name)
                    sw = &candidate;
            }
            if (!sw)
                fail(n, sim::strCat("engines.gifts.sabotage: unknown switch '", name, "': expected some of ", sabotageNames()));
            c.sabotage.*(sw->field) = true;
        }
        if (m.has("actions")) {
            const YAML::Node list = m.get("actions");
            if (!list.IsSequence())
                fail(list, "engines.gifts.actions: expected a list of {at, <action>} entries");
            for (const YAML::Node& item : list) {
                const YamlMap a(item, "engines.gifts.actions entry",
                                {"at", "poison", "count", "min_pods", "mode", "stop_load", "verify_refunds"});
                GiftsAction action;
                action.at = durationValue(a.require("at"), "engines.gifts.actions.at", 0, kMaxDurationForSettings);
                const int kinds = (a.has("poison") ? 1 : 0) + (a.has("min_pods") ? 1 : 0) + (a.has("mode") ? 1 : 0)
                    + (a.has("stop_load") ? 1 : 0) + (a.has("verify_refunds") ? 1 : 0);
                if (kinds != 1)
                    fail(item, "engines.gifts.actions: each entry takes one of poison (a region), min_pods, mode, "
                               "stop_load or verify_refunds");
                if (a.has("poison")) {
                    action.kind = GiftsAction::Kind::Poison;
                    action.region = a.string("poison");
                    action.count = static_cast<int>(a.integer("count", 1, 1, 1'000'000));
                } else if (a.has("min_pods")) {
                    action.kind = GiftsAction::Kind::MinPods;
                    action.count = static_cast<int>(a.integer("min_pods", 1, 1, 10'000));
                } else if (a.has("mode")) {
                    action.kind = GiftsAction::Kind::Mode;
                    action.mode = readMode(a.get("mode"), "engines.gifts.actions.mode");
                } else if (a.has("stop_load")) {
                    action.kind = GiftsAction::Kind::StopLoad;
                    if (!a.boolean("stop_load", true))
                        fail(a.get("stop_load"), "engines.gifts.actions.stop_load: only 'stop_load: true' makes sense");
                } else {
                    action.kind = GiftsAction::Kind::VerifyRefunds;
                }
                if (a.has("count") && action.kind != GiftsAction::Kind::Poison)
                    fail(a.keyPos("count"), "engines.gifts.actions.count goes with poison");
                s->actions.push_back(std::move(action));
            }
        }
        if (m.has("gala")) {
            // The couplings of a gala run (docs/GALA.md).
            const YamlMap g(m.get("gala"), "engines.gifts.gala", {"shared_infra", "notices", "audience", "sabotage"});
            s->coupling.sharedInfra = g.boolean("shared_infra", false);
            s->coupling.notices = g.boolean("notices", false);
            s->coupling.publishAudience = g.boolean("audience", false);
            for (const YAML::Node& n : listOf(g.get("sabotage"), "engines.gifts.gala.sabotage")) {
                const std::string name = scalarText(n, "engines.gifts.gala.sabotage");
                if (name != "notice-fire-and-forget")
                    fail(n, sim::strCat("engines.gifts.gala.sabotage: unknown switch '", name,
                                        "': expected notice-fire-and-forget"));
                s->coupling.noticeRetry = false;
            }
        }
        if (absl::Status st = c.validate(); !st.ok())
            fail(posOf(node), sim::strCat("engines.gifts: ", std::string(st.message())));
        return s;
    }

    std::shared_ptr<const EngineSettings> parseLoad(const std::string& profile, const YAML::Node& params) const override
    {
        auto l = std::make_shared<GiftsLoad>();
        l->profile = readProfile(profile, params, "load.params");
        return l;
    }

    v1::EngineDescriptor describe() const override;

    absl::StatusOr<std::unique_ptr<Engine>> build(EngineContext& context, const EngineSettings& settings) const override
    {
        sim::World& world = context.world;
        telemetry::Telemetry& telemetry = context.telemetry;
        const auto* s = dynamic_cast<const GiftsSettings*>(&settings);
        if (!s)
            return absl::InvalidArgumentError("engine gifts: settings of another engine");
        for (const GiftsAction& a : s->actions) {
            if (a.kind == GiftsAction::Kind::Poison && world.topology().regionIndex(a.region) < 0)
                return absl::InvalidArgumentError(sim::strCat("actions: poison names region '", a.region,
                                                              "', which is not in this drill's topology"));
        }
        gifts::GiftsCoupling coupling = s->coupling;
        coupling.shared = &context.shared;
        auto engine = gifts::GiftsEngine::create(world, telemetry, s->config, coupling);
        if (!engine.ok())
            return engine.status();
        return std::unique_ptr<Engine>(std::make_unique<GiftsDrillEngine>(world, telemetry, *s, std::move(*engine)));
    }

    engine::FaultSurface faultSurface(const EngineSettings& settings, const sim::World& world) const override;

private:
    static constexpr sim::Nanos kMaxDurationForSettings = 1000 * sim::kHour;
};

// Where faults act on the gift system (the kinds each mechanism consults: the network
// honours down and partitions; service queues latency and error rates; SQL instances
// slow disks and replica lag; brokers MQ duplicates, delays and loss; Raft nodes clock
// skew; the load generator hot keys and load spikes) and what its design promises to
// survive (docs/DRILLS.md, "Fault budgets"): one region of three (the multi-active
// failover), a Raft minority (the lock service), and per SQL shard its primary or its
// semi-sync replica, not both (failover promotes the semi-sync replica, which holds
// every acknowledged write).
engine::FaultSurface GiftsEngineFactory::faultSurface(const EngineSettings&, const sim::World& world) const
{
    struct ByKind {
        std::string_view componentKind;
        std::vector<v1::FaultKind> kinds;
    };
    const std::vector<ByKind> table = {
        {"order-service", {v1::FAULT_DOWN, v1::FAULT_LATENCY, v1::FAULT_ERROR_RATE}},
        {"payment-service", {v1::FAULT_DOWN, v1::FAULT_LATENCY, v1::FAULT_ERROR_RATE}},
        {"catalog-service", {v1::FAULT_DOWN, v1::FAULT_LATENCY, v1::FAULT_ERROR_RATE}},
        {"gift-panel", {v1::FAULT_DOWN}},
        {"sql-instance", {v1::FAULT_DOWN, v1::FAULT_SLOW_DISK, v1::FAULT_REPLICA_LAG}},
        {"mq-broker", {v1::FAULT_DOWN, v1::FAULT_MQ_DUPLICATE, v1::FAULT_MQ_DELAY, v1::FAULT_MQ_LOSS}},
        {"settlement-consumer", {v1::FAULT_DOWN}},
        {"raft-node", {v1::FAULT_DOWN, v1::FAULT_CLOCK_SKEW}},
        {"kv-pair", {v1::FAULT_REPLICA_LAG}},
        {"load-generator", {v1::FAULT_HOT_KEY, v1::FAULT_LOAD_SPIKE}},
    };
    engine::FaultSurface out;
    std::vector<std::string> regions;
    for (const sim::RegionSpec& r : world.topology().regions()) {
        regions.push_back(r.name);
        out.targets.push_back(engine::FaultTarget{r.name, {v1::FAULT_DOWN, v1::FAULT_PARTITION}});
    }
    std::vector<std::string> raft;
    // SQL instances by cluster and shard ("<region>/gifts/order-db/3"), in placement order.
    std::vector<std::pair<std::string, std::vector<std::string>>> shards;
    for (const sim::ComponentInfo& c : world.components().all()) {
        if (c.id == sim::kNoComponent)
            continue;
        const bool gifts = c.path.find("/gifts/") != std::string::npos;
        const bool lockService = c.kind == "raft-node" && c.path.find("/infra/taishan/") != std::string::npos;
        // Coupled (docs/GALA.md): the shared Redis pairs and the notification broker are
        // the gift engine's too.
        const bool sharedInfra = (c.kind == "kv-pair" && c.path.find("/infra/redis") != std::string::npos)
            || (c.kind == "mq-broker" && c.path.find("/infra/notice-mq") != std::string::npos);
        if (!gifts && !lockService && !sharedInfra)
            continue;
        for (const ByKind& b : table) {
            if (b.componentKind == c.kind) {
                out.targets.push_back(engine::FaultTarget{c.path, b.kinds});
                // The notifications have no reconciliation behind them: a broker that
                // acknowledges and then loses a record is outside their design (docs/GALA.md).
                if (c.path.find("/infra/notice-mq") != std::string::npos)
                    std::erase(out.targets.back().kinds, v1::FAULT_MQ_LOSS);
                break;
            }
        }
        if (lockService)
            raft.push_back(c.path);
        if (c.kind == "sql-instance") {
            const std::string shard = c.path.substr(c.path.find('/') + 1); // "gifts/order-db/3"
            auto it = std::find_if(shards.begin(), shards.end(), [&](const auto& s) { return s.first == shard; });
            if (it == shards.end())
                it = shards.insert(shards.end(), {shard, {}});
            it->second.push_back(c.path);
        }
    }
    if (regions.size() >= 2)
        out.budget.push_back(engine::FaultBudgetRule{
            "regions: all but one up and reachable", regions, static_cast<int>(regions.size()) - 1,
            "multi-active: a region that fails is drained and its traffic served by the others (docs/GIFTS.md)"});
    if (!raft.empty())
        out.budget.push_back(engine::raftMajorityRule("lock service: a Raft majority", raft,
                                                      "Raft commits with a majority; a minority may fail"));
    for (const auto& [shard, instances] : shards) {
        if (instances.size() < 2)
            continue;
        out.budget.push_back(engine::FaultBudgetRule{
            sim::strCat(shard, ": its primary or its semi-sync replica"), {instances[0], instances[1]}, 1,
            "semi-sync replication: every acknowledged write is on the replica failover promotes"});
    }
    return out;
}

v1::EngineDescriptor GiftsEngineFactory::describe() const
{
    v1::EngineDescriptor d = EngineFactory::describe();
    d.set_title("Live gifts");
    for (v1::MetricDescriptor& m : *d.mutable_metrics())
        m.set_role(engine::roleFromName(m.name(), m.type()));

    using engine::TileSpec;
    // Orders: a throughput, always "good".
    engine::addTile(d, TileSpec{"gifts.orders", "Gift orders", "gifts.orders.placed", v1::METRIC_TYPE_COUNTER,
                                v1::AGGREGATE_SUM, "/s", 1.0, true, 0.0, 0.0, "placed", 0, {}});
    engine::addTile(d, TileSpec{"gifts.availability", "Panel availability", "gifts.panel.availability",
                                v1::METRIC_TYPE_GAUGE, v1::AGGREGATE_MEAN, "%", 100.0, true, 99.99, 99.9,
                                "target 99.99 %", 3, {}});
    engine::addTile(d, TileSpec{"gifts.settlement-lag", "Settlement lag", "gifts.settlement.lag", v1::METRIC_TYPE_GAUGE,
                                v1::AGGREGATE_MAX, "ms", 1.0, false, 1000.0, 5000.0, "worst", 0, {}});
    engine::addTile(d, TileSpec{"gifts.errors", "Errors", "gifts.errors", v1::METRIC_TYPE_COUNTER, v1::AGGREGATE_RATIO,
                                "%", 100.0, false, 0.01, 1.0, "of orders", 3, "gifts.orders.placed"});

    engine::addChart(d, "throughput",
                     {"gifts.orders.placed", "gifts.panel.requests", "gifts.orders.paid", "gifts.settlement.settled"});
    engine::addChart(d, "errors", {"gifts.errors", "gifts.orders.failed", "gifts.orders.shed", "gifts.panel.rejected"});
    engine::addChart(d, "latency", {"gifts.order.latency", "gifts.panel.latency"});

    d.clear_load_profiles();
    for (const std::string& name : gifts::LoadProfile::names()) {
        v1::LoadProfileDescriptor& p = *d.add_load_profiles();
        p.set_name(name);
        auto profile = gifts::LoadProfile::named(name);
        if (!profile.ok())
            continue;
        p.set_description(sim::strCat("gift load profile '", name, "' (docs/GIFTS.md)"));
        engine::addParam(p, "start_viewers", profile->startViewers, 5e9, "viewers", "viewers at the start");
        engine::addParam(p, "peak_viewers", profile->peakViewers, 5e9, "viewers", "viewers at the peak");
        engine::addParam(p, "countdown_factor", profile->countdownFactor, 1000, "x", "gift rate multiplier at the countdown");
        engine::addParam(p, "storm_factor", profile->stormFactor, 1000, "x", "room-storm entry multiplier");
        engine::addParam(p, "gifts_per_viewer_per_sec", profile->giftsPerViewerPerSec, 10, "1/s",
                         "gifts a viewer sends per second");
        engine::addParam(p, "entry_churn_per_sec", profile->entryChurnPerSec, 10, "1/s",
                         "room entries per viewer per second");
        engine::addDurationParam(p, "ramp_start", profile->rampStart, "when viewers start ramping up");
        engine::addDurationParam(p, "peak_at", profile->peakAt, "when the ramp reaches the peak");
        engine::addDurationParam(p, "countdown_at", profile->countdownAt, "the countdown's instant");
        engine::addDurationParam(p, "countdown_lead", profile->countdownLead, "surge before the countdown");
        engine::addDurationParam(p, "countdown_tail", profile->countdownTail, "surge after the countdown");
        engine::addDurationParam(p, "storm_at", profile->stormAt, "when a room storm starts");
        engine::addDurationParam(p, "storm_length", profile->stormLength, "how long a room storm lasts");
    }

    engine::setActionValue(engine::addAction(d, "shed-load",
                                             "limit the real orders per second an entry lets through (0 lifts the limit)",
                                             v1::ACTION_TARGET_REGION, "a region, or * for every serving region"),
                           "orders per second", "1/s", 100000.0, 0.0, 1e9);
    engine::addAction(d, "drain-region", "move a region's users to the other regions (multi-active drain; stays until restored)",
                      v1::ACTION_TARGET_REGION, "a serving region");
    engine::addAction(d, "restore", "give a drained region its users back", v1::ACTION_TARGET_REGION, "a drained region");

    engine::addComponentKind(d, "refund-queue", "charges the audit found unmatched, awaiting refund verification",
                             {"queued", "refunded"}, "alerts.review-queue");
    engine::addComponentKind(d, "order-entry", "a region's order entry: quota client and shed limit", {"shed_limit", "quota"});
    engine::addComponentKind(d, "gifts-engine", "the gift engine", {"mode", "profile", "orders_placed", "invariants"});

    v1::FigureDescriptor& f = *d.add_figures();
    f.set_id("gifts.availability");
    f.set_description("served share of gift orders at the gala peak, against the write-up's 99.99 % availability");
    f.mutable_a()->set_drill("gala");
    f.mutable_a()->set_metric("gifts.drill.served");
    f.mutable_a()->set_type(v1::METRIC_TYPE_GAUGE);
    f.mutable_a()->set_stat("last");
    f.set_check(v1::FIGURE_CHECK_BOUND);
    f.set_bound_op(">=");
    f.set_bound(0.9999);
    f.set_writeup_value("99.99 %");
    *f.mutable_quick_a() = f.a();
    return d;
}

} // namespace

std::shared_ptr<const EngineFactory> makeGiftsEngineFactory()
{
    return std::make_shared<GiftsEngineFactory>();
}

} // namespace livedeck::gifts

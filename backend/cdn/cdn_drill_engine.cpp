#include "backend/cdn/cdn_drill_engine.h"

#include "backend/cdn/cdn_engine.h"
#include "backend/engine/descriptor.h"
#include "backend/engine/shared.h"
#include "backend/engine/yaml_reader.h"
#include "backend/gala/gala.h"
#include "backend/sim/strings.h"

namespace livedeck::cdn {
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
using engine::scalarText;

constexpr sim::Nanos kMaxDuration = 1000 * sim::kHour;

struct CdnAction {
    sim::Nanos at = 0;
    std::string action; // eject-node, restore-node, preheat, drain-region, restore, update-object
    std::string target;
};

struct CdnSettings final : EngineSettings {
    CdnConfig config;
    std::vector<CdnAction> actions;
    bool followAudience = false; // `gala: {audience: true}` (docs/GALA.md)
};

struct CdnLoadSettings final : EngineSettings {
    CdnLoad load;
};

struct SabotageSwitch {
    std::string_view name;
    bool CdnSabotage::*field;
};
constexpr SabotageSwitch kSabotage[] = {
    {"no-health-checks", &CdnSabotage::noHealthChecks},
    {"ignore-latency", &CdnSabotage::ignoreLatency},
    {"no-collapsed-forwarding", &CdnSabotage::noCollapsedForwarding},
    {"no-etag-check", &CdnSabotage::noEtagCheck},
    {"unordered-delivery", &CdnSabotage::unorderedDelivery},
    {"modulo-hashing", &CdnSabotage::moduloHashing},
    {"infinite-slot-threshold", &CdnSabotage::infiniteSlotThreshold},
    {"drop-routes-without-control", &CdnSabotage::dropRoutesWithoutControl},
    {"no-connection-table", &CdnSabotage::noConnectionTable},
    {"no-ejection-cap", &CdnSabotage::noEjectionCap},
    {"no-preheat", &CdnSabotage::noPreheat},
    {"no-gateway-outlier-detection", &CdnSabotage::noGatewayOutlier},
    {"no-first-byte-timeout", &CdnSabotage::noFirstByteTimeout},
};

constexpr const char* kActionKeys[] = {"eject_node", "restore_node", "preheat", "drain_region", "restore", "update_object"};

std::string sabotageNames()
{
    std::string s;
    for (const SabotageSwitch& sw : kSabotage)
        s += (s.empty() ? "" : ", ") + std::string(sw.name);
    return s;
}

void readLoad(const YamlMap& m, CdnLoad& l)
{
    l.realRequestsPerSec = m.number("requests_per_sec", l.realRequestsPerSec, 1.0, 1e12);
    l.liveShare = m.number("live_share", l.liveShare, 0.0, 1.0);
    l.hotShare = m.number("hot_share", l.hotShare, 0.0, 1.0);
    l.ramp = m.duration("ramp", l.ramp, 0, kMaxDuration);
    l.rangeMinMiB = m.number("range_min_mib", l.rangeMinMiB, 0.001, 4096.0);
    l.rangeMaxMiB = m.number("range_max_mib", l.rangeMaxMiB, 0.001, 4096.0);
    if (l.rangeMaxMiB < l.rangeMinMiB)
        fail(m.get("range_max_mib"), "range_max_mib must be at least range_min_mib");
    l.coldShare = m.number("cold_share", l.coldShare, 0.0, 1.0);
}

// ------------------------------------------------------------------ the engine in a drill

class CdnDrillEngine final : public Engine {
public:
    CdnDrillEngine(sim::World& world, const CdnSettings& settings, std::unique_ptr<CdnEngine> engine)
        : m_world(world), m_settings(settings), m_engine(std::move(engine)), m_actionKind(world.kind("cdn.drill.action"))
    {
    }

    void start() override
    {
        for (std::size_t i = 0; i < m_settings.actions.size(); ++i) {
            m_world.at(m_settings.actions[i].at, m_actionKind, m_engine->component(), [this, i] {
                const CdnAction& a = m_settings.actions[i];
                const absl::Status st = act(a.action, a.target, 0.0);
                if (!st.ok())
                    m_world.events().raise("cdn.action-refused", m_engine->component(), v1::SEVERITY_WARNING,
                                           std::string(st.message()));
            });
        }
        if (m_audience) {
            // The gala's viewers are the live stream's flash crowd (docs/GALA.md): the
            // request rate scales with the run's audience.
            m_audience->listen("cdn", [this](const gala::Audience::Reading& r) {
                m_audienceRatio = r.ratio();
                m_engine->setMultiplier(m_phaseMultiplier * m_audienceRatio);
            });
        }
        m_engine->start();
    }

    void setAudience(gala::Audience* audience) { m_audience = audience; }

    absl::Status applyLoad(const LoadRequest& phase) override
    {
        CdnLoad l = CdnLoad::forProfile(CdnProfile::VodEvening);
        if (!parseCdnProfile(phase.profile, l.profile))
            return absl::InvalidArgumentError(sim::strCat("cdn: no load profile '", phase.profile, "'"));
        if (const auto* p = dynamic_cast<const CdnLoadSettings*>(phase.params.get()))
            l = p->load;
        else
            l = CdnLoad::forProfile(l.profile);
        m_engine->setLoad(l);
        m_phaseMultiplier = phase.multiplier;
        m_engine->setMultiplier(phase.multiplier * m_audienceRatio);
        return absl::OkStatus();
    }

    absl::Status setLoad(const std::string& profile, double multiplier) override
    {
        if (!profile.empty()) {
            CdnProfile p{};
            if (!parseCdnProfile(profile, p))
                return absl::InvalidArgumentError(
                    sim::strCat("cdn: no load profile '", profile, "' (vod-evening, gala, hot-release)"));
            m_engine->setLoad(CdnLoad::forProfile(p));
        }
        if (multiplier > 0.0)
            m_engine->setMultiplier(multiplier);
        return absl::OkStatus();
    }

    absl::Status applyAction(const ActionRequest& a) override { return act(a.action, a.target, a.value); }

    void checkInvariants(std::vector<InvariantCheck>& out) override
    {
        for (const CdnInvariant& i : m_engine->invariants())
            out.push_back(InvariantCheck{i.name, i.passed, i.detail});
    }

    void finalInvariants(std::vector<InvariantCheck>& out) override
    {
        for (const CdnInvariant& i : m_engine->finalInvariants())
            out.push_back(InvariantCheck{i.name, i.passed, i.detail});
    }

private:
    absl::Status act(const std::string& action, const std::string& target, double value)
    {
        if (action == "eject-node")
            return m_engine->eject(target);
        if (action == "restore-node")
            return m_engine->restore(target);
        if (action == "preheat")
            return m_engine->preheat(target, value);
        if (action == "drain-region")
            return m_engine->drainRegion(target, true);
        if (action == "restore")
            return m_engine->drainRegion(target, false);
        if (action == "update-object") {
            std::uint64_t id = 0;
            for (char ch : target) {
                if (ch < '0' || ch > '9')
                    return absl::InvalidArgumentError(sim::strCat("update-object: '", target, "' is not an object id"));
                id = id * 10 + static_cast<std::uint64_t>(ch - '0');
            }
            return m_engine->updateObject(id);
        }
        return Engine::applyAction(ActionRequest{action, target, value});
    }

    sim::World& m_world;
    const CdnSettings& m_settings;
    std::unique_ptr<CdnEngine> m_engine;
    sim::EventKindId m_actionKind;
    gala::Audience* m_audience = nullptr;
    double m_phaseMultiplier = 1.0;
    double m_audienceRatio = 1.0;
};

// ------------------------------------------------------------------ the factory

// What one small engine registers: the metric and invariant names a drill may use.
const engine::EngineOffers& probe()
{
    static const engine::EngineOffers p = engine::probeEngineOffers(
        "cdn engine metric (docs/CDN.md)",
        [](sim::World& world, telemetry::Telemetry& telemetry,
           engine::SharedResources& shared) -> absl::StatusOr<std::vector<InvariantOffer>> {
            CdnConfig c;
            c.vodObjects = 100;
            c.warmRequests = 0;
            auto engine = CdnEngine::create(world, telemetry, &shared, c);
            if (!engine.ok())
                return engine.status();
            std::vector<InvariantOffer> invariants;
            for (const CdnInvariant& i : (*engine)->invariants())
                invariants.push_back(
                    InvariantOffer{i.name, sim::strCat(i.safety ? "safety: " : "liveness: ", i.detail), !i.safety});
            return invariants;
        });
    return p;
}

class CdnEngineFactory final : public EngineFactory {
public:
    std::string_view name() const override { return "cdn"; }
    std::string_view description() const override
    {
        return "edge CDN: L4 Maglev, gateways with the slice module, cache nodes, back-origin, control with health "
               "checks and a Raft-held routing table, or the legacy DNS scheduler (docs/CDN.md)";
    }
    std::vector<MetricOffer> metrics() const override { return probe().metrics; }
    std::vector<InvariantOffer> invariants() const override { return probe().invariants; }
    std::vector<std::string> loadProfiles() const override { return {"vod-evening", "gala", "hot-release"}; }
    std::vector<engine::ModeOffer> modes() const override
    {
        return {{"mode", "the legacy DNS-scheduled edge, or the new clusters (docs/CDN.md)",
                 {toString(CdnMode::Legacy), toString(CdnMode::New)}, toString(CdnConfig{}.mode)}};
    }

    std::shared_ptr<const EngineSettings> parseSettings(const YAML::Node& node) const override
    {
        auto s = std::make_shared<CdnSettings>();
        const YamlMap m(node, "engines.cdn",
                        {"mode", "regions", "origin_region", "caches_per_region", "gateways_per_region",
                         "back_origins_per_region", "window", "slice_kib", "cache_mib", "disks_per_node", "policy",
                         "health_interval", "health_rise", "health_fall", "health_timeout", "max_eject_share",
                         "bounded_load_factor", "slot_threshold", "disk_latency_limit_ms", "overload_per_sec",
                         "connect_timeout", "retries", "first_byte_timeout", "outlier_failures", "outlier_ejection", "report_interval", "reports_to_down", "plan_period", "dns_ttl",
                         "reconnect_delay", "client_groups", "fidelity", "vod_objects", "zipf", "live_streams",
                         "warm_requests", "load_start", "stop_load_at", "profile", "profile_params", "sabotage",
                         "actions", "gala"});
        CdnConfig& c = s->config;
        if (m.has("gala")) {
            const YamlMap g(m.get("gala"), "engines.cdn.gala", {"audience"});
            s->followAudience = g.boolean("audience", false);
        }
        if (m.has("mode")) {
            const std::string t = scalarText(m.get("mode"), "engines.cdn.mode");
            if (t == "legacy")
                c.mode = CdnMode::Legacy;
            else if (t == "new")
                c.mode = CdnMode::New;
            else
                fail(m.get("mode"), sim::strCat("engines.cdn.mode: expected legacy or new, got '", t, "'"));
        }
        for (const YAML::Node& n : listOf(m.get("regions"), "engines.cdn.regions"))
            c.regions.push_back(scalarText(n, "engines.cdn.regions"));
        c.originRegion = m.string("origin_region", c.originRegion);
        c.cachesPerRegion = static_cast<int>(m.integer("caches_per_region", c.cachesPerRegion, 2, 1024));
        c.gatewaysPerRegion = static_cast<int>(m.integer("gateways_per_region", c.gatewaysPerRegion, 1, 256));
        c.backOriginsPerRegion = static_cast<int>(m.integer("back_origins_per_region", c.backOriginsPerRegion, 1, 256));
        if (m.has("window"))
            c.window = static_cast<int>(m.integer("window", 1, 1, 64));
        c.sliceBytes = static_cast<std::uint64_t>(m.integer("slice_kib", static_cast<std::int64_t>(c.sliceBytes / kKiB), 64, 64 * 1024)) * kKiB;
        c.cacheBytes = static_cast<std::uint64_t>(m.integer("cache_mib", static_cast<std::int64_t>(c.cacheBytes / kMiB), 16, 1 << 24)) * kMiB;
        c.disksPerNode = static_cast<int>(m.integer("disks_per_node", c.disksPerNode, 1, 64));
        if (m.has("policy")) {
            CachePolicyKind k{};
            const std::string t = scalarText(m.get("policy"), "engines.cdn.policy");
            if (!parseCachePolicy(t, k))
                fail(m.get("policy"), sim::strCat("engines.cdn.policy: expected lru, sieve or s3-fifo, got '", t, "'"));
            c.policy = k;
        }
        c.health.interval = m.duration("health_interval", c.health.interval, sim::kMillisecond, kMaxDuration);
        c.health.rise = static_cast<int>(m.integer("health_rise", c.health.rise, 1, 100));
        c.health.fall = static_cast<int>(m.integer("health_fall", c.health.fall, 1, 100));
        c.health.timeout = m.duration("health_timeout", c.health.timeout, sim::kMillisecond, kMaxDuration);
        c.maxEjectShare = m.number("max_eject_share", c.maxEjectShare, 0.0, 1.0);
        c.boundedLoadFactor = m.number("bounded_load_factor", c.boundedLoadFactor, 1.0, 100.0);
        c.slotThreshold = m.number("slot_threshold", c.slotThreshold, 1.0, 1e12);
        c.diskLatencyLimitMs = m.number("disk_latency_limit_ms", c.diskLatencyLimitMs, 0.1, 1e6);
        c.overloadPerSec = m.number("overload_per_sec", c.overloadPerSec, 1.0, 1e12);
        c.connectTimeout = m.duration("connect_timeout", c.connectTimeout, sim::kMillisecond, kMaxDuration);
        c.retries = static_cast<int>(m.integer("retries", c.retries, 0, 16));
        c.firstByteTimeout = m.duration("first_byte_timeout", c.firstByteTimeout, 0, kMaxDuration);
        c.outlierFailures = static_cast<int>(m.integer("outlier_failures", c.outlierFailures, 0, 1000));
        c.outlierEjection = m.duration("outlier_ejection", c.outlierEjection, sim::kMillisecond, kMaxDuration);
        c.reportInterval = m.duration("report_interval", c.reportInterval, sim::kMillisecond, kMaxDuration);
        c.reportsToDown = static_cast<int>(m.integer("reports_to_down", c.reportsToDown, 1, 100));
        c.planPeriod = m.duration("plan_period", c.planPeriod, sim::kMillisecond, kMaxDuration);
        c.dnsTtl = m.duration("dns_ttl", c.dnsTtl, sim::kMillisecond, kMaxDuration);
        c.reconnectDelay = m.duration("reconnect_delay", c.reconnectDelay, 0, kMaxDuration);
        c.clientGroups = static_cast<int>(m.integer("client_groups", c.clientGroups, 1, 100'000));
        c.discretePerSec = m.number("fidelity", c.discretePerSec, 1.0, 1e7);
        c.vodObjects = static_cast<int>(m.integer("vod_objects", c.vodObjects, 1, 10'000'000));
        c.zipf = m.number("zipf", c.zipf, 0.0, 5.0);
        c.liveStreams = static_cast<int>(m.integer("live_streams", c.liveStreams, 1, 1'000'000));
        c.warmRequests = static_cast<std::uint64_t>(m.integer("warm_requests", static_cast<std::int64_t>(c.warmRequests), 0, 100'000'000));
        c.loadStart = m.duration("load_start", c.loadStart, 0, kMaxDuration);
        c.stopLoadAt = m.duration("stop_load_at", sim::kNever, 0, kMaxDuration);
        CdnProfile profile = CdnProfile::VodEvening;
        if (m.has("profile")) {
            const std::string t = scalarText(m.get("profile"), "engines.cdn.profile");
            if (!parseCdnProfile(t, profile))
                fail(m.get("profile"), sim::strCat("engines.cdn.profile: expected vod-evening, gala or hot-release, got '", t, "'"));
        }
        c.load = CdnLoad::forProfile(profile);
        if (m.has("profile_params")) {
            const YamlMap p(m.get("profile_params"), "engines.cdn.profile_params",
                            {"requests_per_sec", "live_share", "hot_share", "ramp", "range_min_mib", "range_max_mib",
                             "cold_share"});
            readLoad(p, c.load);
        }
        for (const YAML::Node& n : listOf(m.get("sabotage"), "engines.cdn.sabotage")) {
            const std::string name = scalarText(n, "engines.cdn.sabotage");
            const SabotageSwitch* sw = nullptr;
            for (const SabotageSwitch& candidate : kSabotage)
                if (candidate.name == name)
                    sw = &candidate;
            if (!sw)
                fail(n, sim::strCat("engines.cdn.sabotage: unknown switch '", name, "': expected some of ", sabotageNames()));
            c.sabotage.*(sw->field) = true;
        }
        if (m.has("actions")) {
            const YAML::Node list = m.get("actions");
            if (!list.IsSequence())
                fail(list, "engines.cdn.actions: expected a list of {at, <action>: <target>} entries");
            for (const YAML::Node& item : list) {
                const YamlMap a(item, "engines.cdn.actions entry",
                                {"at", "eject_node", "restore_node", "preheat", "drain_region", "restore", "update_object"});
                CdnAction action;
                action.at = durationValue(a.require("at"), "engines.cdn.actions.at", 0, kMaxDuration);
                int n = 0;
                for (const char* key : kActionKeys) {
                    if (!a.has(key))
                        continue;
                    ++n;
                    action.action = key;
                    for (char& ch : action.action)
                        ch = ch == '_' ? '-' : ch;
                    action.target = scalarText(a.get(key), a.path(key));
                }
                if (n != 1)
                    fail(item, "engines.cdn.actions: each entry takes exactly one of eject_node, restore_node, preheat, "
                               "drain_region, restore, update_object");
                s->actions.push_back(action);
            }
        }
        if (absl::Status st = validate(c); !st.ok())
            fail(node, std::string(st.message()));
        return s;
    }

    std::shared_ptr<const EngineSettings> parseLoad(const std::string& profile, const YAML::Node& params) const override
    {
        auto l = std::make_shared<CdnLoadSettings>();
        CdnProfile p = CdnProfile::VodEvening;
        parseCdnProfile(profile, p);
        l->load = CdnLoad::forProfile(p);
        const YamlMap m(params, "load.params",
                        {"requests_per_sec", "live_share", "hot_share", "ramp", "range_min_mib", "range_max_mib", "cold_share"});
        readLoad(m, l->load);
        return l;
    }

    v1::EngineDescriptor describe() const override;
    engine::FaultSurface faultSurface(const EngineSettings& settings, const sim::World& world) const override;

    absl::StatusOr<std::unique_ptr<Engine>> build(EngineContext& context, const EngineSettings& settings) const override
    {
        const auto* s = dynamic_cast<const CdnSettings*>(&settings);
        if (!s)
            return absl::InvalidArgumentError("engine cdn: settings of another engine");
        auto engine = CdnEngine::create(context.world, context.telemetry, &context.shared, s->config);
        if (!engine.ok())
            return engine.status();
        auto drill = std::make_unique<CdnDrillEngine>(context.world, *s, std::move(*engine));
        if (s->followAudience) {
            auto audience = gala::audience(context.shared, "cdn");
            if (!audience.ok())
                return audience.status();
            drill->setAudience(*audience);
        }
        return std::unique_ptr<Engine>(std::move(drill));
    }
};

// Where a swarm may put faults on the CDN and what it promises (docs/CDN.md, "Fault
// surface"): the faults its own drills use — a cache node down, a slow disk, a cache
// node cut off (from the gateways, from control), a gateway down or cut off, control
// cut off, the control KV's nodes down — on every such component the build registered,
// in registration order. Budget: the control KV keeps a Raft majority. The CDN's
// per-region promise (one cache node out) is not a budget rule: a rule of one region's
// nodes would also forbid that region going down (a down fault on a region takes every
// member under it down) and a rule across regions would forbid partitions between
// regions (their nodes then do not reach each other) — both the multi-active cases the
// other engines' surfaces draw, and ones the CDN survives. cdn.single-failure-no-loss
// tracks per region which outages are in force instead.
engine::FaultSurface CdnEngineFactory::faultSurface(const EngineSettings& settings, const sim::World& world) const
{
    engine::FaultSurface out;
    if (!dynamic_cast<const CdnSettings*>(&settings))
        return out;
    std::vector<std::string> control;
    for (const sim::ComponentInfo& c : world.components().all()) {
        if (c.id == sim::kNoComponent)
            continue;
        if (c.kind == "cdn-cache") {
            out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_DOWN, v1::FAULT_SLOW_DISK, v1::FAULT_PARTITION}});
        } else if (c.kind == "cdn-gateway") {
            out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_DOWN, v1::FAULT_PARTITION}});
        } else if (c.kind == "cdn-control") {
            out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_PARTITION}});
        } else if (c.kind == "raft-node" && c.path.find("/infra/cdn-control/") != std::string::npos) {
            control.push_back(c.path);
            out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_DOWN}});
        }
    }
    if (control.size() >= 3)
        out.budget.push_back(engine::raftMajorityRule(
            "cdn control KV: a Raft majority", control,
            "the routing table commits with a Raft majority; gateways keep their last table meanwhile"));
    return out;
}

void figureValue(v1::FigureValue& v, const char* drill, const char* metric, const char* stat, const char* from)
{
    v.set_drill(drill);
    v.set_metric(metric);
    v.set_type(v1::METRIC_TYPE_GAUGE);
    v.set_stat(stat);
    v.set_from(from);
}

v1::EngineDescriptor CdnEngineFactory::describe() const
{
    v1::EngineDescriptor d = EngineFactory::describe();
    d.set_title("Edge CDN");
    for (v1::MetricDescriptor& m : *d.mutable_metrics())
        m.set_role(engine::roleFromName(m.name(), m.type()));

    using engine::TileSpec;
    engine::addTile(d, TileSpec{"cdn.request-p99", "Request time p99", "cdn.request_p99_ms", v1::METRIC_TYPE_GAUGE,
                                v1::AGGREGATE_MAX, "ms", 1.0, false, 1000.0, 3000.0, "p99 of client range requests", 0, {}});
    engine::addTile(d, TileSpec{"cdn.hit-ratio", "Hit ratio", "cdn.hit_ratio", v1::METRIC_TYPE_GAUGE, v1::AGGREGATE_MAX, "%",
                                100.0, true, 60.0, 30.0, "slice lookups served from cache", 1, {}});
    engine::addTile(d, TileSpec{"cdn.origin-offload", "Origin offload", "cdn.origin_offload", v1::METRIC_TYPE_GAUGE,
                                v1::AGGREGATE_MAX, "%", 100.0, true, 60.0, 30.0, "client bytes not fetched from the origin", 1, {}});
    engine::addTile(d, TileSpec{"cdn.recovering", "Recovering nodes", "cdn.recovering_nodes", v1::METRIC_TYPE_GAUGE,
                                v1::AGGREGATE_MAX, "", 1.0, false, 0.0, 1.0, "cache nodes down or ejected", 0, {}});

    engine::addChart(d, "throughput", {"cdn.requests", "cdn.bytes.delivered"});
    engine::addChart(d, "errors", {"cdn.requests.failed", "cdn.error_share"});
    engine::addChart(d, "latency", {"cdn.request.latency", "cdn.request_p99_ms"});
    engine::addChart(d, "saturation", {"cdn.peak_mean_load", "cdn.origin_fetches"});

    d.clear_load_profiles();
    const char* what[] = {"a VOD evening: Zipf ranges over the catalogue, some live (docs/CDN.md)",
                          "the gala's live flash crowd: one stream's share ramps up",
                          "a hot VOD release: many clients ask for one new object at once"};
    int i = 0;
    for (CdnProfile p : {CdnProfile::VodEvening, CdnProfile::Gala, CdnProfile::HotRelease}) {
        v1::LoadProfileDescriptor& lp = *d.add_load_profiles();
        lp.set_name(toString(p));
        lp.set_description(what[i++]);
        const CdnLoad l = CdnLoad::forProfile(p);
        engine::addParam(lp, "requests_per_sec", l.realRequestsPerSec, 1e12, "1/s", "real client requests per second, all regions");
        engine::addParam(lp, "live_share", l.liveShare, 1.0, "ratio", "share of requests for live segments");
        engine::addParam(lp, "hot_share", l.hotShare, 1.0, "ratio", "the release's share of VOD / the gala's share of live");
        engine::addDurationParam(lp, "ramp", l.ramp, "the gala stream's ramp");
        engine::addParam(lp, "range_min_mib", l.rangeMinMiB, 4096.0, "MiB", "smallest VOD range", 0.001);
        engine::addParam(lp, "range_max_mib", l.rangeMaxMiB, 4096.0, "MiB", "largest VOD range", 0.001);
        engine::addParam(lp, "cold_share", l.coldShare, 1.0, "ratio", "share of VOD requests for never-seen objects");
    }

    engine::addAction(d, "eject-node", "take a cache node out of the routing table", v1::ACTION_TARGET_COMPONENT,
                      "a cache node, e.g. sh-a/cdn/cache-3");
    engine::addAction(d, "restore-node", "put an ejected cache node back", v1::ACTION_TARGET_COMPONENT, "a cache node");
    engine::setActionValue(engine::addAction(d, "preheat", "warm caches for an object or widen a stream's slot",
                                             v1::ACTION_TARGET_TEXT, "vod:<object> or live:<stream>"),
                           "expected_load", "1/s", 0.0, 0.0, 1e12);
    engine::addAction(d, "drain-region", "send a region's clients to the next region's cluster", v1::ACTION_TARGET_REGION,
                      "a CDN region");
    engine::addAction(d, "restore", "a drained region serves its clients again", v1::ACTION_TARGET_REGION, "a drained region");

    engine::addComponentKind(d, "cdn-cache", "a cache node: disks, eviction, collapsed forwarding", {"hits", "misses"});
    engine::addComponentKind(d, "cdn-gateway", "an L7 gateway: slice module and routing table copy", {});
    engine::addComponentKind(d, "cdn-l4", "a region's L4 balancer (Maglev + connection table)", {});
    engine::addComponentKind(d, "cdn-control", "a region's control: health checks, ejections, routing table", {});
    engine::addComponentKind(d, "cdn-back-origin", "connections to the origin", {});
    engine::addComponentKind(d, "cdn-scheduler", "legacy: the central scheduler behind DNS", {});

    {
        v1::FigureDescriptor& f = *d.add_figures();
        f.set_id("cdn.slice-prefetch");
        f.set_description("mean request time of cold 8–16 MiB ranges at ~60 ms origin RTT, window 2 ÷ window 1, "
                          "same mode and seed (the write-up: about 40 % less)");
        figureValue(*f.mutable_a(), "cdn-prefetch-window-1", "cdn.request_mean_ms", "mean", "2s");
        figureValue(*f.mutable_b(), "cdn-prefetch-window-2", "cdn.request_mean_ms", "mean", "2s");
        f.set_check(v1::FIGURE_CHECK_RATIO);
        f.set_ratio_min(0.5);
        f.set_ratio_max(0.7);
        f.set_writeup_value("~40 % less");
        f.set_writeup_ratio(0.6);
        *f.mutable_quick_a() = f.a();
        *f.mutable_quick_b() = f.b();
    }
    {
        v1::FigureDescriptor& f = *d.add_figures();
        f.set_id("cdn.fault-recovery");
        f.set_description("p99 time until a failed cache node's clients are served again, legacy ÷ new (legacy "
                          "15–25 min, new ≤ 10 s: a ratio of at least 90)");
        figureValue(*f.mutable_a(), "cdn-cache-node-down", "cdn.recovery_p99_s", "last", "");
        figureValue(*f.mutable_b(), "cdn-recovery-legacy", "cdn.recovery_p99_s", "last", "");
        f.set_check(v1::FIGURE_CHECK_RATIO);
        f.set_ratio_min(90.0);
        f.set_ratio_max(1500.0);
        f.set_writeup_value("up to 20 min → seconds");
        *f.mutable_quick_a() = f.a();
        *f.mutable_quick_b() = f.b();
    }
    struct Util {
        const char* id;
        const char* metric;
        bool higher;
        const char* what;
    };
    for (const Util& u : {Util{"cdn.utilisation.peak-mean", "cdn.peak_mean_load", false, "peak ÷ mean cache node load"},
                          Util{"cdn.utilisation.byte-hit", "cdn.byte_hit_ratio", true, "byte hit ratio"},
                          Util{"cdn.utilisation.origin-offload", "cdn.origin_offload", true, "origin offload"}}) {
        v1::FigureDescriptor& f = *d.add_figures();
        f.set_id(u.id);
        f.set_description(sim::strCat(u.what, ", legacy (a) vs new (b), same load and seed: new better (the write-up: "
                                         "low utilisation before)"));
        figureValue(*f.mutable_a(), "cdn-utilisation-legacy", u.metric, "mean", "2s");
        figureValue(*f.mutable_b(), "cdn-utilisation-new", u.metric, "mean", "2s");
        f.set_check(v1::FIGURE_CHECK_DIRECTION);
        f.set_higher_is_better(u.higher);
        f.set_writeup_value("low utilisation → better");
        *f.mutable_quick_a() = f.a();
        *f.mutable_quick_b() = f.b();
    }
    return d;
}

} // namespace

std::shared_ptr<const EngineFactory> makeCdnEngineFactory()
{
    return std::make_shared<CdnEngineFactory>();
}

} // namespace livedeck::cdn

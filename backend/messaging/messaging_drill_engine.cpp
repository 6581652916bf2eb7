#include "backend/messaging/messaging_drill_engine.h"

#include "backend/engine/descriptor.h"
#include "backend/engine/yaml_reader.h"
#include "backend/messaging/messaging_engine.h"
#include "backend/sim/strings.h"

#include <algorithm>

namespace livedeck::messaging {
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

struct MessagingAction {
    sim::Nanos at = 0;
    enum class Kind { LoseSequenceCache, FlushCaches } kind = Kind::LoseSequenceCache;
};

struct MessagingSettings final : EngineSettings {
    MessagingConfig config;
    sim::Nanos stopLoadAt = sim::kNever;
    std::vector<MessagingAction> actions;
};

struct MessagingLoad final : EngineSettings {
    double sendsPerSec = 0.0;
    double queriesPerSec = 0.0;
};

struct SabotageSwitch {
    std::string_view name;
    bool MessagingSabotage::*field;
};
constexpr SabotageSwitch kSabotage[] = {
    {"no-taishan-tier", &MessagingSabotage::noTaishanTier},
    {"seq-reload-from-persisted", &MessagingSabotage::seqReloadFromPersisted},
};

const char* const kGauges[] = {"messaging.drill.query_mean_ms", "messaging.drill.query_p99_ms",
                               "messaging.drill.redis_hit_ratio"};

// ------------------------------------------------------------------ the engine in a drill

class MessagingDrillEngine final : public Engine {
public:
    MessagingDrillEngine(sim::World& world, telemetry::Telemetry& telemetry, const MessagingSettings& settings,
                         std::unique_ptr<MessagingEngine> engine)
        : m_world(world),
          m_settings(settings),
          m_engine(std::move(engine)),
          m_tickKind(world.kind("messaging.drill.gauges")),
          m_actionKind(world.kind("messaging.drill.action"))
    {
        for (const char* g : kGauges)
            m_gauges.push_back(&telemetry.metrics().gauge(g, "messaging"));
    }
    ~MessagingDrillEngine() override { m_engine.reset(); }

    void start() override
    {
        for (std::size_t i = 0; i < m_settings.actions.size(); ++i) {
            m_world.at(m_settings.actions[i].at, m_actionKind, m_engine->component(), [this, i] {
                if (m_settings.actions[i].kind == MessagingAction::Kind::LoseSequenceCache)
                    m_engine->loseSequenceCache();
                else
                    m_engine->flushCaches();
            });
        }
        if (m_settings.stopLoadAt != sim::kNever)
            m_world.at(m_settings.stopLoadAt, m_actionKind, m_engine->component(), [this] { m_engine->stopLoad(); });
        m_engine->start();
        m_world.after(sim::kSecond, m_tickKind, m_engine->component(), [this] { tick(); });
    }

    absl::Status applyLoad(const LoadRequest& phase) override
    {
        const auto* load = dynamic_cast<const MessagingLoad*>(phase.params.get());
        if (load)
            m_engine->setRates(load->sendsPerSec, load->queriesPerSec);
        m_engine->setLoadMultiplier(phase.multiplier);
        return absl::OkStatus();
    }

    absl::Status setLoad(const std::string& profile, double multiplier) override
    {
        if (!profile.empty() && profile != "evening")
            return absl::InvalidArgumentError(sim::strCat("messaging: no load profile '", profile, "' (evening)"));
        if (multiplier > 0.0)
            m_engine->setLoadMultiplier(multiplier);
        return absl::OkStatus();
    }

    void checkInvariants(std::vector<InvariantCheck>& out) override
    {
        for (const auto& s : m_engine->invariantStatus())
            out.push_back(InvariantCheck{s.name, s.passed, s.detail});
    }

    void finalInvariants(std::vector<InvariantCheck>& out) override
    {
        for (const auto& s : m_engine->finalInvariants())
            out.push_back(InvariantCheck{s.name, s.passed, s.detail});
    }

private:
    void tick()
    {
        // Over the last second: the queries answered in it.
        const telemetry::Histogram& h = m_engine->queryLatency();
        const double count = h.count() - m_lastCount;
        const double sum = h.sum() - m_lastSum;
        m_gauges[0]->set(count > 0.0 ? sum / count / 1e6 : 0.0);
        m_gauges[1]->set(m_engine->secondP99Ms());
        const auto& t = m_engine->totals();
        const double hits = t.redisHits - m_lastHits;
        const double lookups = hits + (t.redisMisses - m_lastMisses);
        m_gauges[2]->set(lookups > 0.0 ? hits / lookups : 0.0);
        m_lastCount = h.count();
        m_lastSum = h.sum();
        m_lastHits = t.redisHits;
        m_lastMisses = t.redisMisses;
        m_world.after(sim::kSecond, m_tickKind, m_engine->component(), [this] { tick(); });
    }

    sim::World& m_world;
    const MessagingSettings& m_settings;
    std::unique_ptr<MessagingEngine> m_engine;
    sim::EventKindId m_tickKind;
    sim::EventKindId m_actionKind;
    std::vector<telemetry::Gauge*> m_gauges;
    double m_lastCount = 0.0, m_lastSum = 0.0, m_lastHits = 0.0, m_lastMisses = 0.0;
};

// ------------------------------------------------------------------ the factory

struct Probe {
    std::vector<MetricOffer> metrics;
    std::vector<InvariantOffer> invariants;
};

// What one small engine registers: the metric and invariant names a drill may use.
const Probe& probe()
{
    static const Probe p = [] {
        Probe out;
        sim::World world;
        telemetry::Telemetry telemetry(world);
        MessagingConfig c;
        c.dataScale = 0.005;
        c.mode = MessagingMode::Upgraded;
        auto engine = MessagingEngine::create(world, telemetry, c);
        if (!engine.ok())
            return out;
        out.metrics = engine::registeredMetrics(telemetry.metrics(), "messaging engine metric");
        for (const char* g : kGauges)
            out.metrics.push_back(MetricOffer{g, telemetry::MetricKind::Gauge, "", "messaging drill gauge (docs/DRILLS.md)"});
        for (const auto& s : (*engine)->invariantStatus())
            out.invariants.push_back(InvariantOffer{s.name, s.detail});
        engine->reset();
        return out;
    }();
    return p;
}

class MessagingEngineFactory final : public EngineFactory {
public:
    std::string_view name() const override { return "messaging"; }
    std::string_view description() const override
    {
        return "private messaging: one-to-one sends by write diffusion and conversation lists through Redis, Taishan "
               "and MySQL, legacy or upgraded (docs/MESSAGING.md)";
    }
    std::vector<MetricOffer> metrics() const override { return probe().metrics; }
    std::vector<InvariantOffer> invariants() const override { return probe().invariants; }
    std::vector<std::string> loadProfiles() const override { return {"evening"}; }

    std::shared_ptr<const EngineSettings> parseSettings(const YAML::Node& node) const override
    {
        auto s = std::make_shared<MessagingSettings>();
        const YamlMap m(node, "engines.messaging",
                        {"mode", "scale", "data_scale", "sends_per_sec", "queries_per_sec", "load_start", "stop_load_at",
                         "page_cache_pages", "legacy_ttl", "prewarm_share", "sabotage", "actions"});
        MessagingConfig& c = s->config;
        if (m.has("mode")) {
            const std::string t = scalarText(m.get("mode"), "engines.messaging.mode");
            if (t == "legacy")
                c.mode = MessagingMode::Legacy;
            else if (t == "upgraded")
                c.mode = MessagingMode::Upgraded;
            else
                fail(m.get("mode"), sim::strCat("engines.messaging.mode: expected legacy or upgraded, got '", t, "'"));
        }
        c.scale = m.number("scale", 1.0, 0.001, 100.0);
        c.dataScale = m.number("data_scale", c.dataScale, 0.001, 10.0);
        c.sendsPerSec = m.number("sends_per_sec", c.sendsPerSec, 0.0, 1e9);
        c.queriesPerSec = m.number("queries_per_sec", c.queriesPerSec, 0.0, 1e9);
        c.loadStart = m.duration("load_start", c.loadStart, 0, kMaxDuration);
        c.pageCachePages = m.integer("page_cache_pages", c.pageCachePages, 1, 100'000'000);
        c.legacyTtl = m.duration("legacy_ttl", c.legacyTtl, sim::kMillisecond, kMaxDuration);
        c.prewarmShare = m.number("prewarm_share", c.prewarmShare, 0.0, 1.0);
        s->stopLoadAt = m.duration("stop_load_at", sim::kNever, 0, kMaxDuration);
        for (const YAML::Node& n : listOf(m.get("sabotage"), "engines.messaging.sabotage")) {
            const std::string name = scalarText(n, "engines.messaging.sabotage");
            const SabotageSwitch* sw = nullptr;
            for (const SabotageSwitch& candidate : kSabotage) {
                if (candidate.name == name)
                    sw = &candidate;
            }
            if (!sw)
                fail(n, sim::strCat("engines.messaging.sabotage: unknown switch '", name,
                                    "': expected some of no-taishan-tier, seq-reload-from-persisted"));
            c.sabotage.*(sw->field) = true;
        }
        if (m.has("actions")) {
            const YAML::Node list = m.get("actions");
            if (!list.IsSequence())
                fail(list, "engines.messaging.actions: expected a list of {at, <action>: true} entries");
            for (const YAML::Node& item : list) {
                const YamlMap a(item, "engines.messaging.actions entry", {"at", "lose_sequence_cache", "flush_caches"});
                MessagingAction action;
                action.at = durationValue(a.require("at"), "engines.messaging.actions.at", 0, kMaxDuration);
                if (a.has("lose_sequence_cache") == a.has("flush_caches"))
                    fail(item, "engines.messaging.actions: each entry takes one of lose_sequence_cache or flush_caches");
                const char* key = a.has("lose_sequence_cache") ? "lose_sequence_cache" : "flush_caches";
                if (!a.boolean(key, true))
                    fail(a.get(key), sim::strCat("engines.messaging.actions.", key, ": only 'true' makes sense"));
                action.kind = a.has("flush_caches") ? MessagingAction::Kind::FlushCaches
                                                    : MessagingAction::Kind::LoseSequenceCache;
                s->actions.push_back(action);
            }
        }
        return s;
    }

    std::shared_ptr<const EngineSettings> parseLoad(const std::string& profile, const YAML::Node& params) const override
    {
        (void)profile;
        auto l = std::make_shared<MessagingLoad>();
        const YamlMap m(params, "load.params", {"sends_per_sec", "queries_per_sec"});
        const MessagingConfig defaults;
        l->sendsPerSec = m.number("sends_per_sec", defaults.sendsPerSec, 0.0, 1e9);
        l->queriesPerSec = m.number("queries_per_sec", defaults.queriesPerSec, 0.0, 1e9);
        return l;
    }

    v1::EngineDescriptor describe() const override;

    absl::StatusOr<std::unique_ptr<Engine>> build(EngineContext& context, const EngineSettings& settings) const override
    {
        const auto* s = dynamic_cast<const MessagingSettings*>(&settings);
        if (!s)
            return absl::InvalidArgumentError("engine messaging: settings of another engine");
        auto engine = MessagingEngine::create(context.world, context.telemetry, s->config);
        if (!engine.ok())
            return engine.status();
        return std::unique_ptr<Engine>(
            std::make_unique<MessagingDrillEngine>(context.world, context.telemetry, *s, std::move(*engine)));
    }
};

v1::EngineDescriptor MessagingEngineFactory::describe() const
{
    v1::EngineDescriptor d = EngineFactory::describe();
    d.set_title("Private messaging");
    for (v1::MetricDescriptor& m : *d.mutable_metrics())
        m.set_role(engine::roleFromName(m.name(), m.type()));

    using engine::TileSpec;
    engine::addTile(d, TileSpec{"messaging.query-p99", "Conversation query p99", "messaging.query.latency",
                                v1::METRIC_TYPE_HISTOGRAM_P99, v1::AGGREGATE_MAX, "ms", 1.0, false, 50.0, 200.0,
                                "p99 of the conversation list", 1, {}});
    engine::addTile(d, TileSpec{"messaging.sends", "Sends", "messaging.sends", v1::METRIC_TYPE_COUNTER, v1::AGGREGATE_SUM,
                                "/s", 1.0, true, 0.0, 0.0, "one-to-one, acknowledged", 0, {}});
    engine::addTile(d, TileSpec{"messaging.errors", "Errors", "messaging.errors", v1::METRIC_TYPE_COUNTER,
                                v1::AGGREGATE_RATIO, "%", 100.0, false, 0.01, 1.0, "of queries", 3, "messaging.queries"});

    engine::addChart(d, "throughput", {"messaging.sends", "messaging.queries"});
    engine::addChart(d, "errors", {"messaging.errors"});
    engine::addChart(d, "latency", {"messaging.query.latency", "messaging.send.latency"});

    d.clear_load_profiles();
    {
        v1::LoadProfileDescriptor& p = *d.add_load_profiles();
        p.set_name("evening");
        p.set_description("steady evening traffic: one-to-one sends and conversation-list queries (docs/MESSAGING.md)");
        const MessagingConfig c;
        engine::addParam(p, "sends_per_sec", c.sendsPerSec, 1e9, "1/s", "real one-to-one sends per second");
        engine::addParam(p, "queries_per_sec", c.queriesPerSec, 1e9, "1/s", "real conversation-list queries per second");
    }

    v1::FigureDescriptor& f = *d.add_figures();
    f.set_id("messaging.query-latency");
    f.set_description("mean conversation-list query latency, legacy ÷ upgraded, at the same seed (the write-up: ×10)");
    // b ÷ a is the figure: a the upgraded drill, b the legacy one.
    auto value = [](v1::FigureValue& v, const char* drill) {
        v.set_drill(drill);
        v.set_metric("messaging.drill.query_mean_ms");
        v.set_type(v1::METRIC_TYPE_GAUGE);
        v.set_stat("mean");
        v.set_from("3s");
    };
    value(*f.mutable_a(), "messaging-query-upgraded");
    value(*f.mutable_b(), "messaging-query-legacy");
    f.set_check(v1::FIGURE_CHECK_RATIO);
    f.set_ratio_min(7.5);
    f.set_ratio_max(12.5);
    f.set_writeup_value("×10");
    f.set_writeup_ratio(10.0);
    *f.mutable_quick_a() = f.a();
    *f.mutable_quick_b() = f.b();
    return d;
}

} // namespace

std::shared_ptr<const EngineFactory> makeMessagingEngineFactory()
{
    return std::make_shared<MessagingEngineFactory>();
}

} // namespace livedeck::messaging

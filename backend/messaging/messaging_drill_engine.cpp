#include "backend/messaging/messaging_drill_engine.h"

#include "backend/engine/descriptor.h"
#include "backend/engine/yaml_reader.h"
#include "backend/gala/gala.h"
#include "backend/infra/sql_instance.h"
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
    enum class Kind {
        LoseSequenceCache,
        FlushCaches,
        PauseCampaign,
        ResumeCampaign,
        ClockBack,
        DoubleUpdate,
        StartCampaign,
    } kind = Kind::LoseSequenceCache;
    double value = 0.0;
};

// The timed actions a drill may list: key → kind; `valued` ones take a number.
struct ActionKey {
    std::string_view key;
    MessagingAction::Kind kind;
    bool valued;
};
constexpr ActionKey kActionKeys[] = {
    {"lose_sequence_cache", MessagingAction::Kind::LoseSequenceCache, false},
    {"flush_caches", MessagingAction::Kind::FlushCaches, false},
    {"pause_campaign", MessagingAction::Kind::PauseCampaign, false},
    {"resume_campaign", MessagingAction::Kind::ResumeCampaign, false},
    {"clock_back_ms", MessagingAction::Kind::ClockBack, true},
    {"double_update", MessagingAction::Kind::DoubleUpdate, true},
    {"start_campaign", MessagingAction::Kind::StartCampaign, true},
};

// `gala:` (docs/GALA.md): the couplings of a gala run.
struct MessagingGala {
    MessagingCoupling coupling;       // `shared` is set at build
    bool followAudience = false;      // rates follow the run's audience; the countdown's burst
    double countdownCampaignUsers = 10e6; // the "Happy New Year" campaign at the countdown
};

struct MessagingSettings final : EngineSettings {
    MessagingConfig config;
    sim::Nanos stopLoadAt = sim::kNever;
    std::vector<MessagingAction> actions;
    MessagingGala gala;
};

struct MessagingLoad final : EngineSettings {
    std::string profile;
    double sendsPerSec = 0.0;
    double queriesPerSec = 0.0;
    double groupSendsPerSec = 0.0;
    double highPriorityPerSec = 0.0;
    double campaignUsers = 0.0;
    double hotReceiverShare = 0.0;
    double noticesPerSec = 0.0;
};

void readChannel(const YamlMap& m, std::string_view key, BulkChannelConfig& c)
{
    if (!m.has(key))
        return;
    const YamlMap ch(m.get(key), sim::strCat("engines.messaging.channels.", key),
                     {"partitions", "consumers", "workers"});
    c.partitions = static_cast<int>(ch.integer("partitions", c.partitions, 1, 1024));
    c.consumers = static_cast<int>(ch.integer("consumers", c.consumers, 1, 1024));
    c.workers = static_cast<int>(ch.integer("workers", c.workers, 1, 1024));
}

struct SabotageSwitch {
    std::string_view name;
    bool MessagingSabotage::*field;
};
constexpr SabotageSwitch kSabotage[] = {
    {"no-taishan-tier", &MessagingSabotage::noTaishanTier},
    {"seq-reload-from-persisted", &MessagingSabotage::seqReloadFromPersisted},
    {"one-shared-channel", &MessagingSabotage::oneSharedChannel},
    {"plain-set-sync", &MessagingSabotage::plainSetSync},
    {"mtime-version", &MessagingSabotage::mtimeVersion},
    {"no-hedge", &MessagingSabotage::noHedge},
    {"no-client-cache", &MessagingSabotage::noClientCache},
    {"no-dead-letter", &MessagingSabotage::noDeadLetter},
    {"snowflake-ignores-clock", &MessagingSabotage::snowflakeIgnoresClock},
    {"no-read-your-writes", &MessagingSabotage::noReadYourWrites},
    {"shared-bff", &MessagingSabotage::sharedBff},
    {"no-region-failover", &MessagingSabotage::noRegionFailover},
    {"no-replicas", &MessagingSabotage::noReplicas},
    {"no-covering-index", &MessagingSabotage::noCoveringIndex},
    {"no-stored-counters", &MessagingSabotage::noStoredCounters},
};

// Drill gauges, set every simulated second from the last completed second.
struct GaugeSpec {
    const char* name;
    double (*read)(const MessagingEngine& e, double queryMeanMs, double redisHitRatio);
};
const GaugeSpec kGauges[] = {
    {"messaging.drill.query_mean_ms", [](const MessagingEngine&, double mean, double) { return mean; }},
    {"messaging.drill.query_p99_ms", [](const MessagingEngine& e, double, double) { return e.secondP99Ms(); }},
    {"messaging.drill.redis_hit_ratio", [](const MessagingEngine&, double, double hits) { return hits; }},
    {"messaging.drill.bulk_users_per_sec", [](const MessagingEngine& e, double, double) { return e.lastSecond().bulkUsersPerSec; }},
    {"messaging.drill.bulk_work_ms", [](const MessagingEngine& e, double, double) { return e.lastSecond().bulkWorkMs; }},
    {"messaging.drill.bulk_parallelism", [](const MessagingEngine& e, double, double) { return e.bulkParallelism(false); }},
    {"messaging.drill.bulk_backlog", [](const MessagingEngine& e, double, double) { return e.bulkBacklog(); }},
    {"messaging.drill.high_p99_ms", [](const MessagingEngine& e, double, double) { return e.lastSecond().highP99Ms; }},
    {"messaging.drill.high_per_sec", [](const MessagingEngine& e, double, double) { return e.lastSecond().highUsersPerSec; }},
    {"messaging.drill.dead_lettered", [](const MessagingEngine& e, double, double) { return e.totals().deadLettered; }},
    {"messaging.drill.sync_records_per_sec", [](const MessagingEngine& e, double, double) { return e.lastSecond().syncRecordsPerSec; }},
    {"messaging.drill.sync_lag_p99_ms", [](const MessagingEngine& e, double, double) { return e.lastSecond().syncLagP99Ms; }},
    {"messaging.drill.replica_delay_p99_ms", [](const MessagingEngine& e, double, double) { return e.lastSecond().replicaDelayP99Ms; }},
    {"messaging.drill.content_rows_per_table", [](const MessagingEngine& e, double, double) { return e.contentRowsPerTable(); }},
    {"messaging.drill.content_max_over_mean", [](const MessagingEngine& e, double, double) { return e.contentMaxOverMean(); }},
    {"messaging.drill.group_pushes_per_sec", [](const MessagingEngine& e, double, double) { return e.lastSecond().groupPushesPerSec; }},
    {"messaging.drill.blank_pages", [](const MessagingEngine& e, double, double) { return e.totals().blankPages; }},
    {"messaging.drill.cached_summaries", [](const MessagingEngine& e, double, double) { return e.totals().cachedSummaries; }},
    {"messaging.drill.sync_refused", [](const MessagingEngine& e, double, double) { return e.totals().syncRefused; }},
    {"messaging.drill.mysql_read_share", [](const MessagingEngine& e, double, double) { return e.lastSecond().mysqlReadShare; }},
    {"messaging.drill.hedges", [](const MessagingEngine& e, double, double) { return e.totals().hedges; }},
    {"messaging.drill.send_errors", [](const MessagingEngine& e, double, double) { return e.totals().sendFailures; }},
    {"messaging.drill.mysql_replica_share", [](const MessagingEngine& e, double, double) { return e.lastSecond().mysqlReplicaShare; }},
    {"messaging.drill.ryw_primary_reads", [](const MessagingEngine& e, double, double) { return e.totals().rywPrimary; }},
    {"messaging.drill.ryw_missed_details", [](const MessagingEngine& e, double, double) { return e.totals().rywMissedDetails; }},
    {"messaging.drill.notice_requests_per_sec", [](const MessagingEngine& e, double, double) { return e.lastSecond().noticeRequestsPerSec; }},
    {"messaging.drill.notice_requests_p99_ms", [](const MessagingEngine& e, double, double) { return e.lastSecond().noticeP99Ms; }},
    {"messaging.drill.notice_requests_shed", [](const MessagingEngine& e, double, double) { return e.totals().noticeShed; }},
    {"messaging.drill.chat_shed", [](const MessagingEngine& e, double, double) { return e.totals().chatShed; }},
    {"messaging.drill.query_availability", [](const MessagingEngine& e, double, double) { return e.lastSecond().queryAvailability; }},
    {"messaging.drill.region_failovers", [](const MessagingEngine& e, double, double) { return e.totals().failovers; }},
};
// Interaction notifications of settled gifts (docs/GALA.md): registered only in a run that
// delivers them, so an engine alone rolls up (and hashes) exactly the series it always did.
const GaugeSpec kNoticeGauges[] = {
    {"messaging.drill.notices_delivered", [](const MessagingEngine& e, double, double) { return e.noticeStats().delivered; }},
    {"messaging.drill.notices_pending", [](const MessagingEngine& e, double, double) { return static_cast<double>(e.noticesPending()); }},
    {"messaging.drill.notice_p99_ms", [](const MessagingEngine& e, double, double) { return e.noticeStats().latency.count() > 0 ? e.noticeStats().latency.quantile(0.99) / 1e6 : 0.0; }},
};

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
        for (const GaugeSpec& g : kGauges)
            m_gauges.push_back(&telemetry.metrics().gauge(g.name, "messaging"));
        if (m_engine->coupling().giftNotices) {
            for (const GaugeSpec& g : kNoticeGauges)
                m_noticeGauges.push_back(&telemetry.metrics().gauge(g.name, "messaging"));
        }
    }
    ~MessagingDrillEngine() override { m_engine.reset(); }

    void start() override
    {
        for (std::size_t i = 0; i < m_settings.actions.size(); ++i) {
            m_world.at(m_settings.actions[i].at, m_actionKind, m_engine->component(), [this, i] {
                const MessagingAction& a = m_settings.actions[i];
                switch (a.kind) {
                case MessagingAction::Kind::LoseSequenceCache: m_engine->loseSequenceCache(); break;
                case MessagingAction::Kind::FlushCaches: m_engine->flushCaches(); break;
                case MessagingAction::Kind::PauseCampaign: m_engine->pauseCampaign(); break;
                case MessagingAction::Kind::ResumeCampaign: m_engine->resumeCampaign(); break;
                case MessagingAction::Kind::ClockBack: m_engine->setClockOffsetMs(static_cast<std::int64_t>(a.value)); break;
                case MessagingAction::Kind::DoubleUpdate: m_engine->doubleUpdate(static_cast<int>(a.value)); break;
                case MessagingAction::Kind::StartCampaign: m_engine->startCampaign(a.value); break;
                }
            });
        }
        if (m_settings.stopLoadAt != sim::kNever)
            m_world.at(m_settings.stopLoadAt, m_actionKind, m_engine->component(), [this] { m_engine->stopLoad(); });
        if (m_audience)
            m_audience->listen("messaging", [this](const gala::Audience::Reading& r) { followAudience(r); });
        m_engine->start();
        m_world.after(sim::kSecond, m_tickKind, m_engine->component(), [this] { tick(); });
    }

    void setAudience(gala::Audience* audience) { m_audience = audience; }

    absl::Status applyLoad(const LoadRequest& phase) override
    {
        m_phaseMultiplier = phase.multiplier; // × the audience's ratio when following it
        const auto* load = dynamic_cast<const MessagingLoad*>(phase.params.get());
        if (load) {
            m_engine->setRates(load->sendsPerSec, load->queriesPerSec);
            m_engine->setExtraRates(load->groupSendsPerSec, load->highPriorityPerSec, load->hotReceiverShare);
            m_engine->setNoticeRate(load->noticesPerSec);
            if (load->campaignUsers > 0.0)
                m_engine->startCampaign(load->campaignUsers);
        }
        m_engine->setLoadMultiplier(phase.multiplier * (m_audience ? m_audienceRatio : 1.0));
        return absl::OkStatus();
    }

    absl::Status setLoad(const std::string& profile, double multiplier) override
    {
        if (!profile.empty() && profile != "evening" && profile != "countdown" && profile != "hot-creator"
            && profile != "notice-storm")
            return absl::InvalidArgumentError(
                sim::strCat("messaging: no load profile '", profile, "' (evening, countdown, hot-creator, notice-storm)"));
        if (multiplier > 0.0)
            m_engine->setLoadMultiplier(multiplier);
        return absl::OkStatus();
    }

    absl::Status applyAction(const ActionRequest& a) override
    {
        if (a.action == "pause-campaign") {
            m_engine->pauseCampaign();
            return absl::OkStatus();
        }
        if (a.action == "resume-campaign") {
            m_engine->resumeCampaign();
            return absl::OkStatus();
        }
        if (a.action == "prewarm-user") {
            const double user = a.value > 0.0 || a.target.empty() ? a.value : std::strtod(a.target.c_str(), nullptr);
            if (user < 0.0)
                return absl::InvalidArgumentError("prewarm-user: the user id is >= 0");
            return m_engine->prewarmUser(static_cast<std::uint32_t>(user));
        }
        if (a.action == "flush-region-cache")
            return m_engine->flushRegion(a.target);
        if (a.action == "drain-region")
            return m_engine->drainRegion(a.target);
        if (a.action == "restore")
            return m_engine->restoreRegion(a.target);
        return Engine::applyAction(a);
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
    // The run's audience (docs/GALA.md): the rates scale with the gala's viewers; inside
    // the countdown window the greetings triple, group chat and high-priority
    // notifications surge, and the "Happy New Year" campaign starts (once).
    void followAudience(const gala::Audience::Reading& r)
    {
        m_audienceRatio = r.ratio();
        m_engine->setLoadMultiplier(m_phaseMultiplier * m_audienceRatio);
        const bool in = r.inCountdown();
        if (in == m_inCountdown)
            return;
        m_inCountdown = in;
        const MessagingConfig defaults;
        if (in) {
            m_engine->setRates(3 * defaults.sendsPerSec, defaults.queriesPerSec);
            m_engine->setExtraRates(10'000.0, 2'000.0, 0.0);
            if (!m_campaignStarted && m_settings.gala.countdownCampaignUsers > 0.0) {
                m_campaignStarted = true;
                m_engine->startCampaign(m_settings.gala.countdownCampaignUsers);
            }
        } else {
            m_engine->setRates(defaults.sendsPerSec, defaults.queriesPerSec);
            m_engine->setExtraRates(defaults.groupSendsPerSec, 0.0, 0.0);
        }
    }

    void tick()
    {
        // Over the last second: the queries answered in it.
        const telemetry::Histogram& h = m_engine->queryLatency();
        const double count = h.count() - m_lastCount;
        const double sum = h.sum() - m_lastSum;
        const auto& t = m_engine->totals();
        const double hits = t.redisHits - m_lastHits;
        const double lookups = hits + (t.redisMisses - m_lastMisses);
        const double mean = count > 0.0 ? sum / count / 1e6 : 0.0;
        const double ratio = lookups > 0.0 ? hits / lookups : 0.0;
        for (std::size_t i = 0; i < m_gauges.size(); ++i)
            m_gauges[i]->set(kGauges[i].read(*m_engine, mean, ratio));
        for (std::size_t i = 0; i < m_noticeGauges.size(); ++i)
            m_noticeGauges[i]->set(kNoticeGauges[i].read(*m_engine, mean, ratio));
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
    std::vector<telemetry::Gauge*> m_noticeGauges;
    gala::Audience* m_audience = nullptr;
    double m_phaseMultiplier = 1.0;
    double m_audienceRatio = 1.0;
    bool m_inCountdown = false;
    bool m_campaignStarted = false;
    double m_lastCount = 0.0, m_lastSum = 0.0, m_lastHits = 0.0, m_lastMisses = 0.0;
};

// ------------------------------------------------------------------ the factory

// What one small engine registers: the metric and invariant names a drill may use.
const engine::EngineOffers& probe()
{
    static const engine::EngineOffers p = [] {
        engine::EngineOffers out = engine::probeEngineOffers(
            "messaging engine metric",
            [](sim::World& world, telemetry::Telemetry& telemetry,
               engine::SharedResources&) -> absl::StatusOr<std::vector<InvariantOffer>> {
                MessagingConfig c;
                c.dataScale = 0.005;
                c.mode = MessagingMode::Upgraded;
                auto engine = MessagingEngine::create(world, telemetry, c);
                if (!engine.ok())
                    return engine.status();
                std::vector<InvariantOffer> invariants;
                for (const auto& s : (*engine)->invariantStatus())
                    invariants.push_back(InvariantOffer{s.name, s.detail});
                // The caches equal the database only once the load has stopped: judged at the end.
                invariants[MessagingEngine::kCacheConverges].liveness = true;
                // Every settled gift's notification is delivered: judged at the end (docs/GALA.md).
                invariants[MessagingEngine::kGiftNoticeDelivered].liveness = true;
                return invariants;
            });
        if (out.metrics.empty())
            return out;
        for (const GaugeSpec& g : kGauges)
            out.metrics.push_back(
                MetricOffer{g.name, telemetry::MetricKind::Gauge, "", "messaging drill gauge (docs/DRILLS.md)"});
        for (const GaugeSpec& g : kNoticeGauges)
            out.metrics.push_back(MetricOffer{g.name, telemetry::MetricKind::Gauge, "",
                                              "gift notifications, in a coupled run (docs/GALA.md)"});
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
    std::vector<std::string> loadProfiles() const override
    {
        return {"evening", "countdown", "hot-creator", "notice-storm"};
    }
    std::vector<engine::ModeOffer> modes() const override
    {
        return {{"mode", "the legacy store and query path, or the upgraded tiers (docs/MESSAGING.md)",
                 {toString(MessagingMode::Legacy), toString(MessagingMode::Upgraded)},
                 toString(MessagingConfig{}.mode)}};
    }

    std::shared_ptr<const EngineSettings> parseSettings(const YAML::Node& node) const override
    {
        auto s = std::make_shared<MessagingSettings>();
        const YamlMap m(node, "engines.messaging",
                        {"mode", "scale", "data_scale", "sends_per_sec", "queries_per_sec", "load_start", "stop_load_at",
                         "page_cache_pages", "legacy_ttl", "prewarm_share", "sabotage", "actions", "campaign_users",
                         "campaign_start", "bulk_users_per_sec", "high_priority_per_sec", "group_sends_per_sec",
                         "poison_share", "channels", "hedge_delay", "hot_user_queries_per_sec", "hot_receiver_share",
                         "detail_read_share", "detail_read_delay", "notices_per_sec", "gala"});
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
        c.campaignUsers = m.number("campaign_users", 0.0, 0.0, 1e10);
        c.campaignStart = m.duration("campaign_start", c.loadStart, 0, kMaxDuration);
        c.bulkUsersPerSec = m.number("bulk_users_per_sec", c.bulkUsersPerSec, 1.0, 1e9);
        c.highPriorityPerSec = m.number("high_priority_per_sec", c.highPriorityPerSec, 0.0, 1e9);
        c.groupSendsPerSec = m.number("group_sends_per_sec", c.groupSendsPerSec, 0.0, 1e9);
        c.poisonShare = m.number("poison_share", c.poisonShare, 0.0, 1.0);
        c.hedgeDelay = m.duration("hedge_delay", c.hedgeDelay, sim::kMillisecond, kMaxDuration);
        c.hotUserQueriesPerSec = m.number("hot_user_queries_per_sec", c.hotUserQueriesPerSec, 0.0, 1e9);
        c.hotReceiverShare = m.number("hot_receiver_share", c.hotReceiverShare, 0.0, 1.0);
        c.detailReadShare = m.number("detail_read_share", c.detailReadShare, 0.0, 1.0);
        c.noticesPerSec = m.number("notices_per_sec", c.noticesPerSec, 0.0, 1e10);
        c.detailReadDelay = m.duration("detail_read_delay", c.detailReadDelay, 0, kMaxDuration);
        if (m.has("channels")) {
            const YamlMap ch(m.get("channels"), "engines.messaging.channels", {"shared", "daily", "high", "sync"});
            readChannel(ch, "shared", c.sharedChannel);
            readChannel(ch, "daily", c.dailyChannel);
            readChannel(ch, "high", c.highChannel);
            readChannel(ch, "sync", c.syncChannel);
        }
        if (m.has("gala")) {
            const YamlMap g(m.get("gala"), "engines.messaging.gala",
                            {"shared_infra", "notices", "notice_consumers", "audience", "countdown_campaign_users",
                             "sabotage"});
            MessagingGala& ga = s->gala;
            ga.coupling.sharedInfra = g.boolean("shared_infra", false);
            ga.coupling.giftNotices = g.boolean("notices", false);
            ga.coupling.noticeConsumers = static_cast<int>(g.integer("notice_consumers", 4, 1, 256));
            ga.followAudience = g.boolean("audience", false);
            ga.countdownCampaignUsers = g.number("countdown_campaign_users", ga.countdownCampaignUsers, 0.0, 1e10);
            for (const YAML::Node& n : listOf(g.get("sabotage"), "engines.messaging.gala.sabotage")) {
                const std::string name = scalarText(n, "engines.messaging.gala.sabotage");
                if (name != "notice-no-claim")
                    fail(n, sim::strCat("engines.messaging.gala.sabotage: unknown switch '", name,
                                        "': expected notice-no-claim"));
                ga.coupling.noticeClaim = false;
            }
        }
        for (const YAML::Node& n : listOf(m.get("sabotage"), "engines.messaging.sabotage")) {
            const std::string name = scalarText(n, "engines.messaging.sabotage");
            const SabotageSwitch* sw = nullptr;
            for (const SabotageSwitch& candidate : kSabotage) {
                if (candidate.name == name)
                    sw = &candidate;
            }
            if (!sw)
            {
                std::string known;
                for (const SabotageSwitch& candidate : kSabotage)
                    known += sim::strCat(known.empty() ? "" : ", ", candidate.name);
                fail(n, sim::strCat("engines.messaging.sabotage: unknown switch '", name, "': expected some of ", known));
            }
            c.sabotage.*(sw->field) = true;
        }
        if (m.has("actions")) {
            const YAML::Node list = m.get("actions");
            if (!list.IsSequence())
                fail(list, "engines.messaging.actions: expected a list of {at, <action>: true} entries");
            for (const YAML::Node& item : list) {
                const YamlMap a(item, "engines.messaging.actions entry",
                                {"at", "lose_sequence_cache", "flush_caches", "pause_campaign", "resume_campaign",
                                 "clock_back_ms", "double_update", "start_campaign"});
                MessagingAction action;
                action.at = durationValue(a.require("at"), "engines.messaging.actions.at", 0, kMaxDuration);
                const ActionKey* found = nullptr;
                for (const ActionKey& k : kActionKeys) {
                    if (!a.has(k.key))
                        continue;
                    if (found)
                        fail(item, "engines.messaging.actions: each entry takes exactly one action");
                    found = &k;
                }
                if (!found)
                    fail(item, "engines.messaging.actions: each entry takes one of lose_sequence_cache, flush_caches, "
                               "pause_campaign, resume_campaign, clock_back_ms, double_update, start_campaign");
                action.kind = found->kind;
                if (found->valued) {
                    action.value = a.number(found->key, 0.0, 0.0, 1e10);
                } else if (!a.boolean(found->key, true)) {
                    fail(a.get(found->key), sim::strCat("engines.messaging.actions.", found->key, ": only 'true' makes sense"));
                }
                s->actions.push_back(action);
            }
        }
        return s;
    }

    std::shared_ptr<const EngineSettings> parseLoad(const std::string& profile, const YAML::Node& params) const override
    {
        auto l = std::make_shared<MessagingLoad>();
        l->profile = profile;
        const YamlMap m(params, "load.params",
                        {"sends_per_sec", "queries_per_sec", "group_sends_per_sec", "high_priority_per_sec",
                         "campaign_users", "hot_receiver_share", "notices_per_sec"});
        const MessagingConfig defaults;
        // The countdown: greetings ×3 and a "Happy New Year" campaign; the hot creator:
        // a third of the sends go to one account.
        const bool countdown = profile == "countdown";
        const bool hot = profile == "hot-creator";
        l->sendsPerSec = m.number("sends_per_sec", countdown ? 3 * defaults.sendsPerSec : defaults.sendsPerSec, 0.0, 1e9);
        l->queriesPerSec = m.number("queries_per_sec", defaults.queriesPerSec, 0.0, 1e9);
        l->groupSendsPerSec = m.number("group_sends_per_sec", countdown ? 10'000.0 : 2'000.0, 0.0, 1e9);
        l->highPriorityPerSec = m.number("high_priority_per_sec", countdown ? 2'000.0 : 0.0, 0.0, 1e9);
        l->campaignUsers = m.number("campaign_users", countdown ? 10e6 : 0.0, 0.0, 1e10);
        l->hotReceiverShare = m.number("hot_receiver_share", hot ? 0.3 : 0.0, 0.0, 1.0);
        // The notification storm: a burst of system and interaction notification requests.
        l->noticesPerSec = m.number("notices_per_sec", profile == "notice-storm" ? 3e6 : 0.0, 0.0, 1e10);
        return l;
    }

    v1::EngineDescriptor describe() const override;
    engine::FaultSurface faultSurface(const EngineSettings& settings, const sim::World& world) const override;

    absl::StatusOr<std::unique_ptr<Engine>> build(EngineContext& context, const EngineSettings& settings) const override
    {
        const auto* s = dynamic_cast<const MessagingSettings*>(&settings);
        if (!s)
            return absl::InvalidArgumentError("engine messaging: settings of another engine");
        MessagingCoupling coupling = s->gala.coupling;
        coupling.shared = &context.shared;
        auto engine = MessagingEngine::create(context.world, context.telemetry, s->config, coupling);
        if (!engine.ok())
            return engine.status();
        auto drill = std::make_unique<MessagingDrillEngine>(context.world, context.telemetry, *s, std::move(*engine));
        if (s->gala.followAudience) {
            auto audience = gala::audience(context.shared, "messaging");
            if (!audience.ok())
                return audience.status();
            drill->setAudience(*audience);
        }
        return std::unique_ptr<Engine>(std::move(drill));
    }
};

// Where faults act on the messaging engine's own components and what its design
// promises (docs/MESSAGING.md, "Fault surface"): the domain BFFs (down, latency, errors:
// clients keep their last summary), the conversation and content MySQL instances (slow
// disk and replica lag on all; down on the replicas only: replication is asynchronous, so
// the primary's crash is the one loss the design accepts, and it is left out), the
// messaging broker (down, duplicates, delays; not loss: the binlog sync and the bulk
// channels rely on acknowledged records), every consumer (down: the group rebalances), an
// own Redis pair (replica lag) and an own Taishan (down, within a Raft majority). Shared
// infrastructure of the gala night (Taishan, the Redis pairs, the notice broker) is the
// gift engine's surface.
engine::FaultSurface MessagingEngineFactory::faultSurface(const EngineSettings& settings, const sim::World& world) const
{
    engine::FaultSurface out;
    if (!dynamic_cast<const MessagingSettings*>(&settings))
        return out;
    std::vector<std::string> taishan;
    for (const sim::ComponentInfo& c : world.components().all()) {
        if (c.id == sim::kNoComponent)
            continue;
        const bool own = c.path.find("/messaging/") != std::string::npos;
        if (c.kind == "messaging-bff") {
            out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_DOWN, v1::FAULT_LATENCY, v1::FAULT_ERROR_RATE}});
        } else if (c.kind == "sql-instance" && own) {
            // Each shard's primary as built (its first placement), asked of the instance.
            const auto* instance = dynamic_cast<const infra::SqlInstance*>(c.inspectable);
            if (instance && instance->isPrimary())
                out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_SLOW_DISK, v1::FAULT_REPLICA_LAG}});
            else
                out.targets.push_back(
                    engine::FaultTarget{c.path, {v1::FAULT_DOWN, v1::FAULT_SLOW_DISK, v1::FAULT_REPLICA_LAG}});
        } else if (c.kind == "mq-broker" && own) {
            out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_DOWN, v1::FAULT_MQ_DUPLICATE, v1::FAULT_MQ_DELAY}});
        } else if (c.kind == "mq-consumer" && own) {
            out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_DOWN}});
        } else if (c.kind == "kv-pair" && own) {
            out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_REPLICA_LAG}});
        } else if (c.kind == "raft-node" && c.path.find("/msg-taishan/") != std::string::npos) {
            taishan.push_back(c.path);
            out.targets.push_back(engine::FaultTarget{c.path, {v1::FAULT_DOWN}});
        }
    }
    if (taishan.size() >= 3)
        out.budget.push_back(engine::raftMajorityRule("messaging Taishan: a Raft majority", taishan,
                                                      "the tier and the sequence ceilings commit with a Raft majority"));
    return out;
}

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

    engine::addTile(d, TileSpec{"messaging.bulk-rate", "Bulk users/s", "messaging.drill.bulk_users_per_sec",
                                v1::METRIC_TYPE_GAUGE, v1::AGGREGATE_MAX, "/s", 1.0, true, 0.0, 0.0,
                                "campaign recipients delivered", 0, {}});
    engine::addTile(d, TileSpec{"messaging.sync-lag", "Sync lag p99", "messaging.drill.sync_lag_p99_ms",
                                v1::METRIC_TYPE_GAUGE, v1::AGGREGATE_MAX, "ms", 1.0, false, 500.0, 1000.0,
                                "binlog commit → Redis", 0, {}});
    engine::addChart(d, "bulk", {"messaging.drill.bulk_users_per_sec", "messaging.drill.bulk_backlog"});
    engine::addChart(d, "sync", {"messaging.drill.sync_lag_p99_ms", "messaging.drill.replica_delay_p99_ms"});

    d.clear_load_profiles();
    const MessagingConfig c;
    const char* const profiles[][2] = {
        {"evening", "steady evening traffic: one-to-one sends, conversation-list queries, group chat (docs/MESSAGING.md)"},
        {"countdown", "the New Year countdown: greetings ×3, group chat ×5, high-priority notifications and a 10 M-user "
                      "\"Happy New Year\" campaign"},
        {"hot-creator", "a hot creator's surge: a third of the one-to-one sends go to one account"},
        {"notice-storm", "a burst of 3 M system and interaction notification requests a second beside one-to-one chat"},
    };
    for (const auto& [name, what] : profiles) {
        v1::LoadProfileDescriptor& p = *d.add_load_profiles();
        p.set_name(name);
        p.set_description(what);
        engine::addParam(p, "sends_per_sec", c.sendsPerSec, 1e9, "1/s", "real one-to-one sends per second");
        engine::addParam(p, "queries_per_sec", c.queriesPerSec, 1e9, "1/s", "real conversation-list queries per second");
        engine::addParam(p, "group_sends_per_sec", 2'000.0, 1e9, "1/s", "real group sends per second");
        engine::addParam(p, "high_priority_per_sec", 0.0, 1e9, "1/s", "real high-priority notifications per second");
        engine::addParam(p, "campaign_users", 0.0, 1e10, "users", "a bulk campaign started with the phase");
        engine::addParam(p, "hot_receiver_share", 0.0, 1.0, "", "share of sends to the most popular account");
        engine::addParam(p, "notices_per_sec", 0.0, 1e10, "1/s", "real system and interaction notification requests per second");
    }

    engine::addAction(d, "pause-campaign", "pause the running bulk campaign (fan-out and delivery hold)",
                      v1::ACTION_TARGET_NONE, "");
    engine::addAction(d, "resume-campaign", "resume the paused bulk campaign", v1::ACTION_TARGET_NONE, "");
    engine::addAction(d, "prewarm-user", "load one user's conversation list into Redis and Taishan",
                      v1::ACTION_TARGET_TEXT, "a user id");
    engine::addAction(d, "flush-region-cache", "drop every key of a home region's Redis (or * for all)",
                      v1::ACTION_TARGET_REGION, "sh-a");
    engine::addAction(d, "drain-region", "serve a home region's users from the other home region",
                      v1::ACTION_TARGET_REGION, "sh-a");
    engine::addAction(d, "restore", "serve a drained home region's users there again", v1::ACTION_TARGET_REGION, "sh-a");

    // b ÷ a for a ratio figure; a alone for a bound.
    auto value = [](v1::FigureValue& v, const char* drill, const char* metric, const char* stat, const char* from) {
        v.set_drill(drill);
        v.set_metric(metric);
        v.set_type(v1::METRIC_TYPE_GAUGE);
        v.set_stat(stat);
        v.set_from(from);
    };
    {
        v1::FigureDescriptor& f = *d.add_figures();
        f.set_id("messaging.query-latency");
        f.set_description("mean conversation-list query latency, legacy ÷ upgraded, at the same seed (the write-up: ×10)");
        value(*f.mutable_a(), "messaging-query-upgraded", "messaging.drill.query_mean_ms", "mean", "3s");
        value(*f.mutable_b(), "messaging-query-legacy", "messaging.drill.query_mean_ms", "mean", "3s");
        f.set_check(v1::FIGURE_CHECK_RATIO);
        f.set_ratio_min(7.5);
        f.set_ratio_max(12.5);
        f.set_writeup_value("×10");
        f.set_writeup_ratio(10.0);
        *f.mutable_quick_a() = f.a();
        *f.mutable_quick_b() = f.b();
    }
    {
        v1::FigureDescriptor& f = *d.add_figures();
        f.set_id("messaging.bulk-send-rate");
        f.set_description("bulk campaign recipients delivered per second (real-equivalent, equal weights), upgraded ÷ "
                          "legacy; each drill also checks its own range (legacy 2.6–4.4 K/s, upgraded 22.5–37.5 K/s)");
        value(*f.mutable_a(), "messaging-bulk-legacy", "messaging.drill.bulk_users_per_sec", "mean", "3s");
        value(*f.mutable_b(), "messaging-bulk-upgraded", "messaging.drill.bulk_users_per_sec", "mean", "3s");
        f.set_check(v1::FIGURE_CHECK_RATIO);
        f.set_ratio_min(22.5 / 4.4);
        f.set_ratio_max(37.5 / 2.6);
        f.set_writeup_value("3.5 K → 30 K users/s");
        f.set_writeup_ratio(30.0 / 3.5);
        *f.mutable_quick_a() = f.a();
        *f.mutable_quick_b() = f.b();
    }
    {
        v1::FigureDescriptor& f = *d.add_figures();
        f.set_id("messaging.content-table-rows");
        f.set_description("real-equivalent rows per content table of the month, legacy ÷ upgraded (the upgraded drill "
                          "also checks fullest ÷ mean ≤ 1.1)");
        value(*f.mutable_a(), "messaging-content-upgraded", "messaging.drill.content_rows_per_table", "last", "0s");
        value(*f.mutable_b(), "messaging-content-legacy", "messaging.drill.content_rows_per_table", "last", "0s");
        f.set_check(v1::FIGURE_CHECK_RATIO);
        f.set_ratio_min(75.0);
        f.set_ratio_max(125.0);
        f.set_writeup_value("900 M → 9 M rows per table");
        f.set_writeup_ratio(100.0);
        *f.mutable_quick_a() = f.a();
        *f.mutable_quick_b() = f.b();
    }
    {
        v1::FigureDescriptor& f = *d.add_figures();
        f.set_id("messaging.binlog-sync");
        f.set_description("binlog → MQ → CAS apply: worst second's sync lag p99 (ms) while the drill also checks ≥ 250 K "
                          "real records/s and replica delay p99 < 700 ms");
        value(*f.mutable_a(), "messaging-binlog-sync", "messaging.drill.sync_lag_p99_ms", "max", "3s");
        f.set_check(v1::FIGURE_CHECK_BOUND);
        f.set_bound_op("<");
        f.set_bound(1000.0);
        f.set_writeup_value("lag < 1 s at 250 K records/s");
        *f.mutable_quick_a() = f.a();
    }
    return d;
}

} // namespace

std::shared_ptr<const EngineFactory> makeMessagingEngineFactory()
{
    return std::make_shared<MessagingEngineFactory>();
}

} // namespace livedeck::messaging

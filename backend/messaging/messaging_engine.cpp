#include "backend/messaging/messaging_engine.h"
#include "backend/messaging/messaging_internal.h"

#include "backend/gala/gala.h"
#include "backend/messaging/row_version.h"
#include "backend/sim/strings.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace livedeck::messaging {

namespace {

constexpr std::int64_t kDay = 86'400'000;
constexpr sim::Nanos kWatchInterval = 100 * sim::kMillisecond; // clients re-read the region health

std::string encodeList(const std::vector<ConversationRow>& rows, std::int64_t total)
{
    return encodeConversationList(rows, total);
}

std::string contentDdl(const std::string& table)
{
    return sim::strCat("CREATE TABLE IF NOT EXISTS ", table,
                       " (msgkey INTEGER PRIMARY KEY, sender INTEGER NOT NULL, receiver INTEGER NOT NULL, "
                       "body TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0)");
}


} // namespace

const char* toString(MessagingMode mode) { return mode == MessagingMode::Legacy ? "legacy" : "upgraded"; }

MessagingEngine::MessagingEngine(sim::World& world, telemetry::Telemetry& telemetry, MessagingConfig config,
                                 MessagingCoupling coupling)
    : m_world(world),
      m_telemetry(telemetry),
      m_config(std::move(config)),
      m_schema(m_config.mode == MessagingMode::Legacy ? ConversationSchemaKind::Legacy : ConversationSchemaKind::Upgraded,
               UpgradedSchemaOptions{!m_config.sabotage.noCoveringIndex, !m_config.sabotage.noStoredCounters}),
      m_router(ContentRouterConfig{m_config.mode == MessagingMode::Legacy ? ContentRouting::Legacy : ContentRouting::Hashed,
                                   100, 1'288'834'974'657, world.calendar().utcOffsetMinutes()}),
      m_detailRng(world.stream("messaging/detail")),
      m_noticeRng(world.stream("messaging/notice-requests")),
      m_snowflake(*SnowflakeGenerator::create(SnowflakeConfig{})),
      m_seq(SequenceAllocatorConfig{50, m_config.sabotage.seqReloadFromPersisted ? SeqReload::FromLastPersisted
                                                                               : SeqReload::FromCeiling}),
      m_rng(world.stream("messaging/load")),
      m_queryZipf(std::max<std::uint64_t>(2, static_cast<std::uint64_t>(
                                                 std::llround(m_config.users * m_config.dataScale))),
                  m_config.queryZipf),
      m_sendKind(world.kind("messaging.send")),
      m_queryKind(world.kind("messaging.query")),
      m_secondKind(world.kind("messaging.second")),
      m_bulkRng(world.stream("messaging/bulk")),
      m_bulkKind(world.kind("messaging.bulk")),
      m_groupKind(world.kind("messaging.group")),
      m_syncKind(world.kind("messaging.sync")),
      m_coupling(coupling)
{
    m_invariants.push_back({"messaging.no_lost_send", true, 0, "every acknowledged send wrote its content row and both "
                                                               "conversation rows"});
    m_invariants.push_back({"messaging.seq_monotonic", true, 0,
                            "per inbox, each sequence above every one handed out before (never reused)"});
    m_invariants.push_back({"messaging.bulk_exactly_once", true, 0,
                            "exactly one message per (task, recipient) under MQ redelivery"});
    m_invariants.push_back({"messaging.group_unread", true, 0,
                            "group unread = max sequence − read sequence, never negative, at least the entries above it"});
    m_invariants.push_back({"messaging.sync_version_monotonic", true, 0,
                            "a synced key's version in Redis never goes down"});
    m_invariants.push_back({"messaging.no_blank_page", true, 0,
                            "a failed conversation query shows the client's last good summary, never a blank page"});
    m_invariants.push_back({"messaging.msgkey_unique", true, 0, "msgkeys unique and in their month's table"});
    m_invariants.push_back({"messaging.cache_converges", true, 0,
                            "after the load stops, every synced Redis entry equals the database's list (liveness)"});
    m_invariants.push_back({"messaging.gift_notice_once", true, 0,
                            "no settled gift's interaction notification delivered twice, none without a settled gift"});
    m_invariants.push_back({"messaging.gift_notice_delivered", true, 0,
                            "every settled gift's interaction notification delivered (liveness)"});
    m_invariants.push_back({"messaging.read_your_writes", true, 0,
                            "a sender never sees a conversation list or detail without its own acknowledged send"});
}

MessagingEngine::~MessagingEngine()
{
    m_telemetry.removeContributor(this);
    for (const auto& work : m_canalWork) // before the mirror they write goes
        m_world.offload().forget(*work);
}

absl::StatusOr<std::unique_ptr<MessagingEngine>> MessagingEngine::create(sim::World& world,
                                                                         telemetry::Telemetry& telemetry,
                                                                         MessagingConfig config,
                                                                         MessagingCoupling coupling)
{
    if (!(config.scale > 0.0) || !(config.dataScale > 0.0))
        return absl::InvalidArgumentError("messaging: scale and data_scale must be > 0");
    if (world.topology().regions().empty())
        return absl::InvalidArgumentError("messaging: the world has no region");
    if ((coupling.sharedInfra || coupling.giftNotices) && !coupling.shared)
        return absl::InvalidArgumentError("messaging: coupling to other engines needs the run's shared resources");
    std::unique_ptr<MessagingEngine> e(new MessagingEngine(world, telemetry, std::move(config), coupling));
    if (absl::Status st = e->build(); !st.ok())
        return st;
    return e;
}

absl::Status MessagingEngine::build()
{
    sim::World& w = m_world;
    const sim::Topology& topo = w.topology();
    m_component = w.components().mustAdd("messaging", "messaging-engine", {}, this);
    m_users = static_cast<std::uint32_t>(std::max<double>(2.0, std::llround(m_config.users * m_config.dataScale)));
    auto& metrics = m_telemetry.metrics();

    // Home regions: the first two regions (the write-up's service lives in Shanghai's two
    // data centres); every data store keeps an instance in each.
    const std::size_t homes = std::min<std::size_t>(2, topo.regions().size());
    std::vector<std::string> placement;
    for (std::size_t i = 0; i < homes; ++i) {
        const sim::RegionSpec& r = topo.regions()[i];
        if (r.dataCentres.empty())
            return absl::InvalidArgumentError(sim::strCat("messaging: region ", r.name, " has no data centre"));
        placement.push_back(topo.dataCentres()[static_cast<std::size_t>(r.dataCentres.front())].name);
    }

    const std::int64_t pages =
        std::max<std::int64_t>(16, std::llround(static_cast<double>(m_config.pageCachePages) * m_config.dataScale));
    // SQL instances: the primary in the first home region and a replica in each home
    // region. Upgraded reads the replicas (read-your-writes aside): a second instance in
    // the first home region is its local read replica (docs/MESSAGING.md "Replicas and
    // read-your-writes"); legacy reads every list from the primary.
    std::vector<std::string> sqlPlacement = placement;
    if (m_config.mode == MessagingMode::Upgraded)
        sqlPlacement.insert(sqlPlacement.begin() + 1, placement.front());
    {
        infra::SqlClusterConfig c;
        c.name = "messaging/conv-db";
        c.shards = 10;
        c.placement = sqlPlacement;
        c.schema = m_schema.ddl();
        c.shardKey = infra::ShardRouter::legacyMessaging();
        c.pageCache.pages = pages;
        auto db = infra::SqlCluster::create(w, std::move(c), &m_telemetry);
        if (!db.ok())
            return db.status();
        m_convDb = std::move(*db);
    }
    {
        // The content tables of the drill's first months (a drill lasts minutes at most).
        infra::SqlClusterConfig c;
        c.name = "messaging/content-db";
        c.shards = 1;
        c.placement = sqlPlacement;
        const std::int64_t startMs = w.calendar().unixMs(0);
        // This month, the next day's (a drill that starts on a month's last day crosses into
        // the next month at midnight: the gala's countdown) and the one after 32 days.
        for (std::int64_t dayMs : {std::int64_t{0}, kDay, 32 * kDay}) {
            const std::uint64_t probeKey = static_cast<std::uint64_t>(startMs + dayMs - m_router.config().epochUnixMs)
                << SnowflakeGenerator::kTimestampShift;
            const ContentRoute base = m_router.route(probeKey);
            for (std::uint32_t t = 0; t < m_router.tablesPerMonth(); ++t) {
                ContentRoute r = base;
                if (m_router.tablesPerMonth() > 1)
                    r.tableName = sim::strCat("t_", t);
                const std::string table = contentTable(r);
                if (m_contentTables.insert(table).second)
                    c.schema.push_back(contentDdl(table));
            }
        }
        c.pageCache.pages = pages;
        auto db = infra::SqlCluster::create(w, std::move(c), &m_telemetry);
        if (!db.ok())
            return db.status();
        m_contentDb = std::move(*db);
    }
    {
        infra::RaftClusterConfig c;
        c.name = "msg-taishan";
        c.regions.clear();
        // Two nodes in the first home region, one in the second: a quorum within the city.
        c.regions = {topo.regions()[0].name, topo.regions()[0].name, topo.regions()[homes - 1].name};
        if (m_config.taishanLeaderHome)
            c.affinity.region = topo.regions()[0].name;
        if (m_coupling.sharedInfra) {
            // One Taishan with the gift engine's order locks (docs/GALA.md).
            auto raft = gala::sharedTaishan(*m_coupling.shared, w, &metrics, "messaging");
            if (!raft.ok())
                return raft.status();
            m_raft = *raft;
        } else {
            m_ownRaft = std::make_unique<infra::RaftCluster>(w, c, &metrics);
            m_raft = m_ownRaft.get();
        }
    }
    for (std::size_t i = 0; i < homes; ++i) {
        auto r = std::make_unique<Region>();
        r->index = static_cast<int>(i);
        r->name = topo.regions()[i].name;
        r->dataCentre = placement[i];
        r->bff = w.components().mustAdd(sim::strCat(r->name, "/messaging/bff"), "messaging-bff", r->dataCentre);
        infra::ServiceConfig sc;
        sc.concurrency = m_config.bffConcurrency;
        sc.maxQueue = 100'000.0;
        r->queue = std::make_unique<infra::ServiceQueue>(w, r->bff, sc, &metrics, "messaging.bff");
        if (m_config.mode == MessagingMode::Upgraded && !m_config.sabotage.sharedBff) {
            // The BFF split by domain: notifications on their own service, its own capacity.
            r->noticeBff = w.components().mustAdd(sim::strCat(r->name, "/messaging/bff-notice"), "messaging-bff",
                                                  r->dataCentre);
            r->noticeQueue = std::make_unique<infra::ServiceQueue>(w, r->noticeBff, sc, &metrics, "messaging.bff");
        }
        infra::KvPairConfig kc;
        if (m_coupling.sharedInfra) {
            // The data centre's one Redis pair, shared with the gift catalogue (docs/GALA.md).
            auto pair = gala::sharedRedis(*m_coupling.shared, w, topo.dataCentreIndex(r->dataCentre), &metrics,
                                          "messaging");
            if (!pair.ok())
                return pair.status();
            r->redis = *pair;
        } else {
            r->ownRedis = std::make_unique<infra::KvPair>(w, sim::strCat(r->name, "/messaging/redis"), r->dataCentre,
                                                          kc, &metrics);
            r->redis = r->ownRedis.get();
        }
        r->seqClient = std::make_unique<infra::RaftClient>(*m_raft, sim::strCat(r->name, "/messaging/seq-client"));
        if (m_config.mode == MessagingMode::Upgraded) {
            infra::RaftClientConfig rc;
            rc.readMode = infra::RaftReadMode::Random;
            r->taishanClient =
                std::make_unique<infra::RaftClient>(*m_raft, sim::strCat(r->name, "/messaging/taishan-client"), rc);
        }
        m_regionOfSlot.push_back(static_cast<int>(i));
        m_regions.push_back(std::move(r));
    }
    {
        std::vector<sim::ComponentId> fronts(topo.regions().size(), sim::kNoComponent);
        for (const auto& r : m_regions)
            fronts[static_cast<std::size_t>(r->index)] = r->bff;
        m_prober = std::make_unique<engine::RegionProber>(w, "messaging", std::move(fronts),
                                                          engine::RegionProber::Config{});
    }

    m_sendsMetric = &metrics.counter("messaging.sends", "messaging");
    m_queriesMetric = &metrics.counter("messaging.queries", "messaging");
    m_errorsMetric = &metrics.counter("messaging.errors", "messaging");
    m_queryLatencyMetric = &metrics.histogram("messaging.query.latency", "messaging");
    m_sendLatencyMetric = &metrics.histogram("messaging.send.latency", "messaging");
    m_redisHitGauge = &metrics.gauge("messaging.cache.redis_hit_ratio", "messaging");
    m_taishanHitGauge = &metrics.gauge("messaging.cache.taishan_hit_ratio", "messaging");
    m_writeToken.assign(m_users, WriteToken{});
    m_appliedVersion.assign(m_users, 0);
    m_canalVersion.assign(m_users, 0);
    m_synced.assign(m_users, 0);
    m_queryWeight.assign(m_users, 0.0);

    // Popularity: a seeded permutation of the users (Zipf rank → user).
    m_popularity.resize(m_users);
    for (std::uint32_t u = 0; u < m_users; ++u)
        m_popularity[u] = u;
    sim::RandomStream perm = w.stream("messaging/popularity");
    for (std::uint32_t i = m_users - 1; i > 0; --i)
        std::swap(m_popularity[i], m_popularity[perm.uniformInt(i + 1)]);

    if (absl::Status st = preload(); !st.ok())
        return st;
    buildChannels();
    buildGroups();
    if (m_config.mode == MessagingMode::Upgraded)
        buildSync();
    placeContent();
    if (m_coupling.giftNotices) {
        if (absl::Status st = buildNotices(); !st.ok())
            return st;
    }
    // The users with the most conversations are the most active (big accounts): the
    // popularity ranks follow the conversation counts (the permutation breaks ties).
    std::stable_sort(m_popularity.begin(), m_popularity.end(),
                     [this](std::uint32_t a, std::uint32_t b) { return m_convCount[a] > m_convCount[b]; });
    m_telemetry.addContributor(this);
    return absl::OkStatus();
}

absl::Status MessagingEngine::preload()
{
    // Every user's conversations, heavy-tailed (Pareto), with peers after it in id order,
    // last messages spread over the last 180 days, a few unread. Written straight into
    // every instance of the user's shard (set-up before the run, no virtual time).
    sim::RandomStream rng = m_world.stream("messaging/data");
    const std::int64_t nowMs = m_world.calendar().unixMs(0);
    std::vector<infra::SqlBatch> batches(m_convDb->shardCount());
    m_convCount.assign(m_users, 0);
    std::int64_t key = 1;
    for (std::uint32_t u = 0; u < m_users; ++u) {
        const double x = m_config.conversationsMin / std::pow(1.0 - rng.uniform01(), 1.0 / m_config.conversationsAlpha);
        const std::int64_t n = std::min<std::int64_t>(static_cast<std::int64_t>(x), m_users - 1);
        m_convCount[u] = n;
        infra::SqlBatch& b = batches[m_convDb->shardOf(u)];
        for (std::int64_t k = 1; k <= n; ++k) {
            const std::int64_t peer = (u + k) % m_users;
            const std::int64_t t = nowMs - static_cast<std::int64_t>(rng.uniform01() * 180.0 * kDay) - 1;
            const std::int64_t unread = rng.bernoulli(0.2) ? rng.uniformRange(1, 5) : 0;
            m_schema.addSend(b, ConversationUpdate{u, peer, MessageKind::OneToOne, key++, t, unread, t});
        }
    }
    for (std::uint32_t s = 0; s < m_convDb->shardCount(); ++s) {
        infra::SqlShard& shard = m_convDb->shard(s);
        for (std::size_t i = 0; i < shard.instanceCount(); ++i) {
            infra::SqlStats stats;
            infra::SqlConnection::WriteOutcome out;
            if (absl::Status st = shard.instance(i).connection().runBatch(batches[s], stats, out); !st.ok())
                return absl::InternalError(sim::strCat("messaging: preloading shard ", s, ": ", std::string(st.message())));
        }
    }
    if (m_config.mode == MessagingMode::Upgraded && !m_config.sabotage.noTaishanTier) {
        // Taishan's steady state: every user's latest entries (the first page and the
        // total), read from the preloaded store and written through Raft in start().
        m_bootstrap.resize(m_users);
        for (std::uint32_t u = 0; u < m_users; ++u) {
            infra::SqlConnection& db = m_convDb->shard(m_convDb->shardOf(u)).instance(0).connection();
            const infra::SqlQuery list = m_schema.listPage(u, ListCursor{}, m_config.pageSize);
            const infra::SqlQuery total = m_schema.totalUnread(u);
            infra::SqlResult lr;
            infra::SqlResult tr;
            infra::SqlStats stats;
            if (!db.runQuery(list.sql, list.params, true, lr, stats).ok()
                || !db.runQuery(total.sql, total.params, true, tr, stats).ok())
                return absl::InternalError("messaging: reading the preloaded lists");
            m_bootstrap[u] = encodeList(ConversationSchema::rows(lr), ConversationSchema::total(tr));
        }
    }
    return absl::OkStatus();
}

void MessagingEngine::start()
{
    if (m_started)
        return;
    m_started = true;
    m_prober->start();
    if (m_config.mode == MessagingMode::Upgraded && !m_config.sabotage.noRegionFailover)
        m_world.after(kWatchInterval, m_secondKind, m_component, [this] { watchRegions(); });
    if (m_config.mode == MessagingMode::Upgraded)
        m_world.at(m_config.loadStart / 2, m_queryKind, m_component, [this] { prewarm(); });
    m_world.at(m_config.loadStart / 4, m_bulkKind, m_component, [this] {
        startChannels();
        startSync();
        if (m_coupling.giftNotices)
            startNotices();
    });
    if (!m_bootstrap.empty()) {
        // After the election: one Raft put per user, spread over the second quarter of
        // the time before the load starts.
        const sim::Nanos from = m_config.loadStart / 4;
        const sim::Nanos span = std::max<sim::Nanos>(1, m_config.loadStart / 4);
        const auto n = static_cast<sim::Nanos>(m_bootstrap.size());
        for (std::uint32_t u = 0; u < m_bootstrap.size(); ++u) {
            m_world.at(from + span * static_cast<sim::Nanos>(u) / n, m_queryKind, m_component, [this, u] {
                home(u).taishanClient->put(cacheKey(u), m_bootstrap[u], [](const infra::RaftResult&) {},
                                           2 * sim::kSecond);
            });
        }
    }
    m_world.at(m_config.loadStart, m_sendKind, m_component, [this] { nextSend(); });
    m_world.at(m_config.loadStart, m_queryKind, m_component, [this] { nextQuery(); });
    m_world.after(sim::kSecond, m_secondKind, m_component, [this] { regionSecond(); });
    if (m_config.campaignUsers > 0.0)
        m_world.at(m_config.campaignStart, m_bulkKind, m_component, [this] { startCampaign(m_config.campaignUsers); });
    if (m_config.highPriorityPerSec > 0.0) {
        m_highRunning = true;
        m_world.at(m_config.loadStart, m_bulkKind, m_component, [this] { nextHigh(); });
    }
    if (m_config.groupSendsPerSec > 0.0) {
        m_groupRunning = true;
        m_world.at(m_config.loadStart, m_groupKind, m_component, [this] { nextGroupSend(); });
    }
    if (m_config.noticesPerSec > 0.0) {
        m_noticeRunning = true;
        m_world.at(m_config.loadStart, m_queryKind, m_component, [this] { nextNotice(); });
    }
}

void MessagingEngine::setNoticeRate(double noticesPerSec)
{
    m_config.noticesPerSec = noticesPerSec;
    if (!m_started || noticesPerSec <= 0.0 || m_noticeRunning)
        return;
    m_noticeRunning = true;
    m_world.at(std::max(m_world.now(), m_config.loadStart), m_queryKind, m_component, [this] { nextNotice(); });
}

void MessagingEngine::nextNotice()
{
    const double real = m_config.noticesPerSec * m_config.loadMultiplier;
    if (m_loadStopped || real <= 0.0) {
        m_noticeRunning = false;
        return;
    }
    const double discrete = discreteRate(real, m_config.minDiscreteNoticesPerSec);
    noticeRequest(static_cast<std::uint32_t>(m_noticeRng.uniformInt(m_users)), real / discrete);
    const double gap = m_noticeRng.exponential(1.0 / discrete);
    m_world.after(std::max<sim::Nanos>(1, static_cast<sim::Nanos>(gap * 1e9)), m_queryKind, m_component,
                  [this] { nextNotice(); });
}

void MessagingEngine::noticeRequest(std::uint32_t user, double weight)
{
    // A system or interaction notification for `user`: rendered and aggregated by a BFF
    // worker, then the user's notification counter bumped in its region's Redis.
    Region& r = home(user);
    const bool own = r.noticeQueue != nullptr;
    infra::ServiceQueue& q = own ? *r.noticeQueue : *r.queue;
    const sim::ComponentId from = own ? r.noticeBff : r.bff;
    const sim::Nanos startedAt = m_world.now();
    q.submit(
        weight, [this](bool&) { return m_config.noticeBffCost; },
        [this, &r, user, weight, from, startedAt](infra::ServiceOutcome outcome, sim::Nanos) {
            if (outcome != infra::ServiceOutcome::Ok) {
                m_totals.noticeShed += weight;
                return;
            }
            r.redis->incrBy(from, sim::strCat("notice:", user), 1, weight,
                            [this, weight, startedAt](const infra::KvReply& reply) {
                                if (reply.status != infra::KvStatus::Ok) {
                                    m_totals.noticeShed += weight;
                                    return;
                                }
                                m_totals.noticeRequests += weight;
                                m_noticeSecond.record(m_world.now() - startedAt, weight);
                            });
        });
}

void MessagingEngine::setExtraRates(double groupSendsPerSec, double highPriorityPerSec, double hotReceiverShare)
{
    m_config.groupSendsPerSec = groupSendsPerSec;
    m_config.highPriorityPerSec = highPriorityPerSec;
    m_config.hotReceiverShare = hotReceiverShare;
    if (!m_started)
        return;
    const sim::Nanos at = std::max(m_world.now(), m_config.loadStart);
    if (groupSendsPerSec > 0.0 && !m_groupRunning) {
        m_groupRunning = true;
        m_world.at(at, m_groupKind, m_component, [this] { nextGroupSend(); });
    }
    if (highPriorityPerSec > 0.0 && !m_highRunning) {
        m_highRunning = true;
        m_world.at(at, m_bulkKind, m_component, [this] { nextHigh(); });
    }
}

double MessagingEngine::discreteRate(double real, double floor) const
{
    return std::min(real, floor * m_config.scale);
}

void MessagingEngine::nextSend()
{
    if (m_loadStopped)
        return;
    const double real = m_config.sendsPerSec * m_config.loadMultiplier;
    const double discrete = discreteRate(real, m_config.minDiscreteSendsPerSec);
    if (discrete > 0.0) {
        const std::uint32_t s = m_popularity[m_queryZipf(m_rng) - 1];
        std::uint32_t r = static_cast<std::uint32_t>(m_rng.uniformInt(m_users));
        if (m_config.hotReceiverShare > 0.0 && m_rng.bernoulli(m_config.hotReceiverShare))
            r = m_popularity[0];
        if (r == s)
            r = (r + 1) % m_users;
        sendOneToOne(s, r, real / discrete);
    }
    const double gap = discrete > 0.0 ? m_rng.exponential(1.0 / discrete) : 0.1;
    m_world.after(std::max<sim::Nanos>(1, static_cast<sim::Nanos>(gap * 1e9)), m_sendKind, m_component,
                  [this] { nextSend(); });
}

void MessagingEngine::nextQuery()
{
    if (m_loadStopped)
        return;
    const double real = m_config.queriesPerSec * m_config.loadMultiplier;
    const double discrete = discreteRate(real, m_config.minDiscreteQueriesPerSec);
    if (discrete > 0.0)
        queryConversations(m_popularity[m_queryZipf(m_rng) - 1], real / discrete);
    const double gap = discrete > 0.0 ? m_rng.exponential(1.0 / discrete) : 0.1;
    m_world.after(std::max<sim::Nanos>(1, static_cast<sim::Nanos>(gap * 1e9)), m_queryKind, m_component,
                  [this] { nextQuery(); });
}

MessagingEngine::Region& MessagingEngine::home(std::uint32_t user)
{
    const std::size_t n = m_regions.size();
    const std::size_t slot = user % n;
    // A drained region's users are served by the next region that is not drained, nor
    // (upgraded) seen down by the health checks.
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t s = (slot + i) % n;
        if (!m_drained.contains(static_cast<int>(s)) && !m_failedOver.contains(static_cast<int>(s)))
            return *m_regions[s];
    }
    return *m_regions[slot];
}

void MessagingEngine::watchRegions()
{
    // Upgraded clients follow the region health checks (the engine's RegionProber: a
    // region is down when no probe of the last completed round was answered): a home
    // region seen down stops receiving its users, who go to the next region that is up
    // (their clients resolve the service again, as a GSLB or discovery answer would
    // change); once it answers again they return. The users that move are re-synced
    // into the region now serving them (resyncMoved).
    std::set<int> down;
    for (std::size_t s = 0; s < m_regions.size(); ++s) {
        if (!m_prober->view(m_regions[s]->index).up())
            down.insert(static_cast<int>(s));
    }
    if (down.size() >= m_regions.size())
        down.clear(); // nowhere to go: every client stays on its own region
    if (down != m_failedOver) {
        const std::vector<const Region*> before = servingRegions();
        for (std::size_t s = 0; s < m_regions.size(); ++s) {
            const bool was = m_failedOver.contains(static_cast<int>(s));
            const bool now = down.contains(static_cast<int>(s));
            if (was != now)
                m_world.events().raise("messaging.failover", m_regions[s]->bff,
                                       now ? v1::SEVERITY_WARNING : v1::SEVERITY_INFO,
                                       sim::strCat(m_regions[s]->name, now ? ": health checks fail, its users go to the "
                                                                             "next region that is up"
                                                                           : ": answers health checks again, its users "
                                                                             "return"));
        }
        m_failedOver = std::move(down);
        resyncMoved(before);
        ++m_totals.failovers;
    }
    m_world.after(kWatchInterval, m_secondKind, m_component, [this] { watchRegions(); });
}

std::string MessagingEngine::cacheKey(std::uint32_t user) const { return sim::strCat("conv:", user); }

std::int64_t MessagingEngine::nowUnixMs() const { return m_world.calendar().unixMs(m_world.now()) - m_clockOffsetMs; }

void MessagingEngine::violation(std::size_t invariant, std::string detail)
{
    InvariantState& inv = m_invariants[invariant];
    if (inv.passed) {
        inv.passed = false;
        inv.detail = std::move(detail);
        m_world.events().raise("messaging.invariant", m_component, v1::SEVERITY_VIOLATION,
                               sim::strCat(inv.name, ": ", inv.detail));
    }
}

// ------------------------------------------------------------------ sends

void MessagingEngine::sendOneToOne(std::uint32_t sender, std::uint32_t receiver, double weight)
{
    if (sender >= m_users || receiver >= m_users || sender == receiver) {
        m_totals.sendFailures += weight;
        m_errorsMetric->add(weight);
        return;
    }
    auto op = std::make_shared<SendOp>();
    op->sender = sender;
    op->receiver = receiver;
    op->weight = weight;
    op->startedAt = m_world.now();
    ++m_totals.discreteSends;
    ++m_inflightSends;
    Region& r = home(sender);
    r.requests += weight;
    r.queue->submit(
        weight, [this](bool&) { return m_config.bffCost; },
        [this, op](infra::ServiceOutcome outcome, sim::Nanos) {
            if (outcome != infra::ServiceOutcome::Ok) {
                if (outcome == infra::ServiceOutcome::Rejected)
                    m_totals.chatShed += op->weight;
                sendPartDone(op, false, "bff");
                return;
            }
            op->msgMs = nowUnixMs();
            if (!issueMsgkey(op->msgMs, op->msgkey)) {
                sendPartDone(op, false, "snowflake refused (clock behind)");
                return;
            }
            op->pending = 1;
            allocateSeq(op, 0);
        });
}

bool MessagingEngine::issueMsgkey(std::int64_t unixMs, std::uint64_t& id)
{
    if (m_config.sabotage.snowflakeIgnoresClock) {
        // A generator that trusts the clock: the sequence restarts whenever the
        // millisecond changes, also when the clock went back into milliseconds it used.
        if (unixMs != m_naiveMs) {
            m_naiveMs = unixMs;
            m_naiveSeq = 0;
        } else {
            ++m_naiveSeq;
        }
        id = (static_cast<std::uint64_t>(unixMs - m_snowflake.config().epochUnixMs) << SnowflakeGenerator::kTimestampShift)
            | (m_naiveSeq & SnowflakeGenerator::kSequenceMask);
    } else if (!m_snowflake.tryNext(unixMs, id)) {
        return false;
    }
    ++m_invariants[kMsgkeyUnique].checked;
    if (!m_msgkeys.insert(id).second)
        violation(kMsgkeyUnique, sim::strCat("msgkey ", id, " issued twice (clock at ", unixMs, " ms)"));
    return true;
}

void MessagingEngine::reserveSeq(std::uint64_t inbox, Region& r, std::function<void(bool ok, std::uint64_t seq)> done)
{
    const SequenceAllocator::Next n = m_seq.next(inbox);
    switch (n.status) {
    case SequenceAllocator::Status::Ok: {
        // Acceptance: the inbox's sequence must be above every one handed out before.
        InvariantState& inv = m_invariants[kSeqMonotonic];
        ++inv.checked;
        std::uint64_t& last = m_lastSeq[inbox];
        if (n.seq <= last)
            violation(kSeqMonotonic, sim::strCat("inbox ", inbox, " got sequence ", n.seq, " after ", last));
        if (n.seq > last + 1)
            m_trail.skipped(m_world.now(), inbox, last, n.seq);
        last = std::max(last, n.seq);
        done(true, n.seq);
        return;
    }
    case SequenceAllocator::Status::NeedsReservation:
        r.seqClient->put(sim::strCat("seq:", inbox), std::to_string(n.ceiling),
                         [this, inbox, &r, done = std::move(done), ceiling = n.ceiling](const infra::RaftResult& res) mutable {
                             if (res.status != infra::RaftStatus::Ok) {
                                 done(false, 0);
                                 return;
                             }
                             m_seq.confirm(inbox, ceiling);
                             m_trail.ceiling(inbox, ceiling);
                             reserveSeq(inbox, r, std::move(done));
                         });
        return;
    case SequenceAllocator::Status::NeedsLoad:
        r.seqClient->get(sim::strCat("seq:", inbox), [this, inbox, &r, done = std::move(done)](const infra::RaftResult& res) mutable {
            if (res.status != infra::RaftStatus::Ok) {
                done(false, 0);
                return;
            }
            const std::uint64_t ceiling = res.found ? std::stoull(res.value) : 0;
            auto p = m_persistedSeq.find(inbox);
            m_seq.load(inbox, ceiling, p == m_persistedSeq.end() ? 0 : p->second);
            m_trail.ceiling(inbox, ceiling);
            reserveSeq(inbox, r, std::move(done));
        });
        return;
    }
}

void MessagingEngine::allocateSeq(std::shared_ptr<SendOp> op, int side)
{
    const std::uint64_t inbox = side == 0 ? op->sender : op->receiver;
    reserveSeq(inbox, home(op->sender), [this, op, side](bool ok, std::uint64_t seq) {
        if (!ok) {
            sendPartDone(op, false, "sequence reservation");
            return;
        }
        op->seq[side] = seq;
        if (side == 0)
            allocateSeq(op, 1);
        else
            writeSend(op);
    });
}

void MessagingEngine::writeSend(std::shared_ptr<SendOp> op)
{
    const std::int64_t now = nowUnixMs();
    const ContentRoute route = m_router.route(op->msgkey);
    op->table = contentTable(route);
    if (m_mirror)
        m_rowWeight[static_cast<std::int64_t>(op->msgkey)] = op->weight;
    if (!m_contentTables.contains(op->table))
        violation(kMsgkeyUnique, sim::strCat("msgkey ", op->msgkey, " routes to ", op->table, ", not a table of its month"));
    op->pending = 3;
    Region& r = home(op->sender);
    infra::SqlCall call{r.bff, op->weight, 0};

    auto content = std::make_shared<infra::SqlBatch>();
    content->add(sim::strCat("INSERT INTO ", op->table, " (msgkey, sender, receiver, body, state) VALUES (?1, ?2, ?3, ?4, 0)"),
                 {static_cast<std::int64_t>(op->msgkey), static_cast<std::int64_t>(op->sender),
                  static_cast<std::int64_t>(op->receiver), std::string("hello")},
                 static_cast<std::int64_t>(op->msgkey));
    m_contentDb->write(0, std::move(content), call, [this, op](infra::SqlResult& res) {
        op->contentPosition = res.position;
        sendPartDone(op, res.ok() && res.changes > 0, "content row");
    });
    const std::int64_t sides[2][3] = {{op->sender, op->receiver, 0}, {op->receiver, op->sender, 1}};
    for (const auto& s : sides) {
        auto b = std::make_shared<infra::SqlBatch>();
        m_schema.addSend(*b, ConversationUpdate{s[0], s[1], MessageKind::OneToOne, static_cast<std::int64_t>(op->msgkey),
                                                op->msgMs, s[2], now});
        const bool own = s[0] == op->sender;
        m_convDb->write(m_convDb->shardOf(static_cast<std::uint64_t>(s[0])), std::move(b), call,
                        [this, op, own](infra::SqlResult& res) {
                            if (own)
                                op->convPosition = res.position;
                            sendPartDone(op, res.ok() && res.changes > 0, "conversation row");
                        });
    }
}

void MessagingEngine::sendPartDone(std::shared_ptr<SendOp> op, bool ok, const char* what)
{
    if (!ok && !op->failed) {
        op->failed = true;
        op->failure = what;
    }
    if (op->pending > 0)
        --op->pending;
    if (op->pending > 0)
        return;
    --m_inflightSends;
    m_trail.send(m_world.now(), op->sender, op->receiver, op->msgkey, op->seq, op->failure);
    Region& r = home(op->sender);
    if (op->failed) {
        m_totals.sendFailures += op->weight;
        m_errorsMetric->add(op->weight);
        r.failures += op->weight;
        return;
    }
    // Acknowledged: all three rows are written (each write reported its change).
    ++m_invariants[0].checked;
    ++m_contentRows[op->table];
    m_contentReal[op->table] += op->weight;
    m_totals.sends += op->weight;
    m_sendsMetric->add(op->weight);
    const sim::Nanos latency = m_world.now() - op->startedAt;
    m_sendLatencyMetric->record(latency, op->weight);
    r.second.record(latency, op->weight);
    // The session's read-your-writes token: this send and where its rows are in the binlogs.
    m_writeToken[op->sender] = WriteToken{op->msgkey, static_cast<std::int64_t>(op->receiver), op->msgMs,
                                          op->convPosition, op->contentPosition, m_world.now()};
    if (m_config.detailReadShare > 0.0 && m_detailRng.bernoulli(m_config.detailReadShare)) {
        m_world.after(m_config.detailReadDelay, m_queryKind, m_component,
                      [this, sender = op->sender, msgkey = op->msgkey, w = op->weight] { readDetail(sender, msgkey, w); });
    }
    // The slow path writes each inbox's sequence back every tenth sequence.
    for (int side = 0; side < 2; ++side) {
        if (op->seq[side] % 10 == 0)
            m_persistedSeq[side == 0 ? op->sender : op->receiver] = op->seq[side];
    }
    for (std::uint32_t u : {op->sender, op->receiver}) {
        if (m_config.mode == MessagingMode::Legacy) {
            // Cache-aside: delete the cached list; the next query rebuilds it from MySQL.
            Region& h = home(u);
            h.redis->del(h.bff, cacheKey(u), op->weight, [](const infra::KvReply&) {});
        }
        // Upgraded: the binlog sync (messaging_sync.cpp) carries the change to the caches.
    }
}

// ------------------------------------------------------------------ queries

void MessagingEngine::queryConversations(std::uint32_t user, double weight)
{
    auto op = std::make_shared<QueryOp>();
    op->user = user;
    op->weight = weight;
    op->startedAt = m_world.now();
    ++m_totals.discreteQueries;
    if (user >= m_users) {
        // Not found: a clear answer, counted as an error.
        m_totals.queryFailures += weight;
        m_errorsMetric->add(weight);
        return;
    }
    noteQuery(user, weight);
    op->token = m_writeToken[user];
    // Hedge budget: each query earns a share of a hedge (at most 20 banked).
    m_hedgeTokens = std::min(m_hedgeTokens + m_config.hedgeBudget, 20.0);
    op->region = &home(user);
    op->region->requests += weight;
    op->region->queue->submit(
        weight, [this](bool&) { return m_config.bffCost; },
        [this, op](infra::ServiceOutcome outcome, sim::Nanos) {
            if (outcome != infra::ServiceOutcome::Ok) {
                if (outcome == infra::ServiceOutcome::Rejected)
                    m_totals.chatShed += op->weight;
                finishQuery(op, false);
                return;
            }
            queryRedis(op);
        });
}

void MessagingEngine::noteQuery(std::uint32_t user, double weight)
{
    if (m_config.mode != MessagingMode::Upgraded)
        return;
    if (m_queryWeight[user] == 0.0)
        m_queried.push_back(user);
    m_queryWeight[user] += weight;
}

void MessagingEngine::queryRedis(std::shared_ptr<QueryOp> op)
{
    Region& r = *op->region;
    r.redis->get(r.bff, cacheKey(op->user), op->weight, [this, op](const infra::KvReply& reply) {
        const bool upgraded = m_config.mode == MessagingMode::Upgraded;
        if (reply.status == infra::KvStatus::Ok) {
            m_totals.redisHits += op->weight;
            // Read-your-writes: an entry the sync has not brought up to the writer's own
            // last send yet is passed over; MySQL answers.
            const bool reflects = reflectsToken(*op, reply.value);
            if (!upgraded || m_config.sabotage.noReadYourWrites || reflects) {
                noteReadYourWrites(*op, reflects);
                finishQuery(op, true);
                return;
            }
            // Taishan is fed by the same sync (through Raft, later than Redis): no newer.
            m_totals.rywStaleCache += op->weight;
            op->tier = 2;
            queryMysql(op, false);
            return;
        }
        m_totals.redisMisses += op->weight;
        if (m_config.mode == MessagingMode::Upgraded && !m_config.sabotage.noTaishanTier) {
            op->tier = 1;
            queryTaishan(op);
        } else {
            op->tier = 2;
            queryMysql(op, false);
        }
    });
}

void MessagingEngine::queryTaishan(std::shared_ptr<QueryOp> op)
{
    Region& r = *op->region;
    // Hedged back-sourcing: a Taishan read not answered within the hedge delay also asks
    // MySQL, within a budget (a share of the Taishan reads); the first answer wins.
    if (!m_config.sabotage.noHedge) {
        m_world.after(m_config.hedgeDelay, m_queryKind, m_component, [this, op] {
            if (op->done || m_hedgeTokens < 1.0)
                return;
            m_hedgeTokens -= 1.0;
            op->hedged = true;
            m_totals.hedges += op->weight;
            queryMysql(op, false);
        });
    }
    r.taishanClient->get(cacheKey(op->user), [this, op](const infra::RaftResult& res) {
        if (op->done)
            return;
        const bool reflects = res.status == infra::RaftStatus::Ok && res.found && reflectsToken(*op, res.value);
        if (res.status == infra::RaftStatus::Ok && res.found && !m_config.sabotage.noReadYourWrites && !reflects) {
            // Behind the writer's own last send (read-your-writes): MySQL answers instead.
            m_totals.rywStaleCache += op->weight;
            m_totals.taishanHits += op->weight;
            if (op->hedged)
                return;
            op->tier = 2;
            queryMysql(op, false);
            return;
        }
        if (res.status == infra::RaftStatus::Ok && res.found) {
            m_totals.taishanHits += op->weight;
            noteReadYourWrites(*op, reflects);
            Region& h = *op->region;
            // A fill never overwrites a synced entry (stamp 1 is below every sync version).
            h.redis->setIfNewer(h.bff, cacheKey(op->user), res.value, 1, m_config.redisTtl, op->weight,
                                [](const infra::KvReply&) {});
            op->tier = 1;
            finishQuery(op, true);
            return;
        }
        if (res.status == infra::RaftStatus::Ok)
            m_totals.taishanMisses += op->weight;
        if (op->hedged)
            return; // the hedge is already asking MySQL
        op->tier = 2;
        // The first miss loads Taishan passively (one load per key).
        queryMysql(op, res.status == infra::RaftStatus::Ok);
    }, 500 * sim::kMillisecond);
}

void MessagingEngine::queryMysql(std::shared_ptr<QueryOp> op, bool fillTaishan)
{
    // Legacy reads the primary; upgraded reads a replica, and the primary only when the
    // replica has not applied the writer's own last send yet (read-your-writes).
    m_totals.mysqlReads += op->weight;
    const bool upgraded = readsReplicas();
    bool strong = !upgraded;
    if (upgraded && !m_config.sabotage.noReadYourWrites && op->token.msgkey != 0
        && !replicaHas(*m_convDb, m_convDb->shardOf(op->user), op->region->bff, op->token.convPosition)) {
        m_totals.rywPrimary += op->weight;
        strong = true;
    }
    readMysqlList(op, fillTaishan, strong);
}

bool MessagingEngine::replicaHas(infra::SqlCluster& db, std::uint32_t shard, sim::ComponentId from,
                                 std::uint64_t position) const
{
    // Each replica's applied binlog position, as the proxy tracks them (ProxySQL reads
    // every backend's executed GTIDs): the replica a weak read from `from` would use —
    // a live one in the caller's region (infra::SqlShard::read) — holds the position?
    const int region = m_world.components().get(from).region;
    const infra::SqlShard& s = db.shard(shard);
    for (std::size_t i = 0; i < s.instanceCount(); ++i) {
        const infra::SqlInstance& inst = s.instance(i);
        if (inst.isPrimary() || inst.down() || inst.state().needsResync || inst.region() != region)
            continue;
        return inst.state().applied >= position;
    }
    return true; // no replica there: the weak read goes to the primary
}

void MessagingEngine::readMysqlList(std::shared_ptr<QueryOp> op, bool fillTaishan, bool strong)
{
    const infra::Consistency consistency = strong ? infra::Consistency::Strong : infra::Consistency::Weak;
    if (strong)
        m_totals.mysqlPrimaryReads += op->weight;
    m_totals.mysqlReadsAll += op->weight;
    const std::uint32_t shard = m_convDb->shardOf(op->user);
    const infra::SqlCall call{op->region->bff, op->weight, 0};
    m_convDb->read(shard, consistency, m_schema.listPage(op->user, ListCursor{}, m_config.pageSize), call,
                   [this, op, shard, strong, consistency, call, fillTaishan](infra::SqlResult& list) {
                       if (op->done)
                           return;
                       if (!list.ok()) {
                           finishQuery(op, false);
                           return;
                       }
                       const bool replica = countReplicaRead(list, shard, false);
                       if (replica) {
                           m_totals.replicaReads += op->weight;
                           m_totals.replicaReadsAll += op->weight;
                       }
                       // Causal read (as ProxySQL's GTID tracking or MaxScale's causal_reads): the
                       // answer's applied position against the writer's own row's position.
                       if (replica && !strong && !m_config.sabotage.noReadYourWrites && op->token.msgkey != 0
                           && list.position < op->token.convPosition) {
                           m_totals.rywPrimary += op->weight;
                           readMysqlList(op, fillTaishan, true);
                           return;
                       }
                       op->rows = ConversationSchema::rows(list);
                       m_convDb->read(shard, consistency, m_schema.totalUnread(op->user), call,
                                      [this, op, fillTaishan](infra::SqlResult& total) {
                                          if (op->done)
                                              return;
                                          if (!total.ok()) {
                                              finishQuery(op, false);
                                              return;
                                          }
                                          op->total = ConversationSchema::total(total);
                                          const std::string value = encodeList(op->rows, op->total);
                                          Region& h = *op->region;
                                          if (m_config.mode == MessagingMode::Upgraded) {
                                              h.redis->setIfNewer(h.bff, cacheKey(op->user), value, 1, m_config.redisTtl,
                                                                  op->weight, [](const infra::KvReply&) {});
                                          } else {
                                              h.redis->set(h.bff, cacheKey(op->user), value, m_config.legacyTtl,
                                                           op->weight, [](const infra::KvReply&) {});
                                          }
                                          if (fillTaishan && h.taishanClient)
                                              h.taishanClient->setIfNewer(cacheKey(op->user), value, 1,
                                                                          [](const infra::RaftResult&) {});
                                          if (op->hedged)
                                              m_totals.hedgesWon += op->weight;
                                          op->tier = 2;
                                          checkReadYourWrites(*op, value);
                                          finishQuery(op, true);
                                      });
                   });
}

bool MessagingEngine::countReplicaRead(const infra::SqlResult& result, std::uint32_t shard, bool content)
{
    infra::SqlCluster& db = content ? *m_contentDb : *m_convDb;
    const bool replica = result.servedBy != db.shard(shard).primary().id();
    return replica;
}

bool MessagingEngine::reflectsToken(const QueryOp& op, std::string_view list) const
{
    // "<total>;<peer>,<last msgkey>,<last ms>,<unread>;…": the writer's conversation with
    // its last msgkey at least the token's, or a full page of newer conversations above it.
    const WriteToken& t = op.token;
    if (t.msgkey == 0)
        return true;
    // Most answers hold the writer's conversation: find its row by text (";<peer>,", the
    // encoders write no leading zeros) and read only its msgkey. Otherwise, every row.
    char needle[24];
    needle[0] = ';';
    char* needleEnd = std::to_chars(needle + 1, needle + sizeof needle - 1, t.peer).ptr;
    *needleEnd++ = ',';
    const std::string_view writerRow(needle, static_cast<std::size_t>(needleEnd - needle));
    for (std::size_t at = list.find(writerRow); at != std::string_view::npos; at = list.find(writerRow, at + 1)) {
        std::int64_t key = 0;
        std::from_chars(list.data() + at + writerRow.size(), list.data() + list.size(), key);
        if (static_cast<std::uint64_t>(key) >= t.msgkey)
            return true;
    }
    // The writer's row is not there (or older, which the loop above saw): the answer still
    // reflects the send when a full page of conversations at least as new sits above it.
    std::int64_t rows = 0;
    std::int64_t oldestMs = std::numeric_limits<std::int64_t>::max();
    for (std::size_t at = list.find(';'); at != std::string_view::npos; at = list.find(';', at + 1)) {
        const std::string_view row = list.substr(at + 1, list.find(';', at + 1) - at - 1);
        const std::size_t peerEnd = row.find(',');
        const std::size_t keyEnd = peerEnd == std::string_view::npos ? peerEnd : row.find(',', peerEnd + 1);
        std::int64_t ms = 0; // a row without its time counts as the oldest
        if (keyEnd != std::string_view::npos)
            std::from_chars(row.data() + keyEnd + 1, row.data() + row.size(), ms);
        ++rows;
        oldestMs = std::min(oldestMs, ms);
    }
    return rows >= m_config.pageSize && oldestMs >= t.msgMs;
}

void MessagingEngine::checkReadYourWrites(const QueryOp& op, std::string_view list)
{
    noteReadYourWrites(op, reflectsToken(op, list));
}

void MessagingEngine::noteReadYourWrites(const QueryOp& op, bool reflects)
{
    if (op.token.msgkey == 0)
        return;
    InvariantState& inv = m_invariants[kReadYourWrites];
    ++inv.checked;
    if (reflects)
        return;
    m_totals.rywMissedLists += op.weight;
    violation(kReadYourWrites, sim::strCat("user ", op.user, " saw its conversation list without its send ",
                                               op.token.msgkey, " to ", op.token.peer, " (acknowledged at ",
                                               sim::toMillis(op.token.ackedAt), " ms, shown at ",
                                               sim::toMillis(m_world.now()), " ms)"));
}

void MessagingEngine::readDetail(std::uint32_t sender, std::uint64_t msgkey, double weight)
{
    // The sender opens the conversation: its new message read back by msgkey through its BFF.
    auto op = std::make_shared<DetailOp>();
    op->sender = sender;
    op->msgkey = msgkey;
    op->table = contentTable(m_router.route(msgkey));
    op->weight = weight;
    op->token = m_writeToken[sender];
    Region& r = home(sender);
    r.queue->submit(
        weight, [this](bool&) { return m_config.bffCost; },
        [this, op](infra::ServiceOutcome outcome, sim::Nanos) {
            if (outcome != infra::ServiceOutcome::Ok) {
                m_totals.detailFailures += op->weight;
                return;
            }
            const bool upgraded = readsReplicas();
            bool strong = !upgraded;
            if (upgraded && !m_config.sabotage.noReadYourWrites
                && !replicaHas(*m_contentDb, 0, home(op->sender).bff, op->token.contentPosition)) {
                m_totals.rywPrimary += op->weight;
                strong = true;
            }
            readDetailFrom(op, strong);
        });
}

void MessagingEngine::readDetailFrom(std::shared_ptr<DetailOp> op, bool strong)
{
    m_totals.mysqlReadsAll += op->weight;
    const infra::SqlCall call{home(op->sender).bff, op->weight, 0};
    m_contentDb->read(
        0, strong ? infra::Consistency::Strong : infra::Consistency::Weak,
        infra::SqlQuery{sim::strCat("SELECT msgkey FROM ", op->table, " WHERE msgkey = ?1"),
                        {static_cast<std::int64_t>(op->msgkey)}},
        call, [this, op, strong](infra::SqlResult& res) {
            if (!res.ok()) {
                m_totals.detailFailures += op->weight; // the client keeps what it shows and retries later
                return;
            }
            const bool replica = countReplicaRead(res, 0, true);
            if (replica)
                m_totals.replicaReadsAll += op->weight;
            if (m_config.mode == MessagingMode::Upgraded && replica && !strong && !m_config.sabotage.noReadYourWrites
                && res.position < op->token.contentPosition) {
                m_totals.rywPrimary += op->weight;
                readDetailFrom(op, true);
                return;
            }
            m_totals.detailReads += op->weight;
            InvariantState& inv = m_invariants[kReadYourWrites];
            ++inv.checked;
            if (res.rowCount() > 0)
                return;
            m_totals.rywMissedDetails += op->weight;
            violation(kReadYourWrites, sim::strCat("user ", op->sender, " opened its conversation without its send ",
                                                       op->msgkey, " (acknowledged at ", sim::toMillis(op->token.ackedAt),
                                                       " ms, read at ", sim::toMillis(m_world.now()), " ms from ",
                                                       m_world.components().get(res.servedBy).path, ")"));
        });
}

void MessagingEngine::finishQuery(std::shared_ptr<QueryOp> op, bool ok)
{
    if (op->done)
        return;
    op->done = true;
    m_trail.query(m_world.now(), op->user, op->weight, op->tier, m_world.now() - op->startedAt, ok);
    if (!ok) {
        m_totals.queryFailures += op->weight;
        m_errorsMetric->add(op->weight);
        op->region->failures += op->weight;
        // The client shows its last good summary (kept on the device); without one the
        // page would be blank.
        ++m_invariants[kNoBlankPage].checked;
        if (m_config.sabotage.noClientCache) {
            m_totals.blankPages += op->weight;
            violation(kNoBlankPage, sim::strCat("user ", op->user, " saw a blank conversation page at ",
                                                sim::toMillis(m_world.now()), " ms"));
        } else {
            m_totals.cachedSummaries += op->weight;
        }
        return;
    }
    const sim::Nanos latency = m_world.now() - op->startedAt;
    m_totals.queries += op->weight;
    m_queriesMetric->add(op->weight);
    m_queryLatencyMetric->record(latency, op->weight);
    m_queryLatency.record(latency, op->weight);
    m_tierLatency[op->tier].record(latency, op->weight);
    m_second.record(latency, op->weight);
    op->region->second.record(latency, op->weight);
    const double redis = m_totals.redisHits + m_totals.redisMisses;
    m_redisHitGauge->set(redis > 0.0 ? m_totals.redisHits / redis : 0.0);
    const double taishan = m_totals.taishanHits + m_totals.taishanMisses;
    m_taishanHitGauge->set(taishan > 0.0 ? m_totals.taishanHits / taishan : 0.0);
}

void MessagingEngine::prewarm()
{
    // The daily offline load: the most popular users' lists into Redis, from a replica.
    const std::uint32_t top = static_cast<std::uint32_t>(std::ceil(m_users * m_config.prewarmShare));
    for (std::uint32_t rank = 0; rank < top && rank < m_users; ++rank)
        loadInto(m_popularity[rank], !m_config.sabotage.noTaishanTier);
}

void MessagingEngine::loadInto(std::uint32_t user, bool taishan)
{
    // One user's list from a replica into Redis (and Taishan), never over a synced entry.
    Region& h = home(user);
    const std::uint32_t shard = m_convDb->shardOf(user);
    const infra::SqlCall call{h.bff, 1.0, 0};
    const infra::Consistency consistency = m_config.sabotage.noReplicas ? infra::Consistency::Strong
                                                                        : infra::Consistency::Weak;
    m_convDb->read(shard, consistency, m_schema.listPage(user, ListCursor{}, m_config.pageSize), call,
                   [this, user, shard, call, consistency, taishan](infra::SqlResult& list) {
                       if (!list.ok())
                           return;
                       auto rows = std::make_shared<std::vector<ConversationRow>>(ConversationSchema::rows(list));
                       m_convDb->read(shard, consistency, m_schema.totalUnread(user), call,
                                      [this, user, rows, taishan](infra::SqlResult& total) {
                                          if (!total.ok())
                                              return;
                                          Region& h = home(user);
                                          const std::string value = encodeList(*rows, ConversationSchema::total(total));
                                          h.redis->setIfNewer(h.bff, cacheKey(user), value, 1, m_config.redisTtl, 1.0,
                                                              [](const infra::KvReply&) {});
                                          if (taishan && h.taishanClient)
                                              h.taishanClient->setIfNewer(cacheKey(user), value, 1,
                                                                          [](const infra::RaftResult&) {});
                                      });
                   });
}

absl::Status MessagingEngine::prewarmUser(std::uint32_t user)
{
    if (user >= m_users)
        return absl::NotFoundError(sim::strCat("prewarm-user: no user ", user, " (users 0..", m_users - 1, ")"));
    loadInto(user, m_config.mode == MessagingMode::Upgraded && !m_config.sabotage.noTaishanTier);
    return absl::OkStatus();
}

absl::Status MessagingEngine::flushRegion(std::string_view region)
{
    for (auto& r : m_regions) {
        if (region != "*" && r->name != region)
            continue;
        for (int i = 0; i < 2; ++i)
            r->redis->node(i).store().clear();
        for (std::uint32_t u = 0; u < m_appliedVersion.size(); ++u) {
            if (region == "*" || m_regions[u % m_regions.size()].get() == r.get())
                m_appliedVersion[u] = 0;
        }
        if (region != "*")
            return absl::OkStatus();
    }
    if (region == "*")
        return absl::OkStatus();
    return absl::InvalidArgumentError(sim::strCat("flush-region-cache: '", region, "' is not a home region of messaging"));
}

absl::Status MessagingEngine::drainRegion(std::string_view region)
{
    for (auto& r : m_regions) {
        if (r->name != region)
            continue;
        if (m_drained.size() + 1 >= m_regions.size() && !m_drained.contains(r->index))
            return absl::FailedPreconditionError(sim::strCat("drain-region: ", region, " is the last region serving"));
        const std::vector<const Region*> before = servingRegions();
        m_drained.insert(r->index);
        resyncMoved(before);
        return absl::OkStatus();
    }
    return absl::InvalidArgumentError(sim::strCat("drain-region: '", region, "' is not a home region of messaging"));
}

absl::Status MessagingEngine::restoreRegion(std::string_view region)
{
    for (auto& r : m_regions) {
        if (r->name == region) {
            const std::vector<const Region*> before = servingRegions();
            m_drained.erase(r->index);
            resyncMoved(before);
            return absl::OkStatus();
        }
    }
    return absl::InvalidArgumentError(sim::strCat("restore: '", region, "' is not a home region of messaging"));
}

std::vector<const MessagingEngine::Region*> MessagingEngine::servingRegions()
{
    std::vector<const Region*> out(m_users);
    for (std::uint32_t u = 0; u < m_users; ++u)
        out[u] = &home(u);
    return out;
}

void MessagingEngine::placeContent()
{
    // The current month's content rows before the drill, placed by the real router: ids
    // from 32 workers, each issuing under one id per millisecond, spread over the month
    // (the pattern behind the 25-table pitfall), each standing for its share of the
    // month's volume.
    const sim::CivilTime now = m_world.calendar().local(0);
    const std::int64_t offsetMs = std::int64_t{m_world.calendar().utcOffsetMinutes()} * 60'000;
    const std::int64_t from = sim::Calendar::daysFromCivil(now.year, now.month, 1) * kDay - offsetMs;
    const int nextYear = now.month == 12 ? now.year + 1 : now.year;
    const int nextMonth = now.month == 12 ? 1 : now.month + 1;
    const std::int64_t to = sim::Calendar::daysFromCivil(nextYear, nextMonth, 1) * kDay - offsetMs;
    const auto n = static_cast<std::int64_t>(std::max(1000.0, m_config.contentSampleIds * m_config.dataScale));
    const double each = m_config.monthlyContentRows / static_cast<double>(n);
    std::vector<SnowflakeGenerator> workers;
    for (std::uint32_t w = 0; w < 32; ++w)
        workers.push_back(*SnowflakeGenerator::create(SnowflakeConfig{m_snowflake.config().epochUnixMs, 1, w}));
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t ms = from + (to - from) * i / n;
        std::uint64_t id = 0;
        if (!workers[static_cast<std::size_t>(i % 32)].tryNext(ms, id))
            continue;
        m_placed[contentTable(m_router.route(id))] += each;
    }
}

double MessagingEngine::contentRowsPerTable() const
{
    if (m_placed.empty())
        return 0.0;
    double sum = 0.0;
    for (const auto& [table, rows] : m_placed) {
        auto it = m_contentReal.find(table);
        sum += rows + (it == m_contentReal.end() ? 0.0 : it->second);
    }
    return sum / static_cast<double>(m_placed.size());
}

double MessagingEngine::contentMaxOverMean() const
{
    const double mean = contentRowsPerTable();
    double most = 0.0;
    for (const auto& [table, rows] : m_placed) {
        auto it = m_contentReal.find(table);
        most = std::max(most, rows + (it == m_contentReal.end() ? 0.0 : it->second));
    }
    return mean > 0.0 ? most / mean : 0.0;
}

void MessagingEngine::resetQueryLatency()
{
    m_queryLatency.reset();
    for (telemetry::Histogram& h : m_tierLatency)
        h.reset();
}

void MessagingEngine::flushCaches()
{
    (void)flushRegion("*");
}

// ------------------------------------------------------------------ health, invariants

void MessagingEngine::regionSecond()
{
    // Hot users: asked for more than the threshold in the last second → pre-warmed.
    for (std::uint32_t user : m_queried) {
        if (m_queryWeight[user] >= m_config.hotUserQueriesPerSec && m_hotUsers.insert(user).second) {
            m_totals.hotPrewarms += 1.0;
            loadInto(user, !m_config.sabotage.noTaishanTier);
        }
        m_queryWeight[user] = 0.0;
    }
    m_queried.clear();
    {
        SecondStats& st = m_lastSecondStats;
        const Totals& t = m_totals;
        const Totals& b = m_secondBase;
        st.bulkUsersPerSec = t.bulkDelivered - b.bulkDelivered;
        st.highUsersPerSec = t.highDelivered - b.highDelivered;
        st.highP99Ms = m_highSecond.quantile(0.99) / 1e6;
        st.bulkWorkMs = m_bulkWorkSecond.mean() / 1e6;
        m_bulkWorkSecond.reset();
        st.syncRecordsPerSec = (t.syncApplied + t.syncRefused) - (b.syncApplied + b.syncRefused);
        st.syncLagP99Ms = m_syncLagSecond.quantile(0.99) / 1e6;
        st.replicaDelayP99Ms = m_replicaSecond.quantile(0.99) / 1e6;
        st.groupPushesPerSec = t.groupPushes - b.groupPushes;
        st.blankPages = t.blankPages - b.blankPages;
        st.cachedSummaries = t.cachedSummaries - b.cachedSummaries;
        st.hedges = t.hedges - b.hedges;
        const double lookups = (t.redisHits + t.redisMisses) - (b.redisHits + b.redisMisses);
        st.mysqlReadShare = lookups > 0.0 ? (t.mysqlReads - b.mysqlReads) / lookups : 0.0;
        const double sqlReads = t.mysqlReadsAll - b.mysqlReadsAll;
        st.mysqlReplicaShare = sqlReads > 0.0 ? (t.replicaReadsAll - b.replicaReadsAll) / sqlReads : 0.0;
        st.noticeRequestsPerSec = t.noticeRequests - b.noticeRequests;
        st.noticeP99Ms = m_noticeSecond.count() > 0 ? m_noticeSecond.quantile(0.99) / 1e6 : 0.0;
        m_noticeSecond.reset();
        st.chatShed = t.chatShed - b.chatShed;
        const double asked = (t.queries + t.queryFailures) - (b.queries + b.queryFailures);
        st.queryAvailability = asked > 0.0 ? (t.queries - b.queries) / asked : 1.0;
        m_secondBase = t;
        m_highSecond.reset();
        m_syncLagSecond.reset();
        m_replicaSecond.reset();
    }
    m_lastSecondP99Ms = m_second.quantile(0.99) / 1e6;
    m_second.reset();
    for (auto& r : m_regions) {
        r->lastRequests = r->requests;
        r->lastFailures = r->failures;
        r->lastP99Ms = r->second.quantile(0.99) / 1e6;
        r->requests = 0.0;
        r->failures = 0.0;
        r->second.reset();
    }
    m_world.after(sim::kSecond, m_secondKind, m_component, [this] { regionSecond(); });
}

void MessagingEngine::contribute(v1::Snapshot& snapshot) const
{
    for (const auto& r : m_regions) {
        v1::RegionHealth& h = *snapshot.add_regions();
        m_prober->fill(h, r->index);
        const double req = r->lastRequests;
        h.set_availability(req > 0.0 ? 1.0 - r->lastFailures / req : (h.up() ? 1.0 : 0.0));
        h.set_error_rate(req > 0.0 ? r->lastFailures / req : 0.0);
        h.set_p99_ms(r->lastP99Ms);
        h.set_rps(req);
    }
}

std::vector<MessagingEngine::InvariantState> MessagingEngine::invariantStatus() const
{
    std::vector<InvariantState> out = m_invariants;
    for (InvariantState& s : out)
        s.detail = sim::strCat(s.detail, " (", s.checked, " checked)");
    return out;
}

void MessagingEngine::doubleUpdate(int users)
{
    // Each chosen user's conversation rows get two updates stamped with the same
    // millisecond (two messages arriving at once), written one after the other.
    sim::RandomStream rng = m_world.stream("messaging/double-update");
    const std::int64_t nowMs = nowUnixMs();
    for (int i = 0; i < users; ++i) {
        const auto r = static_cast<std::uint32_t>(rng.uniformInt(m_users));
        Region& h = home(r);
        for (std::uint32_t k = 1; k <= 2; ++k) {
            std::uint64_t msgkey = 0;
            if (!issueMsgkey(nowMs, msgkey))
                continue;
            auto b = std::make_shared<infra::SqlBatch>();
            m_schema.addSend(*b, ConversationUpdate{r, (r + k) % m_users, MessageKind::OneToOne,
                                                    static_cast<std::int64_t>(msgkey), nowMs, 1, nowMs});
            if (m_mirror)
                m_rowWeight[static_cast<std::int64_t>(msgkey)] = 1.0;
            m_convDb->write(m_convDb->shardOf(r), std::move(b), infra::SqlCall{h.bff, 1.0, 0},
                            [](infra::SqlResult&) {});
        }
    }
}

void MessagingEngine::stopLoad()
{
    if (!m_loadStopped)
        m_loadStoppedAt = m_world.now();
    m_loadStopped = true;
    m_campaignLeft = 0.0; // no more fan-out; records already in the channels still deliver
}

std::vector<MessagingEngine::InvariantState> MessagingEngine::finalInvariants()
{
    if (m_coupling.giftNotices)
        checkNotices(true);
    // Liveness: once the load has stopped for a while, the caches equal the database.
    InvariantState& conv = m_invariants[kCacheConverges];
    if (m_config.mode == MessagingMode::Legacy)
        conv.detail = "every synced Redis entry equals the database after the load stops (legacy: no sync, cache-aside "
                      "with expiry; not checked)";
    else if (m_loadStopped && m_world.now() - m_loadStoppedAt >= 2 * sim::kSecond)
        checkConvergence();
    else
        conv.detail = "every synced Redis entry equals the database after the load stops (not checked: the load did "
                      "not stop 2 s before the end)";
    // Every acknowledged send's content row is in its table: count each table on the
    // content primary (reads its database directly; the run is over).
    infra::SqlConnection& db = m_contentDb->shard(0).primary().connection();
    for (const std::string& table : m_contentTables) {
        infra::SqlResult r;
        infra::SqlStats stats;
        if (!db.runQuery(sim::strCat("SELECT COUNT(*) FROM ", table), {}, true, r, stats).ok())
            continue;
        const std::int64_t rows = r.rowCount() > 0 ? infra::sqlInt(r.at(0, 0)) : 0;
        auto it = m_contentRows.find(table);
        const std::uint64_t acked = it == m_contentRows.end() ? 0 : it->second;
        ++m_invariants[0].checked;
        if (static_cast<std::uint64_t>(rows) < acked)
            violation(0, sim::strCat("table ", table, " holds ", rows, " rows, ", acked, " sends acknowledged"));
    }
    return invariantStatus();
}

void MessagingEngine::inspect(sim::StateWriter& out) const
{
    out.add("mode", toString(m_config.mode));
    out.add("users", static_cast<std::uint64_t>(m_users));
    out.add("sends", m_totals.sends);
    out.add("queries", m_totals.queries);
    out.add("errors", m_totals.sendFailures + m_totals.queryFailures);
    out.add("query_mean_ms", m_queryLatency.mean() / 1e6);
    out.add("query_p99_ms", m_queryLatency.quantile(0.99) / 1e6);
    out.add("bulk_delivered", m_totals.bulkDelivered);
    out.add("bulk_backlog", bulkBacklog());
    out.add("dead_lettered", m_totals.deadLettered);
    out.add("group_sends", m_totals.groupSends);
    out.add("sync_applied", m_totals.syncApplied);
    out.add("sync_refused", m_totals.syncRefused);
    out.add("hedges", m_totals.hedges);
    out.add("cached_summaries", m_totals.cachedSummaries);
    out.add("content_rows_per_table", contentRowsPerTable());
    bool ok = true;
    for (const InvariantState& s : m_invariants)
        ok = ok && s.passed;
    out.add("invariants", ok ? "hold" : "VIOLATED");
    MessagingInspect::write(*this, out);
}

} // namespace livedeck::messaging

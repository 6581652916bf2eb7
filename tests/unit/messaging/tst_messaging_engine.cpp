// The messaging engine on a world (MessagingEngine): the upgraded tiers answer
// conversation queries at least 5× faster on average than the legacy path at the same
// seed; sends are acknowledged and their sequences checked; a lost sequence cache with
// the sabotaged reload (from the last write-back) is caught by the sequence invariant,
// while the correct reload (from the durable ceiling) keeps it; a flushed Redis moves
// upgraded queries to Taishan; each home region gets a RegionHealth row from the
// engine's probes; a group's unread is its max sequence minus the member's read
// sequence; operator actions refuse unknown targets; a query for an unknown user is an
// error, not a crash; the sabotage switches no-replicas, no-covering-index and
// no-stored-counters reach the reads and the shards' schema.
#include "backend/infra/sql_cluster.h"
#include "backend/messaging/messaging_engine.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <span>

using namespace livedeck;
using namespace livedeck::messaging;

namespace {

struct Rig {
    explicit Rig(MessagingConfig config, std::uint64_t seed = 11)
        : world(sim::WorldConfig{seed, sim::Topology::defaults(), sim::Calendar(), "test"}), telemetry(world)
    {
        auto created = MessagingEngine::create(world, telemetry, std::move(config));
        if (!created.ok())
            qFatal("cannot create engine: %s", std::string(created.status().message()).c_str());
        engine = std::move(*created);
        engine->start();
    }
    ~Rig() { engine.reset(); }
    void runUntil(sim::Nanos t)
    {
        while (world.scheduler().nextTime() <= t && world.scheduler().step()) {
        }
    }
    bool invariant(std::string_view name) const
    {
        for (const auto& s : engine->invariantStatus()) {
            if (s.name == name)
                return s.passed;
        }
        qFatal("no invariant %s", std::string(name).c_str());
    }

    sim::World world;
    telemetry::Telemetry telemetry;
    std::unique_ptr<MessagingEngine> engine;
};

MessagingConfig drillConfig(MessagingMode mode)
{
    MessagingConfig c;
    c.mode = mode;
    c.scale = 0.05;
    return c;
}

} // namespace

class TstMessagingEngine : public QObject {
    Q_OBJECT
private slots:
    void upgradedQueriesAreFiveTimesFaster()
    {
        Rig legacy(drillConfig(MessagingMode::Legacy));
        Rig upgraded(drillConfig(MessagingMode::Upgraded));
        for (Rig* r : {&legacy, &upgraded}) {
            r->runUntil(2 * sim::kSecond);
            r->engine->resetQueryLatency();
            r->runUntil(4 * sim::kSecond);
        }
        const auto& l = legacy.engine->totals();
        const auto& u = upgraded.engine->totals();
        const double lm = legacy.engine->queryLatency().mean() / 1e6;
        const double um = upgraded.engine->queryLatency().mean() / 1e6;
        qInfo("legacy: %.0f queries mean %.3f ms p99 %.3f ms, redis hits %.2f, sends %.0f, errors %.0f", l.queries, lm,
              legacy.engine->queryLatency().quantile(0.99) / 1e6, l.redisHits / (l.redisHits + l.redisMisses), l.sends,
              l.sendFailures + l.queryFailures);
        qInfo("upgraded: %.0f queries mean %.3f ms p99 %.3f ms, redis hits %.2f, taishan hits %.2f, sends %.0f, errors "
              "%.0f",
              u.queries, um, upgraded.engine->queryLatency().quantile(0.99) / 1e6,
              u.redisHits / (u.redisHits + u.redisMisses), u.taishanHits / std::max(1.0, u.taishanHits + u.taishanMisses),
              u.sends, u.sendFailures + u.queryFailures);
        for (Rig* r : {&legacy, &upgraded})
            qInfo("tiers: redis %.3f ms (%.0f), taishan %.3f ms (%.0f), mysql %.3f ms (%.0f) p99 %.3f",
                  r->engine->tierLatency(0).mean() / 1e6, r->engine->tierLatency(0).count(),
                  r->engine->tierLatency(1).mean() / 1e6, r->engine->tierLatency(1).count(),
                  r->engine->tierLatency(2).mean() / 1e6, r->engine->tierLatency(2).count(),
                  r->engine->tierLatency(2).quantile(0.99) / 1e6);
        QVERIFY(l.discreteQueries > 500);
        QVERIFY(u.discreteSends > 200);
        QVERIFY(u.sends > 0.0);
        QVERIFY(lm >= 5.0 * um);
        for (Rig* r : {&legacy, &upgraded}) {
            QVERIFY(r->invariant("messaging.no_lost_send"));
            QVERIFY(r->invariant("messaging.seq_monotonic"));
        }
        for (const auto& s : upgraded.engine->finalInvariants())
            QVERIFY2(s.passed, s.detail.c_str());
    }

    void sabotagedSequenceReloadIsCaught()
    {
        for (bool sabotage : {false, true}) {
            MessagingConfig c = drillConfig(MessagingMode::Upgraded);
            c.sabotage.seqReloadFromPersisted = sabotage;
            Rig rig(c);
            rig.runUntil(3 * sim::kSecond);
            QVERIFY(rig.invariant("messaging.seq_monotonic"));
            rig.engine->loseSequenceCache();
            rig.runUntil(5 * sim::kSecond);
            QCOMPARE(rig.invariant("messaging.seq_monotonic"), !sabotage);
        }
    }

    void flushedRedisFallsToTaishan()
    {
        Rig rig(drillConfig(MessagingMode::Upgraded));
        rig.runUntil(3 * sim::kSecond);
        const double before = rig.engine->totals().taishanHits;
        rig.engine->flushCaches();
        rig.runUntil(4 * sim::kSecond);
        QVERIFY(rig.engine->totals().taishanHits > before);
    }

    // no-replicas: after a cache flush upgraded reads lists from MySQL, on replicas; with
    // the switch every one of those reads is the primary's.
    void noReplicasReadsThePrimary()
    {
        for (bool sabotage : {false, true}) {
            MessagingConfig c = drillConfig(MessagingMode::Upgraded);
            c.sabotage.noReplicas = sabotage;
            c.sabotage.noTaishanTier = true; // Redis misses go straight to MySQL
            Rig rig(c);
            rig.runUntil(2 * sim::kSecond);
            rig.engine->flushCaches();
            rig.runUntil(3 * sim::kSecond);
            const auto& t = rig.engine->totals();
            qInfo("no-replicas %d: %.0f MySQL reads, %.0f on the primary, %.0f on replicas", sabotage, t.mysqlReadsAll,
                  t.mysqlPrimaryReads, t.replicaReadsAll);
            QVERIFY(t.mysqlReadsAll > 0.0);
            if (sabotage) {
                QCOMPARE(t.replicaReadsAll, 0.0);
                QCOMPARE(t.mysqlPrimaryReads, t.mysqlReadsAll);
            } else {
                QVERIFY(t.replicaReadsAll > 0.5 * t.mysqlReadsAll);
            }
        }
    }

    // no-covering-index and no-stored-counters reach the engine's conversation shards:
    // the index and the counter table are missing there, and the list's plan reads the
    // table through the unique (owner, peer) index.
    void schemaSwitchesReachTheShards()
    {
        for (bool sabotage : {false, true}) {
            MessagingConfig c = drillConfig(MessagingMode::Upgraded);
            c.sabotage.noCoveringIndex = sabotage;
            c.sabotage.noStoredCounters = sabotage;
            Rig rig(c);
            infra::SqlConnection& db = rig.engine->conversationDb().shard(0).primary().connection();
            auto query = [&db](const std::string& sql, std::span<const infra::SqlValue> params = {}) {
                infra::SqlResult r;
                infra::SqlStats stats;
                if (!db.runQuery(sql, params, true, r, stats).ok())
                    qFatal("query failed: %s", sql.c_str());
                std::string out;
                for (std::size_t i = 0; i < r.rowCount(); ++i)
                    out += std::string(infra::sqlText(r.at(i, r.columns - 1))) + "; ";
                return out;
            };
            const std::string objects = query("SELECT name FROM sqlite_schema ORDER BY name");
            const infra::SqlQuery list = ConversationSchema(ConversationSchemaKind::Upgraded).listPage(1, {}, 20);
            const std::string plan = query("EXPLAIN QUERY PLAN " + list.sql, list.params);
            qInfo("sabotage %d: %s| %s", sabotage, objects.c_str(), plan.c_str());
            QCOMPARE(objects.find("conv_list;") == std::string::npos, sabotage);
            QCOMPARE(objects.find("user_unread;") == std::string::npos, sabotage);
            QCOMPARE(plan.find("COVERING INDEX conv_list") == std::string::npos, sabotage);
            QCOMPARE(plan.find("conv_owner_peer") != std::string::npos, sabotage);
        }
    }

    void regionHealthFromProbes()
    {
        Rig rig(drillConfig(MessagingMode::Upgraded));
        rig.runUntil(3 * sim::kSecond + sim::kMillisecond);
        v1::Snapshot snapshot;
        rig.engine->contribute(snapshot);
        QCOMPARE(snapshot.regions_size(), 2); // the home regions sh-a and sh-b
        for (const v1::RegionHealth& h : snapshot.regions()) {
            QCOMPARE(h.engine(), std::string("messaging"));
            QVERIFY(h.up());
            QVERIFY(h.probes_answered() > 0);
            QVERIFY(h.rps() > 0.0);
        }
    }

    // Read diffusion: a group send writes once; each member's unread is the group's max
    // sequence minus its read sequence, and reading brings it to zero.
    void groupUnreadIsMaxMinusRead()
    {
        MessagingConfig c = drillConfig(MessagingMode::Upgraded);
        c.groupSendsPerSec = 0.0; // only the sends below
        Rig rig(c);
        rig.runUntil(2 * sim::kSecond);
        QVERIFY(rig.engine->groupCount() > 0);
        // Two members of group 0: found by asking (a non-member answers -1).
        std::vector<std::uint32_t> members;
        for (std::uint32_t u = 0; u < rig.engine->userCount() && members.size() < 2; ++u)
            if (rig.engine->groupUnread(0, u) >= 0)
                members.push_back(u);
        QCOMPARE(members.size(), std::size_t{2});
        const double pushesBefore = rig.engine->totals().groupPushes;
        for (int i = 0; i < 5; ++i)
            rig.engine->sendGroup(0, members[0], 1.0);
        rig.runUntil(3 * sim::kSecond);
        QCOMPARE(rig.engine->groupUnread(0, members[1]), std::int64_t{5});
        QVERIFY(rig.engine->totals().groupPushes > pushesBefore);
        rig.engine->markGroupRead(0, members[1]);
        QCOMPARE(rig.engine->groupUnread(0, members[1]), std::int64_t{0});
        rig.engine->sendGroup(0, members[0], 1.0);
        rig.runUntil(4 * sim::kSecond);
        QCOMPARE(rig.engine->groupUnread(0, members[1]), std::int64_t{1});
        QVERIFY(rig.invariant("messaging.group_unread"));
        // A sender outside the group is refused.
        const double failures = rig.engine->totals().sendFailures;
        std::uint32_t outsider = 0;
        while (rig.engine->groupUnread(0, outsider) >= 0)
            ++outsider;
        rig.engine->sendGroup(0, outsider, 1.0);
        QCOMPARE(rig.engine->totals().sendFailures, failures + 1.0);
    }

    // Operator actions: an unknown region or user is a clear error.
    void operatorActionsRefuseUnknownTargets()
    {
        Rig rig(drillConfig(MessagingMode::Upgraded));
        QVERIFY(rig.engine->prewarmUser(3).ok());
        QCOMPARE(rig.engine->prewarmUser(rig.engine->userCount()).code(), absl::StatusCode::kNotFound);
        QVERIFY(!rig.engine->flushRegion("gz").ok());
        QVERIFY(rig.engine->drainRegion("sh-a").ok());
        QCOMPARE(rig.engine->drainRegion("sh-b").code(), absl::StatusCode::kFailedPrecondition); // the last one serving
        QVERIFY(rig.engine->restoreRegion("sh-a").ok());
    }

    void unknownUserIsAnError()
    {
        Rig rig(drillConfig(MessagingMode::Legacy));
        const double errors = rig.engine->totals().queryFailures;
        rig.engine->queryConversations(rig.engine->userCount() + 5, 1.0);
        QCOMPARE(rig.engine->totals().queryFailures, errors + 1.0);
    }
};

LIVEDECK_TEST_CLASS(TstMessagingEngine)
#include "tst_messaging_engine.moc"

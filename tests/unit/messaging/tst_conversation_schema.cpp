// The conversation store's two schemas on real SQLite shards (SqlCluster, bounded page
// cache): both give the same lists and totals for the same history; the upgraded list
// is answered from its covering index; a deep page costs the legacy OFFSET walk far
// more than the keyset page; the legacy total unread sums every row of a big user while
// the upgraded one reads one stored counter; nine indexes make each send write more;
// two updates of a row in one millisecond get different versions. The upgraded schema
// with one mechanism off (the sabotage switches no-covering-index, no-stored-counters)
// answers the same, but its list plan reads the table and sorts, or its total sums rows.
#include "backend/infra/sql_cluster.h"
#include "backend/messaging/conversation_schema.h"
#include "backend/messaging/row_version.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <map>
#include <memory>
#include <set>

using namespace livedeck;
using namespace livedeck::infra;
using namespace livedeck::messaging;

namespace {

constexpr std::int64_t kBigUser = 1;
constexpr std::int64_t kBigPeers = 5'000;
constexpr std::int64_t kT0 = 1'798'732'200'000;

struct Store {
    Store(ConversationSchemaKind kind, std::int64_t cachePages, UpgradedSchemaOptions options = {})
        : schema(kind, options), world(sim::WorldConfig{7, sim::Topology::defaults(), sim::Calendar(), "test"})
    {
        SqlClusterConfig c;
        c.name = "messaging/conv-db";
        c.shards = 1;
        c.placement = {"sh-a1"};
        c.schema = schema.ddl();
        c.pageCache.pages = cachePages;
        c.service.noiseSigma = 0.0;
        auto created = SqlCluster::create(world, std::move(c));
        if (!created.ok())
            qFatal("cannot create cluster: %s", std::string(created.status().message()).c_str());
        cluster = std::move(*created);
    }

    SqlResult write(std::shared_ptr<const SqlBatch> batch)
    {
        SqlResult out;
        bool done = false;
        cluster->write(0, std::move(batch), SqlCall{}, [&](SqlResult& r) {
            out = std::move(r);
            done = true;
        });
        while (!done && world.scheduler().step()) {
        }
        return out;
    }
    SqlResult read(SqlQuery q)
    {
        SqlResult out;
        bool done = false;
        cluster->read(0, Consistency::Strong, std::move(q), SqlCall{}, [&](SqlResult& r) {
            out = std::move(r);
            done = true;
        });
        while (!done && world.scheduler().step()) {
        }
        return out;
    }
    // Straight into the primary's database (set-up, no virtual time).
    void load(const SqlBatch& batch)
    {
        SqlStats stats;
        SqlConnection::WriteOutcome out;
        if (!cluster->shard(0).primary().connection().runBatch(batch, stats, out).ok())
            qFatal("load failed");
    }
    std::vector<ConversationRow> wholeList(std::int64_t owner, std::int64_t pageSize)
    {
        std::vector<ConversationRow> all;
        ListCursor cursor;
        for (;;) {
            SqlResult r = read(schema.listPage(owner, cursor, pageSize));
            if (!r.ok())
                qFatal("list failed: %s", std::string(r.status.message()).c_str());
            const std::vector<ConversationRow> page = ConversationSchema::rows(r);
            all.insert(all.end(), page.begin(), page.end());
            if (std::int64_t(page.size()) < pageSize)
                return all;
            cursor = schema.nextCursor(cursor, page);
        }
    }

    ConversationSchema schema;
    sim::World world;
    std::unique_ptr<SqlCluster> cluster;
};

// The big user's conversations interleaved with two other users' rows each, so the
// big user's rows spread over the table as they would after years of traffic.
void loadBigUser(Store& s)
{
    SqlBatch b;
    std::int64_t key = 1'000;
    for (std::int64_t k = 0; k < kBigPeers; ++k) {
        const std::int64_t t = kT0 - (kBigPeers - k) * 1'000; // distinct times, oldest first
        s.schema.addDirectSend(b, 100'000 + k, kBigUser, ++key, t, t);
        s.schema.addDirectSend(b, 200'000 + k % 97, 300'000 + k, ++key, t, t);
    }
    s.load(b);
}

std::string plan(Store& s, const SqlQuery& q)
{
    SqlResult r;
    SqlStats stats;
    if (!s.cluster->shard(0).primary().connection().runQuery("EXPLAIN QUERY PLAN " + q.sql, q.params, true, r, stats).ok())
        qFatal("explain failed");
    std::string out;
    for (std::size_t i = 0; i < r.rowCount(); ++i)
        out += std::string(sqlText(r.at(i, r.columns - 1))) + "; ";
    return out;
}

} // namespace

class TstConversationSchema : public QObject {
    Q_OBJECT
private slots:
    void bothSchemasAnswerTheSame()
    {
        Store legacy(ConversationSchemaKind::Legacy, 0);
        Store upgraded(ConversationSchemaKind::Upgraded, 0);
        // The upgraded schema with one mechanism off (the sabotage switches) answers the same.
        Store noCovering(ConversationSchemaKind::Upgraded, 0, UpgradedSchemaOptions{false, true});
        Store noCounters(ConversationSchemaKind::Upgraded, 0, UpgradedSchemaOptions{true, false});
        // 600 sends among 12 users, reads now and then; the expected state kept apart.
        std::map<std::pair<std::int64_t, std::int64_t>, ConversationRow> expected;
        sim::RandomStream rng(5);
        std::int64_t now = kT0;
        for (int i = 0; i < 600; ++i) {
            now += 1 + std::int64_t(rng.uniformInt(3));
            const auto a = std::int64_t(1 + rng.uniformInt(12));
            auto b = std::int64_t(1 + rng.uniformInt(11));
            b = b >= a ? b + 1 : b;
            auto batch = std::make_shared<SqlBatch>();
            if (rng.uniform01() < 0.2) {
                legacy.schema.addMarkRead(*batch, a, b, now);
                if (auto it = expected.find({a, b}); it != expected.end())
                    it->second.unread = 0;
            } else {
                legacy.schema.addDirectSend(*batch, a, b, 10'000 + i, now, now);
                for (auto [owner, peer, delta] : {std::tuple{a, b, 0}, std::tuple{b, a, 1}}) {
                    ConversationRow& row = expected[{owner, peer}];
                    row = ConversationRow{peer, 0, 10'000 + i, now, row.unread + delta};
                }
            }
            // Same statements for legacy; each upgraded schema builds its own.
            const bool markRead = batch->sql(batch->steps().front()).find("UPDATE") == 0;
            QVERIFY(legacy.write(batch).ok());
            for (Store* s : {&upgraded, &noCovering, &noCounters}) {
                auto up = std::make_shared<SqlBatch>();
                if (markRead)
                    s->schema.addMarkRead(*up, a, b, now);
                else
                    s->schema.addDirectSend(*up, a, b, 10'000 + i, now, now);
                QVERIFY(s->write(up).ok());
            }
        }
        for (std::int64_t u = 1; u <= 12; ++u) {
            std::vector<ConversationRow> want;
            std::int64_t total = 0;
            for (const auto& [key, row] : expected) {
                if (key.first == u) {
                    want.push_back(row);
                    total += row.unread;
                }
            }
            std::sort(want.begin(), want.end(), [](const ConversationRow& x, const ConversationRow& y) {
                return std::tie(x.lastMsgTimeMs, x.peer) > std::tie(y.lastMsgTimeMs, y.peer);
            });
            QCOMPARE(legacy.wholeList(u, 4), want);
            QCOMPARE(ConversationSchema::total(legacy.read(legacy.schema.totalUnread(u))), total);
            for (Store* s : {&upgraded, &noCovering, &noCounters}) {
                QCOMPARE(s->wholeList(u, 4), want);
                QCOMPARE(ConversationSchema::total(s->read(s->schema.totalUnread(u))), total);
            }
        }
    }

    void upgradedListIsCoveredLegacyIsNot()
    {
        Store legacy(ConversationSchemaKind::Legacy, 0);
        Store upgraded(ConversationSchemaKind::Upgraded, 0);
        const std::string l = plan(legacy, legacy.schema.listPage(kBigUser, {}, 20));
        const std::string u = plan(upgraded, upgraded.schema.listPage(kBigUser, {}, 20));
        QVERIFY2(u.find("COVERING INDEX conv_list") != std::string::npos, u.c_str());
        QVERIFY2(u.find("TEMP B-TREE") == std::string::npos, u.c_str()); // no sort
        QVERIFY2(l.find("INDEX conv_owner_time") != std::string::npos && l.find("COVERING") == std::string::npos, l.c_str());
        QCOMPARE(legacy.schema.secondaryIndexes(), 9);
        SqlResult r;
        SqlStats stats;
        QVERIFY(legacy.cluster->shard(0).primary().connection().runQuery(
            "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'conversation'", {}, true, r, stats).ok());
        QCOMPARE(sqlInt(r.at(0, 0)), std::int64_t{9});
    }

    // no-covering-index: the same list query without conv_list reads the owner's rows
    // through the unique (owner, peer) index, fetches every table row and sorts them.
    void withoutTheCoveringIndexTheListReadsTheTable()
    {
        Store covered(ConversationSchemaKind::Upgraded, 256);
        Store bare(ConversationSchemaKind::Upgraded, 256, UpgradedSchemaOptions{false, true});
        QCOMPARE(bare.schema.secondaryIndexes(), 1);
        const std::string c = plan(covered, covered.schema.listPage(kBigUser, {}, 20));
        const std::string b = plan(bare, bare.schema.listPage(kBigUser, {}, 20));
        QVERIFY2(c.find("COVERING INDEX conv_list") != std::string::npos, c.c_str());
        QVERIFY2(b.find("INDEX conv_owner_peer") != std::string::npos, b.c_str());
        QVERIFY2(b.find("COVERING") == std::string::npos && b.find("conv_list") == std::string::npos, b.c_str());
        QVERIFY2(b.find("TEMP B-TREE") != std::string::npos, b.c_str()); // sorted at query time
        loadBigUser(covered);
        loadBigUser(bare);
        const SqlResult cr = covered.read(covered.schema.listPage(kBigUser, {}, 20));
        const SqlResult br = bare.read(bare.schema.listPage(kBigUser, {}, 20));
        QVERIFY(cr.ok() && br.ok());
        QCOMPARE(ConversationSchema::rows(br), ConversationSchema::rows(cr));
        const QString msg = QStringLiteral("covered %1 µs (%2 VM steps, %3 page misses), bare %4 µs (%5, %6)")
                                .arg(cr.latency / 1000).arg(cr.stats.vmSteps).arg(cr.stats.pageMisses)
                                .arg(br.latency / 1000).arg(br.stats.vmSteps).arg(br.stats.pageMisses);
        qInfo("%s", qPrintable(msg));
        QVERIFY2(br.stats.vmSteps > 20 * cr.stats.vmSteps, qPrintable(msg)); // every row of the owner
        QVERIFY2(br.latency > cr.latency, qPrintable(msg));
    }

    // no-stored-counters: no user_unread table; the total is summed over the owner's rows
    // (every row visited), and sends and reads keep no counter.
    void withoutStoredCountersTheTotalIsSummed()
    {
        Store counted(ConversationSchemaKind::Upgraded, 256);
        Store summed(ConversationSchemaKind::Upgraded, 256, UpgradedSchemaOptions{true, false});
        for (Store* s : {&counted, &summed}) {
            SqlResult r;
            SqlStats stats;
            QVERIFY(s->cluster->shard(0).primary().connection().runQuery(
                "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'user_unread'", {}, true, r, stats).ok());
            QCOMPARE(sqlInt(r.at(0, 0)), std::int64_t{s == &counted ? 1 : 0});
            SqlBatch send;
            s->schema.addDirectSend(send, 1, 2, 100, kT0, kT0);
            QCOMPARE(send.steps().size(), s == &counted ? std::size_t{3} : std::size_t{2}); // two rows (+ the counter)
        }
        // The sum reads the list's covering index (it holds unread), not the table rows.
        const std::string p = plan(summed, summed.schema.totalUnread(kBigUser));
        QVERIFY2(p.find("COVERING INDEX conv_list") != std::string::npos, p.c_str());
        loadBigUser(counted);
        loadBigUser(summed);
        const SqlResult c = counted.read(counted.schema.totalUnread(kBigUser));
        const SqlResult m = summed.read(summed.schema.totalUnread(kBigUser));
        QCOMPARE(ConversationSchema::total(c), kBigPeers);
        QCOMPARE(ConversationSchema::total(m), kBigPeers);
        const QString msg = QStringLiteral("stored %1 µs (%2 VM steps), summed %3 µs (%4)")
                                .arg(c.latency / 1000).arg(c.stats.vmSteps).arg(m.latency / 1000).arg(m.stats.vmSteps);
        qInfo("%s", qPrintable(msg));
        QVERIFY2(c.stats.vmSteps < 100, qPrintable(msg));
        QVERIFY2(m.stats.vmSteps >= std::uint64_t(kBigPeers), qPrintable(msg));
    }

    void deepPageCostsTheOffsetWalk()
    {
        Store legacy(ConversationSchemaKind::Legacy, 256);
        Store upgraded(ConversationSchemaKind::Upgraded, 256);
        loadBigUser(legacy);
        loadBigUser(upgraded);
        // Page 90 of 50 (rows 4 450..4 499): legacy skips 4 450 rows, keyset starts there.
        ListCursor legacyCursor;
        legacyCursor.offset = 4'450;
        const SqlResult l = legacy.read(legacy.schema.listPage(kBigUser, legacyCursor, 50));
        // The keyset cursor of the same page: the 4 450th row's (time, peer).
        ListCursor keyset;
        keyset.beforeTimeMs = kT0 - (kBigPeers - (kBigPeers - 4'450)) * 1'000;
        keyset.beforePeer = 100'000 + (kBigPeers - 4'450);
        const SqlResult u = upgraded.read(upgraded.schema.listPage(kBigUser, keyset, 50));
        QVERIFY(l.ok() && u.ok());
        QCOMPARE(ConversationSchema::rows(l), ConversationSchema::rows(u));
        QCOMPARE(l.rowCount(), std::size_t{50});
        const QString msg = QStringLiteral("legacy %1 µs (%2 VM steps, %3 page misses), upgraded %4 µs (%5, %6)")
                                .arg(l.latency / 1000).arg(l.stats.vmSteps).arg(l.stats.pageMisses)
                                .arg(u.latency / 1000).arg(u.stats.vmSteps).arg(u.stats.pageMisses);
        qInfo("%s", qPrintable(msg));
        QVERIFY2(l.stats.vmSteps > 20 * u.stats.vmSteps, qPrintable(msg));
        QVERIFY2(l.stats.pageMisses > 10 * std::max<std::uint64_t>(1, u.stats.pageMisses), qPrintable(msg));
        QVERIFY2(l.latency > 10 * u.latency, qPrintable(msg));
    }

    void totalUnreadSummedVersusStored()
    {
        Store legacy(ConversationSchemaKind::Legacy, 256);
        Store upgraded(ConversationSchemaKind::Upgraded, 256);
        loadBigUser(legacy);
        loadBigUser(upgraded);
        const SqlResult l = legacy.read(legacy.schema.totalUnread(kBigUser));
        const SqlResult u = upgraded.read(upgraded.schema.totalUnread(kBigUser));
        QCOMPARE(ConversationSchema::total(l), kBigPeers);
        QCOMPARE(ConversationSchema::total(u), kBigPeers);
        const QString msg = QStringLiteral("legacy %1 µs (%2 VM steps, %3 misses), upgraded %4 µs (%5, %6)")
                                .arg(l.latency / 1000).arg(l.stats.vmSteps).arg(l.stats.pageMisses)
                                .arg(u.latency / 1000).arg(u.stats.vmSteps).arg(u.stats.pageMisses);
        qInfo("%s", qPrintable(msg));
        QVERIFY2(l.stats.vmSteps >= std::uint64_t(kBigPeers), qPrintable(msg)); // every row visited
        QVERIFY2(u.stats.vmSteps < 100, qPrintable(msg));
        QVERIFY2(l.latency > 10 * u.latency, qPrintable(msg));
    }

    void nineIndexesMakeSendsWriteMore()
    {
        auto sendCost = [](ConversationSchemaKind kind, std::uint64_t& misses, std::uint64_t& steps) {
            Store s(kind, 64);
            loadBigUser(s);
            sim::Nanos latency = 0;
            misses = steps = 0;
            for (std::int64_t i = 0; i < 200; ++i) {
                auto b = std::make_shared<SqlBatch>();
                const std::int64_t now = kT0 + i;
                // A peer of the big user writes to it again: both existing rows move in
                // every index that holds a changed column (time, mtime, unread).
                s.schema.addDirectSend(*b, 100'000 + (i * 7'919) % kBigPeers, kBigUser, 900'000 + i, now, now);
                const SqlResult r = s.write(b);
                if (!r.ok())
                    qFatal("send failed");
                latency += r.latency;
                misses += r.stats.pageMisses;
                steps += r.stats.vmSteps;
            }
            return latency / 200;
        };
        std::uint64_t lm = 0, ls = 0, um = 0, us = 0;
        const sim::Nanos l = sendCost(ConversationSchemaKind::Legacy, lm, ls);
        const sim::Nanos u = sendCost(ConversationSchemaKind::Upgraded, um, us);
        const QString msg = QStringLiteral("legacy %1 µs/send (%2 misses, %3 steps), upgraded %4 µs (%5, %6)")
                                .arg(l / 1000).arg(lm).arg(ls).arg(u / 1000).arg(um).arg(us);
        qInfo("%s", qPrintable(msg));
        QVERIFY2(lm > 2 * um, qPrintable(msg));
        QVERIFY2(l > u, qPrintable(msg));
    }

    void twoUpdatesInOneMillisecondGetDifferentVersions()
    {
        Store s(ConversationSchemaKind::Upgraded, 0);
        auto b1 = std::make_shared<SqlBatch>();
        s.schema.addDirectSend(*b1, 1, 2, 100, kT0, kT0);
        QVERIFY(s.write(b1).ok());
        auto b2 = std::make_shared<SqlBatch>();
        s.schema.addDirectSend(*b2, 1, 2, 101, kT0, kT0); // the same millisecond
        QVERIFY(s.write(b2).ok());
        auto b3 = std::make_shared<SqlBatch>();
        s.schema.addMarkRead(*b3, 2, 1, kT0 - 5); // a writer whose clock is behind
        QVERIFY(s.write(b3).ok());
        const SqlResult r = s.read(s.schema.conversation(2, 1));
        QCOMPARE(r.rowCount(), std::size_t{1});
        const auto version = std::uint64_t(sqlInt(r.at(0, 5)));
        std::uint64_t expect = nextRowVersion(0, kT0);
        expect = nextRowVersion(expect, kT0);
        expect = nextRowVersion(expect, kT0 - 5);
        QCOMPARE(version, expect);
        QCOMPARE(versionMtimeMs(version), kT0);
        QCOMPARE(sqlInt(r.at(0, 4)), std::int64_t{0});
    }
};

LIVEDECK_TEST_CLASS(TstConversationSchema)
#include "tst_conversation_schema.moc"

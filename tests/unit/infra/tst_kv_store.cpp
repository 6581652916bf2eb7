// KvStore: strings with TTL on virtual time, INCRBY, hashes, sorted sets, versions and
// compare-and-set, memory accounting, allkeys-lru eviction at the budget, resync copy.
#include "backend/infra/kv_store.h"
#include "backend/sim/random.h"
#include "tests/common/multi_test.h"

#include <QTest>

#include <cmath>
#include <tuple>

using namespace livedeck;
using namespace livedeck::infra;

namespace {

std::string keyName(int i)
{
    return sim::strCat("key:", i);
}

} // namespace

class TstKvStore : public QObject {
    Q_OBJECT

private slots:
    void ttlExpiresOnVirtualTime_data()
    {
        QTest::addColumn<qint64>("ttlMs");
        QTest::newRow("1 ms") << qint64(1);
        QTest::newRow("250 ms") << qint64(250);
        QTest::newRow("24 h") << qint64(24 * 3600 * 1000);
    }
    void ttlExpiresOnVirtualTime()
    {
        QFETCH(qint64, ttlMs);
        sim::ManualClock clock(5 * sim::kSecond);
        KvStore s(clock);
        KvReply r;
        const sim::Nanos ttl = sim::fromMillis(static_cast<double>(ttlMs));
        QCOMPARE(s.set("k", "v", s.deadline(ttl), r), KvStatus::Ok);
        QCOMPARE(s.set("forever", "v", sim::kNever, r), KvStatus::Ok);
        QCOMPARE(s.ttl("k", r), KvStatus::Ok);
        QCOMPARE(r.integer, ttl);
        QCOMPARE(s.ttl("forever", r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{-1});

        clock.advance(ttl - 1);
        QCOMPARE(s.get("k", r), KvStatus::Ok);
        QCOMPARE(r.value, std::string("v"));
        QCOMPARE(s.ttl("k", r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{1});

        clock.advance(1);
        QCOMPARE(s.get("k", r), KvStatus::NotFound);
        QCOMPARE(s.ttl("k", r), KvStatus::NotFound);
        QCOMPARE(r.integer, std::int64_t{-2});
        QCOMPARE(s.size(), std::size_t{1});
        QCOMPARE(s.expirations(), std::uint64_t{1});
        // Memory no longer counts the dead key.
        QCOMPARE(s.memoryBytes(), KvStore::kKeyOverhead + 7 + KvStore::kStringOverhead + 1);
        QCOMPARE(s.get("forever", r), KvStatus::Ok);
    }

    void expireAndPersist()
    {
        sim::ManualClock clock;
        KvStore s(clock);
        KvReply r;
        QCOMPARE(s.expire("missing", s.deadline(sim::kSecond), r), KvStatus::NotFound);
        s.set("k", "v", sim::kNever, r);
        QCOMPARE(s.expire("k", s.deadline(2 * sim::kSecond), r), KvStatus::Ok);
        clock.advance(sim::kSecond);
        QCOMPARE(s.expire("k", sim::kNever, r), KvStatus::Ok); // PERSIST
        clock.advance(10 * sim::kSecond);
        QCOMPARE(s.get("k", r), KvStatus::Ok);
        // SET without a TTL clears the old one, like Redis.
        s.set("t", "1", s.deadline(sim::kSecond), r);
        s.set("t", "2", sim::kNever, r);
        clock.advance(2 * sim::kSecond);
        QCOMPARE(s.get("t", r), KvStatus::Ok);
        QCOMPARE(r.value, std::string("2"));
        // A deadline already past deletes.
        QCOMPARE(s.expire("t", clock.now(), r), KvStatus::Ok);
        QCOMPARE(s.get("t", r), KvStatus::NotFound);
    }

    void incrAndDel()
    {
        sim::ManualClock clock;
        KvStore s(clock);
        KvReply r;
        QCOMPARE(s.incrBy("n", 5, r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{5});
        QCOMPARE(s.incrBy("n", -7, r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{-2});
        QCOMPARE(s.get("n", r), KvStatus::Ok);
        QCOMPARE(r.value, std::string("-2"));
        s.set("text", "12a", sim::kNever, r);
        QCOMPARE(s.incrBy("text", 1, r), KvStatus::NotInteger);
        s.set("big", "9223372036854775807", sim::kNever, r);
        QCOMPARE(s.incrBy("big", 1, r), KvStatus::NotInteger);
        // INCRBY keeps the TTL.
        s.set("win", "1", s.deadline(sim::kSecond), r);
        s.incrBy("win", 1, r);
        s.ttl("win", r);
        QCOMPARE(r.integer, sim::kSecond);
        QCOMPARE(s.del("n", r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{1});
        QCOMPARE(s.del("n", r), KvStatus::NotFound);
        QCOMPARE(r.integer, std::int64_t{0});
        s.hset("h", "f", "v", r);
        QCOMPARE(s.incrBy("h", 1, r), KvStatus::WrongType);
        QCOMPARE(s.get("h", r), KvStatus::WrongType);
    }

    void hashOps()
    {
        sim::ManualClock clock;
        KvStore s(clock);
        KvReply r;
        QCOMPARE(s.hset("user:1", "name", "ann", r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{1});
        QCOMPARE(s.hset("user:1", "name", "bea", r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{0});
        s.hset("user:1", "city", "sh", r);
        QCOMPARE(s.hincrBy("user:1", "coins", 30, r), KvStatus::Ok);
        QCOMPARE(s.hincrBy("user:1", "coins", 12, r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{42});
        QCOMPARE(s.hincrBy("user:1", "name", 1, r), KvStatus::NotInteger);
        QCOMPARE(s.hget("user:1", "name", r), KvStatus::Ok);
        QCOMPARE(r.value, std::string("bea"));
        QCOMPARE(s.hget("user:1", "nope", r), KvStatus::NotFound);
        QCOMPARE(s.hget("user:2", "name", r), KvStatus::NotFound);
        QCOMPARE(s.hlen("user:1", r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{3});
        QCOMPARE(s.hgetall("user:1", r), KvStatus::Ok);
        QCOMPARE(r.fields.size(), std::size_t{3});
        QCOMPARE(r.fields[0].first, std::string("city")); // by field name
        QCOMPARE(r.fields[1].first, std::string("coins"));
        QCOMPARE(r.fields[1].second, std::string("42"));
        QCOMPARE(r.fields[2].first, std::string("name"));
        // Memory: key + three fields.
        const std::uint64_t expected = KvStore::kKeyOverhead + 6 + (KvStore::kHashFieldOverhead + 4 + 2)
            + (KvStore::kHashFieldOverhead + 5 + 2) + (KvStore::kHashFieldOverhead + 4 + 3);
        QCOMPARE(s.memoryBytes(), expected);
        s.hdel("user:1", "name", r);
        s.hdel("user:1", "city", r);
        QCOMPARE(s.hdel("user:1", "city", r), KvStatus::NotFound);
        QCOMPARE(s.hdel("user:1", "coins", r), KvStatus::Ok);
        // The emptied hash is gone.
        QCOMPARE(s.size(), std::size_t{0});
        QCOMPARE(s.memoryBytes(), std::uint64_t{0});
        s.set("str", "x", sim::kNever, r);
        QCOMPARE(s.hset("str", "f", "v", r), KvStatus::WrongType);
    }

    void sortedSetOrder()
    {
        sim::ManualClock clock;
        KvStore s(clock);
        KvReply r;
        s.zadd("rank", "carol", 30, r);
        s.zadd("rank", "bob", 20, r);
        s.zadd("rank", "alice", 20, r); // tie on score: member order
        QCOMPARE(s.zadd("rank", "dave", 5, r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{1});
        QCOMPARE(s.zadd("rank", "dave", 50, r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{0});

        QCOMPARE(s.zrange("rank", 0, -1, false, r), KvStatus::Ok);
        QCOMPARE(r.members.size(), std::size_t{4});
        QCOMPARE(r.members[0].member, std::string("alice"));
        QCOMPARE(r.members[1].member, std::string("bob"));
        QCOMPARE(r.members[2].member, std::string("carol"));
        QCOMPARE(r.members[3].member, std::string("dave"));
        QCOMPARE(r.members[3].score, 50.0);

        QCOMPARE(s.zrange("rank", 0, 1, true, r), KvStatus::Ok); // top two
        QCOMPARE(r.members.size(), std::size_t{2});
        QCOMPARE(r.members[0].member, std::string("dave"));
        QCOMPARE(r.members[1].member, std::string("carol"));
        QCOMPARE(s.zrange("rank", -2, -1, false, r), KvStatus::Ok);
        QCOMPARE(r.members[0].member, std::string("carol"));
        QCOMPARE(s.zrange("rank", 7, 9, false, r), KvStatus::Ok);
        QVERIFY(r.members.empty());

        QCOMPARE(s.zincrBy("rank", "alice", 100, r), KvStatus::Ok);
        QCOMPARE(r.score, 120.0);
        QCOMPARE(s.zrank("rank", "alice", true, r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{0});
        QCOMPARE(s.zrank("rank", "bob", false, r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{0});
        QCOMPARE(s.zscore("rank", "carol", r), KvStatus::Ok);
        QCOMPARE(r.score, 30.0);
        QCOMPARE(s.zscore("rank", "zed", r), KvStatus::NotFound);

        QCOMPARE(s.zrangeByScore("rank", 20, 60, 0, r), KvStatus::Ok);
        QCOMPARE(r.members.size(), std::size_t{3});
        QCOMPARE(r.members[0].member, std::string("bob"));
        QCOMPARE(r.members[2].member, std::string("dave"));
        QCOMPARE(s.zrangeByScore("rank", 20, 60, 2, r), KvStatus::Ok);
        QCOMPARE(r.members.size(), std::size_t{2});

        QCOMPARE(s.zcard("rank", r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{4});
        QCOMPARE(s.zrem("rank", "bob", r), KvStatus::Ok);
        QCOMPARE(s.zrem("rank", "bob", r), KvStatus::NotFound);
        QCOMPARE(s.zadd("rank", "nan", std::nan(""), r), KvStatus::NotInteger);
        QCOMPARE(s.zcard("rank", r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{3});
        QCOMPARE(s.memoryBytes(), KvStore::kKeyOverhead + 4 + 3 * KvStore::kZsetMemberOverhead + 5 + 5 + 4);
    }

    void compareAndSetOnVersions()
    {
        sim::ManualClock clock;
        KvStore s(clock);
        KvReply r;
        QCOMPARE(s.compareAndSet("c", 7, "x", sim::kNever, r), KvStatus::VersionConflict);
        QCOMPARE(r.version, std::uint64_t{0});
        QCOMPARE(s.compareAndSet("c", 0, "a", sim::kNever, r), KvStatus::Ok); // 0 = must be absent
        const std::uint64_t v1 = r.version;
        QVERIFY(v1 > 0);
        QCOMPARE(s.compareAndSet("c", 0, "b", sim::kNever, r), KvStatus::VersionConflict);
        QCOMPARE(r.version, v1);
        QCOMPARE(s.compareAndSet("c", v1, "b", sim::kNever, r), KvStatus::Ok);
        const std::uint64_t v2 = r.version;
        QVERIFY(v2 > v1);
        // A stale version is refused and the value stays.
        QCOMPARE(s.compareAndSet("c", v1, "stale", sim::kNever, r), KvStatus::VersionConflict);
        s.get("c", r);
        QCOMPARE(r.value, std::string("b"));
        QCOMPARE(r.version, v2);
        // Delete and re-create: the new version never repeats an old one (no ABA).
        s.del("c", r);
        s.set("c", "again", sim::kNever, r);
        QVERIFY(r.version > v2);
        QCOMPARE(s.compareAndSet("c", v2, "aba", sim::kNever, r), KvStatus::VersionConflict);
        // Every write kind moves the version.
        s.hset("h", "f", "1", r);
        const std::uint64_t hv = r.version;
        s.hincrBy("h", "f", 1, r);
        QVERIFY(r.version > hv);
    }

    void setIfNewerRefusesDuplicatesAndReordering_data()
    {
        QTest::addColumn<quint64>("incoming");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("older") << quint64(1'000) << false;
        QTest::newRow("duplicate") << quint64(2'000) << false;
        QTest::newRow("newer") << quint64(2'001) << true;
    }
    void setIfNewerRefusesDuplicatesAndReordering()
    {
        QFETCH(quint64, incoming);
        QFETCH(bool, accepted);
        sim::ManualClock clock;
        KvStore s(clock);
        KvReply r;
        QCOMPARE(s.setIfNewer("conv", "v2000", 2'000, sim::kNever, r), KvStatus::Ok);
        QCOMPARE(r.version, std::uint64_t{2'000});
        const KvStatus st = s.setIfNewer("conv", "incoming", incoming, sim::kNever, r);
        QCOMPARE(st == KvStatus::Ok, accepted);
        s.get("conv", r);
        QCOMPARE(r.value, std::string(accepted ? "incoming" : "v2000"));
        QCOMPARE(r.version, std::uint64_t(accepted ? incoming : 2'000));
        // A plain write afterwards still moves the version forward.
        s.set("conv", "plain", sim::kNever, r);
        QVERIFY(r.version > std::max<std::uint64_t>(incoming, 2'000));
    }

    void hsetIfNewerGuardsEachField_data()
    {
        QTest::addColumn<quint64>("incoming");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("older") << quint64(1'000) << false;
        QTest::newRow("same version (a duplicate)") << quint64(2'000) << false;
        QTest::newRow("newer") << quint64(2'001) << true;
    }
    void hsetIfNewerGuardsEachField()
    {
        QFETCH(quint64, incoming);
        QFETCH(bool, accepted);
        sim::ManualClock clock;
        KvStore s(clock);
        KvReply r;
        // A user's conversation list: one hash, a field per peer, each with its own stamp.
        QCOMPARE(s.hsetIfNewer("convs:1", "peer:2", "v2000", 2'000, r), KvStatus::Ok);
        QCOMPARE(r.integer, std::int64_t{1});
        QCOMPARE(s.hsetIfNewer("convs:1", "peer:3", "v5000", 5'000, r), KvStatus::Ok);
        const std::uint64_t memory = s.memoryBytes();
        const KvStatus st = s.hsetIfNewer("convs:1", "peer:2", "incoming", incoming, r);
        QCOMPARE(st == KvStatus::Ok, accepted);
        if (!accepted) {
            QCOMPARE(st, KvStatus::VersionConflict);
            QCOMPARE(r.version, std::uint64_t{2'000}); // the field's stamp
            QCOMPARE(r.value, std::string("v2000"));
            QCOMPARE(s.memoryBytes(), memory);
        }
        s.hget("convs:1", "peer:2", r);
        QCOMPARE(r.value, std::string(accepted ? "incoming" : "v2000"));
        QCOMPARE(s.fieldStamp("convs:1", "peer:2"), std::uint64_t(accepted ? incoming : 2'000));
        // The other field's stamp is its own: a version below peer:2's is fine there.
        QCOMPARE(s.hsetIfNewer("convs:1", "peer:3", "v5001", 5'001, r), KvStatus::Ok);
        // A plain HSET keeps the stamp (it never goes down); HDEL forgets it and its memory.
        QCOMPARE(s.hset("convs:1", "peer:3", "plain", r), KvStatus::Ok);
        QCOMPARE(s.hsetIfNewer("convs:1", "peer:3", "stale", 5'000, r), KvStatus::VersionConflict);
        const std::uint64_t before = s.memoryBytes();
        QCOMPARE(s.hdel("convs:1", "peer:3", r), KvStatus::Ok);
        QCOMPARE(s.fieldStamp("convs:1", "peer:3"), std::uint64_t{0});
        QCOMPARE(before - s.memoryBytes(),
                 KvStore::kHashFieldOverhead + 6 + 5 + KvStore::kHashFieldOverhead + 2 + 6 + 20);
        // Full resynchronisation copies the stamps.
        KvStore copy(clock);
        copy.copyFrom(s);
        QCOMPARE(copy.fieldStamp("convs:1", "peer:2"), s.fieldStamp("convs:1", "peer:2"));
        QCOMPARE(copy.memoryBytes(), s.memoryBytes());
        QCOMPARE(s.hsetIfNewer("str", "f", "v", 1, r), KvStatus::Ok);
        s.set("plain-string", "x", sim::kNever, r);
        QCOMPARE(s.hsetIfNewer("plain-string", "f", "v", 1, r), KvStatus::WrongType);
    }

    void evictionKeepsUnderBudget_data()
    {
        QTest::addColumn<quint64>("budget");
        QTest::addColumn<int>("valueBytes");
        QTest::newRow("4 KiB, small values") << quint64(4096) << 10;
        QTest::newRow("16 KiB, mixed values") << quint64(16384) << 300;
        QTest::newRow("64 KiB") << quint64(65536) << 100;
    }
    void evictionKeepsUnderBudget()
    {
        QFETCH(quint64, budget);
        QFETCH(int, valueBytes);
        sim::ManualClock clock;
        KvStore s(clock, KvStoreConfig{budget, true});
        std::uint64_t evicted = 0;
        s.setEvictionListener([&](std::string_view k) {
            // allkeys-lru: the victim is the least recently used key (or the next one,
            // when the least recently used is the key being written).
            const std::vector<std::string> order = s.keysByRecency();
            QVERIFY(order.size() >= 2);
            QVERIFY(k == order[0] || k == order[1]);
            ++evicted;
        });
        sim::RandomStream rng(42);
        KvReply r;
        for (int i = 0; i < 2'000; ++i) {
            const auto len = static_cast<std::size_t>(1 + rng.uniformInt(static_cast<std::uint64_t>(valueBytes)));
            KvStatus st;
            switch (i % 3) {
            case 0:
                st = s.set(keyName(i), std::string(len, 'v'), sim::kNever, r);
                break;
            case 1:
                st = s.hset(keyName(i % 50), sim::strCat("f", i), std::string(len, 'h'), r);
                break;
            default:
                st = s.zadd(keyName(i % 40 + 1000), sim::strCat("m", i), i, r);
                break;
            }
            QVERIFY(st == KvStatus::Ok || st == KvStatus::WrongType);
            QVERIFY2(s.memoryBytes() <= budget, qPrintable(QStringLiteral("over budget after %1").arg(i)));
        }
        QVERIFY(s.evictions() > 0);
        QCOMPARE(s.evictions(), evicted);
        s.setEvictionListener({});
        // The accounting matches a recount of what is left, by the documented formula.
        std::uint64_t recount = 0;
        for (const std::string& k : s.keysByRecency()) {
            recount += KvStore::kKeyOverhead + k.size();
            if (s.get(k, r) == KvStatus::Ok) {
                recount += KvStore::kStringOverhead + r.value.size();
            } else if (s.hgetall(k, r) == KvStatus::Ok) {
                for (const auto& [f, v] : r.fields)
                    recount += KvStore::kHashFieldOverhead + f.size() + v.size();
            } else {
                QCOMPARE(s.zrange(k, 0, -1, false, r), KvStatus::Ok);
                for (const ScoredMember& m : r.members)
                    recount += KvStore::kZsetMemberOverhead + m.member.size();
            }
        }
        QCOMPARE(recount, s.memoryBytes());
    }

    void evictsLeastRecentlyUsed()
    {
        sim::ManualClock clock;
        const std::uint64_t entry = KvStore::kKeyOverhead + 5 + KvStore::kStringOverhead + 4; // "key:N" = "vvvv"
        KvStore s(clock, KvStoreConfig{entry * 4, true});
        KvReply r;
        for (int i = 0; i < 4; ++i)
            s.set(keyName(i), "vvvv", sim::kNever, r);
        QCOMPARE(s.memoryBytes(), entry * 4);
        s.get(keyName(0), r);       // key:0 becomes most recently used
        s.hget(keyName(1), "f", r); // a read of any kind touches (wrong type or not)
        s.set(keyName(4), "vvvv", sim::kNever, r);
        // key:2 was the least recently used.
        QCOMPARE(s.exists(keyName(2), r), KvStatus::NotFound);
        QCOMPARE(s.evictions(), std::uint64_t{1});
        s.set(keyName(5), "vvvv", sim::kNever, r);
        QCOMPARE(s.exists(keyName(3), r), KvStatus::NotFound);
        const std::vector<std::string> order = s.keysByRecency();
        QCOMPARE(order.size(), std::size_t{4});
        QCOMPARE(order.front(), keyName(0));
        QCOMPARE(order.back(), keyName(5));
    }

    void refusesEntryLargerThanBudget()
    {
        sim::ManualClock clock;
        KvStore s(clock, KvStoreConfig{1000, true});
        KvReply r;
        s.set("small", "x", sim::kNever, r);
        QCOMPARE(s.set("huge", std::string(2000, 'x'), sim::kNever, r), KvStatus::OutOfMemory);
        QCOMPARE(s.exists("small", r), KvStatus::Ok); // nothing was evicted for it
        QCOMPARE(s.exists("huge", r), KvStatus::NotFound);
        // Without enforcement (a replica) the same write is accepted.
        s.setEnforceBudget(false);
        QCOMPARE(s.set("huge", std::string(2000, 'x'), sim::kNever, r), KvStatus::Ok);
        // Enforcing again evicts at once, least recently used first, down to the budget.
        s.setEnforceBudget(true);
        QVERIFY(s.memoryBytes() <= 1000);
    }

    void copyFromKeepsOrderVersionsAndTtl()
    {
        sim::ManualClock clock;
        KvStore a(clock);
        KvReply r;
        a.set("x", "1", a.deadline(sim::kSecond), r);
        a.zadd("z", "m", 3, r);
        a.hset("h", "f", "v", r);
        a.get("x", r);
        const std::uint64_t vx = a.version("x");
        KvStore b(clock);
        b.set("junk", "j", sim::kNever, r);
        QCOMPARE(b.copyFrom(a), a.memoryBytes());
        QCOMPARE(b.keysByRecency(), a.keysByRecency());
        QCOMPARE(b.version("x"), vx);
        QCOMPARE(b.exists("junk", r), KvStatus::NotFound);
        b.zscore("z", "m", r);
        QCOMPARE(r.score, 3.0);
        clock.advance(sim::kSecond);
        QCOMPARE(b.get("x", r), KvStatus::NotFound);
        // The copy continues the version clock: a later write outranks every copied version.
        b.set("n", "1", sim::kNever, r);
        QVERIFY(r.version > a.versionClock() - 1);
    }

    void deterministicAcrossInstances()
    {
        auto run = [](std::uint64_t seed) {
            sim::ManualClock clock;
            KvStore s(clock, KvStoreConfig{8192, true});
            sim::RandomStream rng(seed);
            KvReply r;
            for (int i = 0; i < 5'000; ++i) {
                clock.advance(static_cast<sim::Nanos>(rng.uniformInt(1'000'000)));
                const std::string k = keyName(static_cast<int>(rng.uniformInt(300)));
                switch (rng.uniformInt(4)) {
                case 0:
                    s.set(k, std::string(rng.uniformInt(40) + 1, 'a'), s.deadline(static_cast<sim::Nanos>(rng.uniformInt(500'000'000))), r);
                    break;
                case 1:
                    s.get(k, r);
                    break;
                case 2:
                    s.incrBy(k, 1, r);
                    break;
                default:
                    s.del(k, r);
                    break;
                }
            }
            return std::make_tuple(s.keysByRecency(), s.memoryBytes(), s.evictions(), s.expirations(), s.hits());
        };
        QVERIFY(run(7) == run(7));
        QVERIFY(run(7) != run(8));
    }
};

LIVEDECK_TEST_CLASS(TstKvStore)
#include "tst_kv_store.moc"

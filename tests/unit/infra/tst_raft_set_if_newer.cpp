// The Raft KV's version-guarded write (setIfNewer): a key takes a value only with a
// stamp above its own, so a duplicate (equal stamp) or an older record is refused with
// the current value — on the state machine, through clients whose writes arrive out of
// order, and identically on every replica; plain writes keep the stamp, a delete forgets it.
#include "tests/unit/infra/raft_fixture.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <functional>
#include <memory>

using namespace livedeck;
using namespace livedeck::infra;
using sim::kMillisecond;
using sim::kSecond;

namespace {

using infra::test::runUntilLeader;
using infra::test::seeded;

RaftEntry entry(RaftOp op, std::string key, std::string value, std::uint64_t stamp)
{
    auto c = std::make_shared<RaftCommand>();
    c->op = op;
    c->key = std::move(key);
    c->value = std::move(value);
    c->stamp = stamp;
    return RaftEntry{1, 0, std::move(c)};
}


} // namespace

class TstRaftSetIfNewer : public QObject {
    Q_OBJECT
private slots:
    void stateMachineRefusesDuplicatesAndOlder_data()
    {
        QTest::addColumn<quint64>("incoming");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("older") << quint64(1'000) << false;
        QTest::newRow("same stamp (a duplicate)") << quint64(2'000) << false;
        QTest::newRow("newer") << quint64(2'001) << true;
    }
    void stateMachineRefusesDuplicatesAndOlder()
    {
        QFETCH(quint64, incoming);
        QFETCH(bool, accepted);
        RaftKvStore s;
        RaftResult r = s.apply(1, entry(RaftOp::SetIfNewer, "conv", "v2000", 2'000));
        QCOMPARE(r.status, RaftStatus::Ok);
        QCOMPARE(r.stamp, std::uint64_t{2'000});
        QCOMPARE(r.version, std::uint64_t{1});
        r = s.apply(2, entry(RaftOp::SetIfNewer, "conv", "incoming", incoming));
        QCOMPARE(r.status == RaftStatus::Ok, accepted);
        if (!accepted) {
            QCOMPARE(r.refusal, RaftRefusal::NotNewer);
            QCOMPARE(r.value, std::string("v2000")); // the refusal carries what is there
            QCOMPARE(r.stamp, std::uint64_t{2'000});
        }
        RaftResult read;
        s.read("conv", read);
        QCOMPARE(read.value, std::string(accepted ? "incoming" : "v2000"));
        QCOMPARE(read.stamp, std::uint64_t(accepted ? incoming : 2'000));
        QCOMPARE(read.version, std::uint64_t(accepted ? 2 : 1));
    }

    void plainWritesKeepTheStampDeleteForgetsIt()
    {
        RaftKvStore s;
        QCOMPARE(s.apply(1, entry(RaftOp::SetIfNewer, "k", "a", 50)).status, RaftStatus::Ok);
        QCOMPARE(s.apply(2, entry(RaftOp::Put, "k", "plain", 0)).status, RaftStatus::Ok);
        QCOMPARE(s.find("k")->stamp, std::uint64_t{50});
        // The stamp never goes down: an older record after the put is still refused.
        QCOMPARE(s.apply(3, entry(RaftOp::SetIfNewer, "k", "old", 40)).refusal, RaftRefusal::NotNewer);
        QCOMPARE(s.find("k")->value, std::string("plain"));
        QCOMPARE(s.apply(4, entry(RaftOp::Del, "k", "", 0)).status, RaftStatus::Ok);
        QVERIFY(!s.find("k"));
        QCOMPARE(s.apply(5, entry(RaftOp::SetIfNewer, "k", "after-delete", 40)).status, RaftStatus::Ok);
        // The digest covers the stamp: two stores that differ only there differ.
        RaftKvStore a;
        RaftKvStore b;
        a.apply(1, entry(RaftOp::SetIfNewer, "k", "v", 7));
        b.apply(1, entry(RaftOp::SetIfNewer, "k", "v", 8));
        QVERIFY(a.digest() != b.digest());
    }

    void outOfOrderRecordsConvergeToTheNewestOnEveryReplica()
    {
        sim::WorldConfig wc;
        wc.seed = 41;
        sim::World w(wc);
        RaftCluster c(w);
        QVERIFY(runUntilLeader(w, c, 2 * kSecond) >= 0);
        // Records of one key with stamps 1..40, sent by two clients in a shuffled order
        // (a binlog consumer after a restart: duplicates and reordering).
        RaftClient near(c, "sh-a/app/sync-0");
        RaftClient far(c, "gz/app/sync-1");
        sim::RandomStream rng = w.stream("test/order");
        std::vector<std::uint64_t> stamps;
        for (std::uint64_t s = 1; s <= 40; ++s) {
            stamps.push_back(s);
            if (s % 5 == 0)
                stamps.push_back(s); // a duplicate
        }
        for (std::size_t i = stamps.size(); i > 1; --i)
            std::swap(stamps[i - 1], stamps[rng.uniformInt(i)]);
        int ok = 0;
        int notNewer = 0;
        int answered = 0;
        for (std::size_t i = 0; i < stamps.size(); ++i) {
            RaftClient& client = i % 2 ? far : near;
            client.setIfNewer("conv/1/2", sim::strCat("v", stamps[i]), stamps[i], [&](const RaftResult& r) {
                ok += r.status == RaftStatus::Ok;
                notNewer += r.status == RaftStatus::Refused && r.refusal == RaftRefusal::NotNewer;
                ++answered;
            });
            w.scheduler().runUntil(w.now() + 2 * kMillisecond);
        }
        while (answered < int(stamps.size()) && w.scheduler().step()) {
        }
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QCOMPARE(ok + notNewer, int(stamps.size()));
        QVERIFY(notNewer >= 8); // at least the duplicates
        QVERIFY(ok >= 1);
        for (std::size_t i = 0; i < c.size(); ++i) {
            const RaftKvValue* v = c.node(i).store().find("conv/1/2");
            QVERIFY(v);
            QCOMPARE(v->value, std::string("v40"));
            QCOMPARE(v->stamp, std::uint64_t{40});
            QCOMPARE(c.node(i).store().digest(), c.node(0).store().digest());
        }
        // A read answers the stamp too.
        RaftResult read;
        bool done = false;
        near.get("conv/1/2", [&](const RaftResult& r) {
            read = r;
            done = true;
        });
        while (!done && w.scheduler().step()) {
        }
        QCOMPARE(read.stamp, std::uint64_t{40});
    }
};

LIVEDECK_TEST_CLASS(TstRaftSetIfNewer)
#include "tst_raft_set_if_newer.moc"

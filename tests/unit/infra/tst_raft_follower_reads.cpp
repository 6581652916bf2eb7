// Raft KV reads from followers (RaftReadMode::Random, Taishan's RANDOM read mode): reads
// land on every replica, each follower gets its read index from the leader and answers
// once it has applied it, so a read after an acknowledged write sees it (no stale read
// from a follower that is behind), the read load spreads over the replicas, a follower
// cut off from the leader refuses instead of answering stale, and the choice of replica
// is deterministic for a seed. Concurrent histories with random reads are checked
// linearizable in tst_raft_linearizability.cpp.
#include "tests/unit/infra/raft_fixture.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace livedeck;
using namespace livedeck::infra;
using sim::kMillisecond;
using sim::kSecond;

namespace {

using infra::test::runUntilLeader;
using infra::test::seeded;


RaftResult await(sim::World& w, const std::function<void(RaftCallback)>& call)
{
    RaftResult out;
    bool done = false;
    call([&](const RaftResult& r) {
        out = r;
        done = true;
    });
    while (!done && w.scheduler().step()) {
    }
    return out;
}

RaftClientConfig randomReads()
{
    RaftClientConfig cc;
    cc.readMode = RaftReadMode::Random;
    return cc;
}

struct Served {
    std::vector<std::uint64_t> perNode;
    std::vector<std::string> values;
};

// `n` rounds of put(i) then get from a client in `region`; the reads' answers and the
// reads each node served as a follower.
Served writeThenRead(std::uint64_t seed, const std::string& region, int n, RaftReadMode mode)
{
    sim::WorldConfig wc;
    wc.seed = seed;
    sim::World w(wc);
    RaftCluster c(w);
    if (runUntilLeader(w, c, 2 * kSecond) < 0)
        qFatal("no leader");
    RaftClientConfig cc;
    cc.readMode = mode;
    RaftClient client(c, region + "/app/reader", cc);
    Served s;
    for (int i = 0; i < n; ++i) {
        const std::string value = std::to_string(i);
        const RaftResult put = await(w, [&](RaftCallback cb) { client.put("k", value, std::move(cb)); });
        if (put.status != RaftStatus::Ok)
            qFatal("put failed");
        const RaftResult got = await(w, [&](RaftCallback cb) { client.get("k", std::move(cb)); });
        s.values.push_back(got.status == RaftStatus::Ok ? got.value : std::string("error"));
    }
    for (std::size_t i = 0; i < c.size(); ++i)
        s.perNode.push_back(c.node(i).followerReadsServed());
    return s;
}

} // namespace

class TstRaftFollowerReads : public QObject {
    Q_OBJECT
private slots:
    void readsAfterWritesSeeThemOnEveryReplica_data()
    {
        QTest::addColumn<QString>("region");
        QTest::newRow("client in sh-a") << QStringLiteral("sh-a");
        QTest::newRow("client in gz (far from the leader)") << QStringLiteral("gz");
    }
    void readsAfterWritesSeeThemOnEveryReplica()
    {
        QFETCH(QString, region);
        const Served s = writeThenRead(11, region.toStdString(), 120, RaftReadMode::Random);
        for (int i = 0; i < 120; ++i)
            QCOMPARE(s.values[std::size_t(i)], std::to_string(i)); // never the previous value
        // Both followers served reads (a 3-node group: two of three reads on average).
        int followersUsed = 0;
        std::uint64_t total = 0;
        for (std::uint64_t n : s.perNode) {
            followersUsed += n > 0;
            total += n;
        }
        QCOMPARE(followersUsed, 2);
        QVERIFY2(total > 50, qPrintable(QString::number(total)));
        // Leader mode never reads on a follower.
        const Served leader = writeThenRead(11, region.toStdString(), 30, RaftReadMode::Leader);
        for (std::uint64_t n : leader.perNode)
            QCOMPARE(n, std::uint64_t{0});
    }

    void laggingFollowerWaitsForTheReadIndex()
    {
        sim::WorldConfig wc;
        wc.seed = 12;
        sim::World w(wc);
        RaftCluster c(w);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        // Cut one follower off, commit 5 000 writes without it, then heal: it needs
        // several AppendEntries batches (1 024 entries each) to catch up, and reads
        // that land on it meanwhile get a read index it has not applied yet.
        const int follower = leader == 0 ? 1 : 0;
        const std::string fpath = c.node(std::size_t(follower)).path();
        std::vector<std::uint64_t> faults;
        for (std::size_t i = 0; i < c.size(); ++i) {
            if (int(i) == follower)
                continue;
            v1::FaultSpec f;
            f.set_kind(v1::FAULT_PARTITION);
            f.set_target(fpath);
            auto* peer = f.add_params();
            peer->set_name("peer");
            peer->set_text(c.node(i).path());
            auto id = w.faults().inject(f);
            QVERIFY(id.ok());
            faults.push_back(*id);
        }
        w.scheduler().runUntil(w.now());
        RaftClientConfig writes;
        writes.timeout = 10 * kSecond;
        RaftClient writer(c, "sh-a/app/writer", writes);
        int acked = 0;
        for (int i = 0; i < 5'000; ++i)
            writer.put(sim::strCat("k/", i % 50), std::to_string(i), [&acked](const RaftResult& r) { acked += r.status == RaftStatus::Ok; });
        while (acked < 5'000 && w.scheduler().step()) {
        }
        QCOMPARE(acked, 5'000);
        const std::uint64_t before = c.node(std::size_t(follower)).lastApplied();
        for (std::uint64_t id : faults)
            QVERIFY(w.faults().clear(id).ok());

        RaftClientConfig cc = randomReads();
        cc.timeout = 2 * kSecond;
        cc.attemptTimeout = 1 * kSecond;
        std::vector<std::unique_ptr<RaftClient>> readers;
        std::vector<RaftResult> answers(60);
        int answered = 0;
        for (int i = 0; i < 60; ++i) {
            readers.push_back(std::make_unique<RaftClient>(c, sim::strCat("sh-b/app/reader-", i), cc));
            readers.back()->get(sim::strCat("k/", i % 50), [&answers, &answered, i](const RaftResult& r) {
                answers[std::size_t(i)] = r;
                ++answered;
            });
        }
        while (answered < 60 && w.scheduler().step()) {
        }
        for (int i = 0; i < 60; ++i) {
            QCOMPARE(answers[std::size_t(i)].status, RaftStatus::Ok);
            // The last write of key k/(i % 50) was 4 950 + i % 50.
            QCOMPARE(answers[std::size_t(i)].value, std::to_string(4'950 + i % 50));
        }
        const RaftNode& f = c.node(std::size_t(follower));
        QVERIFY(f.lastApplied() > before + 5'000);
        QVERIFY2(f.followerReadsServed() > 5, qPrintable(QString::number(f.followerReadsServed())));
        QVERIFY2(f.followerReadsWaited() > 0, qPrintable(QString::number(f.followerReadsWaited())));
    }

    void cutOffFollowerDoesNotAnswerStale()
    {
        sim::WorldConfig wc;
        wc.seed = 13;
        sim::World w(wc);
        RaftCluster c(w);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        RaftClient writer(c, "sh-a/app/writer");
        QCOMPARE(await(w, [&](RaftCallback cb) { writer.put("k", "old", std::move(cb)); }).status, RaftStatus::Ok);
        w.scheduler().runUntil(w.now() + 200 * kMillisecond);
        // Partition one follower from both other nodes, then write a new value.
        int follower = leader == 0 ? 1 : 0;
        const std::string fpath = c.node(std::size_t(follower)).path();
        std::vector<std::uint64_t> faults;
        for (std::size_t i = 0; i < c.size(); ++i) {
            if (int(i) == follower)
                continue;
            v1::FaultSpec f;
            f.set_kind(v1::FAULT_PARTITION);
            f.set_target(fpath);
            auto* peer = f.add_params();
            peer->set_name("peer");
            peer->set_text(c.node(i).path());
            auto id = w.faults().inject(f);
            QVERIFY(id.ok());
            faults.push_back(*id);
        }
        w.scheduler().runUntil(w.now());
        QCOMPARE(await(w, [&](RaftCallback cb) { writer.put("k", "new", std::move(cb)); }).status, RaftStatus::Ok);
        QCOMPARE(c.node(std::size_t(follower)).store().find("k")->value, std::string("old"));
        // Reads that land on the cut-off follower cannot get a read index: they time
        // out or go elsewhere; none returns "old".
        RaftClientConfig cc = randomReads();
        int ok = 0;
        for (int i = 0; i < 40; ++i) {
            RaftClient reader(c, sim::strCat("sh-b/app/reader-", i), cc);
            const RaftResult got = await(w, [&](RaftCallback cb) { reader.get("k", std::move(cb)); });
            if (got.status == RaftStatus::Ok) {
                QCOMPARE(got.value, std::string("new"));
                ++ok;
            }
        }
        QVERIFY(ok > 10);
        QCOMPARE(c.node(std::size_t(follower)).store().find("k")->value, std::string("old"));
        for (std::uint64_t id : faults)
            QVERIFY(w.faults().clear(id).ok());
    }

    void replicaChoiceIsDeterministic()
    {
        const Served a = writeThenRead(21, "sh-b", 40, RaftReadMode::Random);
        const Served b = writeThenRead(21, "sh-b", 40, RaftReadMode::Random);
        const Served other = writeThenRead(22, "sh-b", 40, RaftReadMode::Random);
        QCOMPARE(a.perNode, b.perNode);
        QCOMPARE(a.values, b.values);
        QVERIFY(a.perNode != other.perNode || a.perNode.empty());
    }
};

LIVEDECK_TEST_CLASS(TstRaftFollowerReads)
#include "tst_raft_follower_reads.moc"

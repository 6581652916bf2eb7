// Raft log replication on the default topology: acknowledged writes survive leader
// changes, commit needs a majority, a partition's minority side refuses writes while
// the majority side proceeds, retried writes apply once, clients find the leader, and
// a follower that fell behind the compacted log catches up from a snapshot.
#include "tests/unit/infra/raft_fixture.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <functional>
#include <map>
#include <set>

using namespace livedeck;
using namespace livedeck::infra;
using sim::kMillisecond;
using sim::kSecond;

namespace {

using infra::test::runUntilLeader;
using infra::test::seeded;


std::uint64_t inject(sim::World& w, v1::FaultKind kind, const std::string& target, const std::string& peer = {},
                     sim::Nanos end = 0, bool oneWay = false)
{
    v1::FaultSpec f;
    f.set_kind(kind);
    f.set_target(target);
    f.set_end_ns(end);
    if (!peer.empty()) {
        auto* p = f.add_params();
        p->set_name("peer");
        p->set_text(peer);
    }
    if (oneWay) {
        auto* p = f.add_params();
        p->set_name("one_way");
        p->set_value(1);
    }
    auto id = w.faults().inject(f);
    if (!id.ok())
        qFatal("inject: %s", std::string(id.status().message()).c_str());
    return *id;
}


std::string regionOf(const std::string& path)
{
    return path.substr(0, path.find('/'));
}

} // namespace

class TstRaftReplication : public QObject {
    Q_OBJECT
private slots:
    void committedEntriesSurviveLeaderChanges_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<int>("nodes");
        for (quint64 seed : {31, 32, 33, 34, 35, 36})
            QTest::addRow("3 nodes, seed %llu", seed) << seed << 3;
        for (quint64 seed : {41, 42})
            QTest::addRow("5 nodes, seed %llu", seed) << seed << 5;
    }
    void committedEntriesSurviveLeaderChanges()
    {
        QFETCH(quint64, seed);
        QFETCH(int, nodes);
        sim::World w(seeded(seed));
        RaftCluster c(w, nodes == 5 ? RaftClusterConfig::fiveNodes() : RaftClusterConfig{});
        RaftClient client(c, "sh-b/app/writer", RaftClientConfig{2 * kSecond, 100 * kMillisecond, 10 * kMillisecond});
        std::map<int, std::uint64_t> acked; // key number → log index it applied at
        int next = 0;
        int notOnMajority = 0;
        bool stop = false;
        std::function<void()> write = [&] {
            if (stop)
                return;
            const int k = next++;
            client.put("key/" + std::to_string(k), "value-" + std::to_string(k), [&, k](const RaftResult& r) {
                if (r.status == RaftStatus::Ok) {
                    acked.emplace(k, r.index);
                    // Acknowledged only once a majority holds the entry.
                    int holders = 0;
                    for (std::size_t i = 0; i < c.size(); ++i) {
                        const RaftLog& log = c.node(i).log();
                        if (r.index > log.baseIndex() && r.index <= log.lastIndex() && log.at(r.index).command
                            && log.at(r.index).command->key == "key/" + std::to_string(k))
                            ++holders;
                    }
                    notOnMajority += holders < c.majority();
                }
                write();
            });
        };
        QVERIFY(runUntilLeader(w, c, 2 * kSecond) >= 0);
        write();
        // Crash whoever leads every 1.5 s, for 1 s.
        int crashes = 0;
        for (int round = 0; round < 8; ++round) {
            w.scheduler().runUntil(w.now() + 1500 * kMillisecond);
            if (c.leader() >= 0) {
                inject(w, v1::FAULT_DOWN, c.node(std::size_t(c.leader())).path(), {}, w.now() + kSecond);
                ++crashes;
            }
        }
        stop = true;
        w.scheduler().runUntil(w.now() + 3 * kSecond);
        QVERIFY(crashes >= 6);
        QVERIFY(c.leadersByTerm().size() >= 6);
        QVERIFY2(acked.size() > 500, qPrintable(QString::number(acked.size())));
        QCOMPARE(notOnMajority, 0);
        // Every acknowledged write is in every replica's state...
        for (std::size_t i = 0; i < c.size(); ++i) {
            const RaftKvStore& s = c.node(i).store();
            for (const auto& [k, index] : acked) {
                const RaftKvValue* v = s.find("key/" + std::to_string(k));
                QVERIFY2(v, qPrintable(QStringLiteral("node %1 lost acknowledged key %2").arg(i).arg(k)));
                QCOMPARE(v->value, "value-" + std::to_string(k));
                QCOMPARE(v->version, index);
            }
        }
        // ...and reads through the leader see them.
        int readOk = 0;
        for (const auto& [k, index] : acked) {
            std::string expected = "value-" + std::to_string(k);
            client.get("key/" + std::to_string(k), [&readOk, expected](const RaftResult& r) {
                readOk += r.status == RaftStatus::Ok && r.found && r.value == expected;
            });
        }
        w.scheduler().runUntil(w.now() + 2 * kSecond);
        QCOMPARE(readOk, int(acked.size()));
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }

    void minorityRefusesWritesMajorityProceeds_data()
    {
        QTest::addColumn<quint64>("seed");
        for (quint64 seed : {51, 52, 53, 54})
            QTest::addRow("seed %llu", seed) << seed;
    }
    void minorityRefusesWritesMajorityProceeds()
    {
        QFETCH(quint64, seed);
        sim::World w(seeded(seed));
        RaftCluster c(w);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        w.scheduler().runUntil(w.now() + 300 * kMillisecond);
        // Put the leader on the minority side: cut its region off from the other two.
        const std::string minority = regionOf(c.node(std::size_t(leader)).path());
        std::string majority;
        std::vector<std::uint64_t> cuts;
        for (const char* r : {"sh-a", "sh-b", "gz"}) {
            if (minority != r) {
                cuts.push_back(inject(w, v1::FAULT_PARTITION, minority, r));
                if (majority.empty())
                    majority = r;
            }
        }
        // The minority clients stick to the node they know (no retries within their 60 ms
        // deadline), so each answer of the cut-off leader reaches the caller as is.
        RaftClient minorityClient(c, minority + "/app/writer",
                                  RaftClientConfig{60 * kMillisecond, 60 * kMillisecond, 60 * kMillisecond});
        RaftClient minorityReader(c, minority + "/app/reader",
                                  RaftClientConfig{60 * kMillisecond, 60 * kMillisecond, 60 * kMillisecond});
        RaftClient majorityClient(c, majority + "/app/client",
                                  RaftClientConfig{200 * kMillisecond, 100 * kMillisecond, 10 * kMillisecond});
        std::map<RaftStatus, int> minorityWrites, minorityReads, majorityWrites;
        std::set<std::string> minorityKeys;
        int n = 0;
        const sim::Nanos partitionEnd = w.now() + 3 * kSecond;
        std::function<void()> minorityLoop = [&] {
            if (w.now() >= partitionEnd)
                return;
            const std::string key = "minority/" + std::to_string(n++);
            minorityKeys.insert(key);
            minorityClient.put(key, "x", [&](const RaftResult& r) {
                ++minorityWrites[r.status];
                minorityLoop();
            });
        };
        std::function<void()> readerLoop = [&] {
            if (w.now() >= partitionEnd)
                return;
            minorityReader.get("shared", [&](const RaftResult& g) {
                ++minorityReads[g.status];
                readerLoop();
            });
        };
        std::function<void()> majorityLoop = [&] {
            if (w.now() >= partitionEnd)
                return;
            majorityClient.put("majority/" + std::to_string(n++), "y", [&](const RaftResult& r) {
                ++majorityWrites[r.status];
                majorityLoop();
            });
        };
        minorityLoop();
        readerLoop();
        majorityLoop();
        w.scheduler().runUntil(partitionEnd);
        // The cut-off leader stepped down (check-quorum), the majority elected another.
        QVERIFY(w.events().count("raft.step_down") >= 1);
        const int during = c.leader();
        QVERIFY(during >= 0 && during != leader);
        QVERIFY(regionOf(c.node(std::size_t(during)).path()) != minority);
        QCOMPARE(minorityWrites[RaftStatus::Ok], 0);
        QCOMPARE(minorityReads[RaftStatus::Ok], 0);
        // First the writes hang (appended, never committed: Timeout); once the leader
        // knows it has no quorum it refuses them (NoQuorum), then it steps down (NotLeader).
        QVERIFY(minorityWrites[RaftStatus::Timeout] >= 1);
        QVERIFY(minorityWrites[RaftStatus::NoQuorum] >= 1);
        QVERIFY(minorityWrites[RaftStatus::NotLeader] >= 1);
        QVERIFY(c.node(std::size_t(leader)).noQuorumRefusals() >= 1);
        // The majority side proceeds (each of its commits crosses a 30 ms gz link and
        // the writes run one at a time, so ~10 per second).
        QVERIFY2(majorityWrites[RaftStatus::Ok] > 10, qPrintable(QString::number(majorityWrites[RaftStatus::Ok])));

        for (std::uint64_t f : cuts)
            QVERIFY(w.faults().clear(f).ok());
        w.scheduler().runUntil(w.now() + 2 * kSecond);
        // Nothing the minority side was refused shows up after the heal; the old
        // leader's uncommitted entries were overwritten.
        int visible = 0;
        for (const std::string& key : minorityKeys)
            majorityClient.get(key, [&visible](const RaftResult& r) { visible += r.status != RaftStatus::Ok || r.found; });
        w.scheduler().runUntil(w.now() + 2 * kSecond);
        QCOMPARE(visible, 0);
        const RaftNode& old = c.node(std::size_t(leader));
        QCOMPARE(old.role(), RaftRole::Follower);
        QCOMPARE(old.store().digest(), c.node(std::size_t(c.leader())).store().digest());
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }

    void retriedWriteAppliesOnce()
    {
        sim::World w(seeded(61));
        RaftCluster c(w);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        const std::string region = regionOf(c.node(std::size_t(leader)).path());
        RaftClient client(c, region + "/app/client", RaftClientConfig{3 * kSecond, 100 * kMillisecond, 10 * kMillisecond});
        RaftResult put;
        client.put("x", "0", [&put](const RaftResult& r) { put = r; });
        w.scheduler().runUntil(w.now() + 100 * kMillisecond);
        QCOMPARE(put.status, RaftStatus::Ok);
        // Answers from the leader to the client are lost for 450 ms: the client resends
        // the same command several times; the leader appends every copy.
        const std::uint64_t cut = inject(w, v1::FAULT_PARTITION, c.node(std::size_t(leader)).path(),
                                         client.path(), 0, true);
        RaftResult cas;
        bool done = false;
        client.casValue("x", "0", "1", [&](const RaftResult& r) {
            cas = r;
            done = true;
        });
        const std::uint64_t attemptsBefore = client.attempts();
        w.scheduler().runUntil(w.now() + 450 * kMillisecond);
        QVERIFY(!done);
        QVERIFY(w.faults().clear(cut).ok());
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QVERIFY(done);
        QVERIFY(client.attempts() - attemptsBefore >= 3);
        // Without the session the second copy would find "1" and be refused.
        QCOMPARE(cas.status, RaftStatus::Ok);
        const RaftKvValue* v = c.node(std::size_t(leader)).store().find("x");
        QVERIFY(v);
        QCOMPARE(v->value, std::string("1"));
        QCOMPARE(v->version, cas.index);
        // The copies are in the log, but only the first took effect.
        int copies = 0;
        const RaftLog& log = c.node(std::size_t(leader)).log();
        for (std::uint64_t i = log.firstIndex(); i <= log.lastIndex(); ++i) {
            const RaftCommand* cmd = log.at(i).command.get();
            copies += cmd && cmd->op == RaftOp::Cas;
        }
        QVERIFY(copies >= 3);
    }

    void clientFindsTheLeader()
    {
        sim::World w(seeded(71));
        RaftCluster c(w);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        w.scheduler().runUntil(w.now() + 200 * kMillisecond);
        // A client next to a follower: its first request is redirected by the hint.
        const std::size_t follower = (std::size_t(leader) + 1) % c.size();
        RaftClient client(c, regionOf(c.node(follower).path()) + "/app/client");
        QCOMPARE(client.leaderGuess(), int(follower));
        RaftResult r;
        client.put("a", "1", [&r](const RaftResult& x) { r = x; });
        w.scheduler().runUntil(w.now() + 300 * kMillisecond);
        QCOMPARE(r.status, RaftStatus::Ok);
        QCOMPARE(client.attempts(), std::uint64_t{2});
        QCOMPARE(client.leaderGuess(), leader);
        client.get("a", [&r](const RaftResult& x) { r = x; });
        w.scheduler().runUntil(w.now() + 300 * kMillisecond);
        QCOMPARE(r.status, RaftStatus::Ok);
        QCOMPARE(r.value, std::string("1"));
        QCOMPARE(client.attempts(), std::uint64_t{3});
        // With every node down the client reports a timeout by its deadline.
        const std::uint64_t down = inject(w, v1::FAULT_DOWN, "*/infra/taishan");
        const sim::Nanos start = w.now();
        sim::Nanos finished = 0;
        client.put("b", "2", [&](const RaftResult& x) {
            r = x;
            finished = w.now();
        });
        w.scheduler().runUntil(w.now() + kSecond);
        QCOMPARE(r.status, RaftStatus::Timeout);
        QCOMPARE(finished - start, RaftClientConfig{}.timeout);
        QVERIFY(w.faults().clear(down).ok());
    }

    void laggingFollowerCatchesUpFromSnapshot()
    {
        sim::World w(seeded(81));
        RaftClusterConfig cfg;
        cfg.raft.snapshotThreshold = 200;
        cfg.raft.snapshotTrailing = 50;
        RaftCluster c(w, cfg);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        const std::size_t lagging = (std::size_t(leader) + 1) % c.size();
        const std::uint64_t down = inject(w, v1::FAULT_DOWN, c.node(lagging).path());
        RaftClient client(c, regionOf(c.node(std::size_t(leader)).path()) + "/app/client");
        int ok = 0;
        int n = 0;
        std::function<void()> write = [&] {
            if (n >= 1500)
                return;
            const int k = n++;
            client.put("k" + std::to_string(k % 300), std::to_string(k), [&](const RaftResult& r) {
                ok += r.status == RaftStatus::Ok;
                write();
            });
        };
        write();
        w.scheduler().runUntil(w.now() + 10 * kSecond);
        QCOMPARE(ok, 1500);
        const RaftNode& l = c.node(std::size_t(leader));
        QVERIFY(l.snapshotsTaken() >= 5);
        QVERIFY(l.log().baseIndex() > 1000);
        QVERIFY(l.log().size() < 300);
        QVERIFY(w.faults().clear(down).ok());
        w.scheduler().runUntil(w.now() + 2 * kSecond);
        const RaftNode& f = c.node(lagging);
        QCOMPARE(f.snapshotsInstalled(), std::uint64_t{1});
        QCOMPARE(f.lastApplied(), l.lastApplied());
        QCOMPARE(f.store().digest(), l.store().digest());
        QCOMPARE(f.store().keyCount(), std::size_t{300});

        // A node restarting from its own snapshot rebuilds the same state: snapshot + log.
        const std::size_t other = (lagging + 1) % c.size() == std::size_t(leader) ? (lagging + 2) % c.size()
                                                                                   : (lagging + 1) % c.size();
        QVERIFY(c.node(other).snapshot() != nullptr);
        const std::uint64_t d = inject(w, v1::FAULT_DOWN, c.node(other).path());
        w.scheduler().runUntil(w.now() + 100 * kMillisecond);
        QCOMPARE(c.node(other).store().keyCount(), std::size_t{0}); // volatile state gone
        QVERIFY(w.faults().clear(d).ok());
        w.scheduler().runUntil(w.now() + 1 * kSecond);
        QCOMPARE(c.node(other).store().digest(), l.store().digest());
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }
};

LIVEDECK_TEST_CLASS(TstRaftReplication)
#include "tst_raft_replication.moc"

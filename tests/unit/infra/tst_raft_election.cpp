// Raft elections on the default topology: a leader is elected, re-election after the
// leader crashes (and the old leader rejoins as a follower), pre-vote keeps a node
// returning from a partition from disrupting the leader, never two leaders in one
// term under random crashes and partitions, and determinism of the whole run.
#include "tests/common/fault_specs.h"
#include "tests/unit/infra/raft_fixture.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <map>
#include <memory>

using namespace livedeck;
using namespace livedeck::infra;
using sim::kMillisecond;
using sim::kSecond;

namespace {

using infra::test::runUntilLeader;
using infra::test::seeded;


std::uint64_t downFault(sim::World& w, const std::string& target, sim::Nanos end = 0)
{
    auto id = w.faults().inject(livedeck::test::downSpec(target, 0, end));
    if (!id.ok())
        qFatal("inject down: %s", std::string(id.status().message()).c_str());
    return *id;
}

std::uint64_t partitionFault(sim::World& w, const std::string& a, const std::string& b, sim::Nanos end = 0,
                             bool oneWay = false)
{
    v1::FaultSpec f;
    f.set_kind(v1::FAULT_PARTITION);
    f.set_target(a);
    f.set_end_ns(end);
    auto* p = f.add_params();
    p->set_name("peer");
    p->set_text(b);
    if (oneWay) {
        auto* o = f.add_params();
        o->set_name("one_way");
        o->set_value(1);
    }
    auto id = w.faults().inject(f);
    if (!id.ok())
        qFatal("inject partition: %s", std::string(id.status().message()).c_str());
    return *id;
}

// Runs until some node leads (or `limit` passes); returns its index or -1.

// Records every (term, leader) announced through the event log.
struct LeaderRecord {
    std::map<std::uint64_t, std::string> leaderOfTerm;
    int conflicts = 0;
    int elections = 0;
    int subscription = 0;

    void attach(sim::World& w)
    {
        subscription = w.events().subscribe([this](const v1::Event& e) {
            if (e.kind() != "raft.leader")
                return;
            std::uint64_t term = 0;
            std::string node;
            for (const auto& kv : e.fields()) {
                if (kv.key() == "term")
                    term = std::stoull(kv.value());
                else if (kv.key() == "node")
                    node = kv.value();
            }
            ++elections;
            const auto [it, inserted] = leaderOfTerm.emplace(term, node);
            if (!inserted && it->second != node)
                ++conflicts;
        });
    }
};

// Log Matching across live nodes: wherever two logs both hold an index at or below
// both commit indices, the terms agree.
bool committedPrefixesAgree(const RaftCluster& c, QString& why)
{
    for (std::size_t a = 0; a < c.size(); ++a) {
        for (std::size_t b = a + 1; b < c.size(); ++b) {
            const RaftNode& x = c.node(a);
            const RaftNode& y = c.node(b);
            if (x.crashed() || y.crashed())
                continue;
            const std::uint64_t upTo = std::min(x.commitIndex(), y.commitIndex());
            const std::uint64_t from = std::max(x.log().baseIndex(), y.log().baseIndex());
            for (std::uint64_t i = from; i <= upTo; ++i) {
                if (!x.log().hasTerm(i) || !y.log().hasTerm(i))
                    continue;
                if (x.log().term(i) != y.log().term(i)) {
                    why = QStringLiteral("nodes %1 and %2 disagree at committed index %3").arg(a).arg(b).arg(i);
                    return false;
                }
            }
        }
    }
    return true;
}

} // namespace

class TstRaftElection : public QObject {
    Q_OBJECT
private slots:
    void leaderIsElected_data()
    {
        QTest::addColumn<int>("nodes");
        QTest::addColumn<quint64>("seed");
        for (quint64 seed : {1, 2, 3, 4}) {
            QTest::addRow("3 nodes, seed %llu", seed) << 3 << seed;
            QTest::addRow("5 nodes, seed %llu", seed) << 5 << seed;
        }
    }
    void leaderIsElected()
    {
        QFETCH(int, nodes);
        QFETCH(quint64, seed);
        sim::World w(seeded(seed));
        RaftCluster c(w, nodes == 5 ? RaftClusterConfig::fiveNodes() : RaftClusterConfig{});
        QCOMPARE(int(c.size()), nodes);
        QCOMPARE(c.node(0).path(), std::string("sh-a/infra/taishan/0"));
        QCOMPARE(c.node(2).path(), std::string("gz/infra/taishan/2"));
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY2(leader >= 0, "no leader within 2 s");
        // The first election completes within a few election timeouts.
        QVERIFY(w.now() < 1500 * kMillisecond);
        QCOMPARE(w.events().count("raft.leader"), std::uint64_t{1});
        // After a few heartbeats every node follows the same leader in the same term.
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QCOMPARE(c.leader(), leader);
        for (std::size_t i = 0; i < c.size(); ++i) {
            QCOMPARE(c.node(i).term(), c.node(std::size_t(leader)).term());
            QCOMPARE(c.node(i).leaderHint(), leader);
            QCOMPARE(c.node(i).role(), int(i) == leader ? RaftRole::Leader : RaftRole::Follower);
            // The leader's no-op of its term is committed and applied everywhere.
            QVERIFY(c.node(i).commitIndex() >= 1);
            QCOMPARE(c.node(i).lastApplied(), c.node(i).commitIndex());
        }
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
        // Heartbeats keep the leader: no further elections while nothing fails.
        const std::uint64_t term = c.maxTerm();
        w.scheduler().runUntil(w.now() + 10 * kSecond);
        QCOMPARE(c.maxTerm(), term);
        QCOMPARE(c.leader(), leader);
    }

    void reelectionAfterLeaderCrash_data()
    {
        QTest::addColumn<quint64>("seed");
        for (quint64 seed : {11, 12, 13, 14, 15})
            QTest::addRow("seed %llu", seed) << seed;
    }
    void reelectionAfterLeaderCrash()
    {
        QFETCH(quint64, seed);
        sim::World w(seeded(seed));
        RaftCluster c(w);
        RaftClient client(c, "sh-a/app/writer");
        const int first = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(first >= 0);
        const std::uint64_t firstTerm = c.node(std::size_t(first)).term();
        int acked = 0;
        for (int i = 0; i < 20; ++i)
            client.put("k" + std::to_string(i), "v", [&acked](const RaftResult& r) { acked += r.status == RaftStatus::Ok; });
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QCOMPARE(acked, 20);

        const std::uint64_t fault = downFault(w, c.node(std::size_t(first)).path());
        w.scheduler().runUntil(w.now() + kMillisecond);
        QVERIFY(c.node(std::size_t(first)).crashed());
        QCOMPARE(w.events().count("raft.crash"), std::uint64_t{1});
        const sim::Nanos crashedAt = w.now();
        const int second = runUntilLeader(w, c, 3 * kSecond);
        QVERIFY2(second >= 0 && second != first, "no new leader after the leader crashed");
        // Detection takes an election timeout (300-600 ms) plus a pre-vote and a vote round.
        QVERIFY(w.now() - crashedAt < 2 * kSecond);
        const std::uint64_t secondTerm = c.node(std::size_t(second)).term();
        QVERIFY(secondTerm > firstTerm);

        // The new leader serves writes.
        for (int i = 20; i < 30; ++i)
            client.put("k" + std::to_string(i), "w", [&acked](const RaftResult& r) { acked += r.status == RaftStatus::Ok; },
                       kSecond);
        w.scheduler().runUntil(w.now() + 1 * kSecond);
        QCOMPARE(acked, 30);

        // The old leader comes back as a follower of the new term and catches up,
        // without disturbing the leader.
        QVERIFY(w.faults().clear(fault).ok());
        w.scheduler().runUntil(w.now() + 2 * kSecond);
        const RaftNode& old = c.node(std::size_t(first));
        QVERIFY(!old.crashed());
        QCOMPARE(old.role(), RaftRole::Follower);
        QCOMPARE(old.term(), secondTerm);
        QCOMPARE(old.leaderHint(), second);
        QCOMPARE(c.leader(), second);
        QCOMPARE(old.log().lastIndex(), c.node(std::size_t(second)).log().lastIndex());
        QCOMPARE(old.commitIndex(), c.node(std::size_t(second)).commitIndex());
        QCOMPARE(old.store().digest(), c.node(std::size_t(second)).store().digest());
        QCOMPARE(w.events().count("raft.restart"), std::uint64_t{1});
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }

    void preVoteKeepsRejoiningNodeFromDisrupting_data()
    {
        QTest::addColumn<bool>("preVote");
        QTest::newRow("pre-vote") << true;
        QTest::newRow("no pre-vote") << false;
    }
    void preVoteKeepsRejoiningNodeFromDisrupting()
    {
        QFETCH(bool, preVote);
        sim::World w(seeded(21));
        RaftClusterConfig cfg;
        cfg.raft.preVote = preVote;
        RaftCluster c(w, cfg);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        const std::uint64_t term = c.node(std::size_t(leader)).term();
        const std::size_t isolated = (std::size_t(leader) + 1) % c.size();
        const std::string region = c.node(isolated).path().substr(0, c.node(isolated).path().find('/'));
        // Cut the follower off from everyone for 3 s.
        std::vector<std::uint64_t> faults;
        for (std::size_t i = 0; i < c.size(); ++i) {
            if (i != isolated)
                faults.push_back(partitionFault(w, c.node(isolated).path(), c.node(i).path()));
        }
        w.scheduler().runUntil(w.now() + 3 * kSecond);
        if (preVote) {
            // Its pre-votes fail, so its term never moves.
            QCOMPARE(c.node(isolated).term(), term);
        } else {
            QVERIFY(c.node(isolated).term() > term + 2);
        }
        QCOMPARE(c.leader(), leader);
        for (std::uint64_t f : faults)
            QVERIFY(w.faults().clear(f).ok());
        w.scheduler().runUntil(w.now() + 2 * kSecond);
        const int after = c.leader();
        QVERIFY(after >= 0);
        if (preVote) {
            QCOMPARE(after, leader);
            QCOMPARE(c.node(std::size_t(after)).term(), term);
            QCOMPARE(w.events().count("raft.step_down"), std::uint64_t{0});
        } else {
            // Its inflated term forces the leader out: the disruption pre-vote prevents.
            QVERIFY(c.node(std::size_t(after)).term() > term + 2);
            QVERIFY(w.events().count("raft.step_down") >= 1);
        }
        if (preVote)
            QCOMPARE(c.node(isolated).role(), RaftRole::Follower);
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }

    void neverTwoLeadersInOneTerm_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<int>("nodes");
        for (quint64 seed = 100; seed < 124; ++seed)
            QTest::addRow("3 nodes, seed %llu", seed) << seed << 3;
        for (quint64 seed = 200; seed < 208; ++seed)
            QTest::addRow("5 nodes, seed %llu", seed) << seed << 5;
    }
    void neverTwoLeadersInOneTerm()
    {
        QFETCH(quint64, seed);
        QFETCH(int, nodes);
        sim::World w(seeded(seed));
        LeaderRecord record;
        record.attach(w);
        RaftCluster c(w, nodes == 5 ? RaftClusterConfig::fiveNodes() : RaftClusterConfig{});
        RaftClient client(c, "sh-b/app/writer", RaftClientConfig{400 * kMillisecond, 100 * kMillisecond, 10 * kMillisecond});
        // A steady trickle of writes so logs diverge and conflict under faults.
        int seq = 0;
        bool stop = false;
        std::function<void()> write = [&] {
            if (stop)
                return;
            client.put("k" + std::to_string(seq % 7), std::to_string(seq), [&](const RaftResult&) {
                w.after(2 * kMillisecond, 0, sim::kNoComponent, [&] { write(); });
            });
            ++seq;
        };
        write();
        sim::RandomStream rng(seed * 7919);
        const sim::Nanos horizon = 20 * kSecond;
        std::vector<std::uint64_t> observedTerms;
        while (w.now() < horizon) {
            const sim::Nanos gap = rng.uniformRange(200 * kMillisecond, 1200 * kMillisecond);
            const sim::Nanos lasting = rng.uniformRange(100 * kMillisecond, 2500 * kMillisecond);
            const std::size_t a = rng.uniformInt(c.size());
            const std::size_t b = (a + 1 + rng.uniformInt(c.size() - 1)) % c.size();
            switch (rng.uniformInt(4)) {
            case 0: // crash the current leader, if any
                if (c.leader() >= 0) {
                    downFault(w, c.node(std::size_t(c.leader())).path(), w.now() + lasting);
                    break;
                }
                [[fallthrough]];
            case 1:
                downFault(w, c.node(a).path(), w.now() + lasting);
                break;
            case 2:
                partitionFault(w, c.node(a).path(), c.node(b).path(), w.now() + lasting, rng.bernoulli(0.3));
                break;
            default: { // isolate one region from the others
                const std::string ra = c.node(a).path().substr(0, c.node(a).path().find('/'));
                for (const char* r : {"sh-a", "sh-b", "gz"}) {
                    if (ra != r)
                        partitionFault(w, ra, r, w.now() + lasting);
                }
                break;
            }
            }
            const sim::Nanos until = w.now() + gap;
            while (w.now() < until) {
                w.scheduler().runUntil(w.now() + 10 * kMillisecond);
                // No two live nodes claim leadership of the same term at any moment.
                std::map<std::uint64_t, int> leaders;
                for (std::size_t i = 0; i < c.size(); ++i) {
                    if (c.node(i).isLeader())
                        QVERIFY2(leaders.emplace(c.node(i).term(), int(i)).second, "two leaders in one term");
                }
            }
        }
        // Heal (faults end by themselves), stop writing and let the cluster settle.
        stop = true;
        w.scheduler().runUntil(w.now() + 4 * kSecond);
        QCOMPARE(record.conflicts, 0);
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
        QVERIFY2(record.elections >= 3, qPrintable(QStringLiteral("only %1 elections").arg(record.elections)));
        QCOMPARE(std::uint64_t(record.elections), std::uint64_t(c.leadersByTerm().size()));
        QVERIFY(c.leader() >= 0);
        QString why;
        QVERIFY2(committedPrefixesAgree(c, why), qPrintable(why));
        // After healing, every replica applies the same state.
        const RaftNode& l = c.node(std::size_t(c.leader()));
        for (std::size_t i = 0; i < c.size(); ++i) {
            QCOMPARE(c.node(i).lastApplied(), l.lastApplied());
            QCOMPARE(c.node(i).store().digest(), l.store().digest());
        }
        QVERIFY(client.completed(RaftStatus::Ok) > 100);
    }

    void determinism()
    {
        const auto run = [](std::uint64_t seed) {
            sim::World w(seeded(seed));
            RaftCluster c(w);
            RaftClient client(c, "sh-b/app/writer");
            int n = 0;
            std::function<void()> write = [&] {
                if (++n > 200)
                    return;
                client.casValue("reg", std::to_string(n - 1), std::to_string(n), [&](const RaftResult&) { write(); });
            };
            client.put("reg", "0", [&](const RaftResult&) { write(); });
            w.scheduler().runUntil(1 * kSecond);
            downFault(w, "sh-a", 2 * kSecond);
            w.scheduler().runUntil(5 * kSecond);
            return std::make_tuple(w.traceHash(), c.node(1).store().digest(), c.maxTerm(), n);
        };
        const auto a = run(5);
        const auto b = run(5);
        const auto other = run(6);
        QCOMPARE(std::get<0>(a), std::get<0>(b));
        QCOMPARE(std::get<1>(a), std::get<1>(b));
        QCOMPARE(std::get<2>(a), std::get<2>(b));
        QVERIFY(std::get<0>(a) != std::get<0>(other));
        QVERIFY(std::get<3>(a) > 200);
    }
};

LIVEDECK_TEST_CLASS(TstRaftElection)
#include "tst_raft_election.moc"

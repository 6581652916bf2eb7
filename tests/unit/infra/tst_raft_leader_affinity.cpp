// Leader affinity (RaftLeaderAffinity): a leader outside the preferred region hands its
// role to a preferred follower once that follower answers and is caught up (TimeoutNow),
// never while the follower lags more than maxLogLag entries or is down; elections stay
// safe (one leader per term, committed prefixes agree, acknowledged writes survive)
// under random crashes and partitions; and the option changes nothing while it is off.
#include "tests/common/fault_specs.h"
#include "tests/unit/infra/raft_fixture.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

#include <functional>
#include <map>
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

std::uint64_t inject(sim::World& w, const v1::FaultSpec& spec)
{
    auto id = w.faults().inject(spec);
    if (!id.ok())
        qFatal("inject: %s", std::string(id.status().message()).c_str());
    return *id;
}

// Extra latency on every link between node `n` and the other nodes of the cluster.
std::vector<std::uint64_t> slowLinks(sim::World& w, const RaftCluster& c, std::size_t n, double addMs)
{
    std::vector<std::uint64_t> ids;
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (i == n)
            continue;
        v1::FaultSpec f = livedeck::test::latencySpec(c.node(n).path(), addMs);
        v1::FaultParam* peer = f.add_params();
        peer->set_name("peer");
        peer->set_text(c.node(i).path());
        ids.push_back(inject(w, f));
    }
    return ids;
}

std::string regionOf(const RaftNode& n)
{
    return n.path().substr(0, n.path().find('/'));
}

// A writer that puts `perMs` new keys ("w<n>" = n) every millisecond and records which
// were acknowledged: each must be in the state machine at the end.
struct Writer {
    sim::World& w;
    RaftClient& client;
    int perMs;
    sim::Nanos timeout;
    bool stop = false;
    std::uint64_t next = 0;
    std::uint64_t acked = 0;
    std::uint64_t failed = 0;
    std::vector<std::uint64_t> ackedKeys;
    std::function<void()> tick;

    Writer(sim::World& world, RaftClient& c, int rate, sim::Nanos t = 3 * kSecond)
        : w(world), client(c), perMs(rate), timeout(t)
    {
        tick = [this] {
            if (stop)
                return;
            for (int i = 0; i < perMs; ++i) {
                const std::uint64_t n = next++;
                client.put("w" + std::to_string(n), std::to_string(n), [this, n](const RaftResult& r) {
                    if (r.status == RaftStatus::Ok) {
                        ++acked;
                        ackedKeys.push_back(n);
                    } else {
                        ++failed;
                    }
                }, timeout);
            }
            w.after(kMillisecond, 0, sim::kNoComponent, [this] { tick(); });
        };
    }
    void start() { tick(); }

    // The first acknowledged write missing from `node`'s state machine, or "".
    std::string missingFrom(const RaftNode& node) const
    {
        for (std::uint64_t n : ackedKeys) {
            RaftResult r;
            node.store().read("w" + std::to_string(n), r);
            if (!r.found || r.value != std::to_string(n))
                return "w" + std::to_string(n);
        }
        return {};
    }
};

// Log Matching across live nodes up to both commit indices.
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
                if (x.log().hasTerm(i) && y.log().hasTerm(i) && x.log().term(i) != y.log().term(i)) {
                    why = QStringLiteral("nodes %1 and %2 disagree at committed index %3").arg(a).arg(b).arg(i);
                    return false;
                }
            }
        }
    }
    return true;
}

// Every live node that claims leadership claims a different term.
bool oneLeaderPerTerm(const RaftCluster& c)
{
    std::map<std::uint64_t, int> leaders;
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (c.node(i).isLeader() && !leaders.emplace(c.node(i).term(), int(i)).second)
            return false;
    }
    return true;
}

// The first leader a seed elects with affinity off (elections draw from each node's own
// stream, so the same seed elects the same first leader with affinity on).
int firstLeader(std::uint64_t seed, const RaftClusterConfig& cfg)
{
    sim::World w(seeded(seed));
    RaftCluster c(w, cfg);
    return runUntilLeader(w, c, 2 * kSecond);
}

} // namespace

class TstRaftLeaderAffinity : public QObject {
    Q_OBJECT
private slots:
    void movesToPreferredOnceCaughtUp_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<int>("nodes");
        for (quint64 seed = 1; seed <= 6; ++seed) {
            QTest::addRow("3 nodes, seed %llu", seed) << seed << 3;
            QTest::addRow("5 nodes, seed %llu", seed) << seed << 5;
        }
    }
    void movesToPreferredOnceCaughtUp()
    {
        QFETCH(quint64, seed);
        QFETCH(int, nodes);
        RaftClusterConfig cfg = nodes == 5 ? RaftClusterConfig::fiveNodes() : RaftClusterConfig{};
        const int first = firstLeader(seed, cfg);
        QVERIFY(first >= 0);
        // Prefer a region the first leader is not in.
        const std::string leaderRegion = cfg.regions[std::size_t(first)];
        for (const std::string& r : cfg.regions) {
            if (r != leaderRegion) {
                cfg.affinity.region = r;
                break;
            }
        }
        sim::World w(seeded(seed));
        RaftCluster c(w, cfg);
        QVERIFY(c.affinityOn());
        RaftClient client(c, "sh-b/app/writer");
        Writer writer(w, client, 1);
        writer.start();
        QCOMPARE(runUntilLeader(w, c, 2 * kSecond), first);
        const sim::Nanos electedAt = w.now();
        QVERIFY(!c.preferredLeader(first));
        // The preferred follower acknowledges the new leader's no-op within a round trip
        // and the next heartbeat tick hands over: well within a second.
        while (w.now() < electedAt + kSecond && !(c.leader() >= 0 && c.preferredLeader(c.leader()))) {
            w.scheduler().runUntil(w.now() + kMillisecond);
            QVERIFY2(oneLeaderPerTerm(c), "two leaders in one term");
        }
        const int now = c.leader();
        QVERIFY2(now >= 0 && c.preferredLeader(now),
                 qPrintable(QStringLiteral("leader %1 is not in %2").arg(now).arg(QString::fromStdString(cfg.affinity.region))));
        QCOMPARE(regionOf(c.node(std::size_t(now))), cfg.affinity.region);
        QCOMPARE(w.events().count("raft.transfer"), std::uint64_t{1});
        QCOMPARE(c.transfersStarted(), std::uint64_t{1});
        QCOMPARE(c.transfersCompleted(), std::uint64_t{1});
        QCOMPARE(w.events().count("raft.transfer_abandoned"), std::uint64_t{0});
        // One term per leader: the first election and the transfer's.
        QCOMPARE(c.leadersByTerm().size(), std::size_t{2});
        // It stays there: no further elections while nothing fails, writes keep flowing.
        const std::uint64_t term = c.maxTerm();
        const std::uint64_t ackedBefore = writer.acked;
        w.scheduler().runUntil(w.now() + 5 * kSecond);
        QCOMPARE(c.leader(), now);
        QCOMPARE(c.maxTerm(), term);
        QVERIFY(writer.acked > ackedBefore + 4000);
        // Writes refused during the hand-over were retried: none failed.
        QCOMPARE(writer.failed, std::uint64_t{0});
        writer.stop = true;
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        // Every acknowledged write is in the state machine.
        const RaftNode& l = c.node(std::size_t(now));
        const std::string missing = writer.missingFrom(l);
        QVERIFY2(missing.empty(), missing.c_str());
        for (std::size_t i = 0; i < c.size(); ++i)
            QCOMPARE(c.node(i).store().digest(), l.store().digest());
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }

    // The preferred node is down from the start, then comes back behind a slow link:
    // leadership stays where it is while it is down and while it lags, and moves to it
    // once the link heals and it catches up.
    void staysWhilePreferredIsDownOrLagging_data()
    {
        QTest::addColumn<quint64>("seed");
        for (quint64 seed : {31, 32, 33, 34})
            QTest::addRow("seed %llu", seed) << seed;
    }
    void staysWhilePreferredIsDownOrLagging()
    {
        QFETCH(quint64, seed);
        RaftClusterConfig cfg;
        cfg.affinity.region = "sh-b";
        sim::World w(seeded(seed));
        RaftCluster c(w, cfg);
        const std::uint64_t down = inject(w, livedeck::test::downSpec("sh-b/infra/taishan/1"));
        w.scheduler().runUntil(w.now() + kMillisecond); // the fault activates
        const std::size_t preferred = 1;
        QVERIFY(c.preferredLeader(int(preferred)));
        QVERIFY(c.node(preferred).crashed());
        RaftClient client(c, "sh-a/app/writer");
        Writer writer(w, client, 1); // 1 000 writes/s
        writer.start();
        const int leader = runUntilLeader(w, c, 3 * kSecond);
        QVERIFY(leader >= 0 && leader != int(preferred));
        const std::uint64_t term = c.node(std::size_t(leader)).term();

        // Down: nobody to hand over to.
        w.scheduler().runUntil(w.now() + 3 * kSecond);
        QCOMPARE(c.leader(), leader);
        QCOMPARE(c.maxTerm(), term);
        QCOMPARE(w.events().count("raft.transfer"), std::uint64_t{0});
        QVERIFY(writer.acked > 2500);

        // Back, but 300 ms away from the others: its log trails the leader's by far more
        // than maxLogLag (128) entries, so the leader keeps its role.
        const std::vector<std::uint64_t> slow = slowLinks(w, c, preferred, 300.0);
        QVERIFY(w.faults().clear(down).ok());
        w.scheduler().runUntil(w.now() + kMillisecond);
        QVERIFY(!c.node(preferred).crashed());
        std::uint64_t minLag = ~std::uint64_t{0};
        const sim::Nanos lagEnd = w.now() + 3 * kSecond;
        while (w.now() < lagEnd) {
            w.scheduler().runUntil(w.now() + 10 * kMillisecond);
            QCOMPARE(c.leader(), leader);
            if (w.now() > lagEnd - 2 * kSecond) {
                const std::uint64_t lag =
                    c.node(std::size_t(leader)).log().lastIndex() - c.node(preferred).log().lastIndex();
                minLag = std::min(minLag, lag);
            }
        }
        QVERIFY2(minLag > cfg.affinity.maxLogLag, qPrintable(QStringLiteral("min lag %1").arg(minLag)));
        QCOMPARE(c.maxTerm(), term);
        QCOMPARE(w.events().count("raft.transfer"), std::uint64_t{0});

        // The link heals: it catches up and takes over.
        for (std::uint64_t f : slow)
            QVERIFY(w.faults().clear(f).ok());
        const sim::Nanos healedAt = w.now();
        while (w.now() < healedAt + 2 * kSecond && c.leader() != int(preferred)) {
            w.scheduler().runUntil(w.now() + kMillisecond);
            QVERIFY2(oneLeaderPerTerm(c), "two leaders in one term");
        }
        QCOMPARE(c.leader(), int(preferred));
        QCOMPARE(c.transfersCompleted(), std::uint64_t{1});
        const std::uint64_t ackedAtTransfer = writer.acked;
        w.scheduler().runUntil(w.now() + kSecond);
        QVERIFY(writer.acked > ackedAtTransfer + 800);
        QCOMPARE(writer.failed, std::uint64_t{0});
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }

    // A preferred node that goes down while another node leads, or while it leads
    // itself: the survivors elect a leader and keep it; when the preferred node returns
    // and catches up, it gets leadership back.
    void preferredLeaderCrashAndReturn()
    {
        RaftClusterConfig cfg;
        cfg.affinity.region = "gz";
        sim::World w(seeded(41));
        RaftCluster c(w, cfg);
        RaftClient client(c, "sh-a/app/writer");
        Writer writer(w, client, 1);
        writer.start();
        QVERIFY(runUntilLeader(w, c, 2 * kSecond) >= 0);
        w.scheduler().runUntil(w.now() + 2 * kSecond);
        QCOMPARE(c.leader(), 2);
        const std::uint64_t down = inject(w, livedeck::test::downSpec("gz"));
        const int survivor = runUntilLeader(w, c, 3 * kSecond);
        QVERIFY(survivor == 0 || survivor == 1);
        const std::uint64_t term = c.maxTerm();
        w.scheduler().runUntil(w.now() + 5 * kSecond);
        QCOMPARE(c.leader(), survivor);
        QCOMPARE(c.maxTerm(), term);
        const std::uint64_t transfers = w.events().count("raft.transfer");
        QVERIFY(w.faults().clear(down).ok());
        w.scheduler().runUntil(w.now() + 3 * kSecond);
        QCOMPARE(c.leader(), 2);
        QCOMPARE(w.events().count("raft.transfer"), transfers + 1);
        QCOMPARE(writer.failed, std::uint64_t{0});
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }

    // Random crashes and partitions with affinity on: never two leaders in one term,
    // committed prefixes agree, replicas converge, and after the faults end the leader
    // is a preferred node.
    void noSplitBrainUnderFaults_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<int>("nodes");
        for (quint64 seed = 300; seed < 312; ++seed)
            QTest::addRow("3 nodes, seed %llu", seed) << seed << 3;
        for (quint64 seed = 400; seed < 406; ++seed)
            QTest::addRow("5 nodes, seed %llu", seed) << seed << 5;
    }
    void noSplitBrainUnderFaults()
    {
        QFETCH(quint64, seed);
        QFETCH(int, nodes);
        RaftClusterConfig cfg = nodes == 5 ? RaftClusterConfig::fiveNodes() : RaftClusterConfig{};
        cfg.affinity.region = seed % 2 ? "sh-a" : "gz";
        sim::World w(seeded(seed));
        RaftCluster c(w, cfg);
        RaftClient client(c, "sh-b/app/writer", RaftClientConfig{400 * kMillisecond, 100 * kMillisecond, 10 * kMillisecond});
        Writer writer(w, client, 1);
        writer.start();
        sim::RandomStream rng(seed * 7919);
        while (w.now() < 20 * kSecond) {
            const sim::Nanos gap = rng.uniformRange(200 * kMillisecond, 1200 * kMillisecond);
            const sim::Nanos lasting = rng.uniformRange(100 * kMillisecond, 2500 * kMillisecond);
            const std::size_t a = rng.uniformInt(c.size());
            const std::size_t b = (a + 1 + rng.uniformInt(c.size() - 1)) % c.size();
            switch (rng.uniformInt(4)) {
            case 0: // crash the leader (often the preferred one)
                if (c.leader() >= 0) {
                    inject(w, livedeck::test::downSpec(c.node(std::size_t(c.leader())).path(), 0, w.now() + lasting));
                    break;
                }
                [[fallthrough]];
            case 1:
                inject(w, livedeck::test::downSpec(c.node(a).path(), 0, w.now() + lasting));
                break;
            case 2: {
                v1::FaultSpec f = livedeck::test::partitionSpec(c.node(a).path(), c.node(b).path(), rng.bernoulli(0.3));
                f.set_end_ns(w.now() + lasting);
                inject(w, f);
                break;
            }
            default: { // slow links around one node: it lags
                v1::FaultSpec f = livedeck::test::latencySpec(c.node(a).path(), 150.0, 0, w.now() + lasting);
                v1::FaultParam* peer = f.add_params();
                peer->set_name("peer");
                peer->set_text(c.node(b).path());
                inject(w, f);
                break;
            }
            }
            const sim::Nanos until = w.now() + gap;
            while (w.now() < until) {
                w.scheduler().runUntil(w.now() + 5 * kMillisecond);
                QVERIFY2(oneLeaderPerTerm(c), "two leaders in one term");
            }
        }
        w.scheduler().runUntil(w.now() + 3 * kSecond); // faults have ended
        writer.stop = true;
        w.scheduler().runUntil(w.now() + 3 * kSecond);
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
        QString why;
        QVERIFY2(committedPrefixesAgree(c, why), qPrintable(why));
        const int leader = c.leader();
        QVERIFY(leader >= 0);
        QVERIFY2(c.preferredLeader(leader), qPrintable(QString::fromStdString(c.node(std::size_t(leader)).path())));
        const RaftNode& l = c.node(std::size_t(leader));
        for (std::size_t i = 0; i < c.size(); ++i) {
            QCOMPARE(c.node(i).lastApplied(), l.lastApplied());
            QCOMPARE(c.node(i).store().digest(), l.store().digest());
        }
        const std::string missing = writer.missingFrom(l);
        QVERIFY2(missing.empty(), missing.c_str());
        QVERIFY(writer.acked > 5000);
    }

    // Off by default: a leader outside any region stays, and a run is the same run as
    // before the option existed (no transfer, no extra draw: same trace as with an
    // affinity region no node is placed in).
    void offByDefault()
    {
        const auto run = [](std::string region) {
            RaftClusterConfig cfg;
            cfg.affinity.region = std::move(region);
            sim::World w(seeded(7));
            RaftCluster c(w, cfg);
            RaftClient client(c, "sh-b/app/writer");
            Writer writer(w, client, 1);
            writer.start();
            w.scheduler().runUntil(3 * kSecond);
            return std::make_tuple(w.traceHash(), c.leader(), w.events().count("raft.transfer"), c.affinityOn());
        };
        QVERIFY(!RaftClusterConfig{}.affinity.region.size());
        const auto off = run("");
        const auto nowhere = run("eu-west"); // on, but no node is preferred
        QVERIFY(!std::get<3>(off));
        QVERIFY(std::get<3>(nowhere));
        QCOMPARE(std::get<0>(off), std::get<0>(nowhere));
        QCOMPARE(std::get<1>(off), std::get<1>(nowhere));
        QCOMPARE(std::get<2>(off), std::uint64_t{0});
        QCOMPARE(std::get<2>(nowhere), std::uint64_t{0});
        // And a preferred region elsewhere does change the run (the test can fail).
        const int first = std::get<1>(off);
        const std::string other = first == 2 ? "sh-a" : "gz";
        const auto moved = run(other);
        QVERIFY(std::get<0>(moved) != std::get<0>(off));
        QCOMPARE(std::get<2>(moved), std::uint64_t{1});
    }
};

LIVEDECK_TEST_CLASS(TstRaftLeaderAffinity)
#include "tst_raft_leader_affinity.moc"

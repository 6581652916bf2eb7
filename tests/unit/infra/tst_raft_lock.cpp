// Locks of the Raft KV: leases decided by the state machine's (leader-proposed) time,
// fencing tokens that grow with every grant, and a stale-token holder refused — both
// directly on the state machine and end to end through a cluster with failover.
#include "tests/unit/infra/raft_fixture.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/infra/raft_kv_store.h"
#include "backend/sim/world.h"
#include "tests/common/multi_test.h"

using namespace livedeck;
using namespace livedeck::infra;
using sim::kMillisecond;
using sim::kSecond;

namespace {

using infra::test::runUntilLeader;
using infra::test::seeded;



// Applies commands to a bare state machine at given leader timestamps.
struct Machine {
    RaftKvStore store;
    std::uint64_t index = 0;

    RaftResult apply(sim::Nanos at, RaftCommand c)
    {
        RaftEntry e{1, at, std::make_shared<const RaftCommand>(std::move(c))};
        return store.apply(++index, e);
    }
    RaftResult acquire(sim::Nanos at, const std::string& lock, const std::string& owner, sim::Nanos lease)
    {
        RaftCommand c;
        c.op = RaftOp::LockAcquire;
        c.key = lock;
        c.owner = owner;
        c.lease = lease;
        return apply(at, std::move(c));
    }
    RaftResult lockOp(sim::Nanos at, RaftOp op, const std::string& lock, const std::string& owner,
                      std::uint64_t token, sim::Nanos lease = 0)
    {
        RaftCommand c;
        c.op = op;
        c.key = lock;
        c.owner = owner;
        c.token = token;
        c.lease = lease;
        return apply(at, std::move(c));
    }
    RaftResult fencedPut(sim::Nanos at, const std::string& key, const std::string& value, const std::string& lock,
                         std::uint64_t token)
    {
        RaftCommand c;
        c.op = RaftOp::PutIfToken;
        c.key = key;
        c.value = value;
        c.lock = lock;
        c.token = token;
        return apply(at, std::move(c));
    }
};

} // namespace

class TstRaftLock : public QObject {
    Q_OBJECT
private slots:
    void leaseAndTokensOnTheStateMachine()
    {
        Machine m;
        const RaftResult a = m.acquire(1 * kSecond, "order/42", "A", 500 * kMillisecond);
        QCOMPARE(a.status, RaftStatus::Ok);
        QCOMPARE(a.token, std::uint64_t{1}); // the grant's log index
        QCOMPARE(a.leaseExpiry, 1500 * kMillisecond);
        // Held: another owner is refused and told who holds it.
        const RaftResult b = m.acquire(1400 * kMillisecond, "order/42", "B", 500 * kMillisecond);
        QCOMPARE(b.status, RaftStatus::Refused);
        QCOMPARE(b.refusal, RaftRefusal::LockHeld);
        QCOMPARE(b.holder, std::string("A"));
        QCOMPARE(b.token, a.token);
        // The holder re-acquiring extends its lease and keeps its token.
        const RaftResult again = m.acquire(1450 * kMillisecond, "order/42", "A", 500 * kMillisecond);
        QCOMPARE(again.status, RaftStatus::Ok);
        QCOMPARE(again.token, a.token);
        QCOMPARE(again.leaseExpiry, 1950 * kMillisecond);
        // Renew by the holder with its token.
        const RaftResult renew = m.lockOp(1900 * kMillisecond, RaftOp::LockRenew, "order/42", "A", a.token, kSecond);
        QCOMPARE(renew.status, RaftStatus::Ok);
        QCOMPARE(renew.leaseExpiry, 2900 * kMillisecond);
        // Fenced writes with the current token pass.
        QCOMPARE(m.fencedPut(2 * kSecond, "order/42/state", "paid", "order/42", a.token).status, RaftStatus::Ok);
        // Lease runs out (state-machine time passes it): B gets a newer token.
        const RaftResult b2 = m.acquire(3 * kSecond, "order/42", "B", kSecond);
        QCOMPARE(b2.status, RaftStatus::Ok);
        QVERIFY(b2.token > a.token);
        // A, paused past its lease, comes back: every use of its token is refused as stale.
        const RaftResult stalePut = m.fencedPut(3100 * kMillisecond, "order/42/state", "refunded", "order/42", a.token);
        QCOMPARE(stalePut.status, RaftStatus::Refused);
        QCOMPARE(stalePut.refusal, RaftRefusal::StaleToken);
        QCOMPARE(stalePut.token, b2.token);
        QCOMPARE(m.lockOp(3100 * kMillisecond, RaftOp::LockRenew, "order/42", "A", a.token, kSecond).refusal,
                 RaftRefusal::StaleToken);
        QCOMPARE(m.lockOp(3100 * kMillisecond, RaftOp::LockRelease, "order/42", "A", a.token).refusal,
                 RaftRefusal::StaleToken);
        QCOMPARE(m.store.find("order/42/state")->value, std::string("paid"));
        // The right owner with a wrong token, or a wrong owner with the right token: not the holder.
        QCOMPARE(m.lockOp(3100 * kMillisecond, RaftOp::LockRelease, "order/42", "A", b2.token).refusal,
                 RaftRefusal::NotHolder);
        // Renewing after the lease ran out is refused even for the holder.
        QCOMPARE(m.lockOp(4500 * kMillisecond, RaftOp::LockRenew, "order/42", "B", b2.token, kSecond).refusal,
                 RaftRefusal::LeaseExpired);
        // Fencing orders tokens, not clocks: with nobody newer, B's token still fences.
        QCOMPARE(m.fencedPut(4600 * kMillisecond, "order/42/state", "settled", "order/42", b2.token).status,
                 RaftStatus::Ok);
        // After a release the token no longer guards anything.
        QCOMPARE(m.lockOp(4700 * kMillisecond, RaftOp::LockRelease, "order/42", "B", b2.token).status, RaftStatus::Ok);
        QCOMPARE(m.fencedPut(4800 * kMillisecond, "order/42/state", "late", "order/42", b2.token).refusal,
                 RaftRefusal::NotHolder);
        QCOMPARE(m.store.lockCount(), std::size_t{0});
        const RaftResult c = m.acquire(4900 * kMillisecond, "order/42", "C", kSecond);
        QCOMPARE(c.status, RaftStatus::Ok);
        QVERIFY(c.token > b2.token);
    }

    void stateMachineTimeNeverRunsBackwards()
    {
        // A later leader with a slower clock cannot shorten a lease granted earlier.
        Machine m;
        const RaftResult a = m.acquire(10 * kSecond, "l", "A", kSecond);
        QCOMPARE(a.leaseExpiry, 11 * kSecond);
        QCOMPARE(m.acquire(9 * kSecond, "l", "B", kSecond).refusal, RaftRefusal::LockHeld); // time stays 10 s
        QCOMPARE(m.store.time(), 10 * kSecond);
        QCOMPARE(m.acquire(10500 * kMillisecond, "l", "B", kSecond).refusal, RaftRefusal::LockHeld);
        QCOMPARE(m.acquire(11 * kSecond, "l", "B", kSecond).status, RaftStatus::Ok);
    }

    void staleTokenHolderIsRefusedThroughTheCluster_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<bool>("failover");
        for (quint64 seed : {91, 92, 93}) {
            QTest::addRow("seed %llu", seed) << seed << false;
            QTest::addRow("seed %llu, leader crash", seed) << seed << true;
        }
    }
    void staleTokenHolderIsRefusedThroughTheCluster()
    {
        QFETCH(quint64, seed);
        QFETCH(bool, failover);
        sim::World w(seeded(seed));
        RaftCluster c(w);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        const RaftClientConfig cfg{2 * kSecond, 100 * kMillisecond, 10 * kMillisecond};
        RaftClient a(c, "sh-a/gifts/order/0", cfg);
        RaftClient b(c, "sh-b/gifts/order/1", cfg);
        RaftResult ra, rb, r;
        a.acquireLock("order/7", "A", 600 * kMillisecond, [&ra](const RaftResult& x) { ra = x; });
        w.scheduler().runUntil(w.now() + 300 * kMillisecond);
        QCOMPARE(ra.status, RaftStatus::Ok);
        QVERIFY(ra.token > 0);
        // While A's lease runs, B is refused.
        b.acquireLock("order/7", "B", 600 * kMillisecond, [&rb](const RaftResult& x) { rb = x; });
        w.scheduler().runUntil(w.now() + 200 * kMillisecond);
        QCOMPARE(rb.status, RaftStatus::Refused);
        QCOMPARE(rb.refusal, RaftRefusal::LockHeld);
        QCOMPARE(rb.holder, std::string("A"));
        if (failover) {
            v1::FaultSpec f;
            f.set_kind(v1::FAULT_DOWN);
            f.set_target(c.node(std::size_t(leader)).path());
            QVERIFY(w.faults().inject(f).ok());
            w.scheduler().runUntil(w.now() + 2 * kSecond);
            QVERIFY(c.leader() >= 0 && c.leader() != leader);
        } else {
            w.scheduler().runUntil(w.now() + 600 * kMillisecond);
        }
        // A "paused" (no renewal) past its lease; B now gets the lock with a newer token.
        b.acquireLock("order/7", "B", 5 * kSecond, [&rb](const RaftResult& x) { rb = x; });
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QCOMPARE(rb.status, RaftStatus::Ok);
        QVERIFY(rb.token > ra.token);
        // B writes under its token; A wakes up and tries to write under its old one.
        b.putIfToken("order/7/status", "B-wrote", "order/7", rb.token, [&r](const RaftResult& x) { r = x; });
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QCOMPARE(r.status, RaftStatus::Ok);
        a.putIfToken("order/7/status", "A-wrote", "order/7", ra.token, [&r](const RaftResult& x) { r = x; });
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QCOMPARE(r.status, RaftStatus::Refused);
        QCOMPARE(r.refusal, RaftRefusal::StaleToken);
        QCOMPARE(r.token, rb.token);
        a.renewLock("order/7", "A", ra.token, kSecond, [&r](const RaftResult& x) { r = x; });
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QCOMPARE(r.refusal, RaftRefusal::StaleToken);
        // A linearizable read shows B's write and B as holder.
        a.get("order/7/status", [&r](const RaftResult& x) { r = x; });
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QCOMPARE(r.status, RaftStatus::Ok);
        QCOMPARE(r.value, std::string("B-wrote"));
        a.getLock("order/7", [&r](const RaftResult& x) { r = x; });
        w.scheduler().runUntil(w.now() + 500 * kMillisecond);
        QCOMPARE(r.status, RaftStatus::Ok);
        QVERIFY(r.found);
        QCOMPARE(r.holder, std::string("B"));
        QCOMPARE(r.token, rb.token);
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }

    void renewingHolderKeepsTheLock()
    {
        sim::World w(seeded(95));
        RaftCluster c(w);
        QVERIFY(runUntilLeader(w, c, 2 * kSecond) >= 0);
        RaftClient a(c, "sh-a/app/a");
        RaftClient b(c, "sh-b/app/b");
        RaftResult ra;
        a.acquireLock("l", "A", 300 * kMillisecond, [&ra](const RaftResult& x) { ra = x; });
        w.scheduler().runUntil(w.now() + 100 * kMillisecond);
        QCOMPARE(ra.status, RaftStatus::Ok);
        int renewed = 0;
        int bRefused = 0;
        // A renews every 100 ms for 2 s; B keeps trying and keeps being refused.
        for (int i = 0; i < 20; ++i) {
            a.renewLock("l", "A", ra.token, 300 * kMillisecond, [&renewed](const RaftResult& x) {
                renewed += x.status == RaftStatus::Ok;
            });
            b.acquireLock("l", "B", 300 * kMillisecond, [&bRefused](const RaftResult& x) {
                bRefused += x.refusal == RaftRefusal::LockHeld;
            });
            w.scheduler().runUntil(w.now() + 100 * kMillisecond);
        }
        QCOMPARE(renewed, 20);
        QCOMPARE(bRefused, 20);
        // A stops renewing: within a lease B gets it.
        RaftResult rb;
        w.scheduler().runUntil(w.now() + 350 * kMillisecond);
        b.acquireLock("l", "B", 300 * kMillisecond, [&rb](const RaftResult& x) { rb = x; });
        w.scheduler().runUntil(w.now() + 100 * kMillisecond);
        QCOMPARE(rb.status, RaftStatus::Ok);
        QVERIFY(rb.token > ra.token);
    }

    void leasesFollowTheLeadersClock()
    {
        // The leader's clock runs 2 s fast: the lease it stamps ends 2 s later than the
        // world's time says, and a successor with a correct clock honours it.
        sim::World w(seeded(97));
        RaftCluster c(w);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        v1::FaultSpec skew;
        skew.set_kind(v1::FAULT_CLOCK_SKEW);
        skew.set_target(c.node(std::size_t(leader)).path());
        auto* p = skew.add_params();
        p->set_name("add_ms");
        p->set_value(2000);
        QVERIFY(w.faults().inject(skew).ok());
        w.scheduler().runUntil(w.now() + kMillisecond);
        RaftClient a(c, "sh-a/app/a", RaftClientConfig{2 * kSecond, 100 * kMillisecond, 10 * kMillisecond});
        RaftResult ra, rb;
        const sim::Nanos asked = w.now();
        a.acquireLock("l", "A", kSecond, [&ra](const RaftResult& x) { ra = x; });
        w.scheduler().runUntil(w.now() + 100 * kMillisecond);
        QCOMPARE(ra.status, RaftStatus::Ok);
        QVERIFY(ra.leaseExpiry >= asked + 3 * kSecond);
        v1::FaultSpec down;
        down.set_kind(v1::FAULT_DOWN);
        down.set_target(c.node(std::size_t(leader)).path());
        QVERIFY(w.faults().inject(down).ok());
        w.scheduler().runUntil(w.now() + 1500 * kMillisecond);
        QVERIFY(c.leader() >= 0 && c.leader() != leader);
        // 1.6 s of world time after the grant: a 1 s lease by the world's clock would be
        // over, but the state machine's time has not reached the stamped expiry.
        // The client first tries the crashed leader it knew, then finds the new one.
        int answers = 0;
        a.acquireLock("l", "B", kSecond, [&rb, &answers](const RaftResult& x) {
            rb = x;
            ++answers;
        });
        for (int i = 0; i < 100 && answers == 0; ++i)
            w.scheduler().runUntil(w.now() + 10 * kMillisecond);
        QCOMPARE(answers, 1);
        QVERIFY(w.now() < ra.leaseExpiry);
        QCOMPARE(rb.status, RaftStatus::Refused);
        QVERIFY(rb.refusal == RaftRefusal::LockHeld);
        QCOMPARE(rb.holder, std::string("A"));
        w.scheduler().runUntil(ra.leaseExpiry + 100 * kMillisecond);
        a.acquireLock("l", "B", kSecond, [&rb, &answers](const RaftResult& x) {
            rb = x;
            ++answers;
        });
        for (int i = 0; i < 100 && answers == 1; ++i)
            w.scheduler().runUntil(w.now() + 10 * kMillisecond);
        QCOMPARE(answers, 2);
        QCOMPARE(rb.status, RaftStatus::Ok);
        QVERIFY(rb.token > ra.token);
    }
};

LIVEDECK_TEST_CLASS(TstRaftLock)
#include "tst_raft_lock.moc"

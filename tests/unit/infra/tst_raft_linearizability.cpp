// Linearizability of the Raft KV on a register model: the checker itself on small
// hand-made histories (accepts what is linearizable, rejects stale reads, lost writes and
// impossible cas answers, handles writes without a definite answer), then histories of
// concurrent clients in three regions doing read / write / cas on one key through leader
// crashes and a partition, each checked linearizable — and the same history with one
// read made stale is rejected, so the check is not vacuous.
#include "tests/unit/infra/raft_fixture.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/infra/raft_linearizability_checker.h"
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

Q_DECLARE_METATYPE(std::vector<livedeck::infra::RegisterOp>)

namespace {

using infra::test::runUntilLeader;
using infra::test::seeded;

using Kind = RegisterOp::Kind;

RegisterOp op(Kind kind, int process, std::int64_t value, sim::Nanos invoke, sim::Nanos response,
              std::int64_t expected = 0, bool ok = true, bool completed = true)
{
    RegisterOp o;
    o.kind = kind;
    o.process = process;
    o.value = value;
    o.expected = expected;
    o.ok = ok;
    o.completed = completed;
    o.invoke = invoke;
    o.response = response;
    return o;
}

std::uint64_t inject(sim::World& w, v1::FaultKind kind, const std::string& target, const std::string& peer,
                     sim::Nanos end)
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
    auto id = w.faults().inject(f);
    if (!id.ok())
        qFatal("inject: %s", std::string(id.status().message()).c_str());
    return *id;
}


// One client process: issues one operation at a time on the register "reg", records it.
struct Process {
    int id;
    std::unique_ptr<RaftClient> client;
    sim::RandomStream rng;
    std::int64_t lastSeen = 0;
};

// Drives the processes and records the history. Definite failures (NotLeader,
// NoQuorum, Unavailable) did not take effect and are left out; a timeout is recorded without a
// response (a write may still take effect; a read says nothing).
struct History {
    sim::World& world;
    std::vector<Process>& procs;
    sim::Nanos stopAt;
    sim::EventKindId thinkKind;
    std::vector<RegisterOp> ops;     // the history
    std::vector<RegisterOp> pending; // by slot, while in flight
    std::int64_t nextValue = 1;
    int definiteFailures = 0;
    int timeouts = 0;
    int unexpected = 0;

    History(sim::World& w, std::vector<Process>& p, sim::Nanos stop, sim::EventKindId kind)
        : world(w), procs(p), stopAt(stop), thinkKind(kind)
    {
    }

    void issue(Process& p)
    {
        if (world.now() >= stopAt)
            return;
        const double u = p.rng.uniform01();
        RegisterOp o;
        o.process = p.id;
        o.invoke = world.now();
        const std::size_t slot = pending.size();
        History* self = this;
        auto done = [self, slot](const RaftResult& r) { self->finish(slot, r); };
        if (u < 0.5) {
            o.kind = Kind::Read;
            pending.push_back(o);
            p.client->get("reg", done);
        } else if (u < 0.8) {
            o.kind = Kind::Write;
            o.value = nextValue++;
            pending.push_back(o);
            p.client->put("reg", std::to_string(o.value), done);
        } else {
            o.kind = Kind::Cas;
            o.expected = p.lastSeen;
            o.value = nextValue++;
            pending.push_back(o);
            p.client->casValue("reg", std::to_string(o.expected), std::to_string(o.value), done);
        }
    }

    void finish(std::size_t slot, const RaftResult& r)
    {
        RegisterOp o = pending[slot];
        Process& p = procs[std::size_t(o.process)];
        o.response = world.now();
        switch (r.status) {
        case RaftStatus::Ok:
        case RaftStatus::Refused:
            if (o.kind == Kind::Read) {
                unexpected += !r.found;
                o.value = r.found ? std::stoll(r.value) : kRegisterAbsent;
                p.lastSeen = o.value;
            } else if (o.kind == Kind::Cas) {
                o.ok = r.status == RaftStatus::Ok;
                unexpected += !o.ok && r.refusal != RaftRefusal::ValueMismatch;
            } else {
                unexpected += r.status != RaftStatus::Ok;
            }
            ops.push_back(o);
            break;
        case RaftStatus::NotLeader:
        case RaftStatus::NoQuorum:
        case RaftStatus::Unavailable:
            ++definiteFailures;
            break;
        case RaftStatus::Timeout:
        case RaftStatus::Interrupted:
            ++timeouts;
            o.completed = false;
            ops.push_back(o);
            break;
        }
        const sim::Nanos think = sim::Nanos(p.rng.uniformRange(0, 20)) * kMillisecond;
        Process* pp = &p;
        History* self = this;
        world.after(think, thinkKind, p.client->component(), [self, pp] { self->issue(*pp); });
    }
};

enum class Scenario { Calm, LeaderCrashes, Partition };

} // namespace

class TstRaftLinearizability : public QObject {
    Q_OBJECT
private slots:
    void checker_data()
    {
        QTest::addColumn<std::vector<RegisterOp>>("history");
        QTest::addColumn<bool>("linearizable");
        const sim::Nanos ms = kMillisecond;
        QTest::newRow("sequential write then read") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 1, 0, 10 * ms), op(Kind::Read, 1, 1, 20 * ms, 30 * ms)} << true;
        QTest::newRow("read overlapping a write may see the old value") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 1, 0, 30 * ms), op(Kind::Read, 1, 0, 10 * ms, 20 * ms)} << true;
        QTest::newRow("read overlapping a write may see the new value") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 1, 0, 30 * ms), op(Kind::Read, 1, 1, 10 * ms, 20 * ms)} << true;
        QTest::newRow("stale read after an acknowledged write") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 1, 0, 10 * ms), op(Kind::Read, 1, 0, 20 * ms, 30 * ms)} << false;
        QTest::newRow("new value then old value in real-time order") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 1, 0, 100 * ms), op(Kind::Read, 1, 1, 10 * ms, 20 * ms),
            op(Kind::Read, 2, 0, 30 * ms, 40 * ms)} << false;
        QTest::newRow("cas succeeds on the value it expected") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 5, 0, 10 * ms), op(Kind::Cas, 1, 6, 20 * ms, 30 * ms, 5, true),
            op(Kind::Read, 2, 6, 40 * ms, 50 * ms)} << true;
        QTest::newRow("cas claims success on a value that was not there") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 5, 0, 10 * ms), op(Kind::Cas, 1, 6, 20 * ms, 30 * ms, 4, true)} << false;
        QTest::newRow("cas claims failure on the value it expected") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 5, 0, 10 * ms), op(Kind::Cas, 1, 6, 20 * ms, 30 * ms, 5, false)} << false;
        QTest::newRow("two cas on one value cannot both succeed") << std::vector<RegisterOp>{
            op(Kind::Cas, 0, 1, 0, 50 * ms, 0, true), op(Kind::Cas, 1, 2, 0, 50 * ms, 0, true)} << false;
        QTest::newRow("timed-out write may have happened") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 7, 0, 0, 0, true, false), op(Kind::Read, 1, 7, 500 * ms, 510 * ms)} << true;
        QTest::newRow("timed-out write may not have happened") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 7, 0, 0, 0, true, false), op(Kind::Read, 1, 0, 500 * ms, 510 * ms)} << true;
        QTest::newRow("timed-out write cannot be undone") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 7, 0, 0, 0, true, false), op(Kind::Read, 1, 7, 500 * ms, 510 * ms),
            op(Kind::Read, 2, 0, 600 * ms, 610 * ms)} << false;
        QTest::newRow("acknowledged write lost") << std::vector<RegisterOp>{
            op(Kind::Write, 0, 1, 0, 10 * ms), op(Kind::Write, 1, 2, 20 * ms, 30 * ms),
            op(Kind::Read, 2, 1, 40 * ms, 50 * ms)} << false;
    }
    void checker()
    {
        QFETCH(std::vector<RegisterOp>, history);
        QFETCH(bool, linearizable);
        const LinearizabilityResult r = RaftLinearizabilityChecker().check(history, 0);
        QVERIFY(!r.exhausted);
        QCOMPARE(r.linearizable, linearizable);
        if (r.linearizable) {
            // The witness orders every op (timed-out ones included) and replays on the model.
            QCOMPARE(r.order.size(), history.size());
            std::int64_t state = 0;
            for (std::size_t i : r.order) {
                std::int64_t next;
                QVERIFY(RaftLinearizabilityChecker::step(history[i], state, next));
                state = next;
            }
        } else {
            QVERIFY(!r.explanation.empty());
        }
    }

    void concurrentClientHistoryIsLinearizable_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<int>("scenario");
        QTest::addColumn<bool>("serviceModel");
        QTest::addColumn<bool>("randomReads");
        for (quint64 seed : {201, 202}) {
            QTest::addRow("calm, seed %llu", seed) << seed << int(Scenario::Calm) << false << false;
            QTest::addRow("leader crashes, seed %llu", seed) << seed << int(Scenario::LeaderCrashes) << false << false;
            QTest::addRow("leader's region partitioned, seed %llu", seed) << seed << int(Scenario::Partition) << false << false;
        }
        QTest::addRow("leader crashes, service model, seed 203") << quint64(203) << int(Scenario::LeaderCrashes) << true << false;
        // Reads at random replicas (follower ReadIndex).
        QTest::addRow("follower reads, calm, seed 204") << quint64(204) << int(Scenario::Calm) << false << true;
        QTest::addRow("follower reads, leader crashes, seed 205") << quint64(205) << int(Scenario::LeaderCrashes) << false << true;
        QTest::addRow("follower reads, partition, seed 206") << quint64(206) << int(Scenario::Partition) << false << true;
        QTest::addRow("follower reads, leader crashes, service model, seed 207") << quint64(207) << int(Scenario::LeaderCrashes) << true << true;
    }
    void concurrentClientHistoryIsLinearizable()
    {
        QFETCH(quint64, seed);
        QFETCH(int, scenario);
        QFETCH(bool, serviceModel);
        QFETCH(bool, randomReads);
        sim::WorldConfig wc;
        wc.seed = seed;
        sim::World w(wc);
        RaftClusterConfig cc;
        cc.raft.serviceModel = serviceModel;
        RaftCluster c(w, cc);
        QVERIFY(runUntilLeader(w, c, 2 * kSecond) >= 0);
        {
            RaftClient init(c, "sh-a/app/init");
            RaftResult r;
            init.put("reg", "0", [&r](const RaftResult& x) { r = x; });
            w.scheduler().runUntil(w.now() + 300 * kMillisecond);
            QCOMPARE(r.status, RaftStatus::Ok);
        }

        // Six clients, two per region; 300 ms deadlines so that crashes and partitions
        // leave writes without a definite answer (the hard case for linearizability).
        const char* regions[] = {"sh-a", "sh-b", "gz"};
        std::vector<Process> procs;
        for (int p = 0; p < 6; ++p) {
            const std::string path = sim::strCat(regions[p % 3], "/app/client-", p);
            procs.push_back(Process{p,
                                    std::make_unique<RaftClient>(
                                        c, path, RaftClientConfig{300 * kMillisecond, 60 * kMillisecond, 10 * kMillisecond,
                                                                  randomReads ? RaftReadMode::Random : RaftReadMode::Leader}),
                                    w.stream(sim::strCat("test/", path)), 0});
        }
        History h{w, procs, w.now() + 6 * kSecond, w.kind("test.think")};
        for (Process& p : procs)
            h.issue(p);
        const sim::Nanos stopAt = h.stopAt;
        std::vector<std::uint64_t> faults;
        if (scenario == int(Scenario::LeaderCrashes)) {
            for (int round = 0; round < 3; ++round) {
                w.scheduler().runUntil(w.now() + 1500 * kMillisecond);
                const int leader = c.leader();
                if (leader >= 0)
                    faults.push_back(inject(w, v1::FAULT_DOWN, c.node(std::size_t(leader)).path(), {},
                                            w.now() + 800 * kMillisecond));
            }
        } else if (scenario == int(Scenario::Partition)) {
            w.scheduler().runUntil(w.now() + 1500 * kMillisecond);
            const int leader = c.leader();
            QVERIFY(leader >= 0);
            const std::string cut = c.node(std::size_t(leader)).path().substr(0, c.node(std::size_t(leader)).path().find('/'));
            for (const char* r : regions) {
                if (cut != r)
                    faults.push_back(inject(w, v1::FAULT_PARTITION, cut, r, w.now() + 2 * kSecond));
            }
        }
        w.scheduler().runUntil(stopAt + 2 * kSecond);
        for (const Process& p : procs)
            QCOMPARE(p.client->inflight(), std::size_t{0});

        const std::vector<RegisterOp>& history = h.ops;
        const int timeouts = h.timeouts;
        const int definiteFailures = h.definiteFailures;
        QCOMPARE(h.unexpected, 0);
        int reads = 0, writes = 0, casOk = 0, casFailed = 0;
        for (const RegisterOp& o : history) {
            if (!o.completed)
                continue;
            reads += o.kind == Kind::Read;
            writes += o.kind == Kind::Write;
            casOk += o.kind == Kind::Cas && o.ok;
            casFailed += o.kind == Kind::Cas && !o.ok;
        }
        const QString summary = QStringLiteral("ops %1: reads %2, writes %3, cas ok %4 / failed %5, timeouts %6, "
                                               "definite failures %7, leader changes %8")
                                    .arg(history.size()).arg(reads).arg(writes).arg(casOk).arg(casFailed)
                                    .arg(timeouts).arg(definiteFailures).arg(c.leaderChanges());
        qInfo("%s", qPrintable(summary));
        QVERIFY2(reads > 100 && writes > 50 && casOk > 5 && casFailed > 5, qPrintable(summary));
        if (scenario != int(Scenario::Calm)) {
            QVERIFY2(c.leaderChanges() >= 2, qPrintable(summary));
            QVERIFY2(timeouts + definiteFailures > 0, qPrintable(summary));
        }
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
        std::uint64_t followerReads = 0;
        for (std::size_t i = 0; i < c.size(); ++i)
            followerReads += c.node(i).followerReadsServed();
        if (randomReads)
            QVERIFY2(followerReads > std::uint64_t(reads / 4), qPrintable(summary));
        else
            QCOMPARE(followerReads, std::uint64_t{0});

        const LinearizabilityResult r = RaftLinearizabilityChecker().check(history, 0);
        QVERIFY2(!r.exhausted, qPrintable(summary));
        QVERIFY2(r.linearizable, qPrintable(summary + QStringLiteral(": ") + QString::fromStdString(r.explanation)));

        // Control: make one read that followed an acknowledged overwrite return the value
        // it replaced (a stale read, what a follower read could give): rejected.
        std::vector<RegisterOp> stale = history;
        bool planted = false;
        for (std::size_t i = 0; i < stale.size() && !planted; ++i) {
            const RegisterOp& wr = stale[i];
            if (wr.kind != Kind::Write || !wr.completed)
                continue;
            for (std::size_t j = 0; j < stale.size() && !planted; ++j) {
                RegisterOp& rd = stale[j];
                if (rd.kind == Kind::Read && rd.completed && rd.value == wr.value && rd.invoke > wr.response) {
                    // The value the register held before: a read of it after this write
                    // (with no later write of it, values are unique) is stale.
                    for (std::size_t k = 0; k < stale.size(); ++k) {
                        const RegisterOp& prev = stale[k];
                        if (prev.kind == Kind::Write && prev.completed && prev.response < wr.invoke) {
                            rd.value = prev.value;
                            planted = true;
                            break;
                        }
                    }
                }
            }
        }
        QVERIFY(planted);
        QVERIFY(!RaftLinearizabilityChecker().check(stale, 0).linearizable);
    }
};

LIVEDECK_TEST_CLASS(TstRaftLinearizability)
#include "tst_raft_linearizability.moc"

// The Raft KV's service-time model (RaftConfig::serviceModel, off by default): client
// requests are served through each node's
// ServiceQueue, so a latency fault on the leader slows every operation by its amount,
// overload queues and then turns requests away (Unavailable: definite, never applied),
// and the node's telemetry and inspector state show it.
#include "tests/unit/infra/raft_fixture.h"
#include "backend/infra/raft_client.h"
#include "backend/infra/raft_cluster.h"
#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"
#include "tests/common/multi_test.h"

#include <functional>
#include <map>

using namespace livedeck;
using namespace livedeck::infra;
using sim::kMillisecond;
using sim::kSecond;

namespace {

using infra::test::runUntilLeader;
using infra::test::seeded;


// Sequential puts from the leader's region for `span`; returns the mean latency (ns).
double meanPutLatency(sim::World& w, RaftClient& client, sim::Nanos span, int& okCount)
{
    const sim::Nanos end = w.now() + span;
    double total = 0;
    okCount = 0;
    int n = 0;
    std::function<void()> next = [&] {
        if (w.now() >= end)
            return;
        const sim::Nanos started = w.now();
        client.put(sim::strCat("k/", n++), "v", [&, started](const RaftResult& r) {
            if (r.status == RaftStatus::Ok) {
                total += double(w.now() - started);
                ++okCount;
            }
            next();
        });
    };
    next();
    w.scheduler().runUntil(end + kSecond);
    return okCount ? total / okCount : 0.0;
}

} // namespace

class TstRaftService : public QObject {
    Q_OBJECT
private slots:
    void latencyFaultOnTheLeaderSlowsRequests()
    {
        sim::WorldConfig wc;
        wc.seed = 301;
        sim::World w(wc);
        telemetry::MetricsRegistry metrics;
        RaftClusterConfig cc;
        cc.raft.serviceModel = true;
        RaftCluster c(w, cc, &metrics);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        const std::string& leaderPath = c.node(std::size_t(leader)).path();
        RaftClient client(c, leaderPath.substr(0, leaderPath.find('/')) + "/app/client");
        int before = 0;
        const double base = meanPutLatency(w, client, kSecond, before);
        QVERIFY2(before > 5, qPrintable(QStringLiteral("%1 puts, leader %2").arg(before).arg(QString::fromStdString(leaderPath))));

        v1::FaultSpec f;
        f.set_kind(v1::FAULT_LATENCY);
        f.set_target(leaderPath);
        auto* p = f.add_params();
        p->set_name("add_ms");
        p->set_value(20);
        const auto id = w.faults().inject(f);
        QVERIFY(id.ok());
        int during = 0;
        const double slow = meanPutLatency(w, client, kSecond, during);
        QVERIFY(during > 10);
        // Each put is served once by the leader: up to +20 ms each (the fault does not
        // touch the followers; part of the delay overlaps replication already in flight).
        QVERIFY2(slow - base >= 10 * kMillisecond && slow - base <= 21 * kMillisecond,
                 qPrintable(QStringLiteral("%1 → %2 ms").arg(base / 1e6).arg(slow / 1e6)));
        QVERIFY(w.faults().clear(*id).ok());
        QVERIFY(c.node(std::size_t(leader)).service() != nullptr);
        // Telemetry on the node's path: requests counted, latency recorded.
        const telemetry::Histogram* latency = metrics.findHistogram("raft.latency", leaderPath);
        QVERIFY(latency != nullptr);
        QVERIFY(latency->count() > 0);
        const telemetry::Counter* requests = metrics.findCounter("raft.requests", leaderPath);
        QVERIFY(requests != nullptr);
        QVERIFY(requests->total() >= before + during);
        QCOMPARE(c.safetyViolations(), std::uint64_t{0});
    }

    void overloadQueuesThenTurnsRequestsAway()
    {
        sim::WorldConfig wc;
        wc.seed = 302;
        sim::World w(wc);
        RaftClusterConfig cc;
        cc.raft.serviceModel = true;
        cc.raft.serviceConcurrency = 1;   // one worker
        cc.raft.writeCost = kMillisecond; // 1 000 writes/s
        cc.raft.serviceNoiseSigma = 0.0;
        cc.raft.serviceMaxQueue = 50;
        RaftCluster c(w, cc);
        const int leader = runUntilLeader(w, c, 2 * kSecond);
        QVERIFY(leader >= 0);
        const std::string& leaderPath = c.node(std::size_t(leader)).path();
        RaftClient client(c, leaderPath.substr(0, leaderPath.find('/')) + "/app/client",
                          RaftClientConfig{40 * kMillisecond, 100 * kMillisecond, 5 * kMillisecond});
        // A burst of 200 puts at once: 1 in service, 50 queued, the rest turned away.
        std::map<RaftStatus, int> outcomes;
        std::map<int, RaftStatus> statusOf;
        sim::Nanos slowestOk = 0;
        const sim::Nanos t0 = w.now();
        for (int i = 0; i < 200; ++i) {
            client.put(sim::strCat("burst/", i), "v", [&, i, t0](const RaftResult& r) {
                ++outcomes[r.status];
                statusOf[i] = r.status;
                if (r.status == RaftStatus::Ok)
                    slowestOk = std::max(slowestOk, w.now() - t0);
            });
        }
        // While the burst is being served, the leader's inspector shows the queue.
        w.scheduler().runUntil(w.now() + 2 * kMillisecond);
        sim::StateWriter state;
        c.node(std::size_t(leader)).inspect(state);
        QVERIFY(c.node(std::size_t(leader)).service()->queued() > 10);
        bool shown = false;
        for (const auto& [key, value] : state.entries())
            shown |= key == "requests_queued" && std::stod(value) > 10;
        QVERIFY(shown);
        w.scheduler().runUntil(w.now() + 2 * kSecond);
        QCOMPARE(outcomes[RaftStatus::Ok] + outcomes[RaftStatus::Unavailable] + outcomes[RaftStatus::Timeout], 200);
        QVERIFY2(outcomes[RaftStatus::Unavailable] > 50, qPrintable(QString::number(outcomes[RaftStatus::Unavailable])));
        QVERIFY2(outcomes[RaftStatus::Ok] >= 25, qPrintable(QString::number(outcomes[RaftStatus::Ok])));
        QVERIFY(c.node(std::size_t(leader)).service()->rejected() > 0);
        // Queueing: the last accepted puts waited behind ~40 ms of service.
        QVERIFY2(slowestOk >= 30 * kMillisecond, qPrintable(QString::number(slowestOk / 1e6)));
        // Unavailable is definite: none of those writes exists.
        RaftClient reader(c, leaderPath.substr(0, leaderPath.find('/')) + "/app/reader", RaftClientConfig{kSecond, 100 * kMillisecond, 5 * kMillisecond});
        int visible = 0;
        int checked = 0;
        for (const auto& [i, status] : statusOf) {
            if (status != RaftStatus::Unavailable)
                continue;
            ++checked;
            reader.get(sim::strCat("burst/", i), [&visible](const RaftResult& r) { visible += r.status != RaftStatus::Ok || r.found; });
            w.scheduler().runUntil(w.now() + 20 * kMillisecond);
        }
        w.scheduler().runUntil(w.now() + kSecond);
        QVERIFY(checked > 50);
        QCOMPARE(visible, 0);
    }
};

LIVEDECK_TEST_CLASS(TstRaftService)
#include "tst_raft_service.moc"

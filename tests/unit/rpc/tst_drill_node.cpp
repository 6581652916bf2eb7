// A node hosting a gift drill: the topology and the streamed snapshots match the same
// drill and seed run embedded (trace hash, events), and a fault injected over gRPC
// (privileged service slowed past the panel's 50 ms budget) opens the privileged
// breaker in the streamed snapshots.
#include "tests/common/engines.h"
#include "tests/common/multi_test.h"

#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "tests/unit/rpc/rpc_test_util.h"

#include <QTest>

using namespace livedeck;
using rpc::test::context;
using rpc::test::LoopbackNode;

namespace {

constexpr const char* kDrill = R"(name: node-gifts
description: A small gala for the node tests.
seed: 7
duration: 60s
engines:
  gifts:
    scale: 0.02
    profile: gala
    profile_params: {start_viewers: 330e6, peak_viewers: 330e6, peak_at: 0s, countdown_factor: 1}
invariants: all
)";

std::unique_ptr<drills::DrillRun> makeRun()
{
    auto spec = drills::loadDrill(kDrill, "node-gifts.yaml");
    if (!spec.ok())
        qFatal("%s", std::string(spec.status().message()).c_str());
    auto run = drills::DrillRun::create(*spec);
    if (!run.ok())
        qFatal("%s", std::string(run.status().message()).c_str());
    return std::move(*run);
}

grpc::Status control(v1::ClusterService::Stub& stub, const v1::Command& c)
{
    v1::ControlRequest req;
    *req.mutable_command() = c;
    v1::CommandResponse resp;
    auto ctx = context({}, 60'000);
    return stub.Control(ctx.get(), req, &resp);
}

} // namespace

class TstDrillNode : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { LIVEDECK_REQUIRE_ENGINE("gifts"); }
    void streamMatchesTheEmbeddedDrill()
    {
        LoopbackNode node(makeRun(), {}, true);
        QVERIFY(node.status.ok());
        auto stub = node.stub();
        v1::Topology remoteTopo;
        auto tctx = context();
        QVERIFY(stub->GetTopology(tctx.get(), {}, &remoteTopo).ok());
        const sim::Nanos t = 2 * sim::kSecond;
        v1::Command until;
        until.mutable_run_until()->set_sim_time_ns(t);
        const grpc::Status st = control(*stub, until);
        QVERIFY2(st.ok(), st.error_message().c_str());
        auto ctx = context({}, 30'000);
        auto reader = stub->StreamSnapshots(ctx.get(), {});
        v1::SnapshotBatch batch;
        v1::Snapshot at;
        for (int i = 0; i < 100 && at.sim_time_ns() != t && reader->Read(&batch); ++i) {
            for (const v1::Snapshot& s : batch.snapshots())
                at = s;
        }
        ctx->TryCancel();
        QCOMPARE(at.sim_time_ns(), t);

        auto embedded = makeRun();
        v1::Topology localTopo;
        embedded->world().topologyToProto(localTopo);
        QCOMPARE(remoteTopo.SerializeAsString(), localTopo.SerializeAsString());
        embedded->world().scheduler().runUntil(t);
        QCOMPARE(at.trace_hash(), embedded->world().traceHash());
        QCOMPARE(at.events_executed(), embedded->world().scheduler().executed());
        QVERIFY(at.breakers_size() > 0);
        QCOMPARE(at.drill().name(), std::string("node-gifts"));
    }

    void remoteFaultOpensTheBreaker()
    {
        LoopbackNode node(makeRun(), {}, true);
        auto stub = node.stub();
        v1::Command speed;
        speed.mutable_set_speed()->set_factor(4);
        QVERIFY(control(*stub, speed).ok());
        v1::Command resume;
        resume.mutable_resume();
        QVERIFY(control(*stub, resume).ok());
        v1::InjectFaultRequest req;
        req.mutable_fault()->set_kind(v1::FAULT_LATENCY);
        req.mutable_fault()->set_target("sh-a/gifts/privileged");
        auto* p = req.mutable_fault()->add_params();
        p->set_name("add_ms");
        p->set_value(100);
        v1::InjectFaultResponse resp;
        auto ictx = context();
        const grpc::Status st = stub->InjectFault(ictx.get(), req, &resp);
        QVERIFY2(st.ok(), st.error_message().c_str());
        auto ctx = context({}, 60'000);
        auto reader = stub->StreamSnapshots(ctx.get(), {});
        v1::SnapshotBatch batch;
        bool open = false;
        std::int64_t openedAt = 0;
        for (int i = 0; i < 2000 && !open && reader->Read(&batch); ++i) {
            for (const v1::Snapshot& s : batch.snapshots()) {
                for (const v1::BreakerState& b : s.breakers()) {
                    if (b.path() == "sh-a/gifts/panel/breaker/privileged" && b.state() == v1::BREAKER_OPEN) {
                        open = true;
                        openedAt = s.sim_time_ns();
                    }
                    if (b.path() == "sh-b/gifts/panel/breaker/privileged")
                        QVERIFY(b.state() == v1::BREAKER_CLOSED); // the other region is not slowed
                }
            }
        }
        ctx->TryCancel();
        QVERIFY(open);
        QVERIFY(openedAt < 10 * sim::kSecond);
    }
};

LIVEDECK_TEST_CLASS(TstDrillNode)
#include "tst_drill_node.moc"

// The livedeck.v1 ClusterService on a loopback node: topology and snapshots match the
// embedded run of the same seed, a remotely injected fault shows in the streamed
// snapshots, events resume from (run id, seq), idle streams carry heartbeats, leases
// expire into cleared faults, pacing over Control, health checking, and malformed
// requests are refused with INVALID_ARGUMENT while the world keeps running.
#include "tests/common/multi_test.h"

#include "tests/unit/rpc/rpc_test_util.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <QTest>

#include <chrono>

using namespace livedeck;
using namespace livedeck::rpc;
using rpc::test::context;
using rpc::test::LoopbackNode;

namespace {

v1::InjectFaultRequest latencyRequest(const std::string& target, double addMs, std::int64_t leaseMs = 0)
{
    v1::InjectFaultRequest req;
    auto* f = req.mutable_fault();
    f->set_kind(v1::FAULT_LATENCY);
    f->set_target(target);
    auto* p = f->add_params();
    p->set_name("add_ms");
    p->set_value(addMs);
    f->set_lease_ms(leaseMs);
    return req;
}

grpc::Status control(v1::ClusterService::Stub& stub, const v1::Command& c)
{
    v1::ControlRequest req;
    *req.mutable_command() = c;
    v1::CommandResponse resp;
    auto ctx = context();
    return stub.Control(ctx.get(), req, &resp);
}

v1::Command runUntil(sim::Nanos t)
{
    v1::Command c;
    c.mutable_run_until()->set_sim_time_ns(t);
    return c;
}

// Reads snapshots until one satisfies `pred` (or the stream/time runs out).
template <class Pred>
bool readSnapshotsUntil(grpc::ClientReader<v1::SnapshotBatch>& reader, Pred pred, int maxBatches = 400)
{
    v1::SnapshotBatch batch;
    for (int i = 0; i < maxBatches && reader.Read(&batch); ++i) {
        for (const v1::Snapshot& s : batch.snapshots()) {
            if (pred(s))
                return true;
        }
    }
    return false;
}

} // namespace

class TstClusterService : public QObject {
    Q_OBJECT

private slots:
    void topologyMatchesTheEmbeddedRun()
    {
        LoopbackNode node;
        QVERIFY2(node.status.ok(), node.status.ToString().c_str());
        auto stub = node.stub();
        v1::Topology remote;
        auto ctx = context();
        QVERIFY(stub->GetTopology(ctx.get(), {}, &remote).ok());
        host::SyntheticRun embedded(rpc::test::lightConfig(1));
        v1::Topology local;
        embedded.world().topologyToProto(local);
        QCOMPARE(remote.SerializeAsString(), local.SerializeAsString());
        QVERIFY(remote.regions_size() >= 3);
        QVERIFY(remote.components_size() > 0);
    }

    void snapshotStreamMatchesTheEmbeddedRun()
    {
        LoopbackNode node;
        auto stub = node.stub();
        const sim::Nanos t = 3 * sim::kSecond;
        QVERIFY(control(*stub, runUntil(t)).ok()); // resolves once the world paused at t
        v1::StreamSnapshotsRequest req;
        req.set_rate_hz(20);
        auto ctx = context();
        auto reader = stub->StreamSnapshots(ctx.get(), req);
        v1::Snapshot at;
        QVERIFY(readSnapshotsUntil(*reader, [&](const v1::Snapshot& s) {
            at = s;
            return s.sim_time_ns() == t;
        }));
        ctx->TryCancel();
        host::SyntheticRun embedded(rpc::test::lightConfig(1));
        embedded.world().scheduler().runUntil(t);
        QCOMPARE(at.trace_hash(), embedded.world().traceHash());
        QCOMPARE(at.events_executed(), embedded.world().scheduler().executed());
        QVERIFY(at.series_defs_size() > 0); // the first snapshot describes every series
        QCOMPARE(at.sample_ids_size(), at.sample_values_size());
    }

    void seriesPrefixFiltersSamples()
    {
        LoopbackNode node({}, 1, false);
        auto stub = node.stub();
        v1::Command fast;
        fast.mutable_set_speed()->set_factor(20); // samples come with each simulated second's rollup
        QVERIFY(control(*stub, fast).ok());
        v1::StreamSnapshotsRequest req;
        req.set_rate_hz(20);
        req.add_series_prefix("synthetic.sent");
        auto ctx = context();
        auto reader = stub->StreamSnapshots(ctx.get(), req);
        v1::SnapshotBatch batch;
        int defs = 0;
        int samples = 0;
        for (int i = 0; i < 100 && (defs == 0 || samples == 0) && reader->Read(&batch); ++i) {
            for (const v1::Snapshot& s : batch.snapshots()) {
                for (const v1::SeriesDef& d : s.series_defs()) {
                    QVERIFY2(d.name().rfind("synthetic.sent", 0) == 0, d.name().c_str());
                    ++defs;
                }
                samples += s.sample_ids_size();
            }
        }
        ctx->TryCancel();
        QVERIFY(defs > 0);
        QVERIFY(samples > 0);
    }

    void injectedFaultShowsInTheStream()
    {
        LoopbackNode node({}, 1, false);
        auto stub = node.stub();
        v1::InjectFaultResponse resp;
        auto ictx = context();
        const grpc::Status st = stub->InjectFault(ictx.get(), latencyRequest("sh-b/synthetic/svc/1", 40), &resp);
        QVERIFY2(st.ok(), st.error_message().c_str());
        QVERIFY(resp.fault_id() != 0);
        v1::StreamSnapshotsRequest req;
        auto ctx = context();
        auto reader = stub->StreamSnapshots(ctx.get(), req);
        QVERIFY(readSnapshotsUntil(*reader, [&](const v1::Snapshot& s) {
            for (const v1::FaultSpec& f : s.faults()) {
                if (f.id() == resp.fault_id() && f.active() && f.origin() == "remote:local")
                    return true;
            }
            return false;
        }));
        ctx->TryCancel();
        v1::ListFaultsResponse list;
        auto lctx = context();
        QVERIFY(stub->ListFaults(lctx.get(), {}, &list).ok());
        bool found = false;
        for (const v1::FaultSpec& f : list.faults())
            found |= f.id() == resp.fault_id() && f.target() == "sh-b/synthetic/svc/1" && f.lease_ms() > 55'000
                     && f.lease_ms() <= 60'000; // wall time left on its lease
        QVERIFY(found);
        // Cleared by id: gone from the faults in force, and its lease released.
        v1::ClearFaultRequest clear;
        clear.set_fault_id(resp.fault_id());
        v1::ClearFaultResponse cleared;
        auto cctx = context();
        QVERIFY(stub->ClearFault(cctx.get(), clear, &cleared).ok());
        QVERIFY(node.leases.leases().empty());
        // The command is in the audit with the caller's identity.
        const auto audit = node.server->service().audit();
        QVERIFY(audit.size() >= 2);
        QCOMPARE(audit[audit.size() - 2].method, std::string("InjectFault"));
        QCOMPARE(audit.back().identity, std::string("local"));
    }

    void leaseExpiresAndTheFaultClears()
    {
        LoopbackNode node;
        auto stub = node.stub();
        v1::InjectFaultResponse resp;
        auto ctx = context();
        QVERIFY(stub->InjectFault(ctx.get(), latencyRequest("sh-a/synthetic", 10, 300), &resp).ok());
        const auto active = [&] {
            v1::ListFaultsResponse list;
            auto lctx = context();
            stub->ListFaults(lctx.get(), {}, &list);
            for (const v1::FaultSpec& f : list.faults()) {
                if (f.id() == resp.fault_id())
                    return true; // scheduled or active: the world is paused
            }
            return false;
        };
        QVERIFY(active());
        // Renewed, it survives past its first expiry ...
        for (int i = 0; i < 3; ++i) {
            QTest::qWait(150);
            v1::RenewLeasesRequest renew;
            renew.add_fault_ids(resp.fault_id());
            v1::RenewLeasesResponse renewed;
            auto rctx = context();
            QVERIFY(stub->RenewLeases(rctx.get(), renew, &renewed).ok());
            QCOMPARE(renewed.renewed_size(), 1);
        }
        QVERIFY(active());
        // ... renewed by the default lease (60 s) now, so inject another with a short one.
        v1::InjectFaultResponse shortLived;
        auto sctx = context();
        QVERIFY(stub->InjectFault(sctx.get(), latencyRequest("sh-b/synthetic", 10, 200), &shortLived).ok());
        QTRY_VERIFY_WITH_TIMEOUT(node.leases.expiredCount() == 1, 10'000); // the world is paused, still released
        v1::ListFaultsResponse list;
        auto lctx = context();
        QVERIFY(stub->ListFaults(lctx.get(), {}, &list).ok());
        for (const v1::FaultSpec& f : list.faults())
            QVERIFY(f.id() != shortLived.fault_id()); // cleared by the lease's expiry
        QVERIFY(active()); // the renewed one is still there
    }

    void keepAfterDisconnectHoldsNoLease()
    {
        LoopbackNode node;
        auto stub = node.stub();
        v1::InjectFaultRequest req = latencyRequest("sh-a/synthetic", 10);
        req.set_keep_after_disconnect(true);
        v1::InjectFaultResponse resp;
        auto ctx = context();
        QVERIFY(stub->InjectFault(ctx.get(), req, &resp).ok());
        QVERIFY(resp.fault_id() != 0);
        QVERIFY(node.leases.leases().empty());
    }

    void eventsResumeAfterSeq()
    {
        LoopbackNode node({}, 1, false);
        auto stub = node.stub();
        v1::StreamEventsRequest first;
        auto ctx = context();
        auto reader = stub->StreamEvents(ctx.get(), first);
        v1::EventBatch batch;
        std::string runId;
        std::uint64_t lastSeq = 0;
        int events = 0;
        for (int i = 0; i < 200 && events < 5 && reader->Read(&batch); ++i) {
            runId = batch.run_id();
            for (const v1::Event& e : batch.events()) {
                QVERIFY(e.seq() > lastSeq);
                lastSeq = e.seq();
                ++events;
            }
        }
        ctx->TryCancel();
        QVERIFY(events >= 5);
        QVERIFY(!runId.empty());
        // Reconnect: resume right after the last event seen; nothing is repeated or skipped.
        v1::StreamEventsRequest resume;
        resume.set_run_id(runId);
        resume.set_after_seq(lastSeq - 2);
        auto ctx2 = context();
        auto reader2 = stub->StreamEvents(ctx2.get(), resume);
        std::uint64_t firstSeq = 0;
        for (int i = 0; i < 200 && firstSeq == 0 && reader2->Read(&batch); ++i) {
            QCOMPARE(batch.run_id(), runId);
            if (batch.events_size() > 0)
                firstSeq = batch.events(0).seq();
        }
        ctx2->TryCancel();
        QCOMPARE(firstSeq, lastSeq - 1);
    }

    void idleStreamsCarryHeartbeats()
    {
        LoopbackNode node; // paused: nothing new after the first snapshot
        auto stub = node.stub();
        auto ctx = context();
        auto reader = stub->StreamSnapshots(ctx.get(), {});
        v1::SnapshotBatch batch;
        int heartbeats = 0;
        for (int i = 0; i < 20 && heartbeats < 3 && reader->Read(&batch); ++i)
            heartbeats += batch.heartbeat() ? 1 : 0;
        ctx->TryCancel();
        QCOMPARE(heartbeats, 3);
    }

    void controlPacesTheWorld()
    {
        LoopbackNode node;
        auto stub = node.stub();
        v1::Command step;
        step.mutable_step()->set_events(5);
        const std::uint64_t before = node.host.status().eventsExecuted;
        QVERIFY(control(*stub, step).ok());
        QTRY_COMPARE_WITH_TIMEOUT(node.host.status().eventsExecuted, before + 5, 10'000);
        v1::GetStatusResponse status;
        auto ctx = context();
        QVERIFY(stub->GetStatus(ctx.get(), {}, &status).ok());
        QCOMPARE(status.events_executed(), before + 5);
        QVERIFY(status.host().paused());
        QCOMPARE(status.role(), std::string("operator"));
    }

    void healthServiceServes()
    {
        LoopbackNode node;
        auto channel = grpc::CreateChannel(node.address(), grpc::InsecureChannelCredentials());
        // grpc.health.v1.Health/Check for the whole server (an empty request); the
        // answer SERVING is field 1 = 1, encoded 0x08 0x01.
        grpc::GenericStub generic(channel);
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        grpc::CompletionQueue cq;
        grpc::Slice empty("");
        grpc::ByteBuffer request(&empty, 1);
        auto call = generic.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request, &cq);
        call->StartCall();
        grpc::ByteBuffer response;
        grpc::Status st;
        call->Finish(&response, &st, reinterpret_cast<void*>(1));
        void* tag = nullptr;
        bool ok = false;
        QVERIFY(cq.Next(&tag, &ok));
        QVERIFY(ok);
        QVERIFY2(st.ok(), st.error_message().c_str());
        std::vector<grpc::Slice> slices;
        QVERIFY(response.Dump(&slices).ok());
        std::string bytes;
        for (const grpc::Slice& sl : slices)
            bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
        QCOMPARE(bytes, std::string("\x08\x01", 2));
        cq.Shutdown();
        while (cq.Next(&tag, &ok)) {
        }
    }

    void malformedRequestsAreRefused_data()
    {
        QTest::addColumn<int>("which");
        QTest::newRow("inject without fault") << 0;
        QTest::newRow("inject unknown kind") << 1;
        QTest::newRow("inject empty target") << 2;
        QTest::newRow("inject bad params") << 3;
        QTest::newRow("inject with id") << 4;
        QTest::newRow("inject lease too long") << 5;
        QTest::newRow("clear id 0") << 6;
        QTest::newRow("renew nothing") << 7;
        QTest::newRow("snapshot rate too high") << 8;
        QTest::newRow("control with a fault") << 9;
        QTest::newRow("run_until 0") << 10;
        QTest::newRow("operator action unknown") << 11;
        QTest::newRow("set load nothing") << 12;
        QTest::newRow("after_seq without run") << 13;
        QTest::newRow("load empty drill") << 14;
    }
    void malformedRequestsAreRefused()
    {
        QFETCH(int, which);
        LoopbackNode node({}, 1, false);
        auto stub = node.stub();
        auto ctx = context();
        grpc::Status st;
        switch (which) {
        case 0: {
            v1::InjectFaultResponse r;
            st = stub->InjectFault(ctx.get(), {}, &r);
            break;
        }
        case 1: {
            auto req = latencyRequest("sh-a", 1);
            req.mutable_fault()->set_kind(static_cast<v1::FaultKind>(77));
            v1::InjectFaultResponse r;
            st = stub->InjectFault(ctx.get(), req, &r);
            break;
        }
        case 2: {
            v1::InjectFaultResponse r;
            st = stub->InjectFault(ctx.get(), latencyRequest("", 1), &r);
            break;
        }
        case 3: {
            v1::InjectFaultResponse r;
            st = stub->InjectFault(ctx.get(), latencyRequest("sh-a", -5), &r);
            break;
        }
        case 4: {
            auto req = latencyRequest("sh-a", 1);
            req.mutable_fault()->set_id(3);
            v1::InjectFaultResponse r;
            st = stub->InjectFault(ctx.get(), req, &r);
            break;
        }
        case 5: {
            v1::InjectFaultResponse r;
            st = stub->InjectFault(ctx.get(), latencyRequest("sh-a", 1, 24LL * 3600 * 1000), &r);
            break;
        }
        case 6: {
            v1::ClearFaultResponse r;
            st = stub->ClearFault(ctx.get(), {}, &r);
            break;
        }
        case 7: {
            v1::RenewLeasesResponse r;
            st = stub->RenewLeases(ctx.get(), {}, &r);
            break;
        }
        case 8: {
            v1::StreamSnapshotsRequest req;
            req.set_rate_hz(1000);
            auto reader = stub->StreamSnapshots(ctx.get(), req);
            v1::SnapshotBatch b;
            QVERIFY(!reader->Read(&b));
            st = reader->Finish();
            break;
        }
        case 9: {
            v1::ControlRequest req;
            req.mutable_command()->mutable_clear_fault()->set_fault_id(1);
            v1::CommandResponse r;
            st = stub->Control(ctx.get(), req, &r);
            break;
        }
        case 10: {
            v1::ControlRequest req;
            req.mutable_command()->mutable_run_until();
            v1::CommandResponse r;
            st = stub->Control(ctx.get(), req, &r);
            break;
        }
        case 11: {
            v1::OperatorActionRequest req;
            req.mutable_action()->set_action("reboot-everything");
            req.mutable_action()->set_target("sh-a");
            v1::CommandResponse r;
            st = stub->ApplyOperatorAction(ctx.get(), req, &r);
            break;
        }
        case 12: {
            v1::SetLoadRequest req;
            req.mutable_load()->set_engine("gifts");
            v1::CommandResponse r;
            st = stub->SetLoad(ctx.get(), req, &r);
            break;
        }
        case 13: {
            v1::StreamEventsRequest req;
            req.set_after_seq(5);
            auto reader = stub->StreamEvents(ctx.get(), req);
            v1::EventBatch b;
            QVERIFY(!reader->Read(&b));
            st = reader->Finish();
            break;
        }
        case 14: {
            v1::LoadDrillResponse r;
            st = stub->LoadDrill(ctx.get(), {}, &r);
            break;
        }
        default:
            QFAIL("no such case");
        }
        QCOMPARE(static_cast<int>(st.error_code()), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
        QVERIFY(!st.error_message().empty());
        // The world keeps running.
        const std::uint64_t before = node.host.status().eventsExecuted;
        QTRY_VERIFY_WITH_TIMEOUT(node.host.status().eventsExecuted > before, 10'000);
    }
};

LIVEDECK_TEST_CLASS(TstClusterService)
#include "tst_cluster_service.moc"

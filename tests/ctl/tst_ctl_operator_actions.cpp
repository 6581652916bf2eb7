// Operator actions act, end to end, on the gift engine of tests/ctl/drills/ctl-actions.yaml
// (steady load, no faults):
// - embedded: the drill in a WorldHost in this process (as the console's embedded mode
//   runs it), actions submitted as world commands at exact simulated times;
// - remote: a livedeckd child process driven by this test's own gRPC client (the
//   generated stubs, not livedeckctl): LoadDrill, Control run_until, ApplyOperatorAction,
//   StreamSnapshots;
// - the program: `livedeckctl drill run --action` (the drill's own expectations pass
//   only when sh-a was drained; the recording replays the actions) and
//   `livedeckctl --server … action`.
// What must hold (docs/API.md): after drain-region sh-a, sh-a's share of the gift
// engine's requests (RegionHealth.rps of engine "gifts") is under 1 % within 5 simulated
// seconds; within 15 s of restore it is back to at least 90 % of its share before; a
// shed-load limit shows in the shed rate (gifts.orders.shed) and 0 lifts it. An action no
// engine declares, and a region the world lacks, are refused with INVALID_ARGUMENT.
#include "tests/common/multi_test.h"
#include "tests/ctl/ctl_test_util.h"

#include "app/common/steady_wall_clock.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/host/world_host.h"

#if LIVEDECK_CTL_WITH_GRPC
#include "livedeck/v1/service.grpc.pb.h"

#include <grpcpp/create_channel.h>
#endif

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

using namespace livedeck;

namespace {

constexpr double kDrainAt = 10.0;
constexpr double kRestoreAt = 20.0;
constexpr double kShedAt = 36.0;
constexpr double kUnshedAt = 41.0;

// What one look at the world gives: each region's gift requests per second, and the
// world's shed rate.
struct Look {
    std::map<std::string, double> rps;
    double shed = 0.0;
    double share(const std::string& region) const
    {
        double total = 0.0;
        for (const auto& [r, v] : rps)
            total += v;
        auto it = rps.find(region);
        return total > 0.0 && it != rps.end() ? it->second / total : 0.0;
    }
};

Look lookAt(const v1::Snapshot& s, const std::map<std::uint32_t, bool>& shedSeries)
{
    Look l;
    for (const v1::RegionHealth& h : s.regions()) {
        if (h.engine() == "gifts")
            l.rps[h.region()] = h.rps();
    }
    for (int i = 0; i < s.sample_ids_size() && i < s.sample_values_size(); ++i) {
        if (shedSeries.count(s.sample_ids(i)) != 0)
            l.shed += s.sample_values(i);
    }
    return l;
}

void noteShedSeries(const v1::Snapshot& s, std::map<std::uint32_t, bool>& shedSeries)
{
    for (const v1::SeriesDef& d : s.series_defs()) {
        if (d.name() == "gifts.orders.shed" && d.type() == v1::METRIC_TYPE_COUNTER)
            shedSeries[d.id()] = true;
    }
}

// The scenario, on any way of driving a world: `runTo(t)` advances to simulated second
// t and returns a look there; `act(name, target, value)` applies an action now.
struct Driver {
    std::function<Look(double)> runTo;
    std::function<bool(const char*, const char*, double)> act;
};

void checkScenario(Driver& d)
{
    double before = 0.0;
    int n = 0;
    for (double t = 5.5; t < kDrainAt; t += 1.0) {
        const Look l = d.runTo(t);
        before += l.share("sh-a");
        ++n;
    }
    before /= n;
    QVERIFY2(before > 0.2, qPrintable(QStringLiteral("sh-a's share before the drain: %1").arg(before)));
    d.runTo(kDrainAt);
    QVERIFY(d.act("drain-region", "sh-a", 0.0));
    double drained = 0.0;
    for (double t = kDrainAt + 5.0; t < kRestoreAt; t += 0.5) {
        const Look l = d.runTo(t);
        drained = std::max(drained, l.share("sh-a"));
        QVERIFY2(l.share("sh-a") < 0.01,
                 qPrintable(QStringLiteral("at %1 s sh-a still has %2 of the requests").arg(t).arg(l.share("sh-a"))));
        QVERIFY(l.rps.size() >= 2);
    }
    d.runTo(kRestoreAt);
    QVERIFY(d.act("restore", "sh-a", 0.0));
    double backAt = -1;
    for (double t = kRestoreAt + 0.5; t <= kRestoreAt + 15.0; t += 0.5) {
        if (d.runTo(t).share("sh-a") >= 0.9 * before) {
            backAt = t;
            break;
        }
    }
    QVERIFY2(backAt > 0, qPrintable(QStringLiteral("sh-a not back to 90 % of %1 within 15 s of restore").arg(before)));
    qInfo("sh-a's share: %.4f before the drain, at most %.6f from 5 s after it, back to >= 90 %% %.1f s after restore",
          before, drained, backAt - kRestoreAt);

    // shed-load: no shedding before, shedding under a limit, none once it is lifted.
    QCOMPARE(d.runTo(kShedAt - 0.5).shed, 0.0);
    d.runTo(kShedAt);
    QVERIFY(d.act("shed-load", "*", 100.0));
    double shedUnder = 0.0;
    for (double t = kShedAt + 1.5; t < kUnshedAt; t += 1.0)
        shedUnder = std::max(shedUnder, d.runTo(t).shed);
    qInfo("shed rate under shed-load * 100: %.0f orders/s", shedUnder);
    QVERIFY2(shedUnder > 1000.0, qPrintable(QStringLiteral("shed rate under a 100/s limit: %1").arg(shedUnder)));
    d.runTo(kUnshedAt);
    QVERIFY(d.act("shed-load", "*", 0.0));
    QCOMPARE(d.runTo(kUnshedAt + 2.5).shed, 0.0);
}

#if LIVEDECK_CTL_WITH_GRPC
constexpr int kWaitMs = 20'000;

struct Node {
    QTemporaryDir dir;
    QProcess process;
    std::string address;

    bool start()
    {
        const QString portFile = dir.filePath(QStringLiteral("port"));
        process.start(QStringLiteral(LIVEDECK_NODE_PATH),
                      test::words({"--listen", "127.0.0.1:0", "--paused", "--heartbeat-ms", "200", "--port-file"}) << portFile);
        if (!process.waitForStarted(10'000))
            return false;
        QFile f(portFile);
        for (int waited = 0; waited < kWaitMs && !f.exists(); waited += 50)
            QTest::qWait(50);
        if (!f.open(QIODevice::ReadOnly))
            return false;
        const int port = QString::fromUtf8(f.readAll()).trimmed().toInt();
        address = "127.0.0.1:" + std::to_string(port);
        return port > 0;
    }
    ~Node()
    {
        process.terminate();
        if (!process.waitForFinished(10'000))
            process.kill();
    }
};

std::unique_ptr<grpc::ClientContext> context(int ms = 30'000)
{
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
    return c;
}

// The node's snapshots as they stream in: the last one per simulated time.
class SnapshotReader {
public:
    explicit SnapshotReader(v1::ClusterService::Stub& stub)
    {
        v1::StreamSnapshotsRequest req;
        req.set_rate_hz(20);
        m_reader = stub.StreamSnapshots(&m_context, req);
        m_thread = std::thread([this] {
            v1::SnapshotBatch batch;
            while (m_reader->Read(&batch)) {
                std::lock_guard lock(m_mutex);
                for (const v1::Snapshot& s : batch.snapshots()) {
                    noteShedSeries(s, m_shedSeries);
                    m_looks[s.sim_time_ns()] = lookAt(s, m_shedSeries);
                }
            }
        });
    }
    ~SnapshotReader()
    {
        m_context.TryCancel();
        m_thread.join();
    }
    std::optional<Look> at(std::int64_t simNs)
    {
        for (int waited = 0; waited < kWaitMs; waited += 10) {
            {
                std::lock_guard lock(m_mutex);
                if (auto it = m_looks.find(simNs); it != m_looks.end())
                    return it->second;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return std::nullopt;
    }

private:
    grpc::ClientContext m_context;
    std::unique_ptr<grpc::ClientReader<v1::SnapshotBatch>> m_reader;
    std::thread m_thread;
    std::mutex m_mutex;
    std::map<std::uint32_t, bool> m_shedSeries;
    std::map<std::int64_t, Look> m_looks;
};

grpc::Status applyAction(v1::ClusterService::Stub& stub, const char* action, const char* target, double value)
{
    v1::OperatorActionRequest req;
    req.mutable_action()->set_action(action);
    req.mutable_action()->set_target(target);
    req.mutable_action()->set_value(value);
    v1::CommandResponse resp;
    return stub.ApplyOperatorAction(context().get(), req, &resp);
}

bool loadDrill(v1::ClusterService::Stub& stub, const QString& path, std::string& error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        error = "cannot read the drill";
        return false;
    }
    v1::LoadDrillRequest req;
    req.set_drill_yaml(f.readAll().toStdString());
    req.set_file_name(path.toStdString());
    v1::LoadDrillResponse resp;
    const grpc::Status st = stub.LoadDrill(context(60'000).get(), req, &resp);
    error = st.error_message();
    return st.ok();
}
#endif

} // namespace

class TstCtlOperatorActions : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (engine::processEngines().find("gifts") == nullptr)
            QSKIP("the gift engine is not built (its drill, ctl-actions, cannot load)");
    }

    void embedded()
    {
        auto spec = drills::loadDrillFile(test::ctlDrill("ctl-actions.yaml").toStdString());
        QVERIFY2(spec.ok(), std::string(spec.status().message()).c_str());
        auto run = drills::DrillRun::create(*spec);
        QVERIFY(run.ok());
        app::SteadyWallClock clock;
        host::WorldHost host(std::move(*run), clock);
        host.setSpeed(0.0);
        host.start();
        std::map<std::uint32_t, bool> shedSeries;
        Driver d;
        d.runTo = [&](double t) {
            const absl::Status reached = host.runUntil(sim::fromSeconds(t)).get();
            if (!reached.ok())
                qWarning("run_until %g: %s", t, std::string(reached.message()).c_str());
            const v1::Snapshot s = host.query([](host::HostedRun& r) {
                                           v1::Snapshot snapshot;
                                           r.telemetry().buildSnapshot(snapshot);
                                           return snapshot;
                                       }).get();
            noteShedSeries(s, shedSeries);
            return lookAt(s, shedSeries);
        };
        d.act = [&](const char* action, const char* target, double value) {
            v1::Command c;
            c.mutable_operator_action()->set_action(action);
            c.mutable_operator_action()->set_target(target);
            c.mutable_operator_action()->set_value(value);
            const absl::Status st = host.submit(c).get();
            if (!st.ok())
                qWarning("%s %s: %s", action, target, std::string(st.message()).c_str());
            return st.ok();
        };
        checkScenario(d);

        // Refused: an action no engine declares, a region the world lacks.
        v1::Command undeclared;
        undeclared.mutable_operator_action()->set_action("launch");
        undeclared.mutable_operator_action()->set_target("sh-a");
        absl::Status st = host.submit(undeclared).get();
        QCOMPARE(st.code(), absl::StatusCode::kInvalidArgument);
        QVERIFY(std::string(st.message()).find("drain-region") != std::string::npos); // names the declared ones
        v1::Command mars;
        mars.mutable_operator_action()->set_action("drain-region");
        mars.mutable_operator_action()->set_target("mars");
        st = host.submit(mars).get();
        QCOMPARE(st.code(), absl::StatusCode::kInvalidArgument);
        QVERIFY(std::string(st.message()).find("mars") != std::string::npos);
        host.stop();
    }

    void remoteFromAnIndependentClient()
    {
#if LIVEDECK_CTL_WITH_GRPC
        Node node;
        QVERIFY(node.start());
        auto stub = v1::ClusterService::NewStub(grpc::CreateChannel(node.address, grpc::InsecureChannelCredentials()));
        std::string error;
        QVERIFY2(loadDrill(*stub, test::ctlDrill("ctl-actions.yaml"), error), error.c_str());
        v1::ControlRequest speed;
        speed.mutable_command()->mutable_set_speed()->set_factor(0.0);
        v1::CommandResponse cr;
        QVERIFY(stub->Control(context().get(), speed, &cr).ok());
        SnapshotReader reader(*stub);
        Driver d;
        d.runTo = [&](double t) {
            v1::ControlRequest until;
            until.mutable_command()->mutable_run_until()->set_sim_time_ns(sim::fromSeconds(t));
            v1::CommandResponse resp;
            const grpc::Status st = stub->Control(context(60'000).get(), until, &resp);
            if (!st.ok())
                qWarning("run_until %g: %s", t, st.error_message().c_str());
            const std::optional<Look> look = reader.at(sim::fromSeconds(t));
            if (!look)
                qWarning("no snapshot at %g s", t);
            return look.value_or(Look{});
        };
        d.act = [&](const char* action, const char* target, double value) {
            const grpc::Status st = applyAction(*stub, action, target, value);
            if (!st.ok())
                qWarning("%s %s: %s", action, target, st.error_message().c_str());
            return st.ok();
        };
        checkScenario(d);

        QCOMPARE(applyAction(*stub, "drain-region", "mars", 0.0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
        QCOMPARE(applyAction(*stub, "launch", "sh-a", 0.0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
        // livedeckctl against the same node: a declared action, then bad ones (exit 2).
        const QString server = QString::fromStdString(node.address);
        const test::CtlRun ok = test::runCtlProgram(test::words({"--server"}) << server << test::words({"action", "restore", "sh-a"}));
        QVERIFY2(ok.exitCode == 0, qPrintable(ok.out + ok.err));
        const test::CtlRun bad = test::runCtlProgram(test::words({"--server"}) << server
                                                      << test::words({"action", "drain-region", "mars"}));
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(QStringLiteral("mars")), qPrintable(bad.err));

        // A world whose engines declare no such action: the routing refuses it.
        QVERIFY2(loadDrill(*stub, QStringLiteral(LIVEDECK_CTL_DRILLS_DIR "/../../../resources/drills/synthetic-region-outage.yaml"),
                           error),
                 error.c_str());
        const grpc::Status undeclared = applyAction(*stub, "drain-region", "gz", 0.0);
        QCOMPARE(undeclared.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
        QVERIFY2(undeclared.error_message().find("declares") != std::string::npos, undeclared.error_message().c_str());
#else
        QSKIP("livedeckd is not built (no gRPC)");
#endif
    }

    void theProgramsLocalRun()
    {
        QTemporaryDir dir;
        const QString drill = test::ctlDrill("ctl-actions.yaml");
        const QString rec = dir.filePath(QStringLiteral("run.sqlite"));
        // Without the actions the drill's expectations fail: they test the drain.
        const test::CtlRun plain = test::runCtlProgram(QStringList{QStringLiteral("drill"), QStringLiteral("run"), drill,
                                                                   QStringLiteral("-q")});
        QVERIFY2(plain.exitCode == 1, qPrintable(plain.out + plain.err));
        const test::CtlRun acted = test::runCtlProgram(
            QStringList{QStringLiteral("drill"), QStringLiteral("run"), drill, QStringLiteral("-q"), QStringLiteral("--record"), rec}
            + test::words({"--action", "10s:drain-region:sh-a", "--action", "20s:restore:sh-a", "--action", "30s:shed-load:sh-b:500"}));
        QVERIFY2(acted.exitCode == 0, qPrintable(acted.out + acted.err));
        QVERIFY2(acted.err.contains(QStringLiteral("drain-region sh-a: applied")), qPrintable(acted.err));
        QVERIFY2(acted.err.contains(QStringLiteral("shed-load sh-b 500: applied")), qPrintable(acted.err));
        const test::CtlRun verify = test::runCtlProgram(QStringList{QStringLiteral("drill"), QStringLiteral("verify"), rec});
        QVERIFY2(verify.exitCode == 0, qPrintable(verify.out + verify.err));
        QVERIFY(verify.out.contains(QStringLiteral("3 operator command(s)")));
        // Refused actions: exit 2 with the reason.
        const test::CtlRun mars = test::runCtlProgram(QStringList{QStringLiteral("drill"), QStringLiteral("run"), drill}
                                                      + test::words({"-q", "--action", "2s:drain-region:mars"}));
        QCOMPARE(mars.exitCode, 2);
        QVERIFY2(mars.err.contains(QStringLiteral("'mars' is not a region")), qPrintable(mars.err));
        const test::CtlRun undeclared = test::runCtlProgram(QStringList{QStringLiteral("drill"), QStringLiteral("run"), drill}
                                                            + test::words({"-q", "--action", "2s:launch:sh-a"}));
        QCOMPARE(undeclared.exitCode, 2);
        QVERIFY2(undeclared.err.contains(QStringLiteral("declares operator action 'launch'")), qPrintable(undeclared.err));
        const test::CtlRun late = test::runCtlProgram(QStringList{QStringLiteral("drill"), QStringLiteral("run"), drill}
                                                      + test::words({"-q", "--action", "90s:restore:sh-a"}));
        QCOMPARE(late.exitCode, 2);
    }
};

LIVEDECK_TEST_CLASS(TstCtlOperatorActions)
#include "tst_ctl_operator_actions.moc"

#include "app/livedeckctl/remote_command.h"

#include "backend/drills/builtin_drills.h"
#include "backend/sim/faults.h"
#include "livedeck/v1/service.grpc.pb.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <QFile>
#include <QTextStream>
#include <QThread>

#include <chrono>
#include <cmath>
#include <map>

namespace livedeck::ctl {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;
constexpr int kCallTimeoutMs = 10'000;

QString qs(const std::string& s) { return QString::fromStdString(s); }

QString remoteUsage()
{
    return QStringLiteral(
        "Usage: livedeckctl --server HOST:PORT [--token-file F] [--tls-ca F] <command> [options]\n"
        "\n"
        "Talks to a livedeckd node (docs/API.md). Commands:\n"
        "  status                      Run, build, your role, simulated time, speed, drill state\n"
        "  topology                    Regions, data centres, links and components\n"
        "  faults list                 Faults scheduled or in force (with wall time left on leases)\n"
        "  fault inject KIND TARGET [NAME=VALUE ...] [--ttl] [--lease-ms N]\n"
        "                              Inject a fault from the vocabulary; numeric NAME=VALUE are\n"
        "                              parameters, others (peer, key) text. It holds a 60 s lease\n"
        "                              (or --lease-ms) and clears itself unless --ttl keeps it\n"
        "  fault clear ID              Clear a fault\n"
        "  drill run FILE [--seed N] [--speed max|K]\n"
        "                              Load a drill file or built-in drill on the node, run it and\n"
        "                              print its verdict; exit 0 if everything held, 1 otherwise\n"
        "\n"
        "--token-file F: a file whose first line is '<token>' or '<token> <role> [<name>]'.\n"
        "--tls-ca F: PEM roots to verify the node's TLS certificate (plaintext without it).\n"
        "Exit codes: 0 ok, 1 the node refused (e.g. a viewer's token) or a drill failed,\n"
        "2 bad input (the node said INVALID_ARGUMENT or NOT_FOUND) or the node is unreachable.\n");
}

void err(const QString& s) { QTextStream(stderr) << "livedeckctl: " << s << "\n"; }

struct Remote {
    std::string address;
    std::string token;
    std::unique_ptr<v1::ClusterService::Stub> stub;

    std::unique_ptr<grpc::ClientContext> ctx(int timeoutMs = kCallTimeoutMs) const
    {
        auto c = std::make_unique<grpc::ClientContext>();
        c->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeoutMs));
        if (!token.empty())
            c->AddMetadata("authorization", "Bearer " + token);
        return c;
    }
};

int reportRpcError(const char* what, const grpc::Status& st)
{
    err(QStringLiteral("%1: %2 (%3)").arg(QLatin1String(what), qs(st.error_message())).arg(int(st.error_code())));
    return st.error_code() == grpc::StatusCode::UNAVAILABLE || st.error_code() == grpc::StatusCode::INVALID_ARGUMENT
                   || st.error_code() == grpc::StatusCode::NOT_FOUND || st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
               ? kExitBadInput
               : kExitFailed;
}

QString seconds(std::int64_t ns) { return QString::number(static_cast<double>(ns) / 1e9, 'f', 3) + QStringLiteral(" s"); }

QString phaseName(v1::DrillPhase p)
{
    switch (p) {
    case v1::DRILL_LOADED: return QStringLiteral("loaded");
    case v1::DRILL_RUNNING: return QStringLiteral("running");
    case v1::DRILL_PAUSED: return QStringLiteral("paused");
    case v1::DRILL_FINISHED: return QStringLiteral("finished");
    case v1::DRILL_HALTED: return QStringLiteral("halted");
    default: return QStringLiteral("-");
    }
}

int status(Remote& r)
{
    v1::GetStatusResponse s;
    if (grpc::Status st = r.stub->GetStatus(r.ctx().get(), {}, &s); !st.ok())
        return reportRpcError("status", st);
    QTextStream out(stdout);
    out << "node      " << qs(r.address) << "\n"
        << "run       " << qs(s.run_id()) << "\n"
        << "build     " << qs(s.build()) << "\n"
        << "role      " << qs(s.role()) << "\n"
        << "sim time  " << seconds(s.sim_time_ns()) << "\n"
        << "events    " << s.events_executed() << "\n"
        << "pacing    " << (s.host().paused() ? QStringLiteral("paused") : QStringLiteral("running")) << ", speed "
        << (s.host().speed() <= 0 ? QStringLiteral("max") : QString::number(s.host().speed())) << ", measured "
        << QString::number(s.host().sim_per_wall(), 'f', 2) << " sim-s/s, "
        << QString::number(s.host().events_per_sec(), 'f', 0) << " events/s\n";
    if (!s.drill().name().empty())
        out << "drill     " << qs(s.drill().name()) << " (seed " << s.drill().seed() << ", " << phaseName(s.drill().phase())
            << ", " << seconds(s.drill().sim_time_ns()) << " of " << seconds(s.drill().duration_ns()) << ")\n";
    return 0;
}

int topology(Remote& r)
{
    v1::Topology t;
    if (grpc::Status st = r.stub->GetTopology(r.ctx().get(), {}, &t); !st.ok())
        return reportRpcError("topology", st);
    QTextStream out(stdout);
    out << "run " << qs(t.run_id()) << "\n\nregions:\n";
    for (const v1::Region& reg : t.regions()) {
        QStringList dcs;
        for (const v1::DataCentre& dc : reg.data_centres())
            dcs << qs(dc.name());
        out << "  " << qs(reg.name()) << " (" << qs(reg.city()) << "): " << dcs.join(QStringLiteral(", ")) << "\n";
    }
    out << "\nlinks:\n";
    for (const v1::Link& l : t.links())
        out << "  " << qs(l.a()) << " <-> " << qs(l.b()) << "  " << l.latency_ms() << " ms (jitter " << l.jitter_ms()
            << " ms, loss " << l.loss() << ")\n";
    std::map<std::string, int> kinds;
    for (const v1::Component& c : t.components())
        ++kinds[c.kind()];
    out << "\ncomponents: " << t.components_size() << "\n";
    for (const auto& [kind, n] : kinds)
        out << "  " << qs(kind) << ": " << n << "\n";
    return 0;
}

int faultsList(Remote& r)
{
    v1::ListFaultsResponse resp;
    if (grpc::Status st = r.stub->ListFaults(r.ctx().get(), {}, &resp); !st.ok())
        return reportRpcError("faults list", st);
    QTextStream out(stdout);
    if (resp.faults_size() == 0) {
        out << "no faults\n";
        return 0;
    }
    out << QStringLiteral("%1  %2  %3  %4  %5  %6\n")
               .arg(QStringLiteral("id"), 5)
               .arg(QStringLiteral("kind"), -12)
               .arg(QStringLiteral("target"), -36)
               .arg(QStringLiteral("state"), -9)
               .arg(QStringLiteral("lease"), -8)
               .arg(QStringLiteral("origin"));
    for (const v1::FaultSpec& f : resp.faults()) {
        const QString lease = f.lease_ms() > 0 ? QString::number(f.lease_ms() / 1000.0, 'f', 1) + QStringLiteral(" s")
                                               : QStringLiteral("-");
        out << QStringLiteral("%1  %2  %3  %4  %5  %6\n")
                   .arg(f.id(), 5)
                   .arg(qs(std::string(sim::FaultRegistry::kindName(f.kind()))), -12)
                   .arg(qs(f.target()), -36)
                   .arg(f.active() ? QStringLiteral("active") : QStringLiteral("scheduled"), -9)
                   .arg(lease, -8)
                   .arg(qs(f.origin()));
    }
    return 0;
}

int faultInject(Remote& r, const QStringList& args)
{
    QStringList positional;
    bool ttl = false;
    qint64 leaseMs = 0;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--ttl")) {
            ttl = true;
        } else if (args[i] == QLatin1String("--lease-ms") && i + 1 < args.size()) {
            bool ok = false;
            leaseMs = args[++i].toLongLong(&ok);
            if (!ok || leaseMs <= 0) {
                err(QStringLiteral("fault inject: --lease-ms wants a positive integer"));
                return kExitBadInput;
            }
        } else {
            positional << args[i];
        }
    }
    if (positional.size() < 2) {
        err(QStringLiteral("fault inject: expected KIND TARGET [NAME=VALUE ...]; kinds: %1")
                .arg(qs(sim::FaultRegistry::vocabulary())));
        return kExitBadInput;
    }
    auto kind = sim::FaultRegistry::parseKind(positional[0].toStdString());
    if (!kind.ok()) {
        err(QStringLiteral("fault inject: %1").arg(qs(std::string(kind.status().message()))));
        return kExitBadInput;
    }
    v1::InjectFaultRequest req;
    req.set_keep_after_disconnect(ttl);
    v1::FaultSpec* f = req.mutable_fault();
    f->set_kind(*kind);
    f->set_target(positional[1].toStdString());
    f->set_lease_ms(leaseMs);
    for (int i = 2; i < positional.size(); ++i) {
        const qsizetype eq = positional[i].indexOf(QLatin1Char('='));
        if (eq <= 0) {
            err(QStringLiteral("fault inject: expected NAME=VALUE, got '%1'").arg(positional[i]));
            return kExitBadInput;
        }
        auto* p = f->add_params();
        p->set_name(positional[i].left(eq).toStdString());
        bool ok = false;
        const double v = positional[i].mid(eq + 1).toDouble(&ok);
        if (ok && std::isfinite(v))
            p->set_value(v);
        else
            p->set_text(positional[i].mid(eq + 1).toStdString());
    }
    v1::InjectFaultResponse resp;
    if (grpc::Status st = r.stub->InjectFault(r.ctx().get(), req, &resp); !st.ok())
        return reportRpcError("fault inject", st);
    QTextStream(stdout) << "fault " << resp.fault_id() << " injected"
                        << (ttl ? QStringLiteral(" (kept until cleared)")
                                : QStringLiteral(" (lease %1 s: clears itself unless renewed)")
                                      .arg(leaseMs > 0 ? leaseMs / 1000.0 : 60.0))
                        << "\n";
    return 0;
}

int faultClear(Remote& r, const QString& idText)
{
    bool ok = false;
    const quint64 id = idText.toULongLong(&ok);
    if (!ok || id == 0) {
        err(QStringLiteral("fault clear: expected a fault id (see 'faults list'), got '%1'").arg(idText));
        return kExitBadInput;
    }
    v1::ClearFaultRequest req;
    req.set_fault_id(id);
    v1::ClearFaultResponse resp;
    if (grpc::Status st = r.stub->ClearFault(r.ctx().get(), req, &resp); !st.ok())
        return reportRpcError("fault clear", st);
    QTextStream(stdout) << "fault " << id << " cleared\n";
    return 0;
}

int drillRun(Remote& r, const QStringList& args)
{
    QString file;
    std::uint64_t seed = 0;
    double speed = -1;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--seed") && i + 1 < args.size()) {
            bool ok = false;
            seed = args[++i].toULongLong(&ok);
            if (!ok) {
                err(QStringLiteral("drill run: --seed wants a non-negative integer"));
                return kExitBadInput;
            }
        } else if (args[i] == QLatin1String("--speed") && i + 1 < args.size()) {
            const QString v = args[++i];
            bool ok = true;
            speed = v == QLatin1String("max") ? 0.0 : v.toDouble(&ok);
            if (!ok || speed < 0 || !std::isfinite(speed)) {
                err(QStringLiteral("drill run: --speed wants max or a positive number"));
                return kExitBadInput;
            }
        } else if (file.isEmpty() && !args[i].startsWith(QLatin1String("--"))) {
            file = args[i];
        } else {
            err(QStringLiteral("drill run: unexpected argument '%1'").arg(args[i]));
            return kExitBadInput;
        }
    }
    if (file.isEmpty()) {
        err(QStringLiteral("drill run: expected a drill file or a built-in drill's name"));
        return kExitBadInput;
    }
    v1::LoadDrillRequest req;
    QFile f(file);
    if (f.open(QIODevice::ReadOnly)) {
        req.set_drill_yaml(f.readAll().toStdString());
        req.set_file_name(file.toStdString());
    } else if (const drills::BuiltinDrill* b = drills::findBuiltinDrill(file.toStdString())) {
        req.set_drill_yaml(std::string(b->text));
        req.set_file_name(b->fileName);
    } else {
        err(QStringLiteral("drill run: '%1' is neither a readable file nor a built-in drill").arg(file));
        return kExitBadInput;
    }
    req.set_seed(seed);
    req.set_start(false);
    v1::LoadDrillResponse loaded;
    if (grpc::Status st = r.stub->LoadDrill(r.ctx(60'000).get(), req, &loaded); !st.ok())
        return reportRpcError("drill run", st);
    if (speed >= 0) {
        v1::ControlRequest c;
        c.mutable_command()->mutable_set_speed()->set_factor(speed);
        v1::CommandResponse cr;
        if (grpc::Status st = r.stub->Control(r.ctx().get(), c, &cr); !st.ok())
            return reportRpcError("drill run", st);
    }
    v1::ControlRequest resume;
    resume.mutable_command()->mutable_resume();
    v1::CommandResponse rr;
    if (grpc::Status st = r.stub->Control(r.ctx().get(), resume, &rr); !st.ok())
        return reportRpcError("drill run", st);
    QTextStream errOut(stderr);
    v1::DrillState d = loaded.drill();
    for (;;) {
        QThread::msleep(500);
        v1::GetDrillReportResponse resp;
        if (grpc::Status st = r.stub->GetDrillReport(r.ctx().get(), {}, &resp); !st.ok())
            return reportRpcError("drill run", st);
        d = resp.drill();
        errOut << "\r" << qs(d.name()) << "  " << seconds(d.sim_time_ns()) << " / " << seconds(d.duration_ns()) << "  "
               << phaseName(d.phase()) << "   " << Qt::flush;
        if (d.phase() == v1::DRILL_FINISHED || d.phase() == v1::DRILL_HALTED)
            break;
    }
    errOut << "\n";
    QTextStream out(stdout);
    bool allPassed = true;
    out << "drill " << qs(d.name()) << " seed " << d.seed() << ": " << phaseName(d.phase()) << ", score "
        << QString::number(d.score(), 'f', 1) << "\n";
    for (const v1::ExpectationStatus& e : d.expectations()) {
        allPassed &= e.passed();
        out << (e.passed() ? "  PASS  " : "  FAIL  ") << qs(e.name()) << "  (observed " << qs(e.observed()) << ", expected "
            << qs(e.expected()) << ")\n";
    }
    for (const v1::InvariantStatus& i : d.invariants()) {
        allPassed &= i.passed();
        out << (i.passed() ? "  PASS  invariant " : "  FAIL  invariant ") << qs(i.name())
            << (i.detail().empty() ? QString() : QStringLiteral(": ") + qs(i.detail())) << "\n";
    }
    return allPassed ? 0 : kExitFailed;
}

} // namespace

bool isRemoteInvocation(const QStringList& arguments)
{
    return arguments.size() > 1 && (arguments[1] == QLatin1String("--server") || arguments[1].startsWith(QLatin1String("--server=")));
}

int runRemoteCommand(const QStringList& arguments)
{
    Remote r;
    QString tokenFile;
    QString caFile;
    int i = 1;
    for (; i < arguments.size(); ++i) {
        const QString a = arguments[i];
        const auto value = [&](const char* name) -> QString {
            const QString prefix = QLatin1String(name) + QLatin1Char('=');
            if (a.startsWith(prefix))
                return a.mid(prefix.size());
            return i + 1 < arguments.size() ? arguments[++i] : QString();
        };
        if (a == QLatin1String("--server") || a.startsWith(QLatin1String("--server=")))
            r.address = value("--server").toStdString();
        else if (a == QLatin1String("--token-file") || a.startsWith(QLatin1String("--token-file=")))
            tokenFile = value("--token-file");
        else if (a == QLatin1String("--tls-ca") || a.startsWith(QLatin1String("--tls-ca=")))
            caFile = value("--tls-ca");
        else
            break;
    }
    const QStringList rest = arguments.mid(i);
    if (r.address.empty() || rest.isEmpty() || rest[0] == QLatin1String("--help") || rest[0] == QLatin1String("-h")) {
        const bool help = !rest.isEmpty() && (rest[0] == QLatin1String("--help") || rest[0] == QLatin1String("-h"));
        QTextStream(help ? stdout : stderr) << remoteUsage();
        return help ? 0 : kExitBadInput;
    }
    if (!tokenFile.isEmpty()) {
        QFile tf(tokenFile);
        if (!tf.open(QIODevice::ReadOnly)) {
            err(QStringLiteral("cannot read the token file %1").arg(tokenFile));
            return kExitBadInput;
        }
        const QString line = QString::fromUtf8(tf.readLine()).trimmed();
        r.token = line.section(QLatin1Char(' '), 0, 0, QString::SectionSkipEmpty).toStdString();
        if (r.token.empty()) {
            err(QStringLiteral("the token file %1 has no token on its first line").arg(tokenFile));
            return kExitBadInput;
        }
    }
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
    if (!caFile.isEmpty()) {
        QFile ca(caFile);
        if (!ca.open(QIODevice::ReadOnly)) {
            err(QStringLiteral("cannot read %1").arg(caFile));
            return kExitBadInput;
        }
        grpc::SslCredentialsOptions ssl;
        ssl.pem_root_certs = ca.readAll().toStdString();
        creds = grpc::SslCredentials(ssl);
    }
    grpc::ChannelArguments channelArgs;
    channelArgs.SetMaxReceiveMessageSize(64 << 20);
    r.stub = v1::ClusterService::NewStub(grpc::CreateCustomChannel(r.address, creds, channelArgs));

    const QString cmd = rest[0];
    if (cmd == QLatin1String("status"))
        return status(r);
    if (cmd == QLatin1String("topology"))
        return topology(r);
    if (cmd == QLatin1String("faults") && rest.size() >= 2 && rest[1] == QLatin1String("list"))
        return faultsList(r);
    if (cmd == QLatin1String("fault") && rest.size() >= 2 && rest[1] == QLatin1String("inject"))
        return faultInject(r, rest.mid(2));
    if (cmd == QLatin1String("fault") && rest.size() == 3 && rest[1] == QLatin1String("clear"))
        return faultClear(r, rest[2]);
    if (cmd == QLatin1String("drill") && rest.size() >= 2 && rest[1] == QLatin1String("run"))
        return drillRun(r, rest.mid(2));
    err(QStringLiteral("unknown remote command '%1'\n").arg(rest.join(QLatin1Char(' '))) + remoteUsage());
    return kExitBadInput;
}

} // namespace livedeck::ctl

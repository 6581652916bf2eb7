// livedeckctl's node commands (`livedeckctl --server HOST:PORT [--token-file F]
// <command>`): status, topology, faults list, fault inject, fault clear, drill run.
// docs/API.md describes the API. Exit codes: 0 ok, 1 the node refused (e.g. a viewer's
// token) or a drill failed, 2 bad input (the node said INVALID_ARGUMENT or NOT_FOUND)
// or the node is unreachable.
#include "app/livedeckctl/cli.h"
#include "app/livedeckctl/parse.h"
#include "app/livedeckctl/remote/node_client.h"
#include "backend/drills/builtin_drills.h"
#include "backend/engine/json_writer.h"
#include "backend/sim/faults.h"
#include "backend/sim/strings.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <thread>

namespace livedeck::ctl {
namespace {

std::string phaseName(v1::DrillPhase p)
{
    switch (p) {
    case v1::DRILL_LOADED: return "loaded";
    case v1::DRILL_RUNNING: return "running";
    case v1::DRILL_PAUSED: return "paused";
    case v1::DRILL_FINISHED: return "finished";
    case v1::DRILL_HALTED: return "halted";
    default: return "-";
    }
}

// Runs `body` with a connected client.
template <class F>
int withNode(const Invocation& inv, F&& body)
{
    NodeClient node;
    int code = 0;
    if (!connectNode(inv, node, code))
        return code;
    return body(node);
}

int status(const Invocation& inv)
{
    return withNode(inv, [](NodeClient& r) {
        v1::GetStatusResponse s;
        if (grpc::Status st = r.stub->GetStatus(r.ctx().get(), {}, &s); !st.ok())
            return reportRpcError("status", st);
        out() << "node      " << r.address << "\n"
              << "run       " << s.run_id() << "\n"
              << "build     " << s.build() << "\n"
              << "role      " << s.role() << "\n"
              << "sim time  " << secondsText(s.sim_time_ns()) << "\n"
              << "events    " << s.events_executed() << "\n"
              << "pacing    " << (s.host().paused() ? "paused" : "running") << ", speed "
              << (s.host().speed() <= 0 ? std::string("max") : numberG(s.host().speed())) << ", measured "
              << fixed(s.host().sim_per_wall(), 2) << " sim-s/s, " << fixed(s.host().events_per_sec(), 0) << " events/s\n";
        if (!s.drill().name().empty())
            out() << "drill     " << s.drill().name() << " (seed " << s.drill().seed() << ", " << phaseName(s.drill().phase())
                  << ", " << secondsText(s.drill().sim_time_ns()) << " of " << secondsText(s.drill().duration_ns()) << ")\n";
        return kExitOk;
    });
}

int topology(const Invocation& inv)
{
    return withNode(inv, [](NodeClient& r) {
        v1::Topology t;
        if (grpc::Status st = r.stub->GetTopology(r.ctx().get(), {}, &t); !st.ok())
            return reportRpcError("topology", st);
        out() << "run " << t.run_id() << "\n\nregions:\n";
        for (const v1::Region& reg : t.regions()) {
            std::vector<std::string> dcs;
            for (const v1::DataCentre& dc : reg.data_centres())
                dcs.push_back(dc.name());
            out() << "  " << reg.name() << " (" << reg.city() << "): " << joinWords(dcs, ", ") << "\n";
        }
        out() << "\nlinks:\n";
        for (const v1::Link& l : t.links())
            out() << "  " << l.a() << " <-> " << l.b() << "  " << numberG(l.latency_ms()) << " ms (jitter "
                  << numberG(l.jitter_ms()) << " ms, loss " << numberG(l.loss()) << ")\n";
        std::map<std::string, int> kinds;
        for (const v1::Component& c : t.components())
            ++kinds[c.kind()];
        out() << "\ncomponents: " << t.components_size() << "\n";
        for (const auto& [kind, n] : kinds)
            out() << "  " << kind << ": " << n << "\n";
        if (t.engines_size() > 0) {
            out() << "\nengines:\n";
            for (const v1::EngineDescriptor& e : t.engines()) {
                std::vector<std::string> actions;
                for (const v1::ActionDescriptor& a : e.actions())
                    actions.push_back(a.name());
                out() << "  " << e.name() << (actions.empty() ? std::string() : "  actions: " + joinWords(actions, ", "))
                      << "\n";
            }
        }
        return kExitOk;
    });
}

int faultsList(const Invocation& inv)
{
    return withNode(inv, [](NodeClient& r) {
        v1::ListFaultsResponse resp;
        if (grpc::Status st = r.stub->ListFaults(r.ctx().get(), {}, &resp); !st.ok())
            return reportRpcError("faults list", st);
        if (resp.faults_size() == 0) {
            out() << "no faults\n";
            return kExitOk;
        }
        const auto row = [](const std::string& id, const std::string& kind, const std::string& target,
                            const std::string& state, const std::string& lease, const std::string& origin) {
            out() << sim::strFormat("%5s  %-12s  %-36s  %-9s  %-8s  %s\n", id.c_str(), kind.c_str(), target.c_str(),
                                    state.c_str(), lease.c_str(), origin.c_str());
        };
        row("id", "kind", "target", "state", "lease", "origin");
        for (const v1::FaultSpec& f : resp.faults()) {
            const std::string lease = f.lease_ms() > 0 ? fixed(static_cast<double>(f.lease_ms()) / 1000.0, 1) + " s" : "-";
            row(std::to_string(f.id()), std::string(sim::FaultRegistry::kindName(f.kind())), f.target(),
                f.active() ? "active" : "scheduled", lease, f.origin());
        }
        return kExitOk;
    });
}

int faultInject(const Invocation& inv)
{
    std::int64_t leaseMs = 0;
    if (inv.has("lease-ms")) {
        std::uint64_t v = 0;
        if (!parseUnsigned(inv.value("lease-ms"), v) || v == 0 || v > (1ULL << 40))
            return inv.usageError("--lease-ms wants a positive integer, got '" + inv.value("lease-ms") + "'");
        leaseMs = static_cast<std::int64_t>(v);
    }
    const bool ttl = inv.has("ttl");
    const std::vector<std::string>& args = inv.args();
    if (args.size() < 2)
        return inv.usageError("expected KIND TARGET [NAME=VALUE ...]; kinds: " + sim::FaultRegistry::vocabulary());
    auto kind = sim::FaultRegistry::parseKind(args[0]);
    if (!kind.ok())
        return inv.fail(std::string(kind.status().message()));
    v1::InjectFaultRequest req;
    req.set_keep_after_disconnect(ttl);
    v1::FaultSpec* f = req.mutable_fault();
    f->set_kind(*kind);
    f->set_target(args[1]);
    f->set_lease_ms(leaseMs);
    for (std::size_t i = 2; i < args.size(); ++i) {
        const std::size_t eq = args[i].find('=');
        if (eq == std::string::npos || eq == 0)
            return inv.usageError("expected NAME=VALUE, got '" + args[i] + "'");
        auto* p = f->add_params();
        p->set_name(args[i].substr(0, eq));
        double v = 0.0;
        if (parseDouble(args[i].substr(eq + 1), v) && std::isfinite(v))
            p->set_value(v);
        else
            p->set_text(args[i].substr(eq + 1));
    }
    return withNode(inv, [&](NodeClient& r) {
        v1::InjectFaultResponse resp;
        if (grpc::Status st = r.stub->InjectFault(r.ctx().get(), req, &resp); !st.ok())
            return reportRpcError("fault inject", st);
        out() << "fault " << resp.fault_id() << " injected"
              << (ttl ? std::string(" (kept until cleared)")
                      : " (lease " + numberG(leaseMs > 0 ? static_cast<double>(leaseMs) / 1000.0 : 60.0)
                            + " s: clears itself unless renewed)")
              << "\n";
        return kExitOk;
    });
}

int faultClear(const Invocation& inv)
{
    std::uint64_t id = 0;
    if (!parseUnsigned(inv.arg(0), id) || id == 0)
        return inv.fail("expected a fault id (see 'faults list'), got '" + inv.arg(0) + "'");
    return withNode(inv, [&](NodeClient& r) {
        v1::ClearFaultRequest req;
        req.set_fault_id(id);
        v1::ClearFaultResponse resp;
        if (grpc::Status st = r.stub->ClearFault(r.ctx().get(), req, &resp); !st.ok())
            return reportRpcError("fault clear", st);
        out() << "fault " << id << " cleared\n";
        return kExitOk;
    });
}

int drillRun(const Invocation& inv)
{
    std::uint64_t seed = 0;
    if (inv.has("seed") && !parseUnsigned(inv.value("seed"), seed))
        return inv.usageError("--seed wants a non-negative integer");
    double speed = -1;
    if (inv.has("speed")) {
        const std::string v = inv.value("speed");
        bool ok = true;
        speed = 0.0;
        if (v != "max")
            ok = parseDouble(v, speed);
        if (!ok || speed < 0 || !std::isfinite(speed))
            return inv.usageError("--speed wants max or a positive number");
    }
    const std::string file = inv.arg(0);
    v1::LoadDrillRequest req;
    std::string text;
    std::string error;
    if (readFile(file, text, error)) {
        req.set_drill_yaml(text);
        req.set_file_name(file);
    } else if (const drills::BuiltinDrill* b = drills::findBuiltinDrill(file)) {
        req.set_drill_yaml(std::string(b->text));
        req.set_file_name(b->fileName);
    } else {
        return inv.fail("'" + file + "' is neither a readable file nor a built-in drill");
    }
    req.set_seed(seed);
    req.set_start(false);
    return withNode(inv, [&](NodeClient& r) {
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
        v1::DrillState d = loaded.drill();
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            v1::GetDrillReportResponse resp;
            if (grpc::Status st = r.stub->GetDrillReport(r.ctx().get(), {}, &resp); !st.ok())
                return reportRpcError("drill run", st);
            d = resp.drill();
            err() << "\r" << d.name() << "  " << secondsText(d.sim_time_ns()) << " / " << secondsText(d.duration_ns()) << "  "
                  << phaseName(d.phase()) << "   " << std::flush;
            if (d.phase() == v1::DRILL_FINISHED || d.phase() == v1::DRILL_HALTED)
                break;
        }
        err() << "\n";
        bool allPassed = true;
        out() << "drill " << d.name() << " seed " << d.seed() << ": " << phaseName(d.phase()) << ", score "
              << fixed(d.score(), 1) << "\n";
        for (const v1::ExpectationStatus& e : d.expectations()) {
            allPassed &= e.passed();
            out() << (e.passed() ? "  PASS  " : "  FAIL  ") << e.name() << "  (observed " << e.observed() << ", expected "
                  << e.expected() << ")\n";
        }
        for (const v1::InvariantStatus& i : d.invariants()) {
            allPassed &= i.passed();
            out() << (i.passed() ? "  PASS  invariant " : "  FAIL  invariant ") << i.name()
                  << (i.detail().empty() ? std::string() : ": " + i.detail()) << "\n";
        }
        return allPassed ? kExitOk : kExitFailed;
    });
}

Command remoteCommand(std::vector<std::string> path, std::string args, std::string summary, int minArgs, int maxArgs,
                      int (*run)(const Invocation&))
{
    Command c;
    c.path = std::move(path);
    c.where = Where::Remote;
    c.args = std::move(args);
    c.summary = std::move(summary);
    c.minArgs = minArgs;
    c.maxArgs = maxArgs;
    c.run = run;
    return c;
}

} // namespace

void registerNodeCommand(CommandRegistry& registry)
{
    Command s = remoteCommand({"status"}, "", "Run, build, your role, simulated time, speed, drill state", 0, 0, status);
    registry.add(std::move(s));
    Command t = remoteCommand({"topology"}, "", "Regions, data centres, links, components and engines", 0, 0, topology);
    registry.add(std::move(t));
    Command l = remoteCommand({"faults", "list"}, "", "Faults scheduled or in force (with wall time left on leases)", 0, 0,
                              faultsList);
    registry.add(std::move(l));

    registry.describeGroup("fault", "Faults on a node: inject one from the vocabulary, clear one by id.\n");
    Command inj = remoteCommand({"fault", "inject"}, "KIND TARGET [NAME=VALUE ...]", "Inject a fault from the vocabulary",
                                0, -1, faultInject);
    inj.description = "Injects a fault from the vocabulary; numeric NAME=VALUE are parameters, others\n"
                      "(peer, key) text. It holds a 60 s lease (or --lease-ms) and clears itself\n"
                      "unless --ttl keeps it.";
    inj.options = {
        {"ttl", 0, "", "Keep the fault after this client goes (no lease)."},
        {"lease-ms", 0, "N", "The lease in wall milliseconds (default 60000)."},
    };
    registry.add(std::move(inj));
    Command clr = remoteCommand({"fault", "clear"}, "ID", "Clear a fault", 1, 1, faultClear);
    registry.add(std::move(clr));

    Command run = remoteCommand({"drill", "run"}, "FILE", "Load a drill on the node, run it and print its verdict", 1, 1,
                                drillRun);
    run.description = "Loads a drill file or built-in drill on the node, runs it and prints its verdict;\n"
                      "exit 0 if everything held, 1 otherwise.";
    run.options = {
        {"seed", 's', "N", "Master seed (default: the file's seed)."},
        {"speed", 0, "max|K", "Simulated seconds per wall second, or max."},
    };
    registry.add(std::move(run));
}

} // namespace livedeck::ctl

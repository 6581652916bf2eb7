// livedeckd: the headless livedeck node. Hosts one world on a WorldHost and serves the
// livedeck.v1 API (backend/rpc) until SIGTERM/SIGINT, then stops cleanly: streams end,
// the server drains, the host stops.
#include "app/common/builtin_engines.h"
#include "app/common/program_allocator.h"
#include "app/common/steady_wall_clock.h"
#include "app/livedeckd/node_options.h"
#include "backend/host/lease_keeper.h"
#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/sim/offload.h"
#include "backend/sim/strings.h"
#include "backend/host/world_host.h"
#include "backend/plugins/plugin_host.h"
#include "backend/rpc/node_server.h"
#include "backend/rpc/prometheus_exporter.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <pthread.h>
#include <sstream>

namespace {

using namespace livedeck;

bool readFile(const std::string& path, std::string& out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream s;
    s << in.rdbuf();
    out = s.str();
    return true;
}

// A run id unique to this node's start, so a client that re-attaches after a restart
// learns that the world restarted even with the same drill and seed (the trace does not
// depend on it).
std::string runIdFor(const drills::DrillSpec& spec, std::uint64_t seed)
{
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>( // wall-clock: unique run ids
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    return sim::strCat(spec.name, "-", seed, "@", ms);
}

int serve(const node::NodeCommandLine& cl)
{
    const std::string drillName = cl.drill.empty() ? drills::defaultBuiltinDrill() : cl.drill;
    if (drillName.empty()) {
        std::cerr << "livedeckd: no built-in drill loads in this build; name one with --drill FILE\n";
        return 2;
    }
    auto spec = drills::resolveDrill(drillName);
    if (!spec.ok()) {
        std::cerr << "livedeckd: " << spec.status().message() << "\n";
        return 2;
    }
    drills::DrillRunOptions runOptions;
    runOptions.seed = cl.seed;
    const bool helperThread = sim::Offload::helperWanted(); // SQL applies and writes beside the world
    runOptions.helperThread = helperThread;
    runOptions.runId = runIdFor(*spec, cl.seed.value_or(spec->seed));
    auto firstRun = drills::DrillRun::create(*spec, runOptions);
    if (!firstRun.ok()) {
        std::cerr << "livedeckd: " << firstRun.status().message() << "\n";
        return 2;
    }
    if (!cl.record.empty()) {
        if (absl::Status st = (*firstRun)->startRecording(cl.record, cl.overwrite); !st.ok()) {
            std::cerr << "livedeckd: " << st.message() << "\n";
            return 2;
        }
    }
    rpc::NodeOptions options;
    options.listen = cl.listen;
    options.insecure = cl.insecure;
    options.healthListen = cl.healthListen;
    if (!cl.tokenFile.empty()) {
        auto tokens = rpc::TokenStore::load(cl.tokenFile);
        if (!tokens.ok()) {
            std::cerr << "livedeckd: " << tokens.status().message() << "\n";
            return 2;
        }
        options.service.tokens = std::move(*tokens);
    }
    if (!cl.tlsCert.empty() && (!readFile(cl.tlsCert, options.tlsCertPem) || !readFile(cl.tlsKey, options.tlsKeyPem))) {
        std::cerr << "livedeckd: cannot read " << cl.tlsCert << " or " << cl.tlsKey << "\n";
        return 2;
    }
    options.service.build = LIVEDECK_BUILD_ID;
    options.service.drillFactory = [helperThread](const std::string& yaml, const std::string& fileName,
                                      std::uint64_t seed) -> absl::StatusOr<std::unique_ptr<host::HostedRun>> {
        auto loaded = drills::loadDrill(yaml, fileName);
        if (!loaded.ok())
            return loaded.status();
        drills::DrillRunOptions o;
        o.helperThread = helperThread;
        if (seed != 0)
            o.seed = seed;
        o.runId = runIdFor(*loaded, seed != 0 ? seed : loaded->seed);
        auto run = drills::DrillRun::create(*loaded, o);
        if (!run.ok())
            return run.status();
        return std::unique_ptr<host::HostedRun>(std::move(*run));
    };
    options.service.defaultLease = std::chrono::milliseconds(cl.leaseMs);
    options.service.heartbeatInterval = std::chrono::milliseconds(cl.heartbeatMs);
    options.service.wallUnixMs = [] { // wall-clock: audit timestamps are calendar time
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    };
    std::mutex auditMutex;
    std::ofstream audit;
    if (!cl.auditLog.empty()) {
        audit.open(cl.auditLog, std::ios::app);
        if (!audit) {
            std::cerr << "livedeckd: cannot open the audit log " << cl.auditLog << "\n";
            return 2;
        }
    }
    options.service.onAudit = [&](const rpc::AuditEntry& e) {
        std::lock_guard lock(auditMutex);
        std::ostream& out = audit.is_open() ? static_cast<std::ostream&>(audit) : std::cerr;
        out << "audit unix_ms=" << e.wallUnixMs << " identity=" << e.identity << " role=" << e.role << " peer=" << e.peer
            << " method=" << e.method << " result=\"" << e.result << "\" command={" << e.command << "}\n";
        out.flush();
    };

    app::SteadyWallClock clock;
    host::HostOptions hostOptions;
    hostOptions.initialSpeed = cl.speed;
    hostOptions.afterRunDestroyed = app::releaseFreedMemory;
    host::WorldHost worldHost(std::move(*firstRun), clock, hostOptions);
    host::LeaseKeeper leases(worldHost, clock);
    worldHost.start();
    leases.start();
    if (!cl.paused)
        worldHost.resume().wait();

    rpc::NodeServer server(worldHost, leases, std::move(options));
    auto port = server.start();
    if (!port.ok()) {
        std::cerr << "livedeckd: " << port.status().message() << "\n";
        leases.stop();
        worldHost.stop();
        return port.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    }
    if (server.healthPort() != 0)
        std::cout << "livedeckd: health checks (grpc.health.v1, plaintext) on "
                  << cl.healthListen.substr(0, cl.healthListen.rfind(':')) << ":" << server.healthPort() << std::endl;
    std::unique_ptr<rpc::PrometheusExporter> exporter;
    if (!cl.metrics.empty()) {
        exporter = std::make_unique<rpc::PrometheusExporter>(worldHost);
        auto mport = exporter->start(cl.metrics);
        if (!mport.ok()) {
            std::cerr << "livedeckd: " << mport.status().message() << "\n";
            server.shutdown();
            leases.stop();
            worldHost.stop();
            return 1;
        }
        std::cout << "livedeckd: metrics on http://" << cl.metrics.substr(0, cl.metrics.rfind(':')) << ":" << *mport
                  << "/metrics" << std::endl;
    }
    const std::string hostPart = cl.listen.substr(0, cl.listen.rfind(':'));
    std::cout << "livedeckd: serving livedeck.v1 on " << hostPart << ":" << *port << " (run "
              << worldHost.status().runId << ", " << (options.service.tokens ? "tokens required" : "no tokens") << ")"
              << std::endl;
    if (!cl.portFile.empty()) {
        std::ofstream pf(cl.portFile + ".tmp");
        pf << *port << "\n";
        pf.close();
        std::rename((cl.portFile + ".tmp").c_str(), cl.portFile.c_str());
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    std::cout << "livedeckd: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", stopping" << std::endl;
    exporter.reset();
    server.shutdown();
    leases.stop();
    worldHost.stop();
    // worldHost's destructor (on return) destroys the run, which closes a recording in
    // progress intact (DrillRun's destructor closes its recorder).
    std::cout << "livedeckd: stopped" << std::endl;
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    // Block the stop signals in every thread (threads inherit the mask), so that only
    // sigwait() in serve() takes them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    // Engine plugins (docs/PLUGINS.md): --plugin-dir DIR, --no-plugins, --list-plugins;
    // the node does not search the user's data directory.
    std::vector<std::string> all(argv, argv + argc);
    livedeck::plugins::PluginHostOptions pluginOptions;
    pluginOptions.useUserDir = false;
    bool listPlugins = false;
    std::string pluginError;
    if (!livedeck::plugins::takePluginArguments(all, pluginOptions, listPlugins, pluginError)) {
        std::cerr << "livedeckd: " << pluginError << "\n" << livedeck::plugins::pluginOptionsHelp();
        return 2;
    }
    std::vector<std::string> args(all.begin() + 1, all.end());
    std::string error;
    auto cl = node::parseNodeCommandLine(args, error);
    if (!cl) {
        std::cerr << "livedeckd: " << error << "\n\n" << node::nodeHelpText();
        return 2;
    }
    if (cl->help) {
        std::cout << node::nodeHelpText() << "\nPlugins:\n" << livedeck::plugins::pluginOptionsHelp();
        return 0;
    }
    if (cl->version) {
        std::cout << "livedeckd " << LIVEDECK_BUILD_ID << "\n";
        return 0;
    }
    livedeck::app::installBuiltinEngines();
    livedeck::plugins::installPlugins(pluginOptions);
    if (listPlugins) {
        std::cout << livedeck::plugins::formatPluginList(livedeck::plugins::processPlugins());
        return 0;
    }
    return serve(*cl);
}

#include "app/livedeckd/node_options.h"

#include <charconv>
#include <cmath>

namespace livedeck::node {
namespace {

bool parseInt(const std::string& text, std::int64_t& out)
{
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && p == end;
}

} // namespace

std::string nodeHelpText()
{
    return "Usage: livedeckd [options]\n"
           "Runs a livedeck world headless and serves the livedeck.v1 gRPC API (docs/API.md).\n"
           "The world runs a drill: the built-in gala drill by default (livedeckctl drill list).\n"
           "\n"
           "Options:\n"
           "  --listen ADDR        address to serve on (default 127.0.0.1:7400; port 0 = any free port).\n"
           "                       Off loopback it needs --token-file, and --tls-cert/--tls-key or --insecure.\n"
           "  --token-file FILE    bearer tokens, one '<token> <viewer|operator> [<name>]' per line\n"
           "  --tls-cert FILE      PEM certificate chain for TLS\n"
           "  --tls-key FILE       PEM private key for TLS\n"
           "  --insecure           accept bearer tokens over plaintext off loopback\n"
           "  --health-listen ADDR also serve the gRPC health service (grpc.health.v1) alone, in\n"
           "                       plaintext and without tokens, on ADDR (for probes, e.g. Kubernetes)\n"
           "  --metrics ADDR       serve Prometheus metrics on ADDR (e.g. 127.0.0.1:9464), path /metrics\n"
           "  --drill FILE|NAME    the drill to host: a drill file or a built-in drill (default gala, or the\n"
           "                       first built-in drill whose engines this build has)\n"
           "  --seed N             seed of the run (default: the drill's own)\n"
           "  --record FILE        record the run to FILE (SQLite; closed intact on SIGTERM)\n"
           "  --overwrite          replace an existing --record file\n"
           "  --speed K|max        simulated seconds per wall second (default 1)\n"
           "  --paused             start paused (a client resumes it)\n"
           "  --lease-ms N         wall-clock lease of remotely injected faults (default 60000)\n"
           "  --heartbeat-ms N     application heartbeat on idle streams (default 1000)\n"
           "  --port-file FILE     write the bound port to FILE once serving\n"
           "  --audit-log FILE     append every command (time, identity, peer, result) to FILE\n"
           "  --version            print the build id\n"
           "  -h, --help           this help\n"
           "\n"
           "Stops cleanly on SIGTERM or SIGINT. Exit codes: 0 stopped, 1 could not serve, 2 bad arguments.\n";
}

std::optional<NodeCommandLine> parseNodeCommandLine(const std::vector<std::string>& args, std::string& error)
{
    NodeCommandLine c;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        std::string value;
        bool hasInline = false;
        if (arg.rfind("--", 0) == 0) {
            if (const std::size_t eq = arg.find('='); eq != std::string::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                hasInline = true;
            }
        }
        const auto takeValue = [&](std::string& out) -> bool {
            if (hasInline) {
                out = value;
            } else if (i + 1 < args.size()) {
                out = args[++i];
            } else {
                error = arg + " needs a value";
                return false;
            }
            if (out.empty()) {
                error = arg + " needs a non-empty value";
                return false;
            }
            return true;
        };
        if (arg == "-h" || arg == "--help") {
            c.help = true;
        } else if (arg == "--version") {
            c.version = true;
        } else if (arg == "--insecure") {
            c.insecure = true;
        } else if (arg == "--paused") {
            c.paused = true;
        } else if (arg == "--overwrite") {
            c.overwrite = true;
        } else if (arg == "--drill") {
            if (!takeValue(c.drill))
                return std::nullopt;
        } else if (arg == "--record") {
            if (!takeValue(c.record))
                return std::nullopt;
        } else if (arg == "--listen") {
            if (!takeValue(c.listen))
                return std::nullopt;
        } else if (arg == "--token-file") {
            if (!takeValue(c.tokenFile))
                return std::nullopt;
        } else if (arg == "--tls-cert") {
            if (!takeValue(c.tlsCert))
                return std::nullopt;
        } else if (arg == "--tls-key") {
            if (!takeValue(c.tlsKey))
                return std::nullopt;
        } else if (arg == "--metrics") {
            if (!takeValue(c.metrics))
                return std::nullopt;
        } else if (arg == "--health-listen") {
            if (!takeValue(c.healthListen))
                return std::nullopt;
        } else if (arg == "--port-file") {
            if (!takeValue(c.portFile))
                return std::nullopt;
        } else if (arg == "--audit-log") {
            if (!takeValue(c.auditLog))
                return std::nullopt;
        } else if (arg == "--seed" || arg == "--lease-ms" || arg == "--heartbeat-ms") {
            std::string text;
            if (!takeValue(text))
                return std::nullopt;
            std::int64_t n = 0;
            if (!parseInt(text, n) || n < 0) {
                error = arg + " wants a non-negative integer, got '" + text + "'";
                return std::nullopt;
            }
            if (arg == "--seed") {
                c.seed = static_cast<std::uint64_t>(n);
            } else if (arg == "--lease-ms") {
                if (n < 100) {
                    error = "--lease-ms must be at least 100";
                    return std::nullopt;
                }
                c.leaseMs = n;
            } else {
                if (n < 10 || n > 60'000) {
                    error = "--heartbeat-ms must be within [10, 60000]";
                    return std::nullopt;
                }
                c.heartbeatMs = n;
            }
        } else if (arg == "--speed") {
            std::string text;
            if (!takeValue(text))
                return std::nullopt;
            if (text == "max") {
                c.speed = 0.0;
            } else {
                char* end = nullptr;
                const double k = std::strtod(text.c_str(), &end);
                if (end != text.c_str() + text.size() || !(k > 0.0) || !std::isfinite(k)) {
                    error = "--speed wants a positive number or 'max', got '" + text + "'";
                    return std::nullopt;
                }
                c.speed = k;
            }
        } else {
            error = "unknown argument '" + args[i] + "'";
            return std::nullopt;
        }
    }
    if (c.tlsCert.empty() != c.tlsKey.empty()) {
        error = "--tls-cert and --tls-key go together";
        return std::nullopt;
    }
    return c;
}

} // namespace livedeck::node

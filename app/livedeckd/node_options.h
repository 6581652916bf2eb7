// livedeckd's command line: parsed into NodeCommandLine, or an error message (exit 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace livedeck::node {

struct NodeCommandLine {
    std::string listen = "127.0.0.1:7400";
    std::string tokenFile;
    std::string tlsCert;
    std::string tlsKey;
    bool insecure = false;
    std::string metrics;          // empty: no Prometheus endpoint
    std::string healthListen;     // empty: health only on --listen
    std::string drill;            // a drill file, or a built-in drill's name; empty: drills::defaultBuiltinDrill()
    std::optional<std::uint64_t> seed; // none: the drill's own seed
    std::string record;           // record the run to this SQLite file
    bool overwrite = false;
    double speed = 1.0;           // <= 0: as fast as possible
    std::int64_t leaseMs = 60'000;
    std::int64_t heartbeatMs = 1'000;
    std::string portFile;         // write the bound port here (scripts, tests)
    std::string auditLog;         // append the audit log here
    bool paused = false;
    bool help = false;
    bool version = false;
};

// Parses argv[1..]; on error returns nullopt and sets `error`.
std::optional<NodeCommandLine> parseNodeCommandLine(const std::vector<std::string>& args, std::string& error);
std::string nodeHelpText();

} // namespace livedeck::node

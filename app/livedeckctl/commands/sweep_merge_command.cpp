// `livedeckctl drill sweep-merge PART.json...`: joins the parts of a sharded sweep
// (`drill sweep --shard I/N --out PART.json`, one per machine or Kubernetes pod) into
// the output of one sweep over the whole range: its verdict lines in seed order, the
// failing seeds and the reproduce line, and its exit code. The parts must be one
// sweep's (same drill text hash, seed range, stop time and verdict mode; shards 0..N-1
// each exactly once, each holding exactly its slice): otherwise exit 2 naming the file.
// The checks and the merge are backend/drills/drill_sweep.h's (docs/DRILLS.md).
#include "app/livedeckctl/cli.h"
#include "backend/drills/drill_sweep.h"

#include <ostream>

namespace livedeck::ctl {
namespace {

int sweepMergeCommand(const Invocation& inv)
{
    std::vector<drills::SweepPart> parts;
    std::vector<std::string> names;
    for (const std::string& file : inv.args()) {
        std::string bytes;
        std::string error;
        if (!readFile(file, bytes, error)) {
            err() << error << '\n';
            return kExitBadInput;
        }
        auto part = drills::parseSweepPart(bytes, file);
        if (!part.ok()) {
            err() << std::string(part.status().message()) << '\n';
            return kExitBadInput;
        }
        parts.push_back(std::move(*part));
        names.push_back(file);
    }
    auto whole = drills::mergeSweepParts(parts, names);
    if (!whole.ok()) {
        err() << std::string(whole.status().message()) << '\n';
        return kExitBadInput;
    }
    if (inv.has("json")) {
        out() << drills::sweepPartJson(*whole);
    } else {
        for (const drills::SweepPartSeed& s : whole->seeds)
            out() << s.line << '\n';
        out() << drills::sweepTail(*whole);
    }
    out().flush();
    return drills::sweepPassed(*whole) ? kExitOk : kExitFailed;
}

} // namespace

void registerSweepMergeCommand(CommandRegistry& registry)
{
    Command merge;
    merge.path = {"drill", "sweep-merge"};
    merge.args = "PART.json...";
    merge.summary = "Join the parts of a sharded sweep into the whole sweep's output";
    merge.description =
        "Reads the parts written by 'drill sweep --shard I/N --out PART.json' and prints what\n"
        "one 'drill sweep' over the whole range prints: a verdict line per seed in seed order,\n"
        "the failing seeds and the command that reproduces the first. Exit 0 if no seed\n"
        "failed, 1 if one did, 2 if the parts are not one sweep's (another drill text, seed\n"
        "range, --until or --invariants-only; a shard missing or given twice).";
    merge.options = {
        {"json", 0, "", "Print the whole sweep as one part (shard 0/1) in JSON instead."},
    };
    merge.minArgs = 1;
    merge.maxArgs = -1;
    merge.run = sweepMergeCommand;
    registry.add(std::move(merge));
}

} // namespace livedeck::ctl

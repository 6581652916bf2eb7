// `livedeckctl drill <subcommand>`: list, validate, run, sweep and verify drills
// (docs/DRILLS.md). Parsing and printing only: the work is done by backend/drills
// (DrillRun, runDrillHeadless, sweepDrill, verifyRecording); `run --action` applies
// operator actions through the host (drill_actions.h).
// Exit codes: 0 all expectations and invariants hold (verify: hashes match); 1 a drill
// failed (a sweep had a failing seed, verify found a mismatch); 2 bad input — usage,
// a drill file that does not load ("file:line:col: message" on stderr), a file that
// cannot be read or written, an operator action the run refused.
#include "app/common/steady_wall_clock.h"
#include "app/livedeckctl/cli.h"
#include "app/livedeckctl/drill_actions.h"
#include "app/livedeckctl/parse.h"
#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/drill_sweep.h"
#include "backend/drills/drill_verify.h"
#include "backend/drills/duration.h"
#include "backend/drills/headless_drill.h"
#include "backend/plugins/sha256.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <ostream>

namespace livedeck::ctl {
namespace {

int inputError(const absl::Status& st)
{
    err() << std::string(st.message()) << '\n';
    return kExitBadInput;
}

// Written beside, then renamed into place: a reader (sweep-merge on a shared volume)
// never sees half a part.
absl::Status writeSweepPart(const std::string& path, const drills::SweepPart& part)
{
    const std::string partial = path + ".partial";
    std::string error;
    if (!writeFile(partial, drills::sweepPartJson(part), error))
        return absl::InvalidArgumentError(error);
    std::error_code ec;
    std::filesystem::rename(partial, path, ec);
    if (ec)
        return absl::InvalidArgumentError(path + ": cannot be written (" + ec.message() + ")");
    return absl::OkStatus();
}

int listCommand(const Invocation&)
{
    std::size_t width = 4;
    for (const drills::BuiltinDrill& d : drills::builtinDrills())
        width = std::max(width, d.name.size());
    for (const drills::BuiltinDrill& d : drills::builtinDrills()) {
        std::string line = d.name + std::string(width + 2 - d.name.size(), ' ');
        if (!d.error.empty())
            line += "(does not load: " + d.error + ")";
        else
            line += d.description;
        if (!d.sabotageOf.empty())
            line += "  [sabotage twin of " + d.sabotageOf + ": must fail]";
        out() << line << '\n';
    }
    return kExitOk;
}

int validateCommand(const Invocation& inv)
{
    auto spec = drills::resolveDrill(inv.arg(0));
    if (!spec.ok())
        return inputError(spec.status());
    // Build the world too: fault targets and component filters are checked there.
    auto run = drills::DrillRun::create(*spec);
    if (!run.ok())
        return inputError(run.status());
    out() << spec->fileName << ": ok: drill " << spec->name << ", " << numberG(sim::toSeconds(spec->duration)) << " s, "
          << spec->engines.size() << " engine(s), " << spec->load.size() << " load phase(s), " << spec->faults.size()
          << " fault(s), " << spec->randomFaults.size() << " random fault set(s), " << spec->halts.size()
          << " halt condition(s), " << spec->expectations.size() << " expectation(s)\n";
    return kExitOk;
}

int runCommand(const Invocation& inv)
{
    drills::DrillRunOptions options;
    if (inv.has("seed")) {
        std::uint64_t seed = 0;
        if (!parseUnsigned(inv.value("seed"), seed))
            return inv.usageError("--seed wants a non-negative integer, got '" + inv.value("seed") + "'");
        options.seed = seed;
    }
    double speed = 0.0;
    if (const std::string s = inv.value("speed", "max"); s != "max") {
        if (!parseDouble(s, speed) || !(speed > 0.0) || !std::isfinite(speed))
            return inv.usageError("--speed wants a factor > 0 or max, got '" + s + "'");
    }
    if (inv.has("until") && !parseSimTime(inv.value("until"), options.stopAt))
        return inv.usageError("--until wants a simulated time such as 30s, 2m or 90 (seconds), got '" + inv.value("until") + "'");
    options.helperThread = inv.has("helper-thread");
    std::vector<ScheduledAction> actions;
    for (const std::string& text : inv.values("action")) {
        ScheduledAction a;
        std::string error;
        if (!parseActionSpec(text, a, error))
            return inv.usageError(error);
        actions.push_back(std::move(a));
    }

    auto spec = drills::resolveDrill(inv.arg(0));
    if (!spec.ok())
        return inputError(spec.status());
    auto run = drills::DrillRun::create(*spec, options);
    if (!run.ok())
        return inputError(run.status());
    if (absl::Status st = checkActions(**run, actions); !st.ok())
        return inv.usageError(std::string(st.message()));
    const std::string record = inv.value("record");
    if (inv.has("record")) {
        if (absl::Status st = (*run)->startRecording(record, inv.has("overwrite")); !st.ok())
            return inputError(st);
    }

    err() << "drill " << spec->name << ": seed " << (*run)->seed() << ", " << numberG(sim::toSeconds((*run)->stopTime()))
          << " s simulated, speed " << (speed > 0 ? numberG(speed) : std::string("max")) << std::endl;
    drills::DrillProgressSink progress;
    if (!inv.has("quiet"))
        progress = [](const std::string& line) { err() << line << std::endl; };
    app::SteadyWallClock clock;
    drills::HeadlessDrillOptions ho;
    ho.speed = speed;
    drills::HeadlessDrillResult result;
    if (actions.empty()) {
        result = drills::runDrillHeadless(std::move(*run), clock, ho, progress);
    } else {
        ActionLog log;
        result = runDrillWithActions(std::move(*run), clock, ho, std::move(actions), log, progress);
        for (const std::string& line : log.lines)
            err() << "action at " << line << std::endl;
        if (!log.status.ok())
            return inputError(log.status);
    }

    out() << result.report.summary();
    out().flush();
    if (!result.recording.ok())
        return inputError(result.recording);
    if (inv.has("record"))
        err() << "recorded to " << record << std::endl;
    if (inv.has("report")) {
        std::string error;
        if (!writeFile(inv.value("report"), result.report.toJson(true) + "\n", error)) {
            err() << error << std::endl;
            return kExitBadInput;
        }
    }
    return result.report.passed() ? kExitOk : kExitFailed;
}

int sweepCommand(const Invocation& inv)
{
    if (!inv.has("seeds"))
        return inv.usageError("--seeds A..B is required");
    auto range = drills::parseSeedRange(inv.value("seeds"));
    if (!range.ok())
        return inv.usageError(std::string(range.status().message()));
    drills::SweepOptions options;
    options.firstSeed = range->first;
    options.lastSeed = range->second;
    options.invariantsOnly = inv.has("invariants-only");
    if (inv.has("until") && !parseSimTime(inv.value("until"), options.stopAt))
        return inv.usageError("--until wants a simulated time such as 30s, 2m or 90 (seconds), got '" + inv.value("until") + "'");
    if (inv.has("jobs")) {
        std::uint64_t jobs = 0;
        if (!parseUnsigned(inv.value("jobs"), jobs) || jobs < 1 || jobs > 256)
            return inv.usageError("--jobs wants a number of threads in 1..256, got '" + inv.value("jobs") + "'");
        options.jobs = static_cast<int>(jobs);
    }
    if (inv.has("shard")) {
        auto shard = drills::parseShard(inv.value("shard"));
        if (!shard.ok())
            return inv.usageError(std::string(shard.status().message()));
        if (!inv.has("out"))
            return inv.usageError("--shard needs --out PART.json (drill sweep-merge joins the parts)");
        options.shard = *shard;
    }
    options.swarm = inv.has("swarm");
    for (const char* swarmOnly : {"shrink-dir", "no-shrink", "max-shrink", "require-coverage"}) {
        if (inv.has(swarmOnly) && !options.swarm)
            return inv.usageError(std::string("--") + swarmOnly + " goes with --swarm");
    }
    std::uint64_t maxShrink = 3;
    if (inv.has("max-shrink") && (!parseUnsigned(inv.value("max-shrink"), maxShrink) || maxShrink > 1000))
        return inv.usageError("--max-shrink wants a number of seeds in 0..1000, got '" + inv.value("max-shrink") + "'");
    const std::string file = inv.arg(0);
    auto spec = drills::resolveDrill(file);
    if (!spec.ok())
        return inputError(spec.status());
    auto result = drills::sweepDrill(*spec, options, [&](const drills::SweepSeed& s) {
        out() << drills::sweepLine(s, options.invariantsOnly || options.swarm) << std::endl;
    });
    if (!result.ok())
        return inputError(result.status());
    const drills::SweepPart part = drills::makeSweepPart(*spec, file, plugins::sha256Hex(spec->text), inv.value("until"),
                                                         options, *result);
    if (inv.has("out")) {
        if (absl::Status st = writeSweepPart(inv.value("out"), part); !st.ok())
            return inputError(st);
    }
    if (inv.has("shard")) {
        // A shard's verdict is the merge's: exit 0 once its part is written.
        out() << "shard " << options.shard.index << '/' << options.shard.count << ": " << part.seeds.size()
              << " seed(s), " << result->failingSeeds.size() << " failed; part written to " << inv.value("out") << std::endl;
        return kExitOk;
    }
    out() << drills::sweepTail(part);
    if (!options.swarm) {
        out().flush();
        return result->failingSeeds.empty() ? kExitOk : kExitFailed;
    }
    const drills::SwarmCoverage coverage = drills::swarmCoverage(*result);
    out() << drills::swarmCoverageText(coverage);
    out().flush();
    int exit = result->failingSeeds.empty() ? kExitOk : kExitFailed;
    if (inv.has("require-coverage") && coverage.uncovered() > 0) {
        out() << "--require-coverage: " << coverage.uncovered() << " pair(s) never drawn" << std::endl;
        exit = kExitFailed;
    }
    if (inv.has("no-shrink"))
        return exit;
    const std::string dir = inv.has("shrink-dir") ? inv.value("shrink-dir") : std::string(".");
    std::uint64_t shrunkSeeds = 0;
    for (const drills::SweepSeed& s : result->seeds) {
        if (s.passed)
            continue;
        if (shrunkSeeds++ >= maxShrink) {
            out() << "seed " << s.seed << ": not shrunk (--max-shrink " << maxShrink << ")" << std::endl;
            continue;
        }
        auto shrunk = drills::shrinkSwarmSeed(*spec, s, options.stopAt);
        if (!shrunk.ok()) {
            out() << "seed " << s.seed << ": not shrunk: " << shrunk.status().message() << std::endl;
            continue;
        }
        std::string faults;
        for (const drills::DrawnFault& f : shrunk->faults)
            faults += std::string(faults.empty() ? "" : "; ") + std::string(sim::FaultRegistry::kindName(f.spec.kind())) +
                " " + f.spec.target() + " " + drills::formatDuration(f.spec.start_ns()) + ".." + drills::formatDuration(f.spec.end_ns());
        const std::string path =
            (std::filesystem::path(dir) / (spec->name + "-swarm-" + std::to_string(s.seed) + ".yaml")).string();
        std::string error;
        if (!writeFile(path, drills::swarmReproducer(*spec, *shrunk, file, inv.value("until")), error)) {
            err() << error << '\n';
            return kExitBadInput;
        }
        out() << "seed " << s.seed << " shrunk from " << shrunk->drawn.size() << " to " << shrunk->faults.size()
              << " fault(s) breaking " << shrunk->invariant << " (" << shrunk->runs << " runs): "
              << (faults.empty() ? std::string("none") : faults) << "\n  reproducer: " << path
              << "  (livedeckctl drill run " << path << ")" << std::endl;
    }
    return exit;
}

int verifyCommand(const Invocation& inv)
{
    auto result = drills::verifyRecording(inv.arg(0));
    if (!result.ok())
        return inputError(result.status());
    out() << result->summary();
    return result->match ? kExitOk : kExitFailed;
}

} // namespace

void registerDrillCommand(CommandRegistry& registry)
{
    registry.describeGroup(
        "drill",
        "Failure drills: a drill file (YAML, docs/DRILLS.md) describes load, faults on a\n"
        "timeline and what must hold; a drill runs headless, is scored, recorded and replayed.\n"
        "FILE is a path to a drill file or the name of a built-in drill (see 'drill list').\n",
        "Exit codes: 0 everything held, 1 an expectation or invariant failed (sweep: a seed\n"
        "failed; verify: a mismatch), 2 bad input (usage, a drill file with an error).\n");

    Command list;
    list.path = {"drill", "list"};
    list.summary = "The built-in drills with one-line descriptions";
    list.run = listCommand;
    registry.add(std::move(list));

    Command validate;
    validate.path = {"drill", "validate"};
    validate.args = "FILE";
    validate.summary = "Check a drill file (syntax, fault vocabulary, targets)";
    validate.description = "Loads the drill and builds its world without running it: syntax, the fault\n"
                           "vocabulary, engines, fault targets and component filters are checked.\n"
                           "Errors name file:line:col (exit 2).";
    validate.minArgs = validate.maxArgs = 1;
    validate.run = validateCommand;
    registry.add(std::move(validate));

    Command run;
    run.path = {"drill", "run"};
    run.args = "FILE";
    run.summary = "Run a drill: progress on stderr, a summary on stdout";
    run.description =
        "Runs the drill headless on this machine: progress about once per wall second on\n"
        "stderr, the verdicts (expectations, invariants, score, trace hash) on stdout.\n"
        "--action AT:NAME:TARGET[:VALUE] applies an operator action its engines declare\n"
        "(e.g. 10s:drain-region:sh-a, 25s:restore:sh-a, 5s:shed-load:*:500) when the run\n"
        "reaches simulated time AT, as a recorded world command (a recording replays it).\n"
        "Exit 0 if everything held, 1 if an expectation or invariant failed, 2 on bad input\n"
        "(including an action the run refused: an unknown region, a value out of range).";
    run.options = {
        {"seed", 's', "N", "Master seed (default: the file's seed)."},
        {"speed", 0, "max|K", "Simulated seconds per wall second, or max (default max)."},
        {"until", 0, "T", "Stop at this simulated time (30s, 2m; default: the drill's duration)."},
        {"record", 0, "OUT.sqlite", "Record the run (with the drill text and seed) to a SQLite file."},
        {"overwrite", 0, "", "Replace an existing recording file."},
        {"report", 0, "OUT.json", "Write the JSON report to this file."},
        {"action", 0, "AT:NAME:TARGET[:VALUE]", "Apply an operator action at simulated time AT.", true},
        {"helper-thread", 0, "",
         "Run the SQL replicas' applies and primaries' writes on a second thread: the same trace, faster with a spare core."},
        {"quiet", 'q', "", "No progress lines."},
    };
    run.minArgs = run.maxArgs = 1;
    run.run = runCommand;
    registry.add(std::move(run));

    Command sweep;
    sweep.path = {"drill", "sweep"};
    sweep.args = "FILE";
    sweep.summary = "Run the drill once per seed of a range; a verdict line per seed";
    sweep.description = "Runs the drill once per seed of --seeds A..B and prints a verdict line per seed,\n"
                        "then the failing seeds and the command that reproduces the first. Exit 1 if a\n"
                        "seed failed. --shard I/N --out PART.json runs one slice of the range on this\n"
                        "machine and writes its part (exit 0 once written); 'drill sweep-merge' joins the\n"
                        "parts into the whole sweep's output and verdict (docs/DRILLS.md).\n"
                        "--swarm draws each seed's faults over the engines' fault surfaces (every kind,\n"
                        "every target, within their fault budgets; the file's own faults are left out),\n"
                        "checks every invariant, prints how often each (kind, target) pair was drawn, and\n"
                        "shrinks each failing seed to its smallest failing fault set, written as a drill\n"
                        "file that reproduces it (docs/DRILLS.md, \"Swarm testing\").";
    sweep.options = {
        {"seeds", 0, "A..B", "Seed range, inclusive (e.g. 1..200)."},
        {"until", 0, "T", "Stop each run at this simulated time."},
        {"invariants-only", 0, "", "A seed fails only when an invariant breaks (not an expectation)."},
        {"jobs", 'j', "N", "Run seeds in parallel on N threads (default 1); the output does not depend on it."},
        {"shard", 0, "I/N", "Run only slice I of N: the seeds whose index in the range is I modulo N."},
        {"out", 0, "PART.json", "Write the sweep's part (verdicts, shard, drill hash, range) for 'drill sweep-merge'."},
        {"swarm", 0, "", "Swarm testing: each seed draws its own faults over every engine's fault surface,\n"
                         "within the engines' fault budgets; a seed fails when any invariant breaks."},
        {"shrink-dir", 0, "DIR", "Swarm: write each shrunk failing seed's reproducer drill here (default .)."},
        {"no-shrink", 0, "", "Swarm: do not shrink failing seeds."},
        {"max-shrink", 0, "N", "Swarm: shrink at most the first N failing seeds (default 3)."},
        {"require-coverage", 0, "", "Swarm: exit 1 when a (fault kind, target) pair was never drawn."},
    };
    sweep.minArgs = sweep.maxArgs = 1;
    sweep.run = sweepCommand;
    registry.add(std::move(sweep));

    Command verify;
    verify.path = {"drill", "verify"};
    verify.args = "REC.sqlite";
    verify.summary = "Re-simulate a recording and compare trace hashes";
    verify.description = "Re-runs the recorded drill with its seed and recorded commands and compares the\n"
                         "trace hash and state digest with the recording's. Exit 1 on a mismatch.";
    verify.minArgs = verify.maxArgs = 1;
    verify.run = verifyCommand;
    registry.add(std::move(verify));
}

} // namespace livedeck::ctl

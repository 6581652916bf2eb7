// `livedeckctl figures [--engine E] [--quick] [--jobs N] [--json]`: measures the
// figures the engines declare (backend/drills/figures.h, docs/DRILLS.md "Figures") and
// prints each with its values, measured and write-up ratio, check and verdict.
// Exit codes: 0 every figure passed, 1 one failed (or could not be measured), 2 bad usage.
#include "app/livedeckctl/cli.h"
#include "app/livedeckctl/parse.h"
#include "backend/drills/figures.h"

#include <algorithm>
#include <ostream>
#include <thread>

namespace livedeck::ctl {
namespace {

int figures(const Invocation& inv)
{
    drills::FigureRunOptions options;
    options.engine = inv.value("engine");
    options.quick = inv.has("quick");
    // Both cores by default: each run is deterministic, so the job count changes nothing
    // but the wall time.
    options.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (inv.has("jobs")) {
        std::uint64_t jobs = 0;
        if (!parseUnsigned(inv.value("jobs"), jobs) || jobs < 1 || jobs > 256)
            return inv.usageError("--jobs wants a number of threads in 1..256, got '" + inv.value("jobs") + "'");
        options.jobs = static_cast<int>(jobs);
    }
    auto results = drills::runFigures(options);
    if (!results.ok())
        return inv.usageError(std::string(results.status().message()));
    out() << (inv.has("json") ? drills::figuresJson(*results) : drills::figuresText(*results));
    if (inv.has("markdown")) {
        std::string command = "livedeckctl figures";
        if (!options.engine.empty())
            command += " --engine " + options.engine;
        if (options.quick)
            command += " --quick";
        command += " --markdown " + inv.value("markdown");
        std::string error;
        if (!writeFile(inv.value("markdown"), drills::figuresMarkdown(*results, command, options.quick), error))
            return inv.fail(error);
    }
    bool allPass = true;
    for (const drills::FigureResult& r : *results)
        allPass = allPass && r.pass;
    return allPass ? kExitOk : kExitFailed;
}

} // namespace

void registerFiguresCommand(CommandRegistry& registry)
{
    Command c;
    c.path = {"figures"};
    c.summary = "Measure the write-ups' figures the engines declare and check them";
    c.description =
        "Runs the drills behind each figure the engines declare (each at its own seed, on\n"
        "its own world), reads the values from the runs' telemetry and applies the figure's\n"
        "check: a ratio b/a within bounds, a bound on a, or a direction (b better than a).\n"
        "Prints id, description, values, measured and write-up ratio, check and verdict;\n"
        "--json prints one object per figure (id, value_a, value_b, ratio, check, pass, ...).\n"
        "The output does not depend on --jobs. Exit 0 when every figure passes, 1 otherwise.";
    c.options = {
        {"engine", 0, "E", "Only this engine's figures."},
        {"quick", 0, "", "The quick variants (each run <= 30 s of wall time), for test suites."},
        {"jobs", 'j', "N", "Runs in parallel on N threads (default: one per core)."},
        {"markdown", 0, "OUT.md", "Also write the report as Markdown (docs/FIGURES.md): a table, then each figure with the commands that reproduce it."},
        {"json", 0, "", "One JSON object per figure, in an array."},
    };
    c.run = figures;
    registry.add(std::move(c));
}

} // namespace livedeck::ctl

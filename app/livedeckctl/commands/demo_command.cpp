// `livedeckctl demo`: runs the synthetic world (host::SyntheticRun) headless in a
// WorldHost on the steady wall clock; progress about once per wall second on stderr,
// a readable summary on stdout (events, simulated and wall seconds, trace hash, state
// digest). Same seed ⇒ same trace hash and digest, at any speed.
// Defaults: seed 1, 60 s of simulated time, as fast as possible.
#include "app/common/steady_wall_clock.h"
#include "app/livedeckctl/cli.h"
#include "app/livedeckctl/parse.h"
#include "backend/host/headless_runner.h"
#include "backend/host/synthetic_run.h"

#include <cmath>
#include <ostream>

namespace livedeck::ctl {
namespace {

constexpr double kDefaultDurationS = 60.0;

int runDemo(const Invocation& inv)
{
    std::uint64_t seed = 1;
    if (inv.has("seed") && !parseUnsigned(inv.value("seed"), seed))
        return inv.usageError("--seed wants a non-negative integer, got '" + inv.value("seed") + "'");
    double duration = kDefaultDurationS;
    if (inv.has("duration")
        && (!parseDouble(inv.value("duration"), duration) || !(duration > 0.0) || !std::isfinite(duration) || duration > 1e6))
        return inv.usageError("--duration wants simulated seconds in (0, 1e6], got '" + inv.value("duration") + "'");
    double speed = 0.0;
    if (const std::string s = inv.value("speed", "max"); s != "max") {
        if (!parseDouble(s, speed) || !(speed > 0.0) || !std::isfinite(speed))
            return inv.usageError("--speed wants a factor > 0 (e.g. 10 for ×10) or 'max', got '" + s + "'");
    }

    host::SyntheticRunConfig config;
    config.seed = seed;
    config.duration = sim::fromSeconds(duration);
    config.runId = sim::strCat("demo-", seed);
    auto run = std::make_unique<host::SyntheticRun>(config);

    app::SteadyWallClock clock;
    host::HeadlessOptions options;
    options.speed = speed;
    options.progressHz = 1.0;
    host::HeadlessRunner runner(clock, options);

    err() << "demo: seed " << seed << ", " << numberG(duration) << " s simulated, speed "
          << host::HeadlessRunner::formatSpeed(speed) << std::endl;
    host::HeadlessRunner::ProgressSink progress;
    if (!inv.has("quiet"))
        progress = [](const std::string& line) { err() << line << std::endl; };
    const host::HeadlessResult result = runner.run(std::move(run), progress);
    out() << host::HeadlessRunner::formatSummary(result);
    return result.finished ? kExitOk : kExitFailed;
}

} // namespace

void registerDemoCommand(CommandRegistry& registry)
{
    Command c;
    c.path = {"demo"};
    c.summary = "Run the synthetic demo world headless and print progress and a summary";
    c.description =
        "Runs the synthetic demo world headless: services in every region exchange messages\n"
        "while random faults come and go. Prints progress about once per wall second on\n"
        "stderr and a summary on stdout. The same seed gives the same trace hash at any speed.";
    c.options = {
        {"seed", 's', "N", "Master seed of the world (default 1)."},
        {"duration", 'd', "SECONDS", "Simulated seconds to run (default 60)."},
        {"speed", 0, "K|max", "Simulated seconds per wall second, or 'max' for as fast as possible (default max)."},
        {"quiet", 'q', "", "No progress lines, only the summary."},
    };
    c.run = runDemo;
    registry.add(std::move(c));
}

} // namespace livedeck::ctl

// `livedeckctl drill compare A.sqlite B.sqlite [--metrics PATTERN] [--from T] [--to T]
// [--json] [--no-locate]`: per recorded series, A and B (mean, p50, p99 over the run or
// a window) and the ratio B/A; when both ran the same drill text, where their traces
// part — to the second from the recorded snapshots, then to the event by re-simulating
// both (backend/drills/drill_compare.h, docs/DRILLS.md "Comparing runs").
// Exit codes: 0 the traces are identical or were not comparable (different drills);
// 1 they diverge; 2 bad usage or a file that is not a recording.
#include "app/livedeckctl/cli.h"
#include "app/livedeckctl/parse.h"
#include "backend/drills/drill_compare.h"

#include <ostream>

namespace livedeck::ctl {
namespace {

bool parseWindowEdge(const std::string& text, sim::Nanos& out)
{
    if (text == "0") {
        out = 0;
        return true;
    }
    return parseSimTime(text, out);
}

int compare(const Invocation& inv)
{
    drills::CompareOptions options;
    options.metrics = inv.value("metrics");
    options.locateEvent = !inv.has("no-locate");
    if (inv.has("from") && !parseWindowEdge(inv.value("from"), options.from))
        return inv.usageError("--from wants a simulated time (30s, 2m, 90), got '" + inv.value("from") + "'");
    if (inv.has("to") && !parseWindowEdge(inv.value("to"), options.to))
        return inv.usageError("--to wants a simulated time (30s, 2m, 90), got '" + inv.value("to") + "'");
    if (options.to < options.from)
        return inv.usageError("--to is before --from");
    auto result = drills::compareRecordings(inv.arg(0), inv.arg(1), options);
    if (!result.ok()) {
        err() << std::string(result.status().message()) << '\n';
        return kExitBadInput;
    }
    out() << (inv.has("json") ? result->json() : result->text());
    return result->divergence.diverged ? kExitFailed : kExitOk;
}

} // namespace

void registerCompareCommand(CommandRegistry& registry)
{
    Command c;
    c.path = {"drill", "compare"};
    c.args = "A.sqlite B.sqlite";
    c.summary = "Compare two recordings: every series side by side, and where the traces part";
    c.description =
        "Prints, per recorded series, A's and B's mean, p50 and p99 over the run (or the\n"
        "window --from..--to) and the ratio of the means B/A. When both recordings ran the\n"
        "same drill text (the same drill at two seeds, or one seed twice), it also finds\n"
        "where their traces part: the first recorded second whose running trace hashes\n"
        "differ, then — re-simulating both runs up to it — the first differing event.\n"
        "Exit 0 when the traces are identical (or not comparable), 1 when they diverge,\n"
        "2 on bad input.";
    c.options = {
        {"metrics", 'm', "PATTERN", "Only series whose name matches (glob, e.g. 'gifts.*'; without * ? [ a substring)."},
        {"from", 0, "T", "Window start in simulated time (default 0)."},
        {"to", 0, "T", "Window end in simulated time (default: the end)."},
        {"json", 0, "", "One JSON object: both sides, the series and the divergence."},
        {"no-locate", 0, "", "Find the divergent second only; do not re-simulate to the event."},
    };
    c.minArgs = c.maxArgs = 2;
    c.run = compare;
    registry.add(std::move(c));
}

} // namespace livedeck::ctl

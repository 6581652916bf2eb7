#include "backend/drills/drill_report.h"

#include "backend/drills/duration.h"
#include "backend/drills/json_writer.h"
#include "backend/sim/strings.h"

namespace livedeck::drills {
namespace {

double seconds(sim::Nanos t)
{
    return sim::toSeconds(t);
}

std::string secondsText(sim::Nanos t)
{
    return sim::strCat(numberText(sim::toSeconds(t), 6), "s");
}

} // namespace

std::string hashText(std::uint64_t hash)
{
    return sim::strFormat("0x%016llx", static_cast<unsigned long long>(hash));
}

bool DrillReport::expectationsPassed() const
{
    for (const ExpectationResult& e : expectations) {
        if (!e.passed)
            return false;
    }
    return true;
}

bool DrillReport::invariantsPassed() const
{
    for (const InvariantResult& i : invariants) {
        if (!i.passed)
            return false;
    }
    return true;
}

std::string DrillReport::toJson(bool includeWall) const
{
    JsonWriter w;
    w.beginObject();
    w.key("drill").value(drill);
    w.key("description").value(description);
    w.key("sabotage_of").value(sabotageOf);
    w.key("seed").value(seed);
    w.key("build").value(build);
    if (!plugins.empty()) {
        w.key("plugins").beginArray();
        for (const Plugin& p : plugins) {
            w.beginObject();
            w.key("id").value(p.id);
            w.key("version").value(p.version);
            w.key("file_sha256").value(p.fileSha256);
            w.endObject();
        }
        w.endArray();
    }
    w.key("sim_seconds").value(seconds(simNs));
    w.key("duration_seconds").value(seconds(durationNs));
    if (includeWall) {
        w.key("wall_seconds").value(seconds(wallNs));
        w.key("speedup").value(wallNs > 0 ? seconds(simNs) / seconds(wallNs) : 0.0);
    }
    w.key("events").value(events);
    w.key("trace_hash").value(hashText(traceHash));
    w.key("state_digest").value(hashText(stateDigest));
    w.key("calendar_start").value(calendarStart);
    w.key("passed").value(passed());
    w.key("score").value(score);
    w.key("halted").value(halted);
    w.key("halt_reason").value(haltReason);
    w.key("stopped_early").value(stoppedEarly);
    w.key("expectations").beginArray();
    for (const ExpectationResult& e : expectations) {
        w.beginObject();
        w.key("name").value(e.name);
        w.key("kind").value(e.kind);
        w.key("passed").value(e.passed);
        w.key("observed");
        if (e.observed)
            w.value(*e.observed);
        else
            w.null();
        w.key("observed_text").value(e.observedText);
        w.key("expected").value(e.expected);
        w.key("weight").value(e.weight);
        w.endObject();
    }
    w.endArray();
    w.key("invariants").beginArray();
    for (const InvariantResult& i : invariants) {
        w.beginObject();
        w.key("name").value(i.name);
        w.key("passed").value(i.passed);
        w.key("detail").value(i.detail);
        w.key("failed_at_s");
        if (i.failedAt >= 0)
            w.value(seconds(i.failedAt));
        else
            w.null();
        w.key("weight").value(i.weight);
        w.endObject();
    }
    w.endArray();
    w.key("faults_applied").beginArray();
    for (const FaultRecord& f : faults) {
        w.beginObject();
        w.key("name").value(f.name);
        w.key("origin").value(f.origin);
        w.key("kind").value(f.kind);
        w.key("target").value(f.target);
        w.key("params").value(f.params);
        w.key("start_s").value(seconds(f.start));
        w.key("end_s");
        if (f.end >= 0)
            w.value(seconds(f.end));
        else
            w.null();
        w.key("started_s");
        if (f.startedAt >= 0)
            w.value(seconds(f.startedAt));
        else
            w.null();
        w.key("ended_s");
        if (f.endedAt >= 0)
            w.value(seconds(f.endedAt));
        else
            w.null();
        w.key("error").value(f.error);
        w.endObject();
    }
    w.endArray();
    w.endObject();
    return w.text();
}

std::string DrillReport::failures(bool invariantsOnly) const
{
    std::string s;
    if (!invariantsOnly) {
        for (const ExpectationResult& e : expectations) {
            if (!e.passed)
                s += sim::strCat(s.empty() ? "" : "; ", "expectation '", e.name, "' (", e.observedText, ")");
        }
    }
    for (const InvariantResult& i : invariants) {
        if (!i.passed)
            s += sim::strCat(s.empty() ? "" : "; ", "invariant '", i.name, "' (", i.detail, ")");
    }
    return s;
}

std::string DrillReport::verdictLine(bool invariantsOnly) const
{
    const bool ok = invariantsOnly ? invariantsPassed() : passed();
    std::string s = sim::strCat(ok ? "PASS" : "FAIL", "  score ", fixedText(score, 1), "  trace ",
                                hashText(traceHash), "  events ", events, "  sim ", secondsText(simNs));
    if (halted)
        s += "  halted";
    if (!ok)
        s += sim::strCat("  failed: ", failures(invariantsOnly));
    return s;
}

std::string DrillReport::summary() const
{
    std::string s;
    s += sim::strCat("drill        ", drill, " (seed ", seed, ")", sabotageOf.empty() ? "" : "  [sabotage twin of ",
                     sabotageOf, sabotageOf.empty() ? "" : "]", "\n");
    if (!description.empty())
        s += sim::strCat("             ", description.substr(0, description.find('\n')), "\n");
    s += sim::strCat("simulated    ", secondsText(simNs), " of ", secondsText(durationNs), " from ", calendarStart,
                     halted ? "  HALTED: " : "", halted ? haltReason : "", stoppedEarly ? "  (stopped early)" : "", "\n");
    if (wallNs > 0) {
        s += sim::strCat("wall         ", secondsText(wallNs), "  (x", numberText(seconds(simNs) / seconds(wallNs), 3),
                         " real time)\n");
    }
    s += sim::strCat("events       ", events, "\n");
    s += sim::strCat("trace hash   ", hashText(traceHash), "\n");
    s += sim::strCat("state digest ", hashText(stateDigest), "\n");
    for (const Plugin& p : plugins)
        s += sim::strCat("plugin       ", p.id, " ", p.version, "  sha256 ", p.fileSha256, "\n");
    if (!faults.empty()) {
        int applied = 0;
        for (const FaultRecord& f : faults)
            applied += f.startedAt >= 0 ? 1 : 0;
        s += sim::strCat("faults       ", applied, " of ", faults.size(), " started\n");
    }
    s += "expectations\n";
    if (expectations.empty())
        s += "  (none)\n";
    for (const ExpectationResult& e : expectations) {
        s += sim::strCat("  ", e.passed ? "PASS" : "FAIL", "  ", e.name, "  [weight ", numberText(e.weight), "]\n");
        s += sim::strCat("        expected ", e.expected, "\n");
        s += sim::strCat("        observed ", e.observedText, "\n");
    }
    s += "invariants\n";
    if (invariants.empty())
        s += "  (none)\n";
    for (const InvariantResult& i : invariants) {
        s += sim::strCat("  ", i.passed ? "PASS" : "FAIL", "  ", i.name, "  ", i.detail,
                         i.failedAt >= 0 ? sim::strCat(" (first failed at ", secondsText(i.failedAt), ")") : std::string(), "\n");
    }
    s += sim::strCat("score        ", fixedText(score, 1), " / 100\n");
    s += sim::strCat("verdict      ", passed() ? "PASS" : "FAIL", "\n");
    return s;
}

} // namespace livedeck::drills

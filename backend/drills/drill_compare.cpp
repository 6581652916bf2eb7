#include "backend/drills/drill_compare.h"

#include "backend/drills/drill_report.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/drill_verify.h"
#include "backend/engine/json_writer.h"
#include "backend/sim/strings.h"
#include "backend/sim/world.h"
#include "backend/telemetry/recording_reader.h"
#include "backend/telemetry/recording_schema.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace livedeck::drills {
namespace {

using engine::numberText;

// Nearest-rank percentile (q in [0, 1]) of values, which it sorts.
double percentile(std::vector<double>& values, double q)
{
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

bool matches(const std::string& pattern, const std::string& name)
{
    if (pattern.empty())
        return true;
    if (pattern.find_first_of("*?[") == std::string::npos)
        return name.find(pattern) != std::string::npos;
    return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

using Key = std::tuple<std::string, std::string, std::string, int>;

Key keyOf(const v1::SeriesDef& d)
{
    return {d.name(), d.component(), d.labels(), static_cast<int>(d.type())};
}

absl::StatusOr<SeriesStats> statsOf(telemetry::RecordingReader& reader, std::uint32_t id, sim::Nanos from,
                                    sim::Nanos to)
{
    auto points = reader.seriesValues(id, from, to);
    if (!points.ok())
        return points.status();
    std::vector<double> values;
    values.reserve(points->size());
    double sum = 0.0;
    for (const telemetry::SeriesPoint& p : *points) {
        if (std::isfinite(p.value)) {
            values.push_back(p.value);
            sum += p.value;
        }
    }
    SeriesStats s;
    s.samples = values.size();
    if (!values.empty()) {
        s.mean = sum / static_cast<double>(values.size());
        s.p50 = percentile(values, 0.50);
        s.p99 = percentile(values, 0.99);
    }
    return s;
}

struct Opened {
    std::unique_ptr<telemetry::RecordingReader> reader;
    telemetry::RecordingMetadata meta;
    RecordingSide side;
};

absl::StatusOr<Opened> openSide(const std::string& path)
{
    auto reader = telemetry::RecordingReader::open(path);
    if (!reader.ok())
        return reader.status();
    auto meta = (*reader)->metadata();
    if (!meta.ok())
        return meta.status();
    Opened o;
    o.reader = std::move(*reader);
    o.meta = std::move(*meta);
    o.side.path = path;
    o.side.drill = o.meta.drillName;
    o.side.seed = o.meta.seed;
    o.side.buildId = o.meta.buildId;
    o.side.endNs = o.meta.finished ? o.meta.finishedNs : o.meta.lastNs;
    o.side.finalTraceHash = o.meta.finalTraceHash;
    return o;
}

TraceEvent traceEvent(const sim::World& world, const sim::EventMeta& m, std::uint64_t index)
{
    TraceEvent e;
    e.index = index;
    e.time = m.time;
    e.kind = world.kindName(m.kind);
    e.component = m.component == sim::kNoComponent ? std::string() : world.components().get(m.component).path;
    e.traceHash = world.traceHash();
    return e;
}

// Re-simulates one recording from the start and keeps every event with time >= from
// until the run passes `to`.
absl::StatusOr<std::vector<TraceEvent>> traceWindow(const std::string& path, sim::Nanos from, sim::Nanos to)
{
    std::vector<TraceEvent> events;
    ReplayOptions options;
    options.requireFinished = false;
    options.keepGoing = [&](const sim::World& world, const sim::EventMeta& m) {
        if (m.time > to)
            return false;
        if (m.time >= from)
            events.push_back(traceEvent(world, m, world.scheduler().executed() - 1)); // counted before the hook runs
        return true;
    };
    auto run = replayRecording(path, options);
    if (!run.ok())
        return run.status();
    return events;
}

bool sameEvent(const TraceEvent& x, const TraceEvent& y)
{
    return x.time == y.time && x.kind == y.kind && x.component == y.component;
}

std::uint64_t fingerprint(const sim::World& world, const sim::EventMeta& m)
{
    const std::string_view component =
        m.component == sim::kNoComponent ? std::string_view() : std::string_view(world.components().get(m.component).path);
    std::uint64_t h = std::hash<std::string_view>{}(world.kindName(m.kind));
    h = h * 0x9E3779B97F4A7C15ULL ^ std::hash<std::string_view>{}(component);
    return h * 0x9E3779B97F4A7C15ULL ^ static_cast<std::uint64_t>(m.time);
}

// Same seed: the snapshots bound the second; both runs are re-simulated over it and
// compared event by event, (time, kind, component) and running hash.
absl::Status locateInWindow(const CompareResult& r, Divergence& d)
{
    const sim::Nanos from = std::max<sim::Nanos>(0, d.lastEqualNs);
    const sim::Nanos to = d.firstDifferentNs >= 0 ? d.firstDifferentNs : std::max(r.a.endNs, r.b.endNs);
    auto a = traceWindow(r.a.path, from, to);
    if (!a.ok())
        return a.status();
    auto b = traceWindow(r.b.path, from, to);
    if (!b.ok())
        return b.status();
    const std::size_t n = std::min(a->size(), b->size());
    for (std::size_t i = 0; i < n; ++i) {
        const TraceEvent& x = (*a)[i];
        const TraceEvent& y = (*b)[i];
        if (x.index != y.index || x.traceHash != y.traceHash || !sameEvent(x, y)) {
            d.eventLocated = true;
            d.a = x;
            d.b = y;
            if (sameEvent(x, y) && i > 0)
                d.cause = (*a)[i - 1];
            return absl::OkStatus();
        }
    }
    if (a->size() != b->size()) {
        d.eventLocated = true;
        if (n < a->size())
            d.a = (*a)[n];
        if (n < b->size())
            d.b = (*b)[n];
        return absl::OkStatus();
    }
    d.note = "the re-simulated traces agree over the window: a recording was made by another build "
             "(see 'drill verify') or with operator commands not recorded";
    return absl::OkStatus();
}

// Two seeds: the seed is part of the running hash, so the hashes differ from the
// start; the first event where the two runs' (time, kind, component) part is found by
// re-simulating A once (a fingerprint per event), then B until it leaves A's sequence,
// then A once more up to that event for its description.
absl::Status locateAcrossSeeds(const CompareResult& r, Divergence& d)
{
    std::vector<std::uint64_t> prints;
    {
        ReplayOptions options;
        options.requireFinished = false;
        options.keepGoing = [&](const sim::World& world, const sim::EventMeta& m) {
            prints.push_back(fingerprint(world, m));
            return true;
        };
        auto run = replayRecording(r.a.path, options);
        if (!run.ok())
            return run.status();
    }
    std::optional<TraceEvent> atB;
    std::uint64_t index = 0;
    {
        ReplayOptions options;
        options.requireFinished = false;
        options.keepGoing = [&](const sim::World& world, const sim::EventMeta& m) {
            const std::uint64_t i = index++;
            if (i < prints.size() && prints[i] == fingerprint(world, m))
                return true;
            atB = traceEvent(world, m, i);
            return false;
        };
        auto run = replayRecording(r.b.path, options);
        if (!run.ok())
            return run.status();
    }
    if (!atB && index == prints.size()) {
        d.note = "the two runs executed the same events in the same order; they differ only in content "
                 "(the seed is part of the trace hash)";
        return absl::OkStatus();
    }
    const std::uint64_t at = atB ? atB->index : index;
    d.eventLocated = true;
    d.b = atB;
    if (at < prints.size()) {
        std::uint64_t k = 0;
        ReplayOptions options;
        options.requireFinished = false;
        options.keepGoing = [&](const sim::World& world, const sim::EventMeta& m) {
            if (k++ < at)
                return true;
            d.a = traceEvent(world, m, at);
            return false;
        };
        auto run = replayRecording(r.a.path, options);
        if (!run.ok())
            return run.status();
    }
    d.firstDifferentNs = std::min(d.a ? d.a->time : sim::kNever, d.b ? d.b->time : sim::kNever);
    return absl::OkStatus();
}

absl::Status divergence(Opened& A, Opened& B, const CompareOptions& options, CompareResult& r)
{
    Divergence& d = r.divergence;
    d.comparable = !A.meta.drillText.empty() && A.meta.drillText == B.meta.drillText;
    if (!d.comparable) {
        d.note = "the recordings ran different drill texts: traces are not compared";
        return absl::OkStatus();
    }
    d.seedsDiffer = A.meta.seed != B.meta.seed;
    if (d.seedsDiffer) {
        // Different seeds: the hashes part at once; the events may part much later.
        d.diverged = A.meta.finalTraceHash != B.meta.finalTraceHash || !A.meta.finished || !B.meta.finished;
        if (!d.diverged || !options.locateEvent)
            return absl::OkStatus();
        return locateAcrossSeeds(r, d);
    }
    auto pa = A.reader->tracePoints();
    if (!pa.ok())
        return pa.status();
    auto pb = B.reader->tracePoints();
    if (!pb.ok())
        return pb.status();
    // Walk the snapshot times both have, in order.
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < pa->size() && j < pb->size()) {
        const telemetry::TracePoint& x = (*pa)[i];
        const telemetry::TracePoint& y = (*pb)[j];
        if (x.time < y.time) {
            ++i;
            continue;
        }
        if (y.time < x.time) {
            ++j;
            continue;
        }
        if (x.traceHash != y.traceHash || x.eventsExecuted != y.eventsExecuted) {
            d.diverged = true;
            d.firstDifferentNs = x.time;
            break;
        }
        d.lastEqualNs = x.time;
        ++i;
        ++j;
    }
    if (!d.diverged) {
        const bool bothFinished = A.meta.finished && B.meta.finished;
        if (bothFinished
            && (A.meta.finalTraceHash != B.meta.finalTraceHash || A.meta.eventsExecuted != B.meta.eventsExecuted
                || A.meta.finishedNs != B.meta.finishedNs)) {
            d.diverged = true; // after the last common snapshot
        }
    }
    if (!d.diverged || !options.locateEvent)
        return absl::OkStatus();
    return locateInWindow(r, d);
}

std::string seconds(sim::Nanos ns)
{
    return numberText(sim::toSeconds(ns), 6);
}

std::string eventText(const TraceEvent& e)
{
    return sim::strCat("#", e.index, " at ", seconds(e.time), " s: ", e.kind,
                       e.component.empty() ? std::string() : sim::strCat(" on ", e.component));
}

void writeStats(engine::JsonWriter& w, const char* name, const std::optional<SeriesStats>& s)
{
    w.key(name);
    if (!s) {
        w.null();
        return;
    }
    w.beginObject();
    w.key("samples").value(static_cast<std::uint64_t>(s->samples));
    w.key("mean").value(s->mean);
    w.key("p50").value(s->p50);
    w.key("p99").value(s->p99);
    w.endObject();
}

void writeEvent(engine::JsonWriter& w, const char* name, const std::optional<TraceEvent>& e)
{
    w.key(name);
    if (!e) {
        w.null();
        return;
    }
    w.beginObject();
    w.key("index").value(e->index);
    w.key("t_ns").value(static_cast<std::int64_t>(e->time));
    w.key("kind").value(e->kind);
    w.key("component").value(e->component);
    w.key("trace_hash").value(hashText(e->traceHash));
    w.endObject();
}

void writeSide(engine::JsonWriter& w, const char* name, const RecordingSide& s)
{
    w.key(name).beginObject();
    w.key("path").value(s.path);
    w.key("drill").value(s.drill);
    w.key("seed").value(s.seed);
    w.key("build").value(s.buildId);
    w.key("end_s").value(sim::toSeconds(s.endNs));
    w.key("trace_hash").value(hashText(s.finalTraceHash));
    w.endObject();
}

} // namespace

absl::StatusOr<CompareResult> compareRecordings(const std::string& pathA, const std::string& pathB,
                                                const CompareOptions& options)
{
    auto A = openSide(pathA);
    if (!A.ok())
        return A.status();
    auto B = openSide(pathB);
    if (!B.ok())
        return B.status();
    CompareResult r;
    r.a = A->side;
    r.b = B->side;
    r.from = options.from;
    r.to = options.to;

    auto defsA = A->reader->seriesDefs();
    if (!defsA.ok())
        return defsA.status();
    auto defsB = B->reader->seriesDefs();
    if (!defsB.ok())
        return defsB.status();
    std::map<Key, std::uint32_t> inB;
    for (const v1::SeriesDef& d : *defsB)
        inB.emplace(keyOf(d), d.id());
    std::map<Key, bool> seen;
    const auto add = [&](const v1::SeriesDef& d, std::optional<std::uint32_t> ida,
                         std::optional<std::uint32_t> idb) -> absl::Status {
        MetricComparison m;
        m.name = d.name();
        m.component = d.component();
        m.labels = d.labels();
        m.type = std::string(telemetry::metricTypeName(d.type()));
        m.unit = d.unit();
        if (ida) {
            auto s = statsOf(*A->reader, *ida, options.from, options.to);
            if (!s.ok())
                return s.status();
            m.a = *s;
        }
        if (idb) {
            auto s = statsOf(*B->reader, *idb, options.from, options.to);
            if (!s.ok())
                return s.status();
            m.b = *s;
        }
        if (m.a && m.b && m.a->samples > 0 && m.b->samples > 0 && m.a->mean != 0.0)
            m.ratio = m.b->mean / m.a->mean;
        r.metrics.push_back(std::move(m));
        return absl::OkStatus();
    };
    for (const v1::SeriesDef& d : *defsA) {
        if (!matches(options.metrics, d.name()))
            continue;
        const Key k = keyOf(d);
        seen.emplace(k, true);
        const auto it = inB.find(k);
        auto st = add(d, d.id(), it == inB.end() ? std::nullopt : std::optional<std::uint32_t>(it->second));
        if (!st.ok())
            return st;
    }
    for (const v1::SeriesDef& d : *defsB) {
        if (!matches(options.metrics, d.name()) || seen.count(keyOf(d)))
            continue;
        auto st = add(d, std::nullopt, d.id());
        if (!st.ok())
            return st;
    }

    auto st = divergence(*A, *B, options, r);
    if (!st.ok())
        return st;
    return r;
}

std::string CompareResult::text() const
{
    std::string s;
    s += sim::strCat("A  ", a.path, ": ", a.drill, " seed ", a.seed, ", ", seconds(a.endNs), " s, trace ",
                     hashText(a.finalTraceHash), "\n");
    s += sim::strCat("B  ", b.path, ": ", b.drill, " seed ", b.seed, ", ", seconds(b.endNs), " s, trace ",
                     hashText(b.finalTraceHash), "\n");
    if (from > 0 || to != sim::kNever)
        s += sim::strCat("window ", seconds(from), " s .. ", to == sim::kNever ? std::string("end") : seconds(to) + " s", "\n");
    s += "\n";
    std::size_t width = 6;
    std::vector<std::string> names;
    names.reserve(metrics.size());
    for (const MetricComparison& m : metrics) {
        std::string n = m.name;
        if (!m.component.empty())
            n += sim::strCat(" @", m.component);
        if (!m.labels.empty())
            n += sim::strCat(" {", m.labels, "}");
        n += sim::strCat(" [", m.type, "]");
        width = std::max(width, n.size());
        names.push_back(std::move(n));
    }
    const auto stats = [](const std::optional<SeriesStats>& x) {
        if (!x)
            return sim::strFormat("%-32s", "(absent)");
        return sim::strFormat("%10s %10s %10s", numberText(x->mean, 4).c_str(), numberText(x->p50, 4).c_str(),
                              numberText(x->p99, 4).c_str());
    };
    s += sim::strFormat("%-*s  %32s  %32s  %s\n", static_cast<int>(width), "series", "A: mean p50 p99",
                        "B: mean p50 p99", "B/A");
    for (std::size_t i = 0; i < metrics.size(); ++i) {
        const MetricComparison& m = metrics[i];
        s += sim::strFormat("%-*s  %s  %s  %s\n", static_cast<int>(width), names[i].c_str(), stats(m.a).c_str(),
                            stats(m.b).c_str(), m.ratio ? numberText(*m.ratio, 4).c_str() : "-");
    }
    if (metrics.empty())
        s += "(no series match)\n";
    s += "\n";
    const Divergence& d = divergence;
    if (!d.comparable) {
        s += sim::strCat("traces       not compared: ", d.note, "\n");
    } else if (!d.diverged) {
        s += "traces       identical: no divergence\n";
    } else if (d.seedsDiffer) {
        s += sim::strCat("traces       diverge: seeds ", a.seed, " and ", b.seed,
                         " (the seed is part of the trace hash); the event sequences part ",
                         d.eventLocated ? sim::strCat("at ", seconds(d.firstDifferentNs), " s") : std::string("nowhere"),
                         "\n");
        if (d.eventLocated) {
            s += sim::strCat("first event  A ", d.a ? eventText(*d.a) : std::string("(run ended)"), "\n");
            s += sim::strCat("             B ", d.b ? eventText(*d.b) : std::string("(run ended)"), "\n");
        } else if (!d.note.empty()) {
            s += sim::strCat("             ", d.note, "\n");
        }
    } else {
        s += sim::strCat("traces       diverge ",
                         d.firstDifferentNs >= 0
                             ? sim::strCat("in the second ending at ", seconds(d.firstDifferentNs), " s")
                             : std::string("after the last common snapshot"),
                         d.lastEqualNs >= 0 ? sim::strCat(" (equal through ", seconds(d.lastEqualNs), " s)") : "",
                         "\n");
        if (d.eventLocated) {
            s += sim::strCat("first event  A ", d.a ? eventText(*d.a) : std::string("(run ended)"), "\n");
            s += sim::strCat("             B ", d.b ? eventText(*d.b) : std::string("(run ended)"), "\n");
            if (d.cause)
                s += sim::strCat("             the same event on both sides: the content that differs was mixed in by ",
                                 eventText(*d.cause), "\n");
        } else if (!d.note.empty()) {
            s += sim::strCat("             ", d.note, "\n");
        }
    }
    return s;
}

std::string CompareResult::json() const
{
    engine::JsonWriter w;
    w.beginObject();
    writeSide(w, "a", a);
    writeSide(w, "b", b);
    w.key("from_s").value(sim::toSeconds(from));
    w.key("to_s");
    if (to == sim::kNever)
        w.null();
    else
        w.value(sim::toSeconds(to));
    w.key("metrics").beginArray();
    for (const MetricComparison& m : metrics) {
        w.beginObject();
        w.key("name").value(m.name);
        w.key("component").value(m.component);
        w.key("labels").value(m.labels);
        w.key("type").value(m.type);
        w.key("unit").value(m.unit);
        writeStats(w, "a", m.a);
        writeStats(w, "b", m.b);
        w.key("ratio");
        if (m.ratio)
            w.value(*m.ratio);
        else
            w.null();
        w.endObject();
    }
    w.endArray();
    const Divergence& d = divergence;
    w.key("divergence").beginObject();
    w.key("comparable").value(d.comparable);
    w.key("diverged").value(d.diverged);
    w.key("seeds_differ").value(d.seedsDiffer);
    w.key("last_equal_s");
    if (d.lastEqualNs >= 0)
        w.value(sim::toSeconds(d.lastEqualNs));
    else
        w.null();
    w.key("first_different_s");
    if (d.firstDifferentNs >= 0)
        w.value(sim::toSeconds(d.firstDifferentNs));
    else
        w.null();
    w.key("event_located").value(d.eventLocated);
    writeEvent(w, "a", d.a);
    writeEvent(w, "b", d.b);
    writeEvent(w, "cause", d.cause);
    w.key("note").value(d.note);
    w.endObject();
    w.endObject();
    return w.text() + "\n";
}

} // namespace livedeck::drills

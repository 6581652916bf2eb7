#include "backend/drills/figures.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/drills/expectations.h"
#include "backend/engine/json_writer.h"
#include "backend/sim/strings.h"

#include <filesystem>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <tuple>

namespace livedeck::drills {
namespace {

using engine::numberText;

absl::StatusOr<DrillSpec> loadFigureDrill(const std::string& drill, const EngineRegistry& engines)
{
    // A path (it has a '/' or a .yaml suffix) or a built-in drill's name.
    if (drill.find('/') != std::string::npos || drill.find(".yaml") != std::string::npos
        || drill.find(".yml") != std::string::npos)
        return loadDrillFile(drill, engines);
    if (const BuiltinDrill* d = findBuiltinDrill(drill))
        return loadDrill(d->text, d->fileName, engines);
    return absl::NotFoundError(sim::strCat("'", drill, "' is neither a drill file nor a built-in drill"));
}

bool hasValue(const v1::FigureValue& v)
{
    return !v.drill().empty();
}

bool needsB(const v1::FigureDescriptor& f)
{
    return f.check() == v1::FIGURE_CHECK_RATIO || f.check() == v1::FIGURE_CHECK_DIRECTION;
}

std::optional<double> statOf(std::vector<double> values, const std::string& stat, std::string& error)
{
    if (values.empty())
        return std::nullopt;
    if (stat == "last")
        return values.back();
    if (stat == "mean" || stat.empty()) {
        double sum = 0.0;
        for (double v : values)
            sum += v;
        return sum / static_cast<double>(values.size());
    }
    if (stat == "min")
        return *std::min_element(values.begin(), values.end());
    if (stat == "max")
        return *std::max_element(values.begin(), values.end());
    if (stat == "p99") {
        // Nearest rank: the smallest value with at least 99 % of the values at or below it.
        std::sort(values.begin(), values.end());
        const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(values.size())));
        return values[std::max<std::size_t>(rank, 1) - 1];
    }
    error = sim::strCat("unknown stat '", stat, "' (mean, min, max, last, p99)");
    return std::nullopt;
}

bool boundHolds(double value, const std::string& op, double bound, bool& known)
{
    known = true;
    if (op == ">=")
        return value >= bound;
    if (op == "<=")
        return value <= bound;
    if (op == ">")
        return value > bound;
    if (op == "<")
        return value < bound;
    known = false;
    return false;
}

std::string valueText(const std::optional<double>& v)
{
    return v ? numberText(*v, 6) : std::string("-");
}

void judge(FigureResult& r)
{
    const v1::FigureDescriptor& f = r.figure;
    if (!r.a.error.empty()) {
        r.error = sim::strCat("a: ", r.a.error);
        return;
    }
    if (r.b && !r.b->error.empty()) {
        r.error = sim::strCat("b: ", r.b->error);
        return;
    }
    const double a = *r.a.value;
    if (r.b && a != 0.0)
        r.ratio = *r.b->value / a;
    switch (f.check()) {
    case v1::FIGURE_CHECK_RATIO:
        if (!r.ratio) {
            r.error = "value_a is 0: no ratio";
            return;
        }
        r.pass = *r.ratio >= f.ratio_min() && *r.ratio <= f.ratio_max();
        return;
    case v1::FIGURE_CHECK_BOUND: {
        bool known = false;
        r.pass = boundHolds(a, f.bound_op(), f.bound(), known);
        if (!known)
            r.error = sim::strCat("unknown bound_op '", f.bound_op(), "' (>=, <=, >, <)");
        return;
    }
    case v1::FIGURE_CHECK_DIRECTION:
        r.pass = f.higher_is_better() ? *r.b->value > a : *r.b->value < a;
        return;
    default:
        r.error = "the figure declares no check";
        return;
    }
}

struct Job {
    std::size_t figure;
    bool isB;
    v1::FigureValue value;
};

} // namespace

std::string figureCheckText(const v1::FigureDescriptor& f)
{
    switch (f.check()) {
    case v1::FIGURE_CHECK_RATIO:
        return sim::strCat("ratio b/a in [", numberText(f.ratio_min(), 4), ", ", numberText(f.ratio_max(), 4), "]");
    case v1::FIGURE_CHECK_BOUND:
        return sim::strCat("a ", f.bound_op(), " ", numberText(f.bound()));
    case v1::FIGURE_CHECK_DIRECTION:
        return f.higher_is_better() ? "b higher than a" : "b lower than a";
    default:
        return "none";
    }
}

FigureMeasurement measureFigureValue(const v1::FigureValue& value, const EngineRegistry& engines)
{
    FigureMeasurement m;
    m.source = value;
    m.drill = value.drill();
    auto spec = loadFigureDrill(value.drill(), engines);
    if (!spec.ok()) {
        m.error = std::string(spec.status().message());
        return m;
    }
    m.seed = spec->seed;
    std::optional<TimeRef> from;
    std::optional<TimeRef> to;
    for (auto [text, ref] : {std::pair{&value.from(), &from}, std::pair{&value.to(), &to}}) {
        if (text->empty())
            continue;
        auto parsed = TimeRef::parse(*text);
        if (!parsed.ok()) {
            m.error = sim::strCat("window '", *text, "': ", std::string(parsed.status().message()));
            return m;
        }
        *ref = *parsed;
    }
    auto run = DrillRun::create(*spec);
    if (!run.ok()) {
        m.error = std::string(run.status().message());
        return m;
    }
    m.seed = (*run)->seed();
    MetricSelector selector;
    selector.name = value.metric();
    selector.component = value.component();
    selector.type = value.type();
    SeriesMatcher matcher(selector);
    std::vector<std::pair<sim::Nanos, double>> samples;
    DrillRun& r = **run;
    r.telemetry().addRollupListener([&](sim::Nanos t, const std::vector<telemetry::Sample>&) {
        if (auto v = matcher.value(r.telemetry()))
            samples.emplace_back(t, *v);
    });
    r.runToEnd();

    // The window's anchors: the run's end and its named faults as they happened.
    TimeAnchors anchors;
    anchors.setEnd(r.endTime());
    for (const DrillFault& f : r.timeline()) {
        if (f.name.empty())
            continue;
        if (f.startedAt >= 0)
            anchors.faultStarted(f.name, f.startedAt);
        if (f.endedAt >= 0)
            anchors.faultEnded(f.name, f.endedAt);
    }
    sim::Nanos lo = -1;
    sim::Nanos hi = sim::kNever;
    if (from) {
        auto t = anchors.resolve(*from);
        if (!t) {
            m.error = sim::strCat("window start ", anchors.why(*from));
            return m;
        }
        lo = *t;
    }
    if (to) {
        auto t = anchors.resolve(*to);
        if (!t) {
            m.error = sim::strCat("window end ", anchors.why(*to));
            return m;
        }
        hi = *t;
    }
    std::vector<double> values;
    for (const auto& [t, v] : samples) {
        if (t > lo && t <= hi)
            values.push_back(v);
    }
    m.samples = values.size();
    if (matcher.matched() == 0) {
        m.error = sim::strCat("no series matches ", selector.text(), " in drill ", value.drill());
        return m;
    }
    std::string error;
    m.value = statOf(std::move(values), value.stat(), error);
    if (!m.value)
        m.error = error.empty() ? sim::strCat("no samples of ", selector.text(), " in the window") : error;
    return m;
}

absl::StatusOr<std::vector<FigureResult>> runFigures(const FigureRunOptions& options)
{
    const EngineRegistry& engines = options.engines != nullptr ? *options.engines : processEngines();
    if (options.jobs < 1)
        return absl::InvalidArgumentError(sim::strCat("jobs must be at least 1, got ", options.jobs));
    if (!options.engine.empty() && engines.find(options.engine) == nullptr)
        return absl::InvalidArgumentError(
            sim::strCat("no engine '", options.engine, "' in this build (engines: ", engines.names(), ")"));

    std::vector<FigureResult> results;
    for (const EngineFactory* factory : engines.all()) {
        if (!options.engine.empty() && factory->name() != options.engine)
            continue;
        const v1::EngineDescriptor d = factory->describe();
        for (const v1::FigureDescriptor& f : d.figures()) {
            FigureResult r;
            r.engine = std::string(factory->name());
            r.figure = f;
            results.push_back(std::move(r));
        }
    }
    std::sort(results.begin(), results.end(), [](const FigureResult& x, const FigureResult& y) {
        return std::tie(x.figure.id(), x.engine) < std::tie(y.figure.id(), y.engine);
    });

    std::vector<Job> jobs;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const v1::FigureDescriptor& f = results[i].figure;
        const bool quick = options.quick && hasValue(f.quick_a());
        jobs.push_back(Job{i, false, quick ? f.quick_a() : f.a()});
        if (needsB(f))
            jobs.push_back(Job{i, true, quick && hasValue(f.quick_b()) ? f.quick_b() : f.b()});
    }
    std::vector<FigureMeasurement> measured(jobs.size());
    std::atomic<std::size_t> next{0};
    const auto worker = [&] {
        for (std::size_t j = next.fetch_add(1); j < jobs.size(); j = next.fetch_add(1)) {
            if (!hasValue(jobs[j].value)) {
                measured[j].source = jobs[j].value;
                measured[j].error = "the figure names no drill for this value";
                continue;
            }
            measured[j] = measureFigureValue(jobs[j].value, engines);
        }
    };
    const std::size_t threads = std::min<std::size_t>(static_cast<std::size_t>(options.jobs), jobs.size());
    if (threads <= 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        for (std::size_t t = 0; t < threads; ++t)
            pool.emplace_back(worker);
        for (std::thread& t : pool)
            t.join();
    }
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        FigureResult& r = results[jobs[j].figure];
        if (jobs[j].isB)
            r.b = std::move(measured[j]);
        else
            r.a = std::move(measured[j]);
    }
    for (FigureResult& r : results)
        judge(r);
    return results;
}

std::string figuresJson(const std::vector<FigureResult>& results)
{
    engine::JsonWriter w;
    w.beginArray();
    for (const FigureResult& r : results) {
        const v1::FigureDescriptor& f = r.figure;
        w.beginObject();
        w.key("id").value(f.id());
        w.key("engine").value(r.engine);
        w.key("description").value(f.description());
        w.key("drill_a").value(r.a.drill);
        w.key("seed_a").value(r.a.seed);
        w.key("value_a");
        if (r.a.value)
            w.value(*r.a.value);
        else
            w.null();
        w.key("drill_b");
        if (r.b)
            w.value(r.b->drill);
        else
            w.null();
        w.key("seed_b");
        if (r.b)
            w.value(r.b->seed);
        else
            w.null();
        w.key("value_b");
        if (r.b && r.b->value)
            w.value(*r.b->value);
        else
            w.null();
        w.key("ratio");
        if (r.ratio)
            w.value(*r.ratio);
        else
            w.null();
        w.key("writeup_value").value(f.writeup_value());
        w.key("writeup_ratio");
        if (f.writeup_ratio() != 0.0)
            w.value(f.writeup_ratio());
        else
            w.null();
        w.key("check").value(figureCheckText(f));
        w.key("pass").value(r.pass);
        w.key("error").value(r.error);
        w.endObject();
    }
    w.endArray();
    return w.text() + "\n";
}

std::string figuresText(const std::vector<FigureResult>& results)
{
    std::string s;
    int passed = 0;
    for (const FigureResult& r : results) {
        const v1::FigureDescriptor& f = r.figure;
        passed += r.pass ? 1 : 0;
        s += sim::strCat(r.pass ? "PASS  " : "FAIL  ", f.id(), "  (", r.engine, ")\n");
        s += sim::strCat("      ", f.description(), "\n");
        const auto line = [&](const char* which, const FigureMeasurement& m) {
            const v1::FigureValue& v = m.source;
            s += sim::strCat("      ", which, ": ", valueText(m.value), "  = ", v.stat().empty() ? "mean" : v.stat(), " of ",
                             v.metric(), v.component().empty() ? "" : sim::strCat(" (", v.component(), ")"), " in drill ",
                             m.drill, " seed ", m.seed, ", ", m.samples, " s",
                             m.error.empty() ? "" : sim::strCat("  [", m.error, "]"), "\n");
        };
        line("a", r.a);
        if (r.b)
            line("b", *r.b);
        std::string measuredText;
        if (r.ratio)
            measuredText = sim::strCat("measured ratio b/a ", numberText(*r.ratio, 4));
        else if (!r.b)
            measuredText = sim::strCat("measured ", valueText(r.a.value));
        std::string writeup;
        if (f.writeup_ratio() != 0.0)
            writeup = sim::strCat("write-up ratio ", numberText(f.writeup_ratio(), 4));
        if (!f.writeup_value().empty())
            writeup += sim::strCat(writeup.empty() ? "" : ", ", "write-up ", f.writeup_value());
        s += sim::strCat("      ", measuredText, measuredText.empty() || writeup.empty() ? "" : "; ", writeup, "\n");
        s += sim::strCat("      check ", figureCheckText(f), ": ", r.pass ? "pass" : "FAIL",
                         r.error.empty() ? "" : sim::strCat(" (", r.error, ")"), "\n");
    }
    s += sim::strCat("figures: ", results.size(), ", ", passed, " passed, ", results.size() - static_cast<std::size_t>(passed),
                     " failed\n");
    return s;
}

namespace {

// A table cell: pipes escaped, newlines folded.
std::string cell(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (c == '|')
            out += "\\|";
        else if (c == '\n')
            out += ' ';
        else
            out += c;
    }
    return out;
}

std::string reproduce(const FigureMeasurement& m)
{
    return sim::strCat("livedeckctl drill run ", m.drill, " --seed ", m.seed, " --record ",
                       std::filesystem::path(m.drill).stem().string(), ".sqlite");
}

} // namespace

std::string figuresMarkdown(const std::vector<FigureResult>& results, const std::string& command, bool quick)
{
    int passed = 0;
    for (const FigureResult& r : results)
        passed += r.pass ? 1 : 0;
    std::string s;
    s += "# Figures\n\n";
    s += "The write-ups' figures each engine reproduces, measured from its mechanisms by running drill\n"
         "pairs at fixed seeds (docs/DRILLS.md \"Figures\" says how a figure is declared and measured).\n"
         "This file is written by the command below; every number in it comes from that run.\n\n";
    s += sim::strCat("```\n", command, "\n```\n\n");
    s += sim::strCat("Figures: ", results.size(), ", ", passed, " passed, ", results.size() - static_cast<std::size_t>(passed),
                     " failed.\n\n");
    s += "| figure | engine | A | B | measured | write-up | check | verdict |\n";
    s += "|---|---|---|---|---|---|---|---|\n";
    for (const FigureResult& r : results) {
        const v1::FigureDescriptor& f = r.figure;
        std::string measured = r.ratio ? sim::strCat("×", numberText(*r.ratio, 4)) : (!r.b ? valueText(r.a.value) : "—");
        std::string writeup;
        if (f.writeup_ratio() != 0.0)
            writeup = sim::strCat("×", numberText(f.writeup_ratio(), 4));
        if (!f.writeup_value().empty())
            writeup += sim::strCat(writeup.empty() ? "" : ", ", f.writeup_value());
        s += sim::strCat("| `", f.id(), "` | ", r.engine, " | ", valueText(r.a.value), " | ",
                         r.b ? valueText(r.b->value) : std::string("—"), " | ", measured, " | ",
                         writeup.empty() ? std::string("—") : cell(writeup), " | ", cell(figureCheckText(f)), " | ",
                         r.pass ? "pass" : "**FAIL**", " |\n");
    }
    for (const FigureResult& r : results) {
        const v1::FigureDescriptor& f = r.figure;
        s += sim::strCat("\n## `", f.id(), "`\n\n", f.description(), "\n\n");
        const auto value = [&](const char* which, const FigureMeasurement& m) {
            const v1::FigureValue& v = m.source;
            s += sim::strCat("- ", which, " = ", valueText(m.value), ": the ", v.stat().empty() ? "mean" : v.stat(), " of `",
                             v.metric(), "`", v.component().empty() ? "" : sim::strCat(" on `", v.component(), "`"),
                             " over ", m.samples, " per-second values of drill `", m.drill, "` at seed ", m.seed,
                             m.error.empty() ? "" : sim::strCat(" — not measured: ", m.error), "\n");
        };
        value("A", r.a);
        if (r.b)
            value("B", *r.b);
        s += sim::strCat("- check: ", figureCheckText(f), " — ", r.pass ? "pass" : "FAIL",
                         r.error.empty() ? "" : sim::strCat(" (", r.error, ")"), "\n");
        s += "- reproduce:\n\n  ```\n";
        s += sim::strCat("  livedeckctl figures --engine ", r.engine, quick ? " --quick" : "", "\n");
        s += sim::strCat("  ", reproduce(r.a), "\n");
        if (r.b)
            s += sim::strCat("  ", reproduce(*r.b), "\n");
        s += "  ```\n";
    }
    return s;
}

} // namespace livedeck::drills

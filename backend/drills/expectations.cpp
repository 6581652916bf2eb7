#include "backend/drills/expectations.h"

#include "backend/drills/duration.h"
#include "backend/drills/json_writer.h"
#include "backend/drills/drill_loader.h"
#include "backend/sim/components.h"
#include "backend/sim/strings.h"

#include <algorithm>
#include <cmath>

namespace livedeck::drills {
namespace {

std::string secondsText(sim::Nanos t)
{
    return sim::strCat(numberText(sim::toSeconds(t), 6), "s");
}

std::string valueText(double v)
{
    return numberText(v, 6);
}

} // namespace

// ------------------------------------------------------------------ SeriesMatcher

bool SeriesMatcher::labelsMatch(std::string_view wanted, std::string_view labels)
{
    while (!wanted.empty()) {
        const std::size_t comma = wanted.find(',');
        const std::string_view pair = wanted.substr(0, comma);
        wanted = comma == std::string_view::npos ? std::string_view{} : wanted.substr(comma + 1);
        if (pair.empty())
            continue;
        bool found = false;
        std::string_view rest = labels;
        while (!rest.empty() && !found) {
            const std::size_t c = rest.find(',');
            found = rest.substr(0, c) == pair;
            rest = c == std::string_view::npos ? std::string_view{} : rest.substr(c + 1);
        }
        if (!found)
            return false;
    }
    return true;
}

void SeriesMatcher::refresh(const telemetry::MetricsRegistry& metrics)
{
    const auto& infos = metrics.metrics();
    for (std::size_t i = m_metricsSeen; i < infos.size(); ++i) {
        const telemetry::MetricInfo& info = infos[i];
        if (info.name != m_selector.name)
            continue;
        if (!m_selector.component.empty() && !sim::pathMatches(m_selector.component, info.component))
            continue;
        if (!labelsMatch(m_selector.labels, info.labels))
            continue;
        const std::int64_t id = metrics.seriesId(info.name, info.component, info.labels, m_selector.type);
        if (id >= 0)
            m_ids.push_back(static_cast<std::uint32_t>(id));
    }
    m_metricsSeen = infos.size();
}

std::optional<double> SeriesMatcher::value(const telemetry::Telemetry& telemetry)
{
    if (telemetry.metrics().metrics().size() != m_metricsSeen)
        refresh(telemetry.metrics());
    const double nan = std::nan("");
    std::size_t n = 0;
    double acc = 0.0;
    for (const std::uint32_t id : m_ids) {
        const double v = telemetry.lastValue(id, nan);
        if (std::isnan(v))
            continue;
        switch (m_selector.combine) {
        case SeriesCombine::Sum:
        case SeriesCombine::Mean:
            acc += v;
            break;
        case SeriesCombine::Min:
            acc = n == 0 ? v : std::min(acc, v);
            break;
        case SeriesCombine::Max:
            acc = n == 0 ? v : std::max(acc, v);
            break;
        }
        ++n;
    }
    if (n == 0)
        return std::nullopt;
    if (m_selector.combine == SeriesCombine::Mean)
        acc /= static_cast<double>(n);
    return acc;
}

// ------------------------------------------------------------------ TimeAnchors

void TimeAnchors::faultStarted(const std::string& name, sim::Nanos t)
{
    Times& times = m_faults[name];
    if (times.start < 0)
        times.start = t;
}

void TimeAnchors::faultEnded(const std::string& name, sim::Nanos t)
{
    Times& times = m_faults[name];
    if (times.end < 0)
        times.end = t;
}

std::optional<sim::Nanos> TimeAnchors::resolve(const TimeRef& ref) const
{
    sim::Nanos base = 0;
    switch (ref.base) {
    case TimeRef::Base::Start:
        base = 0;
        break;
    case TimeRef::Base::End:
        if (m_end == sim::kNever)
            return std::nullopt;
        base = m_end;
        break;
    case TimeRef::Base::FaultStart:
    case TimeRef::Base::FaultEnd: {
        const auto it = m_faults.find(ref.fault);
        if (it == m_faults.end())
            return std::nullopt;
        base = ref.base == TimeRef::Base::FaultStart ? it->second.start : it->second.end;
        if (base < 0)
            return std::nullopt;
        break;
    }
    }
    return std::max<sim::Nanos>(0, base + ref.offset);
}

std::string TimeAnchors::why(const TimeRef& ref) const
{
    switch (ref.base) {
    case TimeRef::Base::FaultStart:
        return sim::strCat("fault ", ref.fault, " never started");
    case TimeRef::Base::FaultEnd:
        return sim::strCat("fault ", ref.fault, " never ended");
    default:
        return sim::strCat(ref.text(), " was not reached");
    }
}

// ------------------------------------------------------------------ MetricExpectation

void MetricExpectation::onRollup(sim::Nanos t, const telemetry::Telemetry& telemetry, const TimeAnchors& anchors)
{
    if (m_final)
        return;
    const std::optional<sim::Nanos> from = anchors.resolve(m_spec.metric.from);
    if (!from || t <= *from)
        return;
    const std::optional<sim::Nanos> to = anchors.resolve(m_spec.metric.to);
    if (to && t > *to) {
        m_final = true;
        return;
    }
    if (const std::optional<double> v = m_series.value(telemetry)) {
        if (m_count == 0) {
            m_min = m_max = m_first = *v;
            m_firstAt = t;
        }
        m_min = std::min(m_min, *v);
        m_max = std::max(m_max, *v);
        m_sum += *v;
        m_last = *v;
        m_lastAt = t;
        ++m_count;
    }
    if (to && t >= *to)
        m_final = true;
}

void MetricExpectation::finish(sim::Nanos, const TimeAnchors& anchors)
{
    m_final = true;
    if (!anchors.resolve(m_spec.metric.from))
        m_note = sim::strCat("the window never opened: ", anchors.why(m_spec.metric.from));
}

std::optional<double> MetricExpectation::statValue() const
{
    if (m_count == 0)
        return std::nullopt;
    switch (m_spec.metric.stat) {
    case SeriesStat::Mean:
        return m_sum / static_cast<double>(m_count);
    case SeriesStat::Min:
        return m_min;
    case SeriesStat::Max:
        return m_max;
    case SeriesStat::First:
        return m_first;
    case SeriesStat::Last:
        return m_last;
    case SeriesStat::Sum:
        return m_sum;
    }
    return std::nullopt;
}

ExpectationResult MetricExpectation::result() const
{
    ExpectationResult r;
    r.name = m_spec.name;
    r.kind = "metric";
    r.weight = m_spec.weight;
    r.expected = m_spec.expectedText();
    r.final = m_final;
    r.observed = statValue();
    if (!r.observed) {
        r.passed = false;
        r.observedText = !m_note.empty() ? m_note
            : m_series.matched() == 0    ? sim::strCat("no series matches ", m_spec.metric.metric.text())
                                         : std::string("no samples in the window");
        return r;
    }
    r.passed = m_spec.metric.expect.test(*r.observed);
    r.observedText = sim::strCat(toString(m_spec.metric.stat), " ", valueText(*r.observed), " over ", m_count,
                                 m_count == 1 ? " sample" : " samples", " (", secondsText(m_firstAt), "..",
                                 secondsText(m_lastAt), ")");
    return r;
}

// ------------------------------------------------------------------ EventExpectation

bool EventExpectation::matches(const v1::Event& event) const
{
    const EventExpectationSpec& s = m_spec.event;
    const std::string_view kind = event.kind();
    if (s.kind.size() >= 2 && s.kind.substr(s.kind.size() - 2) == ".*") {
        const std::string_view prefix = std::string_view(s.kind).substr(0, s.kind.size() - 1);
        if (kind.size() <= prefix.size() || kind.substr(0, prefix.size()) != prefix)
            return false;
    } else if (kind != s.kind) {
        return false;
    }
    if (!s.component.empty() && !sim::pathMatches(s.component, event.component()))
        return false;
    for (const auto& [k, v] : s.fields) {
        bool found = false;
        for (const v1::KeyValue& kv : event.fields())
            found = found || (kv.key() == k && kv.value() == v);
        if (!found)
            return false;
    }
    return true;
}

void EventExpectation::onEvent(const v1::Event& event, const TimeAnchors& anchors)
{
    if (m_final || !matches(event))
        return;
    const sim::Nanos t = event.sim_time_ns();
    const EventExpectationSpec& s = m_spec.event;
    switch (s.mode) {
    case EventExpectationSpec::Mode::Within:
        m_lastMatch = t;
        onTime(t, anchors);
        break;
    case EventExpectationSpec::Mode::Never: {
        const auto from = anchors.resolve(s.from);
        const auto to = anchors.resolve(s.to);
        if (from && t >= *from && (!to || t <= *to)) {
            m_final = true;
            m_passed = false;
            m_observed = sim::toSeconds(t);
            m_observedText = sim::strCat(event.kind(), " at ", secondsText(t),
                                         event.component().empty() ? "" : " on ", event.component(), ": ", event.message());
        }
        break;
    }
    case EventExpectationSpec::Mode::Count: {
        const auto from = anchors.resolve(s.from);
        const auto to = anchors.resolve(s.to);
        if (from && t >= *from && (!to || t <= *to))
            ++m_count;
        break;
    }
    }
}

void EventExpectation::onTime(sim::Nanos now, const TimeAnchors& anchors)
{
    if (m_final)
        return;
    const EventExpectationSpec& s = m_spec.event;
    if (s.mode == EventExpectationSpec::Mode::Count) {
        if (const auto to = anchors.resolve(s.to); to && now > *to)
            m_final = true;
        return;
    }
    if (s.mode != EventExpectationSpec::Mode::Within)
        return;
    const auto anchor = anchors.resolve(s.after);
    if (!anchor)
        return;
    // A match at the anchor's own instant may come before the anchor is known (a
    // fault's "fault.on" event is raised as it starts): m_lastMatch keeps it.
    if (m_lastMatch >= *anchor && m_lastMatch <= *anchor + s.within) {
        m_passed = true;
        m_final = true;
        m_observed = sim::toSeconds(m_lastMatch - *anchor);
        m_observedText = sim::strCat(s.kind, " ", secondsText(m_lastMatch - *anchor), " after ", s.after.text(), " (at ",
                                     secondsText(m_lastMatch), ")");
        return;
    }
    if (now > *anchor + s.within) {
        m_final = true;
        m_passed = false;
        m_observedText = sim::strCat("none within ", formatDuration(s.within), " after ", s.after.text(), " (",
                                     secondsText(*anchor), "..", secondsText(*anchor + s.within), ")");
    }
}

void EventExpectation::finish(sim::Nanos t, const TimeAnchors& anchors)
{
    onTime(t, anchors);
    if (m_final)
        return;
    m_final = true;
    const EventExpectationSpec& s = m_spec.event;
    switch (s.mode) {
    case EventExpectationSpec::Mode::Within: {
        m_passed = false;
        const auto anchor = anchors.resolve(s.after);
        m_observedText = anchor ? sim::strCat("none between ", secondsText(*anchor), " and the end at ", secondsText(t))
                                : sim::strCat("never checked: ", anchors.why(s.after));
        break;
    }
    case EventExpectationSpec::Mode::Never:
        m_passed = true;
        m_observed = 0.0;
        m_observedText = "none";
        break;
    case EventExpectationSpec::Mode::Count:
        break;
    }
}

ExpectationResult EventExpectation::result() const
{
    ExpectationResult r;
    r.name = m_spec.name;
    r.kind = "event";
    r.weight = m_spec.weight;
    r.expected = m_spec.expectedText();
    r.final = m_final;
    const EventExpectationSpec& s = m_spec.event;
    if (s.mode == EventExpectationSpec::Mode::Count) {
        r.observed = static_cast<double>(m_count);
        r.passed = s.count.test(static_cast<double>(m_count));
        r.observedText = sim::strCat(m_count, m_count == 1 ? " event" : " events");
        return r;
    }
    r.observed = m_observed;
    r.observedText = m_observedText;
    if (s.mode == EventExpectationSpec::Mode::Never && !m_final) {
        r.passed = true; // so far
        r.observedText = "none so far";
        return r;
    }
    r.passed = m_passed;
    if (!m_final && r.observedText.empty())
        r.observedText = "waiting";
    return r;
}

// ------------------------------------------------------------------ halts and invariants

bool HaltTracker::onRollup(sim::Nanos t, const telemetry::Telemetry& telemetry)
{
    const std::optional<double> v = m_series.value(telemetry);
    if (t < m_spec.after || !v || !m_spec.when.test(*v)) {
        m_trueSince = -1;
        return false;
    }
    // The rollup at t covers (t - 1 s, t]: the condition has held since then.
    if (m_trueSince < 0)
        m_trueSince = t - telemetry::Telemetry::kRollupInterval;
    if (t - m_trueSince < std::max<sim::Nanos>(m_spec.sustain, telemetry::Telemetry::kRollupInterval))
        return false;
    m_reason = sim::strCat(m_spec.name, ": ", m_spec.metric.text(), " = ", valueText(*v), " ", m_spec.when.text(),
                           m_spec.sustain > 0 ? sim::strCat(" for ", formatDuration(t - m_trueSince)) : std::string(),
                           " at ", secondsText(t));
    return true;
}

InvariantTracker::InvariantTracker(std::vector<std::string> names, double weight, std::vector<std::string> liveness)
    : m_liveness(std::move(liveness))
{
    for (std::string& n : names) {
        InvariantResult r;
        r.name = std::move(n);
        r.weight = weight;
        r.detail = "not checked yet";
        if (r.name == kNoViolationsInvariant)
            r.detail = "no violation events";
        m_results.push_back(std::move(r));
    }
}

InvariantResult* InvariantTracker::find(std::string_view name)
{
    for (InvariantResult& r : m_results) {
        if (r.name == name)
            return &r;
    }
    return nullptr;
}

bool InvariantTracker::isLiveness(std::string_view name) const
{
    return std::find(m_liveness.begin(), m_liveness.end(), name) != m_liveness.end();
}

void InvariantTracker::update(const std::vector<InvariantCheck>& checks, sim::Nanos t, bool final)
{
    for (const InvariantCheck& c : checks) {
        InvariantResult* r = find(c.name);
        if (!r || !r->passed)
            continue; // not selected, or already failed (the first failure is kept)
        const bool pending = !final && isLiveness(c.name);
        r->detail = pending && !c.passed ? sim::strCat(c.detail, " (liveness: judged at the end)") : c.detail;
        if (!c.passed && !pending) {
            r->passed = false;
            r->failedAt = t;
        }
    }
}

void InvariantTracker::onViolation(const v1::Event& event)
{
    const std::string detail = sim::strCat(event.kind(), " at ", secondsText(event.sim_time_ns()),
                                           event.component().empty() ? "" : " on ", event.component(), ": ", event.message());
    const auto latch = [&](InvariantResult* r) {
        if (r && r->passed) {
            r->passed = false;
            r->failedAt = event.sim_time_ns();
            r->detail = detail;
        }
    };
    latch(find(kNoViolationsInvariant));
    constexpr std::string_view kPrefix = "invariant.";
    const std::string_view kind = event.kind();
    if (kind.size() > kPrefix.size() && kind.substr(0, kPrefix.size()) == kPrefix)
        latch(find(kind.substr(kPrefix.size())));
}

bool InvariantTracker::allPassed() const
{
    return std::all_of(m_results.begin(), m_results.end(), [](const InvariantResult& r) { return r.passed; });
}

double drillScore(const std::vector<ExpectationResult>& expectations, const std::vector<InvariantResult>& invariants)
{
    double total = 0.0;
    double passed = 0.0;
    for (const ExpectationResult& e : expectations) {
        total += e.weight;
        passed += e.passed ? e.weight : 0.0;
    }
    for (const InvariantResult& i : invariants) {
        total += i.weight;
        passed += i.passed ? i.weight : 0.0;
    }
    return total > 0.0 ? 100.0 * passed / total : 100.0;
}

} // namespace livedeck::drills

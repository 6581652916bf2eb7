#include "backend/drills/drill_spec.h"

#include "backend/drills/duration.h"
#include "backend/drills/json_writer.h"
#include "backend/drills/yaml_reader.h"
#include "backend/sim/strings.h"

#include <cmath>

namespace livedeck::drills {
namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool isNameChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

} // namespace

std::string_view toString(CompareOp op)
{
    switch (op) {
    case CompareOp::Less:
        return "<";
    case CompareOp::LessEqual:
        return "<=";
    case CompareOp::Greater:
        return ">";
    case CompareOp::GreaterEqual:
        return ">=";
    case CompareOp::Equal:
        return "==";
    case CompareOp::NotEqual:
        return "!=";
    }
    return "?";
}

bool Condition::test(double v) const
{
    if (std::isnan(v))
        return false;
    switch (op) {
    case CompareOp::Less:
        return v < value;
    case CompareOp::LessEqual:
        return v <= value;
    case CompareOp::Greater:
        return v > value;
    case CompareOp::GreaterEqual:
        return v >= value;
    case CompareOp::Equal:
        return v == value;
    case CompareOp::NotEqual:
        return v != value;
    }
    return false;
}

std::string Condition::text() const
{
    return sim::strCat(toString(op), " ", numberText(value));
}

absl::StatusOr<Condition> Condition::parse(std::string_view text)
{
    const std::string_view t = trim(text);
    static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
        {">=", CompareOp::GreaterEqual}, {"<=", CompareOp::LessEqual}, {"==", CompareOp::Equal},
        {"!=", CompareOp::NotEqual},     {">", CompareOp::Greater},    {"<", CompareOp::Less},
        {"=", CompareOp::Equal},
    };
    for (const auto& [name, op] : kOps) {
        if (t.substr(0, name.size()) != name)
            continue;
        Condition c;
        c.op = op;
        const std::string_view number = trim(t.substr(name.size()));
        if (!parseNumber(number, c.value))
            break;
        return c;
    }
    return absl::InvalidArgumentError(sim::strCat(
        "expected a comparison such as \">= 0.9999\" or \"< 250\" (operators <, <=, >, >=, ==, !=), got '", text, "'"));
}

std::string TimeRef::text() const
{
    std::string s;
    switch (base) {
    case Base::Start:
        return formatDuration(offset);
    case Base::End:
        s = "end";
        break;
    case Base::FaultStart:
        s = sim::strCat(fault, ".start");
        break;
    case Base::FaultEnd:
        s = sim::strCat(fault, ".end");
        break;
    }
    if (offset > 0)
        s += sim::strCat(" + ", formatDuration(offset));
    else if (offset < 0)
        s += sim::strCat(" - ", formatDuration(-offset));
    return s;
}

absl::StatusOr<TimeRef> TimeRef::parse(std::string_view text)
{
    const auto bad = [&](std::string_view why) {
        return absl::InvalidArgumentError(sim::strCat(
            "expected a time such as 30s, end, end - 10s, NAME.start or NAME.end + 5s (NAME: a named fault), got '", text,
            "'", why.empty() ? "" : ": ", why));
    };
    std::string_view t = trim(text);
    TimeRef ref;
    std::size_t i = 0;
    while (i < t.size() && (isNameChar(t[i]) || t[i] == '.'))
        ++i;
    std::string_view head = t.substr(0, i);
    std::string_view rest = trim(t.substr(i));
    if (head == "end") {
        ref.base = Base::End;
    } else if (head.size() > 6 && head.substr(head.size() - 6) == ".start") {
        ref.base = Base::FaultStart;
        ref.fault = std::string(head.substr(0, head.size() - 6));
    } else if (head.size() > 4 && head.substr(head.size() - 4) == ".end") {
        ref.base = Base::FaultEnd;
        ref.fault = std::string(head.substr(0, head.size() - 4));
    } else {
        auto d = parseDuration(t);
        if (!d.ok())
            return bad({});
        ref.base = Base::Start;
        ref.offset = *d;
        return ref;
    }
    if (!ref.fault.empty()) {
        for (char c : ref.fault) {
            if (!isNameChar(c))
                return bad("a fault name uses letters, digits, '-' and '_'");
        }
    }
    if (rest.empty())
        return ref;
    const char sign = rest.front();
    if (sign != '+' && sign != '-')
        return bad("only '+ DURATION' or '- DURATION' may follow");
    auto d = parseDuration(trim(rest.substr(1)));
    if (!d.ok())
        return bad(std::string(d.status().message()));
    ref.offset = sign == '+' ? *d : -*d;
    return ref;
}

std::string_view toString(SeriesStat stat)
{
    switch (stat) {
    case SeriesStat::Mean:
        return "mean";
    case SeriesStat::Min:
        return "min";
    case SeriesStat::Max:
        return "max";
    case SeriesStat::First:
        return "first";
    case SeriesStat::Last:
        return "last";
    case SeriesStat::Sum:
        return "sum";
    }
    return "?";
}

std::string_view toString(SeriesCombine combine)
{
    switch (combine) {
    case SeriesCombine::Sum:
        return "sum";
    case SeriesCombine::Mean:
        return "mean";
    case SeriesCombine::Min:
        return "min";
    case SeriesCombine::Max:
        return "max";
    }
    return "?";
}

std::string_view metricTypeName(v1::MetricType type)
{
    switch (type) {
    case v1::METRIC_TYPE_COUNTER:
        return "rate";
    case v1::METRIC_TYPE_COUNTER_TOTAL:
        return "total";
    case v1::METRIC_TYPE_GAUGE:
        return "value";
    case v1::METRIC_TYPE_HISTOGRAM_P50:
        return "p50";
    case v1::METRIC_TYPE_HISTOGRAM_P90:
        return "p90";
    case v1::METRIC_TYPE_HISTOGRAM_P99:
        return "p99";
    case v1::METRIC_TYPE_HISTOGRAM_P999:
        return "p999";
    default:
        return "unspecified";
    }
}

std::string MetricSelector::text() const
{
    std::string s = sim::strCat(name, " ", metricTypeName(type));
    if (!labels.empty())
        s += sim::strCat(" {", labels, "}");
    if (!component.empty())
        s += sim::strCat(" (", component, ")");
    return s;
}

std::string ExpectationSpec::expectedText() const
{
    if (isMetric) {
        return sim::strCat(toString(metric.stat), " of ", metric.metric.text(), " over (", metric.from.text(), ", ",
                           metric.to.text(), "] ", metric.expect.text());
    }
    std::string what = event.kind;
    if (!event.component.empty())
        what += sim::strCat(" on ", event.component);
    for (const auto& [k, v] : event.fields)
        what += sim::strCat(" ", k, "=", v);
    switch (event.mode) {
    case EventExpectationSpec::Mode::Within:
        return sim::strCat(what, " within ", formatDuration(event.within), " after ", event.after.text());
    case EventExpectationSpec::Mode::Never:
        return sim::strCat("no ", what, " in [", event.from.text(), ", ", event.to.text(), "]");
    case EventExpectationSpec::Mode::Count:
        return sim::strCat("count of ", what, " in [", event.from.text(), ", ", event.to.text(), "] ", event.count.text());
    }
    return {};
}

const ScheduledFault* DrillSpec::findFault(std::string_view faultName) const
{
    for (const ScheduledFault& f : faults) {
        if (!f.name.empty() && f.name == faultName)
            return &f;
    }
    return nullptr;
}

} // namespace livedeck::drills

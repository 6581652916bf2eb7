// Builders for engine descriptors (v1::EngineDescriptor): the parts every engine's
// describe() adds — KPI tiles, chart headlines, load-profile parameters, operator
// actions and component kinds — so adapters state what they offer, not how the message
// is filled. Header-only; the world's thread or any thread (pure functions).
#pragma once

#include "backend/sim/time.h"
#include "livedeck/v1/cluster.pb.h"

#include <initializer_list>
#include <string>
#include <string_view>

namespace livedeck::engine {

// A metric's role read from its name and type, for engines whose metric names follow
// the house words (latency, error/failed/shed/rejected/dead, availability/share/served/
// ratio, lag/queue/pending/utilisation); counters otherwise count throughput.
inline v1::MetricRole roleFromName(std::string_view name, v1::MetricType type)
{
    auto has = [&](std::string_view w) { return name.find(w) != std::string_view::npos; };
    if (type == v1::METRIC_TYPE_HISTOGRAM_P99 || has("latency") || has("_ms"))
        return v1::METRIC_ROLE_LATENCY;
    if (has("error") || has("failed") || has("shed") || has("rejected") || has("dead"))
        return v1::METRIC_ROLE_ERRORS;
    if (has("availability") || has("share") || has("served") || has("ratio"))
        return v1::METRIC_ROLE_RATIO;
    if (has("lag") || has("queue") || has("pending") || has("utilisation"))
        return v1::METRIC_ROLE_SATURATION;
    if (type == v1::METRIC_TYPE_COUNTER)
        return v1::METRIC_ROLE_THROUGHPUT;
    return v1::METRIC_ROLE_STATE;
}

// One Overview tile. `good`/`warn`: good when the shown value is at least `good`
// (higherIsBetter) or at most `good`; warning up to `warn`; bad beyond. A throughput
// tile that is always good has good = warn = 0 and higherIsBetter.
struct TileSpec {
    std::string id;
    std::string title;
    std::string series;
    v1::MetricType type = v1::METRIC_TYPE_GAUGE;
    v1::Aggregate aggregate = v1::AGGREGATE_SUM;
    std::string unit;
    double scale = 1.0;
    bool higherIsBetter = true;
    double good = 0.0;
    double warn = 0.0;
    std::string target;
    int decimals = 0;
    std::string denominator; // AGGREGATE_RATIO: the series divided by
};

// Adds the tile to the descriptor's own group (its engine's name).
inline v1::KpiTile& addTile(v1::EngineDescriptor& d, const TileSpec& s)
{
    v1::KpiTile& t = *d.add_tiles();
    t.set_id(s.id);
    t.set_title(s.title);
    t.set_series(s.series);
    t.set_type(s.type);
    t.set_aggregate(s.aggregate);
    t.set_denominator_series(s.denominator);
    t.set_unit(s.unit);
    t.set_scale(s.scale);
    t.set_higher_is_better(s.higherIsBetter);
    t.set_good(s.good);
    t.set_warn(s.warn);
    t.set_target_text(s.target);
    t.set_decimals(s.decimals);
    t.set_group(d.name());
    return t;
}

// `chart`: "throughput", "errors", "latency", "saturation".
inline v1::ChartHeadline& addChart(v1::EngineDescriptor& d, const std::string& chart,
                                   std::initializer_list<const char*> series)
{
    v1::ChartHeadline& c = *d.add_charts();
    c.set_chart(chart);
    for (const char* s : series)
        c.add_series(s);
    return c;
}

inline v1::ParamDescriptor& addParam(v1::LoadProfileDescriptor& p, const std::string& name, double defaultValue,
                                     double max, const std::string& unit, const std::string& what, double min = 0.0)
{
    v1::ParamDescriptor& q = *p.add_params();
    q.set_name(name);
    q.set_default_value(defaultValue);
    q.set_min(min);
    q.set_max(max);
    q.set_unit(unit);
    q.set_description(what);
    return q;
}

// A duration parameter: shown in seconds, written as a duration in drill files.
inline v1::ParamDescriptor& addDurationParam(v1::LoadProfileDescriptor& p, const std::string& name,
                                             sim::Nanos defaultValue, const std::string& what,
                                             sim::Nanos max = 24 * sim::kHour)
{
    v1::ParamDescriptor& q = addParam(p, name, sim::toSeconds(defaultValue), sim::toSeconds(max), "s", what);
    q.set_is_duration(true);
    return q;
}

// An operator action that changes the world (consoles confirm it before sending it to a
// remote cluster).
inline v1::ActionDescriptor& addAction(v1::EngineDescriptor& d, const std::string& name, const std::string& what,
                                       v1::ActionTarget target, const std::string& targetHint)
{
    v1::ActionDescriptor& a = *d.add_actions();
    a.set_name(name);
    a.set_description(what);
    a.set_target(target);
    a.set_target_hint(targetHint);
    a.set_changes_world(true);
    return a;
}

// The action takes a value.
inline void setActionValue(v1::ActionDescriptor& a, const std::string& name, const std::string& unit,
                           double defaultValue, double min, double max)
{
    a.set_takes_value(true);
    v1::ParamDescriptor& p = *a.mutable_value();
    p.set_name(name);
    p.set_unit(unit);
    p.set_default_value(defaultValue);
    p.set_min(min);
    p.set_max(max);
}

inline v1::ComponentKindDescriptor& addComponentKind(v1::EngineDescriptor& d, const std::string& kind,
                                                     const std::string& what,
                                                     std::initializer_list<const char*> headlineKeys,
                                                     const std::string& view = {})
{
    v1::ComponentKindDescriptor& c = *d.add_component_kinds();
    c.set_kind(kind);
    c.set_description(what);
    for (const char* k : headlineKeys)
        c.add_headline_keys(k);
    c.set_view(view);
    return c;
}

} // namespace livedeck::engine

#include "backend/engine/engine.h"

#include "backend/engine/shared.h"
#include "backend/engine/yaml_reader.h"
#include "backend/sim/strings.h"

#include <algorithm>

namespace livedeck::engine {

absl::Status Engine::setLoad(const std::string&, double)
{
    return absl::FailedPreconditionError("this engine takes no load changes");
}

absl::Status Engine::applyAction(const ActionRequest& action)
{
    return absl::UnimplementedError(sim::strCat("this engine does not implement '", action.action, "'"));
}

FaultSurface EngineFactory::faultSurface(const EngineSettings&, const sim::World&) const
{
    return {};
}

std::shared_ptr<const EngineSettings> EngineFactory::parseLoad(const std::string& profile, const YAML::Node& params) const
{
    if (params.IsDefined() && !params.IsNull())
        fail(params, sim::strCat("load profile '", profile, "' of engine ", name(), " takes no params"));
    return nullptr;
}

namespace {

v1::MetricType defaultType(telemetry::MetricKind kind)
{
    switch (kind) {
    case telemetry::MetricKind::Counter:
        return v1::METRIC_TYPE_COUNTER;
    case telemetry::MetricKind::Gauge:
        return v1::METRIC_TYPE_GAUGE;
    case telemetry::MetricKind::Histogram:
        return v1::METRIC_TYPE_HISTOGRAM_P99;
    }
    return v1::METRIC_TYPE_GAUGE;
}

} // namespace

v1::EngineDescriptor EngineFactory::describe() const
{
    v1::EngineDescriptor d;
    d.set_name(std::string(name()));
    d.set_title(std::string(name()));
    d.set_description(std::string(description()));
    for (const MetricOffer& m : metrics()) {
        v1::MetricDescriptor& md = *d.add_metrics();
        md.set_name(m.name);
        md.set_unit(m.unit);
        md.set_description(m.description);
        md.set_role(m.role);
        md.set_type(defaultType(m.kind));
    }
    for (const InvariantOffer& i : invariants())
        d.add_invariants(i.name);
    for (const std::string& p : loadProfiles())
        d.add_load_profiles()->set_name(p);
    return d;
}

bool EngineFactory::offersMetric(std::string_view metricName, telemetry::MetricKind* kind) const
{
    for (const MetricOffer& m : metrics()) {
        const std::string_view offered = m.name;
        bool match = offered == metricName;
        if (!match && offered.size() >= 2 && offered.substr(offered.size() - 2) == ".*") {
            const std::string_view prefix = offered.substr(0, offered.size() - 1); // keeps the '.'
            match = metricName.size() > prefix.size() && metricName.substr(0, prefix.size()) == prefix;
        }
        if (match) {
            if (kind)
                *kind = m.kind;
            return true;
        }
    }
    return false;
}

absl::Status EngineRegistry::add(std::shared_ptr<const EngineFactory> factory, EngineOrigin origin)
{
    if (!factory)
        return absl::InvalidArgumentError("no engine factory");
    const std::string_view n = factory->name();
    if (n.empty())
        return absl::InvalidArgumentError("an engine needs a name");
    for (const Entry& e : m_entries) {
        if (e.factory->name() == n)
            return absl::AlreadyExistsError(sim::strCat(
                "engine '", n, "' is already registered (",
                e.origin.pluginId.empty() ? std::string("built in") : sim::strCat("by plugin ", e.origin.pluginId),
                "); an engine cannot be replaced"));
    }
    m_entries.push_back(Entry{std::move(factory), std::move(origin)});
    std::sort(m_entries.begin(), m_entries.end(),
              [](const Entry& a, const Entry& b) { return a.factory->name() < b.factory->name(); });
    return absl::OkStatus();
}

const EngineFactory* EngineRegistry::find(std::string_view name) const
{
    for (const Entry& e : m_entries) {
        if (e.factory->name() == name)
            return e.factory.get();
    }
    return nullptr;
}

const EngineOrigin* EngineRegistry::origin(std::string_view name) const
{
    for (const Entry& e : m_entries) {
        if (e.factory->name() == name)
            return &e.origin;
    }
    return nullptr;
}

std::vector<const EngineFactory*> EngineRegistry::all() const
{
    std::vector<const EngineFactory*> out;
    for (const Entry& e : m_entries)
        out.push_back(e.factory.get());
    return out;
}

std::string EngineRegistry::names() const
{
    std::string s;
    for (const Entry& e : m_entries)
        s += sim::strCat(s.empty() ? "" : ", ", e.factory->name());
    return s;
}

std::vector<MetricOffer> registeredMetrics(const telemetry::MetricsRegistry& metrics, std::string_view description)
{
    std::vector<MetricOffer> out;
    for (const telemetry::MetricInfo& m : metrics.metrics()) {
        const bool seen = std::any_of(out.begin(), out.end(), [&](const MetricOffer& o) { return o.name == m.name; });
        if (!seen)
            out.push_back(MetricOffer{m.name, m.kind, m.unit, std::string(description)});
    }
    return out;
}

EngineOffers probeEngineOffers(std::string_view metricDescription, const EngineBuildProbe& build)
{
    EngineOffers out;
    sim::World world;
    telemetry::Telemetry telemetry(world);
    SharedResources shared;
    auto invariants = build(world, telemetry, shared);
    if (!invariants.ok())
        return out;
    out.metrics = registeredMetrics(telemetry.metrics(), metricDescription);
    out.invariants = std::move(*invariants);
    return out;
}

bool declaresAction(const v1::EngineDescriptor& descriptor, std::string_view action)
{
    for (const v1::ActionDescriptor& a : descriptor.actions()) {
        if (a.name() == action)
            return true;
    }
    return false;
}

} // namespace livedeck::engine

namespace livedeck::engine {

EngineRegistry& processEngines()
{
    static EngineRegistry registry;
    return registry;
}

} // namespace livedeck::engine

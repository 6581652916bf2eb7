#include "backend/drills/engine.h"

#include "backend/drills/yaml_reader.h"
#include "backend/sim/strings.h"

#include <algorithm>

namespace livedeck::drills {

std::shared_ptr<const EngineSettings> EngineFactory::parseLoad(const std::string& profile, const YAML::Node& params) const
{
    if (params.IsDefined() && !params.IsNull())
        fail(params, sim::strCat("load profile '", profile, "' of engine ", name(), " takes no params"));
    return nullptr;
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

void EngineRegistry::add(std::shared_ptr<const EngineFactory> factory)
{
    const std::string_view n = factory->name();
    for (auto& f : m_factories) {
        if (f->name() == n) {
            f = std::move(factory);
            return;
        }
    }
    m_factories.push_back(std::move(factory));
    std::sort(m_factories.begin(), m_factories.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
}

const EngineFactory* EngineRegistry::find(std::string_view name) const
{
    for (const auto& f : m_factories) {
        if (f->name() == name)
            return f.get();
    }
    return nullptr;
}

std::string EngineRegistry::names() const
{
    std::string s;
    for (const auto& f : m_factories)
        s += sim::strCat(s.empty() ? "" : ", ", f->name());
    return s;
}

absl::Status DrillEngine::setLoad(const std::string&, double)
{
    return absl::FailedPreconditionError("this engine takes no load changes");
}

} // namespace livedeck::drills

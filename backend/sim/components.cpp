#include "backend/sim/components.h"

#include "backend/sim/strings.h"
#include "backend/sim/topology.h"


#include <cstdio>
#include <cstdlib>

namespace livedeck::sim {

void StateWriter::add(std::string_view key, std::string_view value)
{
    m_entries.emplace_back(std::string(key), std::string(value));
}

void StateWriter::add(std::string_view key, double value)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    add(key, std::string_view(buf));
}

void StateWriter::add(std::string_view key, std::int64_t value)
{
    add(key, std::string_view(strCat(value)));
}

void StateWriter::add(std::string_view key, std::uint64_t value)
{
    add(key, std::string_view(strCat(value)));
}

bool pathMatches(std::string_view target, std::string_view path)
{
    if (target.empty() || path.empty())
        return false;
    std::size_t ti = 0;
    std::size_t pi = 0;
    for (;;) {
        const std::size_t tEnd = std::min(target.find('/', ti), target.size());
        const std::size_t pEnd = std::min(path.find('/', pi), path.size());
        const std::string_view tSeg = target.substr(ti, tEnd - ti);
        const std::string_view pSeg = path.substr(pi, pEnd - pi);
        if (tSeg != "*" && tSeg != pSeg)
            return false;
        if (tEnd == target.size())
            return true;
        if (pEnd == path.size())
            return false; // the target has more segments than the path
        ti = tEnd + 1;
        pi = pEnd + 1;
    }
}

ComponentRegistry::ComponentRegistry(const Topology& topology) : m_topology(topology)
{
    ComponentInfo world;
    world.id = kNoComponent;
    world.path = "world";
    world.kind = "world";
    world.engine = "sim";
    m_components.push_back(world);
    m_byPath.emplace("world", kNoComponent);
}

absl::StatusOr<ComponentId> ComponentRegistry::add(std::string_view path, std::string_view kind,
                                                   std::string_view dataCentre, const Inspectable* inspectable)
{
    if (path.empty() || path.front() == '/' || path.back() == '/' || path.find("//") != std::string_view::npos)
        return absl::InvalidArgumentError(strCat("component path '", path, "' is malformed: expected segments like sh-a/orders/db/3"));
    if (path.find('*') != std::string_view::npos)
        return absl::InvalidArgumentError(strCat("component path '", path, "' may not contain '*'"));
    if (m_byPath.contains(path))
        return absl::AlreadyExistsError(strCat("component '", path, "' is already registered"));
    ComponentInfo info;
    info.id = static_cast<ComponentId>(m_components.size());
    info.path = std::string(path);
    info.kind = std::string(kind);
    info.inspectable = inspectable;
    const std::size_t firstSlash = path.find('/');
    const std::string_view first = path.substr(0, firstSlash);
    if (firstSlash != std::string_view::npos) {
        const std::size_t second = path.find('/', firstSlash + 1);
        info.engine = std::string(path.substr(firstSlash + 1, second == std::string_view::npos ? std::string_view::npos : second - firstSlash - 1));
    }
    info.region = m_topology.regionIndex(first);
    if (!dataCentre.empty()) {
        info.dataCentre = m_topology.dataCentreIndex(dataCentre);
        if (info.dataCentre < 0)
            return absl::InvalidArgumentError(strCat("component '", path, "': unknown data centre '", dataCentre, "'"));
        info.region = m_topology.dataCentres()[static_cast<std::size_t>(info.dataCentre)].region;
    } else if (info.region >= 0) {
        const auto& dcs = m_topology.regions()[static_cast<std::size_t>(info.region)].dataCentres;
        info.dataCentre = dcs.empty() ? -1 : dcs.front();
    }
    m_byPath.emplace(info.path, info.id);
    m_components.push_back(std::move(info));
    return m_components.back().id;
}

ComponentId ComponentRegistry::mustAdd(std::string_view path, std::string_view kind, std::string_view dataCentre,
                                       const Inspectable* inspectable)
{
    auto id = add(path, kind, dataCentre, inspectable);
    if (!id.ok()) {
        std::fprintf(stderr, "livedeck: %s\n", std::string(id.status().message()).c_str());
        std::abort();
    }
    return *id;
}

void ComponentRegistry::setInspectable(ComponentId id, const Inspectable* inspectable)
{
    m_components[id].inspectable = inspectable;
}

const ComponentInfo* ComponentRegistry::find(std::string_view path) const
{
    const auto it = m_byPath.find(path);
    return it == m_byPath.end() ? nullptr : &m_components[it->second];
}

std::vector<ComponentId> ComponentRegistry::matching(std::string_view target) const
{
    std::vector<ComponentId> out;
    for (const ComponentInfo& c : m_components) {
        if (c.id != kNoComponent && pathMatches(target, c.path))
            out.push_back(c.id);
    }
    return out;
}

} // namespace livedeck::sim

#include "backend/sim/network.h"

#include "backend/sim/components.h"
#include "backend/sim/faults.h"
#include "backend/sim/topology.h"

namespace livedeck::sim {

const char* Delivery::reason() const
{
    switch (outcome) {
    case Outcome::Delivered:
        return "delivered";
    case Outcome::SourceDown:
        return "source down";
    case Outcome::DestinationDown:
        return "destination down";
    case Outcome::Partitioned:
        return "partitioned";
    case Outcome::Lost:
        return "lost";
    }
    return "?";
}

Network::Network(const Topology& topology, const ComponentRegistry& components, const FaultRegistry& faults,
                 std::uint64_t masterSeed)
    : m_topology(topology), m_components(components), m_faults(faults)
{
    for (const LinkSpec& l : topology.links()) {
        const std::string path = "net/" + topology.regions()[static_cast<std::size_t>(l.a)].name + "/"
            + topology.regions()[static_cast<std::size_t>(l.b)].name;
        m_links.push_back(LinkState{RandomStream::derive(masterSeed, path)});
    }
    for (const RegionSpec& r : topology.regions())
        m_local.push_back(LinkState{RandomStream::derive(masterSeed, "net/" + r.name)});
}

Network::LinkState& Network::linkState(int regionA, int regionB)
{
    if (regionA == regionB || regionA < 0 || regionB < 0)
        return m_local[static_cast<std::size_t>(regionA >= 0 ? regionA : (regionB >= 0 ? regionB : 0))];
    const int i = m_topology.linkIndex(regionA, regionB);
    return i >= 0 ? m_links[static_cast<std::size_t>(i)] : m_local[static_cast<std::size_t>(regionA)];
}

Nanos Network::baseLatency(ComponentId from, ComponentId to) const
{
    const ComponentInfo& a = m_components.get(from);
    const ComponentInfo& b = m_components.get(to);
    if (a.region < 0 || b.region < 0)
        return Topology::kIntraDcLatency;
    if (a.region == b.region)
        return a.dataCentre == b.dataCentre ? Topology::kIntraDcLatency : Topology::kIntraRegionLatency;
    const LinkSpec* l = m_topology.link(a.region, b.region);
    return l ? l->latency : 100 * kMillisecond; // unlinked regions: a long way round
}

bool Network::reachable(ComponentId from, ComponentId to) const
{
    const ComponentInfo& a = m_components.get(from);
    const ComponentInfo& b = m_components.get(to);
    return !m_faults.isDown(a.path) && !m_faults.isDown(b.path) && !m_faults.partitioned(a.path, b.path);
}

bool Network::regionReachable(int fromRegion, int toRegion) const
{
    const std::string& a = m_topology.regions()[static_cast<std::size_t>(fromRegion)].name;
    const std::string& b = m_topology.regions()[static_cast<std::size_t>(toRegion)].name;
    return !m_faults.isDown(a) && !m_faults.isDown(b) && !m_faults.partitioned(a, b);
}

Delivery Network::send(ComponentId from, ComponentId to)
{
    ++m_sent;
    const ComponentInfo& a = m_components.get(from);
    const ComponentInfo& b = m_components.get(to);
    Delivery d;
    if (m_faults.isDown(a.path))
        d.outcome = Delivery::Outcome::SourceDown;
    else if (m_faults.isDown(b.path))
        d.outcome = Delivery::Outcome::DestinationDown;
    else if (m_faults.partitioned(a.path, b.path))
        d.outcome = Delivery::Outcome::Partitioned;
    if (!d.delivered()) {
        ++m_dropped;
        return d;
    }
    d.latency = baseLatency(from, to);
    if (a.region >= 0 && b.region >= 0 && a.region != b.region) {
        if (const LinkSpec* l = m_topology.link(a.region, b.region)) {
            LinkState& ls = linkState(a.region, b.region);
            if (l->jitter > 0)
                d.latency += static_cast<Nanos>(ls.rng.uniformInt(static_cast<std::uint64_t>(l->jitter)));
            if (l->loss > 0 && ls.rng.bernoulli(l->loss)) {
                d.outcome = Delivery::Outcome::Lost;
                ++m_dropped;
                return d;
            }
        }
    }
    const double extraMs = m_faults.linkLatencyAddMs(a.path, b.path);
    if (extraMs > 0)
        d.latency += fromMillis(extraMs);
    return d;
}

} // namespace livedeck::sim

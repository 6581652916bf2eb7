#include "backend/sim/network.h"

#include "backend/sim/components.h"
#include "backend/sim/faults.h"
#include "backend/sim/topology.h"

#include <algorithm>

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

namespace {

int latencyBucket(Nanos latency)
{
    if (latency <= 1)
        return 0;
    const auto v = static_cast<std::uint64_t>(latency);
    const int octave = 63 - __builtin_clzll(v);
    const int sub = octave >= 3 ? static_cast<int>((v >> (octave - 3)) & 7) : 0;
    return std::min(octave * 8 + sub, 8 * 40 - 1);
}

Nanos bucketUpper(int bucket)
{
    const int octave = bucket / 8;
    const int sub = bucket % 8;
    const double base = static_cast<double>(std::uint64_t{1} << octave);
    return static_cast<Nanos>(base + base * (sub + 1) / 8.0);
}

} // namespace

void Network::count(int regionA, int regionB, const Delivery& d)
{
    if (regionA < 0 || regionB < 0 || regionA == regionB)
        return;
    const int i = m_topology.linkIndex(regionA, regionB);
    if (i < 0)
        return;
    LinkState& ls = m_links[static_cast<std::size_t>(i)];
    const int dir = m_topology.links()[static_cast<std::size_t>(i)].a == regionA ? 0 : 1;
    ++ls.offered[dir];
    if (!d.delivered()) {
        ++ls.failed[dir];
        return;
    }
    if (ls.latency.empty())
        ls.latency.assign(kLatencyBuckets, 0);
    ++ls.latency[static_cast<std::size_t>(latencyBucket(d.latency))];
    ++ls.delivered;
}

void Network::takeCarried(std::vector<LinkCarried>& out)
{
    out.clear();
    for (std::size_t i = 0; i < m_links.size(); ++i) {
        LinkState& ls = m_links[i];
        LinkCarried c;
        c.a = m_topology.links()[i].a;
        c.b = m_topology.links()[i].b;
        c.offeredAb = ls.offered[0];
        c.offeredBa = ls.offered[1];
        c.failedAb = ls.failed[0];
        c.failedBa = ls.failed[1];
        c.messages = c.offeredAb + c.offeredBa;
        if (ls.delivered > 0) {
            const std::uint64_t rank = (ls.delivered * 99 + 99) / 100; // the p99 message, 1-based
            std::uint64_t seen = 0;
            for (int k = 0; k < kLatencyBuckets; ++k) {
                seen += ls.latency[static_cast<std::size_t>(k)];
                if (seen >= rank) {
                    c.p99Latency = bucketUpper(k);
                    break;
                }
            }
            std::fill(ls.latency.begin(), ls.latency.end(), 0u);
        }
        ls.offered[0] = ls.offered[1] = ls.failed[0] = ls.failed[1] = 0;
        ls.delivered = 0;
        out.push_back(c);
    }
}

Delivery Network::send(ComponentId from, ComponentId to)
{
    Delivery d = deliver(from, to);
    count(m_components.get(from).region, m_components.get(to).region, d);
    return d;
}

Delivery Network::deliver(ComponentId from, ComponentId to)
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

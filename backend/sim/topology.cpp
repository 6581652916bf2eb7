#include "backend/sim/topology.h"

#include "livedeck/v1/cluster.pb.h"

#include <algorithm>

namespace livedeck::sim {

Topology Topology::defaults()
{
    Topology t;
    t.addRegion("sh-a", "shanghai", 0.72, 0.35);
    t.addRegion("sh-b", "shanghai", 0.80, 0.55);
    t.addRegion("gz", "guangzhou", 0.25, 0.75);
    t.addDataCentre("sh-a1", "sh-a");
    t.addDataCentre("sh-b1", "sh-b");
    t.addDataCentre("gz1", "gz");
    t.setLink("sh-a", "sh-b", 1 * kMillisecond, 200 * kMicrosecond, 0.0);
    t.setLink("sh-a", "gz", 30 * kMillisecond, 3 * kMillisecond, 0.0);
    t.setLink("sh-b", "gz", 30 * kMillisecond, 3 * kMillisecond, 0.0);
    return t;
}

int Topology::addRegion(std::string_view name, std::string_view city, double mapX, double mapY)
{
    const int existing = regionIndex(name);
    if (existing >= 0)
        return existing;
    RegionSpec r;
    r.name = std::string(name);
    r.city = std::string(city);
    r.mapX = mapX;
    r.mapY = mapY;
    m_regions.push_back(std::move(r));
    return static_cast<int>(m_regions.size()) - 1;
}

int Topology::addDataCentre(std::string_view name, std::string_view region)
{
    const int existing = dataCentreIndex(name);
    if (existing >= 0)
        return existing;
    const int r = regionIndex(region);
    if (r < 0)
        return -1;
    m_dataCentres.push_back(DataCentreSpec{std::string(name), r});
    const int index = static_cast<int>(m_dataCentres.size()) - 1;
    m_regions[static_cast<std::size_t>(r)].dataCentres.push_back(index);
    return index;
}

void Topology::setLink(std::string_view regionA, std::string_view regionB, Nanos latency, Nanos jitter, double loss)
{
    int a = regionIndex(regionA);
    int b = regionIndex(regionB);
    if (a < 0 || b < 0 || a == b)
        return;
    if (a > b)
        std::swap(a, b);
    const int existing = linkIndex(a, b);
    const LinkSpec spec{a, b, latency, jitter, loss};
    if (existing >= 0)
        m_links[static_cast<std::size_t>(existing)] = spec;
    else
        m_links.push_back(spec);
}

int Topology::regionIndex(std::string_view name) const
{
    for (std::size_t i = 0; i < m_regions.size(); ++i) {
        if (m_regions[i].name == name)
            return static_cast<int>(i);
    }
    return -1;
}

int Topology::dataCentreIndex(std::string_view name) const
{
    for (std::size_t i = 0; i < m_dataCentres.size(); ++i) {
        if (m_dataCentres[i].name == name)
            return static_cast<int>(i);
    }
    return -1;
}

int Topology::linkIndex(int regionA, int regionB) const
{
    if (regionA > regionB)
        std::swap(regionA, regionB);
    for (std::size_t i = 0; i < m_links.size(); ++i) {
        if (m_links[i].a == regionA && m_links[i].b == regionB)
            return static_cast<int>(i);
    }
    return -1;
}

const LinkSpec* Topology::link(int regionA, int regionB) const
{
    const int i = linkIndex(regionA, regionB);
    return i < 0 ? nullptr : &m_links[static_cast<std::size_t>(i)];
}

void Topology::toProto(v1::Topology& out) const
{
    for (const RegionSpec& r : m_regions) {
        auto* pr = out.add_regions();
        pr->set_name(r.name);
        pr->set_city(r.city);
        pr->set_map_x(r.mapX);
        pr->set_map_y(r.mapY);
        for (int dc : r.dataCentres) {
            auto* pd = pr->add_data_centres();
            pd->set_name(m_dataCentres[static_cast<std::size_t>(dc)].name);
            pd->set_region(r.name);
        }
    }
    for (const LinkSpec& l : m_links) {
        auto* pl = out.add_links();
        pl->set_a(m_regions[static_cast<std::size_t>(l.a)].name);
        pl->set_b(m_regions[static_cast<std::size_t>(l.b)].name);
        pl->set_latency_ms(toMillis(l.latency));
        pl->set_jitter_ms(toMillis(l.jitter));
        pl->set_loss(l.loss);
    }
}

} // namespace livedeck::sim

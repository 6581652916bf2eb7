// Topology: regions, their data centres, and the links between them, with base
// latency, jitter and loss. Defaults : regions "sh-a" and "sh-b",
// two data centres of one city about 1 ms apart, and "gz", far away (~30 ms).
//
// The Topology is static description; what changes at run time (partitions, a
// region down, extra link latency) comes from the fault registry, which the Network
// consults on every send.
#pragma once

#include "backend/sim/time.h"

#include <string>
#include <string_view>
#include <vector>

namespace livedeck::v1 {
class Topology;
}

namespace livedeck::sim {

struct RegionSpec {
    std::string name;
    std::string city;
    std::vector<int> dataCentres; // indices into dataCentres()
    double mapX = 0.5;            // position hint for the console's map, 0..1
    double mapY = 0.5;
};

struct DataCentreSpec {
    std::string name;
    int region = -1;
};

struct LinkSpec {
    int a = -1; // region indices; a < b
    int b = -1;
    Nanos latency = 0; // one-way base latency
    Nanos jitter = 0;  // uniform extra in [0, jitter)
    double loss = 0.0; // probability a message is lost
};

class Topology {
public:
    // Latency between two data centres of one region, and inside one data centre.
    static constexpr Nanos kIntraRegionLatency = 500 * kMicrosecond;
    static constexpr Nanos kIntraDcLatency = 100 * kMicrosecond;

    // sh-a (dc sh-a1), sh-b (dc sh-b1) in shanghai, 1 ms apart; gz (dc gz1) ~30 ms away.
    static Topology defaults();

    int addRegion(std::string_view name, std::string_view city, double mapX = 0.5, double mapY = 0.5);
    int addDataCentre(std::string_view name, std::string_view region);
    // Sets (or replaces) the link between two regions.
    void setLink(std::string_view regionA, std::string_view regionB, Nanos latency, Nanos jitter, double loss);

    int regionIndex(std::string_view name) const;     // -1 when unknown
    int dataCentreIndex(std::string_view name) const; // -1 when unknown
    const std::vector<RegionSpec>& regions() const { return m_regions; }
    const std::vector<DataCentreSpec>& dataCentres() const { return m_dataCentres; }
    const std::vector<LinkSpec>& links() const { return m_links; }
    // The link between two distinct regions, or nullptr when there is none.
    const LinkSpec* link(int regionA, int regionB) const;
    int linkIndex(int regionA, int regionB) const;

    void toProto(v1::Topology& out) const;

private:
    std::vector<RegionSpec> m_regions;
    std::vector<DataCentreSpec> m_dataCentres;
    std::vector<LinkSpec> m_links;
};

} // namespace livedeck::sim

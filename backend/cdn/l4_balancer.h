// L4Balancer: a Maglev table over the L7 nodes that are in service, plus a
// connection table, as Maglev and Katran do (docs/CDN.md, "L4").
//
// Contract:
// - route(flowHash): a flow already in the connection table keeps its backend as long
//   as that backend is in service, even when the Maglev table has since changed (a
//   backend joined or left); otherwise the current table picks, and the choice is
//   recorded. A flow whose backend left is re-routed by the table (its entry replaced).
// - setInService() rebuilds the table over the backends in service (in index order,
//   so the build is deterministic); a health checker drives it.
// - The connection table is a hash map looked up by flow hash, never iterated; with
//   `connectionTable = false` (the sabotaged twin) every packet follows the table.
// Single-threaded.
#pragma once

#include "backend/cdn/maglev.h"

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <vector>

namespace livedeck::cdn {

struct L4Config {
    std::uint32_t tableSize = kMaglevTableSize;
    bool connectionTable = true;
};

class L4Balancer {
public:
    static constexpr int kNone = -1;

    // All backends start in service.
    L4Balancer(std::vector<std::string> backends, L4Config config = {});

    // The backend for a packet of flow `flowHash`; kNone when no backend is in service.
    int route(std::uint64_t flowHash);
    // The flow ended (FIN/RST or idle timeout): its connection entry goes.
    void closeFlow(std::uint64_t flowHash) { m_connections.erase(flowHash); }

    void setInService(int backend, bool inService);
    bool inService(int backend) const { return m_inService[static_cast<std::size_t>(backend)]; }
    void setWeight(int backend, double weight); // e.g. by disk I/O capacity; rebuilds

    const std::vector<std::string>& backends() const { return m_names; }
    const MaglevTable& table() const { return m_table; }
    std::size_t connections() const { return m_connections.size(); }
    std::uint64_t rebuilds() const { return m_rebuilds; }
    // Flows whose recorded backend had left and that the table re-routed.
    std::uint64_t reroutedFlows() const { return m_rerouted; }
    // Entries of the current table held by each backend (0 for those out of service).
    std::vector<std::uint32_t> entriesPerBackend() const;

private:
    void rebuild();

    std::vector<std::string> m_names;
    std::vector<double> m_weights;
    std::vector<bool> m_inService;
    L4Config m_config;
    MaglevTable m_table;
    std::vector<int> m_tableToBackend; // table index → backend index
    absl::flat_hash_map<std::uint64_t, int> m_connections;
    std::uint64_t m_rebuilds = 0;
    std::uint64_t m_rerouted = 0;
};

} // namespace livedeck::cdn

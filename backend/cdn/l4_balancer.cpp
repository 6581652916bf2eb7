#include "backend/cdn/l4_balancer.h"

#include <cassert>

namespace livedeck::cdn {

L4Balancer::L4Balancer(std::vector<std::string> backends, L4Config config)
    : m_names(std::move(backends)),
      m_weights(m_names.size(), 1.0),
      m_inService(m_names.size(), true),
      m_config(config)
{
    rebuild();
}

void L4Balancer::rebuild()
{
    std::vector<std::string> names;
    std::vector<double> weights;
    m_tableToBackend.clear();
    for (std::size_t i = 0; i < m_names.size(); ++i) {
        if (!m_inService[i])
            continue;
        names.push_back(m_names[i]);
        weights.push_back(m_weights[i]);
        m_tableToBackend.push_back(static_cast<int>(i));
    }
    auto table = MaglevTable::build(names, weights, m_config.tableSize);
    assert(table.ok());
    m_table = std::move(*table);
    ++m_rebuilds;
}

void L4Balancer::setInService(int backend, bool inService)
{
    const auto i = static_cast<std::size_t>(backend);
    if (m_inService[i] == inService)
        return;
    m_inService[i] = inService;
    rebuild();
}

void L4Balancer::setWeight(int backend, double weight)
{
    m_weights[static_cast<std::size_t>(backend)] = weight;
    rebuild();
}

int L4Balancer::route(std::uint64_t flowHash)
{
    if (m_config.connectionTable) {
        auto it = m_connections.find(flowHash);
        if (it != m_connections.end()) {
            if (m_inService[static_cast<std::size_t>(it->second)])
                return it->second;
            ++m_rerouted;
        }
    }
    const std::uint16_t slot = m_table.lookup(flowHash);
    if (slot == MaglevTable::kEmpty) {
        if (m_config.connectionTable)
            m_connections.erase(flowHash);
        return kNone;
    }
    const int backend = m_tableToBackend[slot];
    if (m_config.connectionTable)
        m_connections.insert_or_assign(flowHash, backend);
    return backend;
}

std::vector<std::uint32_t> L4Balancer::entriesPerBackend() const
{
    std::vector<std::uint32_t> out(m_names.size(), 0);
    const auto perTable = m_table.entriesPerBackend();
    for (std::size_t t = 0; t < perTable.size(); ++t)
        out[static_cast<std::size_t>(m_tableToBackend[t])] = perTable[t];
    return out;
}

} // namespace livedeck::cdn

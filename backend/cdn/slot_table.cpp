#include "backend/cdn/slot_table.h"

#include <algorithm>
#include <cmath>

namespace livedeck::cdn {

LiveSlotTable::LiveSlotTable(const HashRing& ring, SlotConfig config)
    : m_ring(ring), m_config(config), m_slots(std::max<std::uint32_t>(config.slots, 1))
{
    m_config.slots = static_cast<std::uint32_t>(m_slots.size());
}

int LiveSlotTable::wantedWidth(const Slot& s) const
{
    const int maxWidth = std::max<int>(1, static_cast<int>(m_ring.activeCount()));
    if (!std::isfinite(m_config.threshold) || m_config.threshold <= 0.0)
        return 1;
    const double need = std::ceil(s.load / m_config.threshold);
    return std::clamp(static_cast<int>(std::min(need, 1e9)), 1, maxWidth);
}

void LiveSlotTable::setLoad(std::uint32_t slot, double load)
{
    Slot& s = m_slots[slot];
    s.load = std::max(0.0, load);
    const int want = wantedWidth(s);
    if (want > s.width) {
        s.width = want;
        ++m_widenings;
        return;
    }
    // Shrink one step at a time, each only when the smaller set has headroom.
    while (s.width > want && s.load <= m_config.shrinkHysteresis * m_config.threshold * (s.width - 1)) {
        --s.width;
        ++m_narrowings;
    }
}

void LiveSlotTable::preheat(std::uint32_t slot, double expectedLoad)
{
    Slot& s = m_slots[slot];
    Slot probe = s;
    probe.load = expectedLoad;
    const int want = wantedWidth(probe);
    if (want > s.width) {
        s.width = want;
        ++m_widenings;
    }
}

const std::vector<int>& LiveSlotTable::members(std::uint32_t slot)
{
    Slot& s = m_slots[slot];
    const int width = std::min<int>(s.width, std::max<int>(1, static_cast<int>(m_ring.activeCount())));
    if (s.generation != m_ring.generation() || static_cast<int>(s.members.size()) != width) {
        m_ring.owners(hashU64(slot, 0x736c6f74ull), width, s.members);
        s.generation = m_ring.generation();
    }
    return s.members;
}

int LiveSlotTable::nodeFor(std::uint64_t streamHash, std::uint64_t viewerHash)
{
    const auto& set = members(slotOf(streamHash));
    if (set.empty())
        return HashRing::kNone;
    return set[reduce(viewerHash, static_cast<std::uint32_t>(set.size()))];
}

std::vector<double> LiveSlotTable::nodeLoads()
{
    std::vector<double> load(m_ring.nodeCount(), 0.0);
    for (std::uint32_t i = 0; i < m_config.slots; ++i) {
        if (m_slots[i].load <= 0.0)
            continue;
        const auto& set = members(i);
        for (int node : set)
            load[static_cast<std::size_t>(node)] += m_slots[i].load / static_cast<double>(set.size());
    }
    return load;
}

std::vector<double> LiveSlotTable::nodeLoadShares()
{
    std::vector<double> share(m_ring.nodeCount(), 0.0);
    for (std::uint32_t i = 0; i < m_config.slots; ++i) {
        if (m_slots[i].load <= 0.0)
            continue;
        const auto& set = members(i);
        for (int node : set)
            share[static_cast<std::size_t>(node)] += m_slots[i].load / static_cast<double>(set.size()) / m_config.threshold;
    }
    return share;
}

} // namespace livedeck::cdn

// LiveSlotTable: live streams hashed into slots; each slot is served by a set of cache
// nodes that widens when the slot's load passes its threshold (docs/CDN.md, "Live
// slots": the write-up's "traffic divided into rectangular slots; a slot over its
// threshold has its excess dispersed to other components").
//
// Contract:
// - slotOf(stream) = stream hash mapped onto [0, slots). A slot's member set is the
//   first `width` distinct ring owners of the slot's own key, so one slot's set grows
//   by appending the next owner clockwise and every member pulls the stream once.
// - width = ⌈load / threshold⌉ (at least 1, at most the active nodes). It grows as soon
//   as the load needs it and shrinks only when the load falls to
//   hysteresis × threshold × (width − 1), so a load hovering at a boundary does not flap.
// - nodeFor(stream, viewer): the viewer's member is viewerHash mapped onto the set, so
//   each member carries load / width ≤ threshold on average.
// - preheat(slot, expectedLoad) widens a slot ahead of a predicted crossing.
// - An infinite threshold (the sabotaged twin) keeps every slot on one node.
// Defaults: 1 024 slots, hysteresis 0.8 (ours, cdn_defaults.h).
#pragma once

#include "backend/cdn/cdn_defaults.h"
#include "backend/cdn/hash_ring.h"

#include <cstdint>
#include <vector>

namespace livedeck::cdn {

struct SlotConfig {
    std::uint32_t slots = kLiveSlots;
    double threshold = 1'000.0;      // load (viewers, or bytes/s) one node takes per slot
    double shrinkHysteresis = kSlotShrinkHysteresis;
};

class LiveSlotTable {
public:
    LiveSlotTable(const HashRing& ring, SlotConfig config);

    std::uint32_t slotOf(std::uint64_t streamHash) const { return reduce(streamHash, m_config.slots); }
    // Sets a slot's current load; recomputes its width (with hysteresis).
    void setLoad(std::uint32_t slot, double load);
    void addLoad(std::uint32_t slot, double delta) { setLoad(slot, m_slots[slot].load + delta); }
    // Widens the slot for a predicted load (never narrows it).
    void preheat(std::uint32_t slot, double expectedLoad);

    double load(std::uint32_t slot) const { return m_slots[slot].load; }
    int width(std::uint32_t slot) const { return m_slots[slot].width; }
    // The slot's member nodes, nearest owner first.
    const std::vector<int>& members(std::uint32_t slot);
    // The node a viewer of a stream is sent to.
    int nodeFor(std::uint64_t streamHash, std::uint64_t viewerHash);

    // Load ÷ threshold per node, summed over the slots it serves (the heatmap's colour).
    std::vector<double> nodeLoadShares();
    // Load per node summed over the slots it serves (each slot's load split over its set).
    std::vector<double> nodeLoads();
    const SlotConfig& config() const { return m_config; }
    std::uint64_t widenings() const { return m_widenings; }
    std::uint64_t narrowings() const { return m_narrowings; }

private:
    struct Slot {
        double load = 0.0;
        int width = 1;
        std::uint64_t generation = 0; // ring generation the members were computed for
        std::vector<int> members;
    };
    int wantedWidth(const Slot& s) const;

    const HashRing& m_ring;
    SlotConfig m_config;
    std::vector<Slot> m_slots;
    std::uint64_t m_widenings = 0;
    std::uint64_t m_narrowings = 0;
};

} // namespace livedeck::cdn

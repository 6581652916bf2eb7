// SharedLink: transfers that share one bottleneck, on virtual time (processor sharing,
// the fluid model of TCP flows sharing a link). Each active transfer gets a max-min fair
// share of `linkBytesPerSec`, never more than its own cap `flowBytesPerSec` ÷ slow (a
// latency fault's multiply); when a transfer starts or ends every rate is recomputed and
// the next completion rescheduled. 0 for either rate means unlimited (an unlimited link
// with unlimited flows finishes at once).
// Used by BackOrigin: a node's origin connections share its path to the origin, so two
// sub-requests of one client request split the bandwidth one of them would have alone.
// Single-threaded.
#pragma once

#include "backend/sim/world.h"

#include <functional>
#include <vector>

namespace livedeck::cdn {

class SharedLink {
public:
    using Done = std::function<void()>;

    SharedLink(sim::World& world, sim::ComponentId owner, double linkBytesPerSec, double flowBytesPerSec);

    // Starts moving `bytes`; `done` runs when the last byte has moved.
    void start(std::uint64_t bytes, double slow, Done done);

    std::size_t active() const { return m_flows.size(); }
    double linkBytesPerSec() const { return m_link; }
    double flowBytesPerSec() const { return m_flow; }
    std::uint64_t bytesMoved() const { return m_moved; }

private:
    struct Flow {
        double remaining;
        double cap;   // bytes/s, 0 = unlimited
        double rate;  // current bytes/s
        std::uint64_t bytes;
        Done done;
    };
    void advance();
    void reshare();
    void reschedule();
    void complete();

    sim::World& m_world;
    sim::ComponentId m_owner;
    double m_link;
    double m_flow;
    sim::EventKindId m_kind;
    std::vector<Flow> m_flows;
    sim::Nanos m_last = 0;
    sim::EventHandle m_next;
    std::uint64_t m_moved = 0;
};

} // namespace livedeck::cdn

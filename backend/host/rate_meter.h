// RateMeter: the host's measured pace over a sliding window of wall time — simulated
// seconds per wall second and scheduler events per wall second (v1::HostState
// sim_per_wall, events_per_sec). Fed with (wall, sim, events) points by the host
// thread; keeps a point every `sampleEvery` of wall time in a fixed ring (no
// allocation) and measures from the oldest point inside the window to the latest.
// Window 1 s ("over a sliding second", host issue); one point per 50 ms keeps the
// estimate smooth at a 20 Hz publish rate. Single-threaded.
#pragma once

#include "backend/sim/time.h"

#include <array>
#include <cstdint>

namespace livedeck::host {

class RateMeter {
public:
    explicit RateMeter(sim::Nanos window = sim::kSecond, sim::Nanos sampleEvery = 50 * sim::kMillisecond);

    void reset();
    void record(sim::Nanos wallNs, sim::Nanos simNs, std::uint64_t events);
    // Rates at the last record(); 0 until two points span some wall time.
    double simPerWall() const { return m_simPerWall; }
    double eventsPerSec() const { return m_eventsPerSec; }

private:
    struct Point {
        sim::Nanos wall = 0;
        sim::Nanos sim = 0;
        std::uint64_t events = 0;
    };
    static constexpr std::size_t kCapacity = 64;
    const Point& at(std::size_t i) const { return m_ring[(m_head + i) % kCapacity]; }

    sim::Nanos m_window;
    sim::Nanos m_sampleEvery;
    std::array<Point, kCapacity> m_ring{};
    std::size_t m_head = 0;
    std::size_t m_size = 0;
    double m_simPerWall = 0.0;
    double m_eventsPerSec = 0.0;
};

} // namespace livedeck::host

// Network: what it costs to send one message between two components.
// Latency = the link's base latency + uniform jitter in [0, jitter) drawn from the
// link's own random stream (so draws are deterministic and per-link independent),
// plus any active link-latency fault. A message fails when an endpoint is down, a
// partition separates them, or the link's loss draw says so.
#pragma once

#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"

#include <vector>

namespace livedeck::sim {

class ComponentRegistry;
class FaultRegistry;
class Topology;

// What one inter-region link carried over an interval (both directions).
struct LinkCarried {
    int a = -1;                   // region indices, as in the topology's link
    int b = -1;
    std::uint64_t messages = 0;   // offered to the link
    std::uint64_t failedAb = 0;   // a → b refused (endpoint down, partition) or lost
    std::uint64_t failedBa = 0;
    std::uint64_t offeredAb = 0;
    std::uint64_t offeredBa = 0;
    Nanos p99Latency = -1;        // of the delivered messages; -1 when none was delivered
};

struct Delivery {
    enum class Outcome { Delivered, SourceDown, DestinationDown, Partitioned, Lost };
    Outcome outcome = Outcome::Delivered;
    Nanos latency = 0;
    bool delivered() const { return outcome == Outcome::Delivered; }
    const char* reason() const;
};

class Network {
public:
    Network(const Topology& topology, const ComponentRegistry& components, const FaultRegistry& faults,
            std::uint64_t masterSeed);

    // One message from `from` to `to`: draws latency and loss.
    Delivery send(ComponentId from, ComponentId to);
    // True when nothing (down endpoint, partition) blocks from → to; draws nothing.
    bool reachable(ComponentId from, ComponentId to) const;
    // Base one-way latency without jitter or faults.
    Nanos baseLatency(ComponentId from, ComponentId to) const;
    // Region-to-region reachability (by the regions' own paths), for the region map.
    bool regionReachable(int fromRegion, int toRegion) const;

    std::uint64_t sent() const { return m_sent; }
    std::uint64_t dropped() const { return m_dropped; }

    // What each topology link carried since the previous call (one entry per link, in
    // topology order), then starts a new interval. Telemetry calls it once a rollup.
    void takeCarried(std::vector<LinkCarried>& out);

private:
    // Latency histogram of one link interval: 8 sub-buckets per octave of nanoseconds.
    static constexpr int kLatencyBuckets = 8 * 40;
    struct LinkState {
        RandomStream rng;
        std::uint64_t offered[2] = {0, 0}; // [0]: a → b, [1]: b → a
        std::uint64_t failed[2] = {0, 0};
        std::vector<std::uint32_t> latency; // kLatencyBuckets, allocated on first use
        std::uint64_t delivered = 0;
    };
    void count(int regionA, int regionB, const Delivery& d);
    Delivery deliver(ComponentId from, ComponentId to);
    LinkState& linkState(int regionA, int regionB);

    const Topology& m_topology;
    const ComponentRegistry& m_components;
    const FaultRegistry& m_faults;
    std::vector<LinkState> m_links; // one per topology link
    std::vector<LinkState> m_local; // one per region: intra-region traffic
    std::uint64_t m_sent = 0;
    std::uint64_t m_dropped = 0;
};

} // namespace livedeck::sim

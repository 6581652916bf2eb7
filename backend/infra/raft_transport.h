// RaftTransport: carries RaftMessages between Raft nodes and their clients over the
// world's emulated network (sim::Network): each send draws the link's latency (base
// + jitter + latency faults) and fails when an endpoint is down, a partition separates
// the two, or the link loses it. A message is also dropped when, at its arrival time,
// the destination is down or cut off, or no endpoint is attached any more.
//
// Contract: messages are pooled (no allocation per message in steady state); a
// message handed to receive() is valid only during that call. Endpoints attach by
// component id and must detach before they are destroyed. Delivery is a scheduler
// event of kind "raft.net" on the destination component. Single-threaded.
#pragma once

#include "backend/infra/raft_types.h"
#include "backend/sim/world.h"

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace livedeck::infra {

class RaftEndpoint {
public:
    virtual ~RaftEndpoint() = default;
    virtual void receive(RaftMessage& message) = 0;
};

class RaftTransport {
public:
    explicit RaftTransport(sim::World& world);
    RaftTransport(const RaftTransport&) = delete;
    RaftTransport& operator=(const RaftTransport&) = delete;

    void attach(sim::ComponentId component, RaftEndpoint* endpoint);
    void detach(sim::ComponentId component);

    // A blank message from `from` to `to`; fill it, then send() it (exactly once).
    RaftMessage& create(RaftMsgType type, sim::ComponentId from, sim::ComponentId to);
    void send(RaftMessage& message);

    std::uint64_t sent() const { return m_sent; }
    std::uint64_t delivered() const { return m_delivered; }
    std::uint64_t dropped() const { return m_dropped; }
    std::size_t inFlight() const { return m_inFlight; }

private:
    void deliver(std::uint32_t slot);
    void release(std::uint32_t slot);

    sim::World& m_world;
    sim::EventKindId m_netKind;
    absl::flat_hash_map<sim::ComponentId, RaftEndpoint*> m_endpoints; // lookups only
    std::vector<std::unique_ptr<RaftMessage>> m_slots;
    std::vector<std::uint32_t> m_free;
    std::uint64_t m_sent = 0;
    std::uint64_t m_delivered = 0;
    std::uint64_t m_dropped = 0;
    std::size_t m_inFlight = 0;
};

} // namespace livedeck::infra

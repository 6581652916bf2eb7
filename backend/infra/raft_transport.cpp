#include "backend/infra/raft_transport.h"

namespace livedeck::infra {

RaftTransport::RaftTransport(sim::World& world) : m_world(world), m_netKind(world.kind("raft.net")) {}

void RaftTransport::attach(sim::ComponentId component, RaftEndpoint* endpoint)
{
    LIVEDECK_RAFT_ASSERT(endpoint != nullptr);
    m_endpoints[component] = endpoint;
}

void RaftTransport::detach(sim::ComponentId component)
{
    m_endpoints.erase(component);
}

RaftMessage& RaftTransport::create(RaftMsgType type, sim::ComponentId from, sim::ComponentId to)
{
    std::uint32_t index;
    if (!m_free.empty()) {
        index = m_free.back();
        m_free.pop_back();
    } else {
        index = static_cast<std::uint32_t>(m_slots.size());
        m_slots.push_back(std::make_unique<RaftMessage>());
    }
    RaftMessage& m = *m_slots[index];
    m.reset();
    m.slot = index;
    m.type = type;
    m.from = from;
    m.to = to;
    ++m_inFlight;
    return m;
}

void RaftTransport::send(RaftMessage& message)
{
    const std::uint32_t index = message.slot;
    LIVEDECK_RAFT_ASSERT(index < m_slots.size() && m_slots[index].get() == &message);
    ++m_sent;
    const sim::Delivery d = m_world.network().send(message.from, message.to);
    if (!d.delivered()) {
        ++m_dropped;
        release(index);
        return;
    }
    m_world.after(d.latency, m_netKind, message.to, [this, index] { deliver(index); });
}

void RaftTransport::deliver(std::uint32_t index)
{
    RaftMessage& m = *m_slots[index];
    const auto it = m_endpoints.find(m.to);
    // A message already on the wire arrives even if its sender has crashed since, but
    // not at a destination that is down or cut off by then.
    const std::string& fromPath = m_world.components().get(m.from).path;
    const std::string& toPath = m_world.components().get(m.to).path;
    if (it == m_endpoints.end() || m_world.faults().isDown(toPath) || m_world.faults().partitioned(fromPath, toPath)) {
        ++m_dropped;
        release(index);
        return;
    }
    ++m_delivered;
    it->second->receive(m);
    release(index);
}

void RaftTransport::release(std::uint32_t index)
{
    m_slots[index]->reset();
    m_free.push_back(index);
    --m_inFlight;
}

} // namespace livedeck::infra

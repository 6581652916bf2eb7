// sqlTransit: one message of the SQL cluster's protocol (client request/reply,
// replication event, semi-sync ack) over world.network(), the way a TCP connection
// carries it: a segment the link loses is retransmitted after the RTO (200 ms, Linux
// TCP_RTO_MIN, doubling, at most 5 times), so loss shows up as latency; a down
// endpoint or a partition blocks the message and the caller sees why.
// kNoComponent on either side means "next to the other side": no hop, no latency.
#pragma once

#include "backend/sim/network.h"

namespace livedeck::infra {

struct Transit {
    bool delivered = true;
    sim::Nanos latency = 0;
    const char* reason = "delivered";
};

inline constexpr sim::Nanos kRetransmitTimeout = 200 * sim::kMillisecond;
inline constexpr int kMaxRetransmits = 5;

Transit sqlTransit(sim::Network& network, sim::ComponentId from, sim::ComponentId to);

} // namespace livedeck::infra

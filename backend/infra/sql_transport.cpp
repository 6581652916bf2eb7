#include "backend/infra/sql_transport.h"

namespace livedeck::infra {

Transit sqlTransit(sim::Network& network, sim::ComponentId from, sim::ComponentId to)
{
    Transit t;
    if (from == sim::kNoComponent || to == sim::kNoComponent || from == to)
        return t;
    for (int attempt = 0;; ++attempt) {
        const sim::Delivery d = network.send(from, to);
        if (d.delivered()) {
            t.latency += d.latency;
            return t;
        }
        if (d.outcome != sim::Delivery::Outcome::Lost || attempt >= kMaxRetransmits) {
            t.delivered = false;
            t.reason = d.reason();
            return t;
        }
        t.latency += kRetransmitTimeout << attempt;
    }
}

} // namespace livedeck::infra

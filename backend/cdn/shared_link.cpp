#include "backend/cdn/shared_link.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace livedeck::cdn {

namespace {
constexpr double kDoneBytes = 0.5; // a flow with less than half a byte left has finished
}

SharedLink::SharedLink(sim::World& world, sim::ComponentId owner, double linkBytesPerSec, double flowBytesPerSec)
    : m_world(world), m_owner(owner), m_link(linkBytesPerSec), m_flow(flowBytesPerSec), m_kind(world.kind("cdn.link.done"))
{
}

void SharedLink::advance()
{
    const sim::Nanos now = m_world.now();
    const double dt = static_cast<double>(now - m_last) / 1e9;
    m_last = now;
    if (dt <= 0.0)
        return;
    for (Flow& f : m_flows)
        if (std::isfinite(f.rate))
            f.remaining = std::max(0.0, f.remaining - f.rate * dt);
        else
            f.remaining = 0.0;
}

void SharedLink::reshare()
{
    // Max-min fair water-filling: flows whose cap is below the equal share keep their
    // cap; what they leave is split among the others.
    const double inf = std::numeric_limits<double>::infinity();
    if (m_flows.empty())
        return;
    if (m_link <= 0.0) {
        for (Flow& f : m_flows)
            f.rate = f.cap > 0.0 ? f.cap : inf;
        return;
    }
    std::vector<std::size_t> order(m_flows.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const double ca = m_flows[a].cap > 0.0 ? m_flows[a].cap : inf;
        const double cb = m_flows[b].cap > 0.0 ? m_flows[b].cap : inf;
        return ca < cb;
    });
    double left = m_link;
    std::size_t n = order.size();
    for (std::size_t k = 0; k < order.size(); ++k, --n) {
        Flow& f = m_flows[order[k]];
        const double share = left / static_cast<double>(n);
        const double cap = f.cap > 0.0 ? f.cap : inf;
        f.rate = std::min(cap, share);
        left -= f.rate;
    }
}

void SharedLink::reschedule()
{
    if (m_next.valid())
        m_world.scheduler().cancel(m_next);
    m_next = {};
    if (m_flows.empty())
        return;
    double soonest = std::numeric_limits<double>::infinity();
    for (const Flow& f : m_flows) {
        const double t = std::isfinite(f.rate) ? f.remaining / f.rate : 0.0;
        soonest = std::min(soonest, t);
    }
    const auto delay = static_cast<sim::Nanos>(std::ceil(soonest * 1e9));
    m_next = m_world.after(delay, m_kind, m_owner, [this] { complete(); });
}

void SharedLink::start(std::uint64_t bytes, double slow, Done done)
{
    advance();
    const double cap = m_flow > 0.0 ? m_flow / std::max(1.0, slow) : 0.0;
    m_flows.push_back(Flow{static_cast<double>(bytes), cap, 0.0, bytes, std::move(done)});
    reshare();
    reschedule();
}

void SharedLink::complete()
{
    m_next = {};
    advance();
    std::vector<Done> finished;
    for (std::size_t i = 0; i < m_flows.size();) {
        if (m_flows[i].remaining < kDoneBytes) {
            m_moved += m_flows[i].bytes;
            finished.push_back(std::move(m_flows[i].done));
            m_flows.erase(m_flows.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
            ++i;
        }
    }
    reshare();
    reschedule();
    for (Done& d : finished)
        d();
}

} // namespace livedeck::cdn

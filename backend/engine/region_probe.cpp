#include "backend/engine/region_probe.h"

#include "backend/sim/strings.h"

namespace livedeck::engine {

RegionProber::RegionProber(sim::World& world, std::string engine, std::vector<sim::ComponentId> fronts, Config config,
                           std::function<bool(int region)> healthy)
    : m_world(world),
      m_engine(std::move(engine)),
      m_fronts(std::move(fronts)),
      m_config(config),
      m_healthy(std::move(healthy)),
      m_roundKind(world.kind(sim::strCat(m_engine, ".probe.round"))),
      m_probeKind(world.kind(sim::strCat(m_engine, ".probe")))
{
    const auto& regions = world.topology().regions();
    m_fronts.resize(regions.size(), sim::kNoComponent);
    for (const sim::RegionSpec& r : regions) {
        const sim::ComponentInfo* c = world.components().find(r.name);
        m_sources.push_back(c ? c->id : sim::kNoComponent);
    }
    m_answered.assign(regions.size(), std::vector<char>(regions.size(), 0));
    m_views.resize(regions.size());
}

bool RegionProber::hasFront(int region) const
{
    return region >= 0 && static_cast<std::size_t>(region) < m_fronts.size()
        && m_fronts[static_cast<std::size_t>(region)] != sim::kNoComponent;
}

void RegionProber::start()
{
    m_world.after(m_config.interval, m_roundKind, sim::kNoComponent, [this] { round(); });
}

void RegionProber::round()
{
    const int n = static_cast<int>(m_fronts.size());
    // Close the round in progress: a probe not answered by now (>= timeout, since the
    // interval is longer than the timeout) failed.
    if (m_round > 0) {
        for (int to = 0; to < n; ++to) {
            if (!hasFront(to))
                continue;
            View& v = m_views[static_cast<std::size_t>(to)];
            v = View{};
            v.probed = true;
            for (int from = 0; from < n; ++from) {
                if (m_sources[static_cast<std::size_t>(from)] == sim::kNoComponent)
                    continue;
                ++v.sent;
                if (m_answered[static_cast<std::size_t>(to)][static_cast<std::size_t>(from)])
                    ++v.answered;
                else
                    v.unreachableFrom.push_back(from);
            }
        }
    }
    ++m_round;
    for (auto& row : m_answered)
        std::fill(row.begin(), row.end(), 0);
    for (int to = 0; to < n; ++to) {
        if (!hasFront(to))
            continue;
        for (int from = 0; from < n; ++from) {
            if (m_sources[static_cast<std::size_t>(from)] != sim::kNoComponent)
                probe(from, to, m_round);
        }
    }
    m_world.after(m_config.interval, m_roundKind, sim::kNoComponent, [this] { round(); });
}

void RegionProber::probe(int from, int to, std::uint64_t roundNo)
{
    const sim::ComponentId src = m_sources[static_cast<std::size_t>(from)];
    const sim::ComponentId front = m_fronts[static_cast<std::size_t>(to)];
    const sim::Delivery out = m_world.network().send(src, front);
    if (!out.delivered())
        return;
    const sim::Nanos sentAt = m_world.now();
    m_world.after(out.latency, m_probeKind, front, [this, from, to, roundNo, sentAt, src, front] {
        if (roundNo != m_round)
            return;
        if (m_healthy && !m_healthy(to))
            return;
        const sim::Delivery back = m_world.network().send(front, src);
        if (!back.delivered())
            return;
        if (m_world.now() + back.latency - sentAt > m_config.timeout)
            return;
        m_world.after(back.latency, m_probeKind, src, [this, from, to, roundNo] {
            if (roundNo == m_round)
                m_answered[static_cast<std::size_t>(to)][static_cast<std::size_t>(from)] = 1;
        });
    });
}

void RegionProber::fill(v1::RegionHealth& health, int region) const
{
    const auto& regions = m_world.topology().regions();
    health.set_engine(m_engine);
    health.set_region(regions[static_cast<std::size_t>(region)].name);
    const View& v = view(region);
    health.set_up(v.up());
    health.set_probes_sent(static_cast<std::uint64_t>(v.sent));
    health.set_probes_answered(static_cast<std::uint64_t>(v.answered));
    for (int from : v.unreachableFrom)
        health.add_unreachable_from(regions[static_cast<std::size_t>(from)].name);
}

} // namespace livedeck::engine

#include "backend/gifts/multi_active.h"

#include <cassert>

namespace livedeck::gifts {

MultiActive::MultiActive(sim::World& world, const MultiActiveConfig& config, LoadGenerator& load,
                         std::vector<sim::ComponentId> entries, telemetry::MetricsRegistry& metrics)
    : m_world(world),
      m_config(config),
      m_load(load),
      m_component(world.components().mustAdd("gifts/multi-active", "multi-active", {}, this)),
      m_mode(config.mode),
      m_probeKind(world.kind("gifts.gslb.probe"))
{
    const auto& regions = world.topology().regions();
    assert(entries.size() == regions.size());
    m_regions.resize(regions.size());
    for (std::size_t r = 0; r < regions.size(); ++r) {
        RegionState& s = m_regions[r];
        s.probe = world.components().mustAdd(sim::strCat(regions[r].name, "/gifts/gslb"), "gslb-probe");
        s.entry = entries[r];
        m_drainedGauges.push_back(&metrics.gauge("gifts.region.drained", sim::strCat(regions[r].name, "/gifts")));
    }
    for (const std::string& name : config.serving) {
        const int r = world.topology().regionIndex(name);
        assert(r >= 0);
        m_regions[static_cast<std::size_t>(r)].serving = true;
        m_serving.push_back(r);
    }
    m_standby = world.topology().regionIndex(config.standby);
    // Serving regions take the UID clusters in turn.
    std::vector<int> homes(load.config().clusters);
    for (std::size_t c = 0; c < homes.size(); ++c)
        homes[c] = m_serving.empty() ? 0 : m_serving[c % m_serving.size()];
    m_originalHomes = homes;
    m_load.setClusterHomes(std::move(homes));
}

void MultiActive::start()
{
    m_world.after(m_config.probeInterval, m_probeKind, m_component, [this] { probeRound(); });
}

bool MultiActive::isServing(int region) const
{
    return region >= 0 && static_cast<std::size_t>(region) < m_regions.size()
        && m_regions[static_cast<std::size_t>(region)].serving;
}

bool MultiActive::drained(int region) const
{
    if (region < 0 || static_cast<std::size_t>(region) >= m_regions.size())
        return false;
    const RegionState& s = m_regions[static_cast<std::size_t>(region)];
    return s.autoDrained || s.manualDrained;
}

int MultiActive::liveServing(int near) const
{
    if (isServing(near) && !drained(near))
        return near;
    for (int r : m_serving) {
        if (!drained(r))
            return r;
    }
    return -1;
}

void MultiActive::setMode(MultiActiveMode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    m_world.events().raise("gifts.mode", m_component, v1::SEVERITY_INFO,
                           sim::strCat("gift system multi-active mode: ", toString(mode)),
                           {{"mode", std::string(toString(mode))}});
    for (const ModeListener& l : m_modeListeners)
        l(mode);
}

void MultiActive::probeRound()
{
    m_world.after(m_config.probeInterval, m_probeKind, m_component, [this] { probeRound(); });
    auto& net = m_world.network();
    const auto& faults = m_world.faults();
    const int downRounds = static_cast<int>((m_config.downAfter + m_config.probeInterval - 1) / m_config.probeInterval);
    const int upRounds = static_cast<int>((m_config.restoreAfter + m_config.probeInterval - 1) / m_config.probeInterval);
    for (int t : m_serving) {
        RegionState& target = m_regions[static_cast<std::size_t>(t)];
        int voters = 0;
        int failed = 0;
        for (std::size_t p = 0; p < m_regions.size(); ++p) {
            if (static_cast<int>(p) == t)
                continue;
            const RegionState& prober = m_regions[p];
            if (faults.isDown(m_world.components().get(prober.probe).path))
                continue; // a dead prober has no vote
            ++voters;
            if (!net.reachable(prober.probe, target.entry))
                ++failed;
        }
        const bool unreachable = voters > 0 && failed * 2 > voters;
        if (unreachable) {
            target.successes = 0;
            ++target.failures;
            if (m_autoDrain && !target.autoDrained && target.failures >= downRounds) {
                const bool was = drained(t);
                target.autoDrained = true;
                apply(t, was, sim::strCat(failed, " of ", voters, " probing regions cannot reach its order entry for ",
                                          sim::toSeconds(m_config.downAfter), " s"));
            }
        } else {
            target.failures = 0;
            ++target.successes;
            if (target.autoDrained && target.successes >= upRounds) {
                const bool was = drained(t);
                target.autoDrained = false;
                apply(t, was, "probes succeed again");
            }
        }
    }
}

absl::Status MultiActive::drain(std::string_view region, std::string_view reason)
{
    const int r = m_world.topology().regionIndex(region);
    if (!isServing(r))
        return absl::InvalidArgumentError(sim::strCat("drain-region: '", region, "' is not a serving region of the gift system"));
    RegionState& s = m_regions[static_cast<std::size_t>(r)];
    const bool was = drained(r);
    s.manualDrained = true;
    apply(r, was, reason);
    return absl::OkStatus();
}

absl::Status MultiActive::restore(std::string_view region)
{
    const int r = m_world.topology().regionIndex(region);
    if (!isServing(r))
        return absl::InvalidArgumentError(sim::strCat("restore: '", region, "' is not a serving region of the gift system"));
    RegionState& s = m_regions[static_cast<std::size_t>(r)];
    const bool was = drained(r);
    s.manualDrained = false;
    apply(r, was, "operator restore");
    return absl::OkStatus();
}

void MultiActive::restoreAll()
{
    for (int r : m_serving) {
        RegionState& s = m_regions[static_cast<std::size_t>(r)];
        const bool was = drained(r);
        s.manualDrained = false;
        apply(r, was, "operator restore");
    }
}

void MultiActive::apply(int region, bool wasDrained, std::string_view reason)
{
    const bool now = drained(region);
    if (now == wasDrained)
        return;
    const std::string& name = m_world.topology().regions()[static_cast<std::size_t>(region)].name;
    recomputeHomes();
    m_drainedGauges[static_cast<std::size_t>(region)]->set(now ? 1.0 : 0.0);
    if (now) {
        ++m_drains;
        m_world.events().raise("gifts.region.drain", m_component, v1::SEVERITY_ALERT,
                               sim::strCat("region ", name, " drained: its users move to ",
                                           liveServing() >= 0
                                               ? m_world.topology().regions()[static_cast<std::size_t>(liveServing())].name
                                               : std::string("nowhere (no serving region left)"),
                                           " (", reason, ")"),
                               {{"region", name}, {"reason", std::string(reason)}});
    } else {
        m_world.events().raise("gifts.region.restore", m_component, v1::SEVERITY_INFO,
                               sim::strCat("region ", name, " serves its users again (", reason, ")"),
                               {{"region", name}, {"reason", std::string(reason)}});
    }
    for (const RegionListener& l : m_regionListeners)
        l(region, now);
}

void MultiActive::recomputeHomes()
{
    std::vector<int> live;
    for (int r : m_serving) {
        if (!drained(r))
            live.push_back(r);
    }
    std::vector<int> homes = m_originalHomes;
    if (!live.empty()) {
        for (std::size_t c = 0; c < homes.size(); ++c) {
            if (drained(homes[c]))
                homes[c] = live[c % live.size()];
        }
    }
    m_load.setClusterHomes(std::move(homes));
}

void MultiActive::inspect(sim::StateWriter& out) const
{
    out.add("mode", toString(m_mode));
    out.add("auto_drain", m_autoDrain);
    out.add("drains", m_drains);
    for (int r : m_serving) {
        const RegionState& s = m_regions[static_cast<std::size_t>(r)];
        out.add(m_world.topology().regions()[static_cast<std::size_t>(r)].name,
                sim::strCat(drained(r) ? "drained" : "serving", s.manualDrained ? " (operator)" : "",
                            " probe failures ", s.failures));
    }
}

} // namespace livedeck::gifts

#include "backend/cdn/health_checker.h"

#include <algorithm>

namespace livedeck::cdn {

HealthChecker::HealthChecker(sim::World& world, sim::ComponentId checker, HealthCheckConfig config)
    : m_world(world),
      m_checker(checker),
      m_config(config),
      m_rng(world.stream(sim::strCat(world.components().get(checker).path, "#health"))),
      m_probeKind(world.kind("cdn.health.probe")),
      m_resultKind(world.kind("cdn.health.result"))
{
}

int HealthChecker::addTarget(sim::ComponentId target)
{
    TargetHealth t;
    t.component = target;
    t.healthy = m_config.startHealthy;
    m_targets.push_back(std::move(t));
    const int index = static_cast<int>(m_targets.size()) - 1;
    if (m_started) {
        const auto phase = static_cast<sim::Nanos>(m_rng.uniformInt(static_cast<std::uint64_t>(m_config.interval)));
        m_world.after(phase, m_probeKind, m_checker, [this, index] { probe(index); });
    }
    return index;
}

void HealthChecker::start()
{
    if (m_started)
        return;
    m_started = true;
    for (std::size_t i = 0; i < m_targets.size(); ++i) {
        const auto phase = static_cast<sim::Nanos>(m_rng.uniformInt(static_cast<std::uint64_t>(m_config.interval)));
        const int index = static_cast<int>(i);
        m_world.after(phase, m_probeKind, m_checker, [this, index] { probe(index); });
    }
}

void HealthChecker::probe(int index)
{
    // The next probe is due one interval after this one is sent, whatever its outcome.
    m_world.after(m_config.interval, m_probeKind, m_checker, [this, index] { probe(index); });

    const sim::ComponentId target = m_targets[static_cast<std::size_t>(index)].component;
    const sim::Delivery there = m_world.network().send(m_checker, target);
    if (!there.delivered()) {
        m_world.after(m_config.timeout, m_resultKind, m_checker,
                      [this, index, why = std::string(there.reason())]() mutable { outcome(index, false, std::move(why)); });
        return;
    }
    const std::string& path = m_world.components().get(target).path;
    const auto& faults = m_world.faults();
    sim::Nanos rtt = there.latency;
    bool ok = true;
    std::string reason;
    if (faults.anyActive(v1::FAULT_LATENCY)) {
        const sim::FaultEffect e = faults.effect(v1::FAULT_LATENCY, path);
        rtt += sim::fromMillis(e.addMs);
    }
    if (faults.anyActive(v1::FAULT_ERROR_RATE)) {
        const double rate = faults.effect(v1::FAULT_ERROR_RATE, path).rate;
        if (rate > 0.0 && m_rng.bernoulli(rate)) {
            ok = false;
            reason = "error answer";
        }
    }
    if (ok && m_appCheck) {
        ProbeVerdict v = m_appCheck(index);
        if (!v.ok) {
            ok = false;
            reason = std::move(v.reason);
        }
    }
    const sim::Delivery back = m_world.network().send(target, m_checker);
    if (!back.delivered()) {
        m_world.after(m_config.timeout, m_resultKind, m_checker,
                      [this, index, why = std::string(back.reason())]() mutable { outcome(index, false, std::move(why)); });
        return;
    }
    rtt += back.latency;
    if (rtt > m_config.timeout) {
        m_world.after(m_config.timeout, m_resultKind, m_checker, [this, index] { outcome(index, false, "timeout"); });
        return;
    }
    m_world.after(rtt, m_resultKind, m_checker,
                  [this, index, ok, why = std::move(reason)]() mutable { outcome(index, ok, std::move(why)); });
}

void HealthChecker::outcome(int index, bool ok, std::string reason)
{
    TargetHealth& t = m_targets[static_cast<std::size_t>(index)];
    t.lastCheck = m_world.now();
    ++t.probes;
    if (ok) {
        t.consecutiveFail = 0;
        ++t.consecutiveOk;
        if (!t.healthy && t.consecutiveOk >= m_config.rise) {
            t.healthy = true;
            t.changedAt = m_world.now();
            ++t.transitions;
            if (m_listener)
                m_listener(index, true, "recovered");
        }
        return;
    }
    ++t.failures;
    t.consecutiveOk = 0;
    ++t.consecutiveFail;
    t.lastReason = reason;
    if (t.healthy && t.consecutiveFail >= m_config.fall) {
        t.healthy = false;
        t.trippedReason = reason;
        t.changedAt = m_world.now();
        ++t.transitions;
        if (m_listener)
            m_listener(index, false, t.trippedReason);
    }
}

} // namespace livedeck::cdn

#include "backend/host/synthetic_run.h"

#include "backend/sim/strings.h"

#include <cassert>

namespace livedeck::host {
namespace {
constexpr std::string_view kComponent = "world/synthetic";
}

sim::WorldConfig SyntheticRun::worldConfig(const SyntheticRunConfig& config)
{
    sim::WorldConfig w;
    w.seed = config.seed;
    w.runId = config.runId.empty() ? sim::strCat("synthetic-", config.seed) : config.runId;
    return w;
}

SyntheticRun::SyntheticRun(SyntheticRunConfig config)
    : m_config(std::move(config)),
      m_world(worldConfig(m_config)),
      m_telemetry(m_world),
      m_workload(m_world, m_config.workload),
      m_sent(m_telemetry.metrics().counter("synthetic.sent", kComponent)),
      m_delivered(m_telemetry.metrics().counter("synthetic.delivered", kComponent)),
      m_failed(m_telemetry.metrics().counter("synthetic.failed", kComponent)),
      m_faultsInjected(m_telemetry.metrics().counter("synthetic.faults_injected", kComponent)),
      m_faultsActive(m_telemetry.metrics().gauge("synthetic.faults_active", kComponent)),
      m_metricsKind(m_world.kind("synthetic.metrics"))
{
    assert(m_config.metricsInterval > 0);
    m_telemetry.start();
    m_workload.start();
    m_world.after(m_config.metricsInterval, m_metricsKind, sim::kNoComponent, [this] { syncMetrics(); });
}

int SyntheticRun::activeFaults() const
{
    int n = 0;
    for (const sim::Fault& f : m_world.faults().all())
        n += f.active ? 1 : 0;
    return n;
}

void SyntheticRun::syncMetrics()
{
    // Counters hold the workload's totals; adding the difference keeps them equal.
    m_sent.add(static_cast<double>(m_workload.sent()) - m_sent.total());
    m_delivered.add(static_cast<double>(m_workload.delivered()) - m_delivered.total());
    m_failed.add(static_cast<double>(m_workload.failed()) - m_failed.total());
    m_faultsInjected.add(static_cast<double>(m_workload.faultsInjected()) - m_faultsInjected.total());
    m_faultsActive.set(activeFaults());
    m_world.after(m_config.metricsInterval, m_metricsKind, sim::kNoComponent, [this] { syncMetrics(); });
}

} // namespace livedeck::host

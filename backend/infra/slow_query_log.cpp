#include "backend/infra/slow_query_log.h"

namespace livedeck::infra {

SlowQueryLog::SlowQueryLog(sim::World& world, SlowQueryConfig config, telemetry::MetricsRegistry* metrics,
                           std::string_view component)
    : m_world(world), m_config(config)
{
    if (metrics)
        m_slowCounter = &metrics->counter("sql.slow", component);
}

bool SlowQueryLog::consider(sim::ComponentId instance, std::string_view sql, sim::Nanos execution,
                            const SqlStats& stats, double weight)
{
    if (execution <= m_config.threshold)
        return false;
    ++m_total;
    if (m_slowCounter)
        m_slowCounter->add(weight);
    m_entries.push_back(SlowQuery{m_world.now(), instance, std::string(sql), execution, stats, weight});
    if (m_entries.size() > m_config.capacity)
        m_entries.pop_front();

    auto [it, fresh] = m_alertState.try_emplace(std::string(sql));
    AlertState& state = it->second;
    if (!fresh && m_world.now() - state.last < m_config.alertInterval) {
        ++state.suppressed;
        return true;
    }
    const std::uint64_t suppressed = state.suppressed;
    state.last = m_world.now();
    state.suppressed = 0;
    ++m_alerts;
    const std::string& where = m_world.components().get(instance).path;
    m_world.events().raise(
        "alert.slow_sql", instance, v1::SEVERITY_ALERT,
        sim::strFormat("slow SQL on %s: %.1f ms (threshold %.0f ms): %.*s", where.c_str(), sim::toMillis(execution),
                       sim::toMillis(m_config.threshold), static_cast<int>(std::min<std::size_t>(sql.size(), 200)),
                       sql.data()),
        {{"sql", std::string(sql)},
         {"exec_ms", sim::strFormat("%.3f", sim::toMillis(execution))},
         {"threshold_ms", sim::strFormat("%.0f", sim::toMillis(m_config.threshold))},
         {"vm_steps", sim::strCat(stats.vmSteps)},
         {"full_scan_steps", sim::strCat(stats.fullScanSteps)},
         {"sorts", sim::strCat(stats.sorts)},
         {"auto_index_rows", sim::strCat(stats.autoIndexRows)},
         {"rows_returned", sim::strCat(stats.rowsReturned)},
         {"rows_changed", sim::strCat(stats.rowsChanged)},
         {"suppressed", sim::strCat(suppressed)}});
    return true;
}

} // namespace livedeck::infra

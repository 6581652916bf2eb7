#include "backend/infra/sql_instance.h"

#include <cassert>
#include <utility>

namespace livedeck::infra {

const char* toString(SqlRole role)
{
    return role == SqlRole::Primary ? "primary" : "replica";
}

SqlInstance::SqlInstance(sim::World& world, std::string_view path, std::string_view dataCentre,
                         std::unique_ptr<SqlConnection> connection, const ServiceConfig& service,
                         telemetry::MetricsRegistry* metrics, std::uint32_t index)
    : m_world(world),
      m_index(index),
      m_path(path),
      m_id(world.components().mustAdd(path, "sql-instance", dataCentre, this)),
      m_connection(std::move(connection)),
      m_queue(world, m_id, service, metrics, "sql"),
      m_applyNoise(world.stream(sim::strCat(path, "#apply")))
{
    if (metrics) {
        m_lagGauge = &metrics->gauge("sql.replication.lag_ms", m_path);
        m_behindGauge = &metrics->gauge("sql.replication.behind", m_path);
        if (m_connection->countsPages())
            m_pageMissCounter = &metrics->counter("sql.page_misses", m_path);
    }
    setRole(m_state.role);
}

SqlInstance::~SqlInstance()
{
    m_world.offload().forget(m_apply);
}

void SqlInstance::Apply::run()
{
    SqlConnection::WriteOutcome outcome;
    stats = {};
    status = connection->applyGrouped(*batch, stats, outcome);
}

void SqlInstance::startApply(std::shared_ptr<const SqlBatch> batch)
{
    assert(!m_apply.open && "the last apply's result was not taken");
    m_apply.connection = m_connection.get();
    m_apply.batch = std::move(batch);
    m_apply.open = true;
    m_world.offload().post(m_apply);
}

SqlInstance::ApplyResult SqlInstance::finishApply()
{
    assert(m_apply.open);
    waitApply();
    m_apply.open = false;
    m_apply.batch.reset();
    return ApplyResult{std::exchange(m_apply.status, absl::OkStatus()), m_apply.stats};
}

void SqlInstance::setRole(SqlRole role)
{
    waitApply();
    m_state.role = role;
    // A file database keeps its journal (FailedPrecondition); switching an in-memory
    // one is a PRAGMA outside any transaction, which does not fail.
    if (m_connection->location() == ":memory:") {
        [[maybe_unused]] const absl::Status st = m_connection->setRollbackJournal(role == SqlRole::Primary);
        assert(st.ok() && "switching an in-memory database's journal");
    }
}

void SqlInstance::publishLag(std::uint64_t entriesBehind)
{
    if (m_lagGauge)
        m_lagGauge->set(sim::toMillis(applyLag()));
    if (m_behindGauge)
        m_behindGauge->set(static_cast<double>(entriesBehind));
}

sim::Nanos SqlInstance::applyLag() const
{
    return m_state.relay.empty() ? 0 : m_world.now() - m_state.relay.front().commitTime;
}

void SqlInstance::inspect(sim::StateWriter& out) const
{
    waitApply(); // the counts below include an apply in flight, as without the helper
    out.add("role", toString(m_state.role));
    out.add("down", down());
    out.add("storage", m_connection->location());
    out.add("received", m_state.received);
    out.add("applied", m_state.applied);
    out.add("relay", static_cast<std::uint64_t>(m_state.relay.size()));
    out.add("lag_ms", sim::toMillis(applyLag()));
    if (m_state.role == SqlRole::Replica) {
        out.add("connected", m_state.connected);
        out.add("needs_resync", m_state.needsResync);
    }
    out.add("applied_entries", m_state.appliedEntries);
    out.add("resyncs", m_state.resyncs);
    std::int64_t rows = 0;
    for (const SqlConnection::TableRows& t : m_connection->tables())
        rows += t.rows;
    out.add("rows", rows);
    out.add("tables", static_cast<std::uint64_t>(m_connection->tables().size()));
    out.add("statements_cached", static_cast<std::uint64_t>(m_connection->cachedStatements()));
    if (m_connection->countsPages()) {
        const std::uint64_t misses = m_connection->pageMisses();
        const std::uint64_t hits = m_connection->pageHits();
        out.add("page_cache_pages", m_connection->pageCache().pages);
        out.add("page_misses", misses);
        out.add("page_hits", hits);
        out.add("page_hit_ratio", hits + misses ? static_cast<double>(hits) / static_cast<double>(hits + misses) : 1.0);
    }
    m_queue.inspect(out);
}

} // namespace livedeck::infra

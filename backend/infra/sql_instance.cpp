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
    waitTasks(); // in order
    for (const auto& w : m_writePool)
        m_world.offload().forget(*w);
    m_world.offload().forget(m_apply);
}

void SqlInstance::Write::run()
{
    result.stats = {};
    result.outcome = {};
    result.status = connection->runBatch(*batch, result.stats, result.outcome);
}

std::uint64_t SqlInstance::startWrite(std::shared_ptr<const SqlBatch> batch)
{
    assert(!m_apply.open && "a write on an instance with an apply open");
    Write* w;
    if (!m_freeWrites.empty()) {
        w = m_freeWrites.back();
        m_freeWrites.pop_back();
    } else {
        m_writePool.push_back(std::make_unique<Write>());
        w = m_writePool.back().get();
    }
    w->connection = m_connection.get();
    w->batch = std::move(batch);
    w->ticket = m_nextWrite++;
    w->taken = false;
    m_writes.push_back(w);
    m_world.offload().post(*w, &m_strand);
    return w->ticket;
}

SqlInstance::WriteResult SqlInstance::takeWrite(std::uint64_t ticket)
{
    assert(!m_writes.empty() && ticket >= m_writes.front()->ticket);
    const std::size_t k = static_cast<std::size_t>(ticket - m_writes.front()->ticket);
    assert(k < m_writes.size() && !m_writes[k]->taken && "taking a write that is not open");
    for (std::size_t j = 0; j <= k; ++j) // in order: the strand runs them so
        m_world.offload().wait(*m_writes[j]);
    Write& w = *m_writes[k];
    WriteResult result = std::move(w.result);
    w.result = {};
    w.taken = true;
    w.batch.reset();
    while (!m_writes.empty() && m_writes.front()->taken) {
        m_freeWrites.push_back(m_writes.front());
        m_writes.pop_front();
    }
    return result;
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
    assert(m_writes.empty() && "an apply on an instance with writes open");
    m_apply.connection = m_connection.get();
    m_apply.batch = std::move(batch);
    m_apply.open = true;
    m_world.offload().post(m_apply, &m_strand);
}

SqlInstance::ApplyResult SqlInstance::finishApply()
{
    assert(m_apply.open);
    waitTasks();
    m_apply.open = false;
    m_apply.batch.reset();
    return ApplyResult{std::exchange(m_apply.status, absl::OkStatus()), m_apply.stats};
}

void SqlInstance::setRole(SqlRole role)
{
    waitTasks();
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
    waitTasks(); // the counts below include an apply in flight, as without the helper
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

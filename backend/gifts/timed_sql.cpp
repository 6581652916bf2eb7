#include "backend/gifts/timed_sql.h"

namespace livedeck::gifts {

TimedSql::TimedSql(sim::World& world, infra::SqlCluster& cluster, sim::Nanos timeout, std::string_view what)
    : m_world(world),
      m_cluster(cluster),
      m_timeout(timeout),
      m_what(what),
      m_timeoutKind(world.kind(sim::strCat("gifts.", what, ".timeout")))
{
}

std::uint32_t TimedSql::begin(Done done)
{
    std::uint32_t slot;
    if (!m_free.empty()) {
        slot = m_free.back();
        m_free.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(m_ops.size());
        m_ops.emplace_back();
    }
    Op& op = m_ops[slot];
    ++op.gen;
    op.live = true;
    op.done = std::move(done);
    const std::uint32_t gen = op.gen;
    op.timer = m_world.after(m_timeout, m_timeoutKind, m_cluster.id(), [this, slot, gen] { expire(slot, gen); });
    return slot;
}

void TimedSql::write(std::uint32_t shard, std::shared_ptr<const infra::SqlBatch> batch, const infra::SqlCall& call,
                     Done done)
{
    const std::uint32_t slot = begin(std::move(done));
    const std::uint32_t gen = m_ops[slot].gen;
    m_cluster.write(shard, std::move(batch), call, [this, slot, gen](infra::SqlResult& r) { finish(slot, gen, r); });
}

void TimedSql::read(std::uint32_t shard, infra::Consistency consistency, infra::SqlQuery query,
                    const infra::SqlCall& call, Done done)
{
    const std::uint32_t slot = begin(std::move(done));
    const std::uint32_t gen = m_ops[slot].gen;
    m_cluster.read(shard, consistency, std::move(query), call,
                   [this, slot, gen](infra::SqlResult& r) { finish(slot, gen, r); });
}

void TimedSql::finish(std::uint32_t slot, std::uint32_t gen, infra::SqlResult& result)
{
    Op& op = m_ops[slot];
    if (!op.live || op.gen != gen)
        return; // the deadline answered already
    op.live = false;
    m_world.scheduler().cancel(op.timer);
    Done done = std::move(op.done);
    m_free.push_back(slot);
    done(result);
}

void TimedSql::expire(std::uint32_t slot, std::uint32_t gen)
{
    Op& op = m_ops[slot];
    if (!op.live || op.gen != gen)
        return;
    op.live = false;
    ++m_timeouts;
    Done done = std::move(op.done);
    m_free.push_back(slot);
    infra::SqlResult r;
    r.status = absl::DeadlineExceededError(sim::strCat(m_cluster.name(), " did not answer within ",
                                                       sim::toMillis(m_timeout), " ms (", m_what, " timeout)"));
    r.latency = m_timeout;
    done(r);
}

} // namespace livedeck::gifts

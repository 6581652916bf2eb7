// TimedSql: SQL calls with a deadline on top of an SqlCluster. The cluster's own calls
// answer when the database does (a semi-sync write may wait up to the semi-sync timeout);
// the callers of the gift engine give up earlier, as a real client's statement timeout
// does.
//
// Contract: write()/read() return at once; `done` runs exactly once, from a later
// event: with the cluster's SqlResult, or with DeadlineExceeded after `timeout` — then
// a write may still commit (an ambiguous outcome) and its late result is dropped.
// Pending calls live in pooled slots (no allocation per call once warm).
// Single-threaded (the world's thread). The cluster must outlive this object.
#pragma once

#include "backend/infra/sql_cluster.h"

#include <vector>

namespace livedeck::gifts {

class TimedSql {
public:
    using Done = sim::InlineFunction<void(infra::SqlResult& result), 64>;

    TimedSql(sim::World& world, infra::SqlCluster& cluster, sim::Nanos timeout, std::string_view what);

    void write(std::uint32_t shard, std::shared_ptr<const infra::SqlBatch> batch, const infra::SqlCall& call,
               Done done);
    void read(std::uint32_t shard, infra::Consistency consistency, infra::SqlQuery query, const infra::SqlCall& call,
              Done done);

    sim::Nanos timeout() const { return m_timeout; }
    std::uint64_t timeouts() const { return m_timeouts; }
    std::size_t pending() const { return m_ops.size() - m_free.size(); }

private:
    struct Op {
        std::uint32_t gen = 0;
        bool live = false;
        Done done;
        sim::EventHandle timer;
    };
    std::uint32_t begin(Done done);
    void finish(std::uint32_t slot, std::uint32_t gen, infra::SqlResult& result);
    void expire(std::uint32_t slot, std::uint32_t gen);

    sim::World& m_world;
    infra::SqlCluster& m_cluster;
    sim::Nanos m_timeout;
    std::string m_what;
    sim::EventKindId m_timeoutKind;
    std::vector<Op> m_ops;
    std::vector<std::uint32_t> m_free;
    std::uint64_t m_timeouts = 0;
};

} // namespace livedeck::gifts

// What the Raft tests share: a seeded world config and running a world until its Raft
// cluster has a leader.
#pragma once

#include "backend/infra/raft_cluster.h"
#include "backend/sim/world.h"

#include <cstdint>

namespace livedeck::infra::test {

inline sim::WorldConfig seeded(std::uint64_t seed)
{
    sim::WorldConfig c;
    c.seed = seed;
    return c;
}

// Runs the world in 5 ms steps for at most `limit`; the leader's index, or -1.
inline int runUntilLeader(sim::World& w, RaftCluster& c, sim::Nanos limit)
{
    const sim::Nanos end = w.now() + limit;
    while (w.now() < end) {
        w.scheduler().runUntil(w.now() + 5 * sim::kMillisecond);
        if (c.leader() >= 0)
            return c.leader();
    }
    return -1;
}

} // namespace livedeck::infra::test

// Runs the synthetic workload (random faults included) for at least --events events
// and prints the trace hash and state digest: the cross-process determinism proof.
#include "backend/sim/synthetic_workload.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv)
{
    std::uint64_t seed = 1;
    std::uint64_t events = 1'000'000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--seed") == 0)
            seed = std::strtoull(argv[i + 1], nullptr, 10);
        else if (std::strcmp(argv[i], "--events") == 0)
            events = std::strtoull(argv[i + 1], nullptr, 10);
    }
    livedeck::sim::WorldConfig cfg;
    cfg.seed = seed;
    livedeck::sim::World world(std::move(cfg));
    livedeck::sim::SyntheticWorkload::Config config;
    config.meanFaultGap = 50 * livedeck::sim::kMillisecond; // many faults: every kind gets exercised
    config.meanFaultLength = 100 * livedeck::sim::kMillisecond;
    livedeck::sim::SyntheticWorkload load(world, config);
    load.start();
    world.scheduler().runEvents(events);
    std::printf("trace_hash=%016" PRIx64 " state_digest=%016" PRIx64 " events=%" PRIu64 " faults=%" PRIu64 "\n",
                world.traceHash(), world.stateDigest(), world.scheduler().executed(), load.faultsInjected());
    return 0;
}

// SyntheticWorkload: a deterministic, engine-free workload for the world itself —
// services in every region exchanging messages over the network while random faults
// (drawn from the whole vocabulary) come and go through recorded commands. Used by
// the determinism tests (>= 1 000 000 events, two processes, one trace hash) and by
// `livedeckctl demo` until engines exist. Not a model of any production system.
#pragma once

#include "backend/sim/world.h"

#include <cstdint>
#include <vector>

namespace livedeck::sim {

class SyntheticWorkload final : public Inspectable {
public:
    struct Config {
        int servicesPerRegion = 8;
        Nanos meanInterSend = 200 * kMicrosecond; // per service
        Nanos meanFaultGap = 500 * kMillisecond;  // between random fault commands
        Nanos meanFaultLength = 300 * kMillisecond;
    };

    SyntheticWorkload(World& world, Config config);
    explicit SyntheticWorkload(World& world) : SyntheticWorkload(world, Config{}) {}
    void start();

    std::uint64_t sent() const { return m_sent; }
    std::uint64_t delivered() const { return m_delivered; }
    std::uint64_t failed() const { return m_failed; }
    std::uint64_t faultsInjected() const { return m_faultsInjected; }
    void inspect(StateWriter& out) const override;

private:
    struct Service {
        ComponentId id;
        RandomStream rng;
        std::uint64_t received = 0;
    };
    void sendFrom(std::size_t index);
    void deliver(std::size_t to, std::uint64_t payload);
    void injectRandomFault();

    World& m_world;
    Config m_config;
    std::vector<Service> m_services;
    RandomStream m_faultRng;
    EventKindId m_sendKind;
    EventKindId m_deliverKind;
    EventKindId m_faultKind;
    ComponentId m_self;
    std::uint64_t m_sent = 0;
    std::uint64_t m_delivered = 0;
    std::uint64_t m_failed = 0;
    std::uint64_t m_faultsInjected = 0;
};

} // namespace livedeck::sim

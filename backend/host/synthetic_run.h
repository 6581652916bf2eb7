// SyntheticRun: a HostedRun made of a World, its Telemetry and the engine-free
// sim::SyntheticWorkload (services in every region messaging each other while random
// faults come and go). It serves `livedeckctl demo`, the console's demo mode and the
// host's tests until real engines exist. Not a model of any production system.
//
// Metrics: the workload's totals are copied into telemetry counters (synthetic.sent,
// .delivered, .failed, .faults_injected) and a gauge (synthetic.faults_active) by a
// world event every `metricsInterval` of simulated time (100 ms: ten updates per
// one-second rollup), so rates show up in snapshots like an engine's would.
// Thread: built on any thread, then used only on the host's thread.
#pragma once

#include "backend/host/hosted_run.h"
#include "backend/sim/synthetic_workload.h"

#include <cstdint>
#include <string>

namespace livedeck::host {

struct SyntheticRunConfig {
    std::uint64_t seed = 1;
    sim::Nanos duration = sim::kNever;      // the host stops the world here; kNever = open-ended
    std::string runId;                      // empty: "synthetic-<seed>"
    sim::SyntheticWorkload::Config workload;
    sim::Nanos metricsInterval = 100 * sim::kMillisecond;
};

class SyntheticRun final : public HostedRun {
public:
    explicit SyntheticRun(SyntheticRunConfig config = {});

    sim::World& world() override { return m_world; }
    const sim::World& world() const override { return m_world; }
    telemetry::Telemetry& telemetry() override { return m_telemetry; }
    const telemetry::Telemetry& telemetry() const override { return m_telemetry; }
    sim::Nanos endTime() const override { return m_config.duration; }
    bool finished() const override { return m_world.now() >= m_config.duration; }

    const sim::SyntheticWorkload& workload() const { return m_workload; }
    const SyntheticRunConfig& config() const { return m_config; }
    // Faults active right now (scheduled ones not counted).
    int activeFaults() const;

private:
    static sim::WorldConfig worldConfig(const SyntheticRunConfig& config);
    void syncMetrics();

    SyntheticRunConfig m_config;
    sim::World m_world;
    telemetry::Telemetry m_telemetry;
    sim::SyntheticWorkload m_workload;
    telemetry::Counter& m_sent;
    telemetry::Counter& m_delivered;
    telemetry::Counter& m_failed;
    telemetry::Counter& m_faultsInjected;
    telemetry::Gauge& m_faultsActive;
    sim::EventKindId m_metricsKind;
};

} // namespace livedeck::host

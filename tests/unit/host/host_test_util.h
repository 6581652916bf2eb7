// Helpers shared by the host tests: a light synthetic run (few events per simulated
// second, so × 1000 stays fast), fault commands, and future helpers for QTRY_* waits.
#pragma once

#include "backend/host/synthetic_run.h"
#include "backend/host/world_host.h"

#include <QTest>

#include <chrono>
#include <future>
#include <memory>
#include <string>

namespace livedeck::host::test {

// Bounded waits where the real host thread is involved (generous: the machine is shared).
inline constexpr int kWaitMs = 20'000;

template <class T>
bool isReady(const std::future<T>& f)
{
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

// About 120 scheduler events per simulated second (6 services sending every 100 ms,
// each send delivered) plus faults, rollups and metric syncs.
inline SyntheticRunConfig lightConfig(std::uint64_t seed = 1, sim::Nanos duration = sim::kNever)
{
    SyntheticRunConfig c;
    c.seed = seed;
    c.duration = duration;
    c.workload.servicesPerRegion = 2;
    c.workload.meanInterSend = 100 * sim::kMillisecond;
    c.workload.meanFaultGap = 400 * sim::kMillisecond;
    c.workload.meanFaultLength = 300 * sim::kMillisecond;
    return c;
}

inline std::unique_ptr<SyntheticRun> lightRun(std::uint64_t seed = 1, sim::Nanos duration = sim::kNever)
{
    return std::make_unique<SyntheticRun>(lightConfig(seed, duration));
}

inline v1::Command latencyFault(const std::string& target, double addMs, const std::string& issuer)
{
    v1::Command c;
    c.set_issuer(issuer);
    auto* f = c.mutable_inject_fault()->mutable_fault();
    f->set_kind(v1::FAULT_LATENCY);
    f->set_target(target);
    auto* p = f->add_params();
    p->set_name("add_ms");
    p->set_value(addMs);
    return c;
}

inline QByteArray text(const absl::Status& s)
{
    return QByteArray::fromStdString(s.ToString());
}

} // namespace livedeck::host::test

// HealthChecker: active health checks with interval, rise and fall (HAProxy's
// semantics), on the world's virtual time (docs/CDN.md, "Health checks").
//
// Contract:
// - Every `interval` each target is probed; first probes are spread over one interval
//   with a phase drawn from the checker's own stream (like HAProxy's spread-checks).
// - A probe is a real round trip on the world's network: checker → target and back.
//   It fails when the message cannot be delivered (target down, partition, loss), when
//   an error-rate fault on the target answers the probe with an error, when the round
//   trip (plus any latency fault on the target) exceeds `timeout`, or when the optional
//   application check (overload, a sick disk) says so. The outcome is known after the
//   round trip, or after `timeout` for a probe that got no answer.
// - A healthy target turns unhealthy after `fall` consecutive failures, an unhealthy
//   one healthy after `rise` consecutive successes; each change calls the listener with
//   the reason that tripped it. Hysteresis: a single bad probe among good ones never trips.
// Defaults (cdn_defaults.h): interval 1 s (ours), rise 2 / fall 3 (HAProxy), timeout 500 ms (ours).
#pragma once

#include "backend/cdn/cdn_defaults.h"
#include "backend/sim/world.h"

#include <functional>
#include <string>
#include <vector>

namespace livedeck::cdn {

struct HealthCheckConfig {
    sim::Nanos interval = kHealthInterval;
    int rise = kHealthRise;
    int fall = kHealthFall;
    sim::Nanos timeout = kHealthTimeout;
    bool startHealthy = true;
};

struct ProbeVerdict {
    bool ok = true;
    std::string reason; // why it failed
};

struct TargetHealth {
    sim::ComponentId component = sim::kNoComponent;
    bool healthy = true;
    int consecutiveOk = 0;
    int consecutiveFail = 0;
    sim::Nanos lastCheck = -1;   // when the last probe's outcome was known
    std::string lastReason;      // last failure's reason
    std::string trippedReason;   // the reason of the last healthy → unhealthy change
    sim::Nanos changedAt = 0;    // last state change
    std::uint64_t probes = 0;
    std::uint64_t failures = 0;
    std::uint64_t transitions = 0;
};

class HealthChecker {
public:
    using Listener = std::function<void(int target, bool healthy, const std::string& reason)>;
    using AppCheck = std::function<ProbeVerdict(int target)>;

    // `checker` is the component probes are sent from (its path names its stream).
    HealthChecker(sim::World& world, sim::ComponentId checker, HealthCheckConfig config = {});

    int addTarget(sim::ComponentId target);
    void setListener(Listener listener) { m_listener = std::move(listener); }
    // An application-level check run when a probe reaches its target.
    void setAppCheck(AppCheck check) { m_appCheck = std::move(check); }
    // Starts probing (idempotent). Checks stop when the checker is destroyed only by
    // the world ending; keep the checker alive as long as the world runs.
    void start();

    bool healthy(int target) const { return m_targets[static_cast<std::size_t>(target)].healthy; }
    const TargetHealth& target(int target) const { return m_targets[static_cast<std::size_t>(target)]; }
    std::size_t targetCount() const { return m_targets.size(); }
    const HealthCheckConfig& config() const { return m_config; }

private:
    void probe(int target);
    void outcome(int target, bool ok, std::string reason);

    sim::World& m_world;
    sim::ComponentId m_checker;
    HealthCheckConfig m_config;
    sim::RandomStream m_rng;
    sim::EventKindId m_probeKind;
    sim::EventKindId m_resultKind;
    std::vector<TargetHealth> m_targets;
    Listener m_listener;
    AppCheck m_appCheck;
    bool m_started = false;
};

} // namespace livedeck::cdn

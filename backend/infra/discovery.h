// ServiceDiscovery: the registry of service instances and the client-side picker that
// prefers the caller's own region (docs/GIFTS.md "Service discovery prefers instances in the
// caller's own region"), fails over when the local healthy share drops, and ejects
// outliers after consecutive errors.
//
// Instances register with a service name, an instance name, their component (which
// gives region and data centre) and a weight. An instance is healthy when its registry
// flag is set and the fault registry does not hold it (or its region) down; it is
// available when healthy and not ejected.
//
// Picking (mode LocalFirst) follows Envoy's priority levels:
// - The caller's locality defines the priorities: P0 = instances in the caller's region,
//   P1 = the rest (scope Region, the default); with scope DataCentre, P0 = the caller's
//   data centre, P1 = the rest of its region, P2 = other regions. (Envoy takes
//   priorities from the cluster's EDS config; Istio's locality failover derives them
//   from the client's locality this same way.)
// - Health of a level = min(100, 140 × available / total) in integer percent
//   (overprovisioning factor 1.4, Envoy's default): P0 keeps all traffic until fewer
//   than ~72 % of its instances are available. Load goes to levels in order, each
//   taking its health share of what is left; when the levels' health sums to under
//   100 the loads are normalised to it (Envoy's normalized total availability);
//   rounding leftovers go to the first level with available instances; with no
//   available instance at all, the whole load goes to the first non-empty level.
// - Panic (Envoy's healthy_panic_threshold, default 50 %): when the normalised total
//   is under 100 and a level's available share is under the threshold, that level
//   picks among all its instances regardless of health or ejection.
// - Within a level: weighted random by instance weight, drawn from a sim::RandomStream
//   (passed in, or the registry's own stream). Envoy's default is weighted round robin;
//   a seeded draw keeps runs reproducible without per-caller state.
// Mode CrossRegion (the gift engine's multi-active switch): one level holding every
// instance, so healthy instances of all regions share the load by weight; the panic
// rule applies to that single level.
//
// Outlier ejection (Envoy outlier_detection, consecutive_5xx): reportResult() after each
// call; `consecutiveErrors` (5) failed results in a row eject the instance for
// baseEjectionTime (30 s) × its ejection count, capped at maxEjectionTime (300 s); the
// count decays by one per 10 s (Envoy's default interval) spent un-ejected. At most
// maxEjectionPercent (10 %) of a service's instances are ejected at once, but one can
// always be (Envoy ≥ 1.22). Differences: Envoy un-ejects on its 10 s interval timer,
// so hosts return up to 10 s late; ours return exactly when their time is up (a
// scheduled event). Errors are counted per discrete call (with weighted load this is
// Envoy's rule applied to the sampled request stream). Envoy's success-rate and
// failure-percentage detectors, degraded hosts and active health checks are not modelled:
// a down fault is seen at once, as if health checks were instantaneous.
//
// Events: "discovery.eject" (warning) / "discovery.return" (info) per instance,
// "discovery.mode" when the mode changes. Metrics (component = the registry's path,
// labels "service=<name>"): discovery.picks_local, discovery.picks_remote,
// discovery.picks_panic, discovery.ejections counters; discovery.available,
// discovery.ejected gauges.
// Single-threaded (the world's thread); scheduled events hold a pointer to the registry.
#pragma once

#include "backend/sim/world.h"
#include "backend/telemetry/metrics.h"

#include <absl/container/flat_hash_map.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::infra {

enum class DiscoveryMode : std::uint8_t { LocalFirst, CrossRegion };
enum class LocalityScope : std::uint8_t { Region, DataCentre };
const char* toString(DiscoveryMode mode);

struct DiscoveryConfig {
    LocalityScope locality = LocalityScope::Region;
    DiscoveryMode mode = DiscoveryMode::LocalFirst;
    int overprovisioningPercent = 140;        // Envoy overprovisioning_factor default 1.4
    int panicThresholdPercent = 50;           // Envoy healthy_panic_threshold default 50 %
    int consecutiveErrors = 5;                // Envoy consecutive_5xx default 5
    sim::Nanos baseEjectionTime = 30 * sim::kSecond;  // Envoy base_ejection_time default
    sim::Nanos maxEjectionTime = 300 * sim::kSecond;  // Envoy max_ejection_time default
    sim::Nanos ejectionDecayInterval = 10 * sim::kSecond; // Envoy interval default
    int maxEjectionPercent = 10;              // Envoy max_ejection_percent default 10 %
};

using InstanceId = std::uint32_t;

struct ServiceInstance {
    InstanceId id = 0;
    std::uint32_t service = 0;    // index of its service
    std::string name;             // "order-svc-3"
    sim::ComponentId component = sim::kNoComponent;
    int region = -1;
    int dataCentre = -1;
    double weight = 1.0;
    bool registered = true;
    bool flagHealthy = true;      // the registry's own flag (drain, failed registration checks)
    int consecutiveErrors = 0;
    bool ejected = false;
    sim::Nanos ejectedUntil = 0;
    int ejectionCount = 0;        // multiplier of the next ejection time
    sim::Nanos lastReturn = 0;
    std::uint64_t picks = 0;
    bool available = true;        // cached: healthy and not ejected
};

struct PickResult {
    const ServiceInstance* instance = nullptr;
    int priority = -1;   // level picked from; 0 = the caller's locality (LocalFirst)
    bool panic = false;  // the level was in panic: health was ignored
    bool local = false;  // the instance is in the caller's region
    explicit operator bool() const { return instance != nullptr; }
};

class ServiceDiscovery final : public sim::Inspectable {
public:
    static constexpr int kMaxLevels = 3;

    ServiceDiscovery(sim::World& world, std::string_view path, DiscoveryConfig config = {},
                     telemetry::MetricsRegistry* metrics = nullptr);
    ServiceDiscovery(const ServiceDiscovery&) = delete;
    ServiceDiscovery& operator=(const ServiceDiscovery&) = delete;

    absl::StatusOr<InstanceId> registerInstance(std::string_view service, std::string_view name,
                                                sim::ComponentId component, double weight = 1.0);
    absl::Status deregister(InstanceId id);
    void setHealthy(InstanceId id, bool healthy);
    void setWeight(InstanceId id, double weight);
    void setMode(DiscoveryMode mode);
    DiscoveryMode mode() const { return m_config.mode; }

    PickResult pick(std::string_view service, sim::ComponentId caller, sim::RandomStream& rng);
    PickResult pick(std::string_view service, sim::ComponentId caller) { return pick(service, caller, m_rng); }
    void reportResult(InstanceId id, bool ok);

    // The load share (integer percent) per priority level a caller would see now, and
    // whether each level is in panic; levels beyond the mode's count are 0.
    struct Loads {
        int levels = 0;
        int load[kMaxLevels] = {};
        int health[kMaxLevels] = {};
        bool panic[kMaxLevels] = {};
        int total[kMaxLevels] = {};
        int available[kMaxLevels] = {};
    };
    Loads loads(std::string_view service, sim::ComponentId caller);

    bool healthy(InstanceId id) const;   // flag set and not down (fault registry)
    bool available(InstanceId id);       // healthy and not ejected
    const ServiceInstance& instance(InstanceId id) const { return m_instances[id]; }
    std::vector<InstanceId> instances(std::string_view service) const;
    const DiscoveryConfig& config() const { return m_config; }
    sim::ComponentId component() const { return m_component; }

    void inspect(sim::StateWriter& out) const override;

private:
    struct Service {
        std::string name;
        std::vector<InstanceId> members; // registration order
        int ejected = 0;
        std::uint64_t cacheGeneration = ~0ull; // fault generation of the cached availability
        std::uint64_t cacheEpoch = ~0ull;      // registry epoch of the cached availability
        telemetry::Counter* picksLocal = nullptr;
        telemetry::Counter* picksRemote = nullptr;
        telemetry::Counter* picksPanic = nullptr;
        telemetry::Counter* ejections = nullptr;
        telemetry::Gauge* availableGauge = nullptr;
        telemetry::Gauge* ejectedGauge = nullptr;
    };

    Service* findService(std::string_view name);
    void refresh(Service& s);
    int levelOf(const ServiceInstance& inst, const sim::ComponentInfo& caller) const;
    int levelCount() const;
    void computeLoads(Service& s, const sim::ComponentInfo& caller, Loads& out);
    void eject(ServiceInstance& inst);
    void unEject(InstanceId id, sim::Nanos until);

    sim::World& m_world;
    std::string m_path;
    DiscoveryConfig m_config;
    sim::ComponentId m_component;
    telemetry::MetricsRegistry* m_metrics;
    sim::RandomStream m_rng;
    std::vector<Service> m_services;
    absl::flat_hash_map<std::string, std::uint32_t, sim::StringHash, sim::StringEq> m_byName;
    std::deque<ServiceInstance> m_instances; // by id; stable addresses
    std::uint64_t m_epoch = 0;               // bumped on every registry change
    sim::EventKindId m_returnKind;
};

} // namespace livedeck::infra

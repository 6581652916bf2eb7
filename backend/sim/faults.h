// FaultRegistry: the one fault vocabulary (docs/ARCHITECTURE.md, property 6) and the faults in force.
//
// A fault has a kind (latency, error rate, down, partition, slow disk, replica lag,
// MQ duplicate/delay/loss, clock skew, hot key, load spike), a target (a component
// path prefix by segment, '*' = any one segment), parameters, a start and an end.
// Activation and expiry are scheduler events and EventLog events ("fault.on",
// "fault.off"). Components consult the registry when they act: `effect(kind, path)`
// aggregates every active fault of a kind that matches a path.
//
// Parameters by kind (name: meaning):
//   latency      add_ms (>= 0), multiply (>= 1); text peer → a link fault between
//                target and peer instead of a component fault
//   error-rate   rate in (0, 1]
//   down         —
//   partition    text peer (required): the other side; one_way = 1 blocks only target→peer
//   slow-disk    multiply (>= 1)
//   replica-lag  add_ms (> 0)
//   mq-duplicate rate in (0, 1];   mq-loss rate in (0, 1];   mq-delay add_ms (> 0)
//   clock-skew   add_ms (any sign)
//   hot-key      share in (0, 1] of the target's key traffic; text key (optional)
//   load-spike   multiply (> 0)
#pragma once

#include "backend/sim/scheduler.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/status/statusor.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::sim {

class ComponentRegistry;
class EventLog;

struct FaultParams {
    double addMs = 0.0;
    double multiply = 1.0;
    double rate = 0.0;
    double share = 0.0;
    bool oneWay = false;
    std::string peer;
    std::string key;
};

struct Fault {
    std::uint64_t id = 0;
    v1::FaultKind kind = v1::FAULT_KIND_UNSPECIFIED;
    std::string target;
    FaultParams params;
    Nanos start = 0;
    Nanos end = kNever;
    std::string origin;
    bool active = false;
    EventHandle startEvent;
    EventHandle endEvent;
};

// What all active faults of one kind matching one path add up to.
struct FaultEffect {
    bool present = false;
    double addMs = 0.0;     // summed
    double multiply = 1.0;  // multiplied
    double rate = 0.0;      // combined as independent: 1 - Π(1 - r)
    double share = 0.0;     // largest
    std::string key;        // of the first hot-key fault
};

class FaultRegistry {
public:
    using Listener = std::function<void(const Fault& fault, bool active)>;

    FaultRegistry(Scheduler& scheduler, const ComponentRegistry& components, EventLog& events,
                  EventKindId onKind, EventKindId offKind);

    // Validates and schedules a fault. start_ns <= now starts it at once (still as an event).
    absl::StatusOr<std::uint64_t> inject(const v1::FaultSpec& spec);
    absl::Status clear(std::uint64_t id);
    // Moves a fault's end (lease renewal); kNever for no end.
    absl::Status setEnd(std::uint64_t id, Nanos end);

    const Fault* get(std::uint64_t id) const;
    // Scheduled and active faults, by id.
    const std::vector<Fault>& all() const { return m_faults; }
    void toProto(std::uint64_t id, v1::FaultSpec& out) const;

    // Hot-path queries.
    bool anyActive(v1::FaultKind kind) const { return m_activeCount[kind] != 0; }
    FaultEffect effect(v1::FaultKind kind, std::string_view path) const;
    bool isDown(std::string_view path) const;
    // True when a partition blocks messages from `fromPath` to `toPath`.
    bool partitioned(std::string_view fromPath, std::string_view toPath) const;
    // Extra latency in ms of link faults between two paths (either direction).
    double linkLatencyAddMs(std::string_view fromPath, std::string_view toPath) const;

    // Bumped on every activation, expiry and clear; components may cache against it.
    std::uint64_t generation() const { return m_generation; }
    void addListener(Listener listener) { m_listeners.push_back(std::move(listener)); }

    static std::string_view kindName(v1::FaultKind kind);          // "latency", "error-rate", ...
    static absl::StatusOr<v1::FaultKind> parseKind(std::string_view name);
    static std::string vocabulary();                               // "latency, error-rate, ..."
    // Checks a spec's kind and parameters, without touching the world.
    static absl::StatusOr<FaultParams> validateParams(const v1::FaultSpec& spec);

private:
    Fault* find(std::uint64_t id);
    void activate(std::uint64_t id);
    void expire(std::uint64_t id, std::string_view why);
    void notify(const Fault& fault, bool active);
    absl::Status checkTarget(std::string_view target, std::string_view what) const;

    Scheduler& m_scheduler;
    const ComponentRegistry& m_components;
    EventLog& m_events;
    EventKindId m_onKind;
    EventKindId m_offKind;
    std::vector<Fault> m_faults; // scheduled + active, ordered by id
    std::vector<Listener> m_listeners;
    int m_activeCount[v1::FaultKind_ARRAYSIZE] = {};
    std::uint64_t m_nextId = 1;
    std::uint64_t m_generation = 0;
};

} // namespace livedeck::sim

// World: one deterministic run (docs/ARCHITECTURE.md, property 1). Owns the virtual clock and
// event queue (Scheduler), the seeded random streams, the topology and network, the
// component registry, the fault registry, the event log, the calendar and the trace
// hash. Single-threaded: everything here runs on the thread that drives the world
// (the WorldHost's thread in programs, the test's thread in tests).
//
// Commands from outside (inject/clear fault, change load, operator actions) arrive
// through apply(); each is applied between events at the current virtual time and
// recorded with that time and the number of events run before it, so a replay
// applies it at exactly the same point. Host-level pacing commands (pause, step,
// speed) never reach the world.
#pragma once

#include "backend/sim/calendar.h"
#include "backend/sim/components.h"
#include "backend/sim/event_log.h"
#include "backend/sim/faults.h"
#include "backend/sim/network.h"
#include "backend/sim/offload.h"
#include "backend/sim/random.h"
#include "backend/sim/scheduler.h"
#include "backend/sim/strings.h"
#include "backend/sim/topology.h"
#include "backend/sim/trace.h"
#include "livedeck/v1/cluster.pb.h"

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace livedeck::sim {

struct WorldConfig {
    std::uint64_t seed = 1;
    Topology topology = Topology::defaults();
    Calendar calendar;
    std::string runId = "run";
    // Work whose result the world needs later runs on a helper thread (sim::Offload):
    // a SQL replica's applies. The same trace either way; worth it only with a core to
    // spare (the console and livedeckd turn it on when the process may use two).
    bool helperThread = false;
};

class World final : private EventObserver {
public:
    using CommandHandler = std::function<absl::Status(const v1::Command&)>;

    explicit World(WorldConfig config = {});
    ~World() override;
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    // Time and events
    Scheduler& scheduler() { return m_scheduler; }
    const Scheduler& scheduler() const { return m_scheduler; }
    const Clock& clock() const { return m_scheduler; }
    Nanos now() const { return m_scheduler.now(); }
    EventHandle at(Nanos time, EventKindId kind, ComponentId component, Scheduler::Callback cb)
    {
        return m_scheduler.scheduleAt(time, kind, component, std::move(cb));
    }
    EventHandle after(Nanos delay, EventKindId kind, ComponentId component, Scheduler::Callback cb)
    {
        return m_scheduler.scheduleAfter(delay, kind, component, std::move(cb));
    }
    // Interns an event-kind name ("gifts.order.place") into a dense id; id 0 is "none".
    EventKindId kind(std::string_view name);
    const std::string& kindName(EventKindId id) const { return m_kindNames[id]; }
    const std::vector<std::string>& kindNames() const { return m_kindNames; }

    // Randomness
    std::uint64_t seed() const { return m_config.seed; }
    RandomStream stream(std::string_view path) const { return RandomStream::derive(m_config.seed, path); }

    // Parts
    const Topology& topology() const { return m_config.topology; }
    const Calendar& calendar() const { return m_config.calendar; }
    ComponentRegistry& components() { return m_components; }
    const ComponentRegistry& components() const { return m_components; }
    FaultRegistry& faults() { return m_faults; }
    const FaultRegistry& faults() const { return m_faults; }
    Network& network() { return m_network; }
    Offload& offload() { return *m_offload; }
    EventLog& events() { return m_events; }
    const EventLog& events() const { return m_events; }
    TraceHash& trace() { return m_trace; }
    const std::string& runId() const { return m_config.runId; }

    // Commands
    void setCommandHandler(v1::Command::ActionCase action, CommandHandler handler);
    absl::Status apply(const v1::Command& command);
    const std::vector<v1::AppliedCommand>& commandLog() const { return m_commandLog; }

    // Determinism proof: the running trace hash, and a digest of every component's
    // inspected state (in id order) combined with it.
    std::uint64_t traceHash() const { return m_trace.value(); }
    std::uint64_t stateDigest() const;

    // Called after each event by whoever wants per-event hooks (breakpoints, stats).
    void setAfterEventHook(std::function<void(const EventMeta&)> hook) { m_afterEventHook = std::move(hook); }

    void topologyToProto(v1::Topology& out) const;
    // What the run's builder adds to the topology: the engines as they describe
    // themselves, and the plugins they came from (the console builds its views from
    // these). Opaque to the world.
    void addEngineDescriptor(v1::EngineDescriptor descriptor) { m_engineDescriptors.push_back(std::move(descriptor)); }
    void addPluginInfo(v1::PluginInfo plugin) { m_plugins.push_back(std::move(plugin)); }
    const std::vector<v1::EngineDescriptor>& engineDescriptors() const { return m_engineDescriptors; }

private:
    void beforeEvent(const EventMeta& meta) override;

    WorldConfig m_config;
    std::unique_ptr<Offload> m_offload; // first: it outlives every component that posts to it
    Scheduler m_scheduler;
    TraceHash m_trace;
    ComponentRegistry m_components;
    EventLog m_events;
    std::vector<std::string> m_kindNames;
    absl::flat_hash_map<std::string, EventKindId, StringHash, StringEq> m_kindIds;
    FaultRegistry m_faults;
    Network m_network;
    std::vector<std::pair<v1::Command::ActionCase, CommandHandler>> m_handlers;
    std::vector<v1::AppliedCommand> m_commandLog;
    std::function<void(const EventMeta&)> m_afterEventHook;
    std::vector<v1::EngineDescriptor> m_engineDescriptors;
    std::vector<v1::PluginInfo> m_plugins;
};

} // namespace livedeck::sim

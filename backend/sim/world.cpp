#include "backend/sim/world.h"


namespace livedeck::sim {
namespace {

std::string_view actionName(v1::Command::ActionCase a)
{
    switch (a) {
    case v1::Command::kInjectFault:
        return "inject_fault";
    case v1::Command::kClearFault:
        return "clear_fault";
    case v1::Command::kRenewLease:
        return "renew_lease";
    case v1::Command::kSetLoad:
        return "set_load";
    case v1::Command::kOperatorAction:
        return "operator_action";
    case v1::Command::kPause:
        return "pause";
    case v1::Command::kResume:
        return "resume";
    case v1::Command::kStep:
        return "step";
    case v1::Command::kRunUntil:
        return "run_until";
    case v1::Command::kSetSpeed:
        return "set_speed";
    case v1::Command::ACTION_NOT_SET:
        break;
    }
    return "none";
}

} // namespace

World::World(WorldConfig config)
    : m_config(std::move(config)),
      m_offload(std::make_unique<Offload>(m_config.helperThread)),
      m_components(m_config.topology),
      m_events(m_scheduler, m_components, m_trace),
      m_kindNames{"none"},
      m_faults(m_scheduler, m_components, m_events, kind("fault.on"), kind("fault.off")),
      m_network(m_config.topology, m_components, m_faults, m_config.seed)
{
    m_scheduler.setObserver(this);
    m_trace.mix(m_config.seed);
    // Every region is itself a component, so faults can target "sh-a" even before
    // engines register anything there, and the inspector has a root per region.
    for (const RegionSpec& r : m_config.topology.regions())
        m_components.mustAdd(r.name, "region");
}

World::~World()
{
    m_scheduler.setObserver(nullptr);
}

EventKindId World::kind(std::string_view name)
{
    const auto it = m_kindIds.find(name);
    if (it != m_kindIds.end())
        return it->second;
    const auto id = static_cast<EventKindId>(m_kindNames.size());
    m_kindNames.emplace_back(name);
    m_kindIds.emplace(std::string(name), id);
    return id;
}

void World::beforeEvent(const EventMeta& meta)
{
    // The kind's id depends on interning order, which is itself deterministic; hash
    // the id (cheap) rather than the name.
    const std::uint64_t rec[3] = {static_cast<std::uint64_t>(meta.time), meta.kind, meta.component};
    m_trace.mixBytes(rec, sizeof rec);
    if (m_afterEventHook)
        m_afterEventHook(meta);
}

void World::setCommandHandler(v1::Command::ActionCase action, CommandHandler handler)
{
    for (auto& [a, h] : m_handlers) {
        if (a == action) {
            h = std::move(handler);
            return;
        }
    }
    m_handlers.emplace_back(action, std::move(handler));
}

absl::Status World::apply(const v1::Command& command)
{
    absl::Status status;
    switch (command.action_case()) {
    case v1::Command::kInjectFault: {
        v1::FaultSpec spec = command.inject_fault().fault();
        if (spec.origin().empty())
            spec.set_origin(command.issuer().empty() ? "command" : command.issuer());
        auto id = m_faults.inject(spec);
        status = id.status();
        break;
    }
    case v1::Command::kClearFault:
        status = m_faults.clear(command.clear_fault().fault_id());
        break;
    case v1::Command::kRenewLease:
        status = absl::OkStatus(); // leases are wall-clock: the host keeps them
        break;
    case v1::Command::kPause:
    case v1::Command::kResume:
    case v1::Command::kStep:
    case v1::Command::kRunUntil:
    case v1::Command::kSetSpeed:
        return absl::InvalidArgumentError(strCat("'", actionName(command.action_case()), "' is a pacing command for the host, not the world"));
    case v1::Command::ACTION_NOT_SET:
        return absl::InvalidArgumentError("command has no action");
    default: {
        // Operator actions are declared by engines: a world whose engines declare none
        // refuses every name as it would an undeclared one.
        status = command.action_case() == v1::Command::kOperatorAction
            ? absl::InvalidArgumentError(strCat("no engine in this world declares operator action '",
                                                command.operator_action().action(), "'"))
            : absl::UnimplementedError(strCat("no engine in this world handles '", actionName(command.action_case()), "'"));
        for (const auto& [a, h] : m_handlers) {
            if (a == command.action_case()) {
                status = h(command);
                break;
            }
        }
        break;
    }
    }
    v1::AppliedCommand applied;
    *applied.mutable_command() = command;
    applied.set_sim_time_ns(now());
    applied.set_after_event(m_scheduler.executed());
    applied.set_result(status.ok() ? std::string("ok") : std::string(status.message()));
    std::string bytes;
    command.SerializeToString(&bytes);
    m_trace.mix(0xC0C0C0C0ULL);
    m_trace.mix(bytes);
    m_trace.mix(static_cast<std::uint64_t>(status.code()));
    m_commandLog.push_back(std::move(applied));
    return status;
}

std::uint64_t World::stateDigest() const
{
    TraceHash digest;
    digest.mix(m_trace.value());
    digest.mix(static_cast<std::uint64_t>(now()));
    digest.mix(m_scheduler.executed());
    StateWriter w;
    for (const ComponentInfo& c : m_components.all()) {
        digest.mix(c.path);
        if (!c.inspectable)
            continue;
        w.clear();
        c.inspectable->inspect(w);
        for (const auto& [k, v] : w.entries()) {
            digest.mix(k);
            digest.mix(v);
        }
    }
    return digest.value();
}

void World::topologyToProto(v1::Topology& out) const
{
    out.set_run_id(m_config.runId);
    m_config.topology.toProto(out);
    out.set_calendar_start_unix_ms(m_config.calendar.startUnixMs());
    out.set_calendar_utc_offset_minutes(m_config.calendar.utcOffsetMinutes());
    for (const ComponentInfo& c : m_components.all()) {
        if (c.id == kNoComponent)
            continue;
        auto* pc = out.add_components();
        pc->set_path(c.path);
        pc->set_kind(c.kind);
        pc->set_engine(c.engine);
        if (c.region >= 0)
            pc->set_region(m_config.topology.regions()[static_cast<std::size_t>(c.region)].name);
        if (c.dataCentre >= 0)
            pc->set_data_centre(m_config.topology.dataCentres()[static_cast<std::size_t>(c.dataCentre)].name);
    }
    for (const v1::EngineDescriptor& d : m_engineDescriptors)
        *out.add_engines() = d;
    for (const v1::PluginInfo& p : m_plugins)
        *out.add_plugins() = p;
}

} // namespace livedeck::sim

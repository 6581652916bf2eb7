#include "backend/infra/discovery.h"

#include <algorithm>
#include <cassert>

namespace livedeck::infra {

const char* toString(DiscoveryMode mode)
{
    return mode == DiscoveryMode::LocalFirst ? "local-first" : "cross-region";
}

ServiceDiscovery::ServiceDiscovery(sim::World& world, std::string_view path, DiscoveryConfig config,
                                   telemetry::MetricsRegistry* metrics)
    : m_world(world),
      m_path(path),
      m_config(config),
      m_component(world.components().mustAdd(path, "discovery", {}, this)),
      m_metrics(metrics),
      m_rng(world.stream(sim::strCat(m_path, "#pick"))),
      m_returnKind(world.kind("discovery.return"))
{
}

ServiceDiscovery::Service* ServiceDiscovery::findService(std::string_view name)
{
    const auto it = m_byName.find(name);
    return it == m_byName.end() ? nullptr : &m_services[it->second];
}

absl::StatusOr<InstanceId> ServiceDiscovery::registerInstance(std::string_view service, std::string_view name,
                                                              sim::ComponentId component, double weight)
{
    if (service.empty() || name.empty())
        return absl::InvalidArgumentError("an instance needs a service name and an instance name");
    if (component == sim::kNoComponent || component >= m_world.components().size())
        return absl::InvalidArgumentError(
            sim::strCat("instance '", name, "' of '", service, "': register its component first"));
    if (!(weight >= 0.0))
        return absl::InvalidArgumentError(sim::strCat("instance '", name, "': weight must be >= 0"));
    Service* s = findService(service);
    if (!s) {
        const auto index = static_cast<std::uint32_t>(m_services.size());
        m_services.push_back(Service{});
        s = &m_services.back();
        s->name = std::string(service);
        m_byName.emplace(s->name, index);
        if (m_metrics) {
            const std::string labels = sim::strCat("service=", service);
            s->picksLocal = &m_metrics->counter("discovery.picks_local", m_path, labels);
            s->picksRemote = &m_metrics->counter("discovery.picks_remote", m_path, labels);
            s->picksPanic = &m_metrics->counter("discovery.picks_panic", m_path, labels);
            s->ejections = &m_metrics->counter("discovery.ejections", m_path, labels);
            s->availableGauge = &m_metrics->gauge("discovery.available", m_path, labels);
            s->ejectedGauge = &m_metrics->gauge("discovery.ejected", m_path, labels);
        }
    }
    for (InstanceId other : s->members) {
        if (m_instances[other].name == name)
            return absl::AlreadyExistsError(sim::strCat("instance '", name, "' of '", service, "' is already registered"));
    }
    const sim::ComponentInfo& info = m_world.components().get(component);
    ServiceInstance inst;
    inst.id = static_cast<InstanceId>(m_instances.size());
    inst.service = m_byName.find(service)->second;
    inst.name = std::string(name);
    inst.component = component;
    inst.region = info.region;
    inst.dataCentre = info.dataCentre;
    inst.weight = weight;
    inst.lastReturn = m_world.now();
    m_instances.push_back(std::move(inst));
    s->members.push_back(m_instances.back().id);
    ++m_epoch;
    return m_instances.back().id;
}

absl::Status ServiceDiscovery::deregister(InstanceId id)
{
    if (id >= m_instances.size() || !m_instances[id].registered)
        return absl::NotFoundError(sim::strCat("no registered instance with id ", id));
    ServiceInstance& inst = m_instances[id];
    Service& s = m_services[inst.service];
    if (inst.ejected)
        --s.ejected;
    inst.registered = false;
    inst.ejected = false;
    s.members.erase(std::find(s.members.begin(), s.members.end(), id));
    ++m_epoch;
    return absl::OkStatus();
}

void ServiceDiscovery::setHealthy(InstanceId id, bool healthy)
{
    m_instances[id].flagHealthy = healthy;
    ++m_epoch;
}

void ServiceDiscovery::setWeight(InstanceId id, double weight)
{
    m_instances[id].weight = std::max(0.0, weight);
    ++m_epoch;
}

void ServiceDiscovery::setMode(DiscoveryMode mode)
{
    if (mode == m_config.mode)
        return;
    m_config.mode = mode;
    m_world.events().raise("discovery.mode", m_component, v1::SEVERITY_INFO,
                           sim::strCat(m_path, ": picking ", toString(mode)), {{"mode", toString(mode)}});
}

bool ServiceDiscovery::healthy(InstanceId id) const
{
    const ServiceInstance& inst = m_instances[id];
    return inst.registered && inst.flagHealthy
        && !m_world.faults().isDown(m_world.components().get(inst.component).path);
}

bool ServiceDiscovery::available(InstanceId id)
{
    refresh(m_services[m_instances[id].service]);
    return m_instances[id].registered && m_instances[id].available;
}

std::vector<InstanceId> ServiceDiscovery::instances(std::string_view service) const
{
    const auto it = m_byName.find(service);
    return it == m_byName.end() ? std::vector<InstanceId>{} : m_services[it->second].members;
}

void ServiceDiscovery::refresh(Service& s)
{
    const std::uint64_t gen = m_world.faults().generation();
    if (s.cacheGeneration == gen && s.cacheEpoch == m_epoch)
        return;
    s.cacheGeneration = gen;
    s.cacheEpoch = m_epoch;
    int availableCount = 0;
    for (InstanceId id : s.members) {
        ServiceInstance& inst = m_instances[id];
        inst.available = !inst.ejected && healthy(id);
        availableCount += inst.available ? 1 : 0;
    }
    if (s.availableGauge)
        s.availableGauge->set(availableCount);
    if (s.ejectedGauge)
        s.ejectedGauge->set(s.ejected);
}

int ServiceDiscovery::levelCount() const
{
    if (m_config.mode == DiscoveryMode::CrossRegion)
        return 1;
    return m_config.locality == LocalityScope::Region ? 2 : 3;
}

int ServiceDiscovery::levelOf(const ServiceInstance& inst, const sim::ComponentInfo& caller) const
{
    if (m_config.mode == DiscoveryMode::CrossRegion)
        return 0;
    if (m_config.locality == LocalityScope::DataCentre) {
        if (inst.dataCentre >= 0 && inst.dataCentre == caller.dataCentre)
            return 0;
        return inst.region >= 0 && inst.region == caller.region ? 1 : 2;
    }
    return inst.region >= 0 && inst.region == caller.region ? 0 : 1;
}

void ServiceDiscovery::computeLoads(Service& s, const sim::ComponentInfo& caller, Loads& out)
{
    refresh(s);
    out = Loads{};
    out.levels = levelCount();
    for (InstanceId id : s.members) {
        const ServiceInstance& inst = m_instances[id];
        const int lvl = levelOf(inst, caller);
        ++out.total[lvl];
        out.available[lvl] += inst.available ? 1 : 0;
    }
    int sumHealth = 0;
    for (int i = 0; i < out.levels; ++i) {
        out.health[i] = out.total[i] == 0
            ? 0
            : std::min(100, m_config.overprovisioningPercent * out.available[i] / out.total[i]);
        sumHealth += out.health[i];
    }
    const int normalizedTotal = std::min(100, sumHealth);
    for (int i = 0; i < out.levels; ++i) {
        out.panic[i] = normalizedTotal < 100 && out.total[i] > 0
            && 100 * out.available[i] < m_config.panicThresholdPercent * out.total[i];
    }
    if (normalizedTotal == 0) {
        // Nothing available anywhere: everything to the first level that has instances (in panic).
        for (int i = 0; i < out.levels; ++i) {
            if (out.total[i] > 0) {
                out.load[i] = 100;
                break;
            }
        }
        return;
    }
    int remaining = 100;
    for (int i = 0; i < out.levels; ++i) {
        out.load[i] = std::min(remaining, out.health[i] * 100 / normalizedTotal);
        remaining -= out.load[i];
    }
    for (int i = 0; remaining > 0 && i < out.levels; ++i) {
        if (out.health[i] > 0) {
            out.load[i] += remaining;
            remaining = 0;
        }
    }
}

ServiceDiscovery::Loads ServiceDiscovery::loads(std::string_view service, sim::ComponentId caller)
{
    Loads out;
    if (Service* s = findService(service))
        computeLoads(*s, m_world.components().get(caller), out);
    return out;
}

PickResult ServiceDiscovery::pick(std::string_view service, sim::ComponentId caller, sim::RandomStream& rng)
{
    PickResult result;
    Service* s = findService(service);
    if (!s || s->members.empty())
        return result;
    const sim::ComponentInfo& callerInfo = m_world.components().get(caller);
    Loads l;
    computeLoads(*s, callerInfo, l);
    // Priority level by load (integer percent), like Envoy's choosePriority.
    const auto draw = static_cast<int>(rng.uniformInt(100));
    int level = 0;
    for (int acc = 0; level < l.levels; ++level) {
        acc += l.load[level];
        if (draw < acc)
            break;
    }
    assert(level < l.levels);
    const bool panic = l.panic[level] || l.available[level] == 0;
    // Weighted draw among the level's candidates.
    double sum = 0.0;
    int count = 0;
    for (InstanceId id : s->members) {
        const ServiceInstance& inst = m_instances[id];
        if (levelOf(inst, callerInfo) == level && (panic || inst.available)) {
            sum += inst.weight;
            ++count;
        }
    }
    if (count == 0)
        return result;
    const double target = rng.uniform01() * sum;
    const bool uniform = !(sum > 0.0);
    const auto nth = uniform ? static_cast<int>(rng.uniformInt(static_cast<std::uint64_t>(count))) : 0;
    double acc = 0.0;
    int seen = 0;
    ServiceInstance* chosen = nullptr;
    for (InstanceId id : s->members) {
        ServiceInstance& inst = m_instances[id];
        if (levelOf(inst, callerInfo) != level || !(panic || inst.available))
            continue;
        chosen = &inst; // the last candidate absorbs rounding
        if (uniform ? seen == nth : (acc += inst.weight) > target)
            break;
        ++seen;
    }
    assert(chosen);
    ++chosen->picks;
    result.instance = chosen;
    result.priority = level;
    result.panic = panic;
    result.local = chosen->region >= 0 && chosen->region == callerInfo.region;
    if (telemetry::Counter* c = result.local ? s->picksLocal : s->picksRemote)
        c->add(1.0);
    if (panic && s->picksPanic)
        s->picksPanic->add(1.0);
    return result;
}

void ServiceDiscovery::reportResult(InstanceId id, bool ok)
{
    ServiceInstance& inst = m_instances[id];
    if (!inst.registered)
        return;
    if (ok) {
        inst.consecutiveErrors = 0;
        return;
    }
    ++inst.consecutiveErrors;
    if (!inst.ejected && inst.consecutiveErrors >= m_config.consecutiveErrors)
        eject(inst);
}

void ServiceDiscovery::eject(ServiceInstance& inst)
{
    Service& s = m_services[inst.service];
    const auto n = static_cast<int>(s.members.size());
    // Envoy: the ejection may not push the ejected share over max_ejection_percent,
    // except that one host can always be ejected.
    if (s.ejected > 0 && 100 * (s.ejected + 1) > m_config.maxEjectionPercent * n)
        return;
    const sim::Nanos now = m_world.now();
    const auto decay = static_cast<int>((now - inst.lastReturn) / std::max<sim::Nanos>(1, m_config.ejectionDecayInterval));
    inst.ejectionCount = std::max(0, inst.ejectionCount - decay) + 1;
    const sim::Nanos duration = std::min(m_config.baseEjectionTime * inst.ejectionCount,
                                         std::max(m_config.baseEjectionTime, m_config.maxEjectionTime));
    inst.ejected = true;
    inst.ejectedUntil = now + duration;
    inst.consecutiveErrors = 0;
    ++s.ejected;
    ++m_epoch;
    if (s.ejections)
        s.ejections->add(1.0);
    const std::string& path = m_world.components().get(inst.component).path;
    m_world.events().raise("discovery.eject", inst.component, v1::SEVERITY_WARNING,
                           sim::strCat(s.name, "/", inst.name, " (", path, ") ejected for ", sim::toSeconds(duration),
                                       " s after ", m_config.consecutiveErrors, " consecutive errors"),
                           {{"service", s.name}, {"instance", inst.name}, {"seconds", sim::strCat(sim::toSeconds(duration))}});
    const InstanceId id = inst.id;
    const sim::Nanos until = inst.ejectedUntil;
    m_world.at(until, m_returnKind, inst.component, [this, id, until] { unEject(id, until); });
    refresh(s);
}

void ServiceDiscovery::unEject(InstanceId id, sim::Nanos until)
{
    ServiceInstance& inst = m_instances[id];
    if (!inst.ejected || inst.ejectedUntil != until)
        return; // deregistered meanwhile, or a later ejection owns the return
    Service& s = m_services[inst.service];
    inst.ejected = false;
    inst.consecutiveErrors = 0;
    inst.lastReturn = m_world.now();
    --s.ejected;
    ++m_epoch;
    m_world.events().raise("discovery.return", inst.component, v1::SEVERITY_INFO,
                           sim::strCat(s.name, "/", inst.name, " returns from ejection"),
                           {{"service", s.name}, {"instance", inst.name}});
    refresh(s);
}

void ServiceDiscovery::inspect(sim::StateWriter& out) const
{
    out.add("mode", toString(m_config.mode));
    out.add("locality", m_config.locality == LocalityScope::Region ? "region" : "data-centre");
    out.add("services", static_cast<std::uint64_t>(m_services.size()));
    for (const Service& s : m_services) {
        int available = 0;
        for (InstanceId id : s.members)
            available += m_instances[id].available ? 1 : 0;
        out.add(sim::strCat("service.", s.name),
                sim::strCat(available, "/", s.members.size(), " available, ", s.ejected, " ejected"));
    }
}

} // namespace livedeck::infra

#include "backend/sim/synthetic_workload.h"


namespace livedeck::sim {

SyntheticWorkload::SyntheticWorkload(World& world, Config config)
    : m_world(world),
      m_config(config),
      m_faultRng(world.stream("synthetic/faults")),
      m_sendKind(world.kind("synthetic.send")),
      m_deliverKind(world.kind("synthetic.deliver")),
      m_faultKind(world.kind("synthetic.fault")),
      m_self(world.components().mustAdd("world/synthetic", "workload", {}, this))
{
    for (const RegionSpec& r : world.topology().regions()) {
        for (int i = 0; i < config.servicesPerRegion; ++i) {
            const std::string path = strCat(r.name, "/synthetic/svc/", i);
            const ComponentId id = world.components().mustAdd(path, "synthetic-service");
            m_services.push_back(Service{id, world.stream(path)});
        }
    }
}

void SyntheticWorkload::start()
{
    for (std::size_t i = 0; i < m_services.size(); ++i) {
        const auto delay = static_cast<Nanos>(m_services[i].rng.exponential(static_cast<double>(m_config.meanInterSend)));
        m_world.after(delay, m_sendKind, m_services[i].id, [this, i] { sendFrom(i); });
    }
    m_world.after(static_cast<Nanos>(m_faultRng.exponential(static_cast<double>(m_config.meanFaultGap))), m_faultKind,
                  m_self, [this] { injectRandomFault(); });
}

void SyntheticWorkload::sendFrom(std::size_t index)
{
    Service& s = m_services[index];
    const std::size_t to = static_cast<std::size_t>(s.rng.uniformInt(m_services.size()));
    const std::uint64_t payload = s.rng.next();
    ++m_sent;
    const Delivery d = m_world.network().send(s.id, m_services[to].id);
    if (d.delivered()) {
        m_world.after(d.latency, m_deliverKind, m_services[to].id, [this, to, payload] { deliver(to, payload); });
    } else {
        ++m_failed;
    }
    const auto delay = static_cast<Nanos>(s.rng.exponential(static_cast<double>(m_config.meanInterSend)));
    m_world.after(delay, m_sendKind, s.id, [this, index] { sendFrom(index); });
}

void SyntheticWorkload::deliver(std::size_t to, std::uint64_t payload)
{
    ++m_delivered;
    ++m_services[to].received;
    m_world.trace().mix(payload);
}

void SyntheticWorkload::injectRandomFault()
{
    static constexpr v1::FaultKind kKinds[] = {
        v1::FAULT_LATENCY,      v1::FAULT_ERROR_RATE, v1::FAULT_DOWN,     v1::FAULT_PARTITION,
        v1::FAULT_SLOW_DISK,    v1::FAULT_REPLICA_LAG, v1::FAULT_MQ_DUPLICATE, v1::FAULT_MQ_DELAY,
        v1::FAULT_MQ_LOSS,      v1::FAULT_CLOCK_SKEW, v1::FAULT_HOT_KEY,  v1::FAULT_LOAD_SPIKE,
    };
    const auto& regions = m_world.topology().regions();
    v1::Command cmd;
    cmd.set_issuer("synthetic");
    v1::FaultSpec* spec = cmd.mutable_inject_fault()->mutable_fault();
    const v1::FaultKind kind = kKinds[m_faultRng.uniformInt(std::size(kKinds))];
    spec->set_kind(kind);
    const std::size_t target = static_cast<std::size_t>(m_faultRng.uniformInt(m_services.size()));
    const std::string& targetPath = m_world.components().get(m_services[target].id).path;
    const auto param = [&](const char* name, double value, std::string text = {}) {
        auto* p = spec->add_params();
        p->set_name(name);
        p->set_value(value);
        p->set_text(std::move(text));
    };
    switch (kind) {
    case v1::FAULT_PARTITION: {
        const std::size_t a = static_cast<std::size_t>(m_faultRng.uniformInt(regions.size()));
        const std::size_t b = (a + 1 + static_cast<std::size_t>(m_faultRng.uniformInt(regions.size() - 1))) % regions.size();
        spec->set_target(regions[a].name);
        param("peer", 0, regions[b].name);
        param("one_way", m_faultRng.bernoulli(0.5) ? 1 : 0);
        break;
    }
    case v1::FAULT_DOWN:
        spec->set_target(m_faultRng.bernoulli(0.2) ? regions[m_faultRng.uniformInt(regions.size())].name : targetPath);
        break;
    case v1::FAULT_LATENCY:
        spec->set_target(targetPath);
        param("add_ms", m_faultRng.uniform(1, 50));
        break;
    case v1::FAULT_ERROR_RATE:
    case v1::FAULT_MQ_DUPLICATE:
    case v1::FAULT_MQ_LOSS:
        spec->set_target(targetPath);
        param("rate", m_faultRng.uniform(0.05, 1.0));
        break;
    case v1::FAULT_SLOW_DISK:
    case v1::FAULT_LOAD_SPIKE:
        spec->set_target(targetPath);
        param("multiply", m_faultRng.uniform(1.0, 10.0));
        break;
    case v1::FAULT_HOT_KEY:
        spec->set_target(targetPath);
        param("share", m_faultRng.uniform(0.1, 0.9));
        break;
    default:
        spec->set_target(targetPath);
        param("add_ms", m_faultRng.uniform(1, 100));
        break;
    }
    const Nanos length = static_cast<Nanos>(m_faultRng.exponential(static_cast<double>(m_config.meanFaultLength))) + kMillisecond;
    spec->set_end_ns(m_world.now() + length);
    if (m_world.apply(cmd).ok())
        ++m_faultsInjected;
    m_world.after(static_cast<Nanos>(m_faultRng.exponential(static_cast<double>(m_config.meanFaultGap))), m_faultKind,
                  m_self, [this] { injectRandomFault(); });
}

void SyntheticWorkload::inspect(StateWriter& out) const
{
    out.add("sent", m_sent);
    out.add("delivered", m_delivered);
    out.add("failed", m_failed);
    out.add("faults_injected", m_faultsInjected);
}

} // namespace livedeck::sim

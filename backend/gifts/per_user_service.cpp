#include "backend/gifts/per_user_service.h"

#include <algorithm>

namespace livedeck::gifts {

const char* toString(PerUserTab tab)
{
    return tab == PerUserTab::Privileged ? "privileged" : "custom";
}

PerUserService::PerUserService(sim::World& world, telemetry::MetricsRegistry* metrics, std::string_view path,
                               PerUserTab tab, const CatalogTable& table, PerUserServiceConfig config)
    : m_world(world),
      m_path(path),
      m_component(world.components().mustAdd(path, "per-user-service", {}, this)),
      m_tab(tab),
      m_table(table),
      m_config(config),
      m_queue(world, m_component, config.service, metrics, sim::strCat("gifts.", toString(tab), "_service")),
      m_arriveKind(world.kind(sim::strCat("gifts.", toString(tab), "_service.arrive"))),
      m_replyKind(world.kind(sim::strCat("gifts.", toString(tab), "_service.reply")))
{
}

std::uint32_t PerUserService::alloc()
{
    if (!m_free.empty()) {
        const std::uint32_t i = m_free.back();
        m_free.pop_back();
        return i;
    }
    m_calls.emplace_back();
    return static_cast<std::uint32_t>(m_calls.size() - 1);
}

void PerUserService::call(sim::ComponentId caller, Uid uid, double weight, Callback done)
{
    ++m_callsTotal;
    const std::uint32_t index = alloc();
    Call& c = m_calls[index];
    c.done = std::move(done);
    c.caller = caller;
    c.uid = uid;
    c.weight = weight;
    c.start = m_world.now();
    c.reply = PerUserReply{};
    const sim::Delivery d = m_world.network().send(caller, m_component);
    if (d.delivered()) {
        m_world.after(d.latency, m_arriveKind, m_component, [this, index] { arrive(index); });
    } else if (d.outcome == sim::Delivery::Outcome::DestinationDown
               || d.outcome == sim::Delivery::Outcome::SourceDown) {
        const sim::Nanos rtt = 2 * m_world.network().baseLatency(caller, m_component);
        m_world.after(rtt, m_replyKind, caller, [this, index] { answer(index, CallStatus::Unavailable); });
    } else {
        m_world.after(m_config.lostAfter, m_replyKind, caller, [this, index] { answer(index, CallStatus::Timeout); });
    }
}

void PerUserService::arrive(std::uint32_t index)
{
    m_queue.submit(
        m_calls[index].weight,
        [this, index](bool&) -> sim::Nanos {
            Call& c = m_calls[index];
            CatalogWork work;
            c.reply.items = m_tab == PerUserTab::Privileged ? m_table.privilegedFor(c.uid, c.reply.checksum, work)
                                                            : m_table.customFor(c.uid, c.reply.checksum, work);
            return m_config.perCall + m_config.perItem * work.scanned;
        },
        [this, index](infra::ServiceOutcome outcome, sim::Nanos) { served(index, outcome); });
}

void PerUserService::served(std::uint32_t index, infra::ServiceOutcome outcome)
{
    Call& c = m_calls[index];
    CallStatus status = CallStatus::Ok;
    switch (outcome) {
    case infra::ServiceOutcome::Ok:
        ++m_served;
        break;
    case infra::ServiceOutcome::Rejected:
        status = CallStatus::Rejected;
        break;
    case infra::ServiceOutcome::Error:
        status = CallStatus::Error;
        break;
    case infra::ServiceOutcome::Down:
        status = CallStatus::Unavailable;
        break;
    }
    c.reply.status = status;
    const sim::Delivery d = m_world.network().send(m_component, c.caller);
    if (d.delivered()) {
        m_world.after(d.latency, m_replyKind, c.caller, [this, index] { answer(index, m_calls[index].reply.status); });
        return;
    }
    m_world.at(std::max(m_world.now(), c.start + m_config.lostAfter), m_replyKind, c.caller, [this, index] { answer(index, CallStatus::Timeout); });
}

void PerUserService::answer(std::uint32_t index, CallStatus status)
{
    Call& c = m_calls[index];
    PerUserReply r = c.reply;
    r.status = status;
    if (status != CallStatus::Ok) {
        r.items = 0;
        r.checksum = 0;
    }
    r.latency = m_world.now() - c.start;
    Callback done = std::move(c.done);
    m_free.push_back(index);
    done(r);
}

void PerUserService::inspect(sim::StateWriter& out) const
{
    out.add("tab", toString(m_tab));
    out.add("calls", m_callsTotal);
    out.add("served", m_served);
    out.add("inflight", m_queue.inflight());
    out.add("queued", m_queue.queued());
    out.add("rejected", m_queue.rejected());
}

} // namespace livedeck::gifts

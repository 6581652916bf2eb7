#include "backend/gifts/catalog_service.h"

#include <cassert>

namespace livedeck::gifts {

const char* toString(CallStatus status)
{
    switch (status) {
    case CallStatus::Ok:
        return "ok";
    case CallStatus::Rejected:
        return "rejected";
    case CallStatus::Error:
        return "error";
    case CallStatus::Unavailable:
        return "unavailable";
    case CallStatus::Timeout:
        return "timeout";
    }
    return "?";
}

infra::ServiceConfig defaultCatalogServiceConfig()
{
    infra::ServiceConfig c;
    c.concurrency = 500.0;
    c.maxQueue = 5'000.0;
    c.maxQueueWait = 200 * sim::kMillisecond;
    return c;
}

CatalogService::CatalogService(sim::World& world, telemetry::MetricsRegistry* metrics, std::string_view path,
                               const CatalogTable& table, infra::ServiceConfig service, CatalogCostModel cost,
                               sim::Nanos lostAfter)
    : m_world(world),
      m_path(path),
      m_component(world.components().mustAdd(path, "catalog-service", {}, this)),
      m_table(table),
      m_cost(cost),
      m_lostAfter(lostAfter),
      m_queue(world, m_component, service, metrics, "gifts.catalog_service"),
      m_arriveKind(world.kind("gifts.catalog_service.arrive")),
      m_replyKind(world.kind("gifts.catalog_service.reply"))
{
}

std::uint32_t CatalogService::alloc()
{
    if (!m_free.empty()) {
        const std::uint32_t i = m_free.back();
        m_free.pop_back();
        return i;
    }
    m_calls.emplace_back();
    return static_cast<std::uint32_t>(m_calls.size() - 1);
}

void CatalogService::load(sim::ComponentId caller, std::uint32_t key, double weight, Callback done)
{
    assert(key < m_table.keyCount());
    const std::uint32_t index = alloc();
    Call& c = m_calls[index];
    c.done = std::move(done);
    c.caller = caller;
    c.key = key;
    c.weight = weight;
    c.start = m_world.now();
    const sim::Delivery d = m_world.network().send(caller, m_component);
    if (d.delivered()) {
        m_world.after(d.latency, m_arriveKind, m_component, [this, index] { arrive(index); });
    } else if (d.outcome == sim::Delivery::Outcome::DestinationDown
               || d.outcome == sim::Delivery::Outcome::SourceDown) {
        // Connection refused: known after a round trip.
        const sim::Nanos rtt = 2 * m_world.network().baseLatency(caller, m_component);
        m_world.after(rtt, m_replyKind, caller, [this, index] { answer(index, CallStatus::Unavailable); });
    } else {
        m_world.after(m_lostAfter, m_replyKind, caller, [this, index] { answer(index, CallStatus::Timeout); });
    }
}

void CatalogService::arrive(std::uint32_t index)
{
    const double weight = m_calls[index].weight;
    m_queue.submit(
        weight,
        [this, index](bool&) -> sim::Nanos {
            Call& c = m_calls[index];
            return m_cost.cost(m_table.encode(c.key, c.value));
        },
        [this, index](infra::ServiceOutcome outcome, sim::Nanos) { served(index, outcome); });
}

void CatalogService::served(std::uint32_t index, infra::ServiceOutcome outcome)
{
    Call& c = m_calls[index];
    switch (outcome) {
    case infra::ServiceOutcome::Ok:
        c.status = CallStatus::Ok;
        ++m_loads;
        m_loadedWeight += c.weight;
        break;
    case infra::ServiceOutcome::Rejected:
        c.status = CallStatus::Rejected;
        break;
    case infra::ServiceOutcome::Error:
        c.status = CallStatus::Error;
        break;
    case infra::ServiceOutcome::Down:
        c.status = CallStatus::Unavailable;
        break;
    }
    const sim::Delivery d = m_world.network().send(m_component, c.caller);
    if (d.delivered()) {
        m_world.after(d.latency, m_replyKind, c.caller, [this, index] { answer(index, m_calls[index].status); });
        return;
    }
    // The answer is lost: the caller gives up lostAfter after it called.
    const sim::Nanos at = c.start + m_lostAfter;
    m_world.at(at, m_replyKind, c.caller, [this, index] { answer(index, CallStatus::Timeout); });
}

void CatalogService::answer(std::uint32_t index, CallStatus status)
{
    Call& c = m_calls[index];
    Reply r;
    r.status = status;
    r.value = status == CallStatus::Ok ? &c.value : nullptr;
    r.latency = m_world.now() - c.start;
    Callback done = std::move(c.done);
    done(r);
    // Released after the callback: the value it points to stays valid while it runs.
    m_free.push_back(index);
}

void CatalogService::inspect(sim::StateWriter& out) const
{
    out.add("loads", m_loads);
    out.add("loaded_weight", m_loadedWeight);
    out.add("inflight", m_queue.inflight());
    out.add("queued", m_queue.queued());
    out.add("rejected", m_queue.rejected());
    out.add("calls_in_flight", static_cast<std::uint64_t>(m_calls.size() - m_free.size()));
}

} // namespace livedeck::gifts

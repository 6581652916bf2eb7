#include "backend/gifts/order_client.h"

#include <cassert>

namespace livedeck::gifts {

OrderClient::OrderClient(sim::World& world, const GiftsConfig& config, std::vector<OrderEntry*> entriesByRegion,
                         HomeOf homeOf, telemetry::Telemetry& telemetry)
    : m_world(world),
      m_config(config.client),
      m_component(world.components().mustAdd("gifts/clients", "order-client", {}, this)),
      m_entries(std::move(entriesByRegion)),
      m_homeOf(std::move(homeOf)),
      m_budget(world.clock(), config.client.retryBudget),
      m_rng(world.stream("gifts/clients")),
      m_timeoutKind(world.kind("gifts.client.timeout")),
      m_retryKind(world.kind("gifts.client.retry")),
      m_regions(world.topology().regions().size()),
      m_placed(telemetry.metrics().counter("gifts.orders.placed")),
      m_paid(telemetry.metrics().counter("gifts.orders.paid")),
      m_failed(telemetry.metrics().counter("gifts.orders.failed")),
      m_pendingCounter(telemetry.metrics().counter("gifts.orders.pending")),
      m_shed(telemetry.metrics().counter("gifts.orders.shed")),
      m_errors(telemetry.metrics().counter("gifts.errors")),
      m_retries(telemetry.metrics().counter("gifts.orders.retries")),
      m_latency(telemetry.metrics().histogram("gifts.order.latency"))
{
    assert(m_entries.size() == world.topology().regions().size());
    auto& m = telemetry.metrics();
    for (std::size_t i = 0; i < m_regions.size(); ++i) {
        if (!m_entries[i])
            continue;
        const std::string& path = m_entries[i]->path();
        RegionStats& r = m_regions[i];
        r.placed = &m.counter("gifts.orders.placed", path);
        r.paid = &m.counter("gifts.orders.paid", path);
        r.failed = &m.counter("gifts.orders.failed", path);
        r.errors = &m.counter("gifts.errors", path);
        r.latencyMetric = &m.histogram("gifts.order.latency", path);
    }
}

void OrderClient::send(const GiftSend& g)
{
    std::uint32_t slot;
    if (!m_free.empty()) {
        slot = m_free.back();
        m_free.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(m_pending.size());
        m_pending.emplace_back();
    }
    Pending& p = m_pending[slot];
    ++p.gen;
    p.active = true;
    p.send = g;
    p.attempt = 0;
    p.started = m_world.now();
    int region = g.region;
    if (region < 0 || static_cast<std::size_t>(region) >= m_entries.size() || !m_entries[static_cast<std::size_t>(region)])
        region = m_homeOf(g.uid);
    p.firstRegion = region;
    ++m_inflight;
    m_budget.recordRequest(g.weight);
    m_placed.add(g.weight);
    m_totals.placed += g.weight;
    ++m_totals.discretePlaced;
    RegionStats& r = m_regions[static_cast<std::size_t>(region)];
    r.totals.placed += g.weight;
    ++r.totals.discretePlaced;
    if (r.placed)
        r.placed->add(g.weight);
    attempt(slot);
}

void OrderClient::attempt(std::uint32_t slot)
{
    Pending& p = m_pending[slot];
    ++p.attempt;
    int region = m_homeOf(p.send.uid);
    if (region < 0 || static_cast<std::size_t>(region) >= m_entries.size() || !m_entries[static_cast<std::size_t>(region)])
        region = p.firstRegion;
    OrderRequest req;
    req.send = p.send;
    req.send.region = region;
    req.attempt = p.attempt;
    const std::uint32_t gen = p.gen;
    const int attemptNo = p.attempt;
    p.timer = m_world.after(m_config.timeout, m_timeoutKind, m_component, [this, slot, gen, attemptNo] {
        answered(slot, gen, attemptNo, OrderAnswer::Timeout);
    });
    m_entries[static_cast<std::size_t>(region)]->submit(req, [this, slot, gen, attemptNo](const OrderReply& reply) {
        answered(slot, gen, attemptNo, reply.answer);
    });
}

void OrderClient::answered(std::uint32_t slot, std::uint32_t gen, int attemptNo, OrderAnswer answer)
{
    Pending& p = m_pending[slot];
    if (!p.active || p.gen != gen || p.attempt != attemptNo || !p.timer.valid())
        return; // a superseded attempt, or already answered
    if (answer != OrderAnswer::Timeout)
        m_world.scheduler().cancel(p.timer);
    p.timer = sim::EventHandle{};
    const double weight = p.send.weight;
    if (isRetriable(answer) && p.attempt < m_config.maxAttempts && m_budget.tryRetry(weight)) {
        m_retries.add(weight);
        m_totals.retries += weight;
        m_regions[static_cast<std::size_t>(p.firstRegion)].totals.retries += weight;
        const sim::Nanos backoff = m_budget.backoff(p.attempt, m_rng);
        m_world.after(backoff, m_retryKind, m_component, [this, slot, gen] {
            Pending& q = m_pending[slot];
            if (q.active && q.gen == gen)
                attempt(slot);
        });
        return;
    }
    finish(slot, answer);
}

void OrderClient::roll(RegionStats& r, std::int64_t second)
{
    if (second == r.second)
        return;
    if (second == r.second + 1) {
        r.last = r.current;
        r.last.p99Ms = r.latency.quantile(0.99) / 1e6;
        r.last.p50Ms = r.latency.quantile(0.50) / 1e6;
    } else {
        r.last = RegionSecond{}; // a whole second without orders
    }
    r.current = RegionSecond{};
    r.latency.reset();
    r.second = second;
}

void OrderClient::finish(std::uint32_t slot, OrderAnswer answer)
{
    Pending& p = m_pending[slot];
    const double weight = p.send.weight;
    const sim::Nanos latency = m_world.now() - p.started;
    RegionStats& r = m_regions[static_cast<std::size_t>(p.firstRegion)];
    roll(r, m_world.now() / sim::kSecond);
    r.current.requests += weight;
    r.latency.record(latency, weight);
    m_latency.record(latency, weight);
    if (r.latencyMetric)
        r.latencyMetric->record(latency, weight);
    switch (answer) {
    case OrderAnswer::Paid:
        m_paid.add(weight);
        m_totals.paid += weight;
        r.totals.paid += weight;
        if (r.paid)
            r.paid->add(weight);
        r.current.served += weight;
        break;
    case OrderAnswer::Failed:
        m_failed.add(weight);
        m_totals.failed += weight;
        r.totals.failed += weight;
        if (r.failed)
            r.failed->add(weight);
        r.current.served += weight;
        break;
    case OrderAnswer::Pending:
    case OrderAnswer::InProgress:
        m_pendingCounter.add(weight);
        m_totals.pending += weight;
        r.totals.pending += weight;
        r.current.served += weight;
        break;
    case OrderAnswer::RateLimited:
        m_shed.add(weight);
        m_totals.shed += weight;
        r.totals.shed += weight;
        r.current.shed += weight;
        break;
    case OrderAnswer::Error:
    case OrderAnswer::Unavailable:
    case OrderAnswer::Overloaded:
    case OrderAnswer::Timeout:
        m_errors.add(weight);
        m_totals.errors += weight;
        r.totals.errors += weight;
        if (r.errors)
            r.errors->add(weight);
        r.current.errors += weight;
        break;
    }
    ++m_totals.discreteFinished;
    ++r.totals.discreteFinished;
    p.active = false;
    --m_inflight;
    m_free.push_back(slot);
}

OrderClient::RegionSecond OrderClient::lastSecond(int region)
{
    RegionStats& r = m_regions[static_cast<std::size_t>(region)];
    roll(r, m_world.now() / sim::kSecond);
    return r.last;
}

void OrderClient::inspect(sim::StateWriter& out) const
{
    out.add("inflight", static_cast<std::uint64_t>(m_inflight));
    out.add("placed", m_totals.placed);
    out.add("paid", m_totals.paid);
    out.add("failed", m_totals.failed);
    out.add("pending", m_totals.pending);
    out.add("shed", m_totals.shed);
    out.add("errors", m_totals.errors);
    out.add("retries", m_totals.retries);
}

} // namespace livedeck::gifts

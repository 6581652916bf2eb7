#include "backend/gifts/payment_ledger.h"

#include <cassert>

namespace livedeck::gifts {

PaymentLedger::PaymentLedger(sim::World& world, double declineRate, telemetry::MetricsRegistry* metrics)
    : m_world(world),
      m_component(world.components().mustAdd("gifts/payment-ledger", "payment-ledger", {}, this)),
      m_declineRate(declineRate),
      m_rng(world.stream("gifts/payment-ledger"))
{
    assert(declineRate >= 0.0 && declineRate < 1.0);
    if (metrics) {
        m_chargedCounter = &metrics->counter("gifts.payment.charged");
        m_declinedCounter = &metrics->counter("gifts.payment.declined");
        m_refundedCounter = &metrics->counter("gifts.payment.refunded");
    }
}

PaymentLedger::Result PaymentLedger::charge(const ChargeRequest& request)
{
    assert(request.order != 0);
    if (m_byOrder.contains(request.order))
        return Result::AlreadyCharged;
    if (m_declined.contains(request.order))
        return Result::Declined;
    if (m_declineRate > 0.0 && m_rng.bernoulli(m_declineRate)) {
        m_declined.emplace(request.order, true);
        ++m_declines;
        if (m_declinedCounter)
            m_declinedCounter->add(request.weight);
        return Result::Declined;
    }
    Charge c;
    c.order = request.order;
    c.key = request.key;
    c.amountCents = request.amountCents;
    c.weight = request.weight;
    c.region = request.region;
    c.partition = request.partition;
    c.shard = request.shard;
    c.time = m_world.now();
    m_byOrder.emplace(request.order, static_cast<std::uint32_t>(m_charges.size()));
    m_charges.push_back(c);
    m_chargedWeight += c.weight;
    if (m_chargedCounter)
        m_chargedCounter->add(c.weight);
    for (ChargeObserver* o : m_observers)
        o->onCharge(m_charges.back());
    return Result::Charged;
}

bool PaymentLedger::charged(OrderId order) const
{
    const Charge* c = find(order);
    return c && !c->refunded;
}

const Charge* PaymentLedger::find(OrderId order) const
{
    const auto it = m_byOrder.find(order);
    return it == m_byOrder.end() ? nullptr : &m_charges[it->second];
}

bool PaymentLedger::refund(OrderId order)
{
    const auto it = m_byOrder.find(order);
    if (it == m_byOrder.end())
        return false;
    Charge& c = m_charges[it->second];
    if (c.refunded)
        return false;
    c.refunded = true;
    ++m_refunds;
    m_refundedWeight += c.weight;
    if (m_refundedCounter)
        m_refundedCounter->add(c.weight);
    for (ChargeObserver* o : m_observers)
        o->onRefund(c);
    return true;
}

void PaymentLedger::inspect(sim::StateWriter& out) const
{
    out.add("charges", static_cast<std::uint64_t>(m_charges.size()));
    out.add("charged_weight", m_chargedWeight);
    out.add("declines", m_declines);
    out.add("refunds", m_refunds);
    out.add("refunded_weight", m_refundedWeight);
    out.add("decline_rate", m_declineRate);
}

} // namespace livedeck::gifts

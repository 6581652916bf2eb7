#include "backend/gifts/refund_queue.h"

namespace livedeck::gifts {

RefundQueue::RefundQueue(sim::World& world, telemetry::Telemetry& telemetry)
    : m_world(world),
      m_component(world.components().mustAdd("gifts/audit/refund-queue", "refund-queue", {}, this)),
      m_gauge(telemetry.metrics().gauge("gifts.audit.refund_queue")),
      m_queuedCounter(telemetry.metrics().counter("gifts.audit.refunds_queued"))
{
}

bool RefundQueue::enqueue(RefundItem item)
{
    if (!m_known.try_emplace(item.order, true).second)
        return false;
    item.queuedAt = m_world.now();
    m_weight += item.weight;
    ++m_everQueued;
    m_queuedCounter.add(item.weight);
    m_items.push_back(std::move(item));
    m_gauge.set(m_weight);
    return true;
}

std::size_t RefundQueue::verifyAll(PaymentLedger& ledger)
{
    std::size_t refunded = 0;
    for (const RefundItem& item : m_items) {
        if (ledger.refund(item.order))
            ++refunded;
    }
    m_refunded += refunded;
    m_items.clear();
    m_weight = 0.0;
    m_gauge.set(0.0);
    return refunded;
}

void RefundQueue::inspect(sim::StateWriter& out) const
{
    out.add("queued", static_cast<std::uint64_t>(m_items.size()));
    out.add("weight", m_weight);
    out.add("ever_queued", m_everQueued);
    out.add("refunded", m_refunded);
    std::size_t shown = 0;
    for (const RefundItem& item : m_items) {
        if (++shown > 20)
            break;
        out.add(sim::strCat("order/", item.order),
                sim::strCat(item.reason, "; uid ", item.key.uid, " seq ", item.key.clientSeq, "; amount ",
                            item.amountCents, "; queued ", m_world.calendar().format(item.queuedAt)));
    }
}

} // namespace livedeck::gifts

#include "backend/gifts/settlement_watchdog.h"

namespace livedeck::gifts {

SettlementWatchdog::SettlementWatchdog(sim::World& world, const SettlementConfig& config,
                                       telemetry::Telemetry& telemetry)
    : m_world(world),
      m_config(config),
      m_component(world.components().mustAdd("gifts/settlement-watchdog", "settlement-watchdog", {}, this)),
      m_checkKind(world.kind("gifts.settlement.watch")),
      m_lagGauge(telemetry.metrics().gauge("gifts.settlement.lag")),
      m_unsettledGauge(telemetry.metrics().gauge("gifts.settlement.unsettled")),
      m_missingCounter(telemetry.metrics().counter("gifts.settlement.missing"))
{
}

void SettlementWatchdog::start()
{
    m_world.after(m_config.watchInterval, m_checkKind, m_component, [this] { check(); });
}

void SettlementWatchdog::onPaidRecorded(const PaidOrder& order)
{
    const auto [it, inserted] = m_open.try_emplace(order.order);
    if (!inserted)
        return;
    it->second.order = order;
    it->second.nextCheck = order.paidAt + m_config.missingDelay;
    m_order.push_back(order.order);
    m_unsettledWeight += order.weight;
}

void SettlementWatchdog::onPaidConfirmed(PaidOrder order)
{
    if (m_settled.contains(order.order) || m_open.contains(order.order))
        return;
    ++m_confirmedWatched;
    order.paidAt = m_world.now();
    onPaidRecorded(order);
}

void SettlementWatchdog::onSettled(const PaidOrder& order)
{
    m_settled.insert(order.order);
    const auto it = m_open.find(order.order);
    if (it == m_open.end()) {
        ++m_settledUnknown; // settled before (a duplicate), or never tracked
        return;
    }
    m_unsettledWeight -= it->second.order.weight;
    m_open.erase(it);
}

double SettlementWatchdog::lagSeconds() const
{
    for (OrderId id : m_order) {
        const auto it = m_open.find(id);
        if (it != m_open.end())
            return sim::toSeconds(m_world.now() - it->second.order.paidAt);
    }
    return 0.0;
}

void SettlementWatchdog::check()
{
    const sim::Nanos now = m_world.now();
    while (!m_order.empty() && !m_open.contains(m_order.front()))
        m_order.pop_front();
    std::uint64_t newlyMissing = 0;
    double newlyMissingWeight = 0.0;
    const Entry* oldest = nullptr;
    std::string sample;
    int sampled = 0;
    for (OrderId id : m_order) {
        auto it = m_open.find(id);
        if (it == m_open.end())
            continue;
        Entry& e = it->second;
        if (e.order.paidAt + m_config.missingDelay > now)
            break; // paid-at order: the rest are younger
        if (now < e.nextCheck)
            continue;
        if (e.alerts == 0) {
            ++newlyMissing;
            newlyMissingWeight += e.order.weight;
            if (!oldest)
                oldest = &e;
            if (sampled < 10) {
                sample.append(sampled ? "," : "");
                sample.append(std::to_string(id));
                ++sampled;
            }
        }
        ++e.alerts;
        e.nextCheck = now + m_config.missingDelay;
        if (m_config.repairMissing && m_repair) {
            ++m_repairs;
            m_repair(e.order);
        }
    }
    if (newlyMissing > 0) {
        m_missingFound += newlyMissing;
        m_missingCounter.add(newlyMissingWeight);
        ++m_alerts;
        const PaidOrder& o = oldest->order;
        m_world.events().raise(
            "alert.settlement_missing", m_component, v1::SEVERITY_ALERT,
            sim::strCat(newlyMissing, " paid order(s) have no settlement after ", sim::toSeconds(m_config.missingDelay),
                        " s; oldest: order ", o.order, " (uid ", o.key.uid, ", key ", o.key.uid, "/", o.key.clientSeq,
                        ") paid at ", m_world.calendar().format(o.paidAt),
                        m_config.repairMissing ? "; re-publishing their events" : ""),
            {{"count", std::to_string(newlyMissing)},
             {"order", std::to_string(o.order)},
             {"uid", std::to_string(o.key.uid)},
             {"client_seq", std::to_string(o.key.clientSeq)},
             {"paid_at_ns", std::to_string(o.paidAt)},
             {"orders", sample}});
    }
    m_lagGauge.set(lagSeconds());
    m_unsettledGauge.set(m_unsettledWeight);
    m_world.after(m_config.watchInterval, m_checkKind, m_component, [this] { check(); });
}

void SettlementWatchdog::inspect(sim::StateWriter& out) const
{
    out.add("unsettled", static_cast<std::uint64_t>(m_open.size()));
    out.add("unsettled_weight", m_unsettledWeight);
    out.add("lag_s", lagSeconds());
    out.add("missing_found", m_missingFound);
    out.add("audit_confirmed_watched", m_confirmedWatched);
    out.add("alerts", m_alerts);
    out.add("repairs", m_repairs);
    out.add("delay_s", sim::toSeconds(m_config.missingDelay));
}

} // namespace livedeck::gifts

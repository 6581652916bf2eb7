#include "backend/gifts/invariants.h"

#include <algorithm>
#include <map>

namespace livedeck::gifts {

std::string InvariantReport::summary() const
{
    return sim::strCat("double_charge=", doubleCharges, " settled_twice=", settledTwice, " paid_unsettled=",
                       paidUnsettled, " settled_and_refunded=", settledAndRefunded, " settled_without_charge=",
                       settledWithoutCharge, " paid_order_lost=", paidLost, " panel_general_tab=", panelWithoutGeneral,
                       " (charges ", charges, ", settled ", settledOrders, ", refunded ", refundedOrders,
                       ", paid acknowledged ", paidAcknowledged, ", panels ", panelServed, ")");
}

InvariantChecker::InvariantChecker(sim::World& world, PaymentLedger& ledger, OrderStore& orders,
                                   SettlementDb& settlements, RefundQueue& refunds)
    : m_world(world),
      m_ledger(ledger),
      m_orders(orders),
      m_settlements(settlements),
      m_refunds(refunds),
      m_component(world.components().mustAdd("gifts/invariants", "invariant-checker", {}, this)),
      m_scanKind(world.kind("gifts.invariants.scan"))
{
    ledger.addObserver(this);
    orders.cluster().addFailoverListener([this](const infra::FailoverReport& r) { onOrderDbFailover(r); });
    settlements.cluster().addFailoverListener([this](const infra::FailoverReport&) { m_rescan = true; });
}

void InvariantChecker::start()
{
    m_world.after(kScanInterval, m_scanKind, m_component, [this] {
        scanSettlements();
        start();
    });
}

void InvariantChecker::violation(std::string_view name, std::uint64_t& counter, std::string message,
                                 std::vector<sim::EventLog::Field> fields)
{
    ++counter;
    int& raised = m_eventsRaised[std::string(name)];
    if (raised >= kMaxEventsPerInvariant)
        return;
    ++raised;
    if (raised == kMaxEventsPerInvariant)
        message.append(" (further violations of this invariant are counted, not raised)");
    m_world.events().raise(sim::strCat("invariant.", name), m_component, v1::SEVERITY_VIOLATION, std::move(message),
                           std::move(fields));
}

void InvariantChecker::onCharge(const Charge& charge)
{
    ++m_report.charges;
    KeyCharges& k = m_keys[charge.key];
    ++k.count;
    if (k.count == 1) {
        k.first = charge.order;
        k.firstAt = charge.time;
        return;
    }
    violation("double_charge", m_report.doubleCharges,
              sim::strCat("idempotency key uid ", charge.key.uid, " seq ", charge.key.clientSeq, " charged ", k.count,
                          " times: order ", k.first, " at ", m_world.calendar().format(k.firstAt), ", order ",
                          charge.order, " at ", m_world.calendar().format(charge.time)),
              {{"uid", std::to_string(charge.key.uid)},
               {"client_seq", std::to_string(charge.key.clientSeq)},
               {"first_order", std::to_string(k.first)},
               {"first_at_ns", std::to_string(k.firstAt)},
               {"order", std::to_string(charge.order)},
               {"at_ns", std::to_string(charge.time)},
               {"count", std::to_string(k.count)}});
}

void InvariantChecker::onPaidRecorded(const PaidOrder& order)
{
    // Once per order: a paid status confirmed again after a lost answer reports twice.
    if (m_acked.try_emplace(order.order, Acked{order.key, order.paidAt, false}).second)
        ++m_report.paidAcknowledged;
}

void InvariantChecker::onOrderDbFailover(const infra::FailoverReport& report)
{
    for (const infra::LostWrite& w : report.lost) {
        if (!w.acknowledged)
            continue;
        const auto it = m_acked.find(static_cast<OrderId>(w.key));
        if (it == m_acked.end() || it->second.lost)
            continue;
        it->second.lost = true;
        violation("paid_order_lost", m_report.paidLost,
                  sim::strCat("order ", w.key, " (uid ", it->second.key.uid, " seq ", it->second.key.clientSeq,
                              ") was acknowledged paid at ", m_world.calendar().format(it->second.paidAt),
                              " and lost by the failover of shard ", report.shard, " (", report.oldPrimary, " → ",
                              report.newPrimary, ", binlog position ", w.position, ")"),
                  {{"order", std::to_string(w.key)},
                   {"uid", std::to_string(it->second.key.uid)},
                   {"client_seq", std::to_string(it->second.key.clientSeq)},
                   {"paid_at_ns", std::to_string(it->second.paidAt)},
                   {"shard", std::to_string(report.shard)},
                   {"old_primary", report.oldPrimary},
                   {"new_primary", report.newPrimary},
                   {"position", std::to_string(w.position)}});
    }
}

void InvariantChecker::onPanelServed(bool generalTab, Uid uid, RoomId room, int region, sim::Nanos latency)
{
    ++m_report.panelServed;
    if (generalTab)
        return;
    const std::string regionName =
        region >= 0 && static_cast<std::size_t>(region) < m_world.topology().regions().size()
            ? m_world.topology().regions()[static_cast<std::size_t>(region)].name
            : std::string("?");
    violation("panel_general_tab", m_report.panelWithoutGeneral,
              sim::strCat("gift panel for uid ", uid, " in room ", room, " (", regionName,
                          ") answered without the general tab after ", sim::toMillis(latency), " ms"),
              {{"uid", std::to_string(uid)},
               {"room", std::to_string(room)},
               {"region", regionName},
               {"latency_ms", std::to_string(sim::toMillis(latency))}});
}

void InvariantChecker::scanSettlements()
{
    if (m_rescan) {
        // The settlement DB failed over: its rows are re-read from the new primary.
        m_rescan = false;
        m_settleCursor = 0;
        m_settleCounts.clear();
    }
    m_scratch.clear();
    m_settlements.scanSince(m_settleCursor, m_scratch);
    for (const auto& [seq, order] : m_scratch) {
        m_settleCursor = std::max(m_settleCursor, seq);
        const std::uint32_t n = ++m_settleCounts[order];
        if (n != 2)
            continue;
        const Charge* c = m_ledger.find(order);
        violation("settled_twice", m_report.settledTwice,
                  sim::strCat("order ", order, c ? sim::strCat(" (uid ", c->key.uid, " seq ", c->key.clientSeq, ")") : "",
                              " settled twice (settlement row ", seq, ")"),
                  {{"order", std::to_string(order)},
                   {"uid", c ? std::to_string(c->key.uid) : ""},
                   {"client_seq", c ? std::to_string(c->key.clientSeq) : ""},
                   {"row", std::to_string(seq)}});
    }
}

const InvariantReport& InvariantChecker::finalCheck()
{
    if (m_report.finalChecked)
        return m_report;
    scanSettlements();
    std::map<OrderId, int> counts;
    m_settlements.countByOrder(counts);
    // settled_twice, authoritative over all rows (the continuous scan counted the rest).
    std::uint64_t twice = 0;
    for (const auto& [order, n] : counts) {
        if (n > 1)
            ++twice;
    }
    while (m_report.settledTwice < twice) {
        violation("settled_twice", m_report.settledTwice, "order settled more than once (found by the final check)",
                  {});
    }
    m_report.settledOrders = counts.size();
    m_report.refundedOrders = 0;
    for (const Charge& c : m_ledger.charges()) {
        const auto it = counts.find(c.order);
        const bool settled = it != counts.end();
        const bool refunded = c.refunded || m_refunds.contains(c.order);
        if (refunded)
            ++m_report.refundedOrders;
        if (settled && refunded) {
            violation("settled_and_refunded", m_report.settledAndRefunded,
                      sim::strCat("order ", c.order, " (uid ", c.key.uid, " seq ", c.key.clientSeq,
                                  ") was settled and also refunded by the audit"),
                      {{"order", std::to_string(c.order)},
                       {"uid", std::to_string(c.key.uid)},
                       {"client_seq", std::to_string(c.key.clientSeq)},
                       {"charged_at_ns", std::to_string(c.time)}});
        } else if (!settled && !refunded) {
            violation("paid_unsettled", m_report.paidUnsettled,
                      sim::strCat("order ", c.order, " (uid ", c.key.uid, " seq ", c.key.clientSeq, ") charged at ",
                                  m_world.calendar().format(c.time), " is neither settled nor refunded"),
                      {{"order", std::to_string(c.order)},
                       {"uid", std::to_string(c.key.uid)},
                       {"client_seq", std::to_string(c.key.clientSeq)},
                       {"charged_at_ns", std::to_string(c.time)}});
        }
    }
    for (const auto& [order, n] : counts) {
        if (!m_ledger.find(order)) {
            violation("settled_without_charge", m_report.settledWithoutCharge,
                      sim::strCat("order ", order, " was settled ", n, " time(s) without a charge at the bank"),
                      {{"order", std::to_string(order)}});
        }
    }
    std::map<OrderId, OrderStatus> statuses;
    m_orders.scanStatuses(statuses);
    std::vector<OrderId> ackedIds;
    ackedIds.reserve(m_acked.size());
    for (const auto& [order, acked] : m_acked)
        ackedIds.push_back(order);
    std::sort(ackedIds.begin(), ackedIds.end()); // deterministic event order
    for (OrderId order : ackedIds) {
        Acked& a = m_acked[order];
        if (a.lost)
            continue;
        const auto it = statuses.find(order);
        const bool ok = it != statuses.end()
            && (it->second == OrderStatus::Paid || it->second == OrderStatus::Refunding
                || it->second == OrderStatus::Refunded);
        if (ok)
            continue;
        a.lost = true;
        violation("paid_order_lost", m_report.paidLost,
                  sim::strCat("order ", order, " (uid ", a.key.uid, " seq ", a.key.clientSeq,
                              ") was acknowledged paid at ", m_world.calendar().format(a.paidAt), " but the order DB now ",
                              it == statuses.end() ? std::string("has no such order")
                                                   : sim::strCat("says ", toString(it->second))),
                  {{"order", std::to_string(order)},
                   {"uid", std::to_string(a.key.uid)},
                   {"client_seq", std::to_string(a.key.clientSeq)},
                   {"paid_at_ns", std::to_string(a.paidAt)}});
    }
    m_report.finalChecked = true;
    return m_report;
}

std::vector<v1::InvariantStatus> InvariantChecker::statuses() const
{
    std::vector<v1::InvariantStatus> out;
    const auto add = [&](const char* name, std::uint64_t violations, bool final) {
        v1::InvariantStatus s;
        s.set_name(sim::strCat("gifts.", name));
        s.set_passed(violations == 0);
        s.set_detail(violations == 0 ? (final || m_report.finalChecked ? "holds" : "holds so far")
                                     : sim::strCat(violations, " violation(s)"));
        out.push_back(std::move(s));
    };
    add("double_charge", m_report.doubleCharges, false);
    add("settled_twice", m_report.settledTwice, false);
    add("paid_unsettled", m_report.paidUnsettled, true);
    add("settled_and_refunded", m_report.settledAndRefunded, true);
    add("settled_without_charge", m_report.settledWithoutCharge, true);
    add("paid_order_lost", m_report.paidLost, false);
    add("panel_general_tab", m_report.panelWithoutGeneral, false);
    return out;
}

void InvariantChecker::inspect(sim::StateWriter& out) const
{
    out.add("ok", m_report.ok());
    out.add("double_charge", m_report.doubleCharges);
    out.add("settled_twice", m_report.settledTwice);
    out.add("paid_unsettled", m_report.paidUnsettled);
    out.add("settled_and_refunded", m_report.settledAndRefunded);
    out.add("settled_without_charge", m_report.settledWithoutCharge);
    out.add("paid_order_lost", m_report.paidLost);
    out.add("panel_general_tab", m_report.panelWithoutGeneral);
    out.add("charges", m_report.charges);
    out.add("paid_acknowledged", m_report.paidAcknowledged);
    out.add("panel_served", m_report.panelServed);
    out.add("settlement_rows_seen", static_cast<std::uint64_t>(m_settleCursor));
    out.add("final_checked", m_report.finalChecked);
}

} // namespace livedeck::gifts

#include "backend/gifts/audit.h"

#include <algorithm>

namespace livedeck::gifts {

Audit::Audit(sim::World& world, const AuditConfig& config, PaymentLedger& ledger, OrderStore& store,
             RefundQueue& refunds, telemetry::Telemetry& telemetry)
    : m_world(world),
      m_config(config),
      m_ledger(ledger),
      m_store(store),
      m_refunds(refunds),
      m_component(world.components().mustAdd("gifts/audit", "audit", {}, this)),
      m_roundKind(world.kind("gifts.audit.round")),
      m_checkedCounter(telemetry.metrics().counter("gifts.audit.checked")),
      m_mismatchCounter(telemetry.metrics().counter("gifts.audit.mismatches"))
{
    m_config.batch = std::clamp<int>(m_config.batch, 1, static_cast<int>(OrderStore::kInBatch));
}

void Audit::start()
{
    m_world.after(m_config.interval, m_roundKind, m_component, [this] { round(); });
}

void Audit::round()
{
    m_world.after(m_config.interval, m_roundKind, m_component, [this] { round(); });
    if (m_outstanding > 0)
        return; // the previous round is still reading (its reads time out within 1 s)
    ++m_round;
    ++m_rounds;
    m_roundMismatches = 0;
    m_firstMismatch.clear();
    m_outstanding = 1; // held while the reads are issued
    reconcileCharges();
    reconcilePaid();
    if (--m_outstanding == 0)
        endOfRound();
}

void Audit::reconcileCharges()
{
    const sim::Nanos cutoff = m_world.now() - m_config.delay;
    const auto& charges = m_ledger.charges();
    std::vector<std::uint32_t> candidates;
    candidates.swap(m_waiting);
    while (m_cursor < charges.size() && charges[m_cursor].time <= cutoff)
        candidates.push_back(static_cast<std::uint32_t>(m_cursor++));
    m_chunks.clear();
    std::map<std::pair<std::uint32_t, int>, std::size_t> open; // (shard, partition) → chunk being filled
    for (std::uint32_t i : candidates) {
        const Charge& c = charges[i];
        if (c.refunded || m_refunds.contains(c.order))
            continue;
        const auto key = std::make_pair(c.shard, c.partition);
        auto it = open.find(key);
        if (it == open.end() || m_chunks[it->second].charges.size() >= static_cast<std::size_t>(m_config.batch)) {
            m_chunks.push_back(Chunk{c.shard, c.partition, {}});
            it = open.insert_or_assign(key, m_chunks.size() - 1).first;
        }
        m_chunks[it->second].charges.push_back(i);
    }
    std::vector<OrderId> ids;
    for (std::size_t k = 0; k < m_chunks.size(); ++k) {
        const Chunk& chunk = m_chunks[k];
        ids.clear();
        double weight = 0.0;
        for (std::uint32_t i : chunk.charges) {
            ids.push_back(charges[i].order);
            weight += charges[i].weight;
        }
        // One read covers a batch of orders: the real-equivalent audit reads the
        // `weight` real orders these charges stand for in batches of the same size, so
        // the read costs weight / batch real statements (not `weight`: a read of 64
        // heavy charges would otherwise count as hundreds of thousands of statements and
        // be refused by the shard's queue, leaving the charges unreconciled).
        weight /= static_cast<double>(m_config.batch);
        ++m_outstanding;
        const std::uint64_t roundNo = m_round;
        m_store.readStatuses(chunk.shard, chunk.partition, ids, m_component, weight,
                             [this, roundNo, k](infra::SqlResult& r) { chunkRead(roundNo, k, r); });
    }
}

void Audit::chunkRead(std::uint64_t roundNo, std::size_t k, infra::SqlResult& r)
{
    if (roundNo != m_round)
        return;
    const Chunk& chunk = m_chunks[k];
    const auto& charges = m_ledger.charges();
    const sim::Nanos now = m_world.now();
    if (!r.ok()) {
        m_waiting.insert(m_waiting.end(), chunk.charges.begin(), chunk.charges.end());
    } else {
        for (std::uint32_t i : chunk.charges) {
            const Charge& c = charges[i];
            bool found = false;
            OrderStatus status = OrderStatus::Created;
            for (std::size_t row = 0; row < r.rowCount(); ++row) {
                if (static_cast<OrderId>(infra::sqlInt(r.at(row, 0))) == c.order) {
                    found = true;
                    status = static_cast<OrderStatus>(infra::sqlInt(r.at(row, 1)));
                    break;
                }
            }
            const bool overdue = now - c.time > m_config.maxPending;
            if (!found) {
                if (overdue)
                    mismatch(&c, c.order, c.key.uid, c.partition, OrderStatus::Created, false, "charged, order missing");
                else
                    m_waiting.push_back(i);
                continue;
            }
            switch (status) {
            case OrderStatus::Paid:
                ++m_checked;
                m_checkedCounter.add(c.weight);
                if (m_paidHook)
                    m_paidHook(c);
                break;
            case OrderStatus::Refunding:
            case OrderStatus::Refunded:
                ++m_checked;
                m_checkedCounter.add(c.weight);
                break;
            case OrderStatus::Failed:
                ++m_checked;
                m_checkedCounter.add(c.weight);
                mismatch(&c, c.order, c.key.uid, c.partition, OrderStatus::Failed, true, "charged, order failed");
                break;
            case OrderStatus::Created:
                if (overdue)
                    mismatch(&c, c.order, c.key.uid, c.partition, OrderStatus::Created, true,
                             "charged, order stuck created");
                else
                    m_waiting.push_back(i);
                break;
            }
        }
    }
    if (--m_outstanding == 0)
        endOfRound();
}

void Audit::reconcilePaid()
{
    const sim::Nanos to = m_world.now() - m_config.delay;
    if (to <= m_paidFrom)
        return;
    m_paidTo = to;
    m_paidReadFailed = false;
    const sim::Nanos from = m_paidFrom;
    const infra::SqlCluster& cluster = m_store.cluster();
    for (std::uint32_t shard = 0; shard < cluster.shardCount(); ++shard) {
        for (int partition : cluster.partitions()) {
            ++m_outstanding;
            const std::uint64_t roundNo = m_round;
            m_store.readPaidBetween(shard, partition, from, to, m_component,
                                    [this, roundNo, partition](infra::SqlResult& r) {
                                        if (roundNo != m_round)
                                            return;
                                        if (!r.ok()) {
                                            m_paidReadFailed = true;
                                        } else {
                                            for (std::size_t row = 0; row < r.rowCount(); ++row) {
                                                const auto id = static_cast<OrderId>(infra::sqlInt(r.at(row, 0)));
                                                const auto uid = static_cast<Uid>(infra::sqlInt(r.at(row, 1)));
                                                if (!m_ledger.find(id))
                                                    mismatch(nullptr, id, uid, partition, OrderStatus::Paid, true,
                                                             "paid, no charge");
                                            }
                                        }
                                        if (--m_outstanding == 0)
                                            endOfRound();
                                    });
        }
    }
}

void Audit::mismatch(const Charge* charge, OrderId order, Uid uid, int partition, OrderStatus from, bool hasRow,
                     std::string reason)
{
    RefundItem item;
    item.order = order;
    item.key = charge ? charge->key : IdempotencyKey{uid, 0};
    item.amountCents = charge ? charge->amountCents : 0;
    item.weight = charge ? charge->weight : 1.0;
    item.partition = partition;
    item.chargedAt = charge ? charge->time : 0;
    if (m_firstMismatch.empty())
        m_firstMismatch = sim::strCat("order ", order, " (uid ", uid, "): ", reason);
    item.reason = std::move(reason);
    const double weight = item.weight;
    if (!m_refunds.enqueue(std::move(item)))
        return;
    ++m_mismatches;
    ++m_roundMismatches;
    m_mismatchCounter.add(weight);
    if (hasRow)
        m_store.setStatus(OrderPlace{order, uid, partition}, from, OrderStatus::Refunding, m_component, weight,
                          [](infra::SqlResult&) {});
}

void Audit::endOfRound()
{
    if (!m_paidReadFailed && m_paidTo > m_paidFrom)
        m_paidFrom = m_paidTo;
    if (m_roundMismatches > 0) {
        m_world.events().raise("audit.mismatch", m_component, v1::SEVERITY_WARNING,
                               sim::strCat("audit: ", m_roundMismatches,
                                           " paid/failed mismatch(es) queued for refund verification; first: ",
                                           m_firstMismatch),
                               {{"count", std::to_string(m_roundMismatches)}, {"first", m_firstMismatch}});
    }
}

void Audit::inspect(sim::StateWriter& out) const
{
    out.add("rounds", m_rounds);
    out.add("checked", m_checked);
    out.add("mismatches", m_mismatches);
    out.add("waiting", static_cast<std::uint64_t>(m_waiting.size()));
    out.add("ledger_cursor", static_cast<std::uint64_t>(m_cursor));
    out.add("paid_window_from_ms", sim::toMillis(m_paidFrom));
}

} // namespace livedeck::gifts

// Interaction notifications of settled gifts (docs/GALA.md): in a coupled run the gift
// engine publishes one record per settled gift on the shared broker's "gift-notices"
// topic ("X sent you a gift"); a consumer group here delivers each into its receiver's
// inbox the way a high-priority notification is delivered — an idempotency claim in the
// Redis of the receiver's own home region ("notice:<order>"), a sequence for the inbox, the conversation
// row with the "interactions" account on the receiver's shard — and records the
// delivery in the shared NoticeLedger. The claim is owned: a delivery sets the key to
// its own token only if it is absent (compare-and-set on version 0), and sets it to
// "done" once the row is written. A delivery that finds the key taken reads it: its own
// token (an earlier answer was lost) — it goes on; "done" — a redelivered record,
// nothing to write; another delivery's token — it waits for that one. A failed step
// keeps the claim and tries again, so no step depends on a release that could itself
// fail (releasing with DEL, a DEL refused by a busy node left the claim behind and the
// record's next try took it for delivered: docs/GALA.md). The batch is committed when
// every record of it is done (at least once from the MQ, exactly once by the claim).
// The receiver is the room's streamer: user (room × 2654435761) mod users.
// A record weighs what its gift order weighs (the real orders it stands for, thousands
// at drill scale); the delivery workers pipeline up to kCallWeight real notifications per
// store call, so each call is charged min(weight, kCallWeight) — charged whole, a heavy
// record would be refused by a busy Redis node's queue for ever.
#include "backend/gala/gala.h"
#include "backend/messaging/messaging_engine.h"
#include "backend/messaging/messaging_internal.h"

#include <algorithm>

namespace livedeck::messaging {

namespace {

constexpr sim::Nanos kNoticeRetry = 100 * sim::kMillisecond;
constexpr double kCallWeight = 64.0;
constexpr std::string_view kClaimDone = "done";

struct NoticeBatch {
    int remaining = 0;
    infra::MqAck ack;
};

} // namespace

struct MessagingEngine::NoticeJob {
    std::uint64_t order = 0;
    std::uint64_t sender = 0;
    std::uint32_t receiver = 0;
    double weight = 1.0;
    sim::Nanos startedAt = 0;
    std::shared_ptr<NoticeBatch> batch;
    std::string claimKey;            // "notice:<order>"
    std::string token;               // this delivery's claim value
    MessagingEngine::Region* claimAt = nullptr; // the pair holding the claim (the receiver's own home region's)
    bool owned = false;              // the claim is this delivery's
    double callWeight() const { return std::min(weight, kCallWeight); }
};

absl::Status MessagingEngine::buildNotices()
{
    auto& metrics = m_telemetry.metrics();
    auto ledger = gala::noticeLedger(*m_coupling.shared, "messaging");
    if (!ledger.ok())
        return ledger.status();
    m_ledger = *ledger;
    auto broker = gala::noticeBroker(*m_coupling.shared, m_world, &metrics, "messaging");
    if (!broker.ok())
        return broker.status();
    m_noticeBroker = *broker;
    const Region& r = *m_regions.front();
    infra::MqConsumerConfig cc;
    cc.pollInterval = 20 * sim::kMillisecond;
    cc.maxPollRecords = 64;
    for (int i = 0; i < std::max(1, m_coupling.noticeConsumers); ++i) {
        m_noticeConsumers.push_back(std::make_unique<infra::MqConsumer>(
            m_world, *m_noticeBroker, sim::strCat(r.name, "/messaging/notices/", i), "msg-gift-notices",
            std::vector<std::string>{std::string(gala::kNoticeTopic)}, cc, &metrics, r.dataCentre));
    }
    m_noticeKind = m_world.kind("messaging.notice");
    m_noticeMetric = &metrics.counter("messaging.notices.delivered", "messaging");
    m_invariants[kGiftNoticeOnce].detail =
        "no settled gift's interaction notification delivered twice, none without a settled gift";
    return absl::OkStatus();
}

void MessagingEngine::startNotices()
{
    for (std::size_t i = 0; i < m_noticeConsumers.size(); ++i) {
        infra::MqConsumer& c = *m_noticeConsumers[i];
        c.start();
        c.runLoop([this, i](const infra::MqBatch& batch, infra::MqAck ack) {
            handleNoticeBatch(static_cast<int>(i), batch, ack);
        });
    }
}

void MessagingEngine::handleNoticeBatch(int, const infra::MqBatch& batch, infra::MqAck ack)
{
    auto counter = std::make_shared<NoticeBatch>(NoticeBatch{static_cast<int>(batch.records.size()), ack});
    std::vector<std::shared_ptr<NoticeJob>> jobs;
    for (const infra::MqConsumerRecord& r : batch.records) {
        std::uint64_t order = 0, sender = 0, room = 0;
        if (!gala::parseNotice(r.record.value, order, sender, room)) {
            --counter->remaining; // unreadable: skipped
            continue;
        }
        auto job = std::make_shared<NoticeJob>();
        job->order = order;
        job->sender = sender;
        job->receiver = static_cast<std::uint32_t>((room * 2654435761ull) % m_users);
        job->weight = r.record.weight;
        job->startedAt = m_world.now();
        job->batch = counter;
        jobs.push_back(std::move(job));
    }
    if (counter->remaining == 0) {
        ack.commit();
        return;
    }
    for (auto& job : jobs)
        deliverNotice(std::move(job));
}

void MessagingEngine::deliverNotice(std::shared_ptr<NoticeJob> job)
{
    if (!m_coupling.noticeClaim || job->owned) {
        // Owned (or, sabotaged, no claim at all): the inbox's sequence, then the row.
        reserveSeq(job->receiver, home(job->receiver), [this, job](bool ok, std::uint64_t) {
            if (!ok) {
                retryNotice(job);
                return;
            }
            writeNotice(job);
        });
        return;
    }
    if (!job->claimAt) {
        // The receiver's own home region's pair, whichever region serves the receiver
        // now (a drain or a failover): every delivery of the order meets the same claim.
        job->claimAt = &claimHome(job->receiver);
        job->claimKey = sim::strCat("notice:", job->order);
        job->token = sim::strCat("d", ++m_notices.claims);
    }
    Region& r = *job->claimAt;
    r.redis->compareAndSet(r.bff, job->claimKey, 0, job->token, 0, job->callWeight(), [this, job](const infra::KvReply& reply) {
        if (reply.status == infra::KvStatus::Ok) {
            job->owned = true;
            deliverNotice(job);
            return;
        }
        if (reply.status != infra::KvStatus::VersionConflict) {
            // Refused, or no answer: whether the claim was taken, the next try finds out.
            retryNotice(job);
            return;
        }
        Region& at = *job->claimAt;
        at.redis->get(at.bff, job->claimKey, job->callWeight(), [this, job](const infra::KvReply& held) {
            if (held.status != infra::KvStatus::Ok) {
                retryNotice(job); // unreadable now (or gone): claim again
                return;
            }
            if (held.value == job->token) {
                job->owned = true; // this delivery's own claim, its answer lost
                deliverNotice(job);
                return;
            }
            if (held.value == kClaimDone) {
                // A redelivered record: its notification is already in the inbox.
                m_notices.redelivered += job->weight;
                finishNotice(job);
                return;
            }
            retryNotice(job); // another delivery of this record holds the claim: wait for it
        });
    });
}

void MessagingEngine::writeNotice(std::shared_ptr<NoticeJob> job)
{
    std::uint64_t msgkey = 0;
    const std::int64_t nowMs = nowUnixMs();
    if (!issueMsgkey(nowMs, msgkey)) {
        retryNotice(job);
        return;
    }
    Region& r = home(job->receiver);
    auto b = std::make_shared<infra::SqlBatch>();
    // The "interactions" system account: beyond the users and the campaign accounts.
    const std::int64_t account = static_cast<std::int64_t>(m_users) + 1000;
    m_schema.addSend(*b, ConversationUpdate{job->receiver, account, MessageKind::Assistant,
                                            static_cast<std::int64_t>(msgkey), nowMs, 1, nowMs});
    if (m_mirror)
        m_rowWeight[static_cast<std::int64_t>(msgkey)] = job->weight;
    const infra::SqlCall call{r.bff, job->callWeight(), 0};
    m_convDb->write(m_convDb->shardOf(job->receiver), std::move(b), call, [this, job](infra::SqlResult& res) {
        if (!res.ok() || res.changes == 0) {
            retryNotice(job);
            return;
        }
        const int n = m_ledger->delivered(job->order, m_world.now());
        ++m_invariants[kGiftNoticeOnce].checked;
        if (n > 1)
            violation(kGiftNoticeOnce, sim::strCat("the notification of gift order ", job->order, " (to user ",
                                                   job->receiver, ") was delivered ", n, " times"));
        else if (m_ledger->unknown() > 0)
            violation(kGiftNoticeOnce, sim::strCat("a notification of gift order ", m_ledger->firstUnknown(),
                                                   " was delivered, but no such gift was settled"));
        if (n == 1) {
            m_notices.delivered += job->weight;
            ++m_notices.discreteDelivered;
            m_noticeMetric->add(job->weight);
            const auto it = m_ledger->entries().find(job->order);
            if (it != m_ledger->entries().end())
                m_notices.latency.record(m_world.now() - it->second.settledAt, job->weight);
        }
        if (m_coupling.noticeClaim)
            markNoticeDone(job);
        else
            finishNotice(job);
    });
}

void MessagingEngine::markNoticeDone(std::shared_ptr<NoticeJob> job)
{
    // The claim says "done" for good (a redelivery finds it); until it does, a duplicate
    // of the record waits, so the batch is committed only after it.
    Region& r = *job->claimAt;
    r.redis->set(r.bff, job->claimKey, kClaimDone, 0, job->callWeight(), [this, job](const infra::KvReply& reply) {
        if (reply.status != infra::KvStatus::Ok) {
            ++m_notices.retries;
            m_world.after(kNoticeRetry, m_noticeKind, m_component, [this, job] { markNoticeDone(job); });
            return;
        }
        finishNotice(job);
    });
}

void MessagingEngine::finishNotice(std::shared_ptr<NoticeJob> job)
{
    if (--job->batch->remaining == 0)
        job->batch->ack.commit();
}

void MessagingEngine::retryNotice(std::shared_ptr<NoticeJob> job)
{
    ++m_notices.retries;
    m_world.after(kNoticeRetry, m_noticeKind, m_component, [this, job] { deliverNotice(job); });
}

std::uint64_t MessagingEngine::noticesPending() const
{
    return m_ledger ? m_ledger->pending() : 0;
}

void MessagingEngine::checkNotices(bool final)
{
    InvariantState& inv = m_invariants[kGiftNoticeDelivered];
    inv.checked = m_ledger ? m_ledger->settledCount() : 0;
    if (!final || !m_ledger)
        return;
    sim::Nanos settledAt = 0;
    const std::uint64_t pending = m_ledger->pending();
    if (pending == 0) {
        inv.detail = sim::strCat("every settled gift's interaction notification delivered (", m_ledger->settledCount(),
                                 " settled, mean ", m_ledger->meanLatencyMs(), " ms after settlement)");
        return;
    }
    const std::uint64_t first = m_ledger->firstPending(&settledAt);
    violation(kGiftNoticeDelivered,
              sim::strCat(pending, " of ", m_ledger->settledCount(), " settled gifts' notifications not delivered at the "
                          "end; the first: order ", first, " settled at ", sim::toSeconds(settledAt), " s"));
}

} // namespace livedeck::messaging

// Interaction notifications of settled gifts (docs/GALA.md): in a coupled run the gift
// engine publishes one record per settled gift on the shared broker's "gift-notices"
// topic ("X sent you a gift"); a consumer group here delivers each into its receiver's
// inbox the way a high-priority notification is delivered — an idempotency claim in the
// receiver's home Redis ("notice:<order>", INCR: the first claim wins, a redelivered
// record finds it taken), a sequence for the inbox, the conversation row with the
// "interactions" account on the receiver's shard — and records the delivery in the
// shared NoticeLedger. A failed step releases the claim and tries again; the batch is
// committed when every record of it is done (at least once from the MQ, exactly once
// by the claim). The receiver is the room's streamer: user (room × 2654435761) mod users.
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
    if (!m_coupling.noticeClaim) {
        // Sabotage: no idempotency claim, every record is written.
        reserveSeq(job->receiver, home(job->receiver), [this, job](bool ok, std::uint64_t) {
            if (!ok) {
                retryNotice(job, false);
                return;
            }
            writeNotice(job);
        });
        return;
    }
    Region& r = home(job->receiver);
    r.redis->incrBy(r.bff, sim::strCat("notice:", job->order), 1, job->callWeight(), [this, job](const infra::KvReply& reply) {
        if (reply.status != infra::KvStatus::Ok) {
            retryNotice(job, false);
            return;
        }
        if (reply.integer > 1) {
            // A redelivered record: its notification is already in the inbox.
            m_notices.redelivered += job->weight;
            finishNotice(job);
            return;
        }
        reserveSeq(job->receiver, home(job->receiver), [this, job](bool ok, std::uint64_t) {
            if (!ok) {
                retryNotice(job, true);
                return;
            }
            writeNotice(job);
        });
    });
}

void MessagingEngine::writeNotice(std::shared_ptr<NoticeJob> job)
{
    std::uint64_t msgkey = 0;
    const std::int64_t nowMs = nowUnixMs();
    if (!issueMsgkey(nowMs, msgkey)) {
        retryNotice(job, m_coupling.noticeClaim);
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
            retryNotice(job, m_coupling.noticeClaim);
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
        finishNotice(job);
    });
}

void MessagingEngine::finishNotice(std::shared_ptr<NoticeJob> job)
{
    if (--job->batch->remaining == 0)
        job->batch->ack.commit();
}

void MessagingEngine::retryNotice(std::shared_ptr<NoticeJob> job, bool claimed)
{
    ++m_notices.retries;
    if (claimed) {
        Region& r = home(job->receiver);
        r.redis->del(r.bff, sim::strCat("notice:", job->order), job->callWeight(), [](const infra::KvReply&) {});
    }
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

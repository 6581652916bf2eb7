#include "backend/gifts/payment_service.h"

#include <algorithm>

namespace livedeck::gifts {
namespace {

constexpr int kRecordAttempts = 3;
constexpr sim::Nanos kRecordRetry = 200 * sim::kMillisecond;

infra::ServiceConfig serviceConfig(const PaymentConfig& c)
{
    infra::ServiceConfig s;
    s.concurrency = c.concurrency;
    s.maxQueue = c.maxQueue;
    s.maxQueueWait = 1 * sim::kSecond;
    s.noiseSigma = 0.25;
    s.diskBound = false;
    return s;
}

} // namespace

std::string_view toString(PaymentOutcome outcome)
{
    switch (outcome) {
    case PaymentOutcome::Charged:
        return "charged";
    case PaymentOutcome::Declined:
        return "declined";
    case PaymentOutcome::Timeout:
        return "timeout";
    case PaymentOutcome::Unavailable:
        return "unavailable";
    case PaymentOutcome::Rejected:
        return "rejected";
    case PaymentOutcome::Error:
        return "error";
    }
    return "?";
}

PaymentService::PaymentService(sim::World& world, std::string_view region, const PaymentConfig& config,
                               PaymentLedger& ledger, OrderStore& store, telemetry::MetricsRegistry* metrics)
    : m_world(world),
      m_path(sim::strCat(region, "/gifts/payment")),
      m_region(world.topology().regionIndex(region)),
      m_component(world.components().mustAdd(m_path, "payment-service", {}, this)),
      m_config(config),
      m_ledger(ledger),
      m_store(store),
      m_queue(world, m_component, serviceConfig(config), metrics, "gifts.payment"),
      m_arriveKind(world.kind("gifts.payment.arrive")),
      m_replyKind(world.kind("gifts.payment.reply")),
      m_timeoutKind(world.kind("gifts.payment.timeout")),
      m_recordKind(world.kind("gifts.payment.record"))
{
    if (metrics)
        m_timeoutCounter = &metrics->counter("gifts.payment.timeouts", m_path);
}

std::uint32_t PaymentService::alloc()
{
    std::uint32_t slot;
    if (!m_free.empty()) {
        slot = m_free.back();
        m_free.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(m_calls.size());
        m_calls.emplace_back();
    }
    ++m_calls[slot].gen;
    return slot;
}

void PaymentService::release(std::uint32_t slot)
{
    Call& c = m_calls[slot];
    if (c.live || c.inService)
        return;
    c.done.reset();
    m_free.push_back(slot);
}

void PaymentService::charge(sim::ComponentId caller, const ChargeRequest& request, sim::Nanos timeout, Done done)
{
    const std::uint32_t slot = alloc();
    Call& c = m_calls[slot];
    c.live = true;
    c.inService = true;
    c.request = request;
    c.caller = caller;
    c.started = m_world.now();
    c.done = std::move(done);
    const std::uint32_t gen = c.gen;
    c.timer = m_world.after(timeout, m_timeoutKind, m_component, [this, slot, gen] {
        Call& t = m_calls[slot];
        if (!t.live || t.gen != gen)
            return;
        t.live = false;
        ++m_timeouts;
        if (m_timeoutCounter)
            m_timeoutCounter->add(t.request.weight);
        Done cb = std::move(t.done);
        PaymentReply r{PaymentOutcome::Timeout, m_world.now() - t.started};
        release(slot);
        cb(r);
    });
    const sim::Delivery d = m_world.network().send(caller, m_component);
    if (!d.delivered()) {
        if (d.outcome == sim::Delivery::Outcome::DestinationDown || d.outcome == sim::Delivery::Outcome::SourceDown) {
            // Connection refused: the caller learns it after a round trip.
            const sim::Nanos rtt = 2 * m_world.network().baseLatency(caller, m_component);
            m_world.after(rtt, m_replyKind, m_component,
                          [this, slot, gen] { answer(slot, gen, PaymentOutcome::Unavailable); });
        } else {
            c.inService = false; // partitioned or lost: the caller's deadline answers
        }
        return;
    }
    m_world.after(d.latency, m_arriveKind, m_component, [this, slot] { arrive(slot); });
}

void PaymentService::arrive(std::uint32_t slot)
{
    const double weight = m_calls[slot].request.weight;
    const sim::Nanos base = m_config.serviceTime;
    const double concurrency = m_queue.config().concurrency;
    // A job heavier than the whole concurrency runs alone: it takes proportionally longer,
    // so the gateway's real-equivalent capacity holds whatever the weights.
    m_queue.submit(
        weight,
        [base, weight, concurrency](bool&) -> sim::Nanos {
            return static_cast<sim::Nanos>(static_cast<double>(base) * std::max(1.0, weight / concurrency));
        },
        [this, slot](infra::ServiceOutcome outcome, sim::Nanos) { served(slot, outcome); });
}

void PaymentService::served(std::uint32_t slot, infra::ServiceOutcome outcome)
{
    switch (outcome) {
    case infra::ServiceOutcome::Ok: {
        const ChargeRequest& req = m_calls[slot].request;
        const PaymentLedger::Result r = m_ledger.charge(req);
        if (r == PaymentLedger::Result::Declined) {
            ++m_declines;
            reply(slot, PaymentOutcome::Declined);
            return;
        }
        ++m_charges;
        record(req, 1);
        reply(slot, PaymentOutcome::Charged);
        return;
    }
    case infra::ServiceOutcome::Rejected:
        reply(slot, PaymentOutcome::Rejected);
        return;
    case infra::ServiceOutcome::Down:
        reply(slot, PaymentOutcome::Unavailable);
        return;
    case infra::ServiceOutcome::Error:
        reply(slot, PaymentOutcome::Error);
        return;
    }
}

void PaymentService::reply(std::uint32_t slot, PaymentOutcome outcome)
{
    Call& c = m_calls[slot];
    const std::uint32_t gen = c.gen;
    const sim::Delivery d = m_world.network().send(m_component, c.caller);
    if (!d.delivered()) {
        c.inService = false;
        release(slot);
        return;
    }
    m_world.after(d.latency, m_replyKind, m_component, [this, slot, gen, outcome] { answer(slot, gen, outcome); });
}

void PaymentService::answer(std::uint32_t slot, std::uint32_t gen, PaymentOutcome outcome)
{
    Call& c = m_calls[slot];
    if (c.gen != gen)
        return;
    c.inService = false;
    if (c.live) {
        c.live = false;
        m_world.scheduler().cancel(c.timer);
        Done cb = std::move(c.done);
        PaymentReply r{outcome, m_world.now() - c.started};
        release(slot);
        cb(r);
        return;
    }
    release(slot);
}

void PaymentService::record(const ChargeRequest& req, int attempt)
{
    // The retry's capture is laid out by hand to fit the scheduler's 48-byte callbacks.
    struct Retry {
        PaymentService* self;
        OrderId order;
        Uid uid;
        std::int64_t amount;
        double weight;
        std::int32_t partition;
        std::int32_t attempt;
        void operator()() const
        {
            ChargeRequest again;
            again.order = order;
            again.key.uid = uid;
            again.partition = partition;
            again.amountCents = amount;
            again.weight = weight;
            self->record(again, attempt + 1);
        }
    };
    const Retry retry{this, req.order, req.key.uid, req.amountCents, req.weight, req.partition, attempt};
    const OrderPlace place{req.order, req.key.uid, req.partition};
    m_store.insertPayment(place, req.amountCents, m_component, req.weight, [retry](infra::SqlResult& r) {
        if (r.ok())
            return;
        PaymentService* self = retry.self;
        if (retry.attempt >= kRecordAttempts) {
            ++self->m_recordFailures;
            return;
        }
        self->m_world.after(kRecordRetry, self->m_recordKind, self->m_component, retry);
    });
}

void PaymentService::inspect(sim::StateWriter& out) const
{
    m_queue.inspect(out);
    out.add("charges", m_charges);
    out.add("declines", m_declines);
    out.add("timeouts", m_timeouts);
    out.add("record_failures", m_recordFailures);
}

} // namespace livedeck::gifts

#include "backend/gifts/order_service.h"

#include <algorithm>
#include <cassert>
#include <charconv>

namespace livedeck::gifts {
namespace {

infra::ServiceConfig podsConfig(const OrderServiceConfig& c)
{
    infra::ServiceConfig s;
    s.concurrency = std::max(1.0, c.initialPods * c.threadsPerPod);
    // The queue bound is the pods' backlog at the largest deployment; overload sheds by
    // the wait bound first.
    s.maxQueue = std::max(1.0, c.maxQueuePerPod * 1'000.0);
    s.maxQueueWait = c.maxQueueWait;
    s.noiseSigma = 0.25;
    s.diskBound = false;
    return s;
}

void appendInt(std::string& s, std::uint64_t v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    s.append(buf, r.ptr);
}

void appendInt(std::string& s, std::int64_t v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    s.append(buf, r.ptr);
}

template <class T>
bool parseField(std::string_view& rest, T& out)
{
    const auto end = rest.find(';');
    const std::string_view field = rest.substr(0, end);
    if (field.empty())
        return false;
    const auto r = std::from_chars(field.data(), field.data() + field.size(), out);
    if (r.ec != std::errc() || r.ptr != field.data() + field.size())
        return false;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    return true;
}

} // namespace

resilience::CircuitBreakerConfig defaultPaymentBreaker()
{
    resilience::CircuitBreakerConfig c;
    c.windowType = resilience::SlidingWindowType::TimeBased;
    c.windowDuration = 10 * sim::kSecond;
    c.windowBuckets = 10;
    c.comparison = resilience::ThresholdComparison::StrictlyAbove;
    c.failureRateThreshold = 0.5;
    c.slowCallRateThreshold = 1.0;
    c.slowCallDuration = 250 * sim::kMillisecond;
    c.minimumNumberOfCalls = 5'000;
    c.waitDurationInOpen = 5 * sim::kSecond;
    c.permittedCallsInHalfOpen = 1'000;
    c.maxWaitInHalfOpen = 2 * sim::kSecond;
    c.automaticTransitionFromOpenToHalfOpen = true;
    return c;
}

std::string_view toString(OrderAnswer answer)
{
    switch (answer) {
    case OrderAnswer::Paid:
        return "paid";
    case OrderAnswer::Failed:
        return "failed";
    case OrderAnswer::Pending:
        return "pending";
    case OrderAnswer::InProgress:
        return "in-progress";
    case OrderAnswer::Error:
        return "error";
    case OrderAnswer::Unavailable:
        return "unavailable";
    case OrderAnswer::Overloaded:
        return "overloaded";
    case OrderAnswer::RateLimited:
        return "rate-limited";
    case OrderAnswer::Timeout:
        return "timeout";
    }
    return "?";
}

bool isRetriable(OrderAnswer answer)
{
    return answer == OrderAnswer::Error || answer == OrderAnswer::Unavailable || answer == OrderAnswer::Overloaded
        || answer == OrderAnswer::Timeout;
}

bool isServed(OrderAnswer answer)
{
    return answer == OrderAnswer::Paid || answer == OrderAnswer::Failed || answer == OrderAnswer::Pending
        || answer == OrderAnswer::InProgress;
}

void formatOrderEvent(const PaidOrder& o, std::string& out)
{
    out.clear();
    out.append("o1;");
    appendInt(out, o.order);
    out.push_back(';');
    appendInt(out, o.key.uid);
    out.push_back(';');
    appendInt(out, o.key.clientSeq);
    out.push_back(';');
    appendInt(out, o.amountCents);
    out.push_back(';');
    appendInt(out, static_cast<std::int64_t>(o.region));
    out.push_back(';');
    appendInt(out, static_cast<std::int64_t>(o.paidAt));
    out.push_back(';');
    appendInt(out, static_cast<std::uint64_t>(o.room));
}

bool parseOrderEvent(std::string_view value, PaidOrder& out)
{
    if (value.substr(0, 3) != "o1;")
        return false;
    std::string_view rest = value.substr(3);
    std::int64_t region = 0;
    std::int64_t paidAt = 0;
    std::uint64_t room = 0;
    if (!parseField(rest, out.order) || !parseField(rest, out.key.uid) || !parseField(rest, out.key.clientSeq)
        || !parseField(rest, out.amountCents) || !parseField(rest, region) || !parseField(rest, paidAt)
        || !parseField(rest, room) || !rest.empty())
        return false;
    if (out.order == 0 || out.amountCents <= 0 || region < 0 || paidAt < 0)
        return false;
    out.region = static_cast<int>(region);
    out.paidAt = paidAt;
    out.room = static_cast<RoomId>(room);
    return true;
}

OrderService::OrderService(sim::World& world, std::string_view region, const GiftsConfig& config,
                           OrderServiceDeps deps)
    : m_world(world),
      m_config(config),
      m_deps(deps),
      m_path(sim::strCat(region, "/gifts/order")),
      m_region(world.topology().regionIndex(region)),
      m_component(world.components().mustAdd(m_path, "order-service", {}, this)),
      m_queue(world, m_component, podsConfig(config.orders), &deps.telemetry->metrics(), "gifts.order_service"),
      m_raft(*deps.raft, sim::strCat(m_path, "/raft"),
             infra::RaftClientConfig{config.orders.crossServiceTimeout, 100 * sim::kMillisecond, 10 * sim::kMillisecond}),
      m_localProducer(world, *deps.localBroker, sim::strCat(m_path, "/mq"), infra::MqProducerConfig{},
                      &deps.telemetry->metrics()),
      m_sharedProducer(world, *deps.sharedBroker, sim::strCat(m_path, "/mq-shared"), infra::MqProducerConfig{},
                       &deps.telemetry->metrics()),
      m_breakerComponent(world.components().mustAdd(sim::strCat(m_path, "/breaker/payment"), "breaker")),
      m_breakerEvents(world, m_breakerComponent),
      m_breaker(sim::strCat(m_path, "/breaker/payment"), config.orders.paymentBreaker, world.clock(), &m_breakerEvents),
      m_mode(config.multiActive.mode),
      m_pods(config.orders.initialPods),
      m_raftLock(!config.sabotage.noIdempotencyKey),
      m_recheck(!config.sabotage.noPaymentRecheck),
      m_replyKind(world.kind("gifts.order.reply")),
      m_recheckKind(world.kind("gifts.order.recheck")),
      m_repairKind(world.kind("gifts.order.repair"))
{
    assert(deps.store && deps.products && deps.raft && deps.payments && deps.localBroker && deps.sharedBroker
           && deps.telemetry);
    assert(m_region >= 0);
    world.components().setInspectable(m_breakerComponent, &m_breaker);
    m_breaker.enableTimers(world.scheduler(), world.kind("gifts.order.breaker"), m_breakerComponent);
    m_breaker.attachMetrics(deps.telemetry->metrics(), sim::strCat(m_path, "/breaker/payment"), "gifts.breaker");
    auto& m = deps.telemetry->metrics();
    m_paidCounter = &m.counter("gifts.order_service.paid", m_path);
    m_failedCounter = &m.counter("gifts.order_service.failed", m_path);
    m_pendingCounter = &m.counter("gifts.order_service.pending", m_path);
    m_rechecksCounter = &m.counter("gifts.orders.rechecks", m_path);
    m_duplicateCounter = &m.counter("gifts.orders.duplicate_keys", m_path);
    m_publishedCounter = &m.counter("gifts.orders.events_published", m_path);
    m_publishFailedCounter = &m.counter("gifts.orders.events_failed", m_path);
    m_podsGauge = &m.gauge("gifts.order_service.pods", m_path);
    m_podsGauge->set(m_pods);
    m_lockName.reserve(64);
    m_owner.reserve(64);
    m_eventKey.reserve(24);
    m_eventValue.reserve(96);
}

OrderService::~OrderService() = default;

void OrderService::setPods(int pods)
{
    m_pods = std::max(1, pods);
    m_queue.setConcurrency(m_pods * m_config.orders.threadsPerPod);
    m_podsGauge->set(m_pods);
}

std::uint32_t OrderService::alloc()
{
    std::uint32_t slot;
    if (!m_free.empty()) {
        slot = m_free.back();
        m_free.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(m_orders.size());
        m_orders.emplace_back();
    }
    Order& o = m_orders[slot];
    ++o.gen;
    o.live = true;
    o.active = true;
    o.rechecking = false;
    o.holdsLock = false;
    o.stage = Stage::Admit;
    o.id = 0;
    o.lockOwner = 0;
    o.partition = 0;
    o.amountCents = 0;
    o.token = 0;
    o.rechecks = 0;
    o.permit = resilience::Permit{};
    o.paymentInstance = 0;
    o.target = OrderStatus::Created;
    ++m_active;
    return slot;
}

void OrderService::releaseSlot(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    assert(!o.live && !o.active);
    o.done.reset();
    m_free.push_back(slot);
}

OrderService::Order* OrderService::live(std::uint32_t slot, std::uint32_t gen)
{
    Order& o = m_orders[slot];
    return o.gen == gen && o.active ? &o : nullptr;
}

void OrderService::place(const OrderRequest& request, Done done)
{
    const std::uint32_t slot = alloc();
    Order& o = m_orders[slot];
    o.request = request;
    o.started = m_world.now();
    o.done = std::move(done);
    ++m_stats.placed;
    const std::uint32_t gen = o.gen;
    const double weight = request.send.weight;
    const double concurrency = m_queue.config().concurrency;
    const sim::Nanos cpu = m_config.orders.cpuPerOrder;
    // A job heavier than the pods' whole concurrency runs alone and takes proportionally
    // longer: the deployment's real-equivalent capacity holds whatever the weights.
    m_queue.submit(
        weight,
        [cpu, weight, concurrency](bool&) -> sim::Nanos {
            return static_cast<sim::Nanos>(static_cast<double>(cpu) * std::max(1.0, weight / concurrency));
        },
        [this, slot, gen](infra::ServiceOutcome outcome, sim::Nanos) {
            if (live(slot, gen))
                admitted(slot, outcome);
        });
}

void OrderService::admitted(std::uint32_t slot, infra::ServiceOutcome outcome)
{
    switch (outcome) {
    case infra::ServiceOutcome::Ok:
        productLookup(slot);
        return;
    case infra::ServiceOutcome::Rejected:
        reply(slot, OrderAnswer::Overloaded);
        break;
    case infra::ServiceOutcome::Down:
        reply(slot, OrderAnswer::Unavailable);
        break;
    case infra::ServiceOutcome::Error:
        ++m_stats.errors;
        reply(slot, OrderAnswer::Error);
        break;
    }
    finishWork(slot);
}

void OrderService::productLookup(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    o.stage = Stage::Product;
    const std::uint32_t gen = o.gen;
    m_deps.products->quote(m_component, m_region, o.request.send.product, o.request.send.weight,
                           [this, slot, gen](const ProductQuote& p) {
                                   Order* order = live(slot, gen);
                                   if (!order)
                                       return;
                                   if (!p.ok) {
                                       ++m_stats.errors;
                                       reply(slot, OrderAnswer::Error);
                                       finishWork(slot);
                                       return;
                                   }
                                   order->amountCents = p.priceCents * order->request.send.quantity;
                                   if (m_raftLock)
                                       lock(slot);
                                   else
                                       insert(slot);
                               });
}

void OrderService::lockName(const IdempotencyKey& key)
{
    m_lockName.assign("gift-order/");
    appendInt(m_lockName, key.uid);
    m_lockName.push_back('/');
    appendInt(m_lockName, key.clientSeq);
}

void OrderService::ownerName(OrderId id)
{
    m_owner.assign(m_path);
    m_owner.push_back('#');
    appendInt(m_owner, id);
}

void OrderService::lock(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    o.stage = Stage::Lock;
    // The order id is fixed before the lock: it names the owner.
    o.id = (m_nextOrder++ << 8) | static_cast<OrderId>(m_region & 0xff);
    o.lockOwner = o.id;
    const std::uint32_t gen = o.gen;
    lockName(IdempotencyKey{o.request.send.uid, o.request.send.clientSeq});
    ownerName(o.id);
    m_raft.acquireLock(
        m_lockName, m_owner, m_config.orders.lockLease,
        [this, slot, gen](const infra::RaftResult& r) {
            Order* order = live(slot, gen);
            if (!order)
                return;
            if (r.status == infra::RaftStatus::Ok) {
                order->token = r.token;
                order->holdsLock = true;
                insert(slot);
                return;
            }
            if (r.status == infra::RaftStatus::Refused && r.refusal == infra::RaftRefusal::LockHeld) {
                ++m_stats.inProgress;
                reply(slot, OrderAnswer::InProgress);
            } else {
                ++m_stats.errors;
                reply(slot, OrderAnswer::Error);
            }
            finishWork(slot);
        },
        m_config.orders.lockTimeout);
}

void OrderService::insert(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    o.stage = Stage::Insert;
    if (o.id == 0)
        o.id = (m_nextOrder++ << 8) | static_cast<OrderId>(m_region & 0xff);
    o.partition = m_deps.store->partitionNow();
    NewOrder n;
    n.order = o.id;
    n.key = IdempotencyKey{o.request.send.uid, o.request.send.clientSeq};
    n.product = o.request.send.product;
    n.quantity = o.request.send.quantity;
    n.amountCents = o.amountCents;
    n.lockToken = o.token;
    n.region = m_region;
    n.partition = o.partition;
    n.weight = o.request.send.weight;
    const std::uint32_t gen = o.gen;
    m_deps.store->insertOrder(n, m_component, [this, slot, gen](infra::SqlResult& r) {
        if (!live(slot, gen))
            return;
        if (r.ok()) {
            pay(slot);
            return;
        }
        if (isDuplicate(r.status)) {
            ++m_stats.duplicateKeys;
            m_duplicateCounter->add(m_orders[slot].request.send.weight);
            existing(slot);
            return;
        }
        ++m_stats.errors;
        reply(slot, OrderAnswer::Error);
        finishWork(slot);
    });
}

void OrderService::existing(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    o.stage = Stage::Existing;
    const std::uint32_t gen = o.gen;
    m_deps.store->readKey(IdempotencyKey{o.request.send.uid, o.request.send.clientSeq}, m_component,
                          o.request.send.weight, [this, slot, gen](infra::SqlResult& r) {
                              if (!live(slot, gen))
                                  return;
                              if (!r.ok() || r.rowCount() == 0) {
                                  ++m_stats.errors;
                                  reply(slot, OrderAnswer::Error);
                                  finishWork(slot);
                                  return;
                              }
                              existingStatus(slot, static_cast<OrderId>(infra::sqlInt(r.at(0, 0))),
                                             static_cast<int>(infra::sqlInt(r.at(0, 1))));
                          });
}

void OrderService::existingStatus(std::uint32_t slot, OrderId id, int partition)
{
    Order& o = m_orders[slot];
    const std::uint32_t gen = o.gen;
    const OrderPlace p{id, o.request.send.uid, partition};
    m_deps.store->readStatus(p, m_component, o.request.send.weight, [this, slot, gen, id, partition](infra::SqlResult& r) {
        Order* order = live(slot, gen);
        if (!order)
            return;
        if (!r.ok() || r.rowCount() == 0) {
            ++m_stats.errors;
            reply(slot, OrderAnswer::Error);
            finishWork(slot);
            return;
        }
        const auto status = static_cast<OrderStatus>(infra::sqlInt(r.at(0, 0)));
        switch (status) {
        case OrderStatus::Paid:
            order->id = id;
            reply(slot, OrderAnswer::Paid);
            break;
        case OrderStatus::Failed:
        case OrderStatus::Refunding:
        case OrderStatus::Refunded:
            order->id = id;
            reply(slot, OrderAnswer::Failed);
            break;
        case OrderStatus::Created:
            if (order->holdsLock) {
                // No other attempt can be working on it (we hold the key's lock): resume
                // the earlier attempt's order. The bank charges an order id once.
                order->id = id;
                order->partition = partition;
                ++m_stats.resumed;
                pay(slot);
                return;
            }
            ++m_stats.inProgress;
            reply(slot, OrderAnswer::InProgress);
            break;
        }
        finishWork(slot);
    });
}

void OrderService::pay(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    o.stage = Stage::Pay;
    const double weight = o.request.send.weight;
    o.permit = m_breaker.tryAcquire(weight);
    if (!o.permit) {
        // Breaker open: fail fast, nothing was charged.
        markFinal(slot, OrderStatus::Failed);
        return;
    }
    PaymentService* service = m_deps.payments->pickPayment(m_component, o.paymentInstance);
    if (!service) {
        m_breaker.onError(o.permit, 0);
        markFinal(slot, OrderStatus::Failed);
        return;
    }
    ChargeRequest c;
    c.order = o.id;
    c.key = IdempotencyKey{o.request.send.uid, o.request.send.clientSeq};
    c.amountCents = o.amountCents;
    c.weight = weight;
    c.region = service->region();
    c.partition = o.partition;
    c.shard = m_deps.store->shardOf(o.request.send.uid);
    const std::uint32_t gen = o.gen;
    service->charge(m_component, c, m_config.orders.crossServiceTimeout, [this, slot, gen](const PaymentReply& r) {
        if (live(slot, gen))
            paid(slot, r);
    });
}

void OrderService::paid(std::uint32_t slot, const PaymentReply& r)
{
    Order& o = m_orders[slot];
    switch (r.outcome) {
    case PaymentOutcome::Charged:
        m_breaker.onSuccess(o.permit, r.latency);
        m_deps.payments->reportPayment(o.paymentInstance, true);
        markFinal(slot, OrderStatus::Paid);
        return;
    case PaymentOutcome::Declined:
        m_breaker.onSuccess(o.permit, r.latency);
        m_deps.payments->reportPayment(o.paymentInstance, true);
        markFinal(slot, OrderStatus::Failed);
        return;
    case PaymentOutcome::Timeout:
        m_breaker.onTimeout(o.permit);
        m_deps.payments->reportPayment(o.paymentInstance, false);
        if (m_recheck) {
            // Payment may have succeeded: tell the caller it is pending, re-check in 2 s.
            ++m_stats.pending;
            m_pendingCounter->add(o.request.send.weight);
            reply(slot, OrderAnswer::Pending);
            scheduleRecheck(slot);
        } else {
            markFinal(slot, OrderStatus::Failed);
        }
        return;
    case PaymentOutcome::Unavailable:
    case PaymentOutcome::Rejected:
    case PaymentOutcome::Error:
        m_breaker.onError(o.permit, r.latency);
        m_deps.payments->reportPayment(o.paymentInstance, false);
        markFinal(slot, OrderStatus::Failed);
        return;
    }
}

void OrderService::markFinal(std::uint32_t slot, OrderStatus status)
{
    Order& o = m_orders[slot];
    o.stage = Stage::Final;
    o.target = status;
    const std::uint32_t gen = o.gen;
    m_deps.store->setStatus(place(o), OrderStatus::Created, status, m_component, o.request.send.weight,
                            [this, slot, gen](infra::SqlResult& r) {
                                if (live(slot, gen))
                                    finalWritten(slot, r);
                            });
}

PaidOrder OrderService::paidOrder(const Order& o) const
{
    PaidOrder p;
    p.order = o.id;
    p.key = IdempotencyKey{o.request.send.uid, o.request.send.clientSeq};
    p.room = o.request.send.room;
    p.amountCents = o.amountCents;
    p.region = m_region;
    p.partition = o.partition;
    p.weight = o.request.send.weight;
    p.paidAt = m_world.now();
    return p;
}

void OrderService::finalWritten(std::uint32_t slot, infra::SqlResult& r)
{
    Order& o = m_orders[slot];
    const double weight = o.request.send.weight;
    if (!r.ok()) {
        statusUnknown(slot);
        return;
    }
    if (r.changes == 0) {
        // Not 'created' any more. Either another attempt, a re-check or the audit decided
        // it, or this attempt's own earlier write committed and only its answer was lost
        // (the primary died after the semi-sync replica acknowledged it, then a failover):
        // a paid order whose event was never published. Read the status at the primary;
        // if it is paid, publish now (at-least-once: the idempotent consumer absorbs a
        // second event if one was already out).
        if (o.target == OrderStatus::Paid) {
            const std::uint32_t gen = o.gen;
            m_deps.store->readStatus(place(o), m_component, weight, [this, slot, gen](infra::SqlResult& s) {
                if (!live(slot, gen))
                    return;
                if (!s.ok()) {
                    statusUnknown(slot);
                    return;
                }
                if (s.rowCount() > 0 && static_cast<OrderStatus>(infra::sqlInt(s.at(0, 0))) == OrderStatus::Paid) {
                    ++m_stats.paidConfirmed;
                    recordedPaid(slot);
                    return;
                }
                if (m_orders[slot].live)
                    reply(slot, OrderAnswer::Pending);
                finishWork(slot);
            });
            return;
        }
        if (o.live)
            reply(slot, OrderAnswer::Pending);
        finishWork(slot);
        return;
    }
    if (o.target == OrderStatus::Paid) {
        recordedPaid(slot);
        return;
    }
    ++m_stats.failed;
    m_failedCounter->add(weight);
    if (o.rechecking)
        ++m_stats.recheckFailed;
    if (o.live)
        reply(slot, OrderAnswer::Failed);
    finishWork(slot);
}

void OrderService::statusUnknown(std::uint32_t slot)
{
    // The status is not known to be recorded (DB slow or failing over): the caller hears
    // Pending, and the re-check writes it later from the payment row.
    Order& o = m_orders[slot];
    if (o.live) {
        ++m_stats.pending;
        m_pendingCounter->add(o.request.send.weight);
        reply(slot, OrderAnswer::Pending);
    }
    scheduleRecheck(slot);
}

void OrderService::recordedPaid(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    ++m_stats.paid;
    m_paidCounter->add(o.request.send.weight);
    if (o.rechecking)
        ++m_stats.recheckPaid;
    const PaidOrder p = paidOrder(o);
    for (OrderObserver* obs : m_observers)
        obs->onPaidRecorded(p);
    bool poison = false;
    if (m_poison > 0) {
        --m_poison;
        poison = true;
    }
    publish(p, poison);
    if (o.live)
        reply(slot, OrderAnswer::Paid);
    finishWork(slot);
}

void OrderService::scheduleRecheck(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    if (o.rechecks >= m_config.orders.maxRechecks) {
        ++m_stats.recheckGaveUp; // the audit reconciles it against the bank
        finishWork(slot);
        return;
    }
    ++o.rechecks;
    o.rechecking = true;
    o.stage = Stage::Recheck;
    ++m_stats.rechecks;
    m_rechecksCounter->add(o.request.send.weight);
    const std::uint32_t gen = o.gen;
    m_world.after(m_config.orders.recheckDelay, m_recheckKind, m_component, [this, slot, gen] {
        if (live(slot, gen))
            recheck(slot);
    });
}

void OrderService::recheck(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    const std::uint32_t gen = o.gen;
    // Strong read at the primary: a replica may not have the payment row yet.
    m_deps.store->readPayment(place(o), m_component, o.request.send.weight, [this, slot, gen](infra::SqlResult& r) {
        if (!live(slot, gen))
            return;
        if (!r.ok()) {
            scheduleRecheck(slot);
            return;
        }
        markFinal(slot, r.rowCount() > 0 ? OrderStatus::Paid : OrderStatus::Failed);
    });
}

void OrderService::reply(std::uint32_t slot, OrderAnswer answer)
{
    Order& o = m_orders[slot];
    if (!o.live)
        return;
    o.live = false;
    const sim::Delivery d = m_world.network().send(m_component, o.request.from);
    if (!d.delivered())
        return; // lost: the caller's deadline answers
    std::uint32_t r;
    if (!m_freeReplies.empty()) {
        r = m_freeReplies.back();
        m_freeReplies.pop_back();
        m_replies[r] = std::move(o.done);
    } else {
        r = static_cast<std::uint32_t>(m_replies.size());
        m_replies.push_back(std::move(o.done));
    }
    const OrderId id = o.id;
    m_world.after(d.latency, m_replyKind, m_component, [this, r, answer, id] {
        Done done = std::move(m_replies[r]);
        m_freeReplies.push_back(r);
        done(OrderReply{answer, id});
    });
}

void OrderService::finishWork(std::uint32_t slot)
{
    Order& o = m_orders[slot];
    assert(o.active);
    if (o.live) {
        // Every path answers before it ends; an unanswered caller is a bug.
        assert(false && "order work finished without an answer");
        o.live = false;
    }
    if (o.holdsLock)
        releaseLock(o);
    o.active = false;
    --m_active;
    releaseSlot(slot);
}

void OrderService::releaseLock(const Order& o)
{
    lockName(IdempotencyKey{o.request.send.uid, o.request.send.clientSeq});
    ownerName(o.lockOwner);
    m_raft.releaseLock(m_lockName, m_owner, o.token, [](const infra::RaftResult&) {},
                       m_config.orders.crossServiceTimeout);
}

void OrderService::publish(const PaidOrder& order, bool poison, bool repair)
{
    infra::MqProducer& producer = m_mode == MultiActiveMode::LocalFirst ? m_localProducer : m_sharedProducer;
    m_eventKey.clear();
    appendInt(m_eventKey, order.order);
    if (poison) {
        ++m_stats.poisoned;
        m_eventValue.assign("o1;");
        appendInt(m_eventValue, order.order);
        m_eventValue.append(";#corrupt-payload");
    } else {
        formatOrderEvent(order, m_eventValue);
    }
    const double weight = order.weight;
    producer.send(m_config.orders.topic, m_eventKey, m_eventValue, weight,
                  [this, weight, repair](const infra::MqProduceResult& r) {
                      if (r.error == infra::MqError::Ok) {
                          ++m_stats.published;
                          m_publishedCounter->add(weight);
                      } else {
                          ++m_stats.publishFailed;
                          m_publishFailedCounter->add(weight);
                      }
                      if (repair) // the next repair, outside the producer's callback
                          m_world.after(0, m_repairKind, m_component, [this] { repairNext(); });
                  });
}

void OrderService::republish(const PaidOrder& order)
{
    if (!m_repairQueued.insert(order.order).second)
        return; // still waiting for its turn
    m_repairs.push_back(order);
    if (!m_repairing)
        repairNext();
}

void OrderService::repairNext()
{
    m_repairing = !m_repairs.empty();
    if (!m_repairing)
        return;
    const PaidOrder order = m_repairs.front();
    m_repairs.pop_front();
    m_repairQueued.erase(order.order);
    publish(order, false, true);
}

void OrderService::inspect(sim::StateWriter& out) const
{
    out.add("pods", m_pods);
    out.add("mode", toString(m_mode));
    out.add("inflight", m_queue.inflight());
    out.add("queued", m_queue.queued());
    out.add("concurrency", m_queue.config().concurrency);
    out.add("active_orders", static_cast<std::uint64_t>(m_active));
    out.add("placed", m_stats.placed);
    out.add("paid", m_stats.paid);
    out.add("failed", m_stats.failed);
    out.add("pending", m_stats.pending);
    out.add("in_progress", m_stats.inProgress);
    out.add("duplicate_keys", m_stats.duplicateKeys);
    out.add("resumed", m_stats.resumed);
    out.add("rechecks", m_stats.rechecks);
    out.add("recheck_paid", m_stats.recheckPaid);
    out.add("recheck_failed", m_stats.recheckFailed);
    out.add("recheck_gave_up", m_stats.recheckGaveUp);
    out.add("paid_confirmed", m_stats.paidConfirmed);
    out.add("published", m_stats.published);
    out.add("publish_failed", m_stats.publishFailed);
    out.add("errors", m_stats.errors);
    out.add("payment_breaker", resilience::breakerStateName(m_breaker.state()));
}

} // namespace livedeck::gifts

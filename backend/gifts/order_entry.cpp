#include "backend/gifts/order_entry.h"

#include <cassert>

namespace livedeck::gifts {

OrderEntry::OrderEntry(sim::World& world, std::string_view region, const GiftsConfig& config,
                       resilience::QuotaServer* quotaServer, OrderDirectory& directory,
                       telemetry::Telemetry& telemetry)
    : m_world(world),
      m_path(sim::strCat(region, "/gifts/order-entry")),
      m_region(world.topology().regionIndex(region)),
      m_component(world.components().mustAdd(m_path, "order-entry", {}, this)),
      m_directory(directory),
      m_answerKind(world.kind("gifts.entry.answer")),
      m_forwardKind(world.kind("gifts.entry.forward"))
{
    assert(m_region >= 0);
    if (quotaServer && config.quota.enabled) {
        resilience::QuotaClientConfig q;
        q.resource = "gifts.orders";
        q.fallback = config.sabotage.quotaFailClosed ? resilience::QuotaFallback::FailClosed
                                                     : resilience::QuotaFallback::LocalRate;
        const double serving = static_cast<double>(std::max<std::size_t>(1, config.multiActive.serving.size()));
        q.localRatePerSec = config.quota.limitPerSec / serving;
        q.initialWantPerSec = q.localRatePerSec;
        q.headroom = config.quota.headroom;
        q.topUpEarly = config.quota.topUpEarly;
        q.fallbackWhenDry = config.quota.fallbackWhenDry;
        m_quota = std::make_unique<resilience::QuotaClient>(world, sim::strCat(m_path, "/quota"), *quotaServer, q);
        m_quota->attachMetrics(telemetry.metrics());
    }
    m_shedCounter = &telemetry.metrics().counter("gifts.orders.shed_by_operator", m_path);
}

OrderEntry::~OrderEntry() = default;

void OrderEntry::start()
{
    if (m_quota)
        m_quota->start();
}

void OrderEntry::setShedLimit(double ratePerSec)
{
    if (ratePerSec <= 0.0) {
        m_shed.reset();
        return;
    }
    if (m_shed) {
        m_shed->setRate(ratePerSec);
        m_shed->setBurst(ratePerSec / 10.0);
    } else {
        m_shed.emplace(ratePerSec, ratePerSec / 10.0, m_world.clock());
    }
}

void OrderEntry::answerLater(sim::Nanos delay, OrderAnswer answer, Done done)
{
    std::uint32_t r;
    if (!m_freePending.empty()) {
        r = m_freePending.back();
        m_freePending.pop_back();
        m_pending[r] = std::move(done);
    } else {
        r = static_cast<std::uint32_t>(m_pending.size());
        m_pending.push_back(std::move(done));
        m_forwards.emplace_back();
    }
    m_world.after(delay, m_answerKind, m_component, [this, r, answer] {
        Done d = std::move(m_pending[r]);
        m_freePending.push_back(r);
        d(OrderReply{answer, 0});
    });
}

void OrderEntry::submit(const OrderRequest& request, Done done)
{
    const double weight = request.send.weight;
    if (m_world.faults().isDown(m_path)) {
        ++m_refused;
        answerLater(2 * kClientHop, OrderAnswer::Unavailable, std::move(done));
        return;
    }
    if ((m_quota && !m_quota->tryAcquire(weight)) || (m_shed && !m_shed->tryAcquire(weight))) {
        ++m_rateLimited;
        if (m_shed)
            m_shedCounter->add(weight);
        answerLater(2 * kClientHop, OrderAnswer::RateLimited, std::move(done));
        return;
    }
    infra::InstanceId instance = 0;
    OrderService* service = m_directory.pickOrder(m_component, instance);
    if (!service) {
        ++m_refused;
        answerLater(2 * kClientHop, OrderAnswer::Unavailable, std::move(done));
        return;
    }
    std::uint32_t r;
    if (!m_freePending.empty()) {
        r = m_freePending.back();
        m_freePending.pop_back();
        m_pending[r] = std::move(done);
    } else {
        r = static_cast<std::uint32_t>(m_pending.size());
        m_pending.push_back(std::move(done));
        m_forwards.emplace_back();
    }
    Forward& f = m_forwards[r];
    f.request = request;
    f.request.from = m_component;
    f.instance = instance;
    f.service = service;
    ++m_forwarded;
    // Client → entry, then entry → order service over the network.
    m_world.after(kClientHop, m_forwardKind, m_component, [this, r] {
        Forward& fw = m_forwards[r];
        const sim::Delivery d = m_world.network().send(m_component, fw.service->component());
        if (!d.delivered()) {
            m_directory.reportOrder(fw.instance, false);
            if (d.outcome == sim::Delivery::Outcome::DestinationDown) {
                Done cb = std::move(m_pending[r]);
                m_freePending.push_back(r);
                const sim::Nanos rtt = 2 * m_world.network().baseLatency(m_component, fw.service->component());
                answerLater(rtt + kClientHop, OrderAnswer::Unavailable, std::move(cb));
            } else {
                m_pending[r].reset(); // lost: the client's deadline answers
                m_freePending.push_back(r);
            }
            return;
        }
        m_world.after(d.latency, m_forwardKind, fw.service->component(), [this, r] {
            Forward& at = m_forwards[r];
            const infra::InstanceId inst = at.instance;
            at.service->place(at.request, [this, r, inst](const OrderReply& reply) {
                m_directory.reportOrder(inst, reply.answer != OrderAnswer::Unavailable
                                                  && reply.answer != OrderAnswer::Error);
                // Entry → client.
                m_world.after(kClientHop, m_answerKind, m_component, [this, r, reply] {
                    Done cb = std::move(m_pending[r]);
                    m_freePending.push_back(r);
                    cb(reply);
                });
            });
        });
    });
}

void OrderEntry::inspect(sim::StateWriter& out) const
{
    out.add("forwarded", m_forwarded);
    out.add("rate_limited", m_rateLimited);
    out.add("refused", m_refused);
    out.add("quota", m_quota ? (m_quota->mode() == resilience::QuotaClientMode::Leased ? "leased" : "fallback") : "off");
    out.add("shed_limit", shedLimit());
}

} // namespace livedeck::gifts

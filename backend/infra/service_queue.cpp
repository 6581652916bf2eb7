#include "backend/infra/service_queue.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace livedeck::infra {

const char* toString(ServiceOutcome outcome)
{
    switch (outcome) {
    case ServiceOutcome::Ok:
        return "ok";
    case ServiceOutcome::Rejected:
        return "rejected";
    case ServiceOutcome::Down:
        return "down";
    case ServiceOutcome::Error:
        return "error";
    }
    return "?";
}

ServiceQueue::ServiceQueue(sim::World& world, sim::ComponentId component, ServiceConfig config,
                           telemetry::MetricsRegistry* metrics, std::string_view metricPrefix)
    : m_world(world),
      m_component(component),
      m_path(world.components().get(component).path),
      m_config(config),
      m_rng(world.stream(sim::strCat(m_path, "#service"))),
      m_doneKind(world.kind(sim::strCat(metricPrefix, ".done")))
{
    if (metrics) {
        m_requests = &metrics->counter(sim::strCat(metricPrefix, ".requests"), m_path);
        m_rejects = &metrics->counter(sim::strCat(metricPrefix, ".rejected"), m_path);
        m_errors = &metrics->counter(sim::strCat(metricPrefix, ".errors"), m_path);
        m_latency = &metrics->histogram(sim::strCat(metricPrefix, ".latency"), m_path);
        m_queueGauge = &metrics->gauge(sim::strCat(metricPrefix, ".queue"), m_path);
        m_inflightGauge = &metrics->gauge(sim::strCat(metricPrefix, ".inflight"), m_path);
    }
}

void ServiceQueue::setConcurrency(double concurrency)
{
    m_config.concurrency = std::max(1.0, concurrency);
    pump();
}

bool ServiceQueue::fits(double weight) const
{
    return m_inflight + weight <= m_config.concurrency || m_inflight == 0.0;
}

void ServiceQueue::submit(double weight, Start start, Done done)
{
    if (m_requests)
        m_requests->add(weight);
    if (m_world.faults().isDown(m_path)) {
        finish(weight, m_world.now(), ServiceOutcome::Down, std::move(done));
        return;
    }
    if (m_queue.empty() && fits(weight)) {
        run(Job{weight, m_world.now(), std::move(start), std::move(done)});
        return;
    }
    // Like the concurrency rule: a job heavier than the whole queue bound may wait
    // alone (an empty queue takes it), or no job of that weight could ever queue.
    if (m_queued + weight > m_config.maxQueue && m_queued > 0.0) {
        finish(weight, m_world.now(), ServiceOutcome::Rejected, std::move(done));
        return;
    }
    m_queued += weight;
    m_queue.push_back(Job{weight, m_world.now(), std::move(start), std::move(done)});
    if (m_queueGauge)
        m_queueGauge->set(m_queued);
}

sim::Nanos ServiceQueue::Deferral::serviceTime(sim::Nanos cost) const
{
    return static_cast<sim::Nanos>(static_cast<double>(std::max<sim::Nanos>(cost, 0)) * factor) + added;
}

void ServiceQueue::run(Job job)
{
    // The job's slot first: its start() may defer its cost (defer() reads the slot).
    std::uint32_t slot;
    if (!m_freeSlots.empty()) {
        slot = m_freeSlots.back();
        m_freeSlots.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(m_slots.size());
        m_slots.emplace_back();
    }
    // Noise and faults as the job starts (start() never draws from this queue's stream).
    double factor = m_config.noiseSigma > 0 ? std::exp(m_rng.normal(0.0, m_config.noiseSigma)) : 1.0;
    double addMs = 0.0;
    const auto& faults = m_world.faults();
    if (faults.anyActive(v1::FAULT_LATENCY)) {
        const sim::FaultEffect e = faults.effect(v1::FAULT_LATENCY, m_path);
        factor *= e.multiply;
        addMs += e.addMs;
    }
    if (m_config.diskBound && faults.anyActive(v1::FAULT_SLOW_DISK))
        factor *= faults.effect(v1::FAULT_SLOW_DISK, m_path).multiply;
    {
        InService& s = m_slots[slot];
        s.deferral = Deferral{slot, m_world.now(), factor, sim::fromMillis(addMs)};
        s.deferred = false;
    }
    bool failed = false;
    const std::uint32_t outerSlot = m_startingSlot; // start() may submit to this queue
    m_startingSlot = slot;
    const sim::Nanos cost = job.start(failed);
    m_startingSlot = outerSlot;
    if (!failed && faults.anyActive(v1::FAULT_ERROR_RATE)) {
        const double rate = faults.effect(v1::FAULT_ERROR_RATE, m_path).rate;
        failed = rate > 0.0 && m_rng.bernoulli(rate);
    }
    m_inflight += job.weight;
    if (m_inflightGauge)
        m_inflightGauge->set(m_inflight);
    InService& s = m_slots[slot];
    s.done = std::move(job.done);
    s.weight = job.weight;
    s.enqueued = job.enqueued;
    s.outcome = failed ? ServiceOutcome::Error : ServiceOutcome::Ok;
    if (s.deferred)
        return; // settle() arms the completion
    m_world.after(s.deferral.serviceTime(cost), m_doneKind, m_component, [this, slot] { complete(slot); });
}

ServiceQueue::Deferral ServiceQueue::defer()
{
    assert(m_startingSlot != kNoSlot && "defer() outside a job's start()");
    InService& s = m_slots[m_startingSlot];
    s.deferred = true;
    return s.deferral;
}

void ServiceQueue::settle(std::uint32_t ticket, sim::Nanos cost)
{
    InService& s = m_slots[ticket];
    assert(s.deferred && "settling a job that did not defer its cost");
    s.deferred = false;
    const sim::Nanos at = std::max(s.deferral.started + s.deferral.serviceTime(cost), m_world.now());
    m_world.at(at, m_doneKind, m_component, [this, ticket] { complete(ticket); });
}

void ServiceQueue::complete(std::uint32_t slot)
{
    InService& s = m_slots[slot];
    Done done = std::move(s.done);
    const double weight = s.weight;
    const sim::Nanos enqueued = s.enqueued;
    const ServiceOutcome outcome = s.outcome;
    m_freeSlots.push_back(slot);
    m_inflight -= weight;
    // Weights that are not multiples of a power of two leave a rounding residue when
    // every job has left; snapped to zero, so "idle" (the heavy-job rule in fits())
    // is reached again — else a job heavier than the concurrency waits for ever.
    if (m_inflight < 1e-6)
        m_inflight = 0.0;
    if (m_inflightGauge)
        m_inflightGauge->set(m_inflight);
    finish(weight, enqueued, outcome, std::move(done));
    pump();
}

void ServiceQueue::finish(double weight, sim::Nanos enqueued, ServiceOutcome outcome, Done done)
{
    const sim::Nanos latency = m_world.now() - enqueued;
    switch (outcome) {
    case ServiceOutcome::Ok:
        ++m_completed;
        if (m_latency)
            m_latency->record(latency, weight);
        break;
    case ServiceOutcome::Error:
        ++m_completed;
        if (m_errors)
            m_errors->add(weight);
        if (m_latency)
            m_latency->record(latency, weight);
        break;
    case ServiceOutcome::Rejected:
    case ServiceOutcome::Down:
        ++m_rejected;
        if (m_rejects)
            m_rejects->add(weight);
        break;
    }
    done(outcome, latency);
}

void ServiceQueue::pump()
{
    while (!m_queue.empty() && fits(m_queue.front().weight)) {
        Job job = std::move(m_queue.front());
        m_queue.pop_front();
        m_queued -= job.weight;
        if (m_queued < 1e-6)
            m_queued = 0.0; // the same rounding residue (submit's heavy-job rule)
        if (m_queueGauge)
            m_queueGauge->set(m_queued);
        if (m_world.faults().isDown(m_path)) {
            finish(job.weight, job.enqueued, ServiceOutcome::Down, std::move(job.done));
            continue;
        }
        if (m_world.now() - job.enqueued > m_config.maxQueueWait) {
            finish(job.weight, job.enqueued, ServiceOutcome::Rejected, std::move(job.done));
            continue;
        }
        run(std::move(job));
    }
}

void ServiceQueue::inspect(sim::StateWriter& out) const
{
    out.add("inflight", m_inflight);
    out.add("queued", m_queued);
    out.add("concurrency", m_config.concurrency);
    out.add("completed", m_completed);
    out.add("rejected", m_rejected);
}

} // namespace livedeck::infra

#include "backend/cdn/back_origin.h"

#include <absl/strings/str_cat.h>

namespace livedeck::cdn {

BackOrigin::BackOrigin(sim::World& world, std::string_view path, Origin& origin, BackOriginConfig config)
    : m_world(world),
      m_component(world.components().mustAdd(path, "cdn-back-origin")),
      m_origin(origin),
      m_config(config),
      m_headerKind(world.kind("cdn.origin.header")),
      m_link(world, m_component, config.linkBytesPerSec, config.connBytesPerSec)
{
}

void BackOrigin::fetch(const SliceFetch& request, OnHeader onHeader, OnDone onDone)
{
    auto job = std::make_shared<Job>(Job{request, std::move(onHeader), std::move(onDone), {}});
    const std::string& path = m_world.components().get(m_component).path;
    if (m_world.faults().isDown(path)) {
        fail(std::move(job), kHttpUnavailable, "back-origin down", 0, false);
        return;
    }
    if (m_busy < m_config.connections) {
        start(std::move(job));
        return;
    }
    m_waiting.push_back(std::move(job));
}

void BackOrigin::fail(std::shared_ptr<Job> job, int status, std::string reason, sim::Nanos after, bool holdsConnection)
{
    job->reply = SliceReply{};
    job->reply.header.status = status;
    job->reply.header.reason = std::move(reason);
    job->reply.header.causeAt = m_world.now();
    m_world.after(after, m_headerKind, m_component, [this, job, holdsConnection]() {
        job->reply.headerAt = job->reply.doneAt = m_world.now();
        job->onHeader(job->reply.header);
        job->onDone(job->reply);
        if (holdsConnection)
            release();
    });
}

void BackOrigin::start(std::shared_ptr<Job> job)
{
    ++m_busy;
    ++m_fetches;
    const sim::Delivery there = m_world.network().send(m_component, m_origin.component());
    if (!there.delivered()) {
        fail(std::move(job), kHttpBadGateway, absl::StrCat("origin unreachable: ", there.reason()), m_config.failTimeout, true);
        return;
    }
    double addMs = 0.0;
    double slow = 1.0;
    const auto& faults = m_world.faults();
    if (faults.anyActive(v1::FAULT_LATENCY)) {
        const sim::FaultEffect e = faults.effect(v1::FAULT_LATENCY, m_world.components().get(m_component).path);
        addMs = e.addMs;
        slow = e.multiply;
    }
    const sim::Nanos atOrigin = there.latency + m_origin.config().ttfb + sim::fromMillis(addMs);
    m_world.after(atOrigin, m_headerKind, m_component, [this, job, slow]() {
        job->reply = m_origin.answer(job->request.object, job->request.first, job->request.last);
        const sim::Delivery back = m_world.network().send(m_origin.component(), m_component);
        if (!back.delivered()) {
            fail(job, kHttpBadGateway, absl::StrCat("origin response lost: ", back.reason()), m_config.failTimeout, true);
            return;
        }
        m_world.after(back.latency, m_headerKind, m_component, [this, job, slow]() {
            job->reply.headerAt = m_world.now();
            job->onHeader(job->reply.header);
            const std::uint64_t bytes = bodyLength(job->reply.body);
            m_link.start(bytes, slow, [this, job, bytes]() {
                job->reply.doneAt = m_world.now();
                m_bytes += bytes;
                job->onDone(job->reply);
                release();
            });
        });
    });
}

void BackOrigin::release()
{
    --m_busy;
    if (!m_waiting.empty() && m_busy < m_config.connections) {
        auto next = std::move(m_waiting.front());
        m_waiting.pop_front();
        start(std::move(next));
    }
}

} // namespace livedeck::cdn

#include "backend/cdn/cache_node.h"

#include "backend/cdn/hashing.h"

#include <absl/strings/str_cat.h>

#include <algorithm>
#include <cassert>

namespace livedeck::cdn {

CacheNode::CacheNode(sim::World& world, std::string_view path, CacheNodeConfig config, SliceSource& upstream,
                     telemetry::MetricsRegistry* metrics)
    : m_world(world),
      m_component(world.components().mustAdd(path, "cdn-cache")),
      m_path(path),
      m_config(config),
      m_upstream(upstream),
      m_policy(makeCachePolicy(config.policy, config.capacityBytes)),
      m_replyKind(world.kind("cdn.cache.reply"))
{
    for (int i = 0; i < std::max(1, config.disks); ++i)
        m_disks.push_back(std::make_unique<Disk>(world, sim::strCat(path, "/disk-", i), config.disk, metrics));
    world.components().setInspectable(m_component, this);
}

std::size_t CacheNode::collapsedWaiters() const
{
    std::size_t n = 0;
    for (const auto& [key, pending] : m_pending) // a sum: order does not matter
        n += pending->waiters.empty() ? 0 : pending->waiters.size() - 1;
    return n;
}

double CacheNode::diskBusy() const
{
    double v = 0.0;
    for (const auto& d : m_disks)
        v += d->busy();
    return v;
}

double CacheNode::diskQueued() const
{
    double v = 0.0;
    for (const auto& d : m_disks)
        v += d->queued();
    return v;
}

void CacheNode::inspect(sim::StateWriter& out) const
{
    const CacheNodeStats& s = m_stats;
    out.add("policy", toString(m_policy->kind()));
    out.add("requests", s.requests);
    out.add("hits", s.hits);
    out.add("misses", s.misses);
    out.add("hit_ratio", s.hits + s.misses > 0 ? static_cast<double>(s.hits) / static_cast<double>(s.hits + s.misses) : 0.0);
    out.add("byte_hit_ratio", s.bytesServed > 0 ? static_cast<double>(s.bytesHit) / static_cast<double>(s.bytesServed) : 0.0);
    out.add("bytes_served", s.bytesServed);
    out.add("bytes_hit", s.bytesHit);
    out.add("upstream_fetches", s.upstreamFetches);
    out.add("fetches_in_flight", static_cast<std::uint64_t>(m_pending.size()));
    out.add("collapsed", s.collapsed);
    out.add("collapsed_waiters", static_cast<std::uint64_t>(collapsedWaiters()));
    out.add("max_waiters", static_cast<std::uint64_t>(s.maxWaiters));
    out.add("errors", s.errors);
    out.add("used_bytes", m_policy->usedBytes());
    out.add("capacity_bytes", m_policy->capacityBytes());
    out.add("evictions", m_policy->evictions());
    out.add("disks", static_cast<std::int64_t>(m_disks.size()));
    out.add("disk_busy", diskBusy());
    out.add("disk_queued", diskQueued());
    out.add("disk_read_ms", s.readLatencyMs);
}

CacheKey CacheNode::keyOf(ObjectId object, std::uint64_t first) const
{
    const std::uint64_t index = first / m_config.sliceBytes;
    if (object < (1ull << 40) && index < (1ull << 24))
        return object << 24 | index;
    return hashU64(index, object) | (1ull << 63);
}

Disk& CacheNode::diskFor(CacheKey key)
{
    return *m_disks[reduce(hashU64(key, 0x6469736bull), static_cast<std::uint32_t>(m_disks.size()))];
}

template <class Fn>
void CacheNode::replyTo(sim::ComponentId to, Fn fn)
{
    // The way back is taken as open when the way in was (partitions here are symmetric),
    // at the link's base latency: a reply's header and body keep their order.
    const sim::Nanos back = to == sim::kNoComponent ? 0 : m_world.network().baseLatency(m_component, to);
    m_world.after(back, m_replyKind, m_component, std::move(fn));
}

void CacheNode::fetch(const SliceFetch& request, OnHeader onHeader, OnDone onDone)
{
    ++m_stats.requests;
    auto fail = [this](Waiter w, int status, std::string reason, sim::Nanos after) {
        ++m_stats.errors;
        auto job = std::make_shared<std::pair<Waiter, SliceReply>>(std::move(w), SliceReply{});
        job->second.header.status = status;
        job->second.header.reason = std::move(reason);
        job->second.header.causeAt = m_world.now();
        m_world.after(after, m_replyKind, m_component, [this, job]() {
            job->second.headerAt = job->second.doneAt = m_world.now();
            job->first.onHeader(job->second.header);
            job->first.onDone(job->second);
        });
    };
    if (m_world.faults().isDown(m_path)) {
        fail(Waiter{std::move(onHeader), std::move(onDone), request.from}, kHttpUnavailable,
             absl::StrCat(m_path, " down"), 0);
        return;
    }
    sim::Nanos there = 0;
    if (request.from != sim::kNoComponent) {
        const sim::Delivery d = m_world.network().send(request.from, m_component);
        if (!d.delivered()) {
            fail(Waiter{std::move(onHeader), std::move(onDone), request.from}, kHttpGatewayTimeout,
                 absl::StrCat(m_path, " unreachable: ", d.reason()), m_config.failTimeout);
            return;
        }
        there = d.latency;
    }
    auto job = std::make_shared<std::pair<SliceFetch, Waiter>>(request, Waiter{std::move(onHeader), std::move(onDone), request.from});
    m_world.after(there, m_replyKind, m_component, [this, job]() {
        arrive(job->first, std::move(job->second.onHeader), std::move(job->second.onDone));
    });
}

void CacheNode::arrive(const SliceFetch& request, SliceSource::OnHeader onHeader, SliceSource::OnDone onDone)
{
    Waiter waiter{std::move(onHeader), std::move(onDone), request.from};
    const bool aligned = request.first % m_config.sliceBytes == 0 && request.last + 1 - request.first == m_config.sliceBytes;
    if (!aligned) {
        ++m_stats.uncacheable;
        forwardUncached(request, std::move(waiter));
        return;
    }
    const CacheKey key = keyOf(request.object, request.first);
    if (m_policy->lookup(key)) {
        ++m_stats.hits;
        serveHit(key, std::move(waiter));
        return;
    }
    ++m_stats.misses;
    if (m_config.collapsedForwarding) {
        auto it = m_pending.find(key);
        if (it != m_pending.end()) {
            ++m_stats.collapsed;
            std::shared_ptr<Pending> pending = it->second;
            if (pending->headerSeen) {
                // Read-while-writer: a late joiner gets the header already received.
                auto shared = std::make_shared<std::pair<OnHeader, SliceHeader>>(waiter.onHeader, pending->header);
                replyTo(waiter.from, [shared]() { shared->first(shared->second); });
            }
            pending->waiters.push_back(std::move(waiter));
            m_stats.maxWaiters = std::max(m_stats.maxWaiters, pending->waiters.size());
            return;
        }
    }
    auto pending = std::make_shared<Pending>();
    pending->key = key;
    pending->waiters.push_back(std::move(waiter));
    if (m_config.collapsedForwarding)
        m_pending.emplace(key, pending);
    startFetch(request, std::move(pending), m_config.collapsedForwarding);
}

void CacheNode::startFetch(const SliceFetch& request, std::shared_ptr<Pending> pending, bool collapsible)
{
    ++m_stats.upstreamFetches;
    const CacheKey key = pending->key;
    const int inFlight = ++m_fetchesInFlight[key];
    m_stats.maxFetchesPerKey = std::max(m_stats.maxFetchesPerKey, inFlight);
    SliceFetch up = request;
    up.from = m_component;
    m_upstream.fetch(
        up,
        [this, pending](const SliceHeader& header) {
            pending->headerSeen = true;
            pending->header = header;
            for (const Waiter& w : pending->waiters) {
                auto shared = std::make_shared<std::pair<OnHeader, SliceHeader>>(w.onHeader, header);
                replyTo(w.from, [shared]() { shared->first(shared->second); });
            }
        },
        [this, pending, collapsible](const SliceReply& reply) {
            const CacheKey k = pending->key;
            if (--m_fetchesInFlight[k] == 0)
                m_fetchesInFlight.erase(k);
            if (collapsible)
                m_pending.erase(k);
            if (reply.header.status == kHttpPartial)
                fill(k, reply);
            else
                ++m_stats.errors;
            const std::uint64_t bytes = bodyLength(reply.body);
            for (Waiter& w : pending->waiters) {
                m_stats.bytesServed += bytes;
                auto shared = std::make_shared<std::pair<OnDone, SliceReply>>(std::move(w.onDone), reply);
                replyTo(w.from, [this, shared]() {
                    shared->second.doneAt = m_world.now();
                    shared->first(shared->second);
                });
            }
        });
}

void CacheNode::fill(CacheKey key, const SliceReply& reply)
{
    if (m_policy->contains(key) || reply.body.empty())
        return;
    const std::uint64_t bytes = bodyLength(reply.body);
    m_evicted.clear();
    if (!m_policy->insert(key, bytes, &m_evicted))
        return;
    for (CacheKey gone : m_evicted)
        m_stored.erase(gone);
    const Extent& e = reply.body.front();
    m_stored.insert_or_assign(key, Stored{e.version, reply.header.range.first, reply.header.range.last,
                                          reply.header.range.complete, e.object});
    diskFor(key).write(bytes, [](bool, sim::Nanos) {});
}

bool CacheNode::preload(ObjectId object, Version version, std::uint64_t first, std::uint64_t objectSize)
{
    if (first % m_config.sliceBytes != 0 || first >= objectSize)
        return false;
    const CacheKey key = keyOf(object, first);
    const std::uint64_t last = std::min(first + m_config.sliceBytes, objectSize) - 1;
    if (m_policy->lookup(key))
        return true;
    m_evicted.clear();
    if (!m_policy->insert(key, last - first + 1, &m_evicted))
        return false;
    for (CacheKey gone : m_evicted)
        m_stored.erase(gone);
    m_stored.insert_or_assign(key, Stored{version, first, last, static_cast<std::int64_t>(objectSize), object});
    return true;
}

void CacheNode::serveHit(CacheKey key, Waiter waiter)
{
    auto it = m_stored.find(key);
    assert(it != m_stored.end());
    const Stored s = it->second;
    const std::uint64_t bytes = s.last - s.first + 1;
    auto shared = std::make_shared<Waiter>(std::move(waiter));
    diskFor(key).read(bytes, [this, shared, s, bytes](bool ok, sim::Nanos latency) {
        m_stats.readLatencyMs += (sim::toMillis(latency) - m_stats.readLatencyMs) / 8.0;
        SliceReply reply;
        if (ok) {
            reply.header.status = kHttpPartial;
            reply.header.etag = etagOf(s.object, s.version);
            reply.header.hasContentRange = true;
            reply.header.range = ContentRange{s.first, s.last, s.complete};
            reply.body.push_back(Extent{s.object, s.version, s.first, bytes});
            m_stats.bytesHit += bytes;
            m_stats.bytesServed += bytes;
        } else {
            ++m_stats.errors;
            reply.header.status = kHttpBadGateway;
            reply.header.reason = absl::StrCat(m_path, ": disk read failed");
            reply.header.causeAt = m_world.now();
        }
        auto out = std::make_shared<std::pair<Waiter, SliceReply>>(std::move(*shared), std::move(reply));
        replyTo(out->first.from, [this, out]() {
            out->second.headerAt = out->second.doneAt = m_world.now();
            out->first.onHeader(out->second.header);
            out->first.onDone(out->second);
        });
    });
}

void CacheNode::forwardUncached(const SliceFetch& request, Waiter waiter)
{
    auto shared = std::make_shared<Waiter>(std::move(waiter));
    SliceFetch up = request;
    up.from = m_component;
    ++m_stats.upstreamFetches;
    m_upstream.fetch(
        up,
        [this, shared](const SliceHeader& header) {
            auto h = std::make_shared<std::pair<OnHeader, SliceHeader>>(shared->onHeader, header);
            replyTo(shared->from, [h]() { h->first(h->second); });
        },
        [this, shared](const SliceReply& reply) {
            m_stats.bytesServed += bodyLength(reply.body);
            auto d = std::make_shared<std::pair<OnDone, SliceReply>>(shared->onDone, reply);
            replyTo(shared->from, [this, d]() {
                d->second.doneAt = m_world.now();
                d->first(d->second);
            });
        });
}

} // namespace livedeck::cdn

// BackOrigin: a node's connections to the origin (docs/CDN.md, "Back-origin").
//
// Contract:
// - `connections` persistent connections; a fetch takes a free one or waits in FIFO
//   order. On a connection a fetch costs: the request's one-way trip (the world's
//   network between this component and the origin's, so the origin's region sets the
//   RTT), the origin's think time (ttfb), the response's one-way trip → header; then
//   the body at the connection's bandwidth → done. The connection is free again at done.
// - The origin answers at the moment the request reaches it, so a body is one version.
// - Faults: this component down → 503 at once; a latency fault on it adds to the first
//   byte and its multiply slows the transfer (a sick back-origin process); a request or
//   response the network cannot deliver (origin down, partition, loss) → 502 after
//   `failTimeout`.
// Defaults (cdn_defaults.h): 32 connections, 12.5 MB/s each, a 125 MB/s path (ours).
#pragma once

#include "backend/cdn/origin.h"
#include "backend/cdn/shared_link.h"
#include "backend/cdn/slice_source.h"

#include <deque>
#include <memory>

namespace livedeck::cdn {

struct BackOriginConfig {
    int connections = kOriginConnections;
    double connBytesPerSec = kOriginConnBytesPerSec; // per connection, 0 = unlimited
    double linkBytesPerSec = kOriginLinkBytesPerSec; // shared by all connections, 0 = unlimited
    sim::Nanos failTimeout = 2 * sim::kSecond;   // ours: when the origin cannot be reached
};

class BackOrigin final : public SliceSource {
public:
    BackOrigin(sim::World& world, std::string_view path, Origin& origin, BackOriginConfig config = {});

    void fetch(const SliceFetch& request, OnHeader onHeader, OnDone onDone) override;

    sim::ComponentId component() const { return m_component; }
    int busyConnections() const { return m_busy; }
    std::size_t waiting() const { return m_waiting.size(); }
    std::uint64_t fetches() const { return m_fetches; }
    std::uint64_t bytesFetched() const { return m_bytes; }
    const BackOriginConfig& config() const { return m_config; }
    const SharedLink& link() const { return m_link; }

private:
    struct Job {
        SliceFetch request;
        OnHeader onHeader;
        OnDone onDone;
        SliceReply reply;
    };
    void start(std::shared_ptr<Job> job);
    void fail(std::shared_ptr<Job> job, int status, std::string reason, sim::Nanos after, bool holdsConnection);
    void release();

    sim::World& m_world;
    sim::ComponentId m_component;
    Origin& m_origin;
    BackOriginConfig m_config;
    sim::EventKindId m_headerKind;
    SharedLink m_link;
    int m_busy = 0;
    std::deque<std::shared_ptr<Job>> m_waiting;
    std::uint64_t m_fetches = 0;
    std::uint64_t m_bytes = 0;
};

} // namespace livedeck::cdn

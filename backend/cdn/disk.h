// Disk: one cache disk's service-time model on the shared ServiceQueue
// (docs/CDN.md, "Cache node"): a read or write of b bytes costs seek + b / bandwidth,
// times lognormal noise, times any slow-disk fault on the disk's path (a gray failure:
// the disk still answers, slowly). `queueDepth` requests are served at once (1 for a
// spindle); the rest wait in FIFO order.
// Defaults (cdn_defaults.h): seek 4 ms, 200 MB/s (ours).
#pragma once

#include "backend/cdn/cdn_defaults.h"
#include "backend/infra/service_queue.h"

#include <functional>
#include <memory>
#include <string_view>

namespace livedeck::cdn {

struct DiskConfig {
    sim::Nanos seek = kDiskSeek;
    double bytesPerSec = kDiskBytesPerSec;
    double queueDepth = 1.0;
    double noiseSigma = 0.1;
    sim::Nanos maxQueueWait = 10 * sim::kSecond;
};

class Disk {
public:
    using Done = std::function<void(bool ok, sim::Nanos latency)>;

    Disk(sim::World& world, std::string_view path, DiskConfig config = {},
         telemetry::MetricsRegistry* metrics = nullptr);

    void read(std::uint64_t bytes, Done done) { submit(bytes, std::move(done)); }
    void write(std::uint64_t bytes, Done done) { submit(bytes, std::move(done)); }
    // The service time of one request of `bytes`, before noise and faults.
    sim::Nanos serviceTime(std::uint64_t bytes) const;

    sim::ComponentId component() const { return m_component; }
    double busy() const { return m_queue->inflight(); }
    double queued() const { return m_queue->queued(); }
    std::uint64_t completed() const { return m_queue->completed(); }
    std::uint64_t bytesMoved() const { return m_bytes; }

private:
    void submit(std::uint64_t bytes, Done done);

    DiskConfig m_config;
    sim::ComponentId m_component;
    std::unique_ptr<infra::ServiceQueue> m_queue;
    std::uint64_t m_bytes = 0;
};

} // namespace livedeck::cdn

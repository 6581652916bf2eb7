#include "backend/cdn/disk.h"

namespace livedeck::cdn {

Disk::Disk(sim::World& world, std::string_view path, DiskConfig config, telemetry::MetricsRegistry* metrics)
    : m_config(config), m_component(world.components().mustAdd(path, "cdn-disk"))
{
    infra::ServiceConfig sc;
    sc.concurrency = config.queueDepth;
    sc.maxQueue = 1e9;
    sc.maxQueueWait = config.maxQueueWait;
    sc.noiseSigma = config.noiseSigma;
    sc.diskBound = true;
    m_queue = std::make_unique<infra::ServiceQueue>(world, m_component, sc, metrics, "cdn.disk");
}

sim::Nanos Disk::serviceTime(std::uint64_t bytes) const
{
    return m_config.seek + static_cast<sim::Nanos>(static_cast<double>(bytes) / m_config.bytesPerSec * 1e9);
}

void Disk::submit(std::uint64_t bytes, Done done)
{
    const sim::Nanos cost = serviceTime(bytes);
    m_queue->submit(
        1.0, [cost](bool&) { return cost; },
        [this, bytes, done = std::move(done)](infra::ServiceOutcome outcome, sim::Nanos latency) {
            const bool ok = outcome == infra::ServiceOutcome::Ok;
            if (ok)
                m_bytes += bytes;
            done(ok, latency);
        });
}

} // namespace livedeck::cdn

#include "backend/host/snapshot_waiter.h"

namespace livedeck::host {

SnapshotWaiter::SnapshotWaiter(WorldHost& host, double rateHz) : m_host(host)
{
    SubscribeOptions so;
    so.rateHz = rateHz;
    so.includeComponents = false;
    m_subscription = host.subscribe(so, [this] {
        {
            std::lock_guard lock(m_mutex);
            m_pending = true;
        }
        m_arrived.notify_one();
    });
}

SnapshotWaiter::~SnapshotWaiter()
{
    m_subscription.close();
}

void SnapshotWaiter::wait()
{
    std::unique_lock lock(m_mutex);
    m_arrived.wait(lock, [this] { return m_pending; });
    m_pending = false;
}

void SnapshotWaiter::followToEnd(double speed, const std::function<void(const v1::Snapshot&)>& each)
{
    m_host.setSpeed(speed);
    m_host.resume();
    m_host.start();
    for (;;) {
        wait();
        // Read the status first: the host updates it before it publishes, so the
        // snapshot taken next is at least as new as a "finished" seen here.
        const bool finished = m_host.status().finished;
        if (auto snapshot = m_subscription.takeSnapshot(); snapshot && each)
            each(*snapshot);
        if (finished)
            break;
    }
    m_subscription.close();
    m_host.stop();
}

} // namespace livedeck::host

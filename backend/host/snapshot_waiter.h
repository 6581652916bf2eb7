// SnapshotWaiter: the one headless wait loop. A thread that is not the host's subscribes
// to a WorldHost's snapshots and sleeps until the host publishes (a condition variable
// the subscriber callback signals; no clock is read here). followToEnd() runs the host
// until its run finishes, handing each snapshot on; HeadlessRunner (livedeckctl demo)
// and runDrillHeadless (livedeckctl drill run) use it.
#pragma once

#include "backend/host/world_host.h"

#include <condition_variable>
#include <functional>
#include <mutex>

namespace livedeck::host {

class SnapshotWaiter {
public:
    // Subscribes at `rateHz` snapshots per wall second (component state left out).
    SnapshotWaiter(WorldHost& host, double rateHz);
    ~SnapshotWaiter();
    SnapshotWaiter(const SnapshotWaiter&) = delete;
    SnapshotWaiter& operator=(const SnapshotWaiter&) = delete;

    // Blocks until the host published something since the previous wait.
    void wait();
    Subscription& subscription() { return m_subscription; }

    // Sets the speed, resumes and starts the host, then waits for snapshots until the
    // run finishes, calling `each` with every snapshot taken (the last one after the
    // run finished included); closes the subscription and stops the host.
    void followToEnd(double speed, const std::function<void(const v1::Snapshot&)>& each);

private:
    WorldHost& m_host;
    std::mutex m_mutex;
    std::condition_variable m_arrived;
    bool m_pending = false;
    Subscription m_subscription;
};

} // namespace livedeck::host

// LeaseKeeper: wall-clock leases on faults injected by remote clients, so a fault
// whose client went away does not stay stuck (docs/API.md "Fault leases").
//
// A client that injects a fault over gRPC holds a lease on it (60 s of wall time by
// default); it renews the lease while it is attached. When a lease runs out, the
// keeper submits a ClearFault command to the world host, so the clearing is an
// ordinary recorded world command (applied between events, recorded with the run,
// replayed exactly) — and, since the host applies world commands while paused, a
// paused world still releases it. A fault injected with keep-after-disconnect holds
// no lease. The keeper reads only the WallClock the program injects.
//
// Thread contract: every method may be called from any thread; expiry runs on the
// keeper's own thread (start()/stop()). The host outlives the keeper.
#pragma once

#include "backend/host/wake_signal.h"
#include "backend/host/wall_clock.h"
#include "backend/sim/time.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace livedeck::host {

class WorldHost;

struct FaultLease {
    std::uint64_t faultId = 0;
    sim::Nanos expiresWall = 0; // on the keeper's WallClock
    std::string holder;         // the client identity that injected it
};

class LeaseKeeper {
public:
    static constexpr sim::Nanos kDefaultLease = 60 * sim::kSecond; // 60 s of wall time

    LeaseKeeper(WorldHost& host, WallClock& clock);
    ~LeaseKeeper();
    LeaseKeeper(const LeaseKeeper&) = delete;
    LeaseKeeper& operator=(const LeaseKeeper&) = delete;

    void start();
    void stop();

    // Starts (or replaces) the lease on a fault: it expires `lease` of wall time from now.
    void hold(std::uint64_t faultId, sim::Nanos lease, std::string holder);
    // Extends the leases still held to `lease` from now; returns the ids renewed.
    std::vector<std::uint64_t> renew(const std::vector<std::uint64_t>& faultIds, sim::Nanos lease);
    // Forgets a lease (the fault was cleared by a client). False when none was held.
    bool release(std::uint64_t faultId);
    std::vector<FaultLease> leases() const;
    // Wall time left on a fault's lease; nullopt when it holds none.
    std::optional<sim::Nanos> remaining(std::uint64_t faultId) const;
    std::uint64_t expiredCount() const { return m_expired.load(std::memory_order_relaxed); }

private:
    void threadMain();

    WorldHost& m_host;
    WallClock& m_clock;
    WakeSignal m_signal;
    mutable std::mutex m_mutex;
    std::map<std::uint64_t, FaultLease> m_leases; // by fault id
    std::atomic<bool> m_stop{false};
    std::atomic<std::uint64_t> m_expired{0};
    std::thread m_thread;
};

} // namespace livedeck::host

// ManualWallClock: a WallClock that only moves when told to (tests, and any program
// that wants to drive pacing by hand). advance()/set() wake every thread waiting in
// waitUntil() so it can re-check its deadline; waitUntil() never sleeps on real time.
// Thread-safe: now() is an atomic read; advance() may race with waiters.
#pragma once

#include "backend/host/wall_clock.h"

#include <atomic>
#include <mutex>
#include <vector>

namespace livedeck::host {

class ManualWallClock final : public WallClock {
public:
    explicit ManualWallClock(sim::Nanos start = 0) : m_now(start) {}

    sim::Nanos now() const override { return m_now.load(std::memory_order_acquire); }
    void waitUntil(sim::Nanos deadlineNs, WakeSignal& signal) override;

    // Moves the clock (never backwards: a smaller value is ignored) and wakes waiters.
    void set(sim::Nanos wallNs);
    void advance(sim::Nanos deltaNs);
    // Threads currently blocked in waitUntil() (tests use it to know the host is idle).
    int waiters() const;

private:
    void wakeAll();

    std::atomic<sim::Nanos> m_now;
    mutable std::mutex m_mutex; // guards m_waiting; taken before any signal's mutex
    std::vector<WakeSignal*> m_waiting;
};

} // namespace livedeck::host

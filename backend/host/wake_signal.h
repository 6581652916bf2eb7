// WakeSignal: how other threads wake the world host's thread while it waits on its
// WallClock (a command was queued, a subscriber joined, stop() was called).
//
// Contract: notify() may be called from any thread and is never lost: a notify that
// arrives while the host is busy makes its next wait return at once. A WallClock
// implementation waits on condition() under mutex() until pendingLocked() is true or
// its deadline passed; the host (never the clock) consumes the flag with consume().
// Header-only; no clock is read here.
#pragma once

#include <condition_variable>
#include <mutex>

namespace livedeck::host {

class WakeSignal {
public:
    // Any thread: marks the signal pending and wakes the waiter.
    void notify()
    {
        {
            std::lock_guard lock(m_mutex);
            m_pending = true;
        }
        m_condition.notify_all();
    }
    // Any thread: wakes the waiter without marking it pending, so it re-checks its own
    // condition (a manual clock's time moved).
    void poke()
    {
        {
            std::lock_guard lock(m_mutex); // orders the poke after a waiter's predicate check
        }
        m_condition.notify_all();
    }
    // The host's thread: clears the pending flag before it looks at its queues.
    void consume()
    {
        std::lock_guard lock(m_mutex);
        m_pending = false;
    }

    // For WallClock implementations.
    std::mutex& mutex() { return m_mutex; }
    std::condition_variable& condition() { return m_condition; }
    bool pendingLocked() const { return m_pending; }

private:
    std::mutex m_mutex;
    std::condition_variable m_condition;
    bool m_pending = false;
};

} // namespace livedeck::host

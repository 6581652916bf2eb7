// Offload: a helper thread for work whose result the world needs later, not now — a
// SQL replica applying its primary's statements, a primary running a write batch
// that commits later (infra::SqlInstance). The world posts
// a task and goes on with its events; before it next uses what the task touches, it
// waits for the task (OffloadTask::wait). A task still queued when the world waits is
// run right there on the world's thread, so waiting never costs more than doing the
// work in place.
//
// Determinism: a task touches only state that nothing else touches until the world
// has waited for it (an instance's SQLite connection), and the world reads its result
// only after waiting, at a point its own events decide. With the thread or without
// it (WorldConfig::helperThread) the same work runs in the same order per task and
// the world sees the same results at the same events: the same trace hash
// (tests/unit/sim/tst_offload.cpp, tests/gala).
//
// Without the thread, post() runs the task at once. With it, one thread serves every
// task of the world; it spins briefly for more work, then sleeps until posted to.
//
// Tasks that touch the same state (one SQLite connection) share an OffloadStrand: they
// run one at a time, in the order posted, wherever each runs. The world waits for a
// strand's tasks in that order; the helper, reaching a task whose predecessor the world
// is running in place, waits for it to finish.
//
// A task may be posted again once idle. Each post is a new generation of the task: a
// queue entry left behind by a run in place never claims a later post.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

namespace livedeck::sim {

class Offload;

// Tasks that must run one at a time, in the order posted.
class OffloadStrand {
public:
    OffloadStrand() = default;
    OffloadStrand(const OffloadStrand&) = delete;
    OffloadStrand& operator=(const OffloadStrand&) = delete;

private:
    friend class Offload;
    friend class OffloadTask;
    std::uint64_t m_posted = 0;            // the world's thread only
    std::atomic<std::uint64_t> m_done{0}; // the last finished post, in post order
};

class OffloadTask {
public:
    OffloadTask() = default;
    OffloadTask(const OffloadTask&) = delete;
    OffloadTask& operator=(const OffloadTask&) = delete;

    // Posted and not yet finished.
    bool pending() const { return (m_state.load(std::memory_order_acquire) & kStateMask) != kIdle; }

protected:
    ~OffloadTask() = default;
    // The work: on the helper thread, or on the world's thread when it waits first.
    virtual void run() = 0;

private:
    friend class Offload;
    // m_state: the post's generation (high bits) and its state (low two bits).
    static constexpr std::uint64_t kIdle = 0;
    static constexpr std::uint64_t kQueued = 1;
    static constexpr std::uint64_t kRunning = 2;
    static constexpr std::uint64_t kStateMask = 3;
    static constexpr std::uint64_t kGeneration = 4;
    // Runs the task here if its post `generation` is still queued; true when this call
    // ran it. On a strand it first waits for its predecessor to finish.
    bool tryRunHere(std::uint64_t generation);
    std::atomic<std::uint64_t> m_state{kIdle};
    OffloadStrand* m_strand = nullptr; // set by post(), read by the thread that claims it
    std::uint64_t m_seq = 0;           // its place on the strand
};

class Offload {
public:
    explicit Offload(bool threaded);
    ~Offload();
    Offload(const Offload&) = delete;
    Offload& operator=(const Offload&) = delete;

    // Whether this process may run on more than one CPU (its affinity mask): only then
    // does a helper thread gain anything.
    static bool spareCore();
    // The programs' default (the console, livedeckd): a spare core, unless the
    // environment says LIVEDECK_HELPER_THREAD=0.
    static bool helperWanted();

    bool threaded() const { return m_thread.joinable(); }
    // Hands an idle task to the helper (or runs it now, without one); on a strand it
    // runs after every task posted to the strand before it.
    void post(OffloadTask& task, OffloadStrand* strand = nullptr);
    // Returns once the task is idle: at once if it is, after running it here if it was
    // still queued, else after the helper finishes it.
    void wait(OffloadTask& task);
    // Waits for the task and drops any reference the helper holds to it (before the
    // task is destroyed).
    void forget(OffloadTask& task);

    // Tasks the helper ran, and tasks run on the world's thread because it waited first.
    std::uint64_t ranOnHelper() const { return m_ranOnHelper.load(std::memory_order_relaxed); }
    std::uint64_t ranInPlace() const { return m_ranInPlace.load(std::memory_order_relaxed); }

private:
    void threadMain();

    std::mutex m_mutex;
    std::condition_variable m_wake;     // the helper: work or stop
    std::condition_variable m_released; // forget(): the helper let go of its current task
    struct Entry {
        OffloadTask* task;
        std::uint64_t generation; // the post this entry is for
    };
    std::deque<Entry> m_queue;
    OffloadTask* m_current = nullptr; // taken off the queue by the helper, maybe running
    std::atomic<std::size_t> m_queued{0};
    bool m_sleeping = false;
    bool m_stop = false;
    std::atomic<std::uint64_t> m_ranOnHelper{0};
    std::atomic<std::uint64_t> m_ranInPlace{0};
    std::thread m_thread;
};

} // namespace livedeck::sim

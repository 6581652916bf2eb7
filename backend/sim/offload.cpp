#include "backend/sim/offload.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <string_view>

#include <pthread.h>
#include <sched.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LIVEDECK_PAUSE() _mm_pause()
#else
#define LIVEDECK_PAUSE() std::this_thread::yield()
#endif

namespace livedeck::sim {

namespace {

// How long the helper looks for more work before it sleeps: kHelperRounds rounds of
// kHelperRoundSpins pause instructions (each round some tens of microseconds), each ending
// in a yield of its core, so a GUI thread that wants the core gets it. In a busy world
// posts come tens of microseconds apart: the helper is rarely asleep and the world
// rarely pays for waking it (a futex call, dear in a virtual machine).
constexpr int kHelperRounds = 8;
constexpr int kHelperRoundSpins = 512;
// How long the world's thread spins for a running task before it sleeps on it (pause
// instructions).
constexpr int kWaitSpins = 20'000;

} // namespace

bool Offload::spareCore()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return false;
    return CPU_COUNT(&set) > 1;
}

bool Offload::helperWanted()
{
    const char* env = std::getenv("LIVEDECK_HELPER_THREAD");
    return spareCore() && !(env && std::string_view(env) == "0");
}

bool OffloadTask::tryRunHere(std::uint64_t generation)
{
    std::uint64_t expected = generation | kQueued;
    if (!m_state.compare_exchange_strong(expected, generation | kRunning, std::memory_order_acq_rel))
        return false;
    if (m_strand) {
        // Its predecessor on the strand may be running on the other thread (the world
        // runs a strand's tasks in order, so it is never one still queued behind this).
        for (int i = 0; m_strand->m_done.load(std::memory_order_acquire) + 1 < m_seq; ++i) {
            if (i < 1'000)
                LIVEDECK_PAUSE();
            else
                std::this_thread::yield();
        }
    }
    run();
    if (m_strand)
        m_strand->m_done.store(m_seq, std::memory_order_release);
    m_state.store(generation | kIdle, std::memory_order_release);
    m_state.notify_all();
    return true;
}

Offload::Offload(bool threaded)
{
    if (threaded)
        m_thread = std::thread([this] { threadMain(); });
}

Offload::~Offload()
{
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

void Offload::post(OffloadTask& task, OffloadStrand* strand)
{
    assert(!task.pending() && "posting a task that is still pending");
    task.m_strand = strand;
    task.m_seq = strand ? ++strand->m_posted : 0;
    // A new generation: a queue entry of an earlier post (run in place) cannot claim it.
    const std::uint64_t generation =
        (task.m_state.load(std::memory_order_relaxed) & ~OffloadTask::kStateMask) + OffloadTask::kGeneration;
    task.m_state.store(generation | OffloadTask::kQueued, std::memory_order_release);
    if (!m_thread.joinable()) {
        [[maybe_unused]] const bool ran = task.tryRunHere(generation);
        assert(ran);
        return;
    }
    bool wake;
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back(Entry{&task, generation});
        m_queued.store(m_queue.size(), std::memory_order_relaxed);
        wake = m_sleeping;
    }
    if (wake)
        m_wake.notify_one();
}

void Offload::wait(OffloadTask& task)
{
    std::uint64_t state = task.m_state.load(std::memory_order_acquire);
    if ((state & OffloadTask::kStateMask) == OffloadTask::kIdle)
        return;
    if ((state & OffloadTask::kStateMask) == OffloadTask::kQueued
        && task.tryRunHere(state & ~OffloadTask::kStateMask)) {
        m_ranInPlace.fetch_add(1, std::memory_order_relaxed);
        return; // its queue entry is skipped when the helper reaches it
    }
    for (int i = 0; i < kWaitSpins; ++i) {
        if (!task.pending())
            return;
        LIVEDECK_PAUSE();
    }
    while (((state = task.m_state.load(std::memory_order_acquire)) & OffloadTask::kStateMask) != OffloadTask::kIdle)
        task.m_state.wait(state, std::memory_order_acquire);
}

void Offload::forget(OffloadTask& task)
{
    wait(task);
    if (!m_thread.joinable())
        return;
    std::unique_lock lock(m_mutex);
    std::erase_if(m_queue, [&](const Entry& e) { return e.task == &task; });
    m_queued.store(m_queue.size(), std::memory_order_relaxed);
    m_released.wait(lock, [&] { return m_current != &task; });
}

void Offload::threadMain()
{
    pthread_setname_np(pthread_self(), "ld-helper"); // as top -H and gdb show it
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (m_queue.empty()) {
            if (m_stop)
                return;
            lock.unlock();
            for (int round = 0; round < kHelperRounds && m_queued.load(std::memory_order_relaxed) == 0; ++round) {
                for (int i = 0; i < kHelperRoundSpins && m_queued.load(std::memory_order_relaxed) == 0; ++i)
                    LIVEDECK_PAUSE();
                std::this_thread::yield();
            }
            lock.lock();
            if (m_queue.empty() && !m_stop) {
                m_sleeping = true;
                m_wake.wait(lock, [&] { return m_stop || !m_queue.empty(); });
                m_sleeping = false;
            }
            continue;
        }
        const Entry entry = m_queue.front();
        m_queue.pop_front();
        m_queued.store(m_queue.size(), std::memory_order_relaxed);
        m_current = entry.task;
        lock.unlock();
        if (entry.task->tryRunHere(entry.generation))
            m_ranOnHelper.fetch_add(1, std::memory_order_relaxed);
        lock.lock();
        m_current = nullptr;
        m_released.notify_all();
    }
}

} // namespace livedeck::sim

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

bool OffloadTask::tryRunHere()
{
    int expected = kQueued;
    if (!m_state.compare_exchange_strong(expected, kRunning, std::memory_order_acq_rel))
        return false;
    run();
    m_state.store(kIdle, std::memory_order_release);
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

void Offload::post(OffloadTask& task)
{
    assert(!task.pending() && "posting a task that is still pending");
    task.m_state.store(OffloadTask::kQueued, std::memory_order_release);
    if (!m_thread.joinable()) {
        [[maybe_unused]] const bool ran = task.tryRunHere();
        assert(ran);
        return;
    }
    bool wake;
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back(&task);
        m_queued.store(m_queue.size(), std::memory_order_relaxed);
        wake = m_sleeping;
    }
    if (wake)
        m_wake.notify_one();
}

void Offload::wait(OffloadTask& task)
{
    int state = task.m_state.load(std::memory_order_acquire);
    if (state == OffloadTask::kIdle)
        return;
    if (state == OffloadTask::kQueued && task.tryRunHere()) {
        m_ranInPlace.fetch_add(1, std::memory_order_relaxed);
        return; // its queue entry is skipped when the helper reaches it
    }
    for (int i = 0; i < kWaitSpins; ++i) {
        if (task.m_state.load(std::memory_order_acquire) == OffloadTask::kIdle)
            return;
        LIVEDECK_PAUSE();
    }
    while ((state = task.m_state.load(std::memory_order_acquire)) != OffloadTask::kIdle)
        task.m_state.wait(state, std::memory_order_acquire);
}

void Offload::forget(OffloadTask& task)
{
    wait(task);
    if (!m_thread.joinable())
        return;
    std::unique_lock lock(m_mutex);
    std::erase(m_queue, &task);
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
        OffloadTask* task = m_queue.front();
        m_queue.pop_front();
        m_queued.store(m_queue.size(), std::memory_order_relaxed);
        m_current = task;
        lock.unlock();
        if (task->tryRunHere())
            m_ranOnHelper.fetch_add(1, std::memory_order_relaxed);
        lock.lock();
        m_current = nullptr;
        m_released.notify_all();
    }
}

} // namespace livedeck::sim

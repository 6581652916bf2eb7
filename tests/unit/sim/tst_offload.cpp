// sim::Offload: tasks run once per post, on the helper or in place when waited for
// first; waiting sees the task's writes; forget() lets go of a queued task; a queue
// entry left by a run in place never claims a later post; a strand's tasks run in the
// order posted and never at once.
#include "backend/sim/offload.h"
#include "tests/common/multi_test.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <sched.h>
#include <thread>
#include <vector>

using namespace livedeck::sim;

namespace {

// Adds its input to a running sum: the result of post k is visible after wait k.
class SumTask final : public OffloadTask {
public:
    std::uint64_t input = 0;
    std::uint64_t sum = 0;
    std::uint64_t runs = 0;
    std::thread::id ranOn;
    std::atomic<bool>* gate = nullptr; // when set, run() waits for it to open
    std::atomic<bool> started{false};

private:
    void run() override
    {
        started.store(true, std::memory_order_release);
        if (gate) {
            while (!gate->load(std::memory_order_acquire))
                std::this_thread::yield();
        }
        sum += input;
        ++runs;
        ranOn = std::this_thread::get_id();
    }
};

// Records the order in which tasks ran, and whether two tasks of a strand overlapped.
class OrderTask final : public OffloadTask {
public:
    std::atomic<std::uint64_t>* clock = nullptr; // ticks once per run, shared
    std::atomic<int>* active = nullptr;          // tasks of the strand running now
    std::atomic<bool>* overlapped = nullptr;
    std::uint64_t* last = nullptr;               // the label of the strand's last run
    std::uint64_t label = 0;
    std::uint64_t before = 0;                    // *last when it ran
    std::uint64_t ranAt = 0;

private:
    void run() override
    {
        if (active && active->fetch_add(1, std::memory_order_acq_rel) != 0)
            overlapped->store(true);
        for (int i = 0; i < 200; ++i) // long enough for the other thread to reach it
            std::atomic_signal_fence(std::memory_order_seq_cst);
        if (last) {
            before = *last;
            *last = label;
        }
        ranAt = clock->fetch_add(1, std::memory_order_acq_rel) + 1;
        if (active)
            active->fetch_sub(1, std::memory_order_acq_rel);
    }
};

} // namespace

class TstOffload : public QObject {
    Q_OBJECT

private slots:
    void withoutThreadRunsAtPost()
    {
        Offload offload(false);
        QVERIFY(!offload.threaded());
        SumTask t;
        t.input = 5;
        offload.post(t);
        QVERIFY(!t.pending());
        QCOMPARE(t.sum, std::uint64_t{5});
        QCOMPARE(t.ranOn, std::this_thread::get_id());
        offload.wait(t); // idle: returns at once
        offload.forget(t);
        QCOMPARE(t.runs, std::uint64_t{1});
    }

    // Many tasks, each posted again as soon as it was waited for: every post runs once,
    // and what it wrote is seen after the wait, whichever thread ran it.
    void everyPostRunsOnceAndIsSeen()
    {
        Offload offload(true);
        QVERIFY(offload.threaded());
        std::vector<std::unique_ptr<SumTask>> tasks;
        for (int i = 0; i < 16; ++i)
            tasks.push_back(std::make_unique<SumTask>());
        std::uint64_t expected[16] = {};
        for (std::uint64_t round = 1; round <= 2'000; ++round) {
            for (std::size_t i = 0; i < tasks.size(); ++i) {
                SumTask& t = *tasks[i];
                offload.wait(t);
                QCOMPARE(t.sum, expected[i]);
                t.input = round * (i + 1);
                expected[i] += t.input;
                offload.post(t);
            }
        }
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            offload.wait(*tasks[i]);
            QCOMPARE(tasks[i]->sum, expected[i]);
            QCOMPARE(tasks[i]->runs, std::uint64_t{2'000});
            offload.forget(*tasks[i]);
        }
        QCOMPARE(offload.ranOnHelper() + offload.ranInPlace(), std::uint64_t{16 * 2'000});
    }

    // A task still queued behind a busy helper runs on the waiting thread.
    void queuedTaskRunsInPlaceWhenWaitedFor()
    {
        Offload offload(true);
        std::atomic<bool> open{false};
        SumTask slow;
        slow.gate = &open;
        slow.input = 1;
        offload.post(slow);
        // Let the helper take the slow task (it then blocks on the gate).
        for (int i = 0; i < 10'000 && !slow.started.load(std::memory_order_acquire); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        QVERIFY(slow.started.load(std::memory_order_acquire));
        SumTask quick;
        quick.input = 7;
        offload.post(quick);
        offload.wait(quick);
        QCOMPARE(quick.sum, std::uint64_t{7});
        QCOMPARE(quick.ranOn, std::this_thread::get_id());
        QCOMPARE(offload.ranInPlace(), std::uint64_t{1});
        open.store(true, std::memory_order_release);
        offload.wait(slow);
        QCOMPARE(slow.sum, std::uint64_t{1});
        QVERIFY(slow.ranOn != std::this_thread::get_id());
        offload.forget(quick); // its stale queue entry is dropped, not run again
        offload.forget(slow);
        QCOMPARE(quick.runs, std::uint64_t{1});
        QCOMPARE(slow.runs, std::uint64_t{1});
    }

    // A task run in place leaves its queue entry behind; posted again, it runs at its
    // new place in the queue, not at the old entry's.
    void staleEntryNeverClaimsALaterPost()
    {
        Offload offload(true);
        std::atomic<bool> open{false};
        SumTask slow;
        slow.gate = &open;
        offload.post(slow);
        for (int i = 0; i < 10'000 && !slow.started.load(std::memory_order_acquire); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        QVERIFY(slow.started.load(std::memory_order_acquire));
        std::atomic<std::uint64_t> clock{0};
        OrderTask quick;
        quick.clock = &clock;
        offload.post(quick);
        offload.wait(quick); // runs here: its entry stays in the queue
        QCOMPARE(quick.ranAt, std::uint64_t{1});
        OrderTask marker;
        marker.clock = &clock;
        offload.post(marker);
        offload.post(quick); // behind the marker
        open.store(true, std::memory_order_release);
        offload.wait(slow);
        offload.forget(marker);
        offload.forget(quick);
        QCOMPARE(marker.ranAt, std::uint64_t{2});
        QCOMPARE(quick.ranAt, std::uint64_t{3});
    }

    // Tasks on a strand, waited for in the order posted (sometimes run in place while
    // the helper holds the next): each runs once, in order, never two at once.
    void strandRunsInOrderNeverAtOnce()
    {
        Offload offload(true);
        OffloadStrand strand;
        std::atomic<std::uint64_t> clock{0};
        std::atomic<int> active{0};
        std::atomic<bool> overlapped{false};
        std::uint64_t last = 0; // touched only by the strand's tasks
        constexpr std::size_t kTasks = 8;
        std::vector<std::unique_ptr<OrderTask>> tasks;
        std::uint64_t next = 0;
        for (std::size_t i = 0; i < kTasks; ++i) {
            tasks.push_back(std::make_unique<OrderTask>());
            OrderTask& t = *tasks.back();
            t.clock = &clock;
            t.active = &active;
            t.overlapped = &overlapped;
            t.last = &last;
            t.label = ++next;
            offload.post(t, &strand);
        }
        // The oldest pending task is always tasks[k % kTasks].
        for (std::size_t k = 0; k < 20'000; ++k) {
            OrderTask& t = *tasks[k % kTasks];
            offload.wait(t);
            QCOMPARE(t.before, t.label - 1); // ran right after the task posted before it
            t.label = ++next;
            offload.post(t, &strand);
        }
        for (std::size_t k = 0; k < kTasks; ++k) {
            OrderTask& t = *tasks[(20'000 + k) % kTasks];
            offload.wait(t);
            QCOMPARE(t.before, t.label - 1);
        }
        for (auto& t : tasks)
            offload.forget(*t);
        QVERIFY(!overlapped.load());
        QCOMPARE(last, next);
        QCOMPARE(clock.load(), next);
        QCOMPARE(offload.ranOnHelper() + offload.ranInPlace(), next);
    }

    // A task destroyed right after forget() is never touched by the helper again.
    void forgetLetsGo()
    {
        auto offload = std::make_unique<Offload>(true);
        for (int i = 0; i < 500; ++i) {
            auto t = std::make_unique<SumTask>();
            t->input = 3;
            offload->post(*t);
            offload->forget(*t);
            QCOMPARE(t->sum, std::uint64_t{3});
        }
        offload.reset(); // joins the helper
    }

    void spareCoreFollowsTheAffinityMask()
    {
        cpu_set_t set;
        CPU_ZERO(&set);
        QCOMPARE(sched_getaffinity(0, sizeof(set), &set), 0);
        QCOMPARE(Offload::spareCore(), CPU_COUNT(&set) > 1);
    }

    void helperWantedUnlessTheEnvironmentSaysNo()
    {
        qunsetenv("LIVEDECK_HELPER_THREAD");
        QCOMPARE(Offload::helperWanted(), Offload::spareCore());
        qputenv("LIVEDECK_HELPER_THREAD", "1");
        QCOMPARE(Offload::helperWanted(), Offload::spareCore());
        qputenv("LIVEDECK_HELPER_THREAD", "0");
        QVERIFY(!Offload::helperWanted());
        qunsetenv("LIVEDECK_HELPER_THREAD");
    }
};

LIVEDECK_TEST_CLASS(TstOffload)
#include "tst_offload.moc"
